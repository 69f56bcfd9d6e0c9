//! The preprocessor: reads the main file and everything it includes, and
//! yields the lines that the lexer sees, each tagged with its real file and
//! line.
//!
//! Handled here, before tokenizing (keepalived.conf(5), the start of the page
//! and "ADVANCED CONFIGURATION"):
//! - comments (removed here too, so that a `$NAME=value` or `include` in a
//!   comment does nothing); a line ending in `\` goes on on the next line
//!   only in a `$NAME=` definition, as in keepalived 2.2.7;
//! - `include FILE` and its checked variants `includer`/`includem`/`includew`/
//!   `includeb`/`includea`, the `include_check` setting, globs with csh-style
//!   braces, relative to the including file's directory, with loop detection;
//! - `@ID` / `@^ID` conditional lines, selected by [`Options::config_id`];
//! - `$NAME=value` definitions (multiline ones too) and `$NAME` / `${NAME}`
//!   substitution, with the pre-defined `_PWD`, `_INSTANCE`, `_RANDOM`,
//!   `_ENV`, `_HASH` and `_BANG`;
//! - `~SEQ(...)`, `~SEQx(...)` and `~LST(...)` lines, which repeat the rest of
//!   the line for each value.
//!
//! Everything the pre-defined definitions need from the system (config id,
//! environment, current directory, random seed) comes in [`Options`]
//! ([`Options::from_system`] gathers it for the binary); the only I/O is
//! reading the configuration files.
//!
//! Wherever keepalived 2.2.7 flags a file we agree with it (see the README);
//! where it accepts what the 2.4 man page words otherwise, we follow the man
//! page: blank and comment lines inside a multiline definition
//! do not end it (2.2.7 ends it at a blank line, except right after
//! `$NAME= \`), `${_HASH}`/`${_BANG}` give a literal `#`/`!` (2.2.7's became
//! comments), `${_ENV NAME}` exists (2.4), and a line whose condition is removed by substitution keeps
//! its text intact (2.2.7 garbles `$C=@id` / `$C text`). Messages keep
//! upstream's wording ("Config files missing '...'.", "Invalid ~SEQ values
//! '...'"); include loops, which upstream follows until it runs out of file
//! descriptors, are refused with the chain named.

mod expand;
mod system;
mod text;

pub use system::host_config_id;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::ast::{FileId, Span};
use super::error::{Class, Diagnostic, Severity, SourceMap};
use expand::{Defs, Facts, SubstError, parse_definition, parse_generator};
use text::{decomment, decomment_cow, expand_braces, has_wildcard, lead, trim_lead, words};

/// One logical line after preprocessing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub file: FileId,
    /// 1-based line number in `file` where the logical line starts. Lines
    /// produced by a multiline definition or a `~SEQ`/`~LST` carry the line
    /// that used them.
    pub line: u32,
    pub text: String,
}

/// How to preprocess.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-i/--config-id`: selects `@ID` lines and is `${_INSTANCE}`. keepalived
    /// defaults it to the host name up to its first dot; the caller passes
    /// that. With `None`, every `@ID` line is dropped and every `@^ID` kept.
    pub config_id: Option<String>,
    /// The environment, for `${_ENV NAME}` (a missing variable is empty).
    pub env: BTreeMap<String, String>,
    /// The seed of `${_RANDOM}` (keepalived seeds from the clock unless
    /// global_defs `random_seed` is set; the caller decides).
    pub random_seed: u64,
    /// The process's current directory, used to make `${_PWD}` absolute; with
    /// `None` relative directories are used as they are ("." for the current).
    pub cwd: Option<PathBuf>,
    /// `-e/--all-config`: every include is checked as with `includea`.
    pub all_config: bool,
}

/// The preprocessor's output.
#[derive(Debug, Default)]
pub struct Preprocessed {
    pub lines: Vec<SourceLine>,
    pub sources: SourceMap,
    pub diags: Vec<Diagnostic>,
    /// The files that were read, main file first.
    pub files: Vec<PathBuf>,
}

/// Includes nested deeper than this are refused.
pub const MAX_INCLUDE_DEPTH: usize = 64;
/// Multiline definitions and `~SEQ`/`~LST` nested deeper than this are refused.
pub const MAX_EXPANSION_DEPTH: u32 = 64;
/// The most lines a configuration may expand to (each generated or read line
/// counts once): a bound on time and memory for any input.
pub const MAX_WORK: u64 = 2_000_000;
/// The most diagnostics kept; the rest are counted in one last message.
const MAX_DIAGS: usize = 1000;

