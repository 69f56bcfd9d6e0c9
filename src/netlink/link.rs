//! Interface look-ups (`ip link show`).

use futures_util::TryStreamExt;
use netlink_packet_route::link::{LinkAttribute, LinkFlags};

use super::{Netlink, NetlinkError};

/// What the VRRP runtime needs to know about an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub name: String,
    /// The hardware address (empty for interfaces without one).
    pub mac: Vec<u8>,
    /// Administratively up and with carrier.
    pub running: bool,
}

impl Netlink {
    /// Looks an interface up by name.
    pub async fn link_by_name(&self, name: &str) -> Result<LinkInfo, NetlinkError> {
        let mut stream = self.handle.link().get().match_name(name.to_owned()).execute();
        match stream.try_next().await.map_err(NetlinkError::from) {
            Ok(Some(m)) => {
                let mut info = LinkInfo {
                    index: m.header.index,
                    name: name.to_owned(),
                    mac: Vec::new(),
                    running: m.header.flags.contains(LinkFlags::Up) && m.header.flags.contains(LinkFlags::Running),
                };
                for a in m.attributes {
                    if let LinkAttribute::Address(mac) = a {
                        info.mac = mac;
                    }
                }
                Ok(info)
            }
            Ok(None) => Err(NetlinkError::NoSuchInterface(name.to_owned())),
            Err(e) if e.is_no_device() => Err(NetlinkError::NoSuchInterface(name.to_owned())),
            Err(e) => Err(e),
        }
    }
}
