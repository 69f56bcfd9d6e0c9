//! The typed configuration model, with upstream's defaults.
//!
//! Values are typed (durations, addresses, enums), never raw strings where
//! the man page gives a type. Blocks carry the [`Span`](super::ast::Span) of
//! their keyword and values that later messages refer to are
//! [`Spanned`](super::build::Spanned).

pub mod global;
pub mod lvs;
pub mod vrrp;

/// A whole keepalived.conf.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// global_defs and the other top-level global blocks (static addresses,
    /// routes and rules, linkbeat interfaces, net_namespace, ...).
    pub global: global::GlobalConfig,
    /// Everything the VRRP child runs: scripts, trackers, sync groups, instances.
    pub vrrp: vrrp::VrrpConfig,
    /// Everything the checker child runs: virtual servers and their checkers.
    pub lvs: lvs::LvsConfig,
}

impl Config {
    /// Whether the VRRP child has anything to do.
    pub fn needs_vrrp(&self) -> bool {
        self.vrrp.needs_process()
    }

    /// Whether the checker child has anything to do.
    pub fn needs_checker(&self) -> bool {
        self.lvs.needs_process()
    }
}
