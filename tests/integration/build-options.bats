#!/usr/bin/env bats
# berth build, continued: --network of RUN steps, ONBUILD triggers, COPY --chmod, stages the
# target does not need, and `builder prune`.

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

@test "build --network: RUN on the default bridge, none, host; a bad one changes nothing" {
        dockerfile <<'EOF2'
FROM busybox
RUN ls /sys/class/net | tr '\n' ' ' > /net; ip -o -4 addr show eth0 >> /net || true
EOF2
        run berth build -t net-default "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        out=$(berth run --rm --network none net-default cat /net)
        [[ "$out" == "eth0 lo "*"inet "* ]] || fail "default: $out"
        # another network is another step: not the default's cache
        run berth build --network none -t net-none "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" != *"Using cache"* ]] || fail "$output"
        [ "$(berth run --rm --network none net-none cat /net)" = "lo " ]
        run berth build --network none -t net-none "$CTX"
        [[ "$output" == *"Using cache"* ]] || fail "$output"
        run berth build --network host -t net-host "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        # the host's interfaces: this test's bridge among them
        bridge=$(engine_bridges)
        out=$(berth run --rm --network none net-host cat /net)
        [ -n "$bridge" ] && [[ " $out" == *" $bridge "* ]] || fail "host: $out (bridge $bridge)"
        run berth build --network berth-no-such-net -t net-bad "$CTX"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "berth: build: --network berth-no-such-net: network berth-no-such-net not found" ]] || fail "$output"
        assert_not_tagged net-bad
        # the RUN containers' veths and namespaces are gone with them
        wait_for sh -c "[ -z \"\$(ip -o link show master $bridge)\" ]" || fail "veths left on $bridge"
        [ -z "$(ls "$RUNROOT/netns" 2>/dev/null)" ] || fail "netns left: $(ls "$RUNROOT/netns")"
}

@test "build: ONBUILD triggers run when the image is a base, once" {
        echo hello > "$CTX/f.txt"
        cat > "$CTX/Dockerfile.base" <<'EOF2'
FROM busybox
ONBUILD COPY f.txt /f.txt
ONBUILD RUN echo triggered > /t
ONBUILD ENV X=1
EOF2
        run berth build -f "$CTX/Dockerfile.base" -t ob-base "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" != *"Executing"* ]] || fail "$output"
        [ "$(berth image inspect -f '{{json .Config.OnBuild}}' ob-base)" = '["COPY f.txt /f.txt","RUN echo triggered > /t","ENV X=1"]' ]
        run berth run --rm ob-base cat /t
        [ "$status" -ne 0 ]
        dockerfile <<'EOF2'
FROM ob-base
RUN echo "X=$X $(cat /t /f.txt)" > /seen
EOF2
        run berth build -t ob-child "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == *"Executing 3 build triggers"*"STEP 2/5: COPY f.txt /f.txt"*"STEP 4/5: ENV X=1"*"STEP 5/5: RUN"* ]] || fail "$output"
        [ "$(berth run --rm ob-child cat /seen)" = $'X=1 triggered\nhello' ]
        [ "$(berth image inspect -f '{{json .Config.OnBuild}}' ob-child)" = null ]
        # the child does not pass them on
        printf 'FROM ob-child\nRUN true\n' | berth build -f - -t ob-grandchild "$CTX" > "$TESTDIR/out"
        ! grep -q Executing "$TESTDIR/out" || fail "$(cat "$TESTDIR/out")"
        # a second build of the child: every step, triggers too, from the cache
        run berth build -t ob-child "$CTX"
        [ "$(grep -c 'Using cache' <<<"$output")" -eq 4 ] || fail "$output"
        # a trigger that fails stops the build, naming the FROM line and the trigger
        printf 'FROM busybox\nONBUILD RUN exit 3\n' | berth build -f - -t ob-bad-base "$CTX" > /dev/null
        printf '\nFROM ob-bad-base\nRUN true\n' | { run berth build -f - -t ob-bad "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"berth: build: Dockerfile:2: ONBUILD trigger RUN exit 3: "*"returned a non-zero code: 3" ]] || fail "$output"; }
        assert_not_tagged ob-bad
}

