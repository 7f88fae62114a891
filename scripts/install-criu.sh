#!/usr/bin/env bash
# Sets up a CRIU >= 4.2 that passes `criu check`, for Phaul's tests and users
# (and Debian's rsync, which file-system migration uses on both hosts, and runc with a static
# busybox, which container migration and its test containers use).
# Idempotent: a second run only re-checks. Why sid: bookworm's CRIU 3.17 fails on
# kernel 6.x (vDSO bounds), trixie's 4.1.1 cannot dump INET sockets (SO_PASSCRED),
# and sid's needs glibc >= 2.38, so on Debian 12 sid's CRIU and its libraries
# (sid's glibc included) are unpacked into a private prefix; the system is untouched.
# Env: PHAUL_CRIU_PREFIX (default /opt/phaul-criu), PHAUL_CRIU_SUITE (default sid).
set -euo pipefail

PREFIX=${PHAUL_CRIU_PREFIX:-/opt/phaul-criu}
SUITE=${PHAUL_CRIU_SUITE:-sid}
MIN_VERSION=4.2
MIRROR=http://deb.debian.org/debian
export DEBIAN_FRONTEND=noninteractive

log() { echo "install-criu: $*" >&2; }
die() { echo "*** install-criu FAILED: $*" >&2; exit 1; }

# "Version: 4.2.1" -> 4.2.1 (empty if the binary does not even start).
criu_version() { "$1" --version 2>/dev/null | awk '/^Version:/ {print $2}'; }

version_ok() { # $1 >= MIN_VERSION?
    [[ -n $1 && $(printf '%s\n%s\n' "$MIN_VERSION" "$1" | sort -V | head -n1) == "$MIN_VERSION" ]]
}

# A CRIU is usable when it is new enough and `criu check` likes this kernel.
criu_usable() {
    [[ -x $1 ]] || return 1
    version_ok "$(criu_version "$1")" || return 1
    "$1" check 2>&1 | grep -q 'Looks good\.'
}

# Installs the listed Debian packages that are missing (one system `apt-get update`).
apt_ensure() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "cannot install ${missing[*]}: no apt-get here"
    log "installing ${missing[*]} from the system's apt sources"
    if [[ -z ${APT_UPDATED:-} ]]; then apt-get update -qq; APT_UPDATED=1; fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Private apt setup pointing only at $SUITE; the system's sources, lists, package
# cache and dpkg status are never touched. DEP-11 (appstream) metadata is not needed.
private_apt_opts() {
    local work=$1
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" >"$work/sources.list"
    APT_OPTS=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=/dev/null
        -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
        -o Dir::State::status=/dev/null -o Dir::Etc::preferences=/dev/null
        -o Dir::Etc::preferencesparts=/dev/null
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false)
}

# Real packages criu needs at run time. Virtual packages ("<name>") and the
# indented "Depends:" lines are dropped. The closure is small (criu, glibc and ~25
# libraries, no python), so it is taken whole rather than hard-coded: a new sid
# upload may change it.
criu_packages() {
    apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances criu |
        grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u
}

