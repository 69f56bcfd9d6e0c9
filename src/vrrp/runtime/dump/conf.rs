//! The configuration's part of the dumps, prepared once per (re)load from
//! the model, so that the runtime can drop the model and still write
//! keepalived's whole file. Pure.

use std::time::Duration;

use super::ipcfg::{self, Addr};
use crate::config::model::global::GlobalConfig;
use crate::config::model::vrrp::{GarpExtraIf, Notify, Reverse, Tracked, VrrpConfig, VrrpInstance};
use crate::config::model::{Script, ipcfg::IpAddress};
use crate::dump::users::Users;

/// A notify script line: its command as keepalived quotes it and who runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScriptLine {
    pub cmd: String,
    pub uid: u32,
    pub gid: u32,
}

impl ScriptLine {
    fn of(s: &Script, users: &Users) -> ScriptLine {
        let (uid, gid) = users.script_ids(s);
        ScriptLine { cmd: users.cmd(s), uid, gid }
    }
}

/// A tracker of an instance or sync group: name, weight, reversed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrackLine {
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
}

/// The notify scripts, in keepalived's dump order, with the names the data
/// file (`Backup`, `Master`, ...) and the JSON file (`script_backup`, ...) use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NotifyConf {
    pub backup: Option<ScriptLine>,
    pub master: Option<ScriptLine>,
    pub fault: Option<ScriptLine>,
    pub stop: Option<ScriptLine>,
    pub deleted: Option<ScriptLine>,
    pub generic: Option<ScriptLine>,
    pub master_rx_lower_pri: Option<ScriptLine>,
}

impl NotifyConf {
    fn of(n: &Notify, users: &Users) -> NotifyConf {
        let f = |s: &Option<Script>| s.as_ref().map(|s| ScriptLine::of(s, users));
        NotifyConf {
            backup: f(&n.backup),
            master: f(&n.master),
            fault: f(&n.fault),
            stop: f(&n.stop),
            deleted: n.deleted.as_ref().and_then(|d| d.as_ref()).map(|s| ScriptLine::of(s, users)),
            generic: f(&n.any),
            master_rx_lower_pri: f(&n.master_rx_lower_pri),
        }
    }

    /// `(data file name, json key, script)` of the configured scripts.
    pub(crate) fn entries(&self) -> Vec<(&'static str, &'static str, &ScriptLine)> {
        [
            ("Backup", "script_backup", &self.backup),
            ("Master", "script_master", &self.master),
            ("Fault", "script_fault", &self.fault),
            ("Stop", "script_stop", &self.stop),
            ("Deleted", "script_deleted", &self.deleted),
            ("Generic", "script", &self.generic),
            ("Master rx lower pri", "script_master_rx_lower_pri", &self.master_rx_lower_pri),
        ]
        .into_iter()
        .filter_map(|(a, b, s)| s.as_ref().map(|s| (a, b, s)))
        .collect()
    }
}

/// What the dumps show of one instance's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InstanceConf {
    pub name: String,
    pub sync_group: Option<String>,
    pub native_ipv6: bool,
    /// Unicast peers configured.
    pub unicast: bool,
    /// A unicast keyword without peers: multicast is used.
    pub unicast_configured_no_peers: bool,
    pub unicast_fault_no_peer: bool,
    pub dont_track_primary: bool,
    pub src_from_config: bool,
    /// Flag bits keepalived keeps that have no line of their own but make
    /// "Flags:" non-empty (linkbeat polling, track_src_ip, eVIPs of the other
    /// family, VMAC / ipvlan).
    pub other_flags: bool,
    pub vrf: Option<String>,
    pub vmac_garp: Option<GarpExtraIf>,
    pub promote_secondaries: bool,
    pub kernel_rx_buf_size: Option<u32>,
    pub debug: Option<u8>,
    /// `Unicast TTL` (IPv4 unicast: 255 unless configured).
    pub unicast_ttl: Option<u8>,
    /// "no", "never", "config" or "auto".
    pub chksum_compat: &'static str,
    pub vips: Vec<Addr>,
    pub evips: Vec<Addr>,
    pub vroutes: Vec<String>,
    pub vrules: Vec<String>,
    pub track_ifs: Vec<TrackLine>,
    pub track_scripts: Vec<TrackLine>,
    /// The commands of the tracked scripts (keepalived.json's `track_script`).
    pub track_script_cmds: Vec<String>,
    pub track_files: Vec<TrackLine>,
    pub track_processes: Vec<TrackLine>,
    pub track_bfds: Vec<TrackLine>,
    pub smtp_alert: bool,
    pub notify_deleted: bool,
    pub notify: NotifyConf,
    pub notify_priority_changes: bool,
}

