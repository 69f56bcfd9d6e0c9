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
    /// The `-t` exit status, as keepalived 2.4 defines it: 0 fine, 3 cannot run,
    /// 4 errors that keepalived works around, 5 scripts without script_security.
    pub fn exit_code(&self) -> i32 {
        exit_code(&self.diags)
    }

    /// Whether the configuration can be run (no fatal diagnostic).
    pub fn runnable(&self) -> bool {
        !self.diags.iter().any(|d| d.severity == Severity::Fatal)
    }
}

/// The `-t` exit status for a set of diagnostics.
pub fn exit_code(diags: &[Diagnostic]) -> i32 {
    if diags.iter().any(|d| d.severity == Severity::Fatal) {
        3
    } else if diags.iter().any(|d| d.class == Class::ScriptSecurity) {
        5
    } else if diags.iter().any(|d| d.severity >= Severity::Warning) {
        4
    } else {
        0
    }
}

/// Reads, parses and validates a configuration file.
pub fn load(path: &Path, opts: &preprocess::Options, sys: &validate::SystemView) -> Loaded {
    let pre = preprocess::preprocess(path, opts);
    let mut diags = pre.diags;
    let parsed = lexer::parse_lines(&pre.lines);
    diags.extend(parsed.diags);
    let mut ctx = build::Ctx::default();
    let mut config = Config::default();
    ctx.apply_tables(
        &mut config,
        &parsed.stmts,
        &[build::global::TOP, build::vrrp::TOP, build::lvs::TOP, build::bfd::TOP],
    );
    build::global::validate(&mut config, sys, &mut ctx);
    build::vrrp::validate(&mut config, sys, &mut ctx);
    build::lvs::validate(&mut config, sys, &mut ctx);
    build::bfd::validate(&mut config, sys, &mut ctx);
    check_script_security(&config, &mut ctx);
    diags.extend(ctx.diags);
    Loaded { config, sources: pre.sources, diags }
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

/// Upstream refuses to run scripts as root without `enable_script_security`
/// only when asked to; it always reports the configuration, and `-t` exits 5.
fn check_script_security(cfg: &Config, ctx: &mut build::Ctx) {
    if cfg.global.enable_script_security {
        return;
    }
    // The parent runs startup/shutdown scripts and reports them separately.
    let start_stop = cfg.global.start_stop_scripts().len();
    if start_stop > 0 {
        ctx.diags.push(Diagnostic::new(
            Severity::Warning,
            Class::ScriptSecurity,
            None,
            "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.",
        ));
    }
    if cfg.scripts().len() > start_stop {
        ctx.diags.push(Diagnostic::new(
            Severity::Warning,
            Class::ScriptSecurity,
            None,
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled.",
        ));
    }
}
