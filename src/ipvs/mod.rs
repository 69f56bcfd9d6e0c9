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
//! - [`diff`]: from the kernel's table to the wanted one, in order;
//! - [`suspend`]: `ha_suspend`, which virtual servers' checkers probe.
//!
//! I/O: [`kernel`] (the channel to the kernel, genl or socket options),
//! [`runtime`] (the checker child's loop, which owns the table),
//! [`syncd`] (the connection-sync daemon, run by whichever child keepalived
//! runs it from), [`dump`] (keepalived_check.data / .stats), [`scripts`]
//! (quorum_up/quorum_down and notify_up/notify_down through the shared
//! script runner).

pub(crate) mod diff;
pub(crate) mod dump;
pub(crate) mod genl;
pub(crate) mod kernel;
pub(crate) mod model;
pub(crate) mod nla;
pub(crate) mod report;
pub(crate) mod runtime;
pub(crate) mod scripts;
pub(crate) mod sockopt;
pub(crate) mod suspend;
pub(crate) mod syncd;
pub(crate) mod table;

/// Decodes arbitrary bytes as every kind of kernel reply the runtime reads
/// (generic netlink with `family` as the IPVS family id, and the socket
/// options' structs); returns how many items decoded. For the fuzz target
/// (fuzz/fuzz_targets/ipvs_reply.rs): whatever the bytes, no panic.
#[doc(hidden)]
pub fn decode_any(family: u16, data: &[u8]) -> usize {
    let mut n = 0;
    for r in genl::replies(family, data) {
        let Ok(genl::Reply::Data { attrs, .. }) = r else { continue };
        n += usize::from(genl::decode_service(attrs).is_ok());
        n += usize::from(genl::decode_dest(attrs, table::AF_INET).is_ok());
        n += usize::from(genl::decode_dest(attrs, table::AF_INET6).is_ok());
        n += usize::from(genl::decode_daemon(attrs).is_ok());
        n += usize::from(genl::decode_timeouts(attrs).is_ok());
        n += usize::from(genl::decode_info(attrs).is_ok());
    }
    if let Some(m) = nla::messages(data).next().and_then(Result::ok) {
        n += usize::from(genl::family_id(m.payload).is_ok());
    }
    n += sockopt::decode_services(data).map(|v| v.len()).unwrap_or(0);
    n += sockopt::decode_dests(data).map(|v| v.len()).unwrap_or(0);
    n += sockopt::decode_daemons(data).map(|v| v.len()).unwrap_or(0);
    n += usize::from(sockopt::decode_info(data).is_ok());
    n += usize::from(sockopt::decode_timeouts(data).is_ok());
    n
}
