# Shared helpers of the berth-runtime bats tests.
#
# RUNTIME is the binary under test (default: the build's berth-runtime); the tests also run
# against runc or crun: RUNTIME=runc bats tests/integration. Every test gets a private
# --root, bundle and id (all named berth-...), and teardown removes whatever the test made,
# even when it failed: containers, processes, cgroups, mounts, network namespaces.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
RUNTIME=${RUNTIME:-$BUILD/src/cli/berth-runtime/berth-runtime}
FIXTURES=$REPO/tests/fixtures
CGROUP_ROOT=/sys/fs/cgroup

# setup: a temp dir with the bundle, the state root and a unique id.
berth_setup() {
        if ! command -v "$RUNTIME" >/dev/null 2>&1; then
                echo "RUNTIME=$RUNTIME is not executable (build first)" >&2
                return 1
        fi
        TESTDIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-test.XXXXXX")
        chmod 755 "$TESTDIR"  # a user-namespaced root must reach the rootfs
        ROOT=$TESTDIR/root
        BUNDLE=$TESTDIR/bundle
        ID=berth-t${BATS_SUITE_TEST_NUMBER:-0}-$$-$RANDOM
        NETNS=()
        EXTRA_CGROUPS=()
        mkdir -p "$ROOT"
}

# teardown: kill and delete every container under our root, kill any process that still
# carries our id, unmount anything under TESTDIR, remove our cgroups and netns.
berth_teardown() {
        [ -n "${TESTDIR:-}" ] || return 0
        local id pid
        for id in $(ls "$ROOT" 2>/dev/null); do
                "$RUNTIME" --root "$ROOT" kill "$id" KILL >/dev/null 2>&1 || true
                "$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
        done
        for pid in $(berth_pids_of "$ID"); do
                kill -KILL "$pid" 2>/dev/null || true
        done
        for pid in $(berth_pids_of "$ID"); do
                # wait up to 2 s for the processes to go (SIGKILL is asynchronous)
                local i
                for i in $(seq 20); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
        done
        local mnt
        for mnt in $(awk -v d="$TESTDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
                umount -l "$mnt" 2>/dev/null || true
        done
        local dir
        for dir in $(berth_cgroups_of "$ID") "${EXTRA_CGROUPS[@]}"; do
                rmdir "$dir" 2>/dev/null || true
        done
        local ns
        for ns in "${NETNS[@]}"; do
                ip netns del "$ns" 2>/dev/null || true
        done
        rm -rf "$TESTDIR"
}

# the runtime with our private root and our id in its environment (so that a process it
# leaves behind can be found)
rt() {
        BERTH_TEST_ID=$ID "$RUNTIME" --root "$ROOT" "$@"
}

# make_bundle [--no-netns] [--readonly] [--] ARGS...: the busybox bundle in $BUNDLE, with
# cgroupsPath /$ID (the id at the time of the call) and BERTH_TEST_ID=$ID in the process environment.
make_bundle() {
        rm -rf "$BUNDLE"
        "$FIXTURES/make-bundle.sh" "$BUNDLE" "$@"
        cfg --arg cg "/$ID" --arg id "$ID" \
                '.linux.cgroupsPath = $cg | .process.env += ["BERTH_TEST_ID=" + $id]'
}

# cfg [jq options] FILTER: edit $BUNDLE/config.json in place with jq
cfg() {
        local tmp=$BUNDLE/config.json.tmp
        jq "$@" "$BUNDLE/config.json" > "$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# run the bundle in the foreground: bats `run` gets its output and status
run_ctr() {
        run rt run --bundle "$BUNDLE" "$ID"
}

# create a container without tying up bats' output pipes
create_ctr() {
        rt create --bundle "$BUNDLE" "$@" "$ID" \
                > "$TESTDIR/ctr.out" 2> "$TESTDIR/ctr.err" < /dev/null
}

ctr_pid() {
        rt state "${1:-$ID}" | jq -r .pid
}

ctr_status() {
        rt state "${1:-$ID}" | jq -r .status
}

# wait_for CMD...: retry CMD for up to 5 s (WAIT_TRIES x 0.1 s)
wait_for() {
        local i
        for i in $(seq "${WAIT_TRIES:-50}"); do
                "$@" && return 0
                sleep 0.1
        done
        echo "timed out waiting for: $*" >&2
        return 1
}

status_is() {
        [ "$(ctr_status "${2:-$ID}" 2>/dev/null)" = "$1" ]
}

# pids of the processes of container ID: those whose environment carries BERTH_TEST_ID=ID
# (the container's after exec, and any runtime process started by rt), those in a cgroup
# named ID (a created init that has not exec'd yet), and those whose root is in
# TESTDIR
berth_pids_of() {
        {
                grep -lzx "BERTH_TEST_ID=$1" /proc/[0-9]*/environ 2>/dev/null
                grep -lE ":/(.*/)?$1(/.*)?\$" /proc/[0-9]*/cgroup 2>/dev/null
                local f
                for f in /proc/[0-9]*/root; do
                        [[ "$(readlink "$f" 2>/dev/null)" == "$TESTDIR"/* ]] && echo "$f"
                done
        } | sed -n 's|^/proc/\([0-9]*\)/.*$|\1|p' | grep -vx "$$" | sort -un || true
}

# cgroup directories named like ID (any controller, any depth up to 6)
berth_cgroups_of() {
        find "$CGROUP_ROOT" -mindepth 2 -maxdepth 6 -type d -name "*$1*" 2>/dev/null | sort -r
}

# host path of controller CTRL for the default cgroupsPath /$ID
cg_dir() {
        echo "$CGROUP_ROOT/$1/$ID"
}

# after a failed command: nothing of ID may remain
assert_no_leftovers() {
        local id=${1:-$ID}
        if [ -e "$ROOT/$id" ]; then
                echo "state dir $ROOT/$id remains" >&2
                return 1
        fi
        local cgs
        cgs=$(berth_cgroups_of "$id")
        if [ -n "$cgs" ]; then
                echo "cgroups remain: $cgs" >&2
                return 1
        fi
        if grep -F "$TESTDIR" /proc/self/mountinfo >&2; then
                echo "mounts under $TESTDIR remain" >&2
                return 1
        fi
        local pids
        pids=$(berth_pids_of "$id")
        if [ -n "$pids" ]; then
                echo "processes remain: $pids" >&2
                ps -o pid,args -p "$(echo $pids | tr ' ' ,)" >&2 || true
                return 1
        fi
}

# a failed command printed exactly one line that mentions the runtime's complaint
assert_one_error_line() {
        if [ "$status" -eq 0 ]; then
                echo "expected failure, got status 0; output: $output" >&2
                return 1
        fi
        if [ "${#lines[@]}" -ne 1 ]; then
                echo "expected one line of error, got ${#lines[@]}:" >&2
                printf '  %s\n' "${lines[@]}" >&2
                return 1
        fi
}

# the host's namespace inode of TYPE, e.g. "net:[4026531840]"
host_ns() {
        readlink "/proc/self/ns/$1"
}

fail() {
        echo "$@" >&2
        return 1
}

# like bats' run (sets status, output, lines) but through a file: for commands such as
# create that may leave a process holding stdout, which would block `run` forever
run_file() {
        local out=$TESTDIR/run_file.out
        status=0
        "$@" > "$out" 2>&1 < /dev/null || status=$?
        output=$(cat "$out")
        mapfile -t lines < <(grep -v '^$' "$out")
}
