//! VRRP codec against real adverts captured from Debian's keepalived 2.2.7
//! (tests/capture-fixtures.sh): decode == struct, encode == bytes, every
//! malformed case, and no panics on arbitrary bytes.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use keepalived_rs::vrrp::auth::{AhCounter, AuthConfig, AuthCtx, AuthType, TxAuth, ah_icv};
use keepalived_rs::vrrp::packet::{
    Advert, DropCounters, DropReason, InstanceExpectation, Ipv4Tx, PacketType, Received, UnicastChecksum, UnicastPeer,
    VRRP_GROUP_V4, VRRP_GROUP_V6, Version, WireOptions, decode_ipv4, decode_ipv6, encode_ipv4, encode_v6_payload,
    next_ip_id, peek_vrid_ipv4, peek_vrid_ipv6, validate_for_instance,
};

const SRC4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const SRC6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x7701);
/// A fixed wall clock (only `auth_hmac`'s time mode reads it).
const NOW: Duration = Duration::from_secs(1_764_158_400);
const MCAST: WireOptions =
    WireOptions { unicast: false, v3_checksum_as_v2: false, unicast_checksum: UnicastChecksum::Detect };

/// Reads a fixture: hex bytes, '#' lines are comments.
fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vrrp").join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let hex: String =
        text.lines().filter(|l| !l.starts_with('#')).flat_map(|l| l.chars()).filter(|c| !c.is_whitespace()).collect();
    assert_eq!(hex.len() % 2, 0, "{name}: odd number of hex digits");
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit")).collect()
}

/// Splits a captured IPv6 packet the way a raw socket plus ancillary data
/// would: (payload, src, dst, hop limit).
fn split_v6(pkt: &[u8]) -> (Vec<u8>, Ipv6Addr, Ipv6Addr, u8) {
    assert_eq!(pkt[0] >> 4, 6);
    assert_eq!(pkt[6], 112, "next header VRRP, no extension headers");
    let src: [u8; 16] = pkt[8..24].try_into().expect("16 bytes");
    let dst: [u8; 16] = pkt[24..40].try_into().expect("16 bytes");
    (pkt[40..].to_vec(), src.into(), dst.into(), pkt[7])
}

fn pass() -> AuthConfig {
    AuthConfig::pass("s3cret")
}

fn ah() -> AuthConfig {
    AuthConfig::ah("s3cret")
}

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

fn tx(id: u16) -> Ipv4Tx {
    Ipv4Tx { src: SRC4, dst: VRRP_GROUP_V4, ttl: 255, id }
}

/// The encoder with a v2 auth block and an AH sequence, no `auth_hmac`.
fn enc4(
    advert: &Advert,
    ip: &Ipv4Tx,
    opts: &WireOptions,
    auth: &AuthConfig,
    ah_seq: u32,
) -> Result<Vec<u8>, keepalived_rs::vrrp::packet::EncodeError> {
    encode_ipv4(advert, ip, opts, &TxAuth { config: auth, ah_seq, hmac: None })
}

fn dec4(bytes: &[u8], auth: AuthConfig) -> Result<Received, DropReason> {
    decode_ipv4(bytes, &MCAST, &mut AuthCtx::new(auth), NOW)
}

fn v2_pass_advert(priority: u8) -> Advert {
    Advert {
        version: Version::V2,
        kind: PacketType::Advertisement,
        vrid: 51,
        priority,
        auth_type: Some(AuthType::Pass),
        adver_int: 100,
        checksum: if priority == 0 { 0x8198 } else { 0xeb97 },
        addresses: vec![v4([10, 77, 0, 100]), v4([10, 77, 0, 101]), v4([10, 77, 0, 102])],
        auth_data: Some(*b"s3cret\0\0"),
    }
}

#[test]
fn v2_pass_decodes_to_struct_and_encodes_to_bytes() {
    for (name, prio, id) in [("v2_pass", 150, 1), ("v2_pass_prio0", 0, 5)] {
        let bytes = fixture(name);
        let rx = dec4(&bytes, pass()).expect(name);
        let want = Received {
            src: IpAddr::V4(SRC4),
            dst: IpAddr::V4(VRRP_GROUP_V4),
            ttl: Some(255),
            advert: v2_pass_advert(prio),
            ah_seq: None,
            hmac: None,
            old_checksum: false,
        };
        assert_eq!(rx, want, "{name}");
        assert_eq!(enc4(&rx.advert, &tx(id), &MCAST, &pass(), 0), Ok(bytes), "{name}");
    }
}

#[test]
fn v2_none_decodes_and_encodes() {
    let bytes = fixture("v2_none");
    let rx = dec4(&bytes, AuthConfig::None).expect("v2_none");
    assert_eq!(
        rx.advert,
        Advert {
            version: Version::V2,
            kind: PacketType::Advertisement,
            vrid: 53,
            priority: 100,
            auth_type: Some(AuthType::None),
            adver_int: 100,
            checksum: 0x7003,
            addresses: vec![v4([10, 77, 0, 120])],
            auth_data: Some([0; 8]),
        }
    );
    assert_eq!(enc4(&rx.advert, &tx(1), &MCAST, &AuthConfig::None, 0), Ok(bytes));
}

#[test]
fn v2_ah_decodes_in_sequence_and_encodes_with_captured_seq() {
    let mut ctx = AuthCtx::new(ah());
    for (name, seq, prio) in [("v2_ah-1", 1u32, 150u8), ("v2_ah-2", 2, 150), ("v2_ah-3", 3, 150), ("v2_ah_prio0", 5, 0)]
    {
        let bytes = fixture(name);
        let rx = decode_ipv4(&bytes, &MCAST, &mut ctx, NOW).expect(name);
        assert_eq!(rx.ah_seq, Some(seq), "{name}");
        assert_eq!(ctx.ah.last(), seq, "{name}: counter follows the sender");
        assert_eq!(rx.src, IpAddr::V4(SRC4));
        assert_eq!(
            rx.advert,
            Advert {
                version: Version::V2,
                kind: PacketType::Advertisement,
                vrid: 52,
                priority: prio,
                auth_type: Some(AuthType::Ah),
                adver_int: 100,
                checksum: if prio == 0 { 0xd20e } else { 0x3c0e },
                addresses: vec![v4([10, 77, 0, 110])],
                auth_data: Some([0; 8]),
            },
            "{name}"
        );
        // the sender's counter: the seq it sent is last + 1
        let mut counter = AhCounter::with_last(seq - 1);
        let tx_seq = counter.next_tx();
        assert_eq!(tx_seq, seq);
        // keepalived's IP id ran in step with the AH sequence in the capture
        let id = u16::try_from(seq).expect("small");
        assert_eq!(enc4(&rx.advert, &tx(id), &MCAST, &ah(), tx_seq), Ok(bytes), "{name}");
    }
}

