//! Notifications of state changes, as keepalived 2.2.7 sends them
//! (`vrrp_notify.c`): for each event, the state's own script
//! (`notify_master`, `notify_backup`, `notify_fault`, `notify_stop`,
//! `notify_deleted`, `notify_master_rx_lower_pri`), then the generic
//! `notify` script with `INSTANCE|GROUP NAME STATE PRIORITY` appended, then
//! one line on each notify FIFO (`notify_fifo` and `vrrp_notify_fifo`):
//! `INSTANCE "VI_1" MASTER 100`, `GROUP "G1" BACKUP 0`,
//! `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100`, and with
//! `vrrp_notify_priority_changes` `INSTANCE "VI_1" BACKUP_PRIORITY 90`.
//!
//! Scripts go through the shared runner (never waited for); a FIFO that
//! does not exist is created (mode 0600 less the umask) and removed at exit,
//! and its `*_fifo_script` is started with the FIFO's path as its last
//! argument. (`lvs_notify_fifo` belongs to the checker process.)

use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::model::Script;
use crate::config::model::vrrp as model;
use crate::script::{NotifyScope, NotifyState, Preparer, Program, Request, ScriptRunner};

use super::track::Tag;

/// A notify script, prepared once per configuration.
fn prepare(prep: &mut Preparer, s: Option<&Script>, what: &str) -> Option<Arc<Program>> {
    let s = s?;
    match prep.prepare(s) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("Disabling notify script {} ({what}) - {e}", s.argv.first().map_or("", String::as_str));
            None
        }
    }
}

/// The notify scripts of one instance or sync group.
#[derive(Debug, Default)]
pub(super) struct NotifyScripts {
    master: Option<Arc<Program>>,
    backup: Option<Arc<Program>>,
    fault: Option<Arc<Program>>,
    stop: Option<Arc<Program>>,
    /// `notify_deleted`: `Some` sends DELETED rather than STOP on removal.
    deleted: Option<Option<Arc<Program>>>,
    rx_lower: Option<Arc<Program>>,
    any: Option<Arc<Program>>,
    /// `notify_priority_changes` of the instance (else the global one).
    priority_changes: Option<bool>,
}

impl NotifyScripts {
    pub(super) fn prepare(n: &model::Notify, prep: &mut Preparer) -> NotifyScripts {
        NotifyScripts {
            master: prepare(prep, n.master.as_ref(), "notify_master"),
            backup: prepare(prep, n.backup.as_ref(), "notify_backup"),
            fault: prepare(prep, n.fault.as_ref(), "notify_fault"),
            stop: prepare(prep, n.stop.as_ref(), "notify_stop"),
            deleted: n.deleted.as_ref().map(|d| prepare(prep, d.as_ref(), "notify_deleted")),
            rx_lower: prepare(prep, n.master_rx_lower_pri.as_ref(), "notify_master_rx_lower_pri"),
            any: prepare(prep, n.any.as_ref(), "notify"),
            priority_changes: n.priority_changes,
        }
    }

    /// Whether it has nothing: no script, no setting of its own.
    pub(super) fn is_empty(&self) -> bool {
        let NotifyScripts { master, backup, fault, stop, deleted, rx_lower, any, priority_changes } = self;
        [master, backup, fault, stop, rx_lower, any].iter().all(|s| s.is_none())
            && deleted.is_none()
            && priority_changes.is_none()
    }

    /// Whether a removed instance reports DELETED (else STOP).
    pub(super) fn sends_deleted(&self) -> bool {
        self.deleted.is_some()
    }
}

/// One FIFO written to.
struct Fifo {
    path: PathBuf,
    file: std::fs::File,
    created: bool,
}

/// The notify FIFOs of the VRRP process and the runner for scripts.
pub(super) struct Notifier {
    fifos: Vec<Fifo>,
    /// `vrrp_notify_priority_changes`.
    pub priority_changes: bool,
}

impl Notifier {
    pub(super) fn none() -> Notifier {
        Notifier { fifos: Vec::new(), priority_changes: false }
    }

