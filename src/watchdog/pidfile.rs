//! Pid files: their names (keepalived(8) and the `instance`/`use_pid_dir`
//! global_defs of keepalived.conf(5)), and reading, writing, removing them.

use std::io;
use std::path::{Path, PathBuf};

use crate::child::ChildKind;
use crate::cli::Options;

/// The run directory of the default pid files.
pub(crate) const RUN_DIR: &str = "/run";
/// The directory used with `use_pid_dir`, an instance name or a namespace.
pub(crate) const PID_DIR: &str = "/run/keepalived";

/// The pid files of one keepalived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PidPaths {
    pub(crate) main: PathBuf,
    pub(crate) vrrp: PathBuf,
    pub(crate) checker: PathBuf,
    pub(crate) bfd: PathBuf,
}

impl PidPaths {
    /// Names from the command line (`-p -r -c -b`), the configuration's
    /// `instance NAME` and `use_pid_dir`, and a network namespace.
    ///
    /// Defaults are `/run/keepalived{,_vrrp,_checkers,_bfd}.pid`; with
    /// `use_pid_dir` or an instance name they move to `/run/keepalived/`, with
    /// a namespace to `/run/keepalived/keepalived_NAMESPACE/`, and an instance
    /// name is added before `.pid` (`keepalived_vrrp_NAME.pid`).
    pub(crate) fn new(opts: &Options, instance: Option<&str>, use_pid_dir: bool, namespace: Option<&str>) -> Self {
        let dir = match namespace {
            // keepalived mounts this directory on /run/keepalived in its own mount
            // namespace; without one, write there directly.
            Some(ns) => format!("{PID_DIR}/keepalived_{ns}"),
            None if use_pid_dir || instance.is_some() => PID_DIR.to_owned(),
            None => RUN_DIR.to_owned(),
        };
        let name = |stem: &str| {
            let mut s = format!("{dir}/{stem}");
            if let Some(i) = instance {
                s.push('_');
                s.push_str(i);
            }
            s.push_str(".pid");
            PathBuf::from(s)
        };
        PidPaths {
            main: opts.pid.clone().unwrap_or_else(|| name("keepalived")),
            vrrp: opts.vrrp_pid.clone().unwrap_or_else(|| name("keepalived_vrrp")),
            checker: opts.checkers_pid.clone().unwrap_or_else(|| name("keepalived_checkers")),
            bfd: opts.bfd_pid.clone().unwrap_or_else(|| name("keepalived_bfd")),
        }
    }

    /// The pid file of a child.
    pub(crate) fn child(&self, kind: ChildKind) -> &Path {
        match kind {
            ChildKind::Vrrp => &self.vrrp,
            ChildKind::Checker => &self.checker,
            ChildKind::Bfd => &self.bfd,
        }
    }
}

/// The pid recorded in a pid file, if it holds one.
pub(crate) fn read(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse::<i32>().ok().filter(|p| *p > 0)
}

/// Whether a pid file names a live process other than us.
pub(crate) fn held_by_live_process(path: &Path) -> Option<i32> {
    let pid = read(path)?;
    (pid as u32 != std::process::id() && crate::sys::process_exists(pid)).then_some(pid)
}

/// Writes `pid` to `path`, creating the pid directory when needed.
pub(crate) fn write(path: &Path, pid: u32) -> io::Result<()> {
    if let Some(dir) = path.parent()
        && dir.starts_with(PID_DIR)
    {
        std::fs::create_dir_all(dir)?;
    }
    // Write then rename so that a reader never sees a half-written file.
    let tmp = path.with_extension("pid.tmp");
    std::fs::write(&tmp, format!("{pid}\n"))?;
    std::fs::rename(&tmp, path)
}

/// Removes a pid file; a missing file is fine.
pub(crate) fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::info!("Unable to remove pidfile {} - {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn opts(args: &[&str]) -> Options {
        Options::parse_from(std::iter::once("keepalived").chain(args.iter().copied()))
    }

    #[test]
    fn default_names() {
        let p = PidPaths::new(&opts(&[]), None, false, None);
        assert_eq!(p.main, PathBuf::from("/run/keepalived.pid"));
        assert_eq!(p.vrrp, PathBuf::from("/run/keepalived_vrrp.pid"));
        assert_eq!(p.checker, PathBuf::from("/run/keepalived_checkers.pid"));
        assert_eq!(p.bfd, PathBuf::from("/run/keepalived_bfd.pid"));
    }

    #[test]
    fn instance_and_pid_dir() {
        let p = PidPaths::new(&opts(&[]), Some("lb1"), false, None);
        assert_eq!(p.main, PathBuf::from("/run/keepalived/keepalived_lb1.pid"));
        assert_eq!(p.vrrp, PathBuf::from("/run/keepalived/keepalived_vrrp_lb1.pid"));
        let p = PidPaths::new(&opts(&[]), None, true, None);
        assert_eq!(p.checker, PathBuf::from("/run/keepalived/keepalived_checkers.pid"));
    }

    #[test]
    fn namespace_directory() {
        let p = PidPaths::new(&opts(&[]), None, false, Some("blue"));
        assert_eq!(p.main, PathBuf::from("/run/keepalived/keepalived_blue/keepalived.pid"));
        assert_eq!(p.bfd, PathBuf::from("/run/keepalived/keepalived_blue/keepalived_bfd.pid"));
    }

    #[test]
    fn command_line_wins() {
        let p = PidPaths::new(&opts(&["-p", "/a", "-r", "/b", "-c", "/c", "-b", "/d"]), Some("x"), true, None);
        assert_eq!((p.main, p.vrrp, p.checker, p.bfd), ("/a".into(), "/b".into(), "/c".into(), "/d".into()));
    }

    #[test]
    fn write_read_remove() {
        let dir = std::env::temp_dir().join(format!("kr-pid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("k.pid");
        write(&f, 4242).unwrap();
        assert_eq!(read(&f), Some(4242));
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "4242\n");
        // Our own pid never counts as "another keepalived".
        write(&f, std::process::id()).unwrap();
        assert_eq!(held_by_live_process(&f), None);
        remove(&f);
        assert_eq!(read(&f), None);
        std::fs::write(&f, "garbage").unwrap();
        assert_eq!(read(&f), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
