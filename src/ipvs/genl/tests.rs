//! Codec tests: requests byte for byte, replies captured from a kernel.
use super::*;
