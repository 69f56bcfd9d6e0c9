//! Logging: a `tracing` subscriber that writes keepalived-style lines.
//!
//! - syslog (default): RFC 3164 lines sent to the /dev/log datagram socket,
//!   facility LOG_DAEMON unless `-S`, ident `Keepalived`, `Keepalived_vrrp`...
//!   with `_NAMESPACE` and `_INSTANCE` appended once the configuration names
//!   them (global_defs `net_namespace` / `-s`, `instance`), as keepalived
//!   re-opens syslog after reading its configuration ([`set_ident`]).
//! - `-l`: the console (stderr), each line prefixed with the local time as
//!   keepalived prints it (`Thu Nov 26 12:01:23 2026: `).
//! - `-g[FILE]`: a log file (per-process names, see [`crate::cli::Options::log_file_for`]),
//!   flushed after each line with `--flush-log-file`.
//! - `-D`: detail (debug events); `-DD`: trace events too.
//!
//! Callers emit keepalived's message text; fields other than the message are
//! appended as `key=value`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Where and how to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogOptions {
    /// The syslog ident, e.g. `Keepalived_vrrp`.
    pub ident: String,
    /// The syslog facility code (3 = LOG_DAEMON).
    pub facility: u8,
    /// Send to syslog (/dev/log).
    pub syslog: bool,
    /// Write to stderr.
    pub console: bool,
    /// Also write to this file.
    pub file: Option<PathBuf>,
    /// Flush the file after each line.
    pub flush_file: bool,
    /// `-D` count.
    pub detail: u8,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            ident: "Keepalived".into(),
            facility: 3,
            syslog: true,
            console: false,
            file: None,
            flush_file: false,
            detail: 0,
        }
    }
}

/// The syslog ident of a process: `base`, then `_NAMESPACE` and `_INSTANCE` when set.
pub fn ident(base: &str, namespace: Option<&str>, instance: Option<&str>) -> String {
    let mut s = base.to_owned();
    for part in [namespace, instance].into_iter().flatten() {
        s.push('_');
        s.push_str(part);
    }
    s
}

/// The syslog ident of the installed subscriber, for [`set_ident`].
static ACTIVE_IDENT: OnceLock<Arc<Mutex<String>>> = OnceLock::new();

/// Installs the global subscriber. Later calls (a second init in one process)
/// are ignored, so tests may call it freely.
pub fn init(opts: &LogOptions) {
    let layer = KeepalivedLayer::new(opts);
    let handle = layer.ident_handle();
    if tracing_subscriber::registry().with(layer).try_init().is_ok() {
        let _ = ACTIVE_IDENT.set(handle);
    }
}

/// Changes the syslog ident of the installed subscriber (keepalived's
/// `openlog` again once the configuration names the namespace or instance).
pub fn set_ident(ident: &str) {
    if let Some(h) = ACTIVE_IDENT.get()
        && let Ok(mut g) = h.lock()
        && *g != ident
    {
        *g = ident.to_owned();
    }
}

/// The process's syslog ident from its configuration: `base` (`Keepalived`,
/// `Keepalived_vrrp`...), then `_NAMESPACE` (`-s`, else global_defs
/// `net_namespace`) and `_INSTANCE` (global_defs `instance`).
pub fn config_ident(
    base: &str,
    namespace: Option<&str>,
    global: &crate::config::model::global::GlobalConfig,
) -> String {
    let ns = namespace.or(global.net_namespace.as_ref().map(|n| n.value.as_str()));
    ident(base, ns, global.instance.as_ref().map(|i| i.value.as_str()))
}

