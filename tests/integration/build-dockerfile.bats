#!/usr/bin/env bats
# berth build: every instruction's effect in the built image's config or in a container run
# from it, the build cache, multi-stage builds, COPY's confinement to the context and the image
# root, and bad Dockerfiles (one message naming the line, nothing tagged, nothing left).

load engine-helpers

setup() {
        engine_setup
        CTX=$TESTDIR/ctx
        mkdir -p "$CTX"
}
teardown() { engine_teardown; }

dockerfile() {
        cat > "$CTX/Dockerfile"
}

# No image named NAME, and nothing of the build left behind.
assert_not_tagged() {
        ! berth images --format '{{.Repository}}' | grep -qx "$1" || fail "$1 was tagged"
        assert_nothing_left
}

@test "build: config instructions land in the image config" {
        dockerfile <<'EOF2'
# syntax=docker/dockerfile:1
FROM busybox
ENV A=1 B="two words" \
    D=${A:-before}
ENV C=${A}x
LABEL org.example.a="x y" b=c
EXPOSE 80 53/udp
VOLUME ["/data"]
USER 1000:1000
WORKDIR /srv
WORKDIR sub
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q localhost || exit 1
ONBUILD RUN echo child
SHELL ["/bin/sh", "-e", "-c"]
ENTRYPOINT ["/bin/echo"]
CMD ["hello"]
EOF2
        run berth build --label 'from.cli=$HOME "q" a\b' --label other=1 -t cfg "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        cfg=$(berth image inspect -f '{{json .Config}}' cfg)
        for want in '"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1"' '"B=two words"' '"D=before"' '"C=1x"' '"org.example.a":"x y"' '"b":"c"' '"80/tcp":{}' \
                '"53/udp":{}' '"/data":{}' '"User":"1000:1000"' '"WorkingDir":"/srv/sub"' \
                '"StopSignal":"SIGINT"' '"Test":["CMD-SHELL","wget -q localhost || exit 1"]' \
                '"Interval":30000000000' '"Retries":3' '"OnBuild":["RUN echo child"]' \
                '"Shell":["/bin/sh","-e","-c"]' '"Entrypoint":["/bin/echo"]' '"Cmd":["hello"]' \
                '"from.cli":"$HOME \"q\" a\\b"' '"other":"1"'; do
                [[ "$cfg" == *"$want"* ]] || fail "missing $want in $cfg"
        done
        [ "$(berth run --rm cfg)" = hello ]
        # the same Dockerfile on stdin: all cache hits, the same image
        run berth build --label 'from.cli=$HOME "q" a\b' --label other=1 -f - -t cfg2 "$CTX" < "$CTX/Dockerfile"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(grep -c 'Using cache' <<<"$output")" -eq 15 ] || fail "$output" # 14 steps and --label
        [ "$(berth image inspect -f '{{.Id}}' cfg2)" = "$(berth image inspect -f '{{.Id}}' cfg)" ]
        [ "$(berth run --rm --entrypoint pwd cfg)" = /srv/sub ]
        assert_nothing_left
}

@test "build: RUN in shell and exec form sees ENV, ARG, --build-arg, WORKDIR and USER" {
        dockerfile <<'EOF2'
ARG GLOBAL=g
FROM busybox
ARG GLOBAL
ARG FROMCLI=default
ARG NOTSET=unset
ENV E=env
WORKDIR /w
RUN echo "$GLOBAL $FROMCLI $NOTSET $E $(pwd) $(id -u)" > out
RUN ["/bin/sh", "-c", "echo exec >> /w/out"]
USER 1234
RUN id -u >> /tmp/uid
EOF2
        run berth build --build-arg FROMCLI=cli --build-arg TYPO=1 -t runs "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == *"build-args [TYPO] were not consumed"* ]] || fail "$output"
        run berth run --rm runs sh -c 'cat /w/out /tmp/uid'
        [ "${lines[0]}" = "g cli unset env /w 0" ] || fail "$output"
        [ "${lines[1]}" = exec ]
        [ "${lines[2]}" = 1234 ]
        # ARG values are not kept in the image's environment
        ! berth image inspect -f '{{json .Config.Env}}' runs | grep -q FROMCLI
        assert_nothing_left
}

