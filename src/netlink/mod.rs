//! rtnetlink I/O: interfaces, link changes and addresses (VIPs).
//!
//! This is a thin runtime layer: it speaks to the kernel and reports plain
//! results; what to add or remove is decided by the pure VRRP core.

mod addr;
mod addr_monitor;
mod link;
mod monitor;
mod route;
mod rule;
mod snapshot;
mod vmac;

pub use addr::{AddOutcome, AddrSpec, DelOutcome};
pub(crate) use addr_monitor::{AddrEvent, watch_addresses};
pub use link::LinkInfo;
pub use monitor::{LinkEvent, link_monitor, link_monitor_with};
pub use route::{Encap, HopSpec, RTPROT_KEEPALIVED, RouteAddMode, RouteSpec};
pub use rule::{RuleKind, RuleSpec};
pub use snapshot::{AddrEntry, LinkDetail};
pub use vmac::VlanKind;

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::StreamExt;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;

/// A route-netlink connection. The connection task must be spawned on the
/// caller's runtime (`tokio::task::spawn_local` in the single-threaded children).
#[derive(Clone)]
pub struct Netlink {
    handle: rtnetlink::Handle,
}

/// A netlink socket's receive buffer as configured
/// (`vrrp_netlink_cmd_rcv_bufs`, `..._monitor_...`, `process_monitor_rcv_bufs`
/// and their `_force`): SO_RCVBUF, or SO_RCVBUFFORCE to go beyond
/// net.core.rmem_max.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RcvBuf {
    pub bytes: u32,
    pub force: bool,
}

impl RcvBuf {
    /// The setting, when a size is configured.
    pub fn of(bytes: Option<u32>, force: bool) -> Option<RcvBuf> {
        bytes.filter(|b| *b > 0).map(|bytes| RcvBuf { bytes, force })
    }
}

/// Sets a socket's receive buffer; says so when the kernel refuses.
pub(crate) fn set_rcvbuf(fd: std::os::fd::BorrowedFd<'_>, rb: Option<RcvBuf>, what: &str) {
    let Some(rb) = rb else { return };
    let opt = if rb.force { libc::SO_RCVBUFFORCE } else { libc::SO_RCVBUF };
    let value = i32::try_from(rb.bytes).unwrap_or(i32::MAX);
    if let Err(e) = crate::sys::setsockopt_int(fd, libc::SOL_SOCKET, opt, value) {
        tracing::info!(
            "Cannot set {} on {what} socket to {} - {}",
            if rb.force { "SO_RCVBUFFORCE" } else { "SO_RCVBUF" },
            rb.bytes,
            crate::config::error::io_reason(&e)
        );
    }
}

impl Netlink {
    /// Opens a connection; returns the handle and the connection future to spawn.
    pub fn connect() -> io::Result<(Netlink, impl std::future::Future<Output = ()>)> {
        Self::connect_with(None)
    }

    /// [`Netlink::connect`] with the socket's receive buffer set.
    pub fn connect_with(rcvbuf: Option<RcvBuf>) -> io::Result<(Netlink, impl std::future::Future<Output = ()>)> {
        use netlink_sys::AsyncSocket as _;
        use std::os::fd::AsFd as _;
        let (mut conn, handle, _) = rtnetlink::new_connection()?;
        set_rcvbuf(conn.socket_mut().socket_mut().as_fd(), rcvbuf, "netlink command");
        Ok((Netlink { handle }, conn))
    }

    /// Sends one request and waits for the kernel's acknowledgement.
    pub(crate) async fn ack(&self, req: NetlinkMessage<RouteNetlinkMessage>) -> Result<(), NetlinkError> {
        let mut handle = self.handle.clone();
        let mut resp = handle.request(req).map_err(NetlinkError::from)?;
        while let Some(m) = resp.next().await {
            if let NetlinkPayload::Error(e) = m.payload {
                if e.code.is_some() {
                    return Err(NetlinkError::from(rtnetlink::Error::NetlinkError(e)));
                }
            }
        }
        Ok(())
    }
}

/// Sequence numbers for keepalived's "Netlink: error:" lines.
static SEQ: AtomicU32 = AtomicU32::new(1);

/// keepalived's line for a request the kernel refused:
/// `Netlink: error: Network is unreachable(101), type=RTM_NEWROUTE(24), seq=N, pid=0`.
pub(crate) fn error_line(e: &NetlinkError, kind: &str, kind_num: u16) -> String {
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    match e.errno() {
        Some(errno) => {
            let text = io::Error::from_raw_os_error(errno).to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            format!("Netlink: error: {text}({errno}), type={kind}({kind_num}), seq={seq}, pid=0")
        }
        None => format!("Netlink: error: {e}, type={kind}({kind_num}), seq={seq}, pid=0"),
    }
}

