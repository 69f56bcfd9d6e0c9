//! Tracked objects at run time: `vrrp_script`s run through the shared
//! script runner (never blocking the loop), `track_file`s read when inotify
//! says their directory changed, `vrrp_track_process`es counted from
//! `/proc`. Their states are the pure trackers of [`crate::vrrp::track`];
//! the runtime turns them into each instance's FAULT and priority.
//!
//! Process tracking scans `/proc` once (one read of `/proc/PID/stat` per
//! process, `cmdline` only where a tracker needs it), then follows the
//! kernel's process connector (fork, exec, comm and exit events), as
//! keepalived does. The connector works only in the initial network
//! namespace: elsewhere `/proc` is scanned every [`PROC_SCAN`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::model::vrrp::{self as model, VrrpConfig};
use crate::script::{Outcome, Preparer, Program, Request};
use crate::vrrp::track::Status;
use crate::vrrp::track::process::{ParamMatch, ProcEvent, ProcInfo, ProcessParams, ProcessTrack};
use crate::vrrp::track::script::{Due, Report, RunEnd, ScriptCheck, ScriptParams};

use super::spec::{InstanceSpec, TrackKind};

/// At most this many scripts are started per turn of the loop: each start
/// forks and waits for the exec, so a hundred scripts due at once would
/// hold the loop (and the adverts due meanwhile) for tens of
/// milliseconds. The others start at the next turns, right after.
const SPAWNS_PER_TURN: usize = 8;

/// How often `/proc` is scanned while a process is tracked.
pub(super) const PROC_SCAN: Duration = Duration::from_secs(1);

/// What a script run is for (the runner's completion tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    /// A `vrrp_script` run: its index and the configuration generation.
    Track(usize, u64),
    /// A notify or FIFO script: nobody waits for it.
    Notify,
}

/// The settings that decide a script's state: equal ones keep their state
/// across a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ScriptKey {
    argv: Vec<String>,
    user: Option<String>,
    group: Option<String>,
    params: ScriptParams,
    timeout: Duration,
}

struct ScriptRt {
    check: ScriptCheck,
    key: ScriptKey,
    program: Option<Arc<Program>>,
}

struct FileRt {
    name: String,
    path: PathBuf,
    value: i64,
}

struct ProcRt {
    track: ProcessTrack,
    /// The matching processes (followed through the process connector).
    pids: HashSet<u32>,
}

/// Every tracked object of the running configuration.
#[derive(Default)]
pub(super) struct Trackers {
    scripts: Vec<ScriptRt>,
    script_idx: HashMap<String, usize>,
    files: Vec<FileRt>,
    file_idx: HashMap<String, usize>,
    procs: Vec<ProcRt>,
    proc_idx: HashMap<String, usize>,
    pub generation: u64,
    next_scan: Option<Instant>,
    /// Processes are followed through the kernel's connector.
    events: bool,
    /// inotify watch id -> watched directory.
    watches: HashMap<i32, PathBuf>,
}

fn script_key(s: &model::VrrpScript) -> Option<ScriptKey> {
    let sc = s.script.as_ref()?;
    Some(ScriptKey {
        argv: sc.argv.clone(),
        user: sc.user.clone(),
        group: sc.group.clone(),
        // keepalived 2.2.7 resets a script to "not run yet" when an instance
        // or group tracks it (alloc_track_script), which every use does: a
        // tracked script's init_fail has no effect there, and none here.
        params: ScriptParams { interval: s.interval, rise: s.rise, fall: s.fall, init_fail: false },
        timeout: if s.timeout.is_zero() { s.interval } else { s.timeout },
    })
}

/// Reads a tracked file's value: its leading integer; 0 when it is missing,
/// empty or not a number.
pub(super) fn read_value(path: &Path) -> i64 {
    let Ok(text) = std::fs::read_to_string(path) else { return 0 };
    let t = text.trim_start();
    let end = t.char_indices().take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))).count();
    t.get(..end).and_then(|n| n.parse().ok()).unwrap_or(0)
}

