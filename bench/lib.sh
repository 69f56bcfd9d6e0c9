# bench/lib.sh - helpers shared by the bench scripts (sourced, not run).
#
# Every script creates its own network namespaces with names that embed its
# pid (kb<tag><pid>-<role>), registers them with `ns_add`, and calls
# `bench_init` which installs a trap that stops every daemon it started
# (`daemon_start`) and deletes those namespaces, even on failure or Ctrl-C.
export LC_ALL=C TZ=UTC

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OURS_DEFAULT=$BENCH_ROOT/target/x86_64-unknown-linux-gnu/release/keepalived
THEIRS_DEFAULT=/usr/sbin/keepalived
BENCH_NS=()
declare -A BENCH_DAEMON=()   # key -> main pid
declare -A BENCH_START=()    # pid -> /proc starttime, so a recycled pid is never killed
exec {BENCH_SLEEP_FD}<> <(:)

msg() { echo "[$BENCH_TAG $(date +%T.%3N)] $*" >&2; }
fail() { msg "FATAL: $*"; echo "result: FAILED: $*"; exit 1; }
# Sleep without forking (read with a timeout on a pipe nobody writes to).
pause() { read -r -t "$1" -u "$BENCH_SLEEP_FD" _ || true; }
usec() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

# /proc/PID/stat fields after the command name: S[0] is field 3 (state).
pstat() { local l; read -r l 2>/dev/null <"/proc/$1/stat" || return 1; S=(${l##*) }); }
# PID and all its descendants, parent first.
descendants() {
    local -A kids=()
    local f l p out=() todo=("$1")
    for f in /proc/[0-9]*/stat; do
        read -r l 2>/dev/null <"$f" || continue
        p=${l%% *}
        l=(${l##*) })
        kids[${l[1]}]+=" $p"
    done
    [ -d "/proc/$1" ] || return 0
    while [ ${#todo[@]} -gt 0 ]; do
        p=${todo[0]}
        todo=("${todo[@]:1}")
        out+=("$p")
        todo+=(${kids[$p]:-})
    done
    for p in "${out[@]}"; do pstat "$p" && BENCH_START[$p]=${S[19]}; done
    echo "${out[@]}"
}
# Sum of a /proc/PID/status or smaps_rollup field (kB) over a process tree.
tree_kib() { # root file field
    local p v t=0
    for p in $(descendants "$1"); do
        v=$(awk -v f="$3:" '$1 == f {print $2}' "/proc/$p/$2" 2>/dev/null || true)
        t=$((t + ${v:-0}))
    done
    echo $t
}
tree_ticks() { # root -> utime+stime+cutime+cstime of the tree, in clock ticks
    local p t=0
    for p in $(descendants "$1"); do pstat "$p" && t=$((t + S[11] + S[12] + S[13] + S[14])); done
    echo $t
}
tree_count() { local a=($(descendants "$1")); echo ${#a[@]}; }
same_proc() { pstat "$1" && [ "${S[19]}" = "${BENCH_START[$1]:-x}" ] && [ "${S[0]}" != Z ]; }

ns_add() { ip netns add "$1" && BENCH_NS+=("$1") && ip -n "$1" link set lo up; }

# daemon_start KEY NS BIN CONF [extra args]: keepalived in the foreground, logging to the console.
daemon_start() {
    local key=$1 ns=$2 bin=$3 conf=$4
    shift 4
    rm -f "$BENCH_W/$key".{pid,vpid,cpid}
    ip netns exec "$ns" "$bin" -n -l -f "$conf" -p "$BENCH_W/$key.pid" -r "$BENCH_W/$key.vpid" \
        -c "$BENCH_W/$key.cpid" "$@" >>"$BENCH_W/$key.log" 2>&1 &
    BENCH_DAEMON[$key]=$!
    disown $!
    pause 0.05
    descendants $! >/dev/null
}
# daemon_signal KEY SIG [tree]: signal the main pid, or the whole tree (children first).
daemon_signal() {
    local m=${BENCH_DAEMON[$1]:-} a i
    [ -n "$m" ] || return 0
    a=($(descendants "$m"))
    if [ "${3:-}" = tree ]; then
        for ((i = ${#a[@]} - 1; i >= 0; i--)); do kill "-$2" "${a[i]}" 2>/dev/null || true; done
    else
        kill "-$2" "$m" 2>/dev/null || true
    fi
}
# daemon_stop KEY [SIG]: signal (TERM by default), wait up to 10 s, then SIGKILL what is left.
daemon_stop() {
    local m=${BENCH_DAEMON[$1]:-} a p i left
    [ -n "$m" ] || return 0
    a=($(descendants "$m"))
    [ ${#a[@]} -gt 0 ] && kill "-${2:-TERM}" "$m" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        left=0
        for p in "${a[@]}"; do same_proc "$p" && left=1; done
        [ $left = 0 ] && break
        pause 0.1
    done
    for p in "${a[@]}"; do same_proc "$p" && kill -KILL "$p" 2>/dev/null; done
    unset "BENCH_DAEMON[$1]"
}
bench_cleanup() {
    local rc=$? k p n
    set +e
    trap - EXIT INT TERM
    for k in "${!BENCH_DAEMON[@]}"; do daemon_stop "$k"; done
    for p in "${!BENCH_START[@]}"; do same_proc "$p" && kill -KILL "$p" 2>/dev/null; done
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    for n in "${BENCH_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then msg "work dir kept: $BENCH_W"; else rm -rf "$BENCH_W"; fi
    exit $rc
}
bench_init() { # tag binaries...
    BENCH_TAG=$1
    shift
    BENCH_W=$(mktemp -d "/tmp/kbench-$BENCH_TAG.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    [ "$(id -u)" = 0 ] || fail "run as root (network namespaces)"
    local b
    for b in "$@"; do [ -x "$b" ] || fail "missing executable $b"; done
}

median() { # values as arguments; NA ignored
    printf '%s\n' "$@" | awk '/^-?[0-9.]+$/' | sort -g |
        awk '{v[NR] = $1} END {if (!NR) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.3f", a / b}'; }
# figure NAME OURS THEIRS: one line per figure with the ratio.
figure() { printf '%-34s ours=%-10s theirs=%-10s ratio=%s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

# The large LVS configuration of the parse and reload figures on stdout:
# one VRRP instance on eth0, then VS virtual servers x RS real servers, each
# real server with a TCP_CHECK (a size users report, keepalived issue #2318).
lvs_bench_conf() { # router_id vs rs
    printf 'global_defs {\n    router_id %s\n}\n' "$1"
    printf 'vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 100\n'
    printf '    virtual_ipaddress {\n        192.0.2.100/24\n    }\n}\n'
    awk -v nvs="$2" -v nrs="$3" 'BEGIN {
        for (i = 0; i < nvs; i++) {
            printf "virtual_server 10.%d.%d.%d 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n", 1 + int(i / 62500), int(i / 250) % 250, i % 250 + 1
            for (r = 0; r < nrs; r++) {
                j = i * nrs + r
                printf "    real_server 10.%d.%d.%d 8080 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", 100 + int(j / 62500), int(j / 250) % 250, j % 250 + 1
            }
            print "}"
        }
    }'
}