    /// Opens (creating them if needed) `notify_fifo` and `vrrp_notify_fifo`
    /// and starts their scripts. FIFOs already open stay open.
    pub(super) fn open(
        &mut self,
        fifos: &[(String, Option<&Script>)],
        prep: &mut Preparer,
        runner: &ScriptRunner<Tag>,
    ) {
        let wanted: Vec<PathBuf> = fifos.iter().map(|(p, _)| PathBuf::from(p)).collect();
        let (keep, drop): (Vec<Fifo>, Vec<Fifo>) =
            std::mem::take(&mut self.fifos).into_iter().partition(|f| wanted.contains(&f.path));
        for f in drop {
            close(f);
        }
        self.fifos = keep;
        for (path, script) in fifos {
            let path = PathBuf::from(path);
            if self.fifos.iter().any(|f| f.path == path) {
                continue;
            }
            match open_fifo(&path) {
                Ok((file, created)) => {
                    if let Some(program) = prepare(prep, *script, "fifo script") {
                        runner.spawn(Tag::Notify, Request::fifo_script(program, &path.to_string_lossy()));
                    }
                    self.fifos.push(Fifo { path, file, created });
                }
                Err(e) => tracing::error!("Unable to open notify fifo {} - {e}", path.display()),
            }
        }
    }

    /// Closes the FIFOs, removing those we created.
    pub(super) fn close_all(&mut self) {
        for f in std::mem::take(&mut self.fifos) {
            close(f);
        }
    }

    fn write(&mut self, line: &str) {
        for f in &mut self.fifos {
            // Nobody reading and the pipe full: the line is lost, as upstream's is.
            let _ = f.file.write_all(line.as_bytes());
        }
    }

    /// A state change (or STOP/DELETED) of an instance or group.
    pub(super) fn state(
        &mut self,
        runner: &ScriptRunner<Tag>,
        scope: NotifyScope,
        name: &str,
        state: NotifyState,
        priority: u8,
        scripts: &NotifyScripts,
    ) {
        let own = match state {
            NotifyState::Master => scripts.master.as_ref(),
            NotifyState::Backup => scripts.backup.as_ref(),
            NotifyState::Fault => scripts.fault.as_ref(),
            NotifyState::Stop => scripts.stop.as_ref(),
            NotifyState::Deleted => scripts.deleted.as_ref().and_then(Option::as_ref),
        };
        if let Some(p) = own {
            let req = if state == NotifyState::Stop {
                Request::notify_stopping(p.clone())
            } else {
                Request::notify(p.clone())
            };
            runner.spawn(Tag::Notify, req);
        }
        if let Some(p) = &scripts.any {
            runner.spawn(Tag::Notify, Request::notify_state(p.clone(), scope, name, state, priority));
        }
        self.write(&format!("{} \"{name}\" {} {priority}\n", scope.as_str(), state.as_str()));
    }

    /// Only the FIFO line of a state (`fifo_write_vrrp_states_on_reload`).
    pub(super) fn fifo_state(&mut self, scope: NotifyScope, name: &str, state: NotifyState, priority: u8) {
        self.write(&format!("{} \"{name}\" {} {priority}\n", scope.as_str(), state.as_str()));
    }

    /// A MASTER heard a lower priority advert.
    pub(super) fn rx_lower(&mut self, runner: &ScriptRunner<Tag>, name: &str, priority: u8, scripts: &NotifyScripts) {
        if let Some(p) = &scripts.rx_lower {
            runner.spawn(Tag::Notify, Request::notify(p.clone()));
        }
        self.write(&format!("INSTANCE \"{name}\" MASTER_RX_LOWER_PRI {priority}\n"));
    }

    /// The effective priority changed (with `vrrp_notify_priority_changes`).
    pub(super) fn priority(&mut self, name: &str, master: bool, priority: u8, scripts: &NotifyScripts) {
        if scripts.priority_changes.unwrap_or(self.priority_changes) {
            let what = if master { "MASTER_PRIORITY" } else { "BACKUP_PRIORITY" };
            self.write(&format!("INSTANCE \"{name}\" {what} {priority}\n"));
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.close_all();
    }
}

/// Opens a FIFO for writing without blocking (read-write, so that no
/// reader is needed); creates it when missing.
fn open_fifo(path: &std::path::Path) -> std::io::Result<(std::fs::File, bool)> {
    let mut created = false;
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_fifo() => {}
        Ok(_) => return Err(std::io::Error::other("exists and is not a FIFO")),
        Err(_) => {
            crate::sys::mkfifo(path, 0o600)?;
            created = true;
        }
    }
    let file = std::fs::OpenOptions::new().read(true).write(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    Ok((file, created))
}

fn close(f: Fifo) {
    if f.created {
        let _ = std::fs::remove_file(&f.path);
    }
}
