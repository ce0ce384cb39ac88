#!/usr/bin/env bats
# process: args, env, cwd, user, umask, rlimits, capabilities, noNewPrivileges, oomScoreAdj.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

# the hex mask of /proc/self/status field NAME in OUTPUT
cap_field() {
        echo "$output" | awk -v f="$1:" '$1 == f { print $2 }'
}

@test "env reaches the process and nothing else does" {
        make_bundle -- env
        cfg '.process.env = ["PATH=/bin:/usr/bin", "BERTH_FOO=bar baz", "BERTH_EMPTY="]'
        HOST_ONLY_BERTH=1 run rt run --bundle "$BUNDLE" "$ID"
        [ "$status" -eq 0 ]
        echo "$output" | grep -qx 'BERTH_FOO=bar baz'
        echo "$output" | grep -qx 'BERTH_EMPTY='
        echo "$output" | grep -qx 'PATH=/bin:/usr/bin'
        ! echo "$output" | grep -q HOST_ONLY_BERTH
        ! echo "$output" | grep -q BERTH_TEST_ID
}

@test "args are passed verbatim" {
        make_bundle -- sh -c 'for a in "$@"; do echo "[$a]"; done' berth 'a b' '' '$HOME' '*'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = '[a b]' ]
        [ "${lines[1]}" = '[]' ]
        [ "${lines[2]}" = '[$HOME]' ]
        [ "${lines[3]}" = '[*]' ]
}

@test "cwd" {
        make_bundle -- pwd
        cfg '.process.cwd = "/home/berth"'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = /home/berth ]
}

@test "uid, gid and additionalGids" {
        make_bundle -- sh -c 'id -u; id -g; id -G'
        cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 65534]}'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1000 ]
        [ "${lines[1]}" = 1000 ]
        groups=$(echo "${lines[2]}" | tr ' ' '\n' | sort -n | tr '\n' ' ')
        [ "$groups" = "10 1000 65534 " ]
}

@test "uid 0 has no supplementary groups unless configured" {
        make_bundle -- sh -c 'id -G'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = 0 ]
}

@test "umask" {
        make_bundle -- sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
        cfg '.process.user.umask = 23'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0027 ]
        [ "${lines[1]}" = 640 ]
}

@test "rlimits: soft and hard RLIMIT_NOFILE" {
        hard=$(ulimit -Hn)
        [ "$hard" = unlimited ] && hard=1048576
        soft=$((hard / 4))
        make_bundle -- sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
        cfg --argjson s "$soft" --argjson h "$((hard / 2))" '.process.rlimits = [
                {"type": "RLIMIT_NOFILE", "soft": $s, "hard": $h},
                {"type": "RLIMIT_NPROC", "soft": 321, "hard": 321}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$soft" ]
        [ "${lines[1]}" = "$((hard / 2))" ]
        [ "${lines[2]}" = 321 ]
}

@test "an rlimit above the hard limit without CAP_SYS_RESOURCE fails cleanly" {
        eff=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
        (( (0x$eff >> 24) & 1 )) && skip "root here has CAP_SYS_RESOURCE"
        hard=$(ulimit -Hn)
        [ "$hard" = unlimited ] && skip "no hard limit"
        make_bundle -- true
        cfg --argjson h "$((hard * 2))" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $h, "hard": $h}]'
        run_ctr
        [ "$status" -ne 0 ]
        assert_no_leftovers
}

@test "capabilities of root: all five sets as configured" {
        make_bundle -- cat /proc/self/status
        caps='["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
        cfg --argjson c "$caps" '.process.capabilities = {"bounding": $c, "effective": $c,
                "permitted": $c, "inheritable": $c, "ambient": $c}'
        run_ctr
        [ "$status" -eq 0 ]
        # CAP_CHOWN 0, CAP_KILL 5, CAP_NET_BIND_SERVICE 10
        [ "$(cap_field CapBnd)" = 0000000000000421 ]
        [ "$(cap_field CapEff)" = 0000000000000421 ]
        [ "$(cap_field CapPrm)" = 0000000000000421 ]
        [ "$(cap_field CapInh)" = 0000000000000421 ]
        [ "$(cap_field CapAmb)" = 0000000000000421 ]
}

@test "capabilities of a user: each set kept apart" {
        make_bundle -- cat /proc/self/status
        cfg '.process.user = {"uid": 1000, "gid": 1000}
             | .process.capabilities = {
                "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"],
                "permitted": ["CAP_CHOWN", "CAP_KILL"],
                "effective": ["CAP_CHOWN", "CAP_KILL"],
                "inheritable": ["CAP_CHOWN", "CAP_KILL"],
                "ambient": ["CAP_CHOWN"]}'
        run_ctr
        [ "$status" -eq 0 ]
        # after execve a non-root process keeps its ambient set as permitted and effective
        [ "$(cap_field CapBnd)" = 0000000000200421 ]
        [ "$(cap_field CapInh)" = 0000000000000021 ]
        [ "$(cap_field CapPrm)" = 0000000000000001 ]
        [ "$(cap_field CapEff)" = 0000000000000001 ]
        [ "$(cap_field CapAmb)" = 0000000000000001 ]
}

@test "no capabilities at all" {
        make_bundle -- cat /proc/self/status
        cfg 'del(.process.capabilities)'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$(cap_field CapBnd)" = 0000000000000000 ]
        [ "$(cap_field CapEff)" = 0000000000000000 ]
}

@test "a dropped capability is enforced" {
        make_bundle -- sh -c 'chown 1000 /tmp && echo berth-chowned'
        cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
        run_ctr
        [ "$status" -ne 0 ]
        [[ "$output" != *berth-chowned* ]]
        [[ "$output" == *"Operation not permitted"* ]]
}

@test "noNewPrivileges true and false" {
        make_bundle -- grep NoNewPrivs /proc/self/status
        cfg '.process.noNewPrivileges = true'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | awk '{ print $2 }')" = 1 ]
        cfg '.process.noNewPrivileges = false'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | awk '{ print $2 }')" = 0 ]
}

@test "oomScoreAdj" {
        make_bundle -- cat /proc/self/oom_score_adj
        cfg '.process.oomScoreAdj = 500'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = 500 ]
}

@test "a missing executable fails with a clear error" {
        make_bundle -- /bin/berth-no-such-command
        run_file rt run --bundle "$BUNDLE" "$ID"
        [ "$status" -ne 0 ]
        [[ "$output" == *berth-no-such-command* ]]
        assert_no_leftovers
}
