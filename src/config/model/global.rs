//! Global definitions and the top-level global blocks.

use super::Script;

/// global_defs and the top-level global blocks.
#[derive(Clone, Debug, Default)]
pub struct GlobalConfig {
    /// global_defs `script_user USERNAME [GROUPNAME]`.
    pub script_user: Option<(String, Option<String>)>,
    /// global_defs `enable_script_security`.
    pub enable_script_security: bool,
}

impl GlobalConfig {
    /// Scripts configured in the global part (startup/shutdown, notify fifos...).
    pub fn scripts(&self) -> Vec<&Script> {
        Vec::new()
    }
}
