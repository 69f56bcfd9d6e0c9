//! Tokenizer and tree builder: preprocessed lines in, statements out.
//!
//! Each line is split into words (with `"`/`'` quoting and shell-like escapes
//! inside quotes), `{` and `}`; `#` and `!` outside quotes start a comment.
//! The words of one line form a statement; a `{` opens the block of the
//! statement before it, even when it stands on the next line.

use nom::IResult;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{anychar, char, none_of, one_of};
use nom::combinator::{map, opt, recognize, value};
use nom::multi::many0;

use super::ast::{Block, Span, Stmt, Word};
use super::error::{Class, Diagnostic, Severity};
use super::preprocess::SourceLine;

/// A token of one line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(Word),
    Open(Span),
    Close(Span),
}

/// Result of lexing a whole configuration.
#[derive(Debug, Default)]
pub struct Parsed {
    pub stmts: Vec<Stmt>,
    pub diags: Vec<Diagnostic>,
}

/// Lexes and builds the statement tree of preprocessed lines.
pub fn parse_lines(lines: &[SourceLine]) -> Parsed {
    let mut lexer = Lexer::default();
    let mut stmts = Vec::new();
    for l in lines {
        lexer.push_line(l, &mut |s| stmts.push(s));
    }
    let diags = lexer.finish(&mut |s| stmts.push(s));
    Parsed { stmts, diags }
}

/// An incremental lexer: fed one line at a time, it hands out each top-level
/// statement (with its whole block) as soon as it is complete, so that only
/// one top-level block is ever held.
///
/// A top-level statement without a block on its line is complete only when
/// the next token is not `{` (the block may open on the next line); one with
/// a block is complete at its closing `}`.
#[derive(Debug, Default)]
pub struct Lexer {
    /// The top-level statement being built.
    pending: Option<Stmt>,
    /// The blocks open, outermost first.
    open: Vec<OpenBlock>,
    /// Tokenizing problems, reported before structure problems.
    tok_diags: Vec<Diagnostic>,
    /// Structure problems (braces).
    diags: Vec<Diagnostic>,
    /// The tokens of the current line (kept to reuse its allocation).
    toks: Vec<Tok>,
}

#[derive(Debug)]
struct OpenBlock {
    /// The `{`.
    span: Span,
    stmts: Vec<Stmt>,
    /// Whether the block belongs to the statement before it; a block without a
    /// keyword is reported and its body dropped.
    owned: bool,
}

impl Lexer {
    /// Lexes one line; each top-level statement it completes goes to `emit`.
    pub fn push_line(&mut self, line: &SourceLine, emit: &mut dyn FnMut(Stmt)) {
        let mut toks = std::mem::take(&mut self.toks);
        toks.clear();
        tokenize_line(line, &mut toks, &mut self.tok_diags);
        let mut it = toks.drain(..).peekable();
        while let Some(tok) = it.next() {
            match tok {
                Tok::Word(keyword) => {
                    // The rest of the line, up to a brace, are the arguments.
                    let mut args = Vec::new();
                    while let Some(Tok::Word(_)) = it.peek() {
                        if let Some(Tok::Word(a)) = it.next() {
                            args.push(a);
                        }
                    }
                    let stmt = Stmt { keyword, args, block: None };
                    match self.open.last_mut() {
                        Some(b) => b.stmts.push(stmt),
                        None => {
                            if let Some(done) = self.pending.replace(stmt) {
                                emit(done);
                            }
                        }
                    }
                }
                Tok::Open(span) => {
                    let owned = match self.open.last() {
                        Some(b) => b.stmts.last().is_some_and(|s| s.block.is_none()),
                        None => self.pending.as_ref().is_some_and(|s| s.block.is_none()),
                    };
                    self.open.push(OpenBlock { span, stmts: Vec::new(), owned });
                }
                Tok::Close(span) => {
                    if self.open.is_empty() {
                        self.diags.push(Diagnostic::new(
                            Severity::Warning,
                            Class::Syntax,
                            Some(span),
                            "Unexpected '}' - extra '}' ignored",
                        ));
                    } else {
                        self.close(Some(span), emit);
                    }
                }
            }
        }
        drop(it);
        self.toks = toks;
    }

