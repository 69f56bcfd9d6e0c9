//! What /proc says about a process, and signals.

use std::path::Path;

/// Sends `sig` to `pid` (nothing for a pid <= 0).
pub fn kill(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: kill(2) has no memory-safety preconditions; the callers
        // signal processes the test started (checked by comm/ppid where a
        // pid comes from a file).
        unsafe { libc::kill(pid, sig) };
    }
}

/// The number in a pid file.
pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The process name (`/proc/PID/comm`).
pub fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_owned())
}

/// The fields of `/proc/PID/stat` after the name: state, ppid, pgrp, session...
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(stat.rsplit_once(')')?.1.split_whitespace().map(str::to_owned).collect())
}

/// The parent's pid.
pub fn ppid(pid: i32) -> Option<i32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// The session id.
pub fn session(pid: i32) -> Option<i32> {
    stat_fields(pid)?.get(3)?.parse().ok()
}

/// Alive and not a zombie.
pub fn alive(pid: i32) -> bool {
    stat_fields(pid).and_then(|f| f.first().map(|s| s != "Z")).unwrap_or(false)
}

/// Handles SIGHUP and no longer blocks it: configuration loaded, handlers in place.
pub fn ready(pid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return false };
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    let hup = 1u64 << (libc::SIGHUP - 1);
    mask("SigCgt:") & hup != 0 && mask("SigBlk:") & hup == 0
}

/// VmRSS in KiB.
pub fn rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()
}

/// Resident anonymous memory (heap, stacks: what a leak grows), without
/// the file pages of the program's code, which the daemon maps and unmaps
/// as it runs (`sys::trim_heap`).
pub fn anon_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("RssAnon:"))?.split_whitespace().next()?.parse().ok()
}

/// Open file descriptors.
pub fn fd_count(pid: i32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// The network namespace (`net:[INODE]`).
pub fn netns_of(pid: i32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/ns/net")).ok().map(|l| l.to_string_lossy().into_owned())
}
