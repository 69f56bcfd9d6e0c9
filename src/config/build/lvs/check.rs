//! The checker blocks of a real server.

use std::time::Duration;

use super::value::{hex, num};
use super::{bool_arg, text, timing_alpha, timing_connect_timeout, timing_delay_before_retry, timing_delay_loop};
use super::{timing_retry, timing_warmup};
use crate::config::ast::Stmt;
use crate::config::build::{Ctx, Keyword};
use crate::config::model::Script;
use crate::config::model::lvs::{
    BfdCheck, CheckCommon, Checker, CheckerKind, DnsCheck, DnsType, FileCheck, HttpCheck, HttpProtocol, MiscCheck,
    RealServer, SmtpCheck, UdpCheck, Url,
};

/// Options every checker but BFD_CHECK and FILE_CHECK has.
const COMMON: &[Keyword<CheckCommon>] = &[
    Keyword::new("connect_ip", |c, s, ctx| {
        if let Some(a) = addr(s, ctx) {
            c.conn.get_or_insert_with(Box::default).connect_ip = Some(a);
        }
    }),
    Keyword::new("connect_port", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 1, 65535) {
            Some(p) => c.connect_port = Some(p as u16),
            None => ctx.error(w.span, format!("Invalid checker connect_port '{}'", w.text)),
        }
    }),
    Keyword::new("bindto", |c, s, ctx| {
        if let Some(a) = addr(s, ctx) {
            c.conn.get_or_insert_with(Box::default).bindto = Some(a);
        }
    }),
    Keyword::new("bind_if", |c, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            c.conn.get_or_insert_with(Box::default).bind_if = Some(w.text.clone());
        }
    }),
    Keyword::new("bind_port", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 1, 65535) {
            Some(p) => c.conn.get_or_insert_with(Box::default).bind_port = Some(p as u16),
            None => ctx.error(w.span, format!("Invalid checker bind_port '{}'", w.text)),
        }
    }),
    Keyword::new("fwmark", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 0, u32::MAX as i64) {
            Some(m) => c.conn.get_or_insert_with(Box::default).fwmark = Some(m as u32),
            None => ctx.error(w.span, format!("Invalid fwmark '{}'", w.text)),
        }
    }),
    Keyword::new("alpha", |c, s, ctx| timing_alpha(&mut c.timing, s, ctx)),
    Keyword::new("connect_timeout", |c, s, ctx| timing_connect_timeout(&mut c.timing, s, ctx)),
    Keyword::new("retry", |c, s, ctx| timing_retry(&mut c.timing, s, ctx, 0)),
    Keyword::deprecated(
        "nb_get_retry",
        |c, s, ctx| timing_retry(&mut c.timing, s, ctx, 0),
        "nb_get_retry is deprecated - please use 'retry'",
    ),
    Keyword::new("delay_before_retry", |c, s, ctx| timing_delay_before_retry(&mut c.timing, s, ctx)),
    Keyword::new("warmup", |c, s, ctx| timing_warmup(&mut c.timing, s, ctx)),
    Keyword::new("delay_loop", |c, s, ctx| timing_delay_loop(&mut c.timing, s, ctx, "checker")),
    Keyword::new("log_all_failures", log_all_failures),
];

/// `log_all_failures` of any checker.
fn log_all_failures(c: &mut CheckCommon, s: &Stmt, ctx: &mut Ctx) {
    if let Some(b) = bool_arg(s, ctx, "log_all_failures parameter") {
        c.log_all_failures = Some(b);
    }
}

/// An address option of a checker, with upstream's message.
fn addr(s: &Stmt, ctx: &mut Ctx) -> Option<std::net::IpAddr> {
    let w = ctx.arg(s, 0)?;
    let a = w.text.parse().ok();
    if a.is_none() {
        ctx.error(w.span, format!("Invalid {} address {} - ignoring", s.keyword.text, w.text));
    }
    a
}