@test "build: COPY and ADD of files, dirs, globs, --chown, .dockerignore and a local tar" {
        mkdir -p "$CTX/dir/sub" "$CTX/tarsrc/t"
        echo a > "$CTX/a.txt"; echo b > "$CTX/b.txt"; echo s > "$CTX/dir/sub/s"; echo k > "$CTX/secret.key"
        echo skipme > "$CTX/dir/skip.tmp"
        echo intar > "$CTX/tarsrc/t/f"
        tar -C "$CTX/tarsrc" -czf "$CTX/files.tar.gz" t
        printf '# comment\n*.key\n**/*.tmp\ntarsrc\n' > "$CTX/.dockerignore"
        dockerfile <<'EOF2'
FROM busybox
COPY a.txt /one
COPY *.txt /globbed/
COPY dir /d
COPY --chown=nobody:nogroup a.txt /owned
COPY --chown=12:34 a.txt /owned-num
ADD files.tar.gz /unpacked/
ADD b.txt /added
COPY . /all/
COPY --from=busybox /bin/busybox /from-image
EOF2
        run berth build -t copies "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        run berth run --rm copies sh -c 'cat /one; ls /globbed; cat /d/sub/s; ls /d; stat -c "%U:%G" /owned; stat -c "%u:%g" /owned-num; cat /unpacked/t/f /added; ls -a /all'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = a ]
        [ "${lines[1]}" = a.txt ] && [ "${lines[2]}" = b.txt ]
        [ "${lines[3]}" = s ]
        [ "${lines[4]}" = sub ] # skip.tmp was ignored
        [ "${lines[5]}" = nobody:nogroup ]
        [ "${lines[6]}" = 12:34 ]
        [ "${lines[7]}" = intar ] && [ "${lines[8]}" = b ]
        [[ "$output" != *secret.key* ]] && [[ "$output" != *tarsrc* ]]
        [[ "$output" == *files.tar.gz* ]]
        berth run --rm copies cmp /from-image /bin/busybox
        assert_nothing_left
}

@test "build cache: an identical build is all cache hits with the same id; a changed file rebuilds from its step" {
        echo 1 > "$CTX/f1"; echo 2 > "$CTX/f2"
        dockerfile <<'EOF2'
FROM busybox
RUN echo first > /first
COPY f1 /f1
RUN cat /f1 > /derived
COPY f2 /f2
ENV DONE=1
EOF2
        id1=$(berth build -q -t cached "$CTX")
        run berth build -t cached "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(grep -c 'Using cache' <<<"$output")" -eq 5 ] || fail "$output"
        [ "${lines[-1]}" = "$id1" ]
        [ "$(berth image inspect -f '{{.Id}}' cached)" = "$id1" ]

        echo changed > "$CTX/f1"
        run berth build -t cached "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(grep -c 'Using cache' <<<"$output")" -eq 1 ] || fail "$output"
        # the RUN before the COPY came from the cache, the COPY and everything after ran again
        grep -A1 'STEP 2/6' <<<"$output" | grep -q 'Using cache'
        ! grep -A1 'STEP 3/6' <<<"$output" | grep -q 'Using cache'
        [ "${lines[-1]}" != "$id1" ]
        [ "$(berth run --rm cached cat /derived)" = changed ]
        # --no-cache runs every step again
        run berth build --no-cache -t cached "$CTX"
        [ "$status" -eq 0 ] && ! grep -q 'Using cache' <<<"$output"
        assert_nothing_left
}

