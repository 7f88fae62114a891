#!/usr/bin/env bash
# Container downtime on this machine: a runc container holding MIB of memory (Phaul's demo workload, built
# static, in a busybox root file system) moved between two runc roots by `phaul migrate --container` to a
# `phaul serve --containers` on loopback (TLS), next to the same container moved by hand: `runc checkpoint`,
# a copy of the images, `runc restore`; and by hand in the order a migration tool must keep (pause, checkpoint
# --leave-running, copy, restore, then delete the source's copy). The downtime is the workload's largest wall-clock gap between two
# turns of its loop (about one per millisecond). Post-copy both ways too: phaul --strategy postcopy, and runc --lazy-pages
# with CRIU's lazy-pages daemon by hand. Prints each run (with the workload's count of words it found changed) and the medians.
# Usage (as root, after scripts/install-criu.sh): [METHODS="phaul-postcopy lazy ..."] benchmarks/containers/downtime.sh [MIB] [RUNS]
# phaul-precopy and phaul-hybrid (not in the default METHODS) need a kernel with soft-dirty tracking: in the soft-dirty VM,
#   scripts/vm/run.sh --overlay /tmp/phaul-workload-0 -e METHODS -e HANDSHAKE_TIMEOUT -e NO_BUILD -- benchmarks/containers/downtime.sh 256 1
# with NO_BUILD=1 (build here first: the guest has no NuGet) and HANDSHAKE_TIMEOUT=2min (phaul's --handshake-timeout: TLS's first
# handshake in a fresh process takes longer than the default 10 s under emulation); there runc 1.1 restores by hand into the
# source's cgroup (cgroup v2), so of the methods by hand only `hand` works (`kept` and `lazy` find it paused, frozen).
set -euo pipefail
cd "$(dirname "$0")/../.."
MIB=${1:-256}
RUNS=${2:-3}
CRIU=${PHAUL_CRIU:-$(command -v criu)}
scratch=$(mktemp -d /tmp/phaul-container-bench-XXXXXX)
serve_pid=""
cleanup() {
    [[ -n $serve_pid ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
    for root in "$scratch"/root-*; do
        [[ -d $root ]] || continue
        for id in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
    done
    rm -rf "$scratch"
    # runc removes each container's cgroups; the parents this script named stay unless removed.
    rmdir /sys/fs/cgroup/*/phaul-bench-src /sys/fs/cgroup/*/phaul-bench-dst 2>/dev/null || true
}
trap cleanup EXIT

[[ ${NO_BUILD:-0} == 1 ]] || dotnet build src/Phaul.Cli -c Release -nologo -v quiet -clp:NoSummary >&2
phaul=(dotnet src/Phaul.Cli/bin/Release/net10.0/phaul.dll)
handshake=()
[[ -z ${HANDSHAKE_TIMEOUT:-} ]] || handshake=(--handshake-timeout "$HANDSHAKE_TIMEOUT")
cc -static -O2 -o "$scratch/workload" src/Phaul.DemoWorkload/workload.c

bundle() { # $1 id, $2 cgroup parent: a busybox root file system with the static workload
    local dir=$scratch/bundle-$1
    mkdir -p "$dir/rootfs/bin" "$dir/rootfs/"{proc,sys,dev,tmp,data}
    cp /bin/busybox "$dir/rootfs/bin/" && ln -sf busybox "$dir/rootfs/bin/sh"
    cp "$scratch/workload" "$dir/rootfs/bin/workload"
    (cd "$dir" && runc spec)
    python3 - "$dir/config.json" "$MIB" "$2/$1" <<'PY'
import json, sys
path, mib, cgroup = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/workload", mib, "/data/status"]
c["root"]["readonly"] = False
c["linux"]["cgroupsPath"] = cgroup
json.dump(c, open(path, "w"))
PY
    echo "$dir"
}
status() { sed -n "s/^$2=//p" "$1/rootfs/data/status"; }
start() { # $1 root, $2 bundle, $3 id; waits until the workload has filled its memory and runs
    runc --root "$1" run --detach --bundle "$2" "$3" </dev/null >/dev/null 2>&1
    for _ in $(seq 600); do [[ -f $2/rootfs/data/status && $(status "$2" counter) -gt 100 ]] && return; sleep 0.1; done
    echo "the workload in $3 did not start" >&2; exit 1
}
gap_after() { # $1 bundle, $2 counter before: waits for progress, prints the largest wall gap in ms
    for _ in $(seq 600); do (( $(status "$1" counter) > $2 + 500 )) && break; sleep 0.1; done
    echo $(( $(status "$1" max_wall_gap_us) / 1000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"${phaul[@]}" keygen "$scratch/key" >/dev/null
mkdir -p "$scratch/bundles-dst"
"${phaul[@]}" serve --listen 127.0.0.1:7499 --wdir "$scratch/sessions" --key-file "$scratch/key" --containers "$scratch/bundles-dst" \
    --runtime-root "$scratch/root-dst" --cgroup-parent /phaul-bench-dst "${handshake[@]}" >"$scratch/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do grep -q "listening on" "$scratch/serve.log" && break; sleep 0.1; done

# Each move_* takes the source bundle and the id of a running container and leaves it running in root-dst.
move_phaul() { # $3: --strategy
    "${phaul[@]}" migrate --container "$2" --strategy "$3" --runtime-root "$scratch/root-src" --to 127.0.0.1:7499 --key-file "$scratch/key" \
        "${handshake[@]}" >"$scratch/migrate-$2.log" 2>&1 || { cat "$scratch/migrate-$2.log" "$scratch/serve.log" >&2; return 1; }
    grep -E '^(frozen|memory|pre-copy)' "$scratch/migrate-$2.log" | tr -s ' \n' ' '
}
to_destination_cgroup() { sed -i 's#/phaul-bench-src/#/phaul-bench-dst/#' "$1/config.json"; }
restore_by_hand() { # $1 bundle, $2 id, $3 images, more: runc restore options
    local b=$1 id=$2 images=$3; shift 3
    runc --root "$scratch/root-dst" --criu "$CRIU" restore --detach --image-path "$images" --work-path "$images" "$@" --bundle "$b" "$id" </dev/null >/dev/null 2>&1
}
move_hand() { # runc checkpoint (kills the source's copy), cp, runc restore
    local d=$scratch/hand-$2
    mkdir -p "$d/"{images,copy,work}
    runc --root "$scratch/root-src" --criu "$CRIU" checkpoint --image-path "$d/images" --work-path "$d/work" "$2"
    cp -r "$d/images/." "$d/copy/"
    to_destination_cgroup "$1"
    restore_by_hand "$1" "$2" "$d/copy"
}
move_kept() { # the order a migration tool must keep: the source's copy stays (paused) until the restore succeeded
    local d=$scratch/kept-$2
    mkdir -p "$d/"{images,copy,work}
    runc --root "$scratch/root-src" pause "$2"
    runc --root "$scratch/root-src" --criu "$CRIU" checkpoint --leave-running --image-path "$d/images" --work-path "$d/work" "$2"
    cp -r "$d/images/." "$d/copy/"
    to_destination_cgroup "$1"
    restore_by_hand "$1" "$2" "$d/copy"
    runc --root "$scratch/root-src" delete --force "$2"
}
move_lazy() { # post-copy by hand, in the same safe order: lazy checkpoint, cp, lazy-pages daemon, lazy restore, delete once served
    local d=$scratch/lazy-$2 port=$((7500 + RANDOM % 400))
    mkdir -p "$d/"{images,copy,work}
    runc --root "$scratch/root-src" pause "$2"
    runc --root "$scratch/root-src" --criu "$CRIU" checkpoint --leave-running --lazy-pages --page-server "127.0.0.1:$port" \
        --status-fd 3 --image-path "$d/images" --work-path "$d/work" "$2" 3>"$d/ready" &
    local checkpoint=$!
    until [[ -s $d/ready ]]; do kill -0 "$checkpoint" || { echo "runc checkpoint --lazy-pages failed" >&2; exit 1; }; sleep 0.001; done
    cp -r "$d/images/." "$d/copy/"
    "$CRIU" lazy-pages --page-server --address 127.0.0.1 --port "$port" -D "$d/copy" -o lazy-pages.log &
    until [[ -S $d/copy/lazy-pages.socket ]]; do sleep 0.001; done
    to_destination_cgroup "$1"
    restore_by_hand "$1" "$2" "$d/copy" --lazy-pages
    wait "$checkpoint"
    runc --root "$scratch/root-src" delete --force "$2"
}

read -ra methods <<<"${METHODS:-phaul-stop-and-copy phaul-postcopy hand kept lazy}"
declare -A title=(
    [phaul-stop-and-copy]="phaul migrate --container (stop-and-copy, TLS)"
    [phaul-postcopy]="phaul migrate --container --strategy postcopy (TLS)"
    [phaul-precopy]="phaul migrate --container --strategy precopy (TLS)"
    [phaul-hybrid]="phaul migrate --container --strategy hybrid (TLS)"
    [hand]="runc checkpoint + cp + runc restore, by hand"
    [kept]="the same, source kept paused until restored"
    [lazy]="runc checkpoint --lazy-pages + cp + lazy-pages + runc restore --lazy-pages, by hand, source kept"
)
declare -A gaps
for run in $(seq "$RUNS"); do
    for method in "${methods[@]}"; do
        id=bench-$method-$run
        b=$(bundle "$id" /phaul-bench-src)
        start "$scratch/root-src" "$b" "$id"
        before=$(status "$b" counter)
        t0=$(date +%s%N)
        case $method in
            phaul-*) said=$(move_phaul "$b" "$id" "${method#phaul-}") ;;
            *) said=""; "move_$method" "$b" "$id" ;;
        esac
        t1=$(date +%s%N)
        gap=$(gap_after "$b" "$before")   # the root file system is shared: the restored workload writes the same status file
        bad=$(status "$b" bad_words)
        gaps[$method]+="$gap "
        echo "$MIB MiB run $run ${title[$method]}: downtime $gap ms, commands $(( (t1 - t0) / 1000000 )) ms, bad words $bad${said:+; $said}"
        runc --root "$scratch/root-dst" delete --force "$id" >/dev/null
    done
done

echo
header="| memory |" rule="| ---: |" row="| $MIB MiB |"
for method in "${methods[@]}"; do
    header+=" ${title[$method]} |" rule+=" ---: |"
    row+=" $(printf '%s\n' ${gaps[$method]} | median) ms |"
done
printf '%s\n%s\n%s\n' "$header" "$rule" "$row"
echo "medians of $RUNS; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
