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
    /// The parts that were read; the others were only counted.
    pub parts: Parts,
    /// The blocks of the parts not read.
    pub skipped: Skipped,
}

/// A part of the configuration that one child process runs. Everything
/// else (global_defs, static addresses, routes and rules, linkbeat, track
/// groups, namespaces) is read by every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// vrrp_script, vrrp_track_process, track_file, vrrp_sync_group,
    /// garp_group, vrrp_instance.
    Vrrp,
    /// virtual_server, virtual_server_group, SSL.
    Lvs,
    /// bfd_instance.
    Bfd,
}

/// Which parts a process reads (see [`crate::config::load_parts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    pub vrrp: bool,
    pub lvs: bool,
    pub bfd: bool,
}

impl Parts {
    /// Everything: `-t` and the tools.
    pub const ALL: Parts = Parts { vrrp: true, lvs: true, bfd: true };
    /// Only what every process reads: keepalived's parent.
    pub const GLOBAL: Parts = Parts { vrrp: false, lvs: false, bfd: false };
    /// The VRRP child (track_bfd names BFD instances).
    pub const VRRP: Parts = Parts { vrrp: true, lvs: false, bfd: true };
    /// The checker child (BFD_CHECK names BFD instances).
    pub const CHECKER: Parts = Parts { vrrp: false, lvs: true, bfd: true };
    /// The BFD child.
    pub const BFD: Parts = Parts { vrrp: false, lvs: false, bfd: true };

    /// Whether `part` is read.
    pub fn has(self, part: Part) -> bool {
        match part {
            Part::Vrrp => self.vrrp,
            Part::Lvs => self.lvs,
            Part::Bfd => self.bfd,
        }
    }
}

impl Default for Parts {
    fn default() -> Self {
        Parts::ALL
    }
}

/// What was seen of the parts not read: enough for the parent to know which
/// children to start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    pub vrrp_instances: usize,
    pub virtual_servers: usize,
    pub bfd_instances: usize,
}

impl Config {
    /// Whether the VRRP child has anything to do.
    pub fn needs_vrrp(&self) -> bool {
        self.vrrp.needs_process() || self.skipped.vrrp_instances > 0
    }

    /// Whether the checker child has anything to do.
    pub fn needs_checker(&self) -> bool {
        self.lvs.needs_process() || self.skipped.virtual_servers > 0
    }

    /// Whether the BFD child has anything to do.
    pub fn needs_bfd(&self) -> bool {
        self.bfd.needs_process() || self.skipped.bfd_instances > 0
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
