//! The one runner for every external program keepalived starts: track
//! scripts (`vrrp_script`), notify scripts of VRRP instances and sync
//! groups, notify FIFO scripts, MISC_CHECK, `quorum_up`/`quorum_down` and
//! the real servers' `notify_up`/`notify_down`.
//!
//! # Using it
//!
//! When a configuration is loaded, the process that runs the scripts
//! prepares each one once with a [`Preparer`]: it resolves the user
//! ([`account`]), checks the script's security ([`security`]) and gives an
//! `Arc<`[`Program`]`>`, or a [`Refusal`] saying why the script is disabled.
//! Its [`Preparer::take_messages`] are upstream's log lines (some are
//! configuration errors), and [`Preparer::security_summary`] is the
//! "SECURITY VIOLATION" warning to log once all scripts are prepared.
//!
//! ```ignore
//! let mut prep = Preparer::new(ScriptPolicy::from_global(&config.global));
//! let chk = match prep.prepare(vrrp_script.script.as_ref()?) {
//!     Ok(program) => program,
//!     Err(Refusal::Insecure) => { info!("Disabling track script {name} due to insecure"); ... }
//!     Err(_) => { info!("Disabling track script {name} since not found/accessible"); ... }
//! };
//! for m in prep.take_messages() { info!("{}", m.text) }
//! ```
//!
//! Each run is a [`Request`], built with the constructor of its kind (which
//! appends upstream's arguments and sets upstream's time limits), and given
//! to a [`ScriptRunner`]. Two ways to run, both non-blocking for the
//! runtime:
//! - [`ScriptRunner::spawn`]`(tag, request) -> `[`ScriptId`]: returns at
//!   once; the [`Completion`] (tag, pid, [`Outcome`]) arrives on the channel
//!   from [`ScriptRunner::new`]. This suits a pure state machine: its action
//!   "run the script" becomes a `spawn` with a tag naming the script, and the
//!   completion becomes its next input.
//! - [`ScriptRunner::run`]`(request).await`: the completion itself (a
//!   per-checker task, such as MISC_CHECK's).
//!
//! At most [`ScriptRunner::limit`] scripts run at once; further requests
//! wait in order and are never dropped. [`ScriptRunner::terminate_all`] and
//! [`ScriptRunner::idle`] serve reload and shutdown.
//!
//! # What a script gets, as upstream gives it
//!
//! - argv: the configured words (split at unquoted spaces, quotes removed,
//!   by the configuration parser), the program replaced by its resolved
//!   path, then per kind:
//!
//! | kind | appended | time limit |
//! | --- | --- | --- |
//! | `vrrp_script` `script` ([`Request::track`]) | nothing | `timeout` (default `interval`), SIGTERM, SIGKILL 2 s later |
//! | MISC_CHECK `misc_path` ([`Request::misc_check`]) | nothing | `misc_timeout`, else `delay_loop`; SIGTERM, SIGKILL 2 s later |
//! | `notify_master`/`_backup`/`_fault`/`_deleted`/`_master_rx_lower_pri` ([`Request::notify`]) | nothing | none |
//! | `notify_stop` ([`Request::notify_stopping`]) | nothing | 1 s, then SIGKILL |
//! | `notify` ([`Request::notify_state`]) | `INSTANCE`\|`GROUP`, name, `MASTER`\|`BACKUP`\|`FAULT`\|`STOP`\|`DELETED`, priority (0 for a group) | none; STOP: 1 s, then SIGKILL |
//! | `quorum_up`/`quorum_down`, `notify_up`/`notify_down` ([`Request::notify`]; at shutdown with omega [`Request::notify_stopping`]) | nothing | none; at shutdown 1 s, then SIGKILL |
//! | `notify_fifo_script`, `vrrp_`/`lvs_notify_fifo_script` ([`Request::fifo_script`]) | the FIFO's path | none (terminated at shutdown) |
//!
//! - A first word `</path` (a shell redirection testing that a file opens)
//!   runs as `/bin/sh -c` with upstream's quoting ([`Program::command_line`]).
//!   A script without `#!` is run by `/bin/sh` (execvp's fallback; upstream
//!   runs such scripts through `system()`).
//! - Environment and working directory: this process's, unchanged (upstream
//!   passes `environ`; it adds no variables).
//! - stdin, stdout, stderr: /dev/null. Upstream's scripts write to
//!   /dev/null too, so nothing a script prints is read or kept, and a script
//!   printing megabytes costs us nothing.
//! - Credentials: `setgroups` (the primary group alone, or the user's
//!   supplementary groups with `user NAME :GROUP` or
//!   `set_supplementary_groups`), `setgid`, `setuid`; by default the
//!   `keepalived_script` user if it exists, else root (see [`prepare`]).
//! - Its own process group (`setpgid(0, 0)`), so a timeout kills every
//!   process the script started; default signal dispositions, an empty
//!   signal mask, and SIGTERM if the spawning thread dies
//!   (`PR_SET_PDEATHSIG`).
//! - When the script itself exits its group is left alone: a notify script
//!   may start a daemon. The runner reaps the script and returns at once; a
//!   process it left behind is not our child (it is re-parented).
//!
//! # Outcomes
//!
//! [`Outcome::Exited`] with the status, [`Outcome::Signalled`] with the
//! signal, [`Outcome::TimedOut`] (the deadline passed and the group was
//! killed), [`Outcome::Cancelled`], [`Outcome::SpawnFailed`] (upstream's
//! child logs "Error exec-ing command ..." and exits 0, so upstream counts an
//! exec failure as success: callers decide), [`Outcome::Lost`]. The
//! callers log upstream's lines from them ("VRRP_Script(chk) succeeded",
//! "Misc check to [..] for [..] timed out.").

pub mod account;
pub mod prepare;
pub mod request;
pub mod runner;
pub mod security;

pub use account::{AccountError, Accounts, Credentials};
pub use prepare::{Message, Preparer, Program, Refusal, ScriptPolicy};
pub use request::{NotifyScope, NotifyState, Request};
pub use runner::{Completion, Outcome, ScriptId, ScriptRunner};
