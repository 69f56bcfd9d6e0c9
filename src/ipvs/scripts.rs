//! The checker child's scripts and notify FIFOs: `quorum_up`/`quorum_down`
//! of a virtual server and `notify_up`/`notify_down` of a real server, run
//! by the shared runner ([`crate::script`]) when the director says so; the
//! MISC_CHECK programs (run by the health checkers on a runner of their
//! own, so that slow checks never delay a notify); the `notify_fifo` and
//! `lvs_notify_fifo` FIFOs and their scripts.
//!
//! Each configuration's scripts are prepared once when it is loaded (user,
//! security, path), as keepalived checks them; a script refused there is
//! dropped silently, as keepalived frees it. Nobody waits for a notify
//! script: its outcome is not read (keepalived's `notify_exec` does not
//! either). At shutdown (omega) a script gets 1 s, then its group is killed.
//! A reload stops every script still running (keepalived's script_killall)
//! and closes the FIFOs before the new configuration opens its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::model::Event;
use crate::config::model::Script;
use crate::config::model::global::GlobalConfig;
use crate::config::model::lvs::{CheckerKind, LvsConfig};
use crate::notify::NotifyFifo;
use crate::script::{Accounts, Preparer, Program, Request, ScriptPolicy, ScriptRunner};

/// How many notify scripts run at once; more wait their turn.
const PARALLEL: usize = 32;

/// How many MISC_CHECK scripts run at once (keepalived has no cap; this
/// one only bounds the processes a runaway configuration can fork).
const MISC_PARALLEL: usize = 512;

/// What identifies a configured script (its words and its user).
type Key = (Vec<String>, Option<String>, Option<String>, bool);

fn key(s: &Script) -> Key {
    (s.argv.clone(), s.user.clone(), s.group.clone(), s.supplementary_groups)
}

/// The prepared scripts of the running configuration and their runner.
pub(crate) struct Scripts {
    /// `None`: refused when prepared (not run).
    programs: HashMap<Key, Option<Arc<Program>>>,
    runner: ScriptRunner<()>,
    misc: ScriptRunner<()>,
    fifos: Vec<NotifyFifo>,
}

impl Scripts {
    /// Needs a tokio runtime only when a script runs.
    pub(crate) fn new() -> Scripts {
        // Completions are not read: the receiver goes, sends are dropped.
        let (runner, _completions) = ScriptRunner::new(PARALLEL);
        let (misc, _completions) = ScriptRunner::new(MISC_PARALLEL);
        Scripts { programs: HashMap::new(), runner, misc, fifos: Vec::new() }
    }

    /// The runner of the MISC_CHECK scripts.
    pub(crate) fn misc_runner(&self) -> ScriptRunner<()> {
        self.misc.clone()
    }

    /// A script of the loaded configuration as prepared (`None`: refused or unknown).
    pub(crate) fn program(&self, s: &Script) -> Option<Arc<Program>> {
        self.programs.get(&key(s)).cloned().flatten()
    }

    /// Opens `notify_fifo` and `lvs_notify_fifo` (closing those of the
    /// previous configuration first) and starts their scripts.
    pub(crate) fn open_fifos(&mut self, global: &GlobalConfig, lvs: &LvsConfig) {
        self.fifos.clear();
        let accounts = Accounts::system();
        let owner = |user: Option<&str>, group: Option<&str>| -> Option<(u32, u32)> {
            let (uid, gid) = accounts.user(user?)?;
            Some((uid, group.and_then(|g| accounts.group(g)).unwrap_or(gid)))
        };
        let global_fifo = global.notify_fifo.fifo.as_ref().map(|f| {
            (f.path.clone(), owner(f.user.as_deref(), f.group.as_deref()), global.notify_fifo.script.as_ref(), "")
        });
        let lvs_fifo = lvs.globals.notify_fifo.as_ref().map(|f| {
            (
                f.path.clone(),
                owner(f.user.as_deref(), f.group.as_deref()),
                lvs.globals.notify_fifo_script.as_ref(),
                "lvs_",
            )
        });
        for (path, owner, script, kind) in global_fifo.into_iter().chain(lvs_fifo) {
            let program = script.and_then(|s| self.program(s));
            let owner = owner.or_else(|| program.as_ref().map(|p| (p.creds.uid, p.creds.gid)));
            let runner = &self.runner;
            let opened = NotifyFifo::open(&path, owner, kind, || {
                if let Some(p) = program {
                    runner.spawn((), Request::fifo_script(p, &path));
                }
            });
            for l in opened.lines {
                tracing::info!("{l}");
            }
            self.fifos.extend(opened.fifo);
        }
    }

