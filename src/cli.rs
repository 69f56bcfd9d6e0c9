//! keepalived's command line: the same options, spellings and defaults as
//! keepalived 2.4 (see keepalived(8)), parsed with clap.
//!
//! `-h`, `-v` and parse errors are rendered here in keepalived's style rather
//! than clap's, because admins and scripts see them.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

/// The default configuration file.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/keepalived/keepalived.conf";
/// Where `-g` without a file name logs to.
pub(crate) const DEFAULT_LOG_FILE: &str = "/tmp/keepalived.log";

/// Every option of `keepalived`.
#[derive(Clone, Debug, Parser, PartialEq, Eq)]
#[command(name = "keepalived", disable_help_flag = true, disable_version_flag = true, args_override_self = true)]
pub struct Options {
    /// -f, --use-file=FILE
    #[arg(short = 'f', long = "use-file", value_name = "FILE", allow_hyphen_values = true, default_value = DEFAULT_CONFIG_FILE)]
    pub use_file: PathBuf,
    /// -P, --vrrp: only the VRRP subsystem.
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// -C, --check: only the health-checker subsystem.
    #[arg(short = 'C', long = "check")]
    pub check_only: bool,
    /// -B, --no_bfd
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// --all: run every child even without configuration.
    #[arg(long = "all")]
    pub all: bool,
    /// -l, --log-console
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// -D, --log-detail (twice: extra detail)
    #[arg(short = 'D', long = "log-detail", action = clap::ArgAction::Count)]
    pub log_detail: u8,
    /// -S, --log-facility={0-7|local{0-7}|user|daemon}
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY", allow_hyphen_values = true, value_parser = parse_facility)]
    pub log_facility: Option<Facility>,
    /// -g, --log-file[=FILE]
    #[arg(short = 'g', long = "log-file", value_name = "FILE", num_args = 0..=1, require_equals = true,
          default_missing_value = DEFAULT_LOG_FILE)]
    pub log_file: Option<PathBuf>,
    /// --flush-log-file
    #[arg(long = "flush-log-file")]
    pub flush_log_file: bool,
    /// -G, --no-syslog
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// -u, --umask=MASK (numeric, as strtol base 0 reads it)
    #[arg(short = 'u', long = "umask", value_name = "MASK", allow_hyphen_values = true, value_parser = parse_umask)]
    pub umask: Option<u32>,
    /// -X, --release-vips
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// -V, --dont-release-vrrp
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// -I, --dont-release-ipvs
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// -R, --dont-respawn
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// -n, --dont-fork
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// -d, --dump-conf
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// -p, --pid=FILE
    #[arg(short = 'p', long = "pid", value_name = "FILE", allow_hyphen_values = true)]
    pub pid: Option<PathBuf>,
    /// -r, --vrrp_pid=FILE
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE", allow_hyphen_values = true)]
    pub vrrp_pid: Option<PathBuf>,
    /// -c, --checkers_pid=FILE
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE", allow_hyphen_values = true)]
    pub checkers_pid: Option<PathBuf>,
    /// -b, --bfd_pid=FILE
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE", allow_hyphen_values = true)]
    pub bfd_pid: Option<PathBuf>,
    /// -T, --genhash: handled before parsing (see [`genhash_args`]).
    #[arg(short = 'T', long = "genhash")]
    pub genhash: bool,
    /// -a, --address-monitoring
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,
    /// -s, --namespace=NAME
    #[arg(short = 's', long = "namespace", value_name = "NAME", allow_hyphen_values = true)]
    pub namespace: Option<String>,
    /// -e, --all-config
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// -i, --config-id ID
    #[arg(short = 'i', long = "config-id", value_name = "ID", allow_hyphen_values = true)]
    pub config_id: Option<String>,
    /// -x, --snmp
    #[arg(short = 'x', long = "snmp")]
    pub snmp: bool,
    /// -A, --snmp-agent-socket=FILE
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE", allow_hyphen_values = true)]
    pub snmp_agent_socket: Option<String>,
    /// -m, --core-dump
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// -M, --core-dump-pattern[=PATN]
    #[arg(short = 'M', long = "core-dump-pattern", value_name = "PATN", num_args = 0..=1, require_equals = true,
          default_missing_value = "core")]
    pub core_dump_pattern: Option<String>,
    /// --signum=SIGFUNC
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,
    /// -t, --config-test[=LOG_FILE]: `Some(None)` tests with output to stderr.
    #[arg(short = 't', long = "config-test", value_name = "LOG_FILE", num_args = 0..=1, require_equals = true)]
    pub config_test: Option<Option<PathBuf>>,
    /// --perf[={all|run|end}]
    #[arg(long = "perf", value_name = "WHEN", num_args = 0..=1, require_equals = true, default_missing_value = "run",
          value_parser = ["all", "run", "end"])]
    pub perf: Option<String>,
    /// --debug[=debug-options]
    #[arg(long = "debug", value_name = "OPTIONS", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub debug: Option<String>,
    /// --no-mem-check
    #[arg(long = "no-mem-check")]
    pub no_mem_check: bool,
    /// --ignore-sigint
    #[arg(long = "ignore-sigint")]
    pub ignore_sigint: bool,
    /// -v, --version
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// -h, --help
    #[arg(short = 'h', long = "help")]
    pub help: bool,
    /// Internal: run as the given child process (set by the parent when it
    /// re-executes itself).
    #[arg(long = "child", hide = true, value_name = "KIND")]
    pub child: Option<String>,
    /// Internal: the directory keepalived was started from (the parent passes
    /// it to its children, which run from "/").
    #[arg(long = "start-dir", hide = true, value_name = "DIR")]
    pub start_dir: Option<PathBuf>,
    /// Internal: the pid of the parent that started this child.
    #[arg(long = "child-of", hide = true, value_name = "PID")]
    pub child_of: Option<i32>,
    /// Internal: the descriptor a child writes a byte to each time it has
    /// read the configuration (for `reload_file`).
    #[arg(long = "config-read-fd", hide = true, value_name = "FD")]
    pub config_read_fd: Option<i32>,
    /// Words that are not options: reported and ignored, as upstream does.
    #[arg(hide = true, trailing_var_arg = false)]
    pub unexpected: Vec<String>,
}