/// A `vrrp_sync_group`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SyncGroupConf {
    pub name: String,
    pub members: Vec<String>,
    pub tracking_weight: bool,
    pub smtp_alert: bool,
    pub notify_priority_changes: Option<bool>,
    pub track_ifs: Vec<TrackLine>,
    pub track_scripts: Vec<TrackLine>,
    pub track_files: Vec<TrackLine>,
    pub track_processes: Vec<TrackLine>,
    pub track_bfds: Vec<TrackLine>,
    pub notify: NotifyConf,
}

/// A `vrrp_script` that something tracks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScriptConf {
    pub name: String,
    pub cmd: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
    pub uid: u32,
    pub gid: u32,
    /// The instances (and sync group members) that track it.
    pub tracking: Vec<TrackLine>,
}

/// A `track_file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrackFileConf {
    pub name: String,
    pub path: String,
    pub weight: i32,
    pub reverse: bool,
    pub tracking: Vec<TrackLine>,
}

/// A `vrrp_track_process`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrackProcessConf {
    pub name: String,
    pub process: String,
    pub params: Option<String>,
    pub param_match: Option<&'static str>,
    pub quorum: u32,
    pub quorum_max: Option<u32>,
    pub weight: i32,
    pub reverse: bool,
    pub terminate_delay: Duration,
    pub fork_delay: Duration,
    pub full_command: bool,
    pub tracking: Vec<TrackLine>,
}

/// A BFD instance tracked by VRRP instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BfdConf {
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
    pub tracking: Vec<TrackLine>,
}

/// A `garp_group`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GarpGroupConf {
    pub group: u32,
    pub garp_interval: Option<Duration>,
    pub gna_interval: Option<Duration>,
    pub interfaces: Vec<String>,
}

/// The gratuitous ARP delay groups keepalived keeps: the `garp_group`
/// blocks (numbered when they have an `interfaces` list), then, with a
/// global `vrrp_garp_interval` / `vrrp_gna_interval`, one group 0 for each
/// interface the instances use that has none.
fn garp_groups(cfg: &VrrpConfig) -> Vec<GarpGroupConf> {
    let mut groups: Vec<GarpGroupConf> = Vec::new();
    let mut numbered = 0u32;
    for g in &cfg.garp_groups {
        let group = if g.interfaces.is_empty() {
            0
        } else {
            numbered = numbered.saturating_add(1);
            numbered
        };
        groups.push(GarpGroupConf {
            group,
            garp_interval: g.garp_interval,
            gna_interval: g.gna_interval,
            interfaces: g.interface.iter().chain(g.interfaces.iter()).map(|i| i.value.clone()).collect(),
        });
    }
    let gl = &cfg.globals;
    if gl.garp_interval.is_zero() && gl.gna_interval.is_zero() {
        return groups;
    }
    for i in &cfg.instances {
        let own = i.interface.as_ref().map(|d| d.value.clone());
        let devs = own.iter().cloned().chain(
            i.vips
                .iter()
                .chain(&i.evips)
                .filter_map(|a| a.dev.as_ref().map(|d| d.value.clone()).or_else(|| own.clone())),
        );
        for dev in devs {
            if !groups.iter().any(|g| g.interfaces.contains(&dev)) {
                groups.push(GarpGroupConf {
                    group: 0,
                    garp_interval: (!gl.garp_interval.is_zero()).then_some(gl.garp_interval),
                    gna_interval: (!gl.gna_interval.is_zero()).then_some(gl.gna_interval),
                    interfaces: vec![dev],
                });
            }
        }
    }
    groups
}

