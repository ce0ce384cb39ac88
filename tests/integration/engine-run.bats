#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# berth run and the container lifecycle, as a docker user sees them.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "run --rm prints the output, exits 0 and leaves nothing" {
        run berth run --rm busybox echo hello from berth
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "hello from berth" ]
        assert_nothing_left
}

@test "exit codes: the container's, 127 not found, 126 not executable, 125 berth's" {
        run berth run --rm busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
        run -127 berth run --rm busybox no-such-command
        [ "$status" -eq 127 ] || fail "$status $output"
        [[ "$output" == *'executable file not found'* ]]
        run berth run --rm busybox /etc/passwd
        [ "$status" -eq 126 ] || fail "$status $output"
        assert_nothing_left
}

@test "bad input: one line, exit 125, nothing created" {
        run berth run --rm --no-such-flag busybox true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
        run berth run --rm --memory lots busybox true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"--memory"* ]] || fail "$output"
        run berth run --rm no-such-image true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"no-such-image"* ]] || fail "$output"
        run berth run --rm --name 'bad/name' busybox true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
        run berth run --rm --network bridge9 busybox true
        [ "$status" -eq 125 ] || fail "$output"
        assert_nothing_left
        berth create --name taken busybox true
        run berth run --name taken busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *'"/taken" is already in use'* ]] || fail "$output"
        [ "$(berth ps -aq | wc -l)" -eq 1 ]
        [ "$(ls "$ROOT/containers" | wc -l)" -eq 1 ]
}

@test "the command is PID 1 in its own namespaces, ps shows only the container" {
        run berth run --rm busybox sh -c 'echo $$; ps -o pid,comm | wc -l; for n in pid mnt uts ipc net; do readlink /proc/self/ns/$n; done'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = 1 ]
        [ "${lines[1]}" -le 4 ] # header, sh, ps, wc
        for ns in pid mnt uts ipc net; do
                [[ "$output" == *"$ns:["* ]]
                ! echo "$output" | grep -qx "$(readlink /proc/self/ns/$ns)"
        done
        run berth run --rm --network none busybox ls /sys/class/net
        [ "$output" = lo ]
        run berth run --rm --network host busybox readlink /proc/self/ns/net
        [ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "image config and flags: Cmd, env, env-file, workdir, user, entrypoint, hostname" {
        run berth run --rm busybox
        [ "$status" -eq 0 ] # Cmd sh with no stdin exits
        echo 'FROM_FILE=yes' > "$TESTDIR/env"
        echo '# a comment' >> "$TESTDIR/env"
        run berth run --rm -e A=1 -e B=two --env-file "$TESTDIR/env" -w /tmp --hostname berthbox busybox sh -c 'echo $A $B $FROM_FILE; pwd; hostname; cat /etc/hostname'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = "1 two yes" ]
        [ "${lines[1]}" = /tmp ]
        [ "${lines[2]}" = berthbox ]
        [ "${lines[3]}" = berthbox ]
        run berth run --rm -u 1000:100 busybox sh -c 'id -u; id -g'
        [ "$output" = "$(printf '1000\n100')" ] || fail "$output"
        run berth run --rm -u nobody busybox id -u
        [ "$output" = 65534 ] || fail "$output"
        run berth run --rm -u nosuchuser busybox id
        [ "$status" -eq 125 ] && [[ "$output" == *nosuchuser* ]] || fail "$output"
        run berth run --rm --entrypoint echo busybox via entrypoint
        [ "$output" = "via entrypoint" ]
}

@test "run -d, ps, logs, exec, stop with SIGTERM, inspect, rm" {
        id=$(berth run -d --name web busybox sh -c 'echo started; trap "echo bye; exit 7" TERM; while true; do sleep 0.1; done')
        [ ${#id} -eq 64 ]
        wait_for sh -c "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' logs web | grep -q started"
        run berth ps
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "CONTAINER ID"*"IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
        [[ "${lines[1]}" == "${id:0:12}"*busybox*"Up "*web ]] || fail "$output"
        run berth exec web sh -c 'echo in $HOSTNAME; cat /proc/1/cmdline | tr "\0" " "'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = "in ${id:0:12}" ]
        [[ "${lines[1]}" == "sh -c echo started"* ]]
        run berth exec web sh -c 'exit 5'
        [ "$status" -eq 5 ]
        pid=$(berth inspect -f '{{.State.Pid}}' web)
        [ "$pid" -gt 1 ] && [ -d /proc/$pid ]
        [ "$(berth inspect -f '{{.State.Running}}' web)" = true ]
        berth stop web
        [ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Pid}}' web)" = "exited 7 false 0" ]
        run berth logs web
        [ "$output" = "$(printf 'started\nbye')" ]
        run berth ps -q
        [ -z "$output" ]
        [ "$(berth ps -aq)" = "${id:0:12}" ]
        run berth exec web true
        [ "$status" -eq 125 ] && [[ "$output" == *"not running"* ]]
        run berth rm web
        [ "$status" -eq 0 ] && [ "$output" = web ]
        assert_nothing_left
        assert_no_cgroup "$id"
}

