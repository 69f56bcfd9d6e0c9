//! Keyword tables and handlers for bfd_instance blocks.

use crate::config::model::Config;

use super::Keyword;

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[];

/// Checks that need the whole model.
pub fn validate(_cfg: &mut Config, _sys: &crate::config::validate::SystemView, _ctx: &mut super::Ctx) {}

/// Appends the readable dump (`-d`) of this part.
pub fn dump(_cfg: &Config, _out: &mut String) {}
