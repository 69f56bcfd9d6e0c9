//! Sync groups and tracking in the loop: an instance's FAULT and priority
//! from its trackers ([`Runtime::refresh`]), and the sync group steps that
//! follow a member's transition ([`Runtime::drain_sync`]).

use std::sync::Arc;
use std::time::Instant;

use super::Runtime;
use super::notify::NotifyScripts;
use super::spec::TrackKind;
use super::track::Tag;
use crate::clock;
use crate::script::{Completion, NotifyScope, NotifyState};
use crate::vrrp::fsm::{Input, State};
use crate::vrrp::sync_group::{Member, Step, SyncGroup};
use crate::vrrp::track::{Status, Verdict, Weight};

/// Work for a sync group once the current actions are done.
#[derive(Clone, Copy, Debug)]
pub(super) enum SyncEvent {
    Transition { idx: usize, from: State, to: State },
    WantMaster { idx: usize },
}

/// A running sync group.
pub(super) struct GroupRt {
    pub sg: SyncGroup,
    /// Member instance names, in the group's order.
    pub members: Vec<String>,
    pub notify: Arc<NotifyScripts>,
}

fn notify_state(s: State) -> Option<NotifyState> {
    match s {
        State::Master => Some(NotifyState::Master),
        State::Backup => Some(NotifyState::Backup),
        State::Fault => Some(NotifyState::Fault),
        State::Init => None,
    }
}

impl Runtime {
    /// The group of slot `idx` and its position in it.
    fn group_of(&self, idx: usize) -> Option<(usize, usize)> {
        let name = &self.slot(idx)?.spec.name;
        self.groups.iter().enumerate().find_map(|(g, gr)| gr.members.iter().position(|m| m == name).map(|p| (g, p)))
    }

    /// How the members of group `g` stand.
    fn members(&self, g: usize) -> (Vec<Member>, Vec<Option<usize>>) {
        let Some(gr) = self.groups.get(g) else { return (Vec::new(), Vec::new()) };
        let idxs: Vec<Option<usize>> = gr.members.iter().map(|n| self.slot_named(n)).collect();
        let members = idxs
            .iter()
            .map(|i| match i.and_then(|i| self.slot(i)) {
                Some(s) => Member {
                    state: s.fsm.state(),
                    wants_master: s.fsm.wants_master(),
                    own_fault: s.fsm.own_fault() || s.fsm.held(),
                },
                None => Member { state: State::Fault, wants_master: false, own_fault: true },
            })
            .collect();
        (members, idxs)
    }

    /// Runs the sync group steps queued by the actions just executed.
    pub(super) async fn drain_sync(&mut self) {
        while let Some(ev) = self.sync_queue.pop_front() {
            let (idx, steps_of) = match ev {
                SyncEvent::Transition { idx, .. } | SyncEvent::WantMaster { idx } => (idx, ev),
            };
            let Some((g, pos)) = self.group_of(idx) else { continue };
            let (members, idxs) = self.members(g);
            let Some(gr) = self.groups.get_mut(g) else { continue };
            let steps = match steps_of {
                SyncEvent::Transition { from, to, .. } => gr.sg.transition(pos, from, to, &members),
                SyncEvent::WantMaster { .. } => gr.sg.want_master(pos, &members),
            };
            for step in steps {
                match step {
                    Step::Log(line) => tracing::info!("{line}"),
                    Step::Feed(p, input) => {
                        let Some(i) = idxs.get(p).copied().flatten() else { continue };
                        let actions = match self.slot_mut(i) {
                            Some(s) => s.fsm.handle(clock::now(), input),
                            None => continue,
                        };
                        self.execute_actions(i, actions).await;
                    }
                    Step::Notify(state) => {
                        if let (Some(st), Some(gr)) = (notify_state(state), self.groups.get(g)) {
                            self.notifier.state(
                                &self.notify_runner,
                                NotifyScope::Group,
                                &gr.sg.name,
                                st,
                                0,
                                &gr.notify,
                            );
                        }
                    }
                }
            }
        }
    }

    /// What slot `idx`'s trackers say: (tracker verdict, own interface down).
    pub(super) fn verdict(&self, idx: usize) -> Option<(Verdict, bool)> {
        let s = self.slot(idx)?;
        Some(self.verdict_of(&s.spec, s.incomplete))
    }