@test "stop escalates to SIGKILL after the timeout" {
        berth run -d --name stubborn busybox sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
        start=$(date +%s%N)
        berth stop -t 1 stubborn
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        [ "$ms" -ge 900 ] && [ "$ms" -lt 8000 ] || fail "stop took $ms ms"
        [ "$(berth inspect -f '{{.State.ExitCode}}' stubborn)" = 137 ]
        berth rm stubborn
}

@test "kill -s, wait, start again, restart" {
        berth run -d --name k busybox sh -c 'trap "exit 9" USR1; while true; do sleep 0.1; done' >/dev/null
        sleep 0.3
        berth kill -s USR1 k
        run berth wait k
        [ "$output" = 9 ] || fail "$output"
        berth start k
        [ "$(berth inspect -f '{{.State.Status}}' k)" = running ]
        berth restart -t 0 k
        [ "$(berth inspect -f '{{.State.Status}}' k)" = running ]
        run berth rm k
        [ "$status" -eq 125 ] && [[ "$output" == *"stop the container before removing or force remove"* ]]
        berth rm -f k
        assert_nothing_left
}

@test "limits land in the host's cgroup files" {
        id=$(berth run -d --memory 64m --pids-limit 50 --cpus 0.5 --cpu-shares 512 busybox sleep 1000)
        cg=berth-$id
        [ "$(cat /sys/fs/cgroup/memory/$cg/memory.limit_in_bytes)" = 67108864 ]
        [ "$(cat /sys/fs/cgroup/pids/$cg/pids.max)" = 50 ]
        [ "$(cat /sys/fs/cgroup/cpu/$cg/cpu.cfs_quota_us)" = 50000 ]
        [ "$(cat /sys/fs/cgroup/cpu/$cg/cpu.cfs_period_us)" = 100000 ]
        [ "$(cat /sys/fs/cgroup/cpu/$cg/cpu.shares)" = 512 ]
        [ "$(berth inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' $id)" = "67108864 50" ]
        berth rm -f "$id" >/dev/null
        assert_no_cgroup "$id"
}

@test "an OOM kill shows OOMKilled true and 137" {
        run berth run --name oom --memory 20m busybox sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
        [ "$status" -eq 137 ] || fail "$status $output"
        [ "$(berth inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)" = "true 137" ]
        run berth run --rm --memory 64m busybox true
        [ "$status" -eq 0 ]
        berth rm oom
}

@test "volumes: binds rw and ro, anonymous and named volumes" {
        mkdir "$TESTDIR/host"
        echo from-host > "$TESTDIR/host/f"
        run berth run --rm -v "$TESTDIR/host:/data" busybox sh -c 'cat /data/f; echo from-ctr > /data/g'
        [ "$output" = from-host ]
        [ "$(cat "$TESTDIR/host/g")" = from-ctr ]
        run berth run --rm -v "$TESTDIR/host:/data:ro" busybox sh -c 'echo x > /data/h'
        [ "$status" -ne 0 ] && [ ! -e "$TESTDIR/host/h" ]
        berth run --rm -v named1:/v busybox sh -c 'echo kept > /v/k'
        run berth run --rm -v named1:/v busybox cat /v/k
        [ "$output" = kept ]
        id=$(berth create -v /anon busybox sh -c 'echo a > /anon/x')
        berth start "$id" >/dev/null
        berth wait "$id" >/dev/null
        src=$(berth inspect -f '{{json .Mounts}}' "$id" | jq -r '.[0].Source')
        [ "$(cat "$src/x")" = a ]
        berth rm -v "$id"
        [ ! -e "$src" ]
        [ -d "$ROOT/volumes/named1/_data" ]
        run berth run --rm -v relative/path:/x:zz busybox true
        [ "$status" -eq 125 ]
        assert_nothing_left
}

@test "read-only root, tmpfs, /dev/shm, masked /proc paths" {
        run berth run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /x 2>&1; touch /scratch/y && echo ok'
        [[ "$output" == *"Read-only file system"* ]] && [[ "$output" == *ok ]] || fail "$output"
        run berth run --rm busybox sh -c 'df -k /dev/shm | tail -1'
        [[ "$output" == *65536* ]] || fail "$output"
        run berth run --rm --shm-size 8m busybox sh -c 'df -k /dev/shm | tail -1'
        [[ "$output" == *8192* ]] || fail "$output"
        run berth run --rm busybox sh -c 'wc -c < /proc/keys; echo x > /proc/sys/kernel/hostname'
        [ "${lines[0]}" = 0 ] || fail "$output"
        [ "$status" -ne 0 ] && [[ "$output" == *"Read-only file system"* ]] || fail "$output"
}

