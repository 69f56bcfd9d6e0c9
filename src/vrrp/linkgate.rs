//! What the instances take an interface's state to be, between the kernel's
//! reports and them (pure):
//!
//! - `interface_up_down_delays`: a change reported by netlink is acted on
//!   once its delay (down or up) has passed, and forgotten if the interface
//!   returns to its former state first. keepalived 2.2.7 takes an omitted up
//!   delay as 0, and shortens a delay that is not less than
//!   (`down_timer_adverts` - 1) x the advert interval of an instance on the
//!   interface (a backup peer would take over first).
//! - `linkbeat_interfaces` / `linkbeat_use_polling`: the state comes from
//!   polling the driver once a second; netlink's reports of those interfaces
//!   are not used for their state.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often a polled interface is probed (keepalived's POLLING_DELAY).
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The delays before acting on an interface going down and coming up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Delays {
    pub down: Duration,
    pub up: Duration,
}

impl Delays {
    /// The delays shortened for an instance advertising every `advert`,
    /// which declares its master down after `down_timer_adverts` adverts;
    /// `true` if one had to be.
    pub(crate) fn limited(self, advert: Duration, down_timer_adverts: u32) -> (Delays, bool) {
        let limit = advert * down_timer_adverts.saturating_sub(1);
        // keepalived counts in microseconds.
        let short = limit.saturating_sub(Duration::from_micros((advert.as_micros() / 256) as u64));
        let fix = |d: Duration| if d >= limit && !d.is_zero() { (short, true) } else { (d, false) };
        let ((down, a), (up, b)) = (fix(self.down), fix(self.up));
        (Delays { down, up }, a || b)
    }
}

/// A change waiting for its delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    from: bool,
    due: Instant,
}

/// What to do with a state netlink reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Act on it now (as without a delay).
    Now,
    /// Hold it for this long.
    Delayed(Duration),
    /// Nothing to act on: a held change was taken back, the interface is
    /// polled, or it is already the state the instances see.
    Nothing,
}

#[derive(Debug, Default)]
pub(crate) struct LinkGate {
    delays: HashMap<String, Delays>,
    pending: HashMap<String, Pending>,
    /// Polled interfaces and their last probed state (None: not probed yet).
    polled: HashMap<String, Option<bool>>,
}

impl LinkGate {
    /// The configuration: delays per interface, the polled interfaces.
    /// Changes held for an interface without a delay now are dropped.
    pub(crate) fn configure(&mut self, delays: HashMap<String, Delays>, polled: Vec<String>) {
        self.pending.retain(|n, _| delays.contains_key(n));
        self.delays = delays;
        let old = std::mem::take(&mut self.polled);
        for n in polled {
            let seen = old.get(&n).copied().flatten();
            self.polled.insert(n, seen);
        }
    }

    /// The interfaces to poll.
    pub(crate) fn polled(&self) -> impl Iterator<Item = &String> {
        self.polled.keys()
    }

    /// Whether the instances see `name` running, the kernel saying `kernel`.
    pub(crate) fn effective(&self, name: &str, kernel: bool) -> bool {
        if let Some(p) = self.polled.get(name) {
            return p.unwrap_or(kernel);
        }
        self.pending.get(name).map_or(kernel, |p| p.from)
    }

    /// Netlink says `name` is `running` (`seen`: what the instances saw
    /// until now, None for an interface not known before).
    pub(crate) fn on_report(&mut self, name: &str, seen: Option<bool>, running: bool, now: Instant) -> Verdict {
        if self.polled.contains_key(name) {
            return Verdict::Nothing;
        }
        if let Some(p) = self.pending.get(name) {
            if p.from == running {
                self.pending.remove(name);
            }
            return Verdict::Nothing;
        }
        let Some(seen) = seen else { return Verdict::Now };
        if seen == running {
            return Verdict::Nothing;
        }
        let d = self.delays.get(name).copied().unwrap_or_default();
        let delay = if running { d.up } else { d.down };
        if delay.is_zero() {
            return Verdict::Now;
        }
        self.pending.insert(name.to_owned(), Pending { from: seen, due: now + delay });
        Verdict::Delayed(delay)
    }

    /// The interface went away: whatever was held for it is void.
    pub(crate) fn removed(&mut self, name: &str) {
        self.pending.remove(name);
    }

