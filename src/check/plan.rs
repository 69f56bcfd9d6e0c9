//! From the configuration model to what the checker child runs: per real
//! server, a [`Server`] (the pure state) and for each of its checkers the
//! [`Probe`] to run when the state machine asks for one. Pure apart from the
//! probes' I/O in [`run`]; MISC_CHECK scripts run through the shared script
//! runner, which the runtime owns.
//!
//! Resolution follows keepalived: checker settings default to the real
//! server's, which default to the virtual server's; `connect_ip` /
//! `connect_port` default to the real server's address; the HTTP virtual
//! host of a URL defaults to the real server's, then the virtual server's;
//! SNI (with `enable_sni`) is `sni_name`, else the URL's, else the virtual
//! server's virtual host.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::SslContext;

use super::conn::{ConnOpts, LocalOpts};
use super::http_check::UrlRule;
use super::http_probe::{ProbeConfig, TlsOptions};
use super::server::{Server, TrackedFile};
use super::state::{Checker, Kind, Names, Outcome, Params, Timing};
use crate::config::model::Script;
use crate::config::model::lvs::{
    CheckerKind, DnsType, HttpCheck, LvsConfig, LvsGlobals, RealServer, UdpCheck, VirtualServer, VsKey,
};
use crate::config::model::vrrp::TrackFile;

/// The probe of one checker.
#[derive(Debug, Clone)]
pub enum Probe {
    /// TCP_CHECK.
    Tcp(ConnOpts),
    /// HTTP_GET / SSL_GET: the request template and the URL rules.
    Http {
        /// Target and TLS (its path and virtual host are unused: each URL
        /// rule holds its request, made once); boxed: a probe is kept per
        /// real server, most are smaller.
        base: Box<ProbeConfig>,
        /// The `url` blocks.
        urls: Vec<UrlRule>,
    },
    /// SMTP_CHECK.
    Smtp {
        /// Where.
        conn: ConnOpts,
        /// `helo_name`.
        helo: String,
    },
    /// DNS_CHECK.
    Dns {
        /// Where.
        conn: ConnOpts,
        /// `name`.
        name: String,
        /// `type`.
        qtype: DnsType,
    },
    /// UDP_CHECK.
    Udp {
        /// Where.
        conn: ConnOpts,
        /// Payload and reply rules.
        cfg: Box<UdpCheck>,
    },
    /// PING_CHECK.
    Ping(ConnOpts),
    /// MISC_CHECK: run through the script runner; its end is judged by
    /// [`super::misc::verdict`] inside the state machine.
    Misc {
        /// `misc_path` with `user`/`group` (boxed: the other probes are smaller).
        script: Box<Script>,
        /// `misc_timeout`, else `delay_loop`.
        timeout: Duration,
    },
}

/// A FILE_CHECK's file: the path to watch, for [`Server::file_value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedFile {
    /// The `track_file` block's name.
    pub name: String,
    /// Its `file`.
    pub path: String,
}

/// One real server ready to run.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Index of its virtual server in [`LvsConfig::virtual_servers`].
    pub vs: usize,
    /// Index in the virtual server's `real_servers` (`None`: the sorry server
    /// has no checkers and is not planned).
    pub rs: usize,
    /// The pure state.
    pub server: Server,
    /// One probe per checker of `server`, same order.
    pub probes: Vec<Probe>,
    /// One file per tracked file of `server`, same order.
    pub files: Vec<WatchedFile>,
}

/// What [`plan`] needs besides the model.
#[derive(Clone, Default)]
pub struct PlanInputs<'a> {
    /// The `track_file` blocks (FILE_CHECK refers to them by name).
    pub track_files: &'a [TrackFile],
    /// The shared TLS context, when some checker is an SSL_GET.
    pub tls: Option<SslContext>,
}

