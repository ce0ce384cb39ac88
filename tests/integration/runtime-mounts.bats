#!/usr/bin/env bats
# The container's filesystem: mounts and their flags, /dev, maskedPaths, readonlyPaths,
# root.readonly, linux.devices, --no-pivot. Checked in /proc/self/mountinfo from inside.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

# the mountinfo line of mount point $1 in $output: "MOUNTOPTS FSTYPE SUPEROPTS"
mnt_line() {
        echo "$output" | awk -v m="$1" '$5 == m {
                for (i = 7; $i != "-"; i++) ;
                print $6, $(i + 1), $(i + 3) }' | tail -n 1
}

# mount option $2 is in the comma list $1
has_opt() {
        [[ ",$1," == *",$2,"* ]]
}

@test "tmpfs with nosuid, nodev, noexec, ro and size" {
        make_bundle -- cat /proc/self/mountinfo
        cfg '.mounts += [
                {"destination": "/berth-tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]},
                {"destination": "/berth-rotmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["ro", "size=2m"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        read -r opts fstype super <<< "$(mnt_line /berth-tmp)"
        [ "$fstype" = tmpfs ]
        has_opt "$opts" rw
        has_opt "$opts" nosuid
        has_opt "$opts" nodev
        has_opt "$opts" noexec
        has_opt "$super" size=1024k
        has_opt "$super" mode=700
        read -r opts fstype super <<< "$(mnt_line /berth-rotmp)"
        has_opt "$opts" ro
        ! has_opt "$opts" noexec
        has_opt "$super" size=2048k
}

@test "the default mounts: proc, sysfs ro, /dev tmpfs, devpts, shm, mqueue" {
        make_bundle -- cat /proc/self/mountinfo
        run_ctr
        [ "$status" -eq 0 ]
        read -r opts fstype super <<< "$(mnt_line /proc)"
        [ "$fstype" = proc ]
        read -r opts fstype super <<< "$(mnt_line /sys)"
        [ "$fstype" = sysfs ]
        has_opt "$opts" ro
        has_opt "$opts" nosuid
        read -r opts fstype super <<< "$(mnt_line /dev)"
        [ "$fstype" = tmpfs ]
        has_opt "$opts" nosuid
        read -r opts fstype super <<< "$(mnt_line /dev/pts)"
        [ "$fstype" = devpts ]
        has_opt "$opts" noexec
        has_opt "$super" ptmxmode=666
        read -r opts fstype super <<< "$(mnt_line /dev/shm)"
        [ "$fstype" = tmpfs ]
        has_opt "$super" size=65536k
        read -r opts fstype super <<< "$(mnt_line /dev/mqueue)"
        [ "$fstype" = mqueue ]
}

@test "bind mount, read-only bind mount, and their contents" {
        mkdir -p "$TESTDIR/host-dir"
        echo berth-data > "$TESTDIR/host-dir/file"
        make_bundle -- sh -c 'cat /berth-ro/file; cat /berth-rw/file; echo new > /berth-rw/new;
                if echo x > /berth-ro/x; then echo wrote-ro; fi; cat /proc/self/mountinfo'
        cfg --arg d "$TESTDIR/host-dir" '.mounts += [
                {"destination": "/berth-ro", "type": "bind", "source": $d, "options": ["rbind", "ro", "nosuid", "nodev"]},
                {"destination": "/berth-rw", "type": "none", "source": $d, "options": ["bind"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | grep -cx berth-data)" -eq 2 ]
        [ "$(cat "$TESTDIR/host-dir/new")" = new ]
        [[ "$output" != *wrote-ro* ]]
        [[ "$output" == *"Read-only file system"* ]]
        [ ! -e "$TESTDIR/host-dir/x" ]
        read -r opts fstype super <<< "$(mnt_line /berth-ro)"
        has_opt "$opts" ro
        has_opt "$opts" nosuid
        has_opt "$opts" nodev
        read -r opts fstype super <<< "$(mnt_line /berth-rw)"
        has_opt "$opts" rw
}

@test "a bind mount of a file" {
        echo berth-file-data > "$TESTDIR/host-file"
        make_bundle -- cat /etc/berth-file
        cfg --arg f "$TESTDIR/host-file" '.mounts += [
                {"destination": "/etc/berth-file", "type": "bind", "source": $f, "options": ["bind", "ro"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = berth-file-data ]
}

@test "mounts are applied in order" {
        make_bundle -- sh -c 'ls /berth-a; cat /proc/self/mountinfo'
        cfg '.mounts += [
                {"destination": "/berth-a", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
                {"destination": "/berth-a/b", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = b ]
        read -r opts fstype super <<< "$(mnt_line /berth-a/b)"
        has_opt "$super" size=2048k
}

@test "no mount of the container is visible on the host" {
        make_bundle -- sleep 1000
        cfg '.mounts += [{"destination": "/berth-tmp", "type": "tmpfs", "source": "tmpfs"}]'
        create_ctr
        rt start "$ID"
        ! grep -F "$TESTDIR" /proc/self/mountinfo
        ! grep -F /berth-tmp /proc/self/mountinfo
}

@test "/dev has the default devices, ptmx, pts, shm, fd and std links" {
        make_bundle -- sh -c 'for d in null zero full random urandom tty; do
                        echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done
                ls -d /dev/ptmx /dev/pts /dev/shm /dev/mqueue
                for l in fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done
                echo x > /dev/null && echo null-ok
                head -c 5 /dev/zero | wc -c; head -c 3 /dev/urandom | wc -c
                ls /dev | wc -l'
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output" | grep -qx 'null character special file 1:3 666'
        echo "$output" | grep -qx 'zero character special file 1:5 666'
        echo "$output" | grep -qx 'full character special file 1:7 666'
        echo "$output" | grep -qx 'random character special file 1:8 666'
        echo "$output" | grep -qx 'urandom character special file 1:9 666'
        echo "$output" | grep -qx 'tty character special file 5:0 666'
        echo "$output" | grep -qx /dev/ptmx
        echo "$output" | grep -qx /dev/pts
        echo "$output" | grep -qx /dev/shm
        echo "$output" | grep -qx 'fd /proc/self/fd'
        echo "$output" | grep -qx 'stdin /proc/self/fd/0'
        echo "$output" | grep -qx 'stdout /proc/self/fd/1'
        echo "$output" | grep -qx 'stderr /proc/self/fd/2'
        echo "$output" | grep -qx null-ok
        [ "${lines[-3]}" = 5 ]
        [ "${lines[-2]}" = 3 ]
        # no host devices leak in: the host's /dev has far more entries
        [ "${lines[-1]}" -lt 25 ]
}

@test "linux.devices are created with their type, numbers and mode" {
        make_bundle -- stat -c '%F %t:%T %a %u:%g' /dev/berth-null
        cfg '.linux.devices = [{"path": "/dev/berth-null", "type": "c", "major": 1, "minor": 3,
                "fileMode": 432, "uid": 1000, "gid": 1000}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = 'character special file 1:3 660 1000:1000' ]
}

@test "the devices cgroup denies a device that is not allowed" {
        [ -b /dev/loop0 ] || skip "no /dev/loop0 on the host"
        make_bundle -- sh -c ': < /berth-loop && echo berth-opened'
        mknod "$BUNDLE/rootfs/berth-loop" b 7 0
        chmod 666 "$BUNDLE/rootfs/berth-loop"
        cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
        run_ctr
        [ "$status" -ne 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" != *berth-opened* ]]
        # and allowed once listed
        cfg '.linux.resources.devices += [{"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = berth-opened ]
}

@test "maskedPaths are unreadable" {
        make_bundle -- sh -c 'cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l; cat /etc/hostname | wc -c'
        cfg '.linux.maskedPaths += ["/etc/hostname"]'
        [ -s "$BUNDLE/rootfs/etc/hostname" ]
        [ -n "$(ls /sys/firmware)" ]
        [ "$(wc -c < /proc/timer_list)" -gt 0 ]
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0 ]
        [ "${lines[1]}" = 0 ]
        [ "${lines[2]}" = 0 ]
}

@test "readonlyPaths are read-only (EROFS)" {
        mkdir -p "$BUNDLE.tmp"
        make_bundle -- sh -c 'touch /berth-ro-dir/x; echo 1 > /proc/sys/kernel/domainname; touch /tmp/ok && echo tmp-ok'
        mkdir "$BUNDLE/rootfs/berth-ro-dir"
        cfg '.linux.readonlyPaths += ["/berth-ro-dir"]'
        run_ctr
        echo "$output" | grep -q "/berth-ro-dir/x.*Read-only file system"
        echo "$output" | grep -q "Read-only file system"
        echo "$output" | grep -qx tmp-ok
        [ ! -e "$BUNDLE/rootfs/berth-ro-dir/x" ]
}

@test "root.readonly" {
        make_bundle --readonly -- sh -c 'touch /berth-file; cat /proc/self/mountinfo'
        run_ctr
        [[ "$output" == *"Read-only file system"* ]]
        [ ! -e "$BUNDLE/rootfs/berth-file" ]
        opts=$(echo "$output" | awk '$5 == "/" { print $6 }' | tail -n 1)
        has_opt "$opts" ro
}

@test "the rootfs is the bundle's, with no way back to the host's /" {
        make_bundle -- sh -c 'cat /berth-mark; ls /proc/1/root/ | grep -c berth-mark; cd /..; ls /'
        echo berth-in-rootfs > "$BUNDLE/rootfs/berth-mark"
        run_ctr
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = berth-in-rootfs ]
        [ "${lines[1]}" = 1 ]
        # no host directory is reachable (the host has /work, /usr/lib, ...)
        ! echo "$output" | grep -qx work
}

@test "--no-pivot runs the container too" {
        make_bundle -- sh -c 'cat /berth-mark; ls /proc/1/root/ | grep -c berth-mark'
        echo berth-no-pivot > "$BUNDLE/rootfs/berth-mark"
        run rt run --no-pivot --bundle "$BUNDLE" "$ID"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = berth-no-pivot ]
}

@test "rootfsPropagation private keeps the host's mounts out" {
        make_bundle -- sh -c 'sleep 0.5; grep -c berth-late /proc/self/mountinfo || true'
        cfg '.linux.rootfsPropagation = "private"'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = 0 ]
}