    /// The held changes whose delay has passed (the instances now see the
    /// kernel's state of these interfaces).
    pub(crate) fn due(&mut self, now: Instant) -> Vec<String> {
        let mut v: Vec<String> = self.pending.iter().filter(|(_, p)| p.due <= now).map(|(n, _)| n.clone()).collect();
        v.sort();
        for n in &v {
            self.pending.remove(n);
        }
        v
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.due).min()
    }

    /// A probe of polled interface `name` says `up`: `Some(up)` when that is
    /// a change the instances must see (not for the first probe).
    pub(crate) fn on_probe(&mut self, name: &str, up: bool) -> Option<bool> {
        let slot = self.polled.get_mut(name)?;
        let before = slot.replace(up);
        (before.is_some_and(|b| b != up)).then_some(up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn gate(down: f64, up: f64) -> LinkGate {
        let mut g = LinkGate::default();
        g.configure(HashMap::from([("eth0".to_owned(), Delays { down: secs(down), up: secs(up) })]), Vec::new());
        g
    }

    #[test]
    fn a_bounce_shorter_than_the_delay_is_never_seen() {
        let t0 = Instant::now();
        let mut g = gate(2.0, 0.0);
        assert_eq!(g.on_report("eth0", Some(true), false, t0), Verdict::Delayed(secs(2.0)));
        assert!(g.effective("eth0", false), "still up for the instances");
        assert_eq!(g.next_deadline(), Some(t0 + secs(2.0)));
        // Back up after 0.5 s: forgotten, nothing due.
        assert_eq!(g.on_report("eth0", Some(true), true, t0 + secs(0.5)), Verdict::Nothing);
        assert_eq!(g.next_deadline(), None);
        assert!(g.due(t0 + secs(3.0)).is_empty());
        assert!(g.effective("eth0", true));
    }

    #[test]
    fn a_lasting_change_is_seen_after_its_delay() {
        let t0 = Instant::now();
        let mut g = gate(2.0, 0.0);
        assert_eq!(g.on_report("eth0", Some(true), false, t0), Verdict::Delayed(secs(2.0)));
        // A repeated report does not restart the delay.
        assert_eq!(g.on_report("eth0", Some(true), false, t0 + secs(1.0)), Verdict::Nothing);
        assert!(g.due(t0 + secs(1.9)).is_empty());
        assert_eq!(g.due(t0 + secs(2.0)), ["eth0"]);
        assert!(!g.effective("eth0", false));
        // Up again: the up delay is 0 (keepalived 2.2.7's default).
        assert_eq!(g.on_report("eth0", Some(false), true, t0 + secs(3.0)), Verdict::Now);
        // Other interfaces have no delay; unknown ones are taken as they are.
        assert_eq!(g.on_report("eth1", Some(true), false, t0), Verdict::Now);
        assert_eq!(g.on_report("eth1", None, false, t0), Verdict::Now);
        assert_eq!(g.on_report("eth1", Some(false), false, t0), Verdict::Nothing);
    }

    #[test]
    fn removal_and_reconfiguration_drop_held_changes() {
        let t0 = Instant::now();
        let mut g = gate(1.0, 1.0);
        g.on_report("eth0", Some(false), true, t0);
        assert!(!g.effective("eth0", true));
        g.removed("eth0");
        assert!(g.effective("eth0", true));
        g.on_report("eth0", Some(false), true, t0);
        g.configure(HashMap::new(), Vec::new());
        assert_eq!(g.next_deadline(), None);
    }

    #[test]
    fn delays_are_kept_below_the_peer_takeover() {
        let d = Delays { down: secs(2.0), up: secs(0.0) };
        // keepalived 2.2.7: 2 s with advert_int 1 becomes 1.996094 s.
        let (l, changed) = d.limited(secs(1.0), 3);
        assert!(changed);
        assert_eq!(l.down, Duration::from_micros(1_996_094));
        assert_eq!(l.up, Duration::ZERO);
        assert_eq!(
            Delays { down: secs(1.5), up: secs(0.5) }.limited(secs(1.0), 3),
            (Delays { down: secs(1.5), up: secs(0.5) }, false)
        );
    }

    #[test]
    fn polled_interfaces_follow_their_probes_not_netlink() {
        let t0 = Instant::now();
        let mut g = LinkGate::default();
        g.configure(HashMap::new(), vec!["eth0".to_owned()]);
        assert_eq!(g.polled().collect::<Vec<_>>(), ["eth0"]);
        assert!(g.effective("eth0", true), "not probed yet: the kernel's word");
        assert_eq!(g.on_probe("eth0", true), None, "the first probe sets the state");
        assert_eq!(g.on_report("eth0", Some(true), false, t0), Verdict::Nothing);
        assert!(g.effective("eth0", false));
        assert_eq!(g.on_probe("eth0", false), Some(false));
        assert!(!g.effective("eth0", true));
        assert_eq!(g.on_probe("eth0", false), None);
        assert_eq!(g.on_probe("eth1", false), None, "not polled");
        // A reload keeps what was probed.
        g.configure(HashMap::new(), vec!["eth0".to_owned()]);
        assert!(!g.effective("eth0", true));
    }
}
