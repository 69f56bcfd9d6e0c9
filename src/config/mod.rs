//! The keepalived.conf language, shared by every process.
//!
//! Pipeline: [`preprocess`] (includes, conditionals, definitions) ->
//! [`lexer`] (nom tokenizer and statement tree) -> [`build`] (keyword tables
//! into the typed [`model`]) -> whole-model validation. Every stage reports
//! [`error::Diagnostic`]s that point at the real file and line.

pub mod ast;
pub mod build;
pub mod error;
pub mod lexer;
pub mod model;
pub mod preprocess;
pub mod validate;

use std::path::Path;

use error::{Class, Diagnostic, Severity, SourceMap};
use model::Config;

/// A loaded configuration with everything said about it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub sources: SourceMap,
    pub diags: Vec<Diagnostic>,
}

impl Loaded {
    /// The `-t` exit status, as keepalived 2.2.7 gives it (see [`exit_code`]).
    pub fn exit_code(&self) -> i32 {
        exit_code(&self.diags)
    }

    /// Whether the configuration can be run: a configuration file was read,
    /// nothing made keepalived stop reading it, and nothing in it is fatal.
    pub fn runnable(&self) -> bool {
        !self.diags.iter().any(|d| d.severity == Severity::Fatal || matches!(d.class, Class::NoConfig | Class::Abort))
    }

    /// The exit status of the daemon when the configuration cannot be run
    /// ([`runnable`](Self::runnable) is false), as keepalived 2.2.7 exits at
    /// start-up: 6 when no configuration file could be read, else 2 (its
    /// "exited with permanent error CONFIG. Terminating").
    pub fn startup_exit_code(&self) -> u8 {
        if self.diags.iter().any(|d| d.class == Class::NoConfig) { EXIT_NO_CONFIG } else { EXIT_CONFIG_ERROR }
    }

    /// Whether a running daemon may switch to this configuration on SIGHUP:
    /// nothing in it had to be dropped or reset to make it run (no error and
    /// no fatal diagnostic; warnings and notes are fine). A reload must never
    /// silently lose part of a working configuration.
    pub fn reloadable(&self) -> bool {
        self.runnable() && !self.diags.iter().any(|d| d.severity >= Severity::Error)
    }
}

/// `-t`: the configuration is clean.
pub const EXIT_OK: i32 = 0;
/// `-t`: keepalived 2.2.7 stopped reading at a keyword missing its
/// parameter; the daemon exits with it too when its configuration cannot run.
pub const EXIT_ABORT: i32 = 2;
/// `-t`: anything reported about the configuration (keepalived 2.2.7 and
/// 2.4.3 exit 5, `KEEPALIVED_EXIT_CONFIG_TEST`, on warnings too).
pub const EXIT_CONFIG_TEST: i32 = 5;
/// `-t`: scripts would run without script security
/// (`KEEPALIVED_EXIT_CONFIG_TEST_SECURITY`).
pub const EXIT_CONFIG_TEST_SECURITY: i32 = 6;
/// Start-up: the configuration cannot be run.
pub const EXIT_CONFIG_ERROR: u8 = 2;
/// Start-up: no configuration file could be read.
pub const EXIT_NO_CONFIG: u8 = 6;

/// The `-t` exit status for a set of diagnostics, as keepalived 2.2.7 gives
/// it (its `config_test_exit`, run on the same files): 0 when nothing is
/// reported (a missing configuration file is only noted), 2 when it stopped
/// reading at a keyword missing its parameter, 6 for scripts without script
/// security, 5 for anything else reported, a missing interface included.
/// Our notes about keywords not acted on yet do not count.
pub fn exit_code(diags: &[Diagnostic]) -> i32 {
    if diags.iter().any(|d| d.class == Class::Abort) {
        EXIT_ABORT
    } else if diags.iter().any(|d| d.class == Class::ScriptSecurity) {
        EXIT_CONFIG_TEST_SECURITY
    } else if diags.iter().any(|d| d.severity >= Severity::Warning) {
        EXIT_CONFIG_TEST
    } else {
        EXIT_OK
    }
}

/// The top-level keyword tables.
const TOP_TABLES: &[&[build::Keyword<Config>]] =
    &[build::global::TOP, build::vrrp::TOP, build::lvs::TOP, build::bfd::TOP];

/// The top-level keywords of each part a process may skip.
const PART_TOPS: [(model::Part, &[build::Keyword<Config>]); 3] =
    [(model::Part::Vrrp, build::vrrp::TOP), (model::Part::Lvs, build::lvs::TOP), (model::Part::Bfd, build::bfd::TOP)];

