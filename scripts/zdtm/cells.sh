# One test in every column, and the results: sourced by scripts/zdtm/run-corpus.sh after lib.sh.
# shellcheck shell=bash

declare -A OUTCOME=() DOWNTIME=() WHY=() CHECK=()
LAUNCHER="" ROOT="" RESTORED_ROOT="" FAILURE=""

run_test() {
    local zdtm=$1 t=$2 col
    for col in "${COLUMNS_RUN[@]}"; do run_cell "$zdtm" "$t" "$col"; done
    printf '%-22s %-24s %-24s %-24s\n' "$t" "${OUTCOME[$t,raw]}" "${OUTCOME[$t,stop-and-copy]}" "${OUTCOME[$t,postcopy]}" >&2
}

# Starts the test, migrates it in column $3, asks for its verdict, and judges the outcome.
run_cell() {
    local zdtm=$1 t=$2 col=$3 dir=$RUN/$2/$3 dopts ropts missing
    mkdir -p "$dir"
    dopts="$(desc_field "$zdtm/static/$t.desc" opts) $(desc_field "$zdtm/static/$t.desc" dopts)"
    ropts="$(desc_field "$zdtm/static/$t.desc" opts) $(desc_field "$zdtm/static/$t.desc" ropts)"
    FAILURE="" RESTORED_ROOT="" CELL_T=$t CELL_COL=$col
    if [[ $col != raw ]] && missing=$(missing_cli_flags $dopts $ropts) && [[ -n $missing ]]; then
        record "$t" "$col" skip "needs $missing" ""
        return
    fi
    if ! start_workload "$dir" "$(test_command "$zdtm/static" "$t")" "$t"; then
        record "$t" "$col" fail FAIL "start: $FAILURE"
        ROOT=$(first_child "$LAUNCHER")
        stop_trees
        return
    fi
    local ms=""
    if [[ $col == raw ]]; then ms=$(migrate_raw "$dir" "$dopts" "$ropts") || true
    else ms=$(migrate_phaul "$dir" "$col" $dopts $ropts) || true; fi
    [[ -s $dir/restored.pid ]] && RESTORED_ROOT=$(<"$dir/restored.pid")
    [[ -s $dir/failure ]] && FAILURE=$(<"$dir/failure")
    if [[ -z $FAILURE ]]; then
        DOWNTIME[$t,$col]=$ms
        verdict "$dir" "$t" || true
    fi
    stop_trees
    judge "$t" "$col"
}

# The flags among "$@" that this build of `phaul migrate` does not have.
missing_cli_flags() {
    local flag have out=()
    for flag in $(printf '%s\n' "$@" | sort -u); do
        have=0
        for f in "${CLI_FLAGS[@]}"; do [[ $f == "$flag" ]] && have=1; done
        ((have)) || out+=("$flag")
    done
    echo "${out[*]}"
}

# Starts command $2 in $1 as zdtm does, inside new PID/IPC/UTS namespaces on the source host, under
# an init that waits forever. Sets LAUNCHER (unshare) and ROOT (the namespace's init, the tree's root).
start_workload() {
    local dir=$1 cmd=$2 t=$3
    # shellcheck disable=SC2086 # the command line is words without spaces, from zdtm's Makefile
    (cd "$dir" && exec nsenter --net="/run/netns/$SRC_NS" unshare --pid --ipc --uts --fork setsid \
        sh -c '"$@" 2>start.err || exit 1; exec sleep infinity' zdtm-init $cmd) </dev/null >/dev/null 2>&1 &
    LAUNCHER=$! ROOT=""
    if ! poll_until $PATIENCE "$t to write its pidfile" test_ready "$dir" "$t"; then
        FAILURE="no pidfile within ${PATIENCE}s; $(head -c 300 "$dir/start.err" 2>/dev/null)"
        return 1
    fi
    ROOT=$(first_child "$LAUNCHER")
    [[ -n $ROOT ]] && alive "$ROOT" || { FAILURE="the test exited at start: $(head -c 300 "$dir/start.err" 2>/dev/null)"; return 1; }
}

# Ready: the test wrote its pidfile and the namespace's init went on to wait (sleep runs).
test_ready() {
    local root
    alive "$LAUNCHER" || return 0 # ended: start_workload sees no root
    [[ -s $1/$2.pid ]] || return 1
    root=$(first_child "$LAUNCHER")
    [[ -n $root && $(cat "/proc/$root/comm" 2>/dev/null) == sleep ]]
}

