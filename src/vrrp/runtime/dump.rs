//! `keepalived.data` (SIGUSR1) and `keepalived.stats` (SIGUSR2) in the
//! layout of Debian's keepalived 2.2.7, with the fields we have. Pure text.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use crate::vrrp::auth::AuthConfig;
use crate::vrrp::fsm::State;
use crate::vrrp::packet::{DropCounters, DropReason};
use crate::vrrp::timer;

/// Per-instance counters, named as keepalived's stats file names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub adverts_rcvd: u64,
    pub adverts_sent: u64,
    pub became_master: u64,
    pub released_master: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// Every refused advert by reason.
    pub drops: DropCounters,
}

impl Stats {
    fn count(&self, reasons: &[DropReason]) -> u64 {
        reasons.iter().fold(0u64, |a, r| a.saturating_add(self.drops.get(r)))
    }
}

/// What the data dump shows of one instance.
#[derive(Clone, Debug)]
pub(crate) struct InstanceView<'a> {
    pub name: &'a str,
    pub version: timer::Version,
    pub state: State,
    pub interface: &'a str,
    pub src_ip: Option<IpAddr>,
    pub mcast_dst: IpAddr,
    pub unicast_peers: Vec<IpAddr>,
    pub vrid: u8,
    pub priority: u8,
    pub effective_priority: u8,
    pub advert_interval: Duration,
    pub master_down: Duration,
    pub accept: bool,
    pub nopreempt: bool,
    pub auth: &'a AuthConfig,
    pub master_router: Option<IpAddr>,
    pub master_priority: u8,
    pub vips: Vec<String>,
    pub evips: Vec<String>,
    pub vips_set: bool,
}

fn enabled(b: bool) -> &'static str {
    if b { "enabled" } else { "disabled" }
}

fn interval(version: timer::Version, d: Duration) -> String {
    match version {
        timer::Version::V2 => format!("{} sec", d.as_secs()),
        timer::Version::V3 => format!("{} milli-sec", d.as_millis()),
    }
}

