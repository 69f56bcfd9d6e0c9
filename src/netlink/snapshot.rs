//! Every interface and address of the namespace at one moment (`ip link`,
//! `ip address`), for the interface section of the dump files.

use std::net::IpAddr;

use futures_util::TryStreamExt;
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::LinkAttribute;

use super::{Netlink, NetlinkError};

/// An interface as `ip link show` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkDetail {
    pub index: u32,
    pub name: String,
    /// IFF_* flags.
    pub flags: u32,
    pub mtu: u32,
    /// ARPHRD_* type.
    pub hw_type: u16,
    pub mac: Vec<u8>,
    pub broadcast: Vec<u8>,
}

/// An address as `ip address show` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrEntry {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    /// RT_SCOPE_* (0 global, 253 link, 254 host).
    pub scope: u8,
}

impl Netlink {
    /// Every interface, in the kernel's order.
    pub async fn link_details(&self) -> Result<Vec<LinkDetail>, NetlinkError> {
        let mut out = Vec::new();
        let mut stream = self.handle.link().get().execute();
        while let Some(m) = stream.try_next().await? {
            let mut d = LinkDetail {
                index: m.header.index,
                name: String::new(),
                flags: m.header.flags.bits(),
                mtu: 0,
                hw_type: u16::from(m.header.link_layer_type),
                mac: Vec::new(),
                broadcast: Vec::new(),
            };
            for a in m.attributes {
                match a {
                    LinkAttribute::IfName(n) => d.name = n,
                    LinkAttribute::Mtu(v) => d.mtu = v,
                    LinkAttribute::Address(v) => d.mac = v,
                    LinkAttribute::Broadcast(v) => d.broadcast = v,
                    _ => {}
                }
            }
            out.push(d);
        }
        Ok(out)
    }

    /// Every address of every interface, in the kernel's order.
    pub async fn all_addresses(&self) -> Result<Vec<AddrEntry>, NetlinkError> {
        let mut out = Vec::new();
        let mut stream = self.handle.address().get().execute();
        while let Some(m) = stream.try_next().await? {
            let mut local = None;
            let mut address = None;
            for a in &m.attributes {
                match a {
                    AddressAttribute::Local(ip) => local = Some(*ip),
                    AddressAttribute::Address(ip) => address = Some(*ip),
                    _ => {}
                }
            }
            if let Some(addr) = local.or(address) {
                out.push(AddrEntry {
                    ifindex: m.header.index,
                    addr,
                    prefix_len: m.header.prefix_len,
                    scope: u8::from(m.header.scope),
                });
            }
        }
        Ok(out)
    }
}
