#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# --mount type=bind|volume|tmpfs in Docker's syntax.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "--mount type=bind: the host folder, read-only with ro; a missing source is refused" {
        mkdir "$TESTDIR/h"
        echo from-host >"$TESTDIR/h/f"
        run berth run --rm --mount "type=bind,source=$TESTDIR/h,target=/h,readonly" busybox sh -c 'cat /h/f; touch /h/x'
        [ "$status" -ne 0 ] && [ "${lines[0]}" = from-host ] || fail "$status $output"
        [ ! -e "$TESTDIR/h/x" ]
        run berth run --rm --mount "type=bind,src=$TESTDIR/h,dst=/h" busybox sh -c 'echo back > /h/y'
        [ "$status" -eq 0 ] && [ "$(cat "$TESTDIR/h/y")" = back ] || fail "$output"
        run berth run --rm --mount "type=bind,src=$TESTDIR/missing,dst=/h" busybox true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"does not exist"* ]] || fail "$output"
        [ ! -e "$TESTDIR/missing" ]
        assert_nothing_left
}

@test "--mount type=volume: a named volume kept between containers, an anonymous one" {
        berth run --rm --mount type=volume,src=berthdata,dst=/data busybox sh -c 'echo kept > /data/f'
        run berth run --rm --mount src=berthdata,dst=/data,ro busybox sh -c 'cat /data/f; touch /data/g'
        [ "$status" -ne 0 ] && [ "${lines[0]}" = kept ] || fail "$output"
        berth volume ls | grep -qw berthdata
        local id
        id=$(berth create --mount type=volume,target=/anon busybox true)
        [ "$(berth inspect -f '{{json .Mounts}}' "$id" | grep -o '"Destination":"/anon"')" = '"Destination":"/anon"' ] || fail "$(berth inspect "$id")"
}

@test "--mount type=tmpfs: size and mode" {
        run berth run --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770 busybox sh -c 'grep " /t " /proc/mounts; stat -c %a /t'
        [ "$status" -eq 0 ] || fail "$output"
        [[ "${lines[0]}" == *"tmpfs /t tmpfs"*"size=1024k"*"mode=1770"* ]] || fail "$output"
        [ "${lines[1]}" = 1770 ]
}

@test "--mount bad input: one line, 125, nothing created" {
        for spec in type=nfs,dst=/x dst=relative type=tmpfs,src=x,dst=/x type=bind,dst=/x \
                type=volume,dst=/x,colour=blue type=volume,dst=/x,tmpfs-size=1m type=volume,src=bad/name,dst=/x \
                type=tmpfs,dst=/x,tmpfs-size=lots; do
                run berth run --rm --mount "$spec" busybox true
                [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *--mount* ]] || fail "$spec: $status $output"
        done
        assert_nothing_left
        [ -z "$(ls "$ROOT/volumes" 2>/dev/null)" ]
}

@test "a new named volume is filled with the image's content at its path, once, never a bind" {
        run berth run --rm -v berthetc:/etc busybox cat /etc/passwd
        [ "$status" -eq 0 ] && [[ "$output" == root:* ]] || fail "$output"
        [ -s "$ROOT/volumes/berthetc/_data/passwd" ]
        # not empty any more: what the container wrote stays, nothing is copied over it
        berth run --rm --mount src=berthetc,dst=/etc busybox sh -c 'echo mine > /etc/passwd; rm /etc/group'
        [ "$(cat "$ROOT/volumes/berthetc/_data/passwd")" = mine ]
        [ ! -e "$ROOT/volumes/berthetc/_data/group" ]
        # a host folder is never filled
        mkdir "$TESTDIR/empty"
        berth run --rm -v "$TESTDIR/empty:/etc" busybox true
        [ -z "$(ls "$TESTDIR/empty" | grep -v -e hostname -e hosts -e resolv.conf)" ] || fail "$(ls "$TESTDIR/empty")"
}

@test "the image's VOLUME becomes an anonymous volume, unless a user's mount takes its path" {
        berth import --change 'CMD ["sh"]' --change 'VOLUME /etc/berthvol' "$(busybox_tar)" berthvolimg >/dev/null
        local id
        id=$(berth create --name v berthvolimg sh -c 'ls /etc/berthvol; grep " /etc/berthvol " /proc/mounts')
        [ "$(berth inspect -f '{{json .Mounts}}' v | grep -o '"Destination":"/etc/berthvol"')" = '"Destination":"/etc/berthvol"' ] || fail "$(berth inspect v)"
        [ "$(ls "$ROOT/volumes" | wc -l)" -eq 1 ]
        run berth start -a v
        [ "$status" -eq 0 ] && [[ "$output" == *" /etc/berthvol "* ]] || fail "$output"
        # a user's tmpfs at the same path wins: no anonymous volume
        berth run --rm --tmpfs /etc/berthvol berthvolimg true
        [ "$(ls "$ROOT/volumes" | wc -l)" -eq 1 ]
        berth rm -v v >/dev/null
        [ -z "$(ls "$ROOT/volumes")" ]
}

@test "a volume filled from the image keeps the owners and modes of the image's files" {
        # an image whose /srv has owned files, a set-gid folder and a symlink
        berth run --rm -v "$TESTDIR/out:/out" busybox sh -c 'mkdir -p /srv/d && chown 123:456 /srv/d && chmod 2750 /srv/d && echo x > /srv/f && chown 7:8 /srv/f && chmod 4750 /srv/f && ln -s f /srv/l && cd / && tar cf /out/srv.tar srv'
        mkdir -p "$TESTDIR/rootfs" && tar -xf "$(busybox_tar)" -C "$TESTDIR/rootfs" && tar -xpf "$TESTDIR/out/srv.tar" -C "$TESTDIR/rootfs"
        tar -C "$TESTDIR/rootfs" -cf "$TESTDIR/img.tar" .
        berth import "$TESTDIR/img.tar" berthown-img >/dev/null
        berth run --rm -v berthsrv:/srv berthown-img true
        local v=$ROOT/volumes/berthsrv/_data
        [ "$(stat -c '%u:%g %a' "$v/d")" = "123:456 2750" ] || fail "$(stat -c '%u:%g %a' "$v/d")"
        [ "$(stat -c '%u:%g %a' "$v/f")" = "7:8 4750" ] || fail "$(stat -c '%u:%g %a' "$v/f")"
        [ "$(readlink "$v/l")" = f ]
        [ "$(cat "$v/f")" = x ]
}
