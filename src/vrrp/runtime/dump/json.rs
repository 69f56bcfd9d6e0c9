//! keepalived.json, written with serde: the member names, order and value
//! types keepalived writes, so that parsers (the Prometheus exporters) read
//! it unchanged.
//!
//! - `json_version 1` (the default): keepalived 2.2.7's top-level array of
//!   `{"data": {...}, "stats": {...}}`, one per instance.
//! - `json_version 2`: keepalived 2.4's object `{"vrrp": [...]}`, with the
//!   instances' tracked processes in `data.track_process` and the
//!   `track_process` array of the processes themselves beside `vrrp`.
//!
//! Numbers keepalived prints with `%g` (intervals in seconds) and `%f`
//! (`last_transition`) are given the same text through a raw JSON value;
//! everything else is plain serde. The one byte-level difference: keepalived
//! escapes `/` as `\/` in strings, serde_json does not (both decode the same).

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::conf::{TrackProcessConf, VrrpConf};
use super::{ErrorCounts, InstanceView, Stats, auth_text, state_number};
use crate::dump::fmt_g;
use crate::vrrp::auth::AuthConfig;

/// A number printed as `printf("%g")` prints it.
struct G(f64);

impl Serialize for G {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        raw(&fmt_g(self.0), s)
    }
}

/// A number printed as `printf("%f")` prints it (six decimals).
struct F6(f64);

impl Serialize for F6 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        raw(&format!("{:.6}", self.0), s)
    }
}

fn raw<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    match RawValue::from_string(text.to_owned()) {
        Ok(v) => v.serialize(s),
        Err(e) => Err(serde::ser::Error::custom(e)),
    }
}

#[derive(Serialize)]
struct Data<'a> {
    iname: &'a str,
    dont_track_primary: u8,
    skip_check_adv_addr: u8,
    strict_mode: u8,
    vmac_ifname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ifp_ifname: Option<&'a str>,
    master_priority: u8,
    last_transition: F6,
    garp_delay: G,
    garp_refresh: u64,
    garp_rep: u32,
    garp_refresh_rep: u32,
    garp_lower_prio_delay: u64,
    garp_lower_prio_rep: u32,
    lower_prio_no_advert: u8,
    higher_prio_send_advert: u8,
    vrid: u8,
    base_priority: u8,
    effective_priority: u8,
    vipset: bool,
    promote_secondaries: bool,
    adver_int: G,
    master_adver_int: G,
    accept: u8,
    nopreempt: bool,
    preempt_delay: u64,
    state: u8,
    wantstate: u8,
    version: u8,
    smtp_alert: bool,
    notify_deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_backup: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_master: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_fault: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_stop: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_deleted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    script: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    script_master_rx_lower_pri: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vips: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evips: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vroutes: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vrules: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    track_ifp: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    track_script: Vec<&'a str>,
    /// Written by json_version 2 only (keepalived 2.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    track_process: Option<Vec<&'a str>>,
    auth_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_data: Option<String>,
}

#[derive(Serialize)]
struct StatsJson {
    advert_rcvd: u64,
    advert_sent: u64,
    become_master: u64,
    release_master: u64,
    packet_len_err: u64,
    advert_interval_err: u64,
    ip_ttl_err: u64,
    invalid_type_rcvd: u64,
    addr_list_err: u64,
    invalid_authtype: u64,
    authtype_mismatch: u64,
    auth_failure: u64,
    pri_zero_rcvd: u64,
    pri_zero_sent: u64,
}

#[derive(Serialize)]
struct Entry<'a> {
    data: Data<'a>,
    stats: StatsJson,
}

#[derive(Serialize)]
struct TrackProcess<'a> {
    process: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<&'a str>,
    param_match: &'static str,
    min_processes: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_processes: Option<u32>,
    current_processes: u32,
    have_quorum: bool,
    weight: i32,
    terminate_delay: G,
    fork_delay: G,
    fork_delay_timer_running: bool,
    terminate_delay_timer_running: bool,
    full_command: bool,
}

#[derive(Serialize)]
struct Version2<'a> {
    vrrp: Vec<Entry<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    track_process: Vec<TrackProcess<'a>>,
}

fn stats_json(st: &Stats) -> StatsJson {
    let e = ErrorCounts::of(st);
    StatsJson {
        advert_rcvd: st.adverts_rcvd,
        advert_sent: st.adverts_sent,
        become_master: st.became_master,
        release_master: st.released_master,
        packet_len_err: e.length,
        advert_interval_err: e.interval,
        ip_ttl_err: e.ttl,
        invalid_type_rcvd: e.invalid_type,
        addr_list_err: e.addr_list,
        invalid_authtype: e.invalid_authtype,
        authtype_mismatch: e.authtype_mismatch,
        auth_failure: e.auth_failure,
        pri_zero_rcvd: st.pri_zero_rcvd,
        pri_zero_sent: st.pri_zero_sent,
    }
}

