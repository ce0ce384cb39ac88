#!/usr/bin/env bats
# diff, export and commit: a container's changes read back, its root as a tar, and its upper dir
# committed as a new image's top layer (Docker whiteouts for deletions and replaced dirs).

load engine-helpers

setup() { engine_setup; }
teardown() {
        # the vfs test's second root has its own default network (bridge and table)
        if [ -d "${TESTDIR:-}/vroot" ]; then
                "$BERTH_BIN" --storage-driver vfs --root "$TESTDIR/vroot" --runroot "$TESTDIR/vrun" \
                        system reset -f >/dev/null 2>&1 || true
        fi
        engine_teardown
}

@test "diff lists added, changed and deleted paths (whiteouts read back as D)" {
        berth run --name c busybox sh -c 'echo hi > /hello; rm /bin/ls; rm -rf /home; mkdir -p /etc/x; echo 1 > /etc/x/y'
        run berth diff c
        [ "$status" -eq 0 ] || fail "$output"
        for want in "A /hello" "C /bin" "D /bin/ls" "D /home" "C /etc" "A /etc/x" "A /etc/x/y"; do
                printf '%s\n' "$output" | grep -qxF "$want" || fail "missing '$want' in: $output"
        done
        # the engine's mount points are not the container's changes
        ! printf '%s\n' "$output" | grep -q 'etc/hosts\|etc/hostname\|etc/resolv.conf'
        [ "$(berth diff c | wc -l)" -eq 7 ]
        berth rm c >/dev/null
        assert_nothing_left
}

@test "commit: the new image runs with the change, deletions and an opaque dir, config and history" {
        berth run --name c busybox sh -c 'echo hi > /hello; ln /hello /hello2; rm /bin/ls; rm -rf /home'
        id=$(berth commit -m 'a message' -a 'me <me@x>' -c 'ENV A=B' -c 'CMD ["cat", "/hello"]' c committed)
        [[ "$id" == sha256:* ]]
        [ "$(berth run --rm committed)" = hi ]
        run berth run --rm committed sh -c 'echo $A; ls /bin/ls; ls -d /home'
        [ "${lines[0]}" = B ]
        [[ "$output" == *"/bin/ls: No such file"* ]] && [[ "$output" == *"/home: No such file"* ]]
        # a hardlink stays one inode
        run berth run --rm committed sh -c 'stat -c %i /hello /hello2 | uniq | wc -l'
        [ "$output" = 1 ]
        [ "$(berth image inspect -f '{{.Author}}' committed)" = 'me <me@x>' ]
        berth history committed | grep -q 'a message'
        [ "$(berth image inspect -f '{{.RootFS.Layers}}' committed | grep -o sha256: | wc -l)" = 2 ]

        # a replaced directory: the lower dir's content is hidden (.wh..wh..opq)
        berth run --name d committed sh -c 'rm -rf /usr; mkdir /usr; echo new > /usr/only'
        berth commit d second >/dev/null
        [ "$(berth run --rm --entrypoint /bin/busybox second ls /usr)" = only ]
        berth rm c d >/dev/null
        assert_nothing_left
}

@test "commit of a running container pauses it and takes what it wrote; --pause=false too" {
        berth run -d --name r busybox sh -c 'echo live > /live; sleep 1000' >/dev/null
        wait_for sh -c "'$BERTH_BIN' --root '$ROOT' --runroot '$RUNROOT' diff r | grep -q live"
        berth commit r fromrunning >/dev/null
        [ "$(berth inspect -f '{{.State.Status}}' r)" = running ]
        [ "$(berth run --rm fromrunning cat /live)" = live ]
        berth commit --pause=false r fromrunning2 >/dev/null
        [ "$(berth run --rm fromrunning2 cat /live)" = live ]
        berth rm -f r >/dev/null
        assert_nothing_left
}

