//! The parent's reload machinery beyond SIGHUP, as keepalived.conf(5)
//! describes it:
//!
//! - `reload_time_file` / `reload_repeat`: a reload scheduled by the first
//!   line of a file (`HH:MM:SS`, `YY-MM-DD HH:MM:SS` or
//!   `YYYY-MM-DD HH:MM:SS`, `Z` for UTC), watched with inotify
//!   ([`ReloadMonitor`]; [`parse_reload_time`] is pure);
//! - `reload_file`: created before the configuration is read for a reload
//!   and removed once every process has read it ([`ReadNotices`]: the
//!   children say so through a pipe they inherit);
//! - `reload_check_config`: the new configuration is checked by
//!   `keepalived -t` in a child before anything reloads ([`spawn_check`]);
//! - `config_save_dir`: a copy of the configuration read at start-up and at
//!   each reload ([`save_config_copy`]).
//!
//! The parent waits on signals only (sigtimedwait): the inotify descriptor
//! and the pipe are signal-driven (O_ASYNC), so that their events arrive as
//! SIGIO.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::sys::{self, LocalTime};

// ---------------------------------------------------------------------------
// reload_time_file: the time format (pure)

/// A scheduled reload read from the timer file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReloadTime {
    /// Seconds since the epoch.
    pub at: i64,
    /// The file gave a date: the reload happens once.
    pub date_specified: bool,
}

/// Converts between broken-down and Unix times (the C library's, or a
/// test's).
pub(crate) trait Calendar {
    /// `now` broken down, in UTC or local time.
    fn broken_down(&self, now: i64, utc: bool) -> Option<LocalTime>;
    /// The Unix time of `t` and `t` as normalised (see [`sys::to_epoch`]).
    fn epoch(&self, t: &LocalTime, utc: bool) -> Option<(i64, LocalTime)>;
}

/// The C library's calendar (the TZ of the environment).
pub(crate) struct SystemCalendar;

impl Calendar for SystemCalendar {
    fn broken_down(&self, now: i64, utc: bool) -> Option<LocalTime> {
        if utc { sys::utc_time(now) } else { sys::local_time(now) }
    }

    fn epoch(&self, t: &LocalTime, utc: bool) -> Option<(i64, LocalTime)> {
        sys::to_epoch(t, utc)
    }
}

/// Two decimal digits.
fn two(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// The date and time a line names, or `None` when it is not in one of the
/// three formats (or a field is out of its range).
fn fields(text: &str, today: &LocalTime) -> Option<LocalTime> {
    let (date, time) = match text.len() {
        8 => (None, text),
        17 | 19 => {
            let (d, t) = text.split_once(' ')?;
            (Some(d), t)
        }
        _ => return None,
    };
    let mut t = *today;
    if let Some(d) = date {
        let mut it = d.split('-');
        let (y, m, day) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        t.year = match y.len() {
            // strptime's %y: 69-99 are 1969-1999, 00-68 2000-2068.
            2 => {
                let y = i32::try_from(two(y)?).ok()?;
                if y >= 69 { 1900 + y } else { 2000 + y }
            }
            4 if y.bytes().all(|b| b.is_ascii_digit()) => y.parse().ok()?,
            _ => return None,
        };
        let m = two(m)?;
        let day = two(day)?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
            return None;
        }
        t.month = m - 1;
        t.day = day;
    }
    let mut it = time.split(':');
    let (h, mi, s) = (two(it.next()?)?, two(it.next()?)?, two(it.next()?)?);
    if it.next().is_some() || h > 23 || mi > 59 || s > 61 {
        return None;
    }
    t.hour = h;
    t.min = mi;
    t.sec = s;
    Some(t)
}

/// Why a timer file's line schedules nothing, with keepalived's lines for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ignored(pub Vec<String>);

