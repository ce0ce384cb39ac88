#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# attach and start -a through the monitor's unix socket (RUNROOT/monitor/<id>), and the socket's
# own protocol: greeting, state, signal, resize, peers refused by their credentials.

load engine-helpers

setup() {
        engine_setup
        SESSION=berth-attach-$$-$RANDOM
}

teardown() {
        command -v tmux >/dev/null && tmux kill-session -t "$SESSION" 2>/dev/null || true
        engine_teardown
}

client() {
        /usr/bin/python3 "$BATS_TEST_DIRNAME/berth-msock-client.py" "$@"
}

sock() {
        echo "$RUNROOT/monitor/$(berth inspect -f '{{.Id}}' "$1")"
}

screen_has() {
        tmux capture-pane -p -t "$SESSION" | grep -qF -- "$1"
}

in_tmux() {
        tmux new-session -d -s "$SESSION" -x 100 -y 30 \
                "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' $*; echo EXIT=\$?; sleep 60"
}

@test "start -a: both streams apart, the exit code, nothing of a quick command missed" {
        berth create --name q busybox sh -c 'echo one; echo two >&2; exit 3' >/dev/null
        run --separate-stderr berth start -a q
        [ "$status" -eq 3 ] || fail "$status $output $stderr"
        [ "$output" = one ] && [ "$stderr" = two ] || fail "out=$output err=$stderr"
        [ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' q)" = "exited 3" ]
        # a second start -a runs it again, attached again
        run --separate-stderr berth start -a q
        [ "$status" -eq 3 ] && [ "$output" = one ] || fail "$status $output"
        berth rm q >/dev/null
        assert_nothing_left
        [ -z "$(ls "$RUNROOT/monitor")" ]
}

@test "start -ai: piped stdin reaches the container and its end closes that stdin" {
        berth create -i --name c busybox sh -c 'cat; echo end; exit 4' >/dev/null
        run berth start -ai c <<<"through the socket"
        [ "$status" -eq 4 ] || fail "$status $output"
        [ "$output" = "through the socket"$'\n'end ]
        # a container made without -i reads nothing of ours, even with start -ai
        berth create --name n busybox sh -c 'cat; echo end' >/dev/null
        run berth start -ai n <<<"not sent"
        [ "$status" -eq 0 ] && [ "$output" = end ] || fail "$status $output"
}

@test "start -a: a command that cannot run is 127 with one line; bad use is 125" {
        berth create --name nf busybox no-such-command >/dev/null
        run -127 berth start -a nf
        [ "$status" -eq 127 ] && [ "${#lines[@]}" -eq 1 ] || fail "$status $output"
        [[ "$output" == *'executable file not found'* ]]
        berth create --name x1 busybox true >/dev/null
        run berth start -a nf x1
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$status $output"
}

@test "attach: a running container's output from then on, and its exit code" {
        berth run -d --name w busybox sh -c 'i=0; while [ ! -e /stop ]; do echo tick $i; i=$((i+1)); sleep 0.2; done; echo bye >&2; exit 5' >/dev/null
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach w >"$TESTDIR/out" 2>"$TESTDIR/err" 3>&- &
        local pid=$!
        wait_for grep -q tick "$TESTDIR/out" || fail "no output"
        berth exec w touch /stop
        local st=0
        wait $pid || st=$?
        [ "$st" -eq 5 ] || fail "attach exited $st"
        grep -qx bye "$TESTDIR/err"
        ! grep -q bye "$TESTDIR/out"
        # it saw only what came after it attached, the log has all
        [ "$(head -1 "$TESTDIR/out")" != "tick 0" ] || [ "$(berth logs w | head -1)" = "tick 0" ]
}

@test "attach: stdin of a detached -i container; EOF closes it; --no-stdin leaves it open" {
        berth run -di --name c busybox sh -c 'cat; echo closed; exit 6' >/dev/null
        echo ignored | "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach --no-stdin c >"$TESTDIR/out" 3>&- &
        local pid=$!
        sleep 0.5
        [ "$(berth inspect -f '{{.State.Status}}' c)" = running ]
        run berth attach c <<<"piped in"
        [ "$status" -eq 6 ] || fail "$status $output"
        [ "$output" = "piped in"$'\n'closed ]
        wait $pid || [ $? -eq 6 ]
        grep -qx closed "$TESTDIR/out"
        ! grep -q ignored "$TESTDIR/out"
        # without a tty the detach keys are data like any other bytes
        berth run -di --name b busybox cat >/dev/null
        [ "$(printf 'a\020\021b' | berth attach b | od -An -c | tr -s ' ')" = " a 020 021 b" ]
}

@test "attach: SIGINT is passed on to a container without a tty" {
        berth run -d --name s busybox sh -c 'trap "echo got-int; exit 9" INT; echo ready; while true; do sleep 0.1; done' >/dev/null
        wait_for sh -c "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' logs s | grep -q ready"
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach s >"$TESTDIR/out" 3>&- &
        local pid=$! st=0
        wait_for sh -c "[ -n \"\$(ls /proc/$pid/fd -l | grep socket)\" ]"
        sleep 0.3
        kill -INT $pid
        wait $pid || st=$?
        [ "$st" -eq 9 ] || fail "exit $st: $(cat "$TESTDIR/out")"
        grep -qx got-int "$TESTDIR/out"
}

@test "attach: a stopped or unknown container, bad detach keys: one line, 125" {
        berth create --name stopped busybox true >/dev/null
        run berth attach stopped
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"stopped is not running"* ]] || fail "$output"
        run berth attach nosuch
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
        berth run -d --name r busybox sleep 100 >/dev/null
        run berth attach --detach-keys ctrl-1 r
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"--detach-keys"* ]] || fail "$output"
        run berth attach r extra
        [ "$status" -eq 125 ] || fail "$output"
}