    /// A reload: every script still running is stopped (MISC_CHECK runs
    /// included), and the FIFOs are closed.
    pub(crate) fn reset(&mut self) {
        self.runner.terminate_all();
        self.misc.terminate_all();
        self.fifos.clear();
    }

    /// Prepares the notify scripts of a (new) configuration, logging what
    /// keepalived logs while checking them. The security summary is the
    /// configuration layer's.
    pub(crate) fn load(&mut self, global: &GlobalConfig, lvs: &LvsConfig) {
        let mut prep = Preparer::new(ScriptPolicy::from_global(global));
        let mut programs = HashMap::new();
        let mut all: Vec<&Script> = Vec::new();
        for vs in &lvs.virtual_servers {
            let rs = vs.real_servers.iter().chain(vs.sorry_server.iter()).filter_map(|r| r.extra.as_ref());
            let notify = rs.flat_map(|x| x.notify_up.iter().chain(x.notify_down.iter()));
            let misc = vs.real_servers.iter().flat_map(|r| r.checkers.iter()).filter_map(|c| match &c.kind {
                CheckerKind::Misc(m) => Some(&m.script),
                _ => None,
            });
            all.extend(vs.quorum_up.iter().chain(vs.quorum_down.iter()).chain(notify).chain(misc));
        }
        all.extend(global.notify_fifo.script.iter().chain(lvs.globals.notify_fifo_script.iter()));
        for s in all {
            let k = key(s);
            if programs.contains_key(&k) {
                continue;
            }
            let p = match prep.prepare(s) {
                Ok(p) => Some(p),
                Err(why) => {
                    tracing::debug!("script {} not run: {why}", s.command_line());
                    None
                }
            };
            programs.insert(k, p);
        }
        for m in prep.take_messages() {
            tracing::info!("{}", m.text);
        }
        self.programs = programs;
    }

    /// Logs the director's lines and starts the scripts it asks for;
    /// `stopping`: they run under the shutdown limit.
    pub(crate) fn handle(&mut self, events: Vec<Event>, stopping: bool) {
        for e in events {
            match e {
                Event::Log(line) => tracing::info!("{line}"),
                Event::Script { keyword, script } => self.run(keyword, &script, stopping),
                Event::Fifo(line) => {
                    for f in &mut self.fifos {
                        f.write(&line);
                    }
                }
            }
        }
    }

    fn run(&self, keyword: &str, script: &Script, stopping: bool) {
        let Some(Some(program)) = self.programs.get(&key(script)) else {
            tracing::debug!("{keyword} script {} not run: refused when prepared", script.command_line());
            return;
        };
        let program = program.clone();
        let req = if stopping { Request::notify_stopping(program) } else { Request::notify(program) };
        self.runner.spawn((), req);
    }

    /// At shutdown: waits (at most `limit`) for the scripts still running,
    /// then closes the FIFOs.
    pub(crate) async fn wait(&mut self, limit: Duration) {
        self.misc.terminate_all();
        let _ = tokio::time::timeout(limit, self.runner.idle()).await;
        self.fifos.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::validate::SystemView;

    #[tokio::test]
    async fn a_quorum_script_runs_and_a_refused_one_does_not() {
        let mark = std::env::temp_dir().join(format!("kr-quorum-up-{}", std::process::id()));
        let _ = std::fs::remove_file(&mark);
        let text = format!(
            "virtual_server 10.0.0.1 80 {{\n  quorum_up \"/bin/touch {}\"\n  \
             quorum_down /nonexistent/quorum-down\n  real_server 10.1.0.1 80 {{\n  }}\n}}\n",
            mark.display()
        );
        let loaded = crate::config::load_str(
            Path::new("test.conf"),
            &text,
            &crate::config::preprocess::Options::default(),
            &SystemView::default(),
        );
        let vs = &loaded.config.lvs.virtual_servers[0];
        let (up, down) = (vs.quorum_up.clone().unwrap(), vs.quorum_down.clone().unwrap());
        let mut s = Scripts::new();
        s.load(&loaded.config.global, &loaded.config.lvs);
        assert!(matches!(s.programs.get(&key(&down)), Some(None)));
        s.handle(vec![Event::Script { keyword: "quorum_down", script: down }], false);
        s.handle(vec![Event::Script { keyword: "quorum_up", script: up }], true);
        s.wait(Duration::from_secs(5)).await;
        assert!(mark.exists());
        let _ = std::fs::remove_file(&mark);
    }
}
