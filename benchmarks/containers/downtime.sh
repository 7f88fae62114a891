#!/usr/bin/env bash
# Container downtime on this machine: a runc container holding MIB of memory (Phaul's demo workload, built
# static, in a busybox root file system) moved between two runc roots by `phaul migrate --container` to a
# `phaul serve --containers` on loopback (TLS), next to the same container moved by hand: `runc checkpoint`,
# a copy of the images, `runc restore`; and by hand in the order a migration tool must keep (pause, checkpoint
# --leave-running, copy, restore, then delete the source's copy). The downtime is the workload's largest wall-clock gap between two
# turns of its loop (about one per millisecond). Prints each run and the medians.
# Usage (as root, after scripts/install-criu.sh): benchmarks/containers/downtime.sh [MIB] [RUNS]
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

dotnet build src/Phaul.Cli -c Release -nologo -v quiet -clp:NoSummary >&2
phaul=(dotnet src/Phaul.Cli/bin/Release/net10.0/phaul.dll)
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
    --runtime-root "$scratch/root-dst" --cgroup-parent /phaul-bench-dst >"$scratch/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do grep -q "listening on" "$scratch/serve.log" && break; sleep 0.1; done

phaul_gaps=() hand_gaps=() kept_gaps=()
for run in $(seq "$RUNS"); do
    id=bench-phaul-$run
    b=$(bundle "$id" /phaul-bench-src)
    start "$scratch/root-src" "$b" "$id"
    before=$(status "$b" counter)
    t0=$(date +%s%N)
    "${phaul[@]}" migrate --container "$id" --runtime-root "$scratch/root-src" --to 127.0.0.1:7499 --key-file "$scratch/key" >"$scratch/migrate-$run.log" 2>&1
    t1=$(date +%s%N)
    gap=$(gap_after "$b" "$before")   # the root file system is shared: the restored workload writes the same status file
    phaul_gaps+=("$gap")
    echo "$MIB MiB run $run phaul migrate --container: downtime $gap ms, command $(( (t1 - t0) / 1000000 )) ms; $(grep '^frozen' "$scratch/migrate-$run.log")"
    runc --root "$scratch/root-dst" delete --force "$id" >/dev/null

    id=bench-hand-$run
    b=$(bundle "$id" /phaul-bench-src)
    start "$scratch/root-src" "$b" "$id"
    before=$(status "$b" counter)
    mkdir -p "$scratch/hand-$run/"{images,copy,work}
    t0=$(date +%s%N)
    runc --root "$scratch/root-src" --criu "$CRIU" checkpoint --image-path "$scratch/hand-$run/images" --work-path "$scratch/hand-$run/work" "$id"
    cp -r "$scratch/hand-$run/images/." "$scratch/hand-$run/copy/"
    python3 - "$b/config.json" "$scratch/hand-$run/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["cgroupsPath"] = c["linux"]["cgroupsPath"].replace("/phaul-bench-src/", "/phaul-bench-dst/")
json.dump(c, open(sys.argv[2], "w"))
PY
    mv "$b/config.json" "$b/config.source.json" && cp "$scratch/hand-$run/config.json" "$b/config.json"
    runc --root "$scratch/root-dst" --criu "$CRIU" restore --detach --image-path "$scratch/hand-$run/copy" --work-path "$scratch/hand-$run/work" \
        --bundle "$b" "$id" </dev/null >/dev/null 2>&1
    t1=$(date +%s%N)
    gap=$(gap_after "$b" "$before")
    hand_gaps+=("$gap")
    echo "$MIB MiB run $run runc checkpoint + cp + runc restore: downtime $gap ms, commands $(( (t1 - t0) / 1000000 )) ms"
    runc --root "$scratch/root-dst" delete --force "$id" >/dev/null
    rm -rf "$scratch/hand-$run"

    # By hand in the order a migration tool must keep: the source's copy stays (paused) until the restore succeeded.
    id=bench-kept-$run
    b=$(bundle "$id" /phaul-bench-src)
    start "$scratch/root-src" "$b" "$id"
    before=$(status "$b" counter)
    mkdir -p "$scratch/kept-$run/"{images,copy,work}
    t0=$(date +%s%N)
    runc --root "$scratch/root-src" pause "$id"
    runc --root "$scratch/root-src" --criu "$CRIU" checkpoint --leave-running --image-path "$scratch/kept-$run/images" \
        --work-path "$scratch/kept-$run/work" "$id"
    cp -r "$scratch/kept-$run/images/." "$scratch/kept-$run/copy/"
    sed -i 's#/phaul-bench-src/#/phaul-bench-dst/#' "$b/config.json"
    runc --root "$scratch/root-dst" --criu "$CRIU" restore --detach --image-path "$scratch/kept-$run/copy" --work-path "$scratch/kept-$run/work" \
        --bundle "$b" "$id" </dev/null >/dev/null 2>&1
    runc --root "$scratch/root-src" delete --force "$id"
    t1=$(date +%s%N)
    gap=$(gap_after "$b" "$before")
    kept_gaps+=("$gap")
    echo "$MIB MiB run $run pause + runc checkpoint --leave-running + cp + runc restore + delete: downtime $gap ms, commands $(( (t1 - t0) / 1000000 )) ms"
    runc --root "$scratch/root-dst" delete --force "$id" >/dev/null
    rm -rf "$scratch/kept-$run"
done

echo
echo "| memory | phaul migrate --container (stop-and-copy, TLS) | runc checkpoint + cp + runc restore, by hand | the same, source kept paused until restored |"
echo "| ---: | ---: | ---: | ---: |"
echo "| $MIB MiB | $(printf '%s\n' "${phaul_gaps[@]}" | median) ms | $(printf '%s\n' "${hand_gaps[@]}" | median) ms | $(printf '%s\n' "${kept_gaps[@]}" | median) ms |"
echo "medians of $RUNS; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
