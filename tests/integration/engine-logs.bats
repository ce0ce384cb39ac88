#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# logs -f: inotify, not polling; it follows rotations and ends with the container.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "logs -f follows every line across rotations and ends when the container does" {
        berth run -d --name r --log-opt max-size=1k --log-opt max-file=3 busybox sh -c \
                'sleep 1; i=0; while [ $i -lt 150 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); usleep 5000; done' >/dev/null
        timeout -s KILL 30 "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" logs -f r >"$TESTDIR/out"
        [ "$(wc -l <"$TESTDIR/out")" -eq 150 ] || fail "$(wc -l <"$TESTDIR/out") lines"
        for i in 0 1 49 50 99 149; do
                [ "$(sed -n "$((i + 1))p" "$TESTDIR/out")" = "line-$i-padding-padding-padding" ] || fail "line $i"
        done
        # rotation kept at most three files, so plain logs has less than -f saw
        [ "$(ls "$ROOT/containers/$(berth inspect -f '{{.Id}}' r)" | grep -c json.log)" -le 3 ]
        [ "$(berth logs r | wc -l)" -lt 150 ]
}

@test "logs -f sleeps while nothing is written (no polling) and wakes for a line" {
        berth run -d --name s busybox sh -c 'echo first; while [ ! -e /go ]; do sleep 0.2; done; echo second; sleep 1000' >/dev/null
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" logs -f s >"$TESTDIR/out" 3>&- &
        local pid=$! a b
        wait_for grep -q first "$TESTDIR/out"
        sleep 0.3
        a=$(awk '/^voluntary_ctxt_switches/ { print $2 }' /proc/$pid/status)
        sleep 2
        b=$(awk '/^voluntary_ctxt_switches/ { print $2 }' /proc/$pid/status)
        [ $((b - a)) -le 4 ] || fail "woke $((b - a)) times in 2 s"
        berth exec s touch /go
        wait_for grep -q second "$TESTDIR/out" || fail "$(cat "$TESTDIR/out")"
        berth stop -t 1 s >/dev/null
        local st=0
        timeout 10 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done" || st=$?
        [ "$st" -eq 0 ] || { kill -KILL $pid; fail "logs -f did not end with the container"; }
}
