//! The director: configurations to kernel services, keepalived's quorum,
//! sorry-server, inhibit and reload rules, and its log lines.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use super::*;
use crate::config::validate::SystemView;
use crate::ipvs::table::{AF_INET, IPPROTO_TCP, TableService};

fn config(text: &str) -> LvsConfig {
    let l = crate::config::load_str(
        Path::new("test.conf"),
        text,
        &crate::config::preprocess::Options::default(),
        &SystemView::default(),
    );
    l.config.lvs
}

fn start(text: &str) -> (Director, Vec<String>) {
    let (d, ev) = Director::start(specs(&config(text)), false);
    (d, logs(ev.into_iter().flatten().collect()))
}

fn logs(ev: Vec<Event>) -> Vec<String> {
    ev.into_iter()
        .filter_map(|e| match e {
            Event::Log(l) => Some(l),
            Event::Script { .. } | Event::Fifo(_) => None,
        })
        .collect()
}

fn scripts(ev: &[Event]) -> Vec<(&'static str, String)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Script { keyword, script } => Some((*keyword, script.command_line())),
            Event::Log(_) | Event::Fifo(_) => None,
        })
        .collect()
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn tcp(s: &str) -> ServiceKey {
    let a = sa(s);
    ServiceKey::addr(IPPROTO_TCP, a.ip(), a.port())
}

/// The desired table as `service -> [(dest, weight)]`, for terse asserts.
fn weights(t: &Table) -> Vec<(String, Vec<(String, i32)>)> {
    t.services()
        .map(|s: &TableService| (s.key.to_string(), s.dests.iter().map(|(d, a)| (d.to_string(), a.weight)).collect()))
        .collect()
}

fn up() -> Verdict {
    Verdict { up: true, weight: None }
}

fn down() -> Verdict {
    Verdict { up: false, weight: None }
}

fn vs_id(s: &str) -> VsId {
    VsId::Addr { proto: IPPROTO_TCP, addr: sa(s) }
}

const TWO: &str = "
virtual_server 10.0.0.1 80 {
  lvs_sched wrr
  protocol TCP
  real_server 10.1.0.1 8080 {
    weight 3
  }
  real_server 10.1.0.2 {
  }
}
virtual_server fwmark 7 {
  lvs_sched sh
  sh-port
  lvs_method DR
  persistence_timeout 60
  persistence_granularity 255.255.255.0
  real_server 10.1.0.3 0 {
  }
  real_server 10.1.0.4 8080 {
    lvs_method NAT
  }
}
";

#[test]
fn services_and_destinations_from_the_configuration() {
    let s = specs(&config(TWO));
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].id, vs_id("10.0.0.1:80"));
    assert_eq!(s[0].name, "[10.0.0.1]:tcp:80");
    assert_eq!(s[0].services, vec![tcp("10.0.0.1:80")]);
    assert_eq!(
        s[0].attrs_for(&s[0].services[0]),
        ServiceAttrs { sched: "wrr".into(), flags: 0, timeout: 0, netmask: u32::MAX, pe_name: String::new() }
    );
    // A NAT server without a port takes the service's.
    assert_eq!(s[0].real_servers[1].addr, sa("10.1.0.2:80"));
    assert_eq!(s[0].real_servers[1].name(), "[10.1.0.2]:tcp:80");
    assert_eq!(s[1].name, "FWM 7");
    assert_eq!(s[1].proto, 0);
    assert_eq!(s[1].services, vec![ServiceKey::fwmark(Family::Inet, 7)]);
    let a = s[1].attrs_for(&s[1].services[0]);
    assert_eq!(
        (a.flags, a.timeout, a.netmask),
        (svc_flags::PERSISTENT | svc_flags::SCHED2, 60, u32::from_ne_bytes([255, 255, 255, 0]))
    );
    // In a fwmark service a DR server has no port, a NAT one keeps its own.
    let (d, ev) = start(TWO);
    assert_eq!(
        weights(&d.desired()),
        vec![
            ("10.0.0.1:tcp:80".into(), vec![("10.1.0.1:8080".into(), 3), ("10.1.0.2:80".into(), 1)]),
            ("Fwm 7".into(), vec![("10.1.0.3:0".into(), 1), ("10.1.0.4:8080".into(), 1)]),
        ]
    );
    assert_eq!(ev, vec!["Gained quorum 1+0=1 <= 4 for VS [10.0.0.1]:tcp:80", "Gained quorum 1+0=1 <= 2 for VS FWM 7"]);
}