/// Reads, parses and validates a configuration file.
///
/// The stages are streamed: each line leaves the preprocessor for the lexer
/// as soon as it is complete, and each top-level statement goes into the
/// model as soon as the lexer has it, then is dropped; so memory holds the
/// model and one top-level block, never the whole text or syntax tree.
pub fn load(path: &Path, opts: &preprocess::Options, sys: &validate::SystemView) -> Loaded {
    load_parts(path, opts, sys, model::Parts::ALL)
}

/// Like [`load`], reading only `parts` (and what every process reads): the
/// blocks of the other parts are not tokenized, only their braces counted,
/// and their number noted in [`Config::skipped`]. Each keepalived process
/// reads what it runs.
pub fn load_parts(path: &Path, opts: &preprocess::Options, sys: &validate::SystemView, parts: model::Parts) -> Loaded {
    let mut b = Builder::new(parts);
    let pre = preprocess::preprocess_with(path, opts, &mut |line| b.line(&line));
    b.finish(pre, sys)
}

/// Like [`load`], for a configuration held in memory (`name` is used in
/// messages; includes resolve relative to the current directory).
pub fn load_str(name: &Path, text: &str, opts: &preprocess::Options, sys: &validate::SystemView) -> Loaded {
    load_str_parts(name, text, opts, sys, model::Parts::ALL)
}

/// [`load_parts`] for a configuration held in memory.
pub fn load_str_parts(
    name: &Path,
    text: &str,
    opts: &preprocess::Options,
    sys: &validate::SystemView,
    parts: model::Parts,
) -> Loaded {
    let mut b = Builder::new(parts);
    let pre = preprocess::preprocess_str_with(name, text, opts, &mut |line| b.line(&line));
    b.finish(pre, sys)
}

/// The top-level keywords of the parts not in `parts`.
fn skipped_keywords(parts: model::Parts) -> Vec<&'static str> {
    PART_TOPS
        .iter()
        .filter(|(p, _)| !parts.has(*p))
        .flat_map(|(_, t)| t.iter().map(|k| k.name))
        .filter(|k| !shared_block(k, parts))
        .collect()
}

/// `track_file` blocks belong to the VRRP part, and the checker child reads
/// them too: FILE_CHECK refers to them (keepalived's checker parser has
/// their keywords as well).
fn shared_block(keyword: &str, parts: model::Parts) -> bool {
    parts.lvs && matches!(keyword, "track_file" | "vrrp_track_file")
}

/// The lexer and the model being built from it.
#[derive(Default)]
struct Builder {
    lexer: lexer::Lexer,
    ctx: build::Ctx,
    config: Config,
    /// Where each top-level statement lies and the part it belongs to, to
    /// give what the lexer says inside it to that part.
    tops: Vec<TopRange>,
}

/// The lines of one top-level statement and its part.
struct TopRange {
    file: ast::FileId,
    /// Line and column of the keyword and of the closing brace.
    first: (u32, u32),
    last: (u32, u32),
    part: Option<model::Part>,
}

impl Builder {
    fn new(parts: model::Parts) -> Builder {
        let config = Config { parts, ..Config::default() };
        Builder {
            lexer: lexer::Lexer::skipping(skipped_keywords(parts)),
            ctx: build::Ctx::default(),
            config,
            tops: Vec::new(),
        }
    }

    fn line(&mut self, line: &preprocess::SourceLine) {
        let Builder { lexer, ctx, config, tops } = self;
        lexer.push_line(line, &mut |stmt| top(ctx, config, tops, &stmt));
    }