/// The `VRRP Topology` part of keepalived.data.
pub(crate) fn data(instances: &[InstanceView<'_>], unknown_vrids: u64) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "------< VRRP Topology >------");
    for i in instances {
        let _ = writeln!(s, " VRRP Instance = {}", i.name);
        let _ = writeln!(s, "   VRRP Version = {}", i.version.number());
        let _ = writeln!(s, "   State = {}", i.state);
        if i.state == State::Backup {
            if let Some(m) = i.master_router {
                let _ = writeln!(s, "   Master router = {m}");
                let _ = writeln!(s, "   Master priority = {}", i.master_priority);
            }
        }
        let _ = writeln!(s, "   Master down timer = {} usecs", i.master_down.as_micros());
        let _ = writeln!(s, "   Interface = {}", i.interface);
        if let Some(ip) = i.src_ip {
            let _ = writeln!(s, "   Using src_ip = {ip}");
        }
        if i.unicast_peers.is_empty() {
            let _ = writeln!(s, "   Multicast address {}", i.mcast_dst);
        } else {
            let _ = writeln!(s, "   Unicast Peer(s):");
            for p in &i.unicast_peers {
                let _ = writeln!(s, "     {p}");
            }
        }
        let _ = writeln!(s, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(s, "   Priority = {}", i.priority);
        let _ = writeln!(s, "   Effective priority = {}", i.effective_priority);
        let _ = writeln!(s, "   Advert interval = {}", interval(i.version, i.advert_interval));
        let _ = writeln!(s, "   Accept = {}", enabled(i.accept));
        let _ = writeln!(s, "   Preempt = {}", enabled(!i.nopreempt));
        let auth = match i.auth {
            AuthConfig::None => "none",
            AuthConfig::Pass(_) => "SIMPLE_PASSWORD",
            AuthConfig::Ah(_) => "IPSEC_AH",
        };
        let _ = writeln!(s, "   Authentication type = {auth}");
        let set = if i.vips_set { " set" } else { "" };
        let _ = writeln!(s, "   Virtual IP ({}):", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(s, "     {v}{set}");
        }
        if !i.evips.is_empty() {
            let _ = writeln!(s, "   Virtual IP Excluded :");
            for v in &i.evips {
                let _ = writeln!(s, "     {v}{set}");
            }
        }
    }
    let _ = writeln!(s, " Unknown VRID adverts received = {unknown_vrids}");
    s
}

/// keepalived.stats: one block per instance.
pub(crate) fn stats<'a>(instances: impl Iterator<Item = (&'a str, &'a Stats)>) -> String {
    let mut s = String::new();
    for (name, st) in instances {
        let length = st.count(&[
            DropReason::TooShort(0),
            DropReason::BadLength { got: 0, expected: 0 },
            DropReason::IpLengthMismatch { ip_len: 0, got: 0 },
        ]);
        let addr_list = st.count(&[
            DropReason::AddressCountMismatch { got: 0, expected: 0 },
            DropReason::AddressListMismatch(IpAddr::from([0, 0, 0, 0])),
        ]);
        let auth_failure = st.count(&[
            DropReason::AuthFailure,
            DropReason::AhIcvMismatch,
            DropReason::AhBadSpi,
            DropReason::AhSeqReplay { seq: 0, last: 0 },
            DropReason::HmacMissing,
            DropReason::HmacMalformed,
            DropReason::HmacUnknownKey(0),
            DropReason::HmacBad,
            DropReason::HmacStale(0),
            DropReason::HmacReplay,
        ]);
        let _ = writeln!(s, "VRRP Instance: {name}");
        let _ = writeln!(s, "  Advertisements:");
        let _ = writeln!(s, "    Received: {}", st.adverts_rcvd);
        let _ = writeln!(s, "    Sent: {}", st.adverts_sent);
        let _ = writeln!(s, "  Became master: {}", st.became_master);
        let _ = writeln!(s, "  Released master: {}", st.released_master);
        let _ = writeln!(s, "  Packet Errors:");
        let _ = writeln!(s, "    Length: {length}");
        let _ = writeln!(s, "    TTL: {}", st.count(&[DropReason::BadTtl(0)]));
        let _ = writeln!(s, "    Invalid Type: {}", st.count(&[DropReason::BadType(0)]));
        let _ = writeln!(
            s,
            "    Advertisement Interval: {}",
            st.count(&[DropReason::IntervalMismatch { mine: 0, got: 0 }])
        );
        let _ = writeln!(s, "    Address List: {addr_list}");
        let _ = writeln!(s, "  Authentication Errors:");
        let _ = writeln!(s, "    Invalid Type: {}", st.count(&[DropReason::BadAuthType(0)]));
        let _ = writeln!(s, "    Type Mismatch: {}", st.count(&[DropReason::AuthTypeMismatch { got: 0, expected: 0 }]));
        let _ = writeln!(s, "    Failure: {auth_failure}");
        let _ = writeln!(s, "  Priority Zero:");
        let _ = writeln!(s, "    Received: {}", st.pri_zero_rcvd);
        let _ = writeln!(s, "    Sent: {}", st.pri_zero_sent);
    }
    s
}

/// A JSON string literal.
fn js(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// keepalived.json: an array of `{"data": {...}, "stats": {...}}` per instance.
pub(crate) fn json<'a>(instances: &[InstanceView<'_>], stats: impl Iterator<Item = &'a Stats>) -> String {
    let mut items = Vec::new();
    for (i, st) in instances.iter().zip(stats) {
        let vips: Vec<String> = i.vips.iter().map(|v| js(v)).collect();
        let evips: Vec<String> = i.evips.iter().map(|v| js(v)).collect();
        items.push(format!(
            "{{\"data\":{{\"iname\":{},\"ifp_ifname\":{},\"vrid\":{},\"state\":{},\"base_priority\":{},\
             \"effective_priority\":{},\"vips\":[{}],\"evips\":[{}]}},\"stats\":{{\"advert_rcvd\":{},\
             \"advert_sent\":{},\"become_master\":{},\"release_master\":{},\"pri_zero_rcvd\":{},\
             \"pri_zero_sent\":{}}}}}",
            js(i.name),
            js(i.interface),
            i.vrid,
            js(&i.state.to_string()),
            i.priority,
            i.effective_priority,
            vips.join(","),
            evips.join(","),
            st.adverts_rcvd,
            st.adverts_sent,
            st.became_master,
            st.released_master,
            st.pri_zero_rcvd,
            st.pri_zero_sent,
        ));
    }
    format!("[{}]\n", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_layout_matches_keepalived() {
        let mut st = Stats { adverts_rcvd: 3, adverts_sent: 8, became_master: 1, ..Stats::default() };
        st.drops.bump(&DropReason::AuthFailure);
        st.drops.bump(&DropReason::AhIcvMismatch);
        st.drops.bump(&DropReason::BadLength { got: 1, expected: 2 });
        let text = stats([("VI_1", &st)].into_iter());
        let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 3\n    Sent: 8\n  Became master: 1\n  \
                    Released master: 0\n  Packet Errors:\n    Length: 1\n    TTL: 0\n    Invalid Type: 0\n    \
                    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    \
                    Type Mismatch: 0\n    Failure: 2\n  Priority Zero:\n    Received: 0\n    Sent: 0\n";
        assert_eq!(text, want);
    }

    #[test]
    fn data_names_state_and_vips() {
        let auth = AuthConfig::pass("x");
        let v = InstanceView {
            name: "VI_1",
            version: timer::Version::V3,
            state: State::Backup,
            interface: "eth0",
            src_ip: Some("10.0.0.1".parse().expect("ip")),
            mcast_dst: "224.0.0.18".parse().expect("ip"),
            unicast_peers: vec![],
            vrid: 51,
            priority: 100,
            effective_priority: 100,
            advert_interval: Duration::from_millis(100),
            master_down: Duration::from_micros(360_937),
            accept: true,
            nopreempt: false,
            auth: &auth,
            master_router: Some("10.0.0.2".parse().expect("ip")),
            master_priority: 150,
            vips: vec!["10.0.0.100/24 dev eth0 scope global".into()],
            evips: vec![],
            vips_set: false,
        };
        let d = data(&[v], 2);
        assert!(d.contains(" VRRP Instance = VI_1\n   VRRP Version = 3\n   State = BACKUP\n"), "{d}");
        assert!(d.contains("   Master router = 10.0.0.2\n   Master priority = 150\n"), "{d}");
        assert!(d.contains("   Advert interval = 100 milli-sec\n"), "{d}");
        assert!(d.contains("   Virtual IP (1):\n     10.0.0.100/24 dev eth0 scope global\n"), "{d}");
        assert!(d.contains("Unknown VRID adverts received = 2"), "{d}");
        // The password stays out of the file.
        assert!(!d.contains("Password"), "{d}");
    }
}
