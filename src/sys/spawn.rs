//! Starting a script without copying our address space: `clone(CLONE_VM |
//! CLONE_VFORK)`, the way glibc's `posix_spawn` starts programs, with the
//! set-up `posix_spawn` cannot express (the switch of user and groups,
//! `PR_SET_PDEATHSIG`, close-on-exec for stray descriptors) made by raw
//! system calls in the child.
//!
//! Why not fork: a fork copies the page tables of the process that runs the
//! scripts (the VRRP child with 1,000 instances maps several MB), and the
//! copy-on-write faults that follow and the teardown of the copy at exec cost
//! as much again. With 100 track scripts a second
//! (bench/vrrp-track-scale.sh) that was most of the VRRP child's CPU time.
//! A `CLONE_VM` child borrows our memory until it execs, copying nothing.
//!
//! The price is care in the child. It runs in our address space, on a stack
//! of its own, while the kernel holds the thread that cloned it until the
//! exec succeeds or the child exits (`CLONE_VFORK`). So it allocates
//! nothing, takes no lock and calls no libc function that keeps state: only
//! `syscall(2)`, whose sole side effect is `errno`, and that `errno` belongs
//! to the suspended thread (the child keeps its thread pointer). Everything
//! it reads (C strings, pointer arrays, /dev/null's descriptor, the
//! credentials) is prepared beforehand in a [`Plan`]. Every signal is
//! blocked around the clone, so none of our handlers can run in the child
//! before it has reset them to the default. An exec failure is written into
//! the plan's `errno` slot and the child exits with 127; the parent, resumed,
//! reaps it and returns the error.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicI32, Ordering};

use libc::{c_char, c_int, c_long, c_void};

// The 32-bit ABIs whose plain set*id calls take 16-bit ids.
#[cfg(any(target_arch = "x86", target_arch = "arm", target_arch = "sparc"))]
mod ids_abi {
    pub(super) const SETGROUPS: libc::c_long = libc::SYS_setgroups32;
    pub(super) const SETGID: libc::c_long = libc::SYS_setgid32;
    pub(super) const SETUID: libc::c_long = libc::SYS_setuid32;
}
#[cfg(not(any(target_arch = "x86", target_arch = "arm", target_arch = "sparc")))]
mod ids_abi {
    pub(super) const SETGROUPS: libc::c_long = libc::SYS_setgroups;
    pub(super) const SETGID: libc::c_long = libc::SYS_setgid;
    pub(super) const SETUID: libc::c_long = libc::SYS_setuid;
}

/// The child's stack: its frames are a few hundred bytes; a debug build
/// needs more than a release one.
const CHILD_STACK: usize = 64 * 1024;

/// The shell that runs a file the kernel cannot execute (no `#!`), as
/// `execvp` and upstream's `system()` do.
const SHELL: &[u8] = b"/bin/sh\0";

/// Who the child becomes before the exec: `setgroups(groups)`,
/// `setgid(gid)`, `setuid(uid)`, in that order.
pub(crate) struct SpawnIds<'a> {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) groups: &'a [u32],
}

/// What the child needs, all of it prepared before the clone.
struct Plan {
    /// Files to try in turn: the program itself, or each `PATH` entry
    /// joined with a name without a slash (`execvp`'s search).
    candidates: Vec<CString>,
    argv: Vec<*const c_char>,
    /// `/bin/sh CANDIDATE ARGS...`: the child stores the candidate in slot 1.
    sh_argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    devnull: c_int,
    ids: Option<(libc::uid_t, libc::gid_t)>,
    groups: Vec<libc::gid_t>,
    last_signal: c_int,
    /// The nice value to put back (`*_priority` changed ours).
    nice: Option<c_int>,
    /// Written by the child when it fails: the errno.
    errno: AtomicI32,
}

