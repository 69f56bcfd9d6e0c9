//! keepalived_check.stats (pure text): the traffic counters of the virtual
//! and real servers as the kernel counts them (a virtual server spread over
//! several kernel services sums them). keepalived_check.data is
//! [`crate::dump::check`]'s, filled by [`super::report`].

use std::collections::HashMap;
use std::fmt::Write as _;

use super::model::{RsSpec, VsSpec, VsView};
use super::table::{DestEntry, ServiceEntry, ServiceKey, Stats};

/// Counters of one virtual server and its real servers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct VsCounters {
    pub(crate) name: String,
    pub(crate) stats: Stats,
    /// Each real server (then the sorry server, if any): name, active,
    /// inactive and persistent connections, counters.
    pub(crate) rs: Vec<(String, [u32; 3], Stats)>,
}

/// Sums the kernel's counters per virtual server and real server.
pub(crate) fn counters(
    views: &[VsView<'_>],
    services: &HashMap<ServiceKey, ServiceEntry>,
    dests: &HashMap<ServiceKey, Vec<DestEntry>>,
) -> Vec<VsCounters> {
    views
        .iter()
        .map(|v| {
            let spec = v.spec;
            let mut c = VsCounters { name: spec.name.clone(), ..VsCounters::default() };
            let servers: Vec<&RsSpec> = spec.real_servers.iter().chain(spec.sorry.iter()).collect();
            c.rs = servers.iter().map(|r| (r.name(), [0; 3], Stats::default())).collect();
            for svc in &spec.services {
                if let Some(s) = services.get(svc) {
                    c.stats.add(&s.stats);
                }
                for d in dests.get(svc).map(Vec::as_slice).unwrap_or(&[]) {
                    if let Some(i) = servers.iter().position(|r| VsSpec::dest_key(r, svc) == d.key)
                        && let Some((_, conns, st)) = c.rs.get_mut(i)
                    {
                        conns[0] = conns[0].saturating_add(d.active_conns);
                        conns[1] = conns[1].saturating_add(d.inact_conns);
                        conns[2] = conns[2].saturating_add(d.persist_conns);
                        st.add(&d.stats);
                    }
                }
            }
            c
        })
        .collect()
}

fn stats_lines(out: &mut String, indent: &str, s: &Stats) {
    let _ = writeln!(out, "{indent}Connections scheduled = {}", s.conns);
    let _ = writeln!(out, "{indent}Packets in = {}, out = {}", s.inpkts, s.outpkts);
    let _ = writeln!(out, "{indent}Bytes in = {}, out = {}", s.inbytes, s.outbytes);
    let _ = writeln!(
        out,
        "{indent}Rates: {} conn/s, {}/{} packets/s, {}/{} bytes/s in/out",
        s.cps, s.inpps, s.outpps, s.inbps, s.outbps
    );
}

/// keepalived_check.stats: the counters alone.
pub(crate) fn stats(counters: &[VsCounters], reloads: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Configuration reloads: {reloads}");
    for c in counters {
        let _ = writeln!(out, "VS {}", c.name);
        stats_lines(&mut out, "  ", &c.stats);
        for (name, conns, st) in &c.rs {
            let _ = writeln!(out, "  RS {name}");
            let _ = writeln!(
                out,
                "    Active connections = {}, inactive = {}, persistent = {}",
                conns[0], conns[1], conns[2]
            );
            stats_lines(&mut out, "    ", st);
        }
    }
    out
}
