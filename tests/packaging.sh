#!/usr/bin/env bash
# tests/packaging.sh - the packaging test of issue #9.
#
# Builds the Debian package (dpkg-buildpackage, reusing target/x86_64-unknown-linux-gnu/release) and the
# RPM (rpmbuild on the prebuilt binaries; and `rpmbuild -ba` from the vendored
# source tarball, offline, giving the source RPM), checks their contents with lintian,
# dpkg and rpm, installs the .deb into private mount namespaces whose /usr,
# /etc and /var are overlays on a tmpfs (the real system is never written),
# runs the installed binary there, purges it, installs and erases the RPM the
# same way, verifies the systemd unit and runs tests/systemd.sh (the unit's
# notify/reload/stop protocol against the built daemon), then boots the .deb
# under a real systemd (tests/systemd-boot.sh: a cached Debian root in a
# systemd-nspawn container).
# The configuration examples are checked with Debian's keepalived 2.2.7 in a
# network namespace holding the interfaces they name.
#
# Prints PASS/FAIL (and SKIP/XFAIL, explained where printed) per check, ends
# with "N passed, M failed" and exits non-zero when anything failed.
# Needs root (namespaces, dpkg). About a minute when target/x86_64-unknown-linux-gnu/release is current.
#
# Usage: bash tests/packaging.sh          Env: KEEP=1 keeps the work directory.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF="$ROOT/tests/packaging.sh"

# --- inner part: runs inside `unshare -m`, see run_in_overlay ---------------
if [ "${1:-}" = "__inside" ]; then
    W=$2
    scenario=$3
    RESULTS="$W/results"
    LOG="$W/log"
    NS=$4
    # shellcheck source=/dev/null
    . "$W/lib.sh"
    inside_main "$scenario"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "tests/packaging.sh needs root (mount and network namespaces, dpkg)"
    echo "0 passed, 1 failed"
    exit 1
fi

W=$(mktemp -d /tmp/kr-pkg.XXXXXX)
RESULTS="$W/results"
LOG="$W/log"
: >"$RESULTS"
: >"$LOG"
NS="kr$$-pkg"
ARTIFACTS=()

cleanup() {
    ip netns del "$NS" 2>/dev/null
    for a in "${ARTIFACTS[@]}"; do rm -f "$a"; done
    # dpkg-buildpackage's leftovers in debian/ (target/ is kept on purpose)
    (cd "$ROOT" && dh_clean >/dev/null 2>&1)
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Everything the inner part needs, shared through a file it sources.
cat >"$W/lib.sh" <<'LIB'
# check NAME COMMAND...: runs COMMAND (output to the log), records the verdict.
# A failure also prints the end of the command's output.
check() {
    local name=$1 out
    shift
    out=$(mktemp "$W/check.XXXXXX")
    echo "--- $name: $*" >>"$LOG"
    if "$@" >"$out" 2>&1; then
        echo "PASS $name" | tee -a "$RESULTS"
    else
        echo "FAIL $name" | tee -a "$RESULTS"
        tail -n 15 "$out" | sed 's/^/    | /'
    fi
    cat "$out" >>"$LOG"
    rm -f "$out"
}
note() { echo "$1 $2" | tee -a "$RESULTS"; }

has_line() { grep -qxF -- "$2" "$1"; }
lacks_path() { [ ! -e "$1" ] && [ ! -L "$1" ]; }
pkg_status() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null; }
not_installed() { ! pkg_status "$1" | grep -q 'installed$' && ! pkg_status "$1" | grep -q 'config-files$'; }

