#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what the tests
# need, then runs formatting and lint checks, unit and integration tests
# (including the root / network-namespace tests and the interop tests with
# Debian's keepalived) and the packaging test (with the .deb booted under
# systemd in a container: tests/systemd-boot.sh; its Debian root is built
# once, about 80 s, and cached in /var/cache/keepalived-rs-root).
#
# Every step runs even when an earlier one fails; the end prints which
# passed and which failed, and the exit status is non-zero if any failed.
#
# Usage: sudo bash tests/run-all.sh     (root: namespaces, apt, dpkg; CI runs
#                                        exactly this as root, with CI set)
# cargo runs as the checkout's owner with that user's toolchain (tests/env.sh):
# the test binaries it builds are then run by this script (as root), so
# target/ stays the owner's.
# Env:   SKIP_INSTALL=1   do not apt-get anything
#        SKIP_PACKAGING=1 skip tests/packaging.sh
#        KR_REQUIRE_ALL   1 (the default as root, since this script installs
#                         everything): a test whose prerequisite is missing
#                         fails; 0: it skips with the reason printed (CI set:
#                         it fails whatever this says)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=never
# shellcheck source=tests/env.sh
. tests/env.sh

step() { printf '\n==== %s (%s)\n' "$*" "$(date +%T)"; }
RESULTS=()
T0=$(date +%s)
# record NAME STATUS
record() {
    if [ "$2" = 0 ]; then RESULTS+=("PASS  $1"); else RESULTS+=("FAIL  $1 (exit $2)"); fi
}
summary() {
    local failed=0 r
    kr_restore_ownership "$ROOT/target" "$ROOT/debian"
    printf '\n==== summary (%d s)\n' $(($(date +%s) - T0))
    for r in "${RESULTS[@]}"; do
        echo "$r"
        case $r in FAIL*) failed=1 ;; esac
    done
    if [ $failed = 0 ]; then echo "all steps passed"; else echo "SOME STEPS FAILED"; fi
    return $failed
}

if [ "$(id -u)" = 0 ]; then
    export KR_REQUIRE_ALL=${KR_REQUIRE_ALL:-1}
    step "test prerequisites (Debian packages)"
    missing_before=$(dpkg-query -W -f='${Status}\n' keepalived 2>/dev/null | grep -c 'install ok installed')
    # nginx-light, dnsmasq-base, python3-aiosmtpd, openssl: real servers for
    # the checker tests (tests/check_probes.rs).
    # nftables iputils-arping: the VRRP network tests (tests/vrrp_network.rs)
    # read keepalived's nftables table with nft and ask for the VIP's MAC.
    # psmisc curl procps net-tools python3: programs the scripts of the
    # tests/corpus configurations run, present when keepalived 2.2.7's verdicts
    # were recorded (it flags script security only for scripts that exist).
    # debootstrap and systemd-container (systemd-nspawn): tests/systemd-boot.sh,
    # run by tests/packaging.sh, boots the .deb on a cached Debian root.
    kr_apt_need keepalived ipvsadm tcpdump iproute2 iputils-ping procps psmisc libssl-dev pkg-config gcc \
        libc6-dev time debhelper dpkg-dev fakeroot rpm lintian systemd \
        nginx-light dnsmasq-base python3-aiosmtpd openssl \
        curl net-tools python3 debootstrap systemd-container nftables iputils-arping
    record "prerequisites installed" $?
    if [ "$missing_before" = 0 ]; then
        # keepalived is the interop peer and oracle only: never a service here
        systemctl disable --now keepalived >/dev/null 2>&1 || true
    fi
else
    echo "not root: nothing installed; the namespace tests skip (or fail under CI) and packaging fails"
fi

kr_setup_builder

step "cargo fmt --check"
"${BUILD[@]}" cargo fmt --all -- --check
record "cargo fmt --check" $?

step "cargo clippy -D warnings"
"${BUILD[@]}" cargo clippy --all-targets --locked -- -D warnings
record "cargo clippy --all-targets -D warnings" $?

step "cargo test (unit, integration, root/netns)"
# Built by the owner (cargo test --no-run), each test binary then run here
# (as root under sudo: cargo itself never runs as root in a user's checkout),
# every binary even when one fails.
list=$(mktemp)
"${BUILD[@]}" cargo test --locked --no-run --message-format=json-render-diagnostics >"$list"
rc=$?
record "cargo test --no-run (build as $BUILDER)" $rc
if [ $rc = 0 ]; then
    grep '"reason":"compiler-artifact"' "$list" | grep '"profile":{[^}]*"test":true' |
        sed -n 's/.*"target":{"kind":\["\([a-z-]*\)"\][^}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1 \2 \3/p' |
        sort -u >"$list.run"
    [ -s "$list.run" ] || record "test binaries found" 1
    while read -r kind name exe; do
        printf '\n---- %s %s (%s)\n' "$kind" "$name" "${exe##*/}"
        "$exe" --test-threads=2
        record "test $kind $name" $?
    done <"$list.run"
    "${BUILD[@]}" cargo test --locked --doc
    record "doc tests" $?
fi
rm -f "$list" "$list.run"

if [ "${SKIP_PACKAGING:-0}" != 1 ]; then
    step "packaging"
    # The release binaries as the owner; dpkg-buildpackage (as root) then
    # finds them current and only needs to see the owner's cargo.
    "${BUILD[@]}" cargo build --release --locked
    rc=$?
    if [ $rc = 0 ]; then
        if kr_builder_is_me; then
            bash tests/packaging.sh
        else
            # shellcheck disable=SC2046
            env $(kr_builder_toolchain_env) bash tests/packaging.sh
            rc=$?
            home=$(kr_home_of "$BUILDER")
            kr_restore_ownership "$home/.cargo" "$home/.rustup"
            (exit $rc)
        fi
        rc=$?
    fi
    record "packaging (tests/packaging.sh)" $rc
fi

summary