/// A syslog facility (the `-S` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facility {
    Daemon,
    User,
    /// LOG_LOCAL0..=7
    Local(u8),
}

impl Facility {
    /// The facility code of RFC 5424 section 6.2.1 (LOG_DAEMON is 3).
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Daemon => 3,
            Facility::Local(n) => 16 + n.min(7),
        }
    }
}

fn parse_facility(s: &str) -> Result<Facility, String> {
    let local = |n: &str| n.parse::<u8>().ok().filter(|n| *n <= 7).map(Facility::Local);
    let f = match s {
        "daemon" => Some(Facility::Daemon),
        "user" => Some(Facility::User),
        _ => s.strip_prefix("local").map_or_else(|| local(s), local),
    };
    f.ok_or_else(|| format!("Invalid log facility '{s}'"))
}

fn parse_umask(s: &str) -> Result<u32, String> {
    // strtol base 0: 0x.. hex, 0.. octal, otherwise decimal.
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8)
    } else {
        s.parse::<u32>()
    };
    match v {
        Ok(v) if v & !0o777 == 0 => Ok(v),
        _ => Err(format!("Invalid --umask option {s}")),
    }
}

/// What `main` should do after parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run (or test) with these options.
    Run(Box<Options>),
    /// Print this to stdout and exit with the code (`--signum`).
    Stdout(String, u8),
    /// Print this to stderr and exit with the code (`-v`, `-h`, errors).
    Stderr(String, u8),
}

