//! global_defs handlers with more than a few lines.

use std::net::IpAddr;
use std::time::Duration;

use super::values::{deprecated_note, missing, number_msg, parse_int, parse_uint, uint};
use crate::config::ast::Stmt;
use crate::config::build::{Ctx, Spanned};
use crate::config::model::Config;
use crate::config::model::global::{PROCESS_NAME_MAX, ProcessSched, SmtpHost, SmtpServer};

/// A process name, truncated to what the kernel keeps.
pub(super) fn process_name(ctx: &mut Ctx, s: &Stmt) -> Option<String> {
    let Some(w) = s.arg(0) else {
        missing(ctx, s, "Process name missing");
        return None;
    };
    if w.text.len() > PROCESS_NAME_MAX {
        ctx.error(w.span, format!("Process name {} more than {} characters, truncating", w.text, PROCESS_NAME_MAX));
        let mut end = PROCESS_NAME_MAX;
        while !w.text.is_char_boundary(end) {
            end -= 1;
        }
        return Some(w.text[..end].to_owned());
    }
    Some(w.text.clone())
}

pub(super) fn start_stop_script(dest: &mut Option<crate::config::model::Script>, kind: &str, s: &Stmt, ctx: &mut Ctx) {
    if dest.is_some() {
        return ctx.error(s.span(), format!("{kind} script already specified"));
    }
    if s.arg(0).is_none() {
        return missing(ctx, s, &format!("{kind} script missing"));
    }
    match ctx.script_with_user(s) {
        Some(script) => *dest = Some(script),
        None => ctx.error(s.span(), format!("Invalid {kind} script")),
    }
}

pub(super) fn start_stop_timeout(dest: &mut Duration, kind: &str, s: &Stmt, ctx: &mut Ctx) {
    if s.arg(0).is_none() {
        return missing(ctx, s, &format!("{kind}_script_timeout requires value"));
    }
    if let Some(v) =
        uint(ctx, s, 0, 1, 1000, |t| format!("{kind}_script_timeout '{t}' must be in [1, 1000] - ignoring"))
    {
        *dest = Duration::from_secs(v);
    }
}

pub(super) fn smtp_server(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let Some(h) = s.arg(0) else {
        return ctx.missing_parameter(s, 0);
    };
    let port_text = s.arg(1).map(|w| w.text.as_str()).unwrap_or("25");
    let port = parse_uint(port_text).filter(|p| (1..=65535).contains(p));
    if port.is_none() {
        let span = s.arg(1).map(|w| w.span).unwrap_or(s.span());
        // Upstream reads the port twice for an address (as an address, then as a name).
        let times = if h.text.parse::<IpAddr>().is_ok() { 2 } else { 1 };
        for _ in 0..times {
            number_msg(ctx, span, port_text, false, "[1, 65535]");
        }
    }
    let host = match h.text.parse::<IpAddr>() {
        Ok(a) => Some(SmtpHost::Addr(a)),
        Err(_) if is_host_name(&h.text) => Some(SmtpHost::Name(h.text.clone())),
        Err(_) => None,
    };
    match (host, port) {
        (Some(host), Some(port)) => {
            c.global.smtp.server = Some(Spanned::new(SmtpServer { host, port: port as u16 }, h.span));
        }
        _ => ctx.error(s.args_span(), format!("Invalid smtp server {} {}", h.text, port_text)),
    }
}

/// Whether `s` can be a DNS name (RFC 1123 letters, digits, '-', '.').
pub(super) fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

pub(super) fn sched_priority(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = s.arg(0) else {
        return missing(ctx, s, &format!("No {proc_} process priority specified"));
    };
    match parse_int(&w.text).filter(|v| (-20..=19).contains(v)) {
        Some(v) => p.priority = v as i8,
        None => {
            number_msg(ctx, w.span, &w.text, true, "[-20, 19]");
            ctx.error(w.span, format!("Invalid {proc_} process priority specified"));
        }
    }
}

pub(super) fn sched_rt(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    // SCHED_RR's range on Linux.
    const MIN: i64 = 1;
    const MAX: i64 = 99;
    let Some(w) = s.arg(0) else {
        return missing(ctx, s, &format!("No {proc_} process real-time priority specified"));
    };
    let Some(mut v) = parse_int(&w.text) else {
        number_msg(ctx, w.span, &w.text, true, "");
        return ctx.error(w.span, format!("{proc_} process real-time priority '{}' invalid", w.text));
    };
    if v < MIN {
        ctx.error(
            w.span,
            format!("{proc_} process real-time priority {v} less than minimum {MIN} - setting to minimum"),
        );
        v = MIN;
    } else if v > MAX {
        ctx.error(
            w.span,
            format!("{proc_} process real-time priority {v} greater than maximum {MAX} - setting to maximum"),
        );
        v = MAX;
    }
    p.rt_priority = Some(v as u8);
}