impl Trackers {
    /// The trackers `cfg` names that `specs` use, keeping the state of
    /// those whose settings did not change (`old`).
    /// With `events`, processes are followed through the kernel's process
    /// connector after a first scan; without, `/proc` is scanned every
    /// [`PROC_SCAN`].
    pub(super) fn build(
        cfg: &VrrpConfig,
        specs: &[InstanceSpec],
        prep: &mut Preparer,
        old: Trackers,
        now: Instant,
        events: bool,
    ) -> Trackers {
        let used = |kind: TrackKind, name: &str| {
            specs.iter().any(|s| s.track.items.iter().any(|(k, n, _)| *k == kind && n == name))
        };
        let mut t = Trackers { generation: old.generation + 1, events, ..Trackers::default() };
        for s in &cfg.scripts {
            let Some(key) = script_key(s) else { continue };
            if !used(TrackKind::Script, &s.name) {
                continue;
            }
            let program = s.script.as_ref().and_then(|sc| match prep.prepare(sc) {
                Ok(p) => Some(p),
                Err(crate::script::Refusal::Insecure) => {
                    tracing::info!("Disabling track script {} due to insecure", s.name);
                    None
                }
                Err(_) => {
                    tracing::info!("Disabling track script {} since not found/accessible", s.name);
                    None
                }
            });
            let mut check = ScriptCheck::new(&s.name, key.params, now);
            if let Some(o) = old.script_idx.get(&s.name).and_then(|i| old.scripts.get(*i)) {
                if o.key == key {
                    check.carry_from(&o.check);
                }
            }
            t.script_idx.insert(s.name.clone(), t.scripts.len());
            t.scripts.push(ScriptRt { check, key, program });
        }
        for f in &cfg.track_files {
            let Some(path) = f.file.as_ref() else { continue };
            if !used(TrackKind::File, &f.name) {
                continue;
            }
            let path = PathBuf::from(path);
            if let Some((value, overwrite)) = f.init_file {
                if overwrite || !path.exists() {
                    if let Err(e) = std::fs::write(&path, format!("{value}\n")) {
                        tracing::error!("Unable to initialise track file {} - {e}", path.display());
                    }
                }
            }
            let value = read_value(&path);
            t.file_idx.insert(f.name.clone(), t.files.len());
            t.files.push(FileRt { name: f.name.clone(), path, value });
        }
        let procs: Vec<&model::TrackProcess> =
            cfg.track_processes.iter().filter(|p| p.process.is_some() && used(TrackKind::Process, &p.name)).collect();
        if !procs.is_empty() {
            let params: Vec<ProcessParams> = procs.iter().map(|p| process_params(p)).collect();
            let sets = match_processes(&params);
            for ((p, params), pids) in procs.iter().zip(params).zip(sets) {
                let count = u32::try_from(pids.len()).unwrap_or(u32::MAX);
                let mut track = ProcessTrack::new(&p.name, params, count);
                if let Some(o) = old.proc_idx.get(&p.name).and_then(|i| old.procs.get(*i)) {
                    if o.track.params() == track.params() {
                        track.carry_from(&o.track);
                    }
                }
                t.proc_idx.insert(p.name.clone(), t.procs.len());
                t.procs.push(ProcRt { track, pids });
            }
            if !events {
                t.next_scan = Some(now + PROC_SCAN);
            }
        }
        t
    }

    /// What the named object says now (`None`: not a known object).
    pub(super) fn status(&self, kind: TrackKind, name: &str) -> Option<Status> {
        match kind {
            TrackKind::Script => self.script_idx.get(name).and_then(|i| self.scripts.get(*i)).map(|s| s.check.status()),
            TrackKind::File => self.file_idx.get(name).and_then(|i| self.files.get(*i)).map(|f| Status::Value(f.value)),
            TrackKind::Process => self.proc_idx.get(name).and_then(|i| self.procs.get(*i)).map(|p| p.track.status()),
            TrackKind::Interface => None,
        }
    }

    /// The name of script `i`.
    pub(super) fn script_name(&self, i: usize) -> Option<String> {
        self.scripts.get(i).map(|s| s.check.name().to_owned())
    }

