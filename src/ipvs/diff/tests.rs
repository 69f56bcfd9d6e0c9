//! The diff, case by case, then as properties over many generated tables.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::ipvs::table::{DestAttrs, DestKey, ServiceAttrs, TableService, fwd};

fn svc(n: u8) -> ServiceKey {
    ServiceKey::addr(6, IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)), 80)
}

fn attrs(sched: &str) -> ServiceAttrs {
    ServiceAttrs { sched: sched.into(), flags: 0, timeout: 0, netmask: u32::MAX, pe_name: String::new() }
}

fn dest(n: u8) -> DestKey {
    DestKey { addr: IpAddr::V4(Ipv4Addr::new(10, 1, 0, n)), port: 80 }
}

fn w(weight: i32) -> DestAttrs {
    DestAttrs { fwd: fwd::MASQ, weight, ..DestAttrs::default() }
}

/// A service, its scheduler and its destinations.
type Entry<'a> = (ServiceKey, &'a str, &'a [(DestKey, DestAttrs)]);

fn table(services: &[Entry<'_>]) -> Table {
    let mut t = Table::default();
    for (k, sched, dests) in services {
        let s = t.upsert(*k, attrs(sched));
        for (d, a) in *dests {
            s.set_dest(*d, *a);
        }
    }
    t
}

fn all(_: &ServiceKey) -> bool {
    true
}

#[test]
fn nothing_to_do() {
    assert_eq!(diff(&Table::default(), &Table::default(), &all, Removal::DestsFirst), vec![]);
    let t = table(&[(svc(1), "rr", &[(dest(1), w(1)), (dest(2), w(2))])]);
    assert_eq!(diff(&t, &t.clone(), &all, Removal::DestsFirst), vec![]);
}

#[test]
fn a_new_service_comes_before_its_destinations() {
    let want = table(&[(svc(1), "rr", &[(dest(1), w(1)), (dest(2), w(3))])]);
    assert_eq!(
        diff(&Table::default(), &want, &all, Removal::DestsFirst),
        vec![
            Op::AddService(svc(1), attrs("rr")),
            Op::AddDest(svc(1), dest(1), w(1)),
            Op::AddDest(svc(1), dest(2), w(3)),
        ]
    );
}

#[test]
fn a_service_goes_after_its_destinations() {
    let have = table(&[(svc(1), "rr", &[(dest(1), w(1)), (dest(2), w(1))])]);
    assert_eq!(
        diff(&have, &Table::default(), &all, Removal::DestsFirst),
        vec![Op::DelDest(svc(1), dest(1)), Op::DelDest(svc(1), dest(2)), Op::DelService(svc(1)),]
    );
    // lvs_flush_on_stop VS: the kernel drops the destinations itself.
    assert_eq!(diff(&have, &Table::default(), &all, Removal::ServiceOnly), vec![Op::DelService(svc(1))]);
}

#[test]
fn services_that_are_not_ours_are_never_touched() {
    let have = table(&[(svc(1), "rr", &[(dest(1), w(1))]), (svc(2), "wlc", &[(dest(2), w(1))])]);
    let mine = |k: &ServiceKey| *k == svc(1);
    assert_eq!(
        diff(&have, &Table::default(), &mine, Removal::DestsFirst),
        vec![Op::DelDest(svc(1), dest(1)), Op::DelService(svc(1)),]
    );
}

#[test]
fn changed_settings_are_edited_in_place() {
    let have = table(&[(svc(1), "rr", &[(dest(1), w(1)), (dest(2), w(1))])]);
    // The scheduler: the service is edited, its destinations untouched.
    let want = table(&[(svc(1), "wrr", &[(dest(1), w(1)), (dest(2), w(1))])]);
    assert_eq!(diff(&have, &want, &all, Removal::DestsFirst), vec![Op::EditService(svc(1), attrs("wrr"))]);
    // A weight: that destination only.
    let want = table(&[(svc(1), "rr", &[(dest(1), w(1)), (dest(2), w(7))])]);
    assert_eq!(diff(&have, &want, &all, Removal::DestsFirst), vec![Op::EditDest(svc(1), dest(2), w(7))]);
    // Every destination attribute counts.
    for a in [
        DestAttrs { fwd: fwd::DROUTE, ..w(1) },
        DestAttrs { u_thresh: 10, ..w(1) },
        DestAttrs { l_thresh: 2, ..w(1) },
        DestAttrs { fwd: fwd::TUNNEL, tun_type: 1, tun_port: 6080, ..w(1) },
        DestAttrs { fwd: fwd::TUNNEL, tun_type: 2, tun_flags: 1, ..w(1) },
    ] {
        let want = table(&[(svc(1), "rr", &[(dest(1), a), (dest(2), w(1))])]);
        assert_eq!(diff(&have, &want, &all, Removal::DestsFirst), vec![Op::EditDest(svc(1), dest(1), a)]);
    }
    // Every service attribute counts.
    for a in [
        ServiceAttrs { flags: 1, timeout: 300, ..attrs("rr") },
        ServiceAttrs { netmask: 0x00ff_ffff, ..attrs("rr") },
        ServiceAttrs { flags: 0x14, ..attrs("rr") },
        ServiceAttrs { pe_name: "sip".into(), ..attrs("rr") },
    ] {
        let mut want = have.clone();
        want.upsert(svc(1), a.clone());
        assert_eq!(diff(&have, &want, &all, Removal::DestsFirst), vec![Op::EditService(svc(1), a)]);
    }
}

#[test]
fn destinations_leave_before_others_are_edited_or_added() {
    let have = table(&[(svc(1), "rr", &[(dest(1), w(1)), (dest(2), w(1)), (dest(3), w(1))])]);
    let want = table(&[(svc(1), "wrr", &[(dest(4), w(1)), (dest(2), w(5)), (dest(3), w(1))])]);
    assert_eq!(
        diff(&have, &want, &all, Removal::DestsFirst),
        vec![
            Op::EditService(svc(1), attrs("wrr")),
            Op::DelDest(svc(1), dest(1)),
            Op::AddDest(svc(1), dest(4), w(1)),
            Op::EditDest(svc(1), dest(2), w(5)),
        ]
    );
}

#[test]
fn removals_come_first_then_the_wanted_order() {
    let have = table(&[(svc(1), "rr", &[(dest(1), w(1))]), (svc(2), "rr", &[])]);
    let want = table(&[(svc(3), "rr", &[(dest(3), w(1))]), (svc(2), "wlc", &[(dest(2), w(1))])]);
    assert_eq!(
        diff(&have, &want, &all, Removal::DestsFirst),
        vec![
            Op::DelDest(svc(1), dest(1)),
            Op::DelService(svc(1)),
            Op::AddService(svc(3), attrs("rr")),
            Op::AddDest(svc(3), dest(3), w(1)),
            Op::EditService(svc(2), attrs("wlc")),
            Op::AddDest(svc(2), dest(2), w(1)),
        ]
    );
}

#[test]
fn fwmark_and_ipv6_keys_are_distinct() {
    use crate::config::model::lvs::Family;
    let v4 = ServiceKey::fwmark(Family::Inet, 5);
    let v6 = ServiceKey::fwmark(Family::Inet6, 5);
    let a6 = ServiceKey::addr(6, IpAddr::V6(Ipv6Addr::LOCALHOST), 80);
    let have = table(&[(v4, "rr", &[])]);
    let want = table(&[(v4, "rr", &[]), (v6, "rr", &[]), (a6, "rr", &[])]);
    assert_eq!(
        diff(&have, &want, &all, Removal::DestsFirst),
        vec![Op::AddService(v6, attrs("rr")), Op::AddService(a6, attrs("rr")),]
    );
}

#[test]
fn record_keeps_the_mirror_of_the_kernel() {
    let mut t = Table::default();
    record(&mut t, &Op::AddService(svc(1), attrs("rr")));
    record(&mut t, &Op::AddDest(svc(1), dest(1), w(1)));
    record(&mut t, &Op::EditDest(svc(1), dest(1), w(4)));
    record(&mut t, &Op::AddService(svc(2), attrs("rr")));
    record(&mut t, &Op::EditService(svc(2), attrs("sh")));
    assert_eq!(t, table(&[(svc(1), "rr", &[(dest(1), w(4))]), (svc(2), "sh", &[])]));
    record(&mut t, &Op::DelDest(svc(1), dest(1)));
    record(&mut t, &Op::DelService(svc(2)));
    assert_eq!(t, table(&[(svc(1), "rr", &[])]));
    // A destination of a service the mirror does not have is ignored.
    record(&mut t, &Op::AddDest(svc(9), dest(1), w(1)));
    assert_eq!(t, table(&[(svc(1), "rr", &[])]));
    record(&mut t, &Op::DelService(svc(1)));
    assert!(t.services().next().is_none());
}

/// A small deterministic generator (xorshift): many tables, no dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn table(&mut self) -> Table {
        let mut t = Table::default();
        for s in 0..self.below(8) as u8 {
            if self.below(3) == 0 {
                continue;
            }
            let sched = ["rr", "wrr", "sh"][self.below(3) as usize];
            let e = t.upsert(svc(s), attrs(sched));
            for d in 0..self.below(6) as u8 {
                if self.below(2) == 0 {
                    e.set_dest(dest(d), w(self.below(3) as i32));
                }
            }
        }
        t
    }
}