@test "export writes the merged root; import of it runs the same" {
        berth create --name c busybox sh >/dev/null
        berth run --name w busybox sh -c 'echo exported > /e; rm /bin/ls'
        berth export -o "$TESTDIR/w.tar" w
        tar -tf "$TESTDIR/w.tar" | grep -qx 'e'
        ! tar -tf "$TESTDIR/w.tar" | grep -qx 'bin/ls'
        ! tar -tf "$TESTDIR/w.tar" | grep -q '\.wh\.'
        berth import "$TESTDIR/w.tar" roundtrip >/dev/null
        [ "$(berth run --rm roundtrip cat /e)" = exported ]
        # nothing stays mounted after an export of a stopped container
        ! grep -q -- "$TESTDIR/root/containers" /proc/self/mountinfo
        berth rm c w >/dev/null
        assert_nothing_left
}

@test "diff, commit, export: bad input is one error, exit 125, nothing made" {
        run berth diff nosuch
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        run berth commit nosuch x
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        berth create --name c busybox true >/dev/null
        run berth commit c 'Bad:Name:'
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        run berth commit -c 'FROB x' c good
        [ "$status" -eq 125 ] && [[ "$output" == *FROB* ]]
        ! berth images | grep -q good
        run berth export -o "$TESTDIR/x.tar" nosuch
        [ "$status" -eq 125 ]
        [ ! -e "$TESTDIR/x.tar" ]
        berth rm c >/dev/null
        assert_nothing_left
}

@test "vfs: diff, commit and build compare the container's copy with its layers" {
        vberth() { "$BERTH_BIN" --storage-driver vfs --root "$TESTDIR/vroot" --runroot "$TESTDIR/vrun" "$@"; }
        vberth import --change 'CMD ["sh"]' "$(busybox_tar)" busybox >/dev/null
        vberth run --name c busybox sh -c 'echo hi > /hello; rm /bin/ls; rm -rf /home; mkdir -p /etc/x; echo 1 > /etc/x/y'
        run vberth diff c
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(echo $output)" = "C /bin D /bin/ls C /etc A /etc/x A /etc/x/y A /hello D /home" ] || fail "$output"
        vberth commit c v >/dev/null
        run vberth run --rm v sh -c 'cat /hello /etc/x/y; ls /bin/ls /home'
        [ "${lines[0]}" = hi ] && [ "${lines[1]}" = 1 ]
        [[ "$output" == *"/bin/ls: No such file"* ]] && [[ "$output" == *"/home: No such file"* ]]
        mkdir -p "$TESTDIR/ctx"
        printf 'FROM busybox\nRUN touch /made && rm /bin/cat\n' > "$TESTDIR/ctx/Dockerfile"
        vberth build -q -t vb "$TESTDIR/ctx" >/dev/null
        run vberth run --rm vb ls /made /bin/cat
        [ "${lines[0]}" = /made ] && [[ "$output" == *"/bin/cat: No such file"* ]]
        vberth rm c >/dev/null
        [ -z "$(ls "$TESTDIR/vroot/containers")" ]
}

@test "diff and commit of a created container that never started: no changes, an image" {
        berth create --name berth-created busybox true > /dev/null
        run berth diff berth-created
        [ "$status" -eq 0 ] && [ -z "$output" ] || fail "$output"
        run berth commit berth-created created-img
        [ "$status" -eq 0 ] || fail "$output"
        n=$(berth image inspect -f '{{json .RootFS.Layers}}' busybox | jq length)
        [ "$(berth image inspect -f '{{json .RootFS.Layers}}' created-img | jq length)" -eq $((n + 1)) ]
        [ "$(berth run --rm created-img ls -d /etc)" = /etc ]
        # it still starts afterwards, and nothing of the commit stays in its directory
        berth start -a berth-created
        [ ! -e "$ROOT/containers/$(berth inspect -f '{{.Id}}' berth-created)/no-changes" ]
        berth rm berth-created > /dev/null
        assert_nothing_left
}
