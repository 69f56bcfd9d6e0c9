//! rtnetlink I/O: interfaces, link changes and addresses (VIPs).
//!
//! This is a thin runtime layer: it speaks to the kernel and reports plain
//! results; what to add or remove is decided by the pure VRRP core.

mod addr;
mod link;
mod monitor;
mod snapshot;

pub use addr::{AddOutcome, AddrSpec, DelOutcome};
pub use link::LinkInfo;
pub use monitor::{LinkEvent, link_monitor};
pub use snapshot::{AddrEntry, LinkDetail};

use std::io;

/// A route-netlink connection. The connection task must be spawned on the
/// caller's runtime (`tokio::task::spawn_local` in the single-threaded children).
#[derive(Clone)]
pub struct Netlink {
    handle: rtnetlink::Handle,
}

impl Netlink {
    /// Opens a connection; returns the handle and the connection future to spawn.
    pub fn connect() -> io::Result<(Netlink, impl std::future::Future<Output = ()>)> {
        let (conn, handle, _) = rtnetlink::new_connection()?;
        Ok((Netlink { handle }, conn))
    }
}

/// Errors from the kernel or the connection.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    #[error("interface {0} not found")]
    NoSuchInterface(String),
    #[error("netlink: {0}")]
    Kernel(String),
}

impl From<rtnetlink::Error> for NetlinkError {
    fn from(e: rtnetlink::Error) -> Self {
        NetlinkError::Kernel(e.to_string())
    }
}

/// The kernel's errno of a failed request, if it was one.
fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}
