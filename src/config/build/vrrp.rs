//! Keyword tables and handlers for the vrrp part of the configuration:
//! the vrrp keywords of global_defs, vrrp_script, vrrp_track_process,
//! track_file, vrrp_sync_group, garp_group and vrrp_instance.
//!
//! Messages keep upstream keepalived's wording. Upstream reports some
//! problems while parsing (with a `(FILE: Line N)` prefix) and others when it
//! completes the configuration (without one); the diagnostics here carry a
//! span exactly where upstream prints a line.

mod dump;
mod globals;
mod instance;
mod validate;

use std::time::Duration;

use crate::config::ast::{Stmt, Word};
use crate::config::error::{Class, Severity};
use crate::config::model::Config;
use crate::config::model::vrrp::{GarpGroup, ParamMatch, SyncGroup, TrackFile, TrackProcess, VrrpScript};

use super::value::negative_number;
use super::{Ctx, Keyword, Spanned};

pub use dump::dump;
pub use validate::validate;

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[
    Keyword::new("vrrp_script", vrrp_script),
    Keyword::new("vrrp_track_process", vrrp_track_process),
    Keyword::new("track_file", track_file),
    Keyword::new("vrrp_track_file", track_file),
    Keyword::new("vrrp_sync_group", vrrp_sync_group),
    Keyword::new("garp_group", garp_group),
    Keyword::new("vrrp_instance", instance::vrrp_instance),
];

/// Keywords of `global_defs` that belong to this part (stored in this part's model).
pub const GLOBAL_DEFS: &[Keyword<Config>] = globals::GLOBAL_DEFS;

/// Upstream's integer reader: "invalid number" / "number outside range",
/// and "negative number" when the range is unsigned.
pub(crate) fn read_int(ctx: &mut Ctx, w: &Word, min: i64, max: i64) -> Option<i64> {
    if min >= 0 && w.text.strip_prefix('-').is_some_and(|r| r.parse::<u64>().is_ok()) {
        negative_number(ctx, w);
        return None;
    }
    read_signed(ctx, w, min, max)
}

/// [`read_int`] without the negative check, for values upstream reads as
/// signed even with a positive range (`version`).
pub(crate) use super::value::read_signed;

/// Upstream's decimal reader (microsecond resolution).
pub(crate) fn read_decimal(ctx: &mut Ctx, w: &Word, min: f64, max: f64) -> Option<Duration> {
    if w.text.strip_prefix('-').is_some_and(|r| super::parse_timer(r).is_some()) {
        negative_number(ctx, w);
        return None;
    }
    match super::parse_timer(&w.text) {
        Some(d) if d.as_secs_f64() >= min && d.as_secs_f64() <= max => Some(d),
        Some(_) => {
            ctx.error(w.span, format!("number '{}' outside range [{min:.6}, {max:.6}]", w.text));
            None
        }
        None => {
            ctx.error(w.span, format!("invalid number '{}'", w.text));
            None
        }
    }
}

/// The value word of a keyword, or upstream's "missing" message.
pub(crate) fn value<'s>(ctx: &mut Ctx, stmt: &'s Stmt) -> Option<&'s Word> {
    ctx.arg(stmt, 0)
}

/// An optional <BOOL> argument (absent = on); `msg` words upstream's
/// complaint about a bad value.
pub(crate) fn bool_with(ctx: &mut Ctx, stmt: &Stmt, msg: impl FnOnce(&str) -> String) -> Option<bool> {
    ctx.bool_opt_with(stmt, 0, msg)
}

/// An optional <BOOL> of global_defs, with upstream's message.
pub(crate) fn opt_bool(ctx: &mut Ctx, stmt: &Stmt) -> Option<bool> {
    let kw = stmt.keyword.text.clone();
    bool_with(ctx, stmt, |_| format!("Invalid value for {kw} specified"))
}

/// Where upstream reports problems found at the end of a block: its closing brace.
fn block_end(st: &Stmt) -> crate::config::ast::Span {
    st.block.as_ref().map(|b| b.close).unwrap_or_else(|| st.span())
}

/// The name of a named block (`vrrp_script NAME {`), or upstream's message.
/// keepalived 2.2.7 stops reading at a vrrp_script, vrrp_track_file or
/// vrrp_track_process without a name, and skips a nameless instance or sync
/// group with a message.
fn block_name<'s>(ctx: &mut Ctx, stmt: &'s Stmt) -> Option<&'s Word> {
    let w = stmt.arg(0);
    if w.is_none() {
        match stmt.keyword.text.as_str() {
            "vrrp_instance" => ctx.push(Severity::Error, Class::Missing, stmt.span(), "vrrp_instance must have a name"),
            "vrrp_sync_group" => {
                ctx.push(Severity::Error, Class::Missing, stmt.span(), "vrrp_sync_group must have a name - skipping")
            }
            _ => ctx.missing_parameter(stmt, 0),
        }
    }
    w
}

