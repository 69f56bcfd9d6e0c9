//! keepalived.stats: one block per instance, as keepalived 2.2.7 writes it.

use super::{ErrorCounts, Stats};
use crate::dump::{Lines, line};

/// The file's text.
pub(crate) fn stats<'a>(instances: impl Iterator<Item = (&'a str, &'a Stats)>) -> String {
    let mut out = Lines::default();
    for (name, st) in instances {
        let e = ErrorCounts::of(st);
        line!(out, "VRRP Instance: {name}");
        line!(out, "  Advertisements:");
        line!(out, "    Received: {}", st.adverts_rcvd);
        line!(out, "    Sent: {}", st.adverts_sent);
        line!(out, "  Became master: {}", st.became_master);
        line!(out, "  Released master: {}", st.released_master);
        line!(out, "  Packet Errors:");
        line!(out, "    Length: {}", e.length);
        line!(out, "    TTL: {}", e.ttl);
        line!(out, "    Invalid Type: {}", e.invalid_type);
        line!(out, "    Advertisement Interval: {}", e.interval);
        line!(out, "    Address List: {}", e.addr_list);
        line!(out, "  Authentication Errors:");
        line!(out, "    Invalid Type: {}", e.invalid_authtype);
        line!(out, "    Type Mismatch: {}", e.authtype_mismatch);
        line!(out, "    Failure: {}", e.auth_failure);
        line!(out, "  Priority Zero:");
        line!(out, "    Received: {}", st.pri_zero_rcvd);
        line!(out, "    Sent: {}", st.pri_zero_sent);
    }
    out.0
}
