#!/usr/bin/env bash
# ipvs-vm.sh -- run a test case inside a small VM whose kernel has IPVS.
#
# This machine's kernel may have no IP_VS; Debian's cloud kernel ships it as
# modules. The VM is that kernel under qemu (software emulation by default)
# with a busybox initramfs holding ipvsadm, iproute2's ip, Debian's
# keepalived 2.2.7 (with its shared libraries) and whatever the case adds.
# One boot runs one case script; it writes its results as files, which come
# back on the serial console (base64 between markers) into CASEDIR/out/.
#
# Usage:  tests/vm/ipvs-vm.sh CASEDIR
#   CASEDIR/run.sh       the case (busybox sh), run as /case/run.sh in the VM
#                        with /case/lib.sh (tests/vm/lib.sh) beside it
#   CASEDIR/bins         optional: host executables to include, one absolute
#                        path per line ("PATH" or "PATH AS-NAME"); they go to
#                        /usr/local/bin with their shared libraries
#   CASEDIR/...          anything else is copied to /case as is
# Results: CASEDIR/console.log (the whole console), CASEDIR/out/* (files the
# case emitted with `emit`), exit status 0 when the case script exited 0,
# 1 when it failed, 2 when the VM could not be prepared or did not boot.
#
# Nothing is installed on this machine: Debian packages (the kernel,
# busybox-static, qemu when qemu-system-x86_64 is not installed) are fetched
# with `apt-get download` and unpacked under the cache directory.
#
# Environment:
#   KR_VM_CACHE    cache directory          (default /var/cache/keepalived-rs-vm)
#   KR_VM_KERNEL   kernel meta package      (default linux-image-cloud-amd64)
#   KR_VM_ACCEL    tcg | kvm                (default tcg: nested KVM hangs here)
#   KR_VM_TIMEOUT  seconds before qemu is killed (default 600)
#   KR_VM_MEM      guest memory in MiB      (default 768)
#   KR_VM_SMP      guest CPUs               (default 2)
set -euo pipefail

CACHE=${KR_VM_CACHE:-/var/cache/keepalived-rs-vm}
KPKG_META=${KR_VM_KERNEL:-linux-image-cloud-amd64}
ACCEL=${KR_VM_ACCEL:-tcg}
TIMEOUT=${KR_VM_TIMEOUT:-600}
MEM=${KR_VM_MEM:-768}
SMP=${KR_VM_SMP:-2}
MULTIARCH=x86_64-linux-gnu
HERE=$(cd "$(dirname "$0")" && pwd)