/// Parses a full argv (program name first).
pub fn parse<I, T>(args: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = attach_optional_values(args.into_iter().map(Into::into).collect());
    let prog = args.first().map(|a| a.to_string_lossy().into_owned()).unwrap_or_else(|| "keepalived".into());
    let opts = match Options::try_parse_from(&args) {
        Ok(o) => o,
        Err(e) => return Parsed::Stderr(error_text(&e, &args), 1),
    };
    if opts.version {
        return Parsed::Stderr(version_text(), 0);
    }
    if opts.help {
        return Parsed::Stderr(usage(&prog), 0);
    }
    if let Some(name) = &opts.signum {
        return match signum(name) {
            Some(n) => Parsed::Stdout(format!("{n}\n"), 0),
            None => Parsed::Stderr(format!("Unknown sigfunc {name}\n"), 1),
        };
    }
    Parsed::Run(Box::new(opts))
}

/// Short options whose value is optional (getopt `x::`): the value can only be
/// attached (`-t/tmp/out`). clap wants `=` there, so such words are rewritten
/// to the long form first.
const OPTIONAL_SHORTS: &[(char, &str)] = &[('t', "config-test"), ('g', "log-file"), ('M', "core-dump-pattern")];
/// Short options that take a required value (the rest of the word is that value).
const VALUE_SHORTS: &str = "fSuprcbsiA";

fn attach_optional_values(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    out.extend(iter.next());
    let mut takes_value = false;
    for a in iter.by_ref() {
        let Some(s) = a.to_str().filter(|s| !takes_value && s.len() > 2 && s.starts_with('-') && !s.starts_with("--"))
        else {
            takes_value = a.to_str().is_some_and(|s| s.len() == 2 && VALUE_SHORTS.contains(&s[1..]));
            if a == "--" {
                out.push(a);
                break;
            }
            out.push(a);
            continue;
        };
        takes_value = false;
        let mut split = None;
        for (i, c) in s.char_indices().skip(1) {
            if VALUE_SHORTS.contains(c) {
                takes_value = i + c.len_utf8() == s.len();
                break;
            }
            if let Some((_, long)) = OPTIONAL_SHORTS.iter().find(|(o, _)| *o == c) {
                let rest = &s[i + c.len_utf8()..];
                if !rest.is_empty() {
                    split = Some((&s[..i], *long, rest));
                }
                break;
            }
        }
        match split {
            Some((prefix, long, value)) => {
                if prefix.len() > 1 {
                    out.push(prefix.into());
                }
                out.push(format!("--{long}={value}").into());
            }
            None => out.push(a),
        }
    }
    out.extend(iter);
    out
}

/// The arguments for genhash when `-T`/`--genhash` is the first option
/// (keepalived then behaves as genhash with the remaining arguments).
pub fn genhash_args(args: &[OsString]) -> Option<&[OsString]> {
    match args.get(1).and_then(|a| a.to_str()) {
        Some("-T") | Some("--genhash") => args.get(2..),
        _ => None,
    }
}

/// Upstream-style wording for a parse error.
fn error_text(e: &clap::Error, args: &[OsString]) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    // clap names an argument as "-f <FILE>" or "--use-file <FILE>"; keep the flag.
    let flag = arg.split([' ', '=']).next().unwrap_or_default().to_owned();
    match e.kind() {
        ErrorKind::UnknownArgument => format!("Unknown option {}\n", first_unknown(&flag, args)),
        ErrorKind::InvalidValue | ErrorKind::NoEquals if missing_value(e) => {
            format!("Missing parameter for option {}\n", short_or_long(&flag, args))
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let val = match e.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            if flag.contains("log-facility") || flag == "-S" {
                format!("Invalid log facility '{val}'\n")
            } else if flag.contains("umask") || flag == "-u" {
                format!("Invalid --umask option {val}\n")
            } else {
                format!("Invalid parameter '{val}' for option {}\n", short_or_long(&flag, args))
            }
        }
        ErrorKind::ArgumentConflict => format!("Option {} given more than once\n", short_or_long(&flag, args)),
        _ => {
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or_default().trim_start_matches("error: ");
            format!("{first}\n")
        }
    }
}