    /// Ends the input and validates. Diagnostics come in the order keepalived
    /// 2.2.7 prints them with `-t`: it reads the configuration once for each
    /// part, the common part (global_defs, and everything the reader itself
    /// says) first, then the checkers', the VRRP and the BFD part, each in
    /// line order followed by what validating that part says.
    fn finish(self, pre: preprocess::Preprocessed, sys: &validate::SystemView) -> Loaded {
        let Builder { mut lexer, mut ctx, mut config, mut tops } = self;
        let extents = lexer.take_extents();
        let mut lex_diags = lexer.finish(&mut |stmt| top(&mut ctx, &mut config, &mut tops, &stmt));
        // What the lexer says inside a top-level statement belongs to its part.
        for d in &mut lex_diags {
            if let Some(s) = d.span {
                let at = (s.line, s.col);
                d.part =
                    tops.iter().find(|t| t.file == s.file && (t.first..=t.last).contains(&at)).and_then(|t| t.part);
            }
        }
        // keepalived resolves names and checks the users of scripts as it
        // reads them.
        build::global::resolve_names(&mut config, sys, &mut ctx);
        build::script_user::check(&mut config, sys, &mut ctx);
        let mut parsed = pre.diags;
        parsed.extend(lex_diags);
        parsed.append(&mut ctx.diags);
        // What was said within the braces of a statement of a part, counted
        // as keepalived counts them to skip it, belongs to that part.
        for (start, end) in &extents {
            let Some(part) =
                tops.iter().find(|t| t.file == start.file && t.first == (start.line, start.col)).and_then(|t| t.part)
            else {
                continue;
            };
            let range = (start.line, start.col)..=(end.line, end.col);
            for d in parsed.iter_mut().filter(|d| d.part.is_none()) {
                if d.span.is_some_and(|s| s.file == start.file && range.contains(&(s.line, s.col))) {
                    d.part = Some(part);
                }
            }
        }
        parsed.sort_by_key(|d| (part_rank(d.part), d.span.map_or((u32::MAX, u32::MAX), |s| (s.file.0, s.line))));
        // keepalived stops at a keyword missing its parameter: nothing after
        // it is read, and nothing is validated.
        if let Some(i) = parsed.iter().position(|d| d.class == Class::Abort) {
            parsed.truncate(i + 1);
            return Loaded { config, sources: pre.sources, diags: parsed };
        }
        ctx.diags = parsed;
        let parts = config.parts;
        build::global::validate(&mut config, sys, &mut ctx);
        if parts.vrrp {
            tagged(&mut ctx, model::Part::Vrrp, |ctx| build::vrrp::validate(&mut config, sys, ctx));
        }
        if parts.lvs {
            tagged(&mut ctx, model::Part::Lvs, |ctx| build::lvs::validate(&mut config, sys, ctx));
        }
        if parts.bfd {
            tagged(&mut ctx, model::Part::Bfd, |ctx| build::bfd::validate(&mut config, sys, ctx));
        }
        check_script_security(&config, sys, &mut ctx);
        let mut diags = ctx.diags;
        // Our notes about what keepalived-rs does not act on yet come last.
        diags.sort_by_key(|d| {
            (
                d.severity == Severity::Note && matches!(d.class, Class::NotImplemented | Class::Syntax),
                part_rank(d.part),
            )
        });
        // What the blocks read for another part say is that part's reader's
        // to say (the checker reads the VRRP part's track_file blocks).
        diags.retain(|d| d.part.is_none_or(|p| parts.has(p)));
        Loaded { config, sources: pre.sources, diags }
    }
}

/// The order in which keepalived reads the parts.
fn part_rank(part: Option<model::Part>) -> u8 {
    match part {
        None => 0,
        Some(model::Part::Lvs) => 1,
        Some(model::Part::Vrrp) => 2,
        Some(model::Part::Bfd) => 3,
    }
}

/// Builds one top-level statement, remembering where it lies.
fn top(ctx: &mut build::Ctx, config: &mut Config, tops: &mut Vec<TopRange>, stmt: &ast::Stmt) {
    let start = stmt.span();
    let end = stmt.block.as_ref().map_or(start, |b| b.close);
    let name = stmt.keyword.text.as_str();
    let part = PART_TOPS.iter().find(|(_, t)| t.iter().any(|k| k.name == name)).map(|(p, _)| *p);
    if end.file == start.file {
        tops.push(TopRange {
            file: start.file,
            first: (start.line, start.col),
            last: (end.line, end.col).max((start.line, start.col)),
            part,
        });
    }
    apply_top(ctx, config, stmt);
}

/// Builds one top-level statement into the model, or counts it when its part
/// is not read. What building says is tagged with the statement's part.
fn apply_top(ctx: &mut build::Ctx, config: &mut Config, stmt: &ast::Stmt) {
    let name = stmt.keyword.text.as_str();
    let part = PART_TOPS.iter().find(|(_, t)| t.iter().any(|k| k.name == name)).map(|(p, _)| *p);
    match part {
        Some(p) if !config.parts.has(p) && !shared_block(name, config.parts) => match name {
            "vrrp_instance" => config.skipped.vrrp_instances += 1,
            "virtual_server" => config.skipped.virtual_servers += 1,
            "bfd_instance" => config.skipped.bfd_instances += 1,
            _ => {}
        },
        Some(p) => tagged(ctx, p, |ctx| ctx.apply_tables(config, std::slice::from_ref(stmt), TOP_TABLES)),
        None => ctx.apply_tables(config, std::slice::from_ref(stmt), TOP_TABLES),
    }
}

