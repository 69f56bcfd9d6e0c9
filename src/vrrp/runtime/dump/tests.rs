use std::time::Duration;

use super::conf::{InstanceConf, TrackProcessConf, VrrpConf};
use super::ipcfg::{self, Addr};
use super::*;
use crate::config::ast::Span;
use crate::config::model::ipcfg::IpAddress;
use crate::vrrp::fsm::GarpParams;

fn view<'a>(conf: &'a InstanceConf, auth: &'a AuthConfig, stats: &'a Stats, garp: &'a GarpParams) -> InstanceView<'a> {
    InstanceView {
        conf: conf.clone(),
        version: timer::Version::V2,
        state: State::Master,
        wantstate: State::Master,
        interface: Some("eth0"),
        src_ip: Some("10.1.0.1".parse().expect("ip")),
        mcast_dst: "224.0.0.18".parse().expect("ip"),
        mcast_ifindex: 2,
        unicast_peers: vec![],
        vrid: 51,
        priority: 150,
        effective_priority: 150,
        advert_interval: Duration::from_secs(1),
        master_adver_int: Duration::from_secs(1),
        master_down: Duration::from_micros(3_414_062),
        accept: true,
        nopreempt: false,
        preempt_delay: Duration::ZERO,
        auth,
        master_router: None,
        master_priority: 0,
        vips: conf.vips.clone(),
        evips: conf.evips.clone(),
        vips_set: true,
        addr_set: vec![true, false],
        last_transition: crate::dump::Stamp { secs: 1_796_420_202, usecs: 988_748 },
        read_timeout: None,
        num_if_faults: 0,
        fd: Some(12),
        stats,
        garp,
        down_timer_adverts: 3,
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
        strict: false,
        skip_check_adv_addr: false,
        check_unicast_src: false,
    }
}

fn conf() -> InstanceConf {
    let a = |t: &str, len: u8| IpAddress::new(t.parse().expect("ip"), len, t.into(), Span::default());
    InstanceConf {
        name: "VI_1".into(),
        vips: vec![Addr::of(&a("10.1.0.100", 24), "eth0"), Addr::of(&a("10.1.0.101", 32), "eth0")],
        chksum_compat: "no",
        ..InstanceConf::default()
    }
}

#[test]
fn stats_layout_matches_keepalived() {
    let mut st = Stats { adverts_rcvd: 3, adverts_sent: 8, became_master: 1, ..Stats::default() };
    st.drops.bump(&DropReason::AuthFailure);
    st.drops.bump(&DropReason::AhIcvMismatch);
    st.drops.bump(&DropReason::BadLength { got: 1, expected: 2 });
    let text = stats([("VI_1", &st)].into_iter());
    let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 3\n    Sent: 8\n  Became master: 1\n  \
                Released master: 0\n  Packet Errors:\n    Length: 1\n    TTL: 0\n    Invalid Type: 0\n    \
                Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    \
                Type Mismatch: 0\n    Failure: 2\n  Priority Zero:\n    Received: 0\n    Sent: 0\n";
    assert_eq!(text, want);
}

#[test]
fn instance_block_in_keepalived_order() {
    let c = conf();
    let auth = AuthConfig::pass("secret1");
    let st = Stats::default();
    let garp = GarpParams::default();
    let vc = VrrpConf::default();
    let v = DataView {
        global: String::new(),
        conf: &vc,
        static_set: vec![],
        instances: vec![view(&c, &auth, &st, &garp)],
        sockets: vec![],
        sync_group_states: vec![],
        interfaces: vec![],
        garp_next: vec![],
    };
    let d = data(&v);
    assert!(d.starts_with("------< VRRP Topology >------\n VRRP Instance = VI_1\n   VRRP Version = 2\n   State = MASTER\n   Flags: none\n   Wantstate = MASTER\n"), "{d}");
    assert!(d.contains("   Read timeout = DISABLED\n   Master down timer = 3414062 usecs\n   Interface = eth0\n   Using src_ip = 10.1.0.1\n   Multicast address 224.0.0.18\n"), "{d}");
    assert!(d.contains("   Authentication type = SIMPLE_PASSWORD\n   Password = secret1\n"), "{d}");
    // Each address says whether it is on its interface; a /32 has no length.
    assert!(d.contains("   Virtual IP (2):\n     10.1.0.100/24 dev eth0 scope global set\n     10.1.0.101 dev eth0 scope global\n   fd_in 12, fd_out 12\n"), "{d}");
    assert!(
        d.ends_with("   Using smtp notification = no\n   Notify deleted = Fault\n   Notify priority changes = false\n"),
        "{d}"
    );
}