/// What a reload may not change, in keepalived's words (it then keeps the
/// running configuration and says so, one line each). `namespace_in_use`:
/// the namespace the process runs in; when it is not the one the old
/// configuration names, `-s` chose it and the file's value does not matter.
pub fn reload_blockers(
    old: &crate::config::model::global::GlobalConfig,
    new: &crate::config::model::global::GlobalConfig,
    namespace_in_use: Option<&str>,
) -> Vec<String> {
    let v = |o: &Option<crate::config::build::Spanned<String>>| o.as_ref().map(|s| s.value.clone());
    let mut out = Vec::new();
    let mut check = |changed: bool, what: &str| {
        if changed {
            out.push(format!("Cannot change {what} at a reload - please restart keepalived"));
        }
    };
    let overridden = namespace_in_use != v(&old.net_namespace).as_deref();
    check(!overridden && v(&old.net_namespace) != v(&new.net_namespace), "network namespace");
    check(v(&old.net_namespace_ipvs) != v(&new.net_namespace_ipvs), "IPVS network namespace");
    check(v(&old.instance) != v(&new.instance), "instance name");
    check(v(&old.nftables) != v(&new.nftables), "nftables table name");
    check(v(&old.tmp_config_directory) != v(&new.tmp_config_directory), "config_directory");
    check(old.disable_local_igmp != new.disable_local_igmp, "disable_local_igmp");
    out
}

/// The layer that formats and writes every event.
pub struct KeepalivedLayer {
    max: Level,
    console: bool,
    syslog: Option<Syslog>,
    file: Option<Mutex<BufWriter<File>>>,
    flush_file: bool,
}

impl KeepalivedLayer {
    /// The ident its syslog lines carry, shared so that it can change.
    pub fn ident_handle(&self) -> Arc<Mutex<String>> {
        self.syslog.as_ref().map_or_else(|| Arc::new(Mutex::new(String::new())), |s| s.ident.clone())
    }

    /// A layer writing as `opts` says. A log file that cannot be opened is
    /// reported on stderr and skipped.
    pub fn new(opts: &LogOptions) -> Self {
        Self::with_syslog_socket(opts, Path::new(DEV_LOG))
    }

    /// As [`KeepalivedLayer::new`], with syslog lines sent to `socket` instead of /dev/log.
    pub fn with_syslog_socket(opts: &LogOptions, socket: &Path) -> Self {
        let file = opts.file.as_deref().and_then(|p| match open_append(p) {
            Ok(f) => Some(Mutex::new(BufWriter::new(f))),
            Err(e) => {
                eprintln!("Unable to open log file {}: {e}", p.display());
                None
            }
        });
        KeepalivedLayer {
            max: match opts.detail {
                0 => Level::INFO,
                1 => Level::DEBUG,
                _ => Level::TRACE,
            },
            console: opts.console,
            syslog: opts.syslog.then(|| Syslog::new(socket, &opts.ident, opts.facility)),
            file,
            flush_file: opts.flush_file,
        }
    }
}

fn open_append(p: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().create(true).append(true).open(p)
}

impl<S: Subscriber> Layer<S> for KeepalivedLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *meta.level() <= self.max
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() > self.max {
            return;
        }
        let mut v = MessageVisitor::default();
        event.record(&mut v);
        let msg = v.finish();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        if self.console || self.file.is_some() {
            let line = format!("{}: {msg}\n", console_time(now));
            if self.console {
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
            if let Some(f) = &self.file
                && let Ok(mut f) = f.lock()
            {
                let _ = f.write_all(line.as_bytes());
                if self.flush_file {
                    let _ = f.flush();
                }
            }
        }
        if let Some(s) = &self.syslog {
            s.send(severity(*event.metadata().level()), now, &msg);
        }
    }
}

