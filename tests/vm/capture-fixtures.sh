#!/usr/bin/env bash
# capture-fixtures.sh -- records the kernel replies that the IPVS codec tests
# (src/ipvs/genl/tests.rs) decode byte for byte: runs the ignored unit test
# `capture_kernel_replies` inside the IPVS VM and stores what it wrote in
# tests/data/ipvs/. Run as root after changing what the capture programs.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(cargo test --lib --no-run 2>&1 | sed -n 's/.*Executable unittests src\/lib.rs (\(.*\))/\1/p' | tail -n1)
[ -x "$bin" ] || { echo "cannot find the unit-test binary" >&2; exit 1; }
case_dir=$(mktemp -d /tmp/kr-capture.XXXXXX)
trap 'rm -rf "$case_dir"' EXIT
echo "$PWD/$bin kr-lib-tests" >"$case_dir/bins"
cat >"$case_dir/run.sh" <<'CASE'
. /case/lib.sh
mkdir -p /tmp/cap
KR_CAPTURE_DIR=/tmp/cap kr-lib-tests --ignored --exact ipvs::genl::tests::capture_kernel_replies --nocapture
rc=$?
for f in /tmp/cap/*; do emit "$(basename "$f")" "$f"; done
exit $rc
CASE
bash tests/vm/ipvs-vm.sh "$case_dir"
mkdir -p tests/data/ipvs
cp "$case_dir"/out/*.bin tests/data/ipvs/
ls -l tests/data/ipvs/*.bin
