#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what the tests
# need, then runs formatting and lint checks, unit and integration tests
# (including the root / network-namespace tests) and the packaging test.
#
# Usage: bash tests/run-all.sh          (as root; CI runs exactly this)
# Env:   SKIP_INSTALL=1  do not apt-get anything
#        SKIP_PACKAGING=1 skip tests/packaging.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n==== %s (%s)\n' "$*" "$(date +%T)"; }

if [ "${SKIP_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ]; then
    step "installing test prerequisites"
    need=()
    # nginx-light, dnsmasq-base, python3-aiosmtpd, openssl: real servers for
    # the checker tests (tests/check_probes.rs).
    # nftables iputils-arping: the VRRP network tests (tests/vrrp_network.rs)
    # read keepalived's nftables table with nft and ask for the VIP's MAC.
    # psmisc curl procps net-tools python3: programs the scripts of the
    # tests/corpus configurations run, present when keepalived 2.2.7's verdicts
    # were recorded (it flags script security only for scripts that exist).
    for p in keepalived ipvsadm tcpdump iproute2 iputils-ping libssl-dev pkg-config time \
             debhelper dpkg-dev fakeroot rpm lintian systemd \
             nginx-light dnsmasq-base python3-aiosmtpd openssl \
             psmisc curl procps net-tools python3 nftables iputils-arping; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq
        # keepalived is the interop peer and oracle only: never let it run as a service here
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
        systemctl disable --now keepalived >/dev/null 2>&1 || true
    fi
fi
command -v cargo >/dev/null || { echo "cargo is required (rustup)"; exit 1; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test (unit, integration, root/netns)"
cargo test --locked --no-fail-fast -- --test-threads=2

if [ "${SKIP_PACKAGING:-0}" != 1 ] && [ -x tests/packaging.sh ]; then
    step "packaging"
    bash tests/packaging.sh
fi
step "all tests passed"