#[test]
fn v2_ah_replay_and_old_sequence_are_dropped() {
    let mut ctx = AuthCtx::new(ah());
    let one = fixture("v2_ah-1");
    let two = fixture("v2_ah-2");
    assert!(decode_ipv4(&two, &MCAST, &mut ctx, NOW).is_ok());
    assert_eq!(decode_ipv4(&two, &MCAST, &mut ctx, NOW), Err(DropReason::AhSeqReplay { seq: 2, last: 2 }));
    assert_eq!(decode_ipv4(&one, &MCAST, &mut ctx, NOW), Err(DropReason::AhSeqReplay { seq: 1, last: 2 }));
    // a failed ICV must not move the counter
    let mut bad = fixture("v2_ah-3");
    bad[33] ^= 1;
    assert_eq!(decode_ipv4(&bad, &MCAST, &mut ctx, NOW), Err(DropReason::AhIcvMismatch));
    assert_eq!(ctx.ah.last(), 2);
}

#[test]
fn v2_ah_icv_failures() {
    let good = fixture("v2_ah-1");
    // wrong key
    assert_eq!(dec4(&good, AuthConfig::ah("s3creT")), Err(DropReason::AhIcvMismatch));
    // any covered byte: ICV itself, priority, an address, the IP source
    for at in [32usize, 43, 46, 52, 15] {
        let mut b = good.clone();
        b[at] ^= 0x10;
        assert_eq!(dec4(&b, ah()), Err(DropReason::AhIcvMismatch), "byte {at}");
    }
    // mutable fields are not covered: TOS, flags/fragment, header checksum
    for at in [1usize, 6, 10] {
        let mut b = good.clone();
        b[at] ^= 0x20;
        assert!(dec4(&b, ah()).is_ok(), "mutable byte {at}");
    }
    // a v3 advert under a valid AH header: refused before the counter moves
    let a3 = dec4(&fixture("v3_ipv4"), AuthConfig::None).expect("decodes").advert;
    let b3 = enc4(&a3, &tx(1), &MCAST, &AuthConfig::None, 0).expect("encodes");
    let mut with_ah = b3[..20].to_vec();
    with_ah[9] = 51;
    let mut ah_hdr = [0u8; 24];
    ah_hdr[0] = 112;
    ah_hdr[1] = 4;
    ah_hdr[4..8].copy_from_slice(&SRC4.octets());
    ah_hdr[11] = 7;
    let total = u16::try_from(20 + 24 + b3.len() - 20).expect("small").to_be_bytes();
    with_ah[2..4].copy_from_slice(&total);
    let icv = ah_icv(b"s3cret\0\0", &with_ah, &ah_hdr, &b3[20..], false);
    ah_hdr[12..].copy_from_slice(&icv);
    with_ah.extend_from_slice(&ah_hdr);
    with_ah.extend_from_slice(&b3[20..]);
    let mut ctx = AuthCtx::new(ah());
    assert_eq!(decode_ipv4(&with_ah, &MCAST, &mut ctx, NOW), Err(DropReason::BadVersion(3)));
    assert_eq!(ctx.ah.last(), 0);
    // next header not VRRP
    let mut b = good.clone();
    b[20] = 6;
    assert_eq!(dec4(&b, ah()), Err(DropReason::AhNotVrrp(6)));
}

#[test]
fn v2_ah_spi_must_be_the_source() {
    let mut b = fixture("v2_ah-1");
    b[24..28].copy_from_slice(&[10, 77, 0, 9]);
    let icv = ah_icv(&[b's', b'3', b'c', b'r', b'e', b't', 0, 0], &b[..20], &b[20..44], &b[44..], false);
    b[32..44].copy_from_slice(&icv);
    assert_eq!(dec4(&b, ah()), Err(DropReason::AhBadSpi));
}

#[test]
fn v2_ah_unicast_zeroes_ttl_in_icv() {
    let uni = WireOptions { unicast: true, v3_checksum_as_v2: false, unicast_checksum: UnicastChecksum::Detect };
    let advert = dec4(&fixture("v2_ah-1"), ah()).expect("decodes").advert;
    let ip = Ipv4Tx { src: SRC4, dst: Ipv4Addr::new(10, 77, 0, 2), ttl: 64, id: 7 };
    let bytes = enc4(&advert, &ip, &uni, &ah(), 9).expect("encodes");
    let rx = decode_ipv4(&bytes, &uni, &mut AuthCtx::new(ah()), NOW).expect("unicast decodes");
    assert_eq!((rx.ttl, rx.ah_seq), (Some(64), Some(9)));
    // a router decrementing the TTL does not break the ICV
    let mut hop = bytes.clone();
    hop[8] = 63;
    assert!(decode_ipv4(&hop, &uni, &mut AuthCtx::new(ah()), NOW).is_ok());
    // a multicast receiver covers the TTL in the ICV (and checks it)
    let mut ttl255 = bytes.clone();
    ttl255[8] = 255;
    assert_eq!(decode_ipv4(&ttl255, &MCAST, &mut AuthCtx::new(ah()), NOW), Err(DropReason::AhIcvMismatch));
}

#[test]
fn v3_ipv4_decodes_and_encodes() {
    for (name, vrid, prio, int, csum, addrs, id) in [
        ("v3_ipv4", 54u8, 200u8, 100u16, 0x05e3u16, vec![v4([10, 77, 0, 130]), v4([10, 77, 0, 131])], 1u16),
        ("v3_ipv4_prio0", 54, 0, 100, 0xcde3, vec![v4([10, 77, 0, 130]), v4([10, 77, 0, 131])], 5),
        ("v3_ipv4_half", 55, 100, 50, 0x74df, vec![v4([10, 77, 0, 140])], 1),
    ] {
        let bytes = fixture(name);
        let rx = dec4(&bytes, AuthConfig::None).expect(name);
        let want = Advert {
            version: Version::V3,
            kind: PacketType::Advertisement,
            vrid,
            priority: prio,
            auth_type: None,
            adver_int: int,
            checksum: csum,
            addresses: addrs,
            auth_data: None,
        };
        assert_eq!(rx.advert, want, "{name}");
        assert_eq!(enc4(&rx.advert, &tx(id), &MCAST, &AuthConfig::None, 0), Ok(bytes), "{name}");
    }
}

