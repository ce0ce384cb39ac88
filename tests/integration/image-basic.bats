#!/usr/bin/env bats
# The image verbs as a user drives them: import, images, inspect, history, tag, rmi, prune,
# system df, version, --help, and the one-line errors with exit status 125.

load image-helpers

setup() {
        image_setup
}

teardown() {
        image_teardown
}

@test "import makes busybox and images lists it as docker does" {
        run berth import --change 'CMD ["sh"]' -m "from busybox-static" "$(busybox_tar)" busybox
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        id=${output#sha256:}
        run berth images
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
        [[ "${lines[1]}" =~ ^busybox\ +latest\ +${id:0:12}\ +.*ago\ +[0-9.]+MB$ ]]
        run berth images -q
        [ "$output" = "${id:0:12}" ]
        run berth images --no-trunc -q
        [ "$output" = "sha256:$id" ]
        run berth images --format json
        [ "$(echo "$output" | jq -r .Repository)" = busybox ]
        [ "$(echo "$output" | jq -r .Tag)" = latest ]
        run berth images --format '{{.Repository}}:{{.Tag}}'
        [ "$output" = "busybox:latest" ]
}

@test "image inspect shows the config kept whole and docker's fields" {
        import_busybox
        run berth image inspect busybox
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = "busybox:latest" ]
        [ "$(echo "$output" | jq -r '.[0].Config.Cmd[0]')" = "sh" ]
        [ "$(echo "$output" | jq -r '.[0].Os')" = "linux" ]
        [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" = 1 ]
        [[ "$(echo "$output" | jq -r '.[0].RepoDigests[0]')" =~ ^busybox@sha256: ]]
        run berth image inspect --format '{{.Os}}/{{.Architecture}}' busybox
        [[ "$output" =~ ^linux/ ]]
        # The full reference, the id and an id prefix name the same image.
        id=$(berth images -q --no-trunc)
        [ "$(berth image inspect -f '{{.Id}}' docker.io/library/busybox:latest)" = "$id" ]
        [ "$(berth image inspect -f '{{.Id}}' "${id:7:5}")" = "$id" ]
        [ "$(berth image inspect -f '{{.Id}}' "$id")" = "$id" ]
        # name@digest: the manifest digest of an image with that name.
        d=$(berth image inspect -f '{{.Manifest.Digest}}' busybox)
        [ "$(berth image inspect -f '{{.Id}}' "busybox@$d")" = "$id" ]
        run berth image inspect "other@$d"
        [ "$status" -eq 125 ]
}

@test "import --change sets the config fields" {
        berth import -c 'CMD ["/bin/echo","hi"]' -c 'ENV A=1' -c 'WORKDIR /srv' -c 'EXPOSE 8080' \
                -c 'LABEL k=v' -c 'USER daemon' -c 'ENTRYPOINT ["/bin/env"]' -c 'STOPSIGNAL SIGINT' \
                "$(busybox_tar)" changed:v1
        run berth image inspect -f '{{json .Config}}' changed:v1
        [ "$(echo "$output" | jq -r '.Cmd | join(" ")')" = "/bin/echo hi" ]
        [ "$(echo "$output" | jq -r '.Env[0]')" = "A=1" ]
        [ "$(echo "$output" | jq -r '.WorkingDir')" = "/srv" ]
        [ "$(echo "$output" | jq -r '.ExposedPorts | keys[0]')" = "8080/tcp" ]
        [ "$(echo "$output" | jq -r '.Labels.k')" = "v" ]
        [ "$(echo "$output" | jq -r '.User')" = "daemon" ]
        [ "$(echo "$output" | jq -r '.StopSignal')" = "SIGINT" ]
        run berth import -c 'RUN make' "$(busybox_tar)" bad
        [ "$status" -eq 125 ]
        [[ "$output" =~ unsupported\ instruction\ RUN ]]
}

@test "import from stdin, gzip, without a name" {
        run bash -c "gzip -c '$(busybox_tar)' | '$BERTH_BIN' --root '$ROOT' import -"
        [ "$status" -eq 0 ]
        id=$output
        run berth images
        [[ "${lines[1]}" =~ ^\<none\>\ +\<none\>\ +${id:7:12} ]]
        run berth images --filter dangling=true -q
        [ "$output" = "${id:7:12}" ]
}

@test "the mounted image shows the busybox rootfs" {
        import_busybox
        run berth image mount busybox
        [ "$status" -eq 0 ]
        m=$output
        [ -x "$m/bin/busybox" ]
        [ "$(readlink "$m/bin/sh")" = busybox ]
        grep -q '^root:x:0:0' "$m/etc/passwd"
        [ "$(stat -c %a "$m/tmp")" = 1777 ]
        grep -q " $m overlay " /proc/self/mounts
        # The image runs: chroot into the merged tree.
        [ "$(chroot "$m" /bin/echo hello)" = hello ]
        run berth image umount busybox
        [ "$status" -eq 0 ]
        ! grep -q " $m " /proc/self/mounts || false
}

@test "vfs storage driver gives the same rootfs" {
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" --storage-driver vfs import "$(busybox_tar)" busybox
        m=$("$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" --storage-driver vfs image mount busybox)
        [ -x "$m/bin/busybox" ]
        ! grep -q " $m " /proc/self/mounts || false
        [ "$(chroot "$m" /bin/cat /etc/group | head -1)" = "root:x:0:" ]
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" --storage-driver vfs image umount busybox
        [ ! -e "$m" ]
}

@test "history lists the import with its size" {
        berth import -m "a comment" "$(busybox_tar)" busybox
        run berth history busybox
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
        [[ "${lines[1]}" =~ berth\ import.*MB\ +a\ comment$ ]]
        run berth history -q busybox
        [ "$output" = "$(berth images -q)" ]
        run berth history --format '{{.CreatedBy}}' --no-trunc busybox
        [[ "$output" =~ ^berth\ import\ /.*rootfs.tar$ ]]
}

@test "tag adds names; rmi of one name untags, of the last deletes" {
        import_busybox
        berth tag busybox my/box:1
        berth tag busybox localhost:5000/box
        run berth images --format '{{.Repository}}:{{.Tag}}'
        [ "$(echo "$output" | sort | tr '\n' ' ')" = "busybox:latest localhost:5000/box:latest my/box:1 " ]
        id=$(berth images -q --no-trunc | head -1)
        # By id with several names: refused unless forced.
        run berth rmi "$id"
        [ "$status" -eq 125 ]
        [[ "$output" =~ ^berth:\ .*must\ be\ forced ]]
        [ "${#lines[@]}" -eq 1 ]
        run berth rmi my/box:1
        [ "$status" -eq 0 ]
        [ "$output" = "Untagged: my/box:1" ]
        run berth rmi localhost:5000/box
        [ "$output" = "Untagged: localhost:5000/box:latest" ]
        run berth rmi busybox
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Untagged: busybox:latest" ]
        [ "${lines[1]}" = "Deleted: $id" ]
        [ -z "$(berth images -q)" ]
        # Nothing left: blobs and layers went with the image.
        [ -z "$(ls "$ROOT/blobs/sha256")" ]
        [ -z "$(ls "$ROOT/layers")" ]
}

@test "rmi -f removes an image with several names" {
        import_busybox
        berth tag busybox other
        run berth rmi -f "$(berth images -q | head -1)"
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 3 ]
        [ -z "$(berth images -q)" ]
}

