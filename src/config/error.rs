//! Configuration diagnostics.
//!
//! Each message keeps upstream keepalived's wording and its `(FILE: Line N)`
//! prefix, so that admins recognise it, and adds what upstream lacks: the
//! column, the offending line with a caret under it, and a hint such as
//! "did you mean 'priority'?".

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::ast::{FileId, Span};

/// How bad a diagnostic is. The order matters: a later variant is worse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational, e.g. a keyword keepalived-rs parses but does not act on yet.
    Note,
    /// keepalived would run, possibly after adjusting the configuration.
    Warning,
    /// The configuration was changed to run (an item skipped or reset): upstream
    /// `-t` reports these with exit status 4.
    Error,
    /// The configuration cannot be run at all (exit status 3).
    Fatal,
}

/// What a diagnostic is about, for tests and for the `-t` exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Lexing: unterminated quote, unbalanced braces.
    Syntax,
    /// include / conditional / definition problems.
    Preprocess,
    /// A keyword not valid in its block.
    UnknownKeyword,
    /// A value that does not parse or is out of range.
    BadValue,
    /// A required keyword is missing.
    Missing,
    /// Two options that cannot go together, or a duplicate.
    Conflict,
    /// A reference to something that does not exist (script, interface, instance).
    Reference,
    /// Deprecated syntax that is still accepted.
    Deprecated,
    /// Parsed but not acted on by keepalived-rs yet.
    NotImplemented,
    /// Scripts configured without script_security.
    ScriptSecurity,
    /// No configuration file could be read (missing, a directory,
    /// unreadable): keepalived 2.2.7 says so, `-t` exits 0 and the daemon
    /// does not start (exit status 6).
    NoConfig,
    /// keepalived 2.2.7 stops reading the configuration here (a keyword
    /// missing its parameter) and exits 2, with `-t` too.
    Abort,
    /// Anything else.
    Other,
}

/// One message about the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub class: Class,
    /// Where it points; `None` for messages about the configuration as a whole.
    pub span: Option<Span>,
    /// The message, in upstream's wording where upstream has one.
    pub message: String,
    /// An extra hint shown under the caret ("did you mean 'priority'?").
    pub help: Option<String>,
    /// The part whose reading said it (`None`: the part every process
    /// reads). A process logs what it reads itself: the parent the common
    /// part, each child its own.
    pub part: Option<crate::config::model::Part>,
}

impl Diagnostic {
    pub fn new(severity: Severity, class: Class, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic { severity, class, span, message: message.into(), help: None, part: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The files a configuration was read from, kept for messages.
///
/// Only the paths are kept for files read from disk: the one line a message
/// shows is read back when the first message about that file is rendered
/// (there are few messages, and a large configuration's text would otherwise
/// be held for the whole run). Text given in memory is kept as it is.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
struct SourceFile {
    /// The path as it is shown in messages (as given, or as found by include).
    path: PathBuf,
    text: SourceText,
}

#[derive(Clone, Debug)]
enum SourceText {
    /// Text given in memory, split in lines.
    Memory(Vec<String>),
    /// A file on disk: the byte offset of every [`INDEX_STEP`]th line, built
    /// when the first message about the file is rendered (empty if it cannot
    /// be read), so that each later line is found with one short read.
    Disk(OnceLock<Vec<u64>>),
}

/// Lines between two entries of a file's line index.
const INDEX_STEP: usize = 64;

impl SourceMap {
    /// Registers a file with its text (held in memory); returns its id.
    pub fn add(&mut self, path: &Path, text: &str) -> FileId {
        let id = FileId(self.files.len() as u32);
        let lines = text.lines().map(str::to_owned).collect();
        self.files.push(SourceFile { path: path.to_path_buf(), text: SourceText::Memory(lines) });
        id
    }

    /// Registers a file on disk whose text is read again only when a message
    /// about it is rendered; returns its id.
    pub fn add_file(&mut self, path: &Path) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile { path: path.to_path_buf(), text: SourceText::Disk(OnceLock::new()) });
        id
    }

    /// The path of a file.
    pub fn path(&self, id: FileId) -> Option<&Path> {
        self.files.get(id.0 as usize).map(|f| f.path.as_path())
    }

    /// The original text of one line (1-based). For a file on disk it is read
    /// again (`None` when it can no longer be read), split and decoded as the
    /// preprocessor did (`str::lines` of the lossy UTF-8 text).
    pub fn line(&self, id: FileId, line: u32) -> Option<Cow<'_, str>> {
        let f = self.files.get(id.0 as usize)?;
        let n = (line as usize).checked_sub(1)?;
        match &f.text {
            SourceText::Memory(lines) => lines.get(n).map(|l| Cow::Borrowed(l.as_str())),
            SourceText::Disk(index) => {
                let index = index.get_or_init(|| line_index(&f.path).unwrap_or_default());
                let start = *index.get(n / INDEX_STEP)?;
                read_line_at(&f.path, start, n % INDEX_STEP).map(Cow::Owned)
            }
        }
    }

    /// All files read, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    /// The upstream-style prefix `(FILE: Line N) `, empty without a span.
    pub fn prefix(&self, span: Option<Span>) -> String {
        match span.and_then(|s| self.path(s.file).map(|p| (p, s.line))) {
            Some((p, line)) => format!("({}: Line {}) ", p.display(), line),
            None => String::new(),
        }
    }

    /// The first line of a diagnostic as upstream prints it.
    pub fn headline(&self, d: &Diagnostic) -> String {
        format!("{}{}", printable(&self.prefix(d.span)), printable(&d.message))
    }

