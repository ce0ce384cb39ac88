#!/usr/bin/env bats
# Confinement seen from inside the container: seccomp and capabilities of the init and of
# exec, no_new_privs, the seccomp agent, the runtime binary, leaked fds, LSM labels.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

# field NAME of /proc/self/status in $output
status_field() {
        echo "$output" | awk -v f="$1:" '$1 == f { print $2 }'
}

no_mkdir_profile='{"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'

@test "exec applies the container's seccomp profile and capabilities" {
        make_bundle -- sleep 1000
        cfg --argjson s "$no_mkdir_profile" '.linux.seccomp = $s
                | .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                           "permitted": ["CAP_KILL"]}'
        create_ctr
        rt start "$ID"
        run_file rt exec "$ID" sh -c 'mkdir /tmp/berth-x; echo rc=$?; cat /proc/self/status'
        [ "$status" -eq 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
        echo "$output" | grep -qx rc=1
        [ "$(status_field Seccomp)" = 2 ]
        [ "$(status_field CapBnd)" = 0000000000000020 ]
        [ "$(status_field CapEff)" = 0000000000000020 ]
}

@test "exec --cap adds a capability and --no-new-privs sets no_new_privs" {
        make_bundle -- sleep 1000
        cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                      "permitted": ["CAP_KILL"]} | .process.noNewPrivileges = false'
        create_ctr
        rt start "$ID"
        run_file rt exec "$ID" cat /proc/self/status
        [ "$(status_field NoNewPrivs)" = 0 ]
        [ "$(status_field CapEff)" = 0000000000000020 ]
        run_file rt exec --cap CAP_CHOWN --no-new-privs "$ID" cat /proc/self/status
        [ "$status" -eq 0 ]
        [ "$(status_field NoNewPrivs)" = 1 ]
        [ "$(status_field CapEff)" = 0000000000000021 ]
}

@test "exec with an unknown capability fails before anything runs" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        run_file rt exec --cap CAP_BERTH "$ID" touch /tmp/berth-ran
        assert_one_error_line
        [[ "$output" == *CAP_BERTH* ]]
        [ ! -e "$BUNDLE/rootfs/tmp/berth-ran" ]
}

@test "seccomp with no_new_privs for a non-root user, and without it" {
        make_bundle -- sh -c 'mkdir /tmp/berth-d; echo rc=$?; cat /proc/self/status'
        cfg --argjson s "$no_mkdir_profile" '.linux.seccomp = $s | .process.user = {"uid": 1000, "gid": 1000}
                | .process.noNewPrivileges = true'
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output" | grep -qx rc=1
        [ "$(status_field NoNewPrivs)" = 1 ]
        [ "$(status_field Seccomp)" = 2 ]
        cfg '.process.noNewPrivileges = false'
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output" | grep -qx rc=1
        [ "$(status_field NoNewPrivs)" = 0 ]
        [ "$(status_field Seccomp)" = 2 ]
}

# a seccomp agent on $TESTDIR/agent.sock: saves the state it receives with the fd, then
# closes the fd (a notified syscall then fails with ENOSYS)
start_agent() {
        python3 - "$TESTDIR/agent.sock" "$TESTDIR/agent.json" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4); s.settimeout(20)
open(sys.argv[2] + ".ready", "w").close()
for i in range(int(os.environ.get("BERTH_AGENT_CONNS", "1"))):
    c, _ = s.accept()
    msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
    with open(sys.argv[2] + (str(i) if i else ""), "wb") as f:
        f.write(msg)
    for fd in fds:
        os.close(fd)
    c.close()
PY
        AGENT_PID=$!
        wait_for test -e "$TESTDIR/agent.json.ready"
}

@test "seccomp notify: the listener fd and the state go to listenerPath" {
        start_agent
        make_bundle -- sh -c 'mkdir /tmp/berth-n; echo rc=$?'
        cfg --arg l "$TESTDIR/agent.sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": $l, "listenerMetadata": "berth-meta",
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
        run_ctr
        wait "$AGENT_PID"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Function not implemented"* ]]
        jq -e --arg id "$ID" '.fds == ["seccompFd"] and .metadata == "berth-meta" and .pid > 0
                and .state.id == $id and .state.pid == .pid' "$TESTDIR/agent.json"
}

