#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...] - run the fuzz targets with cargo-fuzz
# (libFuzzer) for SECONDS each (default 60), installing cargo-fuzz if needed.
# The stable toolchain is used with RUSTC_BOOTSTRAP=1 for the sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}; shift || true
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
for t in "${targets[@]}"; do
    echo "== fuzzing $t for ${secs}s"
    mkdir -p "corpus/$t"
    # seed the config fuzzer with upstream's samples and our own configurations
    if [ "$t" = config ]; then
        cp -n ../tests/data/keepalived-samples/keepalived.conf.* ../conf/*.conf "corpus/$t"/ 2>/dev/null || true
    fi
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 -timeout=10
done