#[test]
fn v3_checksum_as_v2_leaves_out_the_pseudo_header() {
    let as_v2 = WireOptions { unicast: false, v3_checksum_as_v2: true, unicast_checksum: UnicastChecksum::Detect };
    let captured = fixture("v3_ipv4");
    // keepalived's default (pseudo-header) is refused by an as_v2 receiver
    assert_eq!(decode_ipv4(&captured, &as_v2, &mut AuthCtx::new(AuthConfig::None), NOW), Err(DropReason::BadChecksum));
    let advert = dec4(&captured, AuthConfig::None).expect("decodes").advert;
    let b = enc4(&advert, &tx(1), &as_v2, &AuthConfig::None, 0).expect("encodes");
    // the checksum is the plain one's complement sum of the VRRP message
    let msg = &b[20..];
    let mut sum: u32 = msg.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    assert_eq!(sum, 0xffff);
    assert!(decode_ipv4(&b, &as_v2, &mut AuthCtx::new(AuthConfig::None), NOW).is_ok());
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadChecksum));
}

#[test]
fn v3_ipv6_decodes_and_encodes() {
    for (name, prio, csum) in [("v3_ipv6", 100u8, 0xc94bu16), ("v3_ipv6_prio0", 0, 0x2d4c)] {
        let (payload, src, dst, hlim) = split_v6(&fixture(name));
        assert_eq!((src, dst, hlim), (SRC6, VRRP_GROUP_V6, 255));
        let rx =
            decode_ipv6(&payload, src, dst, Some(hlim), &MCAST, &mut AuthCtx::new(AuthConfig::None), NOW).expect(name);
        let want = Received {
            src: IpAddr::V6(SRC6),
            dst: IpAddr::V6(VRRP_GROUP_V6),
            ttl: Some(255),
            advert: Advert {
                version: Version::V3,
                kind: PacketType::Advertisement,
                vrid: 56,
                priority: prio,
                auth_type: None,
                adver_int: 100,
                checksum: csum,
                addresses: vec![
                    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x56)),
                    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x56)),
                ],
                auth_data: None,
            },
            ah_seq: None,
            hmac: None,
            old_checksum: false,
        };
        assert_eq!(rx, want, "{name}");
        assert_eq!(encode_v6_payload(&rx.advert, src, dst, None), Ok(payload), "{name}");
    }
}

#[test]
fn peek_vrid_finds_the_instance_key() {
    assert_eq!(peek_vrid_ipv4(&fixture("v2_pass")), Ok(51));
    assert_eq!(peek_vrid_ipv4(&fixture("v2_ah-1")), Ok(52));
    assert_eq!(peek_vrid_ipv4(&fixture("v3_ipv4")), Ok(54));
    let (payload, ..) = split_v6(&fixture("v3_ipv6"));
    assert_eq!(peek_vrid_ipv6(&payload), Ok(56));
    assert_eq!(peek_vrid_ipv4(&[0x45; 21]), Err(DropReason::TooShort(21)));
    assert_eq!(peek_vrid_ipv4(&[0x44; 40]), Err(DropReason::BadIpHeader));
    assert_eq!(peek_vrid_ipv6(&[0x31]), Err(DropReason::TooShort(1)));
}

/// Every IPv4 fixture with the auth config that accepts it.
fn v4_fixtures() -> Vec<(&'static str, AuthConfig)> {
    vec![
        ("v2_pass", pass()),
        ("v2_pass_prio0", pass()),
        ("v2_none", AuthConfig::None),
        ("v2_ah-1", ah()),
        ("v2_ah_prio0", ah()),
        ("v3_ipv4", AuthConfig::None),
        ("v3_ipv4_half", AuthConfig::None),
        ("v3_ipv4_prio0", AuthConfig::None),
    ]
}

#[test]
fn truncated_at_every_offset_is_dropped_with_the_right_reason() {
    for (name, auth) in v4_fixtures() {
        let full = fixture(name);
        let vrrp_off = if full[9] == 51 { 44 } else { 20 };
        for len in 0..full.len() {
            let got = dec4(&full[..len], auth.clone());
            let want = if len < vrrp_off + 8 {
                DropReason::TooShort(len)
            } else {
                DropReason::BadLength { got: len, expected: full.len() }
            };
            assert_eq!(got, Err(want), "{name} cut to {len}");
        }
        // one byte too many
        let mut long = full.clone();
        long.push(0);
        assert_eq!(
            dec4(&long, auth.clone()),
            Err(DropReason::BadLength { got: full.len() + 1, expected: full.len() }),
            "{name} + 1"
        );
    }
    for name in ["v3_ipv6", "v3_ipv6_prio0"] {
        let (payload, src, dst, hl) = split_v6(&fixture(name));
        for len in 0..payload.len() {
            let got =
                decode_ipv6(&payload[..len], src, dst, Some(hl), &MCAST, &mut AuthCtx::new(AuthConfig::None), NOW);
            let want = if len < 8 {
                DropReason::TooShort(len)
            } else {
                DropReason::BadLength { got: len, expected: payload.len() }
            };
            assert_eq!(got, Err(want), "{name} cut to {len}");
        }
    }
}

#[test]
fn truncated_address_list_and_count_lies_are_dropped() {
    // count says 4 addresses but 3 are there
    let mut b = fixture("v2_pass");
    b[23] = 4;
    assert_eq!(dec4(&b, pass()), Err(DropReason::BadLength { got: 48, expected: 52 }));
    // count says 2 but 3 are there
    b[23] = 2;
    assert_eq!(dec4(&b, pass()), Err(DropReason::BadLength { got: 48, expected: 44 }));
    let (mut p, src, dst, hl) = split_v6(&fixture("v3_ipv6"));
    p[3] = 3;
    assert_eq!(
        decode_ipv6(&p, src, dst, Some(hl), &MCAST, &mut AuthCtx::new(AuthConfig::None), NOW),
        Err(DropReason::BadLength { got: 40, expected: 56 })
    );
}

#[test]
fn bad_checksum_is_dropped() {
    for (name, auth) in v4_fixtures() {
        let mut b = fixture(name);
        let vrrp_off = if b[9] == 51 { 44 } else { 20 };
        b[vrrp_off + 6] ^= 0x01;
        let want = if b[9] == 51 { DropReason::AhIcvMismatch } else { DropReason::BadChecksum };
        assert_eq!(dec4(&b, auth), Err(want), "{name}");
    }
    let (mut p, src, dst, hl) = split_v6(&fixture("v3_ipv6"));
    let mut ctx = AuthCtx::new(AuthConfig::None);
    // the pseudo-header binds source and destination
    assert_eq!(
        decode_ipv6(&p, SRC6, Ipv6Addr::LOCALHOST, Some(hl), &MCAST, &mut ctx, NOW),
        Err(DropReason::BadChecksum)
    );
    p[7] ^= 0x80;
    assert_eq!(decode_ipv6(&p, src, dst, Some(hl), &MCAST, &mut ctx, NOW), Err(DropReason::BadChecksum));
    // v3 IPv4 pseudo-header: a different destination breaks the checksum
    let mut b = fixture("v3_ipv4");
    b[19] = 19;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadChecksum));
}

