//! The instances' next deadlines in one ordered set, so the loop sleeps until
//! the earliest and wakes exactly the instances that are due: O(log n) per
//! change, nothing scanned, no polling. Pure: `now` is passed in.

use std::collections::BTreeSet;
use std::time::Instant;

/// Deadline per instance slot.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    order: BTreeSet<(Instant, usize)>,
    /// The deadline of each slot, by slot index (slots are dense).
    current: Vec<Option<Instant>>,
}

impl TimerQueue {
    /// Sets (or clears with `None`) the deadline of `slot`.
    pub(super) fn set(&mut self, slot: usize, deadline: Option<Instant>) {
        if let Some(old) = self.current.get_mut(slot).and_then(Option::take) {
            self.order.remove(&(old, slot));
        }
        if let Some(d) = deadline {
            self.order.insert((d, slot));
            if self.current.len() <= slot {
                self.current.resize(slot + 1, None);
            }
            if let Some(c) = self.current.get_mut(slot) {
                *c = Some(d);
            }
        }
    }

    /// The earliest deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        self.order.first().map(|(d, _)| *d)
    }

    /// Removes and returns every slot due at `now`, earliest first.
    pub(super) fn pop_due(&mut self, now: Instant) -> Vec<usize> {
        let mut out = Vec::new();
        while let Some(&(d, slot)) = self.order.first() {
            if d > now {
                break;
            }
            self.order.remove(&(d, slot));
            if let Some(c) = self.current.get_mut(slot) {
                *c = None;
            }
            out.push(slot);
        }
        out
    }

    /// How many slots have a deadline.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_first_and_replacement() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        q.set(1, Some(t0 + Duration::from_secs(3)));
        q.set(2, Some(t0 + Duration::from_secs(1)));
        q.set(3, Some(t0 + Duration::from_secs(2)));
        assert_eq!(q.next(), Some(t0 + Duration::from_secs(1)));
        // Moving slot 2 later replaces its old deadline.
        q.set(2, Some(t0 + Duration::from_secs(5)));
        assert_eq!(q.len(), 3);
        assert_eq!(q.next(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(q.pop_due(t0 + Duration::from_secs(3)), vec![3, 1]);
        assert_eq!(q.pop_due(t0 + Duration::from_secs(3)), Vec::<usize>::new());
        q.set(2, None);
        assert_eq!(q.next(), None);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn equal_deadlines_all_fire() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        for i in 0..1000 {
            q.set(i, Some(t0));
        }
        assert_eq!(q.pop_due(t0).len(), 1000);
    }

    /// The loop's timer path (the queue, the one clock and its wake-up) on
    /// tokio's paused time: a BACKUP whose master never speaks takes over at
    /// its Master_Down_Interval and then advertises every second, all in
    /// simulated time (the test takes no real seconds).
    #[tokio::test(start_paused = true)]
    async fn instances_run_on_paused_time() {
        use std::net::IpAddr;

        use crate::clock::{self, Wake};
        use crate::vrrp::fsm::{Action, Input, Instance, InstanceParams, State};

        let real = Instant::now();
        let t0 = clock::now();
        let params = |prio: u8, last: u8| {
            let mut p = InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, last]))
                .with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
            p.priority = prio;
            p
        };
        // Two instances on the queue: 200 times out first (3 + 56/256 s), 100 later.
        let mut fsms = [Instance::new(params(200, 1), t0).0, Instance::new(params(100, 2), t0).0];
        let mut q = TimerQueue::default();
        for (i, f) in fsms.iter().enumerate() {
            q.set(i, f.next_deadline());
        }
        let mut wake = Wake::tokio();
        let mut events: Vec<(usize, Duration, String)> = Vec::new();
        while clock::now() < t0 + Duration::from_secs(6) {
            wake.until(q.next()).await;
            let now = clock::now();
            for idx in q.pop_due(now) {
                for a in fsms[idx].handle(now, Input::Timer) {
                    match a {
                        Action::SendAdvert { priority } => events.push((idx, now - t0, format!("advert {priority}"))),
                        Action::Transition { to, .. } => events.push((idx, now - t0, format!("{to}"))),
                        _ => {}
                    }
                }
                q.set(idx, fsms[idx].next_deadline());
            }
        }
        assert!(fsms.iter().all(|f| f.state() == State::Master));
        // tokio's timer wakes at the deadline rounded up to the millisecond.
        let ms = |m: u64| Duration::from_millis(m);
        let first: Vec<(usize, Duration, &str)> = events.iter().take(4).map(|(i, t, e)| (*i, *t, e.as_str())).collect();
        assert_eq!(
            first,
            [
                (0, ms(3219), "advert 200"),
                (0, ms(3219), "MASTER"),
                (1, ms(3610), "advert 100"),
                (1, ms(3610), "MASTER")
            ]
        );
        let adverts_of_0: Vec<Duration> =
            events.iter().filter(|(i, _, e)| *i == 0 && e.starts_with("advert")).map(|(_, t, _)| *t).collect();
        assert_eq!(adverts_of_0, [ms(3219), ms(4219), ms(5219), ms(6219)]);
        assert!(real.elapsed() < Duration::from_secs(2), "paused time took real time: {:?}", real.elapsed());
    }
}
