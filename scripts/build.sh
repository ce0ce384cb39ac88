#!/usr/bin/env bash
# build.sh [BUILDDIR [MESON OPTIONS...]]: configure (once) and build berth with meson + ninja.
#   scripts/build.sh                      -> build/
#   scripts/build.sh build-asan -Db_sanitize=address,undefined
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" > "$dir.setup.log" 2>&1 || {
                cat "$dir.setup.log" >&2
                exit 1
        }
        rm -f "$dir.setup.log"
fi
ninja -C "$dir" > "$dir.ninja.log" 2>&1 || {
        cat "$dir.ninja.log" >&2
        exit 1
}
rm -f "$dir.ninja.log"
echo "build.sh: built $dir/src/cli/berth-runtime/berth-runtime"
