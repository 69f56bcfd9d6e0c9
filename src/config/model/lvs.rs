//! The LVS side of the configuration: virtual servers, real servers, checkers.

/// Everything the checker child runs.
#[derive(Clone, Debug, Default)]
pub struct LvsConfig {}

impl LvsConfig {
    /// Whether there is anything for a checker process to do.
    pub fn needs_process(&self) -> bool {
        false
    }

    /// Every script configured in this part.
    pub fn scripts(&self) -> Vec<&super::Script> {
        Vec::new()
    }
}