#[test]
fn tunnels_thresholds_engines_and_flags() {
    let (d, _) = start(
        "virtual_server 10.0.0.1 5060 {
  lvs_sched mh
  mh-fallback
  ops
  hashed
  protocol UDP
  persistence_timeout 30
  persistence_engine sip
  lvs_method TUN type gue port 6080 csum
  real_server 10.1.0.1 5060 {
    uthreshold 10
    lthreshold 3
  }
  real_server 10.1.0.2 5060 {
    lvs_method TUN type gre remcsum
  }
  real_server 10.1.0.3 5060 {
    lvs_method TUN type gre nocsum
  }
}",
    );
    let t = d.desired();
    let s = t.services().next().unwrap();
    assert_eq!(s.attrs.sched, "mh");
    assert_eq!(s.attrs.flags, svc_flags::SCHED1 | svc_flags::ONEPACKET | svc_flags::PERSISTENT);
    assert_eq!(s.attrs.pe_name, "sip");
    let a: Vec<DestAttrs> = s.dests.iter().map(|(_, a)| *a).collect();
    assert_eq!(
        a[0],
        DestAttrs {
            fwd: fwd::TUNNEL,
            weight: 1,
            u_thresh: 10,
            l_thresh: 3,
            tun_type: tun::GUE,
            tun_port: 6080,
            tun_flags: tun::F_CSUM
        }
    );
    // gre with remcsum is refused by the configuration (upstream's rule): the default ipip remains.
    assert_eq!((a[2].tun_type, a[2].tun_flags), (tun::GRE, 0));
}

#[test]
fn groups_expand_to_one_service_per_address_and_fwmark() {
    let cfg = "
virtual_server_group G {
  10.3.0.1-3 80
  10.3.1.0/31 81
  fwmark 21
}
virtual_server_group G6 {
  2001:db8::10-11 443
  fwmark 22 inet6
}
virtual_server group G {
  lvs_method DR
  protocol TCP
  real_server 10.4.0.1 {
  }
  real_server 10.4.0.2 9000 {
    lvs_method NAT
  }
}
virtual_server group G {
  lvs_method DR
  lvs_sched sh
  protocol UDP
  real_server 10.4.0.3 {
  }
}
virtual_server group G6 {
  lvs_method DR
  protocol TCP
  real_server 2001:db8:4::1 {
  }
}";
    let s = specs(&config(cfg));
    assert_eq!(s[0].id, VsId::Group { name: "G".into(), ordinal: 0 });
    assert_eq!(s[1].id, VsId::Group { name: "G".into(), ordinal: 1 });
    assert_eq!((s[0].name.as_str(), s[1].name.as_str(), s[2].name.as_str()), ("[G]:0", "[G]:1", "[G6]:0"));
    let (d, _) = Director::start(s, false);
    let t = weights(&d.desired());
    let keys: Vec<&str> = t.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "10.3.0.1:tcp:80",
            "10.3.0.2:tcp:80",
            "10.3.0.3:tcp:80",
            "10.3.1.0:tcp:81",
            "10.3.1.1:tcp:81",
            "Fwm 21",
            "10.3.0.1:udp:80",
            "10.3.0.2:udp:80",
            "10.3.0.3:udp:80",
            "10.3.1.0:udp:81",
            "10.3.1.1:udp:81",
            "2001:db8::10:tcp:443",
            "2001:db8::11:tcp:443",
            "Fwm 22 inet6",
        ]
    );
    // DR servers answer on each entry's port (none for the fwmark); NAT on their own.
    assert_eq!(t[3].1, vec![("10.4.0.1:81".into(), 1), ("10.4.0.2:9000".into(), 1)]);
    // The fwmark is one kernel service for both protocols: the first virtual
    // server configures it, the second adds its servers.
    assert_eq!(t[5].1, vec![("10.4.0.1:0".into(), 1), ("10.4.0.2:9000".into(), 1), ("10.4.0.3:0".into(), 1)]);
    assert_eq!(d.desired().get(&ServiceKey::fwmark(Family::Inet, 21)).unwrap().attrs.sched, "wlc");
    assert_eq!(t[13].1, vec![("[2001:db8:4::1]:0".replace(['[', ']'], ""), 1)]);
}

