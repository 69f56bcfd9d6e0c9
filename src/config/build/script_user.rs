//! The users that scripts run as, checked as keepalived 2.2.7 checks them
//! while it reads the configuration (pure: the accounts come in the
//! [`SystemView`]).
//!
//! - `script_user` that does not exist: "Error setting global script uid/gid"
//!   on its line; scripts without a user of their own are then removed.
//! - No `script_user`: scripts run as `keepalived_script` when that user
//!   exists, else as root; with `enable_script_security` root is refused
//!   ("Unable to set default user keepalived_script for script", once) and
//!   the scripts without a user of their own are removed.
//! - A vrrp_script `user` that does not exist: "Unable to set uid/gid for
//!   script ..." on that line, and the script is removed; a MISC_CHECK one:
//!   "Failed to set uid/gid for misc checker script ... - removing".
//!
//! A removed vrrp_script is then "not found" where an instance or a sync
//! group tracks it; a removed MISC_CHECK is dropped from its real server.
//! keepalived 2.2.7 checks only these scripts while reading; notify scripts
//! are checked when they run.

use crate::config::ast::Span;
use crate::config::build::Ctx;
use crate::config::error::{Class, Diagnostic, Severity};
use crate::config::model::lvs::CheckerKind;
use crate::config::model::vrrp::Tracked;
use crate::config::model::{Config, Part};
use crate::config::validate::SystemView;

/// The user keepalived runs scripts as when none is configured.
const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// Whether the default script user could be set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DefaultUser {
    Unknown,
    Set,
    Failed,
}

struct Users<'a> {
    sys: &'a SystemView,
    /// `script_user` given, and whether it exists.
    global: Option<bool>,
    security: bool,
    default: DefaultUser,
}

impl Users<'_> {
    fn exists(&self, user: &str, group: Option<&str>) -> bool {
        self.sys.has_user(user) && group.is_none_or(|g| self.sys.has_group(g))
    }

    /// Whether scripts without a user of their own can run; the first time
    /// the default user is needed keepalived may say why not, at `at`.
    fn default_ok(&mut self, at: Span, part: Part, out: &mut Vec<Diagnostic>) -> bool {
        if self.default == DefaultUser::Unknown {
            self.default = match self.global {
                Some(true) => DefaultUser::Set,
                Some(false) => DefaultUser::Failed,
                None if self.sys.has_user(DEFAULT_SCRIPT_USER) || !self.security => DefaultUser::Set,
                None => {
                    out.push(diag(at, part, format!("Unable to set default user {DEFAULT_SCRIPT_USER} for script")));
                    DefaultUser::Failed
                }
            };
        }
        self.default == DefaultUser::Set
    }
}

fn diag(at: Span, part: Part, message: String) -> Diagnostic {
    let mut d = Diagnostic::new(Severity::Error, Class::Reference, Some(at), message);
    d.part = Some(part);
    d
}

/// Checks the users of the global settings, the MISC_CHECK scripts and the
/// vrrp_scripts, in the order keepalived reads them (the common part, the
/// checkers, then VRRP), and removes the scripts it would remove.
pub(crate) fn check(cfg: &mut Config, sys: &SystemView, ctx: &mut Ctx) {
    let global = cfg.global.script_user.as_ref().map(|su| {
        let ok = sys.has_user(&su.user) && su.group.as_deref().is_none_or(|g| sys.has_group(g));
        if !ok {
            ctx.push(Severity::Error, Class::Reference, su.span, "Error setting global script uid/gid");
        }
        ok
    });
    let mut users = Users { sys, global, security: cfg.global.enable_script_security, default: DefaultUser::Unknown };
    let mut out = Vec::new();

    for vs in &mut cfg.lvs.virtual_servers {
        for rs in vs.real_servers.iter_mut().chain(vs.sorry_server.iter_mut()) {
            rs.checkers.retain(|c| {
                let CheckerKind::Misc(m) = &c.kind else { return true };
                if let Some(u) = &m.script.user {
                    if users.exists(u, m.script.group.as_deref()) {
                        return true;
                    }
                    let args: Vec<String> = m.script.argv.iter().map(|a| format!("'{a}'")).collect();
                    out.push(diag(
                        m.user_at.unwrap_or(m.end),
                        Part::Lvs,
                        format!("Failed to set uid/gid for misc checker script {} - removing", args.join(" ")),
                    ));
                    return false;
                }
                if users.default_ok(m.end, Part::Lvs, &mut out) {
                    return true;
                }
                out.push(diag(
                    m.end,
                    Part::Lvs,
                    format!("Unable to set default user for misc script '{}' - removing", m.script.command_line()),
                ));
                false
            });
        }
    }

    let mut removed = Vec::new();
    for s in &cfg.vrrp.scripts {
        let Some(sc) = &s.script else { continue };
        match &sc.user {
            Some(u) => {
                if !users.exists(u, sc.group.as_deref()) {
                    let (at, known) = s.user_line.unwrap_or((s.span, true));
                    let args: Vec<String> =
                        if known { sc.argv.iter().map(|a| format!("'{a}'")).collect() } else { Vec::new() };
                    out.push(diag(at, Part::Vrrp, format!("Unable to set uid/gid for script {}", args.join(" "))));
                    removed.push(s.name.clone());
                }
            }
            None => {
                if !users.default_ok(s.end, Part::Vrrp, &mut out) {
                    out.push(diag(
                        s.end,
                        Part::Vrrp,
                        format!("Unable to set default user for vrrp script {} - removing", s.name),
                    ));
                    removed.push(s.name.clone());
                }
            }
        }
    }
    if !removed.is_empty() {
        cfg.vrrp.scripts.retain(|s| !removed.contains(&s.name));
        let mut not_found = |owner: &str, tracked: &mut Vec<Tracked>| {
            tracked.retain(|t| {
                if !removed.contains(&t.name.value) {
                    return true;
                }
                out.push(diag(
                    t.name.span,
                    Part::Vrrp,
                    format!("({owner}) track script {} not found, ignoring...", t.name.value),
                ));
                false
            });
        };
        for inst in &mut cfg.vrrp.instances {
            not_found(&inst.name, &mut inst.tracking.scripts);
        }
        for sg in &mut cfg.vrrp.sync_groups {
            not_found(&sg.name, &mut sg.tracking.scripts);
        }
    }
    ctx.diags.extend(out);
}