pub(super) fn sched_cpus(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    if s.args.is_empty() {
        return missing(ctx, s, &format!("No {proc_} cpu_id set specified"));
    }
    let mut cpus = Vec::new();
    for w in &s.args {
        // Upstream also checks the id against the CPUs online; that is a fact
        // about the machine, checked when the process starts.
        match parse_uint(&w.text).and_then(|v| u32::try_from(v).ok()).filter(|v| *v < CPU_SETSIZE) {
            Some(v) => cpus.push(v),
            None => {
                number_msg(ctx, w.span, &w.text, false, &format!("[0, {}]", CPU_SETSIZE - 1));
                // Upstream resets the set at the first error.
                p.cpu_affinity.clear();
                return ctx.error(w.span, format!("Invalid cpu_id:{} specified for {proc_} process", w.text));
            }
        }
    }
    p.cpu_affinity = cpus;
}

/// glibc's CPU_SETSIZE.
pub(super) const CPU_SETSIZE: u32 = 1024;

pub(super) fn sched_rlimit(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    let kw = s.keyword.text.as_str();
    if let Some(base) = kw.strip_suffix("rtime").filter(|b| !b.ends_with('r')) {
        deprecated_note(ctx, s, &format!("Keyword '{kw}' is deprecated - please use '{base}rttime'"));
    }
    let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
    let span = s.arg(0).map(|w| w.span).unwrap_or(s.span());
    match parse_uint(text).and_then(|v| u32::try_from(v).ok()).filter(|v| *v >= 1) {
        // The kernel halves the soft limit, which must stay non-zero.
        Some(v) => p.rlimit_rttime = v.max(2),
        None => {
            number_msg(ctx, span, text, false, &format!("[1, {}]", u32::MAX));
            ctx.error(span, format!("Invalid {proc_} real-time limit - {text}"));
        }
    }
}

pub(super) fn umask(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    const ALL: u32 = 0o777;
    let Some(first) = s.arg(0) else {
        return missing(ctx, s, "Missing parameter(s) to umask option");
    };
    let bits = if first.text.starts_with(|ch: char| ch.is_ascii_digit()) {
        if s.args.len() != 1 {
            return ctx.error(s.args_span(), "Extra parameter(s) to umask option");
        }
        match parse_c_number(&first.text).filter(|v| v & !ALL == 0) {
            Some(v) => v,
            None => return ctx.error(first.span, format!("invalid umask value {}", first.text)),
        }
    } else {
        let mut bits = 0;
        let mut need_or = false;
        for w in &s.args {
            let mut rest = w.text.as_str();
            while !rest.is_empty() {
                if need_or {
                    match rest.strip_prefix('|') {
                        Some(r) => {
                            rest = r;
                            need_or = false;
                            continue;
                        }
                        None => return ctx.error(w.span, format!("Invalid umask syntax {}", w.text)),
                    }
                }
                let Some(bit) = rest.get(..5).and_then(umask_bit) else {
                    return ctx.error(w.span, format!("Unknown umask bit {rest}"));
                };
                bits |= bit;
                rest = rest.get(5..).unwrap_or("");
                need_or = true;
            }
        }
        if !need_or {
            return ctx.error(s.args_span(), "umask missing bit value");
        }
        bits
    };
    c.global.umask = Spanned::new(bits, s.args_span());
}

pub(super) fn umask_bit(name: &str) -> Option<u32> {
    Some(match name {
        "IRUSR" => 0o400,
        "IWUSR" => 0o200,
        "IXUSR" => 0o100,
        "IRWXU" => 0o700,
        "IRGRP" => 0o040,
        "IWGRP" => 0o020,
        "IXGRP" => 0o010,
        "IRWXG" => 0o070,
        "IROTH" => 0o004,
        "IWOTH" => 0o002,
        "IXOTH" => 0o001,
        "IRWXO" => 0o007,
        _ => return None,
    })
}

/// A number as C's strtol with base 0 reads it: 0x hex, leading 0 octal, else decimal.
pub(super) fn parse_c_number(t: &str) -> Option<u32> {
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u32::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_numbers() {
        assert_eq!(parse_c_number("0x1F"), Some(31));
        assert_eq!(parse_c_number("022"), Some(0o22));
        assert_eq!(parse_c_number("0"), Some(0));
        assert_eq!(parse_c_number("09"), None);
        assert_eq!(parse_c_number("18"), Some(18));
    }

    #[test]
    fn host_names() {
        assert!(is_host_name("mail.example.com"));
        assert!(is_host_name("localhost"));
        assert!(!is_host_name("bad_host"));
        assert!(!is_host_name("-a.example"));
        assert!(!is_host_name("a..b"));
        assert!(!is_host_name(""));
    }
}
