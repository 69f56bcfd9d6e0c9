//! From the table the kernel has to the table we want (pure): the ordered
//! changes. Only services we manage are touched; an entry whose settings
//! did not change gets no change at all, so its connection counters survive.
//!
//! Order: services we no longer want go first (their destinations removed
//! before them when asked), then, in the order of the wanted table, each
//! service is added or edited before its destinations are removed, edited or
//! added. There is never a flush.

use super::kernel::Op;
use super::table::{ServiceKey, Table};

/// How services that are no longer wanted are removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Removal {
    /// Each destination, then the service (keepalived's default).
    DestsFirst,
    /// The service alone; the kernel drops its destinations (`lvs_flush_on_stop VS`).
    ServiceOnly,
}

/// The changes that turn `current` into `desired`. Services of `current`
/// that `managed` says are not ours are left alone.
pub(crate) fn diff(
    current: &Table,
    desired: &Table,
    managed: &dyn Fn(&ServiceKey) -> bool,
    removal: Removal,
) -> Vec<Op> {
    let mut ops = Vec::new();
    for s in current.services() {
        if desired.contains(&s.key) || !managed(&s.key) {
            continue;
        }
        if removal == Removal::DestsFirst {
            ops.extend(s.dests.iter().map(|(d, _)| Op::DelDest(s.key, *d)));
        }
        ops.push(Op::DelService(s.key));
    }
    for want in desired.services() {
        let Some(have) = current.get(&want.key) else {
            ops.push(Op::AddService(want.key, want.attrs.clone()));
            ops.extend(want.dests.iter().map(|(d, a)| Op::AddDest(want.key, *d, *a)));
            continue;
        };
        if have.attrs != want.attrs {
            ops.push(Op::EditService(want.key, want.attrs.clone()));
        }
        // Destinations: a service has few, a linear search is cheapest.
        for (d, _) in &have.dests {
            if want.dest(d).is_none() {
                ops.push(Op::DelDest(want.key, *d));
            }
        }
        for (d, a) in &want.dests {
            match have.dest(d) {
                Some(h) if h == a => {}
                Some(_) => ops.push(Op::EditDest(want.key, *d, *a)),
                None => ops.push(Op::AddDest(want.key, *d, *a)),
            }
        }
    }
    ops
}

/// Records a change that the kernel accepted into `table`, so that it keeps
/// mirroring the kernel.
pub(crate) fn record(table: &mut Table, op: &Op) {
    match op {
        Op::AddService(k, a) | Op::EditService(k, a) => {
            table.upsert(*k, a.clone());
        }
        Op::DelService(k) => table.remove(k),
        Op::AddDest(k, d, a) | Op::EditDest(k, d, a) => {
            if let Some(s) = table.get_mut(k) {
                s.set_dest(*d, *a);
            }
        }
        Op::DelDest(k, d) => {
            if let Some(s) = table.get_mut(k) {
                s.remove_dest(d);
            }
        }
    }
}

#[cfg(test)]
mod tests;
