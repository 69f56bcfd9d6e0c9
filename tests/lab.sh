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
# Usage: bash tests/lab.sh            Env: HOLD=SECONDS keep the lab up longer
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the lab needs root (network namespaces): sudo bash tests/lab.sh"; exit 1; }
command -v ip >/dev/null || { echo "needs iproute2"; exit 1; }
cargo build --release --locked --bin keepalived
BIN=$PWD/target/x86_64-unknown-linux-gnu/release/keepalived
P=lab$$
LAN=$P-lan
W=$(mktemp -d /tmp/keepalived-rs-lab.XXXXXX)
NS=()
declare -A PID=()
cleanup() {
    set +e
    for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null; done
    sleep 0.5
    for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null; wait "${PID[$n]}" 2>/dev/null; done
    for n in "${NS[@]}"; do ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null; ip netns del "$n" 2>/dev/null; done
    echo "lab torn down; logs were in $W"
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
    for h in n1 n2; do ip -n "$P-$h" -o addr show | grep -q " $VIP/" && echo -n "$h "; done
    echo
}
wait_holder() { # host timeout_s
    local t=0
    while [ "$(holder)" != "$1 " ] && [ $t -lt $(($2 * 10)) ]; do sleep 0.1; t=$((t + 1)); done
    echo "VIP $VIP held by: $(holder)"
}

start n1; start n2
echo "started; waiting for a MASTER"
wait_holder n1 10
ip netns exec "$P-n3" ping -c 2 -W 1 "$VIP" | tail -2
echo "killing n1 (SIGKILL): n2 must take over"
# the whole process tree of n1 (parent and VRRP child), as a crash would
ip netns pids "$P-n1" | xargs -r kill -KILL 2>/dev/null || true
wait "${PID[n1]}" 2>/dev/null || true
unset 'PID[n1]'
ip -n "$P-n1" addr del "$VIP/24" dev "$IFACE" 2>/dev/null || true
wait_holder n2 10
ip netns exec "$P-n3" ping -c 2 -W 1 "$VIP" | tail -2
echo "restarting n1: it preempts back"
start n1
wait_holder n1 10
echo "--- n1 log"; tail -n 20 "$W/n1.log"
echo "--- n2 log"; tail -n 20 "$W/n2.log"
sleep "${HOLD:-0}"
