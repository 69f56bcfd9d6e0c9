//! Whole-configuration checks that need facts about the machine.

use std::collections::BTreeSet;

/// What validation may know about the machine, gathered by the caller so that
/// validation itself stays pure.
#[derive(Clone, Debug, Default)]
pub struct SystemView {
    /// Names of the network interfaces that exist.
    pub interfaces: BTreeSet<String>,
    /// Whether the interface list is known (false: do not report missing interfaces).
    pub interfaces_known: bool,
}

impl SystemView {
    /// Reads the interfaces of the current network namespace from /sys/class/net.
    pub fn probe() -> Self {
        match std::fs::read_dir("/sys/class/net") {
            Ok(dir) => SystemView {
                interfaces: dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
                interfaces_known: true,
            },
            Err(_) => SystemView::default(),
        }
    }

    /// Whether interface `name` exists (true when unknown).
    pub fn has_interface(&self, name: &str) -> bool {
        !self.interfaces_known || self.interfaces.contains(name)
    }
}
