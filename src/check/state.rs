//! The pure per-checker state machine: when to probe, how many failures
//! make a checker down, what to log. One [`Checker`] per `TCP_CHECK`,
//! `HTTP_GET`, `SSL_GET`, `SMTP_CHECK`, `DNS_CHECK`, `UDP_CHECK`,
//! `PING_CHECK` or `MISC_CHECK` block (FILE_CHECK has no probe: see
//! [`super::server`]).
//!
//! Pure: no sockets, no clock. The runtime calls [`Checker::handle`] with the
//! time an input happened and executes the returned [`Action`]s in order; it
//! sleeps until [`Checker::next_deadline`] and then feeds [`Input::Timer`].
//! While a probe is in flight there is no deadline: the probe itself times
//! out on `connect_timeout` (or `misc_timeout`) and reports an [`Outcome`].
//!
//! # keepalived 2.2.7's behaviour reproduced here
//! Each checker type has its own retry rules upstream, and they differ in
//! ways admins can see (log lines, when a server leaves and comes back); they
//! are reproduced per [`Kind`], as seen running Debian's keepalived 2.2.7:
//! - The first probe runs 1 s after start plus a random part of `warmup`.
//! - At start one failure is enough to take a checker down (its retry
//!   counter starts full), alpha or not; later, `retry` failures spaced by
//!   `delay_before_retry` are needed.
//! - TCP_CHECK keeps spacing failures by `delay_before_retry` while down
//!   (retry counter cycling), UDP_CHECK and PING_CHECK use `delay_loop`.
//! - HTTP_GET/SSL_GET check their URLs one at a time; a down checker
//!   re-checks only the failed URL every max(`delay_before_retry`,
//!   `delay_loop`), and once it passes, all URLs again one `delay_loop`
//!   later, so a recovered server comes back one `delay_loop` after its
//!   first good check (at once with `fast_recovery`).
//! - MISC_CHECK's next run counts from the start of the previous one; the
//!   exit status maps to a verdict and weight as [`super::misc`] says.

use std::time::{Duration, Instant};

use super::misc::{MiscExit, MiscVerdict};

/// keepalived's BOOTSTRAP_DELAY: the first probe never runs before this.
pub const BOOTSTRAP_DELAY: Duration = Duration::from_secs(1);

/// Timers and counters of a checker, resolved from the checker, real server
/// and virtual server settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Interval between checks of a healthy (or settled) checker.
    pub delay_loop: Duration,
    /// Failures tolerated before the checker goes down.
    pub retry: u32,
    /// Interval between retries.
    pub delay_before_retry: Duration,
    /// Upper bound of the random delay before the first check.
    pub warmup: Duration,
    /// Start down until a first success (`alpha`).
    pub alpha: bool,
    /// Log every failed attempt (`log_all_failures`, `checker_log_all_failures`).
    pub log_all_failures: bool,
}

/// The checker type, with what its retry rules and log lines need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// TCP_CHECK.
    Tcp,
    /// UDP_CHECK.
    Udp,
    /// PING_CHECK.
    Ping,
    /// DNS_CHECK.
    Dns,
    /// SMTP_CHECK.
    Smtp,
    /// HTTP_GET and SSL_GET: the URL paths in order (for log lines).
    Http {
        /// `path` of each `url` block.
        paths: Vec<String>,
        /// `fast_recovery`.
        fast_recovery: bool,
    },
    /// MISC_CHECK.
    Misc {
        /// `misc_dynamic`.
        dynamic: bool,
        /// The program (first word of `misc_path`), as logged.
        program: String,
    },
}

/// Names in upstream's log lines (shared: a virtual server's name is one
/// allocation for all its real servers' checkers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The real server, `[IP]:proto:PORT` (FMT_RS).
    pub rs: std::sync::Arc<str>,
    /// The virtual server, `[IP]:proto:PORT`, `FWM N` or a group name (FMT_VS).
    pub vs: std::sync::Arc<str>,
    /// Where the probe connects, `[IP]:PORT` (SMTP_CHECK's lines; the
    /// planner leaves it empty, one shared allocation, for the others).
    pub target: std::sync::Arc<str>,
}

