#!/usr/bin/env bats
# Interop with tools nobody here wrote (Debian's podman, skopeo, umoci): their images load into
# berth with the right content; berth's saved images load into podman and run there.
# podman gets a private root, run dir and tmpdir; crun 1.8 refuses this host's hybrid cgroup
# layout, so `podman run` uses runc, and explicit ulimits (root lacks CAP_SYS_RESOURCE).

load image-helpers

setup() {
        image_setup
        P=(podman --root "$TESTDIR/proot" --runroot "$TESTDIR/prun" --tmpdir "$TESTDIR/ptmp"
           --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
        mkdir -p "$TESTDIR/ptmp"
}

teardown() {
        stop_dockerd
        [ -n "${TESTDIR:-}" ] && command -v podman >/dev/null && "${P[@]}" rm -af >/dev/null 2>&1
        image_teardown
}

need() {
        command -v "$1" >/dev/null || skip "$1 is not installed (apt-get install -y $1)"
}

check_busybox_rootfs() {
        local m
        m=$(berth image mount "$1")
        [ -x "$m/bin/busybox" ] || fail "no busybox in $1"
        [ "$(chroot "$m" /bin/echo interop)" = interop ]
        berth image umount "$1"
}

@test "podman save (docker-archive and oci-archive) loads into berth" {
        need podman
        "${P[@]}" import --change 'CMD ["sh"]' "$(busybox_tar)" docker.io/library/pbox:1 >/dev/null
        "${P[@]}" save -o "$TESTDIR/p-docker.tar" docker.io/library/pbox:1
        "${P[@]}" save --format oci-archive -o "$TESTDIR/p-oci.tar" docker.io/library/pbox:1
        run berth load -i "$TESTDIR/p-docker.tar"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "Loaded image: pbox:1" ]
        check_busybox_rootfs pbox:1
        [ "$(berth image inspect -f '{{json .Config.Cmd}}' pbox:1)" = '["sh"]' ]
        ROOT=$TESTDIR/root2
        run berth load -i "$TESTDIR/p-oci.tar"
        [ "$status" -eq 0 ] || fail "$output"
        id=$(berth images -q --no-trunc | head -1)
        [ "$id" = "$("${P[@]}" image inspect -f '{{.Id}}' pbox:1 | sed 's/^/sha256:/')" ]
        check_busybox_rootfs "$id"
}

@test "skopeo copies to oci-archive and docker-archive load into berth" {
        need skopeo
        import_busybox
        berth save -o "$TESTDIR/b.tar" busybox
        skopeo copy -q docker-archive:"$TESTDIR/b.tar" oci-archive:"$TESTDIR/s-oci.tar":docker.io/library/sbox:2
        skopeo copy -q --dest-compress docker-archive:"$TESTDIR/b.tar" \
                docker-archive:"$TESTDIR/s-docker.tar":docker.io/library/sbox:3
        ROOT=$TESTDIR/root2
        run berth load -i "$TESTDIR/s-oci.tar"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "Loaded image: sbox:2" ]
        check_busybox_rootfs sbox:2
        run berth load -i "$TESTDIR/s-docker.tar"
        [ "$status" -eq 0 ] || fail "$output"
        check_busybox_rootfs sbox:3
}