fn missing_value(e: &clap::Error) -> bool {
    use clap::error::{ContextKind, ContextValue};
    matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(s)) if s.is_empty())
        || e.get(ContextKind::InvalidValue).is_none()
}

/// The spelling the user typed for an option clap reports by its long name.
fn short_or_long(flag: &str, args: &[OsString]) -> String {
    if flag.starts_with("--") {
        // If the user typed the short form, report that, as getopt does.
        let long = flag.trim_start_matches("--");
        if let Some(short) = SHORTS.iter().find(|(_, l)| *l == long).map(|(s, _)| *s) {
            let typed_short = args.iter().skip(1).any(|a| a.to_str().is_some_and(|a| a == format!("-{short}")));
            let typed_long = args.iter().skip(1).any(|a| a.to_str().is_some_and(|a| a.starts_with(flag)));
            if typed_short && !typed_long {
                return format!("-{short}");
            }
        }
    }
    flag.to_owned()
}

fn first_unknown(flag: &str, args: &[OsString]) -> String {
    if flag.is_empty() {
        return args.get(1).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
    }
    flag.to_owned()
}

/// Short option letters and their long names, for error messages.
const SHORTS: &[(char, &str)] = &[
    ('f', "use-file"),
    ('S', "log-facility"),
    ('g', "log-file"),
    ('u', "umask"),
    ('p', "pid"),
    ('r', "vrrp_pid"),
    ('c', "checkers_pid"),
    ('b', "bfd_pid"),
    ('s', "namespace"),
    ('i', "config-id"),
    ('A', "snmp-agent-socket"),
    ('M', "core-dump-pattern"),
    ('t', "config-test"),
];

/// The signal number for a `--signum` function name, as keepalived maps them.
/// TDATA/TDUMP exist only in upstream builds with thread dumps, which Debian's
/// and ours are not, so they are unknown here too.
pub fn signum(name: &str) -> Option<i32> {
    use crate::signals;
    match name {
        "STOP" => Some(libc::SIGTERM),
        "RELOAD" => Some(libc::SIGHUP),
        "DATA" => Some(libc::SIGUSR1),
        "STATS" => Some(libc::SIGUSR2),
        "STATS_CLEAR" => Some(signals::stats_clear()),
        "JSON" => Some(signals::json()),
        _ => None,
    }
}

/// Our version string, as logged at start-up.
pub fn version_string() -> String {
    format!("Keepalived-rs v{}", env!("CARGO_PKG_VERSION"))
}

/// The `-v` text.
pub fn version_text() -> String {
    let os = |f: &str| std::fs::read_to_string(format!("/proc/sys/kernel/{f}")).unwrap_or_default().trim().to_owned();
    format!(
        "{}\n\n\
         Copyright (C) the keepalived-rs contributors. A memory-safe reimplementation of keepalived,\n\
         whose design and configuration language are the work of Alexandre Cassen and its other authors.\n\
         Licensed under the GNU General Public License, version 2 or (at your choice) any later version.\n\
         This program comes with no warranty of any kind.\n\n\
         Running on {} {} {}\n",
        version_string(),
        os("ostype"),
        os("osrelease"),
        os("version"),
    )
}

