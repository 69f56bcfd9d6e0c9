//! From statements to the typed model.
//!
//! Each block is described by a table of [`Keyword`]s: the name, a handler that
//! stores the value into the model, and whether keepalived-rs acts on it yet.
//! The same table drives "Unknown keyword" messages and their "did you mean"
//! hints, so the two can never drift apart.

pub mod bfd;
pub mod global;
pub mod ipcfg;
pub mod lvs;
pub(crate) mod script_user;
mod value;
pub mod vrrp;

use std::net::IpAddr;
use std::time::Duration;

use super::ast::{Span, Stmt, Word};
use super::error::{Class, Diagnostic, Severity, did_you_mean};
use super::model::Script;
use super::validate::SystemView;

/// Whether the daemon acts on a keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Parsed and acted on.
    Yes,
    /// Parsed into the model; the daemon does not act on it yet. Using it
    /// produces a note naming it.
    NotYet,
    /// Like `NotYet`, for keywords of blocks that a configuration repeats by
    /// the thousand (real servers, checkers): one note per keyword for the
    /// whole file, ending with the given words when not empty.
    NotYetOnce(&'static str),
    /// Accepted for compatibility; the string is upstream's deprecation message.
    Deprecated(&'static str),
}

/// A handler stores one statement into `T`.
pub type Handler<T> = fn(&mut T, &Stmt, &mut Ctx);

/// One keyword valid in a block.
pub struct Keyword<T> {
    pub name: &'static str,
    pub handler: Handler<T>,
    pub support: Support,
}

impl<T> Keyword<T> {
    pub const fn new(name: &'static str, handler: Handler<T>) -> Self {
        Keyword { name, handler, support: Support::Yes }
    }

    pub const fn not_yet(name: &'static str, handler: Handler<T>) -> Self {
        Keyword { name, handler, support: Support::NotYet }
    }

    pub const fn not_yet_once(name: &'static str, handler: Handler<T>, why: &'static str) -> Self {
        Keyword { name, handler, support: Support::NotYetOnce(why) }
    }

    pub const fn deprecated(name: &'static str, handler: Handler<T>, message: &'static str) -> Self {
        Keyword { name, handler, support: Support::Deprecated(message) }
    }
}

/// A value with the place it was written, for later messages.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// The state of one model build: the diagnostics so far.
#[derive(Debug, Default)]
pub struct Ctx {
    pub diags: Vec<Diagnostic>,
    /// The `NotYetOnce` keywords already noted.
    noted: std::collections::HashSet<&'static str>,
}

impl Ctx {
    /// Applies every statement of a block through `table`. Unknown keywords get
    /// upstream's "Unknown keyword 'X'" with a "did you mean" hint.
    pub fn apply<T>(&mut self, target: &mut T, stmts: &[Stmt], table: &[Keyword<T>]) {
        self.apply_tables(target, stmts, &[table]);
    }

    /// Like [`Ctx::apply`], with the keywords of a block spread over several tables.
    pub fn apply_tables<T>(&mut self, target: &mut T, stmts: &[Stmt], tables: &[&[Keyword<T>]]) {
        for stmt in stmts {
            let name = stmt.keyword.text.as_str();
            match tables.iter().flat_map(|t| t.iter()).find(|k| k.name == name) {
                Some(kw) => {
                    match kw.support {
                        Support::Yes => {}
                        Support::NotYet => self.note(
                            stmt.span(),
                            format!(
                                "keyword '{name}' is parsed but not yet implemented by keepalived-rs - it has no effect"
                            ),
                        ),
                        Support::NotYetOnce(why) => {
                            if self.noted.insert(kw.name) {
                                let msg = if why.is_empty() {
                                    format!(
                                        "keyword '{name}' is parsed but not yet implemented by keepalived-rs - it has no effect"
                                    )
                                } else {
                                    format!(
                                        "keyword '{name}' is parsed but not yet implemented by keepalived-rs - {why}"
                                    )
                                };
                                self.note(stmt.span(), msg);
                            }
                        }
                        Support::Deprecated(msg) => self.push(Severity::Warning, Class::Deprecated, stmt.span(), msg),
                    }
                    (kw.handler)(target, stmt, self);
                }
                None => self.unknown(stmt, tables.iter().flat_map(|t| t.iter()).map(|k| k.name)),
            }
        }
    }

    /// Reports an unknown keyword, suggesting the closest of `candidates`.
    pub fn unknown<'a>(&mut self, stmt: &Stmt, candidates: impl IntoIterator<Item = &'a str>) {
        let name = &stmt.keyword.text;
        let mut d = Diagnostic::new(
            Severity::Error,
            Class::UnknownKeyword,
            Some(stmt.span()),
            format!("Unknown keyword '{name}'"),
        );
        if let Some(s) = did_you_mean(name, candidates) {
            d = d.with_help(format!("did you mean '{s}'?"));
        }
        self.diags.push(d);
    }

    pub fn push(&mut self, severity: Severity, class: Class, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(severity, class, Some(span), msg));
    }

    /// A problem that upstream reports and works around (the item is skipped or reset).
    pub fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.push(Severity::Error, Class::BadValue, span, msg);
    }

    pub fn warn(&mut self, span: Span, msg: impl Into<String>) {
        self.push(Severity::Warning, Class::Other, span, msg);
    }

    pub fn note(&mut self, span: Span, msg: impl Into<String>) {
        self.push(Severity::Note, Class::NotImplemented, span, msg);
    }

    /// A configuration that cannot run.
    pub fn fatal(&mut self, span: Span, msg: impl Into<String>) {
        self.push(Severity::Fatal, Class::Other, span, msg);
    }

    /// Argument `i`. When it is missing keepalived stops reading the
    /// configuration (`-t` exits 2) with this message, and so do we.
    pub fn arg<'s>(&mut self, stmt: &'s Stmt, i: usize) -> Option<&'s Word> {
        let w = stmt.arg(i);
        if w.is_none() {
            self.missing_parameter(stmt, i);
        }
        w
    }

    /// keepalived's message for a keyword whose argument `i` is missing, at
    /// which it stops reading the configuration.
    pub fn missing_parameter(&mut self, stmt: &Stmt, i: usize) {
        let before = match i.checked_sub(1).and_then(|j| stmt.arg(j)) {
            Some(w) => w.text.as_str(),
            None => stmt.keyword.text.as_str(),
        };
        self.push(
            Severity::Fatal,
            Class::Abort,
            stmt.span(),
            format!(
                "*** Configuration line starting `{}` is missing a parameter after keyword `{before}` at word position {}",
                stmt.keyword.text,
                i + 2
            ),
        );
    }

    /// An integer argument within `[min, max]`; upstream's "invalid" wording otherwise.
    pub fn int_in<N>(&mut self, stmt: &Stmt, i: usize, min: N, max: N) -> Option<N>
    where
        N: std::str::FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        let w = self.arg(stmt, i)?;
        match w.text.parse::<N>() {
            Ok(v) if v >= min && v <= max => Some(v),
            _ => {
                self.not_between(stmt, w, min, max);
                None
            }
        }
    }

    /// A <TIMER>: seconds with an optional fraction, microsecond resolution,
    /// within `[min, max]` seconds.
    pub fn timer_in(&mut self, stmt: &Stmt, i: usize, min: f64, max: f64) -> Option<Duration> {
        let w = self.arg(stmt, i)?;
        match parse_timer(&w.text) {
            Some(d) if d.as_secs_f64() >= min && d.as_secs_f64() <= max => Some(d),
            _ => {
                self.not_between(stmt, w, min, max);
                None
            }
        }
    }

    /// Upstream's "invalid" wording for a value outside `[min, max]`, shared
    /// by [`Ctx::int_in`] and [`Ctx::timer_in`].
    fn not_between(&mut self, stmt: &Stmt, w: &Word, min: impl std::fmt::Display, max: impl std::fmt::Display) {
        self.error(w.span, format!("{} '{}' invalid - must be between {} and {}", stmt.keyword.text, w.text, min, max));
    }

    /// An optional <BOOL> argument: absent means true.
    pub fn bool_opt(&mut self, stmt: &Stmt, i: usize) -> Option<bool> {
        let kw = &stmt.keyword.text;
        self.bool_opt_with(stmt, i, |t| format!("Invalid {kw} value '{t}'"))
    }

    /// An optional <BOOL> argument `i` (absent means true); `msg` words the
    /// part's own complaint about a bad value (given the value's text), so
    /// each keyword keeps upstream's exact message.
    pub fn bool_opt_with(&mut self, stmt: &Stmt, i: usize, msg: impl FnOnce(&str) -> String) -> Option<bool> {
        match stmt.arg(i) {
            None => Some(true),
            Some(w) => match parse_bool(&w.text) {
                Some(b) => Some(b),
                None => {
                    self.error(w.span, msg(&w.text));
                    None
                }
            },
        }
    }

    /// An IP address argument.
    pub fn ip(&mut self, stmt: &Stmt, i: usize) -> Option<IpAddr> {
        let w = self.arg(stmt, i)?;
        match w.text.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.push(
                    Severity::Error,
                    Class::BadValue,
                    w.span,
                    format!("Invalid {} address '{}'", stmt.keyword.text, w.text),
                );
                None
            }
        }
    }

    /// A script given as `STRING|QUOTED-STRING [username [:][groupname]]`
    /// (notify scripts and the like): the first word is the command line,
    /// split at unquoted spaces with `'...'` grouping; the optional words after
    /// it name the user and group.
    pub fn script_with_user(&mut self, stmt: &Stmt) -> Option<Script> {
        let cmd = self.arg(stmt, 0)?;
        let argv = split_command(&cmd.text);
        if argv.is_empty() {
            self.error(cmd.span, format!("{} - empty script", stmt.keyword.text));
            return None;
        }
        let user = stmt.arg(1).map(|w| w.text.clone());
        let (group, supplementary_groups) = script_group(stmt.arg(2).map(|w| w.text.as_str()));
        Some(Script { argv, user, group, supplementary_groups, span: stmt.span() })
    }

    /// A script given as the whole rest of the line (`script` in vrrp_script,
    /// `misc_path`): every argument is part of the command.
    pub fn script_rest(&mut self, stmt: &Stmt) -> Option<Script> {
        self.arg(stmt, 0)?;
        let mut argv = Vec::new();
        for w in &stmt.args {
            if w.quoted && stmt.args.len() == 1 {
                argv.extend(split_command(&w.text));
            } else {
                argv.push(w.text.clone());
            }
        }
        if argv.is_empty() {
            self.error(stmt.span(), format!("{} - empty script", stmt.keyword.text));
            return None;
        }
        Some(Script { argv, span: stmt.span(), ..Script::default() })
    }

    /// Whether interface `name` exists on this machine; when it does not,
    /// reports `msg` (given the name: upstream's wording for whatever names
    /// the interface) at the name, with `severity`.
    pub fn check_interface(
        &mut self,
        sys: &SystemView,
        name: &Spanned<String>,
        severity: Severity,
        msg: impl FnOnce(&str) -> String,
    ) -> bool {
        let exists = sys.has_interface(&name.value);
        if !exists {
            self.push(severity, Class::Reference, name.span, msg(&name.value));
        }
        exists
    }

    /// The worst severity so far.
    pub fn worst(&self) -> Option<Severity> {
        self.diags.iter().map(|d| d.severity).max()
    }
}