/// The trackers of one instance, while [`VrrpConf::of`] runs.
struct Tracked4<'a> {
    name: &'a str,
    scripts: Vec<TrackLine>,
    files: Vec<TrackLine>,
    processes: Vec<TrackLine>,
    bfds: Vec<TrackLine>,
}

/// One instance of [`VrrpConf`]: its dump configuration, or `None` when it
/// is what [`VrrpConf::plain`] derives from what the instance runs
/// (most instances: a thousand of them keep no copy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InstanceEntry {
    pub name: String,
    pub conf: Option<Box<InstanceConf>>,
}

/// What an instance's dump configuration is when nothing beyond what it
/// runs was written (see [`VrrpConf::plain`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PlainFacts {
    pub name: String,
    pub v6: bool,
    pub unicast: bool,
    pub src_from_config: bool,
    pub unicast_ttl: u8,
    pub vips: Vec<Addr>,
    pub evips: Vec<Addr>,
    /// What it tracks, by kind, in order (its own lines, then its sync
    /// group's: an instance whose group tracks anything keeps a copy).
    pub track_ifs: Vec<TrackLine>,
    pub track_scripts: Vec<TrackLine>,
    pub track_files: Vec<TrackLine>,
    pub track_processes: Vec<TrackLine>,
    pub dont_track_primary: bool,
}

/// The configuration's part of keepalived.data and keepalived.json.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct VrrpConf {
    /// In configuration order.
    pub instances: Vec<InstanceEntry>,
    /// Defaults of the instances: smtp_alert, notify priority changes.
    pub smtp_default: bool,
    pub notify_priority_changes_default: bool,
    pub static_addresses: Vec<Addr>,
    pub static_routes: Vec<String>,
    pub static_rules: Vec<String>,
    pub static_track_groups: Vec<(String, Vec<String>)>,
    pub garp_groups: Vec<GarpGroupConf>,
    pub sync_groups: Vec<SyncGroupConf>,
    pub scripts: Vec<ScriptConf>,
    pub track_files: Vec<TrackFileConf>,
    pub track_processes: Vec<TrackProcessConf>,
    pub bfds: Vec<BfdConf>,
    /// `json_version` (1: 2.2.7's array, 2: 2.4's object).
    pub json_version: u8,
}

fn track_lines(list: &[Tracked], default_weight: impl Fn(&str) -> (i32, bool)) -> Vec<TrackLine> {
    list.iter()
        .map(|t| {
            let (dw, drev) = default_weight(&t.name.value);
            let reverse = match t.reverse {
                Reverse::Default => drev,
                Reverse::Reverse => true,
                Reverse::NoReverse => false,
            };
            TrackLine { name: t.name.value.clone(), weight: t.weight.unwrap_or(dw), reverse }
        })
        .collect()
}

