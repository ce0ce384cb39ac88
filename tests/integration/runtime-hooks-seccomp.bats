#!/usr/bin/env bats
# OCI hooks (run on the host with the state on stdin) and seccomp filters.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

# hook NAME: a hook that saves its stdin (the state JSON) to $TESTDIR/hook-NAME.json
hook() {
        jq -cn --arg n "$1" --arg d "$TESTDIR" \
                '{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($d)/hook-\($n).json"]}'
}

@test "hooks run in order with the state on stdin" {
        make_bundle -- sh -c 'echo berth-ran > /tmp/ran'
        cfg --argjson cr "$(hook createRuntime)" --argjson ps "$(hook poststart)" \
                --argjson pst "$(hook poststop)" --argjson pre "$(hook prestart)" \
                '.hooks = {"prestart": [$pre], "createRuntime": [$cr], "poststart": [$ps], "poststop": [$pst]}'
        create_ctr
        pid=$(ctr_pid)
        jq -e --arg id "$ID" --argjson pid "$pid" --arg b "$BUNDLE" \
                '.id == $id and .pid == $pid and .bundle == $b and .status == "creating"' "$TESTDIR/hook-createRuntime.json"
        [ -e "$TESTDIR/hook-prestart.json" ]
        # poststart runs after start (runc 1.1 runs it during create)
        [[ "$(basename "$RUNTIME")" == runc ]] || [ ! -e "$TESTDIR/hook-poststart.json" ]
        rt start "$ID"
        wait_for test -s "$TESTDIR/hook-poststart.json"
        jq -e --arg id "$ID" '.id == $id' "$TESTDIR/hook-poststart.json"
        wait_for status_is stopped
        [ ! -e "$TESTDIR/hook-poststop.json" ]
        rt delete "$ID"
        jq -e --arg id "$ID" '.id == $id' "$TESTDIR/hook-poststop.json"
}

@test "a failing createRuntime hook fails create and leaves nothing" {
        make_bundle -- sleep 1000
        cfg '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
        run_file rt create --bundle "$BUNDLE" "$ID"
        [ "$status" -ne 0 ]
        assert_no_leftovers
}

@test "a hook that outlives its timeout fails create" {
        make_bundle -- sleep 1000
        cfg '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
        SECONDS=0
        run_file rt create --bundle "$BUNDLE" "$ID"
        [ "$status" -ne 0 ]
        [ "$SECONDS" -lt 10 ]
        assert_no_leftovers
}

@test "seccomp: an errno rule" {
        make_bundle -- sh -c 'mkdir /tmp/berth-dir && echo made; echo after'
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
        run_ctr
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" != *made* ]]
        echo "$output" | grep -qx after
}

@test "seccomp: the default errno is EPERM and a kill action kills" {
        make_bundle -- sh -c 'touch /tmp/x; echo after-touch'
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["utimensat", "utimes", "utime"], "action": "SCMP_ACT_ERRNO"}]}'
        run_ctr
        [[ "$output" == *"Operation not permitted"* ]]
        cfg '.process.args = ["sh", "-c", "sh -c \"mkdir /tmp/y\"; echo status=$?"]
             | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
        run_ctr
        [ "$status" -eq 0 ]
        # the child shell died of SIGSYS (31): 128 + 31
        echo "$output" | grep -qx status=159
}

@test "seccomp: an argument condition" {
        # personality(PER_LINUX32 = 8) is refused with ENOSYS, personality(PER_LINUX) is not
        make_bundle -- sh -c 'linux32 true; echo rc=$?; linux64 true; echo rc=$?'
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                              "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}'
        run_ctr
        [ "$status" -eq 0 ]
        [[ "$output" == *"Function not implemented"* ]]
        [ "$(echo "$output" | grep '^rc=' | tr '\n' ' ')" = "rc=1 rc=0 " ]
}

@test "seccomp with an unknown action is refused" {
        make_bundle -- true
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_BERTH"}'
        run_file rt run --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        assert_no_leftovers
}

# The runtime spec: prestart, createRuntime, createContainer and startContainer failures
# abort and stop the container; poststart and poststop failures only warn.

@test "a failing prestart or createContainer hook fails create and leaves nothing" {
        make_bundle -- sleep 1000
        cfg '.hooks = {"prestart": [{"path": "/bin/false"}]}'
        run_file rt create --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        [[ "$output" == *"hook prestart[0]"* ]]
        assert_no_leftovers
        cfg '.hooks = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}'
        run_file rt create --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        [[ "$output" == *"hook createContainer[0]"*"exit status 3"* ]]
        assert_no_leftovers
}

@test "a failing startContainer hook fails start and the process never runs" {
        make_bundle -- sh -c 'echo berth-ran > /tmp/ran; sleep 1000'
        # startContainer runs in the container: its path is the container's
        cfg '.hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]}'
        create_ctr
        run_file rt start "$ID"
        assert_one_error_line
        [[ "$output" == *"hook startContainer[0]"*"exit status 4"* ]]
        wait_for status_is stopped
        [ ! -e "$BUNDLE/rootfs/tmp/ran" ]
        rt delete "$ID"
        assert_no_leftovers
        # and with run: one line, nothing left
        run_file rt run --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        assert_no_leftovers
}

@test "a passing startContainer hook runs in the container before the process" {
        make_bundle -- sh -c 'cat /tmp/hook-ran'
        cfg '.hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo berth-hook > /tmp/hook-ran"]}]}'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = berth-hook ]
}

@test "failing poststart and poststop hooks only warn" {
        make_bundle -- sleep 1000
        cfg '.hooks = {"poststart": [{"path": "/bin/false"}], "poststop": [{"path": "/bin/false"}]}'
        create_ctr
        run_file rt start "$ID"
        [ "$status" -eq 0 ]
        [[ "$output" == *"hook poststart[0]"* ]]
        status_is running
        rt kill "$ID" KILL
        wait_for status_is stopped
        run_file rt delete "$ID"
        [ "$status" -eq 0 ]
        [[ "$output" == *"hook poststop[0]"* ]]
        assert_no_leftovers
}
