#!/bin/bash
# PID 1 of the soft-dirty VM after switch_root (see init). The root is the host's,
# read-only over 9p. This script makes the guest able to run CRIU and dotnet, runs
# the one job run.sh put on the results share, leaves its exit code there, and
# powers off. Output of the job goes to the share's stdout/stderr files, which
# run.sh streams on the host; this script's own messages go to the serial console.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SHARE=/run/phaul-vm/share
STATE=/run/phaul-vm

say() { echo "vm guest: $*" >&2; }

power_off() {
    sync
    "${PHAUL_VM_KROOT:-}/bin/busybox" poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
    sleep 10 # poweroff -f returns only if it failed; init exiting would panic
}

# Setup failed: leave the reason where run.sh looks, then end the VM.
abort() {
    say "$*"
    [[ -d $SHARE/. ]] && echo "$*" >"$SHARE/guest-error"
    power_off
}

mount_share() {
    mkdir -p "$SHARE" || return 1
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results "$SHARE"
}

# What CRIU expects of /dev: ptys, POSIX shm, the tun device.
setup_devices() {
    mkdir -p /dev/pts /dev/shm /dev/net
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts &&
        ln -sf pts/ptmx /dev/ptmx &&
        mount -t tmpfs -o mode=1777 tmpfs /dev/shm &&
        mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
        { [[ -e /dev/net/tun ]] || mknod /dev/net/tun c 10 200; }
}

# CRIU loads modules (nf_tables, *_diag, tun, veth) through the kernel's modprobe
# helper, but the host root has no modules for this kernel. prepare.sh put them,
# a modules.dep and a static busybox in PHAUL_VM_KROOT: load from there, chrooted.
setup_module_loading() {
    local wrapper=$STATE/modprobe
    [[ -x $PHAUL_VM_KROOT/bin/busybox ]] || return 1
    printf '#!/bin/sh\nexec /usr/sbin/chroot %q /bin/busybox modprobe "$@"\n' "$PHAUL_VM_KROOT" >"$wrapper"
    chmod 755 "$wrapper"
    echo "$wrapper" >/proc/sys/kernel/modprobe
    # Those CRIU asks for, in one modprobe run: on demand, one chroot+modprobe per
    # module under emulation made the first `criu check` take ~8 s instead of ~3 s.
    # In the background, so a job that needs no CRIU does not wait for it.
    { "$wrapper" -a nf_tables unix_diag inet_diag tcp_diag udp_diag raw_diag \
        netlink_diag af_packet_diag tun veth || say "some modules for CRIU did not load"; } &
}

# Host folders under /tmp the job needs (its checkout or working directory), bound
# back over the guest's empty /tmp from the copy init kept, still read-only.
bind_host_tmp() {
    local dir
    for dir in "${PHAUL_VM_HOST_TMP[@]}"; do
        mkdir -p "$dir" && mount --bind "$STATE/host-tmp/${dir#/tmp/}" "$dir" || return 1
    done
}

# Writable copies of the read-only directories the job asked for (--overlay):
# writes land in tmpfs and vanish at power-off.
setup_overlays() {
    local dir n=0
    for dir in "${PHAUL_VM_OVERLAYS[@]}"; do
        n=$((n + 1))
        mkdir -p "$STATE/overlay/$n/upper" "$STATE/overlay/$n/work" &&
            mount -t overlay overlay -o "lowerdir=$dir,upperdir=$STATE/overlay/$n/upper,workdir=$STATE/overlay/$n/work" "$dir" ||
            return 1
    done
}

# dotnet writes first-use sentinels and caches under HOME; the host's is read-only.
setup_home() {
    export HOME=$STATE/home DOTNET_CLI_HOME=$STATE/home
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    mkdir -p "$HOME"
}

run_job() {
    local rc
    (cd "$PHAUL_VM_CWD" && exec "${PHAUL_VM_ARGV[@]}") </dev/null >"$SHARE/stdout" 2>"$SHARE/stderr"
    rc=$?
    echo "$rc" >"$SHARE/rc.tmp" && mv "$SHARE/rc.tmp" "$SHARE/rc"
}

main() {
    mount_share || abort "cannot mount the results share (9p tag results)"
    [[ -r $SHARE/job ]] || abort "no job file on the results share"
    setup_home
    # The job file (written by run.sh) sets PHAUL_VM_ARGV, PHAUL_VM_CWD,
    # PHAUL_VM_KROOT, PHAUL_VM_HOST_TMP, PHAUL_VM_OVERLAYS and exports the passed environment.
    # shellcheck source=/dev/null
    source "$SHARE/job" || abort "cannot read the job file"
    setup_devices || abort "cannot set up /dev/pts, /dev/shm, cgroup2 or /dev/net/tun"
    # Before module loading: the kernel tree lives in the checkout, which may be under /tmp.
    bind_host_tmp || abort "cannot bind back ${PHAUL_VM_HOST_TMP[*]} from the host's /tmp"
    setup_module_loading || abort "cannot set up module loading from $PHAUL_VM_KROOT"
    ip link set lo up || abort "cannot bring up lo (CRIU's TCP repair check needs it)"
    setup_overlays || abort "cannot overlay ${PHAUL_VM_OVERLAYS[*]}"
    run_job
    umount "$SHARE"
    power_off
}

main "$@"