@test "layers are shared: the same rootfs imported twice is stored once" {
        berth import "$(busybox_tar)" one
        berth import -m other "$(busybox_tar)" two
        [ "$(berth images -q | sort -u | wc -l)" -eq 2 ]
        [ "$(ls "$ROOT/layers" | wc -l)" -eq 1 ]
        berth rmi one
        # two still has its layer and mounts.
        m=$(berth image mount two)
        [ -x "$m/bin/busybox" ]
        berth image umount two
}

@test "image prune removes dangling images, -a all of them" {
        import_busybox
        berth import "$(busybox_tar)" >/dev/null
        # Re-importing with the same name leaves the older image without a name.
        berth import -m again "$(busybox_tar)" busybox >/dev/null
        [ "$(berth images -q | wc -l)" -eq 3 ]
        run berth image prune -f
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Deleted Images:" ]
        [[ "$output" =~ Total\ reclaimed\ space: ]]
        [ "$(berth images -q | wc -l)" -eq 1 ]
        run berth image prune -f -a
        [ "$(berth images -q | wc -l)" -eq 0 ]
        [ -z "$(ls "$ROOT/blobs/sha256")" ]
        run berth image prune -f
        [ "$output" = "Total reclaimed space: 0B" ]
}

@test "system df counts images and shared layers once" {
        import_busybox
        berth tag busybox again
        run berth system df
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
        [[ "${lines[1]}" =~ ^Images\ +1\ +0\ +[0-9.]+MB\ +[0-9.]+MB\ \(100%\)$ ]]
        [[ "${lines[2]}" =~ ^Containers\ +0\ +0\ +0B\ +0B$ ]]
        run berth system df --format '{{.Type}}={{.TotalCount}}'
        [ "${lines[0]}" = "Images=1" ]
}

@test "version and --help everywhere" {
        run berth version
        [ "$status" -eq 0 ]
        [[ "$output" =~ Version:\ +0\. ]]
        run berth version --format '{{.Client.Version}}'
        [[ "$output" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
        for v in images history tag rmi load save import version "image inspect" "image prune" \
                "image mount" "image umount" "system df"; do
                run berth $v --help
                [ "$status" -eq 0 ] || fail "$v --help: $output"
                [[ "$output" =~ Usage: ]] || fail "$v --help: $output"
        done
        run berth --help
        [[ "$output" =~ images ]]
}

@test "errors are one line, exit 125, and change nothing" {
        import_busybox
        before=$(store_listing)
        run berth image inspect nosuch
        [ "$status" -eq 125 ]
        [ "$output" = "berth: nosuch: no such image" ]
        run berth tag busybox Bad/Name
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" =~ must\ be\ lowercase ]]
        run berth images --bogus
        [ "$status" -eq 125 ]
        [[ "$output" =~ unknown\ flag ]]
        run berth rmi nosuch
        [ "$status" -eq 125 ]
        run berth nosuchverb
        [ "$status" -eq 125 ]
        run berth import /nonexistent x
        [ "$status" -eq 125 ]
        [[ "$output" =~ ^berth:\ .*/nonexistent:\ No\ such\ file ]]
        run berth --storage-driver zfs images
        [ "$status" -eq 125 ]
        # A broken tarball: nothing of it stays (blob, layer or image).
        gzip -c "$(busybox_tar)" | head -c 500000 >"$TESTDIR/broken.tar.gz"
        run berth import "$TESTDIR/broken.tar.gz" broken
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [ "$(store_listing)" = "$before" ]
        ! ls -a "$ROOT/layers" "$ROOT/blobs/sha256" | grep -q '^\.tmp' || false
}
