//! Keyword tables and handlers for the vrrp part of the configuration.

use crate::config::model::Config;

use super::Keyword;

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[];

/// Keywords of `global_defs` that belong to this part (stored in this part's model).
pub const GLOBAL_DEFS: &[Keyword<Config>] = &[];

/// Checks that need the whole model (references, conflicts, required fields).
pub fn validate(_cfg: &mut Config, _sys: &crate::config::validate::SystemView, _ctx: &mut super::Ctx) {}

/// Appends the readable dump (`-d`) of this part.
pub fn dump(_cfg: &Config, _out: &mut String) {}