impl VrrpConf {
    /// From the parsed VRRP part and global definitions. `facts` gives what
    /// each instance (by its index in `cfg.instances`) runs: an instance whose dump configuration follows
    /// from it keeps no copy (see [`VrrpConf::plain`]); each is decided
    /// as it is built, so no copy of every instance is ever made at once.
    pub(crate) fn of<'c>(
        cfg: &'c VrrpConfig,
        global: &GlobalConfig,
        users: &Users,
        facts: &dyn Fn(usize) -> Option<PlainFacts>,
    ) -> VrrpConf {
        let script_w = |n: &str| cfg.script(n).map_or((0, false), |s| (s.weight, s.weight_reverse));
        let file_w =
            |n: &str| cfg.track_files.iter().find(|f| f.name == n).map_or((1, false), |f| (f.weight, f.weight_reverse));
        let proc_w = |n: &str| {
            cfg.track_processes.iter().find(|p| p.name == n).map_or((0, false), |p| (p.weight, p.weight_reverse))
        };
        let plain = |_: &str| (0, false);
        let global_smtp = global.smtp.alert_vrrp.or(global.smtp.alert);
        let smtp_default = global_smtp.unwrap_or(false);
        let npc_default = cfg.globals.notify_priority_changes;
        // The trackers of each instance, from the model (who tracks what).
        let tracked: Vec<Tracked4<'c>> = cfg
            .instances
            .iter()
            .map(|i| Tracked4 {
                name: &i.name,
                scripts: track_lines(&i.tracking.scripts, script_w),
                files: track_lines(&i.tracking.files, file_w),
                processes: track_lines(&i.tracking.processes, proc_w),
                bfds: track_lines(&i.tracking.bfds, plain),
            })
            .collect();
        let sync_groups: Vec<SyncGroupConf> = cfg
            .sync_groups
            .iter()
            .map(|g| SyncGroupConf {
                name: g.name.clone(),
                members: g.members.iter().map(|m| m.value.clone()).collect(),
                tracking_weight: g.sync_group_tracking_weight,
                smtp_alert: g.notify.smtp_alert.or(global_smtp).unwrap_or(false),
                notify_priority_changes: g.notify.priority_changes,
                track_ifs: track_lines(&g.tracking.interfaces, plain),
                track_scripts: track_lines(&g.tracking.scripts, script_w),
                track_files: track_lines(&g.tracking.files, file_w),
                track_processes: track_lines(&g.tracking.processes, proc_w),
                track_bfds: track_lines(&g.tracking.bfds, plain),
                notify: NotifyConf::of(&g.notify, users),
            })
            .collect();
        // Who tracks each object: instances in order, then sync group members.
        let users_of = |pick: &dyn for<'x> Fn(&'x Tracked4<'c>) -> &'x Vec<TrackLine>,
                        pick_sg: &dyn Fn(&SyncGroupConf) -> &Vec<TrackLine>,
                        name: &str|
         -> Vec<TrackLine> {
            let mut v: Vec<TrackLine> = tracked
                .iter()
                .filter_map(|i| {
                    pick(i).iter().find(|t| t.name == name).map(|t| TrackLine {
                        name: i.name.to_owned(),
                        weight: t.weight,
                        reverse: t.reverse,
                    })
                })
                .collect();
            for g in &sync_groups {
                if let Some(t) = pick_sg(g).iter().find(|t| t.name == name) {
                    for m in &g.members {
                        if !v.iter().any(|x| &x.name == m) {
                            v.push(TrackLine { name: m.clone(), weight: t.weight, reverse: t.reverse });
                        }
                    }
                }
            }
            v
        };
        // keepalived drops the scripts nothing tracks ("script X is not used").
        let scripts = cfg
            .scripts
            .iter()
            .filter_map(|s| {
                let tracking = users_of(&|i| &i.scripts, &|g| &g.track_scripts, &s.name);
                let script = s.script.as_ref()?;
                if tracking.is_empty() {
                    return None;
                }
                let (uid, gid) = users.script_ids(script);
                Some(ScriptConf {
                    name: s.name.clone(),
                    cmd: users.cmd(script),
                    interval: s.interval,
                    // keepalived shows 0 when no timeout was written; the model
                    // fills in the interval then.
                    timeout: if s.timeout == s.interval { Duration::ZERO } else { s.timeout },
                    weight: s.weight,
                    reverse: s.weight_reverse,
                    rise: s.rise,
                    fall: s.fall,
                    init_fail: s.init_fail,
                    uid,
                    gid,
                    tracking,
                })
            })
            .collect();
        let track_files = cfg
            .track_files
            .iter()
            .filter_map(|f| {
                let tracking = users_of(&|i| &i.files, &|g| &g.track_files, &f.name);
                (!tracking.is_empty()).then(|| TrackFileConf {
                    name: f.name.clone(),
                    path: f.file.clone().unwrap_or_default(),
                    weight: f.weight,
                    reverse: f.weight_reverse,
                    tracking,
                })
            })
            .collect();
        let track_processes = cfg
            .track_processes
            .iter()
            .filter_map(|p| {
                let tracking = users_of(&|i| &i.processes, &|g| &g.track_processes, &p.name);
                let argv = p.process.as_ref()?;
                (!tracking.is_empty()).then(|| TrackProcessConf {
                    name: p.name.clone(),
                    process: argv.first().cloned().unwrap_or_default(),
                    params: (argv.len() > 1).then(|| argv.get(1..).unwrap_or_default().join(" ")),
                    param_match: p.param_match.map(|m| match m {
                        crate::config::model::vrrp::ParamMatch::Exact => "",
                        crate::config::model::vrrp::ParamMatch::Partial => " partial",
                        crate::config::model::vrrp::ParamMatch::Initial => " initial",
                    }),
                    quorum: p.quorum,
                    quorum_max: p.quorum_max,
                    weight: p.weight,
                    reverse: p.weight_reverse,
                    terminate_delay: p.terminate_delay,
                    fork_delay: p.fork_delay,
                    full_command: p.full_command,
                    tracking,
                })
            })
            .collect();
        let mut bfds: Vec<BfdConf> = Vec::new();
        for name in tracked.iter().flat_map(|i| i.bfds.iter().map(|t| t.name.clone())) {
            if !bfds.iter().any(|b| b.name == name) {
                let tracking = users_of(&|i| &i.bfds, &|g| &g.track_bfds, &name);
                bfds.push(BfdConf { name, weight: 0, reverse: false, tracking });
            }
        }
        let default_dev = cfg.globals.default_interface.clone();
        let mut conf = VrrpConf {
            instances: Vec::new(),
            smtp_default,
            notify_priority_changes_default: npc_default,
            static_addresses: global
                .static_ipaddress
                .iter()
                .map(|a| Addr::of(a, a.dev.as_ref().map_or(default_dev.as_str(), |d| d.value.as_str())))
                .collect(),
            static_routes: global.static_routes.iter().map(|r| ipcfg::route(r, false, true)).collect(),
            static_rules: global.static_rules.iter().map(ipcfg::rule).collect(),
            static_track_groups: global
                .track_groups
                .iter()
                .map(|g| (g.name.value.clone(), g.members.iter().map(|m| m.value.clone()).collect()))
                .collect(),
            garp_groups: garp_groups(cfg),
            sync_groups,
            scripts,
            track_files,
            track_processes,
            bfds,
            json_version: global.json_version,
        };
        // Built after the scripts and sync groups, which the plain ones are
        // derived with.
        conf.instances = cfg
            .instances
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let full = InstanceConf::of(i, cfg, global, users, global_smtp);
                let plain = facts(n).map(|f| conf.plain(f));
                let kept = if plain.as_ref() == Some(&full) { None } else { Some(Box::new(full)) };
                InstanceEntry { name: i.name.clone(), conf: kept }
            })
            .collect();
        conf
    }
}