fn entry<'a>(i: &'a InstanceView<'a>, v2: bool) -> Entry<'a> {
    let c = &i.conf;
    let script = |s: &'a Option<super::conf::ScriptLine>| s.as_ref().map(|s| s.cmd.as_str());
    let n = &c.notify;
    let set = i.vips_set;
    Entry {
        data: Data {
            iname: &c.name,
            dont_track_primary: u8::from(c.dont_track_primary),
            skip_check_adv_addr: u8::from(i.skip_check_adv_addr),
            strict_mode: u8::from(i.strict),
            vmac_ifname: "",
            ifp_ifname: i.interface,
            master_priority: i.master_priority,
            last_transition: F6(i.last_transition.as_f64()),
            garp_delay: G(i.garp.master_delay.as_secs_f64()),
            garp_refresh: i.garp.master_refresh.as_secs(),
            garp_rep: i.garp.master_repeat,
            garp_refresh_rep: i.garp.master_refresh_repeat,
            garp_lower_prio_delay: i.garp.lower_prio_delay.as_secs(),
            garp_lower_prio_rep: i.garp.lower_prio_repeat,
            lower_prio_no_advert: u8::from(i.lower_prio_no_advert),
            higher_prio_send_advert: u8::from(i.higher_prio_send_advert),
            vrid: i.vrid,
            base_priority: i.priority,
            effective_priority: i.effective_priority,
            vipset: set,
            promote_secondaries: c.promote_secondaries,
            adver_int: G(i.advert_interval.as_secs_f64()),
            master_adver_int: G(i.master_adver_int.as_secs_f64()),
            accept: u8::from(i.accept),
            nopreempt: i.nopreempt,
            preempt_delay: i.preempt_delay.as_secs(),
            state: state_number(i.state),
            wantstate: state_number(i.wantstate),
            version: i.version.number(),
            smtp_alert: c.smtp_alert,
            notify_deleted: c.notify_deleted,
            script_backup: script(&n.backup),
            script_master: script(&n.master),
            script_fault: script(&n.fault),
            script_stop: script(&n.stop),
            script_deleted: script(&n.deleted),
            script: script(&n.generic),
            script_master_rx_lower_pri: script(&n.master_rx_lower_pri),
            vips: i.vips.iter().enumerate().map(|(n, a)| a.line(i.is_set(n))).collect(),
            evips: i.evips.iter().enumerate().map(|(n, a)| a.line(i.is_set(i.vips.len() + n))).collect(),
            vroutes: c.vroutes.iter().map(String::as_str).collect(),
            vrules: c.vrules.iter().map(String::as_str).collect(),
            track_ifp: c.track_ifs.iter().map(|t| t.name.as_str()).collect(),
            track_script: c.track_script_cmds.iter().map(String::as_str).collect(),
            track_process: (v2 && !c.track_processes.is_empty())
                .then(|| c.track_processes.iter().map(|t| t.name.as_str()).collect()),
            auth_type: match i.auth {
                AuthConfig::None => 0,
                AuthConfig::Pass(_) => 1,
                AuthConfig::Ah(_) => 2,
            },
            auth_data: auth_text(i.auth),
        },
        stats: stats_json(i.stats),
    }
}

fn track_process(p: &TrackProcessConf) -> TrackProcess<'_> {
    TrackProcess {
        process: &p.process,
        parameters: p.params.as_deref(),
        param_match: match p.param_match {
            None => "none",
            Some("") => "exact",
            Some(" partial") => "partial",
            Some(_) => "initial",
        },
        min_processes: p.quorum,
        max_processes: p.quorum_max,
        current_processes: 0,
        have_quorum: false,
        weight: if p.reverse { -p.weight } else { p.weight },
        terminate_delay: G(p.terminate_delay.as_secs_f64()),
        fork_delay: G(p.fork_delay.as_secs_f64()),
        fork_delay_timer_running: false,
        terminate_delay_timer_running: false,
        full_command: p.full_command,
    }
}

/// The file's text (one line, as keepalived writes it).
pub(crate) fn json(instances: &[InstanceView<'_>], conf: &VrrpConf) -> String {
    let v2 = conf.json_version == 2;
    let entries: Vec<Entry<'_>> = instances.iter().map(|i| entry(i, v2)).collect();
    let text = if v2 {
        serde_json::to_string(&Version2 {
            vrrp: entries,
            track_process: conf.track_processes.iter().map(track_process).collect(),
        })
    } else {
        serde_json::to_string(&entries)
    };
    match text {
        Ok(mut t) => {
            t.push('\n');
            t
        }
        // Unreachable in practice (every number is valid JSON text); an empty
        // array keeps the file parseable.
        Err(_) => "[]\n".to_owned(),
    }
}