// ---------------------------------------------------------------- vrrp_script

const SCRIPT: &[Keyword<VrrpScript>] = &[
    Keyword::new("script", |s, st, ctx| {
        if let Some(sc) = ctx.script_rest(st) {
            s.script = Some(Script { user: s.script.as_ref().and_then(|o| o.user.clone()), ..sc });
        }
    }),
    Keyword::new("interval", |s, st, ctx| {
        if let Some(d) = script_seconds(ctx, st, &s.name) {
            s.interval = d;
        }
    }),
    Keyword::new("timeout", |s, st, ctx| {
        if let Some(d) = script_seconds(ctx, st, &s.name) {
            s.timeout = d;
        }
    }),
    Keyword::new("weight", |s, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, -253, 253) {
            Some(n) => s.weight = n as i32,
            None => ctx.error(w.span, format!("vrrp_script {} weight {} must be in [-253, 253]", s.name, w.text)),
        }
        if let Some(r) = st.arg(1) {
            if r.text == "reverse" {
                s.weight_reverse = true;
            } else {
                ctx.error(r.span, format!("vrrp_script {} unknown weight option {}", s.name, r.text));
            }
        }
    }),
    Keyword::new("rise", |s, st, ctx| s.rise = rise_fall(ctx, st, &s.name)),
    Keyword::new("fall", |s, st, ctx| s.fall = rise_fall(ctx, st, &s.name)),
    Keyword::new("user", |s, st, ctx| {
        let Some(u) = value(ctx, st) else { return };
        s.user_line = Some((st.span(), s.script.as_ref().is_some_and(|sc| !sc.argv.is_empty())));
        let sc = s.script.get_or_insert_with(Script::default);
        sc.user = Some(u.text.clone());
        if let Some(g) = st.arg(1).map(|g| g.text.as_str()) {
            match g.strip_prefix(':') {
                Some("") => sc.supplementary_groups = true,
                Some(g) => {
                    sc.group = Some(g.to_owned());
                    sc.supplementary_groups = true;
                }
                None => sc.group = Some(g.to_owned()),
            }
        }
    }),
    Keyword::new("init_fail", |s, _, _| s.init_fail = true),
];

use crate::config::model::Script;

/// vrrp_script `interval`/`timeout`: whole seconds up to 4294 (0 becomes
/// 1 s). keepalived 2.2.7 refuses a fraction ("invalid number '0.5'").
fn script_seconds(ctx: &mut Ctx, st: &Stmt, name: &str) -> Option<Duration> {
    let w = value(ctx, st)?;
    let Some(d) = read_int(ctx, w, 0, 4294).map(|n| Duration::from_secs(n as u64)) else {
        // Upstream words the two differently.
        let why = if st.keyword.text == "interval" { "must be between 1 and 4294" } else { "invalid" };
        ctx.error(w.span, format!("({name}): vrrp script {} '{}' {why} - ignoring", st.keyword.text, w.text));
        return None;
    };
    if d.is_zero() {
        ctx.error(w.span, format!("({name}): vrrp script {} must be greater than 0, setting to 1", st.keyword.text));
        return Some(Duration::from_secs(1));
    }
    Some(d)
}

/// vrrp_script `rise`/`fall`: 1 when invalid.
fn rise_fall(ctx: &mut Ctx, st: &Stmt, name: &str) -> u32 {
    let Some(w) = value(ctx, st) else { return 1 };
    match read_int(ctx, w, 1, i64::from(i32::MAX)) {
        Some(n) => n as u32,
        None => {
            ctx.error(
                w.span,
                format!("({name}): vrrp script {} value '{}' invalid, defaulting to 1", st.keyword.text, w.text),
            );
            1
        }
    }
}

fn vrrp_script(c: &mut Config, st: &Stmt, ctx: &mut Ctx) {
    let Some(name) = block_name(ctx, st) else { return };
    let mut s = VrrpScript::new(name.text.clone(), st.span());
    s.end = block_end(st);
    ctx.apply(&mut s, st.children(), SCRIPT);
    // A `user` line alone creates a Script with no command.
    if s.script.as_ref().is_some_and(|sc| sc.argv.is_empty()) {
        s.script = None;
    }
    if s.script.is_none() {
        ctx.error(block_end(st), format!("No script set for vrrp_script {} - removing", s.name));
        return;
    }
    if s.timeout.is_zero() {
        s.timeout = s.interval;
    }
    if let Some(sc) = s.script.as_mut() {
        sc.span = st.span();
    }
    // Upstream keeps a second block of the same name silently; references
    // find the first.
    c.vrrp.scripts.push(s);
}

