#!/usr/bin/env bats
# terminal: true with --console-socket: the pty master reaches the socket over SCM_RIGHTS and
# the container's stdio is the pty's slave.

load helpers

setup_file() {
        cc -O1 -Wall -o "$BATS_FILE_TMPDIR/recvtty" "$BATS_TEST_DIRNAME/../fixtures/recvtty.c"
}

setup() {
        berth_setup
        RECVTTY=$BATS_FILE_TMPDIR/recvtty
}
teardown() {
        [ -n "${RECVPID:-}" ] && kill "$RECVPID" 2>/dev/null
        berth_teardown
}

# start the receiver on $TESTDIR/console.sock writing to $TESTDIR/console.out
start_recvtty() {
        "$RECVTTY" "$TESTDIR/console.sock" "$TESTDIR/console.out" "$@" &
        RECVPID=$!
        wait_for test -S "$TESTDIR/console.sock"
}

@test "create --console-socket sends the pty master" {
        make_bundle -- sh -c 'test -t 0 && test -t 1 && test -t 2 && echo berth-tty-yes; tty; stty size'
        cfg '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
        start_recvtty
        create_ctr --console-socket "$TESTDIR/console.sock"
        rt start "$ID"
        wait "$RECVPID"
        RECVPID=
        out=$(tr -d '\r' < "$TESTDIR/console.out")
        echo "$out"
        echo "$out" | grep -qx berth-tty-yes
        echo "$out" | grep -Eqx '/dev/(pts/[0-9]+|console)'
        echo "$out" | grep -qx '30 100'
}

@test "the console carries input to the container" {
        make_bundle -- sh -c 'read line; echo "got:$line"'
        cfg '.process.terminal = true'
        start_recvtty $'berth-typed\n'
        create_ctr --console-socket "$TESTDIR/console.sock"
        rt start "$ID"
        wait "$RECVPID"
        RECVPID=
        grep -q 'got:berth-typed' "$TESTDIR/console.out"
}

@test "run --detach with a console socket" {
        make_bundle -- sh -c 'echo berth-detached-tty; sleep 1000'
        cfg '.process.terminal = true'
        start_recvtty
        rt run --detach --console-socket "$TESTDIR/console.sock" --bundle "$BUNDLE" "$ID" \
                > "$TESTDIR/run.out" 2>&1 < /dev/null
        status_is running
        wait_for grep -q berth-detached-tty "$TESTDIR/console.out"
        rt kill "$ID" KILL
        wait "$RECVPID"
        RECVPID=
}

@test "terminal true without a console socket is refused by create" {
        make_bundle -- true
        cfg '.process.terminal = true'
        run_file rt create --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        assert_no_leftovers
}

@test "a console socket nobody listens on fails cleanly" {
        make_bundle -- true
        cfg '.process.terminal = true'
        run_file rt create --console-socket "$TESTDIR/berth-nobody.sock" --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        assert_no_leftovers
}

@test "run in the foreground with terminal true relays the pty" {
        command -v script > /dev/null || skip "no script(1)"
        make_bundle -- sh -c 'test -t 0 && test -t 1 && echo berth-tty-yes; exit 3'
        cfg '.process.terminal = true'
        run script -qec "BERTH_TEST_ID=$ID '$RUNTIME' --root '$ROOT' run --bundle '$BUNDLE' '$ID'" /dev/null < /dev/null
        [ "$status" -eq 3 ]
        [[ "$output" == *berth-tty-yes* ]]
        assert_no_leftovers
}
