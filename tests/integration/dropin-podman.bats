#!/usr/bin/env bats
# Podman drives berth-runtime (`podman --runtime <berth-runtime>`) through its usual paths, with a
# private root, run dir, tmpdir and containers.conf: never the host's defaults.
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
RUNTIME_BIN=${RUNTIME_BIN:-$BUILD/src/cli/berth-runtime/berth-runtime}

setup_file() {
        command -v podman >/dev/null || skip "podman is not installed (apt-get install -y podman)"
        export PD=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-podman.XXXXXX")
        mkdir -p "$PD/tmp"
        printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$PD/containers.conf"
        "$REPO/tests/fixtures/image-busybox.sh" --tar "$PD/busybox.tar"
        CONTAINERS_CONF=$PD/containers.conf podman --root "$PD/root" --runroot "$PD/run" --tmpdir "$PD/tmp" \
                import --change 'CMD ["sh"]' "$PD/busybox.tar" docker.io/library/busybox:latest >/dev/null
}

teardown_file() {
        [ -n "${PD:-}" ] || return 0
        p rm -af -t 0 >/dev/null 2>&1 || true
        grep -o " $PD[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$PD"
        # podman's cgroupfs parents, made by these tests' containers; rmdir leaves them if busy
        rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true
}

p() {
        CONTAINERS_CONF=$PD/containers.conf podman --root "$PD/root" --runroot "$PD/run" --tmpdir "$PD/tmp" \
                --runtime "$RUNTIME_BIN" "$@"
}

# podman run with what this host needs: no network, explicit ulimits (no CAP_SYS_RESOURCE).
prun() {
        p run --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$@"
}

fail() {
        echo "$@" >&2
        return 1
}

@test "podman: run, output, exit codes 0, N, 126, 127" {
        run prun --rm busybox echo hello from berth-runtime
        [ "$status" -eq 0 ] && [ "$output" = "hello from berth-runtime" ] || fail "$output"
        run prun --rm busybox sh -c 'exit 42'
        [ "$status" -eq 42 ]
        run -127 prun --rm busybox no-such-command
        [ "$status" -eq 127 ] || fail "$status $output"
        run -126 prun --rm busybox /etc/passwd
        [ "$status" -eq 126 ] || fail "$status $output"
}

@test "podman: env, workdir, user, volumes, read-only, cap-drop" {
        mkdir -p "$PD/vol" && echo from-host > "$PD/vol/f"
        run prun --rm -e A=1 -w /tmp -u 65534:65534 -v "$PD/vol:/data:ro" --read-only --cap-drop all busybox \
                sh -c 'echo $A; pwd; id -u; cat /data/f; touch /x 2>/dev/null || echo ro; grep CapEff /proc/self/status'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = 1 ] && [ "${lines[1]}" = /tmp ] && [ "${lines[2]}" = 65534 ] || fail "$output"
        [ "${lines[3]}" = from-host ] && [ "${lines[4]}" = ro ] || fail "$output"
        [[ "${lines[5]}" == *0000000000000000 ]] || fail "$output"
}

@test "podman: --memory and --pids-limit land in the container's cgroup" {
        id=$(prun -d --memory 64m --pids-limit 42 busybox sleep 1000)
        pid=$(p inspect -f '{{.State.Pid}}' "$id")
        mem=$(awk -F: '$2 == "memory" { print $3 }' /proc/$pid/cgroup)
        pids=$(awk -F: '$2 == "pids" { print $3 }' /proc/$pid/cgroup)
        [ "$(cat /sys/fs/cgroup/memory$mem/memory.limit_in_bytes)" = 67108864 ]
        [ "$(cat /sys/fs/cgroup/pids$pids/pids.max)" = 42 ]
        p rm -f -t 0 "$id" >/dev/null
}

@test "podman: detached run, exec, logs, pause, unpause, kill, stop, rm" {
        id=$(prun -d busybox sh -c 'echo started; trap "exit 3" TERM; while true; do sleep 0.1; done')
        run p exec "$id" sh -c 'echo in; cat /proc/1/cmdline | head -c 2'
        [ "$status" -eq 0 ] && [ "${lines[0]}" = in ] || fail "$output"
        run p exec "$id" sh -c 'exit 7'
        [ "$status" -eq 7 ]
        [ "$(p logs "$id")" = started ]
        p pause "$id" >/dev/null
        [ "$(p inspect -f '{{.State.Status}}' "$id")" = paused ]
        p unpause "$id" >/dev/null
        [ "$(p inspect -f '{{.State.Status}}' "$id")" = running ]
        p stop -t 5 "$id" >/dev/null
        [ "$(p inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 3" ]
        p rm "$id" >/dev/null
        id=$(prun -d busybox sleep 1000)
        p kill "$id" >/dev/null
        p wait "$id" >/dev/null || true
        [ "$(p inspect -f '{{.State.ExitCode}}' "$id")" = 137 ]
        p rm "$id" >/dev/null
}

@test "podman: -it in a terminal" {
        command -v tmux >/dev/null || skip "tmux is not installed"
        s=berth-podman-$$
        tmux new-session -d -s "$s" -x 100 -y 30 "CONTAINERS_CONF=$PD/containers.conf podman --root $PD/root --runroot $PD/run --tmpdir $PD/tmp --runtime $RUNTIME_BIN run -it --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 busybox sh; echo EXIT=\$?; sleep 30"
        for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q '/ #' && break; sleep 0.1; done
        tmux send-keys -t "$s" 'tty; exit 5' Enter
        for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q 'EXIT=' && break; sleep 0.1; done
        out=$(tmux capture-pane -p -t "$s")
        tmux kill-session -t "$s"
        [[ "$out" == *"/dev/pts/0"* ]] && [[ "$out" == *"EXIT=5"* ]] || fail "$out"
}
