#!/usr/bin/env bash
# bench/failover.sh [OURS] [THEIRS] - VRRP failover, our daemon and Debian's
# keepalived in the same run, each pair in its own namespaces.
#
# Topology per pairing: netns L (bridge br0), R1 (eth0 10.77.0.1, MASTER prio
# 150) and R2 (eth0 10.77.0.2, BACKUP prio 100), VRID 77, VIP 10.77.0.200/24.
# Pairings: ours/ours and theirs/theirs (PAIRS="ours theirs"; "mixed" adds
# R1=theirs / R2=ours and "rmixed" R1=ours / R2=theirs).
# Variants: v2 (VRRPv2, advert_int 1, auth PASS), v3 (VRRPv3, advert_int 0.1);
# v3x (VRRPv3, advert_int 0.05, SIGKILL only) is run for ours.
# Each round: wait for one of R1's adverts on the bridge, then
#   kill: SIGKILL R1's whole process tree; term: SIGTERM R1's main pid;
# and measure
#   *_vip_ms: signal -> VIP added on R2 (from `ip -ts monitor address` in R2);
#   *_wire_ms: on the bridge (tcpdump), R1's last advert (kill: the last one
#     before R2's first, which may leave just after the signal was sent) or
#     its first priority-0 advert (term) -> R2's first advert after the signal;
#   *_vip_after_wire_ms: R2's first advert on the wire -> VIP added on R2.
# Output: one "figure ours=.. theirs=.. ratio=.." line per figure (medians over
# ROUNDS), per-run values on "runs" lines; progress on stderr.
# Env: ROUNDS=3 PAIRS="ours theirs" VARIANTS="v2 v3" FAST=1 (run v3x) KEEP=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OURS=${1:-$OURS_DEFAULT}
THEIRS=${2:-$THEIRS_DEFAULT}
ROUNDS=${ROUNDS:-3} PAIRS=${PAIRS:-"ours theirs"} VARIANTS=${VARIANTS:-"v2 v3"} FAST=${FAST:-1}
VIP=10.77.0.200
bench_init failover "$OURS" "$THEIRS" "$(command -v tcpdump || echo tcpdump)"
declare -A R=()   # "pair variant figure" -> space separated runs

conf() { # file version advert_int state prio
    {
        printf 'global_defs {\n    router_id %s\n    vrrp_version %s\n}\n' "$(basename "$1" .conf)" "$2"
        printf 'vrrp_instance VI_1 {\n    state %s\n    interface eth0\n    virtual_router_id 77\n' "$4"
        printf '    priority %s\n    advert_int %s\n' "$5" "$3"
        [ "$2" = 2 ] && printf '    authentication {\n        auth_type PASS\n        auth_pass b3nch\n    }\n'
        printf '    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$VIP"
    } >"$1"
}
has_vip() { ip -n "$1" -4 -o addr show dev eth0 | grep -q " $VIP/"; }
wait_for() { # seconds cmd... -> 1 on timeout
    local end=$(($(usec) + $1 * 1000000))
    shift
    until "$@"; do
        [ "$(usec)" -gt $end ] && return 1
        pause 0.01
    done
}
r1_sole_master() { has_vip "$R1" && ! has_vip "$R2"; }
# Seconds of the day (UTC) in microseconds, for tcpdump's epoch stamps and
# ip monitor's "[YYYY-MM-DDTHH:MM:SS.us]" stamps alike.
sod_us() { echo $(($1 % 86400000000)); }
caplines() { wc -l <"$CAP"; }
# Blocks until R1 sends a new advert (so every round starts at the same phase).
after_r1_advert() {
    local n end
    n=$(caplines)
    end=$(($(usec) + 5000000))
    while [ "$(usec)" -lt $end ]; do
        tail -n +$((n + 1)) "$CAP" | grep -q ' IP 10\.77\.0\.1 >' && return 0
        pause 0.002
    done
    return 1
}
# analyse t0_us kind -> "vip_ms wire_ms vip_after_wire_ms" (NA when unknown)
analyse() {
    local t0s
    t0s=$(sod_us "$1")
    {
        awk '{ split($1, a, "."); s = a[1] % 86400; printf "C %.0f %s\n", s * 1e6 + a[2], $0 }' "$CAP"
        awk -v vip=" $VIP/" 'index($0, vip) && !/Deleted/ {
            split(substr($1, 13, 15), a, "[:.]"); printf "M %.0f\n", (a[1] * 3600 + a[2] * 60 + a[3]) * 1e6 + a[4] }' "$MON"
    } | awk -v t0="$t0s" -v k="$2" '
        $1 == "C" && $5 == "10.77.0.1" && k == "kill" && !b { last = $2 }
        $1 == "C" && $5 == "10.77.0.1" && k == "term" && $2 >= t0 && / prio 0,/ && !last { last = $2 }
        $1 == "C" && $5 == "10.77.0.2" && $2 >= t0 && !b { b = $2 }
        $1 == "M" && $2 >= t0 && !v { v = $2 }
        function ms(x) { return sprintf("%.1f", x / 1000) }
        END { print (v ? ms(v - t0) : "NA"), (last && b ? ms(b - last) : "NA"), (v && b ? ms(v - b) : "NA") }'
}

