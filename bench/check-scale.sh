#!/usr/bin/env bash
# bench/check-scale.sh [OURS] [THEIRS] - the health checkers at scale: one
# virtual server with N real servers, each with a TCP_CHECK at delay_loop 1
# (default N=10000; MODE=http: HTTP_GET with a digest, default N=1000),
# against listeners on several 127.x addresses and 20 ports each
# (examples/check_listener.rs: `cargo build --release --example check_listener`).
#
# WHERE=vm (default): Debian's keepalived 2.2.7 then ours in the same boot
# of the IPVS VM (tests/vm/ipvs-vm.sh), each in a network namespace of its
# own with its own listeners: the checker child programs IPVS, as in
# production. The VM is emulated (qemu TCG): compare the two columns.
# WHERE=native: ours alone on this machine, whose kernel may have no IPVS:
# the checker child runs with KEEPALIVED_RS_BENCH_NO_IPVS=1 (the checkers
# run, the table is not programmed; a switch for this script only).
#
# Figures (each daemon in turn, same configuration):
#   servers_seen        real servers the listeners saw checked
#   window_checks       connections the listeners accepted in those CPU_S s
#   checker_cpu_pct     CPU of the checker child over CPU_S s (one core = 100)
#   cpu_ms_per_1k_checks   its CPU time per 1,000 checks in the window (where
#                       the checker cannot keep up, as in the emulated VM at
#                       10,000/s, this is the figure to compare)
#   checker_rss_kib     RSS of the checker child after CPU_S s
#   tree_rss_kib        RSS of the whole daemon (parent and children)
#   interval_p50_ms / interval_p99_ms / interval_max_ms
#                       time between two checks of one real server, as the
#                       listeners see the connections (1000 = exact)
# Goals (issue 17): checker CPU under 10 % of one core, p99 within 5 % of
# delay_loop (<= 1050 ms), at most half of keepalived's CPU and RSS.
# Env: MODE=tcp|http N CPU_S=30 SETTLE_S=10 WHERE=vm|native KEEP=1, KR_VM_*.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")/.." && pwd)
OURS=${1:-$here/target/x86_64-unknown-linux-gnu/release/keepalived}
THEIRS=${2:-/usr/sbin/keepalived}
LISTENER=${LISTENER:-$here/target/x86_64-unknown-linux-gnu/release/examples/check_listener}
MODE=${MODE:-tcp}
WHERE=${WHERE:-vm}
case $MODE in
tcp) N=${N:-10000} ;;
http) N=${N:-1000} ;;
*) echo "MODE must be tcp or http" >&2; exit 2 ;;
esac
CPU_S=${CPU_S:-30} SETTLE_S=${SETTLE_S:-10}
NPORT=20 PORT0=20000
NADDR=$(((N + NPORT - 1) / NPORT))
N=$((NADDR * NPORT))
[ "$(id -u)" = 0 ] || { echo "run as root (namespaces, the VM harness)"; exit 1; }
[ -x "$LISTENER" ] || { echo "missing $LISTENER: cargo build --release --example check_listener"; exit 1; }
[ -x "$OURS" ] || { echo "missing $OURS"; exit 1; }
W=$(mktemp -d /tmp/kbench-check.XXXXXX)
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $W" >&2 || rm -rf "$W"; }
trap cleanup EXIT

printf 'keepalived-rs health check benchmark page\n' >"$W/body"
DIGEST=$(md5sum "$W/body" | cut -d' ' -f1)

# Real server i is 127.x.y.z (the listener's addr(i / NPORT)), port PORT0 + i % NPORT.
awk -v n="$N" -v nport="$NPORT" -v port0="$PORT0" -v mode="$MODE" -v digest="$DIGEST" 'BEGIN {
    printf "global_defs {\n    router_id check_scale\n}\n"
    printf "virtual_server 10.200.0.1 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n"
    for (i = 0; i < n; i++) {
        k = int(i / nport) + 1
        printf "    real_server 127.%d.%d.%d %d {\n        weight 1\n", 1 + int(k / 65024), int(k / 254) % 256, 1 + k % 254, port0 + i % nport
        if (mode == "tcp")
            printf "        TCP_CHECK {\n            connect_timeout 3\n        }\n"
        else
            printf "        HTTP_GET {\n            url {\n                path /check\n                digest %s\n            }\n            connect_timeout 3\n        }\n", digest
        printf "    }\n"
    }
    print "}"
}' >"$W/check.conf"
echo "$MODE: $N real servers ($NADDR addresses x $NPORT ports), delay_loop 1, config $(wc -c <"$W/check.conf") bytes, $WHERE" >&2

