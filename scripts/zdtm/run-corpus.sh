#!/usr/bin/env bash
# Migrates CRIU's own zdtm static tests as workloads and checks each one's own verdict.
# For every test of tests/zdtm/corpus.txt (or the ones named, or --all) and every column:
#   raw            CRIU's command line in the order a migration tool must keep: page server on the
#                  destination, `criu dump --leave-stopped` to it, copy the other images, restore,
#                  then kill the frozen source;
#   stop-and-copy  `phaul migrate --strategy stop-and-copy --no-fallback` to a `phaul serve`;
#   postcopy       `phaul migrate --strategy postcopy --no-fallback` to the same `phaul serve`;
# the test starts as zdtm starts it (its Makefile's command line, --pidfile/--outfile), as the root
# of its own PID, IPC and UTS namespaces on the "source host", a network namespace; it is migrated
# to the "destination host", another network namespace joined by a veth pair; then, as zdtm does,
# SIGTERM makes the restored test check its state and write PASS or FAIL to its outfile.
# The CRIU options its .desc asks for are passed (opts/dopts/ropts to raw CRIU; to phaul as its
# CLI flags, or the cell reads "needs --X" when this build of phaul lacks the flag).
# Tests of tests/zdtm/one-machine.txt cannot pass with both hosts on one machine: their cells pass
# when they fail the way that file says (its pattern found in the failure), raw CRIU included.
# Prints a table, the median downtime per strategy, the findings, and last the line
# "zdtm corpus: N passed, N failed, N skipped" (one check per test and column; a missing phaul flag
# is a skip). Exit 0 only when nothing failed.
# Usage: scripts/zdtm/run-corpus.sh [--all] [--no-build] [--keep] [TEST...]   (root; PHAUL_CRIU)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

die() { echo "*** zdtm corpus FAILED: $*" >&2; exit 1; }
log() { echo "zdtm corpus: $*" >&2; }

ALL=0 BUILD=1 KEEP=0 NAMED=()
while (($#)); do
    case $1 in
        --all) ALL=1 ;;
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        -*) die "unknown option $1 (usage: $0 [--all] [--no-build] [--keep] [TEST...])" ;;
        *) NAMED+=("$1") ;;
    esac
    shift
done

[[ $(id -u) == 0 ]] || die "run as root: CRIU and network namespaces need it"
CRIU=${PHAUL_CRIU:-$(command -v criu || true)}
[[ -n $CRIU && -x $CRIU ]] || die "no CRIU: set PHAUL_CRIU or run scripts/install-criu.sh"
for tool in ip nsenter unshare setsid jq make dotnet; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: iproute2, util-linux, jq, make; dotnet: the .NET 10 SDK)"
done

COLUMNS_RUN=(raw stop-and-copy postcopy)
PATIENCE=60          # seconds for a start and a verdict
CRIU_PATIENCE=10     # seconds for one CRIU command (a normal one takes well under 1 s here)
MIGRATE_PATIENCE=20  # seconds for one phaul migrate (a normal one takes 1-3 s here)
SRC_ADDR=169.254.79.1 DST_ADDR=169.254.79.2 PORT=7490 RAW_PORT=7491
ID=$$
SRC_NS=zdtm-$ID-src DST_NS=zdtm-$ID-dst
RUN=$(mktemp -d /tmp/phaul-zdtm.XXXXXX)
DLL=$REPO/src/Phaul.Cli/bin/Release/net10.0/phaul.dll
SERVE_PID="" STILL_RUNNING=() TALLIED=0

source "$REPO/scripts/zdtm/lib.sh"
source "$REPO/scripts/zdtm/cells.sh"

cleanup() {
    local rc=$? pid
    # Whatever ends the run, the log says so: CI must never see a run that stopped without a word.
    ((rc == 0 || TALLIED)) || echo "*** zdtm corpus FAILED: ended with exit $rc before its tally (the lines above say where)" >&2
    # The running cell's trees (a launcher's child is the init of the test's PID namespace: killing
    # it ends the namespace), and the pids earlier cells could not end.
    [[ -z $LAUNCHER ]] || kill -KILL "$(first_child "$LAUNCHER")" "$LAUNCHER" 2>/dev/null || true
    for pid in $ROOT $RESTORED_ROOT "${STILL_RUNNING[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    [[ -z $SERVE_PID ]] || { kill -TERM "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; }
    wait 2>/dev/null || true
    ip netns delete "$SRC_NS" 2>/dev/null || true
    ip netns delete "$DST_NS" 2>/dev/null || true
    if ((KEEP)); then log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'echo "*** zdtm corpus interrupted by a signal" >&2; exit 130' INT TERM
# set -e ends the run silently: name the command that stopped it.
set -E
trap 'echo "*** zdtm corpus: \"$BASH_COMMAND\" failed (exit $?) at ${BASH_SOURCE[0]}:$LINENO" >&2' ERR

main() {
    local started=$SECONDS zdtm tests=() t
    zdtm=$(prepare_zdtm)
    if ((BUILD)); then
        log "building the phaul CLI (Release)"
        DOTNET_NOLOGO=1 dotnet build src/Phaul.Cli -c Release -nologo -v quiet -clp:NoSummary >&2 || die "building src/Phaul.Cli failed"
    fi
    [[ -f $DLL ]] || die "$DLL is missing: build src/Phaul.Cli -c Release (or drop --no-build)"
    mapfile -t tests < <(corpus_tests "$zdtm")
    ((${#tests[@]})) || die "no tests to run"
    create_hosts
    start_serve
    detect_cli_flags
    for t in "${tests[@]}"; do run_test "$zdtm" "$t"; done
    print_results $((SECONDS - started))
}

main