/// Builds the plan; returns it with warnings to log (BFD_CHECK not run,
/// unusable regexes, FILE_CHECK naming an unknown track_file).
pub fn plan(cfg: &LvsConfig, inputs: &PlanInputs<'_>) -> (Vec<Planned>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut ordinals: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    // What the checkers of a virtual server usually share, one allocation
    // each: the empty target name (only SMTP_CHECK's lines use it) and the
    // last timing made.
    let mut shared = Shared { no_target: Arc::from(""), timing: None };
    for (vi, vs) in cfg.virtual_servers.iter().enumerate() {
        // keepalived's FMT_VS: a group's virtual servers are `[GROUP]:N`,
        // N counting the virtual servers of that group.
        let vs_name = match &vs.key {
            VsKey::Group(g) => {
                let n = ordinals.entry(g.as_str()).or_insert(0);
                *n += 1;
                format!("[{g}]:{}", *n - 1)
            }
            _ => vs.display_name(),
        };
        let vs_name: Arc<str> = vs_name.into();
        for (ri, rs) in vs.real_servers.iter().enumerate() {
            out.push(plan_rs(vi, vs, &vs_name, ri, rs, &cfg.globals, inputs, &mut shared, &mut warnings));
        }
    }
    (out, warnings)
}

/// Values the planned checkers share (see [`plan`]).
struct Shared {
    no_target: Arc<str>,
    timing: Option<Arc<Timing>>,
}

