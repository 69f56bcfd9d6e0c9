//! keepalived (ours or Debian's 2.2.7) under test.
//!
//! A [`Daemon`] runs in a network namespace of the test (or in the root
//! namespace when its command line or configuration moves it into one), with
//! a private directory holding its pid files (`k.pid`, `v.pid`, `c.pid`,
//! `b.pid`), its log (stdout and stderr, `log`) and its dump directory
//! (`tmp/`: `TMPDIR` points there, and both ours and keepalived 2.2.7 write
//! keepalived.data / .stats / .json to `$TMPDIR`). Nothing of the machine is
//! hidden from it. On drop the whole process tree is killed and the directory
//! removed.
//!
//! ```ignore
//! let d = Daemon::build(Impl::Ours, "n1").netns(&pair.ns).conf(&conf).start();
//! d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
//! d.signal(libc::SIGUSR1);
//! let data = d.dump_file("keepalived.data", Duration::from_secs(3));
//! ```

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child as Process, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::proc::{alive, comm, kill, ppid, read_pid, ready};
use super::{Netns, TempDir, wait_until};

/// Our keepalived.
pub const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
/// Our genhash.
pub const OURS_GENHASH: &str = env!("CARGO_BIN_EXE_genhash");

/// Debian's keepalived: `KR_DEBIAN_KEEPALIVED`, else /usr/sbin/keepalived.
/// (Point the variable at a missing file to see the interop tests refuse to
/// pass under CI.)
pub fn debian_keepalived() -> PathBuf {
    std::env::var_os("KR_DEBIAN_KEEPALIVED").map_or_else(|| PathBuf::from("/usr/sbin/keepalived"), PathBuf::from)
}

/// Debian's genhash: `KR_DEBIAN_GENHASH`, else /usr/bin/genhash.
pub fn debian_genhash() -> PathBuf {
    std::env::var_os("KR_DEBIAN_GENHASH").map_or_else(|| PathBuf::from("/usr/bin/genhash"), PathBuf::from)
}

/// Which keepalived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    Ours,
    Debian,
}

impl Impl {
    pub fn bin(self) -> PathBuf {
        match self {
            Impl::Ours => PathBuf::from(OURS),
            Impl::Debian => debian_keepalived(),
        }
    }
}

/// A child process of keepalived: its pid file in the daemon's directory and
/// its process name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Child {
    Vrrp,
    Checker,
    Bfd,
}

impl Child {
    pub const ALL: [Child; 3] = [Child::Vrrp, Child::Checker, Child::Bfd];

    /// The pid file's name in the daemon's directory.
    pub fn pid_file(self) -> &'static str {
        match self {
            Child::Vrrp => "v.pid",
            Child::Checker => "c.pid",
            Child::Bfd => "b.pid",
        }
    }

    /// The process name keepalived gives it.
    pub fn comm(self) -> &'static str {
        match self {
            Child::Vrrp => "keepalived_vrrp",
            Child::Checker => "keepalived_ipvs",
            Child::Bfd => "keepalived_bfd",
        }
    }

    /// keepalived's default pid file stem (`/run/keepalived/STEM.pid`).
    fn stem(self) -> &'static str {
        match self {
            Child::Vrrp => "keepalived_vrrp",
            Child::Checker => "keepalived_checkers",
            Child::Bfd => "keepalived_bfd",
        }
    }
}

/// Where the pid files go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PidFiles {
    /// In the daemon's directory (`-p k.pid -r v.pid -c c.pid -b b.pid`).
    Private,
    /// keepalived's default names, which a configuration with
    /// `net_namespace NS` (and `instance I`) moves to
    /// `/run/keepalived/keepalived_NS/keepalived[_vrrp...][_I].pid`: the
    /// daemon's directory links to them, and that directory (unique to the
    /// test's namespace) is removed on drop.
    Default { run_dir: PathBuf, instance: Option<String> },
}

impl PidFiles {
    /// The run directory of [`PidFiles::Default`].
    pub fn run_dir(&self) -> Option<&Path> {
        match self {
            PidFiles::Default { run_dir, .. } => Some(run_dir),
            PidFiles::Private => None,
        }
    }

