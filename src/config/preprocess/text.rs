//! Text helpers of the preprocessor: comment removal, line continuation,
//! quoting-aware word splitting and csh-style brace expansion.

use std::borrow::Cow;

/// A physical line with its comment removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decommented {
    /// The text: comment and trailing whitespace removed, leading whitespace
    /// kept (so the lexer's columns still match the source line).
    pub text: String,
    /// The line ended with a `\` outside quotes: it continues on the next line.
    pub cont: bool,
}

/// Removes a `#` / `!` comment (outside quotes), turns the escaped comment
/// characters `\#` and `\!` outside quotes into quoted ones the lexer keeps,
/// and detects a trailing continuation `\`.
///
/// Quotes are tracked the way the lexer tracks them (both `"` and `'`, with
/// backslash escapes inside), so that what we call a comment is what the lexer
/// would have called one.
pub(crate) fn decomment(line: &str) -> Decommented {
    if is_simple(line) {
        return Decommented { text: line.trim_end().to_owned(), cont: false };
    }
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    let mut cont = false;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '#' | '!' => break,
                '"' | '\'' => {
                    quote = Some(c);
                    out.push(c);
                }
                '\\' => match chars.peek().copied() {
                    None => {
                        cont = true;
                    }
                    // keepalived 2.2.7 starts the comment there all the same
                    // (`state MASTER\#x` is `state MASTER`).
                    Some('#' | '!') => break,
                    Some(n) if n.is_whitespace() && chars.clone().all(char::is_whitespace) => {
                        // `\` followed only by blanks still continues the line.
                        cont = true;
                        break;
                    }
                    Some(_) => out.push(c),
                },
                _ => out.push(c),
            },
        }
    }
    let keep = out.trim_end().len();
    out.truncate(keep);
    Decommented { text: out, cont }
}

/// Like [`decomment`], reusing an owned line's buffer when there is nothing
/// to remove but trailing blanks (most lines).
pub(crate) fn decomment_cow(line: Cow<'_, str>) -> Decommented {
    match line {
        Cow::Owned(mut text) if is_simple(&text) => {
            text.truncate(text.trim_end().len());
            Decommented { text, cont: false }
        }
        line => decomment(&line),
    }
}

/// Whether a line has no comment, quote or backslash: decommenting it only
/// removes trailing blanks.
fn is_simple(line: &str) -> bool {
    !line.bytes().any(|b| matches!(b, b'#' | b'!' | b'"' | b'\'' | b'\\'))
}

/// The bytes of leading blanks.
pub(crate) fn lead(s: &str) -> usize {
    // What `trim_start` removes, counted bytewise while the blanks are ASCII
    // (`trim_start` decodes every character: measurable on large files).
    let ascii = s.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')).count();
    match s.as_bytes().get(ascii) {
        Some(b) if !b.is_ascii() => s.len() - s.trim_start().len(),
        _ => ascii,
    }
}

/// `s.trim_start()`, faster.
pub(crate) fn trim_lead(s: &str) -> &str {
    s.get(lead(s)..).unwrap_or_default()
}

/// Splits a line into words: blank-separated, with `"..."` / `'...'` grouping
/// (quotes removed). Used only for the preprocessor's own keywords.
pub(crate) fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Whether byte offset `pos` of `s` is inside a quoted string (as the lexer
/// would see it).
pub(crate) fn in_quotes(s: &str, pos: usize) -> bool {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if i >= pos {
            break;
        }
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    quote.is_some()
}

/// The most patterns one brace expression may expand to.
pub(crate) const MAX_BRACE_EXPANSION: usize = 1024;

/// Expands csh-style brace expressions: `a{b,c}d` -> `abd`, `acd`, nested and
/// repeated, alternatives kept in the written order. `{}` and a brace without
/// its closing brace are literal. Returns `None` when the expansion would
/// exceed [`MAX_BRACE_EXPANSION`] patterns.
pub(crate) fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    expand_into(pattern, &mut out, 0).then_some(out)
}

fn expand_into(pattern: &str, out: &mut Vec<String>, depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    let Some((open, close)) = first_brace_pair(pattern) else {
        if out.len() >= MAX_BRACE_EXPANSION {
            return false;
        }
        out.push(pattern.to_owned());
        return true;
    };
    let (prefix, inner, suffix) = (&pattern[..open], &pattern[open + 1..close], &pattern[close + 1..]);
    for alt in split_top_commas(inner) {
        let next = format!("{prefix}{alt}{suffix}");
        if !expand_into(&next, out, depth + 1) {
            return false;
        }
    }
    true
}

/// The byte offsets of the first `{` that has a matching `}` and is not `{}`.
fn first_brace_pair(s: &str) -> Option<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(rel) = s.get(start..)?.find('{') {
        let open = start + rel;
        let mut depth = 0usize;
        let mut close = None;
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match close {
            Some(c) if c > open + 1 => return Some((open, c)),
            Some(c) => start = c + 1, // `{}` is literal
            None => return None,
        }
    }
    None
}

/// Splits at the commas not nested in inner braces.
fn split_top_commas(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Whether a path pattern uses glob wildcards.
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_escapes() {
        assert_eq!(decomment("  a b # c").text, "  a b");
        assert_eq!(decomment("a \"x # y\" ! z").text, "a \"x # y\"");
        assert_eq!(decomment("a 'x \\' # y' ! z").text, "a 'x \\' # y'");
        // keepalived 2.2.7: the comment starts at a `#` after a `\` too.
        assert_eq!(decomment("k_\\#x").text, "k_");
        let d = decomment("a b \\");
        assert_eq!((d.text.as_str(), d.cont), ("a b", true));
        let d = decomment("a b \\  ");
        assert_eq!((d.text.as_str(), d.cont), ("a b", true));
        let d = decomment("a \\b");
        assert_eq!((d.text.as_str(), d.cont), ("a \\b", false));
        assert!(!decomment("a # b \\").cont);
        for l in ["  plain words\t ", "a # b", "x 'q' \\", "é ü  "] {
            assert_eq!(decomment_cow(Cow::Owned(l.to_owned())), decomment(l));
        }
        assert_eq!(decomment("  plain words\t ").text, "  plain words");
        for l in ["", "  ", " \t\x0b\x0c\r\n x ", "\u{a0} x", " \u{2003}\tx", "\x1c x", "é"] {
            assert_eq!(trim_lead(l), l.trim_start(), "{l:?}");
        }
    }

    #[test]
    fn braces() {
        assert_eq!(expand_braces("a{b,c}d"), Some(vec!["abd".into(), "acd".into()]));
        assert_eq!(
            expand_braces("{foo/{,cat,dog},bar}"),
            Some(vec!["foo/".into(), "foo/cat".into(), "foo/dog".into(), "bar".into()])
        );
        assert_eq!(expand_braces("x{}y{1,2}"), Some(vec!["x{}y1".into(), "x{}y2".into()]));
        assert_eq!(expand_braces("a{b"), Some(vec!["a{b".into()]));
        assert_eq!(expand_braces(&"{a,b}".repeat(11)), None);
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(words(" include \"a b.conf\" "), ["include", "a b.conf"]);
        assert!(in_quotes("a \"b c", 5));
        assert!(!in_quotes("a \"b\" c", 6));
    }
}
