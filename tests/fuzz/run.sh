#!/bin/sh
# Build the libFuzzer targets (clang, ASan and UBSan) if needed and run each fuzz-* target for a
# bounded time: run.sh [SECONDS] (default 30 each). Exits non-zero when any target crashes;
# crashing inputs are kept in <build>/fuzz-artifacts/.
set -eu

secs=${1:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BERTH_FUZZ_BUILD:-$src/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
                -Db_lundef=false -Dtests=false
fi
targets=$(meson introspect "$build" --targets | python3 -c '
import json, sys
print(" ".join(t["name"] for t in json.load(sys.stdin)
               if t["type"] == "executable" and t["name"].startswith("fuzz-")))')
[ -n "$targets" ] || { echo "run.sh: no fuzz targets in $build" >&2; exit 1; }
# shellcheck disable=SC2086 # one word per target
meson compile -C "$build" $targets

work=$(mktemp -d /tmp/berth-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$build/fuzz-artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=""
for t in $targets; do
        name=${t#fuzz-}
        exe="$build/tests/fuzz/$t"
        seeds="$src/tests/fuzz/corpus/$name"
        mkdir -p "$work/$name"
        set -- -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-"
        if [ -f "$src/tests/fuzz/$name.dict" ]; then
                set -- "$@" -dict="$src/tests/fuzz/$name.dict"
        fi
        # libFuzzer adds new inputs to the first directory: a scratch one, the seeds stay as they are.
        set -- "$@" "$work/$name"
        if [ -d "$seeds" ]; then
                set -- "$@" "$seeds"
        fi
        echo "== $t for ${secs}s"
        if ! "$exe" "$@" 2>"$work/$name.log"; then
                tail -n 60 "$work/$name.log" >&2
                failed="$failed $t"
        else
                grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done )' "$work/$name.log" || true
        fi
done

if [ -n "$failed" ]; then
        echo "run.sh: crashed:$failed (inputs in $build/fuzz-artifacts/)" >&2
        exit 1
fi
echo "run.sh: no crashes"
