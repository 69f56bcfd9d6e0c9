//! The VRRP side of the configuration.

/// Everything the VRRP child runs.
#[derive(Clone, Debug, Default)]
pub struct VrrpConfig {}

impl VrrpConfig {
    /// Whether there is anything for a VRRP process to do.
    pub fn needs_process(&self) -> bool {
        false
    }

    /// Every script configured in this part.
    pub fn scripts(&self) -> Vec<&super::Script> {
        Vec::new()
    }
}
