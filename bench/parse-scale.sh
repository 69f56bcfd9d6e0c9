#!/usr/bin/env bash
# bench/parse-scale.sh [OURS] [THEIRS] - `keepalived -t` on a large LVS
# configuration (VS virtual servers x RS real servers, each with a TCP_CHECK),
# ours and Debian's keepalived side by side in one run, in a private network
# namespace that holds the interface the configuration names.
# Prints per-binary medians of wall time and peak RSS, and our/their ratios.
# Env: VS=2284 RS=16 RUNS=5
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
OURS=${1:-$here/target/x86_64-unknown-linux-gnu/release/keepalived}
THEIRS=${2:-/usr/sbin/keepalived}
VS=${VS:-2284} RS=${RS:-16} RUNS=${RUNS:-5}
NS=kbench$$-p
W=$(mktemp -d /tmp/kbench-parse.XXXXXX)
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "run as root (network namespace)"; exit 1; }
for b in "$OURS" "$THEIRS" /usr/bin/time; do [ -x "$b" ] || { echo "missing $b"; exit 1; }; done

ip netns add "$NS"
ip -n "$NS" link add eth0 type veth peer name eth0p
ip -n "$NS" link set eth0 up

lvs_bench_conf bench "$VS" "$RS" > "$W/bench.conf"
echo "config: $VS virtual servers x $RS real servers, $(wc -l < "$W/bench.conf") lines"

measure() { # bin -> "wall_s rss_kib exit" per run, on stdout
    local bin=$1 i
    for ((i = 0; i < RUNS; i++)); do
        local rc=0
        /usr/bin/time -f '%e %M' -o "$W/t" ip netns exec "$NS" "$bin" -t -f "$W/bench.conf" >/dev/null 2>&1 || rc=$?
        echo "$(tail -1 "$W/t") $rc"
    done
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# interleave: one warm-up each, then the measured runs
measure "$OURS" >/dev/null; measure "$THEIRS" >/dev/null
o=$(measure "$OURS"); t=$(measure "$THEIRS")
ow=$(awk '{print $1}' <<<"$o" | median); orss=$(awk '{print $2}' <<<"$o" | median)
tw=$(awk '{print $1}' <<<"$t" | median); trss=$(awk '{print $2}' <<<"$t" | median)
echo "ours:   wall_s_median=$ow maxrss_kib_median=$orss exit_codes=$(awk '{print $3}' <<<"$o" | sort -u | paste -sd,)"
echo "theirs: wall_s_median=$tw maxrss_kib_median=$trss exit_codes=$(awk '{print $3}' <<<"$t" | sort -u | paste -sd,)"
awk -v a="$ow" -v b="$tw" -v c="$orss" -v d="$trss" 'BEGIN {
    printf "ratio_wall (ours/theirs): %.3f\nratio_rss (ours/theirs): %.3f\n", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