@test "a mount target through a symlink to /etc stays inside the rootfs" {
        before=$(ls -la /etc | md5sum)
        host_mounts=$(grep -c ' /etc' /proc/self/mountinfo || true)
        make_bundle -- sh -c 'ls /etc/berth-escape/'
        ln -s /etc "$BUNDLE/rootfs/berth-link"
        ln -s ../../../../../../../etc "$BUNDLE/rootfs/berth-link2"
        cfg '.mounts += [
                {"destination": "/berth-link/berth-escape", "type": "tmpfs", "source": "tmpfs"},
                {"destination": "/berth-link2", "type": "tmpfs", "source": "tmpfs"}]'
        run_ctr
        # a runtime may refuse it (one line of error) or resolve it inside the rootfs;
        # either way the host's /etc is untouched and nothing is mounted on it
        if [ "$status" -ne 0 ]; then
                assert_one_error_line
                assert_no_leftovers
        fi
        [ ! -e /etc/berth-escape ]
        [ "$(ls -la /etc | md5sum)" = "$before" ]
        [ "$(grep -c ' /etc' /proc/self/mountinfo || true)" = "$host_mounts" ]
}

@test "rro makes a bind mount and its submounts read-only" {
        mkdir -p "$TESTDIR/host/sub"
        mount -t tmpfs -o size=1m berth-test-sub "$TESTDIR/host/sub"
        make_bundle -- sh -c 'touch /berth-r/x 2>&1; touch /berth-r/sub/x 2>&1; cat /proc/self/mountinfo'
        cfg --arg d "$TESTDIR/host" '.mounts += [{"destination": "/berth-r", "type": "bind", "source": $d,
                "options": ["rbind", "rro"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | grep -c 'Read-only file system')" -eq 2 ]
        read -r opts fstype super <<< "$(mnt_line /berth-r)"
        has_opt "$opts" ro
        read -r opts fstype super <<< "$(mnt_line /berth-r/sub)"
        has_opt "$opts" ro
        [ "$fstype" = tmpfs ]
}