/// The reload a timer file's first line asks for, `now` being the current
/// Unix time: a time alone is the next time of day it comes (today, else
/// tomorrow); a date and time in the past is ignored.
pub(crate) fn parse_reload_time(line: &str, now: i64, cal: &dyn Calendar) -> Result<ReloadTime, Ignored> {
    let (text, utc) = match line.strip_suffix('Z') {
        Some(t) => (t, true),
        None => (line, false),
    };
    let invalid = |first: String| Ignored(vec![first, format!("Invalid reload time '{line}' specified - ignoring")]);
    if ![8, 17, 19].contains(&text.len()) {
        return Err(invalid(format!("Reload time {line} format is incorrect - ignoring")));
    }
    let Some(today) = cal.broken_down(now, utc) else {
        return Err(invalid(format!("Reload date/time {line} invalid - ignoring")));
    };
    let Some(want) = fields(text, &today) else {
        return Err(invalid(format!("Reload date/time {line} invalid - ignoring")));
    };
    let same = |a: &LocalTime, b: &LocalTime| {
        (a.year, a.month, a.day, a.hour, a.min, a.sec) == (b.year, b.month, b.day, b.hour, b.min, b.sec)
    };
    let not_valid = || invalid(format!("Reload time {line} is not valid - ignoring"));
    let (mut at, norm) = cal.epoch(&want, utc).ok_or_else(not_valid)?;
    if !same(&want, &norm) {
        return Err(not_valid());
    }
    let date_specified = text.len() >= 17;
    if at <= now {
        if date_specified {
            return Err(Ignored(vec![
                format!("Reload time {line} is in the past - ignoring"),
                "Reload date/time is in the past - ignoring".to_owned(),
            ]));
        }
        let tomorrow = LocalTime { day: want.day + 1, ..want };
        at = cal.epoch(&tomorrow, utc).ok_or_else(not_valid)?.0;
    }
    Ok(ReloadTime { at, date_specified })
}

/// `2024-03-01 02:00:00`, local time, as keepalived's lines show a reload time.
pub(crate) fn format_time(secs: i64) -> String {
    match sys::local_time(secs) {
        Some(t) => format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", t.year, t.month + 1, t.day, t.hour, t.min, t.sec),
        None => secs.to_string(),
    }
}

// ---------------------------------------------------------------------------
// reload_time_file: the monitor

const IN_CLOSE_WRITE: u32 = 0x8;
const IN_MOVED_FROM: u32 = 0x40;
const IN_MOVED_TO: u32 = 0x80;
const IN_CREATE: u32 = 0x100;
const IN_DELETE: u32 = 0x200;
const IN_DELETE_SELF: u32 = 0x400;
const IN_MOVE_SELF: u32 = 0x800;

/// Watches the timer file (and its directory, for the file to come and go)
/// and holds the reload it schedules.
#[derive(Debug)]
pub(crate) struct ReloadMonitor {
    fd: OwnedFd,
    dir_wd: i32,
    file_wd: Option<i32>,
    path: PathBuf,
    name: String,
    scheduled: Option<ReloadTime>,
}