const SORRY: &str = "
virtual_server 10.0.0.2 80 {
  protocol TCP
  quorum 2
  hysteresis 1
  sorry_server 10.9.9.9 80
  real_server 10.1.0.1 80 {
    weight 2
  }
  real_server 10.1.0.2 80 {
    alpha
    TCP_CHECK {
    }
  }
}";

#[test]
fn alpha_holds_a_server_down_and_the_sorry_server_takes_over() {
    let (d, ev) = start(SORRY);
    // 2 live < 2 + 1: down from the start, the sorry server in the pool.
    assert_eq!(
        ev,
        vec![
            "Starting with quorum down 2-1=3 > 2 for VS [10.0.0.2]:tcp:80",
            "Adding sorry server [10.9.9.9]:tcp:80 to VS [10.0.0.2]:tcp:80",
            "Removing alive servers from the pool for VS [10.0.0.2]:tcp:80",
        ]
    );
    assert_eq!(weights(&d.desired()), vec![("10.0.0.2:tcp:80".into(), vec![("10.9.9.9:80".into(), 1)])]);
}

#[test]
fn verdicts_move_servers_and_quorum() {
    let (mut d, _) = start(SORRY);
    let vs = vs_id("10.0.0.2:80");
    // The alpha server comes up: 3 >= 3, quorum gained, sorry server out.
    let ev = d.set_verdict(&vs, sa("10.1.0.2:80"), up());
    assert_eq!(
        logs(ev),
        vec![
            "Adding service [10.1.0.2]:tcp:80 to VS [10.0.0.2]:tcp:80",
            "Gained quorum 2+1=3 <= 3 for VS [10.0.0.2]:tcp:80",
            "Removing sorry server [10.9.9.9]:tcp:80 from VS [10.0.0.2]:tcp:80",
            "Adding alive servers to the pool for VS [10.0.0.2]:tcp:80",
        ]
    );
    assert_eq!(
        weights(&d.desired()),
        vec![("10.0.0.2:tcp:80".into(), vec![("10.1.0.1:80".into(), 2), ("10.1.0.2:80".into(), 1)])]
    );
    // Hysteresis: losing 1 leaves 2 >= 2 - 1, quorum stays.
    let ev = d.set_verdict(&vs, sa("10.1.0.2:80"), down());
    assert_eq!(logs(ev), vec!["Removing service [10.1.0.2]:tcp:80 from VS [10.0.0.2]:tcp:80"]);
    // Losing the other: quorum lost, the sorry server back.
    let ev = d.set_verdict(&vs, sa("10.1.0.1:80"), down());
    assert_eq!(
        logs(ev),
        vec![
            "Removing service [10.1.0.1]:tcp:80 from VS [10.0.0.2]:tcp:80",
            "Lost quorum 2-1=1 > 0 for VS [10.0.0.2]:tcp:80",
            "Adding sorry server [10.9.9.9]:tcp:80 to VS [10.0.0.2]:tcp:80",
            "Removing alive servers from the pool for VS [10.0.0.2]:tcp:80",
        ]
    );
    assert_eq!(weights(&d.desired()), vec![("10.0.0.2:tcp:80".into(), vec![("10.9.9.9:80".into(), 1)])]);
    // Same verdict again: nothing.
    assert_eq!(d.set_verdict(&vs, sa("10.1.0.1:80"), down()), vec![]);
    // Unknown servers and virtual servers are ignored.
    assert_eq!(d.set_verdict(&vs, sa("10.7.7.7:80"), up()), vec![]);
    assert_eq!(d.set_verdict(&vs_id("10.7.7.7:80"), sa("10.1.0.1:80"), up()), vec![]);
    // A weight from a dynamic checker.
    // A weight from a dynamic checker (which logs the change itself).
    let ev = d.set_verdict(&vs, sa("10.1.0.1:80"), Verdict { up: true, weight: Some(5) });
    assert_eq!(logs(ev)[0], "Adding service [10.1.0.1]:tcp:80 to VS [10.0.0.2]:tcp:80");
}

