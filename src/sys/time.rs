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
    let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
    ok.then(|| broken_down(&tm))
}

/// gmtime_r(3) of `secs` since the epoch.
pub(crate) fn utc_time(secs: i64) -> Option<LocalTime> {
    let t = secs as libc::time_t;
    // SAFETY: tm is plain data and fully written by gmtime_r on success.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; gmtime_r is thread safe.
    let ok = !unsafe { libc::gmtime_r(&t, &mut tm) }.is_null();
    ok.then(|| broken_down(&tm))
}

fn broken_down(tm: &libc::tm) -> LocalTime {
    LocalTime {
        year: tm.tm_year + 1900,
        month: tm.tm_mon.clamp(0, 11) as u32,
        day: tm.tm_mday.max(0) as u32,
        hour: tm.tm_hour.max(0) as u32,
        min: tm.tm_min.max(0) as u32,
        sec: tm.tm_sec.max(0) as u32,
        weekday: tm.tm_wday.clamp(0, 6) as u32,
    }
}

/// The Unix time of a broken-down time, in local time (mktime, daylight
/// saving time worked out) or UTC (timegm), with the broken-down time the C
/// library normalised it to: a time that does not exist (a spring-forward
/// gap, the 31st of April) comes back different.
pub(crate) fn to_epoch(t: &LocalTime, utc: bool) -> Option<(i64, LocalTime)> {
    // SAFETY: tm is plain data; all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.month as libc::c_int;
    tm.tm_mday = t.day as libc::c_int;
    tm.tm_hour = t.hour as libc::c_int;
    tm.tm_min = t.min as libc::c_int;
    tm.tm_sec = t.sec as libc::c_int;
    tm.tm_isdst = -1;
    // SAFETY: `tm` is a valid, initialised struct tm for the call.
    let secs = unsafe { if utc { libc::timegm(&mut tm) } else { libc::mktime(&mut tm) } };
    if secs == -1 {
        return None;
    }
    let norm = LocalTime {
        year: tm.tm_year + 1900,
        month: tm.tm_mon.clamp(0, 11) as u32,
        day: tm.tm_mday.max(0) as u32,
        hour: tm.tm_hour.max(0) as u32,
        min: tm.tm_min.max(0) as u32,
        sec: tm.tm_sec.max(0) as u32,
        weekday: tm.tm_wday.clamp(0, 6) as u32,
    };
    Some((secs, norm))
}
