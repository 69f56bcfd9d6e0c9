//! Virtual MAC interfaces (`use_vmac`: macvlan; `use_ipvlan`: ipvlan):
//! creating, bringing up and removing them (`ip link add/set/del`).

use futures_util::TryStreamExt;
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoIpVlan, InfoKind, InfoMacVlan, IpVlanFlags, IpVlanMode, LinkAttribute, LinkFlags, LinkInfo,
    LinkMessage, MacVlanMode,
};

use super::{Netlink, NetlinkError};

/// Which kind of virtual interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VlanKind {
    /// macvlan in private mode with the given MAC.
    Macvlan { mac: [u8; 6] },
    /// ipvlan in L2 mode with flags `IPVLAN_F_PRIVATE` / `IPVLAN_F_VEPA`
    /// (`bridge` is neither).
    Ipvlan { private: bool, vepa: bool },
}

/// What is known of an existing interface that may be one of ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkDetails {
    pub index: u32,
    /// `macvlan`, `ipvlan`, `veth`...; empty when the kernel does not say.
    pub kind: String,
    pub mac: Vec<u8>,
    /// The lower interface (`IFLA_LINK`).
    pub base: Option<u32>,
}

impl Netlink {
    /// Creates `name` on top of `base`.
    pub async fn add_vlan_link(&self, name: &str, base: u32, kind: VlanKind) -> Result<(), NetlinkError> {
        let mut m = LinkMessage::default();
        let info = match kind {
            VlanKind::Macvlan { mac } => {
                m.attributes.push(LinkAttribute::Address(mac.to_vec()));
                vec![
                    LinkInfo::Kind(InfoKind::MacVlan),
                    LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(MacVlanMode::Private)])),
                ]
            }
            VlanKind::Ipvlan { private, vepa } => {
                let mut flags = IpVlanFlags::empty();
                if private {
                    flags |= IpVlanFlags::Private;
                }
                if vepa {
                    flags |= IpVlanFlags::Vepa;
                }
                vec![
                    LinkInfo::Kind(InfoKind::IpVlan),
                    LinkInfo::Data(InfoData::IpVlan(vec![InfoIpVlan::Mode(IpVlanMode::L2), InfoIpVlan::Flags(flags)])),
                ]
            }
        };
        m.attributes.push(LinkAttribute::LinkInfo(info));
        m.attributes.push(LinkAttribute::Link(base));
        m.attributes.push(LinkAttribute::IfName(name.to_owned()));
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::NewLink(m));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        self.ack(req).await
    }

    /// Sets an interface up.
    pub async fn set_link_up(&self, index: u32) -> Result<(), NetlinkError> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::NewLink(m));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        self.ack(req).await
    }

    /// Removes an interface; one that is already gone is not an error.
    pub async fn del_link(&self, index: u32) -> Result<(), NetlinkError> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::DelLink(m));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        match self.ack(req).await {
            Err(e) if e.is_not_found() => Ok(()),
            r => r,
        }
    }

    /// Kind, MAC and lower interface of `name`, if it exists.
    pub async fn vlan_link(&self, name: &str) -> Result<Option<LinkDetails>, NetlinkError> {
        let mut stream = self.handle.link().get().match_name(name.to_owned()).execute();
        let m = match stream.try_next().await.map_err(NetlinkError::from) {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(None),
            Err(e) if e.is_no_device() => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut d = LinkDetails { index: m.header.index, kind: String::new(), mac: Vec::new(), base: None };
        for a in m.attributes {
            match a {
                LinkAttribute::Address(mac) => d.mac = mac,
                LinkAttribute::Link(b) => d.base = Some(b),
                LinkAttribute::LinkInfo(infos) => {
                    for i in infos {
                        if let LinkInfo::Kind(k) = i {
                            d.kind = k.to_string();
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(Some(d))
    }
}
