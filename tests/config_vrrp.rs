//! The vrrp part of the configuration: golden tests (config in -> dump and
//! rendered diagnostics out) and upstream's messages on the sample configs.
//!
//! `UPDATE_GOLDEN=1 cargo test --test config_vrrp` rewrites the expected files.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use keepalived_rs::config::error::{Class, Severity};
use keepalived_rs::config::model::ipcfg::{NumOrName, RouteType};
use keepalived_rs::config::model::vrrp::{Auth, InitialState};
use keepalived_rs::config::preprocess::Options;
use keepalived_rs::config::validate::SystemView;
use keepalived_rs::config::{Loaded, load};

mod common;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/config/vrrp").join(name)
}

/// The machine the tests pretend to run on.
fn system(ifaces: &[&str]) -> SystemView {
    SystemView {
        interfaces: ifaces.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        interfaces_known: true,
        ..SystemView::default()
    }
}

fn load_data(name: &str) -> Loaded {
    load(&data(name), &Options::default(), &system(&["lo", "eth0", "eth1"]))
}

/// Everything said about a configuration, as a user sees it (notes about
/// keywords not implemented yet included), then the dump and the exit code.
fn render(l: &Loaded) -> String {
    let mut out = String::new();
    for d in &l.diags {
        out.push_str(&l.sources.render(d));
        out.push('\n');
    }
    out.push_str(&format!("exit: {}\n", l.exit_code()));
    out.push_str("---- dump ----\n");
    // Only this part's dump: the other parts have their own goldens.
    keepalived_rs::config::build::vrrp::dump(&l.config, &mut out);
    // Paths differ between machines.
    out.replace(&format!("{}/", data("").display()).replace("//", "/"), "")
}

