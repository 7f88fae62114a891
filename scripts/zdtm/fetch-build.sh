#!/usr/bin/env bash
# Fetches CRIU's source at the version of the installed CRIU, verifies it, and builds zdtm's test
# library and the named static tests (default: every test of tests/zdtm/corpus.txt) in a cache
# OUTSIDE the repository: nothing of CRIU is ever committed here.
# The source is Debian's orig tarball (the same upstream release scripts/install-criu.sh installs
# from Debian's package). Its SHA-256 is checked against a pinned value for the versions below, or,
# for another version, against the one in Debian's source index, which apt verifies through the
# archive's signed InRelease.
# Usage: scripts/zdtm/fetch-build.sh [TEST...]   (run as root; installs gcc/make when missing)
# Env: PHAUL_CRIU (default criu on PATH), PHAUL_ZDTM_CACHE (default /var/cache/phaul-zdtm).
# The last line of stdout is `export PHAUL_ZDTM_DIR=<cache>/criu-<version>/test/zdtm`.
set -euo pipefail
cd "$(dirname "$0")/../.."

MIRROR=http://deb.debian.org/debian
CACHE=${PHAUL_ZDTM_CACHE:-/var/cache/phaul-zdtm}
CORPUS=tests/zdtm/corpus.txt
# Upstream version -> SHA-256 of criu_<version>.orig.tar.xz, from Debian's criu_4.2.1-1.dsc.
declare -A PINNED_SHA256=(
    [4.2.1]=29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9
)

log() { echo "zdtm fetch-build: $*" >&2; }
die() { echo "*** zdtm fetch-build FAILED: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (it writes $CACHE and may install gcc/make)"

criu=${PHAUL_CRIU:-$(command -v criu || true)}
[[ -n $criu && -x $criu ]] || die "no CRIU: set PHAUL_CRIU or run scripts/install-criu.sh"
version=$("$criu" --version 2>/dev/null | awk '/^Version:/ {print $2}')
[[ $version =~ ^[0-9]+(\.[0-9]+)+$ ]] || die "'$criu --version' gave no version ('$version')"

ensure_tools() {
    local missing=() tool
    for tool in gcc make xz curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    log "installing gcc libc6-dev make xz-utils curl (missing: ${missing[*]})"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev make xz-utils curl >/dev/null
}

# Downloads criu_<version>.orig.tar.xz from the pool and checks the pinned checksum.
fetch_pinned() {
    local tarball=$1 expected=$2 url=$MIRROR/pool/main/c/criu/criu_$version.orig.tar.xz
    log "downloading $url"
    curl -fsSL --retry 3 -o "$tarball.part" "$url" || die "could not download $url"
    local actual
    actual=$(sha256sum "$tarball.part" | awk '{print $1}')
    [[ $actual == "$expected" ]] || die "$url has SHA-256 $actual, expected the pinned $expected"
    mv "$tarball.part" "$tarball"
}

# For a version without a pinned checksum: the orig tarball's SHA-256 from Debian sid's source
# index, which apt verifies through the archive's signed InRelease (private apt config; the
# system's sources are untouched), then the tarball from the pool, checked against it.
fetch_from_index() {
    local tarball=$1 work deb_version expected
    work=$(mktemp -d /tmp/phaul-zdtm-apt.XXXXXX)
    APT_WORK=$work
    trap 'rm -rf "$APT_WORK"' EXIT
    chmod 755 "$work" # apt downloads as the user _apt
    mkdir -p "$work/lists/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR sid main" >"$work/sources.list"
    local opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=/dev/null
        -o "Dir::State::Lists=$work/lists" -o Dir::State::status=/dev/null)
    log "no pinned checksum for CRIU $version: taking it from Debian sid's signed source index"
    apt-get "${opts[@]}" update -qq || die "apt-get update of sid's source index failed"
    deb_version=$(apt-cache "${opts[@]}" showsrc criu | awk '/^Version:/ {print $2}' | grep -m1 "^$version-" || true)
    [[ -n $deb_version ]] || die "Debian sid serves no criu source of version $version (pin its checksum in this script)"
    # The record of that version (paragraph mode), then its orig tarball's line under Checksums-Sha256.
    expected=$(apt-cache "${opts[@]}" showsrc criu | awk -v RS= -v v="$deb_version" '$0 ~ "\nVersion: " v "\n"' |
        awk -v f="criu_$version.orig.tar.xz" '/^Checksums-Sha256:/ {on=1; next} /^[^ ]/ {on=0} on && $3 == f {print $1; exit}')
    [[ -n $expected ]] || die "sid's index lists no criu_$version.orig.tar.xz for criu $deb_version"
    fetch_pinned "$tarball" "$expected"
}

# The tests to build: the arguments, else the corpus's (first column, comments skipped).
tests_to_build() {
    if (($#)); then printf '%s\n' "$@"; return; fi
    sed -e 's/#.*//' "$CORPUS" | awk 'NF {print $1}'
}

main() {
    ensure_tools
    local base=$CACHE/criu-$version tarball src
    tarball=$base/criu_$version.orig.tar.xz
    src=$base/src
    mkdir -p "$base"
    if [[ ! -f $src/.unpacked ]]; then
        if [[ ! -f $tarball ]]; then
            if [[ -n ${PINNED_SHA256[$version]:-} ]]; then fetch_pinned "$tarball" "${PINNED_SHA256[$version]}"
            else fetch_from_index "$tarball"; fi
        fi
        rm -rf "$src" && mkdir -p "$src"
        tar -xJf "$tarball" -C "$src" --strip-components=1 || die "could not unpack $tarball"
        [[ -d $src/test/zdtm/static ]] || die "$tarball has no test/zdtm/static"
        touch "$src/.unpacked"
    fi
    local zdtm=$src/test/zdtm tests=()
    mapfile -t tests < <(tests_to_build "$@")
    ((${#tests[@]})) || die "no tests to build"
    log "building zdtm's library and ${#tests[@]} static tests of CRIU $version in $zdtm"
    make -C "$zdtm/lib" -j"$(nproc)" --no-print-directory >"$base/build-lib.log" 2>&1 ||
        die "building $zdtm/lib failed: see $base/build-lib.log"
    make -C "$zdtm/static" -j"$(nproc)" --no-print-directory "${tests[@]}" >"$base/build-static.log" 2>&1 ||
        die "building the static tests failed: see $base/build-static.log"
    local t
    for t in "${tests[@]}"; do [[ -x $zdtm/static/$t ]] || die "$zdtm/static/$t was not built"; done
    echo "export PHAUL_ZDTM_DIR=$zdtm"
}

main "$@"
