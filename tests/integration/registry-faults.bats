#!/usr/bin/env bats
# A registry that misbehaves (tests/fixtures/registry-fake.py): hangs, redirect loops, malformed
# and unknown manifests, 503s before an error. Each pull fails with one clear line and leaves
# the store as it was.

load registry-helpers

setup() {
        image_setup
        FAKE_PORT=$(free_port)
}

teardown() {
        [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null || true
        image_teardown
}

fake_start() {
        "$FIXTURES/registry-fake.py" "$FAKE_PORT" "$1" >"$TESTDIR/fake.log" 2>&1 &
        FAKE_PID=$!
        for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$FAKE_PORT/v2/" && return 0; sleep 0.1; done
        return 1
}

# pull_fails PATTERN: the pull exits 125 with one line matching PATTERN, the store unchanged.
pull_fails() {
        local before
        before=$(store_listing)
        run berth pull "127.0.0.1:$FAKE_PORT/x:latest"
        [ "$status" -eq 125 ] || fail "status $status: $output"
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == "berth: "*$1* ]] || fail "$output"
        [ "$(store_listing)" = "$before" ] || fail "store changed"
}

@test "a registry that hangs is timed out with a clear message" {
        fake_start hang
        export BERTH_REGISTRY_TIMEOUT=2
        pull_fails "timed out"
}

@test "a redirect loop is refused" {
        fake_start loop
        pull_fails "redirect"
}

@test "a manifest that is not JSON is refused" {
        fake_start badjson
        pull_fails "x: manifest: line 1 column"
}

@test "a manifest of an unknown media type is refused by name" {
        fake_start badtype
        pull_fails "application/vnd.example.unknown+json"
}

@test "503s are retried, then the registry's error is shown" {
        fake_start flaky
        pull_fails "name unknown: repository name not known to registry"
        [ "$(grep -c flaky "$TESTDIR/fake.log")" -eq 3 ]
}

@test "an invalid tag is refused before any request" {
        fake_start badjson
        before=$(store_listing)
        run berth pull "127.0.0.1:$FAKE_PORT/x:-bad"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == *"invalid reference format"* ]] || fail "$output"
        ! grep -q badjson "$TESTDIR/fake.log"
}