#[test]
fn quorum_without_sorry_server_keeps_the_survivors() {
    let (mut d, ev) = start(
        "virtual_server 10.0.0.3 80 {
  protocol TCP
  quorum 3
  hysteresis 1
  quorum_up /bin/up
  quorum_down /bin/down
  real_server 10.1.0.1 80 {
  }
  real_server 10.1.0.2 80 {
  }
  real_server 10.1.0.3 80 {
  }
  real_server 10.1.0.4 80 {
  }
}",
    );
    assert_eq!(ev, vec!["Gained quorum 3+1=4 <= 4 for VS [10.0.0.3]:tcp:80"]);
    let vs = vs_id("10.0.0.3:80");
    for (rs, lost) in [("10.1.0.1:80", false), ("10.1.0.2:80", false), ("10.1.0.3:80", true)] {
        let ev = d.set_verdict(&vs, sa(rs), down());
        let lost_line = logs(ev.clone()).iter().any(|l| l.starts_with("Lost quorum 3-1=2 > 1"));
        assert_eq!(lost_line, lost, "{rs}");
        assert_eq!(scripts(&ev), if lost { vec![("quorum_down", "/bin/down".to_owned())] } else { vec![] });
    }
    // Without a sorry server the last one stays in the pool.
    assert_eq!(weights(&d.desired())[0].1, vec![("10.1.0.4:80".into(), 1)]);
    // Back up needs 3 + 1.
    d.set_verdict(&vs, sa("10.1.0.1:80"), up());
    let ev = d.set_verdict(&vs, sa("10.1.0.2:80"), up());
    assert!(logs(ev).iter().all(|l| !l.starts_with("Gained")));
    let ev = d.set_verdict(&vs, sa("10.1.0.3:80"), up());
    assert_eq!(logs(ev.clone())[1], "Gained quorum 3+1=4 <= 4 for VS [10.0.0.3]:tcp:80");
    assert_eq!(scripts(&ev), vec![("quorum_up", "/bin/up".to_owned())]);
}

#[test]
fn inhibit_on_failure_keeps_a_down_server_at_weight_zero() {
    let (mut d, _) = start(
        "virtual_server 10.0.0.4 80 {
  protocol TCP
  inhibit_on_failure
  sorry_server 10.9.9.8 80
  sorry_server_inhibit
  real_server 10.1.0.1 80 {
    weight 4
    alpha
    TCP_CHECK {
    }
  }
  real_server 10.1.0.2 80 {
    weight 2
  }
}",
    );
    // Quorum up: the inhibited sorry server sits at weight 0, the alpha one too.
    assert_eq!(
        weights(&d.desired())[0].1,
        vec![("10.1.0.1:80".into(), 0), ("10.1.0.2:80".into(), 2), ("10.9.9.8:80".into(), 0)]
    );
    let vs = vs_id("10.0.0.4:80");
    assert_eq!(
        logs(d.set_verdict(&vs, sa("10.1.0.1:80"), up())),
        vec!["Enabling service [10.1.0.1]:tcp:80 of VS [10.0.0.4]:tcp:80"]
    );
    d.set_verdict(&vs, sa("10.1.0.1:80"), down());
    let ev = logs(d.set_verdict(&vs, sa("10.1.0.2:80"), down()));
    assert_eq!(
        ev,
        vec![
            "Disabling service [10.1.0.2]:tcp:80 of VS [10.0.0.4]:tcp:80",
            "Lost quorum 1-0=1 > 0 for VS [10.0.0.4]:tcp:80",
            "Enabling sorry server [10.9.9.8]:tcp:80 to VS [10.0.0.4]:tcp:80",
            "Removing alive servers from the pool for VS [10.0.0.4]:tcp:80",
        ]
    );
    // Everything inhibited stays at 0, the sorry server gets the traffic.
    assert_eq!(
        weights(&d.desired())[0].1,
        vec![("10.1.0.1:80".into(), 0), ("10.1.0.2:80".into(), 0), ("10.9.9.8:80".into(), 1)]
    );
}

#[test]
fn quorum_reduced_to_the_total_weight_is_reached() {
    let (_, ev) = start(
        "virtual_server 10.0.0.5 80 {
  protocol TCP
  quorum 10
  real_server 10.1.0.1 80 {
    weight 2
  }
  real_server 10.1.0.2 80 {
  }
}",
    );
    assert_eq!(ev, vec!["Gained quorum 3+0=3 <= 3 for VS [10.0.0.5]:tcp:80"]);
}