impl VrrpConf {
    /// The dump configuration of an instance (rebuilt from `facts` when not kept).
    pub(crate) fn instance_conf(&self, e: &InstanceEntry, facts: impl FnOnce() -> PlainFacts) -> InstanceConf {
        match &e.conf {
            Some(c) => (**c).clone(),
            None => self.plain(facts()),
        }
    }

    /// The dump configuration of an instance that has nothing written
    /// beyond what it runs: its addresses and trackers, its sync group (the
    /// one that lists it) and its scripts' command lines (from the scripts
    /// kept here). [`VrrpConf::of`] keeps a copy of every instance for which
    /// this is not exactly what its configuration gives.
    pub(crate) fn plain(&self, f: PlainFacts) -> InstanceConf {
        let sync_group = self.sync_groups.iter().find(|g| g.members.contains(&f.name)).map(|g| g.name.clone());
        let track_script_cmds = f
            .track_scripts
            .iter()
            .filter_map(|t| self.scripts.iter().find(|s| s.name == t.name).map(|s| s.cmd.clone()))
            .collect();
        InstanceConf {
            name: f.name,
            sync_group,
            native_ipv6: f.v6,
            unicast: f.unicast,
            dont_track_primary: f.dont_track_primary,
            src_from_config: f.src_from_config,
            unicast_ttl: (f.unicast && !f.v6).then_some(f.unicast_ttl),
            chksum_compat: "no",
            vips: f.vips,
            evips: f.evips,
            track_ifs: f.track_ifs,
            track_scripts: f.track_scripts,
            track_script_cmds,
            track_files: f.track_files,
            track_processes: f.track_processes,
            smtp_alert: self.smtp_default,
            notify_priority_changes: self.notify_priority_changes_default,
            ..InstanceConf::default()
        }
    }
}

