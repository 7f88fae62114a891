#!/usr/bin/env bash
# Prepares the soft-dirty VM lane: QEMU, a Debian kernel that has CONFIG_MEM_SOFT_DIRTY
# (this machine's kernel lacks it, so `criu pre-dump --track-mem` cannot run on it), a
# static busybox and a tiny initramfs that boots into the host's root shared over 9p.
# Idempotent: everything lands in $PHAUL_VM_CACHE (default <repo>/.cache/vm) and a
# second run only re-checks. The kernel picked once is kept; --refresh picks again.
# Env: PHAUL_VM_CACHE, PHAUL_VM_KERNEL (a linux-image package name, to pin one).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${PHAUL_VM_CACHE:-$REPO/.cache/vm}
# What the initramfs must load to mount the host root; modules.dep adds their deps.
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p)
export DEBIAN_FRONTEND=noninteractive

log() { echo "vm/prepare: $*" >&2; }
die() { echo "*** vm/prepare FAILED: $*" >&2; exit 1; }

apt_update_once() {
    [[ -n ${APT_UPDATED:-} ]] && return 0
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
}

# QEMU from the system's apt sources; recommends would pull in ~200 MB of GUI bits.
ensure_qemu() {
    command -v qemu-system-x86_64 >/dev/null && return 0
    apt-cache show qemu-system-x86 >/dev/null 2>&1 || apt_update_once
    log "installing qemu-system-x86 (--no-install-recommends)"
    apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null ||
        { apt_update_once && apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null; }
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing after install"
}

# The newest bookworm 6.1 kernel ABI the index serves, e.g. linux-image-6.1.0-56-amd64.
# One exact package: a wildcard would fetch every ABI version (1.7 GB).
newest_kernel_package() {
    apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -n1
}

# Sets KERNEL_PKG and KERNEL_VERSION (package version), keeping an earlier pick.
pick_kernel() {
    local pinned=$CACHE/kernel-package
    if [[ -z ${PHAUL_VM_KERNEL:-} && -z $REFRESH && -s $pinned ]]; then
        read -r KERNEL_PKG KERNEL_VERSION <"$pinned"
        return 0
    fi
    KERNEL_PKG=${PHAUL_VM_KERNEL:-$(newest_kernel_package)}
    if [[ -z $KERNEL_PKG ]] || ! apt-cache show "$KERNEL_PKG" >/dev/null 2>&1; then
        apt_update_once
        KERNEL_PKG=${PHAUL_VM_KERNEL:-$(newest_kernel_package)}
    fi
    [[ -n $KERNEL_PKG ]] || die "apt-cache lists no linux-image-6.1.0-*-amd64"
    KERNEL_VERSION=$(apt-cache policy "$KERNEL_PKG" | awk '/Candidate:/ {print $2}')
    [[ -n $KERNEL_VERSION && $KERNEL_VERSION != "(none)" ]] || die "no candidate version of $KERNEL_PKG"
    echo "$KERNEL_PKG $KERNEL_VERSION" >"$pinned"
}

# The first existing path among the (glob-expanded) arguments, if any.
first_match() { [[ -e $1 ]] && echo "$1"; }

# Downloads NAME=VERSION into $CACHE/debs unless there; prints the .deb path.
# A stale index can point at a file the mirror dropped: update once and retry.
download_deb() {
    local name=$1 version=$2 deb
    deb=$(first_match "$CACHE/debs/${name}_"*.deb || true)
    if [[ -z $deb ]]; then
        log "downloading $name=$version"
        mkdir -p "$CACHE/debs"
        # apt drops privileges to _apt for downloads; root-owned targets then fail.
        (cd "$CACHE/debs" && { apt-get download -qq -o APT::Sandbox::User=root "$name=$version" ||
            { apt_update_once && apt-get download -qq -o APT::Sandbox::User=root "$name=$version"; }; })
        deb=$(first_match "$CACHE/debs/${name}_"*.deb || true)
        [[ -n $deb ]] || die "download of $name=$version produced no .deb"
    fi
    echo "$deb"
}

# dpkg -x into DIR via a staging copy, so an interrupted run never leaves half a tree.
unpack_once() {
    local deb=$1 dir=$2
    [[ -e $dir/.unpacked ]] && return 0
    rm -rf "$dir" "$dir.tmp"
    dpkg -x "$deb" "$dir.tmp"
    touch "$dir.tmp/.unpacked"
    mv "$dir.tmp" "$dir"
}