    /// What an instance's trackers say: (tracker verdict, own interface down
    /// or the instance unusable).
    pub(super) fn verdict_of(&self, spec: &super::spec::InstanceSpec, incomplete: bool) -> (Verdict, bool) {
        let s = spec;
        let link_up = |n: &str| self.link_up(n);
        let own_down = (!s.track.dont_track_primary && !s.interface.as_deref().is_some_and(link_up))
            || (s.track_src_ip && self.src_missing.contains(&s.name));
        let items = s.track.items.iter().map(|(k, n, w)| {
            let st = match k {
                TrackKind::Interface => Some(if link_up(n) { Status::Up } else { Status::Down }),
                _ => self.trackers.status(*k, n),
            };
            // An object that is not there (a script disabled as insecure)
            // weighs nothing.
            (st.unwrap_or(Status::Up), if st.is_some() { *w } else { Weight { weight: 1, reverse: false } })
        });
        (Verdict::of(items), own_down || incomplete)
    }

    /// Why an instance starts in FAULT, in keepalived 2.2.7's words (its
    /// `initialise_tracking_priorities`); `no_address`: its interface has no
    /// address to send from.
    pub(super) fn fault_reasons(&self, spec: &super::spec::InstanceSpec, no_address: bool) -> Vec<String> {
        let name = &spec.name;
        let link_up = |n: &str| self.link_up(n);
        let mut out = Vec::new();
        if let Some(dev) = spec.interface.as_deref().filter(|d| !spec.track.dont_track_primary && !link_up(d)) {
            out.push(format!("({name}): entering FAULT state (interface {dev} down)"));
        }
        if spec.track_src_ip && self.src_missing.contains(name) {
            out.push(format!("({name}): entering FAULT state (src address not configured)"));
        }
        for (k, n, w) in &spec.track.items {
            let status = match k {
                TrackKind::Interface => Some(if link_up(n) { Status::Up } else { Status::Down }),
                _ => self.trackers.status(*k, n),
            };
            let Some(status) = status else { continue };
            if !crate::vrrp::track::effect(status, *w).fault {
                continue;
            }
            match (k, status) {
                (TrackKind::Interface, _) => out.push(format!("({name}): entering FAULT state (interface {n} down)")),
                (TrackKind::File, Status::Value(v)) => {
                    let st = if w.weight == 0 { -254 } else { v.saturating_mul(i64::from(w.weight)) };
                    out.push(format!("({name}): entering FAULT state (tracked file {n} has status {st})"));
                }
                (TrackKind::Process, _) => {
                    out.push(format!("({name}) entering FAULT state (tracked process {n} quorum not achieved)"));
                }
                (TrackKind::Script, _) => out.push(format!("({name}): entering FAULT state due to script {n}")),
                _ => {}
            }
        }
        if no_address {
            let v = if spec.family == crate::vrrp::fsm::Family::V6 { 6 } else { 4 };
            out.push(format!("({name}) entering FAULT state (no IPv{v} address for interface)"));
        }
        out
    }

