#!/usr/bin/env bash
# test.sh: berth's one test command (CI runs it through .ci/run).
#
# Tiers, in order; each counts its own tests and a tier that cannot run counts as failed:
#   setup     scripts/setup.sh (skip: BERTH_SKIP_SETUP=1)
#   build     meson + ninja in build/
#   unit      meson test in build/ (cmocka cases counted one by one)
#   bats      tests/integration/*.bats against build/'s berth-runtime
#   asan      the same build with ASan+UBSan in build-asan/: unit tests and the bats runtime, network and
#             engine suites against the sanitized binaries (skip: BERTH_SKIP_ASAN=1)
#   format    clang-format --dry-run --Werror of src/ and tests/ (one count per file)
#   fuzz      tests/fuzz/run.sh, BERTH_FUZZ_SECONDS (default 25) per target (skip: BERTH_SKIP_FUZZ=1)
#   v2vm      cgroup v2 suites in a QEMU guest: tests/v2vm/run.sh and tests/v2vm/*/run.sh
#             (skip: BERTH_SKIP_V2VM=1)
# BERTH_TIERS="unit bats" runs only the named tiers (plus build when a later tier needs it);
# RUNTIME=runc runs the bats tier against another runtime.
# Logs go to build/test-logs/. The last line is "N passed, N failed, N skipped"; the exit
# status is non-zero when anything failed.
set -uo pipefail
export CI=${CI:-true} DEBIAN_FRONTEND=noninteractive

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
LOGS=$REPO/build/test-logs
mkdir -p "$LOGS"
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

PASSED=0 FAILED=0 SKIPPED=0
FAILURES=()
START=$(date +%s)

want() {
        [ -z "${BERTH_TIERS:-}" ] || [[ " $BERTH_TIERS " == *" $1 "* ]]
}

# tier NAME PASSED FAILED [SKIPPED]: add a tier's counts to the totals
tier() {
        local name=$1 p=$2 f=$3 s=${4:-0}
        PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
        [ "$f" -eq 0 ] || FAILURES+=("$name")
        printf '%-8s %4d passed, %d failed, %d skipped  (%ds)\n' "$name" "$p" "$f" "$s" \
                "$(($(date +%s) - TIER_START))"
}

begin() {
        TIER_START=$(date +%s)
        echo "== $1" >&2
}

