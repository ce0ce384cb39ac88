# Shared by the registry-*.bats tests: a real registry (Debian's docker-registry) on 127.0.0.1
# with its own config, storage and free port, started per test file and stopped by pid; a
# busybox image pushed into it by skopeo.
load image-helpers

REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# registry_start DIR [YAML]: YAML is appended to the config (auth, tls ...). Sets REG_PORT, REG.
registry_start() {
        local dir=$1 extra=${2:-}
        mkdir -p "$dir/storage"
        REG_PORT=${REG_PORT:-$(free_port)}
        cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: debug
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
$extra
EOC
        "$REGISTRY_BIN" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
        echo $! >"$dir/registry.pid"
        REG=127.0.0.1:$REG_PORT
        for _ in $(seq 100); do
                if curl -sk -o /dev/null "http://$REG/v2/" || curl -sk -o /dev/null "https://$REG/v2/"; then
                        return 0
                fi
                sleep 0.1
        done
        cat "$dir/registry.log" >&2
        return 1
}

registry_stop() {
        local dir=$1 pid
        [ -f "$dir/registry.pid" ] || return 0
        pid=$(cat "$dir/registry.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/registry.pid"
}

# A docker-archive of the busybox image, made once per file (berth import + save).
busybox_archive() {
        local a=$BATS_FILE_TMPDIR/busybox-archive.tar
        if [ ! -s "$a" ]; then
                local root=$BATS_FILE_TMPDIR/archive-root
                "$BERTH_BIN" --root "$root" --runroot "$root/run" import --change 'CMD ["sh"]' \
                        "$(busybox_tar)" busybox >/dev/null
                "$BERTH_BIN" --root "$root" --runroot "$root/run" save -o "$a" busybox
                rm -rf "$root"
        fi
        echo "$a"
}

# skopeo_push REF [skopeo flags]: the busybox archive to docker://REF.
skopeo_push() {
        local ref=$1
        shift
        skopeo copy -q --dest-tls-verify=false "$@" "docker-archive:$(busybox_archive)" "docker://$ref"
}
