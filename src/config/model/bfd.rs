//! bfd_instance blocks.

/// Everything the BFD child runs.
#[derive(Clone, Debug, Default)]
pub struct BfdConfig {}

impl BfdConfig {
    /// Whether there is anything for a BFD process to do.
    pub fn needs_process(&self) -> bool {
        false
    }
}
