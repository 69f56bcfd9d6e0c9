//! The top-level global blocks: linkbeat_interfaces, interface_up_down_delays, track_group.

use std::time::Duration;

use super::values::{decimal_msg, info};
use crate::config::ast::Stmt;
use crate::config::build::{Ctx, Keyword, Spanned, parse_timer};
use crate::config::error::{Class, Severity};
use crate::config::model::Config;
use crate::config::model::global::{GlobalConfig, LinkbeatInterface, LinkbeatType, TrackGroup, UpDownDelay};

pub(super) fn linkbeat_interfaces(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    for item in s.children() {
        let kind = match item.arg(0).map(|w| w.text.as_str()) {
            None => LinkbeatType::Auto,
            Some("MII") => LinkbeatType::Mii,
            Some("ETHTOOL") => LinkbeatType::Ethtool,
            Some("IOCTL") => LinkbeatType::Ioctl,
            Some(_) => LinkbeatType::Auto,
        };
        if let Some(w) = item.arg(0).filter(|_| kind == LinkbeatType::Auto || item.args.len() > 1) {
            ctx.error(w.span, format!("extra characters {} in linkbeat interface", w.text));
        }
        c.global
            .linkbeat_interfaces
            .push(LinkbeatInterface { name: Spanned::new(item.keyword.text.clone(), item.span()), kind });
    }
}

pub(super) fn interface_up_down_delays(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    for item in s.children() {
        let ifname = &item.keyword.text;
        let Some(down_w) = item.arg(0) else {
            info(ctx, item.span(), format!("No timeouts specified for {ifname} up/down delays"));
            continue;
        };
        if item.args.len() > 2 {
            info(ctx, item.args_span(), format!("Too many parameters for {ifname} up/down delays"));
        }
        let read = |t: &str| parse_timer(t).filter(|d| *d <= Duration::from_secs(255));
        let Some(down) = read(&down_w.text) else {
            decimal_msg(ctx, down_w.span, &down_w.text, 0.0, 255.0, 6);
            info(ctx, down_w.span, format!("Invalid down delay {} for {ifname}", down_w.text));
            continue;
        };
        let up = match item.arg(1) {
            // keepalived 2.2.7 takes an omitted up delay as 0 (its man page
            // says the down delay; the daemon's dump shows 0).
            None => Duration::ZERO,
            Some(w) => match read(&w.text) {
                Some(d) => d,
                None => {
                    decimal_msg(ctx, w.span, &w.text, 0.0, 255.0, 6);
                    info(ctx, w.span, format!("Invalid up delay {} for {ifname}", w.text));
                    continue;
                }
            },
        };
        let ifname = Spanned::new(ifname.clone(), item.span());
        match c.global.interface_up_down_delays.iter_mut().find(|d| d.ifname.value == ifname.value) {
            Some(d) => {
                d.down = down;
                d.up = up;
            }
            None => c.global.interface_up_down_delays.push(UpDownDelay { ifname, down, up }),
        }
    }
}

/// A track_group while its block is read.
struct TrackGroupBuild {
    g: TrackGroup,
    seen_group: bool,
}

const TRACK_GROUP: &[Keyword<TrackGroupBuild>] = &[Keyword::new("group", |b, s, ctx| {
    if b.seen_group {
        return ctx.error(s.span(), format!("Group list already specified for sync group {}", b.g.name.value));
    }
    for item in s.children() {
        for w in std::iter::once(&item.keyword).chain(item.args.iter()) {
            b.g.members.push(Spanned::new(w.text.clone(), w.span));
        }
    }
    // An empty group block leaves the list unset, so another may follow.
    b.seen_group = !b.g.members.is_empty();
    if b.g.members.is_empty() {
        ctx.error(s.span(), format!("Warning - track group {} has empty group block", b.g.name.value));
    }
})];

pub(super) fn track_group(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let (Some(name), 1) = (s.arg(0), s.args.len()) else {
        return ctx.error(s.span(), "track_group must have a name - skipping");
    };
    if c.global.track_group(&name.text).is_some() {
        return ctx.error(name.span, format!("track_group {} already defined", name.text));
    }
    let mut b = TrackGroupBuild {
        g: TrackGroup { name: Spanned::new(name.text.clone(), name.span), members: Vec::new(), span: s.span() },
        seen_group: false,
    };
    ctx.apply(&mut b, s.children(), TRACK_GROUP);
    let g = b.g;
    if g.members.is_empty() {
        return ctx.error(s.span(), format!("Static track group {} has no members - removing", g.name.value));
    }
    c.global.track_groups.push(g);
}

/// Upstream looks the group up when it reads the line, so a track_group must
/// be defined before the static line that names it; an unknown one is dropped.
pub(super) fn known_track_group(g: &GlobalConfig, tg: &mut Option<Spanned<String>>, ctx: &mut Ctx) {
    if let Some(name) = tg.as_ref().filter(|n| g.track_group(&n.value).is_none()) {
        ctx.push(Severity::Error, Class::Reference, name.span, format!("track_group {} not found", name.value));
        *tg = None;
    }
}
