#!/usr/bin/env bash
# demo.sh: the offline default image and one container, with the freshly built berth.
# Makes the image "busybox" from the host's busybox-static when the store (/var/lib/berth, or
# BERTH_ROOT) does not have it, then runs a container from it with `berth run --rm`: its own
# PID, mount, network, UTS and IPC namespaces, removed when it exits.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$REPO/build/src/cli/berth/berth}
flags=()
[ -n "${BERTH_ROOT:-}" ] && flags+=(--root "$BERTH_ROOT")
[ -n "${BERTH_RUNROOT:-}" ] && flags+=(--runroot "$BERTH_RUNROOT")

BERTH=$BERTH "$REPO/tests/fixtures/image-busybox.sh" "${flags[@]}"

echo "+ berth run --rm --hostname berth-demo busybox sh -c '...'"
"$BERTH" "${flags[@]}" run --rm --hostname berth-demo busybox sh -c '
        echo "Hello from a berth container."
        echo "hostname: $(hostname)   uname: $(uname -srm)"
        echo "processes (the shell is PID 1):"
        ps -o pid,user,comm
        echo "network interfaces: $(ls /sys/class/net | tr "\n" " ")"'
