#!/usr/bin/env bash
# bench/rss-small.sh [OURS] [THEIRS] - memory of the whole process tree for a
# small configuration (one VRRP instance, MASTER, one VIP, advert_int 1), our
# daemon and Debian's keepalived in the same run, each in fresh namespaces.
#
# After SETTLE s it sums, over the daemon's process tree (main pid and all
# descendants): VmRSS from /proc/PID/status, Pss, Private_Clean+Private_Dirty
# (USS) from /proc/PID/smaps_rollup; and counts the processes.
# Env: SETTLE=5 KEEP=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OURS=${1:-$OURS_DEFAULT}
THEIRS=${2:-$THEIRS_DEFAULT}
SETTLE=${SETTLE:-5}
bench_init rss-small "$OURS" "$THEIRS"
declare -A F=()

run_one() { # who bin
    local who=$1 bin=$2 D=kbr$$-$1d P=kbr$$-$1p m p
    ns_add "$D"
    ns_add "$P"
    ip -n "$D" link add eth0 type veth peer name eth0 netns "$P"
    ip -n "$D" addr add 10.64.0.1/24 dev eth0
    ip -n "$P" addr add 10.64.0.2/24 dev eth0
    ip -n "$D" link set eth0 up
    ip -n "$P" link set eth0 up
    cat >"$BENCH_W/small.conf" <<'EOF'
global_defs {
    router_id small
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 64
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.64.0.100/24
    }
}
EOF
    daemon_start "$who" "$D" "$bin" "$BENCH_W/small.conf"
    m=${BENCH_DAEMON[$who]}
    pause "$SETTLE"
    same_proc "$m" || fail "$who exited early (KEEP=1 for the log)"
    ip -n "$D" -4 -o addr show dev eth0 | grep -q ' 10.64.0.100/' || msg "$who: the VIP is not up"
    F[$who rss_kib]=$(tree_kib "$m" status VmRSS)
    F[$who pss_kib]=$(tree_kib "$m" smaps_rollup Pss)
    F[$who uss_kib]=$(($(tree_kib "$m" smaps_rollup Private_Clean) + $(tree_kib "$m" smaps_rollup Private_Dirty)))
    F[$who processes]=$(tree_count "$m")
    for p in $(descendants "$m"); do
        echo "$who pid $p $(cat "/proc/$p/comm"): rss $(awk '$1 == "VmRSS:" {print $2}' "/proc/$p/status") KiB," \
            "pss $(awk '$1 == "Pss:" {print $2}' "/proc/$p/smaps_rollup") KiB"
    done
    daemon_stop "$who"
}

run_one ours "$OURS"
run_one theirs "$THEIRS"
for f in rss_kib pss_kib uss_kib processes; do
    figure "$f" "${F[ours $f]}" "${F[theirs $f]}"
done