# KROOT serves two purposes: the kernel image, and a chroot in which the guest's
# modprobe wrapper loads modules for CRIU (the host root has no /usr/lib/modules).
prepare_kernel_tree() {
    local deb busybox_deb
    deb=$(download_deb "$KERNEL_PKG" "$KERNEL_VERSION")
    unpack_once "$deb" "$CACHE/kernel"
    KROOT=$CACHE/kernel
    KVER=$(basename "$(first_match "$KROOT"/lib/modules/*/ || true)")
    [[ -n $KVER && -f $KROOT/boot/vmlinuz-$KVER ]] || die "no vmlinuz/modules in $deb"
    grep -qx 'CONFIG_MEM_SOFT_DIRTY=y' "$KROOT/boot/config-$KVER" ||
        die "$KERNEL_PKG lacks CONFIG_MEM_SOFT_DIRTY=y: it cannot run criu pre-dump"

    busybox_deb=$(download_deb busybox-static "$(apt-cache policy busybox-static | awk '/Candidate:/ {print $2}')")
    unpack_once "$busybox_deb" "$CACHE/busybox"
    BUSYBOX=$CACHE/busybox/bin/busybox
    [[ -x $BUSYBOX ]] || die "no bin/busybox in $busybox_deb"
    if [[ ! -s $KROOT/lib/modules/$KVER/modules.dep || ! -x $KROOT/bin/busybox ]]; then
        mkdir -p "$KROOT/bin"
        cp "$BUSYBOX" "$KROOT/bin/busybox"
        "$BUSYBOX" depmod -b "$KROOT" "$KVER"
    fi
}

# Module paths (relative to lib/modules/KVER) the boot modules need, with every
# dependency (recursively). Built-in ones have no modules.dep line and are skipped.
module_closure() {
    local dir=$KROOT/lib/modules/$KVER name line
    declare -A seen=()
    add_path() {
        [[ -n ${seen[$1]:-} ]] && return 0
        seen[$1]=1
        local d deps
        read -ra deps < <(grep -E "^$1:" "$dir/modules.dep" | cut -d: -f2-)
        for d in "${deps[@]}"; do add_path "$d"; done
        echo "$1"
    }
    for name in "$@"; do
        line=$(grep -E "(^|/)${name//_/[_-]}\.ko(\.[a-z]+)?:" "$dir/modules.dep" || true)
        if [[ -n $line ]]; then
            add_path "${line%%:*}"
        elif ! grep -qE "/${name//_/[_-]}\.ko" "$dir/modules.builtin"; then
            die "module $name neither in modules.dep nor built in"
        fi
    done
}

# Content that defines the initramfs; a change in any of it rebuilds the image.
initrd_recipe() {
    echo "$KERNEL_PKG $KERNEL_VERSION ${BOOT_MODULES[*]}"
    sha256sum "$HERE/init" "$BUSYBOX"
}

# busybox + the boot modules + our init, as a gzipped newc cpio.
build_initrd() {
    local initrd=$CACHE/initrd.gz stamp=$CACHE/initrd.recipe stage m
    if [[ -s $initrd && -s $stamp ]] && cmp -s <(initrd_recipe) "$stamp"; then return 0; fi
    log "building the initramfs"
    stage=$CACHE/initramfs
    rm -rf "$stage"
    mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules/"$KVER"}
    cp "$BUSYBOX" "$stage/bin/busybox"
    cp "$HERE/init" "$stage/init"
    chmod 755 "$stage/init"
    while read -r m; do
        mkdir -p "$stage/lib/modules/$KVER/$(dirname "$m")"
        cp "$KROOT/lib/modules/$KVER/$m" "$stage/lib/modules/$KVER/$m"
    done < <(module_closure "${BOOT_MODULES[@]}")
    cp "$KROOT/lib/modules/$KVER/modules.builtin" "$stage/lib/modules/$KVER/"
    "$BUSYBOX" depmod -b "$stage" "$KVER"
    (cd "$stage" && find . | sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -9 >"$initrd.tmp"
    mv "$initrd.tmp" "$initrd"
    initrd_recipe >"$stamp"
}

# What run.sh reads: paths of the kernel, initramfs and module tree.
write_env() {
    cat >"$CACHE/vm.env.tmp" <<EOF
VM_KERNEL=$KROOT/boot/vmlinuz-$KVER
VM_INITRD=$CACHE/initrd.gz
VM_KROOT=$KROOT
VM_KVER=$KVER
EOF
    mv "$CACHE/vm.env.tmp" "$CACHE/vm.env"
}

main() {
    REFRESH=""
    case ${1:-} in
        --refresh) REFRESH=1 ;;
        "") ;;
        *) die "usage: $0 [--refresh]" ;;
    esac
    [[ $(id -u) == 0 ]] || die "run as root (apt-get installs qemu)"
    command -v apt-get >/dev/null || die "needs Debian's apt-get (bookworm packages)"
    mkdir -p "$CACHE"
    # Two runs at once (two CI jobs, run.sh preparing on demand) must not interleave.
    exec 9>"$CACHE/.lock"
    flock 9
    if [[ -n $REFRESH ]]; then rm -rf "$CACHE/kernel" "$CACHE/debs" "$CACHE/kernel-package"; fi
    ensure_qemu
    pick_kernel
    prepare_kernel_tree
    build_initrd
    write_env
    log "OK: $KERNEL_PKG $KERNEL_VERSION (soft-dirty), initramfs $(du -k "$CACHE/initrd.gz" | cut -f1) KiB, in $CACHE"
}

main "$@"
