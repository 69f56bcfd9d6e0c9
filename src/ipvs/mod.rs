//! IPVS, the load-balancer half of keepalived: the kernel's virtual server
//! table, programmed from the `virtual_server` blocks.
//!
//! Pure code:
//! - [`nla`], [`genl`]: the generic-netlink codec of the kernel's "IPVS"
//!   family (tested byte for byte against replies captured from a kernel);
//!   [`sockopt`]: the older `IP_VS_SO_*` socket-option structs;
//! - [`table`]: services and destinations as the kernel keys them;
//! - [`model`]: the director, from configuration and real-server verdicts
//!   to the table the kernel should hold (quorum, sorry server, inhibit);
//! - [`diff`]: from the kernel's table to the wanted one, in order.
//!
//! I/O: [`kernel`] (the channel to the kernel, genl or socket options),
//! [`runtime`] (the checker child's loop, which owns the table),
//! [`syncd`] (the connection-sync daemon, run by whichever child keepalived
//! runs it from), [`dump`] (keepalived_check.data / .stats).

pub(crate) mod diff;
pub(crate) mod dump;
pub(crate) mod genl;
pub(crate) mod kernel;
pub(crate) mod model;
pub(crate) mod nla;
pub(crate) mod runtime;
pub(crate) mod sockopt;
pub(crate) mod syncd;
pub(crate) mod table;