#[test]
fn bad_version_type_protocol_and_ip_header_are_dropped() {
    let v3 = fixture("v3_ipv4");
    let mut b = v3.clone();
    b[20] = 0x11; // version 1: no auth trailer either, so the length still fits
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadVersion(1)));
    b[20] = 0xf1;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadVersion(15)));
    b[20] = 0x32; // type 2
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadType(2)));
    b[20] = 0x30;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadType(0)));
    // a v2 header on a v3-sized packet: the auth trailer is missing
    b[20] = 0x21;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadLength { got: 36, expected: 44 }));
    let mut b = v3.clone();
    b[9] = 17;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadProtocol(17)));
    let mut b = v3.clone();
    b[0] = 0x65;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadIpHeader));
    b[0] = 0x44;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadIpHeader));
    let mut b = v3.clone();
    b[3] = 0x30; // IP total length 48 but 36 received
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::IpLengthMismatch { ip_len: 48, got: 36 }));
    let (mut p, src, dst, hl) = split_v6(&fixture("v3_ipv6"));
    p[0] = 0x21;
    assert_eq!(
        decode_ipv6(&p, src, dst, Some(hl), &MCAST, &mut AuthCtx::new(AuthConfig::None), NOW),
        Err(DropReason::BadVersion(2))
    );
    p[0] = 0x33;
    assert_eq!(
        decode_ipv6(&p, src, dst, Some(hl), &MCAST, &mut AuthCtx::new(AuthConfig::None), NOW),
        Err(DropReason::BadType(3))
    );
}

#[test]
fn ttl_other_than_255_is_dropped_unless_unicast() {
    let uni = WireOptions { unicast: true, v3_checksum_as_v2: false, unicast_checksum: UnicastChecksum::Detect };
    for (name, auth) in v4_fixtures() {
        let mut b = fixture(name);
        b[8] = 254;
        assert_eq!(dec4(&b, auth.clone()), Err(DropReason::BadTtl(254)), "{name}");
        if auth == AuthConfig::None || auth == pass() {
            let rx = decode_ipv4(&b, &uni, &mut AuthCtx::new(auth), NOW).expect("unicast skips the TTL check");
            assert_eq!(rx.ttl, Some(254));
        }
    }
    let (p, src, dst, _) = split_v6(&fixture("v3_ipv6"));
    let mut ctx = AuthCtx::new(AuthConfig::None);
    assert_eq!(decode_ipv6(&p, src, dst, Some(1), &MCAST, &mut ctx, NOW), Err(DropReason::BadTtl(1)));
    assert!(decode_ipv6(&p, src, dst, Some(1), &uni, &mut ctx, NOW).is_ok());
    let rx = decode_ipv6(&p, src, dst, None, &MCAST, &mut ctx, NOW).expect("no hop limit known: no check");
    assert_eq!(rx.ttl, None);
}

#[test]
fn wrong_password_and_auth_type_mismatches_are_dropped() {
    let b = fixture("v2_pass");
    assert_eq!(dec4(&b, AuthConfig::pass("s3cre")), Err(DropReason::AuthFailure));
    assert_eq!(dec4(&b, AuthConfig::pass("s3cret!!x")), Err(DropReason::AuthFailure));
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::AuthTypeMismatch { got: 1, expected: 0 }));
    assert_eq!(dec4(&fixture("v2_none"), pass()), Err(DropReason::AuthTypeMismatch { got: 0, expected: 1 }));
    // AH header presence is checked before anything else
    assert_eq!(dec4(&fixture("v2_ah-1"), pass()), Err(DropReason::AuthTypeMismatch { got: 2, expected: 1 }));
    assert_eq!(dec4(&b, ah()), Err(DropReason::AuthTypeMismatch { got: 0, expected: 2 }));
    let mut b = fixture("v2_none");
    b[24] = 3;
    assert_eq!(dec4(&b, AuthConfig::None), Err(DropReason::BadAuthType(3)));
    // v3 has no auth fields: the byte is part of the interval's reserved bits
    let mut b = fixture("v3_ipv4");
    b[24] |= 0x30;
    // RFC 1624 incremental update: HC' = ~(~HC + m')
    let mut sum = u32::from(!u16::from_be_bytes([b[26], b[27]])) + 0x3000;
    sum = (sum & 0xffff) + (sum >> 16);
    b[26..28].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    let rx = dec4(&b, AuthConfig::None).expect("reserved bits are ignored");
    assert_eq!(rx.advert.adver_int, 100);
}

#[test]
fn password_is_cut_to_eight_bytes() {
    let long = AuthConfig::pass("s3cret\0\0and more");
    assert_eq!(long, pass());
    assert_eq!(AuthConfig::pass("abcdefghij"), AuthConfig::Pass(*b"abcdefgh"));
}

fn expectation<'a>(version: Version, int: u16, addrs: &'a [IpAddr]) -> InstanceExpectation<'a> {
    InstanceExpectation {
        vrid: 51,
        version,
        adver_int: int,
        addresses: addrs,
        check_addresses: true,
        unicast_peers: &[],
        check_unicast_src: false,
    }
}

#[test]
fn instance_validation_mirrors_keepalived() {
    let rx = dec4(&fixture("v2_pass"), pass()).expect("decodes");
    let vips = rx.advert.addresses.clone();
    assert_eq!(validate_for_instance(&rx, &expectation(Version::V2, 100, &vips)), Ok(()));
    // order does not matter
    let rev: Vec<IpAddr> = vips.iter().rev().copied().collect();
    assert_eq!(validate_for_instance(&rx, &expectation(Version::V2, 100, &rev)), Ok(()));
    assert_eq!(validate_for_instance(&rx, &expectation(Version::V3, 100, &vips)), Err(DropReason::BadVersion(2)));
    let mut other_vrid = expectation(Version::V2, 100, &vips);
    other_vrid.vrid = 52;
    assert_eq!(validate_for_instance(&rx, &other_vrid), Err(DropReason::UnknownVrid(51)));
    // v2 intervals compare exactly: a fractional interval never matches
    assert_eq!(
        validate_for_instance(&rx, &expectation(Version::V2, 150, &vips)),
        Err(DropReason::IntervalMismatch { mine: 1, got: 1 })
    );
    assert_eq!(
        validate_for_instance(&rx, &expectation(Version::V2, 200, &vips)),
        Err(DropReason::IntervalMismatch { mine: 2, got: 1 })
    );
    assert_eq!(
        validate_for_instance(&rx, &expectation(Version::V2, 100, &vips[..2])),
        Err(DropReason::AddressCountMismatch { got: 3, expected: 2 })
    );
    let other = [vips[0], vips[1], v4([10, 77, 0, 99])];
    assert_eq!(
        validate_for_instance(&rx, &expectation(Version::V2, 100, &other)),
        Err(DropReason::AddressListMismatch(v4([10, 77, 0, 99])))
    );
    // skip_check_adv_addr: the address checks are off
    let mut skip = expectation(Version::V2, 100, &vips[..2]);
    skip.check_addresses = false;
    assert_eq!(validate_for_instance(&rx, &skip), Ok(()));
    // a multicast advert for a unicast instance
    let peers = [UnicastPeer { addr: v4([10, 77, 0, 1]), min_ttl: 0, max_ttl: 255 }];
    let mut uni = expectation(Version::V2, 100, &vips);
    uni.unicast_peers = &peers;
    assert_eq!(validate_for_instance(&rx, &uni), Err(DropReason::CastMismatch { unicast_expected: true }));

    // v3: a different interval is learnt, not dropped (RFC 5798 6.4.2)
    let rx3 = dec4(&fixture("v3_ipv4"), AuthConfig::None).expect("decodes");
    let vips3 = rx3.advert.addresses.clone();
    let mut exp3 = expectation(Version::V3, 300, &vips3);
    exp3.vrid = 54;
    assert_eq!(validate_for_instance(&rx3, &exp3), Ok(()));
}

