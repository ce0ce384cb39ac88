#!/usr/bin/env bats
# The container lifecycle through the CLI: create, start, state, kill, delete, run, list,
# and the global options --root, --log, --log-format.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

# PID 1 that ends on SIGTERM (a pid-namespace init ignores signals it has no handler for)
TERM_INIT='trap "exit 143" TERM; sleep 1000 & wait'

@test "create leaves init blocked until start" {
        make_bundle -- sh -c 'echo ran > /tmp/berth-marker; sleep 1000'
        create_ctr
        status_is created
        pid=$(ctr_pid)
        [ "$pid" -gt 0 ]
        [ -d "/proc/$pid" ]
        # the user's command has not run: no marker, and init is not yet sh
        sleep 0.3
        [ ! -e "$BUNDLE/rootfs/tmp/berth-marker" ]
        ! tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q berth-marker
        status_is created

        rt start "$ID"
        wait_for test -e "$BUNDLE/rootfs/tmp/berth-marker"
        status_is running
        [ "$(ctr_pid)" = "$pid" ]
}

@test "state prints the OCI state JSON" {
        make_bundle -- sleep 1000
        create_ctr
        run rt state "$ID"
        [ "$status" -eq 0 ]
        echo "$output" | jq -e --arg id "$ID" --arg b "$BUNDLE" '
                (.ociVersion | type == "string") and .id == $id and .status == "created"
                and (.pid | type == "number") and .pid > 0 and .bundle == $b'
        rt start "$ID"
        run rt state "$ID"
        echo "$output" | jq -e '.status == "running"'
        rt kill "$ID" KILL
        wait_for status_is stopped
}

@test "state of an unknown container fails" {
        run rt state "$ID"
        [ "$status" -ne 0 ]
}

@test "start twice fails" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        run rt start "$ID"
        [ "$status" -ne 0 ]
        status_is running
}

@test "delete while running fails without --force" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        pid=$(ctr_pid)
        run rt delete "$ID"
        [ "$status" -ne 0 ]
        [ -d "/proc/$pid" ]
        status_is running
}

@test "delete --force removes a running container and its process" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        pid=$(ctr_pid)
        rt delete --force "$ID"
        run rt state "$ID"
        [ "$status" -ne 0 ]
        wait_for test ! -e "/proc/$pid"
        assert_no_leftovers
}

@test "delete --force removes a created container" {
        make_bundle -- sleep 1000
        create_ctr
        pid=$(ctr_pid)
        rt delete --force "$ID"
        wait_for test ! -e "/proc/$pid"
        assert_no_leftovers
}

@test "delete a stopped container removes state and cgroup" {
        make_bundle -- true
        create_ctr
        rt start "$ID"
        wait_for status_is stopped
        rt delete "$ID"
        assert_no_leftovers
}

@test "kill takes SIGTERM, TERM and 15" {
        make_bundle -- sh -c "$TERM_INIT"
        base=$ID
        for sig in SIGTERM TERM 15; do
                ID=$base-$sig
                create_ctr
                rt start "$ID"
                # let the shell install its trap
                wait_for test -n "$(pgrep -P "$(ctr_pid)" sleep)"
                rt kill "$ID" "$sig"
                wait_for status_is stopped
                rt delete "$ID"
        done
}

@test "kill without a signal sends SIGTERM" {
        make_bundle -- sh -c "$TERM_INIT"
        create_ctr
        rt start "$ID"
        wait_for test -n "$(pgrep -P "$(ctr_pid)" sleep)"
        rt kill "$ID"
        wait_for status_is stopped
}

@test "kill with an unknown signal fails" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        run rt kill "$ID" SIGBERTH
        [ "$status" -ne 0 ]
        status_is running
}

@test "kill a stopped container fails" {
        make_bundle -- true
        create_ctr
        rt start "$ID"
        wait_for status_is stopped
        run rt kill "$ID" KILL
        [ "$status" -ne 0 ]
}

@test "run returns the container's exit status" {
        make_bundle -- sh -c 'echo berth-out; exit 7'
        run_ctr
        [ "$status" -eq 7 ]
        [[ "$output" == *berth-out* ]]
        # a foreground run deletes the container
        assert_no_leftovers
}

@test "run returns 0 for true" {
        make_bundle -- true
        run_ctr
        [ "$status" -eq 0 ]
}

@test "run returns 128+N when the container dies of signal N" {
        make_bundle -- sleep 1000
        rt run --bundle "$BUNDLE" "$ID" > "$TESTDIR/out" 2>&1 < /dev/null &
        runpid=$!
        wait_for status_is running
        rt kill "$ID" KILL
        rc=0
        wait "$runpid" || rc=$?
        [ "$rc" -eq 137 ]
}

@test "run passes stdin and stdout through" {
        make_bundle -- sh -c 'read line; echo "got $line"'
        run bash -c "echo berth-in | BERTH_TEST_ID=$ID '$RUNTIME' --root '$ROOT' run --bundle '$BUNDLE' '$ID'"
        [ "$status" -eq 0 ]
        [ "$output" = "got berth-in" ]
}

@test "run --detach leaves the container running" {
        make_bundle -- sleep 1000
        rt run --detach --bundle "$BUNDLE" "$ID" > "$TESTDIR/out" 2>&1 < /dev/null
        status_is running
        pid=$(ctr_pid)
        [ -d "/proc/$pid" ]
        rt kill "$ID" KILL
        wait_for status_is stopped
        rt delete "$ID"
        assert_no_leftovers
}

@test "run --bundle defaults to the current directory" {
        make_bundle -- sh -c 'echo berth-cwd-bundle'
        cd "$BUNDLE"
        run rt run "$ID"
        [ "$status" -eq 0 ]
        [ "$output" = berth-cwd-bundle ]
}