# Our installed binary on a config file, in the test's network namespace
# (which holds eth0 and eth1).  Exit 0 is a PASS.  While the config parser is
# still being completed, a failure whose only diagnostics are "Unknown
# keyword" errors is reported as XFAIL with the keywords; any other failure
# (crash, missing file, another error) is a FAIL.
config_test_ours() {
    local name=$1 file=$2 out rc
    out=$(ip netns exec "$NS" /usr/sbin/keepalived -t -f "$file" 2>&1)
    rc=$?
    printf -- '--- %s: rc=%s\n%s\n' "$name" "$rc" "$out" >>"$LOG"
    if [ "$rc" = 0 ]; then
        note PASS "$name"
        return
    fi
    local diags unknown
    diags=$(printf '%s\n' "$out" | grep -E '^\(.*Line [0-9]+\)' || true)
    unknown=$(printf '%s\n' "$diags" | sed -n "s/.*Unknown keyword '\([^']*\)'.*/\1/p" | sort -u | tr '\n' ' ')
    if [ "$rc" = 4 ] && [ -n "$unknown" ] && ! printf '%s\n' "$diags" | grep -vq "Unknown keyword"; then
        note XFAIL "$name (exit 4; keywords not implemented yet: ${unknown% })"
    else
        note FAIL "$name (exit $rc)"
    fi
}

# keepalived -v: checked once the CLI exists in the packaged tree (src/cli.rs);
# before that the binary ignores -v and there is nothing to check.
version_test_ours() {
    local out
    if [ ! -f "$ROOTDIR/src/cli.rs" ]; then
        note SKIP "[fresh] installed keepalived -v (no src/cli.rs in this tree: the CLI is not merged yet)"
        return
    fi
    out=$(/usr/sbin/keepalived -v 2>&1) || { note FAIL "[fresh] installed keepalived -v (exit status)"; return; }
    printf -- '--- keepalived -v\n%s\n' "$out" >>"$LOG"
    # Upstream prints "Keepalived v2.4.x (date)"; ours names itself keepalived-rs.
    if printf '%s\n' "$out" | head -n1 | grep -Eq "^Keepalived(-rs)? v${CARGO_VERSION//./\\.}( |\$)"; then
        note PASS "[fresh] installed keepalived -v prints 'Keepalived[-rs] v$CARGO_VERSION'"
    else
        note FAIL "[fresh] installed keepalived -v prints 'Keepalived[-rs] v$CARGO_VERSION'"
    fi
}

# Private copies of /usr, /etc and /var: dpkg and the maintainer scripts write
# only to a tmpfs.  /run/systemd is hidden so that the scripts do not talk to
# a running systemd of the host, and policy-rc.d forbids starting services.
setup_overlays() {
    mount --make-rprivate / || return 1
    mount -t tmpfs kr-pkg "$W/ovl" || return 1
    local d
    for d in usr etc var; do
        mkdir -p "$W/ovl/$d.up" "$W/ovl/$d.wk" || return 1
        mount -t overlay overlay \
            -o "lowerdir=/$d,upperdir=$W/ovl/$d.up,workdir=$W/ovl/$d.wk" "/$d" || return 1
    done
    if [ -d /run/systemd ]; then mount -t tmpfs kr-pkg-run /run/systemd || return 1; fi
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
}

owned_by_us() { dpkg -S "$1" | grep -q '^keepalived-rs:'; }
# dpkg leaves the selection of a package it removed for a conflict at
# "install"; what matters is that only its conffiles remain.
removed_keeping_conffiles() {
    local st
    st=$(pkg_status "$1")
    echo "status of $1: $st"
    case $st in *" ok config-files") return 0 ;; *) return 1 ;; esac
}
only_conffile_is_default() {
    local c
    c=$(dpkg-query -W -f='${Conffiles}' keepalived-rs | awk 'NF { print $1 }')
    echo "conffiles: $c"
    [ "$c" = /etc/default/keepalived ]
}
renders_man() { MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q -- "$2"; }

promised_files() {
    cat <<'EOF'
/usr/sbin/keepalived
/usr/bin/genhash
/etc/default/keepalived
/lib/systemd/system/keepalived.service
/usr/share/keepalived-rs/keepalived.conf
/usr/share/man/man8/keepalived.8.gz
/usr/share/man/man5/keepalived.conf.5.gz
/usr/share/man/man1/genhash.1.gz
/usr/share/doc/keepalived-rs/copyright
/usr/share/doc/keepalived-rs/README.Debian
/usr/share/doc/keepalived-rs/systemd-README.md.gz
/usr/share/doc/keepalived-rs/examples/keepalived.conf
/usr/share/doc/keepalived-rs/examples/vrrp-pair-master.conf
/usr/share/doc/keepalived-rs/examples/vrrp-pair-backup.conf
/usr/share/doc/keepalived-rs/examples/vrrp-v3-ipv6.conf
/usr/share/doc/keepalived-rs/examples/unicast.conf
EOF
}