/// Compares `render(load(NAME.conf))` with NAME.out.
fn golden(name: &str) -> Loaded {
    let l = load_data(&format!("{name}.conf"));
    let got = render(&l);
    let expected_path = data(&format!("{name}.out"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &got).expect("write golden file");
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if got != expected {
        let line = got.lines().zip(expected.lines()).position(|(g, e)| g != e).unwrap_or(0);
        panic!(
            "golden output of {name} differs at line {} (UPDATE_GOLDEN=1 to accept):\n got: {:?}\nwant: {:?}",
            line + 1,
            got.lines().nth(line),
            expected.lines().nth(line)
        );
    }
    l
}

fn messages(l: &Loaded) -> Vec<String> {
    l.diags.iter().filter(|d| d.severity > Severity::Note).map(|d| l.sources.headline(d)).collect()
}

#[test]
fn basic_instance_model() {
    let l = golden("basic");
    assert_eq!(l.exit_code(), 0, "{:?}", messages(&l));
    let v = &l.config.vrrp;
    let i = v.instance("VI_1").expect("VI_1");
    assert_eq!(i.vrid, 51);
    assert_eq!(i.priority, 150);
    assert_eq!(i.version, 3, "falls back to the global vrrp_version");
    assert_eq!(i.advert_interval, std::time::Duration::from_millis(500));
    assert_eq!(i.state, InitialState::Backup);
    assert_eq!(i.vips.len(), 2);
    assert_eq!(i.evips.len(), 1);
    let dev: Vec<Option<&str>> = i.vips.iter().map(|a| i.address_interface(a)).collect();
    assert_eq!(dev, [Some("eth0"), Some("eth1")]);
    assert_eq!(i.unicast_peers.len(), 2);
    assert_eq!(i.garp.master_delay, std::time::Duration::from_secs(2), "instance value");
    assert_eq!(i.garp.master_repeat, 3, "global value");
    assert_eq!(i.garp.lower_prio_repeat, 3, "follows garp_master_repeat");
    assert_eq!(i.sync_group.as_deref(), Some("G1"));
    assert!(l.config.needs_vrrp());
    let owner = v.instance("VI_2").expect("VI_2");
    assert_eq!(owner.priority, 255, "state MASTER without priority is the address owner");
    assert_eq!(owner.version, 2, "instance version overrides the global");
    assert_eq!(owner.auth, Some(Auth::Pass(b"secret".to_vec())));
    let v6 = v.instance("VI_6").expect("VI_6");
    assert!(v6.ipv6);
    assert_eq!(v6.version, 3, "IPv6 instances always run VRRPv3");
    assert_eq!(v6.mcast_dst_ip.to_string(), "ff02::12");
    assert_eq!(v.scripts.len(), 1);
    assert_eq!(v.track_files.len(), 1);
    assert_eq!(v.track_processes.len(), 1);
    assert_eq!(v.garp_groups.len(), 1);
    assert_eq!(i.routes.first().map(|r| r.kind), Some(RouteType::Unicast));
    assert_eq!(i.rules.first().and_then(|r| r.priority_given.then_some(r.priority)), Some(100));
    assert_eq!(i.routes.get(1).and_then(|r| r.table.clone()), Some(NumOrName::Num(254)));
}

#[test]
fn parse_errors_and_ranges() {
    let l = golden("errors");
    assert_eq!(l.exit_code(), 5);
    let i = l.config.vrrp.instance("VI_1").expect("VI_1");
    assert_eq!(i.priority, 100, "an invalid priority leaves the default");
    assert_eq!(i.auth, Some(Auth::Pass(b"abcdefgh".to_vec())), "auth_pass truncated to 8 bytes");
    assert!(
        l.diags
            .iter()
            .any(|d| d.class == Class::UnknownKeyword && d.help.as_deref() == Some("did you mean 'priority'?"))
    );
}

#[test]
fn range_edges() {
    let l = golden("edges");
    assert_eq!(l.exit_code(), 0, "{:?}", messages(&l));
    let lo = l.config.vrrp.instance("LO").expect("LO");
    assert_eq!((lo.vrid, lo.priority), (1, 1));
    assert_eq!(lo.advert_interval, std::time::Duration::from_millis(10));
    let hi = l.config.vrrp.instance("HI").expect("HI");
    assert_eq!((hi.vrid, hi.priority), (255, 255));
    assert_eq!(hi.advert_interval, std::time::Duration::from_millis(40_950));
}

#[test]
fn completion_rules() {
    let l = golden("completion");
    let i = l.config.vrrp.instance("V2_ROUND").expect("instance");
    assert_eq!(i.advert_interval, std::time::Duration::from_secs(2), "v2 rounds to whole seconds");
    let i = l.config.vrrp.instance("V3_ROUND").expect("instance");
    assert_eq!(i.advert_interval, std::time::Duration::from_millis(120), "v3 rounds to centiseconds");
    let i = l.config.vrrp.instance("V3_MAX").expect("instance");
    assert_eq!(i.advert_interval, std::time::Duration::from_millis(40_950));
    let i = l.config.vrrp.instance("AH").expect("instance");
    assert_eq!(i.state, InitialState::Backup, "AH clears initial state MASTER");
    let i = l.config.vrrp.instance("PREEMPT").expect("instance");
    assert!(!i.nopreempt && i.preempt_delay.is_zero());
    let i = l.config.vrrp.instance("V3AUTH").expect("instance");
    assert_eq!(i.auth, None);
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn strict_mode() {
    let l = golden("strict");
    let i = l.config.vrrp.instance("VI_1").expect("instance");
    assert!(i.strict && !i.accept && i.auth.is_none());
    assert_eq!(i.state, InitialState::Backup);
    assert!(i.lower_prio_no_advert, "strict mode implies lower_prio_no_advert");
}

#[test]
fn missing_vrid_stops_checking() {
    let l = golden("no_vrid");
    // A general configuration error, after which upstream checks nothing more.
    assert_eq!(l.exit_code(), 5);
    assert_eq!(l.diags.iter().filter(|d| d.span.is_none()).count(), 1);
}

#[test]
fn no_vip() {
    let l = golden("no_vip");
    assert_eq!(l.exit_code(), 5);
    let l = golden("no_vip_v3");
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn sync_groups() {
    let l = golden("sync");
    let names: Vec<&str> = l.config.vrrp.sync_groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["G1", "G3"], "EMPTY and G2 are removed");
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn trackers() {
    let l = golden("tracking");
    let i = l.config.vrrp.instance("VI_1").expect("instance");
    assert_eq!(i.tracking.scripts.len(), 0, "weighted script removed in a sync group");
    assert_eq!(i.tracking.files.first().and_then(|t| t.weight), Some(0));
    assert!(i.tracking.interfaces.is_empty(), "own interface is not tracked twice");
}

#[test]
fn addresses_routes_rules() {
    let l = golden("ipcfg");
    let i = l.config.vrrp.instance("VI_1").expect("instance");
    assert_eq!(i.vips.len(), 3);
    assert_eq!(i.routes.len(), 5);
    assert_eq!(i.rules.len(), 2);
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn globals() {
    let l = golden("globals");
    let g = &l.config.vrrp.globals;
    assert_eq!(g.garp_master_repeat, 1, "0 is raised to 1");
    assert_eq!(g.version, 2, "invalid version ignored");
    assert_eq!(g.mcast_group4.to_string(), "224.0.0.18", "non-multicast group ignored");
    assert_eq!(g.mcast_group6.to_string(), "ff02::1");
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn missing_interfaces() {
    let l = golden("interfaces");
    // keepalived cannot run with a missing interface; -t exits 5 as 2.2.7 does.
    assert_eq!(l.exit_code(), 5);
    assert!(!l.runnable());
    assert!(l.diags.iter().any(|d| d.class == Class::Reference && d.span.is_none()));
}

#[test]
fn deprecated_syntax() {
    let l = golden("deprecated");
    assert!(l.diags.iter().filter(|d| d.class == Class::Deprecated).count() >= 4);
    assert_eq!(l.config.vrrp.track_files.len(), 1, "vrrp_track_file still defines a track file");
}

#[test]
fn script_security_counts_existing_programs_only() {
    let l = load_data("security_missing.conf");
    assert!(!l.diags.iter().any(|d| d.class == Class::ScriptSecurity), "{:?}", messages(&l));
    let l = load_data("security_present.conf");
    assert_eq!(l.diags.iter().filter(|d| d.class == Class::ScriptSecurity).count(), 1);
    assert_eq!(l.exit_code(), 6);
}

// ------------------------------------------------------------ sample configs

/// Messages about keywords of other parts, not ours to judge here.
fn other_parts(msg: &str) -> bool {
    const OTHERS: &[&str] = &[
        "router_id",
        "notification_email",
        "notification_email_from",
        "smtp_server",
        "smtp_connect_timeout",
        "virtual_server",
        "virtual_server_group",
        "static_ipaddress",
        "static_routes",
        "static_rules",
        "net_namespace",
        "@high",
        "@low",
    ];
    OTHERS.iter().any(|k| msg.ends_with(&format!("Unknown keyword '{k}'")))
}

/// 2.2.7's messages for one sample, from MESSAGES-2.2.7.txt.
fn expected_messages(sample: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(common::samples_dir().join("MESSAGES-2.2.7.txt")).ok()?;
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            inside = name == sample;
        } else if inside && !line.starts_with("exit:") {
            out.push(line.to_owned());
        }
    }
    Some(out)
}

/// The vrrp-related samples give 2.2.7's messages, line by line, on a
/// machine with eth0..eth3 (where 2.2.7's messages were recorded).
#[test]
fn samples_give_upstream_messages() {
    let sys = system(&["lo", "eth0", "eth0.1", "eth1", "eth2", "eth3"]);
    let samples = [
        "keepalived.conf.vrrp",
        "keepalived.conf.vrrp.localcheck",
        "keepalived.conf.vrrp.lvs_syncd",
        "keepalived.conf.vrrp.routes",
        "keepalived.conf.vrrp.scripts",
        "keepalived.conf.vrrp.sync",
        "keepalived.conf.vrrp.static_ipaddress",
        "keepalived.conf.vrrp.rules",
        "keepalived.conf.track_interface",
        "keepalived.conf.IPv6",
        "keepalived.conf.SSL_GET",
        "keepalived.conf.conditional_conf",
    ];
    assert!(
        expected_messages("keepalived.conf.vrrp").is_some(),
        "{}: no MESSAGES-2.2.7.txt",
        common::samples_dir().display()
    );
    let killall =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join("killall").is_file());
    for s in samples {
        let Some(mut expected) = expected_messages(s) else { panic!("MESSAGES-2.2.7.txt unreadable") };
        // The static blocks belong to the global part: leave their lines out,
        // and the rule preference they shift.
        let ours = |m: &String| !(s.ends_with("vrrp.rules") && (m.contains("Line 10)") || m.contains("Line 11)")));
        let norm = |m: String| m.replace("setting to 16383", "setting to 16384");
        expected = expected.into_iter().filter(ours).map(norm).collect();
        if !killall {
            expected.retain(|m| !m.starts_with("SECURITY VIOLATION"));
        }
        let path = common::samples_dir().join(s);
        let l = load(&path, &Options::default(), &sys);
        let got: Vec<String> = messages(&l)
            .into_iter()
            .filter(|m| !other_parts(m))
            // Without killall, upstream would disable the scripts using it.
            .filter(|m| killall || !m.starts_with("Disabling track script"))
            // Paths as 2.2.7 printed them (run from the samples directory).
            .map(|m| m.replace(&format!("{}/", common::samples_dir().display()), ""))
            .filter(ours)
            .map(norm)
            .collect();
        assert_eq!(got, expected, "messages for {s}");
    }
}

#[test]
fn script_and_tracker_blocks() {
    let l = golden("blocks");
    let v = &l.config.vrrp;
    let s1 = v.script("s1").expect("s1");
    assert_eq!((s1.interval, s1.rise, s1.fall), (std::time::Duration::from_secs(1), 1, 1));
    assert!(s1.init_fail);
    assert_eq!(s1.script.as_ref().and_then(|s| s.user.as_deref()), Some("root"));
    let s2 = v.script("s2").expect("s2");
    assert_eq!(s2.timeout, std::time::Duration::from_secs(5));
    let names: Vec<&str> = v.track_files.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["f2"], "a track_file without file is ignored");
    let p2 = v.track_processes.iter().find(|p| p.name == "p2").expect("p2");
    assert_eq!((p2.quorum, p2.quorum_max), (1, Some(1)), "quorum above quorum_max ignored");
    // /bin/true exists and script_security is off.
    assert_eq!(l.exit_code(), 6);
}

#[test]
fn instance_family_follows_first_address() {
    let l = golden("family");
    let v5 = l.config.vrrp.instance("VI_5").expect("VI_5");
    assert!(v5.ipv6 && v5.unicast_src_ip.is_none());
    assert_eq!(v5.vips.first().and_then(|a| a.label.as_ref()), None, "no labels on IPv6 addresses");
    let v6 = l.config.vrrp.instance("VI_6").expect("VI_6");
    assert!(!v6.ipv6 && v6.unicast_peers.is_empty());
    assert_eq!(v6.mcast_dst_ip.to_string(), "224.0.0.18");
    let v2 = l.config.vrrp.instance("VI_2").expect("VI_2");
    assert!(v2.interface.is_none() && v2.is_unicast(), "unicast without interface is allowed (2.4)");
}

#[test]
fn boolean_options() {
    let l = golden("bools");
    assert_eq!(l.diags.iter().filter(|d| d.class == Class::BadValue).count(), 9);
}

fn load_text(text: &str) -> Loaded {
    keepalived_rs::config::load_str(Path::new("test.conf"), text, &Options::default(), &system(&["lo", "eth0"]))
}

#[test]
fn min_garp_sets_the_defaults_instances_can_override() {
    let l = load_text(
        "global_defs {\n vrrp_min_garp\n}\n\
         vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n garp_master_repeat 4\n virtual_ipaddress {\n  10.0.0.2\n }\n}\n",
    );
    assert_eq!(l.exit_code(), 0, "{:?}", messages(&l));
    let a = l.config.vrrp.instance("A").expect("A");
    assert_eq!((a.garp.master_repeat, a.garp.master_delay), (1, std::time::Duration::ZERO));
    assert_eq!(a.garp.lower_prio_repeat, 1);
    let b = l.config.vrrp.instance("B").expect("B");
    assert_eq!(b.garp.master_repeat, 4);
}

#[test]
fn rule_preferences_count_down_across_blocks() {
    let l = load_text(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n\
         virtual_rules {\n  from 10.1.0.0/16 table 5\n  from 10.2.0.0/16 table 5 preference 7\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n  10.0.0.2\n }\n\
         virtual_rules {\n  to 10.3.0.0/16 table 6\n }\n}\n",
    );
    let prefs: Vec<u32> = l.config.vrrp.instances.iter().flat_map(|i| i.rules.iter().map(|r| r.priority)).collect();
    assert_eq!(prefs, [16384, 7, 16383]);
}