    /// The default pid files of a daemon whose configuration names `ns`.
    pub fn in_namespace_dir(ns: &Netns, instance: Option<&str>) -> PidFiles {
        PidFiles::Default {
            run_dir: PathBuf::from(format!("/run/keepalived/keepalived_{}", ns.name)),
            instance: instance.map(str::to_owned),
        }
    }
}

/// How to start a [`Daemon`]: [`Daemon::build`], then the setters, then [`Builder::start`].
pub struct Builder {
    bin: PathBuf,
    label: String,
    netns: Option<String>,
    conf: Option<PathBuf>,
    options: Vec<String>,
    extra: Vec<String>,
    pid_files: PidFiles,
    env: Vec<(String, String)>,
    notify: Option<PathBuf>,
}

impl Builder {
    /// Run inside `ns` (`ip netns exec`). Without it the daemon starts in
    /// the root namespace: only for a daemon that leaves it at once (`-s NS`,
    /// `net_namespace NS`), which touches no interface before it has moved.
    pub fn netns(mut self, ns: &Netns) -> Builder {
        self.netns = Some(ns.name.clone());
        self
    }

    /// The configuration file (`-f`).
    pub fn conf(mut self, path: &Path) -> Builder {
        self.conf = Some(path.to_path_buf());
        self
    }

    /// Replaces the default options `-n -l -D` (foreground, log to the
    /// console, detailed).
    pub fn options(mut self, opts: &[&str]) -> Builder {
        self.options = opts.iter().map(|s| s.to_string()).collect();
        self
    }

    /// More arguments, after the others.
    pub fn args(mut self, args: &[&str]) -> Builder {
        self.extra.extend(args.iter().map(|s| s.to_string()));
        self
    }

    pub fn pid_files(mut self, p: PidFiles) -> Builder {
        self.pid_files = p;
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Builder {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// `NOTIFY_SOCKET` (else it is removed from the environment).
    pub fn notify(mut self, socket: &Path) -> Builder {
        self.notify = Some(socket.to_path_buf());
        self
    }

    pub fn start(self) -> Daemon {
        // The label without what a path would need quoted: "n1 (Ours)" -> "d-n1-Ours".
        let tag: String = self
            .label
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let dir = TempDir::new(&format!("d-{tag}"));
        let tmp = dir.join("tmp");
        if let Err(e) = std::fs::create_dir_all(&tmp) {
            panic!("cannot create {}: {e}", tmp.display());
        }
        let log_path = dir.join("log");
        let log = match std::fs::File::create(&log_path) {
            Ok(f) => f,
            Err(e) => panic!("cannot create {}: {e}", log_path.display()),
        };
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&self.bin);
                c
            }
            None => Command::new(&self.bin),
        };
        c.args(&self.options);
        if let Some(conf) = &self.conf {
            c.arg("-f").arg(conf);
        }
        match &self.pid_files {
            PidFiles::Private => {
                for (opt, name) in [("-p", "k.pid"), ("-r", "v.pid"), ("-c", "c.pid"), ("-b", "b.pid")] {
                    c.arg(opt).arg(dir.join(name));
                }
            }
            PidFiles::Default { run_dir, instance } => {
                let suffix = instance.as_ref().map(|i| format!("_{i}")).unwrap_or_default();
                let mut links = vec![("k.pid", "keepalived")];
                links.extend(Child::ALL.iter().map(|k| (k.pid_file(), k.stem())));
                for (link, stem) in links {
                    let target = run_dir.join(format!("{stem}{suffix}.pid"));
                    let _ = std::os::unix::fs::symlink(target, dir.join(link));
                }
            }
        }
        c.args(&self.extra).env("TMPDIR", &tmp);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        match &self.notify {
            Some(sock) => c.env("NOTIFY_SOCKET", sock),
            None => c.env_remove("NOTIFY_SOCKET"),
        };
        let err = match log.try_clone() {
            Ok(f) => f,
            Err(e) => panic!("log file: {e}"),
        };
        c.stdin(Stdio::null()).stdout(log).stderr(err);
        let child = match c.spawn() {
            Ok(ch) => ch,
            Err(e) => panic!("cannot start {}: {e}", self.bin.display()),
        };
        let run_dir = match self.pid_files {
            PidFiles::Default { run_dir, .. } => Some(run_dir),
            PidFiles::Private => None,
        };
        Daemon { child: Some(child), main: None, dir, label: self.label, run_dir }
    }
}