@test "propagation flags of a mount" {
        make_bundle -- cat /proc/self/mountinfo
        cfg '.mounts += [
                {"destination": "/berth-shared", "type": "tmpfs", "source": "tmpfs", "options": ["rshared"]},
                {"destination": "/berth-private", "type": "tmpfs", "source": "tmpfs", "options": ["rprivate"]}]'
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output" | awk '$5 == "/berth-shared"' | grep -q ' shared:'
        ! echo "$output" | awk '$5 == "/berth-private"' | grep -q ' shared:'
}

@test "the cgroup filesystem is mounted read-only" {
        make_bundle -- sh -c 'cat /proc/self/mountinfo; mkdir /sys/fs/cgroup/pids/berth-x 2>&1; ls /sys/fs/cgroup'
        run_ctr
        [[ "$output" == *"Read-only file system"* ]]
        echo "$output" | grep -qx pids
        # every cgroup or cgroup2 mount is ro
        n=$(echo "$output" | awk '$5 ~ "^/sys/fs/cgroup" {
                for (i = 7; $i != "-"; i++) ;
                if ($(i + 1) ~ /^cgroup2?$/) print $6 }' | tee /dev/stderr | grep -c '^ro' || true)
        [ "$n" -gt 0 ]
        ! echo "$output" | awk '$5 ~ "^/sys/fs/cgroup" {
                for (i = 7; $i != "-"; i++) ;
                if ($(i + 1) ~ /^cgroup2?$/) print $6 }' | grep -qv '^ro'
}

@test "linux.devices inside a user namespace" {
        [ -c /dev/net/tun ] || skip "no /dev/net/tun on the host"
        make_bundle -- stat -c "%F %t:%T" /dev/net/tun
        cfg '.linux.namespaces += [{"type": "user"}]
             | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
             | .mounts |= map(select(.type != "cgroup"))
             | .linux.devices = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 438}]'
        run_ctr
        [ "$status" -eq 0 ]
        [ "$output" = "character special file a:c8" ]
}