/// The `-h` text, laid out like keepalived's.
pub fn usage(prog: &str) -> String {
    const LINES: &[(&str, &str)] = &[
        ("  -f, --use-file=FILE", "Read the configuration from FILE"),
        ("", " default '/etc/keepalived/keepalived.conf'"),
        ("  -P, --vrrp", "Run only the VRRP subsystem"),
        ("  -C, --check", "Run only the health-checker subsystem"),
        ("  -B, --no_bfd", "Do not run the BFD subsystem"),
        ("      --all", "Start every child process, even one with nothing configured"),
        ("  -l, --log-console", "Log to the console (stderr)"),
        ("  -D, --log-detail", "Log in more detail"),
        ("  -S, --log-facility=([0-7]|local[0-7]|user|daemon)", ""),
        ("", "Syslog facility LOG_LOCAL[0-7], LOG_USER or LOG_DAEMON (default)"),
        ("  -g, --log-file=FILE", "Also log to FILE (default /tmp/keepalived.log)"),
        ("      --flush-log-file", "Flush the log file after every line"),
        ("  -G, --no-syslog", "Do not log to syslog"),
        ("  -u, --umask=MASK", "Numeric umask for the files we create"),
        ("  -X, --release-vips", "Drop VIPs on a transition caused by a signal"),
        ("  -V, --dont-release-vrrp", "Leave VRRP VIPs and VROUTEs in place on stop"),
        ("  -I, --dont-release-ipvs", "Leave the IPVS table in place on stop"),
        ("  -R, --dont-respawn", "Do not restart child processes that die"),
        ("  -n, --dont-fork", "Stay in the foreground"),
        ("  -d, --dump-conf", "Dump the configuration"),
        ("  -p, --pid=FILE", "Pid file of the parent process"),
        ("  -r, --vrrp_pid=FILE", "Pid file of the VRRP child process"),
        ("  -T, --genhash", "Behave as genhash (must be the first option)"),
        ("  -c, --checkers_pid=FILE", "Pid file of the checker child process"),
        ("  -a, --address-monitoring", "Log every address added or removed (netlink)"),
        ("  -b, --bfd_pid=FILE", "Pid file of the BFD child process"),
        ("  -x, --snmp", "Enable the SNMP subsystem"),
        ("  -A, --snmp-agent-socket=FILE", "Socket of the SNMP master agent"),
        ("  -s, --namespace=NAME", "Run in network namespace NAME (overrides the configuration)"),
        ("  -m, --core-dump", "Allow a core dump if we terminate abnormally"),
        ("  -M, --core-dump-pattern=PATN", "Also set /proc/sys/kernel/core_pattern to PATN (default 'core')"),
        ("  -e, --all-config", "Fail if any configuration file is missing (as includet)"),
        ("  -i, --config-id id", "Keep '@id' lines and drop '@^id' lines; other '@' lines"),
        ("", " are dropped. Defaults to the host name without its domain"),
        ("      --signum=SIGFUNC", "Print the signal number for STOP, RELOAD, DATA, STATS,"),
        ("", " STATS_CLEAR or JSON"),
        ("  -t, --config-test[=LOG_FILE]", "Check the configuration and exit; messages go to"),
        ("", " stderr, or to LOG_FILE"),
        ("      --perf[={all|run|end}]", "Record perf data for the VRRP process"),
        ("      --no-mem-check", "Accepted for compatibility (no malloc checker to disable)"),
        ("      --ignore-sigint", "Do not stop on SIGINT (for debuggers)"),
        ("      --debug[=debug-options]", "Enable debug options"),
        ("  -v, --version", "Print the version and exit"),
        ("  -h, --help", "Print this help and exit"),
    ];
    let mut out = format!("Usage: {prog} [OPTION...]\n");
    for (opt, text) in LINES {
        if text.is_empty() {
            out.push_str(&format!("{opt}\n"));
        } else if opt.is_empty() {
            out.push_str(&format!("{:31}{text}\n", ""));
        } else if opt.len() >= 30 {
            out.push_str(&format!("{opt} {text}\n"));
        } else {
            out.push_str(&format!("{opt:<31}{text}\n"));
        }
    }
    out
}

