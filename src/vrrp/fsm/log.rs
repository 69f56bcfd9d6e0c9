//! The state machine's log events. `Display` renders keepalived's exact text
//! (without the leading `Keepalived_vrrp[pid]: ` the logger adds), so admins'
//! greps keep working: `(VI_1) Entering MASTER STATE`.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// One log line from an instance: `({instance}) {kind}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// The `vrrp_instance` name, e.g. `VI_1`.
    pub instance: String,
    /// What happened.
    pub kind: LogKind,
}

impl LogEvent {
    /// keepalived prints these only with `--log-detail` (`-D`); the runtime
    /// filters on this.
    pub fn detail_only(&self) -> bool {
        self.kind.detail_only()
    }
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}) {}", self.instance, self.kind)
    }
}

/// Everything the state machine logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogKind {
    /// `Entering MASTER STATE`
    EnteringMaster,
    /// `Entering BACKUP STATE`
    EnteringBackup,
    /// `Entering BACKUP STATE (init)`
    EnteringBackupInit,
    /// `Entering FAULT STATE`
    EnteringFault,
    /// `entering FAULT state` (keepalived 2.2.7's words at start-up, after
    /// the line saying why)
    EnteringFaultInit,
    /// `Receive advertisement timeout` (detail)
    ReceiveAdvertTimeout,
    /// `Backup received priority 0 advertisement` (detail in 2.4)
    BackupReceivedPriorityZero,
    /// `received lower priority (P) advert from A - discarding`
    BackupDiscardingLowerPriority { priority: u8, from: IpAddr },
    /// `Master received priority 0 message` (detail)
    MasterReceivedPriorityZero,
    /// `Master received advert from A with higher priority P, ours Q`
    MasterReceivedHigherPriority { from: IpAddr, priority: u8, ours: u8 },
    /// `Master received advert from A with same priority P but higher IP address than ours`
    MasterReceivedSamePriorityHigherIp { from: IpAddr, priority: u8 },
    /// `Received advert from A with lower priority P, ours Q[, forcing new election]`
    MasterReceivedLowerPriority { from: IpAddr, priority: u8, ours: u8, forcing_election: bool },
    /// `WARNING - equal priority advert received from remote host with our IP address.`
    EqualPriorityOwnAddress,
    /// Two address owners on one VRID.
    OwnerConflict,
    /// `sent 0 priority` (detail)
    SentPriorityZero,
    /// `advertisement interval updated from Xms to Yms by master` (detail)
    AdvertIntervalUpdated { from: Duration, to: Duration },
    /// `changing advert interval from Xms to locally configured Yms` (detail)
    AdvertIntervalLocal { from: Duration, to: Duration },
    /// `start preempt delay (S.UUUUUU)` (detail)
    StartPreemptDelay { delay: Duration },
    /// `stop preempt delay` (detail)
    StopPreemptDelay,
    /// `Changing effective priority from X to Y`
    ChangingPriority { from: u8, to: u8 },
    /// `advertisement interval mismatch mine=X sec rcv'd=Y sec` (VRRPv2 only)
    AdvertIntervalMismatch { mine_secs: u64, received_secs: u64 },
    /// `received an unexpected ip number count N, expected M!`
    UnexpectedAddressCount { received: usize, expected: usize },
    /// `ip address associated with VRID V not present in MASTER advert: A`
    VipNotInAdvert { vrid: u8, address: IpAddr },
    /// `wrong version. Received X and expect Y`
    WrongVersion { received: u8, expected: u8 },
    /// `timer_expired_backup`: the advert timer ran so late that an
    /// instance of priority P may have taken over.
    TimerExpiredBackup { since_advert: Duration, other_priority: u8 },
}