lists_all_promised() {
    local f missing=0
    dpkg -L keepalived-rs >"$W/dpkg-L" || return 1
    while read -r f; do
        if ! grep -qxF "$f" "$W/dpkg-L"; then echo "dpkg -L lacks $f"; missing=1; fi
        if [ ! -e "$f" ]; then echo "$f not on disk"; missing=1; fi
    done < <(promised_files)
    return $missing
}

none_left_on_disk() {
    local f left=0
    while read -r f; do
        if [ -e "$f" ]; then echo "$f still present"; left=1; fi
    done < <(promised_files)
    return $left
}

inside_main() {
    if ! setup_overlays >>"$LOG" 2>&1; then
        note FAIL "[$1] private overlay of /usr /etc /var"
        return
    fi
    case $1 in
    fresh) inside_fresh ;;
    replace) inside_replace ;;
    rpm) inside_rpm ;;
    esac
}

# A machine that never had keepalived: the default configuration is copied,
# the installed binary runs, and purge removes everything it added.
inside_fresh() {
    local s="[fresh]"
    if pkg_status keepalived | grep -q 'installed$'; then
        check "$s purge Debian's keepalived first (in the overlay)" \
            env DEBIAN_FRONTEND=noninteractive dpkg --purge keepalived
    fi
    check "$s dpkg -i keepalived-rs" env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB"
    check "$s dpkg -L lists every promised file, all on disk" lists_all_promised
    check "$s /usr/sbin/keepalived belongs to keepalived-rs" owned_by_us /usr/sbin/keepalived
    check "$s only conffile is /etc/default/keepalived" only_conffile_is_default
    check "$s default keepalived.conf copied to /etc/keepalived" \
        cmp /etc/keepalived/keepalived.conf /usr/share/keepalived-rs/keepalived.conf
    check "$s installed unit is systemd/keepalived.service" \
        cmp /lib/systemd/system/keepalived.service "$ROOTDIR/systemd/keepalived.service"
    check "$s unit not enabled on a fresh install" \
        lacks_path /etc/systemd/system/multi-user.target.wants/keepalived.service
    version_test_ours
    config_test_ours "$s installed keepalived -t -f /etc/keepalived/keepalived.conf" \
        /etc/keepalived/keepalived.conf
    check "$s man keepalived(8) renders" renders_man /usr/share/man/man8/keepalived.8.gz dont-fork
    check "$s man keepalived.conf(5) renders" renders_man /usr/share/man/man5/keepalived.conf.5.gz vrrp_instance
    check "$s man genhash(1) renders" renders_man /usr/share/man/man1/genhash.1.gz use-virtualhost

    check "$s dpkg --purge keepalived-rs" env DEBIAN_FRONTEND=noninteractive dpkg --purge keepalived-rs
    check "$s purged: not known to dpkg" not_installed keepalived-rs
    check "$s purged: no promised file left" none_left_on_disk
    check "$s purged: unmodified default keepalived.conf removed" lacks_path /etc/keepalived/keepalived.conf
    check "$s purged: /var/lib/keepalived-rs removed" lacks_path /var/lib/keepalived-rs

    # An administrator's configuration must survive a purge.
    check "$s reinstall" env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB"
    echo "# edited by the administrator" >>/etc/keepalived/keepalived.conf
    check "$s purge again" env DEBIAN_FRONTEND=noninteractive dpkg --purge keepalived-rs
    check "$s purged: edited keepalived.conf kept" \
        grep -q '^# edited by the administrator' /etc/keepalived/keepalived.conf
}