run_pair() { # pair variant
    local pair=$1 v=$2 b1 b2 ver adv kinds=(kill term) r k t0 out
    case $pair in
        ours) b1=$OURS b2=$OURS ;;
        theirs) b1=$THEIRS b2=$THEIRS ;;
        mixed) b1=$THEIRS b2=$OURS ;;
        rmixed) b1=$OURS b2=$THEIRS ;;
        *) fail "unknown pairing $pair" ;;
    esac
    case $v in
        v2) ver=2 adv=1 ;;
        v3) ver=3 adv=0.1 ;;
        v3x) ver=3 adv=0.05 kinds=(kill) ;;
        *) fail "unknown variant $v" ;;
    esac
    local id=$((${#BENCH_NS[@]} / 3))
    L=kbf$$-${id}l R1=kbf$$-${id}a R2=kbf$$-${id}b
    ns_add "$L"
    ip -n "$L" link add br0 type bridge
    ip -n "$L" link set br0 up
    local i=1 ns
    for ns in "$R1" "$R2"; do
        ns_add "$ns"
        ip -n "$L" link add p$i type veth peer name eth0 netns "$ns"
        ip -n "$L" link set p$i master br0 up
        ip -n "$ns" addr add 10.77.0.$i/24 dev eth0
        ip -n "$ns" link set eth0 up
        i=$((i + 1))
    done
    CAP=$BENCH_W/$pair-$v.cap MON=$BENCH_W/$pair-$v.mon
    ip netns exec "$L" tcpdump -i br0 -U -l -n -tt -p 'ip proto 112' >"$CAP" 2>/dev/null &
    ip -n "$R2" -ts monitor address >"$MON" 2>/dev/null &
    pause 0.5
    conf "$BENCH_W/$pair-$v-1.conf" $ver $adv MASTER 150
    conf "$BENCH_W/$pair-$v-2.conf" $ver $adv BACKUP 100
    daemon_start r2 "$R2" "$b2" "$BENCH_W/$pair-$v-2.conf"
    daemon_start r1 "$R1" "$b1" "$BENCH_W/$pair-$v-1.conf"
    msg "$pair $v: advert_int $adv, version $ver"
    for ((r = 1; r <= ROUNDS; r++)); do
        for k in "${kinds[@]}"; do
            wait_for 20 r1_sole_master || fail "$pair $v: R1 never became the only MASTER (KEEP=1 for logs)"
            pause 2
            after_r1_advert || fail "$pair $v: no advert from R1"
            t0=$(usec)
            if [ $k = kill ]; then daemon_signal r1 KILL tree; else daemon_signal r1 TERM; fi
            wait_for 15 has_vip "$R2" || msg "$pair $v: R2 did not take the VIP"
            daemon_stop r1 KILL
            pause 0.3
            out=($(analyse "$t0" $k))
            R["$pair $v ${k}_vip_ms"]+=" ${out[0]}"
            R["$pair $v ${k}_wire_ms"]+=" ${out[1]}"
            R["$pair $v ${k}_vip_after_wire_ms"]+=" ${out[2]}"
            msg "$pair $v round $r $k: vip ${out[0]} ms, wire ${out[1]} ms, vip after wire ${out[2]} ms"
            # A SIGKILLed daemon leaves its VIP behind: remove it before the restart.
            has_vip "$R1" && ip -n "$R1" addr del $VIP/24 dev eth0
            daemon_start r1 "$R1" "$b1" "$BENCH_W/$pair-$v-1.conf"
        done
    done
    daemon_stop r1
    daemon_stop r2
}

for v in $VARIANTS; do
    for p in $PAIRS; do run_pair "$p" "$v"; done
done
[ "$FAST" = 1 ] && run_pair ours v3x

for v in $VARIANTS v3x; do
    for f in kill_vip_ms kill_wire_ms kill_vip_after_wire_ms term_vip_ms term_wire_ms term_vip_after_wire_ms; do
        [ -n "${R["ours $v $f"]:-}${R["theirs $v $f"]:-}" ] || continue
        for p in $PAIRS; do echo "runs $v $f $p:${R["$p $v $f"]:-}"; done
        figure "${v}_$f" "$(median ${R["ours $v $f"]:-})" "$(median ${R["theirs $v $f"]:-})"
        for p in $PAIRS; do
            case $p in mixed | rmixed) echo "  $p ($v $f) median: $(median ${R["$p $v $f"]:-})" ;; esac
        done
    done
done