#[test]
fn reload_carries_state_and_says_what_changed() {
    let a = "
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.1.0.1 80 {
  }
  real_server 10.1.0.2 80 {
  }
  real_server 10.1.0.3 80 {
  }
}
virtual_server 10.0.0.2 80 {
  protocol TCP
  real_server 10.1.0.4 80 {
  }
}
virtual_server_group G {
  10.3.0.1 80
  fwmark 5
}
virtual_server group G {
  protocol TCP
  real_server 10.4.0.1 80 {
  }
}";
    let b = "
virtual_server 10.0.0.1 80 {
  protocol TCP
  lvs_sched rr
  real_server 10.1.0.1 80 {
    weight 4
  }
  real_server 10.1.0.2 80 {
  }
  real_server 10.1.0.5 80 {
  }
}
virtual_server_group G {
  10.3.0.2 80
  fwmark 5
}
virtual_server group G {
  protocol TCP
  real_server 10.4.0.1 80 {
  }
}
virtual_server 10.0.0.6 80 {
  protocol TCP
  real_server 10.1.0.6 80 {
  }
}";
    let (mut d, _) = start(a);
    // A server that is down stays down across the reload.
    d.set_verdict(&vs_id("10.0.0.1:80"), sa("10.1.0.2:80"), down());
    let ev = logs(d.reload(specs(&config(b))));
    assert_eq!(
        ev,
        vec![
            "service [10.1.0.3]:tcp:80 no longer exist",
            "Removing service [10.1.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80",
            "Removing Virtual Server [10.0.0.2]:tcp:80",
            "Removing service [10.1.0.4]:tcp:80 from VS [10.0.0.2]:tcp:80",
            "VS [[10.3.0.1]:tcp:80] in group G no longer exists",
            "VS [[10.3.0.2]:tcp:80] added into group G",
            "Changing weight from 1 to 4 for active service [10.1.0.1]:tcp:80 of VS [10.0.0.1]:tcp:80",
            "Gained quorum 1+0=1 <= 1 for VS [10.0.0.6]:tcp:80",
        ]
    );
    assert_eq!(
        weights(&d.desired()),
        vec![
            ("10.0.0.1:tcp:80".into(), vec![("10.1.0.1:80".into(), 4), ("10.1.0.5:80".into(), 1)]),
            ("10.3.0.2:tcp:80".into(), vec![("10.4.0.1:80".into(), 1)]),
            ("Fwm 5".into(), vec![("10.4.0.1:80".into(), 1)]),
            ("10.0.0.6:tcp:80".into(), vec![("10.1.0.6:80".into(), 1)]),
        ]
    );
    // Reloading the same configuration changes and says nothing.
    assert_eq!(d.reload(specs(&config(b))), vec![]);
}

#[test]
fn reload_removing_an_active_sorry_server() {
    let (mut d, _) = start(SORRY);
    let ev = logs(d.reload(specs(&config(&SORRY.replace("sorry_server 10.9.9.9 80", "")))));
    assert_eq!(ev[0], "Removing sorry server [10.9.9.9]:tcp:80 from VS [10.0.0.2]:tcp:80");
    // Without a sorry server the live real server is back in the pool.
    assert_eq!(weights(&d.desired())[0].1, vec![("10.1.0.1:80".into(), 2)]);
}

#[test]
fn shutdown_lines_and_omega() {
    let (mut d, _) = start(
        "virtual_server 10.0.0.7 80 {
  protocol TCP
  omega
  quorum_down /bin/qd
  inhibit_on_failure
  real_server 10.1.0.1 80 {
    notify_down /bin/rd
  }
  real_server 10.1.0.2 80 {
    alpha
    TCP_CHECK {
    }
  }
}
virtual_server 10.0.0.8 80 {
  protocol TCP
  quorum_down /bin/never
  real_server 10.1.0.3 80 {
  }
}",
    );
    let ev = d.shutdown(Release::EachServer);
    assert_eq!(
        logs(ev.clone()),
        vec![
            "Shutting down service [10.1.0.1]:tcp:80 from VS [10.0.0.7]:tcp:80",
            "Shutting down (inhibited) service [10.1.0.2]:tcp:80 from VS [10.0.0.7]:tcp:80",
            "Shutting down service [10.1.0.3]:tcp:80 from VS [10.0.0.8]:tcp:80",
        ]
    );
    // Notify scripts run at shutdown with omega only.
    assert_eq!(scripts(&ev), vec![("notify_down", "/bin/rd".to_owned()), ("quorum_down", "/bin/qd".to_owned())]);
    assert!(d.desired().services().next().is_none());
    // lvs_flush_on_stop: no per-server lines.
    let (mut d, _) = start(TWO);
    assert_eq!(logs(d.shutdown(Release::VirtualServers)), Vec::<String>::new());
}