#[test]
fn unicast_source_and_ttl_range() {
    let uni_opts = WireOptions { unicast: true, v3_checksum_as_v2: false, unicast_checksum: UnicastChecksum::Detect };
    let advert = dec4(&fixture("v2_pass"), pass()).expect("decodes").advert;
    let ip = Ipv4Tx { src: SRC4, dst: Ipv4Addr::new(10, 77, 0, 2), ttl: 200, id: 1 };
    let b = enc4(&advert, &ip, &uni_opts, &pass(), 0).expect("encodes");
    let rx = decode_ipv4(&b, &uni_opts, &mut AuthCtx::new(pass()), NOW).expect("decodes");
    let vips = advert.addresses.clone();
    let peers = [UnicastPeer { addr: v4([10, 77, 0, 1]), min_ttl: 250, max_ttl: 255 }];
    let mut exp = expectation(Version::V2, 100, &vips);
    exp.unicast_peers = &peers;
    assert_eq!(validate_for_instance(&rx, &exp), Ok(()), "no check_unicast_src");
    exp.check_unicast_src = true;
    assert_eq!(validate_for_instance(&rx, &exp), Err(DropReason::TtlOutOfRange(200)));
    let others = [UnicastPeer { addr: v4([10, 77, 0, 3]), min_ttl: 0, max_ttl: 255 }];
    exp.unicast_peers = &others;
    assert_eq!(validate_for_instance(&rx, &exp), Err(DropReason::NotAUnicastPeer(v4([10, 77, 0, 1]))));
    // unicast advert for a multicast instance
    assert_eq!(
        validate_for_instance(&rx, &expectation(Version::V2, 100, &vips)),
        Err(DropReason::CastMismatch { unicast_expected: false })
    );
}

#[test]
fn ah_counter_follows_keepalived() {
    let mut c = AhCounter::default();
    assert_eq!((c.next_tx(), c.next_tx(), c.next_tx()), (1, 2, 3));
    assert_eq!(c.check_rx(3), Err(3));
    assert_eq!(c.check_rx(10), Ok(()));
    assert_eq!(c.next_tx(), 11, "a new master continues above what it saw");
    let mut c = AhCounter::with_last(0xFFFF_FFFD);
    assert_eq!(c.next_tx(), 0xFFFF_FFFE);
    assert!(!c.cycled());
    assert_eq!(c.next_tx(), 0xFFFF_FFFE, "stops at the end of the space");
    assert!(c.cycled());
    c.on_become_master();
    assert_eq!((c.cycled(), c.last()), (false, 0));
    assert_eq!(c.next_tx(), 1);
    let mut c = AhCounter::with_last(0xFFFF_FFFE);
    c.next_tx();
    c.clear_cycle();
    c.on_become_master();
    assert_eq!(c.last(), 0xFFFF_FFFE, "not cycled: no reset");
}

#[test]
fn ip_id_counter_starts_at_one() {
    let mut id = 0u16;
    id = next_ip_id(id);
    assert_eq!(id, 1);
    assert_eq!(next_ip_id(u16::MAX), 1);
}

#[test]
fn encode_refuses_what_the_wire_cannot_carry() {
    use keepalived_rs::vrrp::packet::EncodeError;
    let mut a = dec4(&fixture("v3_ipv4"), AuthConfig::None).expect("decodes").advert;
    a.adver_int = 4096;
    assert_eq!(enc4(&a, &tx(1), &MCAST, &AuthConfig::None, 0), Err(EncodeError::IntervalOutOfRange(4096)));
    a.adver_int = 100;
    assert_eq!(enc4(&a, &tx(1), &MCAST, &pass(), 0), Err(EncodeError::AuthWithV3));
    a.addresses = vec![IpAddr::V4(Ipv4Addr::LOCALHOST); 256];
    assert_eq!(enc4(&a, &tx(1), &MCAST, &AuthConfig::None, 0), Err(EncodeError::TooManyAddresses(256)));
    a.addresses = vec![IpAddr::V6(Ipv6Addr::LOCALHOST)];
    assert_eq!(
        enc4(&a, &tx(1), &MCAST, &AuthConfig::None, 0),
        Err(EncodeError::WrongFamily(IpAddr::V6(Ipv6Addr::LOCALHOST)))
    );
    let mut v2 = dec4(&fixture("v2_none"), AuthConfig::None).expect("decodes").advert;
    v2.adver_int = 25600;
    assert_eq!(enc4(&v2, &tx(1), &MCAST, &AuthConfig::None, 0), Err(EncodeError::IntervalOutOfRange(25600)));
    v2.adver_int = 100;
    assert_eq!(encode_v6_payload(&v2, SRC6, VRRP_GROUP_V6, None), Err(EncodeError::V2OverIpv6));
}

#[test]
fn drop_counters_count_per_reason() {
    let mut c = DropCounters::default();
    c.bump(&DropReason::BadTtl(1));
    c.bump(&DropReason::BadTtl(7));
    c.bump(&DropReason::AhIcvMismatch);
    assert_eq!(c.get(&DropReason::BadTtl(0)), 2);
    assert_eq!(c.get(&DropReason::AhIcvMismatch), 1);
    assert_eq!(c.get(&DropReason::BadChecksum), 0);
    assert_eq!(c.total(), 3);
    let dump: Vec<(&str, u64)> = c.nonzero().collect();
    assert_eq!(dump, vec![("ip_ttl_err", 2), ("ah_icv_mismatch", 1)]);
    assert_eq!(DropReason::AuthFailure.counter_name(), "auth_failure");
    assert_eq!(DropReason::AhSeqReplay { seq: 1, last: 1 }.counter_name(), "ah_seq_replay");
}