@test "pause and unpause freeze the container" {
        berth run -d --name p busybox sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; done' >/dev/null
        berth pause p
        [ "$(berth inspect -f '{{.State.Status}} {{.State.Paused}}' p)" = "paused true" ]
        run berth ps
        [[ "$output" == *"(Paused)"* ]]
        berth unpause p
        [ "$(berth inspect -f '{{.State.Status}}' p)" = running ]
        run berth unpause p
        [ "$status" -eq 125 ]
        berth rm -f p
}

@test "logs: --tail, -t, and rotation keeps at most max-file files" {
        berth run --name l --log-opt max-size=2k --log-opt max-file=2 busybox sh -c 'for i in $(seq 1 300); do echo line $i; done' >/dev/null
        run berth logs --tail 2 l
        [ "$output" = "$(printf 'line 299\nline 300')" ]
        run berth logs -t --tail 1 l
        [[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ line\ 300$ ]] || fail "$output"
        id=$(berth inspect -f '{{.Id}}' l)
        n=$(ls "$ROOT/containers/$id" | grep -c json.log)
        [ "$n" -eq 2 ]
        head -1 "$ROOT/containers/$id/$id-json.log" | jq -e '.log and .stream == "stdout" and .time' >/dev/null
        berth rm l
}

@test "stdin is streamed with -i and closed at its end" {
        run sh -c "printf 'one\ntwo\n' | '$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' run --rm -i busybox sh -c 'wc -l'"
        [ "$output" = 2 ] || fail "$output"
}

@test "faults: the monitor or the container killed, ps and inspect tell the truth, rm cleans" {
        id=$(berth run -d busybox sleep 1000)
        mon=$(pgrep -f "berth-monitor.*$id")
        kill -9 "$mon"
        [ "$(berth inspect -f '{{.State.Status}}' $id)" = running ]
        berth rm -f "$id"
        assert_nothing_left
        assert_no_cgroup "$id"
        id=$(berth run -d busybox sleep 1000)
        kill -9 "$(berth inspect -f '{{.State.Pid}}' $id)"
        wait_for sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' inspect -f '{{.State.Status}}' $id)\" = exited ]"
        [ "$(berth inspect -f '{{.State.ExitCode}}' $id)" = 137 ]
        berth rm "$id"
        assert_nothing_left
        assert_no_cgroup "$id"
}

@test "50 run -d in parallel give 50 containers with unique names" {
        local pids=()
        for i in $(seq 50); do
                timeout 90 "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" run -d busybox sleep 1000 > "$TESTDIR/id.$i" 2>&1 &
                pids+=($!)
        done
        # only our jobs: a bare `wait` also waits for bats' own BATS_TEST_TIMEOUT watchdog
        wait "${pids[@]}"
        grep -L '^[0-9a-f]\{64\}$' "$TESTDIR"/id.* | xargs -r cat >&2
        [ "$(cat "$TESTDIR"/id.* | sort -u | grep -c '^[0-9a-f]\{64\}$')" -eq 50 ] || fail "$(cat "$TESTDIR"/id.*)"
        [ "$(berth ps -q | wc -l)" -eq 50 ]
        [ "$(berth ps --format '{{.Names}}' | sort -u | wc -l)" -eq 50 ]
        berth ps -aq | xargs "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" rm -f >/dev/null
        assert_nothing_left
}

@test "--help on every verb, version" {
        for v in run create start stop restart kill rm ps logs inspect wait exec pause unpause; do
                run berth $v --help
                [ "$status" -eq 0 ] && [[ "$output" == *"Usage:"* ]] || fail "$v: $output"
        done
}

@test "the README's demo makes the default image when missing and runs a container" {
        rm -rf "$ROOT" && mkdir -p "$ROOT"
        run env BERTH="$BERTH_BIN" BERTH_ROOT="$ROOT" BERTH_RUNROOT="$RUNROOT" "$REPO/scripts/demo.sh"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == *"Hello from a berth container."* ]]
        [[ "$output" == *"hostname: berth-demo"* ]]
        [[ "$output" == *"    1 root     sh"* ]]
        [ "$(berth images --format '{{.Repository}}:{{.Tag}}')" = busybox:latest ]
        assert_nothing_left
}

