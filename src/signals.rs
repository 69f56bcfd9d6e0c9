//! Signal numbers keepalived uses beyond the classic ones, and their names:
//! a leaf shared by the command line (`--signum`), the supervisor and the
//! children's signal streams.

/// SIGSTATS_CLEAR: write the statistics and clear the counters (SIGRTMAX - 1).
pub(crate) fn stats_clear() -> i32 {
    crate::sys::sigrtmax() - 1
}

/// SIGJSON: write the state as JSON (SIGRTMIN + 2).
pub(crate) fn json() -> i32 {
    crate::sys::sigrtmin() + 2
}

/// A signal's name for log lines ("exited due to signal 9 (Killed)").
pub(crate) fn description(sig: i32) -> &'static str {
    match sig {
        libc::SIGHUP => "Hangup",
        libc::SIGINT => "Interrupt",
        libc::SIGQUIT => "Quit",
        libc::SIGILL => "Illegal instruction",
        libc::SIGTRAP => "Trace/breakpoint trap",
        libc::SIGABRT => "Aborted",
        libc::SIGBUS => "Bus error",
        libc::SIGFPE => "Floating point exception",
        libc::SIGKILL => "Killed",
        libc::SIGUSR1 => "User defined signal 1",
        libc::SIGSEGV => "Segmentation fault",
        libc::SIGUSR2 => "User defined signal 2",
        libc::SIGPIPE => "Broken pipe",
        libc::SIGALRM => "Alarm clock",
        libc::SIGTERM => "Terminated",
        libc::SIGXCPU => "CPU time limit exceeded",
        _ => "Unknown signal",
    }
}
