#!/bin/bash
# What bridge networking costs: `run --rm busybox true` with the default bridge against
# `--network none`, for berth, podman (CNI bridge) and docker (its bridge, --iptables=false so
# that the host's firewall is left alone), hyperfine medians in one run; and TCP throughput
# from the host to a container through a published port on 127.0.0.1 (berth: nftables DNAT;
# docker: its userland proxy, as it runs without iptables).
#
#   bench/network.sh [--runs N] [--megabytes N]
#
# Everything lives under a temp dir named berth-bench-network.*, removed at exit.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BERTH_BIN=${BERTH:-$here/build/src/cli/berth/berth}
RUNS=20
MB=2000
while [ $# -gt 0 ]; do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --megabytes) MB=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--megabytes N]" >&2; exit 2 ;;
        esac
done
command -v hyperfine >/dev/null || { echo "bench/network.sh: needs hyperfine" >&2; exit 1; }

work=$(mktemp -d /var/tmp/berth-bench-network.XXXXXX)
DOCKERD_PID= DOCKER0_OURS=
B=("$BERTH_BIN" --root "$work/berth" --runroot "$work/berth-run")
cleanup() {
        set +e
        "${B[@]}" system reset -f >/dev/null 2>&1
        [ -n "${P:-}" ] && { "${P[@]}" rm -af -t 0; "${P[@]}" system reset -f; } >/dev/null 2>&1
        if [ -n "$DOCKERD_PID" ]; then
                /usr/bin/docker rm -f $(/usr/bin/docker ps -aq) >/dev/null 2>&1
                kill "$DOCKERD_PID"
                for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
                [ -n "$DOCKER0_OURS" ] && ip link del docker0 2>/dev/null
        fi
        { grep -o " $work[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$work"
}
trap cleanup EXIT

tar=$work/busybox.tar
"$here/tests/fixtures/image-busybox.sh" --tar "$tar"
"${B[@]}" import --change 'CMD ["sh"]' "$tar" busybox >/dev/null
names=(berth-none berth-bridge)
cmds=("${B[*]} run --rm --network none busybox true" "${B[*]} run --rm busybox true")

if command -v podman >/dev/null; then
        mkdir -p "$work/ptmp"
        printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/containers.conf"
        export CONTAINERS_CONF=$work/containers.conf
        P=(podman --root "$work/proot" --runroot "$work/prun" --tmpdir "$work/ptmp" --storage-driver overlay)
        "${P[@]}" import --change 'CMD ["sh"]' "$tar" docker.io/library/busybox:latest >/dev/null
        base="${P[*]} run --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096"
        names+=(podman-none podman-bridge)
        cmds+=("$base --network none busybox true" "$base busybox true")
fi
if command -v dockerd >/dev/null; then
        D=$work/dockerd
        mkdir -p "$D"
        ip link show docker0 >/dev/null 2>&1 || DOCKER0_OURS=1
        dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$D/sock" \
                --iptables=false --ip6tables=false >"$D/log" 2>&1 &
        DOCKERD_PID=$!
        export DOCKER_HOST=unix://$D/sock
        for _ in $(seq 100); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.1; done
        /usr/bin/docker import --change 'CMD ["sh"]' "$tar" busybox:latest >/dev/null
        names+=(docker-none docker-bridge)
        cmds+=("/usr/bin/docker run --rm --network none busybox true" "/usr/bin/docker run --rm busybox true")
fi

for i in "${!cmds[@]}"; do
        ${cmds[$i]} >/dev/null || { echo "bench/network.sh: ${names[$i]} cannot run busybox" >&2; exit 1; }
done
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N -w 3 -r "$RUNS" --export-json "$work/run.json" "${args[@]}" >&2
echo "run --rm busybox true (median ms; bridge minus none = what networking adds):"
jq -r '[.results[] | {key: .command, value: (.median * 1000)}] | from_entries as $m
        | $m | to_entries | .[] | "  \(.key)  \(.value | . * 10 | round / 10) ms"' "$work/run.json"
jq -r '[.results[] | {key: .command, value: (.median * 1000)}] | from_entries as $m
        | ["berth", "podman", "docker"][] as $e
        | select($m[$e + "-bridge"] != null)
        | "  \($e) networking adds \($m[$e + "-bridge"] - $m[$e + "-none"] | . * 10 | round / 10) ms"' "$work/run.json"

# TCP throughput through a published port: MB megabytes from the host into the container.
throughput() { # NAME PORT
        local t0 t1
        t0=$(date +%s.%N)
        head -c "$((MB * 1024 * 1024))" /dev/zero >"/dev/tcp/127.0.0.1/$2"
        t1=$(date +%s.%N)
        echo "  $1: $(echo "$MB / ($t1 - $t0)" | bc -l | xargs printf '%.0f') MB/s"
}
echo "TCP through a published port on 127.0.0.1 ($MB MB host -> container):"
"${B[@]}" run -d --name sink -p 127.0.0.1:15001:5001 busybox sh -c 'nc -l -p 5001 > /dev/null' >/dev/null
sleep 0.5
throughput berth 15001
if [ -n "$DOCKERD_PID" ]; then
        /usr/bin/docker run -d --name sink -p 127.0.0.1:15002:5001 busybox sh -c 'nc -l -p 5001 > /dev/null' >/dev/null
        sleep 0.5
        throughput docker 15002
fi