@test "seccomp notify with no_new_privs, and in exec" {
        BERTH_AGENT_CONNS=2 start_agent
        make_bundle -- sleep 1000
        cfg --arg l "$TESTDIR/agent.sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": $l,
                "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
                | .process.noNewPrivileges = true'
        create_ctr
        rt start "$ID"
        run_file rt exec "$ID" sh -c 'mkdir /tmp/berth-n; echo rc=$?'
        wait "$AGENT_PID"
        [[ "$output" == *"Function not implemented"* ]]
        jq -e '.state.status == "creating"' "$TESTDIR/agent.json"
        epid=$(jq .pid "$TESTDIR/agent.json1")
        jq -e --arg id "$ID" '.state.id == $id and .state.status == "running"' "$TESTDIR/agent.json1"
        [ "$epid" != "$(ctr_pid)" ]
}

@test "seccomp notify with no agent listening fails the create and leaves nothing" {
        make_bundle -- true
        cfg --arg l "$TESTDIR/none.sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                "listenerPath": $l, "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
        run_file rt run --bundle "$BUNDLE" "$ID"
        assert_one_error_line
        [[ "$output" == *none.sock* ]]
        assert_no_leftovers
}

@test "devices cgroup v1: deny all keeps the default devices, a rule's access is honoured" {
        [ -d "$CGROUP_ROOT/devices" ] || skip "no v1 devices controller"
        [ -b /dev/loop0 ] || skip "no /dev/loop0 on the host"
        make_bundle -- sh -c 'echo x > /dev/null && echo null-ok; : < /berth-loop && echo read-ok; : > /berth-loop && echo write-ok; cat /sys/fs/cgroup/devices/devices.list 2>/dev/null; sleep 1'
        mknod "$BUNDLE/rootfs/berth-loop" b 7 0
        chmod 666 "$BUNDLE/rootfs/berth-loop"
        cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"},
                {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}]'
        create_ctr
        grep -qx 'b 7:0 r' "$(cg_dir devices)/devices.list"
        grep -qx 'c 1:3 rwm' "$(cg_dir devices)/devices.list"
        ! grep -q '^a ' "$(cg_dir devices)/devices.list"
        rt start "$ID"
        wait_for status_is stopped
        out=$(cat "$TESTDIR/ctr.out" "$TESTDIR/ctr.err")
        [[ "$out" == *null-ok* ]]
        [[ "$out" == *read-ok* ]]
        [[ "$out" != *write-ok* ]]
        [[ "$out" == *"Operation not permitted"* ]]
}

# the kernel reads an on-disk id as a container id of the mount's mapping: root's files show
# as hostID (what a user-namespaced container with the same mappings sees as its root)
@test "an idmapped bind mount shows the files under the mapped owner" {
        mkdir -p "$TESTDIR/berth-src"
        echo hi > "$TESTDIR/berth-src/f"
        chown -R 0:0 "$TESTDIR/berth-src"
        make_bundle -- sh -c 'stat -c "%u:%g" /mnt/f; stat -c "%u:%g" /tmp'
        cfg --arg s "$TESTDIR/berth-src" '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s,
                "options": ["bind", "idmap"],
                "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1000:1000 ]
        [ "${lines[1]}" = 0:0 ]
        [ "$(stat -c %u "$TESTDIR/berth-src/f")" = 0 ]
}

all_caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL",
        "CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_SYS_ADMIN","CAP_SYS_PTRACE","CAP_MKNOD"]'