#[test]
fn json_version_1_is_the_2_2_7_array_and_2_the_2_4_object() {
    let c = InstanceConf {
        track_processes: vec![conf::TrackLine { name: "tp".into(), weight: 0, reverse: false }],
        ..conf()
    };
    let auth = AuthConfig::ah("s3cret");
    let st = Stats { adverts_sent: 4, ..Stats::default() };
    let garp = GarpParams::default();
    let i = [view(&c, &auth, &st, &garp)];
    let mut vc = VrrpConf { json_version: 1, ..VrrpConf::default() };
    let v1 = json(&i, &vc);
    assert!(v1.starts_with(r#"[{"data":{"iname":"VI_1","dont_track_primary":0,"skip_check_adv_addr":0,"strict_mode":0,"vmac_ifname":"","ifp_ifname":"eth0","master_priority":0,"last_transition":1796420202.988748,"garp_delay":5,"#), "{v1}");
    assert!(v1.contains(r#""adver_int":1,"master_adver_int":1,"accept":1,"nopreempt":false"#), "{v1}");
    assert!(v1.contains(r#""vips":["10.1.0.100/24 dev eth0 scope global set","10.1.0.101 dev eth0 scope global"],"auth_type":2,"auth_data":"s3cret"},"stats":{"advert_rcvd":0,"advert_sent":4,"#), "{v1}");
    assert!(!v1.contains("track_process"), "2.2.7 has no track_process: {v1}");
    assert!(v1.ends_with("}}]\n"), "{v1}");
    vc.json_version = 2;
    vc.track_processes = vec![TrackProcessConf {
        name: "tp".into(),
        process: "sshd".into(),
        params: None,
        param_match: None,
        quorum: 1,
        quorum_max: None,
        weight: 5,
        reverse: true,
        terminate_delay: Duration::ZERO,
        fork_delay: Duration::from_millis(500),
        full_command: false,
        tracking: vec![],
    }];
    let v2 = json(&i, &vc);
    let parsed: serde_json::Value = serde_json::from_str(&v2).expect("valid JSON");
    assert_eq!(parsed["vrrp"][0]["data"]["track_process"], serde_json::json!(["tp"]));
    assert_eq!(parsed["vrrp"][0]["stats"]["advert_sent"], 4);
    assert!(v2.contains(r#""track_process":[{"process":"sshd","param_match":"none","min_processes":1,"current_processes":0,"have_quorum":false,"weight":-5,"terminate_delay":0,"fork_delay":0.5,"#), "{v2}");
}

#[test]
fn routes_rules_and_addresses_as_keepalived_writes_them() {
    let loaded = crate::config::load_str(
        std::path::Path::new("t.conf"),
        "static_ipaddress {\n 10.9.9.9/32 dev eth1\n fd00::9/64 dev eth1\n 10.3.0.1/24 brd + dev eth1 label eth1:x\n}\n\
         static_routes {\n 10.8.0.0/16 via 10.2.0.254 dev eth1\n default via 10.2.0.1 table 100 metric 7\n \
         blackhole 10.7.0.0/16\n}\nstatic_rules {\n from 10.1.0.80 table 100 priority 200\n to 10.5.0.0/16 priority 5 lookup main\n}\n",
        &Default::default(),
        &crate::config::validate::SystemView::default(),
    );
    let g = &loaded.config.global;
    let a: Vec<String> = g.static_ipaddress.iter().map(|a| Addr::of(a, "eth1").line(true)).collect();
    assert_eq!(
        a,
        [
            "10.9.9.9 dev eth1 scope global set",
            "fd00::9/64 dev eth1 scope global preferred_lft forever set",
            "10.3.0.1/24 brd 10.3.0.255 dev eth1 scope global label eth1:x set",
        ]
    );
    let r: Vec<String> = g.static_routes.iter().map(|r| ipcfg::route(r, true, true)).collect();
    // The first line is keepalived 2.2.7's own, from its keepalived.data.
    assert_eq!(r[0], "prepend 10.8.0.0/16 via inet 10.2.0.254 dev eth1 proto 18 [installed ifindex 0]");
    // A route the model marks no_track (no interface to follow) gets no suffix.
    assert_eq!(r[1], "prepend default via inet 10.2.0.1 table 100 proto 18 metric 7 no_track");
    assert_eq!(r[2], "prepend blackhole 10.7.0.0/16 proto 18 no_track");
    let u: Vec<String> = g.static_rules.iter().map(ipcfg::rule).collect();
    assert_eq!(u[0], "from 10.1.0.80 priority 200 tos 0x0 protocol 18 lookup 100");
    assert_eq!(u[1], "from all to 10.5.0.0/16 priority 5 tos 0x0 protocol 18 lookup 254");
}

#[test]
fn plain_instances_keep_no_copy_and_come_back_the_same() {
    let loaded = crate::config::load_str(
        std::path::Path::new("t.conf"),
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1/24\n 10.0.0.2/24 brd + label eth0:x\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n notify_master /bin/true\n virtual_ipaddress {\n 10.0.0.3/24\n }\n}\n\
         vrrp_script s1 {\n script /bin/true\n weight -10\n}\n\
         vrrp_script s2 {\n script \"/bin/sh -c 'exit 0'\"\n}\n\
         vrrp_sync_group G {\n group {\n C\n D\n }\n sync_group_tracking_weight\n}\n\
         vrrp_sync_group H {\n group {\n E\n }\n track_script {\n s2\n }\n}\n\
         vrrp_instance C {\n interface eth0\n virtual_router_id 3\n dont_track_primary\n track_script {\n s1\n s2 weight 5 reverse\n }\n track_interface {\n eth1 weight -10\n eth2\n }\n virtual_ipaddress {\n 10.0.0.4/24\n }\n}\n\
         vrrp_instance D {\n interface eth0\n virtual_router_id 4\n track_script {\n s1\n }\n virtual_ipaddress {\n 10.0.0.5/24\n }\n}\n\
         vrrp_instance E {\n interface eth0\n virtual_router_id 5\n track_script {\n s1\n }\n virtual_ipaddress {\n 10.0.0.6/24\n }\n}\n",
        &Default::default(),
        &crate::config::validate::SystemView::default(),
    );
    let cfg = &loaded.config;
    let users = crate::dump::users::Users::from_files("root:x:0:0::/:/bin/sh\n", "root:x:0:\n", None);
    let full: Vec<InstanceConf> = VrrpConf::of(&cfg.vrrp, &cfg.global, &users, &|_| None)
        .instances
        .iter()
        .map(|e| (**e.conf.as_ref().expect("full")).clone())
        .collect();
    let specs: Vec<super::super::spec::InstanceSpec> = cfg
        .vrrp
        .instances
        .iter()
        .map(|i| {
            let mut s = super::super::spec::InstanceSpec::from_model(i, &cfg.vrrp.globals);
            s.track = super::super::spec::TrackSpec::from_model(i, &cfg.vrrp);
            s
        })
        .collect();
    let facts = |n: usize| specs.get(n).map(super::super::report::plain_facts);
    let vc = VrrpConf::of(&cfg.vrrp, &cfg.global, &users, &facts);
    // A keeps nothing (all of it follows from what it runs); B has a notify
    // script. C and D: tracking and their sync group follow from what they
    // run too. E: its group's tracking is not its own line.
    let kept: Vec<bool> = vc.instances.iter().map(|e| e.conf.is_some()).collect();
    assert_eq!(kept, [false, true, false, false, true]);
    let c = &full[2];
    assert_eq!(c.sync_group.as_deref(), Some("G"));
    assert_eq!(c.track_script_cmds.len(), 2);
    assert!(c.dont_track_primary);
    for (n, (e, want)) in vc.instances.iter().zip(&full).enumerate() {
        let got = vc.instance_conf(e, || facts(n).expect("spec"));
        assert_eq!(&got, want);
    }
}
