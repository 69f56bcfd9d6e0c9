//! bfd_instance blocks (RFC 5880 sessions run by the BFD child).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::ast::Span;
use crate::config::build::Spanned;

/// RFC 5881 section 5: single-hop sessions are sent with TTL 255.
pub const DEFAULT_TTL: u8 = 255;
/// Upstream's default IPv6 hop limit for BFD.
pub const DEFAULT_HOPLIMIT: u8 = 64;
/// Upstream's limit on an instance name (BFD_INAME_MAX - 1).
pub const NAME_MAX: usize = 31;

/// Everything the BFD child runs.
#[derive(Clone, Debug, Default)]
pub struct BfdConfig {
    pub instances: Vec<BfdInstance>,
}

impl BfdConfig {
    /// Whether there is anything for a BFD process to do.
    pub fn needs_process(&self) -> bool {
        !self.instances.is_empty()
    }

    /// The instance called `name`.
    pub fn instance(&self, name: &str) -> Option<&BfdInstance> {
        self.instances.iter().find(|b| b.name.value == name)
    }
}

/// One `bfd_instance NAME { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct BfdInstance {
    pub name: Spanned<String>,
    /// The block's keyword.
    pub span: Span,
    /// `neighbor_ip` (or `neighbour_ip`): required.
    pub neighbor: Option<Spanned<IpAddr>>,
    /// Whether the British spelling was used (upstream's messages follow it).
    pub neighbour_spelling: bool,
    /// `source_ip`.
    pub source: Option<Spanned<IpAddr>>,
    /// `min_rx` (default 10 ms, microsecond resolution).
    pub min_rx: Duration,
    /// `min_tx` (default 10 ms).
    pub min_tx: Duration,
    /// `idle_tx` (default 1000 ms).
    pub idle_tx: Duration,
    /// `multiplier` (default 5).
    pub multiplier: u8,
    /// `passive`.
    pub passive: bool,
    /// `ttl`/`hoplimit`; once validated, always set (255 for IPv4, 64 for IPv6
    /// when not configured).
    pub ttl: Option<u8>,
    /// `max_hops` (default 0; 255 disables the check; -1 is accepted as upstream does).
    pub max_hops: i16,
    /// `multihop` (RFC 5883 port 4784).
    pub multihop: bool,
    /// `weight` (-253..=253) and `reverse`, used by tracking VRRP instances.
    pub weight: i32,
    pub weight_reverse: bool,
    /// Which processes get events (both when neither `vrrp` nor `checker` is given).
    pub notify_vrrp: bool,
    pub notify_checker: bool,
}

impl BfdInstance {
    /// A new instance with upstream's defaults.
    pub fn new(name: Spanned<String>, span: Span) -> Self {
        BfdInstance {
            name,
            span,
            neighbor: None,
            neighbour_spelling: false,
            source: None,
            min_rx: Duration::from_millis(10),
            min_tx: Duration::from_millis(10),
            idle_tx: Duration::from_millis(1000),
            multiplier: 5,
            passive: false,
            ttl: None,
            max_hops: 0,
            multihop: false,
            weight: 0,
            weight_reverse: false,
            notify_vrrp: true,
            notify_checker: true,
        }
    }

    /// The TTL/hop limit used when none is configured.
    pub fn effective_ttl(&self) -> u8 {
        match (self.ttl, self.neighbor.as_ref().map(|n| n.value)) {
            (Some(t), _) => t,
            (None, Some(IpAddr::V6(_))) => DEFAULT_HOPLIMIT,
            (None, _) => DEFAULT_TTL,
        }
    }
}
