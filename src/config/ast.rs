//! The syntax tree of a keepalived.conf, after preprocessing.
//!
//! keepalived's language is line-oriented: a statement is a keyword followed by
//! the words on the rest of its line, optionally followed by a `{ ... }` block
//! (the `{` may stand on the same or on the next line). List blocks such as
//! `virtual_ipaddress { ... }` are statements too: each line is a statement whose
//! keyword is the list item. Every node carries the place it came from.

use std::fmt;

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub u32);

/// Where a piece of text came from: file, 1-based line and column, and length
/// in characters (for the caret under it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

/// One word of a statement (a keyword or an argument).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text, with quotes removed and escapes resolved.
    pub text: String,
    pub span: Span,
    /// Whether the word was written as a quoted string.
    pub quoted: bool,
}

/// A keyword with its arguments and optional block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub keyword: Word,
    pub args: Vec<Word>,
    pub block: Option<Block>,
}

/// The body of a `{ ... }`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Block {
    /// The opening brace.
    pub open: Span,
    /// The closing brace (the opening one when the block is not closed):
    /// upstream reports problems found at the end of a block on its line.
    pub close: Span,
    pub stmts: Vec<Stmt>,
}

impl Stmt {
    /// The span of the keyword, which is where messages about the statement point.
    pub fn span(&self) -> Span {
        self.keyword.span
    }

    /// The argument at `i`, if present.
    pub fn arg(&self, i: usize) -> Option<&Word> {
        self.args.get(i)
    }

    /// The arguments joined by single spaces (upstream's view of "the rest of the line").
    pub fn rest(&self) -> String {
        let mut s = String::new();
        for (i, w) in self.args.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&w.text);
        }
        s
    }

    /// The span covering all arguments, or the keyword when there are none.
    pub fn args_span(&self) -> Span {
        match (self.args.first(), self.args.last()) {
            (Some(first), Some(last)) if first.span.line == last.span.line => {
                Span { len: last.span.col + last.span.len - first.span.col, ..first.span }
            }
            (Some(first), _) => first.span,
            _ => self.keyword.span,
        }
    }

    /// The statements of the block, empty when there is none.
    pub fn children(&self) -> &[Stmt] {
        self.block.as_ref().map(|b| b.stmts.as_slice()).unwrap_or(&[])
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
