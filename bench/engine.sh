#!/bin/bash
# berth run against podman and docker (Debian's, each with a private root, runc as runtime, no
# network): `run --rm busybox true` medians by hyperfine in one run, and N detached `sleep`
# containers: time to start them all and the memory per container of the monitor (berth-monitor
# against conmon and containerd-shim), as RSS.
#
#   bench/engine.sh [--runs N] [--detached N]
#
# Everything lives under a temp dir named berth-bench-engine.*, removed at exit; the peers'
# daemons are stopped by pid.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BERTH_BIN=${BERTH:-$here/build/src/cli/berth/berth}
RUNS=30
DETACHED=100
while [ $# -gt 0 ]; do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --detached) DETACHED=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--detached N]" >&2; exit 2 ;;
        esac
done
command -v hyperfine >/dev/null || { echo "bench/engine.sh: needs hyperfine" >&2; exit 1; }

work=$(mktemp -d /var/tmp/berth-bench-engine.XXXXXX)
DOCKERD_PID=
cleanup() {
        set +e
        "$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run" ps -aq 2>/dev/null |
                xargs -r "$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run" rm -f >/dev/null 2>&1
        [ -n "${P:-}" ] && "${P[@]}" rm -af -t 0 >/dev/null 2>&1
        if [ -n "$DOCKERD_PID" ]; then
                /usr/bin/docker rm -f $(/usr/bin/docker ps -aq) >/dev/null 2>&1
                kill "$DOCKERD_PID"
                for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
        fi
        { grep -o " $work[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$work"
}
trap cleanup EXIT

B=("$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run")
tar=$work/busybox.tar
"$here/tests/fixtures/image-busybox.sh" --tar "$tar"
"${B[@]}" import --change 'CMD ["sh"]' "$tar" busybox >/dev/null
cmds=("${B[*]} run --rm --network none busybox true")
names=(berth)

if command -v podman >/dev/null; then
        mkdir -p "$work/ptmp"
        printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/containers.conf"
        export CONTAINERS_CONF=$work/containers.conf
        P=(podman --root "$work/proot" --runroot "$work/prun" --tmpdir "$work/ptmp" --storage-driver overlay)
        "${P[@]}" import --change 'CMD ["sh"]' "$tar" docker.io/library/busybox:latest >/dev/null
        cmds+=("${P[*]} run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 busybox true")
        names+=(podman)
fi
if command -v dockerd >/dev/null; then
        D=$work/dockerd
        mkdir -p "$D"
        dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$D/sock" \
                --bridge none --iptables=false --ip6tables=false >"$D/log" 2>&1 &
        DOCKERD_PID=$!
        export DOCKER_HOST=unix://$D/sock
        for _ in $(seq 100); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.1; done
        /usr/bin/docker import --change 'CMD ["sh"]' "$tar" busybox:latest >/dev/null
        cmds+=("/usr/bin/docker run --rm --network none busybox true")
        names+=(docker)
fi

for i in "${!cmds[@]}"; do
        ${cmds[$i]} >/dev/null || { echo "bench/engine.sh: ${names[$i]} cannot run busybox" >&2; exit 1; }
done
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N -w 3 -r "$RUNS" --export-json "$work/run.json" "${args[@]}" >&2
echo "run --rm busybox true (median ms, ratio to berth):"
jq -r '.results[0].median as $b | .results[] |
        "  \(.command | .[0:8])  \(.median * 1000 | . * 10 | round / 10) ms  x\(.median / $b | . * 100 | round / 100)"' "$work/run.json"

# N detached sleeps: start time, and the RSS of the per-container process.
rss_of() { # pattern -> average RSS in KiB of matching processes
        ps -eo rss=,args= | awk -v p="$1" '$0 ~ p && !/awk/ { s += $1; n++ } END { if (n) printf "%d KiB x %d", s / n, n; else print "none" }'
}
echo "$DETACHED detached sleeps:"
start=$(date +%s%N)
for _ in $(seq "$DETACHED"); do "${B[@]}" run -d busybox sleep 1000 >/dev/null; done
echo "  berth   $(( ($(date +%s%N) - start) / 1000000 )) ms to start, berth-monitor RSS $(rss_of "berth-monitor --root $work")"
"${B[@]}" ps -aq | xargs -r "${B[@]}" rm -f >/dev/null
if [ -n "${P:-}" ]; then
        start=$(date +%s%N)
        for _ in $(seq "$DETACHED"); do
                "${P[@]}" run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 busybox sleep 1000 >/dev/null
        done
        echo "  podman  $(( ($(date +%s%N) - start) / 1000000 )) ms to start, conmon RSS $(rss_of "conmon .*$work/prun")"
        "${P[@]}" rm -af -t 0 >/dev/null
fi
if [ -n "$DOCKERD_PID" ]; then
        start=$(date +%s%N)
        for _ in $(seq "$DETACHED"); do /usr/bin/docker run -d --network none busybox sleep 1000 >/dev/null; done
        echo "  docker  $(( ($(date +%s%N) - start) / 1000000 )) ms to start, containerd-shim RSS $(rss_of "containerd-shim")"
        /usr/bin/docker rm -f $(/usr/bin/docker ps -aq) >/dev/null
fi
