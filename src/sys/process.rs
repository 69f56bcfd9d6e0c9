//! Process control: thin, checked wrappers over the libc calls that std does
//! not offer (fork, setsid, prctl, signal masks, sigtimedwait, waitpid,
//! namespaces, rlimits).
//!
//! Every wrapper turns -1/errno into `io::Error` and takes or returns plain
//! Rust values, so the callers stay safe code.

use std::io;
use std::time::Duration;

use super::check;

/// The outcome of [`fork`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fork {
    Parent(i32),
    Child,
}

/// fork(2). Only called before any thread (or tokio runtime) exists.
pub(crate) fn fork() -> io::Result<Fork> {
    // SAFETY: fork has no memory-safety preconditions; the caller runs it while
    // the process is single-threaded, so the child has a consistent heap.
    let pid = check(unsafe { libc::fork() })?;
    Ok(if pid == 0 { Fork::Child } else { Fork::Parent(pid) })
}

/// setsid(2): a new session without a controlling terminal.
pub(crate) fn setsid() -> io::Result<()> {
    // SAFETY: no arguments, no memory involved.
    check(unsafe { libc::setsid() }).map(|_| ())
}

/// Points stdin, stdout and stderr at /dev/null, as a daemon must.
pub(crate) fn stdio_to_devnull() -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let null = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null")?;
    for fd in 0..=2 {
        // SAFETY: both descriptors are valid; dup2 only replaces `fd`.
        check(unsafe { libc::dup2(null.as_raw_fd(), fd) })?;
    }
    Ok(())
}

/// Sets the kernel's name of this process (`/proc/PID/comm`, 15 bytes at most).
pub(crate) fn set_process_name(name: &str) -> io::Result<()> {
    let mut buf = [0u8; 16];
    let bytes = name.as_bytes();
    let n = bytes.len().min(15);
    buf[..n].copy_from_slice(&bytes[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from a
    // buffer that lives for the call.
    check(unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0) }).map(|_| ())
}

/// Asks the kernel to send `sig` to this process when its parent dies.
pub(crate) fn set_parent_death_signal(sig: i32) -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number; no memory is involved.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) }).map(|_| ())
}

/// The parent process id.
pub(crate) fn getppid() -> i32 {
    // SAFETY: always succeeds.
    unsafe { libc::getppid() }
}

/// kill(2).
pub(crate) fn kill(pid: i32, sig: i32) -> io::Result<()> {
    if pid <= 0 {
        // Never signal a process group or every process by accident.
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: no memory involved; pid > 0 targets exactly one process.
    check(unsafe { libc::kill(pid, sig) }).map(|_| ())
}

/// Whether a process with this pid exists (kill with signal 0).
pub(crate) fn process_exists(pid: i32) -> bool {
    match kill(pid, 0) {
        Ok(()) => true,
        Err(e) => e.raw_os_error() == Some(libc::EPERM),
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
}

/// Reaps child `pid` if it has exited, without blocking. Only the children
/// a caller started are reaped this way: a script runner in the same
/// process keeps the exit statuses of its own (see `crate::script::runner`).
pub(crate) fn reap_pid(pid: i32) -> Option<Exit> {
    if pid <= 0 {
        return None;
    }
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer for the duration of the call.
    let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if got != pid {
        return None;
    }
    if libc::WIFEXITED(status) {
        Some(Exit::Code(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Exit::Signal(libc::WTERMSIG(status)))
    } else {
        // Stopped/continued children are not reported with these flags.
        None
    }
}

/// The first real-time signal as glibc numbers it (SIGRTMIN).
pub(crate) fn sigrtmin() -> i32 {
    libc::SIGRTMIN()
}

/// The last real-time signal (SIGRTMAX).
pub(crate) fn sigrtmax() -> i32 {
    libc::SIGRTMAX()
}

/// A set of blocked signals that [`SignalSet::wait`] takes one at a time.
pub(crate) struct SignalSet {
    set: libc::sigset_t,
}

impl SignalSet {
    /// Blocks `signals` in the calling thread and returns the set to wait on.
    /// Children started with `std::process::Command` get an empty mask again.
    pub(crate) fn block(signals: &[i32]) -> io::Result<Self> {
        // SAFETY: sigset_t is plain data; sigemptyset initialises it before use.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid, initialised sigset_t for each call.
        unsafe {
            check(libc::sigemptyset(&mut set))?;
            for &s in signals {
                check(libc::sigaddset(&mut set, s))?;
            }
        }
        // SAFETY: `set` is initialised; the old mask is not requested.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(SignalSet { set })
    }

    /// Waits for one of the signals, at most `timeout`. `None` on time-out.
    pub(crate) fn wait(&self, timeout: Duration) -> io::Result<Option<i32>> {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: `self.set` is initialised, `ts` lives for the call and the info
        // pointer may be null.
        let rc = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &ts) };
        if rc == -1 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
                _ => Err(e),
            };
        }
        Ok(Some(rc))
    }
}

