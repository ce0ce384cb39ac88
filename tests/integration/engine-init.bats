#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# run --init: berth-init (static, bind-mounted read-only at /dev/init) is PID 1, reaps orphans
# and passes signals on to the command.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "--init: berth-init is PID 1, the command its child, its status the container's" {
        run berth run --rm --init busybox ps -o pid,comm,args
        [ "$status" -eq 0 ] || fail "$output"
        echo "$output" | grep -E '^ +1 +init +/dev/init -- ps' || fail "$output"
        echo "$output" | grep -E '^ +2 +ps ' || fail "$output"
        run berth run --rm --init busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
        run -127 berth run --rm --init busybox no-such-command
        [ "$status" -eq 127 ] && [[ "$output" == *no-such-command* ]] || fail "$status $output"
        # read-only, and nothing written into the image's files
        run berth run --rm --init busybox sh -c 'echo x > /dev/init'
        [ "$status" -ne 0 ]
        [ "$(berth inspect -f '{{.HostConfig.Init}}' "$(berth create --init busybox true)")" = true ]
}

@test "--init reaps orphans; without it a PID 1 that never waits leaves zombies" {
        berth run -d --init --name with busybox sh -c 'sh -c "sleep 0.1 &"; exec sleep 1000' >/dev/null
        berth run -d --name without busybox sh -c 'sh -c "sleep 0.1 &"; exec sleep 1000' >/dev/null
        sleep 1
        run berth exec without ps -o stat,comm
        echo "$output" | grep -E '^Z +sleep' || fail "expected a zombie without --init: $output"
        run berth exec with ps -o stat,comm
        ! echo "$output" | grep -E '^Z' || fail "zombie with --init: $output"
        echo "$output" | grep -E '^S +init' || fail "$output"
}

@test "--init passes signals on: stop ends a command that as PID 1 would ignore SIGTERM" {
        berth run -d --init --name s busybox sleep 1000 >/dev/null
        local t0=$SECONDS
        berth stop -t 20 s >/dev/null
        [ $((SECONDS - t0)) -lt 10 ] || fail "stop waited for the timeout"
        [ "$(berth inspect -f '{{.State.ExitCode}}' s)" = 143 ]
        berth run -d --init --name u busybox sh -c 'trap "echo got-usr1; exit 7" USR1; while true; do sleep 0.1; done' >/dev/null
        sleep 0.5
        berth kill -s USR1 u >/dev/null
        wait_for sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' inspect -f '{{.State.ExitCode}}' u)\" = 7 ]" || fail "USR1 not passed on"
        [ "$(berth logs u)" = got-usr1 ]
        berth rm s u >/dev/null
        assert_nothing_left
}

ctrl_c_test() {
        command -v tmux >/dev/null || skip "tmux is not installed"
        local session=berth-init-$$-$RANDOM
        tmux new-session -d -s "$session" -x 100 -y 30 \
                "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' run -it $* --name t busybox sh; echo EXIT=\$?; sleep 60"
        wait_for sh -c "tmux capture-pane -p -t $session | grep -qF '/ #'" || { tmux kill-session -t "$session"; fail "no prompt"; }
        tmux send-keys -t "$session" 'sleep 100' Enter
        sleep 0.5
        tmux send-keys -t "$session" C-c
        tmux send-keys -t "$session" 'echo alive; exit 5' Enter
        # "alive" alone on a line is the output (the typed line has more), so sleep was interrupted
        wait_for sh -c "tmux capture-pane -p -t $session | grep -qF 'EXIT=5'" || { tmux capture-pane -p -t "$session"; tmux kill-session -t "$session"; fail "no exit"; }
        tmux capture-pane -p -t "$session" | grep -qx alive
        tmux kill-session -t "$session"
}

@test "--init with -it: the command owns the terminal, ctrl-c interrupts its foreground job" {
        ctrl_c_test --init
}

@test "-it: ctrl-c interrupts the shell's foreground job (no signal the CLI ignored is inherited)" {
        ctrl_c_test
        run berth run --rm busybox grep -E 'SigIgn|SigBlk' /proc/self/status
        [ "$output" = $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000' ] || fail "$output"
}