    /// A diagnostic in full: upstream's line, then `--> file:line:col`, the source
    /// line and a caret, and the hint.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = self.headline(d);
        let Some(span) = d.span else {
            if let Some(help) = &d.help {
                let _ = write!(out, "\n  = help: {}", printable(help));
            }
            return out;
        };
        let path = self.path(span.file).map(|p| printable(&p.display().to_string()).into_owned()).unwrap_or_default();
        let num = span.line.to_string();
        let pad = " ".repeat(num.len());
        let _ = write!(out, "\n{pad}--> {path}:{}:{}", span.line, span.col);
        if let Some(text) = self.line(span.file, span.line) {
            let text = printable(&text).replace('\t', " ");
            let col = (span.col.max(1) - 1) as usize;
            let len = (span.len.max(1)) as usize;
            let _ = write!(out, "\n{pad} |\n{num} | {text}\n{pad} | {}{}", " ".repeat(col), "^".repeat(len));
            if let Some(help) = &d.help {
                let _ = write!(out, " {help}");
            }
        } else if let Some(help) = &d.help {
            let _ = write!(out, "\n{pad} = help: {help}");
        }
        out
    }
}

/// The byte offsets of lines 1, 1 + INDEX_STEP, 1 + 2 * INDEX_STEP, ... of a file.
fn line_index(path: &Path) -> std::io::Result<Vec<u64>> {
    if !std::fs::metadata(path)?.is_file() {
        // Never open anything else again (a FIFO would block).
        return Ok(Vec::new());
    }
    let mut r = BufReader::new(File::open(path)?);
    let mut index = Vec::new();
    let mut buf = Vec::new();
    let (mut offset, mut n) = (0u64, 0usize);
    loop {
        buf.clear();
        let got = r.read_until(b'\n', &mut buf)?;
        if got == 0 {
            return Ok(index);
        }
        if n % INDEX_STEP == 0 {
            index.push(offset);
        }
        offset += got as u64;
        n += 1;
    }
}

/// Line `skip` (0-based) after the line starting at byte `start` of a file.
fn read_line_at(path: &Path, start: u64, skip: usize) -> Option<String> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut r = BufReader::new(f);
    let mut buf = Vec::new();
    for _ in 0..=skip {
        buf.clear();
        if r.read_until(b'\n', &mut buf).ok()? == 0 {
            return None;
        }
    }
    // As `str::lines`: the `\n` and a `\r` before it are not part of the line.
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The reason of an I/O error as the C library words it ("No such file or
/// directory"), without Rust's " (os error N)" suffix: the text users see.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_owned(),
        _ => text,
    }
}

/// `text` with control characters (and DEL) shown as `^X` and other
/// unprintable bytes escaped, so that echoing a line of a binary file never
/// sends raw control bytes to a terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\x7f' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The best match for `word` among `candidates`, for "did you mean" hints.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein with transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let kws = ["priority", "preempt", "interface", "advert_int"];
        assert_eq!(did_you_mean("prority", kws), Some("priority"));
        assert_eq!(did_you_mean("inetrface", kws), Some("interface"));
        assert_eq!(did_you_mean("zzz", kws), None);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }

    #[test]
    fn render_points_at_the_column() {
        let mut sm = SourceMap::default();
        let f = sm.add(Path::new("k.conf"), "vrrp_instance X {\n    prority 100\n}\n");
        let d = Diagnostic::new(
            Severity::Error,
            Class::UnknownKeyword,
            Some(Span { file: f, line: 2, col: 5, len: 7 }),
            "Unknown keyword 'prority'",
        )
        .with_help("did you mean 'priority'?");
        let r = sm.render(&d);
        assert_eq!(
            r,
            "(k.conf: Line 2) Unknown keyword 'prority'\n --> k.conf:2:5\n  |\n2 |     prority 100\n  |     ^^^^^^^ did you mean 'priority'?"
        );
    }

    #[test]
    fn lines_of_files_on_disk_are_read_back_as_the_preprocessor_split_them() {
        let dir = std::env::temp_dir().join(format!("kr-srcmap-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("k.conf");
        let mut bytes = Vec::new();
        for i in 1..=200 {
            bytes.extend_from_slice(format!("line {i}").as_bytes());
            bytes.extend_from_slice(match i % 3 {
                0 => b"\r\n".as_slice(),
                1 => b" \xff\xfe\n".as_slice(),
                _ => b"\n".as_slice(),
            });
        }
        bytes.extend_from_slice(b"last without newline");
        let written = std::fs::write(&path, &bytes);
        let mut sm = SourceMap::default();
        let f = sm.add_file(&path);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let want: Vec<&str> = text.lines().collect();
        let got: Vec<Option<String>> = (0..=202).map(|n| sm.line(f, n).map(Cow::into_owned)).collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(written.is_ok());
        assert_eq!(got[0], None);
        assert_eq!(got[202], None);
        for (i, w) in want.iter().enumerate() {
            assert_eq!(got[i + 1].as_deref(), Some(*w), "line {}", i + 1);
        }
        assert_eq!(want.len(), 201);
        // A file that is gone: the headline and location are still shown.
        let d = Diagnostic::new(Severity::Error, Class::Other, Some(Span { file: f, line: 3, col: 1, len: 4 }), "m");
        assert_eq!(sm.render(&d), format!("({p}: Line 3) m\n --> {p}:3:1", p = path.display()));
    }
}