/// Everything a checker is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The type.
    pub kind: Kind,
    /// Timers and counters (shared: the checkers of a virtual server
    /// usually have the same, one allocation for all of them).
    pub timing: std::sync::Arc<Timing>,
    /// Names for the log.
    pub names: Names,
}

/// Why one attempt failed; the text of the per-attempt log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer within `connect_timeout`.
    Timeout,
    /// Refused, reset, unreachable and the like.
    Failed,
    /// UDP_CHECK: the reply did not match `require_reply`.
    Mismatch,
    /// The checker's own words (DNS, SMTP, HTTP: "MD5 digest error to", ...).
    Text(String),
}

/// What an HTTP url check found good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMatch {
    /// Only the status code was checked.
    StatusCode,
    /// The digest matched.
    Digest,
    /// The regex rule was satisfied.
    Regex,
}

impl HttpMatch {
    fn text(self) -> &'static str {
        match self {
            HttpMatch::StatusCode => "HTTP status code",
            HttpMatch::Digest => "MD5 digest",
            HttpMatch::Regex => "Regex match",
        }
    }
}

/// The result of checking one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpVerdict {
    /// `Content-Length` and the body bytes received, when they differ and
    /// the status code was good (keepalived logs it once per difference).
    pub length_mismatch: Option<(u64, u64)>,
    /// Good, or the words of the failure ("HTTP status code error to").
    pub result: Result<HttpMatch, String>,
}

/// What a finished probe reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The service answered as required.
    Success,
    /// It did not.
    Failure(Failure),
    /// HTTP_GET / SSL_GET: the verdict on the URL last asked for.
    Http(HttpVerdict),
    /// MISC_CHECK: how the script ended.
    Misc(MiscExit),
    /// The probe could not even start (no socket, bind failed): keepalived
    /// logs this line and tries again one `delay_loop` later, the checker's
    /// state untouched ("TCP connect fail to create socket. Rescheduling.").
    Rescheduled(String),
}

/// What can happen to a checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Start checking: the first probe runs after [`BOOTSTRAP_DELAY`] plus
    /// `warmup * rand / u32::MAX` (keepalived spreads start-up checks randomly).
    Start {
        /// A random number from the runtime.
        rand: u32,
    },
    /// The runtime reached [`Checker::next_deadline`].
    Timer,
    /// The probe asked for by the last [`Action::Probe`] finished.
    Done(Outcome),
    /// `ha_suspend`: the virtual server's address went away (false) or came
    /// back (true). A suspended checker keeps its schedule but does not probe.
    Enabled(bool),
}

/// How a MISC_CHECK result changes the real server's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightChange {
    /// Back to the configured weight (exit status 0).
    Configured,
    /// `misc_dynamic`: exit status 2 + N sets weight N.
    Set(u32),
    /// The checker went down: the configured weight is restored without a
    /// log line, so the next change is logged from it (keepalived 2.2.7).
    ResetQuietly,
}

/// What the runtime must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run one probe now; HTTP: check the URL with this index.
    Probe {
        /// The `url` block to fetch (HTTP_GET / SSL_GET only).
        url: Option<usize>,
    },
    /// The checker reports its state (keepalived's update_svr_checker_state):
    /// a change, or the confirmation of its first run. The real server's
    /// state is derived from all its checkers ([`super::server`]).
    State {
        /// Up or down.
        up: bool,
    },
    /// MISC_CHECK changes the real server's weight.
    Weight(WeightChange),
    /// Log this line (upstream's exact text).
    Log(String),
}

/// One checker's state.
#[derive(Debug, Clone)]
pub struct Checker {
    p: Params,
    is_up: bool,
    has_run: bool,
    retry_it: u32,
    enabled: bool,
    deadline: Option<Instant>,
    in_flight: bool,
    // When the current or last probe started (MISC_CHECK counts from it).
    started: Option<Instant>,
    // HTTP: the URL being checked (None: past the last), the one that failed
    // and the last length mismatch logged per URL.
    url_it: Option<usize>,
    failed_url: Option<usize>,
    len_mismatch: Box<[i128]>,
    // MISC_CHECK: the exit status that set the weight last (0 at start).
    last_exit: i32,
}

