#!/usr/bin/env bats
# load and save: round trips, docker-archive and oci-archive (plain, gzip, multi-arch), bad
# input refused with the store unchanged, and a load killed half-way.

load image-helpers

setup() {
        image_setup
}

teardown() {
        image_teardown
}

MAKE_ARCHIVE=$FIXTURES/image-make-archive.py

# A small second layer on top of busybox: a file, a whiteout and an opaque dir.
make_layers() {
        mkdir -p "$TESTDIR/l2/etc" "$TESTDIR/l2/bin" "$TESTDIR/l2/home"
        echo layer-two >"$TESTDIR/l2/etc/motd"
        : >"$TESTDIR/l2/bin/.wh.vi"
        : >"$TESTDIR/l2/home/.wh..wh..opq"
        tar -C "$TESTDIR/l2" -cf "$TESTDIR/layer2.tar" .
        L1=$(busybox_tar)
        L2=$TESTDIR/layer2.tar
}

check_two_layer_rootfs() {
        local m
        m=$(berth image mount "$1")
        [ "$(cat "$m/etc/motd")" = layer-two ]
        [ -x "$m/bin/busybox" ]
        [ ! -e "$m/bin/vi" ]
        [ -L "$m/bin/sh" ]
        berth image umount "$1"
}

@test "save and load round trip keeps id, names and content" {
        import_busybox
        berth tag busybox localhost/extra:2
        id=$(berth images -q --no-trunc | head -1)
        berth save -o "$TESTDIR/out.tar" busybox localhost/extra:2
        tar -tf "$TESTDIR/out.tar" | grep -qx manifest.json
        ROOT=$TESTDIR/root2
        run berth load -i "$TESTDIR/out.tar"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Loaded image: busybox:latest" ]
        [ "${lines[1]}" = "Loaded image: localhost/extra:2" ]
        [ "$(berth images -q --no-trunc | sort -u)" = "$id" ]
        m=$(berth image mount busybox)
        [ "$(chroot "$m" /bin/echo round-trip)" = round-trip ]
        berth image umount busybox
}

@test "load reads gzip archives and stdin, quietly when piped" {
        import_busybox
        berth save busybox | gzip >"$TESTDIR/out.tar.gz"
        ROOT=$TESTDIR/root2
        run berth load -i "$TESTDIR/out.tar.gz"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: busybox:latest" ]
        ROOT=$TESTDIR/root3
        run bash -c "'$BERTH_BIN' --root '$ROOT' load < '$TESTDIR/out.tar.gz' 2>&1"
        [ "$output" = "Loaded image: busybox:latest" ]
        run berth load -q -i "$TESTDIR/out.tar.gz"
        [ -z "$output" ]
}

@test "load an oci-archive and a docker-archive with two layers and whiteouts" {
        make_layers
        "$MAKE_ARCHIVE" --format oci --gzip --name docker.io/library/two:oci "$TESTDIR/oci.tar" "$L1" "$L2"
        "$MAKE_ARCHIVE" --format docker --name two:docker "$TESTDIR/docker.tar" "$L1" "$L2"
        run berth load -i "$TESTDIR/oci.tar"
        [ "$output" = "Loaded image: two:oci" ]
        run berth load -i "$TESTDIR/docker.tar"
        [ "$output" = "Loaded image: two:docker" ]
        check_two_layer_rootfs two:oci
        check_two_layer_rootfs two:docker
        # Both describe the same layers: each extracted once.
        [ "$(ls "$ROOT/layers" | wc -l)" -eq 2 ]
        # The same config in both: the same image, as docker counts them.
        [ "$(berth image inspect -f '{{.Id}}' two:docker)" = "$(berth image inspect -f '{{.Id}}' two:oci)" ]
}

@test "layers named through symlinks, as older docker save writes them" {
        make_layers
        "$MAKE_ARCHIVE" --format docker --fault symlinked-layers --name linked:1 "$TESTDIR/l.tar" "$L1" "$L2"
        tar -tvf "$TESTDIR/l.tar" | grep -q '^l.*alias1/layer.tar -> ../'
        run berth load -i "$TESTDIR/l.tar"
        [ "$status" -eq 0 ] || fail "$output"
        check_two_layer_rootfs linked:1
}

@test "an index selects linux/amd64, or --platform" {
        make_layers
        "$MAKE_ARCHIVE" --format oci --fault multi-arch --name multi:1 "$TESTDIR/multi.tar" "$L1" "$L2"
        berth load -i "$TESTDIR/multi.tar"
        [ "$(berth image inspect -f '{{.Architecture}}' multi:1)" = amd64 ]
        check_two_layer_rootfs multi:1
        ROOT=$TESTDIR/root2
        berth load --platform linux/arm64 -i "$TESTDIR/multi.tar"
        [ "$(berth image inspect -f '{{.Architecture}}' multi:1)" = arm64 ]
        run berth load --platform linux/s390x -i "$TESTDIR/multi.tar"
        [ "$status" -eq 125 ]
        [[ "$output" =~ no\ image\ for\ platform\ linux/s390x ]]
}