@test "security defaults as Docker's: capabilities, seccomp, no-new-privileges, privileged" {
        run berth run --rm busybox sh -c 'grep -E "^Cap(Prm|Eff|Bnd|Amb)" /proc/self/status; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == *"CapEff:	00000000a80425fb"* ]] || fail "$output"
        [[ "$output" == *"CapBnd:	00000000a80425fb"* ]]
        [[ "$output" == *"CapAmb:	0000000000000000"* ]]
        [[ "$output" == *"Seccomp:	2"* ]]
        [[ "$output" == *"NoNewPrivs:	0"* ]]
        run berth run --rm --cap-drop ALL --cap-add NET_ADMIN --security-opt no-new-privileges busybox sh -c 'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'
        [[ "$output" == *"CapEff:	0000000000001000"* ]] || fail "$output"
        [[ "$output" == *"NoNewPrivs:	1"* ]]
        run berth run --rm --cap-drop chown busybox chown 1 /tmp
        [ "$status" -ne 0 ]
        run berth run --rm --cap-add NO_SUCH_CAP busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *NO_SUCH_CAP* ]] || fail "$output"
        run berth run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
        [[ "$output" == *"Seccomp:	0"* ]]
        echo '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' > "$TESTDIR/profile.json"
        run berth run --rm --security-opt seccomp="$TESTDIR/profile.json" busybox mkdir /tmp/x
        [ "$status" -ne 0 ] && [[ "$output" == *"Operation not permitted"* ]] || fail "$output"
        run berth run --rm --privileged busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; cat /proc/keys >/dev/null && echo unmasked'
        [[ "$output" == *"Seccomp:	0"* ]] && [[ "$output" == *unmasked* ]] || fail "$output"
        ! [[ "$output" == *"CapEff:	00000000a80425fb"* ]]
        assert_nothing_left
}

@test "--restart on-failure:N restarts a failing container N times; always stops on stop" {
        berth run -d --name rs --restart on-failure:3 busybox sh -c 'echo run; exit 2' >/dev/null
        wait_for sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' inspect -f '{{.RestartCount}} {{.State.Status}}' rs)\" = '3 exited' ]"
        sleep 0.5
        [ "$(berth logs rs | grep -c run)" -eq 4 ]
        [ "$(berth inspect -f '{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}' rs)" = "2 on-failure:3" ]
        berth run -d --name ra --restart always busybox sh -c 'sleep 0.2; exit 0' >/dev/null
        wait_for sh -c "[ \"\$('$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' inspect -f '{{.RestartCount}}' ra)\" -ge 2 ]"
        berth stop ra
        n=$(berth inspect -f '{{.RestartCount}}' ra)
        sleep 1
        [ "$(berth inspect -f '{{.State.Status}} {{.RestartCount}}' ra)" = "exited $n" ]
        run berth run --rm --restart always busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *conflicting* ]]
        run berth run --restart sometimes busybox true
        [ "$status" -eq 125 ]
        berth rm rs ra
        assert_nothing_left
}

@test "--device adds a host device node, allowed in the devices cgroup; --group-add" {
        [ -c /dev/loop-control ] || skip "no /dev/loop-control on this host"
        run berth run --rm busybox sh -c 'mknod /dev/lc c 10 237 && exec 3</dev/lc'
        [ "$status" -ne 0 ] || fail "$output"
        run berth run --rm --device /dev/loop-control:/dev/lc busybox sh -c 'ls -l /dev/lc; exec 3</dev/lc && echo opened'
        [ "$status" -eq 0 ] && [[ "$output" == *"10, 237"* ]] && [ "${lines[-1]}" = opened ] || fail "$output"
        run berth run --rm --device /dev/nosuch busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *"/dev/nosuch"* ]]
        run berth run --rm --group-add daemon --group-add 1234 busybox id -G
        [ "$output" = "0 1 1234" ] || fail "$output"
        assert_nothing_left
}

@test "an image that sets no PATH (import, commit) still finds commands: the default PATH" {
        berth import "$(busybox_tar)" berth-nopath > /dev/null
        [ "$(berth image inspect -f '{{json .Config.Env}}' berth-nopath)" = null ]
        [ "$(berth run --rm berth-nopath sh -c 'echo $PATH')" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
        [ "$(berth run --rm berth-nopath ls -d /etc)" = /etc ]
        # exec finds them too; a PATH the user gives wins, as in Docker
        berth run -d --name berth-np berth-nopath sleep 100 > /dev/null
        [ "$(berth exec berth-np ls -d /etc)" = /etc ]
        run -127 berth run --rm -e PATH=/berth-nowhere berth-nopath ls
        [ "$status" -eq 127 ] || fail "$output"
        # a commit of such a container has no PATH either, and runs the same
        berth exec berth-np touch /made
        berth commit berth-np berth-nopath2 > /dev/null
        [ "$(berth image inspect -f '{{json .Config.Env}}' berth-nopath2)" = null ]
        [ "$(berth run --rm berth-nopath2 ls /made)" = /made ]
        berth rm -f berth-np > /dev/null
        assert_nothing_left
}