impl Checker {
    /// A checker that has not started. Alpha checkers start down.
    pub fn new(params: Params) -> Checker {
        let urls = match &params.kind {
            Kind::Http { paths, .. } => paths.len(),
            _ => 0,
        };
        Checker {
            is_up: !params.timing.alpha,
            has_run: false,
            // One failure is enough at start (keepalived sets the counter full).
            retry_it: params.timing.retry,
            enabled: true,
            deadline: None,
            in_flight: false,
            started: None,
            url_it: if urls > 0 { Some(0) } else { None },
            failed_url: None,
            len_mismatch: vec![0; urls].into_boxed_slice(),
            last_exit: 0,
            p: params,
        }
    }

    /// A reload: takes over the state of `old`, the same checker in the
    /// previous configuration (the caller matched it: same type, same
    /// target and settings), so that the checker neither warms up again nor
    /// flaps (keepalived's migrate_checkers; upstream issue #2318 lost the
    /// state of failed checkers). The retry counter is capped so that one
    /// more failure is enough when the old checker had used up the new
    /// `retry`. A probe the old checker had in flight is lost with it: the
    /// new one probes at once.
    pub fn carry_over(&mut self, old: &Checker, now: Instant) {
        if old.has_run {
            self.is_up = old.is_up;
        }
        self.has_run = old.has_run;
        let retry = self.p.timing.retry;
        if old.retry_it > 0 && retry > 0 {
            self.retry_it = old.retry_it.min(retry - 1);
        } else if old.has_run {
            self.retry_it = 0;
        }
        self.enabled = old.enabled;
        self.deadline = if old.in_flight { Some(now) } else { old.deadline };
        self.started = old.started;
        if self.len_mismatch.len() == old.len_mismatch.len() {
            self.url_it = old.url_it;
            self.failed_url = old.failed_url;
            self.len_mismatch = old.len_mismatch.clone();
        }
        self.last_exit = old.last_exit;
    }

    /// Before its first run, a checker of a real server that is down after a
    /// reload needs one failure only, and starts down in alpha mode.
    pub(crate) fn not_run_after_reload(&mut self) {
        if !self.has_run {
            if self.p.timing.alpha {
                self.is_up = false;
            }
            self.retry_it = self.p.timing.retry;
        }
    }

    /// The configuration.
    pub fn params(&self) -> &Params {
        &self.p
    }

    /// Whether the checker considers its service up.
    pub fn is_up(&self) -> bool {
        self.is_up
    }

    /// Whether a check has completed since start.
    pub fn has_run(&self) -> bool {
        self.has_run
    }

    /// Whether a probe is running.
    pub fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// Failures counted towards `retry` (keepalived's `retry_it`).
    pub fn retry_it(&self) -> u32 {
        self.retry_it
    }

    /// Whether the checker probes (`ha_suspend` turns it off).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// HTTP_GET / SSL_GET: the URL (index) that failed and is re-checked alone.
    pub fn failed_url(&self) -> Option<usize> {
        self.failed_url
    }

    /// When the current or last probe started (MISC_CHECK's "Last ran").
    pub fn started(&self) -> Option<Instant> {
        self.started
    }

    /// MISC_CHECK: the exit status that set the weight last.
    pub fn last_exit(&self) -> i32 {
        self.last_exit
    }