// ----------------------------------------------------------------- track_file

const TRACK_FILE: &[Keyword<TrackFile>] = &[
    Keyword::new("file", |t, st, ctx| {
        if let Some(w) = value(ctx, st) {
            t.file = Some(w.text.clone());
        }
    }),
    Keyword::new("weight", |t, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, -2_147_483_647, 2_147_483_647) {
            Some(n) => t.weight = n as i32,
            None => ctx.error(
                w.span,
                format!(
                    "Weight ({}) for track_file {} must be between [-2147483647..2147483647] inclusive. Ignoring...",
                    w.text, t.name
                ),
            ),
        }
        if let Some(r) = st.arg(1) {
            if r.text == "reverse" {
                t.weight_reverse = true;
            } else {
                ctx.error(r.span, format!("track_file {} unknown weight option {}", t.name, r.text));
            }
        }
    }),
    Keyword::new("init_file", |t, st, ctx| {
        let mut value = 0i64;
        let mut overwrite = false;
        for w in &st.args {
            if w.text == "overwrite" {
                overwrite = true;
            } else if let Ok(n) = w.text.parse::<i32>() {
                value = i64::from(n);
                if !(-254..=254).contains(&n) {
                    ctx.error(
                        w.span,
                        format!("Track file {} init value {n} is outside sensible range [-254, 254]", t.name),
                    );
                }
            } else {
                ctx.error(w.span, format!("Unknown track file init option {}", w.text));
            }
        }
        t.init_file = Some((value, overwrite));
    }),
];

fn track_file(c: &mut Config, st: &Stmt, ctx: &mut Ctx) {
    let Some(name) = block_name(ctx, st) else { return };
    let mut t = TrackFile {
        name: name.text.clone(),
        span: st.span(),
        file: None,
        weight: 1,
        weight_reverse: false,
        init_file: None,
    };
    ctx.apply(&mut t, st.children(), TRACK_FILE);
    if t.file.is_none() {
        ctx.error(block_end(st), format!("No file set for track_file {} - ignoring", t.name));
        return;
    }
    c.vrrp.track_files.push(t);
}

// --------------------------------------------------------- vrrp_track_process

const TRACK_PROCESS: &[Keyword<TrackProcess>] = &[
    Keyword::new("process", |t, st, ctx| {
        if value(ctx, st).is_some() {
            t.process = Some(st.args.iter().map(|w| w.text.clone()).collect());
        }
    }),
    Keyword::new("param_match", |t, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match w.text.as_str() {
            "initial" => t.param_match = Some(ParamMatch::Initial),
            "partial" => t.param_match = Some(ParamMatch::Partial),
            other => ctx.error(w.span, format!("Invalid param_match type {other} - ignoring")),
        }
    }),
    Keyword::new("weight", |t, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, -254, 254) {
            Some(n) => t.weight = n as i32,
            None => ctx.error(
                w.span,
                format!(
                    "Weight ({}) for vrrp_track_process {} must be between [-254..254] inclusive. Ignoring...",
                    w.text, t.name
                ),
            ),
        }
        if let Some(r) = st.arg(1) {
            if r.text == "reverse" {
                t.weight_reverse = true;
            } else {
                ctx.error(r.span, format!("track_process {} unknown weight option {}", t.name, r.text));
            }
        }
    }),
    Keyword::new("quorum", |t, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 1, 65535) {
            Some(n) if t.quorum_max.is_some_and(|m| (n as u32) > m) => {
                ctx.error(w.span, "Quorum is greater than quorum_max - ignoring")
            }
            Some(n) => t.quorum = n as u32,
            None => ctx.error(
                w.span,
                format!(
                    "Quorum ({}) for vrrp_track_process {} must be between [1..65535] inclusive. Ignoring...",
                    w.text, t.name
                ),
            ),
        }
    }),
    Keyword::new("quorum_max", |t, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 0, 65535) {
            Some(n) if (n as u32) < t.quorum => ctx.error(w.span, "Quorum is greater than quorum_max - ignoring"),
            Some(n) => t.quorum_max = Some(n as u32),
            None => ctx.error(
                w.span,
                format!(
                    "quorum_max ({}) for vrrp_track_process {} must be between [0..65535] inclusive. Ignoring...",
                    w.text, t.name
                ),
            ),
        }
    }),
    Keyword::new("fork_delay", |t, st, ctx| {
        if let Some(d) = process_delay(ctx, st, &t.name) {
            t.fork_delay = d;
        }
    }),
    Keyword::new("terminate_delay", |t, st, ctx| {
        if let Some(d) = process_delay(ctx, st, &t.name) {
            t.terminate_delay = d;
        }
    }),
    Keyword::new("delay", |t, st, ctx| {
        if let Some(d) = process_delay(ctx, st, &t.name) {
            t.fork_delay = d;
            t.terminate_delay = d;
        }
    }),
    Keyword::new("full_command", |t, _, _| t.full_command = true),
];