    /// Feeds slot `idx` the FAULT and priority its trackers call for.
    pub(super) async fn refresh(&mut self, idx: usize) {
        let Some((v, own_down)) = self.verdict(idx) else { return };
        let Some(s) = self.slot(idx) else { return };
        let want_fault = v.faults > 0 || own_down;
        let want_hold = v.holds > 0;
        let (cur_fault, cur_held) = (s.fsm.own_fault(), s.fsm.held());
        let total = v.total(s.spec.priority);
        let mut inputs = Vec::new();
        if want_fault && !cur_fault {
            inputs.push(Input::Fault(true));
        } else if !want_fault && !want_hold && (cur_fault || cur_held) {
            if let Some((g, pos)) = self.group_of(idx) {
                // Another member still down holds this one in FAULT; if none
                // is, this one leads the group out (its own group hold goes
                // first, silently, while its own fault still stands).
                let (members, _) = self.members(g);
                let holds = self.groups.get(g).is_some_and(|gr| gr.sg.holds_in_fault(pos, &members));
                inputs.push(Input::GroupFault(holds));
            }
            inputs.push(Input::Fault(false));
        }
        inputs.push(Input::Priority(total));
        for input in inputs {
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(clock::now(), input),
                None => return,
            };
            self.execute(idx, actions).await;
        }
    }

    /// Refreshes every instance tracking `kind`/`name` (or all with `None`).
    pub(super) async fn refresh_tracking(&mut self, what: Option<(TrackKind, &str)>) {
        let idxs: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let s = s.as_ref()?;
                let hit = match what {
                    None => true,
                    Some((k, n)) => s.spec.track.items.iter().any(|(k2, n2, _)| *k2 == k && n2 == n),
                };
                hit.then_some(i)
            })
            .collect();
        for i in idxs {
            self.refresh(i).await;
        }
    }

    /// Starts the scripts that are due and handles process changes.
    pub(super) async fn run_trackers(&mut self, now: Instant) {
        let (runs, logs) = self.trackers.due_scripts(now);
        for l in logs {
            tracing::info!("{l}");
        }
        let spawned = !runs.is_empty();
        for (tag, req) in runs {
            self.track_runner.spawn(tag, req);
        }
        if spawned {
            // Let this batch start (fork and exec) before the next turn.
            tokio::task::yield_now().await;
        }
        let logs = self.trackers.processes(now);
        if !logs.is_empty() {
            for l in logs {
                tracing::info!("{l}");
            }
            let names: Vec<String> = self.trackers_process_names();
            for n in names {
                self.refresh_tracking(Some((TrackKind::Process, &n))).await;
            }
        }
    }

    fn trackers_process_names(&self) -> Vec<String> {
        let mut v = Vec::new();
        for s in self.slots.iter().flatten() {
            for (k, n, _) in &s.spec.track.items {
                if *k == TrackKind::Process && !v.contains(n) {
                    v.push(n.clone());
                }
            }
        }
        v
    }

    /// A track script finished.
    pub(super) async fn on_script_done(&mut self, done: Completion<Tag>) {
        let Tag::Track(i, generation) = done.tag else { return };
        let Some(report) = self.trackers.finished(i, generation, &done.outcome) else { return };
        for l in &report.logs {
            tracing::info!("{l}");
        }
        if report.changed {
            if let Some(name) = self.trackers.script_name(i) {
                self.refresh_tracking(Some((TrackKind::Script, &name))).await;
            }
        }
    }

    /// Datagrams of the kernel's process connector.
    pub(super) async fn on_proc_events(&mut self, data: Option<Vec<u8>>) {
        let Some(data) = data else {
            // ENOBUFS: events were lost; count again from /proc.
            tracing::debug!("Process connector receive error - rescanning processes");
            self.trackers.rescan_processes(clock::now());
            return;
        };
        let Some(ev) = crate::vrrp::track::process::parse_proc_event(&data) else { return };
        let logs = self.trackers.on_proc_event(ev, clock::now());
        if !logs.is_empty() {
            for l in logs {
                tracing::info!("{l}");
            }
            for n in self.trackers_process_names() {
                self.refresh_tracking(Some((TrackKind::Process, &n))).await;
            }
        }
    }

    /// Opens the process connector when processes are tracked and it is not
    /// open: true when events will come (else `/proc` is scanned).
    pub(super) fn process_events(&mut self, wanted: bool) -> bool {
        if !wanted {
            self.proc_events = None;
            return false;
        }
        if self.proc_events.is_some() {
            return true;
        }
        match open_proc_connector(self.proc_rcvbuf) {
            Ok(s) => {
                self.proc_events = Some(s);
                true
            }
            Err(e) => {
                tracing::info!(
                    "Failed to set/clear process event listen - errno {} - {} - scanning /proc every {} s",
                    e.raw_os_error().unwrap_or(0),
                    crate::script::security::strerror(&e),
                    super::track::PROC_SCAN.as_secs()
                );
                false
            }
        }
    }

    /// A watched directory changed: tracked files are read again.
    pub(super) async fn on_files_changed(&mut self) {
        if self.trackers.files_changed(None) {
            self.refresh_tracking(None).await;
        }
    }

    /// Sets up inotify watches on the tracked files' directories.
    pub(super) fn watch_files(&mut self) {
        let dirs = self.trackers.file_dirs();
        if dirs.is_empty() {
            self.inotify = None;
            return;
        }
        let fd = match crate::sys::async_inotify() {
            Ok(fd) => fd,
            Err(e) => {
                tracing::error!("Unable to monitor track files - {e}");
                return;
            }
        };
        let mut watches = std::collections::HashMap::new();
        let mask = libc::IN_CLOSE_WRITE
            | libc::IN_MOVED_TO
            | libc::IN_MOVED_FROM
            | libc::IN_CREATE
            | libc::IN_DELETE
            | libc::IN_MODIFY;
        for d in dirs {
            match crate::sys::inotify_watch(std::os::fd::AsFd::as_fd(fd.get_ref()), &d, mask) {
                Ok(wd) => {
                    watches.insert(wd, d);
                }
                Err(e) => tracing::error!("Unable to watch track file directory {} - {e}", d.display()),
            }
        }
        self.trackers.set_watches(watches);
        self.inotify = Some(fd);
    }

    /// Builds the sync groups of `cfg`, keeping the state of groups whose
    /// members did not change.
    pub(super) fn build_groups(
        &mut self,
        cfg: &crate::config::model::vrrp::VrrpConfig,
        prep: &mut crate::script::Preparer,
    ) {
        let old = std::mem::take(&mut self.groups);
        for g in &cfg.sync_groups {
            let members: Vec<String> = g.members.iter().map(|m| m.value.clone()).collect();
            // keepalived 2.2.7 keeps a group of one (with a warning): its
            // state goes to the FIFOs and its notify scripts run.
            if members.is_empty() {
                continue;
            }
            let state = old.iter().find(|o| o.sg.name == g.name && o.members == members).map(|o| o.sg.state);
            let sg = SyncGroup { name: g.name.clone(), state: state.unwrap_or(State::Init) };
            self.groups.push(GroupRt { sg, members, notify: Arc::new(NotifyScripts::prepare(&g.notify, prep)) });
        }
    }

    /// Gives groups without a state (new ones) their members' state at
    /// start: FAULT if one of them starts in FAULT, else BACKUP. A BACKUP
    /// group says so at once (before its members, as keepalived does); the
    /// FAULT ones are returned, to say so after their members.
    pub(super) fn init_groups(&mut self, specs: &[super::spec::InstanceSpec]) -> Vec<usize> {
        let mut faulted = Vec::new();
        for g in 0..self.groups.len() {
            let Some(gr) = self.groups.get(g) else { continue };
            if gr.sg.state != State::Init {
                continue;
            }
            let fault = gr.members.iter().any(|m| {
                specs.iter().find(|s| s.name == *m).is_none_or(|s| {
                    let (v, own_down) = self.verdict_of(s, false);
                    v.faults > 0 || own_down
                })
            });
            let Some(gr) = self.groups.get_mut(g) else { continue };
            if fault {
                gr.sg.state = State::Fault;
                faulted.push(g);
            } else {
                gr.sg.state = State::Backup;
                let (name, notify) = (gr.sg.name.clone(), gr.notify.clone());
                self.notifier.state(&self.notify_runner, NotifyScope::Group, &name, NotifyState::Backup, 0, &notify);
            }
        }
        faulted
    }

    /// Says the groups `list` are in FAULT.
    pub(super) fn notify_groups_fault(&mut self, list: &[usize]) {
        for g in list {
            if let Some(gr) = self.groups.get(*g) {
                let (name, notify) = (gr.sg.name.clone(), gr.notify.clone());
                self.notifier.state(&self.notify_runner, NotifyScope::Group, &name, NotifyState::Fault, 0, &notify);
            }
        }
    }

    /// Whether the instance called `name` starts in its group's FAULT.
    pub(super) fn group_starts_faulted(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g.sg.state == State::Fault && g.members.iter().any(|m| m == name))
    }
}