    /// The earliest script run, process delay or `/proc` scan.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let scripts = self.scripts.iter().filter(|s| s.program.is_some()).map(|s| s.check.deadline());
        let procs = self.procs.iter().filter_map(|p| p.track.deadline());
        scripts.chain(procs).chain(self.next_scan).min()
    }

    /// The scripts due at `now`: their requests to run (with the tag), and
    /// the log lines of runs skipped.
    pub(super) fn due_scripts(&mut self, now: Instant) -> (Vec<(Tag, Request)>, Vec<String>) {
        let mut run = Vec::new();
        let mut logs = Vec::new();
        let generation = self.generation;
        for (i, s) in self.scripts.iter_mut().enumerate() {
            let Some(program) = &s.program else { continue };
            if run.len() >= SPAWNS_PER_TURN {
                break;
            }
            match s.check.due(now) {
                Some(Due::Run) => run
                    .push((Tag::Track(i, generation), Request::track(program.clone(), s.check.name(), s.key.timeout))),
                Some(Due::Skip(line)) => logs.push(line),
                None => {}
            }
        }
        (run, logs)
    }

    /// A script run ended. `None` if it belongs to a previous configuration.
    pub(super) fn finished(&mut self, idx: usize, generation: u64, outcome: &Outcome) -> Option<Report> {
        if generation != self.generation {
            return None;
        }
        let end = match outcome {
            Outcome::Exited(s) => RunEnd::Exited(*s),
            Outcome::Signalled(s) => RunEnd::Signalled(*s),
            Outcome::TimedOut => RunEnd::TimedOut,
            // Upstream's child exits 0 when it cannot exec the script.
            Outcome::SpawnFailed(_) => RunEnd::Exited(0),
            Outcome::Cancelled | Outcome::Lost => {
                self.scripts.get_mut(idx)?.check.finished(RunEnd::Exited(0));
                return None;
            }
        };
        Some(self.scripts.get_mut(idx)?.check.finished(end))
    }

    /// Scans `/proc` when due and applies process delays; returns the
    /// log lines of quorum changes (and whether anything changed).
    pub(super) fn processes(&mut self, now: Instant) -> Vec<String> {
        let mut logs = Vec::new();
        if self.next_scan.is_some_and(|t| t <= now) {
            self.next_scan = Some(now + PROC_SCAN);
            let params: Vec<ProcessParams> = self.procs.iter().map(|p| p.track.params().clone()).collect();
            let sets = match_processes(&params);
            for (p, pids) in self.procs.iter_mut().zip(sets) {
                p.pids = pids;
                logs.extend(p.track.set_count(u32::try_from(p.pids.len()).unwrap_or(u32::MAX), now));
            }
        }
        for p in &mut self.procs {
            logs.extend(p.track.on_timer(now));
        }
        logs
    }

    /// Counts the processes again at the next [`Trackers::processes`] (the
    /// connector lost events).
    pub(super) fn rescan_processes(&mut self, now: Instant) {
        if !self.procs.is_empty() {
            self.next_scan = Some(self.next_scan.map_or(now, |t| t.min(now)));
            let _ = self.processes(now);
            if self.events {
                self.next_scan = None;
            }
        }
    }

    /// A process event from the kernel: the sets of matching processes
    /// follow it; the log lines of quorum changes.
    pub(super) fn on_proc_event(&mut self, ev: ProcEvent, now: Instant) -> Vec<String> {
        let mut logs = Vec::new();
        let need_cmdline = self.procs.iter().any(|p| p.track.params().needs_cmdline());
        let info = match ev {
            ProcEvent::Exit { .. } => None,
            ProcEvent::Fork { child: pid } | ProcEvent::Exec { pid } | ProcEvent::Comm { pid } => {
                proc_info(&pid.to_string(), need_cmdline)
            }
        };
        let pid = match ev {
            ProcEvent::Fork { child } => child,
            ProcEvent::Exec { pid } | ProcEvent::Comm { pid } | ProcEvent::Exit { pid } => pid,
        };
        for p in &mut self.procs {
            let hit = info.as_ref().is_some_and(|i| p.track.params().matches(i));
            let changed = if hit { p.pids.insert(pid) } else { p.pids.remove(&pid) };
            if changed {
                logs.extend(p.track.set_count(u32::try_from(p.pids.len()).unwrap_or(u32::MAX), now));
            }
        }
        logs
    }

    /// The directories holding tracked files (to watch).
    pub(super) fn file_dirs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = Vec::new();
        for f in &self.files {
            let dir = f.path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            if !v.contains(&dir) {
                v.push(dir);
            }
        }
        v
    }

    pub(super) fn set_watches(&mut self, w: HashMap<i32, PathBuf>) {
        self.watches = w;
    }

    /// Something changed in the directory of watch `wd`: re-reads its
    /// files; true when a value changed.
    pub(super) fn files_changed(&mut self, wd: Option<i32>) -> bool {
        let dir = wd.and_then(|w| self.watches.get(&w).cloned());
        let mut changed = false;
        for f in &mut self.files {
            if dir.as_ref().is_some_and(|d| f.path.parent() != Some(d.as_path())) {
                continue;
            }
            let v = read_value(&f.path);
            if v != f.value {
                tracing::debug!("Track file {} now has value {v}", f.name);
                f.value = v;
                changed = true;
            }
        }
        changed
    }
}

