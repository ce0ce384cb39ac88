#!/bin/sh
# Run berth's cgroup tests on real cgroup v2, and on a hybrid v1 layout like the development
# host's, inside throw-away QEMU guests (v2vm); both guests boot in parallel. Builds
# test-cgroup first. Exit status: 0 when every run passed, else the first failing run's.
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
logs=$(mktemp -d /tmp/berth-v2vm.XXXXXX)
trap 'rm -rf "$logs"' EXIT
modes=${*:-v2 hybrid}
# the first v2vm run downloads the kernel: do not race two of them at it
cached=
[ -d "${VMTEST_DIR:-/tmp/vmtest}/kernel-cloud" ] && cached=1
start=$(date +%s.%N)
for mode in $modes; do
	# -D: a scratch virtio disk (/dev/vda) for io.max; -c 2: cpuset has two CPUs to choose from.
	# v2 runs without BFQ (io.weight, runc's conversion), hybrid with it (blkio.bfq.weight).
	mods=
	[ "$mode" = hybrid ] && mods="-m bfq"
	( r=0; "$v2vm" -D 16 -c 2 -t 300 $mods $V2VM_OPTS "$here/cgroup" "$build/tests/unit/test-cgroup" \
		-- "$mode" >"$logs/$mode.log" 2>&1 || r=$?; echo $r >"$logs/$mode.rc" ) &
	[ -n "$cached" ] || wait
done
wait
rc=0
for mode in $modes; do
	echo "==== $mode"
	cat "$logs/$mode.log"
	r=$(cat "$logs/$mode.rc")
	echo "==== $mode: exit $r"
	[ "$rc" != 0 ] || rc=$r
done
echo "v2vm runs took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
exit $rc
