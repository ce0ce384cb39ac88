#!/bin/sh
# berth's cgroup drivers in the v2vm guest (busybox sh, root): the unit test binary
# test-cgroup, copied here by ../run.sh, runs against the guest's real hierarchies.
#   test.sh v2      pure cgroup v2 as the guest boots (the v2 driver)
#   test.sh hybrid  the layout of berth's development host: v1 hierarchies under a tmpfs at
#                   /sys/fs/cgroup and a cgroup2 mount at /sys/fs/cgroup/unified that is
#                   left only hugetlb (the v1 driver, hugetlb through the cgroup2 mount)
# The io tests read /dev/vda (v2vm -D) under an io.max / blkio throttle.
mode=${1:-v2}
echo "kernel $(uname -r), mode $mode"
if [ "$mode" = hybrid ]; then
	mount -t tmpfs -o mode=755 berth-hybrid /sys/fs/cgroup || exit 1
	for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
		mkdir /sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c || exit 1
	done
	mkdir /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd || exit 1
	mkdir /sys/fs/cgroup/unified && mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified || exit 1
	echo "unified offers: $(cat /sys/fs/cgroup/unified/cgroup.controllers)"
else
	echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
fi
./test-cgroup
rc=$?
# nothing of the test may be left behind
left=$(find /sys/fs/cgroup -maxdepth 2 -name 'berth-test-*' 2>/dev/null)
if [ -n "$left" ]; then
	echo "FAIL: left behind: $left"
	rc=1
fi
exit $rc