/// The `[:][groupname]` word after a script's user: the group, and whether a
/// leading `:` asks for the user's supplementary groups too (`:` alone: only
/// those).
pub(crate) fn script_group(word: Option<&str>) -> (Option<String>, bool) {
    match word {
        Some(g) => match g.strip_prefix(':') {
            Some("") => (None, true),
            Some(g) => (Some(g.to_owned()), true),
            None => (Some(g.to_owned()), false),
        },
        None => (None, false),
    }
}

/// Splits a command line at unquoted whitespace; `'...'` groups words and a
/// backslash escapes the next character.
pub fn split_command(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
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

/// Parses a <BOOL>: on|off|true|false|yes|no.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// Parses a <TIMER>: decimal seconds, microsecond resolution.
pub fn parse_timer(s: &str) -> Option<Duration> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: u64 = 0;
    for (n, b) in frac.bytes().take(6).enumerate() {
        micros += u64::from(b - b'0') * 10u64.pow(5 - n as u32);
    }
    Duration::from_secs(secs).checked_add(Duration::from_micros(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers() {
        assert_eq!(parse_timer("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_timer("0.01"), Some(Duration::from_millis(10)));
        assert_eq!(parse_timer("2.718281"), Some(Duration::from_micros(2_718_281)));
        assert_eq!(parse_timer(".5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timer("x"), None);
        assert_eq!(parse_timer("-1"), None);
        assert_eq!(parse_timer(""), None);
        assert_eq!(parse_timer("99999999999999999999"), None);
    }

    #[test]
    fn commands() {
        assert_eq!(split_command("/bin/x a  'b c' d\\ e"), ["/bin/x", "a", "b c", "d e"]);
        assert_eq!(split_command("  "), Vec::<String>::new());
        assert_eq!(split_command("''"), [""]);
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool("off"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