/// MISC_CHECK has only the options from alpha onwards.
const MISC_COMMON: &[Keyword<CheckCommon>] = &[
    Keyword::new("alpha", |c, s, ctx| timing_alpha(&mut c.timing, s, ctx)),
    Keyword::new("connect_timeout", |c, s, ctx| timing_connect_timeout(&mut c.timing, s, ctx)),
    Keyword::new("retry", |c, s, ctx| timing_retry(&mut c.timing, s, ctx, 0)),
    Keyword::new("delay_before_retry", |c, s, ctx| timing_delay_before_retry(&mut c.timing, s, ctx)),
    Keyword::new("warmup", |c, s, ctx| timing_warmup(&mut c.timing, s, ctx)),
    Keyword::new("delay_loop", |c, s, ctx| timing_delay_loop(&mut c.timing, s, ctx, "checker")),
    Keyword::new("log_all_failures", log_all_failures),
];

/// A checker block: the common options and the type's own, which
/// `own` applies to the stored kind.
fn checker<K>(
    r: &mut RealServer,
    s: &Stmt,
    ctx: &mut Ctx,
    mut own: K,
    own_table: &[Keyword<K>],
    common: &[Keyword<CheckCommon>],
    wrap: fn(K) -> CheckerKind,
) -> Option<usize> {
    let mut c = Checker::new(CheckerKind::Tcp, s.span());
    // Split the statements between the two tables, keeping the unknown
    // keyword message aware of both.
    for st in s.children() {
        let name = st.keyword.text.as_str();
        if common.iter().any(|k| k.name == name) {
            ctx.apply(&mut c.common, std::slice::from_ref(st), common);
        } else if own_table.iter().any(|k| k.name == name) {
            ctx.apply(&mut own, std::slice::from_ref(st), own_table);
        } else {
            ctx.unknown(st, common.iter().map(|k| k.name).chain(own_table.iter().map(|k| k.name)));
        }
    }
    c.kind = wrap(own);
    if let Some(conn) = &c.common.conn
        && let (Some(b), Some(ip)) = (conn.bindto, conn.connect_ip.or(Some(r.addr.ip())))
        && b.is_ipv4() != ip.is_ipv4()
    {
        ctx.error(s.span(), format!("bindto address {b} does not match address family of connect_ip - skipping"));
        return None;
    }
    // Room for exactly one more: most real servers have a single checker, and
    // a Vec's first push would reserve four.
    r.checkers.reserve_exact(1);
    r.checkers.push(c);
    Some(r.checkers.len() - 1)
}

const NONE: &[Keyword<()>] = &[];

pub(super) fn tcp_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    checker(r, s, ctx, (), NONE, COMMON, |_| CheckerKind::Tcp);
}

pub(super) fn ping_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    checker(r, s, ctx, (), NONE, COMMON, |_| CheckerKind::Ping);
}

// ---------------------------------------------------------------- HTTP_GET / SSL_GET

const HTTP: &[Keyword<Box<HttpCheck>>] = &[
    Keyword::new("http_protocol", |h, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        h.http_protocol = match HttpProtocol::parse(&w.text) {
            Some(p) => p,
            None => {
                ctx.error(w.span, format!("Invalid http_protocol version {}", w.text));
                return;
            }
        };
    }),
    Keyword::new("fast_recovery", |h, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "fast_recovery parameter") {
            h.fast_recovery = b;
        }
    }),
    Keyword::new("url", |h, s, ctx| {
        let mut u = Url { span: s.span(), ..Url::default() };
        ctx.apply(&mut u, s.children(), URL);
        if u.path.is_none() {
            ctx.error(s.span(), "HTTP/SSL_GET checker url has no path - ignoring");
            return;
        }
        h.urls.push(u);
    }),
    Keyword::new("enable_sni", |h, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "enable_sni parameter") {
            h.enable_sni = b;
        }
    }),
    Keyword::new("sni_name", |h, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            h.sni_name = Some(w.text.clone());
        }
    }),
    Keyword::new("tls_compliant", |h, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "tls_compliant parameter") {
            h.tls_compliant = b;
        }
    }),
];

