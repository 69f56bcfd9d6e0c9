//! Diff tests.
use super::*;
