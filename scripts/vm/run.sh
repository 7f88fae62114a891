#!/usr/bin/env bash
# Runs one command inside the soft-dirty VM (see prepare.sh) and exits with its exit
# code; its stdout/stderr stream to ours. The guest's root is this machine's root,
# read-only, so the checkout, CRIU and dotnet are all at their usual paths; /tmp,
# /run, /var/tmp and HOME are empty tmpfs. The VM always ends: the command finishes,
# or the timeout kills QEMU (exit 124), or the guest fails to start (exit 125).
#
# usage: run.sh [--timeout SECONDS] [-e NAME[=VALUE]]... [--overlay DIR]...
#               [--results DIR] [--console] -- COMMAND [ARG]...
# Passed into the guest: PATH, every PHAUL_* and DOTNET_ROOT variable, each -e.
# --overlay DIR makes DIR writable in the guest (tmpfs upper layer, discarded).
# --results DIR keeps the run's files (stdout, stderr, rc, console.log) in DIR; the
# command finds that folder, writable, at $PHAUL_VM_RESULTS inside the guest.
# Env: PHAUL_VM_CACHE, PHAUL_VM_MEMORY (default 4G), PHAUL_VM_CPUS (default 2),
#      PHAUL_VM_APPEND (more kernel arguments, e.g. loglevel=7 with --console).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${PHAUL_VM_CACHE:-$REPO/.cache/vm}
TIMEOUT=900
RESULTS_SHARE_MOUNT=/run/phaul-vm/share # where guest.sh mounts the results share

