#!/usr/bin/env bash
# bench/vrrp-track-scale.sh [OURS] [THEIRS] - N VRRPv2 instances (default
# 1000) in N/10 sync groups, each instance tracking one of SCRIPTS vrrp_scripts
# (default 100, interval 1, `/bin/true`) and one interface; our daemon and
# Debian's keepalived one after the other in the same run, each in fresh
# namespaces.
#
# Topology: netns D (daemon) with veth eth0..eth3 whose peers sit in netns P.
# Instance i: interface eth(i % 4), VRID 1 + i / 4, VIP 10.66.<i%4>.x/32,
# state MASTER, priority 200, track_script s(i % SCRIPTS) weight -10, track_interface
# eth((i+1) % 4) weight -10, sync group g(i / 10).
# Figures: all_master_s, cpu_pct (one core, the daemon's whole tree including
# the scripts it runs, over CPU_S s), cpu_daemon_pct (the keepalived
# processes' own time, without the scripts': both daemons run the same
# /bin/true 100 times a second), rss_kib and pss_kib (whole tree, the
# scripts included when sampled), adverts_per_s (received by P), and
# worst_late_ms: the longest gap between two adverts of one instance seen on
# P's interfaces (tcpdump) over ADV_S s, less the 1 s advert interval.
# Env: N=1000 SCRIPTS=100 CPU_S=30 ADV_S=10 START_TIMEOUT=120 KEEP=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OURS=${1:-$OURS_DEFAULT}
THEIRS=${2:-$THEIRS_DEFAULT}
N=${N:-1000} SCRIPTS=${SCRIPTS:-100} CPU_S=${CPU_S:-30} ADV_S=${ADV_S:-10} START_TIMEOUT=${START_TIMEOUT:-120}
NIF=4
HZ=$(getconf CLK_TCK)
bench_init vrrp-track-scale "$OURS" "$THEIRS" "$(command -v tcpdump || echo tcpdump)"
[ "$N" -ge 10 ] && [ "$N" -le $((NIF * 255)) ] || fail "N must be 10..$((NIF * 255))"
declare -A F=()

write_conf() {
    local i k g
    printf 'global_defs {\n    router_id scale\n    vrrp_version 2\n    script_user root\n    enable_script_security\n}\n'
    for ((k = 0; k < SCRIPTS; k++)); do
        printf 'vrrp_script s%d {\n    script "/bin/true"\n    interval 1\n    weight -10\n}\n' $k
    done
    for ((g = 0; g < N / 10; g++)); do
        printf 'vrrp_sync_group g%d {\n    group {\n' $g
        for ((i = g * 10; i < g * 10 + 10; i++)); do printf '        I%d\n' $i; done
        printf '    }\n    sync_group_tracking_weight\n}\n'
    done
    for ((i = 0; i < N; i++)); do
        k=$((i % NIF))
        printf 'vrrp_instance I%d {\n    state MASTER\n    interface eth%d\n    virtual_router_id %d\n' $i $k $((1 + i / NIF))
        printf '    priority 200\n    advert_int 1\n    virtual_ipaddress {\n        10.66.%d.%d/32\n    }\n' $k $((1 + i / NIF))
        printf '    track_script {\n        s%d\n    }\n    track_interface {\n        eth%d weight -10\n    }\n}\n' \
            $((i % SCRIPTS)) $(((k + 1) % NIF))
    done
}

# utime+stime of the tree's keepalived processes only (not what they waited for).
own_ticks() {
    local p t=0 c
    for p in $(descendants "$1"); do
        read -r c 2>/dev/null <"/proc/$p/comm" || continue
        case $c in Keepalived* | keepalived*) pstat "$p" && t=$((t + S[11] + S[12])) ;; esac
    done
    echo $t
}

run_one() { # who bin
    local who=$1 bin=$2 D=kbt$$-$1d P=kbt$$-$1p k t0 t n c0 c1 u0 u1 a0 a1
    ns_add "$D"
    ns_add "$P"
    for ((k = 0; k < NIF; k++)); do
        ip -n "$D" link add eth$k type veth peer name eth$k netns "$P"
        ip -n "$D" addr add 10.65.$k.1/24 dev eth$k
        ip -n "$P" addr add 10.65.$k.2/24 dev eth$k
        ip -n "$D" link set eth$k up
        ip -n "$P" link set eth$k up
    done
    write_conf >"$BENCH_W/track.conf"
    t0=$(usec)
    daemon_start "$who" "$D" "$bin" "$BENCH_W/track.conf"
    msg "$who: $N instances, $((N / 10)) sync groups, $SCRIPTS scripts, waiting for every VIP"
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
    pause 3
    local o0 o1
    c0=$(tree_ticks "$m")
    o0=$(own_ticks "$m")
    u0=$(usec)
    pause "$CPU_S"
    c1=$(tree_ticks "$m")
    o1=$(own_ticks "$m")
    u1=$(usec)
    F[$who cpu_pct]=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v us=$((u1 - u0)) 'BEGIN {printf "%.2f", 100 * d / hz / (us / 1e6)}')
    F[$who cpu_daemon_pct]=$(awk -v d=$((o1 - o0)) -v hz="$HZ" -v us=$((u1 - u0)) 'BEGIN {printf "%.2f", 100 * d / hz / (us / 1e6)}')
    F[$who rss_kib]=$(tree_kib "$m" status VmRSS)
    F[$who pss_kib]=$(tree_kib "$m" smaps_rollup Pss)
    rx() { ip netns exec "$P" cat /sys/class/net/eth{0,1,2,3}/statistics/rx_packets | awk '{s += $1} END {print s}'; }
    local caps=()
    for ((k = 0; k < NIF; k++)); do
        ip netns exec "$P" tcpdump -i eth$k -B 8192 -U -l -n -tt -p 'ip proto 112' >"$BENCH_W/cap$k" 2>/dev/null &
        caps+=($!)
    done
    pause 1
    a0=$(rx)
    u0=$(usec)
    pause "$ADV_S"
    a1=$(rx)
    u1=$(usec)
    kill "${caps[@]}" 2>/dev/null || true
    wait "${caps[@]}" 2>/dev/null || true
    F[$who adverts_per_s]=$(awk -v d=$((a1 - a0)) -v us=$((u1 - u0)) 'BEGIN {printf "%.1f", d / (us / 1e6)}')
    # Longest gap per (interface, VRID) minus the interval, in ms.
    F[$who worst_late_ms]=$(for ((k = 0; k < NIF; k++)); do sed "s/^/$k /" "$BENCH_W/cap$k"; done | awk '
        { for (i = 1; i <= NF; i++) if ($i == "vrid") { v = $(i + 1); sub(",", "", v); key = $1 "/" v;
              if (key in last) { g = $2 - last[key]; if (g > worst) worst = g } last[key] = $2 } }
        END { printf "%.1f", (worst - 1) * 1000 }')
    msg "$who: all MASTER after ${F[$who all_master_s]} s, cpu ${F[$who cpu_pct]} %, rss ${F[$who rss_kib]} KiB, worst advert ${F[$who worst_late_ms]} ms late"
    daemon_stop "$who"
}

run_one ours "$OURS"
run_one theirs "$THEIRS"
echo "instances: $N sync_groups: $((N / 10)) scripts: $SCRIPTS interfaces: $NIF cpu_window_s: $CPU_S adverts_window_s: $ADV_S"
for f in all_master_s cpu_pct cpu_daemon_pct rss_kib pss_kib adverts_per_s worst_late_ms; do
    figure "$f" "${F[ours $f]}" "${F[theirs $f]}"
done
