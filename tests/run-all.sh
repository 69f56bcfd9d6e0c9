#!/usr/bin/env bash
# Installs the test prerequisites on a fresh Debian machine and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test