/// Starts `argv[0]` (a path, or a name looked up in `PATH`) with the
/// arguments `argv` and our environment, in a new process group that it
/// leads, with /dev/null as stdin, stdout and stderr, every signal at its
/// default action and none blocked, no inherited descriptor above 2,
/// SIGTERM when the thread that started it exits (`PR_SET_PDEATHSIG`), and
/// `ids` if given. A file without `#!` is run by /bin/sh. Returns the pid
/// once the exec succeeded; an exec or set-up failure is returned as its
/// errno, the child already reaped.
pub(crate) fn spawn_script(argv: &[String], ids: Option<SpawnIds<'_>>) -> io::Result<u32> {
    let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "nul byte found in provided data");
    let args: Vec<CString> =
        argv.iter().map(|a| CString::new(a.as_bytes())).collect::<Result<_, _>>().map_err(|_| invalid())?;
    let Some(program) = argv.first() else {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    };
    let candidates = candidates(program)?;
    let env: Vec<CString> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = Vec::with_capacity(k.len() + v.len() + 2);
            kv.extend_from_slice(k.as_bytes());
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    let devnull = devnull()?;

    let nul = std::ptr::null::<c_char>();
    let mut plan = Plan {
        argv: args.iter().map(|a| a.as_ptr()).chain([nul]).collect(),
        sh_argv: [SHELL.as_ptr().cast(), nul]
            .into_iter()
            .chain(args.iter().skip(1).map(|a| a.as_ptr()))
            .chain([nul])
            .collect(),
        envp: env.iter().map(|e| e.as_ptr()).chain([nul]).collect(),
        candidates,
        devnull: devnull.as_raw_fd(),
        ids: ids.as_ref().map(|i| (i.uid, i.gid)),
        groups: ids.map(|i| i.groups.to_vec()).unwrap_or_default(),
        last_signal: libc::SIGRTMAX(),
        nice: super::process::script_nice(),
        errno: AtomicI32::new(0),
    };
    let mut stack: Vec<u8> = Vec::with_capacity(CHILD_STACK);
    // The stack grows down from its end, aligned to 16 bytes as every ABI asks.
    let top = (stack.as_mut_ptr() as usize + CHILD_STACK) & !15;

    let all: u64 = !0;
    let mut old: u64 = 0;
    // SAFETY: rt_sigprocmask reads one 8-byte mask and writes the old one
    // into `old`; both live for the call. Blocking everything (glibc's
    // internal signals too) in this thread only delays delivery.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK as c_long,
            &all as *const u64,
            &mut old as *mut u64,
            8 as c_long,
        )
    };
    // SAFETY: `child` runs on `stack` (CHILD_STACK bytes owned by this frame,
    // `top` inside it) in our address space, with `plan`, which it may
    // write (sh_argv's slot 1, errno) while this thread is suspended:
    // CLONE_VFORK keeps this thread in the kernel until the child has
    // exec'd or exited, so the plan, the C strings it points into, the stack
    // and `devnull` outlive every use the child makes of them, and nothing
    // here touches them meanwhile. The child calls only raw system calls
    // (see the module's comment), with every signal blocked until it has
    // reset their actions. Without CLONE_FILES/CLONE_SIGHAND/CLONE_THREAD
    // its descriptor table, signal actions and credentials are its own.
    let pid = unsafe {
        libc::clone(
            child,
            top as *mut c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&mut plan as *mut Plan).cast::<c_void>(),
        )
    };
    let clone_error = io::Error::last_os_error();
    // SAFETY: as above, restoring the mask saved in `old`.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK as c_long,
            &old as *const u64,
            std::ptr::null_mut::<u64>(),
            8 as c_long,
        )
    };
    drop(stack);
    if pid < 0 {
        return Err(clone_error);
    }
    let errno = plan.errno.load(Ordering::Relaxed);
    if errno != 0 {
        reap(pid);
        return Err(io::Error::from_raw_os_error(errno));
    }
    u32::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
}

