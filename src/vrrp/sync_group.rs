//! `vrrp_sync_group`: members move together, as keepalived 2.2.7's
//! `vrrp_sync.c` moves them. Pure: given what happened to one member and
//! how every member stands, it says what to feed the others, what to log
//! and when the group's own state (and so its notifies) changes.
//!
//! - MASTER: a member whose Master_Down_Timer fires only takes over when
//!   every other member wants MASTER too (or the group is MASTER already);
//!   otherwise it waits another Master_Down_Interval. When one member
//!   becomes MASTER the others follow ("VRRP_Group(G1) Syncing instances
//!   to MASTER state").
//! - BACKUP: a MASTER member stepping down takes the other MASTERs with it.
//! - FAULT: a member in FAULT puts the others in FAULT; the group leaves
//!   FAULT (every member to BACKUP) once no member has a fault of its own.

use crate::vrrp::fsm::{Input, State};

/// How one member stands (in the group's member order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    pub state: State,
    /// keepalived's `wantstate == MASTER`.
    pub wants_master: bool,
    /// In FAULT for a reason of its own (interface, tracker).
    pub own_fault: bool,
}

/// What the runtime must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Log this line.
    Log(String),
    /// Feed this input to the member at this position.
    Feed(usize, Input),
    /// The group is now in this state: send its notifies.
    Notify(State),
}

/// One sync group's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyncGroup {
    pub name: String,
    pub state: State,
}

impl SyncGroup {
    /// A group starting with its members as given: FAULT if any is, else
    /// BACKUP.
    #[cfg(test)]
    pub(crate) fn new(name: &str, members: &[Member]) -> SyncGroup {
        let state = if members.iter().any(|m| m.state == State::Fault) { State::Fault } else { State::Backup };
        SyncGroup { name: name.to_owned(), state }
    }

    /// Member `who` timed out in BACKUP and wants MASTER: may it go?
    pub(crate) fn want_master(&self, who: usize, members: &[Member]) -> Vec<Step> {
        let all = members.iter().enumerate().all(|(i, m)| i == who || m.wants_master);
        if self.state == State::Master || (all && self.state != State::Fault) {
            vec![Step::Feed(who, Input::SyncMaster)]
        } else {
            Vec::new()
        }
    }

    /// Member `who` moved from `from` to `to` (its own doing).
    pub(crate) fn transition(&mut self, who: usize, from: State, to: State, members: &[Member]) -> Vec<Step> {
        let mut out = Vec::new();
        let others = |s: State| -> Vec<usize> {
            members.iter().enumerate().filter(|(i, m)| *i != who && m.state == s).map(|(i, _)| i).collect()
        };
        match to {
            State::Master if self.state != State::Master && self.state != State::Fault => {
                out.push(self.log("MASTER"));
                for i in others(State::Backup) {
                    out.push(Step::Feed(i, Input::SyncMaster));
                }
                self.state = State::Master;
                out.push(Step::Notify(State::Master));
            }
            State::Backup if from == State::Master && self.state == State::Master => {
                out.push(self.log("BACKUP"));
                for i in others(State::Master) {
                    out.push(Step::Feed(i, Input::SyncBackup));
                }
                self.state = State::Backup;
                out.push(Step::Notify(State::Backup));
            }
            State::Backup if from == State::Fault && self.state == State::Fault => {
                if members.iter().enumerate().any(|(i, m)| i != who && m.own_fault) {
                    return out;
                }
                out.push(self.log("BACKUP"));
                for (i, _) in members.iter().enumerate().filter(|(i, _)| *i != who) {
                    out.push(Step::Feed(i, Input::GroupFault(false)));
                }
                self.state = State::Backup;
                out.push(Step::Notify(State::Backup));
            }
            State::Fault if self.state != State::Fault => {
                out.push(self.log("FAULT"));
                for (i, _) in members.iter().enumerate().filter(|(i, _)| *i != who) {
                    out.push(Step::Feed(i, Input::GroupFault(true)));
                }
                self.state = State::Fault;
                out.push(Step::Notify(State::Fault));
            }
            _ => {}
        }
        out
    }