/// A keepalived (main process and children) started by a test.
pub struct Daemon {
    child: Option<Process>,
    /// The main process's pid when it is not our child (it forked away).
    main: Option<i32>,
    dir: TempDir,
    pub label: String,
    run_dir: Option<PathBuf>,
}

impl Daemon {
    /// A daemon of `imp` named `label` (in logs and failure messages).
    pub fn build(imp: Impl, label: &str) -> Builder {
        Self::build_bin(&imp.bin(), &format!("{label} ({imp:?})"))
    }

    /// A daemon from another binary.
    pub fn build_bin(bin: &Path, label: &str) -> Builder {
        Builder {
            bin: bin.to_path_buf(),
            label: label.to_owned(),
            netns: None,
            conf: None,
            options: ["-n", "-l", "-D"].iter().map(|s| s.to_string()).collect(),
            extra: Vec::new(),
            pid_files: PidFiles::Private,
            env: Vec::new(),
            notify: None,
        }
    }

    /// The process we started: keepalived's main process, unless it
    /// daemonized (then see [`Daemon::main_pid`]).
    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(self.main.unwrap_or(0), |c| c.id() as i32)
    }

    /// The main process: the one we started while it runs, or the one
    /// adopted by [`Daemon::adopt_daemonized`].
    pub fn main_pid(&self) -> Option<i32> {
        let started = self.child.as_ref().map(|c| c.id() as i32).filter(|p| alive(*p));
        started.or(self.main)
    }

    /// A file of the daemon's directory (`k.pid`, `v.pid`, `log`...).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The daemon's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its dump directory (`$TMPDIR`).
    pub fn dump_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// The dump file `name` (keepalived.data...) once it exists and is not
    /// empty (bounded wait).
    pub fn dump_file(&self, name: &str, limit: Duration) -> Option<String> {
        let path = self.dump_dir().join(name);
        // keepalived writes its dumps with stdio as it goes: a file read too
        // early ends mid-line. Complete: the same text in two reads 150 ms apart.
        let mut last: Option<String> = None;
        wait_until(limit, || {
            let now = std::fs::read_to_string(&path).ok().filter(|s| !s.is_empty());
            let done = now.is_some() && now == last;
            last = now;
            if done {
                last.clone()
            } else {
                std::thread::sleep(Duration::from_millis(130));
                None
            }
        })
    }

    /// Removes a dump file (before asking for a fresh one).
    pub fn rm_dump_file(&self, name: &str) {
        let _ = std::fs::remove_file(self.dump_dir().join(name));
    }

    /// The names in the dump directory, sorted.
    pub fn dump_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dump_dir())
            .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// What it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.file("log")).unwrap_or_default()
    }

    /// The log with a header naming the daemon (for failure messages).
    pub fn log(&self) -> String {
        format!("----- {} -----\n{}", self.label, self.log_text())
    }

    /// How many times `what` was logged.
    pub fn count(&self, what: &str) -> usize {
        self.log_text().matches(what).count()
    }

    /// Waits until `what` has been logged at least `n` times.
    pub fn wait_logged(&self, what: &str, n: usize, limit: Duration) -> bool {
        wait_until(limit, || (self.count(what) >= n).then_some(())).is_some()
    }

    /// Signals the main process.
    pub fn signal(&self, sig: i32) {
        if let Some(p) = self.main_pid() {
            kill(p, sig);
        }
    }

    /// The pid in a child's pid file, when that process is a child of the main process.
    pub fn child_pid(&self, which: Child) -> Option<i32> {
        let main = self.main_pid()?;
        read_pid(&self.file(which.pid_file())).filter(|p| ppid(*p) == Some(main))
    }

    /// Signals a child (see [`Daemon::child_pid`]).
    pub fn signal_child(&self, which: Child, sig: i32) {
        if let Some(p) = self.child_pid(which) {
            kill(p, sig);
        }
    }

    /// The pid of a live, ready child named `name` whose pid file is that of
    /// `which`, other than `not` (bounded wait). `name` is the child's
    /// [`Child::comm`] unless the configuration renames it.
    pub fn wait_child_named(&self, which: Child, name: &str, not: Option<i32>, limit: Duration) -> Option<i32> {
        wait_until(limit, || {
            let pid = read_pid(&self.file(which.pid_file()))?;
            (Some(pid) != not && comm(pid).as_deref() == Some(name) && ppid(pid) == self.main_pid() && ready(pid))
                .then_some(pid)
        })
    }

    /// [`Daemon::wait_child_named`] with the child's usual name.
    pub fn wait_child(&self, which: Child, not: Option<i32>, limit: Duration) -> Option<i32> {
        self.wait_child_named(which, which.comm(), not, limit)
    }

    /// The main process and its children.
    pub fn tree(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self.main_pid().into_iter().collect();
        pids.extend(Child::ALL.iter().filter_map(|c| self.child_pid(*c)));
        pids
    }

    /// Waits for the process we started to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                self.child = None;
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(super::POLL);
        }
    }

    /// After the process we started has exited with the daemon still
    /// running (it forked): adopt the main process named by `k.pid` (bounded
    /// wait), which [`Daemon::main_pid`] and the drop then use.
    pub fn adopt_daemonized(&mut self, limit: Duration) -> Option<i32> {
        let main = wait_until(limit, || read_pid(&self.file("k.pid")).filter(|p| is_keepalived(*p)))?;
        self.main = Some(main);
        Some(main)
    }

    /// Waits (bounded) for the process we started to exit; kills the tree
    /// when it does not.
    pub fn reap(&mut self, limit: Duration) -> Option<ExitStatus> {
        let st = self.wait_exit(limit);
        self.kill_all();
        st
    }

    /// SIGTERM to the main process, then waits (bounded) until the whole
    /// tree is gone; SIGKILL for what is left. The exit status when we
    /// started the main process.
    pub fn stop(&mut self, limit: Duration) -> Option<ExitStatus> {
        let tree = self.tree();
        self.signal(libc::SIGTERM);
        let st = self.wait_exit(limit);
        let _ = wait_until(limit, || (!tree.iter().any(|p| alive(*p))).then_some(()));
        self.kill_all();
        st
    }

    /// SIGKILL to the children, then the main process: a crash, no goodbye.
    pub fn crash(&mut self) {
        self.kill_all();
    }

    fn kill_all(&mut self) {
        let main = self.main_pid();
        for c in Child::ALL {
            if let Some(p) = read_pid(&self.file(c.pid_file())).filter(|p| main.is_some() && ppid(*p) == main) {
                kill(p, libc::SIGKILL);
            }
        }
        if let Some(m) = self.main.take().filter(|p| is_keepalived(*p)) {
            kill(m, libc::SIGKILL);
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A live process named like keepalived's (or a renamed child of it).
fn is_keepalived(pid: i32) -> bool {
    alive(pid) && comm(pid).is_some_and(|c| c.starts_with("keepalived"))
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_all();
        if let Some(d) = &self.run_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The log of each daemon, for failure messages.
pub fn logs(daemons: &[&Daemon]) -> String {
    daemons.iter().map(|d| d.log()).collect::<Vec<_>>().join("\n")
}

/// A systemd notification socket: collects sd_notify datagrams.
pub struct NotifySocket {
    dir: TempDir,
    sock: UnixDatagram,
}

impl NotifySocket {
    pub fn new() -> NotifySocket {
        let dir = TempDir::new("notify");
        let sock = match UnixDatagram::bind(dir.join("notify.sock")) {
            Ok(s) => s,
            Err(e) => panic!("bind notify socket: {e}"),
        };
        let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
        NotifySocket { dir, sock }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("notify.sock")
    }

    /// The next datagram (at most 5 s).
    pub fn next(&self) -> Option<String> {
        let mut buf = [0u8; 256];
        let n = self.sock.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(buf.get(..n)?).into_owned())
    }
}

impl super::net::Pair {
    /// Starts `imp` in the pair's namespace with `conf` and `extra` arguments
    /// (after `-n -l -D`), pid files private.
    pub fn start(&self, imp: Impl, label: &str, conf: &Path, extra: &[&str]) -> Daemon {
        Daemon::build(imp, label).netns(&self.ns).conf(conf).args(extra).start()
    }
}

impl super::net::Lan {
    /// Starts `imp` on host `i` with `conf` and `extra` arguments (after
    /// `-n -l -D`), pid files private; labelled `n<i>`.
    pub fn start(&self, i: usize, imp: Impl, conf: &Path, extra: &[&str]) -> Daemon {
        Daemon::build(imp, &format!("n{i}")).netns(self.host(i)).conf(conf).args(extra).start()
    }
}