/// PCRE2 options regex_options accepts.
const REGEX_OPTIONS: &[&str] = &[
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
];

const URL: &[Keyword<Url>] = &[
    Keyword::new("path", |u, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            u.path = Some(w.text.clone());
        }
    }),
    Keyword::new("digest", |u, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        let t = &w.text;
        if t.len() != 32 {
            ctx.error(w.span, format!("digest '{t}' character length should be 32 rather than {}", t.len()));
            return;
        }
        let mut d = [0u8; 16];
        for (i, b) in d.iter_mut().enumerate() {
            match t
                .get(2 * i..2 * i + 2)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(v) => *b = v,
                None => {
                    let shown = t.get(..2 * i + 2).unwrap_or(t);
                    ctx.error(
                        w.span,
                        format!("Unable to interpret hex digit in '{shown}' at offset {}/{}", 2 * i, 2 * i + 1),
                    );
                    return;
                }
            }
        }
        u.digest = Some(d);
    }),
    Keyword::new("status_code", |u, s, ctx| {
        ctx.arg(s, 0);
        for w in &s.args {
            let (a, b) = match w.text.split_once('-') {
                Some((a, b)) => (a, b),
                None => (w.text.as_str(), w.text.as_str()),
            };
            match (a.parse::<u16>(), b.parse::<u16>()) {
                (Ok(a), Ok(b)) if (100..=599).contains(&a) && (100..=599).contains(&b) && a <= b => {
                    u.status_codes.push((a, b))
                }
                _ => ctx.error(w.span, format!("Invalid HTTP_GET status code '{}'", w.text)),
            }
        }
    }),
    Keyword::new("virtualhost", |u, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            u.virtualhost = Some(w.text.clone());
        }
    }),
    Keyword::new("regex", |u, s, ctx| {
        if ctx.arg(s, 0).is_some() {
            u.regex = Some(s.rest());
        }
    }),
    Keyword::new("regex_no_match", |u, _, _| u.regex_no_match = true),
    Keyword::new("regex_options", |u, s, ctx| {
        ctx.arg(s, 0);
        for w in &s.args {
            if REGEX_OPTIONS.contains(&w.text.as_str()) {
                u.regex_options.push(w.text.clone());
            } else {
                ctx.error(w.span, format!("Unknown regex option {}", w.text));
            }
        }
    }),
    Keyword::new("regex_stack", |u, s, ctx| {
        let (Some(a), Some(b)) = (ctx.arg(s, 0), ctx.arg(s, 1)) else { return };
        if let (Some(a), Some(b)) = (num(ctx, a, 1, i64::MAX), num(ctx, b, 1, i64::MAX)) {
            if a > b {
                ctx.error(s.args_span(), format!("regex stack start {a} > max {b}"));
            } else {
                u.regex_stack = Some((a as u64, b as u64));
            }
        }
    }),
    Keyword::new("regex_min_offset", |u, s, ctx| {
        if let Some(w) = ctx.arg(s, 0)
            && let Some(v) = num(ctx, w, 0, i64::MAX)
        {
            u.regex_min_offset = Some(v as u64);
        }
    }),
    Keyword::new("regex_max_offset", |u, s, ctx| {
        if let Some(w) = ctx.arg(s, 0)
            && let Some(v) = num(ctx, w, 0, i64::MAX)
        {
            u.regex_max_offset = Some(v as u64);
        }
    }),
    Keyword::new("tls_compliant", |u, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "tls_compliant parameter") {
            u.tls_compliant = b;
        }
    }),
];

fn http_like(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx, wrap: fn(Box<HttpCheck>) -> CheckerKind) {
    let Some(i) = checker(r, s, ctx, Box::default(), HTTP, COMMON, wrap) else { return };
    let empty = match r.checkers.get(i).map(|c| &c.kind) {
        Some(CheckerKind::Http(h) | CheckerKind::Ssl(h)) => h.urls.is_empty(),
        _ => false,
    };
    if empty {
        ctx.error(s.span(), "HTTP/SSL_GET checker has no urls specified - ignoring");
        r.checkers.truncate(i);
    }
}

