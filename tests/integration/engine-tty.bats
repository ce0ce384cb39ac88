#!/usr/bin/env bats
# berth run -it in a real terminal: tmux drives it (send-keys) and reads the screen (capture-pane).

load engine-helpers

setup() {
        command -v tmux >/dev/null || skip "tmux is not installed"
        engine_setup
        SESSION=berth-tty-$$-$RANDOM
}

teardown() {
        tmux kill-session -t "$SESSION" 2>/dev/null || true
        engine_teardown
}

screen() {
        tmux capture-pane -p -t "$SESSION"
}

screen_has() {
        screen | grep -qF -- "$1"
}

start_it() {
        tmux new-session -d -s "$SESSION" -x 100 -y 30 \
                "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' run -it --name tty $*; echo EXIT=\$?; sleep 60"
        wait_for screen_has '/ #'
}

@test "-it: a shell on a pty, raw keys, exit returns its status" {
        start_it busybox sh
        tmux send-keys -t "$SESSION" 'echo $((6*7)); tty' Enter
        wait_for screen_has '/dev/pts/0'
        screen_has 42
        tmux send-keys -t "$SESSION" 'exit 4' Enter
        wait_for screen_has 'EXIT=4' || fail "$(screen)"
        [ "$(berth inspect -f '{{.State.ExitCode}} {{.Config.Tty}}' tty)" = "4 true" ]
}

@test "-it: the window size follows the terminal" {
        start_it busybox sh
        tmux send-keys -t "$SESSION" 'stty size' Enter
        wait_for screen_has '30 100' || fail "$(screen)"
        tmux resize-window -t "$SESSION" -x 90 -y 25
        sleep 0.3
        tmux send-keys -t "$SESSION" 'clear; stty size' Enter
        wait_for screen_has '25 90' || fail "$(screen)"
}

@test "-it: ctrl-p ctrl-q detaches and the container goes on" {
        start_it busybox sh
        tmux send-keys -t "$SESSION" C-p C-q
        wait_for screen_has 'EXIT=0' || fail "$(screen)"
        [ "$(berth inspect -f '{{.State.Status}}' tty)" = running ]
        berth exec tty true
        berth rm -f tty
        assert_nothing_left
}

@test "-it: ctrl-c reaches the container's process, not berth" {
        start_it busybox sh
        tmux send-keys -t "$SESSION" 'sleep 100' Enter
        sleep 0.5
        tmux send-keys -t "$SESSION" C-c
        tmux send-keys -t "$SESSION" 'echo still-here' Enter
        wait_for screen_has 'still-here' || fail "$(screen)"
        [ "$(berth inspect -f '{{.State.Status}}' tty)" = running ]
}

@test "exec -it: a second shell on its own pty in a running container" {
        berth run -d --name ex busybox sleep 1000 >/dev/null
        tmux new-session -d -s "$SESSION" -x 100 -y 30 \
                "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' exec -it ex sh; echo EXIT=\$?; sleep 60"
        wait_for screen_has '/ #'
        tmux send-keys -t "$SESSION" 'tty; stty size; exit 3' Enter
        wait_for screen_has 'EXIT=3' || fail "$(screen)"
        screen_has '/dev/pts/0'
        screen_has '30 100'
        [ "$(echo piped | berth exec -i ex cat)" = piped ]
        berth rm -f ex
        [ -z "$(ls "$RUNROOT" | grep exec- || true)" ]
}
