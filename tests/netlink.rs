//! rtnetlink address management against the real kernel, in a network namespace.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::net::IpAddr;

use common::{Netns, inner, needs_root, run_inner_in};
use keepalived_rs::netlink::{AddOutcome, AddrSpec, DelOutcome, Netlink};

#[test]
fn vip_add_remove_is_tolerant() {
    if inner() || !needs_root() {
        return;
    }
    let ns = Netns::new("nl");
    ns.dummy("eth0");
    run_inner_in(&ns, "vip_add_remove_inner", &[]);
}

fn ip_addr_show(dev: &str) -> String {
    let o = std::process::Command::new("ip").args(["-o", "addr", "show", "dev", dev]).output().expect("ip");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs inside the namespace (see `common::run_inner_in`).
#[test]
#[ignore = "the inner half of a namespace test: run by its outer half"]
fn vip_add_remove_inner() {
    if !inner() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (nl, conn) = Netlink::connect().expect("netlink");
        tokio::spawn(conn);
        let link = nl.link_by_name("eth0").await.expect("eth0");
        assert!(nl.link_by_name("nosuch0").await.is_err());
        let spec = AddrSpec {
            ifindex: link.index,
            addr: "192.0.2.10".parse::<IpAddr>().expect("ip"),
            prefix_len: 24,
            broadcast: Some("192.0.2.255".parse().expect("ip")),
            peer: None,
            scope: 0,
            label: Some("eth0:vip".into()),
            nodad: false,
            noprefixroute: false,
            home: false,
            preferred_lft: None,
        };
        assert_eq!(nl.add_address(&spec).await.expect("add"), AddOutcome::Added);
        let shown = ip_addr_show("eth0");
        assert!(shown.contains("inet 192.0.2.10/24 brd 192.0.2.255"), "{shown}");
        assert!(shown.contains("eth0:vip"), "{shown}");
        assert_eq!(nl.add_address(&spec).await.expect("add again"), AddOutcome::AlreadyPresent);
        assert!(nl.addresses(link.index).await.expect("list").contains(&(spec.addr, 24)));
        let v6 = AddrSpec {
            addr: "2001:db8::10".parse().expect("ip"),
            prefix_len: 64,
            broadcast: None,
            label: None,
            nodad: true,
            ..spec.clone()
        };
        assert_eq!(nl.add_address(&v6).await.expect("add v6"), AddOutcome::Added);
        assert!(ip_addr_show("eth0").contains("inet6 2001:db8::10/64"));
        assert_eq!(nl.del_address(&spec).await.expect("del"), DelOutcome::Removed);
        assert_eq!(nl.del_address(&v6).await.expect("del v6"), DelOutcome::Removed);
        assert_eq!(nl.del_address(&spec).await.expect("del again"), DelOutcome::NotPresent);
        assert!(!ip_addr_show("eth0").contains("192.0.2.10"));
    });
}