/// Runs `f`, tagging what it says with `part`.
fn tagged(ctx: &mut build::Ctx, part: model::Part, f: impl FnOnce(&mut build::Ctx)) {
    let before = ctx.diags.len();
    f(ctx);
    for d in ctx.diags.iter_mut().skip(before) {
        d.part = Some(part);
    }
}

/// The readable dump of a model (`-d`).
pub fn dump(cfg: &Config) -> String {
    let mut out = String::new();
    build::global::dump(cfg, &mut out);
    build::vrrp::dump(cfg, &mut out);
    build::lvs::dump(cfg, &mut out);
    build::bfd::dump(cfg, &mut out);
    out
}

/// The dump of one part (`None`: the part every process reads), for the
/// process that runs it.
pub fn dump_part(cfg: &Config, part: Option<model::Part>) -> String {
    let mut out = String::new();
    match part {
        None => build::global::dump(cfg, &mut out),
        Some(model::Part::Vrrp) => build::vrrp::dump(cfg, &mut out),
        Some(model::Part::Lvs) => build::lvs::dump(cfg, &mut out),
        Some(model::Part::Bfd) => build::bfd::dump(cfg, &mut out),
    }
    out
}

/// Upstream reports a security violation (and `-t` exits 5) when scripts
/// would run without `enable_script_security`. Only scripts whose program
/// exists count: upstream checks each script's file while loading and skips
/// the ones it cannot find (keepalived 2.2.7 flags a `vrrp_script` running
/// `killall`, but not notify scripts under a missing /usr/local/bin).
fn check_script_security(cfg: &Config, sys: &validate::SystemView, ctx: &mut build::Ctx) {
    if cfg.global.enable_script_security {
        return;
    }
    // Upstream stops loading at a missing interface, before this check.
    if ctx.diags.iter().any(|d| d.span.is_none() && d.message == build::ipcfg::NON_EXISTENT_INTERFACE) {
        return;
    }
    // The parent runs startup/shutdown scripts and reports them separately.
    let start_stop = cfg.global.start_stop_scripts();
    if start_stop.iter().any(|s| runs(s, sys)) {
        ctx.diags.push(Diagnostic::new(
            Severity::Warning,
            Class::ScriptSecurity,
            None,
            "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.",
        ));
    }
    let mut others = cfg.scripts().into_iter().filter(|s| !start_stop.iter().any(|t| std::ptr::eq(*t, *s)));
    if let Some(script) = others.find(|s| runs(s, sys)) {
        // Said by the process that runs the script.
        let part = if cfg.vrrp.scripts().iter().any(|s| std::ptr::eq(*s, script)) {
            Some(model::Part::Vrrp)
        } else if cfg.lvs.scripts().iter().any(|s| std::ptr::eq(*s, script)) {
            Some(model::Part::Lvs)
        } else {
            None
        };
        let mut d = Diagnostic::new(
            Severity::Warning,
            Class::ScriptSecurity,
            None,
            if part == Some(model::Part::Lvs) {
                "SECURITY VIOLATION - check scripts are being executed but script_security not enabled."
            } else {
                "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
            },
        );
        d.part = part;
        // Upstream checks right after parsing, with the scripts it disables,
        // before completing the configuration (whose messages carry no line).
        match ctx.diags.iter().position(|d| d.span.is_none() && !d.message.starts_with("Disabling ")) {
            Some(i) => ctx.diags.insert(i, d),
            None => ctx.diags.push(d),
        }
    }
}

/// Whether keepalived would run a script: its program exists, and so does
/// the user (and group) given for it (keepalived 2.2.7 silently drops a
/// notify script whose user does not exist).
fn runs(s: &model::Script, sys: &validate::SystemView) -> bool {
    program_exists(s)
        && s.user.as_deref().is_none_or(|u| sys.has_user(u))
        && s.group.as_deref().is_none_or(|g| sys.has_group(g))
}

/// Whether a script's program is an existing file: a path as given, or a
/// bare name found in `PATH` as the shell would.
fn program_exists(s: &model::Script) -> bool {
    let Some(prog) = s.argv.first() else { return false };
    if prog.contains('/') {
        return Path::new(prog).is_file();
    }
    let path = std::env::var_os("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path).any(|d| d.join(prog).is_file())
}
