//! Local time for log lines (localtime_r(3)).

/// Local broken-down time of a Unix timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LocalTime {
    pub(crate) year: i32,
    /// 0-11
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) min: u32,
    pub(crate) sec: u32,
    /// 0 = Sunday
    pub(crate) weekday: u32,
}

/// localtime_r(3) of `secs` since the epoch.
pub(crate) fn local_time(secs: i64) -> Option<LocalTime> {
    let t = secs as libc::time_t;
    // SAFETY: tm is plain data and fully written by localtime_r on success.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is thread safe.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return None;
    }
    Some(LocalTime {
        year: tm.tm_year + 1900,
        month: tm.tm_mon.clamp(0, 11) as u32,
        day: tm.tm_mday.max(0) as u32,
        hour: tm.tm_hour.max(0) as u32,
        min: tm.tm_min.max(0) as u32,
        sec: tm.tm_sec.max(0) as u32,
        weekday: tm.tm_wday.clamp(0, 6) as u32,
    })
}
