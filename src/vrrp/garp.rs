//! Gratuitous ARP (IPv4) and unsolicited neighbour advertisement (IPv6)
//! frames, built as keepalived sends them on becoming MASTER. Pure: the
//! runtime sends the bytes.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Ethernet broadcast.
pub(crate) const BROADCAST_MAC: [u8; 6] = [0xff; 6];
/// The ARP ethertype (the frames and the packet socket they leave on).
pub(crate) const ETH_P_ARP: u16 = 0x0806;

/// A gratuitous ARP as keepalived sends it: an ARP request (RFC 5227 section
/// 3 "ARP Announcement" shape) broadcast from `mac`, whose sender and target
/// protocol addresses are both the VIP and whose target hardware address is the
/// broadcast address. Returns the whole Ethernet frame (42 bytes).
pub fn gratuitous_arp(mac: [u8; 6], vip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&BROADCAST_MAC);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ETH_P_ARP.to_be_bytes());
    f.extend_from_slice(&1u16.to_be_bytes()); // hardware type: Ethernet
    f.extend_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    f.push(6);
    f.push(4);
    f.extend_from_slice(&1u16.to_be_bytes()); // op: request
    f.extend_from_slice(&mac);
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&BROADCAST_MAC);
    f.extend_from_slice(&vip.octets());
    f
}

/// The all-nodes multicast group, destination of unsolicited advertisements.
pub(crate) const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// An unsolicited neighbour advertisement (RFC 4861 section 7.2.6) for `vip`:
/// the ICMPv6 message only (type 136), with the Override flag (and the Router
/// flag when `router`), and a target link-layer address option. The checksum
/// field is left zero: the kernel fills it for ICMPv6 raw sockets.
pub fn unsolicited_na(mac: [u8; 6], vip: Ipv6Addr, router: bool) -> Vec<u8> {
    let mut m = Vec::with_capacity(32);
    m.push(136); // type: neighbour advertisement
    m.push(0); // code
    m.extend_from_slice(&[0, 0]); // checksum (kernel)
    let flags: u8 = 0x20 | if router { 0x80 } else { 0 }; // R, S=0, O
    m.extend_from_slice(&[flags, 0, 0, 0]);
    m.extend_from_slice(&vip.octets());
    m.push(2); // option: target link-layer address
    m.push(1); // length in units of 8 octets
    m.extend_from_slice(&mac);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garp_frame_layout() {
        let mac = [0x02, 0, 0, 0, 0, 0x01];
        let f = gratuitous_arp(mac, Ipv4Addr::new(192, 0, 2, 100));
        assert_eq!(f.len(), 42);
        assert_eq!(&f[0..6], &BROADCAST_MAC);
        assert_eq!(&f[6..12], &mac);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(&f[22..28], &mac);
        assert_eq!(&f[28..32], &[192, 0, 2, 100]);
        assert_eq!(&f[32..38], &BROADCAST_MAC);
        assert_eq!(&f[38..42], &[192, 0, 2, 100]);
    }

    #[test]
    fn na_layout() {
        let mac = [0x02, 0, 0, 0, 0, 0x01];
        let vip: Ipv6Addr = "2001:db8::100".parse().expect("ip");
        let m = unsolicited_na(mac, vip, true);
        assert_eq!(m.len(), 32);
        assert_eq!(m[0], 136);
        assert_eq!(m[4], 0xa0);
        assert_eq!(&m[8..24], &vip.octets());
        assert_eq!(&m[24..26], &[2, 1]);
        assert_eq!(&m[26..32], &mac);
        assert_eq!(unsolicited_na(mac, vip, false)[4], 0x20);
    }
}