expect_refused() {
        local archive=$1 why=$2 before
        before=$(store_listing)
        run berth load -i "$archive"
        [ "$status" -eq 125 ] || fail "status $status: $output"
        [ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
        [[ "$output" =~ ^berth:\ load\  ]] || fail "$output"
        [[ "$output" =~ $why ]] || fail "expected /$why/: $output"
        [ "$(store_listing)" = "$before" ] || fail "store changed"
        ! ls -a "$ROOT/layers" | grep -q '^\.tmp' || false
}

@test "bad input: one error line, the store unchanged" {
        import_busybox
        make_layers
        "$MAKE_ARCHIVE" --format docker --name ok:1 "$TESTDIR/ok.tar" "$L1" "$L2"
        head -c $(($(stat -c %s "$TESTDIR/ok.tar") / 2)) "$TESTDIR/ok.tar" >"$TESTDIR/truncated.tar"
        expect_refused "$TESTDIR/truncated.tar" "runcated|not in the archive"
        "$MAKE_ARCHIVE" --format oci --fault missing-blob --name x:1 "$TESTDIR/a.tar" "$L2" "$L1"
        expect_refused "$TESTDIR/a.tar" "layer blob sha256:[0-9a-f]+: No such file"
        "$MAKE_ARCHIVE" --format docker --fault missing-blob --name x:1 "$TESTDIR/b.tar" "$L2" "$L1"
        expect_refused "$TESTDIR/b.tar" "layer.tar: not in the archive"
        "$MAKE_ARCHIVE" --format oci --fault digest-mismatch --name x:1 "$TESTDIR/c.tar" "$L2"
        expect_refused "$TESTDIR/c.tar" "digest mismatch|more data than its size"
        "$MAKE_ARCHIVE" --format docker --fault diffid-mismatch --name x:1 "$TESTDIR/d.tar" "$L2"
        expect_refused "$TESTDIR/d.tar" "diff id"
        "$MAKE_ARCHIVE" --format oci --fault unknown-media-type --name x:1 "$TESTDIR/e.tar" "$L2"
        expect_refused "$TESTDIR/e.tar" "unknown layer media type \"application/x-berth-unknown\""
        expect_refused "$L2" "no manifest.json or index.json"
        echo "not an archive" >"$TESTDIR/junk"
        expect_refused "$TESTDIR/junk" "load"
        # After all that, a good archive loads.
        run berth load -i "$TESTDIR/ok.tar"
        [ "$status" -eq 0 ]
}

@test "a load killed half-way leaves no image and no partial blob; the next load works" {
        import_busybox
        mkdir -p "$TESTDIR/big"
        for i in 1 2 3 4; do head -c 16000000 /dev/urandom >"$TESTDIR/big/f$i"; done
        tar -C "$TESTDIR/big" -cf "$TESTDIR/big.tar" .
        "$MAKE_ARCHIVE" --format docker --name big:1 "$TESTDIR/big-image.tar" "$(busybox_tar)" "$TESTDIR/big.tar"
        before=$(store_listing)
        # Feed part of it, then stall: berth is killed in the middle of a layer.
        mkfifo "$TESTDIR/feed"
        "$BERTH_BIN" --root "$ROOT" load <"$TESTDIR/feed" &
        bpid=$!
        (head -c 40000000 "$TESTDIR/big-image.tar"; exec sleep 60) >"$TESTDIR/feed" &
        fpid=$!
        sleep 2
        kill -0 "$bpid"   # still loading: the archive is incomplete
        kill -9 "$bpid"
        wait "$bpid" || true
        kill "$fpid" 2>/dev/null || true
        wait "$fpid" || true
        [ "$(berth images --format '{{.Repository}}')" = busybox ]
        # Every named blob is whole: its content has its name.
        for b in "$ROOT"/blobs/sha256/*; do
                [ "$(sha256sum <"$b" | cut -c1-64)" = "$(basename "$b")" ] || fail "partial blob $b"
        done
        run berth load -i "$TESTDIR/big-image.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: big:1" ]
        ! ls -a "$ROOT/layers" | grep -q '^\.tmp' || false
        berth rmi big:1
        [ "$(store_listing)" = "$before" ]
}

@test "save refuses a terminal and unknown images without leaving a file" {
        import_busybox
        run berth save -o "$TESTDIR/x.tar" busybox nosuch
        [ "$status" -eq 125 ]
        [[ "$output" =~ nosuch:\ no\ such\ image ]]
        [ -z "$(ls "$TESTDIR" | grep x.tar)" ]
}

@test "load shows progress on a terminal only" {
        command -v script >/dev/null || skip "script (util-linux) is not installed"
        import_busybox
        berth save -o "$TESTDIR/b.tar" busybox
        ROOT=$TESTDIR/root2
        run script -qec "$BERTH_BIN --root $ROOT load -i $TESTDIR/b.tar" /dev/null
        [ "$status" -eq 0 ]
        [[ "$output" =~ Loading\ [0-9.]+MB\ /\ [0-9.]+MB\ \(100%\) ]]
        [[ "$output" =~ Loaded\ image:\ busybox:latest ]]
        ROOT=$TESTDIR/root3
        run berth load -i "$TESTDIR/b.tar"
        [ "$output" = "Loaded image: busybox:latest" ]
}

@test "save writes compressed layers uncompressed, with the same image id" {
        make_layers
        "$MAKE_ARCHIVE" --format oci --gzip --name gz:1 "$TESTDIR/gz.tar" "$L1" "$L2"
        berth load -i "$TESTDIR/gz.tar"
        id=$(berth image inspect -f '{{.Id}}' gz:1)
        berth save -o "$TESTDIR/saved.tar" gz:1
        # docker-archive layers are plain tars whose digest is the diff id.
        for l in $(tar -tf "$TESTDIR/saved.tar" | grep layer.tar); do
                tar -xOf "$TESTDIR/saved.tar" "$l" | tar -t >/dev/null
                [ "$(tar -xOf "$TESTDIR/saved.tar" "$l" | sha256sum | cut -c1-64)" = "${l%/layer.tar}" ]
        done
        ROOT=$TESTDIR/root2
        berth load -i "$TESTDIR/saved.tar"
        [ "$(berth image inspect -f '{{.Id}}' gz:1)" = "$id" ]
        check_two_layer_rootfs gz:1
}
