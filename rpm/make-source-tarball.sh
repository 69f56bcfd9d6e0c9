#!/bin/sh
# rpm/make-source-tarball.sh - the source tarball RPM packagers (and Debian
# builders without network) build from: the source tree plus every crate of
# Cargo.lock vendored (`cargo vendor`), with .cargo/config.toml pointing cargo
# at vendor/, so that `cargo build --release --locked --offline` needs no
# network.  rpm/keepalived-rs.spec's Source0.
#
# Usage: rpm/make-source-tarball.sh [OUTDIR]
#   writes OUTDIR/keepalived-rs-VERSION.tar.gz (default OUTDIR: the current
#   directory) and prints its path.  The files are the checkout's tracked and
#   untracked-but-not-ignored files (a dirty tree is packed as it is).
#   Crates come from cargo's local registry cache when they are there
#   (`cargo fetch` downloads the missing ones).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(cd "${1:-.}" && pwd)
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
NAME=keepalived-rs-$VERSION
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

mkdir "$TMP/$NAME"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$ROOT" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
    (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$TMP/$NAME"

cd "$TMP/$NAME"
# Offline first (the crates of a checkout that was built are all cached).
if ! cargo vendor --locked --offline vendor >"$TMP/vendor.toml" 2>"$TMP/vendor.err"; then
    cargo fetch --locked >/dev/null
    cargo vendor --locked vendor >"$TMP/vendor.toml"
fi
{
    echo
    echo "# Added by rpm/make-source-tarball.sh: crates come from vendor/ (offline builds)."
    cat "$TMP/vendor.toml"
} >>.cargo/config.toml

cd "$TMP"
# Reproducible: sorted names, fixed owner and time (the last commit's).
MTIME=$(git -C "$ROOT" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$MTIME" -czf "$OUT/$NAME.tar.gz" "$NAME"
echo "$OUT/$NAME.tar.gz"
