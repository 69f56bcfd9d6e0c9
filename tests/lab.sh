#!/usr/bin/env bash
# tests/lab.sh - build keepalived-rs and run it on the shipped default
# configuration (conf/keepalived.conf) inside a self-contained lab of network
# namespaces. Nothing outside the lab's namespaces is touched.
#
#   lab-<pid>-lan : a bridge joining the three hosts
#   lab-<pid>-n1  : eth0 192.0.2.1/24, keepalived-rs with conf/keepalived.conf
#   lab-<pid>-n2  : eth0 192.0.2.2/24, keepalived-rs with the same file at a lower priority
#   lab-<pid>-n3  : eth0 192.0.2.3/24, a client that pings the VIP
#
# It shows which node holds the VIP, kills the MASTER to show the failover,
# restarts it, and tears everything down on exit (also on Ctrl-C or failure).
#
# Usage: sudo bash tests/lab.sh        Env: HOLD=SECONDS keep the lab up longer
#                                           KEEP=1 keep the logs directory
#                                           SKIP_INSTALL=1 install nothing
# Exits 0 when the VIP moved as expected at each step, 1 otherwise.
# As root it installs what it uses that is missing (iproute2, iputils-ping;
# libssl-dev, pkg-config and gcc for the build). The release build runs as the
# checkout's owner with that user's toolchain (rustup's ~/.cargo/bin), also
# under sudo, so target/ stays the owner's (tests/env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/env.sh
. tests/env.sh
if [ "$(id -u)" = 0 ]; then
    kr_apt_need iproute2 iputils-ping procps libssl-dev pkg-config gcc libc6-dev
fi
for prog in ip ping; do
    command -v "$prog" >/dev/null || { echo "the lab needs $prog (Debian: iproute2, iputils-ping)"; exit 1; }
done
kr_setup_builder
"${BUILD[@]}" cargo build --release --locked --bin keepalived
BIN=$PWD/target/x86_64-unknown-linux-gnu/release/keepalived
[ "$(id -u)" = 0 ] || { echo "built $BIN; the lab needs root (network namespaces): sudo bash tests/lab.sh"; exit 1; }
P=lab$$
LAN=$P-lan
W=$(mktemp -d "${TMPDIR:-/tmp}/keepalived-rs-lab.XXXXXX")
NS=()
declare -A PID=()
cleanup() {
    set +e
    for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null; done
    sleep 0.5
    for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null; wait "${PID[$n]}" 2>/dev/null; done
    for n in "${NS[@]}"; do ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null; ip netns del "$n" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then echo "lab torn down; logs kept in $W"; else rm -rf "$W"; echo "lab torn down"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CONF=conf/keepalived.conf
VIP=$(awk '/virtual_ipaddress/ {f = 1; next} f && NF {print $1; exit}' "$CONF" | cut -d/ -f1)
IFACE=$(awk '$1 == "interface" {print $2; exit}' "$CONF")
echo "default config: interface $IFACE, VIP $VIP"

ip netns add "$LAN"; NS+=("$LAN")
ip -n "$LAN" link add br0 type bridge
ip -n "$LAN" link set br0 up
i=0
for h in n1 n2 n3; do
    i=$((i + 1)); n=$P-$h
    ip netns add "$n"; NS+=("$n")
    ip -n "$n" link set lo up
    ip -n "$n" link add "$IFACE" type veth peer name "v$h" netns "$LAN"
    ip -n "$LAN" link set "v$h" master br0 up
    ip -n "$n" addr add "192.0.2.$i/24" dev "$IFACE"
    ip -n "$n" link set "$IFACE" up
done
# n2: the same configuration at a lower priority, so n1 is the MASTER
sed -E 's/^([[:space:]]*priority[[:space:]]+)[0-9]+/\150/' "$CONF" > "$W/n2.conf"
cp "$CONF" "$W/n1.conf"

start() { # host
    ip netns exec "$P-$1" "$BIN" -n -l -D -f "$W/$1.conf" -p "$W/$1.pid" -r "$W/$1-vrrp.pid" -c "$W/$1-chk.pid" \
        > "$W/$1.log" 2>&1 &
    PID[$1]=$!
}
holder() {
    # grep reads all (no -q): with pipefail, ip killed by SIGPIPE would hide a match
    for h in n1 n2; do ip -n "$P-$h" -o addr show | grep " $VIP/" >/dev/null && echo -n "$h "; done
    echo
}
FAILED=0
wait_holder() { # host timeout_s
    local t=0
    while [ "$(holder)" != "$1 " ] && [ $t -lt $(($2 * 10)) ]; do sleep 0.1; t=$((t + 1)); done
    echo "VIP $VIP held by: $(holder)"
    [ "$(holder)" = "$1 " ] || { echo "FAILED: expected $1 alone to hold the VIP"; FAILED=1; }
}
ping_vip() {
    ip netns exec "$P-n3" ping -c 2 -W 1 "$VIP" | tail -2 || { echo "FAILED: the VIP does not answer n3's ping"; FAILED=1; }
}

start n1; start n2
echo "started; waiting for a MASTER"
wait_holder n1 10
ping_vip
echo "killing n1 (SIGKILL): n2 must take over"
# the whole process tree of n1 (parent and VRRP child), as a crash would
ip netns pids "$P-n1" | xargs -r kill -KILL 2>/dev/null || true
wait "${PID[n1]}" 2>/dev/null || true
unset 'PID[n1]'
ip -n "$P-n1" addr del "$VIP/24" dev "$IFACE" 2>/dev/null || true
wait_holder n2 10
ping_vip
echo "restarting n1: it preempts back"
start n1
wait_holder n1 10
echo "--- n1 log"; tail -n 20 "$W/n1.log"
echo "--- n2 log"; tail -n 20 "$W/n2.log"
sleep "${HOLD:-0}"
[ $FAILED = 0 ] && echo "lab: OK (n1 MASTER, failover to n2 on SIGKILL, n1 preempts back on restart)"
exit $FAILED
