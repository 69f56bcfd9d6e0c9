//! Adding and removing addresses (`ip address add/del`).

use std::net::{IpAddr, Ipv4Addr};

use futures_util::TryStreamExt;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope};

use super::{Netlink, NetlinkError};

/// One address to configure, as `ip address add` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrSpec {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    /// IPv4 broadcast address (`brd`).
    pub broadcast: Option<Ipv4Addr>,
    /// Peer address (`peer`): the address is then the local end of a point-to-point link.
    pub peer: Option<IpAddr>,
    /// rtnetlink scope number (0 global, 200 site, 253 link, 254 host).
    pub scope: u8,
    /// `label`, IPv4 only.
    pub label: Option<String>,
    pub nodad: bool,
    pub noprefixroute: bool,
    pub home: bool,
    /// `preferred_lft` in seconds (`u32::MAX` forever); `None` is the kernel's default.
    pub preferred_lft: Option<u32>,
}

/// What adding an address did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// It was already there (EEXIST): tolerated, as keepalived does.
    AlreadyPresent,
}

/// What removing an address did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelOutcome {
    Removed,
    /// It was not there (EADDRNOTAVAIL / ENOENT).
    NotPresent,
}

impl AddrSpec {
    fn to_message(&self) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = match self.addr {
            IpAddr::V4(_) => netlink_packet_route::AddressFamily::Inet,
            IpAddr::V6(_) => netlink_packet_route::AddressFamily::Inet6,
        };
        m.header.prefix_len = self.prefix_len;
        m.header.index = self.ifindex;
        m.header.scope = AddressScope::from(self.scope);
        let local = self.addr;
        let address = self.peer.unwrap_or(local);
        m.attributes.push(AddressAttribute::Local(local));
        m.attributes.push(AddressAttribute::Address(address));
        if let Some(b) = self.broadcast {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let (Some(l), IpAddr::V4(_)) = (&self.label, self.addr) {
            m.attributes.push(AddressAttribute::Label(l.clone()));
        }
        let mut flags = AddressFlags::empty();
        let mut hflags = AddressHeaderFlags::empty();
        if self.nodad {
            flags |= AddressFlags::Nodad;
            hflags |= AddressHeaderFlags::Nodad;
        }
        if self.home {
            flags |= AddressFlags::Homeaddress;
            hflags |= AddressHeaderFlags::Homeaddress;
        }
        if self.noprefixroute {
            flags |= AddressFlags::Noprefixroute;
        }
        m.header.flags = hflags;
        if let Some(p) = self.preferred_lft {
            let mut ci = netlink_packet_route::address::CacheInfo::default();
            ci.ifa_preferred = p;
            ci.ifa_valid = u32::MAX;
            m.attributes.push(AddressAttribute::CacheInfo(ci));
        }
        if !flags.is_empty() {
            m.attributes.push(AddressAttribute::Flags(flags));
        }
        m
    }
}

impl Netlink {
    /// Adds an address; an address that already exists is not an error.
    pub async fn add_address(&self, spec: &AddrSpec) -> Result<AddOutcome, NetlinkError> {
        let mut req = self.handle.address().add(spec.ifindex, spec.addr, spec.prefix_len);
        *req.message_mut() = spec.to_message();
        match req.execute().await.map_err(NetlinkError::from) {
            Ok(()) => Ok(AddOutcome::Added),
            Err(e) if e.is_exists() => Ok(AddOutcome::AlreadyPresent),
            Err(e) => Err(e),
        }
    }

    /// Removes an address; an address that is not there is not an error.
    pub async fn del_address(&self, spec: &AddrSpec) -> Result<DelOutcome, NetlinkError> {
        match self.handle.address().del(spec.to_message()).execute().await.map_err(NetlinkError::from) {
            Ok(()) => Ok(DelOutcome::Removed),
            Err(e) if e.is_not_found() => Ok(DelOutcome::NotPresent),
            Err(e) => Err(e),
        }
    }

    /// The addresses configured on an interface.
    pub async fn addresses(&self, ifindex: u32) -> Result<Vec<(IpAddr, u8)>, NetlinkError> {
        let mut out = Vec::new();
        let mut stream = self.handle.address().get().set_link_index_filter(ifindex).execute();
        while let Some(m) = stream.try_next().await? {
            for a in &m.attributes {
                if let AddressAttribute::Local(ip) | AddressAttribute::Address(ip) = a {
                    if !out.contains(&(*ip, m.header.prefix_len)) {
                        out.push((*ip, m.header.prefix_len));
                    }
                }
            }
        }
        Ok(out)
    }
}
