# Scenarios shared by the drop-in tests of docker and podman: each file defines
#   eng ARGS...   the engine's CLI with its private roots and --runtime for berth-runtime
#   erun ARGS...  `eng run` with what this host needs (no network, explicit ulimits)
# and calls these functions from its @test blocks.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
RUNTIME_BIN=${RUNTIME_BIN:-$BUILD/src/cli/berth-runtime/berth-runtime}

fail() {
        echo "$@" >&2
        return 1
}

scenario_exit_codes() {
        run erun --rm busybox echo hello from berth-runtime
        [ "$status" -eq 0 ] && [ "$output" = "hello from berth-runtime" ] || fail "$output"
        run erun --rm busybox sh -c 'exit 42'
        [ "$status" -eq 42 ]
        run -127 erun --rm busybox no-such-command
        [ "$status" -eq 127 ] || fail "$status $output"
        run -126 erun --rm busybox /etc/passwd
        [ "$status" -eq 126 ] || fail "$status $output"
}

scenario_options() { # DIR: a scratch directory
        mkdir -p "$1/vol" && echo from-host >"$1/vol/f"
        run erun --rm -e A=1 -w /tmp -u 65534:65534 -v "$1/vol:/data:ro" --read-only --cap-drop all busybox \
                sh -c 'echo $A; pwd; id -u; cat /data/f; touch /x 2>/dev/null || echo ro; grep CapEff /proc/self/status'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = 1 ] && [ "${lines[1]}" = /tmp ] && [ "${lines[2]}" = 65534 ] || fail "$output"
        [ "${lines[3]}" = from-host ] && [ "${lines[4]}" = ro ] || fail "$output"
        [[ "${lines[5]}" == *0000000000000000 ]] || fail "$output"
}

scenario_cgroup_limits() {
        local id pid mem pids
        id=$(erun -d --memory 64m --pids-limit 42 busybox sleep 1000)
        pid=$(eng inspect -f '{{.State.Pid}}' "$id")
        mem=$(awk -F: '$2 == "memory" { print $3 }' /proc/$pid/cgroup)
        pids=$(awk -F: '$2 == "pids" { print $3 }' /proc/$pid/cgroup)
        [ "$(cat /sys/fs/cgroup/memory$mem/memory.limit_in_bytes)" = 67108864 ]
        [ "$(cat /sys/fs/cgroup/pids$pids/pids.max)" = 42 ]
        eng rm -f "$id" >/dev/null
}

scenario_detached() {
        local id
        id=$(erun -d busybox sh -c 'echo started; trap "exit 3" TERM; while true; do sleep 0.1; done')
        run eng exec "$id" sh -c 'echo in'
        [ "$status" -eq 0 ] && [ "$output" = in ] || fail "$output"
        run eng exec "$id" sh -c 'exit 7'
        [ "$status" -eq 7 ]
        [ "$(eng logs "$id")" = started ]
        eng pause "$id" >/dev/null
        [ "$(eng inspect -f '{{.State.Status}}' "$id")" = paused ]
        eng unpause "$id" >/dev/null
        [ "$(eng inspect -f '{{.State.Status}}' "$id")" = running ]
        eng stop -t 5 "$id" >/dev/null
        [ "$(eng inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 3" ]
        eng rm "$id" >/dev/null
        id=$(erun -d busybox sleep 1000)
        eng kill "$id" >/dev/null
        eng wait "$id" >/dev/null || true
        [ "$(eng inspect -f '{{.State.ExitCode}}' "$id")" = 137 ]
        eng rm "$id" >/dev/null
}

scenario_tty() { # COMMAND LINE of `eng run` for tmux
        command -v tmux >/dev/null || skip "tmux is not installed"
        local s=berth-dropin-$$ out
        tmux new-session -d -s "$s" -x 100 -y 30 "$1 -it --rm busybox sh; echo EXIT=\$?; sleep 30"
        for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q '/ #' && break; sleep 0.1; done
        tmux send-keys -t "$s" 'tty; exit 5' Enter
        for _ in $(seq 100); do tmux capture-pane -p -t "$s" | grep -q 'EXIT=' && break; sleep 0.1; done
        out=$(tmux capture-pane -p -t "$s")
        tmux kill-session -t "$s"
        [[ "$out" == *"/dev/pts/0"* ]] && [[ "$out" == *"EXIT=5"* ]] || fail "$out"
}
