#!/bin/sh
# Run berth's cgroup tests on real cgroup v2 (and on a hybrid v1 layout) inside throw-away
# QEMU guests (v2vm). Builds test-cgroup first. Exit status: 0 when every run passed.
# Usage: tests/v2vm/run.sh [v2|hybrid]...   (default: both)
# Environment: BUILD_DIR (default <repo>/build), V2VM (path to v2vm.sh), V2VM_OPTS.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$top/build}
v2vm=${V2VM:-/work/shared/tools/v2vm/v2vm.sh}
[ -x "$v2vm" ] || { echo "run.sh: v2vm.sh not found (set V2VM)" >&2; exit 2; }
[ -d "$build" ] || meson setup "$build" "$top"
ninja -C "$build" tests/unit/test-cgroup
modes=${*:-v2 hybrid}
rc=0
for mode in $modes; do
	start=$(date +%s.%N)
	# -D: a scratch virtio disk (/dev/vda) for io.max; -c 2: cpuset has two CPUs to choose from
	r=0
	# v2 without BFQ takes io.weight (runc's conversion), hybrid with it blkio.bfq.weight
	mods=; [ "$mode" = hybrid ] && mods="-m bfq"
	"$v2vm" -D 16 -c 2 -t 300 $mods $V2VM_OPTS "$here/cgroup" "$build/tests/unit/test-cgroup" -- "$mode" || r=$?
	echo "v2vm $mode: exit $r, $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
	[ $r = 0 ] || rc=$r
done
exit $rc