# tap_counts FILE: "passed failed skipped" of a TAP stream, the plan's missing tests as failed
tap_counts() {
        awk '
                /^1\.\.[0-9]+/ { split($0, a, "\\.\\."); plan = a[2] }
                /^ok / { if ($0 ~ /# skip/) s++; else p++ }
                /^not ok / { f++ }
                END {
                        if (plan == "") f++
                        else if (p + f + s < plan) f += plan - (p + f + s)
                        print p + 0, f + 0, s + 0
                }' "$1"
}

# unit_counts BUILDDIR: cmocka cases of every meson test, or the test itself when it has none
unit_counts() {
        jq -rs '
                def count(re): [(.stdout // "") + (.stderr // "") | scan(re) | .[0] | tonumber] | add // 0;
                map(
                        (count("\\[  PASSED  \\] (\\d+) test")) as $p
                        | (count("\\[  FAILED  \\] (\\d+) test")) as $f
                        | (count("\\[  SKIPPED \\] (\\d+) test")) as $s
                        | if $p + $f + $s == 0 then
                                  (if .result == "OK" or .result == "EXPECTEDFAIL" then [1, 0, 0]
                                   elif .result == "SKIP" then [0, 0, 1] else [0, 1, 0] end)
                          elif .result != "OK" and $f == 0 then [$p, 1, $s]
                          else [$p, $f, $s] end)
                | transpose | map(add // 0) | if length == 0 then [0, 0, 0] else . end | @tsv' \
                "$1/meson-logs/testlog.json" | tr '\t' ' '
}

run_unit() {
        local dir=$1 name=$2 log=$LOGS/$2.log
        begin "$name"
        rm -f "$dir/meson-logs/testlog.json"
        meson test -C "$dir" --print-errorlogs > "$log" 2>&1
        local rc=$?
        if [ ! -s "$dir/meson-logs/testlog.json" ]; then
                tail -n 30 "$log" >&2
                tier "$name" 0 1
                return
        fi
        [ $rc -eq 0 ] || grep -E -A 30 'FAIL|ERROR' "$log" | head -n 80 >&2
        # shellcheck disable=SC2046
        tier "$name" $(unit_counts "$dir")
}

# berth's bridges (berthN), veths (vberth*) and nftables tables on the host, one per line
net_pieces() {
        {
                ip -o link show 2>/dev/null | awk -F': ' '{ sub("@.*", "", $2); print $2 }' |
                        grep -E '^(berth[0-9]+|vberth)' | sed 's/^/link /'
                nft list tables 2>/dev/null | awk '$3 ~ /^berth[0-9]+$/ { print "nft table " $3 }'
        } | sort
}

# run_bats NAME RUNTIME FILES...
run_bats() {
        local name=$1 runtime=$2
        shift 2
        local log=$LOGS/$name.tap net_before
        net_before=$(net_pieces)
        begin "$name"
        RUNTIME=$runtime timeout 1500 bats --tap "$@" > "$log" 2>&1
        # each failure with its diagnostics (the "#" lines after it)
        awk '/^not ok/ { show = 1; n = 0; print; next } /^(ok|not ok) / { show = 0 }
             show && /^#/ && n++ < 15' "$log" | head -n 300 >&2
        # shellcheck disable=SC2046
        tier "$name" $(tap_counts "$log")
        # and nothing of the tests remains on the host
        begin "$name-leaks"
        local left
        left=$({
                find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name 'berth-t[0-9]*' 2>/dev/null
                grep -F /berth-test. /proc/self/mountinfo | awk '{ print "mount " $5 }'
                ls -d /tmp/berth-test.* 2>/dev/null
                ip netns list 2>/dev/null | awk '/^berth-test-/ { print "netns " $1 }'
                ls -d /tmp/berth-engine.* 2>/dev/null
                # bridges, veths and nftables tables of berth that were not there before
                comm -13 <(echo "$net_before") <(net_pieces)
        })
        if [ -n "$left" ]; then
                echo "left behind by $name:" >&2
                echo "$left" | head -n 20 >&2
                tier "$name-leaks" 0 1
        else
                tier "$name-leaks" 1 0
        fi
}

build_ok=1
build() {
        local dir=$1 name=$2
        shift 2
        begin "$name"
        if scripts/build.sh "$dir" "$@" > "$LOGS/$name.log" 2>&1; then
                tier "$name" 1 0
                return 0
        fi
        tail -n 40 "$LOGS/$name.log" >&2
        tier "$name" 0 1
        return 1
}

# 1. setup
if want setup && [ "${BERTH_SKIP_SETUP:-0}" != 1 ]; then
        begin setup
        if scripts/setup.sh > "$LOGS/setup.log" 2>&1; then tier setup 1 0; else
                tail -n 20 "$LOGS/setup.log" >&2
                tier setup 0 1
        fi
fi

# 2. build, 3. unit, 4. bats
if want build || want unit || want bats; then
        build build build || build_ok=0
fi
if want unit; then
        if [ $build_ok = 1 ]; then run_unit build unit; else begin unit; tier unit 0 1; fi
fi
if want bats; then
        if [ $build_ok = 1 ] || [ -n "${RUNTIME:-}" ]; then
                run_bats bats "${RUNTIME:-$REPO/build/src/cli/berth-runtime/berth-runtime}" tests/integration
        else
                begin bats
                tier bats 0 1
        fi
fi

# 5. ASan + UBSan
if want asan && [ "${BERTH_SKIP_ASAN:-0}" != 1 ]; then
        if build build-asan asan-build -Db_sanitize=address,undefined -Db_lundef=false; then
                reports=$LOGS/sanitizer
                rm -rf "$reports"
                mkdir -p "$reports"
                export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan:abort_on_error=0:fast_unwind_on_malloc=0"
                export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
                run_unit build-asan asan-unit
                BUILD=$REPO/build-asan run_bats asan-bats "$REPO/build-asan/src/cli/berth-runtime/berth-runtime" \
                        tests/integration/runtime-*.bats tests/integration/engine-*.bats tests/integration/network.bats tests/integration/build-*.bats
                unset ASAN_OPTIONS UBSAN_OPTIONS
                # a report from a process whose failure a test expected still fails the tier
                begin asan-reports
                if compgen -G "$reports/*" > /dev/null; then
                        head -n 40 "$reports"/* >&2
                        tier asan-reports 0 "$(ls "$reports" | wc -l)"
                else
                        tier asan-reports 1 0
                fi
        fi
fi

# 6. clang-format
if want format; then
        begin format
        p=0 f=0
        while IFS= read -r -d '' file; do
                if clang-format --dry-run --Werror "$file" > "$LOGS/format.one" 2>&1; then
                        p=$((p + 1))
                else
                        f=$((f + 1))
                        head -n 6 "$LOGS/format.one" >&2
                fi
        done < <(find src tests -name '*.[ch]' -not -path '*/corpus*' -print0 | sort -z)
        rm -f "$LOGS/format.one"
        tier format $p $f
fi

# 7. fuzz
if want fuzz && [ "${BERTH_SKIP_FUZZ:-0}" != 1 ] && [ -x tests/fuzz/run.sh ]; then
        begin fuzz
        tests/fuzz/run.sh "${BERTH_FUZZ_SECONDS:-25}" > "$LOGS/fuzz.log" 2>&1
        rc=$?
        n=$(grep -c '^== fuzz-' "$LOGS/fuzz.log")
        crashed=$(sed -n 's/.*crashed:\(.*\) (inputs.*/\1/p' "$LOGS/fuzz.log" | wc -w)
        if [ $rc -ne 0 ] && [ "$crashed" -eq 0 ]; then crashed=1; fi
        [ $rc -eq 0 ] || tail -n 40 "$LOGS/fuzz.log" >&2
        p=$((n - crashed))
        [ $p -ge 0 ] || p=0
        tier fuzz $p "$crashed"
fi

# 8. v2vm: each suite prints "N passed, N failed" last, or counts as one test
if want v2vm && [ "${BERTH_SKIP_V2VM:-0}" != 1 ]; then
        for suite in tests/v2vm/run.sh tests/v2vm/*/run.sh; do
                [ -x "$suite" ] || continue
                name=v2vm-$(basename "$(dirname "$suite")")
                [ "$suite" = tests/v2vm/run.sh ] && name=v2vm
                begin "$name"
                BUILD_DIR=$REPO/build timeout 900 "$suite" > "$LOGS/$name.log" 2>&1
                rc=$?
                counts=$(tail -n 1 "$LOGS/$name.log" |
                        sed -nE 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/p')
                [ $rc -eq 0 ] || tail -n 40 "$LOGS/$name.log" >&2
                if [ -n "$counts" ]; then
                        read -r p f s <<< "$counts"
                        [ $rc -eq 0 ] || [ "$f" -gt 0 ] || f=1
                        tier "$name" "$p" "$f" "${s:-0}"
                elif [ $rc -eq 0 ]; then
                        tier "$name" 1 0
                else
                        tier "$name" 0 1
                fi
        done
fi

echo "-- $(($(date +%s) - START)) s; logs in $LOGS${FAILURES[*]:+; failed tiers: ${FAILURES[*]}}"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
