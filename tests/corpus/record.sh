#!/usr/bin/env bash
# Records Debian's keepalived 2.2.7 verdict on each configuration of the
# corpus (tests/corpus/configs/NNNN.conf) beside it, in
# tests/corpus/expected/NNNN.verdict: the interfaces the namespace held, the
# `-t` exit status, the first line a message names, and the messages.
#
# Each file is tested as a user would: `keepalived -t -f NNNN.conf` inside a
# network namespace of its own that holds every interface the file names
# (one end of a veth pair each; the namespace is removed even on failure).
# tests/corpus.rs runs our keepalived the same way and compares.
#
#   sudo bash tests/corpus/record.sh            # every configuration
#   sudo bash tests/corpus/record.sh 0007 0123  # some of them
#   sudo bash tests/corpus/record.sh --kinds    # the small set we wrote, one
#                                               # file per kind of difference
#                                               # (tests/corpus/kinds)
#
# To grow the corpus: add NNNN.conf under configs/ with its origin in
# ORIGINS.tsv, then run this script for it. KEEPALIVED overrides the binary
# (default /usr/sbin/keepalived, which must be 2.2.7).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --kinds ]; then
    here="$here/kinds"
    shift
fi
export KEEPALIVED=${KEEPALIVED:-/usr/sbin/keepalived}
# The scripts a configuration names are looked up in this PATH (2.2.7 flags
# scripts that exist when script security is off): the same in the test.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export CORPUS_NS_PREFIX="kc$$-"

if [ "$(id -u)" != 0 ]; then
    echo "record.sh: network namespaces need root" >&2
    exit 1
fi
version=$("$KEEPALIVED" --version 2>&1 || true)
if [[ "$version" != *"Keepalived v2.2.7"* ]]; then
    echo "record.sh: $KEEPALIVED is not keepalived 2.2.7" >&2
    exit 1
fi

# The interfaces a configuration names: the value of interface,
# lvs_sync_daemon_interface, lvs_sync_daemon, default_interface and dev, and
# the entries of track_interface (inline or as a block). Only names that can
# be real interface names are taken (a letter first, at most 15 characters):
# placeholders such as <interface>, ${IF} or an address stay missing, as on a
# real machine. The same rule is in tests/corpus.rs only through the list
# recorded here.
interfaces() {
    sed -e 's/[#!].*//' "$1" | awk '
        function take(n) { if (n ~ /^[A-Za-z][A-Za-z0-9_.-]*$/ && length(n) <= 15 && n != "lo") seen[n] = 1 }
        {
            if (inblock) {
                for (i = 1; i <= NF; i++) if ($i == "}") { inblock = 0; next }
                if (NF > 0) take($1)
                next
            }
            for (i = 1; i <= NF; i++) {
                t = $i
                if (t == "interface" || t == "lvs_sync_daemon_interface" || t == "lvs_sync_daemon" || t == "default_interface" || t == "dev") {
                    if (i < NF) take($(i + 1))
                } else if (t == "track_interface" || t == "track_interface{") {
                    if (i == NF || $(i + 1) == "{" || t == "track_interface{") { inblock = 1; next }
                    take($(i + 1))
                }
            }
        }
        END { for (n in seen) print n }' | sort
}
export -f interfaces

record_one() {
    local id=$1 conf="$here/configs/$1.conf" out="$here/expected/$1.verdict"
    local ns="${CORPUS_NS_PREFIX}$1" n=0 ifs msgs code
    ifs=$(interfaces "$conf" | tr '\n' ' ')
    ip netns add "$ns"
    trap 'ip netns del "$ns" 2>/dev/null || true' RETURN
    ip -n "$ns" link set lo up
    for i in $ifs; do
        ip -n "$ns" link add "$i" type veth peer name "kcp$n"
        ip -n "$ns" link set "kcp$n" up
        ip -n "$ns" link set "$i" up
        n=$((n + 1))
    done
    local raw
    raw=$(mktemp)
    set +e
    (cd "$here/configs" && timeout 20 ip netns exec "$ns" "$KEEPALIVED" -t -f "$1.conf" > "$raw" 2>&1)
    code=$?
    set -e
    # Control bytes (a binary file echoed back) made visible as cat -v does.
    msgs=$(cat -v "$raw")
    rm -f "$raw"
    # The first message that names a line: "(FILE: Line N)" or "(Line N)".
    local first
    first=$(printf '%s\n' "$msgs" | sed -n -E 's/^\(([^()]*: )?Line ([0-9]+)\).*/\2/p' | head -n 1)
    {
        echo "# keepalived 2.2.7 -t -f $1.conf in a network namespace holding the interfaces below"
        echo "interfaces: ${ifs% }"
        echo "exit: $code"
        echo "first: ${first:-none}"
        echo "messages:"
        [ -n "$msgs" ] && printf '%s\n' "$msgs"
    } > "$out"
    echo "$1 exit $code first ${first:-none}"
}
export -f record_one
export here

mkdir -p "$here/expected"
if [ $# -gt 0 ]; then
    ids=("$@")
else
    mapfile -t ids < <(cd "$here/configs" && ls -- *.conf | sed 's/\.conf$//')
fi
printf '%s\n' "${ids[@]}" | xargs -P "$(nproc)" -n 1 bash -c 'record_one "$1"' _