log() { printf 'ipvs-vm: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

[ $# -eq 1 ] || die "usage: $0 CASEDIR"
CASE=$(cd "$1" && pwd)
[ -f "$CASE/run.sh" ] || die "no run.sh in $CASE"
[ "$(id -u)" = 0 ] || die "must run as root (apt-get download, mknod)"
for t in apt-get apt-cache dpkg dpkg-query ldd gzip timeout base64; do
    command -v "$t" >/dev/null || die "missing host tool: $t"
done

mkdir -p "$CACHE/debs"
# Several test runs may prepare the cache at once.
exec 9>"$CACHE/.lock"
flock 9

APT_UPDATED=0
apt_download() {
    local need=() p
    for p in "$@"; do
        ls "$CACHE/debs/${p}_"*.deb >/dev/null 2>&1 || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    log "apt-get download ${need[*]}"
    if ! (cd "$CACHE/debs" && apt-get download "${need[@]}" >&2 2>&1); then
        [ $APT_UPDATED = 1 ] && die "apt-get download ${need[*]} failed"
        apt-get update >&2 || true
        APT_UPDATED=1
        (cd "$CACHE/debs" && apt-get download "${need[@]}" >&2) || die "apt-get download ${need[*]} failed"
    fi
}
unpack() {
    local dest=$1 p f
    shift
    mkdir -p "$dest"
    for p in "$@"; do
        f=$(ls "$CACHE/debs/${p}_"*.deb 2>/dev/null | head -n1)
        [ -n "$f" ] || die "no downloaded package $p"
        dpkg -x "$f" "$dest"
    done
}

# ------------------------------------------------------------ kernel
if ! apt-cache show "$KPKG_META" >/dev/null 2>&1; then
    apt-get update >&2 || true
    APT_UPDATED=1
fi
KPKG=$(apt-cache depends "$KPKG_META" 2>/dev/null | awk '$1=="Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
[ -n "$KPKG" ] || die "cannot resolve $KPKG_META to a kernel package"
KVER=${KPKG#linux-image-}
KROOT="$CACHE/kernel/$KVER"
if [ ! -f "$KROOT/.done" ]; then
    apt_download "$KPKG"
    rm -rf "$KROOT"
    unpack "$KROOT" "$KPKG"
    touch "$KROOT/.done"
fi
VMLINUZ="$KROOT/boot/vmlinuz-$KVER"
MODDIR="$KROOT/lib/modules/$KVER"
[ -f "$VMLINUZ" ] || die "no kernel image in $KPKG"
[ -f "$MODDIR/kernel/net/netfilter/ipvs/ip_vs.ko" ] || die "$KPKG has no ip_vs.ko"

# ------------------------------------------------------------ busybox
BB="$CACHE/busybox"
if [ ! -f "$BB/.done" ]; then
    apt_download busybox-static
    rm -rf "$BB"
    unpack "$BB" busybox-static
    touch "$BB/.done"
fi
BUSYBOX="$BB/bin/busybox"

# ------------------------------------------------------------ qemu
QEMU=()
if command -v qemu-system-x86_64 >/dev/null; then
    QEMU=(qemu-system-x86_64)
else
    QROOT="$CACHE/qemu-root"
    if [ ! -f "$QROOT/.done" ]; then
        # qemu-system-x86's dependency closure, minus what is installed here
        # (installing Debian's qemu could replace this machine's own qemu-utils).
        mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances --no-pre-depends qemu-system-x86 |
            grep -v '^ ' | grep -v '^<' | sort -u)
        missing=()
        for p in "${closure[@]}"; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
        done
        apt_download "${missing[@]}"
        rm -rf "$QROOT"
        unpack "$QROOT" "${missing[@]}"
        touch "$QROOT/.done"
    fi
    QLIB="$QROOT/lib/$MULTIARCH:$QROOT/usr/lib/$MULTIARCH"
    if LD_LIBRARY_PATH=$QLIB ldd "$QROOT/usr/bin/qemu-system-x86_64" | grep -q 'not found'; then
        die "qemu-system-x86_64 has unresolved libraries"
    fi
    QEMU=(env "LD_LIBRARY_PATH=$QLIB" "$QROOT/usr/bin/qemu-system-x86_64"
          -L "$QROOT/usr/share/qemu" -L "$QROOT/usr/share/seabios")
fi
flock -u 9

# ------------------------------------------------------------ initramfs
WORK=$(mktemp -d /tmp/kr-ipvs-vm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,run,etc,case,lib/$MULTIARCH,lib64,lib/modules/$KVER}
cp "$BUSYBOX" "$R/bin/busybox"
mkdir -p "$R/var"
ln -s /run "$R/var/run"
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"

# copy_bin SRC DEST: an executable and (if dynamic) its shared libraries.
copy_bin() {
    local src=$1 dest=$2 out lib
    install -D -m 755 "$src" "$R$dest"
    out=$(ldd "$src" 2>&1 || true)
    case $out in *"not a dynamic executable"* | *"statically linked"*) return 0 ;; esac
    if grep -q 'not found' <<<"$out"; then
        echo "$out" >&2
        die "unresolved libraries for $src"
    fi
    for lib in $(awk '/=> \//{print $3} /^[[:space:]]*\/.*ld-linux/{print $1}' <<<"$out"); do
        case $lib in
            */ld-linux-x86-64.so.2) cp -L "$lib" "$R/lib64/ld-linux-x86-64.so.2" ;;
            *) cp -L "$lib" "$R/lib/$MULTIARCH/$(basename "$lib")" ;;
        esac
    done
}
for tool in /usr/sbin/ipvsadm /usr/bin/ip; do
    [ -x "$tool" ] || die "missing host tool $tool (install ipvsadm and iproute2)"
    # Ahead of busybox's applets of the same name on PATH.
    copy_bin "$tool" "/usr/local/bin/$(basename "$tool")"
done
if [ -x /usr/sbin/keepalived ]; then
    copy_bin /usr/sbin/keepalived /usr/sbin/keepalived
fi
if [ -f "$CASE/bins" ]; then
    while read -r src as; do
        [ -n "$src" ] || continue
        [ -x "$src" ] || die "not an executable: $src"
        copy_bin "$src" "/usr/local/bin/${as:-$(basename "$src")}"
    done <"$CASE/bins"