log() { echo "vm/run: $*" >&2; }
die() { echo "*** vm/run: $*" >&2; exit 125; }
usage() { sed -n '/^# usage:/,/^#      PHAUL_VM_APPEND/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

parse_args() {
    ENV_NAMES=() OVERLAYS=() RUN_DIR="" KEEP_RUN_DIR="" CONSOLE=""
    while (($#)); do
        case $1 in
            --timeout) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--timeout needs whole seconds"; TIMEOUT=$2; shift 2 ;;
            -e) [[ -n ${2:-} ]] || usage; ENV_NAMES+=("$2"); shift 2 ;;
            --overlay) [[ -d ${2:-} ]] || die "--overlay needs a directory"; OVERLAYS+=("$(cd "$2" && pwd)"); shift 2 ;;
            --results) [[ -n ${2:-} ]] || usage; mkdir -p "$2"; RUN_DIR=$(cd "$2" && pwd); KEEP_RUN_DIR=1; shift 2 ;;
            --console) CONSOLE=1; shift ;;
            --) shift; break ;;
            *) usage ;;
        esac
    done
    (($#)) || usage
    ARGV=("$@")
}

# The guest's /tmp is an empty tmpfs: folders of ours that live under the host's
# /tmp (a CI checkout, the working directory, overlays) are bound back, outermost
# first. Prints them one a line.
host_tmp_dirs() {
    local dir
    for dir in "$REPO" "$PWD" "${OVERLAYS[@]}"; do
        [[ $dir == /tmp/* ]] && echo "$dir"
    done | sort -u | awk 'NR == 1 || index($0, last "/") != 1 { print; last = $0 }'
}

# The job file guest.sh sources: the command, where to run it, and its environment.
write_job() {
    local job=$RUN_DIR/job name spec
    {
        printf 'PHAUL_VM_ARGV=(%s)\n' "$(printf '%q ' "${ARGV[@]}")"
        printf 'PHAUL_VM_CWD=%q\n' "$PWD"
        printf 'PHAUL_VM_KROOT=%q\n' "$VM_KROOT"
        printf 'PHAUL_VM_OVERLAYS=(%s)\n' "$( ((${#OVERLAYS[@]})) && printf '%q ' "${OVERLAYS[@]}")"
        printf 'PHAUL_VM_HOST_TMP=(%s)\n' "$(host_tmp_dirs | while read -r d; do printf '%q ' "$d"; done)"
        printf 'export PHAUL_VM_RESULTS=%q\n' "$RESULTS_SHARE_MOUNT"
        for name in PATH DOTNET_ROOT $(compgen -e | grep '^PHAUL_' | grep -v '^PHAUL_VM_'); do
            [[ -n ${!name+x} ]] && printf 'export %s=%q\n' "$name" "${!name}"
        done
        for spec in "${ENV_NAMES[@]}"; do
            if [[ $spec == *=* ]]; then
                printf 'export %s=%q\n' "${spec%%=*}" "${spec#*=}"
            elif [[ -n ${!spec+x} ]]; then
                printf 'export %s=%q\n' "$spec" "${!spec}"
            fi
        done
    } >"$job"
}

start_vm() {
    : >"$RUN_DIR/stdout"
    : >"$RUN_DIR/stderr"
    rm -f "$RUN_DIR/rc" "$RUN_DIR/guest-error"
    # timeout ends QEMU at the deadline even if this script is killed; pdeathsig ends
    # QEMU if timeout itself is killed. TCG only: KVM here is a nested paravirtual
    # hypervisor that cannot run a stock kernel.
    timeout --kill-after=10 "$TIMEOUT" setpriv --pdeathsig KILL -- \
        qemu-system-x86_64 -accel tcg,thread=multi -cpu max \
        -m "${PHAUL_VM_MEMORY:-4G}" -smp "${PHAUL_VM_CPUS:-2}" \
        -nodefaults -no-user-config -display none -no-reboot \
        -serial "file:$RUN_DIR/console.log" \
        -kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
        -append "console=ttyS0 rdinit=/init quiet panic=-1 ${PHAUL_VM_APPEND:-} PHAUL_VM_GUEST=$HERE/guest.sh" \
        -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
        -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
        -fsdev "local,id=results,path=$RUN_DIR,security_model=none" \
        -device virtio-9p-pci,fsdev=results,mount_tag=results \
        </dev/null >"$RUN_DIR/qemu.log" 2>&1 &
    VM_PID=$!
}

# Streams the guest's output while the VM runs; tail exits once the VM is gone.
stream_output() {
    tail -n +1 -s 0.5 -f --pid="$VM_PID" "$RUN_DIR/stdout" &
    TAILS=($!)
    tail -n +1 -s 0.5 -f --pid="$VM_PID" "$RUN_DIR/stderr" >&2 &
    TAILS+=($!)
    if [[ -n $CONSOLE ]]; then
        tail -n +1 -s 0.5 -F --pid="$VM_PID" "$RUN_DIR/console.log" 2>/dev/null | sed 's/^/[console] /' >&2 &
        TAILS+=($!)
    fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -n ${VM_PID:-} ]] && kill -0 "$VM_PID" 2>/dev/null; then kill -TERM "$VM_PID" 2>/dev/null || true; fi
    if [[ -z $KEEP_RUN_DIR && -n ${RUN_DIR:-} ]]; then rm -rf "$RUN_DIR"; fi
}

# Why the guest left no exit code, with the end of its console for the details.
report_failure() {
    local status=$1
    KEEP_RUN_DIR=1
    if ((status == 124)); then
        log "TIMEOUT: '${ARGV[*]}' did not finish within $TIMEOUT s; the VM was killed"
    elif [[ -s $RUN_DIR/guest-error ]]; then
        log "guest setup failed: $(cat "$RUN_DIR/guest-error")"
    else
        log "the VM ended (qemu status $status) without the command's exit code"
    fi
    log "console tail ($RUN_DIR/console.log):"
    tail -n 30 "$RUN_DIR/console.log" 2>/dev/null | sed 's/^/    /' >&2 || true
    tail -n 5 "$RUN_DIR/qemu.log" 2>/dev/null | sed 's/^/    qemu: /' >&2 || true
    log "run files kept in $RUN_DIR"
}

main() {
    parse_args "$@"
    [[ -s $CACHE/vm.env ]] || { log "lane not prepared yet: running prepare.sh"; "$HERE/prepare.sh"; }
    # shellcheck source=/dev/null
    source "$CACHE/vm.env"
    if [[ -z $RUN_DIR ]]; then mkdir -p "$CACHE/runs"; RUN_DIR=$(mktemp -d "$CACHE/runs/run.XXXXXX"); fi
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    write_job
    start_vm
    stream_output
    local status=0
    wait "$VM_PID" || status=$?
    wait "${TAILS[@]}" 2>/dev/null || true
    if ((status == 124)) || [[ ! -s $RUN_DIR/rc ]]; then
        report_failure "$status"
        ((status == 124)) && exit 124
        exit 125
    fi
    exit "$(cat "$RUN_DIR/rc")"
}

main "$@"