# The measuring script, the same in the VM (busybox sh) and here: one
# daemon with its listeners in the current network namespace; prints
# "WHO key=value ...".
cat >"$W/one.sh" <<EOF
MODE=$MODE NADDR=$NADDR NPORT=$NPORT PORT0=$PORT0 CPU_S=$CPU_S SETTLE_S=$SETTLE_S
EOF
cat >>"$W/one.sh" <<'EOF'
who=$1 bin=$2 listener=$3 dir=$4
ip link set lo up 2>/dev/null || /usr/local/bin/ip link set lo up
ulimit -n 65536
rm -f "$dir/ready.$who"
"$listener" "$MODE" "$NADDR" "$NPORT" "$PORT0" "$dir/body" "$dir/ready.$who" >"$dir/listener.$who.out" 2>"$dir/listener.$who.err" &
lpid=$!
i=0
while [ ! -e "$dir/ready.$who" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$dir/ready.$who" ] || { echo "$who listener-failed"; exit 0; }
$bin -n -l -f "$dir/check.conf" -p "$dir/$who.pid" -c "$dir/$who.cpid" -r "$dir/$who.vpid" >"$dir/$who.log" 2>&1 &
dpid=$!
sleep "$SETTLE_S"
cpid=$(cat "$dir/$who.cpid" 2>/dev/null || echo 0)
# utime + stime of the checker child (fields 14 and 15 of /proc/PID/stat), in ticks.
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }'; }
up() { awk '{ print $1 }' /proc/uptime; }
kill -USR1 "$lpid"
t0=$(up) c0=$(ticks "$cpid")
sleep "$CPU_S"
t1=$(up) c1=$(ticks "$cpid")
kill -USR1 "$lpid"
rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$cpid/status" 2>/dev/null)
tree=0
for p in $dpid $cpid $(cat "$dir/$who.vpid" 2>/dev/null); do
    v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
    tree=$((tree + ${v:-0}))
done
cpu=$(awk -v a="$c0" -v b="$c1" -v s0="$t0" -v s1="$t1" 'BEGIN { if (a == "" || b == "") print "NA"; else printf "%.2f", (b - a) / (s1 - s0) }')
kill -TERM "$dpid" 2>/dev/null
i=0
while kill -0 "$dpid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$lpid"
wait "$lpid" 2>/dev/null
stats=$(awk '$1 != "mark" { printf "%s=%s ", $1, $2 }' "$dir/listener.$who.out")
# Checks in the window, and the checker's CPU for each 1,000 of them.
win=$(awk '$1 == "mark" { m[n++] = $2 } END { if (n >= 2) print m[1] - m[0]; else print "NA" }' "$dir/listener.$who.out")
per=$(awk -v a="$c0" -v b="$c1" -v w="$win" 'BEGIN { if (w == "NA" || w == 0 || a == "" || b == "") print "NA"; else printf "%.1f", (b - a) * 10 * 1000 / w }')
echo "$who checker_cpu_pct=$cpu checker_rss_kib=${rss:-NA} tree_rss_kib=$tree window_checks=$win cpu_ms_per_1k_checks=$per $stats"
EOF

if [ "$WHERE" = vm ]; then
    [ -x "$THEIRS" ] || { echo "missing $THEIRS"; exit 1; }
    mkdir -p "$W/case"
    cp "$W/body" "$W/check.conf" "$W/one.sh" "$W/case/"
    cat >"$W/case/run.sh" <<'EOF'
. /case/lib.sh
for who in theirs ours; do
    if [ $who = theirs ]; then b=$THEIRS; else b=$OURS; fi
    $IP netns add "b$who"
    mkdir -p "/tmp/$who"
    cp /case/body /case/check.conf "/tmp/$who/"
    $IP netns exec "b$who" sh /case/one.sh "$who" "$b" /usr/local/bin/check_listener "/tmp/$who" | tee -a /tmp/results
    emit "$who.log" "/tmp/$who/$who.log"
done
emit results /tmp/results
EOF
    printf '%s keepalived-rs\n%s check_listener\n' "$OURS" "$LISTENER" >"$W/case/bins"
    KR_VM_TIMEOUT=${KR_VM_TIMEOUT:-1800} bash "$here/tests/vm/ipvs-vm.sh" "$W/case" >&2 ||
        { echo "result: FAILED (the VM run failed; console in $W/case/console.log)"; KEEP=1; exit 1; }
    RESULTS=$W/case/out/results
else
    ns=kbc$$
    ip netns add "$ns"
    trap 'ip netns del "$ns" 2>/dev/null; cleanup' EXIT
    KEEPALIVED_RS_BENCH_NO_IPVS=1 ip netns exec "$ns" bash "$W/one.sh" ours "$OURS" "$LISTENER" "$W" | tee "$W/results" >&2
    RESULTS=$W/results
fi
cat "$RESULTS" >&2
val() { awk -v w="$1" -v k="$2" '$1 == w { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$RESULTS"; }
for k in servers_seen window_checks checker_cpu_pct cpu_ms_per_1k_checks checker_rss_kib tree_rss_kib interval_p50_ms interval_p99_ms interval_max_ms; do
    o=$(val ours $k)
    t=$(val theirs $k)
    o=${o:-NA} t=${t:-NA}
    r=$(awk -v a="$o" -v b="$t" 'BEGIN { if (b == "NA" || a == "NA" || b + 0 == 0) print "NA"; else printf "%.3f", a / b }')
    printf '%-26s ours=%s theirs=%s ratio=%s\n' "${MODE}_$k" "$o" "$t" "$r"
done
