#!/usr/bin/env bash
# bench/check-scale.sh [OURS] [THEIRS] - the health checker at scale: one
# virtual server with N real servers on loopback, each with a TCP_CHECK at
# delay_loop 1 (default N=10000; MODE=http: HTTP_GET with a digest, default
# N=1000), against loopback listeners on several 127.x addresses and ports
# (bench/check-listener.py) in a network namespace of the run's own.
#
# Figures (each daemon in turn, same configuration):
#   servers_seen       real servers the listeners saw checked
#   cpu_pct            CPU of the whole daemon tree over CPU_S s (one core = 100)
#   rss_kib            RSS of the tree after CPU_S s
#   interval_p50_ms / interval_p99_ms / interval_max_ms
#                      time between two checks of one real server (1000 = exact)
# Goals (issue 17): cpu under 10 % of one core, p99 within 5 % of delay_loop,
# at most half of keepalived's CPU and RSS.
#
# Debian's keepalived needs the kernel's IPVS to run its checker: where
# ip_vs cannot be loaded (containers) its column is NA; run the script in the
# IPVS VM for the side-by-side. The checker runtime of keepalived-rs is not
# merged yet: until it is, OUR column shows servers_seen=0.
# Env: MODE=tcp|http N CPU_S=30 SETTLE_S=5 KEEP=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OURS=${1:-$OURS_DEFAULT}
THEIRS=${2:-$THEIRS_DEFAULT}
MODE=${MODE:-tcp}
case $MODE in
tcp) N=${N:-10000} ;;
http) N=${N:-1000} ;;
*) echo "MODE must be tcp or http" >&2; exit 2 ;;
esac
CPU_S=${CPU_S:-30} SETTLE_S=${SETTLE_S:-5}
HZ=$(getconf CLK_TCK)
LISTENER=$BENCH_ROOT/bench/check-listener.py
bench_init check-scale "$OURS" "$THEIRS"
command -v python3 >/dev/null || fail "python3 is needed for the listeners"
# 20 ports per address, as many addresses as needed.
NPORT=20 PORT0=20000
NADDR=$(((N + NPORT - 1) / NPORT))
N=$((NADDR * NPORT))
declare -A F=()

printf 'keepalived-rs health check benchmark page\n' >"$BENCH_W/body"
DIGEST=$(md5sum "$BENCH_W/body" | cut -d' ' -f1)

# The configuration: real server i is 127.x.y.z (check-listener.py's addr(i / NPORT)) port PORT0 + i % NPORT.
gen_conf() {
    python3 - "$N" "$NPORT" "$PORT0" "$MODE" "$DIGEST" <<'EOF'
import sys
n, nport, port0, mode, digest = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
def addr(i):
    k = i + 1
    return "127.%d.%d.%d" % (1 + k // 65024, (k // 254) % 256, 1 + k % 254)
out = ["global_defs {\n    router_id check_scale\n}\n",
       "virtual_server 10.200.0.1 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n"]
for i in range(n):
    out.append("    real_server %s %d {\n        weight 1\n" % (addr(i // nport), port0 + i % nport))
    if mode == "tcp":
        out.append("        TCP_CHECK {\n            connect_timeout 3\n        }\n")
    else:
        out.append("        HTTP_GET {\n            url {\n                path /check\n                digest %s\n"
                   "            }\n            connect_timeout 3\n        }\n" % digest)
    out.append("    }\n")
out.append("}\n")
sys.stdout.write("".join(out))
EOF
}

run_one() { # who bin
    local who=$1 bin=$2 D=kbc$$-$1 k t c0 c1 lpid stats
    ns_add "$D"
    if [ "$who" = theirs ] && ! ip netns exec "$D" ipvsadm -Ln >/dev/null 2>&1; then
        msg "$who: no IPVS in this kernel (modprobe ip_vs failed): skipped"
        for k in servers_seen cpu_pct rss_kib interval_p50_ms interval_p99_ms interval_max_ms; do F[$who.$k]=NA; done
        return
    fi
    # The listeners answer on 127.0.0.0/8 of the namespace's loopback.
    rm -f "$BENCH_W/ready.$who"
    ip netns exec "$D" bash -c "ulimit -n 65536; exec python3 '$LISTENER' $MODE $NADDR $NPORT $PORT0 '$BENCH_W/body' '$BENCH_W/ready.$who'" \
        >"$BENCH_W/listener.$who.out" 2>"$BENCH_W/listener.$who.err" &
    lpid=$!
    for ((k = 0; k < 600; k++)); do [ -f "$BENCH_W/ready.$who" ] && break; pause 0.1; done
    [ -f "$BENCH_W/ready.$who" ] || fail "$who: listeners did not start ($(tail -3 "$BENCH_W/listener.$who.err"))"
    msg "$who: $N listeners up ($NADDR addresses x $NPORT ports), starting the daemon"
    ulimit -n 65536 || true
    daemon_start "$who" "$D" "$bin" "$BENCH_W/check.conf"
    pause "$SETTLE_S"
    c0=$(tree_ticks "${BENCH_DAEMON[$who]}")
    pause "$CPU_S"
    c1=$(tree_ticks "${BENCH_DAEMON[$who]}")
    F[$who.cpu_pct]=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v s="$CPU_S" 'BEGIN {printf "%.2f", (b - a) * 100 / hz / s}')
    F[$who.rss_kib]=$(tree_kib "${BENCH_DAEMON[$who]}" status VmRSS)
    daemon_stop "$who"
    kill -TERM "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
    stats=$(cat "$BENCH_W/listener.$who.out")
    for k in servers_seen interval_p50_ms interval_p99_ms interval_max_ms; do
        F[$who.$k]=$(awk -v k="$k" '$1 == k {print $2}' <<<"$stats")
        F[$who.$k]=${F[$who.$k]:-NA}
    done
    msg "$who: $(tr '\n' ' ' <<<"$stats")"
    ip netns del "$D" 2>/dev/null || true
}

gen_conf >"$BENCH_W/check.conf"
msg "$MODE: $N real servers, delay_loop 1, config $(wc -c <"$BENCH_W/check.conf") bytes"
run_one ours "$OURS"
run_one theirs "$THEIRS"
for k in servers_seen cpu_pct rss_kib interval_p50_ms interval_p99_ms interval_max_ms; do
    figure "${MODE}_$k" "${F[ours.$k]}" "${F[theirs.$k]}"
done
