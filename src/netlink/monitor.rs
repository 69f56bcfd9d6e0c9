//! Link and address changes as the kernel announces them (`ip monitor link
//! address`): an rtnetlink socket subscribed to the link and address
//! multicast groups.

use futures_util::StreamExt;
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_sys::AsyncSocket;
use netlink_sys::SocketAddr;
use tokio::sync::mpsc;

use super::LinkInfo;

/// rtnetlink's link group (`RTMGRP_LINK`).
const RTMGRP_LINK: u32 = 1;
/// `RTMGRP_IPV4_IFADDR`.
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
/// `RTMGRP_IPV6_IFADDR`.
const RTMGRP_IPV6_IFADDR: u32 = 0x100;

/// Something changed on an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// An interface appeared or changed (`removed` false) or went away.
    Link { info: LinkInfo, removed: bool },
    /// An address was added to or removed from interface `ifindex`.
    Address {
        ifindex: u32,
        /// The address, when the kernel named it.
        addr: Option<std::net::IpAddr>,
    },
}

pub(crate) fn link_info(m: &LinkMessage) -> Option<LinkInfo> {
    let mut name = None;
    let mut mac = Vec::new();
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => name = Some(n.clone()),
            LinkAttribute::Address(a) => mac = a.clone(),
            _ => {}
        }
    }
    Some(LinkInfo {
        index: m.header.index,
        name: name?,
        mac,
        running: m.header.flags.contains(LinkFlags::Up) && m.header.flags.contains(LinkFlags::Running),
    })
}

/// The address an RTM_NEWADDR / RTM_DELADDR is about (IFA_LOCAL, else IFA_ADDRESS).
pub(super) fn address_of(m: &netlink_packet_route::address::AddressMessage) -> Option<std::net::IpAddr> {
    use netlink_packet_route::address::AddressAttribute;
    let local = m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    local.or_else(|| {
        m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        })
    })
}

/// Subscribes to link changes. Spawn the returned future on the caller's
/// runtime; events arrive on the receiver until it is dropped.
pub fn link_monitor() -> std::io::Result<(impl std::future::Future<Output = ()>, mpsc::UnboundedReceiver<LinkEvent>)> {
    link_monitor_with(None)
}

/// [`link_monitor`] with the socket's receive buffer set
/// (`vrrp_netlink_monitor_rcv_bufs`).
pub fn link_monitor_with(
    rcvbuf: Option<super::RcvBuf>,
) -> std::io::Result<(impl std::future::Future<Output = ()>, mpsc::UnboundedReceiver<LinkEvent>)> {
    use std::os::fd::AsFd as _;
    let (mut conn, _handle, mut messages) = rtnetlink::new_connection()?;
    super::set_rcvbuf(conn.socket_mut().socket_mut().as_fd(), rcvbuf, "netlink monitor");
    conn.socket_mut().socket_mut().bind(&SocketAddr::new(0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let fut = async move {
        let forward = async move {
            while let Some((msg, _)) = messages.next().await {
                let ev = match msg.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(m)) => {
                        link_info(&m).map(|info| LinkEvent::Link { info, removed: false })
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(m)) => {
                        link_info(&m).map(|info| LinkEvent::Link { info, removed: true })
                    }
                    NetlinkPayload::InnerMessage(
                        RouteNetlinkMessage::NewAddress(m) | RouteNetlinkMessage::DelAddress(m),
                    ) => Some(LinkEvent::Address { ifindex: m.header.index, addr: address_of(&m) }),
                    _ => None,
                };
                if let Some(ev) = ev {
                    if tx.send(ev).is_err() {
                        return;
                    }
                }
            }
        };
        tokio::select! {
            _ = conn => {}
            _ = forward => {}
        }
    };
    Ok((fut, rx))
}
