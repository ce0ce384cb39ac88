#!/usr/bin/env bats
# Docker drives berth-runtime: a private dockerd (`--add-runtime berth=<berth-runtime>`, its own
# data root, exec root, pidfile and socket, no bridge, no iptables), then `docker run --runtime
# berth`. Debian's client is /usr/bin/docker (another client may come first in PATH).
bats_require_minimum_version 1.5.0

load dropin-helpers

setup_file() {
        command -v dockerd >/dev/null && [ -x /usr/bin/docker ] || skip "docker is not installed (apt-get install -y docker.io)"
        export DK=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-docker.XXXXXX")
        [ -e /etc/docker/key.json ] && echo 1 >"$DK/keep-key"
        [ -e /run/docker ] && echo 1 >"$DK/keep-run"
        dockerd --data-root "$DK/data" --exec-root "$DK/exec" --pidfile "$DK/pid" -H "unix://$DK/sock" \
                --bridge none --iptables=false --ip6tables=false \
                --add-runtime berth="$RUNTIME_BIN" >"$DK/log" 2>&1 &
        echo $! >"$DK/dockerd.pid"
        for _ in $(seq 150); do eng version >/dev/null 2>&1 && break; sleep 0.1; done
        "$REPO/tests/fixtures/image-busybox.sh" --tar "$DK/busybox.tar"
        eng import --change 'CMD ["sh"]' "$DK/busybox.tar" busybox:latest >/dev/null
}

teardown_file() {
        [ -n "${DK:-}" ] || return 0
        eng ps -aq 2>/dev/null | xargs -r /usr/bin/docker -H "unix://$DK/sock" rm -f >/dev/null 2>&1 || true
        local pid
        pid=$(cat "$DK/dockerd.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        grep -o " $DK[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
        [ -e "$DK/keep-key" ] || rm -f /etc/docker/key.json
        [ -e "$DK/keep-run" ] || rm -rf /run/docker
        rm -rf "$DK"
        rmdir /sys/fs/cgroup/*/docker 2>/dev/null || true
}

eng() {
        /usr/bin/docker -H "unix://$DK/sock" "$@"
}

erun() {
        eng run --runtime berth --network none "$@"
}

@test "docker: run, output, exit codes 0, N, 126, 127" { scenario_exit_codes; }
@test "docker: env, workdir, user, volumes, read-only, cap-drop" { scenario_options "$DK"; }
@test "docker: --memory and --pids-limit land in the container's cgroup" { scenario_cgroup_limits; }
@test "docker: detached run, exec, logs, pause, unpause, stop, kill, rm" { scenario_detached; }
@test "docker: -it in a terminal" {
        scenario_tty "/usr/bin/docker -H unix://$DK/sock run --runtime berth --network none"
}