fn sorted(t: &Table) -> Vec<TableService> {
    let mut v: Vec<TableService> = t.services().cloned().collect();
    for s in &mut v {
        s.dests.sort_by_key(|(k, _)| *k);
    }
    v.sort_by_key(|s| s.key);
    v
}

#[test]
fn properties_over_many_tables() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    for round in 0..2000 {
        let have = g.table();
        let want = g.table();
        // Services 0..=3 are ours, the others someone else's.
        let mine = |k: &ServiceKey| want.contains(k) || matches!(k.addr, IpAddr::V4(a) if a.octets()[3] <= 3);
        for removal in [Removal::DestsFirst, Removal::ServiceOnly] {
            let ops = diff(&have, &want, &mine, removal);
            // Applying the changes gives the wanted table, plus what is not ours.
            let mut after = have.clone();
            for op in &ops {
                record(&mut after, op);
            }
            let mut expect = want.clone();
            for s in have.services().filter(|s| !mine(&s.key)) {
                let e = expect.upsert(s.key, s.attrs.clone());
                e.dests = s.dests.clone();
            }
            assert_eq!(sorted(&after), sorted(&expect), "round {round}: {ops:?}");
            // Nothing that is not ours is touched.
            assert!(ops.iter().all(|op| mine(op.service())), "round {round}");
            // Each change is needed: nothing already right is re-sent.
            let touched: HashSet<(ServiceKey, Option<DestKey>)> =
                ops.iter().map(|op| (*op.service(), op.dest().copied())).collect();
            assert_eq!(touched.len(), ops.len(), "round {round}: an entry changed twice: {ops:?}");
            for op in &ops {
                if let Op::EditDest(s, d, a) = op {
                    assert_ne!(have.get(s).and_then(|x| x.dest(d)), Some(a), "round {round}");
                }
            }
            // A service is there before its destinations, and (by default)
            // leaves after them.
            for (i, op) in ops.iter().enumerate() {
                if let Op::AddDest(s, ..) = op
                    && !have.contains(s)
                {
                    assert!(
                        ops[..i].contains(&Op::AddService(*s, want.get(s).unwrap().attrs.clone())),
                        "round {round}"
                    );
                }
                if let (Op::DelService(s), Removal::DestsFirst) = (op, removal) {
                    assert!(!ops[i..].iter().any(|o| matches!(o, Op::DelDest(k, _) if k == s)), "round {round}");
                }
            }
            // Applying the diff again changes nothing.
            assert_eq!(diff(&after, &want, &mine, removal), vec![], "round {round}");
        }
    }
}