impl LogKind {
    /// See [`LogEvent::detail_only`].
    pub fn detail_only(&self) -> bool {
        matches!(
            self,
            LogKind::ReceiveAdvertTimeout
                | LogKind::BackupReceivedPriorityZero
                | LogKind::MasterReceivedPriorityZero
                | LogKind::SentPriorityZero
                | LogKind::AdvertIntervalUpdated { .. }
                | LogKind::AdvertIntervalLocal { .. }
                | LogKind::StartPreemptDelay { .. }
                | LogKind::StopPreemptDelay
        )
    }
}

fn millis(d: Duration) -> u128 {
    d.as_millis()
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogKind::EnteringMaster => f.write_str("Entering MASTER STATE"),
            LogKind::EnteringBackup => f.write_str("Entering BACKUP STATE"),
            LogKind::EnteringBackupInit => f.write_str("Entering BACKUP STATE (init)"),
            LogKind::EnteringFault => f.write_str("Entering FAULT STATE"),
            LogKind::EnteringFaultInit => f.write_str("entering FAULT state"),
            LogKind::ReceiveAdvertTimeout => f.write_str("Receive advertisement timeout"),
            LogKind::BackupReceivedPriorityZero => f.write_str("Backup received priority 0 advertisement"),
            LogKind::BackupDiscardingLowerPriority { priority, from } => {
                write!(f, "received lower priority ({priority}) advert from {from} - discarding")
            }
            LogKind::MasterReceivedPriorityZero => f.write_str("Master received priority 0 message"),
            LogKind::MasterReceivedHigherPriority { from, priority, ours } => {
                write!(f, "Master received advert from {from} with higher priority {priority}, ours {ours}")
            }
            LogKind::MasterReceivedSamePriorityHigherIp { from, priority } => {
                write!(f, "Master received advert from {from} with same priority {priority} but higher IP address than ours")
            }
            LogKind::MasterReceivedLowerPriority { from, priority, ours, forcing_election } => {
                let tail = if *forcing_election { ", forcing new election" } else { "" };
                write!(f, "Received advert from {from} with lower priority {priority}, ours {ours}{tail}")
            }
            LogKind::EqualPriorityOwnAddress => {
                f.write_str("WARNING - equal priority advert received from remote host with our IP address.")
            }
            LogKind::OwnerConflict => f.write_str(
                "CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority",
            ),
            LogKind::SentPriorityZero => f.write_str("sent 0 priority"),
            LogKind::AdvertIntervalUpdated { from, to } => {
                write!(f, "advertisement interval updated from {}ms to {}ms by master", millis(*from), millis(*to))
            }
            LogKind::AdvertIntervalLocal { from, to } => {
                write!(f, "changing advert interval from {}ms to locally configured {}ms", millis(*from), millis(*to))
            }
            LogKind::StartPreemptDelay { delay } => {
                write!(f, "start preempt delay ({}.{:06})", delay.as_secs(), delay.subsec_micros())
            }
            LogKind::StopPreemptDelay => f.write_str("stop preempt delay"),
            LogKind::TimerExpiredBackup { since_advert, other_priority } => write!(
                f,
                "advert timer expired {}.{:06} seconds after the last advert - an instance of priority {other_priority} may have taken over, reverting to backup",
                since_advert.as_secs(),
                since_advert.subsec_micros()
            ),
            LogKind::ChangingPriority { from, to } => write!(f, "Changing effective priority from {from} to {to}"),
            LogKind::AdvertIntervalMismatch { mine_secs, received_secs } => {
                write!(f, "advertisement interval mismatch mine={mine_secs} sec rcv'd={received_secs} sec")
            }
            LogKind::UnexpectedAddressCount { received, expected } => {
                write!(f, "received an unexpected ip number count {received}, expected {expected}!")
            }
            LogKind::VipNotInAdvert { vrid, address } => {
                write!(f, "ip address associated with VRID {vrid} not present in MASTER advert: {address}")
            }
            LogKind::WrongVersion { received, expected } => {
                write!(f, "wrong version. Received {received} and expect {expected}")
            }
        }
    }
}
