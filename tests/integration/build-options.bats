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