/// syslog(3) severities (RFC 5424 section 6.2.1).
fn severity(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl MessageVisitor {
    fn finish(self) -> String {
        if self.fields.is_empty() { self.message } else { format!("{}{}", self.message, self.fields) }
    }
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Thu Nov 26 12:01:23 2026`, the ctime(3) layout keepalived prefixes console lines with.
pub fn console_time(secs: i64) -> String {
    match crate::sys::local_time(secs) {
        Some(t) => format!(
            "{} {} {:2} {:02}:{:02}:{:02} {}",
            DAYS.get(t.weekday as usize).unwrap_or(&"???"),
            MONTHS.get(t.month as usize).unwrap_or(&"???"),
            t.day,
            t.hour,
            t.min,
            t.sec,
            t.year
        ),
        None => secs.to_string(),
    }
}

/// The RFC 3164 timestamp `Nov 26 12:01:23`.
fn syslog_time(secs: i64) -> String {
    match crate::sys::local_time(secs) {
        Some(t) => format!(
            "{} {:2} {:02}:{:02}:{:02}",
            MONTHS.get(t.month as usize).unwrap_or(&"???"),
            t.day,
            t.hour,
            t.min,
            t.sec
        ),
        None => "Jan  1 00:00:00".into(),
    }
}

/// One RFC 3164 (section 4.1) message: `<PRI>TIMESTAMP IDENT[PID]: MSG`.
pub fn rfc3164_line(facility: u8, severity: u8, secs: i64, ident: &str, pid: u32, msg: &str) -> String {
    let pri = u16::from(facility) * 8 + u16::from(severity);
    format!("<{pri}>{} {ident}[{pid}]: {msg}", syslog_time(secs))
}

/// A connection to the local syslog daemon through /dev/log.
struct Syslog {
    path: PathBuf,
    ident: Arc<Mutex<String>>,
    facility: u8,
    sock: Mutex<Option<UnixDatagram>>,
}

const DEV_LOG: &str = "/dev/log";

impl Syslog {
    fn new(path: &Path, ident: &str, facility: u8) -> Self {
        Syslog {
            path: path.to_owned(),
            ident: Arc::new(Mutex::new(ident.to_owned())),
            facility,
            sock: Mutex::new(connect(path)),
        }
    }

    /// Sends one line; on failure reconnects once (syslogd restarted), then
    /// drops the line, as syslog(3) does.
    fn send(&self, severity: u8, now: i64, msg: &str) {
        let ident = self.ident.lock().map(|g| g.clone()).unwrap_or_default();
        let line = rfc3164_line(self.facility, severity, now, &ident, std::process::id(), msg);
        let Ok(mut guard) = self.sock.lock() else { return };
        let ok = guard.as_ref().is_some_and(|s| s.send(line.as_bytes()).is_ok());
        if !ok {
            *guard = connect(&self.path);
            if let Some(s) = guard.as_ref() {
                let _ = s.send(line.as_bytes());
            }
        }
    }
}

fn connect(path: &Path) -> Option<UnixDatagram> {
    let s = UnixDatagram::unbound().ok()?;
    s.connect(path).ok()?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_priority_and_layout() {
        let l = rfc3164_line(3, 6, 0, "Keepalived_vrrp", 42, "(VI_1) Entering MASTER STATE");
        assert!(l.starts_with("<30>"), "{l}");
        assert!(l.ends_with(" Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE"), "{l}");
        // "<30>Mmm dd hh:mm:ss " is 4 + 16 characters.
        assert_eq!(l.find(" Keepalived_vrrp"), Some(19));
        assert!(rfc3164_line(23, 3, 0, "K", 1, "x").starts_with("<187>"));
    }

    #[test]
    fn events_reach_syslog_console_format_and_file() {
        let dir = std::env::temp_dir().join(format!("kr-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock_path = dir.join("log.sock");
        let rx = UnixDatagram::bind(&sock_path).unwrap();
        rx.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let opts = LogOptions {
            ident: "Keepalived_vrrp".into(),
            facility: 16 + 2,
            file: Some(dir.join("k.log")),
            flush_file: true,
            ..LogOptions::default()
        };
        let sub = tracing_subscriber::registry().with(KeepalivedLayer::with_syslog_socket(&opts, &sock_path));
        tracing::subscriber::with_default(sub, || {
            tracing::info!("(VI_1) Entering MASTER STATE");
            tracing::debug!("not shown without -D");
            tracing::warn!(count = 3, "three");
        });
        let mut buf = [0u8; 512];
        let n = rx.recv(&mut buf).unwrap();
        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
        // local2.info = 18 * 8 + 6
        assert!(line.starts_with("<150>"), "{line}");
        assert!(line.ends_with(&format!("Keepalived_vrrp[{}]: (VI_1) Entering MASTER STATE", std::process::id())));
        let n = rx.recv(&mut buf).unwrap();
        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(line.starts_with("<148>") && line.ends_with(": three count=3"), "{line}");
        let file = std::fs::read_to_string(dir.join("k.log")).unwrap();
        let lines: Vec<&str> = file.lines().collect();
        assert_eq!(lines.len(), 2, "{file}");
        assert!(lines[0].ends_with(": (VI_1) Entering MASTER STATE"), "{file}");
        assert_eq!(lines[0].len(), 24 + 2 + "(VI_1) Entering MASTER STATE".len(), "{file}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_ident_follows_the_configuration() {
        let dir = std::env::temp_dir().join(format!("kr-ident-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock_path = dir.join("log.sock");
        let rx = UnixDatagram::bind(&sock_path).unwrap();
        rx.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let layer = KeepalivedLayer::with_syslog_socket(&LogOptions::default(), &sock_path);
        let handle = layer.ident_handle();
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            tracing::info!("before");
            *handle.lock().unwrap() = "Keepalived_blue_lb1".into();
            tracing::info!("after");
        });
        let mut buf = [0u8; 512];
        let n = rx.recv(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).contains(" Keepalived["), "{:?}", &buf[..n]);
        let n = rx.recv(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).contains(" Keepalived_blue_lb1["), "{:?}", &buf[..n]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn config_idents_and_reload_blockers() {
        use crate::config::build::Spanned;
        use crate::config::model::global::GlobalConfig;
        let sp = |s: &str| Some(Spanned::new(s.to_owned(), Default::default()));
        let mut g = GlobalConfig::default();
        assert_eq!(config_ident("Keepalived_vrrp", None, &g), "Keepalived_vrrp");
        g.instance = sp("lb1");
        assert_eq!(config_ident("Keepalived", None, &g), "Keepalived_lb1");
        g.net_namespace = sp("blue");
        assert_eq!(config_ident("Keepalived_vrrp", None, &g), "Keepalived_vrrp_blue_lb1");
        // -s wins over the file.
        assert_eq!(config_ident("Keepalived", Some("red"), &g), "Keepalived_red_lb1");
        let mut n = g.clone();
        assert!(reload_blockers(&g, &n, Some("blue")).is_empty());
        n.instance = sp("lb2");
        n.net_namespace = sp("green");
        assert_eq!(
            reload_blockers(&g, &n, Some("blue")),
            [
                "Cannot change network namespace at a reload - please restart keepalived",
                "Cannot change instance name at a reload - please restart keepalived"
            ]
        );
        // Running in the namespace -s named: the file's namespace does not matter.
        assert_eq!(reload_blockers(&g, &n, Some("red")).len(), 1);
    }

    #[test]
    fn idents() {
        assert_eq!(ident("Keepalived_vrrp", None, None), "Keepalived_vrrp");
        assert_eq!(ident("Keepalived", Some("ns1"), Some("i2")), "Keepalived_ns1_i2");
    }

    #[test]
    fn console_time_is_ctime_like() {
        let t = console_time(1_700_000_000);
        // e.g. "Tue Nov 14 22:13:20 2023" (local time zone).
        assert_eq!(t.len(), 24, "{t}");
        assert!(DAYS.iter().any(|d| t.starts_with(d)), "{t}");
        assert!(t.ends_with("2023"), "{t}");
    }
}
