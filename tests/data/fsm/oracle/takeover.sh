#!/usr/bin/env bash
# Measures Debian keepalived's takeover times for the figures the fsm tests
# assert (tests/data/fsm/01..04): a master (priority 200) and a backup
# (priority 100) in two network namespaces joined by a bridge in a third.
#   crash: the master's adverts stop reaching the backup (bridge port stops
#          flooding multicast); gap = backup's first advert - last master
#          advert before the cut. Expected: Master_Down_Interval.
#   stop:  SIGTERM to the master; gap = backup's first advert - priority 0
#          advert. Expected: Skew_Time.
# keepalived adds 1-3 ms of its own (VIP set-up before the first advert).
# Manual tool: needs root, keepalived, tcpdump, bridge; touches only the
# namespaces it creates (kr$$-*), removed on exit.
# Usage: takeover.sh v2|v3 crash|stop
set -euo pipefail
VERSION=${1:?v2|v3}; MODE=${2:?crash|stop}
case $VERSION in v2) ADV=1; VLINE="version 2";; v3) ADV=0.1; VLINE="version 3";; *) exit 2;; esac
P=kr$$; A=$P-a; B=$P-b; S=$P-s; W=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for n in $A $B $S; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
for n in $A $B $S; do ip netns add "$n"; done
ip -n $S link add br0 type bridge; ip -n $S link set br0 up
ip -n $S link add pa type veth peer name va netns $A
ip -n $S link add pb type veth peer name vb netns $B
for p in pa pb; do ip -n $S link set $p master br0; ip -n $S link set $p up; done
ip -n $A addr add 10.9.0.1/24 dev va; ip -n $A link set va up
ip -n $B addr add 10.9.0.2/24 dev vb; ip -n $B link set vb up
conf() { # name iface priority
  cat > "$W/$1.conf" <<EOC
global_defs { router_id $1 }
vrrp_instance VI_1 {
  interface $2
  virtual_router_id 51
  priority $3
  advert_int $ADV
  $VLINE
  virtual_ipaddress { 10.9.0.100/24 }
}
EOC
}
conf a va 200; conf b vb 100
ip netns exec $S tcpdump -l -i br0 -n -tt proto 112 > "$W/pcap" 2>/dev/null & PIDS+=($!)
sleep 0.5
for n in a b; do
  ns=$A; [ $n = b ] && ns=$B
  ip netns exec $ns keepalived -n -l -D -f "$W/$n.conf" -p "$W/$n.pid" -r "$W/$n.vpid" > "$W/$n.log" 2>&1 & PIDS+=($!)
  [ $n = a ] && APID=$!
done
sleep 6
CUT=$(date +%s.%N)
if [ "$MODE" = crash ]; then
  bridge -n $S link set dev pb mcast_flood off
else
  kill "$APID"
fi
sleep 5
if [ "$MODE" = crash ]; then
  awk -v cut="$CUT" '$3=="10.9.0.1" && $1<cut {last=$1} $3=="10.9.0.2" && $1>cut && !d {printf "crash gap %.6f s\n", $1-last; d=1}' "$W/pcap"
else
  awk '/prio 0,/ && !z {z=$1} z && $3=="10.9.0.2" && !d {printf "priority-0 gap %.6f s\n", $1-z; d=1}' "$W/pcap"
fi
