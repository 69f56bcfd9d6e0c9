//! Director tests.
use super::*;
