#!/usr/bin/env bats
# Verbs on a running container: exec, pause and resume, ps, update, features.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

start_sleeper() {
        make_bundle -- sleep 1000
        cfg '.hostname = "berth-exec" | .process.env += ["BERTH_FROM_CONFIG=1"]'
        create_ctr
        rt start "$ID"
}

@test "exec runs in the container's namespaces with its environment" {
        start_sleeper
        pid=$(ctr_pid)
        run_file rt exec "$ID" sh -c 'hostname; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; echo $BERTH_FROM_CONFIG; cat /proc/1/cmdline | tr "\0" " "'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = berth-exec ]
        [ "${lines[1]}" = "$(readlink "/proc/$pid/ns/pid")" ]
        [ "${lines[2]}" = "$(readlink "/proc/$pid/ns/mnt")" ]
        [ "${lines[3]}" = 1 ]
        [ "${lines[4]}" = "sleep 1000 " ]
}

@test "exec returns the process's exit status" {
        start_sleeper
        run_file rt exec "$ID" sh -c 'exit 9'
        [ "$status" -eq 9 ]
}

@test "exec --env, --cwd and --user" {
        start_sleeper
        run_file rt exec --env BERTH_X=y --cwd /home/berth --user 1000:1000 "$ID" sh -c 'echo $BERTH_X; pwd; id -u; id -g'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = y ]
        [ "${lines[1]}" = /home/berth ]
        [ "${lines[2]}" = 1000 ]
        [ "${lines[3]}" = 1000 ]
}

@test "exec --process reads a process.json" {
        start_sleeper
        echo '{"args": ["sh", "-c", "echo berth-process-json; pwd"], "cwd": "/tmp", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}' \
                > "$TESTDIR/process.json"
        run_file rt exec --process "$TESTDIR/process.json" "$ID"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = berth-process-json ]
        [ "${lines[1]}" = /tmp ]
}

@test "exec --detach leaves the process running in the container's cgroup" {
        start_sleeper
        rt exec --detach --pid-file "$TESTDIR/exec.pid" "$ID" sleep 999 > /dev/null 2>&1 < /dev/null
        epid=$(cat "$TESTDIR/exec.pid")
        [ -d "/proc/$epid" ]
        grep -qx "$epid" "$(cg_dir pids)/cgroup.procs"
}

@test "exec into a stopped container fails" {
        make_bundle -- true
        create_ctr
        rt start "$ID"
        wait_for status_is stopped
        run_file rt exec "$ID" true
        assert_one_error_line
}

@test "pause and resume freeze the container" {
        start_sleeper
        rt pause "$ID"
        status_is paused
        [ "$(cat "$(cg_dir freezer)/freezer.state")" = FROZEN ]
        rt resume "$ID"
        status_is running
        [ "$(cat "$(cg_dir freezer)/freezer.state")" = THAWED ]
}

@test "delete --force of a paused container" {
        start_sleeper
        pid=$(ctr_pid)
        rt pause "$ID"
        rt delete --force "$ID"
        wait_for test ! -e "/proc/$pid"
        assert_no_leftovers
}

@test "ps lists the container's processes" {
        start_sleeper
        pid=$(ctr_pid)
        run rt ps --format json "$ID"
        [ "$status" -eq 0 ]
        echo "$output" | jq -e --argjson p "$pid" 'index($p) != null'
}

@test "update changes the limits in the cgroup" {
        start_sleeper
        rt update --memory 33554432 --pids-limit 21 --cpu-share 256 "$ID"
        [ "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" = 33554432 ]
        [ "$(cat "$(cg_dir pids)/pids.max")" = 21 ]
        [ "$(cat "$(cg_dir cpu)/cpu.shares")" = 256 ]
        echo '{"pids": {"limit": 13}}' > "$TESTDIR/res.json"
        rt update --resources "$TESTDIR/res.json" "$ID"
        [ "$(cat "$(cg_dir pids)/pids.max")" = 13 ]
}

@test "features prints the runtime-spec features JSON" {
        run "$RUNTIME" features
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.ociVersionMin and .ociVersionMax
                and (.linux.namespaces | index("pid") and index("network") and index("user"))
                and (.mountOptions | index("ro"))'
}