fi

# Kernel modules: IPVS with every scheduler and the SIP persistence engine,
# veth and bridge for namespaces, and their dependencies.
declare -A MODPATH=() WANT=()
while IFS= read -r -d '' f; do
    n=$(basename "$f" .ko)
    MODPATH[${n//-/_}]=$f
done < <(find "$MODDIR/kernel" -name '*.ko' -print0)
add_mod() {
    local m=${1//-/_} f d
    [ -n "${WANT[$m]:-}" ] && return 0
    f=${MODPATH[$m]:-}
    [ -n "$f" ] || return 0
    WANT[$m]=$f
    for d in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do add_mod "$d"; done
}
MODULES="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_mh ip_vs_fo"
MODULES="$MODULES ip_vs_ovf ip_vs_sed ip_vs_nq ip_vs_twos ip_vs_pe_sip veth bridge"
for m in $MODULES; do add_mod "$m"; done
for m in "${!WANT[@]}"; do
    install -D -m 644 "${WANT[$m]}" "$R/lib/modules/$KVER/${WANT[$m]#"$MODDIR/"}"
done
cp "$MODDIR"/modules.builtin* "$MODDIR/modules.order" "$R/lib/modules/$KVER/" 2>/dev/null || true
"$BUSYBOX" depmod -b "$R" "$KVER"

cp -r "$CASE"/. "$R/case/"
rm -f "$R/case/console.log"
rm -rf "$R/case/out"
cp "$HERE/lib.sh" "$R/case/lib.sh"

cat >"$R/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/usr/local/bin:/sbin:/usr/sbin:/bin:/usr/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
ip link set lo up
for m in $MODULES; do modprobe \$m 2>/dev/null; done
echo; echo "@@BOOTED \$(uname -r)"
cd /case
sh /case/run.sh
echo "@@RC \$?"
sync
poweroff -f
EOF
chmod 755 "$R/init"

INITRD="$WORK/initrd.gz"
(cd "$R" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1 >"$INITRD")
log "kernel $KVER, initramfs $(du -h "$INITRD" | cut -f1), ${#WANT[@]} modules"

# ------------------------------------------------------------ boot
case $ACCEL in
    tcg) ACCEL_ARGS=(-accel tcg,thread=multi) ;;
    kvm) ACCEL_ARGS=(-accel kvm) ;;
    *) die "KR_VM_ACCEL must be tcg or kvm" ;;
esac
CONSOLE="$CASE/console.log"
t0=$(date +%s.%N)
set +e
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" "${ACCEL_ARGS[@]}" -smp "$SMP" -m "$MEM" \
    -kernel "$VMLINUZ" -initrd "$INITRD" -append 'console=ttyS0 quiet panic=-1' \
    -nographic -no-reboot -nic none </dev/null >"$CONSOLE.raw" 2>&1
qrc=$?
set -e
t1=$(date +%s.%N)
tr -d '\r' <"$CONSOLE.raw" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$CONSOLE"
rm -f "$CONSOLE.raw"
log "qemu exit $qrc after $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

# Files the case emitted: "@@FILE name" base64... "@@EOF".
mkdir -p "$CASE/out"
awk -v dir="$CASE/out" '
    /^@@FILE / { name = $2; tmp = dir "/" name ".b64"; printf "" > tmp; next }
    /^@@EOF/ { close(tmp); name = ""; next }
    name != "" && /^[A-Za-z0-9+\/=]+$/ { print >> tmp }
' "$CONSOLE"
for f in "$CASE"/out/*.b64; do
    [ -e "$f" ] || continue
    base64 -d "$f" >"${f%.b64}" || die "corrupt emitted file $f"
    rm -f "$f"
done

grep -q '^@@BOOTED' "$CONSOLE" || { tail -n 30 "$CONSOLE" >&2; log "the VM did not boot"; exit 2; }
rc=$(sed -n 's/^@@RC \([0-9]*\)$/\1/p' "$CONSOLE" | tail -n1)
[ -n "$rc" ] || { tail -n 30 "$CONSOLE" >&2; log "the case did not finish (qemu exit $qrc)"; exit 2; }
[ "$rc" = 0 ] || { log "the case script exited $rc"; exit 1; }
exit 0