/// xorshift64: a small deterministic PRNG for the no-panic tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
}

fn all_auths() -> Vec<AuthConfig> {
    vec![AuthConfig::None, pass(), ah()]
}

fn all_opts() -> Vec<WireOptions> {
    let mut v = Vec::new();
    for unicast in [false, true] {
        for v3_checksum_as_v2 in [false, true] {
            v.push(WireOptions { unicast, v3_checksum_as_v2, unicast_checksum: UnicastChecksum::Detect });
        }
    }
    v
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let auths = all_auths();
    let opts = all_opts();
    let mut accepted_with_ah = 0;
    for round in 0..30_000 {
        let len = rng.below(160);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // steer a third of the inputs past the first checks
        if round % 3 == 0 && len > 20 {
            b[0] = 0x45;
            b[8] = 255;
            b[9] = if round % 2 == 0 { 112 } else { 51 };
            let l = u16::try_from(len).unwrap_or(0).to_be_bytes();
            b[2] = l[0];
            b[3] = l[1];
        }
        let auth = &auths[round % auths.len()];
        let o = &opts[round % opts.len()];
        let mut ctx = AuthCtx::new(auth.clone());
        let r4 = decode_ipv4(&b, o, &mut ctx, NOW);
        if r4.is_ok() && matches!(auth, AuthConfig::Ah(_)) {
            accepted_with_ah += 1;
        }
        let _ = decode_ipv6(&b, SRC6, VRRP_GROUP_V6, Some(255), o, &mut ctx, NOW);
        let _ = decode_ipv6(&b, SRC6, VRRP_GROUP_V6, None, o, &mut ctx, NOW);
        let mut hctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Time { window: 5 });
        let h4 = decode_ipv4(&b, o, &mut hctx, NOW);
        let h6 = decode_ipv6(&b, SRC6, VRRP_GROUP_V6, Some(255), o, &mut hctx, NOW);
        assert!(h4.is_err() && h6.is_err(), "random bytes never carry a valid auth_hmac trailer");
        let _ = peek_vrid_ipv4(&b);
        let _ = peek_vrid_ipv6(&b);
    }
    assert_eq!(accepted_with_ah, 0, "random bytes never carry a valid AH ICV");
}

#[test]
fn mutated_fixtures_never_panic_and_reencode_when_accepted() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let fixtures: Vec<(Vec<u8>, AuthConfig)> = v4_fixtures().into_iter().map(|(n, a)| (fixture(n), a)).collect();
    let (p6, src6, dst6, _) = split_v6(&fixture("v3_ipv6"));
    for round in 0..20_000 {
        let (orig, auth) = &fixtures[round % fixtures.len()];
        let mut b = orig.clone();
        for _ in 0..1 + rng.below(3) {
            match rng.below(4) {
                0 => {
                    let i = rng.below(b.len());
                    b[i] ^= 1 << rng.below(8);
                }
                1 => {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
                2 => b.truncate(rng.below(b.len() + 1)),
                _ => b.push(rng.next() as u8),
            }
            if b.is_empty() {
                break;
            }
        }
        let mut ctx = AuthCtx::new(auth.clone());
        if let Ok(rx) = decode_ipv4(&b, &MCAST, &mut ctx, NOW) {
            // anything accepted is a well-formed advert: re-encoding it with
            // the received header fields gives back the VRRP part exactly
            let IpAddr::V4(dst) = rx.dst else { panic!("IPv4 decode gave {:?}", rx.dst) };
            let IpAddr::V4(src) = rx.src else { panic!("IPv4 decode gave {:?}", rx.src) };
            if rx.advert.version == Version::V2 && *auth != AuthConfig::None && !matches!(auth, AuthConfig::Ah(_)) {
                let ip = Ipv4Tx { src, dst, ttl: 255, id: u16::from_be_bytes([b[4], b[5]]) };
                let re = enc4(&rx.advert, &ip, &MCAST, auth, 0).expect("re-encodes");
                let ihl = usize::from(b[0] & 0x0f) * 4;
                assert_eq!(&re[20..], &b[ihl..], "round {round}");
            }
        }
        let mut p = p6.clone();
        let i = rng.below(p.len());
        p[i] ^= 1 << rng.below(8);
        p.truncate(p.len() - rng.below(3));
        let _ = decode_ipv6(&p, src6, dst6, Some(255), &MCAST, &mut AuthCtx::new(AuthConfig::None), NOW);
    }
}

// ---- keepalived 2.4 auth_hmac trailer ------------------------------------

use keepalived_rs::vrrp::auth::{HmacAuth, HmacKey, HmacMode, HmacSeen, ReplayMode, TxHmac};

/// Upstream's test key: bytes 00..1f, id 1.
fn vector_key() -> Vec<u8> {
    (0u8..32).collect()
}

fn hmac_ctx(mode: HmacMode, replay: ReplayMode) -> AuthCtx {
    let mut ctx = AuthCtx::new(AuthConfig::None);
    ctx.hmac = Some(Box::new(HmacAuth::new(vec![HmacKey { id: 1, key: vector_key() }], 1, mode, replay)));
    ctx
}

fn hexbytes(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// The draft appendix images in keepalived's auth_hmac test: VRID 51, prio
/// 200, sequence 0x6800000080000000. IPv4 from 198.51.100.10 with VIP
/// 192.0.2.100 and a message-only checksum; IPv6 from fe80::10 to fe80::20
/// with VIP fe80::100 and the kernel's checksum over the trailer too.
const VEC4: &str = "3133c80100644402c00002640101000068000000800000001b84bc4e8e43892dc6d98448f8ee2265";
const VEC6: &str =
    "3133c8010064a2e9fe800000000000000000000000000100010100006800000080000000c8c56146ebfd66ee10ec4d8186461b78";
const VEC_SEQ: u64 = 0x6800_0000_8000_0000;
const VEC_SRC4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const VEC_SRC6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x10);
const VEC_DST6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x20);
const AS_V2: WireOptions =
    WireOptions { unicast: false, v3_checksum_as_v2: true, unicast_checksum: UnicastChecksum::Detect };

fn vec_tx(key: &[u8]) -> TxHmac<'_> {
    TxHmac { key_id: 1, key: Some(key), seq: VEC_SEQ }
}

fn vec_advert(addr: IpAddr) -> Advert {
    Advert {
        version: Version::V3,
        kind: PacketType::Advertisement,
        vrid: 51,
        priority: 200,
        auth_type: None,
        adver_int: 100,
        checksum: 0,
        addresses: vec![addr],
        auth_data: None,
    }
}

