//! Keyword tables and handlers for bfd_instance blocks.
//!
//! Upstream checks an instance when its block ends (neighbor required, same
//! address family, no duplicate session, max_hops within ttl) and drops it on
//! failure; we do the same at the same point, with upstream's wording.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use crate::config::ast::Stmt;
use crate::config::error::{Class, Severity};
use crate::config::model::Config;
use crate::config::model::bfd::{BfdInstance, NAME_MAX};

use super::{Ctx, Keyword, Spanned, global, parse_bool, parse_timer};

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[Keyword::not_yet("bfd_instance", bfd_instance)];

/// A bfd_instance while its block is read.
struct Build {
    inst: BfdInstance,
    /// A malformed neighbor address drops the instance.
    dropped: bool,
    /// `vrrp` / `checker` given.
    only_vrrp: bool,
    only_checker: bool,
}

impl Build {
    fn neighbor_word(&self) -> &'static str {
        if self.inst.neighbour_spelling { "neighbour" } else { "neighbor" }
    }
}

const INSTANCE: &[Keyword<Build>] = &[
    Keyword::new("neighbor_ip", neighbor_ip),
    Keyword::new("neighbour_ip", neighbor_ip),
    Keyword::new("source_ip", |b, s, ctx| {
        let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
        match text.parse::<IpAddr>() {
            Ok(a) => b.inst.source = Some(Spanned::new(a, s.args_span())),
            Err(_) => ctx.error(
                s.args_span(),
                format!(
                    "Configuration error: BFD instance {} has malformed source address {text}, ignoring",
                    b.inst.name.value
                ),
            ),
        }
    }),
    Keyword::new("min_rx", |b, s, ctx| {
        if let Some(d) = interval(b, s, ctx, "min_rx", 1, MAX_SENSIBLE_RXTX) {
            b.inst.min_rx = d;
        }
    }),
    Keyword::new("min_tx", |b, s, ctx| {
        if let Some(d) = interval(b, s, ctx, "min_tx", 1, MAX_SENSIBLE_RXTX) {
            b.inst.min_tx = d;
        }
    }),
    Keyword::new("idle_tx", |b, s, ctx| {
        if let Some(d) = interval(b, s, ctx, "idle_tx", 1000, MAX_SENSIBLE_IDLE) {
            b.inst.idle_tx = d;
        }
    }),
    Keyword::new("multiplier", |b, s, ctx| {
        let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
        match text.parse::<u8>().ok().filter(|v| *v >= 1) {
            Some(v) => b.inst.multiplier = v,
            None => num_error(
                ctx,
                s,
                "[1, 255]",
                format!(
                    "Configuration error: BFD instance {} multiplier value {text} not valid (must be in range [1-255]), ignoring",
                    b.inst.name.value
                ),
            ),
        }
    }),
    Keyword::new("passive", |b, _, _| b.inst.passive = true),
    Keyword::new("ttl", ttl),
    Keyword::new("hoplimit", ttl),
    Keyword::new("max_hops", |b, s, ctx| {
        let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
        match text.parse::<i16>().ok().filter(|v| (-1..=255).contains(v)) {
            Some(v) => b.inst.max_hops = v,
            None => num_error(
                ctx,
                s,
                "[-1, 255]",
                format!(
                    "Configuration error: BFD instance {} max_hops value {text} not valid (must be in range [-1-255]), ignoring",
                    b.inst.name.value
                ),
            ),
        }
    }),
    Keyword::new("multihop", |b, s, ctx| match s.arg(0) {
        None => b.inst.multihop = true,
        Some(w) => match parse_bool(&w.text) {
            Some(v) => b.inst.multihop = v,
            None => ctx.error(
                w.span,
                format!("Configuration error: BFD instance {} invalid multihop value {}", b.inst.name.value, w.text),
            ),
        },
    }),
    Keyword::new("weight", |b, s, ctx| {
        let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
        match text.parse::<i32>().ok().filter(|v| (-253..=253).contains(v)) {
            Some(v) => b.inst.weight = v,
            None => num_error(
                ctx,
                s,
                "[-253, 253]",
                format!(
                    "Configuration error: BFD instance {} weight value {text} not valid (must be in range [-253-253]), ignoring",
                    b.inst.name.value
                ),
            ),
        }
        if let Some(w) = s.arg(1) {
            if w.text == "reverse" {
                b.inst.weight_reverse = true;
            } else {
                ctx.error(
                    w.span,
                    format!("Configuration error: BFD instance {} unknown weight option {}", b.inst.name.value, w.text),
                );
            }
        }
    }),
    Keyword::new("vrrp", |b, _, _| b.only_vrrp = true),
    Keyword::new("checker", |b, _, _| b.only_checker = true),
];

