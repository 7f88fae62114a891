# Functions of scripts/zdtm/run-corpus.sh (sourced; it sets CRIU, RUN, DLL, the namespaces and ports).
# shellcheck shell=bash

# ---------------------------------------------------------------- the corpus and its tests

# Fetches and builds zdtm (cache outside the repository); prints its test/zdtm directory.
prepare_zdtm() {
    local out dir
    if ((ALL)); then out=$(scripts/zdtm/fetch-build.sh $(all_eligible_names)) || die "fetch-build.sh failed"
    elif ((${#NAMED[@]})); then out=$(scripts/zdtm/fetch-build.sh "${NAMED[@]}") || die "fetch-build.sh failed"
    else out=$(scripts/zdtm/fetch-build.sh) || die "fetch-build.sh failed"; fi
    dir=$(sed -n 's/^export PHAUL_ZDTM_DIR=//p' <<<"$out" | tail -n1)
    [[ -d $dir/static ]] || die "fetch-build.sh named no zdtm directory"
    echo "$dir"
}

corpus_names() { sed -e 's/#.*//' tests/zdtm/corpus.txt | awk 'NF {print $1}'; }

# --all: every static test whose .desc asks for nothing beyond what corpus.txt's header allows.
# Needs the unpacked source, so it first makes sure of that with the corpus's own build.
all_eligible_names() {
    local out dir t
    out=$(scripts/zdtm/fetch-build.sh) || die "fetch-build.sh failed"
    dir=$(sed -n 's/^export PHAUL_ZDTM_DIR=//p' <<<"$out" | tail -n1)/static
    for t in $(make -s -n -p -C "$dir" --no-print-directory 2>/dev/null | sed -n 's/^TST_\(NOFILE\|FILE\|DIR\) *:\?= *//p'); do
        eligible "$dir/$t" && echo "$t"
    done
}

# True when test $1 (a path without suffix) needs nothing a bare tree's migration lacks.
eligible() {
    local desc=$1.desc flags opts arch
    [[ -e $1.checkskip || -e $1.hook ]] && return 1
    [[ -s $desc ]] || return 0
    grep -Eq "'(feature|deps)'" "$desc" && return 1
    arch=$(desc_field "$desc" arch)
    [[ -z $arch || $arch == "$(uname -m)" ]] || return 1
    flags=$(desc_field "$desc" flags)
    [[ -z $(tr ' ' '\n' <<<"$flags" | grep -Ev '^(suid|nouser|samens|excl|)$') ]] || return 1
    opts="$(desc_field "$desc" opts) $(desc_field "$desc" dopts) $(desc_field "$desc" ropts)"
    [[ -z $(tr ' ' '\n' <<<"$opts" | grep -Ev '^(--tcp-established|--file-locks|)$') ]]
}

# The value of a string field of a zdtm .desc (a Python dict literal), or nothing.
desc_field() {
    [[ -s $1 ]] || return 0
    grep -o "'$2' *: *'[^']*'" "$1" | sed "s/^'$2' *: *'\\(.*\\)'$/\\1/" | head -n1 || true
}

corpus_tests() {
    local zdtm=$1 t
    if ((${#NAMED[@]})); then printf '%s\n' "${NAMED[@]}"
    elif ((ALL)); then all_eligible_names
    else corpus_names; fi | while read -r t; do
        [[ -x $zdtm/static/$t ]] || die "$zdtm/static/$t is not built"
        echo "$t"
    done
}

# The test's command line as its Makefile starts it (`make -n T.pid`), with the binary's full path.
test_command() {
    local static=$1 t=$2 line
    line=$(make -s -n --no-print-directory -C "$static" "$t.pid" 2>/dev/null | grep -m1 "^\./$t " || true)
    [[ -n $line ]] || die "zdtm's Makefile has no command line for $t.pid"
    echo "$static/$t ${line#"./$t "}"
}

# "one-machine" reason and pattern of a test from tests/zdtm/one-machine.txt (TEST|PATTERN|REASON).
one_machine_field() {
    awk -F'|' -v t="$1" -v f="$2" '$0 !~ /^#/ && $1 ~ "^ *" t " *$" {gsub(/^ +| +$/, "", $f); print $f}' tests/zdtm/one-machine.txt
}

# ---------------------------------------------------------------- two hosts and phaul serve

create_hosts() {
    ip netns add "$SRC_NS" && ip netns add "$DST_NS" || die "could not create network namespaces"
    ip link add "zd${ID}s" netns "$SRC_NS" type veth peer name "zd${ID}d" netns "$DST_NS" || die "could not create the veth pair"
    ip -n "$SRC_NS" addr add "$SRC_ADDR/30" dev "zd${ID}s" && ip -n "$SRC_NS" link set "zd${ID}s" up && ip -n "$SRC_NS" link set lo up
    ip -n "$DST_NS" addr add "$DST_ADDR/30" dev "zd${ID}d" && ip -n "$DST_NS" link set "zd${ID}d" up && ip -n "$DST_NS" link set lo up
}

# Prefixes that run a command on the source or the destination host.
ON_SRC=(nsenter --net="/run/netns/$SRC_NS")
ON_DST=(nsenter --net="/run/netns/$DST_NS")

start_serve() {
    dotnet "$DLL" keygen "$RUN/key" >/dev/null || die "phaul keygen failed"
    # nsenter execs dotnet, so $! is phaul serve itself (a shell function here would put a subshell between).
    nsenter --net="/run/netns/$DST_NS" dotnet "$DLL" serve --listen "$DST_ADDR:$PORT" --wdir "$RUN/sessions" --key-file "$RUN/key" --criu "$CRIU" \
        </dev/null >"$RUN/serve.out" 2>"$RUN/serve.err" &
    SERVE_PID=$!
    poll_until $PATIENCE "phaul serve to listen (see $RUN/serve.err)" grep -qs '^phaul serve: listening on' "$RUN/serve.out"
}

# The CRIU options phaul's CLI can pass on in this build (the criu-options work adds them).
detect_cli_flags() {
    local help flag
    help=$(dotnet "$DLL" migrate --help 2>&1)
    CLI_FLAGS=()
    for flag in --tcp-established --file-locks; do grep -q -- "$flag\b" <<<"$help" && CLI_FLAGS+=("$flag"); done
    log "phaul migrate passes on: ${CLI_FLAGS[*]:-none of --tcp-established, --file-locks}"
}

# ---------------------------------------------------------------- helpers

# Runs "$@" until it succeeds, for at most $1 seconds; fails naming $2 when time runs out.
# The command's stderr is not hidden: a fatal shell error in a polled function (set -u) must be seen.
poll_until() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || { echo "timed out after ${deadline}s waiting for $what" >&2; return 1; }
        sleep 0.1
    done
}

# Running (not a zombie). Polled often: bash builtins only, no process forked per call.
# A process reaped between the open and the read makes read fail (ESRCH) with nothing assigned:
# no State line read means gone.
alive() {
    local key="" state=""
    [[ -n $1 ]] || return 1
    { while read -r key state _; do [[ $key == State: ]] && break; done <"/proc/$1/status"; } 2>/dev/null || return 1
    [[ $key == State: && $state != Z ]]
}
gone() { ! alive "$1"; }
now_ms() { date +%s%3N; }

# The first error line CRIU logged in the given logs, leaving out the benign rlimit line.
criu_headline() {
    local f line
    for f in "$@"; do
        [[ -f $f ]] || continue
        line=$(grep -E 'Error|FAILED|failed' "$f" | grep -v 'RLIMIT_NOFILE' | head -n1 || true)
        [[ -z $line ]] || { echo "$(basename "$f"): $line" | cut -c1-200; return; }
    done
}

# The first child of single-threaded process $1 (unshare), without forking.
first_child() { local c=""; { read -r c _ <"/proc/$1/task/$1/children"; } 2>/dev/null || true; echo "$c"; }

# Every descendant pid of $1 (by /proc/PID/task/*/children).
descendants() {
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$child"; descendants "$child"; done
}

# The host pid, below root $1, of the process whose innermost pid is $2.
host_pid_of() {
    local pid
    for pid in $(descendants "$1"); do
        [[ $(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status" 2>/dev/null) == "$2" ]] && { echo "$pid"; return; }
    done
}

# Runs command "$@" for at most $1 seconds, in a session of its own. On time-out, writes to $2
# where the processes working in the directories $3 (a space-separated list) are blocked (their kernel wait channel: the evidence
# of what they wait for), kills them and the command's process group, and fails.
run_with_deadline() {
    local seconds=$1 report=$2 dir=$3 pid rc=0
    shift 3
    setsid "$@" &
    pid=$!
    if ! poll_until "$seconds" "$1" gone "$pid"; then
        echo "timed out after ${seconds}s; blocked: $(blocked_in "$dir")" >"$report"
        kill -KILL -- -"$pid" 2>/dev/null || true
        kill_working_in "$dir"
        wait "$pid" 2>/dev/null || true
        return 124
    fi
    wait "$pid" || rc=$?
    return "$rc"
}

# The processes whose working directory is under one of the directories $1 (a space-separated
# list): only this run's tests and the CRIU processes working on their images work there.
# One find per directory rather than a readlink per process: it runs after every cell.
working_in() {
    local dir
    for dir in $1; do find /proc/[0-9]*/cwd -maxdepth 0 -lname "$dir*" 2>/dev/null || true; done | cut -d/ -f3 | sort -u
}

# "comm in wchan" for each of them that is not stopped by a signal or by the freezer.
blocked_in() {
    local pid what=()
    for pid in $(working_in "$1"); do
        what+=("$(cat "/proc/$pid/comm" 2>/dev/null) in $(cat "/proc/$pid/wchan" 2>/dev/null)")
    done
    printf '%s\n' "${what[@]}" | sort | uniq -c | awk '{$1=$1 "x"; print}' | paste -sd ';' -
}

kill_working_in() {
    local pid
    for pid in $(working_in "$1"); do kill -KILL "$pid" 2>/dev/null || true; done
}
