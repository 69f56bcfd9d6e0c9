//! The VRRP decoders (IPv4 with the IP header and AH, IPv6 payloads) on
//! arbitrary bytes, under each kind of authentication: never a panic.
#![no_main]

use std::time::Duration;

use keepalived_rs::vrrp::auth::{AuthConfig, AuthCtx};
use keepalived_rs::vrrp::packet::{
    UnicastChecksum, WireOptions, decode_ipv4, decode_ipv6, peek_vrid_ipv4, peek_vrid_ipv6,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else { return };
    let unicast_checksum = match sel >> 6 {
        0 => UnicastChecksum::Detect,
        1 => UnicastChecksum::Never,
        _ => UnicastChecksum::Old,
    };
    let opts = WireOptions { unicast: sel & 1 != 0, v3_checksum_as_v2: sel & 2 != 0, unicast_checksum };
    let config = match (sel >> 2) % 3 {
        0 => AuthConfig::None,
        1 => AuthConfig::pass("secret"),
        _ => AuthConfig::ah("secret"),
    };
    let mut auth = AuthCtx::new(config);
    let _ = peek_vrid_ipv4(bytes);
    let _ = peek_vrid_ipv6(bytes);
    let _ = decode_ipv4(bytes, &opts, &mut auth, Duration::from_secs(1));
    let src = "fe80::1".parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST);
    let dst = "ff02::12".parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST);
    let _ = decode_ipv6(bytes, src, dst, Some(255), &opts, &mut auth, Duration::from_secs(1));
});
