//! Value readers with upstream's messages.

use crate::config::ast::{Span, Stmt};
use crate::config::build::{Ctx, parse_timer};
use crate::config::error::{Class, Severity};

/// A required value is missing: upstream's message, and the item is ignored.
pub(super) fn missing(ctx: &mut Ctx, s: &Stmt, msg: &str) {
    ctx.push(Severity::Error, Class::Missing, s.span(), msg);
}

/// Something upstream only logs: shown, but it does not change the exit status.
pub(super) fn info(ctx: &mut Ctx, span: Span, msg: impl Into<String>) {
    ctx.push(Severity::Note, Class::Other, span, msg);
}

/// A deprecated spelling upstream accepts and only logs about.
pub(super) fn deprecated_note(ctx: &mut Ctx, s: &Stmt, msg: &str) {
    ctx.push(Severity::Note, Class::Deprecated, s.span(), msg);
}

/// An unsigned decimal argument `i` in `[min, max]`: upstream's number
/// message, then `msg` (the keyword's own wording).
pub(super) fn uint(
    ctx: &mut Ctx,
    s: &Stmt,
    i: usize,
    min: u64,
    max: u64,
    msg: impl FnOnce(&str) -> String,
) -> Option<u64> {
    let (text, span) = match s.arg(i) {
        Some(w) => (w.text.as_str(), w.span),
        None => ("", s.span()),
    };
    match parse_uint(text) {
        Some(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            number_msg(ctx, span, text, false, &format!("[{min}, {max}]"));
            ctx.error(span, msg(text));
            None
        }
    }
}

/// Upstream's number readers name the bad number first ("invalid number 'x'",
/// "negative number '-1'", "number 'N' outside range [MIN, MAX]"); the
/// keyword's own message follows.
pub(crate) fn number_msg(ctx: &mut Ctx, span: Span, text: &str, signed: bool, range: &str) {
    let msg = match parse_int(text) {
        Some(v) if v < 0 && !signed => format!("negative number '{text}'"),
        Some(_) => format!("number '{text}' outside range {range}"),
        None => format!("invalid number '{text}'"),
    };
    ctx.error(span, msg);
}

/// Like [`number_msg`] for upstream's decimal readers (`digits` decimals in the range).
pub(crate) fn decimal_msg(ctx: &mut Ctx, span: Span, text: &str, min: f64, max: f64, digits: usize) {
    let msg = match parse_timer(text) {
        Some(_) => format!("number '{text}' outside range [{min:.digits$}, {max:.digits$}]"),
        None => format!("invalid number '{text}'"),
    };
    ctx.error(span, msg);
}

/// Unsigned decimal, as upstream's read_unsigned (an optional '+').
pub(super) fn parse_uint(t: &str) -> Option<u64> {
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Signed decimal.
pub(super) fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    let v = i64::try_from(parse_uint(digits)?).ok()?;
    Some(if neg { -v } else { v })
}

/// An optional <BOOL> (absent: true); `msg` words the error.
pub(super) fn bool_arg(ctx: &mut Ctx, s: &Stmt, msg: impl FnOnce(&str) -> String) -> Option<bool> {
    ctx.bool_opt_with(s, 0, msg)
}

/// A path argument (the file location keywords).
pub(super) fn path_arg(ctx: &mut Ctx, s: &Stmt) -> Option<String> {
    match s.arg(0) {
        Some(w) => Some(w.text.clone()),
        None => {
            missing(ctx, s, &format!("{} requires a path - ignoring", s.keyword.text));
            None
        }
    }
}

pub(super) fn trim_slash(p: &str) -> String {
    match p.strip_suffix('/') {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => p.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_uint("+7"), Some(7));
        assert_eq!(parse_uint("-7"), None);
        assert_eq!(parse_uint(""), None);
        assert_eq!(parse_uint("1.5"), None);
        assert_eq!(parse_uint("99999999999999999999999"), None);
        assert_eq!(parse_int("-20"), Some(-20));
        assert_eq!(parse_int("--1"), None);
    }

    #[test]
    fn number_messages() {
        let mut ctx = Ctx::default();
        let sp = Span::default();
        number_msg(&mut ctx, sp, "x", false, "[1, 2]");
        number_msg(&mut ctx, sp, "-1", false, "[1, 2]");
        number_msg(&mut ctx, sp, "-1", true, "[1, 2]");
        decimal_msg(&mut ctx, sp, "300", 0.0, 255.0, 6);
        decimal_msg(&mut ctx, sp, "1.2.3", 0.0, 255.0, 6);
        let m: Vec<_> = ctx.diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            m,
            [
                "invalid number 'x'",
                "negative number '-1'",
                "number '-1' outside range [1, 2]",
                "number '300' outside range [0.000000, 255.000000]",
                "invalid number '1.2.3'",
            ]
        );
    }

    #[test]
    fn slashes() {
        assert_eq!(trim_slash("/a/b/"), "/a/b");
        assert_eq!(trim_slash("/"), "/");
    }
}
