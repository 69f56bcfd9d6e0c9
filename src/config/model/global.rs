//! Global definitions and the top-level global blocks.

/// global_defs and the top-level global blocks.
#[derive(Clone, Debug, Default)]
pub struct GlobalConfig {}