@test "the socket: greeting, state, signal, resize, unknown requests, and peers of another uid refused" {
        berth run -d --name p busybox sleep 1000 >/dev/null
        local s pid
        s=$(sock p)
        [ -S "$s" ]
        [ "$(stat -c %a "$s")" = 700 ] && [ "$(stat -c %a "$RUNROOT/monitor")" = 700 ]
        pid=$(berth inspect -f '{{.State.Pid}}' p)
        run client "$s" state
        [ "${lines[0]}" = "berth-monitor 1" ] && [ "${lines[1]}" = "ok running $pid notty" ] || fail "$output"
        run client "$s" "resize 10 20"
        [ "${lines[1]}" = "error the container has no tty" ] || fail "$output"
        run client "$s" "launch missiles"
        [[ "${lines[1]}" == "error unknown request"* ]] || fail "$output"
        run client "$s" "signal 99"
        [[ "${lines[1]}" == "error invalid signal"* ]] || fail "$output"
        # uid 65534 reaches the socket only through modes we open for it: still refused
        chmod o+x "$TESTDIR" "$RUNROOT" "$RUNROOT/monitor"
        chmod 666 "$s"
        run setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3 "$BATS_TEST_DIRNAME/berth-msock-client.py" "$s" "signal 9"
        [ "${lines[1]}" = "error permission denied" ] || fail "$output"
        [ "$(berth inspect -f '{{.State.Status}}' p)" = running ]
        run client "$s" "signal 9"
        [ "${lines[1]}" = ok ] || fail "$output"
        wait_for sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' inspect -f '{{.State.ExitCode}}' p)\" = 137 ]"
        [ ! -e "$s" ]
}

@test "the socket of a killed monitor goes with rm -f" {
        berth run -d --name k busybox sleep 1000 >/dev/null
        local s
        s=$(sock k)
        [ -S "$s" ]
        kill -KILL "$(pgrep -f "berth-monitor.*$(berth inspect -f '{{.Id}}' k)")"
        run berth attach k
        [ "$status" -eq 125 ] || fail "$output"
        berth rm -f k >/dev/null
        [ ! -e "$s" ]
        assert_nothing_left
}

