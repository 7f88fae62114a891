#!/usr/bin/env bash
# The soft-dirty lane: real iterative pre-copy against real CRIU. Builds tests/Phaul.PreCopyLane
# (Release) here, then runs it inside the soft-dirty VM (run.sh; prepare.sh first if needed), where
# the kernel tracks dirty memory. The program migrates a memory-dirtying workload once per stop rule,
# and a runc container by pre-copy and by hybrid (runc, busybox and cgroup2 work in the guest),
# prints each migration's per-iteration CRIU statistics and its checks, and ends with the line
# "precopy lane: N passed, N failed". Exits with the program's code: 0 only if every scenario passed;
# 124 if the VM hit the timeout, 125 if the guest did not start.
# In the guest, transparent huge pages are off: with them one written byte makes a whole 2 MiB page
# dirty, and the per-iteration page counts would move in steps of 512.
#
# usage: precopy-lane.sh [--timeout SECONDS] [LANE ARGUMENT]...
#   LANE ARGUMENTs go to the program: scenario names (default: all; --list names them),
#   --log-level Information|Debug (default Warning), --scenario-timeout SECONDS.
# Env: PHAUL_CRIU (else criu on PATH), PHAUL_LANE_RESULTS (default <repo>/.cache/vm/lane-results):
#   there the run's files are kept: stdout, stderr, console.log, and in lane/ each migration's report
#   as JSON plus, for a failed scenario, CRIU's logs from both sides.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PROJECT=$REPO/tests/Phaul.PreCopyLane
WORKLOAD_SOURCE=$REPO/src/Phaul.DemoWorkload/workload.c
# Where Phaul.DemoWorkload's WorkloadBinary keeps compiled workloads in the guest (its temp dir is /tmp, the
# user root): root's own directory with mode 0700, or WorkloadBinary refuses to run anything from it.
WORKLOAD_CACHE=/tmp/phaul-workload-0
TIMEOUT=420

log() { echo "precopy-lane: $*" >&2; }
die() { echo "*** precopy-lane: $*" >&2; exit 125; }

if [[ ${1:-} == --timeout ]]; then
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--timeout needs whole seconds"
    TIMEOUT=$2
    shift 2
fi
[[ $(id -u) == 0 ]] || die "run as root (CRIU and QEMU need it)"

RESULTS=${PHAUL_LANE_RESULTS:-$REPO/.cache/vm/lane-results}
mkdir -p "$RESULTS"
rm -rf "$RESULTS/lane"

log "building $PROJECT (Release)"
dotnet build "$PROJECT" -c Release -v quiet -nologo -clp:NoSummary >&2
LANE_DLL=$PROJECT/bin/Release/net10.0/Phaul.PreCopyLane.dll
[[ -f $LANE_DLL ]] || die "the build left no $LANE_DLL"

# Compiling the workload under emulation takes ~20 s: build it here, where WorkloadBinary would
# (WORKLOAD_CACHE/<first 16 hex digits of the source's SHA-256>/workload), and let the guest see that
# folder. Should that naming drift from WorkloadBinary's, the guest just compiles it itself.
workload_hash=$(sha256sum "$WORKLOAD_SOURCE" | cut -c1-16)
workload=$WORKLOAD_CACHE/$workload_hash/workload
mkdir -p -m 700 "$WORKLOAD_CACHE"
# Another user's directory (or a symlink) there could hand root a program of theirs: never build into it.
[[ -d $WORKLOAD_CACHE && ! -L $WORKLOAD_CACHE && -O $WORKLOAD_CACHE ]] || die "$WORKLOAD_CACHE is not root's own directory; remove it"
chmod 700 "$WORKLOAD_CACHE"
if [[ ! -x $workload ]]; then
    log "compiling the workload into $workload"
    mkdir -p -m 700 "$(dirname "$workload")"
    cc -O2 -o "$workload.$$" "$WORKLOAD_SOURCE" && mv "$workload.$$" "$workload"
fi

log "running the lane in the soft-dirty VM (timeout $TIMEOUT s; run files in $RESULTS)"
started=$SECONDS
status=0
# $PHAUL_VM_RESULTS is the results share as the guest sees it: expand it there, not here.
# shellcheck disable=SC2016
"$HERE/run.sh" --timeout "$TIMEOUT" --results "$RESULTS" --overlay "$WORKLOAD_CACHE" -- \
    sh -c 'echo never >/sys/kernel/mm/transparent_hugepage/enabled &&
           exec dotnet "$0" --results "$PHAUL_VM_RESULTS/lane" "$@"' "$LANE_DLL" "$@" || status=$?
log "lane exit code $status after $((SECONDS - started)) s (VM boot included)"
exit "$status"