@test "build: ONBUILD refuses ONBUILD, FROM and MAINTAINER triggers" {
        for t in 'ONBUILD RUN true' 'FROM busybox' 'MAINTAINER me'; do
                printf 'FROM busybox\nONBUILD %s\n' "$t" > "$CTX/Dockerfile"
                run berth build -t ob-refused "$CTX"
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 4 ] || fail "$output" # the steps, then one error line
                [[ "${lines[3]}" == "berth: build: Dockerfile:2: "*"ONBUILD"* ]] || fail "$output"
        done
        assert_not_tagged ob-refused
}

@test "build: COPY --chmod and ADD --chmod set the mode of what they copy" {
        mkdir -p "$CTX/d/sub"
        echo a > "$CTX/d/a"
        echo b > "$CTX/d/sub/b"
        echo c > "$CTX/c"
        chmod 644 "$CTX/d/a" "$CTX/c"
        dockerfile <<'EOF2'
FROM busybox
ARG MODE=0751
COPY --chmod=$MODE d /d
COPY --chmod=0600 c /c
ADD --chmod=440 c /added
COPY c /plain
RUN stat -c '%n %a' /d/a /d/sub /d/sub/b /c /added /plain > /modes
EOF2
        run berth build -t chmod "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth run --rm chmod cat /modes | tr '\n' ' ')" = "/d/a 751 /d/sub 751 /d/sub/b 751 /c 600 /added 440 /plain 644 " ]
        printf 'FROM busybox\nCOPY --chmod=u+x c /c\n' > "$CTX/Dockerfile"
        run berth build -t chmod-bad "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"berth: build: Dockerfile:2: COPY --chmod=u+x: expected an octal mode such as 0755" ]] || fail "$output"
        assert_not_tagged chmod-bad
}

@test "build: stages the target does not depend on are skipped" {
        dockerfile <<'EOF2'
ARG BASE=busybox
FROM ${BASE} AS unused
RUN echo built-unused; exit 7
FROM ${BASE} AS base
RUN echo base > /base
FROM busybox AS dep
RUN echo dep > /dep
FROM base AS final
COPY --from=dep /dep /dep
COPY --from=2 /dep /dep2
RUN cat /base /dep /dep2 > /all
FROM busybox AS after
RUN exit 8
EOF2
        run berth build --target final -t skip-final "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" != *"built-unused"* && "$output" != *"exit 8"* ]] || fail "$output"
        [ "$(grep -c "^STEP " <<<"$output")" -eq 8 ] || fail "$output"
        [[ "$output" == *"STEP 8/8: RUN cat"* ]] || fail "$output"
        [ "$(berth run --rm skip-final cat /all | tr '\n' ' ')" = "base dep dep " ]
        # the last stage needs none of the others: only it is built (and fails)
        run berth build -t skip-after "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"STEP 1/2: FROM busybox"*"STEP 2/2: RUN exit 8"* ]] || fail "$output"
        [[ "$output" != *"built-unused"* ]] || fail "$output"
        assert_not_tagged skip-after
}

