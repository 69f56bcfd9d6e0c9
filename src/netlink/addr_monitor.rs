//! The addresses on the box and their changes (`ip address` then `ip
//! monitor address`), for the checker child's `ha_suspend`.

use std::net::IpAddr;

use futures_util::StreamExt;
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{AsyncSocket, SocketAddr};
use tokio::sync::mpsc;

use super::{Netlink, NetlinkError};

/// `RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR`.
const IFADDR_GROUPS: u32 = 0x10 | 0x100;

/// An address added to or removed from an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AddrEvent {
    pub(crate) ifindex: u32,
    pub(crate) addr: IpAddr,
    pub(crate) added: bool,
}

/// Subscribes to address changes, then lists the addresses there are
/// (subscribed first, so that nothing between the two is missed: a change
/// may then be reported twice, which the caller tolerates). The watch runs
/// on the caller's runtime until the receiver is dropped. `monitor` and
/// `cmd` size the receive buffers of the two sockets
/// (`lvs_netlink_monitor_rcv_bufs`, `lvs_netlink_cmd_rcv_bufs`).
pub(crate) async fn watch_addresses(
    monitor: Option<super::RcvBuf>,
    cmd: Option<super::RcvBuf>,
) -> Result<(Vec<(u32, IpAddr)>, mpsc::UnboundedReceiver<AddrEvent>), NetlinkError> {
    use std::os::fd::AsFd as _;
    let (mut conn, _handle, mut messages) = rtnetlink::new_connection().map_err(io_error)?;
    super::set_rcvbuf(conn.socket_mut().socket_mut().as_fd(), monitor, "netlink monitor");
    conn.socket_mut().socket_mut().bind(&SocketAddr::new(0, IFADDR_GROUPS)).map_err(io_error)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let forward = async move {
            while let Some((msg, _)) = messages.next().await {
                let (m, added) = match msg.payload {
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(m)) => (m, true),
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(m)) => (m, false),
                    _ => continue,
                };
                let Some(addr) = super::monitor::address_of(&m) else { continue };
                if tx.send(AddrEvent { ifindex: m.header.index, addr, added }).is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            _ = conn => {}
            _ = forward => {}
        }
    });
    let (nl, dump_conn) = Netlink::connect_with(cmd).map_err(io_error)?;
    let dump = tokio::spawn(dump_conn);
    let now = nl.all_addresses().await;
    dump.abort();
    Ok((now?.into_iter().map(|a| (a.ifindex, a.addr)).collect(), rx))
}

fn io_error(e: std::io::Error) -> NetlinkError {
    NetlinkError::Other(crate::config::error::io_reason(&e))
}