/// Empties the signal mask of the calling thread. The parent starts children
/// with its supervision signals blocked (the mask survives exec), so a child
/// clears it before installing its own handlers.
pub(crate) fn unblock_all_signals() -> io::Result<()> {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t; the old mask is not requested.
    let rc = unsafe {
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut())
    };
    if rc != 0 { Err(io::Error::from_raw_os_error(rc)) } else { Ok(()) }
}

/// Moves the calling (only) thread into the network namespace named by the
/// file `path` (e.g. /run/netns/NAME), as setns(2) with CLONE_NEWNET.
pub(crate) fn enter_netns(path: &std::path::Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path)?;
    // SAFETY: `f` is an open namespace file for the duration of the call.
    check(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }).map(|_| ())
}

/// Gives this process its own mount namespace with a /sys that shows the
/// current network namespace (as `ip netns exec` does), so that
/// /sys/class/net lists this namespace's interfaces. Mounts made outside
/// still propagate in (the tree is made a slave, not private).
pub(crate) fn private_sysfs() -> io::Result<()> {
    let c = |s: &str| std::ffi::CString::new(s).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    let (root, sys, sysfs) = (c("/")?, c("/sys")?, c("sysfs")?);
    // SAFETY: unshare takes flags only.
    check(unsafe { libc::unshare(libc::CLONE_NEWNS) })?;
    // SAFETY: every pointer is a NUL-terminated string that outlives the call, or null.
    unsafe {
        check(libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_SLAVE,
            std::ptr::null(),
        ))?;
        // /sys may not be mounted at all: then there is nothing to detach.
        let _ = libc::umount2(sys.as_ptr(), libc::MNT_DETACH);
        check(libc::mount(sysfs.as_ptr(), sys.as_ptr(), sysfs.as_ptr(), 0, std::ptr::null()))?;
    }
    Ok(())
}

/// Sets the SIGINT disposition to "ignore" (`--ignore-sigint`).
pub(crate) fn ignore_signal(sig: i32) -> io::Result<()> {
    // SAFETY: SIG_IGN is a valid disposition; no handler code is installed.
    let prev = unsafe { libc::signal(sig, libc::SIG_IGN) };
    if prev == libc::SIG_ERR { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// umask(2); returns the previous mask.
pub(crate) fn umask(mask: u32) -> u32 {
    // SAFETY: umask always succeeds.
    unsafe { libc::umask(mask as libc::mode_t) as u32 }
}

/// Removes the core size limit (`-m`).
pub(crate) fn unlimited_core_dumps() -> io::Result<()> {
    let lim = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: `lim` is a valid rlimit for the duration of the call.
    check(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &lim) }).map(|_| ())
}

// ---- Scheduling of a child process (`vrrp_priority`, `*_rt_priority`, ...) ----

/// This process's nice value (getpriority(PRIO_PROCESS, 0)).
pub(crate) fn nice() -> io::Result<i32> {
    // getpriority may legitimately return -1: errno tells the error apart.
    // SAFETY: errno is this thread's; no memory is involved otherwise.
    unsafe { *libc::__errno_location() = 0 };
    // SAFETY: plain system call without pointers.
    let v = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let e = io::Error::last_os_error();
    if v == -1 && e.raw_os_error().is_some_and(|c| c != 0) { Err(e) } else { Ok(v) }
}

/// Sets this process's nice value (setpriority(PRIO_PROCESS, 0, value)).
pub(crate) fn set_nice(value: i32) -> io::Result<()> {
    // SAFETY: plain system call without pointers.
    check(unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, value) }).map(|_| ())
}

/// Round-robin real-time scheduling at `priority` (1..=99), reset to the
/// normal policy in the processes we fork (SCHED_RESET_ON_FORK: scripts do
/// not inherit it), or back to SCHED_OTHER with `None`.
pub(crate) fn set_realtime(priority: Option<i32>) -> io::Result<()> {
    let (policy, prio) = match priority {
        Some(p) => (libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, p),
        None => (libc::SCHED_OTHER, 0),
    };
    let param = libc::sched_param { sched_priority: prio };
    // SAFETY: `param` lives for the call; pid 0 is this process.
    check(unsafe { libc::sched_setscheduler(0, policy, &param) }).map(|_| ())
}

/// The lowest priority of SCHED_RR.
pub(crate) fn rr_priority_min() -> i32 {
    // SAFETY: plain system call without pointers.
    unsafe { libc::sched_get_priority_min(libc::SCHED_RR) }.max(1)
}

/// RLIMIT_RTTIME (microseconds of CPU a real-time process may use without
/// blocking): `(soft, hard)`.
pub(crate) fn rlimit_rttime() -> io::Result<(u64, u64)> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid out-pointer for the call.
    check(unsafe { libc::getrlimit(libc::RLIMIT_RTTIME, &mut lim) })?;
    Ok((lim.rlim_cur, lim.rlim_max))
}