/// Reads `path` and preprocesses it. A main file that cannot be read is a fatal
/// diagnostic.
pub fn preprocess(path: &Path, opts: &Options) -> Preprocessed {
    let mut lines = Vec::new();
    let mut out = preprocess_with(path, opts, &mut |l| lines.push(l));
    out.lines = lines;
    out
}

/// Preprocesses in-memory text as if it were the file `name`. Includes in it
/// are relative to the current directory.
pub fn preprocess_str(name: &Path, text: &str, opts: &Options) -> Preprocessed {
    let mut lines = Vec::new();
    let mut out = preprocess_str_with(name, text, opts, &mut |l| lines.push(l));
    out.lines = lines;
    out
}

/// Like [`preprocess`], handing each finished line to `sink` as soon as it is
/// complete instead of collecting them (the returned `lines` is empty), so
/// that a large configuration is never held in memory as a whole: files are
/// read line by line, and the [`SourceMap`] keeps only their paths.
pub fn preprocess_with(path: &Path, opts: &Options, sink: &mut dyn FnMut(SourceLine)) -> Preprocessed {
    let mut pp = Pp::new(opts, sink);
    match std::fs::metadata(path) {
        // keepalived 2.2.7's words; with them `-t` exits 0 and the daemon
        // does not start.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            pp.no_config(format!("Config files missing '{}'.", path.display()));
            return pp.finish();
        }
        Ok(m) if m.is_dir() => {
            pp.no_config(format!("Configuration file '{}/' is a directory - skipping", path.display()));
            return pp.finish();
        }
        Ok(m) if !m.is_file() => {
            // A pipe or device (`-f /dev/stdin`) cannot be read again to show a
            // line in a message: its text is kept in memory.
            match std::fs::read(path) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    pp.stack.push(Pp::key(path));
                    let file = pp.out.sources.add(path, &text);
                    pp.frame(path, file, dir_of(path), &mut text.lines().map(Cow::Borrowed));
                }
                Err(e) => pp.no_config(open_problem(path, &e)),
            }
            return pp.finish();
        }
        _ => {}
    }
    match FileLines::open(path) {
        Ok(mut lines) => {
            pp.stack.push(Pp::key(path));
            pp.file(path, dir_of(path), &mut lines);
        }
        Err(e) => pp.no_config(open_problem(path, &e)),
    }
    pp.finish()
}

/// keepalived's message for a configuration file it cannot open.
fn open_problem(path: &Path, e: &std::io::Error) -> String {
    format!("Configuration file '{}' open problem ({}) - skipping", path.display(), super::error::io_reason(e))
}

/// Like [`preprocess_str`], handing each finished line to `sink` (the
/// returned `lines` is empty).
pub fn preprocess_str_with(name: &Path, text: &str, opts: &Options, sink: &mut dyn FnMut(SourceLine)) -> Preprocessed {
    let mut pp = Pp::new(opts, sink);
    pp.stack.push(name.to_path_buf());
    let file = pp.out.sources.add(name, text);
    pp.frame(name, file, None, &mut text.lines().map(Cow::Borrowed));
    pp.finish()
}

/// Room for a typical line, so that reading one allocates once.
const LINE_CAPACITY: usize = 80;

/// The lines of a file read from disk, split and decoded as `str::lines` on
/// its lossy UTF-8 text would split them (a `\n` or `\r\n` ends a line; a
/// UTF-8 sequence never spans a `\n`, so decoding line by line gives the same
/// text). A read error ends the file.
struct FileLines {
    reader: BufReader<File>,
    buf: Vec<u8>,
}

impl FileLines {
    /// Opens a file and reads its first block, so that a file that cannot be
    /// read at all (a directory, say) fails here as reading it whole would.
    fn open(path: &Path) -> std::io::Result<Self> {
        let mut reader = BufReader::with_capacity(64 * 1024, File::open(path)?);
        reader.fill_buf()?;
        Ok(FileLines { reader, buf: Vec::with_capacity(LINE_CAPACITY) })
    }
}

impl Iterator for FileLines {
    type Item = Cow<'static, str>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each line is read into its own buffer, which becomes the line's
        // String without a copy.
        let mut buf = std::mem::replace(&mut self.buf, Vec::with_capacity(LINE_CAPACITY));
        buf.clear();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                let text = match String::from_utf8(buf) {
                    Ok(s) => s,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                };
                Some(Cow::Owned(text))
            }
        }
    }
}