    /// When the runtime must feed [`Input::Timer`]; `None` while a probe
    /// runs (or before [`Input::Start`]).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Feeds one input that happened at `now`.
    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Start { rand } => {
                let warmup = self.p.timing.warmup.mul_f64(f64::from(rand) / f64::from(u32::MAX));
                self.deadline = Some(now + BOOTSTRAP_DELAY + warmup);
            }
            Input::Enabled(on) => self.enabled = on,
            Input::Timer => self.on_timer(now, &mut out),
            Input::Done(outcome) => {
                if !self.in_flight {
                    return out;
                }
                self.in_flight = false;
                self.on_outcome(now, outcome, &mut out);
            }
        }
        out
    }

    fn on_timer(&mut self, now: Instant, out: &mut Vec<Action>) {
        match self.deadline {
            Some(d) if d <= now && !self.in_flight => {}
            _ => return,
        }
        if !self.enabled {
            self.deadline = Some(now + self.p.timing.delay_loop);
            return;
        }
        self.deadline = None;
        self.in_flight = true;
        self.started = Some(now);
        let url = match self.p.kind {
            Kind::Http { .. } => self.url_it,
            _ => None,
        };
        out.push(Action::Probe { url });
    }

    fn on_outcome(&mut self, now: Instant, outcome: Outcome, out: &mut Vec<Action>) {
        if let Outcome::Rescheduled(line) = outcome {
            out.push(Action::Log(line));
            self.schedule(now, self.p.timing.delay_loop);
            return;
        }
        match (&self.p.kind, outcome) {
            (Kind::Http { .. }, Outcome::Http(v)) => self.http_result(now, v, out),
            (Kind::Http { .. }, Outcome::Success) => {
                self.http_result(now, HttpVerdict { length_mismatch: None, result: Ok(HttpMatch::StatusCode) }, out)
            }
            (Kind::Http { .. }, Outcome::Misc(_) | Outcome::Rescheduled(_)) => {
                self.http_result(now, HttpVerdict { length_mismatch: None, result: Err(String::new()) }, out)
            }
            (Kind::Http { .. }, Outcome::Failure(f)) => {
                let text = self.failure_text(&f);
                self.http_result(now, HttpVerdict { length_mismatch: None, result: Err(text) }, out)
            }
            (Kind::Misc { .. }, Outcome::Misc(exit)) => self.misc_result(now, exit, out),
            (Kind::Misc { .. }, Outcome::Success) => self.misc_result(now, MiscExit::Exited(0), out),
            (Kind::Misc { .. }, _) => self.misc_result(now, MiscExit::Exited(1), out),
            (Kind::Tcp, o) => self.tcp_result(now, o, out),
            (Kind::Udp | Kind::Ping, o) => self.udp_result(now, o, out),
            (Kind::Dns, o) => self.dns_result(now, o, out),
            (Kind::Smtp, o) => self.smtp_result(now, o, out),
        }
    }

    fn log_all(&self) -> bool {
        self.p.timing.log_all_failures
    }

    fn set_state(&mut self, up: bool, out: &mut Vec<Action>) {
        out.push(Action::State { up });
        self.is_up = up;
        self.has_run = true;
    }

    fn schedule(&mut self, now: Instant, delay: Duration) {
        self.deadline = Some(now + delay);
    }

    /// The per-attempt line of a failure, as each checker words it.
    fn failure_text(&self, f: &Failure) -> String {
        let n = &self.p.names;
        match (&self.p.kind, f) {
            (_, Failure::Text(t)) => t.clone(),
            (Kind::Tcp, Failure::Timeout) => format!("TCP connection to {} timeout.", n.rs),
            (Kind::Tcp, _) => format!("TCP connection to {} failed.", n.rs),
            (Kind::Udp, Failure::Mismatch) => format!("UDP check to {} reply data mismatch.", n.rs),
            (Kind::Udp, _) => format!("UDP connection to {} failed.", n.rs),
            (Kind::Ping, Failure::Timeout) => format!("ICMP connection to address {} timeout.", n.rs),
            (Kind::Ping, _) => format!("ICMP connection to {} of {} failed.", n.rs, n.vs),
            (Kind::Dns, Failure::Timeout) => "read timeout from socket".to_owned(),
            (Kind::Dns, _) => "connection error.".to_owned(),
            (Kind::Smtp, Failure::Timeout) => format!("Read timeout from server {}", n.target),
            (Kind::Smtp, _) => format!("Error connecting to server {}", n.target),
            (Kind::Http { .. }, Failure::Timeout) => "Timeout connecting".to_owned(),
            (Kind::Http { .. }, _) => "Connection failed".to_owned(),
            (Kind::Misc { .. }, _) => String::new(),
        }
    }

    // ------------------------------------------------------------ TCP_CHECK

    /// keepalived's tcp_epilog: the retry counter cycles even while down.
    fn tcp_result(&mut self, now: Instant, o: Outcome, out: &mut Vec<Action>) {
        let success = matches!(o, Outcome::Success);
        if let Outcome::Failure(f) = &o
            && self.is_up
            && self.log_all()
        {
            out.push(Action::Log(self.failure_text(f)));
        }
        let t = &self.p.timing;
        let delay;
        if success || self.retry_it >= t.retry {
            delay = t.delay_loop;
            self.retry_it = 0;
            if success && (!self.is_up || !self.has_run) {
                out.push(Action::Log(format!("TCP connection to {} success.", self.p.names.rs)));
                self.set_state(true, out);
            } else if !success && (self.is_up || !self.has_run) {
                let line = if t.retry > 0 && self.has_run {
                    format!("TCP_CHECK on service {} failed after {} retries.", self.p.names.rs, t.retry)
                } else {
                    format!("TCP_CHECK on service {} failed.", self.p.names.rs)
                };
                out.push(Action::Log(line));
                self.set_state(false, out);
            }
        } else {
            delay = t.delay_before_retry;
            self.retry_it += 1;
        }
        self.has_run = true;
        self.schedule(now, delay);
    }

    // ------------------------------------------------- UDP_CHECK, PING_CHECK

    /// keepalived's udp_epilog / icmp_epilog: no retries while down.
    fn udp_result(&mut self, now: Instant, o: Outcome, out: &mut Vec<Action>) {
        let success = matches!(o, Outcome::Success);
        if let Outcome::Failure(f) = &o
            && self.is_up
            && self.log_all()
        {
            out.push(Action::Log(self.failure_text(f)));
        }
        let ping = self.p.kind == Kind::Ping;
        let n = &self.p.names;
        let t = &self.p.timing;
        let mut delay = t.delay_loop;
        if success || ((self.is_up || !self.has_run) && self.retry_it >= t.retry) {
            self.retry_it = 0;
            if success && (!self.is_up || !self.has_run) {
                let line = if ping {
                    format!("ICMP connection to {} success.", n.rs)
                } else {
                    format!("UDP connection to {} success.", n.rs)
                };
                out.push(Action::Log(line));
                self.set_state(true, out);
            } else if !success && (self.is_up || !self.has_run) {
                let line = match (ping, t.retry > 0 && self.has_run) {
                    (true, true) => {
                        format!("ICMP CHECK on service {} of {} failed after {} retries.", n.rs, n.vs, t.retry)
                    }
                    (true, false) => format!("ICMP CHECK on service {} failed.", n.rs),
                    (false, true) => format!("UDP_CHECK on service {} failed after {} retries.", n.rs, t.retry),
                    (false, false) => format!("UDP_CHECK on service {} failed.", n.rs),
                };
                out.push(Action::Log(line));
                self.set_state(false, out);
            }
        } else if self.is_up {
            delay = t.delay_before_retry;
            self.retry_it += 1;
        }
        self.has_run = true;
        self.schedule(now, delay);
    }

    // ------------------------------------------------------------ DNS_CHECK

    /// keepalived's dns_final: no line when the server comes up.
    fn dns_result(&mut self, now: Instant, o: Outcome, out: &mut Vec<Action>) {
        let t = *self.p.timing;
        match o {
            Outcome::Success => {
                if !self.is_up || !self.has_run {
                    self.set_state(true, out);
                }
            }
            other => {
                let f = if let Outcome::Failure(f) = other { f } else { Failure::Failed };
                if self.is_up || !self.has_run {
                    if self.log_all() || self.retry_it >= t.retry {
                        let mut line = format!("DNS_CHECK ({}) {}", self.p.names.rs, self.failure_text(&f));
                        if self.has_run && self.retry_it >= t.retry {
                            line.push_str(&format!(" after {} retries", t.retry));
                        }
                        out.push(Action::Log(line));
                    }
                    if self.retry_it < t.retry {
                        self.retry_it += 1;
                        self.has_run = true;
                        self.schedule(now, t.delay_before_retry);
                        return;
                    }
                    self.set_state(false, out);
                }
            }
        }
        self.retry_it = 0;
        self.schedule(now, t.delay_loop);
    }

    // ----------------------------------------------------------- SMTP_CHECK

    /// keepalived's smtp_final: the counter keeps growing while down.
    fn smtp_result(&mut self, now: Instant, o: Outcome, out: &mut Vec<Action>) {
        let t = *self.p.timing;
        if let Outcome::Failure(f) = o {
            if (self.is_up || !self.has_run) && (self.log_all() || self.retry_it >= t.retry) {
                out.push(Action::Log(format!("SMTP_CHECK {}", self.failure_text(&f))));
            }
            self.retry_it = self.retry_it.saturating_add(1);
            if self.retry_it <= t.retry {
                self.schedule(now, t.delay_before_retry);
                return;
            }
            if self.is_up || !self.has_run {
                self.set_state(false, out);
            }
            self.schedule(now, t.delay_loop);
            return;
        }
        self.retry_it = 0;
        if !self.is_up || !self.has_run {
            out.push(Action::Log(format!("Remote SMTP server {} succeed on service.", self.p.names.rs)));
            self.set_state(true, out);
        }
        self.has_run = true;
        self.schedule(now, t.delay_loop);
    }

    // ------------------------------------------------- HTTP_GET / SSL_GET

    fn http_result(&mut self, now: Instant, v: HttpVerdict, out: &mut Vec<Action>) {
        let Kind::Http { paths, .. } = &self.p.kind else { return };
        let url = self.url_it;
        let path = url.and_then(|u| paths.get(u)).cloned().unwrap_or_default();
        if let (Some((content, rx)), Some(u)) = (v.length_mismatch, url) {
            let diff = i128::from(content) - i128::from(rx);
            if let Some(last) = self.len_mismatch.get_mut(u)
                && *last != diff
            {
                *last = diff;
                out.push(Action::Log(format!(
                    "http_check for RS {} VS {} url {}: content_length ({content}) does not match received bytes ({rx})",
                    self.p.names.rs, self.p.names.vs, path
                )));
            }
        } else if let Some(last) = url.and_then(|u| self.len_mismatch.get_mut(u))
            && v.result.is_ok()
        {
            *last = 0;
        }
        match v.result {
            Ok(m) => {
                if !self.is_up {
                    out.push(Action::Log(format!("{} success to {} url({})", m.text(), self.p.names.rs, path)));
                }
                self.http_epilog(now, HttpStep::New, out);
            }
            Err(text) => {
                // keepalived's timeout_epilog.
                if self.is_up || !self.has_run {
                    if self.log_all() {
                        out.push(Action::Log(format!("{text} server {}.", self.p.names.rs)));
                    }
                    self.has_run = true;
                    self.http_epilog(now, HttpStep::Retry, out);
                } else {
                    self.http_epilog(now, HttpStep::Failed, out);
                }
            }
        }
    }

    /// keepalived's HTTP epilog: next URL, retry, or mark the failed URL.
    fn http_epilog(&mut self, now: Instant, step: HttpStep, out: &mut Vec<Action>) {
        let Kind::Http { paths, fast_recovery } = &self.p.kind else { return };
        let (urls, fast_recovery) = (paths.len(), *fast_recovery);
        let t = *self.p.timing;
        match step {
            HttpStep::New => {
                self.url_it = self.url_it.map(|u| u + 1).filter(|&u| u < urls);
                self.retry_it = 0;
            }
            HttpStep::Retry => self.retry_it = self.retry_it.saturating_add(1),
            HttpStep::Failed => {}
        }
        if step == HttpStep::New && self.url_it.is_none() && self.failed_url.is_none() {
            if !self.is_up || !self.has_run {
                out.push(Action::Log(format!("Remote Web server {} succeed on service.", self.p.names.rs)));
                self.set_state(true, out);
            }
            self.url_it = if urls > 0 { Some(0) } else { None };
            self.retry_it = 0;
        } else if step == HttpStep::Retry && self.retry_it > t.retry {
            if self.is_up || !self.has_run {
                let line = if t.retry > 0 {
                    format!(
                        "HTTP_CHECK on service {} failed after {} retries.",
                        self.p.names.rs,
                        self.retry_it.saturating_sub(1)
                    )
                } else {
                    format!("HTTP_CHECK on service {} failed.", self.p.names.rs)
                };
                out.push(Action::Log(line));
                self.set_state(false, out);
            }
            self.failed_url = self.url_it;
        } else if step == HttpStep::New && self.failed_url.is_some() {
            // The failed URL passes again: check them all from the first.
            self.failed_url = None;
            self.url_it = if urls > 0 { Some(0) } else { None };
            self.retry_it = 0;
        }
        let delay = if step == HttpStep::New {
            if !self.has_run {
                self.retry_it = t.retry;
            }
            t.delay_loop
        } else if self.failed_url.is_some() {
            t.delay_before_retry.max(t.delay_loop)
        } else {
            t.delay_before_retry
        };
        if fast_recovery && (!self.has_run || (!self.is_up && self.failed_url.is_none())) {
            self.schedule(now, Duration::ZERO);
        } else {
            self.schedule(now, delay);
        }
    }

    // ----------------------------------------------------------- MISC_CHECK

    fn misc_result(&mut self, now: Instant, exit: MiscExit, out: &mut Vec<Action>) {
        let Kind::Misc { dynamic, program } = &self.p.kind else { return };
        let (dynamic, program) = (*dynamic, program.clone());
        let t = *self.p.timing;
        let verdict = super::misc::verdict(exit, dynamic);
        let mut exit_type: Option<&str> = None;
        let mut success = false;
        let mut message_only = false;
        let mut reason: Option<(&str, i32)> = None;
        let mut reset_weight = false;
        match verdict {
            MiscVerdict::Up(weight) => {
                let code = exit.status().unwrap_or(0);
                if code != self.last_exit {
                    out.push(Action::Weight(weight));
                    self.last_exit = code;
                }
                if !self.is_up || !self.has_run {
                    exit_type = Some("succeeded");
                    success = true;
                }
                self.retry_it = 0;
            }
            MiscVerdict::Down if self.is_up || !self.has_run => {
                match exit {
                    MiscExit::Exited(code) => {
                        exit_type = Some("failed");
                        reason = Some(("exited with status", code));
                    }
                    MiscExit::Signaled(sig) => {
                        exit_type = Some("failed");
                        reason = Some(("due to signal", sig));
                    }
                    MiscExit::TimedOut => exit_type = Some("timed out"),
                }
                if self.retry_it < t.retry {
                    self.retry_it += 1;
                    if self.log_all() {
                        message_only = true;
                    } else {
                        exit_type = None;
                    }
                } else {
                    self.retry_it = 0;
                    if let Some(code) = exit.status() {
                        self.last_exit = code;
                    }
                    reset_weight = dynamic;
                }
            }
            MiscVerdict::Down => {}
        }
        if let Some(kind) = exit_type {
            let suffix = match (success, t.retry) {
                (true, _) => String::new(),
                (false, 0) => " with retry disabled".to_owned(),
                (false, n) => format!(" after {n} retries"),
            };
            let head =
                format!("Misc check for [{} VS {}] by [{program}] {kind}{suffix}", self.p.names.rs, self.p.names.vs);
            out.push(Action::Log(match reason {
                Some((why, code)) => format!("{head} ({why} {code})."),
                None => format!("{head}."),
            }));
            if !message_only {
                self.set_state(success, out);
            }
        }
        if reset_weight {
            out.push(Action::Weight(WeightChange::ResetQuietly));
        }
        let base = self.started.unwrap_or(now);
        let delay = if self.retry_it > 0 { t.delay_before_retry } else { t.delay_loop };
        let next = (base + delay).max(now + Duration::from_micros(1));
        self.deadline = Some(next);
        self.has_run = true;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpStep {
    /// REGISTER_CHECKER_NEW: the URL passed.
    New,
    /// REGISTER_CHECKER_RETRY: it failed while up (or before the first run).
    Retry,
    /// REGISTER_CHECKER_FAILED: it failed while already down.
    Failed,
}
