#!/usr/bin/env bash
# capture-fixtures.sh - capture REAL adverts sent by Debian's keepalived and
# store them as byte fixtures for tests/vrrp_codec.rs.
#
# Topology (nothing touches the root namespace):
#   netns kr<pid>-a : eth0 02:00:00:00:77:01, 10.77.0.1/24, fe80::ff:fe00:7701
#                     keepalived runs here with the fixed config below
#   netns kr<pid>-b : eth0 02:00:00:00:77:02, 10.77.0.2/24; tcpdump listens here
#
# Instances (one keepalived, all on eth0):
#   vrid 51  v2 auth PASS "s3cret", prio 150, three VIPs (multiple VIPs)
#   vrid 52  v2 auth AH   "s3cret", prio 150, state BACKUP (AH forbids MASTER)
#   vrid 53  v2 no auth, prio 100
#   vrid 54  v3 IPv4, prio 200, advert_int 1 (100 centiseconds), two VIPs
#   vrid 55  v3 IPv4, advert_int 0.5 (50 centiseconds)
# (keepalived 2.2.7 has no v3_checksum_as_v2; that mode is tested synthetically)
#   vrid 56  v3 IPv6, link-local source, two VIPs
#   vrid 57  v2 PASS unicast to 10.77.0.2
#   vrid 58  v2 AH unicast (the ICV covers a zeroed TTL)
#   vrid 59  v3 unicast (the pseudo-header carries the peer's address)
# After ~6 s keepalived gets SIGTERM and sends priority-0 adverts.
#
# Output: tests/data/vrrp/<name>.hex - the whole IP packet as it was on the
# wire (IPv4 or IPv6 header included; the tests strip the IPv6 header the way a
# raw socket does), preceded by '#' comment lines with tcpdump's decode.
# Usage: sudo tests/capture-fixtures.sh  (requires root, keepalived, tcpdump)
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=tests/data/vrrp
PFX=kr$$-
A=${PFX}a B=${PFX}b
WORK=$(mktemp -d /tmp/capture-fixtures.XXXXXX)
KA_PID="" TD_PID=""
CREATED_NS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
die() { log "FATAL: $*" >&2; exit 1; }

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [ -n "$KA_PID" ] && kill -KILL "$KA_PID" 2>/dev/null && wait "$KA_PID" 2>/dev/null
    # the VRRP child, if its parent died first
    if [ -s "$WORK/vrrp.pid" ]; then kill -KILL "$(cat "$WORK/vrrp.pid")" 2>/dev/null; fi
    [ -n "$TD_PID" ] && kill -TERM "$TD_PID" 2>/dev/null && wait "$TD_PID" 2>/dev/null
    for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "must run as root"
for b in keepalived tcpdump ip; do command -v $b >/dev/null || die "$b missing"; done

for ns in $A $B; do
    ip netns add "$ns"
    CREATED_NS+=("$ns")
    ip -n "$ns" link set lo up
done
ip -n $A link add eth0 address 02:00:00:00:77:01 type veth peer name eth0 netns $B address 02:00:00:00:77:02
for ns in $A $B; do
    # no DAD: the link-local address is usable at once
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip -n $A addr add 10.77.0.1/24 dev eth0
ip -n $B addr add 10.77.0.2/24 dev eth0
ip -n $A link set eth0 up
ip -n $B link set eth0 up
sleep 1

cat > "$WORK/keepalived.conf" <<'EOF'
global_defs {
    router_id fixtures
}
vrrp_instance PASS {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        10.77.0.100/24
        10.77.0.101/24
        10.77.0.102/24
    }
}
vrrp_instance AH {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 150
    advert_int 1
    authentication {
        auth_type AH
        auth_pass s3cret
    }
    virtual_ipaddress {
        10.77.0.110/24
    }
}
vrrp_instance NONE {
    state MASTER
    interface eth0
    virtual_router_id 53
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.77.0.120/24
    }
}
vrrp_instance V3 {
    version 3
    state MASTER
    interface eth0
    virtual_router_id 54
    priority 200
    advert_int 1
    virtual_ipaddress {
        10.77.0.130/24
        10.77.0.131/24
    }
}
vrrp_instance V3C {
    version 3
    state MASTER
    interface eth0
    virtual_router_id 55
    priority 100
    advert_int 0.5
    virtual_ipaddress {
        10.77.0.140/24
    }
}
vrrp_instance V6 {
    version 3
    state MASTER
    interface eth0
    virtual_router_id 56
    priority 100
    advert_int 1
    virtual_ipaddress {
        fe80::56/64
        2001:db8::56/64
    }
}
vrrp_instance UPASS {
    state MASTER
    interface eth0
    virtual_router_id 57
    priority 150
    advert_int 1
    unicast_src_ip 10.77.0.1
    unicast_peer {
        10.77.0.2
    }
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        10.77.0.150/24
    }
}
vrrp_instance UAH {
    state BACKUP
    interface eth0
    virtual_router_id 58
    priority 150
    advert_int 1
    unicast_src_ip 10.77.0.1
    unicast_peer {
        10.77.0.2
    }
    authentication {
        auth_type AH
        auth_pass s3cret
    }
    virtual_ipaddress {
        10.77.0.160/24
    }
}
vrrp_instance UV3 {
    version 3
    state MASTER
    interface eth0
    virtual_router_id 59
    priority 150
    advert_int 1
    unicast_src_ip 10.77.0.1
    unicast_peer {
        10.77.0.2
    }
    virtual_ipaddress {
        10.77.0.170/24
    }
}
EOF
ip netns exec $A keepalived -t -f "$WORK/keepalived.conf" || die "config test failed"