pub(super) fn http_get(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    http_like(r, s, ctx, CheckerKind::Http);
}

pub(super) fn ssl_get(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    http_like(r, s, ctx, CheckerKind::Ssl);
}

// ---------------------------------------------------------------- SMTP_CHECK

const SMTP: &[Keyword<Box<SmtpCheck>>] = &[
    Keyword::new("helo_name", |m, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            m.helo_name = Some(w.text.clone());
        }
    }),
    Keyword::new("host", |m, s, ctx| {
        let mut c = CheckCommon::default();
        ctx.apply(&mut c, s.children(), COMMON);
        m.hosts.push(c);
    }),
];

pub(super) fn smtp_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    checker(r, s, ctx, Box::<SmtpCheck>::default(), SMTP, COMMON, CheckerKind::Smtp);
}

// ---------------------------------------------------------------- DNS_CHECK

const DNS: &[Keyword<Box<DnsCheck>>] = &[
    Keyword::new("type", |d, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match DnsType::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(&w.text)) {
            Some(t) => d.qtype = t,
            None => ctx.error(w.span, format!("Unknown DNS check type {} - ignoring", w.text)),
        }
    }),
    Keyword::new("name", |d, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            d.name = w.text.clone();
        }
    }),
];

pub(super) fn dns_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    checker(r, s, ctx, Box::<DnsCheck>::default(), DNS, COMMON, CheckerKind::Dns);
}

// ---------------------------------------------------------------- MISC_CHECK

/// MISC_CHECK while parsing: the path may be missing.
#[derive(Default)]
struct MiscBuild {
    script: Option<Script>,
    timeout: Option<Duration>,
    dynamic: bool,
    user: Option<(String, Option<String>, bool)>,
    user_at: Option<crate::config::ast::Span>,
}

const MISC: &[Keyword<MiscBuild>] = &[
    Keyword::new("misc_path", |m, s, ctx| {
        if let Some(sc) = ctx.script_rest(s) {
            m.script = Some(sc);
        }
    }),
    Keyword::new("misc_timeout", |m, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 0, u32::MAX as i64 / 1_000_000) {
            Some(t) => m.timeout = Some(Duration::from_secs(t as u64)),
            None => ctx.error(w.span, format!("Invalid misc_timeout value '{}'", w.text)),
        }
    }),
    Keyword::new("misc_dynamic", |m, _, _| m.dynamic = true),
    Keyword::new("user", |m, s, ctx| {
        let Some(u) = ctx.arg(s, 0) else { return };
        let (group, supp) = crate::config::build::script_group(s.arg(1).map(|w| w.text.as_str()));
        m.user = Some((u.text.clone(), group, supp));
        m.user_at = Some(s.span());
    }),
];

pub(super) fn misc_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    let mut m = MiscBuild::default();
    let mut common = CheckCommon::default();
    for st in s.children() {
        let name = st.keyword.text.as_str();
        if MISC_COMMON.iter().any(|k| k.name == name) {
            ctx.apply(&mut common, std::slice::from_ref(st), MISC_COMMON);
        } else {
            ctx.apply(&mut m, std::slice::from_ref(st), MISC);
        }
    }
    let Some(mut script) = m.script else {
        ctx.error(s.span(), "No script path has been specified for MISC_CHECKER - skipping");
        return;
    };
    if let Some((u, g, supp)) = m.user {
        script.user = Some(u);
        script.group = g;
        script.supplementary_groups = supp;
    }
    let end = s.block.as_ref().map_or(s.span(), |b| b.close);
    let kind = CheckerKind::Misc(Box::new(MiscCheck {
        script,
        end,
        user_at: m.user_at,
        timeout: m.timeout,
        dynamic: m.dynamic,
    }));
    r.checkers.reserve_exact(1);
    r.checkers.push(Checker { kind, span: s.span(), common });
}

