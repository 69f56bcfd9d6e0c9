//! The kernel's connection-sync daemon (`lvs_sync_daemon`), which copies
//! connection state between directors. keepalived splits it between its
//! children: bound to a VRRP instance (`inst`), the VRRP child runs the
//! master daemon while that instance is MASTER and the backup daemon
//! otherwise ([`VrrpSyncd`]); unbound, the checker child runs both for as
//! long as it runs ([`Both`]).

use std::net::IpAddr;

use super::kernel::{Ipvs, IpvsError, message_for};
use super::sockopt;
use super::table::{Daemon, SyncState};
use crate::config::model::lvs::SyncDaemon;

/// `lvs_sync_daemon` as the kernel takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) ifname: String,
    pub(crate) instance: Option<String>,
    pub(crate) syncid: Option<u8>,
    pub(crate) maxlen: u16,
    pub(crate) port: u16,
    pub(crate) ttl: u8,
    pub(crate) group: Option<IpAddr>,
}

impl Config {
    pub(crate) fn from_config(d: &SyncDaemon) -> Config {
        Config {
            ifname: d.interface.clone(),
            instance: d.instance.clone(),
            syncid: d.syncid,
            maxlen: d.maxlen.unwrap_or(0),
            port: d.port.unwrap_or(0),
            ttl: d.ttl.unwrap_or(0),
            group: d.group,
        }
    }

    /// The daemon in `state`; `default_id` is the sync id when none is
    /// configured (the bound instance's VRID, or 0).
    pub(crate) fn daemon(&self, state: SyncState, default_id: u8) -> Daemon {
        Daemon {
            state,
            ifname: self.ifname.clone(),
            syncid: u32::from(self.syncid.unwrap_or(default_id)),
            maxlen: self.maxlen,
            port: self.port,
            ttl: self.ttl,
            group: self.group,
        }
    }
}

/// keepalived's message for a failed daemon command.
fn log_error(start: bool, e: &IpvsError) {
    let (num, name) = if start {
        (sockopt::set::STARTDAEMON, "IP_VS_SO_SET_STARTDAEMON")
    } else {
        (sockopt::set::STOPDAEMON, "IP_VS_SO_SET_STOPDAEMON")
    };
    match e.errno() {
        Some(errno) => {
            let msg = match (start, errno) {
                (true, libc::EEXIST) => "Daemon has already run".to_owned(),
                (false, libc::ESRCH) => "No daemon is running".to_owned(),
                _ => message_for(None, errno),
            };
            tracing::info!("IPVS cmd {name}({num}) error: {msg}({errno})");
        }
        None => tracing::info!("IPVS cmd {name}({num}) error: {e}"),
    }
}

/// Starts a daemon, logging a failure as keepalived does.
pub(crate) fn start(ipvs: &mut Ipvs, d: &Daemon) {
    if let Err(e) = ipvs.start_daemon(d) {
        log_error(true, &e);
    }
}

/// Stops the daemon in `state`; `quiet` when it may well not be running.
pub(crate) fn stop(ipvs: &mut Ipvs, state: SyncState, quiet: bool) {
    if let Err(e) = ipvs.stop_daemon(state)
        && !quiet
    {
        log_error(false, &e);
    }
}

/// Both daemons, run by the checker child when no instance is bound.
pub(crate) struct Both {
    cfg: Config,
}

impl Both {
    /// Stops whatever an earlier run left, then starts master and backup.
    pub(crate) fn start(ipvs: &mut Ipvs, cfg: Config) -> Both {
        stop(ipvs, SyncState::Master, true);
        stop(ipvs, SyncState::Backup, true);
        for s in [SyncState::Master, SyncState::Backup] {
            start(ipvs, &cfg.daemon(s, 0));
        }
        Both { cfg }
    }

    /// A new configuration: restarts the daemons if their settings changed.
    pub(crate) fn reload(self, ipvs: &mut Ipvs, cfg: Option<Config>) -> Option<Both> {
        match cfg {
            Some(c) if c == self.cfg => Some(self),
            Some(c) => Some(Both::start(ipvs, c)),
            None => {
                self.stop(ipvs);
                None
            }
        }
    }

    pub(crate) fn stop(self, ipvs: &mut Ipvs) {
        stop(ipvs, SyncState::Master, true);
        stop(ipvs, SyncState::Backup, true);
    }
}

/// The daemon bound to a VRRP instance, run by the VRRP child.
pub(crate) struct VrrpSyncd {
    ipvs: Ipvs,
    cfg: Config,
    /// The bound instance's VRID: the sync id when none is configured.
    vrid: u8,
    running: Option<SyncState>,
}

impl VrrpSyncd {
    /// Opens the IPVS channel for the daemon bound to `cfg.instance`.
    pub(crate) fn new(cfg: Config, vrid: u8) -> Result<VrrpSyncd, IpvsError> {
        Ok(VrrpSyncd { ipvs: Ipvs::open()?, cfg, vrid, running: None })
    }

    /// The instance it follows.
    pub(crate) fn instance(&self) -> &str {
        self.cfg.instance.as_deref().unwrap_or("")
    }

    /// The bound instance is now MASTER (`true`) or not: the master daemon
    /// runs while it is MASTER, the backup daemon otherwise.
    pub(crate) fn follow(&mut self, master: bool) {
        let want = if master { SyncState::Master } else { SyncState::Backup };
        if self.running == Some(want) {
            return;
        }
        if let Some(cur) = self.running.take() {
            stop(&mut self.ipvs, cur, false);
        }
        start(&mut self.ipvs, &self.cfg.daemon(want, self.vrid));
        self.running = Some(want);
    }

    /// A reload: with other settings, the daemon restarts in its state.
    pub(crate) fn reload(&mut self, cfg: Config, vrid: u8) {
        if cfg == self.cfg && vrid == self.vrid {
            return;
        }
        let state = self.running.take();
        if let Some(s) = state {
            stop(&mut self.ipvs, s, true);
        }
        self.cfg = cfg;
        self.vrid = vrid;
        if let Some(s) = state {
            self.follow(s == SyncState::Master);
        }
    }

    /// Stops the running daemon (shutdown).
    pub(crate) fn stop(&mut self) {
        if let Some(s) = self.running.take() {
            stop(&mut self.ipvs, s, false);
        }
    }
}