ip netns exec $B tcpdump -i eth0 -nn -U -s 0 -w "$WORK/cap.pcap" 'ip proto 112 or ip proto 51 or ip6 proto 112' \
    > "$WORK/tcpdump.log" 2>&1 &
TD_PID=$!
sleep 1
ip netns exec $A keepalived -n -l -D -f "$WORK/keepalived.conf" \
    -p "$WORK/ka.pid" -r "$WORK/vrrp.pid" -c "$WORK/chk.pid" > "$WORK/ka.log" 2>&1 &
KA_PID=$!
sleep 7
kill -TERM "$KA_PID"
wait "$KA_PID" 2>/dev/null || true
KA_PID=""
sleep 1
kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null || true; TD_PID=""

mkdir -p "$OUT"
# save <name> <count> <tcpdump filter>: the first <count> matching packets,
# one fixture file each (<name>.hex, or <name>-<n>.hex when count > 1)
save() {
    local name=$1 count=$2 filter=$3 n=0 file
    mapfile -t decodes < <(tcpdump -r "$WORK/cap.pcap" -nn -v -c "$count" "$filter" 2>/dev/null | paste -d' ' - -)
    [ ${#decodes[@]} -gt 0 ] || die "no packet for $name ($filter)"
    while [ $n -lt ${#decodes[@]} ]; do
        file=$OUT/$name.hex
        [ "$count" -gt 1 ] && file=$OUT/$name-$((n + 1)).hex
        {
            echo "# captured by tests/capture-fixtures.sh from $(keepalived -v 2>&1 | head -1)"
            echo "# ${decodes[$n]}" | sed 's/  */ /g'
            # -x prints the packet without its link-level header, as hex
            tcpdump -r "$WORK/cap.pcap" -nn -x "$filter" 2>/dev/null \
                | awk -v want=$((n + 1)) '/^[^ \t]/ { pkt++ } pkt == want && /^[ \t]+0x/ { $1 = ""; sub(/^ /, ""); print }'
        } > "$file"
        log "wrote $file"
        n=$((n + 1))
    done
}
# IPv4 (IHL 5): VRRP at 20 (vrid 21, prio 22); behind AH at 44 (vrid 45, prio 46)
# IPv6 (no extension headers): VRRP at 40 (vrid 41, prio 42)
save v2_pass 1 'ip proto 112 and ip[21] = 51 and ip[22] != 0'
save v2_pass_prio0 1 'ip proto 112 and ip[21] = 51 and ip[22] = 0'
save v2_ah 3 'ip proto 51 and ip[45] = 52 and ip[46] != 0'
save v2_ah_prio0 1 'ip proto 51 and ip[45] = 52 and ip[46] = 0'
save v2_none 1 'ip proto 112 and ip[21] = 53 and ip[22] != 0'
save v3_ipv4 1 'ip proto 112 and ip[21] = 54 and ip[22] != 0'
save v3_ipv4_prio0 1 'ip proto 112 and ip[21] = 54 and ip[22] = 0'
save v3_ipv4_half 1 'ip proto 112 and ip[21] = 55 and ip[22] != 0'
save v3_ipv6 1 'ip6 proto 112 and ip6[41] = 56 and ip6[42] != 0'
save v3_ipv6_prio0 1 'ip6 proto 112 and ip6[41] = 56 and ip6[42] = 0'
save v2_pass_unicast 1 'ip proto 112 and ip[21] = 57 and ip[22] != 0'
save v2_ah_unicast 1 'ip proto 51 and ip[45] = 58 and ip[46] != 0'
save v3_ipv4_unicast 1 'ip proto 112 and ip[21] = 59 and ip[22] != 0'
grep -hE 'Entering|WARNING|rror' "$WORK/ka.log" | sed 's/^/   ka: /' | head -20 || true
log "done"
