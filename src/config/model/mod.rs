//! The typed configuration model, with upstream's defaults.
//!
//! Values are typed (durations, addresses, enums), never raw strings where
//! the man page gives a type. Blocks carry the [`Span`](super::ast::Span) of
//! their keyword and values that later messages refer to are
//! [`Spanned`](super::build::Spanned).

pub mod bfd;
pub mod global;
pub mod ipcfg;
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
    /// bfd_instance blocks (run by the BFD child).
    pub bfd: bfd::BfdConfig,
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

    /// Whether the BFD child has anything to do.
    pub fn needs_bfd(&self) -> bool {
        self.bfd.needs_process()
    }

    /// Every script the configuration would run, for script_security checks.
    pub fn scripts(&self) -> Vec<&Script> {
        let mut v = self.global.scripts();
        v.extend(self.vrrp.scripts());
        v.extend(self.lvs.scripts());
        v
    }
}

/// A script or program keepalived runs (notify, track, check, startup...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// `username [:][groupname]` given after the script, if any.
    pub user: Option<String>,
    pub group: Option<String>,
    /// A ':' before the group name: set the user's supplementary groups.
    pub supplementary_groups: bool,
    /// Where it was configured.
    pub span: crate::config::ast::Span,
}

impl Script {
    /// The command line as written, for messages.
    pub fn command_line(&self) -> String {
        self.argv.join(" ")
    }
}
