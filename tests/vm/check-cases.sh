# check-cases.sh -- the cases of tests/check_vm.rs, run inside the IPVS VM
# (busybox sh): the health checkers driving the table. Debian's keepalived
# 2.2.7 and ours run the same scenarios (tests/data/check/vm/*.conf, copied
# to /case); after each step the table is sampled once it has changed and
# stayed the same for a while (or a step's time has passed), so the two
# sequences of tables can be compared. Then ours alone: a reload keeps the
# checkers' state, and the two deployments this project started from, end
# to end in network namespaces.
. /case/lib.sh

# keepalived_script exists: scripts run as that user.
echo 'keepalived_script:x:1500:1500::/tmp:/bin/false' >>/etc/passwd
echo 'keepalived_script:x:1500:' >>/etc/group
chmod 755 /case /case/*.sh
mkdir -p /tmp/www /tmp/db
chmod 777 /tmp/db

# now: seconds since boot, two decimals.
now() { read -r _u _ </proc/uptime; echo "$_u"; }

# listen PORT: a TCP listener (accepts and closes) whose pid is in /tmp/l.PORT;
# each connection appends a line to /tmp/hits.PORT.
listen() {
    nc -ll -p "$1" -e /case/hit.sh "$1" >/dev/null 2>&1 &
    echo $! >"/tmp/l.$1"
}
unlisten() {
    kill "$(cat "/tmp/l.$1")" 2>/dev/null
    rm -f "/tmp/l.$1"
}
# web ADDR:PORT: busybox httpd serving /tmp/www (pid in /tmp/web.ADDR:PORT).
web() {
    httpd -f -p "$1" -h /tmp/www &
    echo $! >"/tmp/web.$1"
}
unweb() {
    kill "$(cat "/tmp/web.$1")" 2>/dev/null
    rm -f "/tmp/web.$1"
}

# The table without ipvsadm's three header lines.
tbl() { $IPVSADM -Ln | tail -n +4; }

# quiet SECS MAX: waits until the table stayed the same for SECS (at most MAX s).
quiet() {
    _prev=$(tbl) _t0=$(now) _since=$(now)
    while :; do
        sleep 0.2
        _cur=$(tbl)
        if [ "$_cur" != "$_prev" ]; then
            _prev=$_cur
            _since=$(now)
        fi
        awk -v a="$_since" -v b="$(now)" -v s="$1" 'BEGIN { exit !(b - a >= s) }' && return 0
        awk -v a="$_t0" -v b="$(now)" -v s="$2" 'BEGIN { exit !(b - a >= s) }' && return 1
    done
}

# step SECS COMMAND: runs COMMAND, waits for the table to change (at most
# SECS s), then for it to stay the same for 1.5 s, and records it.
step() {
    _secs=$1
    shift
    _before=$(tbl)
    eval "$*"
    _t0=$(now)
    while [ "$(tbl)" = "$_before" ]; do
        awk -v a="$_t0" -v b="$(now)" -v s="$_secs" 'BEGIN { exit !(b - a >= s) }' && break
        sleep 0.1
    done
    _changed=$(awk -v a="$_t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    quiet 1.5 10
    record "$* (changed after ${_changed}s)"
}
record() {
    { echo "## $1"; tbl; } >>"$SEQ"
}

# scenario NAME CONF SETUP STEPS: for theirs then ours: SETUP (shell), start
# the daemon, wait for its first table (recorded at once: "first") and for
# the table to settle ("start"), then run STEPS (a shell function using
# `step`), stop, and send back the sequence (NAME.WHO.seq) and the log.
scenario() {
    _name=$1 _conf=$2 _setup=$3 _steps=$4
    for who in theirs ours; do
        say "case $_name $who"
        reset
        SEQ=/tmp/$_name.$who.seq
        : >"$SEQ"
        eval "$_setup"
        if [ $who = theirs ]; then _b=$THEIRS; else _b=$OURS; fi
        start "$_b" "$_name.$who" "$_conf"
        _i=0
        while [ $_i -lt 200 ] && ! tbl | grep -q -- '->'; do
            sleep 0.05
            _i=$((_i + 1))
        done
        record first
        quiet 2.5 15
        record start
        $_steps
        stop "$_name.$who"
        emit "$_name.$who.seq" "$SEQ"
        logs "$_name.$who"
        # What notify scripts and FIFO readers saw.
        for _f in notes fifo; do
            [ -e "/tmp/$_f.log" ] && emit "$_name.$who.$_f" "/tmp/$_f.log"
        done
        cleanup
    done
}
cleanup() {
    for f in /tmp/l.*; do [ -e "$f" ] && unlisten "${f#/tmp/l.}"; done
    for f in /tmp/web.*; do [ -e "$f" ] && unweb "${f#/tmp/web.}"; done
    rm -f /tmp/hits.* /tmp/db/* /tmp/tf1 /tmp/notes.log /tmp/fifo.log
    true
}

# ---------------------------------------------------------------- verdicts
# TCP_CHECK: a dead listener takes the server out, or to weight 0 with
# inhibit_on_failure; back when it listens again.
verdict_setup() { listen 9001; listen 9002; }
verdict_steps() {
    step 8 unlisten 9001
    step 8 unlisten 9002
    step 8 listen 9001
    step 8 listen 9002
}
scenario verdict /case/verdict.conf verdict_setup verdict_steps

# HTTP_GET with a digest, no fast_recovery: a changed page takes the server
# out; restored, it comes back one delay_loop after its first good check.
http_setup() { echo "health page" >/tmp/www/check.html; web 127.0.1.3:8080; }
http_steps() {
    step 10 'echo "changed" >/tmp/www/check.html'
    step 12 'echo "health page" >/tmp/www/check.html'
}
scenario http /case/http.conf http_setup http_steps

# Quorum 2, hysteresis 1, a sorry server: servers leave one by one, the
# quorum holds down to 1 and is lost at 0 (the sorry server comes in at
# weight 1); it is gained again only at 3.
quorum_setup() { listen 9011; listen 9012; listen 9013; }
quorum_steps() {
    step 8 unlisten 9011
    step 8 unlisten 9012
    step 8 unlisten 9013
    step 6 listen 9011
    step 6 listen 9012
    step 8 listen 9013
}
scenario quorum /case/quorum.conf quorum_setup quorum_steps

# Failing at start: without alpha a server is in the table at start and
# leaves after its first failure; with alpha it is not added until it works.
start_setup() { listen 9032; }
start_steps() { step 6 listen 9033; }
scenario start /case/start.conf start_setup start_steps

# ha_suspend: while the virtual server's address is not on the box its
# checkers do not probe (a dead real server stays in); added, they run;
# removed again, they stop (a server that recovers meanwhile stays out).
suspend_setup() { :; }
suspend_steps() {
    step 6 ip addr add 10.61.0.60/32 dev lo
    step 3 'ip addr del 10.61.0.60/32 dev lo; listen 9061'
    step 6 ip addr add 10.61.0.60/32 dev lo
    ip addr del 10.61.0.60/32 dev lo
}
scenario suspend /case/suspend.conf suspend_setup suspend_steps

# A database pool behind MISC_CHECK scripts whose exit status sets the
# weight (misc_dynamic): 0 the configured weight, 1 down, 2+N weight N.
db() { echo "$2" >"/tmp/db/$1"; }
db_setup() { db 1 0; db 2 0; db 3 0; }
db_steps() {
    step 8 db 1 5
    step 8 db 2 1
    step 8 db 3 255
    step 8 db 2 4
    step 8 db 1 0
    step 8 db 3 2
}
scenario db /case/db.conf db_setup db_steps
# Who ran the scripts.
cat /tmp/db.uid 2>/dev/null | sort -u >/tmp/db.uids
emit db.uids /tmp/db.uids

# FILE_CHECK: the file's value times its weight is added to the weight.
file_setup() { echo 0 >/tmp/tf1; }
file_steps() {
    step 6 'echo 3 >/tmp/tf1'
    step 6 'echo -5 >/tmp/tf1'
    step 6 'echo 2 >/tmp/tf1'
    step 6 'rm -f /tmp/tf1'
}
scenario file /case/file.conf file_setup file_steps

# PING_CHECK: the loopback answers; ping_group_range is widened while the
# checker runs and put back after.
ping_steps() {
    record "range $(tr '\t' ' ' </proc/sys/net/ipv4/ping_group_range)"
}
ping_setup() { echo "1	0" >/proc/sys/net/ipv4/ping_group_range; }
scenario ping /case/ping.conf ping_setup ping_steps
echo "after $(tr '\t' ' ' </proc/sys/net/ipv4/ping_group_range)" >/tmp/ping.after
emit ping.after /tmp/ping.after

# DNS_CHECK against dnsmasq: an answer is up, so is a NOERROR reply without
# answers (AAAA of an A-only name); NXDOMAIN is down; no server, down.
# SMTP_CHECK against a scripted SMTP server: a 554 banner or a 502 reply to
# HELO is down.
dns_up() {
    dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
        --local=/check.test/ --host-record=up.check.test,10.9.9.9 --pid-file= --user=root --port=5301 \
        >/dev/null 2>&1 &
    echo $! >/tmp/dnsmasq.pid
}
dns_down() { kill "$(cat /tmp/dnsmasq.pid)" 2>/dev/null; rm -f /tmp/dnsmasq.pid; }
dns_smtp_setup() {
    dns_up
    echo ok >/tmp/smtp.mode
    nc -ll -p 2525 -e /case/smtp.sh >/dev/null 2>&1 &
    echo $! >/tmp/l.2525
    sleep 0.5
}
dns_smtp_steps() {
    step 8 'echo 554 >/tmp/smtp.mode'
    step 8 'echo ok >/tmp/smtp.mode'
    step 8 'echo 502 >/tmp/smtp.mode'
    step 8 'echo ok >/tmp/smtp.mode'
    step 8 dns_down
    step 8 dns_up
    dns_down
}
scenario dns_smtp /case/dns_smtp.conf dns_smtp_setup dns_smtp_steps

# ---------------------------------------------------------------- reload
# A reload with unchanged checkers: the failed server stays out (it never
# reappears in the table), the healthy one is not checked again from
# scratch (its listener sees no connection until its next delay_loop).
for who in theirs ours; do
    say "case reload $who"
    reset
    SEQ=/tmp/reload.$who.seq
    : >"$SEQ"
    listen 9042
    cp /case/reload.conf /tmp/reload.conf
    if [ $who = theirs ]; then b=$THEIRS; else b=$OURS; fi
    start "$b" "reload.$who" /tmp/reload.conf
    quiet 2.5 15
    record start
    hits0=$(cat /tmp/hits.9042 2>/dev/null | wc -l)
    sed 's/# reload here/# reloaded/' /case/reload.conf >/tmp/reload.conf
    kill -HUP "$(cat "/tmp/reload.$who.pid")"
    t0=$(now)
    seen=no
    while awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a < 5) }'; do
        tbl | grep -q '127.0.4.1:9041' && seen=yes
        sleep 0.1
    done
    hits1=$(cat /tmp/hits.9042 2>/dev/null | wc -l)
    record "reloaded: failed server seen=$seen, healthy server checks before=$hits0 after=$hits1"
    stop "reload.$who"
    emit "reload.$who.seq" "$SEQ"
    logs "reload.$who"
    cleanup
done

# ---------------------------------------------------------------- dump
for who in theirs ours; do
    say "case dump $who"
    reset
    listen 9051
    if [ $who = theirs ]; then b=$THEIRS; else b=$OURS; fi
    rm -f /tmp/keepalived_check.data
    start "$b" "dump.$who" /case/dump.conf
    quiet 3 15
    sleep 2
    kill -USR1 "$(cat "/tmp/dump.$who.pid")"
    sleep 1
    emit "dump.$who.data" /tmp/keepalived_check.data
    stop "dump.$who"
    logs "dump.$who"
    cleanup
done

# ---------------------------------------------------------------- end to end
# The first deployment: two directors (VRRP MASTER d1 and BACKUP d2) in
# front of two real servers in LVS-DR (each holds the VIP on lo and does
# not answer ARP for it), HTTP_GET on port 80 and TCP_CHECK on the TCP port
# of a UDP service (53); a client on the same LAN keeps fetching the page
# through the VIP while a real server's web server dies, then d1 dies (its
# daemon killed and its link gone). d1 runs ours; d2 runs $1 (ours|theirs).
e2e_up() {
    $IP netns add lan
    $IP -n lan link set lo up
    $IP -n lan link add br0 type bridge
    $IP -n lan link set br0 up
    for n in d1 d2 r1 r2 cli; do
        $IP netns add $n
        $IP -n $n link set lo up
        $IP -n lan link add "v-$n" type veth peer name eth0 netns $n
        $IP -n lan link set "v-$n" master br0
        $IP -n lan link set "v-$n" up
        $IP netns exec $n sh -c 'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done'
    done
    $IP -n d1 addr add 10.70.0.11/24 dev eth0
    $IP -n d2 addr add 10.70.0.12/24 dev eth0
    $IP -n r1 addr add 10.70.0.21/24 dev eth0
    $IP -n r2 addr add 10.70.0.22/24 dev eth0
    $IP -n cli addr add 10.70.0.100/24 dev eth0
    for n in d1 d2 r1 r2 cli; do $IP -n $n link set eth0 up; done
    for n in r1 r2; do
        $IP netns exec $n sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
            net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
        $IP -n $n addr add 10.70.0.200/32 dev lo
        mkdir -p "/tmp/www-$n"
        echo "served by $n" >"/tmp/www-$n/index.html"
        $IP netns exec $n httpd -f -p 80 -h "/tmp/www-$n" &
        echo $! >"/tmp/httpd.$n"
        $IP netns exec $n nc -ll -p 53 -e /bin/true >/dev/null 2>&1 &
        echo $! >"/tmp/dns.$n"
    done
}
e2e_down() {
    for f in /tmp/httpd.* /tmp/dns.*; do kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
    for n in d1 d2 r1 r2 cli lan; do $IP netns del $n 2>/dev/null; done
}
# director NAME WHO: starts ours or theirs in namespace NAME with /case/NAME.conf.
director() {
    if [ "$2" = theirs ]; then _b=$THEIRS; else _b=$OURS; fi
    $IP netns exec "$1" $_b -n -l -D -f "/case/$1.conf" -p "/tmp/$1.pid" -c "/tmp/$1.cpid" \
        -r "/tmp/$1.vpid" >"/tmp/e2e.$1.log" 2>&1 &
}
# One request through the VIP: "ok SERVER" or "fail".
fetch() {
    _r=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | $IP netns exec cli nc -w 1 10.70.0.200 80 2>/dev/null |
        grep 'served by' | tr -d '\r')
    if [ -n "$_r" ]; then echo "ok ${_r#served by }"; else echo fail; fi
}
e2e() {
    _case=$1 _who2=$2
    say "case $_case (d2: $_who2)"
    reset
    e2e_up
    director d1 ours
    sleep 1
    director d2 "$_who2"
    _i=0
    until $IP -n d1 addr show dev eth0 | grep -q 10.70.0.200; do
        sleep 0.2
        _i=$((_i + 1))
        [ $_i -gt 100 ] && { say "$_case: no VIP on d1"; break; }
    done
    _i=0
    until [ "$($IP netns exec d1 $IPVSADM -Ln | grep -c 'Route')" -ge 4 ]; do
        sleep 0.2
        _i=$((_i + 1))
        [ $_i -gt 100 ] && { say "$_case: d1's table not complete"; break; }
    done
    { echo "### d1 before"; $IP netns exec d1 $IPVSADM -Ln; } >"/tmp/$_case.tables"
    T0=$(now)
    # The client: a request every 0.2 s, each line "SECONDS RESULT".
    (
        while [ ! -e /tmp/e2e.stop ]; do
            echo "$(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') $(fetch)"
            sleep 0.2
        done
    ) >"/tmp/$_case.client" &
    _client=$!
    sleep 5
    echo "r1-dies $(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')" >"/tmp/$_case.events"
    kill "$(cat /tmp/httpd.r1)"
    sleep 8
    { echo "### d1 after r1 died"; $IP netns exec d1 $IPVSADM -Ln; } >>"/tmp/$_case.tables"
    echo "d1-dies $(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')" >>"/tmp/$_case.events"
    kill -KILL "$(cat /tmp/d1.pid)" "$(cat /tmp/d1.cpid)" "$(cat /tmp/d1.vpid)" 2>/dev/null
    $IP -n d1 link set eth0 down
    sleep 12
    { echo "### d2 after d1 died"; $IP netns exec d2 $IPVSADM -Ln; $IP -n d2 addr show dev eth0; } >>"/tmp/$_case.tables"
    touch /tmp/e2e.stop
    wait $_client
    rm -f /tmp/e2e.stop
    kill -TERM "$(cat /tmp/d2.pid)" 2>/dev/null
    sleep 2
    emit "$_case.client" "/tmp/$_case.client"
    emit "$_case.events" "/tmp/$_case.events"
    emit "$_case.tables" "/tmp/$_case.tables"
    emit "$_case.d1.log" /tmp/e2e.d1.log
    emit "$_case.d2.log" /tmp/e2e.d2.log
    e2e_down
    rm -f /tmp/d1.* /tmp/d2.*
}
e2e e2e_ours ours
e2e e2e_mixed theirs

reset
exit 0
