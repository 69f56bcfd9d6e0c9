# lib.sh -- helpers for case scripts run inside the IPVS VM (busybox sh).
# Sourced by /case/run.sh; see tests/vm/ipvs-vm.sh.

OURS=/usr/local/bin/keepalived-rs
THEIRS=/usr/sbin/keepalived
# By full path: busybox's shell runs its own applets of these names first.
IP=/usr/local/bin/ip
IPVSADM=/usr/local/bin/ipvsadm

# emit NAME FILE: sends FILE back to the host as CASEDIR/out/NAME.
emit() {
    echo "@@FILE $1"
    base64 "$2"
    echo "@@EOF"
}

# say TEXT: a progress line on the console.
say() { echo "@@ $*"; }

# start BIN TAG CONF [ARGS...]: runs a daemon in the foreground mode, its
# log in /tmp/TAG.log and its pid in /tmp/TAG.pid.
start() {
    _bin=$1 _tag=$2 _conf=$3
    shift 3
    # $_bin may carry an "env VAR=value" prefix: split it on purpose.
    # shellcheck disable=SC2086
    $_bin -n -l -D -f "$_conf" "$@" >"/tmp/$_tag.log" 2>&1 &
    echo $! >"/tmp/$_tag.pid"
}

# table: the table as ipvsadm lists it, with the sync daemons.
table() { $IPVSADM -Ln 2>&1; $IPVSADM -L --daemon 2>&1; }

# settle: waits until the table is not empty (at most 8 s), then until it
# stays the same for a second.
settle() {
    _i=0
    while [ $_i -lt 80 ] && [ "$($IPVSADM -Ln | wc -l)" -le 3 ] && [ -z "$($IPVSADM -L --daemon)" ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    _prev="" _same=0 _i=0
    while [ $_i -lt 120 ]; do
        _cur=$(table)
        if [ "$_cur" = "$_prev" ]; then
            _same=$((_same + 1))
            [ $_same -ge 4 ] && return 0
        else
            _same=0
        fi
        _prev=$_cur
        sleep 0.25
        _i=$((_i + 1))
    done
    return 1
}

# views TAG: every ipvsadm view, into out/TAG.views.
views() {
    {
        echo "### -Ln"; $IPVSADM -Ln 2>&1
        echo "### -Ln --stats"; $IPVSADM -Ln --stats 2>&1
        echo "### -Ln --thresholds"; $IPVSADM -Ln --thresholds 2>&1
        echo "### -Ln --persistent-conn"; $IPVSADM -Ln --persistent-conn 2>&1
        echo "### -Ln --tun-info"; $IPVSADM -Ln --tun-info 2>&1
        echo "### -l --daemon"; $IPVSADM -l --daemon 2>&1
        echo "### -L --timeout"; $IPVSADM -L --timeout 2>&1
    } >"/tmp/$1.views"
    emit "$1.views" "/tmp/$1.views"
}

# stop TAG: SIGTERM, then waits (at most 20 s) for the daemon to exit.
stop() {
    _pid=$(cat "/tmp/$1.pid")
    kill -TERM "$_pid" 2>/dev/null
    _i=0
    while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 200 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    if kill -0 "$_pid" 2>/dev/null; then
        say "$1 did not stop within 20 s"
        kill -KILL "$_pid" 2>/dev/null
    fi
    wait "$_pid" 2>/dev/null
    # The children too (the parent may have gone first).
    sleep 0.2
}

# logs TAG: the daemon's log, into out/TAG.log.
logs() { emit "$1.log" "/tmp/$1.log"; }

# reset: a clean kernel state for the next run.
reset() {
    $IPVSADM -C
    $IPVSADM --set 900 120 300
    $IPVSADM --stop-daemon master 2>/dev/null
    $IPVSADM --stop-daemon backup 2>/dev/null
    true
}

# wait_for TEXT: waits (at most 20 s) until the table shows TEXT.
wait_for() {
    _i=0
    while [ $_i -lt 200 ] && ! table | grep -q "$1"; do
        sleep 0.1
        _i=$((_i + 1))
    done
}

# run_pair NAME CONF [ARGS...]: the same configuration under keepalived
# 2.2.7 then under ours, each: start, settle, views, SIGTERM, views after.
# $PRE runs before each start; $OURS_ENV (VAR=value) is set for ours only;
# with $WAIT_FOR the table must show that text before the views are taken.
run_pair() {
    _name=$1 _conf=$2
    shift 2
    for _who in theirs ours; do
        reset
        [ -n "${PRE:-}" ] && eval "$PRE"
        if [ $_who = theirs ]; then
            start "$THEIRS" "$_name.$_who" "$_conf" "$@"
        elif [ -n "${OURS_ENV:-}" ]; then
            start "env $OURS_ENV $OURS" "$_name.$_who" "$_conf" "$@"
        else
            start "$OURS" "$_name.$_who" "$_conf" "$@"
        fi
        settle || say "$_name.$_who: table did not settle"
        if [ -n "${WAIT_FOR:-}" ]; then
            wait_for "$WAIT_FOR"
            settle
        fi
        views "$_name.$_who"
        stop "$_name.$_who"
        views "$_name.$_who.after"
        logs "$_name.$_who"
    done
    reset
}