impl Options {
    /// Options accepted for compatibility whose subsystem keepalived-rs does not
    /// have yet: one line each, logged at start-up.
    pub(crate) fn not_yet_notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut note = |on: bool, opt: &str, what: &str| {
            if on {
                v.push(format!("Option {opt} accepted but not acted on: keepalived-rs has no {what} yet"));
            }
        };
        note(self.snmp, "--snmp", "SNMP subsystem");
        note(self.snmp_agent_socket.is_some(), "--snmp-agent-socket", "SNMP subsystem");
        note(self.perf.is_some(), "--perf", "perf recording");
        note(self.debug.is_some(), "--debug", "debug options");
        note(self.address_monitoring, "--address-monitoring", "netlink address monitor");
        note(self.core_dump_pattern.is_some(), "--core-dump-pattern", "core_pattern handling");
        note(self.release_vips, "--release-vips", "VRRP runtime");
        note(self.dont_release_vrrp, "--dont-release-vrrp", "VRRP runtime");
        if self.no_mem_check {
            v.push("Option --no-mem-check has no effect: keepalived-rs has no malloc checker".to_owned());
        }
        v
    }

    /// The log file for a process: `-g FILE` with `_vrrp`, `_healthcheckers` or
    /// `_bfd` inserted before the last '.' of the file name.
    pub(crate) fn log_file_for(&self, suffix: Option<&str>) -> Option<PathBuf> {
        let base = self.log_file.as_ref()?;
        let Some(suffix) = suffix else { return Some(base.clone()) };
        let name = base.file_name()?.to_string_lossy().into_owned();
        let new = match name.rfind('.') {
            Some(i) if i > 0 => format!("{}_{suffix}{}", &name[..i], &name[i..]),
            _ => format!("{name}_{suffix}"),
        };
        Some(base.with_file_name(new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        match parse(std::iter::once("keepalived").chain(args.iter().copied())) {
            Parsed::Run(o) => *o,
            other => panic!("not a run: {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        match parse(std::iter::once("keepalived").chain(args.iter().copied())) {
            Parsed::Stderr(s, 1) => s,
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = run(&[]);
        assert_eq!(o.use_file, PathBuf::from(DEFAULT_CONFIG_FILE));
        assert_eq!(o.config_test, None);
        assert_eq!(o.log_file, None);
        assert!(!o.dont_fork);
    }

    #[test]
    fn short_and_long_spellings() {
        let o = run(&["-f", "/x.conf", "-PnlDD", "-S", "local3", "--vrrp_pid=/v", "-c", "/c", "--bfd_pid", "/b"]);
        assert_eq!(o.use_file, PathBuf::from("/x.conf"));
        assert!(o.vrrp_only && o.dont_fork && o.log_console);
        assert_eq!(o.log_detail, 2);
        assert_eq!(o.log_facility, Some(Facility::Local(3)));
        assert_eq!(o.vrrp_pid, Some(PathBuf::from("/v")));
        assert_eq!(o.checkers_pid, Some(PathBuf::from("/c")));
        assert_eq!(o.bfd_pid, Some(PathBuf::from("/b")));
        assert_eq!(run(&["-S", "7"]).log_facility, Some(Facility::Local(7)));
        // Repeated options: counts add up, values are overridden (getopt: the last wins).
        assert_eq!(run(&["-D", "-n", "-D"]).log_detail, 2);
        assert_eq!(run(&["-f", "/a", "-f", "/b"]).use_file, PathBuf::from("/b"));
        assert!(run(&["-n", "-n"]).dont_fork);
        let o = run(&["-n", "stray", "words"]);
        assert_eq!(o.unexpected, ["stray", "words"]);
        assert_eq!(run(&["--log-facility=user"]).log_facility.map(Facility::code), Some(1));
    }

    #[test]
    fn optional_values() {
        assert_eq!(run(&["-t"]).config_test, Some(None));
        assert_eq!(run(&["--config-test=/tmp/o"]).config_test, Some(Some(PathBuf::from("/tmp/o"))));
        assert_eq!(run(&["-t/tmp/o"]).config_test, Some(Some(PathBuf::from("/tmp/o"))));
        let o = run(&["-nt/tmp/o", "-f", "-tx"]);
        assert_eq!((o.dont_fork, o.config_test, o.use_file), (true, Some(Some("/tmp/o".into())), PathBuf::from("-tx")));
        let o = run(&["-ltx", "-Mcore.%p"]);
        assert_eq!(o.config_test, Some(Some(PathBuf::from("x"))));
        assert_eq!(o.core_dump_pattern.as_deref(), Some("core.%p"));
        assert_eq!(run(&["-g"]).log_file, Some(PathBuf::from(DEFAULT_LOG_FILE)));
        assert_eq!(run(&["--log-file=/var/log/k.log"]).log_file, Some(PathBuf::from("/var/log/k.log")));
        assert_eq!(run(&["-M"]).core_dump_pattern.as_deref(), Some("core"));
        assert_eq!(run(&["--perf"]).perf.as_deref(), Some("run"));
        assert_eq!(run(&["--perf=end"]).perf.as_deref(), Some("end"));
        // An optional value is never taken from the next word.
        let o = run(&["-t", "-f", "/k.conf"]);
        assert_eq!((o.config_test, o.use_file), (Some(None), PathBuf::from("/k.conf")));
    }

    #[test]
    fn umask_is_numeric() {
        assert_eq!(run(&["-u", "022"]).umask, Some(0o22));
        assert_eq!(run(&["--umask=0x1f"]).umask, Some(0x1f));
        assert_eq!(err(&["-u", "999"]), "Invalid --umask option 999\n");
    }

    #[test]
    fn errors_in_upstream_words() {
        assert_eq!(err(&["--bogus"]), "Unknown option --bogus\n");
        assert_eq!(err(&["-f"]), "Missing parameter for option -f\n");
        assert_eq!(err(&["-S", "local9"]), "Invalid log facility 'local9'\n");
    }

    #[test]
    fn signums() {
        assert_eq!(signum("STOP"), Some(15));
        assert_eq!(signum("RELOAD"), Some(1));
        assert_eq!(signum("DATA"), Some(10));
        assert_eq!(signum("STATS"), Some(12));
        assert_eq!(signum("STATS_CLEAR"), Some(libc::SIGRTMAX() - 1));
        assert_eq!(signum("JSON"), Some(libc::SIGRTMIN() + 2));
        assert_eq!(signum("TDATA"), None);
        assert_eq!(signum("stop"), None);
    }

    #[test]
    fn log_file_names_per_process() {
        let o = run(&["-g/var/log/keepalived.log"]);
        assert_eq!(o.log_file_for(None), Some(PathBuf::from("/var/log/keepalived.log")));
        assert_eq!(o.log_file_for(Some("vrrp")), Some(PathBuf::from("/var/log/keepalived_vrrp.log")));
        let o = run(&["--log-file=/tmp/klog"]);
        assert_eq!(o.log_file_for(Some("bfd")), Some(PathBuf::from("/tmp/klog_bfd")));
    }

    #[test]
    fn help_lists_every_option() {
        let u = usage("keepalived");
        for opt in [
            "--use-file",
            "--vrrp",
            "--check",
            "--no_bfd",
            "--all",
            "--log-console",
            "--log-detail",
            "--log-facility",
            "--log-file",
            "--flush-log-file",
            "--no-syslog",
            "--umask",
            "--release-vips",
            "--dont-release-vrrp",
            "--dont-release-ipvs",
            "--dont-respawn",
            "--dont-fork",
            "--dump-conf",
            "--pid",
            "--vrrp_pid",
            "--genhash",
            "--checkers_pid",
            "--address-monitoring",
            "--bfd_pid",
            "--snmp",
            "--snmp-agent-socket",
            "--namespace",
            "--core-dump",
            "--core-dump-pattern",
            "--all-config",
            "--config-id",
            "--signum",
            "--config-test",
            "--perf",
            "--no-mem-check",
            "--ignore-sigint",
            "--debug",
            "--version",
            "--help",
        ] {
            assert!(u.contains(opt), "{opt} missing from --help");
        }
        assert!(u.starts_with("Usage: keepalived [OPTION...]\n"));
    }
}