    /// Closes the innermost open block at `close_span` (`None`: not closed,
    /// the end of the input), attaching it to its statement.
    fn close(&mut self, close_span: Option<Span>, emit: &mut dyn FnMut(Stmt)) {
        let Some(b) = self.open.pop() else { return };
        if !b.owned {
            // Reported once its body is read, after what the body said.
            self.diags.push(Diagnostic::new(
                Severity::Warning,
                Class::Syntax,
                Some(b.span),
                "Unexpected '{' - block without a keyword ignored",
            ));
            return;
        }
        let block = Block { open: b.span, close: close_span.unwrap_or(b.span), stmts: b.stmts };
        match self.open.last_mut() {
            Some(parent) => {
                if let Some(s) = parent.stmts.last_mut() {
                    s.block = Some(block);
                }
            }
            None => {
                if let Some(mut s) = self.pending.take() {
                    s.block = Some(block);
                    emit(s);
                }
            }
        }
    }

    /// Ends the input: blocks still open are reported (innermost first) and
    /// kept, the last statement goes to `emit`. Returns the diagnostics.
    pub fn finish(mut self, emit: &mut dyn FnMut(Stmt)) -> Vec<Diagnostic> {
        while let Some(b) = self.open.last() {
            self.diags.push(Diagnostic::new(
                Severity::Error,
                Class::Syntax,
                Some(b.span),
                "Missing '}' at end of configuration - block opened here is not closed",
            ));
            self.close(None, emit);
        }
        if let Some(s) = self.pending.take() {
            emit(s);
        }
        let mut diags = self.tok_diags;
        diags.append(&mut self.diags);
        diags
    }
}

/// Splits one line into tokens. Quoting problems are reported and the rest of
/// the line is still used.
fn tokenize_line(line: &SourceLine, out: &mut Vec<Tok>, diags: &mut Vec<Diagnostic>) {
    let text = line.text.as_str();
    // Columns count characters; on an ASCII line (nearly all) they are bytes.
    let ascii = text.is_ascii();
    let chars = |s: &str| if ascii { s.len() } else { s.chars().count() };
    let mut rest = text;
    loop {
        let blanks = rest.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')).count();
        let trimmed = rest.get(blanks..).unwrap_or_default();
        let col = chars(text.get(..text.len() - trimmed.len()).unwrap_or_default()) as u32 + 1;
        rest = trimmed;
        let span_at = |len: usize| Span { file: line.file, line: line.line, col, len: len as u32 };
        match rest.as_bytes().first() {
            None | Some(b'#') | Some(b'!') => break,
            Some(b'{') => {
                out.push(Tok::Open(span_at(1)));
                rest = rest.get(1..).unwrap_or_default();
            }
            Some(b'}') => {
                out.push(Tok::Close(span_at(1)));
                rest = rest.get(1..).unwrap_or_default();
            }
            Some(_) => match word(rest) {
                Ok((after, (text_out, quoted, unterminated))) => {
                    let len = chars(rest.get(..rest.len() - after.len()).unwrap_or_default());
                    if unterminated {
                        diags.push(Diagnostic::new(
                            Severity::Warning,
                            Class::Syntax,
                            Some(span_at(len)),
                            "Unterminated quoted string - closing it at the end of the line",
                        ));
                    }
                    out.push(Tok::Word(Word { text: text_out, span: span_at(len), quoted }));
                    if after.len() == rest.len() {
                        break; // no progress: cannot happen with a non-empty word, but never loop
                    }
                    rest = after;
                }
                Err(_) => break,
            },
        }
    }
}

fn is_plain_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c' | b'"' | b'\'' | b'{' | b'}' | b'#' | b'!')
}

fn is_plain(c: char) -> bool {
    !matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c' | '"' | '\'' | '{' | '}' | '#' | '!')
}

/// One piece of a word.
#[derive(Clone, Debug)]
enum Piece {
    Plain(String),
    Quoted(String, bool), // text, terminated
}

