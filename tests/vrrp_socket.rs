//! VRRP raw sockets and gratuitous ARP on a veth pair in a network namespace.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{Netns, inner, needs_root, run_inner_in};
use keepalived_rs::vrrp::socket::{GarpSender, VrrpSocket};

#[test]
fn raw_sockets_on_a_veth_pair() {
    if inner() || !needs_root() {
        return;
    }
    let ns = Netns::new("sock");
    ns.ip(&["link", "add", "a0", "type", "veth", "peer", "name", "b0"]);
    ns.ip(&["link", "set", "a0", "address", "02:00:00:00:00:0a"]);
    ns.ip(&["addr", "add", "192.0.2.1/24", "dev", "a0"]);
    ns.ip(&["addr", "add", "192.0.2.2/24", "dev", "b0"]);
    ns.ip(&["link", "set", "a0", "up"]);
    ns.ip(&["link", "set", "b0", "up"]);
    run_inner_in(&ns, "raw_sockets_inner", &[]);
}

fn ifindex(name: &str) -> u32 {
    std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex")).expect("ifindex").trim().parse().expect("number")
}

/// A minimal IPv4 header + 8 payload bytes, protocol 112, TTL 255.
fn ipv4_packet(src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
    let mut p = vec![0x45, 0xc0, 0, 28, 0, 0, 0, 0, 255, 112, 0, 0];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&[0x21, 51, 100, 1, 0, 1, 0, 0]);
    p
}

/// Runs inside the namespace (see `common::run_inner_in`).
#[test]
#[ignore = "the inner half of a namespace test: run by its outer half"]
fn raw_sockets_inner() {
    if !inner() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        // Let IPv6 DAD finish for the link-local addresses.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let tx = VrrpSocket::open_v4("a0", ifindex("a0"), 112, true).expect("tx v4");
        let rx = VrrpSocket::open_v4("b0", ifindex("b0"), 112, true).expect("rx v4");
        // A source that is not local to this namespace: the kernel drops packets
        // that arrive with one of its own addresses as the source.
        let pkt = ipv4_packet(Ipv4Addr::new(192, 0, 2, 9), Ipv4Addr::new(224, 0, 0, 18));
        tx.send_v4(&pkt, Ipv4Addr::new(224, 0, 0, 18)).await.expect("send v4");
        let mut buf = [0u8; 2048];
        let got =
            tokio::time::timeout(Duration::from_secs(2), rx.recv(&mut buf)).await.expect("v4 in time").expect("recv");
        assert_eq!(got.src, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)));
        assert_eq!(&buf[20..got.len], &pkt[20..]);
        assert_eq!(buf[8], 255, "TTL as sent");

        let tx6 = VrrpSocket::open_v6("a0", ifindex("a0"), true).expect("tx v6");
        let rx6 = VrrpSocket::open_v6("b0", ifindex("b0"), true).expect("rx v6");
        let mut sent = false;
        for _ in 0..30 {
            // the link-local source may still be tentative: retry briefly
            if tx6.send_v6(&[0x31, 51, 100, 1, 0, 100, 0, 0], "ff02::12".parse().expect("ip")).await.is_ok() {
                sent = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(sent, "IPv6 send");
        let got =
            tokio::time::timeout(Duration::from_secs(3), rx6.recv(&mut buf)).await.expect("v6 in time").expect("recv");
        assert_eq!(got.hop_limit, Some(255));
        assert_eq!(got.dst, Some("ff02::12".parse::<Ipv6Addr>().expect("ip")));
        assert!(matches!(got.src, IpAddr::V6(a) if a.segments()[0] == 0xfe80), "{:?}", got.src);
        assert_eq!(&buf[..got.len], &[0x31, 51, 100, 1, 0, 100, 0, 0]);

        let g = GarpSender::open("a0", ifindex("a0"), true, true).expect("garp");
        let frame = keepalived_rs::vrrp::garp::gratuitous_arp([2, 0, 0, 0, 0, 0x0a], Ipv4Addr::new(192, 0, 2, 100));
        g.send_arp_frame(&frame).expect("garp send");
        let na = keepalived_rs::vrrp::garp::unsolicited_na(
            [2, 0, 0, 0, 0, 0x0a],
            "2001:db8::100".parse().expect("ip"),
            false,
        );
        g.send_na(&na, ifindex("a0")).expect("na send");
    });
}