# Debian's keepalived installed (the usual case): dpkg removes it, the
# binaries and unit are ours, no configuration is invented.
inside_replace() {
    local s="[replace]"
    if ! pkg_status keepalived | grep -q 'installed$'; then
        note SKIP "$s Debian's keepalived is not installed here: replacement not tested"
        return
    fi
    local had_conf=0
    [ -e /etc/keepalived/keepalived.conf ] && had_conf=1
    check "$s dpkg -i keepalived-rs over keepalived" env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB"
    check "$s keepalived removed, its conffiles kept" removed_keeping_conffiles keepalived
    check "$s /usr/sbin/keepalived belongs to keepalived-rs" owned_by_us /usr/sbin/keepalived
    check "$s /usr/bin/genhash belongs to keepalived-rs" owned_by_us /usr/bin/genhash
    if [ $had_conf = 0 ]; then
        check "$s no configuration invented for an existing keepalived" \
            lacks_path /etc/keepalived/keepalived.conf
    else
        note SKIP "$s a keepalived.conf already exists: 'no configuration invented' not tested"
    fi
    check "$s dpkg --purge keepalived-rs" env DEBIAN_FRONTEND=noninteractive dpkg --purge keepalived-rs
    check "$s purged: no promised file left" none_left_on_disk
}

# The RPM on this Debian machine, with a private rpm database (--nodeps: the
# libraries it requires are dpkg's, unknown to rpm).  An existing
# configuration is kept and ours goes to .rpmnew; erase removes the files.
rpm_db() { rpm --dbpath "$W/rpmdb" "$@"; }
inside_rpm() {
    local s="[rpm]"
    mkdir -p "$W/rpmdb" /etc/keepalived
    echo "# the administrator's configuration" >/etc/keepalived/keepalived.conf
    check "$s rpm -i --nodeps keepalived-rs" rpm_db -i --nodeps "$RPM"
    check "$s files in place" sh -c '[ -x /usr/sbin/keepalived ] && [ -x /usr/bin/genhash ] &&
        [ -f /etc/sysconfig/keepalived ] && [ -f /usr/lib/systemd/system/keepalived.service ]'
    check "$s existing keepalived.conf kept, ours written as .rpmnew" sh -c '
        grep -qx "# the administrator.s configuration" /etc/keepalived/keepalived.conf &&
        cmp /etc/keepalived/keepalived.conf.rpmnew /usr/share/keepalived-rs/keepalived.conf'
    check "$s rpm -e keepalived-rs" rpm_db -e keepalived-rs
    check "$s erased: binaries, unit and sysconfig gone" sh -c '[ ! -e /usr/sbin/keepalived ] &&
        [ ! -e /usr/bin/genhash ] && [ ! -e /usr/lib/systemd/system/keepalived.service ] &&
        [ ! -e /etc/sysconfig/keepalived ]'
}
LIB
# shellcheck source=/dev/null
. "$W/lib.sh"

run_in_overlay() {
    mkdir -p "$W/ovl"
    DEB="${DEB:-}" RPM="${RPM:-}" ROOTDIR="$ROOT" CARGO_VERSION="$CARGO_VERSION" unshare -m --propagation private \
        bash "$SELF" __inside "$W" "$1" "$NS" || note FAIL "[$1] namespace run (exit $?)"
}