impl ReloadMonitor {
    /// Starts watching `path` and reads it if it exists. `None` (with
    /// keepalived's line) when its directory cannot be watched.
    pub(crate) fn start(path: &str) -> Option<ReloadMonitor> {
        let p = PathBuf::from(path);
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("/"),
        };
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let fd = sys::inotify_init().ok()?;
        let mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF;
        let dir_wd = match sys::inotify_watch(fd.as_fd(), &dir, mask) {
            Ok(wd) => wd,
            Err(_) => {
                tracing::info!("Unable to monitor reload timer file directory {}- ignoring", dir.display());
                return None;
            }
        };
        if sys::signal_driven(fd.as_fd()).is_err() {
            tracing::info!("Unable to monitor reload timer file directory {}- ignoring", dir.display());
            return None;
        }
        let mut m = ReloadMonitor { fd, dir_wd, file_wd: None, path: p, name, scheduled: None };
        m.watch_file();
        Some(m)
    }

    /// When the scheduled reload is due.
    pub(crate) fn due_at(&self) -> Option<SystemTime> {
        let at = self.scheduled?.at;
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(at).ok()?))
    }

    /// The reload is due: stop watching (the removal of the file is ours)
    /// and remove the file unless `reload_repeat` with a time of day alone.
    pub(crate) fn fire(self, repeat: bool) {
        if let Some(t) = self.scheduled
            && (!repeat || t.date_specified)
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// Stops watching; says so if a reload was scheduled (`log`).
    pub(crate) fn stop(mut self, log: bool) {
        self.cancel(log);
    }

    fn watch_file(&mut self) {
        match sys::inotify_watch(self.fd.as_fd(), &self.path, IN_CLOSE_WRITE) {
            Ok(wd) => {
                self.file_wd = Some(wd);
                self.read_file();
            }
            Err(_) => self.file_wd = None,
        }
    }

    fn cancel(&mut self, log: bool) {
        if let Some(t) = self.scheduled.take()
            && log
        {
            tracing::info!("Cancelling reload scheduled for {}", format_time(t.at));
        }
    }

    fn read_file(&mut self) {
        let first = std::fs::read_to_string(&self.path).ok().and_then(|t| t.lines().next().map(str::to_owned));
        let Some(line) = first else {
            self.cancel(true);
            return;
        };
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        match parse_reload_time(&line, now, &SystemCalendar) {
            Err(Ignored(lines)) => {
                for l in lines {
                    tracing::info!("{l}");
                }
                self.cancel(true);
            }
            Ok(t) => {
                match self.scheduled {
                    Some(old) if old.at == t.at => {}
                    Some(old) => {
                        tracing::info!("Reload time updated from {} to {}", format_time(old.at), format_time(t.at))
                    }
                    None => tracing::info!("Scheduling reload for {}", format_time(t.at)),
                }
                self.scheduled = Some(t);
            }
        }
    }

    /// Reads what inotify reported (on SIGIO). `false` when the directory
    /// went away and monitoring stopped.
    pub(crate) fn on_events(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            let n = match sys::read_some(self.fd.as_fd(), &mut buf) {
                Some(n) if n > 0 => n,
                _ => return true,
            };
            for ev in sys::inotify_events(buf.get(..n).unwrap_or(&[])) {
                if Some(ev.wd) == self.file_wd && ev.mask & IN_CLOSE_WRITE != 0 {
                    self.read_file();
                }
                if ev.wd != self.dir_wd {
                    continue;
                }
                if ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                    self.cancel(true);
                    tracing::info!("Directory of reload timer file has disappeared. Monitoring stopped.");
                    return false;
                }
                if ev.name != self.name.as_bytes() {
                    continue;
                }
                if ev.mask & (IN_CREATE | IN_MOVED_TO) != 0 {
                    self.watch_file();
                } else if ev.mask & (IN_DELETE | IN_MOVED_FROM) != 0 {
                    if let Some(wd) = self.file_wd.take() {
                        sys::inotify_unwatch(self.fd.as_fd(), wd);
                    }
                    self.cancel(true);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// reload_file: the children's "configuration read" notices

/// The read end of the pipe the children write a byte to each time they
/// have read the configuration (at start and at each reload).
#[derive(Debug)]
pub(crate) struct ReadNotices {
    read: OwnedFd,
    write: OwnedFd,
}

impl ReadNotices {
    /// A signal-driven pipe whose write end the children inherit.
    pub(crate) fn new() -> std::io::Result<ReadNotices> {
        let (read, write) = sys::pipe()?;
        sys::signal_driven(read.as_fd())?;
        sys::set_cloexec(write.as_fd(), false)?;
        Ok(ReadNotices { read, write })
    }

    /// The descriptor number the children write to (`--config-read-fd`).
    pub(crate) fn child_fd(&self) -> i32 {
        self.write.as_raw_fd()
    }

    /// How many notices arrived since the last call.
    pub(crate) fn drain(&self) -> usize {
        let mut buf = [0u8; 256];
        let mut n = 0;
        while let Some(k) = sys::read_some(self.read.as_fd(), &mut buf).filter(|k| *k > 0) {
            n += k;
        }
        n
    }
}

/// `reload_file`: created (or truncated) before the configuration is read,
/// readable by all (rw-r--r--) whatever the umask.
pub(crate) fn create_reload_file(path: &Path) {
    let old = sys::umask(0o022);
    let r = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path);
    sys::umask(old);
    if let Err(e) = r {
        tracing::info!(
            "Failed to create reload file ({}) {} - {}",
            path.display(),
            e.raw_os_error().unwrap_or(0),
            crate::config::error::io_reason(&e)
        );
    }
}

/// Removes the reload file: the configuration has been read.
pub(crate) fn remove_reload_file(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// The reload file a configuration names: its path, or keepalived.reload
/// beside the main pid file.
pub(crate) fn reload_file_path(
    f: Option<&crate::config::model::global::ReloadFile>,
    pid_dir: &Path,
) -> Option<PathBuf> {
    match f? {
        crate::config::model::global::ReloadFile::Path(p) => Some(PathBuf::from(p)),
        crate::config::model::global::ReloadFile::Default => Some(pid_dir.join("keepalived.reload")),
    }
}

// ---------------------------------------------------------------------------
// reload_check_config

/// keepalived's limit on the configuration check.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts `keepalived -t` (this program, with the daemon's arguments) on
/// the configuration, its messages going to `log`; returns its pid.
pub(crate) fn spawn_check(argv0: &std::ffi::OsStr, args: &[std::ffi::OsString], log: &str) -> Option<i32> {
    use std::os::unix::process::CommandExt as _;
    if let Err(e) = std::fs::OpenOptions::new().write(true).truncate(true).open(log)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::info!(
            "truncate of config check log {log} failed ({}) - {}",
            e.raw_os_error().unwrap_or(0),
            crate::config::error::io_reason(&e)
        );
    }
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg0(argv0).args(args).arg(format!("--config-test={log}"));
    cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    cmd.process_group(0);
    // Default signals, an empty mask, no inherited descriptors, our ids.
    let (uid, gid) = sys::effective_ids();
    sys::script_child_setup(&mut cmd, uid, gid, Vec::new(), false);
    match cmd.spawn() {
        // Reaped by pid in the supervision loop.
        Ok(child) => Some(child.id() as i32),
        Err(_) => {
            tracing::info!("Could not run config-test");
            None
        }
    }
}

// ---------------------------------------------------------------------------
// config_save_dir

/// Writes the configuration as read (preprocessed: includes in, comments
/// out, each file's lines after a `# FILE` line) to
/// `DIR/keepalived.conf.PID.N`, N counting the reloads; the directory is
/// made (parents must exist) if need be.
pub(crate) fn save_config_copy(dir: &str, conf: &Path, opts: &crate::config::preprocess::Options, n: u32) {
    let dir = Path::new(dir);
    if !dir.is_dir()
        && let Err(e) = std::fs::create_dir(dir)
    {
        tracing::info!(
            "Unable to create config save directory {} - {}",
            dir.display(),
            crate::config::error::io_reason(&e)
        );
        return;
    }
    let pre = crate::config::preprocess::preprocess(conf, opts);
    let mut text = String::new();
    let mut file = None;
    for l in &pre.lines {
        if file != Some(l.file) {
            file = Some(l.file);
            let name = pre.sources.path(l.file).map(|p| p.display().to_string()).unwrap_or_default();
            text.push_str(&format!("# {name}\n"));
        }
        text.push_str(l.text.trim());
        text.push('\n');
    }
    text.push_str("!\n");
    let path = dir.join(format!("keepalived.conf.{}.{n}", std::process::id()));
    if let Err(e) = std::fs::write(&path, text) {
        tracing::info!("Unable to write {} - {}", path.display(), crate::config::error::io_reason(&e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC everywhere: the C library's timegm/gmtime, which do not depend on TZ.
    struct Utc;

    impl Calendar for Utc {
        fn broken_down(&self, now: i64, _utc: bool) -> Option<LocalTime> {
            sys::utc_time(now)
        }
        fn epoch(&self, t: &LocalTime, _utc: bool) -> Option<(i64, LocalTime)> {
            sys::to_epoch(t, true)
        }
    }

    // 2024-03-01 12:00:00 UTC.
    const NOW: i64 = 1_709_294_400;

    #[test]
    fn a_time_of_day_is_today_or_tomorrow() {
        let t = parse_reload_time("13:30:00Z", NOW, &Utc).unwrap();
        assert_eq!(t, ReloadTime { at: NOW + 5_400, date_specified: false });
        let t = parse_reload_time("11:00:00", NOW, &Utc).unwrap();
        assert_eq!(t.at, NOW + 23 * 3600, "passed today: tomorrow");
    }

    #[test]
    fn dates_in_both_formats_and_the_past() {
        let t = parse_reload_time("2024-03-02 00:00:01", NOW, &Utc).unwrap();
        assert_eq!(t, ReloadTime { at: NOW + 12 * 3600 + 1, date_specified: true });
        assert_eq!(parse_reload_time("24-03-02 00:00:01Z", NOW, &Utc).unwrap().at, NOW + 12 * 3600 + 1);
        let e = parse_reload_time("2024-02-29 10:00:00", NOW, &Utc).unwrap_err();
        assert_eq!(
            e.0,
            ["Reload time 2024-02-29 10:00:00 is in the past - ignoring", "Reload date/time is in the past - ignoring"]
        );
    }

    #[test]
    fn malformed_lines_say_why() {
        let e = parse_reload_time("1:00:00", NOW, &Utc).unwrap_err();
        assert_eq!(
            e.0,
            [
                "Reload time 1:00:00 format is incorrect - ignoring",
                "Invalid reload time '1:00:00' specified - ignoring"
            ]
        );
        let e = parse_reload_time("25:00:00", NOW, &Utc).unwrap_err();
        assert_eq!(e.0[0], "Reload date/time 25:00:00 invalid - ignoring");
        let e = parse_reload_time("2024-04-31 10:00:00", NOW, &Utc).unwrap_err();
        assert_eq!(e.0[0], "Reload time 2024-04-31 10:00:00 is not valid - ignoring");
        assert!(parse_reload_time(" 13:30:00", NOW, &Utc).is_err(), "no leading space");
        assert!(parse_reload_time("2024-03-02  0:00:01", NOW, &Utc).is_err());
    }

    #[test]
    fn inotify_records_parse() {
        let mut buf = Vec::new();
        for (wd, mask, name) in [(1i32, IN_CREATE, "reload.time"), (2, IN_CLOSE_WRITE, "")] {
            let padded = if name.is_empty() { 0 } else { 16 };
            buf.extend_from_slice(&wd.to_ne_bytes());
            buf.extend_from_slice(&mask.to_ne_bytes());
            buf.extend_from_slice(&0u32.to_ne_bytes());
            buf.extend_from_slice(&(padded as u32).to_ne_bytes());
            let mut n = name.as_bytes().to_vec();
            n.resize(padded, 0);
            buf.extend_from_slice(&n);
        }
        let evs = sys::inotify_events(&buf);
        assert_eq!(evs.len(), 2);
        assert_eq!((evs[0].wd, evs[0].mask, evs[0].name.as_slice()), (1, IN_CREATE, &b"reload.time"[..]));
        assert_eq!((evs[1].wd, evs[1].name.as_slice()), (2, &b""[..]));
    }
}
