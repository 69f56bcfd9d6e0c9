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
}
