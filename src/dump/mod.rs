//! The dump files keepalived writes on signals, in the layout of Debian's
//! keepalived 2.2.7, so that tools parsing them (the Prometheus exporters,
//! admins' scripts) keep working after the swap.
//!
//! Pure formatting from plain data views; the runtimes gather the views and
//! write the files:
//! - [`global`]: the "Global definitions" section every process's `.data`
//!   file starts with (`keepalived_parent.data`, `keepalived.data`,
//!   `keepalived_check.data`).
//! - [`check`]: the checker child's `keepalived_check.data` (virtual and real
//!   servers) from a [`check::CheckerView`].
//!
//! The VRRP child's own sections, `keepalived.stats` and `keepalived.json`
//! are in `vrrp::runtime::dump`.

pub(crate) mod check;
pub(crate) mod global;
pub(crate) mod users;

use std::fmt::Write as _;

/// The `.data` file of a child written from its configuration alone: the
/// checker child's (`keepalived_check.data`, every run-time figure at its
/// starting value: the hook its runtime replaces, see [`check`]) and the BFD
/// child's (global definitions, then the BFD part as `-d` shows it).
pub(crate) fn config_data(
    process: global::Process,
    cfg: &crate::config::model::Config,
    namespace: Option<&str>,
    umask: Option<u32>,
) -> String {
    let owned = global::OwnedGlobals::of(cfg);
    let head = global::process_data(owned.view(), process, namespace, umask);
    match process {
        global::Process::Checker => checker_data(cfg, namespace, umask, |_| {}),
        global::Process::Bfd => head + &crate::config::dump_part(cfg, Some(crate::config::model::Part::Bfd)),
        global::Process::Parent | global::Process::Vrrp => head,
    }
}

/// The checker child's `keepalived_check.data`: the global definitions,
/// then the checker part built from the configuration, whose run-time
/// fields `fill` sets from what runs (see [`check`]).
pub(crate) fn checker_data(
    cfg: &crate::config::model::Config,
    namespace: Option<&str>,
    umask: Option<u32>,
    fill: impl FnOnce(&mut check::CheckerView),
) -> String {
    let owned = global::OwnedGlobals::of(cfg);
    let head = global::process_data(owned.view(), global::Process::Checker, namespace, umask);
    let users = users::Users::system(cfg.global.script_user.as_ref(), cfg.global.use_symlink_paths);
    let mut view = check::CheckerView::from_config(&cfg.lvs, &users, cfg.global.smtp.alert);
    fill(&mut view);
    check::data(&head, &view)
}

/// Lines of a dump file, each ended by a newline as keepalived's
/// `conf_write` ends them.
#[derive(Debug, Default)]
pub(crate) struct Lines(pub String);

impl Lines {
    /// Appends one line.
    pub(crate) fn line(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }
}

/// Appends one formatted line to a [`Lines`].
macro_rules! line {
    ($out:expr, $($arg:tt)*) => { $out.line(format_args!($($arg)*)) };
}
pub(crate) use line;

/// A number as C's `printf("%g")` prints it: six significant digits,
/// trailing zeros dropped, an exponent outside 1e-4 .. 1e6.
pub(crate) fn fmt_g(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return format!("{x}");
    }
    let exp = x.abs().log10().floor() as i32;
    // Rounding to 6 digits may carry into the next power of ten.
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    let exp = if rounded.abs() >= 10f64.powi(exp + 1) { exp + 1 } else { exp };
    if !(-4..6).contains(&exp) {
        let s = format!("{x:.5e}");
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = trim_zeros(mant);
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = usize::try_from(5 - exp).unwrap_or(0);
    trim_zeros(&format!("{x:.decimals$}")).to_owned()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// A wall-clock instant as keepalived prints it: `SECS.USECS (Www Mmm dd
/// hh:mm:ss.uuuuuu yyyy)` in local time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub secs: i64,
    pub usecs: u32,
}

impl Stamp {
    /// The instant `d` after the epoch.
    pub(crate) fn from_epoch(d: std::time::Duration) -> Stamp {
        Stamp { secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX), usecs: d.subsec_micros() }
    }

    /// `1796420202.988748 (Fri Dec  4 21:36:42.988748 2026)`.
    pub(crate) fn long(self) -> String {
        let c = crate::log::console_time(self.secs);
        // ctime's "Www Mmm dd hh:mm:ss yyyy": the microseconds go after the seconds.
        let text = match (c.get(..19), c.get(19..)) {
            (Some(a), Some(b)) if c.len() == 24 => format!("{a}.{:06}{b}", self.usecs),
            _ => c,
        };
        format!("{}.{:06} ({text})", self.secs, self.usecs)
    }

    /// Seconds as a float (`last_transition` in keepalived.json).
    pub(crate) fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.usecs) / 1e6
    }
}

/// A script's command line as keepalived shows it: each word in single
/// quotes, except a first word that is only a redirection (`<file`).
pub(crate) fn cmd_str(argv: &[String]) -> String {
    let mut out = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i == 0 && (a.starts_with('<') || a.starts_with('>')) {
            out.push_str(a);
        } else {
            out.push('\'');
            out.push_str(a);
            out.push('\'');
        }
    }
    out
}

/// "true"/"false" as keepalived writes booleans.
pub(crate) fn tf(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// "yes"/"no".
pub(crate) fn yn(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_is_printf_like() {
        for (x, want) in [
            (0.0, "0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (3.0, "3"),
            (0.1, "0.1"),
            (1.25, "1.25"),
            (100.0, "100"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (999999.5, "1e+06"),
            (-2.5, "-2.5"),
            (1796420202.988748, "1.79642e+09"),
        ] {
            assert_eq!(fmt_g(x), want, "{x}");
        }
    }

    #[test]
    fn command_lines_are_quoted_as_keepalived_quotes_them() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(cmd_str(&v(&["/usr/bin/true"])), "'/usr/bin/true'");
        assert_eq!(cmd_str(&v(&["/bin/sh", "-c", "exit 0"])), "'/bin/sh' '-c' 'exit 0'");
        assert_eq!(cmd_str(&v(&["</dev/tcp/1.2.3.4/80"])), "</dev/tcp/1.2.3.4/80");
    }

    #[test]
    fn stamps_carry_microseconds_into_the_date() {
        let s = Stamp { secs: 1_700_000_000, usecs: 42 };
        let l = s.long();
        assert!(l.starts_with("1700000000.000042 ("), "{l}");
        assert!(l.ends_with(".000042 2023)"), "{l}");
        assert!((s.as_f64() - 1_700_000_000.000042).abs() < 1e-6);
    }
}