/// Sets RLIMIT_RTTIME.
pub(crate) fn set_rlimit_rttime(soft: u64, hard: u64) -> io::Result<()> {
    let lim = libc::rlimit { rlim_cur: soft, rlim_max: hard };
    // SAFETY: `lim` is a valid rlimit for the duration of the call.
    check(unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &lim) }).map(|_| ())
}

/// Locks this process's memory, present and future pages, in RAM (pages
/// are locked as they are first touched: MCL_ONFAULT).
pub(crate) fn lock_memory() -> io::Result<()> {
    // SAFETY: flags only.
    check(unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) }).map(|_| ())
}

/// Undoes [`lock_memory`].
pub(crate) fn unlock_memory() -> io::Result<()> {
    // SAFETY: no arguments.
    check(unsafe { libc::munlockall() }).map(|_| ())
}

/// Restricts this process to the CPUs `cpus` (ids as in /proc/cpuinfo).
pub(crate) fn set_cpu_affinity(cpus: &[u32]) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    for &c in cpus {
        let c = c as usize;
        if c >= max {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: `c` is below the set's size in bits (checked above).
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    // SAFETY: `set` is a valid cpu_set_t of the size passed; pid 0 is us.
    check(unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) }).map(|_| ())
}

/// The nice value scripts get back between fork and exec (see
/// [`script_nice`]): `i32::MIN` while this process keeps its inherited one.
static SCRIPT_NICE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(i32::MIN);

/// Remembers the nice value this process had before `*_priority` changed
/// it: the scripts it starts are put back to it, as keepalived's are.
pub(crate) fn set_script_nice(value: Option<i32>) {
    SCRIPT_NICE.store(value.unwrap_or(i32::MIN), std::sync::atomic::Ordering::SeqCst);
}

/// The nice value a script is to run with, when it differs from ours.
pub(crate) fn script_nice() -> Option<i32> {
    let v = SCRIPT_NICE.load(std::sync::atomic::Ordering::SeqCst);
    (v != i32::MIN).then_some(v)
}

// ---- The parent's event sources beside signals (reload monitor, children's notices) ----

/// Makes `fd` non-blocking and signal-driven: the kernel sends SIGIO to
/// this process when it turns readable, so that a loop waiting on signals
/// (sigtimedwait) hears about it.
pub(crate) fn signal_driven(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor we hold, with integer arguments only.
    unsafe {
        check(libc::fcntl(raw, libc::F_SETOWN, libc::getpid()))?;
        let flags = check(libc::fcntl(raw, libc::F_GETFL))?;
        check(libc::fcntl(raw, libc::F_SETFL, flags | libc::O_ASYNC | libc::O_NONBLOCK))?;
    }
    Ok(())
}

/// A blocking-free inotify instance (close-on-exec), for the parent.
pub(crate) fn inotify_init() -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: flags only; the descriptor returned is ours alone.
    let fd = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    // SAFETY: the kernel just returned `fd`; nothing else owns it.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Removes an inotify watch.
pub(crate) fn inotify_unwatch(fd: std::os::fd::BorrowedFd<'_>, wd: i32) {
    use std::os::fd::AsRawFd;
    // SAFETY: integers only; an unknown watch id is an error we ignore.
    unsafe { libc::inotify_rm_watch(fd.as_raw_fd(), wd) };
}

/// A pipe: (read end, write end), both close-on-exec.
pub(crate) fn pipe() -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for the call.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: the kernel just returned both descriptors; we own them.
    Ok(unsafe { (std::os::fd::OwnedFd::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1])) })
}

/// Sets or clears close-on-exec on `fd`.
pub(crate) fn set_cloexec(fd: std::os::fd::BorrowedFd<'_>, on: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl with integer arguments on a descriptor we hold.
    unsafe {
        let flags = check(libc::fcntl(raw, libc::F_GETFD))?;
        let flags = if on { flags | libc::FD_CLOEXEC } else { flags & !libc::FD_CLOEXEC };
        check(libc::fcntl(raw, libc::F_SETFD, flags))?;
    }
    Ok(())
}

/// Writes one byte to descriptor number `fd` (inherited from the parent:
/// "I have read the configuration"), without blocking; it is made
/// close-on-exec first so that no script inherits it.
pub(crate) fn notify_fd(fd: i32) -> io::Result<()> {
    if fd < 3 {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: integer arguments only; a descriptor that is not open gives EBADF.
    unsafe {
        check(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC))?;
        let byte = 1u8;
        check(libc::write(fd, (&byte as *const u8).cast(), 1) as libc::c_int)?;
    }
    Ok(())
}

/// read(2) on a non-blocking descriptor: `None` when nothing is there (or on error).
pub(crate) fn read_some(fd: std::os::fd::BorrowedFd<'_>, buf: &mut [u8]) -> Option<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: the pointer and length describe `buf`, exclusively borrowed for the call.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).ok()
}