@test "images hides the build's intermediate images unless -a, but shows an untagged result" {
        printf 'FROM busybox\nENV A=1\nRUN echo x > /x\nLABEL l=1\n' > "$CTX/Dockerfile"
        id=$(berth build -q "$CTX")
        run berth images --format '{{.ID}} {{.Repository}}'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${#lines[@]}" -eq 2 ] || fail "$output"
        [[ "$output" == *"${id:7:12} <none>"* ]]
        [ "$(berth images -a -q | wc -l)" -eq 4 ] # busybox and one image a step
        assert_nothing_left
}

@test "multi-stage: the final image has only what it copied; --target stops early" {
        dockerfile <<'EOF2'
FROM busybox AS builder
RUN mkdir /out && echo built > /out/artifact && dd if=/dev/zero of=/big bs=1k count=512 2>/dev/null
FROM builder AS tester
RUN echo tested > /out/tested
FROM scratch
COPY --from=builder /out/artifact /artifact
COPY --from=0 /bin/busybox /busybox
CMD ["/busybox", "cat", "/artifact"]
EOF2
        run berth build -t final "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth run --rm final)" = built ]
        run berth run --rm final /busybox ls /
        [ "$(echo $output)" = "artifact busybox dev etc proc sys" ] || [[ "$output" != *big* ]] || fail "$output"
        [[ "$output" != *big* ]] && [[ "$output" != *out* ]]
        [ "$(berth image inspect -f '{{.RootFS.Layers}}' final | grep -o sha256: | wc -l)" = 2 ]

        run berth build --target tester -t stopped "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth run --rm stopped cat /out/tested)" = tested ]
        ! grep -q 'STEP 5/' <<<"$output"
        run berth build --target nosuch -t x "$CTX"
        [ "$status" -eq 125 ] && [[ "$output" == *nosuch* ]]
        assert_nothing_left
}

@test "COPY never reads outside the context nor writes outside the image root, through symlinks" {
        host=$TESTDIR/hostdir
        mkdir -p "$host" "$CTX/sub"
        echo host-secret > "$host/secret"
        echo ok > "$CTX/sub/ok"
        ln -s "$host/secret" "$CTX/abs-link"
        ln -s ../../hostdir/secret "$CTX/sub/rel-link"
        dockerfile <<EOF2
FROM busybox
RUN mkdir -p $host && ln -s $host /escape && ln -s ../../../../$host /escape-rel && ln -s /nowhere/dir /dangling
COPY sub/ok /escape/written
COPY sub/ok /escape-rel/written2
COPY sub /subcopy
EOF2
        run berth build -t confined "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ ! -e "$host/written" ] && [ ! -e "$host/written2" ]
        [ "$(ls "$host")" = secret ]
        # inside the image the links led to the image's own $host
        [ "$(berth run --rm confined cat $host/written)" = ok ]
        # a link inside a copied dir is copied as a link, not followed
        [ "$(berth run --rm confined readlink /subcopy/rel-link)" = ../../hostdir/secret ]

        # a link in the image to a missing directory: refused, nothing written on the host
        printf 'FROM confined\nCOPY sub/ok /dangling/x\n' > "$CTX/Dockerfile"
        run berth build -t leaked "$CTX"
        [ "$status" -eq 125 ] && [ ! -e /nowhere ] || fail "$output"

        # a named source that is a link out of the context resolves inside the context: not found
        printf 'FROM busybox\nCOPY abs-link /x\n' > "$CTX/Dockerfile"
        run berth build -t leaked "$CTX"
        [ "$status" -eq 125 ] || fail "$output"
        [[ "$output" != *host-secret* ]]
        printf 'FROM busybox\nCOPY ../hostdir/secret /x\n' > "$CTX/Dockerfile"
        run berth build -t leaked "$CTX"
        [ "$status" -eq 125 ] || fail "$output"
        assert_not_tagged leaked
}