#[test]
fn init_notifies_and_quorum_scripts() {
    let (_, ev) = Director::start(
        specs(&config(
            "virtual_server 10.0.0.9 80 {
  protocol TCP
  quorum_up /bin/qu
  real_server 10.1.0.1 80 {
    notify_up /bin/ru
  }
}",
        )),
        true,
    );
    let ev: Vec<Event> = ev.into_iter().flatten().collect();
    assert_eq!(scripts(&ev), vec![("notify_up", "/bin/ru".to_owned()), ("quorum_up", "/bin/qu".to_owned())]);
}

#[test]
fn ipv6_and_af_numbers() {
    let s = specs(&config(
        "virtual_server 2001:db8::1 443 {
  protocol TCP
  persistence_timeout 10
  persistence_granularity 64
  real_server 2001:db8::2 443 {
  }
}",
    ));
    let k = s[0].services[0];
    assert_eq!(k.af, crate::ipvs::table::AF_INET6);
    assert_eq!(s[0].attrs_for(&k).netmask, 64);
    let k4 = ServiceKey::addr(IPPROTO_TCP, IpAddr::V4(Ipv4Addr::LOCALHOST), 1);
    assert_eq!(k4.af, AF_INET);
}

#[test]
fn checkers_set_the_starting_state_and_a_reload_keeps_dynamic_weights() {
    // A tracked file weighs 10.1.0.1 in at 5 + 3; 10.1.0.2's file is in fault.
    let initial = |_: &VsId, rs: SocketAddr| match rs.to_string().as_str() {
        "10.1.0.1:8080" => Some((true, 8)),
        "10.1.0.2:80" => Some((false, 1)),
        _ => None,
    };
    let (mut d, _) = Director::start_with(specs(&config(TWO)), false, &initial);
    assert_eq!(weights(&d.desired())[0].1, vec![("10.1.0.1:8080".into(), 8)]);
    let vs = vs_id("10.0.0.1:80");
    // A MISC_CHECK weight: kept by a reload with the same configured weight...
    d.set_verdict(&vs, sa("10.1.0.1:8080"), Verdict { up: true, weight: Some(4) });
    assert_eq!(logs(d.reload_with(specs(&config(TWO)), &|_, _| None)), Vec::<String>::new());
    assert_eq!(weights(&d.desired())[0].1, vec![("10.1.0.1:8080".into(), 4)]);
    // ...replaced when the configured weight changes.
    let ev = logs(d.reload_with(specs(&config(&TWO.replace("weight 3", "weight 6"))), &|_, _| None));
    assert_eq!(ev, vec!["Changing weight from 4 to 6 for active service [10.1.0.1]:tcp:8080 of VS [10.0.0.1]:tcp:80"]);
}

#[test]
fn notifies_carry_their_fifo_lines() {
    let (mut d, _) = start(
        "virtual_server 10.0.0.9 80 {
  protocol TCP
  quorum_down /bin/qd
  real_server 10.1.0.1 80 {
    notify_down /bin/rd
  }
}",
    );
    let vs = vs_id("10.0.0.9:80");
    let ev = d.set_verdict(&vs, sa("10.1.0.1:80"), down());
    let fifo: Vec<&str> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Fifo(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(fifo, vec!["RS [10.1.0.1]:tcp:80 [10.0.0.9]:tcp:80 DOWN\n", "VS [10.0.0.9]:tcp:80 DOWN\n"]);
    assert_eq!(scripts(&ev), vec![("notify_down", "/bin/rd".to_owned()), ("quorum_down", "/bin/qd".to_owned())]);
    // A checker's first run confirming the state: its notify and line again.
    let ev = d.rs_notify(&vs, sa("10.1.0.1:80"));
    assert_eq!(scripts(&ev), vec![("notify_down", "/bin/rd".to_owned())]);
    assert!(ev.contains(&Event::Fifo("RS [10.1.0.1]:tcp:80 [10.0.0.9]:tcp:80 DOWN\n".into())));
}
