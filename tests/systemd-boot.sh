#!/usr/bin/env bash
# tests/systemd-boot.sh - the Debian package on a real system: a Debian
# bookworm root (debootstrap from Debian's mirror) booted with systemd as
# PID 1 in a container (systemd-nspawn --boot), with a network namespace of
# its own (--private-network: the VIPs never reach the host's interfaces).
#
# In the container: Debian's keepalived is installed first, with the
# administrator's configuration in place, then our .deb over it; then
# `systemctl start`, `is-active`, readiness (Type=notify: start returns once
# the daemon is ready), `systemctl status`, the journal (our lines under the
# keepalived unit, with keepalived's syslog idents), `reload` (VIP kept, same
# main pid), `stop` (VIP released); an upgrade to a newer build of ours
# (restarted once, configuration untouched); `apt remove` (configuration and
# /etc/default/keepalived kept) and `apt purge` (the administrator's
# configuration kept); last a fresh install on the same system without any
# configuration (default configuration copied, service neither enabled nor
# started) and `systemctl enable --now` on it.
#
# The root is cached OUTSIDE the checkout, in $KR_ROOT_CACHE (default
# /var/cache/keepalived-rs-root), built when missing (about 80 s the first
# time, with Debian's keepalived downloaded into its apt cache so that the
# container needs no network). Each run boots a throw-away overlay of it
# (--volatile=overlay): the cache is never modified.
#
# Usage: bash tests/systemd-boot.sh [PATH/TO/keepalived-rs_*.deb]
#   Without a .deb, one is built with dpkg-buildpackage (as tests/packaging.sh does).
# Needs root, debootstrap, systemd-nspawn (systemd-container), nsenter.
# Prints PASS/FAIL per check and "N passed, M failed"; a missing
# prerequisite is a FAIL under CI or KR_REQUIRE_ALL=1, a SKIP otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KR_ROOT_CACHE:-/var/cache/keepalived-rs-root}
ROOTFS=$CACHE/bookworm
MIRROR=${KR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump when the recipe below changes: an older cache is rebuilt.
ROOT_RECIPE=2
VIP=192.0.2.51

pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit $?
}
missing() {
    if [ -n "${CI:-}" ] || [ "${KR_REQUIRE_ALL:-}" = 1 ]; then
        ko "prerequisite: $1 (CI or KR_REQUIRE_ALL=1 requires it)"
    else
        echo "SKIP systemd boot test: missing prerequisite: $1"
    fi
    finish
}
check() {
    local name=$1
    shift
    if "$@" >>"$W/log" 2>&1; then ok "$name"; else
        ko "$name"
        tail -n 12 "$W/log" | sed 's/^/    | /'
    fi
}

[ "$(id -u)" = 0 ] || missing "root"
for t in debootstrap systemd-nspawn nsenter dpkg-deb flock; do
    command -v "$t" >/dev/null || missing "$t (apt install debootstrap systemd-container util-linux)"
done