#[test]
fn missing_interface_of_an_earlier_part_stops_completion() {
    // No vrrp_instance completion message after the interface problem.
    let l = load_text(
        "vrrp_instance A {\n interface nope\n virtual_router_id 1\n version 2\n advert_int 1.5\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n",
    );
    let msgs = messages(&l);
    assert_eq!(msgs.last().map(String::as_str), Some("Non-existent interface specified in configuration"));
    assert!(!msgs.iter().any(|m| m.contains("must be an integer")));
    assert_eq!(l.config.vrrp.instance("A").map(|a| a.version), Some(2), "defaults still resolved");
}

#[test]
fn scripts_whose_program_is_missing_are_disabled() {
    let l = load_text(
        "vrrp_script gone {\n script \"/nonexistent/keepalived-rs/check\"\n}\n\
         vrrp_script redirect {\n script \"</dev/tcp/127.0.0.1/80\"\n}\n\
         vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n\
         track_script {\n  gone\n  redirect\n }\n}\n",
    );
    let msgs = messages(&l);
    assert!(msgs.contains(&"Disabling track script gone since not found/accessible".to_owned()), "{msgs:?}");
    let a = l.config.vrrp.instance("A").expect("A");
    let tracked: Vec<&str> = a.tracking.scripts.iter().map(|t| t.name.value.as_str()).collect();
    assert_eq!(tracked, ["redirect"], "a shell redirection is run unchecked");
    assert!(!l.diags.iter().any(|d| d.class == Class::ScriptSecurity));
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn native_ipv6_and_unicast_without_peers() {
    let l = golden("unicast_no_peer");
    let a = l.config.vrrp.instance("A").expect("A");
    assert!(a.ipv6 && a.native_ipv6, "native_ipv6 makes the instance IPv6");
    assert!(a.unicast_peers.is_empty(), "an IPv4 peer of an IPv6 instance is skipped");
    assert_eq!(a.vips.len(), 1);
    assert!(
        l.diags.iter().any(|d| d.message.contains("A unicast keyword has been specified without any unicast peers"))
    );
}

#[test]
fn duplicate_vrids() {
    let l = golden("vrid");
    let msgs = messages(&l);
    assert!(msgs.contains(&"A and B both use VRID 1 with IPv4 on interface eth0".to_owned()), "{msgs:?}");
    assert!(msgs.contains(&"(C) duplicate VRID conflict with D VRID 1".to_owned()), "{msgs:?}");
    assert!(!msgs.iter().any(|m| m.contains(" E ") || m.contains("(E)") || m.contains(" F ")), "{msgs:?}");
    assert!(!msgs.iter().any(|m| m.contains("configured on VRRP instance and sync group")), "same weight: no conflict");
}

#[test]
fn negative_numbers() {
    let l = golden("negative");
    let msgs = messages(&l);
    assert_eq!(msgs.iter().filter(|m| m.ends_with("negative number '-1'")).count(), 13, "{msgs:?}");
    assert!(msgs.iter().any(|m| m.ends_with("number '-1' outside range [2, 3]")), "version is read signed");
}

#[test]
fn unicast_peer_options() {
    let l = golden("unicast_peer");
    let a = l.config.vrrp.instance("A").expect("A");
    let peers: Vec<String> = a.unicast_peers.iter().map(|p| p.addr.to_string()).collect();
    assert_eq!(peers, ["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    assert_eq!(a.unicast_peers.get(2).and_then(|p| p.max_ttl), None, "300 is out of range");
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn track_bfd_names_an_earlier_bfd_instance() {
    let l = golden("track_bfd");
    let a = l.config.vrrp.instance("A").expect("A");
    let names: Vec<&str> = a.tracking.bfds.iter().map(|t| t.name.value.as_str()).collect();
    assert_eq!(names, ["b1"]);
    assert!(messages(&l).iter().any(|m| m.ends_with("(A) track bfd b2 not found, ignoring...")));
}

#[test]
fn promote_secondaries_is_dropped_on_a_vmac() {
    let l = load_text(
        "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n use_vmac\n promote_secondaries\n\
         virtual_ipaddress {\n  10.0.0.1\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n promote_secondaries\n\
         virtual_ipaddress {\n  10.0.0.2\n }\n}\n",
    );
    let msgs = messages(&l);
    assert!(msgs.contains(&"(A) promote_secondaries is automatically set for vmacs - ignoring".to_owned()), "{msgs:?}");
    assert!(!msgs.iter().any(|m| m.starts_with("(B)")), "{msgs:?}");
    assert!(!l.config.vrrp.instance("A").expect("A").promote_secondaries);
    assert!(l.config.vrrp.instance("B").expect("B").promote_secondaries);
    assert!(!l.diags.iter().any(|d| d.message.contains("'promote_secondaries' is parsed but not yet")));
}
