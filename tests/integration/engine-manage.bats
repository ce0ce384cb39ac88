#!/usr/bin/env bats
# stats, top, rename, container prune and the volume verbs.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "stats --no-stream: CPU %, memory usage and limit, pids of a busy container" {
        berth run -d --name busy --memory 64m busybox sh -c 'while true; do :; done' >/dev/null
        run berth stats --no-stream
        [ "$status" -eq 0 ] || fail "$output"
        [[ "${lines[0]}" == "CONTAINER ID"*"NAME"*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*"PIDS" ]]
        [[ "${lines[1]}" == *busy*"/ 64MiB"* ]] || fail "$output"
        cpu=$(berth stats --no-stream --format '{{.CPUPerc}}' busy | tr -d '%')
        awk -v c="$cpu" 'BEGIN { exit !(c > 20) }' || fail "cpu $cpu"
        [ "$(berth stats --no-stream --format '{{.PIDs}}' busy)" = 1 ]
        berth rm -f busy
}

@test "top lists the container's processes with host pids" {
        berth run -d --name t busybox sh -c 'sleep 1000 & sleep 2000' >/dev/null
        wait_for sh -c "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' top t | grep -q 'sleep 2000'"
        run berth top t
        [[ "${lines[0]}" == UID*PID*PPID*CMD ]]
        [[ "$output" == *"sleep 1000"* ]] && [[ "$output" == *"sleep 2000"* ]]
        pid=$(echo "$output" | awk '/sleep 1000/ { print $2 }')
        [ -d "/proc/$pid" ]
        berth rm -f t
}

@test "rename keeps the container, frees the old name, refuses a name in use" {
        id=$(berth create --name old busybox true)
        berth create --name other busybox true >/dev/null
        berth rename old new
        [ "$(berth inspect -f '{{.Id}} {{.Name}}' new)" = "$id /new" ]
        run berth inspect old
        [ "$status" -eq 125 ]
        run berth rename new other
        [ "$status" -eq 125 ] && [[ "$output" == *"already in use"* ]]
        berth create --name old busybox true >/dev/null
}

@test "container prune removes stopped containers only" {
        berth run --name done1 busybox true
        berth create --name made busybox true >/dev/null
        berth run -d --name alive busybox sleep 1000 >/dev/null
        run berth container prune -f
        [ "$status" -eq 0 ] && [ "${lines[0]}" = "Deleted Containers:" ]
        [ "${#lines[@]}" -eq 3 ]
        [ "$(berth ps -a --format '{{.Names}}')" = alive ]
        [ "$(berth container ls -q | wc -l)" -eq 1 ]
        berth rm -f alive
}

@test "volumes: create, ls, inspect, in use, rm, prune" {
        berth volume create data1
        berth run --rm -v data1:/d busybox sh -c 'echo x > /d/f'
        run berth volume ls
        [ "${lines[0]}" = "DRIVER    VOLUME NAME" ] && [ "${lines[1]}" = "local     data1" ]
        mp=$(berth volume inspect data1 | jq -r '.[0].Mountpoint')
        [ "$(cat "$mp/f")" = x ]
        berth create --name user -v data1:/d busybox true >/dev/null
        run berth volume rm data1
        [ "$status" -eq 125 ] && [[ "$output" == *"in use by user"* ]]
        berth rm user
        berth volume rm data1
        [ ! -e "$mp" ]
        berth volume create data2
        berth volume create data3
        berth create --name keep -v data3:/d busybox true >/dev/null
        run berth volume prune -f
        [ "${lines[1]}" = data2 ] && [ "${#lines[@]}" -eq 2 ]
        [ "$(berth volume ls -q)" = data3 ]
        run berth volume rm nope
        [ "$status" -eq 125 ] && [[ "$output" == *"no such volume"* ]]
        run berth volume create 'bad/name'
        [ "$status" -eq 125 ]
}

@test "update changes the limits of a running container in its cgroup files" {
        id=$(berth run -d --memory 64m busybox sleep 1000)
        berth update --memory 128m --pids-limit 33 --cpus 1.5 "$id"
        [ "$(cat /sys/fs/cgroup/memory/berth-$id/memory.limit_in_bytes)" = 134217728 ]
        [ "$(cat /sys/fs/cgroup/pids/berth-$id/pids.max)" = 33 ]
        [ "$(cat /sys/fs/cgroup/cpu/berth-$id/cpu.cfs_quota_us)" = 150000 ]
        [ "$(berth inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' "$id")" = "134217728 33" ]
        run berth update --memory lots "$id"
        [ "$status" -eq 125 ] && [[ "$output" == "berth: update: invalid size for --memory: lots"* ]] || fail "$output"
        [ "$(cat /sys/fs/cgroup/memory/berth-$id/memory.limit_in_bytes)" = 134217728 ]
        berth rm -f "$id"
}

@test "cp both ways, running or stopped, never through a container's symlink out of it" {
        berth run -d --name c busybox sh -c 'mkdir -p /srv/d; echo inside > /srv/d/f; ln -s /etc /srv/etclink; ln -s / /srv/up; sleep 1000' >/dev/null
        wait_for berth exec c test -L /srv/up
        berth cp c:/srv/d "$TESTDIR/out"
        [ "$(cat "$TESTDIR/out/f")" = inside ]
        echo from-host > "$TESTDIR/h"
        berth cp "$TESTDIR/h" c:/srv/d/
        [ "$(berth exec c cat /srv/d/h)" = from-host ]
        mkdir "$TESTDIR/tree" && echo t > "$TESTDIR/tree/x"
        berth cp "$TESTDIR/tree" c:/srv/newtree
        [ "$(berth exec c cat /srv/newtree/x)" = t ]
        # a symlink inside is copied as a link, and a destination through one stays inside
        berth cp c:/srv/etclink "$TESTDIR/link"
        [ "$(readlink "$TESTDIR/link")" = /etc ]
        berth cp "$TESTDIR/h" c:/srv/up/etc/berth-cp-escape
        [ ! -e /etc/berth-cp-escape ]
        [ "$(berth exec c cat /etc/berth-cp-escape)" = from-host ]
        berth stop -t 0 c
        berth cp "$TESTDIR/h" c:/stopped-copy
        berth cp c:/stopped-copy "$TESTDIR/back"
        [ "$(cat "$TESTDIR/back")" = from-host ]
        ! grep -q "$TESTDIR/root/containers" /proc/self/mountinfo
        run berth cp "$TESTDIR/h" "$TESTDIR/h2"
        [ "$status" -eq 125 ]
        run berth cp c:/no/such "$TESTDIR/x"
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        berth rm c
}