impl Shared {
    /// `timing`, shared with the previous checker's when equal.
    fn timing(&mut self, timing: Timing) -> Arc<Timing> {
        match &self.timing {
            Some(t) if **t == timing => t.clone(),
            _ => {
                let t = Arc::new(timing);
                self.timing = Some(t.clone());
                t
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_rs(
    vi: usize,
    vs: &VirtualServer,
    vs_name: &Arc<str>,
    ri: usize,
    rs: &RealServer,
    globals: &LvsGlobals,
    inputs: &PlanInputs<'_>,
    shared: &mut Shared,
    warnings: &mut Vec<String>,
) -> Planned {
    let rs_name: Arc<str> = rs.display_name(vs.protocol).into();
    let vs_name = vs_name.clone();
    // Sized once: they are kept for the whole run, and a shrink would leave
    // a hole between the long-lived allocations of each real server.
    let mut checkers = Vec::with_capacity(rs.checkers.len());
    let mut probes = Vec::with_capacity(rs.checkers.len());
    let mut tracked = Vec::new();
    let mut files = Vec::new();
    for c in &rs.checkers {
        let target = c.effective_target(rs);
        let mut conn = ConnOpts::new(target, c.effective_connect_timeout(rs, vs));
        if let Some(o) = &c.common.conn {
            conn.set_local(LocalOpts {
                bind: o.bindto.map(|ip| SocketAddr::new(ip, o.bind_port.unwrap_or(0))),
                bind_if: o.bind_if.clone(),
                fwmark: o.fwmark,
            });
        }
        let timing = Timing {
            delay_loop: c.effective_delay_loop(rs, vs),
            retry: c.effective_retry(rs, vs),
            delay_before_retry: c.effective_delay_before_retry(rs, vs),
            warmup: c.effective_warmup(rs, vs),
            alpha: c.effective_alpha(rs, vs),
            log_all_failures: c.effective_log_all_failures(globals),
        };
        let target = match c.kind {
            CheckerKind::Smtp(_) => conn.target_pair().into(),
            _ => shared.no_target.clone(),
        };
        let names = Names { rs: rs_name.clone(), vs: vs_name.clone(), target };
        let (kind, probe) = match &c.kind {
            CheckerKind::Tcp => (Kind::Tcp, Probe::Tcp(conn)),
            CheckerKind::Ping => (Kind::Ping, Probe::Ping(conn)),
            CheckerKind::Http(h) | CheckerKind::Ssl(h) => {
                let ssl = matches!(c.kind, CheckerKind::Ssl(_));
                let (base, urls) = http_probe(vs, rs, h, conn, ssl.then(|| inputs.tls.clone()).flatten(), warnings);
                let paths = urls.iter().map(|u| u.path.clone()).collect();
                (Kind::Http { paths, fast_recovery: h.fast_recovery }, Probe::Http { base: Box::new(base), urls })
            }
            CheckerKind::Smtp(s) => {
                let helo = s.helo_name.clone().unwrap_or_else(|| super::smtp::DEFAULT_HELO.to_owned());
                (Kind::Smtp, Probe::Smtp { conn, helo })
            }
            CheckerKind::Dns(d) => (Kind::Dns, Probe::Dns { conn, name: d.name.clone(), qtype: d.qtype }),
            CheckerKind::Udp(u) => (Kind::Udp, Probe::Udp { conn, cfg: u.clone() }),
            CheckerKind::Misc(m) => {
                let program = m.script.argv.first().cloned().unwrap_or_default();
                let timeout = m.timeout.unwrap_or(timing.delay_loop);
                (
                    Kind::Misc { dynamic: m.dynamic, program },
                    Probe::Misc { script: Box::new(m.script.clone()), timeout },
                )
            }
            CheckerKind::File(f) => {
                match inputs.track_files.iter().find(|t| t.name == f.track_file) {
                    Some(t) => {
                        // FILE_CHECK's own weight, else the track_file's.
                        let (weight, reverse) = if f.weight != 1 || f.reverse {
                            (f.weight, f.reverse)
                        } else {
                            (t.weight, t.weight_reverse)
                        };
                        let path = t.file.clone().unwrap_or_default();
                        let value = match super::file::read(std::path::Path::new(&path)) {
                            super::file::FileValue::Value(v) => v,
                            super::file::FileValue::Invalid(_) => 0,
                        };
                        tracked.push(TrackedFile { weight, reverse, value });
                        files.push(WatchedFile { name: t.name.clone(), path });
                    }
                    None => warnings.push(format!("track_file {} not found", f.track_file)),
                }
                continue;
            }
            CheckerKind::Bfd(b) => {
                warnings.push(format!(
                    "({rs_name}) BFD_CHECK {} is not run: BFD is not implemented yet in keepalived-rs",
                    b.name
                ));
                continue;
            }
        };
        let timing = shared.timing(timing);
        checkers.push(Checker::new(Params { kind, timing, names }));
        probes.push(probe);
    }
    let server = Server::new(rs_name, vs_name, rs.weight, checkers, tracked, globals.rs_init_notifies);
    Planned { vs: vi, rs: ri, server, probes, files }
}

fn http_probe(
    vs: &VirtualServer,
    rs: &RealServer,
    h: &HttpCheck,
    conn: ConnOpts,
    tls_ctx: Option<SslContext>,
    warnings: &mut Vec<String>,
) -> (ProbeConfig, Vec<UrlRule>) {
    let urls: Vec<UrlRule> = h
        .urls
        .iter()
        .map(|u| {
            let vhost = vs.effective_virtualhost(rs, u).map(str::to_owned);
            let (mut rule, w) = UrlRule::from_config(u, vhost);
            warnings.extend(w);
            rule.prepare(h.http_protocol, conn.target);
            rule
        })
        .collect();
    let sni = if h.enable_sni {
        h.sni_name
            .clone()
            .or_else(|| h.urls.first().and_then(|u| u.virtualhost.clone()))
            .or_else(|| vs.virtualhost.clone())
    } else {
        None
    };
    let tls = tls_ctx.map(|ctx| TlsOptions { ctx, sni, close_notify: h.tls_compliant });
    let version = h.http_protocol;
    let base = ProbeConfig { conn, tls, path: String::new(), version, virtualhost: None, body_limit: 0 };
    (base, urls)
}

/// Runs a network probe (`url`: the URL the state machine asked for).
/// MISC_CHECK is not run here: `None`.
///
/// The probes with large states (buffers, TLS) are boxed, so that the many
/// small ones (TCP_CHECK, PING_CHECK) stay small while they wait.
pub async fn run(probe: &Probe, url: Option<usize>, dns_id: u16, rs_name: &str) -> Option<Outcome> {
    Some(match probe {
        Probe::Tcp(c) => super::tcp::probe(c).await,
        Probe::Ping(c) => super::ping::probe(c).await,
        Probe::Smtp { conn, helo } => Box::pin(super::smtp::probe(conn, helo)).await,
        Probe::Dns { conn, name, qtype } => Box::pin(super::dns::probe(conn, name, *qtype, dns_id, rs_name)).await,
        Probe::Udp { conn, cfg } => Box::pin(super::udp::probe(conn, cfg)).await,
        Probe::Http { base, urls } => {
            let rule = urls.get(url.unwrap_or(0))?;
            Box::pin(super::http_check::check(base, rule)).await
        }
        Probe::Misc { .. } => return None,
    })
}
