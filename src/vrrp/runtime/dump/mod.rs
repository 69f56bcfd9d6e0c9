//! The VRRP child's dump files in the layout of Debian's keepalived 2.2.7:
//! `keepalived.data` (SIGUSR1: [`data`]), `keepalived.stats` (SIGUSR2:
//! [`stats`]) and `keepalived.json` (the JSON signal: [`json`], serde).
//!
//! Pure: the runtime gathers a [`DataView`] (its instances, sockets and the
//! interfaces it reads from the kernel at that moment) and these modules
//! format it. What comes from the configuration is prepared once per
//! (re)load into [`VrrpConf`] / [`InstanceConf`], so the runtime keeps only
//! that small part of the parsed model.
//!
//! What keepalived-rs does not run yet is shown as keepalived shows it
//! before it has run: track scripts never run (Result rise - 1, Init state
//! INIT, Status BAD), track files/processes/BFDs at their initial values.

mod conf;
mod data;
mod ipcfg;
mod json;
mod stats;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

pub(crate) use conf::{InstanceConf, PlainFacts, TrackLine, VrrpConf};
pub(crate) use data::data;
pub(crate) use ipcfg::Addr;
pub(crate) use json::json;
pub(crate) use stats::stats;

use crate::dump::Stamp;
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

/// What the dumps show of one running instance: its configuration
/// ([`InstanceConf`]) and its state now.
#[derive(Clone, Debug)]
pub(crate) struct InstanceView<'a> {
    pub conf: InstanceConf,
    pub version: timer::Version,
    pub state: State,
    /// The state the instance is heading for (a sync group may hold it back).
    pub wantstate: State,
    /// `None`: not configured.
    pub interface: Option<&'a str>,
    pub src_ip: Option<IpAddr>,
    pub mcast_dst: IpAddr,
    /// The interface index scoping an IPv6 multicast destination.
    pub mcast_ifindex: u32,
    pub unicast_peers: Vec<(IpAddr, u8, u8)>,
    pub vrid: u8,
    pub priority: u8,
    pub effective_priority: u8,
    pub advert_interval: Duration,
    pub master_adver_int: Duration,
    pub master_down: Duration,
    pub accept: bool,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    pub auth: &'a AuthConfig,
    pub master_router: Option<IpAddr>,
    pub master_priority: u8,
    pub vips: Vec<ipcfg::Addr>,
    pub evips: Vec<ipcfg::Addr>,
    /// The instance's vipset flag (keepalived.json `vipset`).
    pub vips_set: bool,
    /// Whether each VIP, then each eVIP, is on its interface (` set`).
    pub addr_set: Vec<bool>,
    pub last_transition: Stamp,
    /// The next timer of the instance; `None`: none armed.
    pub read_timeout: Option<Stamp>,
    /// Faults from the interface or trackers (keepalived's num_script_if_fault).
    pub num_if_faults: u32,
    /// The socket's descriptor (`None`: no socket, interface missing).
    pub fd: Option<i32>,
    pub stats: &'a Stats,
    /// GARP settings.
    pub garp: &'a crate::vrrp::fsm::GarpParams,
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub strict: bool,
    pub skip_check_adv_addr: bool,
    pub check_unicast_src: bool,
}

impl InstanceView<'_> {
    /// Whether address `n` (VIPs, then eVIPs) is on its interface.
    fn is_set(&self, n: usize) -> bool {
        self.addr_set.get(n).copied().unwrap_or(false)
    }
}

/// One shared socket (the "VRRP Sockpool" section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SockView {
    pub fd: i32,
    pub ifname: String,
    pub v6: bool,
    /// 51 (AH) or 112 (VRRP).
    pub proto: u8,
    /// The source address of a unicast socket.
    pub unicast_src: Option<IpAddr>,
    pub rx_buf_size: u32,
    /// `(instance, vrid)` in VRID order.
    pub members: Vec<(String, u8)>,
}

/// One interface of the namespace (the "Interfaces" section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InterfaceView {
    pub name: String,
    pub index: u32,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv4_more: Vec<Ipv4Addr>,
    /// The link-local IPv6 address keepalived uses.
    pub ipv6: Option<Ipv6Addr>,
    pub ipv6_more: Vec<Ipv6Addr>,
    pub mac: Vec<u8>,
    pub mac_broadcast: Vec<u8>,
    /// IFF_* flags.
    pub flags: u32,
    pub seen_up: bool,
    pub up_delay: Duration,
    pub down_delay: Duration,
    pub mtu: u32,
    /// ARPHRD_*.
    pub hw_type: u16,
    pub linkbeat_polling: bool,
    /// Whether IPv6 forwarding was on, and when it was last checked (for the
    /// router flag of unsolicited neighbour advertisements).
    pub gna_router_check: Option<(bool, Stamp)>,
    /// `(instance, weight, reverse)` of the instances that track it.
    pub tracking: Vec<(String, i32, bool)>,
}

/// Everything `keepalived.data` shows.
#[derive(Clone, Debug)]
pub(crate) struct DataView<'a> {
    /// The "Global definitions" section (see [`crate::dump::global`]).
    pub global: String,
    pub conf: &'a VrrpConf,
    /// Whether each static address is on its interface now.
    pub static_set: Vec<bool>,
    /// Instances in configuration order.
    pub instances: Vec<InstanceView<'a>>,
    pub sockets: Vec<SockView>,
    /// The state of each sync group (same order as in `conf`).
    pub sync_group_states: Vec<State>,
    pub interfaces: Vec<InterfaceView>,
    /// Per interface, when the next gratuitous ARP/NA may go.
    pub garp_next: Vec<(String, Stamp)>,
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Init => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

/// keepalived's numbers for the states in keepalived.json (INIT 0 ... FAULT 3).
fn state_number(state: State) -> u8 {
    match state {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

/// The stats file's error counters, keepalived's groupings of our refusal reasons.
struct ErrorCounts {
    length: u64,
    ttl: u64,
    invalid_type: u64,
    interval: u64,
    addr_list: u64,
    invalid_authtype: u64,
    authtype_mismatch: u64,
    auth_failure: u64,
}

impl ErrorCounts {
    fn of(st: &Stats) -> Self {
        ErrorCounts {
            length: st.count(&[
                DropReason::TooShort(0),
                DropReason::BadLength { got: 0, expected: 0 },
                DropReason::IpLengthMismatch { ip_len: 0, got: 0 },
            ]),
            ttl: st.count(&[DropReason::BadTtl(0)]),
            invalid_type: st.count(&[DropReason::BadType(0)]),
            interval: st.count(&[DropReason::IntervalMismatch { mine: 0, got: 0 }]),
            addr_list: st.count(&[
                DropReason::AddressCountMismatch { got: 0, expected: 0 },
                DropReason::AddressListMismatch(IpAddr::from([0, 0, 0, 0])),
            ]),
            invalid_authtype: st.count(&[DropReason::BadAuthType(0)]),
            authtype_mismatch: st.count(&[DropReason::AuthTypeMismatch { got: 0, expected: 0 }]),
            auth_failure: st.count(&[
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
            ]),
        }
    }
}

/// The password of PASS and AH authentication as keepalived stores it (up to
/// 8 bytes, NUL-padded), printed up to the first NUL.
fn auth_text(auth: &AuthConfig) -> Option<String> {
    let key = match auth {
        AuthConfig::None => return None,
        AuthConfig::Pass(k) | AuthConfig::Ah(k) => k,
    };
    let end = key.iter().position(|b| *b == 0).unwrap_or(key.len());
    Some(String::from_utf8_lossy(key.get(..end).unwrap_or_default()).into_owned())
}