install_prerequisites() {
    local need=() p
    for p in debhelper dpkg-dev fakeroot rpm lintian systemd iproute2 cpio util-linux man-db debootstrap \
        systemd-container; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    [ ${#need[@]} = 0 ] && return 0
    echo "installing: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
}

T0=$(date +%s)
check "prerequisites installed" install_prerequisites

# --- versions agree ----------------------------------------------------------
CARGO_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
check "debian/changelog version = Cargo.toml version ($CARGO_VERSION)" \
    sh -c "[ \"\$(cd '$ROOT' && dpkg-parsechangelog -S Version)\" = '$CARGO_VERSION' ]"
check "rpm spec Version = Cargo.toml version" \
    grep -qx "Version: *$CARGO_VERSION" "$ROOT/rpm/keepalived-rs.spec"

# --- network namespace with the interfaces the examples name -----------------
setup_netns() {
    ip netns add "$NS" &&
        ip -n "$NS" link add eth0 type veth peer name eth0p &&
        ip -n "$NS" link add eth1 type veth peer name eth1p &&
        for i in lo eth0 eth0p eth1 eth1p; do ip -n "$NS" link set "$i" up || return 1; done
}
check "network namespace $NS with eth0 and eth1" setup_netns

# --- configuration examples against Debian's keepalived 2.2.7 -----------------
if dpkg -S /usr/sbin/keepalived 2>/dev/null | grep -q '^keepalived:'; then
    for f in "$ROOT"/conf/*.conf; do
        check "keepalived 2.2.7 -t accepts conf/$(basename "$f")" \
            ip netns exec "$NS" /usr/sbin/keepalived -t -f "$f"
    done
else
    note SKIP "conf/*.conf against keepalived 2.2.7: Debian's keepalived is not installed"
fi

# --- systemd unit --------------------------------------------------------------
# verify rejects a unit whose ExecStart binary does not exist, so it runs on a
# copy pointing at the freshly built binary (the build host need not have
# /usr/sbin/keepalived).
verify_unit() {
    local unit=$1 bin="$ROOT/target/x86_64-unknown-linux-gnu/release/keepalived"
    [ -x "$bin" ] || bin=/bin/true
    mkdir -p "$W/unit"
    sed "s|^ExecStart=/usr/sbin/keepalived |ExecStart=$bin |" "$unit" >"$W/unit/keepalived.service"
    (cd "$W/unit" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$W/unit/keepalived.service") 2>&1 | tee "$W/unit/verify.out"
    [ "${PIPESTATUS[0]}" = 0 ] && [ ! -s "$W/unit/verify.out" ]
}
check "systemd-analyze verify systemd/keepalived.service (clean)" verify_unit "$ROOT/systemd/keepalived.service"
check "unit: Type=notify, --dont-fork, both option variables, HUP reload" sh -c "
    grep -qx 'Type=notify' '$ROOT/systemd/keepalived.service' &&
    grep -qx 'ExecStart=/usr/sbin/keepalived --dont-fork \$KEEPALIVED_OPTIONS \$DAEMON_ARGS' '$ROOT/systemd/keepalived.service' &&
    grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' '$ROOT/systemd/keepalived.service' &&
    grep -qx 'EnvironmentFile=-/etc/default/keepalived' '$ROOT/systemd/keepalived.service'"

# --- Debian package ------------------------------------------------------------
# dpkg-buildpackage writes next to the source tree; a lock keeps two runs of
# this test from mixing their files there.
build_deb() {
    local t0 t1
    exec 9>/tmp/keepalived-rs-packaging.lock
    flock -w 600 9 || return 1
    t0=$(date +%s.%N)
    # Rust comes from rustup here: the build profile drops the cargo/rustc
    # (>= 1.85) Build-Depends that bookworm's own packages cannot meet.
    (cd "$ROOT" && dpkg-buildpackage --build-profiles=pkg.keepalived-rs.rustup -b -us -uc) \
        >"$W/dpkg-buildpackage.log" 2>&1
    local rc=$?
    t1=$(date +%s.%N)
    local parent a
    parent=$(dirname "$ROOT")
    for a in "$parent"/keepalived-rs_"$CARGO_VERSION"_*.deb "$parent"/keepalived-rs_"$CARGO_VERSION"_*.buildinfo \
        "$parent"/keepalived-rs_"$CARGO_VERSION"_*.changes "$parent"/keepalived-rs-dbgsym_"$CARGO_VERSION"_*.deb; do
        [ -e "$a" ] || continue
        # Listed for cleanup until it is safely in the work directory.
        ARTIFACTS+=("$a")
        mv "$a" "$W/" && ARTIFACTS=("${ARTIFACTS[@]:0:${#ARTIFACTS[@]}-1}")
    done
    flock -u 9
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "dpkg-buildpackage took %.1f s\n", b - a }' | tee "$W/deb-time"
    [ $rc = 0 ] || { tail -n 30 "$W/dpkg-buildpackage.log"; return 1; }
}
check "dpkg-buildpackage -b -us -uc (build profile pkg.keepalived-rs.rustup)" build_deb
check "debian/control: Build-Depends on cargo and rustc >= 1.85, dropped by the rustup profile" sh -c "
    grep -q 'cargo (>= 1.85) <!pkg.keepalived-rs.rustup>' '$ROOT/debian/control' &&
    grep -q 'rustc (>= 1.85) <!pkg.keepalived-rs.rustup>' '$ROOT/debian/control'"
DEB=$(ls "$W"/keepalived-rs_"$CARGO_VERSION"_*.deb 2>/dev/null | head -n1)
CHANGES=$(ls "$W"/keepalived-rs_"$CARGO_VERSION"_*.changes 2>/dev/null | head -n1)
export DEB
if [ -n "$DEB" ]; then
    check "deb: Provides/Conflicts/Replaces keepalived" sh -c "
        [ \"\$(dpkg-deb -f '$DEB' Provides)\" = keepalived ] &&
        [ \"\$(dpkg-deb -f '$DEB' Conflicts)\" = keepalived ] &&
        [ \"\$(dpkg-deb -f '$DEB' Replaces)\" = keepalived ]"
    check "deb: no dbgsym package (the release profile has no debug info)" \
        sh -c "! ls '$W'/keepalived-rs-dbgsym_* >/dev/null 2>&1"
    # Every tag at every level counts, except unused-override: the overrides
    # are written for the binary of main, and a branch's binary may not
    # contain the overridden string yet (lintian 2.116 cannot suppress it).
    lintian_clean() {
        lintian -I -E --pedantic "$CHANGES" >"$W/lintian.out" 2>&1
        local rc=$?
        cat "$W/lintian.out"
        [ $rc = 0 ] && ! grep -E '^[EWIPX]: ' "$W/lintian.out" | grep -vq ' unused-override '
    }
    check "lintian: no tag left (all levels, pedantic, overrides explained)" lintian_clean
    run_in_overlay fresh
    run_in_overlay replace
else
    note FAIL "no .deb built: install tests not run"
fi

# --- RPM ---------------------------------------------------------------------
build_rpm() {
    [ -x "$ROOT/target/x86_64-unknown-linux-gnu/release/keepalived" ] && [ -x "$ROOT/target/x86_64-unknown-linux-gnu/release/genhash" ] || {
        echo "target/x86_64-unknown-linux-gnu/release has no binaries"
        return 1
    }
    rpmbuild -bb --define "srcdir $ROOT" --define "_topdir $W/rpmbuild" \
        "$ROOT/rpm/keepalived-rs.spec" >"$W/rpmbuild.log" 2>&1 || {
        tail -n 30 "$W/rpmbuild.log"
        return 1
    }
    ! grep -q 'Macro expanded in comment' "$W/rpmbuild.log"
}
check "rpmbuild -bb (prebuilt binaries, no warnings)" build_rpm
RPM=$(ls "$W"/rpmbuild/RPMS/*/keepalived-rs-"$CARGO_VERSION"-*.rpm 2>/dev/null | head -n1)
if [ -n "$RPM" ]; then
    rpm -qlp "$RPM" >"$W/rpm-l" 2>>"$LOG"
    rpm_lists_all() {
        local f missing=0
        for f in /usr/sbin/keepalived /usr/bin/genhash /etc/keepalived/keepalived.conf \
            /etc/sysconfig/keepalived /usr/lib/systemd/system/keepalived.service \
            /usr/share/keepalived-rs/keepalived.conf /usr/share/man/man8/keepalived.8 \
            /usr/share/man/man5/keepalived.conf.5 /usr/share/man/man1/genhash.1 \
            /usr/share/doc/keepalived-rs/examples/vrrp-pair-master.conf \
            /usr/share/doc/keepalived-rs/examples/vrrp-pair-backup.conf \
            /usr/share/doc/keepalived-rs/examples/vrrp-v3-ipv6.conf \
            /usr/share/doc/keepalived-rs/examples/unicast.conf; do
            grep -qE "^$f(\\.gz|\\.xz|\\.bz2)?\$" "$W/rpm-l" || { echo "rpm -qlp lacks $f"; missing=1; }
        done
        return $missing
    }
    check "rpm -qlp lists every promised file" rpm_lists_all
    rpm -qp --provides "$RPM" >"$W/rpm-provides" 2>>"$LOG"
    check "rpm --provides: keepalived" has_line "$W/rpm-provides" keepalived
    rpm -qp --conflicts "$RPM" >"$W/rpm-conflicts" 2>>"$LOG"
    check "rpm --conflicts: keepalived" has_line "$W/rpm-conflicts" keepalived
    rpm -qRp "$RPM" >"$W/rpm-requires" 2>>"$LOG"
    # The binaries are static (.cargo/config.toml): rpm's dependency
    # generator must find no shared library to require.
    check "rpm -qRp: no shared-library requirement (static binaries)" \
        sh -c "! grep -q '\.so' '$W/rpm-requires'"
    check "rpm -qcp: keepalived.conf and sysconfig are %config" sh -c "
        rpm -qcp '$RPM' | grep -qx /etc/keepalived/keepalived.conf &&
        rpm -qcp '$RPM' | grep -qx /etc/sysconfig/keepalived"
    check "rpm scriptlets: preset on install, stop on erase, try-restart on upgrade" sh -c "
        rpm -qp --scripts '$RPM' > '$W/rpm-scripts' &&
        grep -q 'preset keepalived.service' '$W/rpm-scripts' &&
        grep -q 'disable --now keepalived.service' '$W/rpm-scripts' &&
        grep -q 'try-restart keepalived.service' '$W/rpm-scripts'"
    # rpmbuild strips the binary; the GNU build-id note survives stripping.
    same_build_id() {
        local a b
        a=$(readelf -n "$1" | sed -n 's/.*Build ID: //p')
        b=$(readelf -n "$2" | sed -n 's/.*Build ID: //p')
        echo "build-ids: $a $b"
        [ -n "$a" ] && [ "$a" = "$b" ]
    }
    rpm_unit() {
        mkdir -p "$W/rpmx" && (cd "$W/rpmx" && rpm2cpio "$RPM" | cpio -id --quiet) &&
            grep -qx 'EnvironmentFile=-/etc/sysconfig/keepalived' "$W/rpmx/usr/lib/systemd/system/keepalived.service" &&
            ! grep -q '/etc/default/' "$W/rpmx/usr/lib/systemd/system/keepalived.service" &&
            verify_unit "$W/rpmx/usr/lib/systemd/system/keepalived.service" &&
            same_build_id "$W/rpmx/usr/sbin/keepalived" "$ROOT/target/x86_64-unknown-linux-gnu/release/keepalived"
    }
    check "rpm unit reads /etc/sysconfig/keepalived and verifies; binary is target/x86_64-unknown-linux-gnu/release's (build-id)" rpm_unit
    run_in_overlay rpm
else
    note FAIL "no .rpm built: rpm checks not run"
fi

# --- RPM from the source tarball, as RPM packagers build it ---------------------
# The tarball vendors every crate; rpmbuild -ba runs cargo in %build with no
# network (a network namespace of its own) and an empty CARGO_HOME, so only
# vendor/ can serve crates. To keep CI short the release profile is turned
# down through that CARGO_HOME's config (no LTO, opt-level 0): the spec and
# the tarball are what a packager uses.
build_srpm() {
    mkdir -p "$W/rpmsrc/SOURCES" "$W/cargo-home" || return 1
    printf '[profile.release]\nlto = false\nopt-level = 0\ncodegen-units = 16\n[profile.release.package."*"]\nopt-level = 0\n' \
        >"$W/cargo-home/config.toml"
    local t0
    t0=$(date +%s)
    "$ROOT/rpm/make-source-tarball.sh" "$W/rpmsrc/SOURCES" || return 1
    unshare -n env CARGO_HOME="$W/cargo-home" rpmbuild -ba --nodeps --define "_topdir $W/rpmsrc" \
        "$ROOT/rpm/keepalived-rs.spec" >"$W/rpmbuild-ba.log" 2>&1 || {
        tail -n 30 "$W/rpmbuild-ba.log"
        return 1
    }
    echo "source tarball and rpmbuild -ba took $(($(date +%s) - t0)) s" >"$W/srpm-time"
}
check "rpmbuild -ba from the vendored source tarball (offline): binary and source RPM" build_srpm
[ -f "$W/srpm-time" ] && sed 's/^/  /' "$W/srpm-time"
SRPM=$(ls "$W"/rpmsrc/SRPMS/keepalived-rs-"$CARGO_VERSION"-*.src.rpm 2>/dev/null | head -n1)
TRPM=$(ls "$W"/rpmsrc/RPMS/*/keepalived-rs-"$CARGO_VERSION"-*.rpm 2>/dev/null | head -n1)
if [ -n "$SRPM" ] && [ -n "$TRPM" ]; then
    check "source RPM holds the spec and the tarball with vendor/" sh -c "
        rpm -qlp '$SRPM' | grep -qx keepalived-rs.spec &&
        rpm -qlp '$SRPM' | grep -qx keepalived-rs-$CARGO_VERSION.tar.gz &&
        tar tzf '$W/rpmsrc/SOURCES/keepalived-rs-$CARGO_VERSION.tar.gz' | grep -q '^keepalived-rs-$CARGO_VERSION/vendor/'"
    check "source RPM BuildRequires Rust >= 1.85 (cargo, rust), gcc, openssl-devel" sh -c "
        rpm -qpR '$SRPM' | grep -qx 'cargo >= 1.85' && rpm -qpR '$SRPM' | grep -qx 'rust >= 1.85' &&
        rpm -qpR '$SRPM' | grep -qx gcc && rpm -qpR '$SRPM' | grep -qx openssl-devel"
    tarball_rpm_runs() {
        local v r
        mkdir -p "$W/trpmx" && (cd "$W/trpmx" && rpm2cpio "$TRPM" | cpio -id --quiet) || return 1
        v=$("$W/trpmx/usr/sbin/keepalived" -v 2>&1)
        r=$(rpm -qpR "$TRPM")
        echo "$v"
        echo "$r"
        grep -q "^Keepalived-rs v$CARGO_VERSION" <<<"$v" &&
            [ -f "$W/trpmx/usr/lib/systemd/system/keepalived.service" ] && grep -q 'libssl.so' <<<"$r"
    }
    check "RPM built from the tarball: keepalived -v runs, unit in place, OpenSSL linked dynamically" tarball_rpm_runs
else
    note FAIL "no source/binary RPM from the tarball: their checks not run"
fi

# --- the package under a real systemd ------------------------------------------
# tests/systemd-boot.sh prints its own PASS/FAIL/SKIP lines; they count here too.
if [ -n "${DEB:-}" ]; then
    bash "$ROOT/tests/systemd-boot.sh" "$DEB" >"$W/systemd-boot.out" 2>&1
    grep -E '^(PASS|FAIL|SKIP) ' "$W/systemd-boot.out" | sed 's/^\(PASS\|FAIL\|SKIP\) /\1 [systemd-boot] /' | tee -a "$RESULTS"
    grep -E '^(root ready|booted|total time)' "$W/systemd-boot.out" | sed 's/^/  systemd-boot: /'
    grep -q '^FAIL ' "$W/systemd-boot.out" && grep -E '^    \|' "$W/systemd-boot.out" | head -n 40
fi

# --- the unit's start/reload/stop protocol, without systemd --------------------
# tests/systemd.sh prints its own PASS/FAIL/SKIP lines; they count here too.
bash "$ROOT/tests/systemd.sh" >"$W/systemd.out" 2>&1
grep -E '^(PASS|FAIL|SKIP) ' "$W/systemd.out" | sed 's/^\(PASS\|FAIL\|SKIP\) /\1 [systemd.sh] /' | tee -a "$RESULTS"
grep -q '^FAIL ' "$W/systemd.out" && sed -n '/^notify messages:/,$p' "$W/systemd.out"

# --- summary -------------------------------------------------------------------
echo
[ -n "${DEB:-}" ] && printf 'sizes: %s %s bytes' "$(basename "$DEB")" "$(stat -c %s "$DEB")"
[ -n "${RPM:-}" ] && printf ', %s %s bytes' "$(basename "$RPM")" "$(stat -c %s "$RPM")"
echo
echo "total time: $(($(date +%s) - T0)) s (run with KEEP=1 to keep the full log, $W/log)"
grep -E '^(SKIP|XFAIL) ' "$RESULTS" | sed 's/^/  not counted: /'
passed=$(grep -c '^PASS ' "$RESULTS")
failed=$(grep -c '^FAIL ' "$RESULTS")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
