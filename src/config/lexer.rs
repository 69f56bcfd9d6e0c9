//! Tokenizer and tree builder: preprocessed lines in, statements out.
//!
//! Each line is split into words (with `"`/`'` quoting and shell-like escapes
//! inside quotes), `{` and `}`; `#` and `!` outside quotes start a comment.
//! The words of one line form a statement; a `{` opens the block of the
//! statement before it, even when it stands on the next line.

use nom::IResult;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::take_while;
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
    /// Top-level keywords whose blocks are skipped (see [`Lexer::skipping`]).
    skip: Vec<&'static str>,
    /// The skipped block being read, if any.
    skipping: Option<Skipping>,
    /// Every brace counted, ignored ones too, and where the top-level
    /// statement they belong to starts: keepalived skips the blocks of the
    /// parts a process does not read by counting braces this way.
    raw_depth: u32,
    raw_top: Option<Span>,
    /// Top-level statements whose braces, counted that way, end after their
    /// block does (an ignored '{' inside): first keyword and last '}'.
    extents: Vec<(Span, Span)>,
}

/// A top-level block read without being tokenized.
#[derive(Debug)]
struct Skipping {
    /// The `{`.
    open: Span,
    /// Braces open inside it, its own included.
    depth: u32,
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
    /// A lexer that does not tokenize the blocks of the top-level keywords in
    /// `skip`: their braces are only counted (outside quotes and comments,
    /// as the tokenizer sees them), and each such statement is handed out
    /// with an empty block. A process reads the parts of the configuration
    /// it runs and only notes the others, as keepalived's processes do.
    pub fn skipping(skip: Vec<&'static str>) -> Lexer {
        Lexer { skip, ..Lexer::default() }
    }

    /// The top-level statements whose braces, all counted, reach further than
    /// their block (a '{' was ignored inside): each from its keyword to the
    /// '}' that ends it counted that way. What is said inside belongs to the
    /// statement's part, as keepalived's process for another part skips it.
    pub fn take_extents(&mut self) -> Vec<(Span, Span)> {
        std::mem::take(&mut self.extents)
    }

    /// Lexes one line; each top-level statement it completes goes to `emit`.
    pub fn push_line(&mut self, line: &SourceLine, emit: &mut dyn FnMut(Stmt)) {
        let quote = unmatched_quote(line);
        self.push_line_tokens(line, emit);
        self.tok_diags.extend(quote);
    }

    fn push_line_tokens(&mut self, line: &SourceLine, emit: &mut dyn FnMut(Stmt)) {
        let mut start = 0;
        loop {
            if let Some(sk) = &mut self.skipping {
                let Some(close) = skip_braces(&line.text, start, &mut sk.depth) else { return };
                let open = sk.open;
                self.skipping = None;
                let col = col_of(&line.text, close);
                let close_span = Span { file: line.file, line: line.line, col, len: 1 };
                if let Some(mut s) = self.pending.take() {
                    s.block = Some(Block { open, close: close_span, stmts: Vec::new() });
                    emit(s);
                }
                start = close + 1;
            }
            match self.push_tokens(line, start, emit) {
                Some(next) => start = next,
                None => return,
            }
        }
    }