@test "attach -t in a terminal: raw keys, the window size, ctrl-p ctrl-q detaches" {
        command -v tmux >/dev/null || skip "tmux is not installed"
        berth run -dit --name t busybox sh >/dev/null
        in_tmux attach t
        sleep 0.5
        tmux send-keys -t "$SESSION" 'stty size' Enter
        wait_for screen_has '30 100' || fail "$(tmux capture-pane -p -t "$SESSION")"
        tmux resize-window -t "$SESSION" -x 90 -y 25
        sleep 0.3
        tmux send-keys -t "$SESSION" 'clear; stty size' Enter
        wait_for screen_has '25 90' || fail "$(tmux capture-pane -p -t "$SESSION")"
        tmux send-keys -t "$SESSION" C-p C-q
        wait_for screen_has 'EXIT=0' || fail "$(tmux capture-pane -p -t "$SESSION")"
        [ "$(berth inspect -f '{{.State.Status}}' t)" = running ]
        # attach again: the same shell; exit ends it with its status
        tmux kill-session -t "$SESSION"
        in_tmux attach t
        sleep 0.5
        tmux send-keys -t "$SESSION" 'exit 7' Enter
        wait_for screen_has 'EXIT=7' || fail "$(tmux capture-pane -p -t "$SESSION")"
        [ "$(berth inspect -f '{{.State.ExitCode}}' t)" = 7 ]
}

@test "start -ai with a tty, and --detach-keys of our own" {
        command -v tmux >/dev/null || skip "tmux is not installed"
        berth create -it --name t busybox sh >/dev/null
        in_tmux start -ai --detach-keys ctrl-x,d t
        wait_for screen_has '/ #' || fail "$(tmux capture-pane -p -t "$SESSION")"
        tmux send-keys -t "$SESSION" 'echo $((6*7)); tty' Enter
        wait_for screen_has '/dev/pts/0' || fail "$(tmux capture-pane -p -t "$SESSION")"
        screen_has 42
        # ctrl-p ctrl-q is just keys now; ctrl-x d detaches
        tmux send-keys -t "$SESSION" C-p C-q C-x d
        wait_for screen_has 'EXIT=0' || fail "$(tmux capture-pane -p -t "$SESSION")"
        [ "$(berth inspect -f '{{.State.Status}}' t)" = running ]
        berth rm -f t >/dev/null
        assert_nothing_left
}

@test "a runroot too long for sun_path: the socket is bound and reached through its folder's fd" {
        RUNROOT=$TESTDIR/$(printf 'r%.0s' $(seq 90))
        mkdir -p "$RUNROOT"
        berth run -d -i --name l busybox sh -c 'cat; exit 8' >/dev/null
        local s
        s=$(sock l)
        [ "${#s}" -gt 108 ] && [ -S "$s" ] || fail "$s"
        run berth attach l <<<"long way"
        [ "$status" -eq 8 ] && [ "$output" = "long way" ] || fail "$status $output"
        [ ! -e "$s" ]
}

@test "a peer that stops reading is dropped; it never holds up the log" {
        berth run -d --name f --log-opt max-size=100m busybox sh -c \
                'l=$(printf "%0500d" 0); while true; do echo $l; usleep 1000; done' >/dev/null
        local log
        log="$ROOT/containers/$(berth inspect -f '{{.Id}}' f)/$(berth inspect -f '{{.Id}}' f)-json.log"
        # the attach's stdout is a pipe nobody reads: it stops reading the socket soon
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" attach f 3>&- | sleep 60 3>&- &
        local sleeper=$! a b
        sleep 5
        a=$(stat -c %s "$log")
        sleep 1
        b=$(stat -c %s "$log")
        [ "$b" -gt "$a" ] || fail "the log stood still: $a $b"
        [ "$(berth inspect -f '{{.State.Status}}' f)" = running ]
        berth rm -f f >/dev/null
        kill "$sleeper"
}
