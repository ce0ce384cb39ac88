#!/usr/bin/env bats
# Namespaces, new and joined, and what they isolate: PID 1, hostname, domainname, sysctl,
# user namespaces with id maps.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

@test "each new namespace differs from the host's" {
        make_bundle -- sh -c 'for t in pid mnt ipc uts net cgroup; do echo "$t $(readlink /proc/self/ns/$t)"; done'
        cfg '.linux.namespaces += [{"type": "cgroup"}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 6 ]
        for line in "${lines[@]}"; do
                set -- $line
                [ -n "$2" ]
                [ "$2" != "$(host_ns "$1")" ] || fail "namespace $1 is the host's: $2"
        done
}

@test "without a network namespace the container shares the host's" {
        make_bundle --no-netns -- readlink /proc/self/ns/net
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = "$(host_ns net)" ]
}

@test "without a pid namespace the command is not PID 1" {
        make_bundle -- sh -c 'echo $$'
        cfg '.linux.namespaces |= map(select(.type != "pid"))'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" -gt 1 ]
}

@test "the command is PID 1" {
        make_bundle -- sh -c 'echo $$; tr "\0" " " < /proc/1/cmdline; echo; ps -o pid,args; true'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1 ]
        [[ "${lines[1]}" == "sh -c "* ]]
        # ps sees only the container's processes: sh as 1 and ps itself
        pids=$(printf '%s\n' "${lines[@]:2}" | awk '$1 ~ /^[0-9]+$/ { print $1 }' | tr '\n' ' ')
        [[ "$pids" == "1 "[0-9]*" " ]]
        [ "$(echo $pids | wc -w)" -eq 2 ]
}

@test "time namespace" {
        [[ "$(basename "$RUNTIME")" == runc ]] && skip "runc 1.1 has no time namespace"
        make_bundle -- readlink /proc/self/ns/time_for_children
        cfg '.linux.namespaces += [{"type": "time"}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ -n "$output" ]
        [ "$output" != "$(readlink /proc/self/ns/time)" ]
}

@test "join an existing network namespace by path" {
        ns=berth-test-$$-$RANDOM
        NETNS+=("$ns")
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        want=$(ip netns exec "$ns" readlink /proc/self/ns/net)
        make_bundle -- sh -c 'readlink /proc/self/ns/net; ip -o link show lo'
        cfg --arg p "/var/run/netns/$ns" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$want" ]
        [[ "${lines[1]}" == *UP* ]]
}

@test "join an existing uts namespace of another container by path" {
        make_bundle -- sleep 1000
        cfg '.hostname = "berth-shared"'
        create_ctr
        pid=$(ctr_pid)
        first=$ID
        ID=$first-2
        make_bundle -- hostname
        cfg --arg p "/proc/$pid/ns/uts" 'del(.hostname) | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = berth-shared ]
        ID=$first
}

@test "hostname" {
        make_bundle -- hostname
        cfg '.hostname = "berth-host"'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = berth-host ]
        [ "$(hostname)" != berth-host ]
}

@test "domainname" {
        [[ "$(basename "$RUNTIME")" == runc ]] && skip "runc 1.1 ignores domainname"
        make_bundle -- cat /proc/sys/kernel/domainname
        cfg '.domainname = "berth.example"'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = berth.example ]
        [ "$(cat /proc/sys/kernel/domainname)" != berth.example ]
}

@test "sysctl in a new network namespace leaves the host alone" {
        before=$(cat /proc/sys/net/ipv4/ip_forward)
        want=$((1 - before))
        make_bundle -- sh -c 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/domainname'
        cfg --arg v "$want" '.linux.sysctl = {"net.ipv4.ip_forward": $v, "kernel.domainname": "berth.sysctl"}'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$want" ]
        [ "${lines[1]}" = berth.sysctl ]
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
}

@test "a network sysctl without a network namespace is refused" {
        make_bundle --no-netns -- true
        cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
        before=$(cat /proc/sys/net/ipv4/ip_forward)
        run_ctr
        [ "$status" -ne 0 ]
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
        assert_no_leftovers
}

@test "user namespace with uid and gid mappings" {
        make_bundle -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g
                echo x > /dev/null && head -c 1 /dev/zero | wc -c; echo berth-userns-done; sleep 1000'
        cfg '.linux.namespaces += [{"type": "user"}]
             | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
             | .mounts |= map(select(.type != "cgroup"))'
        create_ctr
        rt start "$ID"
        pid=$(ctr_pid)
        wait_for grep -q berth-userns-done "$TESTDIR/ctr.out"
        # from the host: the process runs as uid 100000 and has the maps
        [ "$(stat -c %u "/proc/$pid")" = 100000 ]
        read -r a b c < "/proc/$pid/uid_map"
        [ "$a $b $c" = "0 100000 65536" ]
        [ "$(readlink "/proc/$pid/ns/user")" != "$(host_ns user)" ]
        rt kill "$ID" KILL
        wait_for status_is stopped
        # from inside
        out=$(cat "$TESTDIR/ctr.out")
        echo "$out"
        [ "$(echo "$out" | awk 'NR == 1 { print $1, $2, $3 }')" = "0 100000 65536" ]
        [ "$(echo "$out" | awk 'NR == 2 { print $1, $2, $3 }')" = "0 100000 65536" ]
        [ "$(echo "$out" | sed -n 3p)" = 0 ]
        [ "$(echo "$out" | sed -n 4p)" = 0 ]
        # /dev/null and /dev/zero work inside a user namespace (bind-mounted, not mknod)
        [ "$(echo "$out" | sed -n 5p)" = 1 ]
}
