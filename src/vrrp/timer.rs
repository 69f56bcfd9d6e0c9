//! VRRP timer arithmetic: Skew_Time, Master_Down_Interval and the advert
//! interval resolution rules (RFC 3768 section 6.1, RFC 5798 section 6.1).
//!
//! Everything here is pure integer arithmetic on microseconds, the same
//! resolution keepalived uses, so the deadlines the state machine computes are
//! bit-for-bit the ones Debian's keepalived schedules (e.g. 3.609375 s for a
//! VRRPv2 backup of priority 100 with a 1 s advert interval).

use std::time::Duration;

/// Protocol version of an instance (`vrrp_version` / `version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// RFC 3768: whole-second advert intervals, Skew_Time in fractions of a second.
    V2,
    /// RFC 5798: centisecond advert intervals, Skew_Time scaled by Master_Adver_Interval.
    V3,
}

impl Version {
    /// The number carried in the packet's version nibble.
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

const MICROS_PER_SEC: u64 = 1_000_000;
const MICROS_PER_CENTI: u64 = 10_000;

/// Microseconds in `d`, saturating at `u64::MAX` (only reachable with absurd
/// durations no config or packet can produce).
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Skew_Time for `priority`.
///
/// RFC 3768 section 6.1: `Skew_Time = (256 - Priority) / 256` seconds.
/// RFC 5798 section 6.1: `Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256`.
/// keepalived computes the v3 form in whole centiseconds of the interval times
/// 625/16 (= 10000/256) with integer division, which is what we reproduce: for
/// priority 100 and 0.1 s the result is 60937 us, not 60937.5.
pub fn skew_time(version: Version, priority: u8, master_adver_int: Duration) -> Duration {
    let weight = 256 - u64::from(priority);
    let us = match version {
        Version::V2 => weight * MICROS_PER_SEC / 256,
        Version::V3 => {
            let centis = micros(master_adver_int) / MICROS_PER_CENTI;
            weight.saturating_mul(centis).saturating_mul(625) / 16
        }
    };
    Duration::from_micros(us)
}

/// Master_Down_Interval: `down_timer_adverts * Master_Adver_Interval + Skew_Time`.
///
/// RFC 3768 / RFC 5798 section 6.1 fix the multiplier at 3; keepalived's
/// `down_timer_adverts` (1..=100, default 3) makes it configurable.
pub fn master_down_interval(
    version: Version,
    down_timer_adverts: u32,
    priority: u8,
    master_adver_int: Duration,
) -> Duration {
    master_adver_int.saturating_mul(down_timer_adverts).saturating_add(skew_time(version, priority, master_adver_int))
}

/// Rounds a configured advert interval to what the protocol can carry, the way
/// keepalived does after reading the config: v2 to whole seconds (1..=255),
/// v3 to centiseconds (0.01..=40.95 s), halves rounding up, zero becoming the
/// smallest unit.
pub(crate) fn normalize_advert_interval(version: Version, configured: Duration) -> Duration {
    let us = micros(configured);
    let (unit, max_units) = match version {
        Version::V2 => (MICROS_PER_SEC, 255),
        Version::V3 => (MICROS_PER_CENTI, 4095),
    };
    let units = (us.saturating_add(unit / 2) / unit).clamp(1, max_units);
    Duration::from_micros(units * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_skew_priority_100_is_609375_us() {
        assert_eq!(skew_time(Version::V2, 100, Duration::from_secs(1)), Duration::from_micros(609_375));
        // v2 ignores the interval entirely.
        assert_eq!(skew_time(Version::V2, 100, Duration::from_secs(5)), Duration::from_micros(609_375));
    }

    #[test]
    fn v3_skew_scales_with_interval_and_truncates() {
        assert_eq!(skew_time(Version::V3, 100, Duration::from_millis(100)), Duration::from_micros(60_937));
        assert_eq!(skew_time(Version::V3, 100, Duration::from_secs(1)), Duration::from_micros(609_375));
        assert_eq!(skew_time(Version::V3, 255, Duration::from_millis(10)), Duration::from_micros(39));
    }

    #[test]
    fn down_interval_figures() {
        assert_eq!(master_down_interval(Version::V2, 3, 100, Duration::from_secs(1)), Duration::from_micros(3_609_375));
        assert_eq!(
            master_down_interval(Version::V3, 3, 100, Duration::from_millis(100)),
            Duration::from_micros(360_937)
        );
        assert_eq!(master_down_interval(Version::V2, 1, 200, Duration::from_secs(2)), Duration::from_micros(2_218_750));
    }

    #[test]
    fn interval_rounding() {
        assert_eq!(normalize_advert_interval(Version::V2, Duration::from_millis(1500)), Duration::from_secs(2));
        assert_eq!(normalize_advert_interval(Version::V2, Duration::from_millis(400)), Duration::from_secs(1));
        assert_eq!(normalize_advert_interval(Version::V2, Duration::from_secs(300)), Duration::from_secs(255));
        assert_eq!(normalize_advert_interval(Version::V3, Duration::from_millis(14)), Duration::from_millis(10));
        assert_eq!(normalize_advert_interval(Version::V3, Duration::from_millis(15)), Duration::from_millis(20));
        assert_eq!(normalize_advert_interval(Version::V3, Duration::ZERO), Duration::from_millis(10));
        assert_eq!(normalize_advert_interval(Version::V3, Duration::from_secs(50)), Duration::from_millis(40_950));
    }
}