/// Upstream's "larger than max sensible" limits, in ms.
const MAX_SENSIBLE_RXTX: u64 = 1000;
const MAX_SENSIBLE_IDLE: u64 = 10_000;
/// Upstream stores intervals as microseconds in 32 bits.
const MAX_INTERVAL_MS: u64 = u32::MAX as u64 / 1000;

/// Upstream's number message, then the keyword's own.
fn num_error(ctx: &mut Ctx, s: &Stmt, range: &str, msg: String) {
    let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
    let span = s.arg(0).map(|w| w.span).unwrap_or(s.span());
    global::number_msg(ctx, span, text, true, range);
    ctx.error(span, msg);
}

fn neighbor_ip(b: &mut Build, s: &Stmt, ctx: &mut Ctx) {
    if s.keyword.text == "neighbour_ip" {
        b.inst.neighbour_spelling = true;
    }
    let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
    match text.parse::<IpAddr>() {
        Ok(a) => b.inst.neighbor = Some(Spanned::new(a, s.args_span())),
        Err(_) => {
            ctx.error(
                s.args_span(),
                format!(
                    "Configuration error: BFD instance {} has malformed {} address {text}, ignoring instance",
                    b.inst.name.value,
                    b.neighbor_word()
                ),
            );
            b.dropped = true;
        }
    }
}

fn ttl(b: &mut Build, s: &Stmt, ctx: &mut Ctx) {
    let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
    match text.parse::<u8>().ok().filter(|v| *v >= 1) {
        Some(v) => b.inst.ttl = Some(v),
        None => num_error(
            ctx,
            s,
            "[1, 255]",
            format!(
                "Configuration error: BFD instance {} ttl/hoplimit value {text} not valid (must be in range [1-255]), ignoring",
                b.inst.name.value
            ),
        ),
    }
}

/// An interval in milliseconds with microsecond resolution.
fn interval(b: &Build, s: &Stmt, ctx: &mut Ctx, what: &str, min_ms: u64, sensible_ms: u64) -> Option<Duration> {
    let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
    // parse_timer reads "N.NNN" with six decimals; scaled down by 1000 the
    // unit is ms and the resolution is microseconds.
    let ms = parse_timer(text).map(|d| Duration::from_micros((d.as_micros() / 1000) as u64));
    let Some(d) = ms.filter(|d| *d >= Duration::from_millis(min_ms) && *d <= Duration::from_millis(MAX_INTERVAL_MS))
    else {
        global::decimal_msg(ctx, s.args_span(), text, min_ms as f64, MAX_INTERVAL_MS as f64, 3);
        ctx.error(
            s.args_span(),
            format!(
                "Configuration error: BFD instance {} {what} value {text} is not valid (must be in range [{min_ms}-{MAX_INTERVAL_MS}]), ignoring",
                b.inst.name.value
            ),
        );
        return None;
    };
    if d > Duration::from_millis(sensible_ms) {
        ctx.push(
            Severity::Note,
            Class::Other,
            s.args_span(),
            format!(
                "Configuration warning: BFD instance {} {what} value {text} is larger than max sensible ({sensible_ms})",
                b.inst.name.value
            ),
        );
    }
    Some(d)
}

