#!/usr/bin/env bats
# Podman drives berth-runtime (`podman --runtime <berth-runtime>`) through its usual paths, with a
# private root, run dir, tmpdir and containers.conf: never the host's defaults.
bats_require_minimum_version 1.5.0

load dropin-helpers

setup_file() {
        command -v podman >/dev/null || skip "podman is not installed (apt-get install -y podman)"
        export PD=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-podman.XXXXXX")
        mkdir -p "$PD/tmp"
        printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$PD/containers.conf"
        "$REPO/tests/fixtures/image-busybox.sh" --tar "$PD/busybox.tar"
        eng import --change 'CMD ["sh"]' "$PD/busybox.tar" docker.io/library/busybox:latest >/dev/null
}

teardown_file() {
        [ -n "${PD:-}" ] || return 0
        eng rm -af -t 0 >/dev/null 2>&1 || true
        grep -o " $PD[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$PD"
        # podman's cgroupfs parents, made by these tests' containers; rmdir leaves them if busy
        for _ in $(seq 30); do
                rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true
                ls -d /sys/fs/cgroup/*/libpod_parent >/dev/null 2>&1 || break
                sleep 0.1
        done
}

eng() {
        CONTAINERS_CONF=$PD/containers.conf podman --root "$PD/root" --runroot "$PD/run" --tmpdir "$PD/tmp" \
                --runtime "$RUNTIME_BIN" "$@"
}

erun() {
        eng run --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$@"
}

@test "podman: run, output, exit codes 0, N, 126, 127" { scenario_exit_codes; }
@test "podman: env, workdir, user, volumes, read-only, cap-drop" { scenario_options "$PD"; }
@test "podman: --memory and --pids-limit land in the container's cgroup" { scenario_cgroup_limits; }
@test "podman: detached run, exec, logs, pause, unpause, stop, kill, rm" { scenario_detached; }
@test "podman: -it in a terminal" {
        scenario_tty "CONTAINERS_CONF=$PD/containers.conf podman --root $PD/root --runroot $PD/run --tmpdir $PD/tmp --runtime $RUNTIME_BIN run --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096"
}
