#!/usr/bin/env bash
# demo.sh: run one container with the freshly built berth-runtime: a busybox bundle made from
# the host's busybox-static, with its own PID, mount, network, UTS and IPC namespaces.
# Everything it makes (bundle, state dir, cgroup) is removed afterwards.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNTIME=${RUNTIME:-$REPO/build/src/cli/berth-runtime/berth-runtime}

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
id=berth-demo-$$
trap '"$RUNTIME" --root "$tmp/state" delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

"$REPO/tests/fixtures/make-bundle.sh" "$tmp/bundle" -- sh -c '
        echo "Hello from a berth container."
        echo "hostname: $(hostname)   uname: $(uname -srm)"
        echo "processes (the shell is PID 1):"
        ps -o pid,user,comm
        echo "network interfaces: $(ls /sys/class/net | tr "\n" " ")"'
jq --arg cg "/$id" '.hostname = "berth-demo" | .linux.cgroupsPath = $cg' "$tmp/bundle/config.json" \
        > "$tmp/config.json" && mv "$tmp/config.json" "$tmp/bundle/config.json"

echo "+ berth-runtime run --bundle $tmp/bundle $id"
"$RUNTIME" --root "$tmp/state" run --bundle "$tmp/bundle" "$id"
