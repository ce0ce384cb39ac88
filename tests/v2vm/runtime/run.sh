#!/usr/bin/env bash
# Run berth-runtime's cgroup v2 tests in a v2vm guest (pure cgroup v2, every controller).
# Usage: tests/v2vm/runtime/run.sh      (RUNTIME=/usr/bin/runc to check the test itself)
# Environment: BUILD_DIR (default <repo>/build), RUNTIME, V2VM (path to v2vm.sh), V2VM_OPTS.
# Prints the guest's output, "N passed, N failed" last; exits non-zero on a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${BUILD_DIR:-$top/build}
runtime=${RUNTIME:-$build/src/cli/berth-runtime/berth-runtime}
v2vm=${V2VM:-$top/../shared/tools/v2vm/v2vm.sh}
[ -x "$v2vm" ] || v2vm=/work/shared/tools/v2vm/v2vm.sh
[ -x "$v2vm" ] || { echo "run.sh: v2vm.sh not found (set V2VM)" >&2; exit 2; }
[ -x "$runtime" ] || { echo "run.sh: $runtime not built" >&2; exit 2; }

work=$(mktemp -d /tmp/berth-v2vm-runtime.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$runtime" "$work/runtime"

# one rootfs, one config per case
b=$work/v2-bundles
"$top/tests/fixtures/make-bundle.sh" "$b" --no-netns -- true
rm "$b/config.json"
base=$(jq '.root.path = "/test/v2-bundles/rootfs" | .mounts |= map(select(.type != "cgroup"))' \
        "$top/tests/fixtures/config-template.json")
conf() { # CASE JQ-FILTER ARGS...
        local name=$1 filter=$2
        shift 2
        jq --arg cg "/berth-v2-$name" --argjson args "$(jq -cn '$ARGS.positional' --args -- "$@")" \
                ".process.args = \$args | .linux.cgroupsPath = \$cg | .linux.namespaces |= map(select(.type != \"network\")) | $filter" \
                <<< "$base" > "$b/$name.json"
}
conf limits '.linux.resources += {
        "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "1"},
        "pids": {"limit": 42},
        "blockIO": {"throttleReadBpsDevice": [{"major": 9991, "minor": 9992, "rate": 1048576}],
                    "throttleWriteIOPSDevice": [{"major": 9991, "minor": 9992, "rate": 100}]},
        "unified": {"memory.high": "50003968"}}' sleep 1000
conf oom '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}' tail /dev/zero
conf pids '.linux.resources.pids = {"limit": 8}' sh -c 'for i in $(seq 20); do sleep 5 & done; wait'
conf freeze '.' sleep 1000
# nested and relative cgroupsPaths: the parents the runtime makes go again on delete
conf nest '.linux.cgroupsPath = "/berth-v2-nest/mid/leaf" | .linux.resources.pids = {"limit": 19}' sleep 1000
conf rel '.linux.cgroupsPath = "berth-v2-rel" | .linux.resources.pids = {"limit": 18}' sleep 1000
# the scratch disk bind-mounted in: denied unless a rule allows it; read-only allowed
devs='.mounts += [{"destination": "/berth-vda", "type": "bind", "source": "/dev/vda", "options": ["bind"]}]'
devtest='head -c 1 /berth-vda > /dev/null && echo read-ok; echo x > /berth-vda && echo write-ok; echo x > /dev/null && echo null-ok'
# shapes the verifier must accept: allow-all last (nothing after it is reachable), many rules
conf devices-allowall "$devs | .linux.resources.devices = [{\"allow\": true, \"access\": \"rwm\"}]" sh -c "$devtest"
conf devices-many "$devs | .linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"}]
        + [range(200; 260) | {\"allow\": true, \"type\": \"c\", \"major\": ., \"access\": \"rw\"}]
        + [{\"allow\": true, \"type\": \"b\", \"major\": 9991, \"access\": \"rw\"},
           {\"allow\": false, \"type\": \"b\", \"major\": 9991, \"minor\": 9992, \"access\": \"w\"}]" sh -c "$devtest"
conf apparmor-unconfined '.process.apparmorProfile = "unconfined"' cat /proc/self/attr/current
conf apparmor-missing '.process.apparmorProfile = "berth-no-such-profile"' true
conf devices-deny "$devs | .linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"}]" sh -c "$devtest"
conf devices-allow "$devs | .linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"},
        {\"allow\": true, \"type\": \"b\", \"major\": 9991, \"minor\": 9992, \"access\": \"r\"}]" sh -c "$devtest"

rc=0
# shellcheck disable=SC2086 # V2VM_OPTS are words
"$v2vm" -c 2 -D 16 -M 768 -t 300 ${V2VM_OPTS:-} "$here" "$work/runtime" "$b" > "$work/out" 2>&1 || rc=$?
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$work/out" || true
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/out" | tail -n 1)
if [ -z "$summary" ]; then
        echo "run.sh: the guest reported no result (exit $rc)" >&2
        summary="0 passed, 1 failed"
        [ $rc -ne 0 ] || rc=1
fi
echo "$summary"
exit $rc
