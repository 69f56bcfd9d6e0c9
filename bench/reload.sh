#!/usr/bin/env bash
# bench/reload.sh [OURS] [THEIRS] - SIGHUP reload of a large configuration
# (VS virtual servers x RS real servers with a TCP_CHECK each, generated as
# bench/parse-scale.sh does, plus one VRRP instance), our daemon and Debian's
# keepalived in the same run, each in a fresh namespace.
#
# The daemon runs with NOTIFY_SOCKET pointing at a datagram socket that a small
# python3 listener timestamps. Per run: SIGHUP to the main pid at t0, then
#   notify_ms: t0 -> the READY=1 that follows RELOADING=1 (systemd's view);
#   busy_ms:   t0 -> the last CPU tick used by the daemon's process tree before
#              it has been idle for 1 s (every process has finished reloading,
#              whatever it tells systemd; 10 ms tick resolution).
# Output: "figure ours=.. theirs=.. ratio=.." lines (medians of RUNS runs).
# Both daemons run with MODE (default -P, VRRP only: without the ip_vs module,
# which network namespaces here lack, Debian's health-checker child exits
# FATAL; MODE= runs every child).
# Env: VS=2284 RS=16 RUNS=3 MODE=-P WHO="ours theirs" KEEP=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OURS=${1:-$OURS_DEFAULT}
THEIRS=${2:-$THEIRS_DEFAULT}
VS=${VS:-2284} RS=${RS:-16} RUNS=${RUNS:-3} MODE=${MODE--P}
bench_init reload "$OURS" "$THEIRS" "$(command -v python3 || echo python3)"
declare -A F=()

lvs_bench_conf reload "$VS" "$RS" >"$BENCH_W/reload.conf"
msg "config: $VS virtual servers x $RS real servers, $(wc -l <"$BENCH_W/reload.conf") lines"

cat >"$BENCH_W/listen.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    d = s.recv(4096).decode(errors="replace").replace("\n", " ")
    print("%d %s" % (time.time_ns() // 1000, d), flush=True)
EOF

# Waits until the tree has used no CPU for 1 s; prints the time (us) of the last tick seen.
idle_since() {
    local m=$1 t last t_last quiet_us=1000000 end
    last=$(tree_ticks "$m")
    t_last=$(usec)
    end=$((t_last + 120000000))
    while :; do
        pause 0.02
        t=$(tree_ticks "$m")
        if [ "$t" != "$last" ]; then
            last=$t
            t_last=$(usec)
        elif [ $(($(usec) - t_last)) -ge $quiet_us ]; then
            break
        fi
        [ "$(usec)" -gt $end ] && break
    done
    echo "$t_last"
}
# notify_after t0 -> us of the READY=1 following a RELOADING=1 seen after t0 ("" if none yet)
notify_after() {
    awk -v t0="$1" '$1 >= t0 && /RELOADING=1/ { r = 1 } r && $1 >= t0 && /READY=1/ { print $1; exit }' "$NOTIFY_LOG"
}

run_one() { # who bin
    local who=$1 bin=$2 D=kbh$$-$1 m r t0 t1 tq n end notify=() busy=()
    ns_add "$D"
    ip -n "$D" link add eth0 type veth peer name eth1
    ip -n "$D" link set eth0 up
    ip -n "$D" link set eth1 up
    ip -n "$D" addr add 192.0.2.1/24 dev eth0
    NOTIFY_LOG=$BENCH_W/$who.notify
    python3 "$BENCH_W/listen.py" "$BENCH_W/$who.sock" >"$NOTIFY_LOG" &
    pause 0.3
    NOTIFY_SOCKET=$BENCH_W/$who.sock daemon_start "$who" "$D" "$bin" "$BENCH_W/reload.conf" $MODE
    m=${BENCH_DAEMON[$who]}
    idle_since "$m" >/dev/null
    same_proc "$m" || fail "$who exited (KEEP=1 for the log)"
    msg "$who: started ($(tree_count "$m") processes, $(tree_kib "$m" status VmRSS) KiB), reloading $RUNS times"
    for ((r = 1; r <= RUNS; r++)); do
        t0=$(usec)
        kill -HUP "$m"
        tq=$(idle_since "$m")
        t1=$(notify_after "$t0")
        n=NA
        [ -n "$t1" ] && n=$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d / 1000}')
        notify+=("$n")
        busy+=("$(awk -v d=$((tq - t0)) 'BEGIN {printf "%.1f", d / 1000}')")
        msg "$who run $r: READY=1 after $n ms, busy for ${busy[-1]} ms"
        same_proc "$m" || fail "$who exited during the reload"
    done
    echo "runs $who notify_ms: ${notify[*]}"
    echo "runs $who busy_ms: ${busy[*]}"
    F[$who notify_ms]=$(median "${notify[@]}")
    F[$who busy_ms]=$(median "${busy[@]}")
    F[$who rss_kib]=$(tree_kib "$m" status VmRSS)
    daemon_stop "$who"
}

for who in ${WHO:-ours theirs}; do
    if [ "$who" = ours ]; then run_one ours "$OURS"; else run_one theirs "$THEIRS"; fi
done
echo "config: $VS virtual servers x $RS real servers, runs: $RUNS"
for f in notify_ms busy_ms rss_kib; do
    figure "reload_$f" "${F[ours $f]}" "${F[theirs $f]}"
done