/// The kernel's process connector, listening: fork, exec, comm and exit
/// events of every process (`CN_IDX_PROC`).
fn open_proc_connector(rcvbuf: Option<crate::netlink::RcvBuf>) -> std::io::Result<netlink_sys::TokioSocket> {
    use netlink_sys::{AsyncSocket as _, SocketAddr, TokioSocket, protocols::NETLINK_CONNECTOR};
    use std::os::fd::AsFd as _;
    let mut s = TokioSocket::new(NETLINK_CONNECTOR)?;
    // process_monitor_rcv_bufs: a thousand processes ending at once overrun the default.
    crate::netlink::set_rcvbuf(s.socket_ref().as_fd(), rcvbuf, "process monitor");
    s.socket_mut().bind(&SocketAddr::new(0, 1))?;
    let mut me = SocketAddr::new(0, 0);
    s.socket_ref().get_address(&mut me)?;
    let msg = crate::vrrp::track::process::listen_message(true, me.port_number());
    s.socket_ref().send_to(&msg, &SocketAddr::new(0, 0), 0)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use crate::vrrp::track::process::{ProcEvent, parse_proc_event};

    /// The kernel's process connector reports a child's exec and exit. It
    /// needs root in the initial network namespace (CI runs there as root);
    /// elsewhere the runtime scans /proc instead, which the namespace tests
    /// cover.
    #[tokio::test]
    async fn process_connector_reports_exec_and_exit() {
        use netlink_sys::AsyncSocketExt as _;
        let sock = match super::open_proc_connector(None) {
            Ok(s) => s,
            // Not root, or not in the initial network namespace: the kernel
            // refuses, and the runtime scans /proc (the namespace tests).
            Err(e) if matches!(e.raw_os_error(), Some(libc::ECONNREFUSED | libc::EPERM | libc::EACCES)) => {
                eprintln!("SKIPPED: the process connector is not available here ({e})");
                return;
            }
            Err(e) => panic!("process connector: {e}"),
        };
        let mut child = std::process::Command::new("sleep").arg("0.2").spawn().expect("sleep");
        let pid = child.id();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
        while !seen.contains(&ProcEvent::Exit { pid }) {
            let Ok(Ok((data, _))) = tokio::time::timeout_at(deadline, sock.recv_from_full()).await else { break };
            if let Some(ev) = parse_proc_event(&data) {
                seen.push(ev);
            }
        }
        let _ = child.wait();
        assert!(seen.contains(&ProcEvent::Exec { pid }), "no exec of {pid}: {seen:?}");
        assert!(seen.contains(&ProcEvent::Exit { pid }), "no exit of {pid}: {seen:?}");
    }
}
