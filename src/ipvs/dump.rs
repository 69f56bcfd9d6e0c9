//! keepalived_check.data and keepalived_check.stats (pure text): the
//! virtual and real servers as the director runs them, in the shape of
//! keepalived's dump, and their traffic counters as the kernel counts them
//! (a virtual server spread over several kernel services sums them).

use std::collections::HashMap;
use std::fmt::Write as _;

use super::model::{RsSpec, VsSpec, VsView};
use super::table::{Daemon, DestEntry, Info, ServiceEntry, ServiceKey, Stats, fwd, svc_flags, tun};

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

fn fwd_line(a: &super::table::DestAttrs) -> String {
    match a.fwd {
        fwd::MASQ => "NAT".to_owned(),
        fwd::DROUTE => "DR".to_owned(),
        fwd::TUNNEL => {
            let csum = match a.tun_flags {
                0 => ", no checksum",
                tun::F_CSUM => ", checksum",
                tun::F_REMCSUM => ", remote checksum",
                _ => ", unknown checksum type",
            };
            match a.tun_type {
                tun::IPIP => "TUN, type = IPIP".to_owned(),
                tun::GUE => format!("TUN, type = GUE, port = {}{csum}", a.tun_port),
                _ => format!("TUN, type = GRE{csum}"),
            }
        }
        fwd::LOCALNODE => "LOCAL".to_owned(),
        x => format!("{x}"),
    }
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

/// keepalived_check.data: what runs, with the kernel's counters.
pub(crate) fn data(
    views: &[VsView<'_>],
    counters: &[VsCounters],
    interface: &str,
    info: Option<&Info>,
    daemons: &[Daemon],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "------< LVS Topology >------");
    if let Some(i) = info {
        let v = i.version;
        let _ = writeln!(
            out,
            " System is compiled with LVS v{}.{}.{} (size={})",
            (v >> 16) & 0xff,
            (v >> 8) & 0xff,
            v & 0xff,
            i.conn_tab_size
        );
    }
    let _ = writeln!(out, " IPVS interface = {interface}");
    for d in daemons {
        let _ = writeln!(out, " Sync daemon {} on {}, syncid {}", d.state.name(), d.ifname, d.syncid);
    }
    for (v, c) in views.iter().zip(counters.iter().map(Some).chain(std::iter::repeat(None))) {
        let s = v.spec;
        let _ = writeln!(out, " ------< Virtual server >------");
        match &s.group {
            Some(_) => {
                let _ = writeln!(out, " VS GROUP = {}", s.name);
            }
            None => match s.services.first() {
                Some(k) if k.fwmark != 0 => {
                    let _ = writeln!(out, " VS FWMARK = {}", k.fwmark);
                }
                Some(k) => {
                    let _ = writeln!(out, " VS VIP = {}, VPORT = {}", k.addr, k.port);
                }
                None => {}
            },
        }
        let _ = writeln!(out, "   lvs_sched = {}", s.attrs.sched);
        let _ = writeln!(
            out,
            "   One packet scheduling = {}abled",
            if s.attrs.flags & svc_flags::ONEPACKET != 0 { "en" } else { "dis" }
        );
        if s.attrs.timeout > 0 {
            let _ = writeln!(out, "   persistence timeout = {}", s.attrs.timeout);
        }
        if !s.attrs.pe_name.is_empty() {
            let _ = writeln!(out, "   persistence engine = {}", s.attrs.pe_name);
        }
        let _ = writeln!(out, "   quorum = {}, hysteresis = {}", s.quorum, s.hysteresis);
        if let Some(ss) = &s.sorry {
            let _ = writeln!(out, "   sorry server = {}", ss.name());
            let _ = writeln!(out, "     forwarding method = {}", fwd_line(&ss.attrs));
            let _ = writeln!(out, "     Inhibit on failure is {}", if ss.inhibit { "ON" } else { "OFF" });
            let _ = writeln!(out, "     in use = {}", u8::from(v.sorry_active));
        }
        let _ = writeln!(out, "   quorum_state_up = {}", u8::from(v.quorum_up));
        let _ = writeln!(out, "   kernel services = {}", s.services.len());
        if let Some(c) = c {
            stats_lines(&mut out, "   ", &c.stats);
        }
        for (i, (r, alive, weight, set)) in v.rs.iter().enumerate() {
            let _ = writeln!(out, "   ------< Real server >------");
            let real = (*weight).clamp(0, i64::from(i32::MAX));
            let _ = writeln!(
                out,
                "   RIP = {}, RPORT = {}, WEIGHT = {real} EFF WEIGHT = {weight}",
                r.addr.ip(),
                r.addr.port()
            );
            let _ = writeln!(out, "   forwarding method = {}", fwd_line(&r.attrs));
            let _ = writeln!(out, "   connection limit range = {} -> {}", r.attrs.l_thresh, r.attrs.u_thresh);
            let _ = writeln!(out, "   Inhibit on failure is {}", if r.inhibit { "ON" } else { "OFF" });
            let _ = writeln!(out, "   Alpha is {}", if r.alpha { "ON" } else { "OFF" });
            let _ = writeln!(out, "   alive = {}", u8::from(*alive));
            let _ = writeln!(out, "   RS set = {}", u8::from(*set));
            if let Some((_, conns, st)) = c.and_then(|c| c.rs.get(i)) {
                let _ = writeln!(
                    out,
                    "   Active connections = {}, inactive = {}, persistent = {}",
                    conns[0], conns[1], conns[2]
                );
                stats_lines(&mut out, "   ", st);
            }
        }
    }
    out
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
