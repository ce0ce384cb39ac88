# Shared by the image-*.bats tests: a private --root and --runroot per test (under a temp dir
# named berth-image-*), the busybox fixture, and helpers to look at the store.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
BERTH_BIN=${BERTH_BIN:-$BUILD/src/cli/berth/berth}
FIXTURES=$REPO/tests/fixtures

image_setup() {
        [ -x "$BERTH_BIN" ] || { echo "BERTH_BIN=$BERTH_BIN is not executable (build first)" >&2; return 1; }
        TESTDIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/berth-image.XXXXXX")
        ROOT=$TESTDIR/root
        RUNROOT=$TESTDIR/run
        mkdir -p "$ROOT" "$RUNROOT"
}

image_teardown() {
        [ -n "${TESTDIR:-}" ] || return 0
        # Whatever a test mounted under its dir goes, deepest first.
        grep -o " $TESTDIR[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$TESTDIR"
}

berth() {
        "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" "$@"
}

# The busybox image, built once per test file and imported into this test's root.
busybox_tar() {
        local t=${BATS_FILE_TMPDIR:-/tmp}/berth-busybox-rootfs.tar
        [ -s "$t" ] || "$FIXTURES/image-busybox.sh" --tar "$t"
        echo "$t"
}

import_busybox() {
        berth import --change 'CMD ["sh"]' "$(busybox_tar)" busybox >/dev/null
}

# Names of blob files and layer dirs: what "the store unchanged" compares.
store_listing() {
        (cd "$ROOT" && find blobs layers -mindepth 2 -maxdepth 2 2>/dev/null | sort)
        berth images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}' | sort
}

# Fail with the output shown.
fail() {
        echo "$@" >&2
        return 1
}
