//! The few system calls that need `unsafe`, each wrapped in a safe function:
//! the only `unsafe` of the crate. Every block says why it is sound in a
//! `// SAFETY:` comment (clippy's `undocumented_unsafe_blocks` is denied).
//!
//! - here: sockets (options, `AF_PACKET` bind, `recvmsg`), tokio
//!   registration, the timerfd, heap trimming;
//! - [`process`]: fork, setsid, prctl, signal masks, waitpid, namespaces;
//! - [`linkbeat`]: link status ioctls (MII, ethtool, interface flags);
//! - [`spawn`]: starting scripts with `clone(CLONE_VM | CLONE_VFORK)`;
//! - [`time`]: local time for log lines.

pub(crate) mod linkbeat;
mod process;
mod spawn;
mod time;

pub(crate) use process::*;
pub(crate) use spawn::{SpawnIds, spawn_script};
pub(crate) use time::{LocalTime, local_time, to_epoch, utc_time};

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd};

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(rc) }
}

/// Sets an integer socket option.
pub(crate) fn setsockopt_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` lives for the call and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    check(rc).map(|_| ())
}

/// Binds an `AF_PACKET` socket to one interface and Ethernet protocol.
pub(crate) fn bind_packet(fd: BorrowedFd<'_>, ifindex: u32, ethertype: u16) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
    sll.sll_family = libc::AF_PACKET as libc::c_ushort;
    sll.sll_protocol = ethertype.to_be();
    sll.sll_ifindex = ifindex as libc::c_int;
    // SAFETY: the pointer and length describe `sll`, which outlives the call.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    check(rc).map(|_| ())
}

/// What `recvmsg` gave on an IPv6 socket.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecvMeta {
    pub len: usize,
    pub src: Option<SocketAddrV6>,
    /// Bytes of ancillary data written into the control buffer.
    pub control_len: usize,
}

/// `recvmsg` into initialized buffers, non-blocking as the socket is.
pub(crate) fn recvmsg_v6(fd: BorrowedFd<'_>, buf: &mut [u8], control: &mut [u8]) -> io::Result<RecvMeta> {
    // SAFETY: all-zero is valid for these plain C structs.
    let mut addr: libc::sockaddr_in6 = unsafe { zeroed() };
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = (&mut addr as *mut libc::sockaddr_in6).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = control.len();
    // SAFETY: every pointer in `msg` points at a live buffer of the stated size.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let src = (msg.msg_namelen as usize >= size_of::<libc::sockaddr_in6>()
        && addr.sin6_family == libc::AF_INET6 as libc::sa_family_t)
        .then(|| {
            SocketAddrV6::new(
                Ipv6Addr::from(addr.sin6_addr.s6_addr),
                u16::from_be(addr.sin6_port),
                addr.sin6_flowinfo,
                addr.sin6_scope_id,
            )
        });
    Ok(RecvMeta { len: n as usize, src, control_len: msg.msg_controllen.min(control.len()) })
}

/// Registers an owned socket with the current tokio reactor.
pub(crate) fn async_socket(s: socket2::Socket) -> io::Result<tokio::io::unix::AsyncFd<socket2::Socket>> {
    // SAFETY: `socket2::Socket` owns its descriptor: it stays open, and
    // `as_raw_fd` returns the same value, until the socket is dropped, which
    // only happens when the AsyncFd that now owns it is dropped.
    unsafe { tokio::io::unix::AsyncFd::register(s) }.map_err(|e| e.into_parts().1)
}

/// Gives memory that start-up or a reload used back to the system: called
/// once a large temporary, such as a parsed configuration, is freed.
///
/// - The heap's free memory (glibc keeps it otherwise).
/// - Our page-table entries for this program's machine code and read-only
///   data. The kernel maps file pages in 64 KiB fault-around windows, so
///   after start-up most of the binary (the configuration parser, the code
///   and tables of other subsystems that sit beside what ran) is mapped in
///   every process although the steady state uses a small part of it.
///   Dropping the mappings of never-written, read-only file pages loses
///   nothing: the pages stay in the page cache, and what the loop uses is
///   mapped again by its next minor fault (a few microseconds, once).
pub(crate) fn trim_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
    release_file_mappings();
}

/// Drops this process's mappings of its own executable's read-only
/// segments (see [`trim_heap`]).
fn release_file_mappings() {
    let here = release_file_mappings as fn() as usize;
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return };
    let maps = file_mappings(&smaps);
    // The executable: the file that holds this very function.
    let Some(exe) = maps.iter().find(|m| m.range.contains(&here)).map(|m| m.file) else { return };
    for m in maps.iter().filter(|m| m.file == exe && m.droppable()) {
        // SAFETY: the range is one whole private, read-only mapping of our
        // executable in which no page was ever written (no anonymous copy:
        // a static, position-dependent binary relocates nothing there; the
        // segment that start-up writes, RELRO, has copies and is left
        // alone). MADV_DONTNEED only removes the page-table entries; a
        // later access faults the same bytes back in from the page cache.
        // No Rust reference is invalidated: the bytes do not change.
        unsafe {
            libc::madvise(m.range.start as *mut libc::c_void, m.range.end - m.range.start, libc::MADV_DONTNEED);
        }
    }
}

/// A file-backed mapping from /proc/self/smaps.
#[derive(Debug, PartialEq, Eq)]
struct FileMapping<'a> {
    range: std::ops::Range<usize>,
    perms: &'a str,
    /// Device and inode.
    file: (&'a str, &'a str),
    /// Anonymous (copied-on-write) pages, in kB.
    anonymous_kb: u64,
}

impl FileMapping<'_> {
    /// Private, not writable, and never written.
    fn droppable(&self) -> bool {
        let b = self.perms.as_bytes();
        b.first() == Some(&b'r') && b.get(1) == Some(&b'-') && b.get(3) == Some(&b'p') && self.anonymous_kb == 0
    }
}

/// The file-backed mappings of an smaps text ("START-END PERMS OFFSET DEV
/// INODE PATH" headers, then "Key: value kB" lines).
fn file_mappings(smaps: &str) -> Vec<FileMapping<'_>> {
    let mut out: Vec<FileMapping<'_>> = Vec::new();
    let mut current: Option<FileMapping<'_>> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16))
        {
            out.extend(current.take());
            let (perms, _offset, dev, inode) = (fields.next(), fields.next(), fields.next(), fields.next());
            if let (Some(perms), Some(dev), Some(inode)) = (perms, dev, inode)
                && inode != "0"
            {
                // Unknown until its Anonymous line: not droppable meanwhile.
                current = Some(FileMapping { range: start..end, perms, file: (dev, inode), anonymous_kb: u64::MAX });
            }
        } else if first == "Anonymous:"
            && let Some(m) = current.as_mut()
        {
            m.anonymous_kb = fields.next().and_then(|v| v.parse().ok()).unwrap_or(u64::MAX);
        }
    }
    out.extend(current);
    out
}

/// A non-blocking, close-on-exec `CLOCK_MONOTONIC` timerfd registered with
/// the current tokio reactor: nanosecond deadlines, where tokio's own timer
/// rounds up to whole milliseconds.
pub(crate) fn async_timerfd() -> io::Result<tokio::io::unix::AsyncFd<std::fs::File>> {
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: a plain system call without pointers.
    let fd = check(unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) })?;
    // SAFETY: the kernel just returned `fd`; nothing else owns it.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    // SAFETY: the File owns its descriptor until the AsyncFd that now owns it is dropped.
    unsafe { tokio::io::unix::AsyncFd::register(file) }.map_err(|e| e.into_parts().1)
}

/// A new epoll set (mio's `Poll`) registered with the current tokio reactor,
/// readable when one of its own sources is ready (TCP_CHECK's poller).
pub(crate) fn async_poll() -> io::Result<tokio::io::unix::AsyncFd<mio::Poll>> {
    let poll = mio::Poll::new()?;
    // SAFETY: the Poll owns its descriptor until the AsyncFd that now owns it is dropped.
    unsafe { tokio::io::unix::AsyncFd::register(poll) }.map_err(|e| e.into_parts().1)
}

/// Arms a timerfd to expire once, `after` from now (at least 1 ns: a zero
/// value would disarm it), or disarms it with `None`.
pub(crate) fn timerfd_arm(fd: BorrowedFd<'_>, after: Option<std::time::Duration>) -> io::Result<()> {
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    let value = match after {
        Some(d) => libc::timespec {
            tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::from(d.subsec_nanos().max(u32::from(d.as_secs() == 0))),
        },
        None => zero,
    };
    let spec = libc::itimerspec { it_interval: zero, it_value: value };
    // SAFETY: `spec` lives for the call; the old value is not asked for.
    check(unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) })?;
    Ok(())
}

/// Sets a socket option whose value is a C struct, given as its bytes (the
/// IPVS socket options: the caller lays the struct out, see `ipvs::sockopt`).
/// An empty value passes a null pointer and length 0.
pub(crate) fn setsockopt_bytes(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &[u8],
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let ptr = if value.is_empty() { std::ptr::null() } else { value.as_ptr().cast() };
    // SAFETY: `ptr` is null with length 0 or points at `value`, which lives
    // for the call and is `len` bytes long; the kernel only reads it.
    let rc = unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, ptr, len) };
    check(rc).map(|_| ())
}

/// Reads a socket option whose value is a C struct into `buf`, which also
/// carries the request for options that take one (`IP_VS_SO_GET_DESTS`).
/// Returns how many bytes the kernel wrote.
pub(crate) fn getsockopt_bytes(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut len = libc::socklen_t::try_from(buf.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: the pointer and `len` describe `buf`, which is exclusively
    // borrowed for the call; the kernel writes at most `len` bytes and
    // stores the length it wrote in `len`.
    let rc = unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, buf.as_mut_ptr().cast(), &mut len) };
    check(rc)?;
    Ok((len as usize).min(buf.len()))
}

// ---- Scripts (src/script): credentials in the child, pidfds, process groups ----

/// The effective user and group ids of this process.
pub(crate) fn effective_ids() -> (u32, u32) {
    // SAFETY: geteuid and getegid take no arguments and always succeed.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

/// Makes a script's child switch to `uid`/`gid` with supplementary `groups`
/// between fork and exec (setgroups, setgid, setuid, in that order, as
/// upstream's child does), reset every signal to its default action, and ask
/// for SIGTERM when the thread that spawned it dies (PR_SET_PDEATHSIG, set
/// after the id change, which would clear it), and mark inherited
/// descriptors above 2 close-on-exec. A nice value changed by
/// `vrrp_priority` (and the like) is put back to what it was. `apply_ids` false leaves the
/// ids alone (a non-root process that runs scripts as itself cannot call
/// setgroups).
pub(crate) fn script_child_setup(
    cmd: &mut std::process::Command,
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
    apply_ids: bool,
) {
    use std::os::unix::process::CommandExt;
    let groups: Vec<libc::gid_t> = groups;
    let last_signal = libc::SIGRTMAX();
    // The nice value this process had before `*_priority` changed it.
    let nice = process::script_nice();
    let setup = move || -> io::Result<()> {
        if let Some(n) = nice {
            // Best effort, as keepalived's: a script runs at the priority
            // keepalived was started with.
            // SAFETY: plain system call without pointers.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, n) };
        }
        if apply_ids {
            // SAFETY: the pointer and length describe `groups`, allocated before fork.
            check(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) })?;
            // SAFETY: plain system calls without pointers.
            check(unsafe { libc::setgid(gid) })?;
            // SAFETY: as above.
            check(unsafe { libc::setuid(uid) })?;
        }
        // Every signal to its default action, glibc's own (32, 33) too,
        // which its wrappers refuse and its posix_spawn leaves ignored in the
        // programs it starts: through the system call, with an all-zero
        // action, which is SIG_DFL in every architecture's layout.
        let dfl = [0u64; 4];
        for sig in 1..=last_signal {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                // SAFETY: `dfl` is a readable all-zero kernel sigaction of at
                // least the kernel's size; the old action is not asked for.
                // Errors are ignored (nothing to reset).
                unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), std::ptr::null::<u64>(), 8usize) };
            }
        }
        // An empty signal mask: the parent, which runs the startup and
        // shutdown scripts, blocks the signals it takes with sigtimedwait.
        let none = 0u64;
        // SAFETY: `none` is a readable all-zero kernel sigset of 8 bytes;
        // the old mask is not asked for.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &none as *const u64,
                std::ptr::null::<u64>(),
                8usize,
            )
        };
        // Descriptors inherited without close-on-exec (ours all have it)
        // are closed by the exec; std's own error pipe stays usable until
        // then. Linux 5.11+; earlier kernels leave them.
        // SAFETY: close_range takes numbers and flags; no memory is involved.
        unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
        // SAFETY: PR_SET_PDEATHSIG takes a signal number; no memory is involved.
        check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong, 0, 0, 0) })?;
        Ok(())
    };
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls (setgroups, setgid, setuid, signal,
    // prctl) on data allocated before the fork; it allocates nothing.
    unsafe { cmd.pre_exec(setup) };
}

/// A pidfd for child `pid`, registered with the current tokio reactor: it
/// turns readable when the child exits. `Err` with ENOSYS on kernels before
/// 5.3.
pub(crate) fn async_pidfd(pid: u32) -> io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: pidfd_open takes a pid and flags; no memory is involved.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = libc::c_int::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
    // SAFETY: the kernel just returned `fd` (close-on-exec); nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: the OwnedFd keeps the descriptor open until the AsyncFd that
    // now owns it is dropped.
    unsafe { tokio::io::unix::AsyncFd::register(owned) }.map_err(|e| e.into_parts().1)
}

/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChildEnd {
    Exited(i32),
    Signalled(i32),
}

/// Whether child `pid` has ended, without blocking: `None` while it runs.
/// With `reap` false the child stays a zombie (WNOWAIT), so its pid, and the
/// process group it leads, cannot be reused until it is reaped.
pub(crate) fn child_ended(pid: u32, reap: bool) -> io::Result<Option<ChildEnd>> {
    let id = libc::id_t::from(pid);
    let mut flags = libc::WEXITED | libc::WNOHANG;
    if !reap {
        flags |= libc::WNOWAIT;
    }
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { zeroed() };
    // SAFETY: `info` is a valid out-pointer for the call.
    check(unsafe { libc::waitid(libc::P_PID, id, &mut info, flags) })?;
    // SAFETY: waitid filled `info` for a child (si_pid stays 0 when none
    // changed state), so the child fields are the ones to read.
    let (child, status) = unsafe { (info.si_pid(), info.si_status()) };
    if child == 0 {
        return Ok(None);
    }
    Ok(Some(match info.si_code {
        libc::CLD_EXITED => ChildEnd::Exited(status),
        _ => ChildEnd::Signalled(status),
    }))
}

/// Sends `sig` to every process of process group `pgid` (kill(-pgid)).
pub(crate) fn kill_process_group(pgid: u32, sig: i32) -> io::Result<()> {
    let pgid = libc::pid_t::try_from(pgid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    if pgid <= 1 {
        // Never signal our own group (0), init's (1) or every process (-1).
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: no memory involved; -pgid (< -1) targets exactly that group.
    check(unsafe { libc::kill(-pgid, sig) }).map(|_| ())
}

/// An inotify instance (non-blocking, close-on-exec) registered with tokio.
pub(crate) fn async_inotify() -> io::Result<tokio::io::unix::AsyncFd<std::fs::File>> {
    // SAFETY: inotify_init1 takes flags only; the fd it returns is ours alone.
    let fd = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    // SAFETY: the kernel just returned `fd`; nothing else owns it.
    let file = std::fs::File::from(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
    // SAFETY: the File owns its descriptor until the AsyncFd that now owns it is dropped.
    unsafe { tokio::io::unix::AsyncFd::register(file) }.map_err(|e| e.into_parts().1)
}

/// Watches `path` (a directory) for `mask` events; returns the watch id.
pub(crate) fn inotify_watch(fd: BorrowedFd<'_>, path: &std::path::Path, mask: u32) -> io::Result<i32> {
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a NUL-terminated path that lives for the call.
    check(unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) })
}

/// Creates a FIFO at `path` with `mode` (less the umask).
pub(crate) fn mkfifo(path: &std::path::Path, mode: u32) -> io::Result<()> {
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a NUL-terminated path that lives for the call.
    check(unsafe { libc::mkfifo(c.as_ptr(), mode as libc::mode_t) }).map(|_| ())
}

/// One inotify event: watch descriptor, mask and the name in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InotifyEvent {
    pub wd: i32,
    pub mask: u32,
    pub name: Vec<u8>,
}

/// Splits what a read of an inotify descriptor returned into events
/// (`struct inotify_event`: wd, mask, cookie, len, then `len` bytes of
/// NUL-padded name). A truncated tail is dropped.
pub(crate) fn inotify_events(buf: &[u8]) -> Vec<InotifyEvent> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() >= 16 {
        let word = |i: usize| rest.get(i..i + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_ne_bytes);
        let (Some(wd), Some(mask), Some(len)) = (word(0), word(4), word(12)) else { break };
        let end = 16 + len as usize;
        let Some(name) = rest.get(16..end) else { break };
        let name = name.split(|b| *b == 0).next().unwrap_or_default().to_vec();
        out.push(InotifyEvent { wd: wd as i32, mask, name });
        rest = rest.get(end..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
00200000-003c7000 r--p 00000000 fd:01 1234 /usr/sbin/keepalived
Size:               1820 kB
Rss:                 764 kB
Anonymous:             0 kB
003c8000-0094a000 r-xp 001c7000 fd:01 1234 /usr/sbin/keepalived
Anonymous:             0 kB
0094a000-009a9000 r--p 00749000 fd:01 1234 /usr/sbin/keepalived
Anonymous:             8 kB
009a9000-009b4000 rw-p 007a8000 fd:01 1234 /usr/sbin/keepalived
Anonymous:            24 kB
009b4000-009bd000 rw-p 00000000 00:00 0
Anonymous:            16 kB
7f0000000000-7f0000001000 r--p 00000000 fd:01 99 /etc/ld.so.cache
7ffe4bbbc000-7ffe4bbdd000 rw-p 00000000 00:00 0 [stack]
Anonymous:            44 kB
";

    #[test]
    fn only_never_written_read_only_file_mappings_are_dropped() {
        let maps = file_mappings(SMAPS);
        let exe = ("fd:01", "1234");
        let seen: Vec<(usize, &str, bool)> =
            maps.iter().map(|m| (m.range.start, m.perms, m.file == exe && m.droppable())).collect();
        assert_eq!(
            seen,
            [
                (0x200000, "r--p", true),
                (0x3c8000, "r-xp", true),
                // RELRO: written at start-up.
                (0x94a000, "r--p", false),
                (0x9a9000, "rw-p", false),
                // Another file, and one without an Anonymous line.
                (0x7f0000000000, "r--p", false),
            ]
        );
        assert_eq!(maps[4].anonymous_kb, u64::MAX);
    }

    #[test]
    fn trimming_keeps_the_program_running() {
        let before = format!("{:?}", (1.5f64, "text", [3u8; 4]));
        trim_heap();
        trim_heap();
        assert_eq!(format!("{:?}", (1.5f64, "text", [3u8; 4])), before);
    }
}
