//! The IPVS codec: requests laid out as include/uapi/linux/ip_vs.h says,
//! and replies decoded from bytes a kernel (6.1, in the test VM) sent.
//! The fixtures in tests/data/ipvs/ come from `capture_kernel_replies`,
//! run inside the VM by tests/vm/capture-fixtures.sh.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use super::*;
use crate::config::model::lvs::Family;
use crate::ipvs::table::{IPPROTO_TCP, IPPROTO_UDP, fwd, tun};

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ipvs").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

/// What the capture programs, and what the decoded replies must say.
fn web() -> ServiceKey {
    ServiceKey::addr(IPPROTO_TCP, v4([10, 0, 0, 1]), 80)
}

fn web_attrs() -> ServiceAttrs {
    ServiceAttrs {
        sched: "wrr".into(),
        flags: svc_flags::PERSISTENT,
        timeout: 300,
        netmask: u32::from_ne_bytes([255, 255, 255, 0]),
        pe_name: String::new(),
    }
}

fn dns6() -> ServiceKey {
    ServiceKey::addr(IPPROTO_UDP, IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53)), 53)
}

fn dns6_attrs() -> ServiceAttrs {
    ServiceAttrs {
        sched: "sh".into(),
        flags: svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::ONEPACKET | svc_flags::PERSISTENT,
        timeout: 120,
        netmask: 64,
        pe_name: "sip".into(),
    }
}

fn mark() -> ServiceKey {
    ServiceKey::fwmark(Family::Inet, 7)
}

fn mark_attrs() -> ServiceAttrs {
    ServiceAttrs { sched: "rr".into(), flags: 0, timeout: 0, netmask: u32::MAX, pe_name: String::new() }
}

fn web_dests() -> Vec<(DestKey, DestAttrs)> {
    vec![
        (
            DestKey { addr: v4([10, 1, 0, 1]), port: 8080 },
            DestAttrs { fwd: fwd::MASQ, weight: 3, u_thresh: 100, l_thresh: 10, ..DestAttrs::default() },
        ),
        (
            DestKey { addr: v4([10, 1, 0, 2]), port: 80 },
            DestAttrs { fwd: fwd::DROUTE, weight: 0, ..DestAttrs::default() },
        ),
        (
            DestKey { addr: v4([10, 1, 0, 3]), port: 80 },
            DestAttrs {
                fwd: fwd::TUNNEL,
                weight: 1,
                tun_type: tun::GUE,
                tun_port: 6080,
                tun_flags: tun::F_CSUM,
                ..DestAttrs::default()
            },
        ),
        (
            DestKey { addr: v4([10, 1, 0, 4]), port: 80 },
            DestAttrs {
                fwd: fwd::TUNNEL,
                weight: 2,
                tun_type: tun::GRE,
                tun_flags: tun::F_REMCSUM,
                ..DestAttrs::default()
            },
        ),
    ]
}

fn master() -> Daemon {
    Daemon {
        state: SyncState::Master,
        ifname: "lo".into(),
        syncid: 9,
        maxlen: 1200,
        port: 8850,
        ttl: 3,
        group: Some(v4([224, 0, 0, 82])),
    }
}

fn backup() -> Daemon {
    Daemon {
        state: SyncState::Backup,
        ifname: "lo".into(),
        syncid: 9,
        maxlen: 0,
        port: 0,
        ttl: 0,
        group: Some(IpAddr::V6("ff02::1234".parse().unwrap())),
    }
}

/// The attributes of every message of the family in a captured reply.
fn data(family: u16, buf: &[u8]) -> Vec<(u8, Vec<u8>)> {
    replies(family, buf)
        .filter_map(|r| match r.unwrap() {
            Reply::Data { cmd, attrs, .. } => Some((cmd, attrs.to_vec())),
            _ => None,
        })
        .collect()
}

/// The family id, from the captured controller reply.
fn family() -> u16 {
    let buf = fixture("genl-getfamily.bin");
    let m = nla::messages(&buf).next().unwrap().unwrap();
    assert_eq!(m.kind, GENL_ID_CTRL);
    family_id(m.payload).unwrap()
}

