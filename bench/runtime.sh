#!/usr/bin/env bash
# bench/runtime.sh: berth-runtime against crun and runc with hyperfine.
#
# Times `RUNTIME run` of /bin/true in the busybox bundle (tests/fixtures/make-bundle.sh), with
# and without a network namespace, back to back and with a quarter second idle before each
# run (--prepare 'sleep 0.25': on cgroup v1 the first cgroup.procs write after idle is slow).
# With --exec it times `RUNTIME exec ID /bin/true` in a running container instead.
#
# crun 1.8 refuses this host's hybrid cgroup layout, so everything runs in a private mount
# namespace (unshare -m) where /sys/fs/cgroup/unified/cgroup.controllers is hidden by an
# empty file bind-mounted over it. All three runtimes run in that same namespace; nothing on
# the host changes.
#
# Usage: bench/runtime.sh [--exec] [--runs N] [--warmup N] [--only netns|nonetns]
#                         [--only-mode b2b|idle]
# Environment: BERTH_RUNTIME (default build/src/cli/berth-runtime/berth-runtime), CRUN, RUNC.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH_RUNTIME:-$REPO/build/src/cli/berth-runtime/berth-runtime}
CRUN=${CRUN:-$(command -v crun || true)}
RUNC=${RUNC:-$(command -v runc || true)}
runs=100
warmup=5
mode=run
only_ns=
only_mode=

while [ $# -gt 0 ]; do
        case $1 in
        --exec) mode="exec" ;;
        --runs) runs=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --only) only_ns=$2; shift ;;
        --only-mode) only_mode=$2; shift ;;
        --inside) inside=1 ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "runtime.sh: unknown option $1" >&2; exit 2 ;;
        esac
        shift
done

# --- outside: re-exec in a private mount namespace with the cgroup2 controllers hidden
if [ -z "${inside:-}" ]; then
        for bin in "$BERTH" "$CRUN" "$RUNC"; do
                [ -x "$bin" ] || { echo "runtime.sh: $bin is missing (build berth; install crun, runc)" >&2; exit 1; }
        done
        command -v hyperfine > /dev/null || { echo "runtime.sh: install hyperfine" >&2; exit 1; }
        [ "$(id -u)" = 0 ] || { echo "runtime.sh: run as root" >&2; exit 1; }
        args=(--runs "$runs" --warmup "$warmup")
        [ "$mode" = exec ] && args+=(--exec)
        [ -n "$only_ns" ] && args+=(--only "$only_ns")
        [ -n "$only_mode" ] && args+=(--only-mode "$only_mode")
        exec unshare -m --propagation private "$0" --inside "${args[@]}"
fi

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
ids=()
cleanup() {
        local rt id
        for rt in "$BERTH" "$CRUN" "$RUNC"; do
                for id in "${ids[@]}"; do
                        "$rt" --root "$work/root-$(basename "$rt")" delete --force "$id" > /dev/null 2>&1 || true
                done
        done
        rm -rf "$work"
}
trap cleanup EXIT

controllers=/sys/fs/cgroup/unified/cgroup.controllers
if [ -e "$controllers" ]; then
        : > "$work/empty"
        mount --bind "$work/empty" "$controllers"
fi

# bundles: one per runtime and network mode (each with its own cgroupsPath)
make_bundle() { # DIR NETNS(0|1) CGPATH ARGS...
        local dir=$1 netns=$2 cg=$3
        shift 3
        if [ "$netns" = 1 ]; then
                "$REPO/tests/fixtures/make-bundle.sh" "$dir" -- "$@"
        else
                "$REPO/tests/fixtures/make-bundle.sh" "$dir" --no-netns -- "$@"
        fi
        jq --arg cg "$cg" '.linux.cgroupsPath = $cg' "$dir/config.json" > "$dir/c.json"
        mv "$dir/c.json" "$dir/config.json"
}

names=(berth-runtime crun runc)
bins=("$BERTH" "$CRUN" "$RUNC")
results=()

bench_one() { # LABEL NETNS PREPARE
        local label=$1 netns=$2 prepare=$3 cmds=() i name bin root bundle id
        for i in 0 1 2; do
                name=${names[$i]}
                bin=${bins[$i]}
                root=$work/root-$(basename "$bin")
                id=berth-bench-$name-$netns-$$
                bundle=$work/bundle-$name-$netns
                mkdir -p "$root"
                if [ "$mode" = run ]; then
                        [ -d "$bundle" ] || make_bundle "$bundle" "$netns" "/$id" /bin/true
                        cmds+=(-n "$name" "$bin --root $root run --bundle $bundle $id")
                else
                        if [ ! -d "$bundle" ]; then
                                make_bundle "$bundle" "$netns" "/$id" sleep 100000
                                ids+=("$id")
                                "$bin" --root "$root" run --detach --bundle "$bundle" "$id" \
                                        > /dev/null 2>&1 < /dev/null
                        fi
                        cmds+=(-n "$name" "$bin --root $root exec $id /bin/true")
                fi
        done
        local json=$work/$label.json
        local opts=(--runs "$runs" --warmup "$warmup" -N --export-json "$json" --style basic)
        [ -n "$prepare" ] && opts+=(--prepare "$prepare")
        echo "== $mode, $label" >&2
        hyperfine "${opts[@]}" "${cmds[@]}" > "$work/$label.out" 2>&1 || {
                cat "$work/$label.out" >&2
                return 1
        }
        results+=("$label $(jq -r '[.results[] | .median * 1000] | map(tostring) | join(" ")' "$json")")
}

for netns in 1 0; do
        ns_label=netns
        [ "$netns" = 0 ] && ns_label=nonetns
        [ -n "$only_ns" ] && [ "$only_ns" != "$ns_label" ] && continue
        [ -z "$only_mode" ] || [ "$only_mode" = b2b ] && bench_one "$ns_label,back-to-back" "$netns" ""
        [ -z "$only_mode" ] || [ "$only_mode" = idle ] && bench_one "$ns_label,idle-0.25s" "$netns" "sleep 0.25"
done

echo
echo "$mode of /bin/true: medians in ms over $runs runs ($(nproc) CPUs, $(uname -r))"
printf '%-24s %14s %8s %8s %11s %11s\n' mode berth-runtime crun runc berth/crun berth/runc
for r in "${results[@]}"; do
        read -r label b c u <<< "$r"
        awk -v l="$label" -v b="$b" -v c="$c" -v u="$u" \
                'BEGIN { printf "%-24s %14.2f %8.2f %8.2f %11.2f %11.2f\n", l, b, c, u, b / c, b / u }'
done
