//! global_defs `startup_script` and `shutdown_script`: run by the parent,
//! once, before it starts any child and after the last child has ended, as
//! keepalived does. Each waits for its script (at most its timeout, then
//! SIGTERM to the script's process group and SIGKILL 2 s later).
//!
//! They go through the shared script runner (`crate::script`: credentials,
//! process group, default signals, nice value) on a current-thread tokio
//! runtime made for the run: the parent has no event loop of its own, and
//! it reaps only its children by pid, so the runner keeps its script's
//! exit status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::model::Script;
use crate::config::model::global::GlobalConfig;
use crate::script::request::TERM_GRACE;
use crate::script::{Outcome, Preparer, Program, Request, ScriptPolicy, ScriptRunner};

/// A prepared startup or shutdown script with its timeout.
#[derive(Clone, Debug)]
pub(crate) struct StartStop {
    pub program: Arc<Program>,
    pub timeout: Duration,
}

/// Which of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    Startup,
    Shutdown,
}

impl Which {
    /// keepalived's name in its log lines ("startup script script failed").
    fn label(self) -> &'static str {
        match self {
            Which::Startup => "startup script",
            Which::Shutdown => "shutdown script",
        }
    }
}

/// Checks and resolves the configured scripts (user, security), logging
/// what keepalived logs while doing so. A script that cannot run is left
/// out, as keepalived leaves it.
pub(crate) fn prepare(g: &GlobalConfig, startup: bool) -> (Option<StartStop>, Option<StartStop>) {
    let mut prep = Preparer::new(ScriptPolicy::from_global(g));
    let mut one = |s: Option<&Script>, timeout: Duration| -> Option<StartStop> {
        let s = s?;
        match prep.prepare(s) {
            Ok(program) => Some(StartStop { program, timeout }),
            Err(e) => {
                tracing::debug!("{} not run: {e}", s.command_line());
                None
            }
        }
    };
    // keepalived does not check the startup script again at a reload: it
    // never runs again.
    let up = if startup { one(g.startup_script.as_ref(), g.startup_script_timeout) } else { None };
    let down = one(g.shutdown_script.as_ref(), g.shutdown_script_timeout);
    for m in prep.take_messages() {
        tracing::info!("{}", m.text);
    }
    (up, down)
}

/// Runs one of them and waits for it, logging keepalived's lines.
pub(crate) fn run(which: Which, s: &StartStop, detail: bool) {
    let label = which.label();
    if detail {
        tracing::info!("Running {label} {}", s.program.argv.first().map(String::as_str).unwrap_or(""));
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::info!("Call of {label} {} failed - {e}", s.program.command_line());
            return;
        }
    };
    let req = Request {
        timeout: Some(s.timeout),
        grace: Some(TERM_GRACE),
        label: Some(label.to_owned()),
        ..Request::new(s.program.clone())
    };
    let started = Instant::now();
    let outcome = rt.block_on(async move {
        let (runner, _done) = ScriptRunner::<()>::new(1);
        runner.run(req).await.outcome
    });
    for line in report(label, &outcome, started.elapsed() >= s.timeout, detail) {
        tracing::info!("{line}");
    }
}

/// keepalived's lines for how the script ended; `late`: it ran past its
/// timeout (and was sent SIGTERM).
fn report(label: &str, outcome: &Outcome, late: bool, detail: bool) -> Vec<String> {
    let mut lines = Vec::new();
    match outcome {
        Outcome::TimedOut => lines.push(format!("{label} timed out")),
        Outcome::Exited(code) => {
            if late {
                lines.push(format!("{label} timed out"));
            }
            if *code != 0 {
                lines.push(format!("{label} script failed, status {code}"));
            } else if detail {
                lines.push(format!("{label} script succeeded"));
            }
        }
        // A signal we did not send, an exec failure (the runner said why),
        // a lost status: keepalived says nothing more.
        Outcome::Signalled(_) | Outcome::SpawnFailed(_) | Outcome::Lost | Outcome::Cancelled => {}
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_keepalived_words_them() {
        let r = |o: Outcome, late, detail| report("startup script", &o, late, detail);
        assert_eq!(r(Outcome::Exited(3), false, false), ["startup script script failed, status 3"]);
        assert_eq!(r(Outcome::Exited(0), false, false), Vec::<String>::new());
        assert_eq!(r(Outcome::Exited(0), false, true), ["startup script script succeeded"]);
        assert_eq!(r(Outcome::TimedOut, true, true), ["startup script timed out"]);
        assert_eq!(
            r(Outcome::Exited(7), true, false),
            ["startup script timed out", "startup script script failed, status 7"]
        );
        assert_eq!(r(Outcome::Signalled(9), false, true), Vec::<String>::new());
    }
}