# A privileged container in the host's pid namespace sees the runtime as its parent: the
# runtime's exe is refused for writing by its filesystem, not merely busy (ETXTBSY would pass
# once the runtime exits: the CVE-2019-5736 attack).
@test "the runtime binary cannot be opened for writing from inside a container" {
        make_bundle -- sh -c 'echo x >> /proc/$PPID/exe; echo rc=$?; cat /proc/$PPID/cmdline | tr "\0" " "; echo'
        cfg --argjson c "$all_caps" '.linux.namespaces |= map(select(.type != "pid"))
                | .process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}'
        sum=$(md5sum < "$RUNTIME")
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output"
        [[ "$output" == *"run --bundle"* ]] # $PPID was the runtime
        echo "$output" | grep -qx rc=1
        [[ "$output" != *"Text file busy"* ]]
        [[ "$output" == *"Read-only file system"* || "$output" == *"Operation not permitted"* ]]
        [ "$(md5sum < "$RUNTIME")" = "$sum" ]
}

# fds of the container's process, as "N -> target" lines, from `ls -l /proc/self/fd` in $output
fd_lines() {
        echo "$output" | sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/\1 -> \2/p'
}

@test "no fd of the runtime reaches the container beyond stdio and --preserve-fds" {
        make_bundle -- ls -l /proc/self/fd
        run rt run --bundle "$BUNDLE" "$ID" 5< /dev/null 7> "$TESTDIR/berth-extra"
        [ "$status" -eq 0 ]
        # 0 1 2 (busybox ls's own directory fd is gone by the time it reads the link)
        [ "$(fd_lines | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 " ]
        rt delete --force "$ID" 2> /dev/null || true
        run rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3< "$BUNDLE/config.json" 5< /dev/null
        [ "$status" -eq 0 ]
        [ "$(fd_lines | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 3 " ]
        [[ "$(fd_lines | grep '^3 ')" == *"/config.json" ]]
}

@test "exec leaks no fd either" {
        make_bundle -- sleep 1000
        create_ctr
        rt start "$ID"
        run_file rt exec "$ID" ls -l /proc/self/fd 5< /dev/null
        [ "$status" -eq 0 ]
        [ "$(fd_lines | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 " ]
}

@test "AppArmor and SELinux labels are skipped where the LSM is not active" {
        if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || [ -d /sys/fs/selinux ]; then
                skip "an LSM is active here (tests/v2vm/runtime covers AppArmor)"
        fi
        make_bundle -- sh -c 'mount | grep " /berth-tmp "; echo ran'
        cfg '.process.apparmorProfile = "berth-no-such-profile"
             | .process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"
             | .linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
             | .mounts += [{"destination": "/berth-tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output" | grep -qx ran
        [[ "$output" != *context=* ]]
}

# Docker's default profile (data/seccomp-default.json) as Docker resolves it for x86_64 with
# its default capabilities: blocks that need a capability Docker drops are left out.
docker_profile() {
        jq '{defaultAction, defaultErrnoRet, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
             syscalls: [.syscalls[]
                | select(((.includes // {}).caps // []) | length == 0)
                | select(((.includes // {}).arches // ["amd64"]) | index("amd64"))
                | {names, action} + (if .args then {args} else {} end)
                  + (if .errnoRet then {errnoRet} else {} end)]}' "$REPO/data/seccomp-default.json"
}

@test "Docker's default profile, loaded before the user switch, lets the runtime finish" {
        make_bundle -- sh -c 'id -u; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; unshare -U true; echo unshare=$?'
        cfg --argjson s "$(docker_profile)" '.linux.seccomp = $s | .process.noNewPrivileges = false
                | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [1000]}
                | .process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "permitted": ["CAP_KILL"],
                                           "effective": ["CAP_KILL"], "inheritable": [], "ambient": []}'
        run_ctr
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 1000 ]
        echo "$output" | grep -qE '^Seccomp:\s+2'
        echo "$output" | grep -qE '^NoNewPrivs:\s+0'
        echo "$output" | grep -qx 'unshare=1'
        make_bundle -- sh -c 'id -u'
        cfg --argjson s "$(docker_profile)" '.linux.seccomp = $s | .process.noNewPrivileges = true'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = 0 ]
}
