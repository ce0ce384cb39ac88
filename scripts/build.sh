#!/usr/bin/env bash
# build.sh [BUILDDIR [MESON OPTIONS...]]: configure (once) and build berth with meson + ninja.
#   scripts/build.sh                      -> build/
#   scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
# Quiet when it works; the whole log when it does not.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-build}
shift || true
log=$(mktemp /tmp/berth-build.XXXXXX)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
ninja -C "$dir" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo "build.sh: built $dir/src/cli/berth-runtime/berth-runtime"
