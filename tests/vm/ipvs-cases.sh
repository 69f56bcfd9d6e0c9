# ipvs-cases.sh -- the cases of tests/ipvs_vm.rs, run inside the IPVS VM
# (busybox sh): Debian's keepalived 2.2.7 and ours on the same
# configurations (tests/data/ipvs/vm/*.conf, copied to /case), with every
# ipvsadm view and the daemons' logs sent back to the host for comparison.
. /case/lib.sh

# An interface for the sync daemon and the VRRP instance, and routes that
# take traffic to the reload case's services.
$IP link add kr0 type veth peer name kr1
$IP link set kr0 up
$IP link set kr1 up
$IP addr add 10.98.0.1/24 dev kr0
$IP route add 10.11.0.0/16 dev kr0
$IP route add 10.12.0.0/16 dev kr0

for c in schedulers methods ipv6 groups quorum syncd twos; do
    say "case $c"
    run_pair "$c" "/case/$c.conf"
done
say "case syncd_inst"
WAIT_FOR="master sync daemon" run_pair syncd_inst /case/syncd_inst.conf

say "case flush"
PRE='$IPVSADM -A -t 10.50.0.1:80 -s rr' run_pair flush /case/flush.conf
say "case flushvs"
PRE='$IPVSADM -A -t 10.50.0.1:80 -s rr; $IPVSADM -a -t 10.50.0.1:80 -r 10.50.1.1 -m' run_pair flushvs /case/flushvs.conf
say "case keep"
run_pair keep /case/keep.conf -I
say "case foreign"
PRE='$IPVSADM -A -t 10.50.0.2:80 -s wlc; $IPVSADM -a -t 10.50.0.2:80 -r 10.50.1.2 -g' run_pair foreign /case/keep.conf

say "case sockopt"
OURS_ENV=KEEPALIVED_RS_IPVS_SOCKOPT=1 run_pair sockopt /case/sockopt.conf
say "case sockopt6"
reset
start "env KEEPALIVED_RS_IPVS_SOCKOPT=1 $OURS" sockopt6.ours /case/sockopt6.conf
settle
views sockopt6.ours
stop sockopt6.ours
views sockopt6.ours.after
logs sockopt6.ours

# Notify scripts: what ran at start, then what ran at shutdown (sorted:
# scripts run side by side).
for who in theirs ours; do
    say "case scripts $who"
    reset
    rm -f /tmp/scripts.log
    if [ $who = theirs ]; then b=$THEIRS; else b=$OURS; fi
    start "$b" "scripts.$who" /case/scripts.conf
    settle
    sleep 0.5
    { echo "@start"; sort /tmp/scripts.log 2>/dev/null; } >/tmp/scripts.result
    rm -f /tmp/scripts.log
    stop "scripts.$who"
    sleep 0.5
    { echo "@stop"; sort /tmp/scripts.log 2>/dev/null; } >>/tmp/scripts.result
    emit "scripts.$who.result" /tmp/scripts.result
    logs "scripts.$who"
done
reset

# Reload: traffic to every service first, so that the counters of the
# entries a reload must not touch are not zero.
# One connection attempt to each service (nothing answers; IPVS counts the
# connection as it schedules it), one after the other.
traffic_reload() {
    for v in 1 2 3 4 5; do
        nc -w 1 10.11.0.$v 80 </dev/null >/dev/null 2>&1
    done
}
for who in theirs ours; do
    say "case reload $who"
    reset
    cp /case/reload_a.conf /tmp/reload.conf
    if [ $who = theirs ]; then b=$THEIRS; else b=$OURS; fi
    start "$b" "reload.$who" /tmp/reload.conf
    settle
    traffic_reload
    # The kernel adds up its counters every 2 s.
    sleep 2.5
    views "reload.$who.before"
    cp /case/reload_b.conf /tmp/reload.conf
    kill -HUP "$(cat "/tmp/reload.$who.pid")"
    sleep 1
    settle
    sleep 2.5
    views "reload.$who.reloaded"
    stop "reload.$who"
    views "reload.$who.after"
    logs "reload.$who"
done
reset

# Traffic: a client namespace, two NAT real servers and a DR real server in
# namespaces of their own, each behind a veth pair; this VM is the director.
say "case traffic"
sysctl -qw net.ipv4.ip_forward=1
for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done
# The DR server answers from the VIP through this director, which holds the
# VIP too: let such packets in.
sysctl -qw net.ipv4.conf.all.accept_local=1
$IP netns add cli
$IP netns add rs1
$IP netns add rs2
$IP netns add rs3
$IP link add d-cli type veth peer name c0 netns cli
$IP link add d-rs1 type veth peer name r0 netns rs1
$IP link add d-rs2 type veth peer name r0 netns rs2
$IP link add d-rs3 type veth peer name r0 netns rs3
$IP addr add 10.10.0.1/24 dev d-cli
$IP addr add 10.10.0.80/32 dev d-cli
$IP addr add 10.10.0.81/32 dev d-cli
$IP addr add 10.20.1.1/24 dev d-rs1
$IP addr add 10.20.2.1/24 dev d-rs2
$IP addr add 10.30.0.1/24 dev d-rs3
for l in d-cli d-rs1 d-rs2 d-rs3; do $IP link set "$l" up; done
$IP -n cli addr add 10.10.0.2/24 dev c0
$IP -n rs1 addr add 10.20.1.2/24 dev r0
$IP -n rs2 addr add 10.20.2.2/24 dev r0
$IP -n rs3 addr add 10.30.0.2/24 dev r0
$IP -n rs3 addr add 10.10.0.81/32 dev lo
for n in cli rs1 rs2 rs3; do
    $IP -n $n link set lo up
    $IP netns exec $n sh -c 'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done'
done
$IP netns exec rs3 sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
$IP -n cli link set c0 up
$IP -n cli route add default via 10.10.0.1
for n in 1 2; do
    $IP -n rs$n link set r0 up
    $IP -n rs$n route add default via 10.20.$n.1
done
$IP -n rs3 link set r0 up
$IP -n rs3 route add default via 10.30.0.1
for n in 1 2 3; do
    mkdir -p /tmp/www$n
    echo "rs$n" >/tmp/www$n/index.html
    $IP netns exec rs$n httpd -p 80 -h /tmp/www$n
done
# The body of http://$1/ from the client namespace (busybox's static wget
# cannot run here: an HTTP/1.0 request through nc).
get() { printf 'GET / HTTP/1.0\r\n\r\n' | $IP netns exec cli nc -w 3 "$1" 80 2>&1 | tail -n 1 | tr -d '\r\n'; }
cp /case/traffic_a.conf /tmp/traffic.conf
start "$OURS" traffic.ours /tmp/traffic.conf
settle
{
    for i in 1 2 3; do echo "nat-a $(get 10.10.0.80)"; done
    for i in 1 2 3; do echo "dr $(get 10.10.0.81)"; done
} >/tmp/traffic.result
sleep 2.5
views traffic.ours.a
cp /case/traffic_b.conf /tmp/traffic.conf
kill -HUP "$(cat /tmp/traffic.ours.pid)"
sleep 1
settle
for i in 1 2 3; do echo "nat-b $(get 10.10.0.80)"; done >>/tmp/traffic.result
sleep 2.5
views traffic.ours.b
stop traffic.ours
emit traffic.result /tmp/traffic.result
logs traffic.ours
reset
exit 0