/// Errors from the kernel or the connection. A refusal by the kernel keeps
/// its errno, so that callers tell "already there" from "not there" from a
/// real failure without reading messages ([`NetlinkError::is_exists`],
/// [`NetlinkError::is_not_found`], ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetlinkError {
    #[error("interface {0} not found")]
    NoSuchInterface(String),
    /// The kernel answered the request with an error.
    #[error("netlink: {msg}")]
    Kernel {
        /// The positive errno (`libc::EEXIST`...).
        errno: i32,
        /// The error as rtnetlink words it.
        msg: String,
    },
    /// Anything else: the connection failed, or an answer was unexpected or
    /// could not be decoded.
    #[error("netlink: {0}")]
    Other(String),
}

impl NetlinkError {
    /// The kernel's errno, when the kernel refused the request.
    pub(crate) fn errno(&self) -> Option<i32> {
        match self {
            NetlinkError::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// EEXIST: what was to be added is already there (an address, a route,
    /// an IPVS service or destination).
    pub(crate) fn is_exists(&self) -> bool {
        self.errno() == Some(libc::EEXIST)
    }

    /// What was to be changed or removed is not there: ENOENT, ESRCH (routes,
    /// rules, IPVS services and destinations), EADDRNOTAVAIL (addresses),
    /// ENODEV or an interface that was looked up and not found.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, NetlinkError::NoSuchInterface(_))
            || matches!(self.errno(), Some(libc::ENOENT | libc::ESRCH | libc::EADDRNOTAVAIL | libc::ENODEV))
    }

    /// ENODEV, or an interface looked up by name that does not exist.
    pub(crate) fn is_no_device(&self) -> bool {
        matches!(self, NetlinkError::NoSuchInterface(_)) || self.errno() == Some(libc::ENODEV)
    }
}

impl From<rtnetlink::Error> for NetlinkError {
    fn from(e: rtnetlink::Error) -> Self {
        match &e {
            // The kernel sends a negative errno; `None` would be an ACK.
            rtnetlink::Error::NetlinkError(m) if m.raw_code() != 0 => {
                NetlinkError::Kernel { errno: m.raw_code().saturating_abs(), msg: e.to_string() }
            }
            _ => NetlinkError::Other(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroI32;

    use netlink_packet_core::ErrorMessage;

    use super::*;

    fn kernel(code: i32) -> NetlinkError {
        let mut m = ErrorMessage::default();
        m.code = NonZeroI32::new(code);
        NetlinkError::from(rtnetlink::Error::NetlinkError(m))
    }

    #[test]
    fn kernel_errors_keep_their_errno() {
        let e = kernel(-libc::EEXIST);
        assert_eq!(e.errno(), Some(libc::EEXIST));
        assert!(e.is_exists() && !e.is_not_found() && !e.is_no_device());
        // The text stays what it was (log lines carry it).
        assert_eq!(e.to_string(), "netlink: Received a netlink error message File exists (os error 17)");
        for errno in [libc::ENOENT, libc::ESRCH, libc::EADDRNOTAVAIL, libc::ENODEV] {
            let e = kernel(-errno);
            assert_eq!(e, NetlinkError::Kernel { errno, msg: e.to_string().replacen("netlink: ", "", 1) });
            assert!(e.is_not_found() && !e.is_exists(), "{errno}");
        }
        assert!(kernel(-libc::ENODEV).is_no_device());
        assert!(!kernel(-libc::ENOENT).is_no_device());
        let busy = kernel(-libc::EBUSY);
        assert_eq!(busy.errno(), Some(libc::EBUSY));
        assert!(!busy.is_exists() && !busy.is_not_found() && !busy.is_no_device());
    }

    #[test]
    fn other_errors_have_no_errno() {
        let ack = NetlinkError::from(rtnetlink::Error::NetlinkError(ErrorMessage::default()));
        assert_eq!(ack.errno(), None);
        let failed = NetlinkError::from(rtnetlink::Error::RequestFailed);
        assert_eq!(failed, NetlinkError::Other("A netlink request failed".into()));
        assert!(!failed.is_exists() && !failed.is_not_found());
        let missing = NetlinkError::NoSuchInterface("eth9".into());
        assert!(missing.is_not_found() && missing.is_no_device() && missing.errno().is_none());
    }

    #[test]
    fn receive_buffer_settings() {
        use std::os::fd::AsFd as _;
        assert_eq!(RcvBuf::of(None, true), None);
        assert_eq!(RcvBuf::of(Some(0), false), None, "0 keeps the system's default");
        assert_eq!(RcvBuf::of(Some(300_000), true), Some(RcvBuf { bytes: 300_000, force: true }));
        // SO_RCVBUF on a real socket: the kernel doubles what it grants, up
        // to net.core.rmem_max (SO_RCVBUFFORCE, as root, goes beyond it).
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        set_rcvbuf(s.as_fd(), RcvBuf::of(Some(4096), false), "test");
        assert_eq!(s.recv_buffer_size().unwrap(), 8192);
        set_rcvbuf(s.as_fd(), None, "test");
        assert_eq!(s.recv_buffer_size().unwrap(), 8192, "no setting leaves it alone");
    }
}