# Downloads sid's criu and its closure, unpacks it into a staging copy of
# $PREFIX, makes the criu binary use the prefix's loader and libraries, then swaps
# the staging copy in (a failed build leaves a previous prefix alone).
build_private_criu() {
    local work stage triplet ld deb pkgs=()
    work=$(mktemp -d /tmp/phaul-criu.XXXXXX)
    WORK=$work
    trap 'rm -rf "$WORK"' EXIT
    chmod 755 "$work"
    private_apt_opts "$work"
    log "fetching the $SUITE package index (private apt config)"
    apt-get "${APT_OPTS[@]}" update -qq
    mapfile -t pkgs < <(criu_packages)
    ((${#pkgs[@]})) || die "apt-cache found no criu in $SUITE"
    log "downloading ${#pkgs[@]} packages: ${pkgs[*]}"
    mkdir "$work/debs"
    chown _apt "$work/debs" 2>/dev/null || true # apt downloads as the user _apt
    (cd "$work/debs" && apt-get "${APT_OPTS[@]}" download -qq "${pkgs[@]}")
    stage=$work/prefix
    for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$stage"; done

    triplet=$(uname -m)-linux-gnu
    ld=$(cd "$stage/usr/lib/$triplet" && ls ld-linux*.so.* 2>/dev/null | head -n1 || true)
    [[ -n $ld ]] || die "no dynamic loader in the unpacked libc6"
    mkdir -p "$stage/bin"
    cp "$stage/usr/sbin/criu" "$stage/bin/criu"
    # --force-rpath: a RUNPATH would not apply to the libraries' own dependencies
    # (loading then fails on libunistring.so.5); an RPATH does.
    patchelf --set-interpreter "$PREFIX/usr/lib/$triplet/$ld" \
        --force-rpath --set-rpath "$PREFIX/usr/lib/$triplet" "$stage/bin/criu"

    rm -rf "$PREFIX.old"
    [[ ! -e $PREFIX ]] || mv "$PREFIX" "$PREFIX.old"
    mkdir -p "$(dirname "$PREFIX")"
    mv "$stage" "$PREFIX"
    rm -rf "$PREFIX.old"
}

# /usr/local/bin/criu -> our binary, unless that name belongs to something else.
link_on_path() {
    local link=/usr/local/bin/criu target=$PREFIX/bin/criu
    if [[ -L $link && $(readlink "$link") == "$target" ]]; then return 0; fi
    if [[ -e $link || -L $link ]] && [[ $(readlink -f "$link") != "$PREFIX"/* ]]; then
        log "leaving $link alone (not ours)"; return 0
    fi
    mkdir -p /usr/local/bin
    ln -sfn "$target" "$link"
}

# Without CAP_SYS_RESOURCE CRIU cannot grow pipes past this limit, and remote lazy
# migration then fails (page-pipe splice). Not persistent across reboots.
raise_pipe_max() {
    local want=8388608 cur
    cur=$(cat /proc/sys/fs/pipe-max-size)
    if ((cur < 4194304)); then echo "$want" >/proc/sys/fs/pipe-max-size; log "fs.pipe-max-size $cur -> $want"; fi
}

# CRIU probes the kernel's features (about 55 ms here) in every call unless it finds its cache,
# /run/criu.kdat, which it writes only on a tmpfs (so that a reboot clears it). Where /run is not a
# tmpfs (as on this project's VMs), every restore pays the probe while the tree is frozen. So the
# cache is written by `criu check` in a private mount namespace whose /run is a tmpfs, and copied
# to /run; one older than the last boot is written again.
ensure_kdat_cache() {
    local criu=$1 cache=/run/criu.kdat booted fresh
    [[ $(stat -f -c %T /run) != tmpfs ]] || return 0
    booted=$(awk '/^btime/ {print $2}' /proc/stat)
    [[ -s $cache && $(stat -c %Y "$cache") -ge $booted ]] && return 0
    fresh=$(mktemp) || { log "warning: no temporary file for CRIU's kernel-feature cache; every CRIU call probes the kernel"; return 0; }
    # A CRIU killed while saving leaves this behind, and then no CRIU ever saves again.
    rm -f "$cache.tmp"
    if unshare --mount sh -c 'mount -t tmpfs phaul-kdat /run && "$1" check >/dev/null 2>&1 && cat /run/criu.kdat' sh "$criu" >"$fresh" &&
        [[ -s $fresh ]] && install -m 600 "$fresh" "$cache"; then
        log "CRIU's kernel-feature cache written to $cache (/run is not a tmpfs, so CRIU would not keep it)"
    else
        # A full /run, say: no half-written cache is left (CRIU would find it stale anyway).
        rm -f "$cache"
        log "warning: could not write CRIU's kernel-feature cache; every CRIU call probes the kernel"
    fi
    rm -f "$fresh"
}

main() {
    [[ $(id -u) == 0 ]] || die "run as root (CRIU needs it, and so do the installs)"
    local criu="" path_criu
    path_criu=$(command -v criu || true)
    # Our prefix first: after a previous run, `criu` on PATH is just our symlink.
    if criu_usable "$PREFIX/bin/criu"; then
        criu=$PREFIX/bin/criu
    elif [[ -n $path_criu ]] && criu_usable "$path_criu"; then
        criu=$path_criu
    elif command -v dpkg >/dev/null && command -v apt-get >/dev/null; then
        apt_ensure patchelf iptables rsync runc busybox-static # one system apt run for all
        build_private_criu
        criu=$PREFIX/bin/criu
    else
        die "no usable CRIU >= $MIN_VERSION found and this is not Debian: install one"
    fi
    [[ $criu != "$PREFIX/bin/criu" ]] || link_on_path
    # CRIU's TCP network lock runs iptables; without it --tcp-established dumps fail.
    # rsync copies file-system subtrees (phaul migrate --fs-subtree) on both hosts; runc checkpoints and
    # restores OCI containers (Phaul.Containers), whose tests build root file systems from a static busybox.
    if command -v dpkg >/dev/null; then apt_ensure iptables rsync runc busybox-static; fi
    raise_pipe_max
    ensure_kdat_cache "$criu"

    local version check
    version=$(criu_version "$criu")
    version_ok "$version" || die "$criu reports version '${version:-none}', need >= $MIN_VERSION"
    check=$("$criu" check 2>&1) || true
    grep -q 'Looks good\.' <<<"$check" || die "'$criu check' failed:"$'\n'"$check"
    log "OK: CRIU $version at $criu ($(grep 'Looks good' <<<"$check"))"
    echo "Tests find it via PHAUL_CRIU (else 'criu' on PATH):"
    echo "export PHAUL_CRIU=$criu"
}

main "$@"