@test "builder prune drops the build cache and the images only it kept" {
        echo one > "$CTX/f"
        dockerfile <<'EOF2'
FROM busybox
COPY f /f
RUN echo two >> /f
ENV X=1
EOF2
        run berth build -t pruned "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        # an untagged build result stays: it is no cache entry but what a build made
        printf 'FROM busybox\nRUN echo untagged > /u\n' | berth build -q -f - "$CTX" > "$TESTDIR/untagged"
        untagged=$(cat "$TESTDIR/untagged")
        # an intermediate image a container uses stays too
        mid=$(berth images -a -q --no-trunc | grep -v -e "$(berth image inspect -f '{{.Id}}' pruned)" \
                -e "$(berth image inspect -f '{{.Id}}' busybox)" -e "$untagged" | head -n 1)
        [ -n "$mid" ]
        berth create --name berth-uses-mid "$mid" > /dev/null
        before=$(berth images -a -q | wc -l)
        run berth builder prune -f
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[0]}" = "Deleted build cache objects:" ]
        [[ "${lines[-1]}" == "Total reclaimed space: "* ]] || fail "$output"
        n=$(grep -c '^sha256:' <<<"$output")
        # the COPY and RUN steps' images are cache only (ENV's is the tagged result); the one
        # a container uses stays
        [ "$n" -eq 1 ] || fail "$output"
        [[ "$output" != *"$mid"* ]] || fail "$output"
        [ "$(berth images -a -q | wc -l)" -eq $((before - n)) ]
        berth image inspect "$mid" > /dev/null
        berth image inspect "$untagged" > /dev/null
        [ "$(berth run --rm pruned cat /f | tr '\n' ' ')" = "one two " ]
        # the cache is empty: the same build runs every step again
        run berth build -t pruned "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" != *"Using cache"* ]] || fail "$output"
        # and once more is all hits
        run berth build -t pruned "$CTX"
        [ "$(grep -c 'Using cache' <<<"$output")" -eq 3 ] || fail "$output"
        berth rm berth-uses-mid > /dev/null
        run berth builder prune --filter until=1h
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        # the second build's COPY and RUN images
        run berth builder prune -f
        [ "$status" -eq 0 ]
        [ "$(grep -c '^sha256:' <<<"$output")" -eq 2 ] || fail "$output"
        berth image inspect pruned > /dev/null
        assert_nothing_left
}

@test "build: instruction flags: RUN --network, accepted hints, unknown and unsupported ones" {
        echo x > "$CTX/f"
        dockerfile <<'EOF2'
FROM --platform=linux/amd64 busybox
RUN --network=none ls /sys/class/net | tr '\n' ' ' > /none
RUN ls /sys/class/net | tr '\n' ' ' > /default
COPY --link f /f
HEALTHCHECK --start-interval=2s --interval=30s CMD true
EOF2
        run berth build -t flags "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth run --rm flags cat /none)" = "lo " ]
        [ "$(berth run --rm flags cat /default)" = "eth0 lo " ]
        [ "$(berth image inspect -f '{{json .Config.Healthcheck}}' flags)" = '{"Test":["CMD-SHELL","true"],"Interval":30000000000,"StartInterval":2000000000}' ]
        for bad in 'COPY --form=x f /f|Dockerfile:2: COPY: unknown flag: --form' \
                'RUN --mount=type=cache,target=/c true|Dockerfile:2: RUN --mount is not supported' \
                'RUN --network=bridge true|Dockerfile:2: RUN --network=bridge: expected default, none or host' \
                'ADD --from=x f /f|Dockerfile:2: ADD: unknown flag: --from'; do
                printf 'FROM busybox\n%s\nRUN touch /berth-ran\n' "${bad%%|*}" > "$CTX/Dockerfile"
                run berth build -t flags-bad "$CTX"
                [ "$status" -eq 125 ]
                # checked before anything runs: one line, no step
                [ "$output" = "berth: build: ${bad#*|}" ] || fail "$output"
        done
        assert_not_tagged flags-bad
}

@test "build: COPY --from takes ARG values, in the build and in the stage planning" {
        dockerfile <<'EOF2'
ARG PICK=two
FROM busybox AS one
RUN echo one > /x
FROM busybox AS two
RUN echo two > /x
FROM busybox AS broken
RUN exit 9
FROM busybox
ARG PICK
ARG SECOND=one
COPY --from=${PICK} /x /picked
COPY --from=$SECOND /x /second
EOF2
        run berth build -t from-arg "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" != *"exit 9"* ]] || fail "$output"
        [ "$(berth run --rm from-arg cat /picked /second | tr '\n' ' ')" = "two one " ]
        run berth build --build-arg PICK=one --build-arg SECOND=two -t from-arg2 "$CTX"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth run --rm from-arg2 cat /picked /second | tr '\n' ' ')" = "one two " ]
        # an ARG naming the broken stage makes it needed: it is built, and fails
        run berth build --build-arg SECOND=broken -t from-arg3 "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"RUN exit 9"* ]] || fail "$output"
        assert_not_tagged from-arg3
}