@test "build: bad Dockerfiles give one message naming the line, tag nothing and leave nothing" {
        printf 'FROM busybox\nRUN true\nFROBNICATE x\n' > "$CTX/Dockerfile"
        run berth build -t bad "$CTX"
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == *"Dockerfile:3: unknown instruction: FROBNICATE"* ]]

        printf 'FROM busybox\nCOPY missing.txt /x\n' > "$CTX/Dockerfile"
        run berth build -t bad "$CTX"
        [ "$status" -eq 125 ] && [[ "$output" == *"Dockerfile:2:"*"missing.txt"* ]] || fail "$output"

        printf 'FROM busybox\nENV A="unterminated\n' > "$CTX/Dockerfile"
        run berth build -t bad "$CTX"
        [ "$status" -eq 125 ] && [[ "$output" == *"Dockerfile:2:"*quote* ]] || fail "$output"

        printf 'FROM b AS a\nRUN true\nFROM a AS b\n' > "$CTX/Dockerfile"
        run berth build -t bad "$CTX"
        [ "$status" -eq 125 ] && [[ "$output" == *"Dockerfile:1: circular dependency"* ]] || fail "$output"

        printf 'FROM busybox AS s\nCOPY --from=s /bin/sh /x\n' > "$CTX/Dockerfile"
        run berth build -t bad "$CTX"
        [ "$status" -eq 125 ] && [[ "$output" == *"circular dependency"* ]] || fail "$output"

        printf 'FROM busybox\nRUN echo to-stdout; echo to-stderr >&2; exit 7\nRUN echo never\n' > "$CTX/Dockerfile"
        run berth build -t bad "$CTX"
        [ "$status" -eq 125 ] || fail "$output"
        [[ "$output" == *to-stdout* ]] && [[ "$output" == *to-stderr* ]]
        [[ "$output" == *"Dockerfile:2:"*"returned a non-zero code: 7"* ]] || fail "$output"
        [[ "$output" != *never* ]]
        # -q keeps the output aside but shows it when the step fails
        run berth build -q -t bad "$CTX"
        [ "$status" -eq 125 ] && [[ "$output" == *to-stderr* ]] || fail "$output"

        run berth build -t bad "$TESTDIR/nosuchdir"
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        assert_not_tagged bad
}

@test "a Dockerfile written for docker builds and runs the same under berth and, after save, podman" {
        command -v podman >/dev/null || skip "podman is not installed"
        echo 'print me' > "$CTX/msg"
        dockerfile <<'EOF2'
FROM busybox
LABEL maintainer="someone"
ENV GREETING=hello
WORKDIR /app
COPY msg .
RUN echo "$GREETING from $(pwd)" > greeting && chmod 0600 greeting
CMD ["sh", "-c", "cat greeting msg"]
EOF2
        berth build -q -t localhost/berth-built:1 "$CTX" >/dev/null
        want=$(printf 'hello from /app\nprint me')
        [ "$(berth run --rm localhost/berth-built:1)" = "$want" ]
        berth save -o "$TESTDIR/built.tar" localhost/berth-built:1
        P=(podman --root "$TESTDIR/proot" --runroot "$TESTDIR/prun" --tmpdir "$TESTDIR/ptmp"
           --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
        mkdir -p "$TESTDIR/ptmp"
        run "${P[@]}" load -i "$TESTDIR/built.tar"
        [ "$status" -eq 0 ] || fail "$output"
        run "${P[@]}" run --rm --runtime runc --network none --ulimit nofile=1024:1024 \
                --ulimit nproc=1024:1024 localhost/berth-built:1
        "${P[@]}" rmi -af >/dev/null 2>&1 || true
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "$want" ]
        assert_nothing_left
}

@test "build: SIGINT during a RUN removes its container and tags nothing" {
        printf 'FROM busybox\nRUN echo started; sleep 987\nRUN echo never\n' > "$CTX/Dockerfile"
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" build -t interrupted "$CTX" > "$TESTDIR/out" 2>&1 &
        pid=$!
        wait_for grep -q started "$TESTDIR/out"
        kill -INT "$pid"
        rc=0
        wait "$pid" || rc=$?
        [ "$rc" -eq 125 ] || fail "exit $rc: $(cat "$TESTDIR/out")"
        grep -q 'interrupted by signal 2' "$TESTDIR/out" || fail "$(cat "$TESTDIR/out")"
        ! grep -q never "$TESTDIR/out"
        ! pgrep -f 'sleep 987' >/dev/null || fail "the RUN's process is still there"
        assert_not_tagged interrupted
}
