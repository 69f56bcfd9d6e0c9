//! Keyword tables and handlers for global_defs and the top-level global blocks.

use crate::config::ast::Stmt;
use crate::config::model::Config;

use super::{Ctx, Keyword};

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[Keyword::new("global_defs", global_defs)];

/// Keywords of `global_defs` stored in the global model.
pub const GLOBAL_DEFS: &[Keyword<Config>] = &[
    Keyword::new("script_user", |c, s, ctx| {
        if let Some(u) = ctx.arg(s, 0) {
            c.global.script_user = Some((u.text.clone(), s.arg(1).map(|g| g.text.clone())));
        }
    }),
    Keyword::new("enable_script_security", |c, _, _| c.global.enable_script_security = true),
];

/// `global_defs { ... }`: its keywords are spread over the parts that use them.
fn global_defs(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    ctx.apply_tables(c, s.children(), &[GLOBAL_DEFS, super::vrrp::GLOBAL_DEFS, super::lvs::GLOBAL_DEFS]);
}

/// Checks that need the whole model (references, conflicts, required fields).
pub fn validate(_cfg: &mut Config, _sys: &crate::config::validate::SystemView, _ctx: &mut super::Ctx) {}

/// Appends the readable dump (`-d`) of this part.
pub fn dump(_cfg: &Config, _out: &mut String) {}
