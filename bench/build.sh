#!/bin/bash
# berth build against podman build (Debian's podman, i.e. buildah; private root, runc, cgroupfs,
# host network for RUN in both, so that the builders are compared and not the network setup;
# berth's default bridge is measured as a third command): the same Dockerfile (a few RUN and COPY steps on the
# busybox image), cold (--no-cache) and fully cached, hyperfine medians and ratios in one run.
#
#   bench/build.sh [--runs N]
#
# Everything lives under a temp dir named berth-bench-build.*, removed at exit.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BERTH_BIN=${BERTH:-$here/build/src/cli/berth/berth}
RUNS=10
while [ $# -gt 0 ]; do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
        esac
done
command -v hyperfine >/dev/null || { echo "bench/build.sh: needs hyperfine" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench/build.sh: needs jq" >&2; exit 1; }

work=$(mktemp -d /var/tmp/berth-bench-build.XXXXXX)
cleanup() {
        set +e
        "$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run" ps -aq 2>/dev/null |
                xargs -r "$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run" rm -f >/dev/null 2>&1
        [ -n "${P:-}" ] && "${P[@]}" rm -af -t 0 >/dev/null 2>&1
        { grep -o " $work[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$work"
}
trap cleanup EXIT

ctx=$work/ctx
mkdir -p "$ctx/src"
for i in $(seq 50); do head -c 4096 /dev/urandom | base64 > "$ctx/src/file$i.txt"; done
echo 'echo app' > "$ctx/app.sh"
cat > "$ctx/Dockerfile" <<'EOF2'
FROM busybox
ENV APP=/app
WORKDIR /app
RUN mkdir -p /app/bin /var/data && echo built > /var/data/stamp
COPY src/ /app/src/
COPY app.sh /app/bin/
RUN chmod +x /app/bin/app.sh && ls /app/src | wc -l > /app/count
RUN for i in 1 2 3 4 5; do echo line $i >> /app/log; done
CMD ["/app/bin/app.sh"]
EOF2

B=("$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run")
tar=$work/busybox.tar
"$here/tests/fixtures/image-busybox.sh" --tar "$tar"
"${B[@]}" import --change 'CMD ["sh"]' "$tar" busybox >/dev/null
cold=(-n berth "${B[*]} build -q --network host --no-cache -t bench $ctx")
cached=(-n berth "${B[*]} build -q --network host -t bench $ctx")

if command -v podman >/dev/null; then
        mkdir -p "$work/ptmp"
        printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/containers.conf"
        export CONTAINERS_CONF=$work/containers.conf
        P=(podman --root "$work/proot" --runroot "$work/prun" --tmpdir "$work/ptmp" --storage-driver overlay)
        "${P[@]}" import --change 'CMD ["sh"]' "$tar" docker.io/library/busybox:latest >/dev/null
        pb="${P[*]} build -q --network host --pull=never --ulimit nofile=1024:1024 --ulimit nproc=4096:4096"
        cold+=(-n podman "$pb --no-cache -t bench $ctx")
        cached+=(-n podman "$pb -t bench $ctx")
fi

cold+=(-n berth-bridge "${B[*]} build -q --no-cache -t bench $ctx")

report() { # title json
        echo "$1 (median ms, ratio to berth):"
        jq -r '.results[0].median as $b | .results[] |
                "  \(.command | .[0:8])  \(.median * 1000 | . * 10 | round / 10) ms  x\(.median / $b | . * 100 | round / 100)"' "$2"
}
hyperfine -N -w 1 -r "$RUNS" --export-json "$work/cold.json" "${cold[@]}" >&2
hyperfine -N -w 2 -r "$RUNS" --export-json "$work/cached.json" "${cached[@]}" >&2
report "cold build (--no-cache)" "$work/cold.json"
report "fully cached build" "$work/cached.json"
