# tests/env.sh - sourced by tests/run-all.sh and tests/lab.sh (not run).
#
# Who builds: cargo runs as the owner of the checkout, with that user's
# toolchain (rustup's ~/.cargo/bin), also under `sudo`, whose PATH lacks it.
# So `sudo bash tests/run-all.sh` in a user's clone never leaves root-owned
# files in target/ or in the user's ~/.cargo, and root never needs a
# toolchain of its own. Run by root in a root-owned checkout (CI), cargo runs
# as root as usual.
#
#   kr_setup_builder        sets BUILDER (user name) and BUILD (a command
#                           prefix: "${BUILD[@]}" cargo ...); exits with a
#                           message when no cargo is found
#   kr_builder_is_me        whether cargo runs as the current user
#   kr_restore_ownership P  gives back to BUILDER what root created under P...
#   kr_apt_need PKG...      (root, unless SKIP_INSTALL=1) installs the
#                           Debian packages of the list that are missing

kr_home_of() { getent passwd "$1" | cut -d: -f6; }

kr_setup_builder() {
    local owner home
    owner=$(stat -c %U .)
    BUILDER=$(id -un)
    BUILD=(env)
    if [ "$(id -u)" = 0 ] && [ "$owner" != root ] && [ "$owner" != UNKNOWN ]; then
        home=$(kr_home_of "$owner")
        BUILDER=$owner
        BUILD=(runuser -u "$owner" -- env HOME="$home" USER="$owner" LOGNAME="$owner"
            PATH="$home/.cargo/bin:/usr/local/bin:/usr/bin:/bin")
    elif ! command -v cargo >/dev/null; then
        # sudo in a root-owned checkout: root's own rustup, off sudo's PATH.
        home=$(kr_home_of "$(id -un)")
        PATH="$home/.cargo/bin:$PATH"
    fi
    if ! "${BUILD[@]}" sh -c 'command -v cargo' >/dev/null; then
        echo "no cargo for user $BUILDER: install Rust with rustup (https://rustup.rs) as $BUILDER" >&2
        exit 1
    fi
    echo "building as $BUILDER with $("${BUILD[@]}" sh -c 'command -v cargo')"
}

kr_builder_is_me() { [ "$BUILDER" = "$(id -un)" ]; }

# The builder's toolchain environment, for a root process that must run
# cargo itself (dpkg-buildpackage): PATH, CARGO_HOME and RUSTUP_HOME.
kr_builder_toolchain_env() {
    local home
    home=$(kr_home_of "$BUILDER")
    echo "PATH=$home/.cargo/bin:$PATH" "CARGO_HOME=$home/.cargo" "RUSTUP_HOME=$home/.rustup"
}

kr_restore_ownership() {
    kr_builder_is_me && return 0
    local group p
    group=$(id -gn "$BUILDER")
    for p in "$@"; do
        [ -e "$p" ] && find "$p" -user 0 -exec chown -h "$BUILDER:$group" {} + 2>/dev/null
    done
    return 0
}

kr_apt_need() {
    local need=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    [ ${#need[@]} -gt 0 ] || return 0
    if [ "${SKIP_INSTALL:-0}" = 1 ] || [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages (not installed: SKIP_INSTALL=1 or not root): ${need[*]}" >&2
        return 1
    fi
    echo "installing ${need[*]}"
    apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
