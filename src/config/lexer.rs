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
    let mut diags = Vec::new();
    let mut toks: Vec<(Tok, bool)> = Vec::new(); // (token, first on its line)
    for l in lines {
        let mut first = true;
        for t in tokenize_line(l, &mut diags) {
            toks.push((t, first));
            first = false;
        }
    }
    let mut b = Builder { toks, pos: 0, diags };
    let (stmts, _) = b.block(None);
    Parsed { stmts, diags: b.diags }
}

struct Builder {
    toks: Vec<(Tok, bool)>,
    pos: usize,
    diags: Vec<Diagnostic>,
}

impl Builder {
    /// Statements until the matching `}` (or the end when `open` is None),
    /// and the span of that `}`.
    fn block(&mut self, open: Option<Span>) -> (Vec<Stmt>, Option<Span>) {
        let mut stmts: Vec<Stmt> = Vec::new();
        while let Some((tok, first)) = self.toks.get(self.pos).cloned() {
            self.pos += 1;
            match tok {
                Tok::Close(span) => {
                    if open.is_some() {
                        return (stmts, Some(span));
                    }
                    self.diags.push(Diagnostic::new(
                        Severity::Warning,
                        Class::Syntax,
                        Some(span),
                        "Unexpected '}' - extra '}' ignored",
                    ));
                }
                Tok::Open(span) => {
                    let (body, close) = self.block(Some(span));
                    match stmts.last_mut() {
                        Some(prev) if prev.block.is_none() => {
                            prev.block = Some(Block { open: span, close: close.unwrap_or(span), stmts: body })
                        }
                        _ => {
                            self.diags.push(Diagnostic::new(
                                Severity::Warning,
                                Class::Syntax,
                                Some(span),
                                "Unexpected '{' - block without a keyword ignored",
                            ));
                        }
                    }
                }
                Tok::Word(w) => {
                    let _ = first;
                    let mut args = Vec::new();
                    // The rest of the line, up to a brace, are the arguments.
                    while let Some((Tok::Word(a), false)) = self.toks.get(self.pos) {
                        args.push(a.clone());
                        self.pos += 1;
                    }
                    stmts.push(Stmt { keyword: w, args, block: None });
                }
            }
        }
        if let Some(span) = open {
            self.diags.push(Diagnostic::new(
                Severity::Error,
                Class::Syntax,
                Some(span),
                "Missing '}' at end of configuration - block opened here is not closed",
            ));
        }
        (stmts, None)
    }
}

/// Splits one line into tokens. Quoting problems are reported and the rest of
/// the line is still used.
fn tokenize_line(line: &SourceLine, diags: &mut Vec<Diagnostic>) -> Vec<Tok> {
    let text = line.text.as_str();
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\x0b', '\x0c']);
        let col = char_col(text, trimmed);
        rest = trimmed;
        let span_at = |len: usize| Span { file: line.file, line: line.line, col, len: len as u32 };
        match rest.chars().next() {
            None | Some('#') | Some('!') => break,
            Some('{') => {
                out.push(Tok::Open(span_at(1)));
                rest = &rest[1..];
            }
            Some('}') => {
                out.push(Tok::Close(span_at(1)));
                rest = &rest[1..];
            }
            Some(_) => match word(rest) {
                Ok((after, (text_out, quoted, unterminated))) => {
                    let len = rest[..rest.len() - after.len()].chars().count();
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
    out
}

/// The 1-based character column of `sub` (a suffix of `full`).
fn char_col(full: &str, sub: &str) -> u32 {
    let byte = full.len() - sub.len();
    full[..byte].chars().count() as u32 + 1
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
}
