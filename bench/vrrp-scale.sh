#!/usr/bin/env bash
# bench/vrrp-scale.sh [OURS] [THEIRS] - N VRRPv2 instances (default 1000), one
# VIP each, advert_int 1, spread over 4 interfaces; our daemon and Debian's
# keepalived one after the other in the same run, each in fresh namespaces.
#
# Topology: netns D (daemon) with veth eth0..eth3 whose peers sit in netns P.
# Instance i: interface eth(i % 4), VRID 1 + i / 4, VIP 10.66.<i%4>.x/32 (x from
# i / 4), state MASTER, priority 200, no authentication.
# Figures: all_master_s (launch -> all N VIPs present), cpu_pct (one core, the
# daemon's whole process tree, utime+stime+children over CPU_S s), rss_kib and
# pss_kib (whole tree), processes, adverts_per_s (VRRP packets received by P's
# interfaces over ADV_S s).
# Env: N=1000 CPU_S=30 ADV_S=10 START_TIMEOUT=120 KEEP=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OURS=${1:-$OURS_DEFAULT}
THEIRS=${2:-$THEIRS_DEFAULT}
N=${N:-1000} CPU_S=${CPU_S:-30} ADV_S=${ADV_S:-10} START_TIMEOUT=${START_TIMEOUT:-120}
NIF=4
HZ=$(getconf CLK_TCK)
bench_init vrrp-scale "$OURS" "$THEIRS"
[ "$N" -ge 1 ] && [ "$N" -le $((NIF * 255)) ] || fail "N must be 1..$((NIF * 255))"
declare -A F=()

run_one() { # who bin
    local who=$1 bin=$2 D=kbs$$-$1d P=kbs$$-$1p k i t0 t n c0 c1 u0 u1 a0 a1
    ns_add "$D"
    ns_add "$P"
    for ((k = 0; k < NIF; k++)); do
        ip -n "$D" link add eth$k type veth peer name eth$k netns "$P"
        ip -n "$D" addr add 10.65.$k.1/24 dev eth$k
        ip -n "$P" addr add 10.65.$k.2/24 dev eth$k
        ip -n "$D" link set eth$k up
        ip -n "$P" link set eth$k up
    done
    {
        printf 'global_defs {\n    router_id scale\n    vrrp_version 2\n}\n'
        for ((i = 0; i < N; i++)); do
            k=$((i % NIF))
            printf 'vrrp_instance I%d {\n    state MASTER\n    interface eth%d\n    virtual_router_id %d\n' $i $k $((1 + i / NIF))
            printf '    priority 200\n    advert_int 1\n    virtual_ipaddress {\n        10.66.%d.%d/32\n    }\n}\n' $k $((1 + i / NIF))
        done
    } >"$BENCH_W/scale.conf"
    t0=$(usec)
    daemon_start "$who" "$D" "$bin" "$BENCH_W/scale.conf"
    msg "$who: $N instances on $NIF interfaces, waiting for every VIP"
    while :; do
        n=$(ip -n "$D" -4 -o addr show | grep -c '/32 ' || true)
        t=$(usec)
        [ "$n" -ge "$N" ] && break
        same_proc "${BENCH_DAEMON[$who]}" || fail "$who exited early ($n VIPs; KEEP=1 for the log)"
        [ $(((t - t0) / 1000000)) -ge "$START_TIMEOUT" ] && fail "$who: $n of $N VIPs after ${START_TIMEOUT}s"
        pause 0.05
    done
    F[$who all_master_s]=$(awk -v d=$((t - t0)) 'BEGIN {printf "%.2f", d / 1e6}')
    local m=${BENCH_DAEMON[$who]}
    pause 2
    c0=$(tree_ticks "$m")
    u0=$(usec)
    pause "$CPU_S"
    c1=$(tree_ticks "$m")
    u1=$(usec)
    F[$who cpu_pct]=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v us=$((u1 - u0)) 'BEGIN {printf "%.2f", 100 * d / hz / (us / 1e6)}')
    F[$who rss_kib]=$(tree_kib "$m" status VmRSS)
    F[$who pss_kib]=$(tree_kib "$m" smaps_rollup Pss)
    F[$who processes]=$(tree_count "$m")
    rx() { ip netns exec "$P" cat /sys/class/net/eth{0,1,2,3}/statistics/rx_packets | awk '{s += $1} END {print s}'; }
    a0=$(rx)
    u0=$(usec)
    pause "$ADV_S"
    a1=$(rx)
    u1=$(usec)
    F[$who adverts_per_s]=$(awk -v d=$((a1 - a0)) -v us=$((u1 - u0)) 'BEGIN {printf "%.1f", d / (us / 1e6)}')
    msg "$who: all MASTER after ${F[$who all_master_s]} s, cpu ${F[$who cpu_pct]} %, rss ${F[$who rss_kib]} KiB"
    daemon_stop "$who"
}

run_one ours "$OURS"
run_one theirs "$THEIRS"
echo "instances: $N interfaces: $NIF cpu_window_s: $CPU_S adverts_window_s: $ADV_S"
for f in all_master_s cpu_pct rss_kib pss_kib processes adverts_per_s; do
    figure "$f" "${F[ours $f]}" "${F[theirs $f]}"
done
