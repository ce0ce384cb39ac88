#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# berth info: counts, drivers and the host, as docker info shows them.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "info: containers by state, images, drivers, the host's cgroup version and kernel, the dirs" {
        berth run -d --name r busybox sleep 1000 >/dev/null
        berth run -d --name p busybox sleep 1000 >/dev/null
        berth pause p >/dev/null
        berth create --name c busybox true >/dev/null
        berth run --name e busybox true
        run berth info
        [ "$status" -eq 0 ] || fail "$output"
        for want in " Containers: 4" "  Running: 1" "  Paused: 1" "  Stopped: 2" " Images: 1" \
                " Logging Driver: json-file" " Cgroup Driver: cgroupfs" " Kernel Version: $(uname -r)" \
                " Architecture: $(uname -m)" " CPUs: $(nproc)" " Berth Root Dir: $ROOT" " Run Root Dir: $RUNROOT"; do
                echo "$output" | grep -qxF -- "$want" || fail "no '$want' in: $output"
        done
        local v=1
        [ -f /sys/fs/cgroup/cgroup.controllers ] && v=2
        echo "$output" | grep -qxF " Cgroup Version: $v"
        echo "$output" | grep -qE '^ Storage Driver: (overlay|vfs)$'
        [ "$(berth info --format '{{.ContainersRunning}}/{{.ContainersPaused}}/{{.ContainersStopped}}/{{.Images}}')" = 1/1/2/1 ]
        berth info --format json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["Containers"] == 4 and d["MemTotal"] > 0, d'
        [ "$(berth system info --format '{{.Containers}} {{.DockerRootDir}}')" = "4 $ROOT" ]
        berth rm -f r p c e >/dev/null
        [ "$(berth info --format '{{.Containers}}')" = 0 ]
}

@test "info: bad use is one line and 125" {
        run berth info extra
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
        run berth info --bogus
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
}