// ---------------------------------------------------------------- BFD_CHECK / FILE_CHECK

const BFD: &[Keyword<Box<BfdCheck>>] = &[Keyword::new("name", |b, s, ctx| {
    if let Some(w) = ctx.arg(s, 0) {
        b.name = w.text.clone();
    }
})];

pub(super) fn bfd_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(i) = checker(r, s, ctx, Box::<BfdCheck>::default(), BFD, &[], CheckerKind::Bfd) else { return };
    if matches!(r.checkers.get(i).map(|c| &c.kind), Some(CheckerKind::Bfd(b)) if b.name.is_empty()) {
        ctx.error(s.span(), "BFD_CHECK has no name specified - ignoring");
        r.checkers.truncate(i);
    }
}

const FILE: &[Keyword<Box<FileCheck>>] = &[
    Keyword::new("track_file", |f, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            f.track_file = w.text.clone();
        }
    }),
    Keyword::new("dynamic", |f, _, _| f.dynamic = true),
    Keyword::new("weight", |f, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, -(i32::MAX as i64), i32::MAX as i64) {
            Some(x) => f.weight = x as i32,
            None => {
                ctx.error(w.span, format!("FILE_CHECK weight {} invalid", w.text));
                return;
            }
        }
        match s.arg(1).map(|w| w.text.as_str()) {
            None => {}
            Some("reverse") => f.reverse = true,
            Some(x) => ctx.error(s.args_span(), format!("unknown FILE_CHECK weight option {x}")),
        }
    }),
];

pub(super) fn file_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    let own = Box::new(FileCheck { weight: 1, ..FileCheck::default() });
    let Some(i) = checker(r, s, ctx, own, FILE, &[], CheckerKind::File) else { return };
    if matches!(r.checkers.get(i).map(|c| &c.kind), Some(CheckerKind::File(f)) if f.track_file.is_empty()) {
        ctx.error(s.span(), "FILE_CHECK has no track_file specified - ignoring");
        r.checkers.truncate(i);
    }
}

// ---------------------------------------------------------------- UDP_CHECK

const UDP: &[Keyword<Box<UdpCheck>>] = &[
    Keyword::new("payload", |u, s, ctx| {
        ctx.arg(s, 0);
        match hex(&s.args, false) {
            Some((d, _)) => u.payload = Some(d),
            None => ctx.error(s.args_span(), "Invalid hex string for UDP_CHECK payload"),
        }
    }),
    Keyword::new("require_reply", |u, s, ctx| {
        u.require_reply = true;
        if s.args.is_empty() {
            return;
        }
        match hex(&s.args, true) {
            Some(r) => u.reply = Some(r),
            None => ctx.error(s.args_span(), "Invalid hex string for UDP_CHECK reply"),
        }
    }),
    Keyword::new("min_reply_length", |u, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 0, 65535) {
            Some(x) => u.min_reply_length = x as u16,
            None => ctx.error(w.span, format!("Invalid UDP_CHECK min_reply_length {}", text(Some(w)))),
        }
    }),
    Keyword::new("max_reply_length", |u, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 0, 65535) {
            Some(x) => u.max_reply_length = x as u16,
            None => ctx.error(w.span, format!("Invalid UDP_CHECK max_reply_length {}", text(Some(w)))),
        }
    }),
];

pub(super) fn udp_check(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(i) = checker(r, s, ctx, Box::<UdpCheck>::default(), UDP, COMMON, CheckerKind::Udp) else { return };
    if let Some(CheckerKind::Udp(u)) = r.checkers.get(i).map(|c| &c.kind)
        && u.min_reply_length > u.max_reply_length
    {
        ctx.warn(
            s.span(),
            format!(
                "UDP_CHECK min_reply length {} > max_reply_length {} - will always fail",
                u.min_reply_length, u.max_reply_length
            ),
        );
    }
}