/// The directory includes of `path` are relative to; `None` for the current one.
fn dir_of(path: &Path) -> Option<PathBuf> {
    path.parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf)
}

/// The checks of `include_check` (keepalived.conf(5), global_defs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Checks {
    /// Error if a match is not a readable file.
    readable: bool,
    /// Error if no file matches (unless a wildcard is used).
    matched: bool,
    /// Error if no file matches, even with a wildcard.
    wildcard: bool,
    /// Error if a brace alternative matches no file.
    brace: bool,
}

impl Checks {
    const ALL: Checks = Checks { readable: true, matched: true, wildcard: true, brace: true };

    fn union(self, o: Checks) -> Checks {
        Checks {
            readable: self.readable || o.readable,
            matched: self.matched || o.matched,
            wildcard: self.wildcard || o.wildcard,
            brace: self.brace || o.brace,
        }
    }

    /// match, wildcard_match and brace_match include the readable check.
    fn readable(self) -> bool {
        self.readable || self.matched || self.wildcard || self.brace
    }

    /// The checks an include keyword adds; `None` if `word` is not one.
    fn of_keyword(word: &str) -> Option<Checks> {
        let none = Checks::default();
        Some(match word {
            "include" => none,
            "includer" => Checks { readable: true, ..none },
            "includem" => Checks { matched: true, ..none },
            "includew" => Checks { wildcard: true, ..none },
            "includeb" => Checks { brace: true, ..none },
            "includea" => Checks::ALL,
            _ => return None,
        })
    }
}

/// The file being read.
struct Frame {
    file: FileId,
    /// Includes are relative to this directory (`None`: the current one).
    dir: Option<PathBuf>,
    /// `${_PWD}`.
    pwd: String,
}

struct Pp<'o, 's> {
    opts: &'o Options,
    /// Everything but the lines, which go to `sink`.
    out: Preprocessed,
    sink: &'s mut dyn FnMut(SourceLine),
    defs: Defs,
    checks: Checks,
    /// The include chain, for loop detection (canonical paths).
    stack: Vec<PathBuf>,
    /// Lines handled so far, against [`MAX_WORK`].
    work: u64,
    exhausted: bool,
    dropped_diags: usize,
}

impl<'o, 's> Pp<'o, 's> {
    fn new(opts: &'o Options, sink: &'s mut dyn FnMut(SourceLine)) -> Self {
        Pp {
            opts,
            out: Preprocessed::default(),
            sink,
            defs: Defs::new(opts.random_seed),
            checks: if opts.all_config { Checks::ALL } else { Checks::default() },
            stack: Vec::new(),
            work: 0,
            exhausted: false,
            dropped_diags: 0,
        }
    }

    fn finish(mut self) -> Preprocessed {
        if self.dropped_diags > 0 {
            let n = self.dropped_diags;
            self.out.diags.push(Diagnostic::new(
                Severity::Warning,
                Class::Preprocess,
                None,
                format!("{n} more preprocessor messages not shown"),
            ));
        }
        self.out
    }

    fn key(path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }

    fn diag(&mut self, severity: Severity, span: Option<Span>, message: String) {
        if self.out.diags.len() >= MAX_DIAGS {
            self.dropped_diags += 1;
            return;
        }
        self.out.diags.push(Diagnostic::new(severity, Class::Preprocess, span, message));
    }

    /// No configuration file could be read.
    fn no_config(&mut self, message: String) {
        self.out.diags.push(Diagnostic::new(Severity::Note, Class::NoConfig, None, message));
    }

    /// Registers and reads one file from disk.
    fn file(&mut self, path: &Path, dir: Option<PathBuf>, lines: &mut FileLines) {
        let file = self.out.sources.add_file(path);
        self.frame(path, file, dir, lines);
    }