impl InstanceConf {
    fn of(
        i: &VrrpInstance,
        cfg: &VrrpConfig,
        global: &GlobalConfig,
        users: &Users,
        global_smtp: Option<bool>,
    ) -> InstanceConf {
        let script_w = |n: &str| cfg.script(n).map_or((0, false), |s| (s.weight, s.weight_reverse));
        let file_w =
            |n: &str| cfg.track_files.iter().find(|f| f.name == n).map_or((1, false), |f| (f.weight, f.weight_reverse));
        let proc_w = |n: &str| {
            cfg.track_processes.iter().find(|p| p.name == n).map_or((0, false), |p| (p.weight, p.weight_reverse))
        };
        let plain = |_: &str| (0, false);
        let own =
            i.interface.as_ref().map(|d| d.value.clone()).unwrap_or_else(|| cfg.globals.default_interface.clone());
        let addr = |a: &IpAddress| Addr::of(a, a.dev.as_ref().map_or(own.as_str(), |d| d.value.as_str()));
        let unicast = i.is_unicast();
        let _ = global;
        InstanceConf {
            name: i.name.clone(),
            sync_group: i.sync_group.clone(),
            native_ipv6: i.ipv6,
            unicast,
            unicast_configured_no_peers: !unicast && i.written.unicast_keyword,
            unicast_fault_no_peer: i.unicast_fault_no_peer,
            dont_track_primary: i.dont_track_primary,
            src_from_config: i.unicast_src_ip.is_some() || i.mcast_src_ip.is_some(),
            other_flags: i.linkbeat_use_polling
                || i.track_src_ip
                || i.use_vmac.is_some()
                || i.use_ipvlan.is_some()
                || i.evips.iter().any(|a| a.addr.is_ipv6() != i.ipv6),
            vrf: i.vrf.clone(),
            vmac_garp: i.garp.extra_if.filter(|x| !x.interval.is_zero()),
            promote_secondaries: i.promote_secondaries,
            kernel_rx_buf_size: i.kernel_rx_buf_size,
            debug: i.debug.filter(|d| *d != 0),
            unicast_ttl: match (unicast, i.unicast_ttl, i.ipv6) {
                (false, _, _) => None,
                (true, Some(t), _) => Some(t),
                (true, None, false) => Some(crate::vrrp::packet::VRRP_TTL),
                (true, None, true) => None,
            },
            chksum_compat: match i.old_unicast_checksum {
                None => "no",
                Some(false) => "never",
                Some(true) => "config",
            },
            vips: i.vips.iter().map(addr).collect(),
            evips: i.evips.iter().map(addr).collect(),
            vroutes: i.routes.iter().map(|r| ipcfg::route(r, false, false)).collect(),
            vrules: i.rules.iter().map(ipcfg::rule).collect(),
            track_ifs: track_lines(&i.tracking.interfaces, plain),
            track_scripts: track_lines(&i.tracking.scripts, script_w),
            track_script_cmds: i
                .tracking
                .scripts
                .iter()
                .filter_map(|t| cfg.script(&t.name.value).and_then(|s| s.script.as_ref()).map(|s| users.cmd(s)))
                .collect(),
            track_files: track_lines(&i.tracking.files, file_w),
            track_processes: track_lines(&i.tracking.processes, proc_w),
            track_bfds: track_lines(&i.tracking.bfds, plain),
            smtp_alert: i.notify.smtp_alert.or(global_smtp).unwrap_or(false),
            notify_deleted: i.notify.deleted.is_some(),
            notify: NotifyConf::of(&i.notify, users),
            notify_priority_changes: i.notify.priority_changes.unwrap_or(cfg.globals.notify_priority_changes),
        }
    }
}