fn process_params(p: &model::TrackProcess) -> ProcessParams {
    let words = p.process.clone().unwrap_or_default();
    let (name, args) = match words.split_first() {
        Some((n, a)) => (n.clone(), a.to_vec()),
        None => (String::new(), Vec::new()),
    };
    let param_match = match p.param_match {
        Some(model::ParamMatch::Partial) => ParamMatch::Partial,
        Some(model::ParamMatch::Initial) => ParamMatch::Initial,
        Some(model::ParamMatch::Exact) => ParamMatch::Exact,
        None if !args.is_empty() => ParamMatch::Exact,
        None => ParamMatch::Any,
    };
    ProcessParams {
        name,
        args,
        param_match,
        full_command: p.full_command,
        quorum: p.quorum,
        quorum_max: p.quorum_max.unwrap_or(u32::MAX),
        fork_delay: p.fork_delay,
        terminate_delay: p.terminate_delay,
    }
}

/// What `/proc/PID` says of a running process (`None`: gone, or a zombie).
fn proc_info(pid: &str, need_cmdline: bool) -> Option<ProcInfo> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let comm = stat.get(open + 1..close).unwrap_or("").to_owned();
    if stat.get(close + 2..close + 3) == Some("Z") {
        return None;
    }
    let cmdline = if need_cmdline {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Some(ProcInfo { comm, cmdline })
}

/// The running (not zombie) processes matching each tracker, by pid.
fn match_processes(params: &[ProcessParams]) -> Vec<HashSet<u32>> {
    let mut sets = vec![HashSet::new(); params.len()];
    let need_cmdline = params.iter().any(ProcessParams::needs_cmdline);
    let Ok(dir) = std::fs::read_dir("/proc") else { return sets };
    let me = std::process::id();
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Some(info) = proc_info(&pid.to_string(), need_cmdline) else { continue };
        for (set, p) in sets.iter_mut().zip(params) {
            if p.matches(&info) {
                set.insert(pid);
            }
        }
    }
    sets
}

/// Counts the running processes matching each tracker.
#[cfg(test)]
fn count_processes(params: &[ProcessParams]) -> Vec<u32> {
    match_processes(params).iter().map(|s| u32::try_from(s.len()).unwrap_or(u32::MAX)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_leading_integer() {
        let dir = std::env::temp_dir().join(format!("kr-track-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("v");
        for (text, want) in [("5\n", 5), ("-300", -300), ("  12 apples", 12), ("x", 0), ("", 0), ("+7", 7)] {
            std::fs::write(&f, text).unwrap();
            assert_eq!(read_value(&f), want, "{text:?}");
        }
        assert_eq!(read_value(&dir.join("missing")), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn counts_this_test_process_by_name() {
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap().trim().to_owned();
        let sleep = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let p = ProcessParams {
            name: "sleep".into(),
            args: vec!["5".into()],
            param_match: ParamMatch::Exact,
            full_command: false,
            quorum: 1,
            quorum_max: u32::MAX,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
        };
        let any = ProcessParams {
            name: "no-such-process-name".into(),
            args: vec![],
            param_match: ParamMatch::Any,
            ..p.clone()
        };
        let counts = count_processes(&[p, any]);
        assert!(counts[0] >= 1, "{comm}: {counts:?}");
        assert_eq!(counts[1], 0);
        let mut sleep = sleep;
        let _ = sleep.kill();
        let _ = sleep.wait();
    }
}
