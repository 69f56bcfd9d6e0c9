#!/usr/bin/env bash
# bench/ipvs-scale.sh [OURS] [THEIRS] - programming a large IPVS table, ours
# and Debian's keepalived 2.2.7 in the same boot of the IPVS VM
# (tests/vm/ipvs-vm.sh: this machine's kernel may have no IPVS).
#
# The configuration: VS virtual servers x RS real servers (NAT, weight 1,
# no health checkers: the figure is about the table, not the checks).
# Figures, medians over RUNS alternated runs of each daemon:
#   ipvs_cold_start_s  exec of the daemon -> the last virtual server has all
#                      its real servers (the table is then checked complete)
#   ipvs_reload_s      SIGHUP with a file where 1 % of the virtual servers
#                      changed a weight -> the last changed one shows it (all
#                      changes then checked)
# Both daemons program the virtual servers in configuration order, so the
# last one is a fair end mark. The VM is emulated (qemu TCG): absolute
# times are slow, compare the two columns.
# Env: VS=2284 RS=16 RUNS=3, KR_VM_* as tests/vm/ipvs-vm.sh takes them.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")/.." && pwd)
OURS=${1:-$here/target/x86_64-unknown-linux-gnu/release/keepalived}
THEIRS=${2:-/usr/sbin/keepalived}
VS=${VS:-2284} RS=${RS:-16} RUNS=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "run as root (the VM harness)"; exit 1; }
for b in "$OURS" "$THEIRS"; do [ -x "$b" ] || { echo "missing $b"; exit 1; }; done
W=$(mktemp -d /tmp/kbench-ipvs.XXXXXX)
trap 'rm -rf "$W"' EXIT

# conf CHANGED: the configuration; virtual servers i with i % 100 == 83 get
# weight CHANGED on their first real server (23 of 2,284, the last included).
conf() {
    printf 'global_defs {\n    router_id bench\n    lvs_flush_on_stop\n}\n'
    awk -v nvs="$VS" -v nrs="$RS" -v w="$1" 'BEGIN {
        for (i = 0; i < nvs; i++) {
            printf "virtual_server 10.%d.%d.%d 80 {\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n", 1 + int(i / 62500), int(i / 250) % 250, i % 250 + 1
            for (r = 0; r < nrs; r++) {
                j = i * nrs + r
                printf "    real_server 10.%d.%d.%d 8080 {\n        weight %d\n    }\n", 100 + int(j / 62500), int(j / 250) % 250, j % 250 + 1, (r == 0 && i % 100 == 83) ? w : 1
            }
            print "}"
        }
    }'
}
conf 1 >"$W/a.conf"
conf 2 >"$W/b.conf"
last=$((VS - 1))
LAST_VIP="10.$((1 + last / 62500)).$(((last / 250) % 250)).$((last % 250 + 1))"
# The last changed virtual server (i % 100 == 83) and its first real server.
lc=$(((VS - 1 - 83) / 100 * 100 + 83))
LC_VIP="10.$((1 + lc / 62500)).$(((lc / 250) % 250)).$((lc % 250 + 1))"
j=$((lc * RS))
LC_RIP="10.$((100 + j / 62500)).$(((j / 250) % 250)).$((j % 250 + 1))"
CHANGED=$(((VS - 1 - 83) / 100 + 1))
echo "config: $VS virtual servers x $RS real servers, $(wc -l <"$W/a.conf") lines; reload changes $CHANGED" >&2

cat >"$W/run.sh" <<EOF
. /case/lib.sh
RUNS=$RUNS
EOF
cat >>"$W/run.sh" <<'EOF'
# Each run in a network namespace of its own: IPVS state is per namespace,
# and the kernel keeps removed real servers in a trash list that every later
# addition walks for a minute (a run after another would pay for it).
for i in $(seq 1 "$RUNS"); do
    for who in theirs ours; do
        ns=b$i$who
        $IP netns add $ns
        $IP -n $ns link set lo up
        $IP netns exec $ns sh /case/one.sh $who | tee -a /tmp/results
    done
done
emit results /tmp/results
EOF
cat >"$W/one.sh" <<EOF
. /case/lib.sh
VS=$VS RS=$RS CHANGED=$CHANGED
LAST_VIP=$LAST_VIP LC_VIP=$LC_VIP LC_RIP=$LC_RIP
EOF
cat >>"$W/one.sh" <<'EOF'
who=$1
if [ "$who" = theirs ]; then b=$THEIRS; else b=$OURS; fi
now() { read -r u _ </proc/uptime; echo "$u"; }
# Seconds since T0 (two decimals, from /proc/uptime).
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
dests_of() { $IPVSADM -Ln -t "$1:80" 2>/dev/null | grep -c -- '->' || true; }
cp /case/a.conf /tmp/bench.$who.conf
t0=$(now)
$b -n -l -f /tmp/bench.$who.conf -p /tmp/$who.pid -r /tmp/$who.vpid -c /tmp/$who.cpid >/tmp/bench.$who.log 2>&1 &
pid=$!
# ipvsadm lists a header line beside the real servers.
until [ "$(dests_of "$LAST_VIP")" -ge $((RS + 1)) ]; do
    sleep 0.02
    [ "$(since "$t0" | cut -d. -f1)" -lt 600 ] || { say "$who: no complete table"; break; }
done
cold=$(since "$t0")
total=$(($(grep -c -- '->' /proc/net/ip_vs) - 1))
cp /case/b.conf /tmp/bench.$who.conf
t0=$(now)
kill -HUP $pid
until $IPVSADM -Ln -t "$LC_VIP:80" 2>/dev/null | grep -q "$LC_RIP:8080 *Masq *2 "; do
    sleep 0.02
    [ "$(since "$t0" | cut -d. -f1)" -lt 600 ] || { say "$who: reload not seen"; break; }
done
reload=$(since "$t0")
changed=$($IPVSADM -Ln | grep -c ':8080 *Masq *2 ' || true)
echo "$who cold=$cold reload=$reload dests=$total changed=$changed"
kill -TERM $pid
while kill -0 $pid 2>/dev/null; do sleep 0.1; done
EOF
echo "$OURS keepalived-rs" >"$W/bins"
bash "$here/tests/vm/ipvs-vm.sh" "$W" >&2 || { echo "result: FAILED (the VM run failed; console in $W/console.log)"; trap - EXIT; exit 1; }
cat "$W/out/results" >&2
med() { # who field
    awk -v w="$1" -v f="$2" '$1 == w { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$W/out/results" |
        sort -g | awk '{v[NR] = $1} END {if (!NR) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
for f in cold reload; do
    o=$(med ours $f)
    t=$(med theirs $f)
    r=$(awk -v a="$o" -v b="$t" 'BEGIN { if (b + 0 == 0 || a == "NA") print "NA"; else printf "%.3f", a / b }')
    printf '%-34s ours=%-10s theirs=%-10s ratio=%s\n' "ipvs_${f}_s" "$o" "$t" "$r"
done
for who in ours theirs; do
    d=$(awk -v w=$who '$1 == w {print $4}' "$W/out/results" | sort -u | paste -sd,)
    c=$(awk -v w=$who '$1 == w {print $5}' "$W/out/results" | sort -u | paste -sd,)
    echo "runs $who: $d (want dests=$((VS * RS))) $c (want changed=$CHANGED)"
done