    /// Member `who`'s own fault is about to clear: must it stay in FAULT
    /// for its group (another member still has a fault of its own)?
    pub(crate) fn holds_in_fault(&self, who: usize, members: &[Member]) -> bool {
        self.state == State::Fault && members.iter().enumerate().any(|(i, m)| i != who && m.own_fault)
    }

    fn log(&self, state: &str) -> Step {
        Step::Log(format!("VRRP_Group({}) Syncing instances to {state} state", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(state: State, wants_master: bool, own_fault: bool) -> Member {
        Member { state, wants_master, own_fault }
    }

    #[test]
    fn a_member_waits_for_the_others_to_want_master() {
        let g = SyncGroup::new("G1", &[m(State::Backup, false, false), m(State::Backup, false, false)]);
        assert_eq!(g.state, State::Backup);
        // VI_1 times out first: VI_2 does not want MASTER yet.
        assert_eq!(g.want_master(0, &[m(State::Backup, true, false), m(State::Backup, false, false)]), vec![]);
        // VI_2 times out next: everyone wants it.
        assert_eq!(
            g.want_master(1, &[m(State::Backup, true, false), m(State::Backup, true, false)]),
            vec![Step::Feed(1, Input::SyncMaster)]
        );
    }

    #[test]
    fn master_then_backup_then_fault_and_back() {
        let mut g = SyncGroup::new("G1", &[m(State::Backup, false, false), m(State::Backup, false, false)]);
        let steps = g.transition(
            1,
            State::Backup,
            State::Master,
            &[m(State::Backup, true, false), m(State::Master, true, false)],
        );
        assert_eq!(
            steps,
            vec![
                Step::Log("VRRP_Group(G1) Syncing instances to MASTER state".into()),
                Step::Feed(0, Input::SyncMaster),
                Step::Notify(State::Master)
            ]
        );
        // The synced member's own transition changes nothing more.
        assert_eq!(g.transition(0, State::Backup, State::Master, &[m(State::Master, true, false); 2]), vec![]);
        // eth1 down: VI_2 in FAULT takes VI_1 with it.
        let steps = g.transition(
            1,
            State::Master,
            State::Fault,
            &[m(State::Master, true, false), m(State::Fault, false, true)],
        );
        assert_eq!(
            steps,
            vec![
                Step::Log("VRRP_Group(G1) Syncing instances to FAULT state".into()),
                Step::Feed(0, Input::GroupFault(true)),
                Step::Notify(State::Fault)
            ]
        );
        assert!(!g.holds_in_fault(1, &[m(State::Fault, false, false), m(State::Fault, false, true)]));
        let steps = g.transition(
            1,
            State::Fault,
            State::Backup,
            &[m(State::Fault, false, false), m(State::Backup, false, false)],
        );
        assert_eq!(
            steps,
            vec![
                Step::Log("VRRP_Group(G1) Syncing instances to BACKUP state".into()),
                Step::Feed(0, Input::GroupFault(false)),
                Step::Notify(State::Backup)
            ]
        );
    }

    #[test]
    fn a_member_stays_in_fault_while_another_has_its_own() {
        let g = SyncGroup { name: "G".into(), state: State::Fault };
        assert!(g.holds_in_fault(0, &[m(State::Fault, false, true), m(State::Fault, false, true)]));
    }

    #[test]
    fn a_master_stepping_down_takes_the_others() {
        let mut g = SyncGroup { name: "G".into(), state: State::Master };
        let steps = g.transition(
            0,
            State::Master,
            State::Backup,
            &[m(State::Backup, false, false), m(State::Master, true, false)],
        );
        assert_eq!(steps[1], Step::Feed(1, Input::SyncBackup));
        assert_eq!(g.state, State::Backup);
        // With the group MASTER, a member that times out goes at once.
        let g = SyncGroup { name: "G".into(), state: State::Master };
        assert_eq!(
            g.want_master(0, &[m(State::Backup, true, false), m(State::Backup, false, false)]),
            vec![Step::Feed(0, Input::SyncMaster)]
        );
    }
}