/// /dev/null, opened once per process (read-write, close-on-exec: only its
/// duplicates on 0-2 survive a script's exec).
fn devnull() -> io::Result<&'static std::fs::File> {
    static DEVNULL: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();
    if let Some(f) = DEVNULL.get() {
        return Ok(f);
    }
    let f = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null")?;
    Ok(DEVNULL.get_or_init(|| f))
}

/// The files `execvp` would try for `program`.
fn candidates(program: &str) -> io::Result<Vec<CString>> {
    let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
    if program.is_empty() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    if program.contains('/') {
        return Ok(vec![CString::new(program).map_err(|_| invalid())?]);
    }
    // glibc's default search path when PATH is unset.
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    path.as_bytes()
        .split(|b| *b == b':')
        .map(|dir| {
            // An empty entry is the working directory.
            let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
            let mut p = Vec::with_capacity(dir.len() + program.len() + 1);
            p.extend_from_slice(dir);
            p.push(b'/');
            p.extend_from_slice(OsStr::new(program).as_bytes());
            CString::new(p).map_err(|_| invalid())
        })
        .collect()
}

/// Reaps child `pid`, which has exited or is about to (blocking).
fn reap(pid: libc::pid_t) {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid out-pointer for the call.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc >= 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// The child's entry point: set up, exec; on failure record errno, exit 127.
extern "C" fn child(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `&mut Plan` spawn_script passed to clone; its
    // thread is suspended until we exec or exit, so this is the only access.
    let plan = unsafe { &mut *arg.cast::<Plan>() };
    let errno = set_up_and_exec(plan);
    plan.errno.store(if errno == 0 { libc::ENOEXEC } else { errno }, Ordering::Relaxed);
    // SAFETY: exit takes a number; this process (the child alone: no
    // CLONE_THREAD) ends here.
    unsafe { libc::syscall(libc::SYS_exit, 127 as c_long) };
    127
}

/// `syscall(2)` with integer arguments: the result, or the errno.
fn sys(rc: c_long) -> Result<c_long, c_int> {
    if rc < 0 {
        // SAFETY: __errno_location returns the calling thread's errno slot
        // (here, the suspended parent thread's: see the module comment).
        Err(unsafe { *libc::__errno_location() })
    } else {
        Ok(rc)
    }
}

/// The child's work, in raw system calls only; returns the errno that
/// stopped it (an exec that succeeds does not return).
fn set_up_and_exec(plan: &mut Plan) -> c_int {
    match set_up(plan) {
        Ok(()) => exec(plan),
        Err(e) => e,
    }
}

fn set_up(plan: &Plan) -> Result<(), c_int> {
    // Every signal to its default action, glibc's own (32, 33) too, through
    // the system call with an all-zero kernel sigaction (SIG_DFL, no flags,
    // empty mask in every architecture's layout). Errors mean nothing to reset.
    let dfl = [0u64; 4];
    for sig in 1..=plan.last_signal {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            // SAFETY: `dfl` is readable and at least the kernel's sigaction size;
            // the old action is not asked for.
            unsafe {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig as c_long,
                    dfl.as_ptr(),
                    std::ptr::null_mut::<u64>(),
                    8 as c_long,
                )
            };
        }
    }
    // SAFETY: numbers only.
    sys(unsafe { libc::syscall(libc::SYS_setpgid, 0 as c_long, 0 as c_long) })?;
    if let Some(n) = plan.nice {
        // Best effort, as keepalived's: a script runs at the priority
        // keepalived was started with, not the one `*_priority` gave us.
        // SAFETY: numbers only.
        unsafe { libc::syscall(libc::SYS_setpriority, libc::PRIO_PROCESS as c_long, 0 as c_long, n as c_long) };
    }
    for fd in 0..3 {
        if plan.devnull == fd {
            // /dev/null already sits here: keep it across the exec.
            // SAFETY: numbers only.
            sys(unsafe { libc::syscall(libc::SYS_fcntl, fd as c_long, libc::F_SETFD as c_long, 0 as c_long) })?;
        } else {
            // SAFETY: numbers only; the new descriptor is not close-on-exec.
            sys(unsafe { libc::syscall(libc::SYS_dup3, plan.devnull as c_long, fd as c_long, 0 as c_long) })?;
        }
    }
    if let Some((uid, gid)) = plan.ids {
        // SAFETY: the pointer and length describe `plan.groups`, which the
        // kernel only reads.
        sys(unsafe { libc::syscall(ids_abi::SETGROUPS, plan.groups.len() as c_long, plan.groups.as_ptr()) })?;
        // SAFETY: numbers only. The raw calls change this process's ids
        // alone (glibc's wrappers would signal the parent's threads).
        sys(unsafe { libc::syscall(ids_abi::SETGID, gid as c_long) })?;
        // SAFETY: as above.
        sys(unsafe { libc::syscall(ids_abi::SETUID, uid as c_long) })?;
    }
    // Descriptors inherited without close-on-exec (ours all have it) close at
    // the exec. Linux 5.11+; earlier kernels leave them.
    // SAFETY: numbers only.
    unsafe {
        libc::syscall(libc::SYS_close_range, 3 as c_long, c_long::from(u32::MAX), libc::CLOSE_RANGE_CLOEXEC as c_long)
    };
    // After the id change, which clears it.
    // SAFETY: numbers only.
    sys(unsafe {
        libc::syscall(
            libc::SYS_prctl,
            libc::PR_SET_PDEATHSIG as c_long,
            libc::SIGTERM as c_long,
            0 as c_long,
            0 as c_long,
            0 as c_long,
        )
    })?;
    let empty: u64 = 0;
    // SAFETY: reads one 8-byte mask that lives for the call.
    sys(unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK as c_long,
            &empty as *const u64,
            std::ptr::null_mut::<u64>(),
            8 as c_long,
        )
    })?;
    Ok(())
}