/// The IPv4 vector inside an IPv4 header as keepalived would send it.
fn vec4_packet() -> Vec<u8> {
    let key = vector_key();
    let ip = Ipv4Tx { src: VEC_SRC4, dst: VRRP_GROUP_V4, ttl: 255, id: 1 };
    let auth = TxAuth { config: &AuthConfig::None, ah_seq: 0, hmac: Some(vec_tx(&key)) };
    encode_ipv4(&vec_advert(v4([192, 0, 2, 100])), &ip, &AS_V2, &auth).expect("encodes")
}

#[test]
fn hmac_encode_matches_upstream_vectors() {
    assert_eq!(&vec4_packet()[20..], &hexbytes(VEC4)[..]);
    let key = vector_key();
    let a6 = vec_advert(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x100)));
    assert_eq!(encode_v6_payload(&a6, VEC_SRC6, VEC_DST6, Some(&vec_tx(&key))), Ok(hexbytes(VEC6)));
}

#[test]
fn hmac_decode_verifies_upstream_vectors() {
    let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
    let rx = decode_ipv4(&vec4_packet(), &AS_V2, &mut ctx, NOW).expect("IPv4 vector verifies");
    assert_eq!(rx.hmac, Some(HmacSeen { key_id: 1, seq: VEC_SEQ }));
    assert_eq!(rx.advert.addresses, vec![v4([192, 0, 2, 100])]);
    assert_eq!(rx.advert.checksum, 0x4402);
    let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
    let rx = decode_ipv6(&hexbytes(VEC6), VEC_SRC6, VEC_DST6, Some(255), &MCAST, &mut ctx, NOW).expect("IPv6 vector");
    assert_eq!(rx.hmac, Some(HmacSeen { key_id: 1, seq: VEC_SEQ }));
    assert_eq!((rx.advert.vrid, rx.advert.priority), (51, 200));
}

#[test]
fn hmac_tampering_is_refused_like_upstream() {
    let img = hexbytes(VEC6);
    for (what, off, want) in [
        ("priority", 2usize, DropReason::HmacBad),
        ("interval", 5, DropReason::HmacBad),
        ("vip", 8 + 15, DropReason::HmacBad),
        ("vrid", 1, DropReason::HmacBad),
        ("ext type", 24, DropReason::HmacMalformed),
        ("key id", 25, DropReason::HmacUnknownKey(0)),
        ("reserved", 26, DropReason::HmacMalformed),
        ("seconds", 28, DropReason::HmacBad),
        ("counter", 35, DropReason::HmacBad),
        ("hmac", 36, DropReason::HmacBad),
        // the HMAC reads the checksum as zero: the checksum check catches it
        ("checksum", 6, DropReason::BadChecksum),
    ] {
        let mut b = img.clone();
        b[off] ^= 0x01;
        let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
        assert_eq!(decode_ipv6(&b, VEC_SRC6, VEC_DST6, Some(255), &MCAST, &mut ctx, NOW), Err(want), "{what}");
    }
    // the pseudo header binds the source address
    let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
    assert_eq!(decode_ipv6(&img, VEC_DST6, VEC_DST6, Some(255), &MCAST, &mut ctx, NOW), Err(DropReason::HmacBad));
    // a different key
    let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
    if let Some(h) = ctx.hmac.as_mut() {
        h.keys = vec![HmacKey { id: 1, key: vec![7; 32] }];
    }
    assert_eq!(decode_ipv6(&img, VEC_SRC6, VEC_DST6, Some(255), &MCAST, &mut ctx, NOW), Err(DropReason::HmacBad));
}

#[test]
fn hmac_replay_and_freshness() {
    let img = hexbytes(VEC6);
    let dec = |ctx: &mut AuthCtx, now: Duration| decode_ipv6(&img, VEC_SRC6, VEC_DST6, Some(255), &MCAST, ctx, now);
    let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
    assert!(dec(&mut ctx, NOW).is_ok());
    assert_eq!(dec(&mut ctx, NOW), Err(DropReason::HmacReplay));
    // time mode: the vector's timestamp must be within the window of now
    let sec = Duration::from_secs(0x6800_0000);
    let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Time { window: 5 });
    assert_eq!(dec(&mut ctx, sec + Duration::from_secs(100)), Err(DropReason::HmacStale(100)));
    assert_eq!(dec(&mut ctx, sec - Duration::from_secs(100)), Err(DropReason::HmacStale(-100)));
    assert!(dec(&mut ctx, sec + Duration::from_secs(3)).is_ok());
    assert_eq!(dec(&mut ctx, sec + Duration::from_secs(3)), Err(DropReason::HmacReplay));
}

#[test]
fn hmac_modes_and_missing_trailer() {
    let plain = dec4(&fixture("v3_ipv4"), AuthConfig::None).expect("decodes");
    let bytes = fixture("v3_ipv4");
    let mut enforce = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
    assert_eq!(decode_ipv4(&bytes, &MCAST, &mut enforce, NOW), Err(DropReason::HmacMissing));
    for mode in [HmacMode::Permissive, HmacMode::ReceiveOnly] {
        let mut ctx = hmac_ctx(mode, ReplayMode::Monotonic);
        assert_eq!(decode_ipv4(&bytes, &MCAST, &mut ctx, NOW), Ok(plain.clone()), "{mode:?}");
    }
    // a trailer to an instance without auth_hmac is "too long"
    assert_eq!(dec4(&vec4_packet(), AuthConfig::None), Err(DropReason::BadLength { got: 60, expected: 32 }));
    // receive-only sends nothing
    let mut ro =
        HmacAuth::new(vec![HmacKey { id: 1, key: vector_key() }], 1, HmacMode::ReceiveOnly, ReplayMode::Monotonic);
    assert_eq!(ro.next_tx(NOW), None);
}

#[test]
fn hmac_trailer_with_v2_pass_and_ah() {
    let key = vector_key();
    for auth in [pass(), ah(), AuthConfig::None] {
        let advert = dec4(&fixture("v2_pass"), pass()).expect("decodes").advert;
        let tx_auth = TxAuth { config: &auth, ah_seq: 4, hmac: Some(vec_tx(&key)) };
        let b = encode_ipv4(&advert, &tx(1), &MCAST, &tx_auth).expect("encodes");
        let mut ctx = hmac_ctx(HmacMode::Enforce, ReplayMode::Monotonic);
        ctx.config = auth.clone();
        let rx = decode_ipv4(&b, &MCAST, &mut ctx, NOW).expect("round trip");
        assert_eq!(rx.hmac, Some(HmacSeen { key_id: 1, seq: VEC_SEQ }), "{auth:?}");
        assert_eq!(rx.advert.addresses, advert.addresses);
        // the PASS data is read at the end of the message, not of the packet
        if auth == pass() {
            assert_eq!(rx.advert.auth_data, Some(*b"s3cret\0\0"));
        }
    }
}