/// `fork_delay`, `terminate_delay`, `delay`: 1 us to 1 hour.
fn process_delay(ctx: &mut Ctx, st: &Stmt, name: &str) -> Option<Duration> {
    let w = value(ctx, st)?;
    let msg = format!(
        "{} ({}) for vrrp_track_process {name} must be between [0.000001..3600] inclusive. Ignoring...",
        st.keyword.text, w.text
    );
    if w.text.starts_with('-') {
        negative_number(ctx, w);
        ctx.error(w.span, msg);
        return None;
    }
    match super::parse_timer(&w.text) {
        Some(d) if d >= Duration::from_micros(1) && d <= Duration::from_secs(3600) => Some(d),
        _ => {
            ctx.error(w.span, msg);
            None
        }
    }
}

fn vrrp_track_process(c: &mut Config, st: &Stmt, ctx: &mut Ctx) {
    let Some(name) = block_name(ctx, st) else { return };
    let mut t = TrackProcess {
        name: name.text.clone(),
        span: st.span(),
        process: None,
        param_match: None,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: None,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
        full_command: false,
    };
    ctx.apply(&mut t, st.children(), TRACK_PROCESS);
    if t.process.is_none() {
        ctx.error(block_end(st), format!("track process '{}' process name not specified", t.name));
        return;
    }
    c.vrrp.track_processes.push(t);
}

// ------------------------------------------------------------- vrrp_sync_group

const SYNC_GROUP: &[Keyword<SyncGroup>] = &[
    Keyword::new("group", |g, st, _| {
        // Every word of the block is a member, several on a line or not
        // (keepalived reads the block as a list of words).
        for m in st.children() {
            g.members.push(Spanned::new(m.keyword.text.clone(), m.span()));
            for w in &m.args {
                g.members.push(Spanned::new(w.text.clone(), w.span));
            }
        }
    }),
    Keyword::new("track_interface", |g, st, ctx| {
        instance::tracked_list(
            ctx,
            &g.name,
            st,
            instance::TrackKind::Interface,
            None,
            false,
            &mut g.tracking.interfaces,
        )
    }),
    Keyword::new("track_script", |g, st, ctx| {
        instance::tracked_list(
            ctx,
            &g.name,
            st,
            instance::TrackKind::Script,
            Some(&g.tracking.known_scripts),
            false,
            &mut g.tracking.scripts,
        )
    }),
    Keyword::new("track_file", |g, st, ctx| {
        instance::tracked_list(
            ctx,
            &g.name,
            st,
            instance::TrackKind::File,
            Some(&g.tracking.known_files),
            false,
            &mut g.tracking.files,
        )
    }),
    Keyword::new("track_process", |g, st, ctx| {
        instance::tracked_list(
            ctx,
            &g.name,
            st,
            instance::TrackKind::Process,
            Some(&g.tracking.known_processes),
            false,
            &mut g.tracking.processes,
        )
    }),
    Keyword::not_yet("track_bfd", |g, st, ctx| {
        instance::tracked_list(
            ctx,
            &g.name,
            st,
            instance::TrackKind::Bfd,
            Some(&g.tracking.known_bfds),
            false,
            &mut g.tracking.bfds,
        )
    }),
    Keyword::new("notify_master", |g, st, ctx| g.notify.master = ctx.script_with_user(st)),
    Keyword::new("notify_backup", |g, st, ctx| g.notify.backup = ctx.script_with_user(st)),
    Keyword::new("notify_fault", |g, st, ctx| g.notify.fault = ctx.script_with_user(st)),
    Keyword::new("notify_stop", |g, st, ctx| g.notify.stop = ctx.script_with_user(st)),
    Keyword::new("notify_deleted", |g, st, ctx| {
        g.notify.deleted = Some(if st.args.is_empty() { None } else { ctx.script_with_user(st) })
    }),
    Keyword::new("notify", |g, st, ctx| g.notify.any = ctx.script_with_user(st)),
    Keyword::new("notify_priority_changes", |g, st, ctx| {
        let n = g.name.clone();
        g.notify.priority_changes = bool_with(ctx, st, |v| {
            format!("({n}) Invalid value '{v}' for sync group notify_priority_changes specified")
        })
    }),
    Keyword::not_yet("smtp_alert", |g, st, ctx| {
        g.notify.smtp_alert = bool_with(ctx, st, |v| format!("Invalid vrrp_group smtp_alert parameter {v}"))
    }),
    Keyword::new("global_tracking", |g, st, ctx| {
        g.global_tracking = true;
        ctx.push(
            Severity::Warning,
            Class::Deprecated,
            st.span(),
            format!("({}) global_tracking is deprecated. Use track_interface/script/file on the sync group", g.name),
        );
    }),
    Keyword::new("sync_group_tracking_weight", |g, _, _| g.sync_group_tracking_weight = true),
];