/// `execvp`'s loop over the candidates.
fn exec(plan: &mut Plan) -> c_int {
    let mut denied = false;
    let mut last = libc::ENOENT;
    for file in &plan.candidates {
        // SAFETY: `file`, `argv` and `envp` are NUL-terminated strings and
        // null-terminated arrays of them that outlive the call.
        let Err(e) =
            sys(unsafe { libc::syscall(libc::SYS_execve, file.as_ptr(), plan.argv.as_ptr(), plan.envp.as_ptr()) })
        else {
            continue;
        };
        match e {
            libc::ENOEXEC => {
                let Some(slot) = plan.sh_argv.get_mut(1) else { return e };
                *slot = file.as_ptr();
                // SAFETY: as above, with the shell and its argument array.
                let rc = unsafe {
                    libc::syscall(libc::SYS_execve, SHELL.as_ptr(), plan.sh_argv.as_ptr(), plan.envp.as_ptr())
                };
                return sys(rc).err().unwrap_or(e);
            }
            libc::EACCES => denied = true,
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            other => return other,
        }
        last = e;
    }
    if denied { libc::EACCES } else { last }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A script runs at the nice value keepalived started with, not the one
    /// `*_priority` gave the child that starts it.
    #[test]
    fn scripts_get_the_saved_nice_value_back() {
        let out = std::env::temp_dir().join(format!("kr-spawn-nice-{}", std::process::id()));
        let _ = std::fs::remove_file(&out);
        // Field 19 of /proc/self/stat is the nice value of the process reading it.
        let cmd = format!("cut -d' ' -f19 /proc/self/stat > {}", out.display());
        let argv = ["/bin/sh".to_owned(), "-c".to_owned(), cmd];
        super::super::process::set_script_nice(Some(7));
        let pid = spawn_script(&argv, None);
        super::super::process::set_script_nice(None);
        let pid = pid.expect("spawn");
        reap(pid as libc::pid_t);
        let nice = std::fs::read_to_string(&out).expect("output");
        let _ = std::fs::remove_file(&out);
        assert_eq!(nice.trim(), "7");
    }
}