#[test]
fn hmac_send_sequence_follows_the_clock() {
    let mut h =
        HmacAuth::new(vec![HmacKey { id: 1, key: vector_key() }], 1, HmacMode::Enforce, ReplayMode::Time { window: 5 });
    let t = Duration::new(0x6800_0000, 500_000_000);
    let first = h.next_tx(t).map(|x| x.seq);
    assert_eq!(first, Some(0x6800_0000_8000_0000), "seconds and a 1/65536 fraction");
    assert_eq!(h.next_tx(t).map(|x| x.seq), Some(0x6800_0000_8000_0001), "same instant: counter + 1");
    // clock stepped back 3 s: still growing
    assert_eq!(h.next_tx(t - Duration::from_secs(3)).map(|x| x.seq), Some(0x6800_0000_8000_0002));
    // stepped back further than the window: restart from the clock
    let back = t - Duration::from_secs(60);
    assert_eq!(h.next_tx(back).map(|x| x.seq >> 32), Some(0x6800_0000 - 60));
    let mut m = HmacAuth::new(vec![HmacKey { id: 1, key: vector_key() }], 1, HmacMode::Enforce, ReplayMode::Monotonic);
    m.next_tx(t);
    assert_eq!(m.next_tx(back).map(|x| x.seq), Some(0x6800_0000_8000_0001), "monotonic never goes back");
    // a missing active key signs with zeros, which receivers refuse
    m.active_key = 9;
    let tx = m.next_tx(t).expect("sends");
    assert_eq!((tx.key_id, tx.key), (9, None));
}

// ---- unicast captures ------------------------------------------------------

const UNI: WireOptions =
    WireOptions { unicast: true, v3_checksum_as_v2: false, unicast_checksum: UnicastChecksum::Detect };
const PEER: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

#[test]
fn unicast_captures_decode_validate_and_encode() {
    let peers = [UnicastPeer { addr: IpAddr::V4(SRC4), min_ttl: 0, max_ttl: 255 }];
    let uni_tx = Ipv4Tx { src: SRC4, dst: PEER, ttl: 255, id: 1 };
    for (name, auth, vrid, version, vip, seq) in [
        ("v2_pass_unicast", pass(), 57u8, Version::V2, [10, 77, 0, 150], None),
        ("v2_ah_unicast", ah(), 58, Version::V2, [10, 77, 0, 160], Some(1u32)),
        ("v3_ipv4_unicast", AuthConfig::None, 59, Version::V3, [10, 77, 0, 170], None),
    ] {
        let bytes = fixture(name);
        let rx = decode_ipv4(&bytes, &UNI, &mut AuthCtx::new(auth.clone()), NOW).expect(name);
        assert_eq!((rx.src, rx.dst, rx.ah_seq), (IpAddr::V4(SRC4), IpAddr::V4(PEER), seq), "{name}");
        assert_eq!((rx.advert.vrid, rx.advert.version, rx.advert.priority), (vrid, version, 150), "{name}");
        let vips = [v4(vip)];
        let exp = InstanceExpectation {
            vrid,
            version,
            adver_int: 100,
            addresses: &vips,
            check_addresses: true,
            unicast_peers: &peers,
            check_unicast_src: true,
        };
        assert_eq!(validate_for_instance(&rx, &exp), Ok(()), "{name}");
        let auth_tx = TxAuth { config: &auth, ah_seq: seq.unwrap_or(0), hmac: None };
        assert_eq!(encode_ipv4(&rx.advert, &uni_tx, &UNI, &auth_tx), Ok(bytes), "{name}");
    }
}

#[test]
fn unicast_ah_icv_zeroes_ttl_and_v3_checksum_uses_the_peer() {
    // keepalived's unicast AH ICV covers TTL 0: a multicast receiver, which
    // covers the real TTL, refuses it
    let b = fixture("v2_ah_unicast");
    assert_eq!(decode_ipv4(&b, &MCAST, &mut AuthCtx::new(ah()), NOW), Err(DropReason::AhIcvMismatch));
    // the v3 pseudo-header has the unicast destination, not the group
    let mut b = fixture("v3_ipv4_unicast");
    b[16..20].copy_from_slice(&VRRP_GROUP_V4.octets());
    assert_eq!(decode_ipv4(&b, &UNI, &mut AuthCtx::new(AuthConfig::None), NOW), Err(DropReason::BadChecksum));
}

/// old_unicast_checksum: a v3 unicast advert summed with the group
/// 224.0.0.18 in its pseudo-header (keepalived before 1.3.6) is sent when
/// configured, accepted and flagged when detecting, refused with `never`.
#[test]
fn v3_unicast_old_checksum() {
    let opts = |unicast_checksum| WireOptions { unicast: true, v3_checksum_as_v2: false, unicast_checksum };
    let advert = dec4(&fixture("v3_ipv4"), AuthConfig::None).expect("decodes").advert;
    let ip = Ipv4Tx { src: SRC4, dst: Ipv4Addr::new(10, 77, 0, 2), ttl: 255, id: 7 };
    let new = enc4(&advert, &ip, &opts(UnicastChecksum::Detect), &AuthConfig::None, 0).expect("encodes");
    let old = enc4(&advert, &ip, &opts(UnicastChecksum::Old), &AuthConfig::None, 0).expect("encodes");
    assert_ne!(new[26..28], old[26..28], "the checksums differ");
    assert_eq!(new, enc4(&advert, &ip, &opts(UnicastChecksum::Never), &AuthConfig::None, 0).unwrap());
    let dec = |b: &[u8], c| decode_ipv4(b, &opts(c), &mut AuthCtx::new(AuthConfig::None), NOW).map(|r| r.old_checksum);
    assert_eq!(dec(&new, UnicastChecksum::Detect), Ok(false));
    assert_eq!(dec(&old, UnicastChecksum::Detect), Ok(true), "detected");
    assert_eq!(dec(&old, UnicastChecksum::Never), Err(DropReason::BadChecksum));
    assert_eq!(dec(&old, UnicastChecksum::Old), Ok(false));
    assert_eq!(dec(&new, UnicastChecksum::Old), Err(DropReason::BadChecksum));
    // Multicast adverts are never summed the old way.
    let mcast = WireOptions { unicast: false, ..opts(UnicastChecksum::Old) };
    let ip_m = tx(7);
    assert_eq!(enc4(&advert, &ip_m, &mcast, &AuthConfig::None, 0), enc4(&advert, &ip_m, &MCAST, &AuthConfig::None, 0));
}