#[test]
fn request_layout() {
    // NEW_SERVICE for 10.0.0.1:80 TCP wrr persistent 300 mask /24, seq 9, family 0x20.
    let m = encode(0x20, 9, &Request::NewService(&web(), &web_attrs()), true);
    let mut want: Vec<u8> = Vec::new();
    let total: u32 = 16 + 4 + 4 + 8 + 8 + 20 + 8 + 8 + 12 + 8 + 8;
    want.extend(total.to_ne_bytes());
    want.extend(0x20u16.to_ne_bytes());
    want.extend((nla::F_REQUEST | nla::F_ACK).to_ne_bytes());
    want.extend(9u32.to_ne_bytes());
    want.extend(0u32.to_ne_bytes());
    want.extend([cmd::NEW_SERVICE, 1, 0, 0]);
    want.extend(((total - 20) as u16).to_ne_bytes());
    want.extend(1u16.to_ne_bytes()); // IPVS_CMD_ATTR_SERVICE
    want.extend([6, 0, 1, 0, 2, 0, 0, 0]); // AF = AF_INET
    want.extend([6, 0, 2, 0, 6, 0, 0, 0]); // PROTOCOL = TCP
    want.extend([20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // ADDR
    want.extend([6, 0, 4, 0, 0, 80, 0, 0]); // PORT, network order
    want.extend([8, 0, 6, 0, b'w', b'r', b'r', 0]); // SCHED_NAME
    want.extend([12, 0, 7, 0]); // FLAGS { flags, mask }
    want.extend(1u32.to_ne_bytes());
    want.extend(u32::MAX.to_ne_bytes());
    want.extend([8, 0, 8, 0]);
    want.extend(300u32.to_ne_bytes());
    want.extend([8, 0, 9, 0, 255, 255, 255, 0]);
    assert_eq!(m, want);
    // A dump asks for no acknowledgement.
    let m = encode(0x20, 1, &Request::GetServices, true);
    assert_eq!(u16::from_ne_bytes([m[6], m[7]]), nla::F_REQUEST | nla::F_DUMP);
    // A fwmark service has no protocol, address or port.
    let m = encode(0x20, 1, &Request::DelService(&mark()), false);
    assert_eq!(&m[20..], &[20, 0, 1, 0, 6, 0, 1, 0, 2, 0, 0, 0, 8, 0, 5, 0, 7, 0, 0, 0]);
}

#[test]
fn dest_request_layout() {
    let (d, a) = web_dests()[2];
    let m = encode(0x20, 1, &Request::NewDest(&web(), &d, &a), false);
    // After the service nest: the destination nest.
    let dest = &m[20 + 4 + 8 + 8 + 20 + 8..];
    let mut want = vec![56, 0, 2, 0];
    want.extend([6, 0, 11, 0, 2, 0, 0, 0]); // ADDR_FAMILY
    want.extend([20, 0, 1, 0, 10, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    want.extend([6, 0, 2, 0, 0, 80, 0, 0]); // PORT
    want.extend([8, 0, 3, 0, 2, 0, 0, 0]); // FWD_METHOD = TUNNEL
    want.extend([8, 0, 4, 0, 1, 0, 0, 0]); // WEIGHT
    want.extend([5, 0, 13, 0, 1, 0, 0, 0]); // TUN_TYPE = GUE
    want.extend([6, 0, 14, 0, 0x17, 0xc0, 0, 0]); // TUN_PORT 6080, network order
    want.extend([6, 0, 15, 0, 1, 0, 0, 0]); // TUN_FLAGS = CSUM
    want.extend([8, 0, 5, 0, 0, 0, 0, 0]); // U_THRESH
    want.extend([8, 0, 6, 0, 0, 0, 0, 0]); // L_THRESH
    want[0] = want.len() as u8;
    assert_eq!(dest, &want[..]);
    // NAT and DR destinations carry no tunnel attributes.
    let (d, a) = web_dests()[0];
    let m = encode(0x20, 1, &Request::SetDest(&web(), &d, &a), false);
    // Headers, the service nest (AF, PROTOCOL, ADDR, PORT), the destination nest.
    assert_eq!(m.len(), 20 + (4 + 8 + 8 + 20 + 8) + (4 + 8 + 20 + 8 + 8 + 8 + 8 + 8));
}

#[test]
fn daemon_and_timeout_requests() {
    let m = encode(0x20, 1, &Request::NewDaemon(&master()), true);
    let g = nla::genl(nla::messages(&m).next().unwrap().unwrap().payload).unwrap();
    assert_eq!(g.cmd, cmd::NEW_DAEMON);
    let nest = nla::attrs(g.attrs).next().unwrap().unwrap();
    let kinds: Vec<u16> = nest.nested().map(|a| a.unwrap().kind).collect();
    // STATE, MCAST_IFN, SYNC_ID, SYNC_MAXLEN, MCAST_PORT, MCAST_TTL, MCAST_GROUP.
    assert_eq!(kinds, vec![1, 2, 3, 4, 7, 8, 5]);
    let m = encode(0x20, 1, &Request::DelDaemon(SyncState::Backup), true);
    assert_eq!(&m[20..], &[12, 0, 3, 0, 8, 0, 1, 0, 2, 0, 0, 0]);
    let m = encode(0x20, 1, &Request::SetTimeouts(&Timeouts { tcp: 900, tcp_fin: 0, udp: 300 }), true);
    assert_eq!(&m[20..], &[8, 0, 4, 0, 0x84, 3, 0, 0, 8, 0, 5, 0, 0, 0, 0, 0, 8, 0, 6, 0, 0x2c, 1, 0, 0]);
    let m = get_family(3, "IPVS");
    assert_eq!(&m[16..], &[3, 1, 0, 0, 9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0]);
}

#[test]
fn kernel_family_reply() {
    assert!(family() >= 0x10, "a dynamic generic-netlink id");
}

#[test]
fn kernel_info_reply() {
    let f = family();
    let d = data(f, &fixture("genl-info.bin"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, cmd::GET_INFO - 1, "the kernel answers with SET_INFO");
    let i = decode_info(&d[0].1).unwrap();
    assert_eq!((i.version, i.conn_tab_size), (0x010201, 4096));
}

#[test]
fn kernel_service_dump() {
    let f = family();
    let d = data(f, &fixture("genl-services.bin"));
    let mut got: Vec<ServiceEntry> = d
        .iter()
        .map(|(c, a)| {
            assert_eq!(*c, cmd::NEW_SERVICE);
            decode_service(a).unwrap()
        })
        .collect();
    got.sort_by_key(|s| s.key);
    let mut want = vec![
        ServiceEntry { key: web(), attrs: web_attrs(), stats: Stats::default() },
        ServiceEntry { key: dns6(), attrs: dns6_attrs(), stats: Stats::default() },
        ServiceEntry { key: mark(), attrs: mark_attrs(), stats: Stats::default() },
    ];
    want.sort_by_key(|s| s.key);
    assert_eq!(got, want);
}

#[test]
fn kernel_dest_dump() {
    let f = family();
    let d = data(f, &fixture("genl-dests.bin"));
    let got: Vec<(DestKey, DestAttrs)> = d
        .iter()
        .map(|(c, a)| {
            assert_eq!(*c, cmd::NEW_DEST);
            let e = decode_dest(a, web().af).unwrap();
            assert_eq!((e.active_conns, e.inact_conns, e.persist_conns, e.stats), (0, 0, 0, Stats::default()));
            (e.key, e.attrs)
        })
        .collect();
    let mut want = web_dests();
    let mut got = got;
    want.sort_by_key(|(k, _)| *k);
    got.sort_by_key(|(k, _)| *k);
    assert_eq!(got, want);
}

#[test]
fn kernel_dest_dump_ipv6() {
    let f = family();
    let d = data(f, &fixture("genl-dests6.bin"));
    let e = decode_dest(&d[0].1, dns6().af).unwrap();
    assert_eq!(e.key, DestKey { addr: "2001:db8::1".parse().unwrap(), port: 53 });
    assert_eq!(e.attrs, DestAttrs { fwd: fwd::DROUTE, weight: 5, ..DestAttrs::default() });
}

#[test]
fn kernel_timeouts_and_daemons() {
    let f = family();
    let d = data(f, &fixture("genl-timeouts.bin"));
    assert_eq!(decode_timeouts(&d[0].1).unwrap(), Timeouts { tcp: 1000, tcp_fin: 60, udp: 200 });
    let d = data(f, &fixture("genl-daemons.bin"));
    let mut got: Vec<Daemon> = d.iter().map(|(_, a)| decode_daemon(a).unwrap()).collect();
    got.sort_by_key(|x| x.state);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], master());
    assert_eq!(
        (got[1].state, got[1].ifname.as_str(), got[1].syncid, got[1].group),
        (SyncState::Backup, "lo", 9, backup().group)
    );
}

#[test]
fn kernel_errors_keep_the_errno() {
    let f = family();
    let errs = |name: &str| -> Vec<Reply<'static>> {
        let buf: &'static [u8] = Box::leak(fixture(name).into_boxed_slice());
        replies(f, buf).map(|r| r.unwrap()).collect()
    };
    // The same service twice, a destination of a missing service, an unknown scheduler.
    assert!(matches!(errs("genl-err-exists.bin")[..], [Reply::Error { errno: libc::EEXIST, .. }]));
    assert!(matches!(errs("genl-err-nosvc.bin")[..], [Reply::Error { errno: libc::ESRCH, .. }]));
    assert!(matches!(errs("genl-err-nosched.bin")[..], [Reply::Error { errno: libc::ENOENT, .. }]));
    assert!(matches!(errs("genl-ack.bin")[..], [Reply::Ack { .. }]));
}

#[test]
fn kernel_sockopt_replies() {
    let i = crate::ipvs::sockopt::decode_info(&fixture("sockopt-info.bin")).unwrap();
    // The socket options count the IPv4 services only.
    assert_eq!((i.version, i.conn_tab_size, i.num_services), (0x010201, 4096, Some(2)));
    let s = crate::ipvs::sockopt::decode_services(&fixture("sockopt-services.bin")).unwrap();
    // The socket options see IPv4 only: the web service and the fwmark (the
    // kernel leaves the third entry it was asked for empty, and it is skipped).
    let mut keys: Vec<(ServiceKey, u32)> = s.iter().map(|(e, n)| (e.key, *n)).collect();
    keys.sort();
    let mut want = vec![(web(), 4), (mark(), 0)];
    want.sort();
    assert_eq!(keys, want);
    let w = s.iter().find(|(e, _)| e.key == web()).unwrap();
    assert_eq!(w.0.attrs, web_attrs());
    let d = crate::ipvs::sockopt::decode_dests(&fixture("sockopt-dests.bin")).unwrap();
    let mut got: Vec<(DestKey, u32, i32)> = d.iter().map(|e| (e.key, e.attrs.fwd, e.attrs.weight)).collect();
    got.sort();
    let mut want: Vec<(DestKey, u32, i32)> = web_dests().iter().map(|(k, a)| (*k, a.fwd, a.weight)).collect();
    want.sort();
    assert_eq!(got, want);
    let t = crate::ipvs::sockopt::decode_timeouts(&fixture("sockopt-timeouts.bin")).unwrap();
    assert_eq!(t, Timeouts { tcp: 1000, tcp_fin: 60, udp: 200 });
    let dm = crate::ipvs::sockopt::decode_daemons(&fixture("sockopt-daemons.bin")).unwrap();
    let states: Vec<(SyncState, String, u32)> = dm.iter().map(|x| (x.state, x.ifname.clone(), x.syncid)).collect();
    assert_eq!(states, vec![(SyncState::Master, "lo".into(), 9), (SyncState::Backup, "lo".into(), 9)]);
}

/// Every attribute of every captured reply decodes (nothing malformed), and
/// cutting a reply short anywhere gives an error, never a panic.
#[test]
fn captured_replies_survive_truncation() {
    let f = family();
    for name in ["genl-info.bin", "genl-services.bin", "genl-dests.bin", "genl-daemons.bin", "genl-timeouts.bin"] {
        let buf = fixture(name);
        for cut in 0..buf.len() {
            let part = &buf[..cut];
            for r in replies(f, part) {
                if let Ok(Reply::Data { attrs, .. }) = r {
                    let _ = decode_service(attrs);
                    let _ = decode_dest(attrs, 2);
                    let _ = decode_daemon(attrs);
                    let _ = decode_timeouts(attrs);
                    let _ = decode_info(attrs);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- capture

/// Writes the fixtures above from a live kernel. A tool, not a test: run
/// inside the IPVS VM by tests/vm/capture-fixtures.sh (KR_CAPTURE_DIR set).
#[test]
#[ignore = "a tool: tests/vm/capture-fixtures.sh runs it inside the IPVS VM"]
fn capture_kernel_replies() {
    use netlink_sys::{Socket, protocols::NETLINK_GENERIC};
    use std::os::fd::AsFd;

    let dir = PathBuf::from(std::env::var("KR_CAPTURE_DIR").expect("KR_CAPTURE_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut sock = Socket::new(NETLINK_GENERIC).unwrap();
    sock.bind_auto().unwrap();
    // Every datagram of a reply: a dump ends with NLMSG_DONE, anything else
    // (asked with NLM_F_ACK) with the acknowledgement or the error.
    let recv_all = |sock: &Socket, one: bool| -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let mut buf = Vec::with_capacity(65536);
            sock.recv(&mut buf, 0).unwrap();
            all.extend_from_slice(&buf);
            let last = nla::messages(&buf).last().unwrap().unwrap();
            if one || last.kind == nla::NLMSG_DONE || last.kind == nla::NLMSG_ERROR {
                return all;
            }
        }
    };
    sock.send(&get_family(1, FAMILY_NAME), 0).unwrap();
    let reply = recv_all(&sock, true);
    std::fs::write(dir.join("genl-getfamily.bin"), &reply).unwrap();
    let m = nla::messages(&reply).next().unwrap().unwrap();
    let f = family_id(m.payload).unwrap();
    let mut seq = 10;
    let mut ask = |req: Request<'_>, name: Option<&str>| -> Vec<u8> {
        seq += 1;
        sock.send(&encode(f, seq, &req, true), 0).unwrap();
        let r = recv_all(&sock, false);
        if let Some(n) = name {
            std::fs::write(dir.join(n), &r).unwrap();
        }
        r
    };
    ask(Request::Flush, None);
    ask(Request::NewService(&web(), &web_attrs()), Some("genl-ack.bin"));
    ask(Request::NewService(&web(), &web_attrs()), Some("genl-err-exists.bin"));
    ask(Request::NewService(&dns6(), &dns6_attrs()), None);
    ask(Request::NewService(&mark(), &mark_attrs()), None);
    let bad = ServiceAttrs { sched: "nosuch".into(), ..mark_attrs() };
    ask(Request::NewService(&ServiceKey::fwmark(Family::Inet, 99), &bad), Some("genl-err-nosched.bin"));
    for (d, a) in web_dests() {
        ask(Request::NewDest(&web(), &d, &a), None);
    }
    let d6 = DestKey { addr: "2001:db8::1".parse().unwrap(), port: 53 };
    ask(Request::NewDest(&dns6(), &d6, &DestAttrs { fwd: fwd::DROUTE, weight: 5, ..DestAttrs::default() }), None);
    let (d, a) = web_dests()[0];
    ask(Request::NewDest(&ServiceKey::fwmark(Family::Inet, 98), &d, &a), Some("genl-err-nosvc.bin"));
    ask(Request::SetTimeouts(&Timeouts { tcp: 1000, tcp_fin: 60, udp: 200 }), None);
    ask(Request::NewDaemon(&master()), None);
    ask(Request::NewDaemon(&backup()), None);
    ask(Request::GetInfo, Some("genl-info.bin"));
    ask(Request::GetServices, Some("genl-services.bin"));
    ask(Request::GetDests(&web()), Some("genl-dests.bin"));
    ask(Request::GetDests(&dns6()), Some("genl-dests6.bin"));
    ask(Request::GetTimeouts, Some("genl-timeouts.bin"));
    ask(Request::GetDaemons, Some("genl-daemons.bin"));
    // The same table through the socket options.
    let s = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::RAW,
        Some(socket2::Protocol::from(libc::IPPROTO_RAW)),
    )
    .unwrap();
    let get = |opt: i32, buf: &mut Vec<u8>, name: &str| {
        let n = crate::sys::getsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, opt, buf).unwrap();
        buf.truncate(n);
        std::fs::write(dir.join(name), &buf).unwrap();
    };
    use crate::ipvs::sockopt as so;
    get(so::get::INFO, &mut vec![0; so::GETINFO_LEN], "sockopt-info.bin");
    get(so::get::SERVICES, &mut so::get_services_buf(3), "sockopt-services.bin");
    get(so::get::DESTS, &mut so::get_dests_buf(&web(), 4).unwrap(), "sockopt-dests.bin");
    get(so::get::TIMEOUT, &mut vec![0; so::TIMEOUT_LEN], "sockopt-timeouts.bin");
    get(so::get::DAEMON, &mut vec![0; 2 * so::DAEMON_LEN], "sockopt-daemons.bin");
    ask(Request::DelDaemon(SyncState::Master), None);
    ask(Request::DelDaemon(SyncState::Backup), None);
    ask(Request::Flush, None);
}