/// A word: plain runs and quoted segments up to whitespace, a brace or a comment.
/// Returns (text, any part quoted, a quote left unterminated).
fn word(input: &str) -> IResult<&str, (String, bool, bool)> {
    // Most words are one plain run: scanned bytewise (every byte of a
    // multi-byte character is plain, and every delimiter is ASCII, so the end
    // is a character boundary) and taken in one piece, without the
    // piece-by-piece assembly quoted words need.
    let end = input.bytes().position(|b| !is_plain_byte(b)).unwrap_or(input.len());
    if let (Some(run), Some(rest)) = (input.get(..end), input.get(end..)) {
        if !run.is_empty() && !rest.starts_with(['"', '\'']) {
            return Ok((rest, (run.to_owned(), false, false)));
        }
    }
    let plain = map(take_while1(is_plain), |s: &str| Piece::Plain(s.to_owned()));
    let dq = map((char('"'), quoted_body('"'), opt(char('"'))), |(_, s, end)| Piece::Quoted(s, end.is_some()));
    let sq = map((char('\''), quoted_body('\''), opt(char('\''))), |(_, s, end)| Piece::Quoted(s, end.is_some()));
    let (rest, pieces) = nom::multi::many1(alt((plain, dq, sq))).parse(input)?;
    let mut text = String::new();
    let mut quoted = false;
    let mut unterminated = false;
    for p in pieces {
        match p {
            Piece::Plain(s) => text.push_str(&s),
            Piece::Quoted(s, end) => {
                quoted = true;
                unterminated |= !end;
                text.push_str(&s);
            }
        }
    }
    Ok((rest, (text, quoted, unterminated)))
}

/// The inside of a quoted string, with escapes resolved.
fn quoted_body(q: char) -> impl FnMut(&str) -> IResult<&str, String> {
    move |input: &str| {
        let (rest, parts) = many0(alt((
            map((char('\\'), escape), |(_, c)| Some(c)),
            map(recognize(none_of(if q == '"' { "\"\\" } else { "'\\" })), |s: &str| s.chars().next()),
        )))
        .parse(input)?;
        Ok((rest, parts.into_iter().flatten().collect()))
    }
}

/// One escape sequence after a backslash.
fn escape(input: &str) -> IResult<&str, char> {
    let simple = alt((
        value('\x07', char('a')),
        value('\x08', char('b')),
        value('\x1b', char('E')),
        value('\x0c', char('f')),
        value('\n', char('n')),
        value('\r', char('r')),
        value('\t', char('t')),
        value('\x0b', char('v')),
    ));
    let octal = map(take_while_m_n_octal, |s: &str| char::from(u8::from_str_radix(s, 8).unwrap_or(0)));
    let hex =
        map((char('x'), take_while_m_n_hex), |(_, s): (char, &str)| char::from(u8::from_str_radix(s, 16).unwrap_or(0)));
    let ctrl = map((char('c'), anychar), |(_, c): (char, char)| char::from((c as u32 as u8) & 0x1f));
    alt((simple, octal, hex, ctrl, anychar)).parse(input)
}

fn take_while_m_n_octal(input: &str) -> IResult<&str, &str> {
    let (_, first) = recognize(one_of("01234567")).parse(input)?;
    let _ = first;
    nom::bytes::complete::take_while_m_n(1, 3, |c: char| ('0'..='7').contains(&c)).parse(input)
}

fn take_while_m_n_hex(input: &str) -> IResult<&str, &str> {
    nom::bytes::complete::take_while_m_n(1, 2, |c: char| c.is_ascii_hexdigit()).parse(input)
}