fn vrrp_sync_group(c: &mut Config, st: &Stmt, ctx: &mut Ctx) {
    let Some(name) = block_name(ctx, st) else { return };
    let mut g = SyncGroup {
        name: name.text.clone(),
        span: st.span(),
        members: Vec::new(),
        tracking: Default::default(),
        notify: Default::default(),
        global_tracking: false,
        sync_group_tracking_weight: false,
    };
    // Upstream resolves tracker names while parsing the group.
    g.tracking.known_scripts = c.vrrp.scripts.iter().map(|s| s.name.clone()).collect();
    g.tracking.known_files = c.vrrp.track_files.iter().map(|s| s.name.clone()).collect();
    g.tracking.known_processes = c.vrrp.track_processes.iter().map(|s| s.name.clone()).collect();
    g.tracking.known_bfds = c.bfd.instances.iter().map(|i| i.name.value.clone()).collect();
    ctx.apply(&mut g, st.children(), SYNC_GROUP);
    g.tracking.known_scripts.clear();
    g.tracking.known_files.clear();
    g.tracking.known_processes.clear();
    g.tracking.known_bfds.clear();
    if c.vrrp.sync_groups.iter().any(|o| o.name == g.name) {
        ctx.error(st.span(), format!("vrrp sync group {} already defined", g.name));
        return;
    }
    c.vrrp.sync_groups.push(g);
}

// ----------------------------------------------------------------- garp_group

const GARP_GROUP: &[Keyword<GarpGroup>] = &[
    Keyword::new("garp_interval", |g, st, ctx| g.garp_interval = garp_group_interval(ctx, st)),
    Keyword::new("gna_interval", |g, st, ctx| g.gna_interval = garp_group_interval(ctx, st)),
    Keyword::new("interface", |g, st, ctx| {
        if let Some(w) = value(ctx, st) {
            g.interface = Some(Spanned::new(w.text.clone(), w.span));
        }
    }),
    Keyword::new("interfaces", |g, st, _| {
        for m in st.children() {
            g.interfaces.push(Spanned::new(m.keyword.text.clone(), m.span()));
        }
    }),
];

fn garp_group_interval(ctx: &mut Ctx, st: &Stmt) -> Option<Duration> {
    let w = value(ctx, st)?;
    let d = read_decimal(ctx, w, 0.0, 4294.967295);
    if d.is_none() {
        ctx.error(w.span, format!("garp_group {} '{}' invalid", st.keyword.text, w.text));
    }
    d
}

fn garp_group(c: &mut Config, st: &Stmt, ctx: &mut Ctx) {
    let mut g = GarpGroup { span: st.span(), ..GarpGroup::default() };
    ctx.apply(&mut g, st.children(), GARP_GROUP);
    if g.interface.is_none() && g.interfaces.is_empty() {
        // Upstream silently ignores such a group.
        ctx.push(Severity::Note, Class::Other, st.span(), "garp_group has no interfaces specified - it has no effect");
        return;
    }
    if g.garp_interval.is_none() && g.gna_interval.is_none() {
        ctx.error(
            block_end(st),
            format!("garp group {} does not have any delay set - removing", c.vrrp.garp_groups.len()),
        );
        // Upstream has checked its interfaces while parsing it.
        c.vrrp.removed_garp_interfaces.extend(g.interface.into_iter().chain(g.interfaces));
        return;
    }
    if g.interface.is_some() && !g.interfaces.is_empty() {
        ctx.error(st.span(), "garp_group cannot have both interface and interfaces specified - ignoring interfaces");
        g.interfaces.clear();
    }
    c.vrrp.garp_groups.push(g);
}
