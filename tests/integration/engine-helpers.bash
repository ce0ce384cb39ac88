# Shared by the engine-*.bats tests: a private --root and --runroot per test (a temp dir named
# berth-engine.*), the busybox image imported into it, and a teardown that removes every
# container, mount, cgroup and process the test made.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
BERTH_BIN=${BERTH_BIN:-$BUILD/src/cli/berth/berth}
FIXTURES=$REPO/tests/fixtures

berth() {
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" "$@"
}

busybox_tar() {
        local t=${BATS_FILE_TMPDIR:-/tmp}/berth-busybox-rootfs.tar
        [ -s "$t" ] || "$FIXTURES/image-busybox.sh" --tar "$t"
        echo "$t"
}

engine_setup() {
        [ -x "$BERTH_BIN" ] || { echo "BERTH_BIN=$BERTH_BIN is not executable (build first)" >&2; return 1; }
        TESTDIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-engine.XXXXXX")
        ROOT=$TESTDIR/root
        RUNROOT=$TESTDIR/run
        mkdir -p "$ROOT" "$RUNROOT"
        berth import --change 'CMD ["sh"]' "$(busybox_tar)" busybox >/dev/null
}

# Pids of monitors and containers of this test: their command line or cgroup names our dir or ids.
engine_pids() {
        local ids
        ids=$(ls "$ROOT/containers" 2>/dev/null || true)
        grep -l -- "$TESTDIR" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
        for id in $ids; do
                grep -lE ":/berth-$id\$" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
        done
}

# The bridges (and nftables tables, named alike) of this test's networks.
engine_bridges() {
        [ -f "$ROOT/berth.db" ] || return 0
        # no leak check here: a LeakSanitizer exit would swallow the list and leak the bridges
        ASAN_OPTIONS=detect_leaks=0 berth network ls -q 2>/dev/null |
                ASAN_OPTIONS=detect_leaks=0 xargs -r "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" network inspect 2>/dev/null |
                jq -r '.[].Options["com.docker.network.bridge.name"]' 2>/dev/null || true
}

# No bridge, table or veth of this test's networks on the host.
assert_no_network_left() {
        local b left=""
        for b in ${BRIDGES:-$(engine_bridges)}; do
                ! ip link show "$b" >/dev/null 2>&1 || left+=" bridge $b"
                ! nft list table ip "$b" >/dev/null 2>&1 || left+=" table $b"
                wait_for sh -c "[ -z \"\$(ip -o link show master $b 2>/dev/null)\" ]" || left+=" ports of $b"
        done
        [ -z "$(ls "$RUNROOT/netns" 2>/dev/null)" ] || left+=" netns $(ls "$RUNROOT/netns")"
        [ -z "$left" ] || { echo "network pieces left:$left" >&2; return 1; }
}

engine_teardown() {
        [ -n "${TESTDIR:-}" ] || return 0
        local ids id pid m b bridges
        ids=$(ls "$ROOT/containers" 2>/dev/null || true)
        bridges=$(engine_bridges)
        berth ps -aq --no-trunc 2>/dev/null | xargs -r "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" rm -f >/dev/null 2>&1 || true
        for pid in $(engine_pids); do
                [ "$pid" = "$$" ] || kill -KILL "$pid" 2>/dev/null || true
        done
        berth system reset -f >/dev/null 2>&1 || true
        for b in $bridges; do
                ip link del "$b" 2>/dev/null || true
                nft delete table ip "$b" 2>/dev/null || true
        done
        for m in $(awk -v d="$TESTDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
                umount -l "$m" 2>/dev/null || true
        done
        for id in $ids; do
                for d in /sys/fs/cgroup/*/berth-"$id" /sys/fs/cgroup/berth-"$id"; do
                        [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
                done
        done
        rm -rf "$TESTDIR"
}

# What a test checks at its end: nothing of this test's containers is left.
assert_nothing_left() {
        local left
        left=$(ls "$ROOT/containers" 2>/dev/null || true)
        [ -z "$left" ] || { echo "container dirs left: $left" >&2; return 1; }
        [ -z "$(berth ps -aq)" ] || { echo "containers left: $(berth ps -a)" >&2; return 1; }
        ! grep -q -- "$TESTDIR" /proc/self/mountinfo || { echo "mounts left" >&2; return 1; }
        [ -z "$(ls "$RUNROOT/runtime" 2>/dev/null)" ] || { echo "runtime state left" >&2; return 1; }
}

# No cgroup of container id (full id) on the host.
assert_no_cgroup() {
        local left
        left=$(ls -d /sys/fs/cgroup/*/berth-"$1" /sys/fs/cgroup/berth-"$1" 2>/dev/null || true)
        [ -z "$left" ] || { echo "cgroups left: $left" >&2; return 1; }
}

fail() {
        echo "$@" >&2
        return 1
}

# Wait until a command succeeds (up to 10 s).
wait_for() {
        local i
        for i in $(seq 100); do
                "$@" && return 0
                sleep 0.1
        done
        return 1
}
