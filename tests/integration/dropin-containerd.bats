#!/usr/bin/env bats
# containerd drives berth-runtime through its runc shim v2 (`ctr run --runc-binary`), the path
# Kubernetes takes; containerd runs with a private config, root, state and sockets.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
RUNTIME_BIN=${RUNTIME_BIN:-$BUILD/src/cli/berth-runtime/berth-runtime}
BERTH_BIN=${BERTH_BIN:-$BUILD/src/cli/berth/berth}

setup_file() {
        command -v containerd >/dev/null && command -v ctr >/dev/null ||
                skip "containerd is not installed (apt-get install -y containerd)"
        export CD=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-containerd.XXXXXX")
        cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
[grpc]
  address = "$CD/sock"
[ttrpc]
  address = "$CD/sock.ttrpc"
[debug]
  address = "$CD/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
EOF
        containerd --config "$CD/config.toml" >"$CD/log" 2>&1 &
        echo $! >"$CD/pid"
        for _ in $(seq 100); do ctr --address "$CD/sock" version >/dev/null 2>&1 && break; sleep 0.1; done
        # the busybox image, saved by berth (docker-archive) and imported into containerd
        "$REPO/tests/fixtures/image-busybox.sh" --tar "$CD/busybox.tar"
        "$BERTH_BIN" --root "$CD/b" --runroot "$CD/br" import --change 'CMD ["sh"]' "$CD/busybox.tar" busybox >/dev/null
        "$BERTH_BIN" --root "$CD/b" --runroot "$CD/br" save -o "$CD/save.tar" busybox
        ctr --address "$CD/sock" images import "$CD/save.tar" >/dev/null
}

teardown_file() {
        [ -n "${CD:-}" ] || return 0
        local t
        for t in $(c task ls -q 2>/dev/null); do c task kill -s KILL "$t" >/dev/null 2>&1; done
        sleep 0.5
        for t in $(c task ls -q 2>/dev/null); do c task delete "$t" >/dev/null 2>&1; done
        for t in $(c container ls -q 2>/dev/null); do c container delete "$t" >/dev/null 2>&1; done
        kill "$(cat "$CD/pid")" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$(cat "$CD/pid")" 2>/dev/null || break; sleep 0.1; done
        grep -o " $CD[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$CD"
}

c() {
        ctr --address "$CD/sock" "$@"
}

crun_() {
        c run --snapshotter native --runc-binary "$RUNTIME_BIN" "$@"
}

fail() {
        echo "$@" >&2
        return 1
}

@test "containerd: run, output and exit code through the runc shim" {
        run crun_ --rm docker.io/library/busybox:latest berth-ctr-1 sh -c 'echo hello from containerd; exit 3'
        [ "$status" -eq 3 ] && [ "$output" = "hello from containerd" ] || fail "$status $output"
        run crun_ --rm --env FOO=bar docker.io/library/busybox:latest berth-ctr-2 sh -c 'echo $FOO; echo $$'
        [ "$status" -eq 0 ] && [ "${lines[0]}" = bar ] && [ "${lines[1]}" = 1 ] || fail "$output"
}

@test "containerd: a detached task, exec into it, kill it" {
        c run -d --snapshotter native --runc-binary "$RUNTIME_BIN" --env FOO=bar \
                docker.io/library/busybox:latest berth-ctr-3 sleep 1000 >/dev/null
        for _ in $(seq 50); do c task ls | grep -q 'berth-ctr-3.*RUNNING' && break; sleep 0.1; done
        run c task exec --exec-id e1 berth-ctr-3 sh -c 'echo exec $FOO; exit 4'
        [ "$status" -eq 4 ] && [ "$output" = "exec bar" ] || fail "$status $output"
        c task kill -s KILL berth-ctr-3
        for _ in $(seq 50); do c task ls | grep -q 'berth-ctr-3.*STOPPED' && break; sleep 0.1; done
        c task ls | grep -q 'berth-ctr-3.*STOPPED'
        c task delete berth-ctr-3 >/dev/null
        c container delete berth-ctr-3
        ! grep -q "failed to remove runc container" "$CD/log" || fail "$(grep -B3 -A3 "failed to remove" "$CD/log")"
}