    /// Reads the lines of one registered file.
    fn frame<'t>(
        &mut self,
        path: &Path,
        file: FileId,
        dir: Option<PathBuf>,
        lines: &mut dyn Iterator<Item = Cow<'t, str>>,
    ) {
        self.out.files.push(path.to_path_buf());
        let pwd = match (&dir, &self.opts.cwd) {
            (Some(d), Some(cwd)) => cwd.join(d),
            (Some(d), None) => d.clone(),
            (None, Some(cwd)) => cwd.clone(),
            (None, None) => PathBuf::from("."),
        };
        let frame = Frame { file, dir, pwd: pwd.to_string_lossy().into_owned() };
        self.text(&frame, lines);
    }

    /// Counts one unit of work; false once the budget is spent.
    fn spend(&mut self) -> bool {
        if self.exhausted {
            return false;
        }
        self.work += 1;
        if self.work > MAX_WORK {
            self.exhausted = true;
            self.diag(
                Severity::Fatal,
                None,
                format!("Configuration expands to more than {MAX_WORK} lines - giving up (recursive definition or huge ~SEQ?)"),
            );
            return false;
        }
        true
    }

    /// The physical lines of a file: comments, multiline definitions and
    /// includes; each logical line then goes to [`Pp::line`].
    fn text<'t>(&mut self, frame: &Frame, raw: &mut dyn Iterator<Item = Cow<'t, str>>) {
        let mut i = 0usize;
        while let Some(first) = raw.next() {
            if !self.spend() {
                return;
            }
            let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            i += 1;
            let d = decomment_cow(first);
            let (mut text, mut cont) = (d.text, d.cont);
            if cont && starts_definition(&text) {
                // A multiline definition: its lines are kept, without the `\`,
                // until one does not end in `\`. Blank and comment lines inside
                // are skipped (the man page's examples have them), except that
                // a blank line right after `$NAME= \` leaves NAME empty.
                let empty_start = definition_value_empty(&text);
                let mut pieces: Vec<String> = Vec::new();
                while cont {
                    let Some(next) = raw.next() else { break };
                    i += 1;
                    let d = decomment(&next);
                    cont = d.cont;
                    if d.text.trim().is_empty() {
                        if pieces.is_empty() && empty_start && next.trim().is_empty() {
                            break;
                        }
                        cont = true;
                        continue;
                    }
                    pieces.push(d.text.trim().to_owned());
                }
                self.line(frame, text, Some(pieces), line_no, 0);
                continue;
            }
            // Outside a definition keepalived 2.2.7 does not continue a line
            // ending in `\`: the `\` stays, right after the last word (its
            // "Unknown keyword 'priority\'").
            if cont {
                text.push('\\');
            }
            // Includes are recognised before conditionals and substitution
            // (keepalived.conf(5): "include handling will not work if the
            // include line uses conditional configuration or parameter
            // substitution").
            // (Only lines that can be one of these are split in words: most
            // of a large configuration is not.)
            if trim_lead(&text).starts_with("include") {
                let w = words(&text);
                if let (Some(kw), 2) = (w.first(), w.len()) {
                    if let (Some(checks), Some(pattern)) = (Checks::of_keyword(kw), w.get(1)) {
                        let span = word_span(frame.file, line_no, &text, pattern);
                        self.include(frame, checks, pattern, span);
                        continue;
                    }
                }
                if w.first().is_some_and(|k| k == "include_check") {
                    self.include_check(w.get(1..).unwrap_or_default(), frame.file, line_no, &text);
                }
            }
            self.line(frame, text, None, line_no, 0);
        }
    }

    /// One logical line: conditional, definition, generator, substitution;
    /// what remains is emitted, then the further lines of any multiline
    /// definition it used.
    fn line(&mut self, frame: &Frame, text: String, mut multi: Option<Vec<String>>, line_no: u32, depth: u32) {
        // Nearly every line of a large file is plain: not blank, no
        // conditional, definition or generator at its start, no `$` in it,
        // not `random_seed`. It goes out as it is.
        if depth == 0 && multi.is_none() {
            let plain = match text.as_bytes().get(lead(&text)) {
                None => return,
                Some(b'@' | b'$' | b'~' | b'r' | b'"' | b'\'') => false,
                Some(_) => !text.contains('$'),
            };
            if plain {
                (self.sink)(SourceLine { file: frame.file, line: line_no, text });
                return;
            }
        }
        if depth > 0 && !self.spend() {
            return;
        }
        if depth > MAX_EXPANSION_DEPTH {
            let span = line_span(frame.file, line_no, &text);
            self.diag(
                Severity::Error,
                Some(span),
                format!(
                    "Definitions nested more than {MAX_EXPANSION_DEPTH} deep - recursive definition? Skipping '{}'",
                    text.trim()
                ),
            );
            return;
        }
        let mut text = text;
        let mut pending: Vec<Vec<String>> = Vec::new();
        let mut rounds = 0;
        loop {
            rounds += 1;
            if rounds > MAX_EXPANSION_DEPTH {
                let span = line_span(frame.file, line_no, &text);
                self.diag(
                    Severity::Error,
                    Some(span),
                    format!("Too many substitution rounds on line '{}'", text.trim()),
                );
                break;
            }
            let l = lead(&text);
            if text.get(l..).is_some_and(|t| t.starts_with('@')) {
                match self.select(text.get(l..).unwrap_or_default()) {
                    Some(n) => {
                        // Blank the `@ID ` out rather than remove it, so that
                        // the lexer's columns still match the source line.
                        let blanks = text.get(l..l + n).map(|p| p.chars().count()).unwrap_or(0);
                        text.replace_range(l..l + n, &" ".repeat(blanks));
                    }
                    None => {
                        text.clear();
                        break;
                    }
                }
            }
            let body = trim_lead(&text);
            if let Some((name, value)) = parse_definition(body) {
                let mut v = value.to_owned();
                for piece in multi.take().unwrap_or_default() {
                    if !v.is_empty() {
                        v.push('\n');
                    }
                    v.push_str(&piece);
                }
                let name = name.to_owned();
                self.defs.set(&name, v);
                text.clear();
                break;
            }
            if body.starts_with('~') {
                let span = line_span(frame.file, line_no, &text);
                let body = body.to_owned();
                if self.generate(frame, &body, span, line_no, depth) {
                    text.clear();
                }
                break;
            }
            let facts =
                Facts { instance: self.opts.config_id.as_deref().unwrap_or(""), env: &self.opts.env, pwd: &frame.pwd };
            let mut notes = Vec::new();
            let res = self.defs.substitute(&text, &facts, &mut notes);
            for n in notes {
                let span = line_span(frame.file, line_no, &text);
                self.diag(Severity::Warning, Some(span), n);
            }
            match res {
                Ok(None) => break,
                Ok(Some(s)) => {
                    text = s.text;
                    pending.extend(s.rest);
                    let b = trim_lead(&text);
                    if !(b.starts_with('@') || b.starts_with('~') || b.contains('$')) {
                        break;
                    }
                }
                Err(e) => {
                    let span = line_span(frame.file, line_no, &text);
                    let msg = match e {
                        SubstError::TooLong => {
                            format!("Parameter substitution on line '{}' would exceed maximum line length", text.trim())
                        }
                        SubstError::TooMany => {
                            format!(
                                "Parameter substitution on line '{}' does not end - recursive definition?",
                                text.trim()
                            )
                        }
                    };
                    self.diag(Severity::Error, Some(span), msg);
                    text.clear();
                    break;
                }
            }
        }
        // The continuation lines of a `$NAME= \` line dropped by its
        // condition go with it (`multi` is simply not used).
        if lead(&text) < text.len() {
            // global_defs `random_seed N` makes the following ${_RANDOM}s
            // repeatable; the line itself stays for global_defs.
            if text.contains("random_seed") {
                if let [kw, seed] = words(&text).as_slice() {
                    if let (true, Ok(seed)) = (kw == "random_seed", seed.parse::<u32>()) {
                        self.defs.reseed(u64::from(seed));
                    }
                }
            }
            (self.sink)(SourceLine { file: frame.file, line: line_no, text });
        }
        for rest in pending.into_iter().rev() {
            for l in rest {
                self.line(frame, l, None, line_no, depth + 1);
                if self.exhausted {
                    return;
                }
            }
        }
    }

    /// For a line starting with `@`: the length of the `@ID ` prefix to remove
    /// when the line is selected, `None` when it is dropped.
    fn select(&self, s: &str) -> Option<usize> {
        let (neg, start) = if s.get(1..).is_some_and(|r| r.starts_with('^')) { (true, 2) } else { (false, 1) };
        let rest = s.get(start..)?;
        // Nothing after the id: nothing to select.
        let id_len = rest.find([' ', '\t'])?;
        let id = rest.get(..id_len)?;
        let mismatch = self.opts.config_id.as_deref() != Some(id);
        if mismatch != neg {
            return None;
        }
        let after = rest.get(id_len..)?;
        Some(start + id_len + (after.len() - after.trim_start_matches([' ', '\t']).len()))
    }

    /// A `~SEQ` / `~LST` line: runs the rest of the line once per value.
    /// Returns false when the line is not a generator (it is then kept).
    fn generate(&mut self, frame: &Frame, body: &str, span: Span, line_no: u32, depth: u32) -> bool {
        let facts =
            Facts { instance: self.opts.config_id.as_deref().unwrap_or(""), env: &self.opts.env, pwd: &frame.pwd };
        let defs = &mut self.defs;
        let mut subst = |s: &str| -> Result<String, String> {
            let mut notes = Vec::new();
            match defs.substitute(s, &facts, &mut notes) {
                Ok(None) => Ok(s.to_owned()),
                Ok(Some(r)) if r.rest.is_empty() => Ok(r.text),
                Ok(Some(_)) => Err(format!("~SEQ parameter is multiline definition '{body}'")),
                Err(_) => Err(format!("Parameter substitution on line '{body}' would exceed maximum line length")),
            }
        };
        let parsed = parse_generator(body, &mut subst);
        match parsed {
            Ok(None) => false,
            Err(msg) => {
                self.diag(Severity::Error, Some(span), msg);
                true
            }
            Ok(Some((generator, rest))) => {
                let rest = rest.to_owned();
                for i in 0.. {
                    let Some(values) = generator.values.nth(i) else { break };
                    for (var, val) in generator.vars.iter().zip(values) {
                        self.defs.set(var, val);
                    }
                    self.line(frame, rest.clone(), None, line_no, depth + 1);
                    if self.exhausted {
                        break;
                    }
                }
                true
            }
        }
    }

    /// `include_check [[+|-]OPTION]...`: with no option, all checks; options
    /// after `+` are added to the current ones, after `-` removed; without a
    /// sign the options replace the current setting.
    fn include_check(&mut self, args: &[String], file: FileId, line_no: u32, text: &str) {
        if args.is_empty() {
            self.checks = Checks::ALL;
            return;
        }
        let relative = args.first().is_some_and(|a| a.starts_with(['+', '-']));
        let mut c = if relative { self.checks } else { Checks::default() };
        let mut add = true;
        for a in args {
            let mut name = a.as_str();
            if let Some(n) = name.strip_prefix('+') {
                add = true;
                name = n;
            } else if let Some(n) = name.strip_prefix('-') {
                add = false;
                name = n;
            }
            let slot = match name {
                "" => continue,
                "readable" => &mut c.readable,
                "match" => &mut c.matched,
                "wildcard_match" => &mut c.wildcard,
                "brace_match" => &mut c.brace,
                _ => {
                    let span = word_span(file, line_no, text, a);
                    self.diag(
                        Severity::Warning,
                        Some(span),
                        format!("Unknown include_check option '{name}' - ignoring"),
                    );
                    continue;
                }
            };
            *slot = add;
        }
        self.checks = c;
    }

    /// `include PATTERN` and its variants.
    fn include(&mut self, frame: &Frame, extra: Checks, pattern: &str, span: Span) {
        let checks = self.checks.union(extra);
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diag(
                Severity::Error,
                Some(span),
                format!("Include files nested more than {MAX_INCLUDE_DEPTH} deep - skipping '{pattern}'"),
            );
            return;
        }
        let Some(alternatives) = expand_braces(pattern) else {
            self.diag(
                Severity::Error,
                Some(span),
                format!("Brace expansion of '{pattern}' gives too many names - skipping"),
            );
            return;
        };
        let braces = alternatives.len() != 1 || alternatives.first().is_some_and(|a| a != pattern);
        let mut files: Vec<PathBuf> = Vec::new();
        let mut missing_alternatives = 0usize;
        for alt in &alternatives {
            let found = self.matches(frame, alt, span, checks);
            if found.is_empty() {
                missing_alternatives += 1;
            }
            files.extend(found);
        }
        let fail = |on: bool| if on { Severity::Error } else { Severity::Note };
        if braces {
            if files.is_empty() {
                self.diag(fail(checks.brace), Some(span), format!("Config files missing '{pattern}'."));
            } else if missing_alternatives > 0 {
                self.diag(fail(checks.brace), Some(span), format!("Some config files missing: \"{pattern}\"."));
            }
        } else if has_wildcard(pattern) {
            if files.is_empty() && checks.wildcard {
                self.diag(Severity::Error, Some(span), format!("No config files matched '{pattern}'."));
            }
        } else if files.is_empty() {
            self.diag(
                fail(checks.matched || checks.wildcard),
                Some(span),
                format!("Config files missing '{pattern}'."),
            );
        }
        for path in files {
            if self.exhausted {
                return;
            }
            self.include_file(&path, span, checks);
        }
    }

    /// The files one brace alternative names, sorted; a name without
    /// wildcards is returned when it exists.
    fn matches(&mut self, frame: &Frame, alt: &str, span: Span, checks: Checks) -> Vec<PathBuf> {
        let rel = Path::new(alt);
        if !has_wildcard(alt) {
            let p = match &frame.dir {
                Some(d) if rel.is_relative() => d.join(rel),
                _ => rel.to_path_buf(),
            };
            return if std::fs::symlink_metadata(&p).is_ok() { vec![p] } else { Vec::new() };
        }
        let full = match &frame.dir {
            Some(d) if rel.is_relative() => {
                format!("{}/{alt}", glob::Pattern::escape(&d.to_string_lossy()))
            }
            _ => alt.to_owned(),
        };
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        match glob::glob_with(&full, opts) {
            Ok(paths) => {
                let mut v: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
                v.sort();
                v
            }
            Err(e) => {
                let sev = if checks.readable() { Severity::Error } else { Severity::Note };
                self.diag(
                    sev,
                    Some(span),
                    format!("Error reading config file(s): glob(\"{alt}\") failed ({e}), skipping."),
                );
                Vec::new()
            }
        }
    }

    /// Reads one included file, unless it is unsuitable or already being read.
    fn include_file(&mut self, path: &Path, span: Span, checks: Checks) {
        let sev = if checks.readable() { Severity::Error } else { Severity::Note };
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                self.diag(
                    sev,
                    Some(span),
                    format!("Configuration file '{shown}' open problem ({}) - skipping", super::error::io_reason(&e)),
                );
                return;
            }
        };
        if meta.is_dir() {
            self.diag(sev, Some(span), format!("Configuration file '{shown}/' is a directory - skipping"));
            return;
        }
        if !meta.is_file() || is_executable(&meta) {
            self.diag(
                sev,
                Some(span),
                format!("Configuration file '{shown}' is not a regular non-executable file - skipping"),
            );
            return;
        }
        let key = Pp::key(path);
        if self.stack.contains(&key) {
            let chain: Vec<String> =
                self.stack.iter().chain(std::iter::once(&key)).map(|k| k.display().to_string()).collect();
            self.diag(
                Severity::Error,
                Some(span),
                format!("Include loop: {} - not including '{shown}' again", chain.join(" -> ")),
            );
            return;
        }
        let mut lines = match FileLines::open(path) {
            Ok(l) => l,
            Err(e) => {
                self.diag(
                    sev,
                    Some(span),
                    format!("Configuration file '{shown}' open problem ({}) - skipping", super::error::io_reason(&e)),
                );
                return;
            }
        };
        // include_check set in an included file does not outlive it.
        let saved = self.checks;
        self.stack.push(key);
        self.file(path, dir_of(path), &mut lines);
        self.stack.pop();
        self.checks = saved;
    }
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Whether a decommented line is (after an optional `@ID`) a `$NAME=` line.
fn starts_definition(text: &str) -> bool {
    parse_definition(strip_condition(text)).is_some()
}

fn definition_value_empty(text: &str) -> bool {
    parse_definition(strip_condition(text)).is_some_and(|(_, v)| v.is_empty())
}

/// The text after a leading `@ID ` (or the trimmed text when there is none).
fn strip_condition(text: &str) -> &str {
    let t = text.trim_start();
    if t.starts_with('@') {
        match t.find([' ', '\t']) {
            Some(i) => t.get(i..).unwrap_or_default().trim_start(),
            None => "",
        }
    } else {
        t
    }
}

/// The span of the trimmed text of a line.
fn line_span(file: FileId, line: u32, text: &str) -> Span {
    let col = text.get(..lead(text)).map(|p| p.chars().count()).unwrap_or(0) as u32 + 1;
    let len = text.trim().chars().count().max(1) as u32;
    Span { file, line, col, len }
}

/// The span of `word` in `text` (the whole line when it is not found as written).
fn word_span(file: FileId, line: u32, text: &str, word: &str) -> Span {
    match text.find(word).filter(|_| !word.is_empty()) {
        Some(at) => {
            let col = text.get(..at).map(|p| p.chars().count()).unwrap_or(0) as u32 + 1;
            Span { file, line, col, len: word.chars().count() as u32 }
        }
        None => line_span(file, line, text),
    }
}