    /// Tokenizes `line` from byte `start` and builds with its tokens. Returns
    /// the byte after a `{` that opened a skipped block (the rest of the line
    /// is then read by [`skip_braces`]).
    fn push_tokens(&mut self, line: &SourceLine, start: usize, emit: &mut dyn FnMut(Stmt)) -> Option<usize> {
        let mut toks = std::mem::take(&mut self.toks);
        toks.clear();
        let mut tok_diags = Vec::new();
        tokenize_line(line, start, &mut toks, &mut tok_diags);
        let mut skip_from = None;
        // Where the last word ended, when it ended in '$' (see below).
        let mut dollar_end = None;
        let mut it = toks.drain(..).peekable();
        while let Some(tok) = it.next() {
            let after_dollar = std::mem::take(&mut dollar_end);
            match &tok {
                Tok::Word(w) if self.raw_depth == 0 && self.open.is_empty() => self.raw_top = Some(w.span),
                Tok::Open(_) => self.raw_depth += 1,
                Tok::Close(span) if self.raw_depth > 0 => {
                    self.raw_depth -= 1;
                    if self.raw_depth == 0 {
                        if let Some(start) = self.raw_top.take() {
                            self.extents.push((start, *span));
                        }
                    }
                }
                _ => {}
            }
            match tok {
                Tok::Word(keyword) => {
                    // The rest of the line, up to a brace, are the arguments.
                    let mut args = Vec::new();
                    while let Some(Tok::Word(_)) = it.peek() {
                        if let Some(Tok::Word(a)) = it.next() {
                            args.push(a);
                        }
                    }
                    let last = args.last().unwrap_or(&keyword);
                    if last.text.ends_with('$') && !last.quoted && !NAMED_BLOCKS.contains(&keyword.text.as_str()) {
                        dollar_end = Some((last.span.line, last.span.col + last.span.len));
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
                // A '{' with no statement before it, or the one of a
                // `${NAME}` whose NAME is not defined (it stays as written), is
                // ignored as keepalived 2.2.7 ignores it ("Unexpected '{' -
                // ignoring"): what follows it goes on at the same level, and
                // its '}' closes the enclosing block.
                Tok::Open(span)
                    if after_dollar == Some((span.line, span.col))
                        || !match self.open.last() {
                            Some(b) => b.stmts.last().is_some_and(|s| s.block.is_none()),
                            None => self.pending.as_ref().is_some_and(|s| s.block.is_none()),
                        } =>
                {
                    self.diags.push(Diagnostic::new(
                        Severity::Warning,
                        Class::Syntax,
                        Some(span),
                        "Unexpected '{' - ignoring",
                    ));
                }
                Tok::Open(span) => {
                    let owned = match self.open.last() {
                        Some(b) => b.stmts.last().is_some_and(|s| s.block.is_none()),
                        None => self.pending.as_ref().is_some_and(|s| s.block.is_none()),
                    };
                    let skipped = self.open.is_empty()
                        && owned
                        && self.pending.as_ref().is_some_and(|s| self.skip.contains(&s.keyword.text.as_str()));
                    if skipped {
                        self.skipping = Some(Skipping { open: span, depth: 1 });
                        skip_from = Some(span);
                        break;
                    }
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
        // What the tokenizer said about the skipped rest of the line is not ours to say.
        match skip_from {
            Some(open) => {
                self.tok_diags.extend(tok_diags.into_iter().filter(|d| d.span.is_some_and(|s| s.col < open.col)));
                Some(byte_of(&line.text, open.col) + 1)
            }
            None => {
                self.tok_diags.append(&mut tok_diags);
                None
            }
        }
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
        // keepalived counts the blocks left open, without a line.
        let mut unclosed = Vec::new();
        if let Some(sk) = self.skipping.take() {
            unclosed.push(sk.open);
            if let Some(mut s) = self.pending.take() {
                s.block = Some(Block { open: sk.open, close: sk.open, stmts: Vec::new() });
                emit(s);
            }
        }
        while let Some(b) = self.open.last() {
            unclosed.push(b.span);
            self.close(None, emit);
        }
        if let Some(first) = unclosed.iter().min_by_key(|s| (s.file.0, s.line)) {
            self.diags.push(
                Diagnostic::new(
                    Severity::Error,
                    Class::Syntax,
                    None,
                    format!("There are {} missing '}}'s or extra '{{'s", unclosed.len()),
                )
                .with_help(format!("the block opened on line {} is not closed", first.line)),
            );
        }
        if let Some(s) = self.pending.take() {
            emit(s);
        }
        let mut diags = self.tok_diags;
        diags.append(&mut self.diags);
        diags
    }
}

/// Keywords whose block follows a name or address on the same line: their
/// '{' opens the block even right after a `$`.
const NAMED_BLOCKS: &[&str] = &[
    "vrrp_instance",
    "vrrp_script",
    "vrrp_sync_group",
    "vrrp_track_process",
    "vrrp_track_file",
    "track_file",
    "garp_group",
    "virtual_server",
    "virtual_server_group",
    "real_server",
    "bfd_instance",
];

/// Splits one line into tokens. Quoting problems are reported and the rest of
/// the line is still used.
/// keepalived 2.2.7 counts the '"' of every line it reads (an escaped one
/// too), in every process, whatever block the line is in.
fn unmatched_quote(line: &SourceLine) -> Option<Diagnostic> {
    let text = line.text.as_str();
    if text.bytes().filter(|&b| b == b'"').count() % 2 == 0 {
        return None;
    }
    let col = text.len() - text.trim_start().len();
    Some(Diagnostic::new(
        Severity::Warning,
        Class::Syntax,
        Some(Span { file: line.file, line: line.line, col: col as u32 + 1, len: 1 }),
        format!("Unmatched quote: '{}'", text.trim()),
    ))
}

fn tokenize_line(line: &SourceLine, start: usize, out: &mut Vec<Tok>, diags: &mut Vec<Diagnostic>) {
    let text = line.text.as_str();
    // Columns count characters; on an ASCII line (nearly all) they are bytes.
    let ascii = text.is_ascii();
    let chars = |s: &str| if ascii { s.len() } else { s.chars().count() };
    let mut rest = text.get(start..).unwrap_or_default();
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
                    // keepalived 2.2.7 reports a '"' left open with the line;
                    // a "'" left open only gets our note.
                    if unterminated {
                        let double = rest.trim_start_matches(|c: char| c != '"' && c != '\'').starts_with('"');
                        diags.push(if double {
                            Diagnostic::new(
                                Severity::Warning,
                                Class::Syntax,
                                Some(span_at(len)),
                                format!("Unterminated quote '{}'", text.trim()),
                            )
                        } else {
                            Diagnostic::new(
                                Severity::Note,
                                Class::Syntax,
                                Some(span_at(len)),
                                "Unterminated quoted string - closing it at the end of the line",
                            )
                        });
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

/// Counts the braces of `text` from byte `start` into `depth`, as the
/// tokenizer would see them: not inside quotes (where a backslash escapes the
/// next character, two after `\c`; outside them `\"` opens no quote) and
/// not after a `#` or `!` comment mark.
/// Returns the byte of the `}` that brings `depth` to zero.
fn skip_braces(text: &str, start: usize, depth: &mut u32) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start;
    while let Some(&c) = b.get(i) {
        match c {
            b'#' | b'!' => return None,
            // An escaped quote outside quotes opens none (see `word`).
            b'\\' if matches!(b.get(i + 1), Some(b'"' | b'\'')) => i += 1,
            b'"' | b'\'' => {
                i += 1;
                while let Some(&q) = b.get(i) {
                    if q == c {
                        break;
                    }
                    i += match (q, b.get(i + 1)) {
                        (b'\\', Some(b'c')) => 3,
                        (b'\\', _) => 2,
                        _ => 1,
                    };
                }
            }
            b'{' => *depth += 1,
            b'}' => {
                *depth = depth.saturating_sub(1);
                if *depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The column (in characters, from 1) of byte `byte` of `text`.
fn col_of(text: &str, byte: usize) -> u32 {
    let before = text.get(..byte).unwrap_or(text);
    (if before.is_ascii() { before.len() } else { before.chars().count() }) as u32 + 1
}

/// The byte of column `col` (in characters, from 1) of `text`.
fn byte_of(text: &str, col: u32) -> usize {
    let n = col.saturating_sub(1) as usize;
    if text.is_ascii() { n.min(text.len()) } else { text.char_indices().nth(n).map_or(text.len(), |(i, _)| i) }
}

fn is_plain_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c' | b'"' | b'\'' | b'{' | b'}' | b'#' | b'!')
}

/// A run of plain characters, stopping before a backslash that escapes a
/// quote (see [`word`]).
fn plain_run(input: &str) -> IResult<&str, &str> {
    let b = input.as_bytes();
    let mut end = 0;
    while let Some(&c) = b.get(end) {
        if !is_plain_byte(c) || (c == b'\\' && matches!(b.get(end + 1), Some(b'"' | b'\''))) {
            break;
        }
        end += 1;
    }
    match (input.get(end..), input.get(..end)) {
        (Some(rest), Some(run)) if end > 0 => Ok((rest, run)),
        _ => Err(nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::TakeWhile1))),
    }
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
    let plain_to_escape = map(plain_run, |s: &str| Piece::Plain(s.to_owned()));
    // keepalived 2.2.7 does not open a quote at a `\"` (or `\'`) outside
    // quotes: both characters stay in the word.
    let escaped_quote =
        map(recognize((char('\\'), nom::character::complete::one_of("\"'"))), |s: &str| Piece::Plain(s.to_owned()));
    let dq = map((char('"'), quoted_body('"'), opt(char('"'))), |(_, s, end)| Piece::Quoted(s, end.is_some()));
    let sq = map((char('\''), quoted_body('\''), opt(char('\''))), |(_, s, end)| Piece::Quoted(s, end.is_some()));
    let (rest, pieces) = nom::multi::many1(alt((escaped_quote, plain_to_escape, dq, sq))).parse(input)?;
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
        // As keepalived 2.2.7: a '{' without a keyword is ignored (what
        // follows goes on at the same level), blocks left open are counted.
        assert_eq!(
            msgs,
            [
                "Unterminated quoted string - closing it at the end of the line",
                "Unexpected '{' - ignoring",
                "Unexpected '}' - extra '}' ignored",
                "Unexpected '}' - extra '}' ignored",
                "There are 2 missing '}'s or extra '{'s",
            ]
        );
        assert_eq!(p.stmts.iter().map(|s| s.keyword.text.as_str()).collect::<Vec<_>>(), ["x", "y", "z"]);
        assert!(p.stmts[0].children().is_empty());
        assert_eq!(words(&p.stmts[2].children()[0]), ["w"]);
        assert_eq!(p.diags[1].span.map(|s| (s.line, s.col)), Some((1, 9)));
        assert_eq!(p.diags[4].span, None);
        assert_eq!(p.diags[4].help.as_deref(), Some("the block opened on line 4 is not closed"));
    }

    #[test]
    fn an_undefined_name_in_braces_does_not_open_a_block() {
        // `router_id ${name}` with `name` undefined: `$`, then an ignored '{'.
        let p = parse_lines(&lines("global_defs {\n router_id ${name}\n}\nvrrp_instance V_${n} {\n x\n}\n"));
        let msgs: Vec<&str> = p.diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "Unexpected '{' - ignoring",
                "Unexpected '}' - extra '}' ignored",
                "Unexpected '{' - ignoring",
                "Unexpected '}' - extra '}' ignored"
            ]
        );
        let kids = p.stmts[0].children();
        assert_eq!(kids.iter().map(|s| s.keyword.text.as_str()).collect::<Vec<_>>(), ["router_id", "name"]);
        assert_eq!(words(&kids[0]), ["router_id", "$"]);
        // A named block opens after the `$` all the same (and `n }` closes it,
        // leaving the next '{' without a keyword).
        assert_eq!(words(&p.stmts[1]), ["vrrp_instance", "V_$"]);
        assert_eq!(words(&p.stmts[1].children()[0]), ["n"]);
    }

    #[test]
    fn quotes_are_read_and_reported_as_keepalived_2_2_7_does() {
        // An escaped '"' outside quotes opens none; a balanced line says nothing.
        let p = parse_lines(&lines("script \\\"/bin/x.sh\\\"\n"));
        assert!(p.diags.is_empty(), "{:?}", p.diags);
        assert_eq!(words(&p.stmts[0]), ["script", "\\\"/bin/x.sh\\\""]);
        // A '"' left open: both of keepalived's messages, with the line.
        let p = parse_lines(&lines("  router_id \"x y\n"));
        let msgs: Vec<&str> = p.diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs, ["Unterminated quote 'router_id \"x y'", "Unmatched quote: 'router_id \"x y'"]);
        assert!(p.diags.iter().all(|d| d.severity == Severity::Warning));
        // An odd count alone (an escaped one) is only unmatched.
        let p = parse_lines(&lines("router_id \\\"x\n"));
        let msgs: Vec<&str> = p.diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs, ["Unmatched quote: 'router_id \\\"x'"]);
    }

    #[test]
    fn columns_count_characters() {
        let p = parse_lines(&lines("é 'ü' x"));
        let s = &p.stmts[0];
        assert_eq!((s.args[0].span.col, s.args[0].span.len), (3, 3));
        assert_eq!(s.args[1].span.col, 7);
    }

    /// Lexes `text` in full and skipping `skip`'s blocks.
    fn both(text: &str, skip: &'static [&'static str]) -> (Parsed, Parsed) {
        let full = parse_lines(&lines(text));
        let mut lexer = Lexer::skipping(skip.to_vec());
        let mut stmts = Vec::new();
        for l in lines(text) {
            lexer.push_line(&l, &mut |s| stmts.push(s));
        }
        let diags = lexer.finish(&mut |s| stmts.push(s));
        (full, Parsed { stmts, diags })
    }

    /// Skipping a block leaves everything else as a full read sees it: the
    /// same statements, the same diagnostics outside the skipped blocks, and
    /// each skipped statement with its braces where they are, but no body.
    #[test]
    fn skipped_blocks_read_like_full_ones() {
        let cases = [
            "global_defs {\n router_id a\n}\nvrrp_instance VI_1 {\n state MASTER\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvirtual_server 1.2.3.4 80 {\n real_server 5.6.7.8 80 {\n TCP_CHECK {\n }\n }\n}\nglobal_defs { x }",
            "vrrp_instance A { state MASTER } global_defs { y }\nvrrp_instance B\n{\n notify \"/bin/echo }\" # }\n}\nglobal_defs {\n z\n}",
            "vrrp_instance A {\n a '}' \"{{\" ! }\n b \"\\\"}\" }\n}\nglobal_defs { q \"unterminated\n}\n",
            "vrrp_instance A {\n b \"\\c\"}\" x\n c \"\\\\\" }\n}\nglobal_defs { ok }",
            "vrrp_instance A {\n nested { deep { } }\n}} extra\nglobal_defs { é\"{\" }\nvirtual_server é {\n \"unterminated { quote\n}\n}\nvrrp_instance open {\n {",
            "vrrp_instance\n{\n}\n{\n anonymous\n}\nvrrp_instance X { } vrrp_instance Y { a } global_defs { b }",
        ];
        for text in cases {
            assert_agree(text);
        }
    }

    /// Asserts that skipping `SKIP`'s blocks reads `text` as a full read does.
    fn assert_agree(text: &str) {
        const SKIP: &[&str] = &["vrrp_instance", "virtual_server"];
        let (full, skipped) = both(text, SKIP);
        assert_eq!(full.stmts.len(), skipped.stmts.len(), "{text}");
        for (f, s) in full.stmts.iter().zip(&skipped.stmts) {
            assert_eq!(words(f), words(s), "{text}");
            if SKIP.contains(&f.keyword.text.as_str()) {
                let (fb, sb) = (f.block.as_ref(), s.block.as_ref());
                assert_eq!(fb.map(|b| (b.open, b.close)), sb.map(|b| (b.open, b.close)), "{text}");
                assert!(sb.is_none_or(|b| b.stmts.is_empty()), "{text}");
            } else {
                assert_eq!(f, s, "{text}");
            }
        }
        // Diagnostics inside skipped blocks are the reading process's to say.
        let inside = |d: &Diagnostic| {
            full.stmts.iter().filter(|s| SKIP.contains(&s.keyword.text.as_str())).filter_map(|s| s.block.as_ref()).any(
                |b| {
                    // An unclosed block (closed at its own brace) runs to the end.
                    let end = if b.close == b.open { (u32::MAX, 0) } else { (b.close.line, b.close.col) };
                    d.span.is_some_and(|sp| (sp.line, sp.col) > (b.open.line, b.open.col) && (sp.line, sp.col) < end)
                },
            )
        };
        // (Unmatched quotes are counted on every line by every process.)
        let expected: Vec<&Diagnostic> =
            full.diags.iter().filter(|d| !inside(d) || d.message.starts_with("Unmatched quote")).collect();
        assert_eq!(expected, skipped.diags.iter().collect::<Vec<_>>(), "{text}");
    }

    /// Skipping is byte-scanning: it must never panic or loop on any input.
    #[test]
    fn skipping_survives_any_line() {
        let alphabet = ['{', '}', '"', '\'', '\\', 'c', '#', '!', ' ', 'v', 'é'];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut text = String::from("vrrp_instance x {\n");
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let c = alphabet[(seed % alphabet.len() as u64) as usize];
                text.push(if seed % 11 == 0 { '\n' } else { c });
            }
            assert_agree(&text);
        }
    }
}
