#!/usr/bin/env bats
# berth run pulls a missing image from a real registry (Debian's docker-registry on 127.0.0.1),
# as docker run does: --pull missing (the default), always and never.

load registry-helpers

setup_file() {
        export REGDIR=$BATS_FILE_TMPDIR/registry
        registry_start "$REGDIR"
        echo "$REG" >"$BATS_FILE_TMPDIR/reg"
        skopeo_push "$REG/busybox:latest"
}

teardown_file() {
        registry_stop "$BATS_FILE_TMPDIR/registry"
}

setup() {
        image_setup
        REG=$(cat "$BATS_FILE_TMPDIR/reg")
}

teardown() {
        # containers, and the bridge and nftables table of the default network
        berth system reset -f >/dev/null 2>&1 || true
        image_teardown
}

@test "run pulls a missing image and runs it; --pull never refuses; --pull always pulls again" {
        run berth run --rm --pull never "$REG/busybox" true
        [ "$status" -eq 125 ] && [[ "$output" == *"--pull never"* ]] || fail "$output"
        run berth run --rm "$REG/busybox" sh -c 'echo pulled and ran; echo $$'
        [ "$status" -eq 0 ] || fail "$output"
        [ "${lines[-2]}" = "pulled and ran" ] && [ "${lines[-1]}" = 1 ]
        [ "$(berth images -q | wc -l)" -eq 1 ]
        run berth run --rm --pull always "$REG/busybox" true
        [ "$status" -eq 0 ] || fail "$output"
        run berth run --rm "$REG/no-such-repo" true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"no-such-repo"* ]] || fail "$output"
        [ -z "$(berth ps -aq)" ]
}