fn bfd_instance(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let Some(name) = s.arg(0) else {
        return ctx.push(Severity::Error, Class::Missing, s.span(), "bfd_instance must have a name - skipping");
    };
    // Upstream's BFD process and its VRRP process (which also reads the
    // bfd_instance names, for track_bfd) each report these.
    if name.text.len() > NAME_MAX {
        ctx.error(
            name.span,
            format!(
                "Configuration error: BFD instance {} name too long (maximum length is {NAME_MAX} characters) - ignoring",
                name.text
            ),
        );
        return ctx.error(name.span, format!("BFD name {} too long", name.text));
    }
    if c.bfd.instance(&name.text).is_some() {
        let msg = format!("Configuration error: BFD instance {} already configured - ignoring", name.text);
        ctx.push(Severity::Error, Class::Conflict, name.span, msg);
        return ctx.push(Severity::Error, Class::Conflict, name.span, format!("BFD {} already specified", name.text));
    }
    let mut b = Build {
        inst: BfdInstance::new(Spanned::new(name.text.clone(), name.span), s.span()),
        dropped: false,
        only_vrrp: false,
        only_checker: false,
    };
    ctx.apply(&mut b, s.children(), INSTANCE);
    if b.dropped {
        return;
    }
    let iname = b.inst.name.value.clone();
    let nword = b.neighbor_word();
    let Some(nbr) = b.inst.neighbor.clone() else {
        // On the line of the closing brace, as keepalived.
        return ctx.push(
            Severity::Error,
            Class::Missing,
            s.block.as_ref().map_or(s.span(), |b| b.close),
            format!("Configuration error: BFD instance {iname} has no {nword} address set, disabling instance"),
        );
    };
    if let Some(src) = &b.inst.source {
        if src.value.is_ipv4() != nbr.value.is_ipv4() {
            return ctx.push(
                Severity::Error,
                Class::Conflict,
                src.span,
                format!(
                    "Configuration error: BFD instance {iname} source address {} and {nword} address {} are not of the same family, disabling instance",
                    src.value, nbr.value
                ),
            );
        }
    }
    let src = b.inst.source.as_ref().map(|s| s.value);
    // The same neighbor is one session unless both give different sources.
    let dup = c.bfd.instances.iter().any(|o| {
        let o_src = o.source.as_ref().map(|s| s.value);
        o.neighbor.as_ref().map(|n| n.value) == Some(nbr.value) && (o_src.is_none() || src.is_none() || o_src == src)
    });
    if dup {
        let msg = match src {
            Some(src) => format!(
                "Configuration error: BFD instance {iname} has duplicate source/{nword} address {src}/{}, ignoring instance",
                nbr.value
            ),
            None => format!(
                "Configuration error: BFD instance {iname} has duplicate {nword} address {}, ignoring instance",
                nbr.value
            ),
        };
        return ctx.push(Severity::Error, Class::Conflict, nbr.span, msg);
    }
    let ttl = b.inst.effective_ttl();
    b.inst.ttl = Some(ttl);
    if b.inst.max_hops > i16::from(ttl) {
        ctx.error(s.span(), format!("BFD instance {iname}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit"));
        b.inst.max_hops = i16::from(ttl);
    }
    if b.only_vrrp || b.only_checker {
        b.inst.notify_vrrp = b.only_vrrp;
        b.inst.notify_checker = b.only_checker;
    }
    c.bfd.instances.push(b.inst);
}

/// Checks that need the whole model.
pub fn validate(_cfg: &mut Config, _sys: &crate::config::validate::SystemView, _ctx: &mut super::Ctx) {}

/// Appends the readable dump (`-d`) of this part.
pub fn dump(cfg: &Config, out: &mut String) {
    if cfg.bfd.instances.is_empty() {
        return;
    }
    let _ = writeln!(out, "------< BFD Topology >------");
    let ms = |d: Duration| {
        let us = d.as_micros();
        if us % 1000 == 0 { format!("{} ms", us / 1000) } else { format!("{}.{:03} ms", us / 1000, us % 1000) }
    };
    for b in &cfg.bfd.instances {
        let _ = writeln!(out, " BFD Instance = {}", b.name.value);
        let mut kv = |k: &str, v: String| {
            let _ = writeln!(out, "   {k} = {v}");
        };
        kv("Neighbor IP", b.neighbor.as_ref().map(|n| n.value.to_string()).unwrap_or_else(|| "(none)".into()));
        kv("Source IP", b.source.as_ref().map(|n| n.value.to_string()).unwrap_or_else(|| "(none)".into()));
        kv("Required min RX interval", ms(b.min_rx));
        kv("Desired min TX interval", ms(b.min_tx));
        kv("Desired idle TX interval", ms(b.idle_tx));
        kv("Detection multiplier", b.multiplier.to_string());
        kv("Passive", b.passive.to_string());
        kv("TTL/hoplimit", b.effective_ttl().to_string());
        kv("Max hops", b.max_hops.to_string());
        kv("Multihop", b.multihop.to_string());
        kv("Weight", format!("{}{}", b.weight, if b.weight_reverse { " reverse" } else { "" }));
        kv("Send events to VRRP", b.notify_vrrp.to_string());
        kv("Send events to checker", b.notify_checker.to_string());
    }
}
