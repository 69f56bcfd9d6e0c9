#!/usr/bin/env bash
# tests/systemd.sh - runs the daemon the way systemd/keepalived.service does,
# without systemd: the unit's ExecStart= (binary path swapped for
# target/x86_64-unknown-linux-gnu/release/keepalived), its options from conf/keepalived.default plus
# KEEPALIVED_OPTIONS naming the configuration, a $NOTIFY_SOCKET we listen on,
# ExecReload= (SIGHUP) and systemd's stop (SIGTERM to the main process only,
# KillMode=mixed).  Checks the Type=notify protocol (READY=1, RELOADING=1,
# STOPPING=1), that the address comes and goes, and the exit status.
#
# Runs in a network namespace holding eth0 (a veth pair) and in a private
# mount namespace with its own /run, so pid files and sockets never meet the
# host's.  Needs root.  Prints PASS/FAIL/SKIP per check and "N passed, M failed".
#
# The daemon must be able to load conf/keepalived.conf: while
# `keepalived -t` rejects it (the parser is still being completed) the run is
# reported as SKIP with the reason.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/x86_64-unknown-linux-gnu/release/keepalived"
UNIT="$ROOT/systemd/keepalived.service"
CONF="$ROOT/conf/keepalived.conf"
VIP=192.0.2.51
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

if [ "$(id -u)" != 0 ]; then ko "needs root (namespaces)"; finish; fi
if [ ! -x "$BIN" ]; then ko "no $BIN: run cargo build --release first"; finish; fi

W=$(mktemp -d /tmp/kr-sd.XXXXXX)
NS="kr$$-sd"
LISTENER=""
DAEMON=""
cleanup() {
    [ -n "$DAEMON" ] && kill -KILL "$DAEMON" 2>/dev/null
    [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" && ip -n "$NS" link add eth0 type veth peer name eth0p &&
    for i in lo eth0 eth0p; do ip -n "$NS" link set "$i" up; done &&
    ip -n "$NS" addr add 192.0.2.1/24 dev eth0 || { ko "network namespace $NS"; finish; }

ip netns exec "$NS" "$BIN" -t -f "$CONF" >"$W/t.out" 2>&1
trc=$?
if [ "$trc" != 0 ]; then
    echo "SKIP service run: keepalived -t rejects conf/keepalived.conf (exit $trc: $(head -n 1 "$W/t.out")), the daemon cannot load it yet"
    finish
fi

# The command line exactly as systemd would build it from the unit.
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
read -r -a argv <<<"$exec_start"
[ "${argv[0]}" = /usr/sbin/keepalived ] || { ko "ExecStart= starts /usr/sbin/keepalived"; finish; }
argv[0]=$BIN
cmd=()
for a in "${argv[@]}"; do
    case $a in
    \$KEEPALIVED_OPTIONS | \$DAEMON_ARGS)
        # EnvironmentFile= semantics for this simple file: VAR="words".
        # shellcheck disable=SC1090
        v=$(
            KEEPALIVED_OPTIONS=""
            DAEMON_ARGS=""
            . "$ROOT/conf/keepalived.default"
            [ "$a" = '$KEEPALIVED_OPTIONS' ] && KEEPALIVED_OPTIONS="-f $CONF"
            eval "printf '%s' \"${a}\""
        )
        read -r -a words <<<"$v"
        cmd+=("${words[@]}")
        ;;
    *) cmd+=("$a") ;;
    esac
done
echo "command: ${cmd[*]}"

# A datagram socket standing in for systemd's notify socket.
python3 - "$W/notify.sock" "$W/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        for line in s.recv(65536).decode(errors="replace").splitlines():
            out.write(line + "\n")
PY
LISTENER=$!
for _ in $(seq 50); do [ -S "$W/notify.sock" ] && break; sleep 0.1; done

NOTIFY_SOCKET="$W/notify.sock" ip netns exec "$NS" unshare -m --propagation private \
    sh -c 'mount -t tmpfs kr-sd-run /run && exec "$@"' sh "${cmd[@]}" >"$W/daemon.log" 2>&1 &
DAEMON=$!

# wait_for PATTERN SECONDS: a line of the notify stream matching PATTERN,
# after the lines already consumed.
seen=0
wait_for() {
    local i n
    for ((i = 0; i < $2 * 10; i++)); do
        n=$(awk -v from="$seen" -v pat="$1" 'NR > from && $0 ~ pat { print NR; exit }' "$W/notify.out" 2>/dev/null)
        if [ -n "$n" ]; then
            seen=$n
            return 0
        fi
        sleep 0.1
    done
    return 1
}
has_vip() { ip -n "$NS" -4 addr show dev eth0 | grep -q "inet $VIP/"; }
wait_vip() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        if [ "$1" = present ] && has_vip; then return 0; fi
        if [ "$1" = absent ] && ! has_vip; then return 0; fi
        sleep 0.1
    done
    return 1
}
# The PID systemd would signal ($MAINPID): the process ip netns exec became.
main_pid() { echo "$DAEMON"; }

if wait_for '^READY=1$' 10; then ok "READY=1 after start"; else ko "READY=1 after start"; fi
if wait_vip present 8; then ok "$VIP added on eth0 (MASTER alone on the link)"; else ko "$VIP added on eth0"; fi

kill -HUP "$(main_pid)" # ExecReload=/bin/kill -HUP $MAINPID
if wait_for '^RELOADING=1$' 10; then ok "RELOADING=1 on SIGHUP"; else ko "RELOADING=1 on SIGHUP"; fi
if wait_for '^READY=1$' 10; then ok "READY=1 after the reload"; else ko "READY=1 after the reload"; fi
if kill -0 "$DAEMON" 2>/dev/null; then ok "still running after the reload"; else ko "still running after the reload"; fi

kill -TERM "$(main_pid)" # systemctl stop with KillMode=mixed
if wait_for '^STOPPING=1$' 10; then ok "STOPPING=1 on SIGTERM"; else ko "STOPPING=1 on SIGTERM"; fi
rc=timeout
for _ in $(seq 100); do
    if ! kill -0 "$DAEMON" 2>/dev/null; then
        wait "$DAEMON"
        rc=$?
        break
    fi
    sleep 0.1
done
DAEMON=""
if [ "$rc" = 0 ]; then ok "exit status 0 after SIGTERM"; else ko "exit status 0 after SIGTERM (got $rc)"; fi
if wait_vip absent 2; then ok "$VIP removed on stop"; else ko "$VIP removed on stop"; fi
if [ "$fail" != 0 ]; then
    echo "notify messages:"
    sed 's/^/    | /' "$W/notify.out" 2>/dev/null
    echo "daemon output (last lines):"
    tail -n 20 "$W/daemon.log" | sed 's/^/    | /'
fi
finish