@test "create --pid-file writes the container's pid" {
        make_bundle -- sleep 1000
        create_ctr --pid-file "$TESTDIR/pidfile"
        [ "$(cat "$TESTDIR/pidfile")" = "$(ctr_pid)" ]
}

@test "list prints a table and --format json" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        run rt list
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == ID* ]]
        echo "$output" | grep -E "^$ID +[0-9]+ +running +$BUNDLE" || fail "$output"
        run rt list --format json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e --arg id "$ID" --arg b "$BUNDLE" '
                map(select(.id == $id)) | length == 1 and .[0].status == "running"
                and .[0].bundle == $b and .[0].pid > 0'
}

@test "list of an empty root" {
        run rt list --format json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e 'length == 0'
}

@test "--root keeps state apart" {
        make_bundle -- sleep 1000
        create_ctr
        [ -d "$ROOT/$ID" ]
        other=$TESTDIR/other-root
        mkdir -p "$other"
        run "$RUNTIME" --root "$other" state "$ID"
        [ "$status" -ne 0 ]
        run "$RUNTIME" --root "$other" list --format json
        echo "$output" | jq -e 'length == 0'
}

@test "--log --log-format json writes json lines with level, msg and time" {
        run rt --log "$TESTDIR/log.json" --log-format json state "$ID"
        [ "$status" -ne 0 ]
        [ -s "$TESTDIR/log.json" ]
        # every line is an object with the three fields; the last error is what the user saw
        jq -e -s 'length > 0 and all(has("level") and has("msg") and has("time"))' "$TESTDIR/log.json"
        msg=$(jq -r -s 'map(select(.level == "error")) | last.msg' "$TESTDIR/log.json")
        [ -n "$msg" ] && [ "$msg" != null ]
        [[ "$output" == *"$msg"* ]]
}

@test "--version and --help" {
        run "$RUNTIME" --version
        [ "$status" -eq 0 ]
        [ -n "$output" ]
        for verb in create start state kill delete run list spec; do
                run "$RUNTIME" "$verb" --help
                [ "$status" -eq 0 ]
                [ -n "$output" ]
        done
}

@test "spec writes a config.json that runs" {
        mkdir -p "$TESTDIR/spec"
        cd "$TESTDIR/spec"
        rt spec
        jq -e '.ociVersion and .process.args and .root.path == "rootfs"' config.json
        run rt spec
        [ "$status" -ne 0 ]
}

@test "state reports stopped once the init is killed from outside" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        pid=$(ctr_pid)
        kill -KILL "$pid"
        wait_for status_is stopped
        rt delete "$ID"
        assert_no_leftovers
}

@test "kill --all signals every process of the container" {
        make_bundle -- sh -c 'sleep 1000 & sleep 1000 & wait'
        cfg '.linux.namespaces |= map(select(.type != "pid"))'
        create_ctr
        rt start "$ID"
        pid=$(ctr_pid)
        wait_for test "$(pgrep -P "$pid" sleep | wc -l)" -eq 2
        children=$(pgrep -P "$pid" sleep)
        rt kill --all "$ID" KILL
        wait_for status_is stopped
        for c in $children; do
                wait_for test ! -e "/proc/$c"
        done
}

@test "create --preserve-fds passes extra fds" {
        make_bundle -- sh -c 'cat <&3; cat <&4'
        echo berth-fd3 > "$TESTDIR/fd3"
        echo berth-fd4 > "$TESTDIR/fd4"
        run bash -c "BERTH_TEST_ID=$ID '$RUNTIME' --root '$ROOT' run --preserve-fds 2 --bundle '$BUNDLE' '$ID' \
                3< '$TESTDIR/fd3' 4< '$TESTDIR/fd4'"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = berth-fd3 ]
        [ "${lines[1]}" = berth-fd4 ]
}

@test "fds beyond --preserve-fds are closed" {
        make_bundle -- sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
        run bash -c "BERTH_TEST_ID=$ID '$RUNTIME' --root '$ROOT' run --bundle '$BUNDLE' '$ID' 5< /dev/null 7< /dev/null"
        [ "$status" -eq 0 ]
        # 0, 1, 2 and the fd ls opens for /proc/self/fd
        [ "$output" = "0 1 2 3 " ]
}

@test "--systemd-cgroup is refused with a clear error until supported" {
        [[ "$(basename "$RUNTIME")" == runc ]] && skip "runc supports the systemd driver"
        make_bundle -- true
        run_file rt --systemd-cgroup run --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        [[ "$output" == *systemd* ]]
        assert_no_leftovers
}

@test "a foreground run forwards signals to the container" {
        make_bundle -- sh -c 'trap "echo berth-got-term; exit 42" TERM; sleep 1000 & wait'
        # exec: $! is the runtime itself, not a subshell
        (BERTH_TEST_ID=$ID exec "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" > "$TESTDIR/out" 2>&1 < /dev/null) &
        runpid=$!
        wait_for status_is running
        wait_for test -n "$(pgrep -P "$(ctr_pid)" sleep)"
        kill -TERM "$runpid"
        rc=0
        wait "$runpid" || rc=$?
        [ "$rc" -eq 42 ]
        grep -qx berth-got-term "$TESTDIR/out"
}

@test "two containers run side by side" {
        make_bundle -- sleep 1000
        first=$ID
        create_ctr
        ID=$first-b
        make_bundle -- sleep 1000
        create_ctr
        run rt list --format json
        echo "$output" | jq -e --arg a "$first" --arg b "$first-b" \
                'map(.id) | sort == ([$a, $b] | sort)'
        [ "$(ctr_pid "$first")" != "$(ctr_pid "$first-b")" ]
        ID=$first
}