#[allow(dead_code)]
fn spaces(input: &str) -> IResult<&str, &str> {
    take_while(|c: char| c == ' ' || c == '\t')(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ast::FileId;

    fn lines(text: &str) -> Vec<SourceLine> {
        text.lines()
            .enumerate()
            .map(|(i, t)| SourceLine { file: FileId(0), line: i as u32 + 1, text: t.to_owned() })
            .collect()
    }

    fn words(s: &Stmt) -> Vec<&str> {
        std::iter::once(s.keyword.text.as_str()).chain(s.args.iter().map(|w| w.text.as_str())).collect()
    }

    #[test]
    fn blocks_on_same_and_next_line() {
        let p = parse_lines(&lines(
            "vrrp_instance VI_1\n{\n  state MASTER # c\n  priority 100 ! c\n}\nglobal_defs { router_id x }\n",
        ));
        assert!(p.diags.is_empty(), "{:?}", p.diags);
        assert_eq!(p.stmts.len(), 2);
        assert_eq!(words(&p.stmts[0]), ["vrrp_instance", "VI_1"]);
        let kids = p.stmts[0].children();
        assert_eq!(words(&kids[0]), ["state", "MASTER"]);
        assert_eq!(words(&kids[1]), ["priority", "100"]);
        assert_eq!(kids[1].keyword.span.line, 4);
        assert_eq!(kids[1].keyword.span.col, 3);
        assert_eq!(words(&p.stmts[1].children()[0]), ["router_id", "x"]);
    }

    #[test]
    fn quoting_as_the_man_page_says() {
        let p = parse_lines(&lines("a abcd\" efg h jkl \"mnop 'x y' \"q\\tz\\\"\" \\x"));
        let s = &p.stmts[0];
        assert_eq!(words(s), ["a", "abcd efg h jkl mnop", "x y", "q\tz\"", "\\x"]);
        assert!(s.args[0].quoted && !s.args[3].quoted);
    }

    #[test]
    fn escapes() {
        let p = parse_lines(&lines(r#"k "\x41\101\cA\q""#));
        assert_eq!(p.stmts[0].args[0].text, "AA\x01q");
    }

    #[test]
    fn unbalanced_braces_are_reported() {
        let p = parse_lines(&lines("a {\n b 1\n"));
        assert_eq!(p.diags.len(), 1);
        assert_eq!(p.diags[0].class, Class::Syntax);
        let p = parse_lines(&lines("}\n"));
        assert_eq!(p.diags.len(), 1);
        let p = parse_lines(&lines("a 'x\n"));
        assert_eq!(p.diags.len(), 1);
        assert_eq!(p.stmts[0].args[0].text, "x");
    }

    #[test]
    fn any_bytes_never_panic() {
        for s in ["\"", "'", "\\", "{{{", "}}}", "\"\\", "a\"\\x", "'\\c", "é\"ü\\xZ", "\u{0}{"] {
            let _ = parse_lines(&lines(s));
        }
    }

    #[test]
    fn statements_are_emitted_as_soon_as_complete() {
        let ls = lines("a 1\nb\n{\n c {\n d\n }\n}\ne 2 { f }\ng\n");
        let mut lx = Lexer::default();
        let mut got: Vec<(usize, String)> = Vec::new();
        for (i, l) in ls.iter().enumerate() {
            lx.push_line(l, &mut |s| got.push((i, s.keyword.text.clone())));
        }
        assert!(lx.finish(&mut |s| got.push((99, s.keyword.text.clone()))).is_empty());
        // `a` only once `b` starts (a `{` could have followed on line 2), `b`
        // at its closing brace, `e` on its own line, `g` at the end.
        let want = [(1, "a"), (6, "b"), (7, "e"), (99, "g")];
        assert_eq!(got, want.map(|(i, k)| (i, k.to_owned())));
    }

    #[test]
    fn incremental_and_whole_agree_on_brace_errors() {
        let p = parse_lines(&lines("x 1 { } {\n  y 'q\n}\n} z {\n w {\n"));
        let msgs: Vec<&str> = p.diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "Unterminated quoted string - closing it at the end of the line",
                "Unexpected '{' - block without a keyword ignored",
                "Unexpected '}' - extra '}' ignored",
                "Missing '}' at end of configuration - block opened here is not closed",
                "Missing '}' at end of configuration - block opened here is not closed",
            ]
        );
        assert_eq!(p.stmts.iter().map(|s| s.keyword.text.as_str()).collect::<Vec<_>>(), ["x", "z"]);
        assert!(p.stmts[0].children().is_empty());
        assert_eq!(words(&p.stmts[1].children()[0]), ["w"]);
        // The innermost unclosed block is reported first.
        assert_eq!(p.diags[3].span.map(|s| s.line), Some(5));
    }

    #[test]
    fn columns_count_characters() {
        let p = parse_lines(&lines("é 'ü' x"));
        let s = &p.stmts[0];
        assert_eq!((s.args[0].span.col, s.args[0].span.len), (3, 3));
        assert_eq!(s.args[1].span.col, 7);
    }
}