T0=$(date +%s)
W=$(mktemp -d /var/tmp/kr-boot.XXXXXX)
: >"$W/log"
NSPAWN=""
cleanup() {
    if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
        [ -n "${LEADER:-}" ] && nsenter -t "$LEADER" -a -- /bin/systemctl poweroff >/dev/null 2>&1
        for _ in $(seq 100); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NSPAWN" 2>/dev/null
        wait "$NSPAWN" 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the cached root ---------------------------------------------------------
build_root() {
    mkdir -p "$CACHE"
    exec 8>"$CACHE/.lock"
    flock -w 900 8 || return 1
    if [ "$(cat "$ROOTFS/.kr-root-recipe" 2>/dev/null)" = "$ROOT_RECIPE" ]; then
        echo "cached root $ROOTFS (recipe $ROOT_RECIPE)"
        flock -u 8
        return 0
    fi
    local t0 new=$CACHE/bookworm.new
    t0=$(date +%s)
    rm -rf "$new"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,procps,apt \
        bookworm "$new" "$MIRROR" >"$W/debootstrap.log" 2>&1 || { tail -n 20 "$W/debootstrap.log"; return 1; }
    # Debian's keepalived and its dependencies into the root's apt cache:
    # the booted container has no network.
    unshare -m sh -c "mount -t proc proc '$new/proc' && chroot '$new' sh -c '
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only keepalived'" >>"$W/debootstrap.log" 2>&1 || { tail -n 20 "$W/debootstrap.log"; return 1; }
    echo "keepalived-rs-test" >"$new/etc/hostname"
    echo "$ROOT_RECIPE" >"$new/.kr-root-recipe"
    rm -rf "$ROOTFS" && mv "$new" "$ROOTFS" || return 1
    echo "built $ROOTFS in $(($(date +%s) - t0)) s"
    flock -u 8
}
TR=$(date +%s)
check "bookworm root in $CACHE (debootstrap from $MIRROR when missing)" build_root
echo "root ready in $(($(date +%s) - TR)) s"
[ -f "$ROOTFS/.kr-root-recipe" ] || finish

# --- our .deb (and a newer build of it) ----------------------------------------
DEB=${1:-}
if [ -z "$DEB" ]; then
    build_deb() {
        exec 9>/tmp/keepalived-rs-packaging.lock
        flock -w 600 9 || return 1
        (cd "$ROOT" && dpkg-buildpackage --build-profiles=pkg.keepalived-rs.rustup -b -us -uc) >"$W/dpkg-buildpackage.log" 2>&1 || {
            tail -n 20 "$W/dpkg-buildpackage.log"
            return 1
        }
        local a
        for a in "$(dirname "$ROOT")"/keepalived-rs_*.deb "$(dirname "$ROOT")"/keepalived-rs_*.buildinfo \
            "$(dirname "$ROOT")"/keepalived-rs_*.changes; do
            [ -e "$a" ] && mv "$a" "$W/"
        done
        (cd "$ROOT" && dh_clean) >/dev/null 2>&1
        flock -u 9
    }
    check "dpkg-buildpackage -b -us -uc" build_deb
    DEB=$(ls "$W"/keepalived-rs_*.deb 2>/dev/null | head -n1)
fi
[ -n "$DEB" ] && [ -f "$DEB" ] || { ko "no .deb to install"; finish; }
mkdir -p "$W/share"
cp "$DEB" "$W/share/keepalived-rs.deb"
VERSION=$(dpkg-deb -f "$DEB" Version)
NEWER="${VERSION}+boottest1"
make_newer() {
    dpkg-deb -R "$DEB" "$W/newer" &&
        sed -i "s/^Version: .*/Version: $NEWER/" "$W/newer/DEBIAN/control" &&
        dpkg-deb -b --root-owner-group "$W/newer" "$W/share/keepalived-rs-newer.deb" >/dev/null
}
check "a newer build of ours ($NEWER) for the upgrade" make_newer

# --- boot --------------------------------------------------------------------
M="kr$$boot"
TB=$(date +%s.%N)
systemd-nspawn --quiet --directory="$ROOTFS" --volatile=overlay --private-network --register=no --keep-unit \
    --machine="$M" --bind-ro="$W/share:/mnt/kr" --console=pipe --boot >"$W/console.log" 2>&1 &
NSPAWN=$!
LEADER=""
for _ in $(seq 200); do
    LEADER=$(pgrep -P "$NSPAWN" -x systemd 2>/dev/null | head -n1)
    [ -n "$LEADER" ] && break
    kill -0 "$NSPAWN" 2>/dev/null || break
    sleep 0.05
done
[ -n "$LEADER" ] || { ko "systemd-nspawn --boot started systemd"; cat "$W/console.log"; finish; }
# A command in the container (all its namespaces), with a clean environment.
ct() { nsenter -t "$LEADER" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
booted() {
    local st
    for _ in $(seq 100); do
        st=$(ct systemctl is-system-running --wait 2>&1)
        [ "$st" = running ] || [ "$st" = degraded ] && break
        sleep 0.2
    done
    echo "system state: $st"
    [ "$st" = running ] || [ "$st" = degraded ]
}
check "systemd is PID 1 of the container and the system is up" booted
check "PID 1 in the container is systemd" sh -c "[ \"\$(nsenter -t $LEADER -p -m cat /proc/1/comm)\" = systemd ]"
echo "booted in $(awk -v a="$TB" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

# The container's own eth0 (a veth pair inside its network namespace).
net() {
    ct ip link add eth0 type veth peer name eth0p &&
        ct ip link set eth0 up && ct ip link set eth0p up && ct ip addr add 192.0.2.1/24 dev eth0
}
check "eth0 in the container's own network namespace" net

# Output first, then grep: `cmd | grep -q` under pipefail fails when grep
# quits before cmd has written everything (SIGPIPE).
out_has() {
    local pat=$1 out
    shift
    out=$("$@" 2>&1)
    grep -q -- "$pat" <<<"$out"
}
has_vip() { out_has " $VIP/" ct ip -4 -o addr show dev eth0; }
wait_vip() {
    for _ in $(seq 150); do has_vip && return 0; sleep 0.1; done
    return 1
}
wait_no_vip() {
    for _ in $(seq 100); do has_vip || return 0; sleep 0.1; done
    return 1
}
main_pid() { ct systemctl show -p MainPID --value keepalived; }
prop() { ct systemctl show -p "$1" --value keepalived; }
conf_sum() { ct sha256sum /etc/keepalived/keepalived.conf | cut -d' ' -f1; }
apt_in() { ct env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confold "$@"; }

# --- Debian's keepalived with the administrator's configuration --------------
user_conf() {
    ct mkdir -p /etc/keepalived && ct sh -c "cat >/etc/keepalived/keepalived.conf" <<EOF
# the administrator's configuration
global_defs {
    router_id node1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
}
EOF
}
check "the administrator's /etc/keepalived/keepalived.conf" user_conf
SUM=$(conf_sum)
check "apt install Debian's keepalived (offline, from the root's cache)" apt_in install --no-download keepalived
check "Debian's keepalived runs the configuration (VIP $VIP on eth0)" wait_vip
deb_running() { out_has '^Keepalived v2\.2\.7' ct /usr/sbin/keepalived -v; }
check "Debian's keepalived 2.2.7 is the one installed" deb_running

# --- ours over it ----------------------------------------------------------------
check "apt install ./keepalived-rs.deb over Debian's keepalived" apt_in install /mnt/kr/keepalived-rs.deb
replaced() {
    local st
    st=$(ct dpkg-query -W -f='${Status}|' keepalived keepalived-rs)
    echo "status: $st"
    [ "$st" = "deinstall ok config-files|install ok installed|" ]
}
check "keepalived removed (its conffiles kept), keepalived-rs installed" replaced
ours_bin() { out_has "^Keepalived-rs v" ct /usr/sbin/keepalived -v; }
check "/usr/sbin/keepalived is ours" ours_bin
same_conf() { [ "$(conf_sum)" = "$SUM" ]; }
check "the administrator's keepalived.conf is byte for byte the same" same_conf
enabled_kept() {
    local e
    e=$(ct systemctl is-enabled keepalived)
    echo "is-enabled: $e"
    [ "$e" = enabled ]
}
check "keepalived.service stays enabled (Debian's keepalived had enabled it)" enabled_kept
active_ours() {
    local pid exe
    [ "$(ct systemctl is-active keepalived)" = active ] || return 1
    pid=$(main_pid)
    exe=$(ct readlink "/proc/$pid/exe")
    echo "main pid $pid runs $exe"
    out_has "^Keepalived-rs v" ct /proc/"$pid"/exe -v
}
check "keepalived.service is active, running ours" active_ours

# --- stop, start (readiness), status, journal --------------------------------
check "systemctl stop keepalived" ct systemctl stop keepalived
check "is-active after stop: inactive" sh -c "[ \"\$(nsenter -t $LEADER -a -- /bin/systemctl is-active keepalived)\" = inactive ]"
check "VIP released on stop" wait_no_vip
stop_clean() {
    local r
    r=$(prop Result)
    echo "Result=$r"
    [ "$r" = success ]
}
check "stopped cleanly (Result=success)" stop_clean
TS=$(ct date '+%Y-%m-%d %H:%M:%S')
started_ready() {
    ct systemctl start keepalived || return 1
    # Type=notify: start returns after READY=1, so the unit is already running.
    local st sub
    st=$(prop ActiveState)
    sub=$(prop SubState)
    echo "right after start: $st/$sub"
    [ "$st" = active ] && [ "$sub" = running ]
}
check "systemctl start returns once the daemon is ready (Type=notify: active/running at once)" started_ready
check "systemctl is-active keepalived: active" sh -c "[ \"\$(nsenter -t $LEADER -a -- /bin/systemctl is-active keepalived)\" = active ]"
unit_props() {
    local t n
    t=$(prop Type)
    n=$(prop NotifyAccess)
    echo "Type=$t NotifyAccess=$n"
    [ "$t" = notify ] && [ "$n" = main ]
}
check "unit: Type=notify, NotifyAccess=main" unit_props
check "VIP $VIP back on eth0" wait_vip
status_line() {
    local out
    out=$(ct systemctl status keepalived --no-pager --lines=0)
    echo "$out"
    grep -q 'Active: active (running)' <<<"$out" &&
        grep -Eq "Main PID: $(main_pid) \(keepalived\)" <<<"$out" &&
        [ "$(grep -Ec '[├└]─[0-9]+ /usr/sbin/keepalived' <<<"$out")" -ge 2 ]
}
check "systemctl status: active (running), main pid keepalived, its VRRP child in the unit's tree" status_line
journal_ours() {
    local j
    for _ in $(seq 50); do
        j=$(ct journalctl --no-pager -o cat --since "$TS" _SYSTEMD_UNIT=keepalived.service SYSLOG_IDENTIFIER=Keepalived_vrrp)
        grep -q '(VI_1) Entering MASTER STATE' <<<"$j" && break
        sleep 0.1
    done
    echo "$j"
    grep -q '(VI_1) Entering MASTER STATE' <<<"$j" &&
        out_has '^Starting Keepalived-rs v' ct journalctl --no-pager -o cat --since "$TS" \
            _SYSTEMD_UNIT=keepalived.service SYSLOG_IDENTIFIER=Keepalived
}
check "journal: our lines under keepalived.service (Keepalived, Keepalived_vrrp)" journal_ours
journal_unit() { out_has 'Entering MASTER STATE' ct journalctl --no-pager -u keepalived -o cat --since "$TS"; }
check "journalctl -u keepalived shows them" journal_unit

# --- reload --------------------------------------------------------------------
PID1=$(main_pid)
TR2=$(ct date '+%Y-%m-%d %H:%M:%S')
sleep 1
check "systemctl reload keepalived" ct systemctl reload keepalived
reloaded() {
    local j
    [ "$(ct systemctl is-active keepalived)" = active ] || return 1
    [ "$(main_pid)" = "$PID1" ] || { echo "main pid changed"; return 1; }
    for _ in $(seq 50); do
        j=$(ct journalctl --no-pager -o cat -u keepalived --since "$TR2")
        grep -q 'Reload finished' <<<"$j" && break
        sleep 0.1
    done
    echo "$j"
    grep -q 'Reloading' <<<"$j" && grep -q 'Reload finished' <<<"$j" &&
        ! grep -Eq 'removing VIPs|Entering (BACKUP|FAULT) STATE' <<<"$j" && has_vip
}
check "reload: same main pid, still active, VIP kept (never removed)" reloaded

# --- upgrade to a newer build of ours -----------------------------------------
starts() {
    local j
    j=$(ct journalctl --no-pager -o cat -u keepalived)
    grep -c '^Starting Keepalived-rs v' <<<"$j"
}
STARTS=$(starts)
check "apt install ./keepalived-rs-newer.deb (upgrade to $NEWER)" apt_in install /mnt/kr/keepalived-rs-newer.deb
upgraded() {
    local v n
    v=$(ct dpkg-query -W -f='${Version}' keepalived-rs)
    n=$(starts)
    echo "version $v, starts $STARTS -> $n, main pid $PID1 -> $(main_pid)"
    [ "$v" = "$NEWER" ] && [ "$n" = $((STARTS + 1)) ] && [ "$(main_pid)" != "$PID1" ] &&
        [ "$(ct systemctl is-active keepalived)" = active ]
}
check "upgrade: new version installed, service restarted exactly once, active" upgraded
check "upgrade: VIP back" wait_vip
check "upgrade: the administrator's keepalived.conf untouched" same_conf

# --- remove, purge ---------------------------------------------------------------
check "apt remove keepalived-rs" apt_in remove keepalived-rs
removed() {
    local st
    st=$(ct dpkg-query -W -f='${Status}' keepalived-rs)
    echo "status: $st; service: $(ct systemctl is-active keepalived)"
    [ "$st" = "deinstall ok config-files" ] && [ "$(ct systemctl is-active keepalived)" != active ] &&
        ! ct test -e /usr/sbin/keepalived
}
check "removed: service stopped, binary gone, package in config-files state" removed
check "removed: VIP released" wait_no_vip
check "removed: the administrator's keepalived.conf kept" same_conf
check "removed: /etc/default/keepalived (conffile) kept" ct test -f /etc/default/keepalived
check "apt purge keepalived-rs" apt_in purge keepalived-rs
purged() {
    local st
    st=$(ct dpkg-query -W -f='${Status}' keepalived-rs 2>/dev/null)
    echo "status: ${st:-unknown to dpkg}"
    [ -z "$st" ] || [ "$st" = "unknown ok not-installed" ]
}
check "purged: keepalived-rs unknown to dpkg" purged
check "purged: the administrator's keepalived.conf kept" same_conf
purged_default() {
    # Debian's keepalived (config-files) owns /etc/default/keepalived too.
    local owners
    owners=$(ct dpkg-query -S /etc/default/keepalived 2>/dev/null)
    echo "owners: ${owners:-none}"
    if grep -q keepalived: <<<"$owners"; then ct test -f /etc/default/keepalived; else ! ct test -e /etc/default/keepalived; fi
}
check "purged: /etc/default/keepalived removed unless keepalived's conffiles still claim it" purged_default

# --- a fresh install on the same system ---------------------------------------
fresh() {
    apt_in purge keepalived && ct rm -f /etc/keepalived/keepalived.conf && ct rmdir /etc/keepalived &&
        ct systemctl daemon-reload && apt_in install /mnt/kr/keepalived-rs.deb
}
check "fresh: Debian's keepalived purged, no configuration left, ours installed" fresh
fresh_state() {
    local e a
    e=$(ct systemctl is-enabled keepalived)
    a=$(ct systemctl is-active keepalived)
    echo "is-enabled: $e, is-active: $a"
    ct cmp /etc/keepalived/keepalived.conf /usr/share/keepalived-rs/keepalived.conf &&
        [ "$e" = disabled ] && [ "$a" = inactive ]
}
check "fresh: default keepalived.conf copied, service not enabled, not started" fresh_state
check "fresh: systemctl enable --now keepalived" ct systemctl enable --now keepalived
fresh_runs() {
    [ "$(ct systemctl is-active keepalived)" = active ] &&
        out_has 'Entering BACKUP STATE' ct journalctl --no-pager -o cat -u keepalived
}
check "fresh: the default configuration runs (VI_1 BACKUP on eth0)" fresh_runs
check "fresh: systemctl stop keepalived" ct systemctl stop keepalived

echo "container journal errors: $(ct journalctl --no-pager -p err -o cat | grep -c .)"
echo "total time: $(($(date +%s) - T0)) s"
finish