# Raw CRIU, as a migration tool must order it. Prints the freeze-to-restored milliseconds; on
# failure writes $1/failure.
migrate_raw() {
    local dir=$1 dopts=$2 ropts=$3 src=$1/img-src dst=$1/img-dst t0 t1
    mkdir -p "$src" "$dst"
    # shellcheck disable=SC2086
    {
        "${ON_DST[@]}" "$CRIU" page-server -D "$dst" --address "$DST_ADDR" --port "$RAW_PORT" -d --pidfile "$dst/page-server.pid" \
            -o page-server.log -v4 || { echo "page-server: $(criu_headline "$dst/page-server.log")" >"$dir/failure"; return 1; }
        t0=$(now_ms)
        if ! run_with_deadline $CRIU_PATIENCE "$dir/failure" "$dir" "${ON_SRC[@]}" "$CRIU" dump -t "$ROOT" -D "$src" -o dump.log -v4 \
            --page-server --address "$DST_ADDR" --port "$RAW_PORT" --leave-stopped $dopts; then
            [[ -s $dir/failure ]] || echo "dump failed: $(criu_headline "$src/dump.log")" >"$dir/failure"
            kill -KILL "$(cat "$dst/page-server.pid" 2>/dev/null)" 2>/dev/null || true
            return 1
        fi
        cp "$src"/*.img "$dst"/
        if ! run_with_deadline $CRIU_PATIENCE "$dir/failure" "$dir" "${ON_DST[@]}" "$CRIU" restore -D "$dst" -o restore.log -v4 -d \
            --pidfile "$dir/restored.pid" $ropts; then
            [[ -s $dir/failure ]] || echo "restore failed: $(criu_headline "$dst/restore.log")" >"$dir/failure"
            return 1
        fi
        t1=$(now_ms)
    } </dev/null >>"$dir/criu.out" 2>&1
    kill -KILL "$ROOT" # the frozen source, only now that the copy runs
    echo $((t1 - t0))
}

# `phaul migrate` with strategy $2 and the CLI flags for CRIU options "${@:3}". Prints the downtime
# the report gives (milliseconds); on failure writes $1/failure.
migrate_phaul() {
    local dir=$1 col=$2 rc=0 flags restored
    shift 2
    flags=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
    # shellcheck disable=SC2086
    # The destination's CRIU works in phaul serve's session directory: on a time-out, it is watched too.
    run_with_deadline $MIGRATE_PATIENCE "$dir/failure" "$dir $RUN/sessions" "${ON_SRC[@]}" dotnet "$DLL" migrate --pid "$ROOT" \
        --to "$DST_ADDR:$PORT" --key-file "$RUN/key" --strategy "$col" --no-fallback --criu "$CRIU" --json - \
        --wdir "$dir/wdir" $flags </dev/null >"$dir/report.json" 2>"$dir/migrate.err" || rc=$?
    if ((rc != 0)); then
        [[ -s $dir/failure ]] || echo "phaul exit $rc: $(phaul_cause "$dir")" >"$dir/failure"
        return 1
    fi
    restored=$(jq -r '.restoredPid // empty' "$dir/report.json")
    [[ -n $restored ]] || { echo "phaul's report has no restoredPid" >"$dir/failure"; return 1; }
    echo "$restored" >"$dir/restored.pid"
    poll_until $PATIENCE "the source's copy to end" gone "$ROOT" || { echo "the source's copy still runs after the migration" >"$dir/failure"; return 1; }
    if [[ $col == postcopy ]]; then jq -r '.postCopy.freezeToResume // empty' "$dir/report.json"
    else jq -r '.finalStageDuration // empty' "$dir/report.json"; fi | awk '{printf "%d\n", $1}'
}

# phaul's own cause line, then the first error of CRIU's logs on both ends.
phaul_cause() {
    local dir=$1 cause logs=()
    cause=$(grep -m1 -E 'Cause:|FAILED|failed' "$dir/migrate.err" | cut -c1-160 || true)
    # The restore's log first: when both ends logged errors, the dump's are the echo of the restore's.
    mapfile -t logs < <(find "$dir/wdir" "$RUN/sessions" -name '*.log' -newer "$dir/start.err" 2>/dev/null |
        awk '{print (/restore/ ? 0 : /dump/ ? 1 : 2) "\t" $0}' | sort -k1,1n | cut -f2-)
    echo "${cause:-$(tail -n1 "$dir/migrate.err" | cut -c1-160)} | $(criu_headline "${logs[@]}")"
}

# SIGTERM to the restored test, as zdtm's stop: it checks its state and writes PASS or FAIL.
verdict() {
    local dir=$1 t=$2 nspid pid
    nspid=$(<"$dir/$t.pid")
    pid=$(host_pid_of "$RESTORED_ROOT" "$nspid")
    [[ -n $pid ]] || { FAILURE="no process with pid $nspid in the restored namespace"; return 1; }
    kill -TERM "$pid"
    if ! poll_until $PATIENCE "$t's verdict" test -e "$dir/$t.out"; then
        FAILURE="no verdict within ${PATIENCE}s of SIGTERM"
        return 1
    fi
    grep -qw PASS "$dir/$t.out" || FAILURE="verdict: $(grep -v '^$' "$dir/$t.out" | tail -n2 | tr '\n' ' ' | cut -c1-200)"
}

# Ends whatever of the test still runs: the restored copy and the source's (frozen or not).
stop_trees() {
    local pid
    for pid in $RESTORED_ROOT $ROOT; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in $RESTORED_ROOT $ROOT; do
        # Only a pid still running is kept for the exit's clean-up: an ended one may be reused by then.
        poll_until 10 "pid $pid to end" gone "$pid" || STILL_RUNNING+=("$pid")
    done
    kill_working_in "$RUN/$CELL_T/$CELL_COL" # anything of the test left, e.g. a restore that never finished
    wait "$LAUNCHER" 2>/dev/null || true
    LAUNCHER="" ROOT="" RESTORED_ROOT=""
}

# Judges a cell against what is expected: a pass, or for a one-machine test a failure naming its pattern.
judge() {
    local t=$1 col=$2 pattern
    pattern=$(one_machine_field "$t" 2)
    if [[ -z $FAILURE ]]; then
        if [[ -n $pattern && $col == raw ]]; then record "$t" "$col" fail "PASS (listed!)" "raw CRIU passes a test one-machine.txt lists"
        else record "$t" "$col" pass PASS ""; fi
    elif [[ -n $pattern ]] && grep -Eq -- "$pattern" <<<"$FAILURE"; then
        record "$t" "$col" pass "one-machine" "$FAILURE"
    else
        record "$t" "$col" fail FAIL "$FAILURE"
    fi
}

record() { CHECK[$1,$2]=$3 OUTCOME[$1,$2]=$4 WHY[$1,$2]=$5; }

# ---------------------------------------------------------------- the results

# The downtimes of column $1 over the tests "${@:2}" that passed in it, one a line.
downtimes() {
    local col=$1 t
    shift
    for t in "$@"; do
        if [[ ${CHECK[$t,$col]} == pass && -n ${DOWNTIME[$t,$col]:-} ]]; then echo "${DOWNTIME[$t,$col]}"; fi
    done
}

median() { sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else print int((v[NR/2]+v[NR/2+1])/2)}'; }

print_results() {
    local seconds=$1 t col passed=0 failed=0 skipped=0 tests
    tests=$(printf '%s\n' "${!CHECK[@]}" | cut -d, -f1 | sort -u)
    echo
    echo "zdtm static tests migrated between two network namespaces (CRIU $("$CRIU" --version | awk '/^Version:/ {print $2}'))"
    printf '| %-22s | %-14s | %-14s | %-14s | %10s | %10s | %10s |\n' test raw stop-and-copy post-copy "raw ms" "s&c ms" "post ms"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(rep 22)" "$(rep 14)" "$(rep 14)" "$(rep 14)" "$(rep 10)" "$(rep 10)" "$(rep 10)"
    for t in $tests; do
        printf '| %-22s | %-14s | %-14s | %-14s | %10s | %10s | %10s |\n' "$t" "${OUTCOME[$t,raw]:-}" "${OUTCOME[$t,stop-and-copy]:-}" \
            "${OUTCOME[$t,postcopy]:-}" "${DOWNTIME[$t,raw]:--}" "${DOWNTIME[$t,stop-and-copy]:--}" "${DOWNTIME[$t,postcopy]:--}"
        for col in "${COLUMNS_RUN[@]}"; do
            case ${CHECK[$t,$col]:-} in pass) passed=$((passed + 1)) ;; fail) failed=$((failed + 1)) ;; skip) skipped=$((skipped + 1)) ;; esac
        done
    done
    echo
    for col in "${COLUMNS_RUN[@]}"; do
        echo "median downtime, $col: $(downtimes "$col" $tests | median) ms"
    done
    echo "(raw: from the dump's start to the restore's end, CRIU's start-up included; phaul: its report's," \
        "finalStageDuration for stop-and-copy, postCopy.freezeToResume for post-copy)"
    print_notes "$tests"
    echo "corpus time: ${seconds}s for $(wc -w <<<"$tests") tests"
    echo "zdtm corpus: $passed passed, $failed failed, $skipped skipped"
    TALLIED=1
    if ((failed > 0)); then
        echo "*** zdtm corpus FAILED: $failed check(s) failed (the FINDING lines above name each one)" >&2
        exit 1
    fi
}

rep() { printf '%*s' "$1" '' | tr ' ' -; }

# Failures (findings), one-machine evidence and skips, each with its headline.
print_notes() {
    local t col
    echo
    for t in $1; do
        for col in "${COLUMNS_RUN[@]}"; do
            case ${CHECK[$t,$col]:-} in
                fail) echo "FINDING $t [$col]: ${WHY[$t,$col]}" ;;
                skip) echo "skipped $t [$col]: ${OUTCOME[$t,$col]}" ;;
                pass) [[ ${OUTCOME[$t,$col]} != one-machine ]] ||
                    echo "one-machine $t [$col]: $(one_machine_field "$t" 3); failed as listed: ${WHY[$t,$col]}" ;;
            esac
        done
    done
}