@test "an umoci-built layout loads into berth with its layers" {
        need umoci
        L=$TESTDIR/layout
        umoci init --layout "$L"
        umoci new --image "$L:latest"
        umoci unpack --image "$L:latest" "$TESTDIR/bundle"
        tar -C "$TESTDIR/bundle/rootfs" -xf "$(busybox_tar)"
        umoci repack --image "$L:latest" "$TESTDIR/bundle"
        rm -rf "$TESTDIR/bundle"
        umoci unpack --image "$L:latest" "$TESTDIR/bundle"
        echo from-umoci >"$TESTDIR/bundle/rootfs/etc/umoci"
        rm "$TESTDIR/bundle/rootfs/bin/vi"
        umoci repack --image "$L:latest" "$TESTDIR/bundle"
        umoci config --image "$L:latest" --config.cmd sh
        tar -C "$L" -cf "$TESTDIR/umoci.tar" .
        run berth load -i "$TESTDIR/umoci.tar"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" =~ ^Loaded\ image\ ID:\ sha256: ]]
        id=${output##* }
        # Two repacks, two layers; the second one holds the new file and the whiteout of vi.
        [ "$(berth image inspect "$id" | jq '.[0].RootFS.Layers | length')" = 2 ]
        m=$(berth image mount "$id")
        [ "$(cat "$m/etc/umoci")" = from-umoci ]
        [ ! -e "$m/bin/vi" ]
        [ -x "$m/bin/busybox" ]
        berth image umount "$id"
}

@test "berth save loads into podman and runs there" {
        need podman
        import_busybox
        berth tag busybox localhost/berthbox:v1
        berth save -o "$TESTDIR/b.tar" busybox localhost/berthbox:v1
        run "${P[@]}" load -i "$TESTDIR/b.tar"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" =~ docker.io/library/busybox:latest ]]
        [[ "$output" =~ localhost/berthbox:v1 ]]
        [ "$("${P[@]}" image inspect -f '{{.Id}}' busybox)" = "$(berth images -q --no-trunc | head -1 | cut -c8-)" ]
        run "${P[@]}" run --rm --runtime runc --network none --ulimit nofile=1024:1024 \
                --ulimit nproc=1024:1024 localhost/berthbox:v1 sh -c 'echo ran-in-podman; ls /bin/busybox'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = ran-in-podman ]
        # And skopeo reads it too.
        command -v skopeo >/dev/null && skopeo inspect docker-archive:"$TESTDIR/b.tar":docker.io/library/busybox:latest >/dev/null
}

# A private dockerd (Debian's docker.io): its own data root, exec root and socket, no bridge, no
# iptables. Only load, inspect and save: no container, so no cgroup or shim. What dockerd puts
# outside its roots (/etc/docker/key.json, /run/docker) is removed if it was not there before.
start_dockerd() {
        command -v dockerd >/dev/null || skip "dockerd is not installed (apt-get install -y docker.io)"
        [ -e /etc/docker/key.json ] && KEEP_KEY=1 || KEEP_KEY=
        [ -e /run/docker ] && KEEP_RUN=1 || KEEP_RUN=
        D=$TESTDIR/dockerd
        mkdir -p "$D"
        dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$D/sock" \
                --bridge none --iptables=false --ip6tables=false --storage-driver vfs >"$D/log" 2>&1 &
        DOCKERD_PID=$!
        export DOCKER_HOST=unix://$D/sock
        for _ in $(seq 100); do /usr/bin/docker version >/dev/null 2>&1 && return 0; sleep 0.1; done
        fail "dockerd did not start: $(tail -3 "$D/log")"
}

stop_dockerd() {
        [ -n "${DOCKERD_PID:-}" ] || return 0
        kill "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
        [ -n "$KEEP_KEY" ] || rm -f /etc/docker/key.json
        [ -n "$KEEP_RUN" ] || rm -rf /run/docker
        DOCKERD_PID=
}

@test "docker load accepts berth save, and docker save loads into berth" {
        start_dockerd
        import_busybox
        berth tag busybox localhost/bb:2
        berth save -o "$TESTDIR/b.tar" busybox localhost/bb:2
        run /usr/bin/docker load -i "$TESTDIR/b.tar"
        [ "$status" -eq 0 ] || { stop_dockerd; fail "$output"; }
        [ "${lines[0]}" = "Loaded image: busybox:latest" ]
        [ "${lines[1]}" = "Loaded image: localhost/bb:2" ]
        [ "$(/usr/bin/docker image inspect -f '{{.Id}}' busybox)" = "$(berth images -q --no-trunc | head -1)" ]
        /usr/bin/docker tag busybox docker.io/library/from-docker:1
        /usr/bin/docker save -o "$TESTDIR/d.tar" from-docker:1
        stop_dockerd
        ROOT=$TESTDIR/root2
        run berth load -i "$TESTDIR/d.tar"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "Loaded image: from-docker:1" ]
        check_busybox_rootfs from-docker:1
}
