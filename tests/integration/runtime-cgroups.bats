#!/usr/bin/env bats
# cgroups on this host (v1, hybrid): the files under /sys/fs/cgroup/<controller>/<cgroupsPath>
# hold the configured values, the container's processes are in them, an OOM kill under a
# small memory limit, and nothing remains after delete. (cgroup v2 is tested in
# tests/v2vm/runtime.)

load helpers

setup() {
        berth_setup
        [ -d "$CGROUP_ROOT/memory" ] || skip "not a cgroup v1 host (see tests/v2vm/runtime)"
}
teardown() { berth_teardown; }

# value of cgroup file $2 of controller $1 for the container
cgv() {
        cat "$(cg_dir "$1")/$2"
}

@test "resources land in the v1 cgroup files" {
        make_bundle -- sleep 1000
        cfg '.linux.resources += {
                "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728, "swappiness": 10},
                "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
                "pids": {"limit": 42}}'
        create_ctr
        rt start "$ID"
        pid=$(ctr_pid)
        [ "$(cgv memory memory.limit_in_bytes)" = 67108864 ]
        [ "$(cgv memory memory.soft_limit_in_bytes)" = 33554432 ]
        [ "$(cgv memory memory.swappiness)" = 10 ]
        if [ -e "$(cg_dir memory)/memory.memsw.limit_in_bytes" ]; then
                [ "$(cgv memory memory.memsw.limit_in_bytes)" = 134217728 ]
        fi
        [ "$(cgv cpu cpu.shares)" = 512 ]
        [ "$(cgv cpu cpu.cfs_quota_us)" = 50000 ]
        [ "$(cgv cpu cpu.cfs_period_us)" = 100000 ]
        [ "$(cgv cpuset cpuset.cpus)" = 0 ]
        [ "$(cgv cpuset cpuset.mems)" = 0 ]
        [ "$(cgv pids pids.max)" = 42 ]
        for c in memory cpu cpuset pids devices freezer; do
                grep -qx "$pid" "$(cg_dir $c)/cgroup.procs" || fail "$pid not in $(cg_dir $c)"
        done
}

@test "the container is in its own pids cgroup" {
        make_bundle -- sh -c 'cat /proc/self/cgroup'
        cfg '.linux.resources.pids = {"limit": 17}'
        run_ctr
        [ "$status" -eq 0 ]
        echo "$output" | grep -Eq "^[0-9]+:pids:/$ID\$"
}

@test "pids.max stops a fork bomb" {
        make_bundle -- sh -c 'for i in $(seq 20); do sleep 5 & done; wait; echo berth-done'
        cfg '.linux.resources.pids = {"limit": 8}'
        run_ctr
        [[ "$output" == *"Resource temporarily unavailable"* || "$output" == *"can't fork"* ]]
}

@test "blockIO throttle" {
        dev=$(lsblk -dno MAJ:MIN "$(findmnt -no SOURCE / 2>/dev/null)" 2>/dev/null | tr -d ' ' || true)
        [ -e "$CGROUP_ROOT/blkio/blkio.throttle.read_bps_device" ] || skip "no blkio throttle"
        [ -n "$dev" ] || dev=$(awk '$1 !~ /^(7|1)$/ { print $1 ":" $2; exit }' /proc/partitions | tail -n 1)
        [ -n "$dev" ] || skip "no block device"
        major=${dev%:*}
        minor=${dev#*:}
        make_bundle -- sleep 1000
        cfg --argjson ma "$major" --argjson mi "$minor" '.linux.resources.blockIO = {
                "throttleReadBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
                "throttleWriteIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 100}]}'
        create_ctr
        grep -qx "$major:$minor 1048576" "$(cg_dir blkio)/blkio.throttle.read_bps_device"
        grep -qx "$major:$minor 100" "$(cg_dir blkio)/blkio.throttle.write_iops_device"
}

@test "an OOM kill under a small memory limit exits 137" {
        make_bundle -- tail /dev/zero
        cfg '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
        run_ctr
        [ "$status" -eq 137 ]
        assert_no_leftovers
}

@test "a relative cgroupsPath is placed by the runtime and removed by delete" {
        # the spec lets the runtime choose where a relative path goes (runc: below its own
        # cgroup; crun and berth: below a cgroup of their own); the leaf is the path given
        make_bundle -- sleep 1000
        rel=berth-rel-$ID
        cfg --arg p "$rel" '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 33}'
        create_ctr
        pid=$(ctr_pid)
        cg=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
        [[ "$cg" == */"$rel" ]] || fail "pids cgroup $cg does not end in /$rel"
        dir=$CGROUP_ROOT/pids$cg
        EXTRA_CGROUPS+=("$dir")
        [ "$(cat "$dir/pids.max")" = 33 ]
        grep -qx "$pid" "$dir/cgroup.procs"
        rt delete --force "$ID"
        wait_for test ! -d "$dir"
}

# the hierarchies (v1 controllers and the cgroup2 side mount) where directory $1 exists
cg_where() {
        local d
        for d in "$CGROUP_ROOT"/*/; do
                [ -d "$d${1#/}" ] && echo "${d%/}"
        done
        return 0
}

@test "a nested cgroupsPath: delete removes the parents the runtime made" {
        [[ "$(basename "$RUNTIME")" == runc ]] && skip "runc 1.1 leaves the parents it made"
        make_bundle -- sleep 1000
        top=/berth-nest-$ID
        cfg --arg p "$top/berth-mid-$ID/$ID" '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 21}'
        create_ctr
        pid=$(ctr_pid)
        [ "$(cat "$CGROUP_ROOT/pids$top/berth-mid-$ID/$ID/pids.max")" = 21 ]
        grep -qx "$pid" "$CGROUP_ROOT/memory$top/berth-mid-$ID/$ID/cgroup.procs"
        [ "$(cg_where "$top" | wc -l)" -ge 6 ]
        rt delete --force "$ID"
        left=$(berth_cgroups_of "$ID")
        [ -z "$left" ] || fail "cgroups remain after delete: $left"
}

@test "a parent the runtime did not make stays after delete" {
        [[ "$(basename "$RUNTIME")" == runc ]] && skip "runc 1.1 leaves the parents it made"
        make_bundle -- sleep 1000
        top=/berth-pre-$ID
        mkdir "$CGROUP_ROOT/pids$top"
        EXTRA_CGROUPS+=("$CGROUP_ROOT/pids$top")
        cfg --arg p "$top/$ID" '.linux.cgroupsPath = $p'
        create_ctr
        [ -d "$CGROUP_ROOT/pids$top/$ID" ]
        [ -d "$CGROUP_ROOT/memory$top/$ID" ]
        rt delete --force "$ID"
        # ours (pids) stays, empty; the ones the runtime made in every other hierarchy are gone
        [ "$(cg_where "$top")" = "$CGROUP_ROOT/pids" ]
        [ ! -d "$CGROUP_ROOT/pids$top/$ID" ]
}

@test "a parent the runtime made stays while another container's cgroup is in it" {
        [[ "$(basename "$RUNTIME")" == runc ]] && skip "runc 1.1 leaves the parents it made"
        make_bundle -- sleep 1000
        top=/berth-shared-$ID
        cfg --arg p "$top/$ID" '.linux.cgroupsPath = $p'
        create_ctr
        two=$ID-two
        cfg --arg p "$top/$two" '.linux.cgroupsPath = $p'
        rt create --bundle "$BUNDLE" "$two" > /dev/null 2>&1 < /dev/null
        pid2=$(ctr_pid "$two")
        # the one that made the parent goes first: the parent holds the other's cgroup, stays
        rt delete --force "$ID"
        [ ! -d "$CGROUP_ROOT/memory$top/$ID" ]
        grep -qx "$pid2" "$CGROUP_ROOT/memory$top/$two/cgroup.procs"
        [ "$(ctr_status "$two")" = created ]
        # the second did not make it: it is not the second's to remove
        rt delete --force "$two"
        [ ! -d "$CGROUP_ROOT/memory$top/$two" ]
        [ -d "$CGROUP_ROOT/memory$top" ]
}

@test "delete removes the cgroups of every controller" {
        make_bundle -- sleep 1000
        cfg '.linux.resources.memory = {"limit": 67108864}'
        create_ctr
        rt start "$ID"
        [ -d "$(cg_dir memory)" ]
        [ -d "$(cg_dir pids)" ]
        rt kill "$ID" KILL
        wait_for status_is stopped
        rt delete "$ID"
        assert_no_leftovers
}

@test "a bad resource value fails cleanly" {
        make_bundle -- true
        cfg '.linux.resources.cpu = {"cpus": "berth-not-a-cpu-list"}'
        run_ctr
        [ "$status" -ne 0 ]
        assert_no_leftovers
}

@test "disableOOMKiller" {
        make_bundle -- sleep 1000
        cfg '.linux.resources.memory = {"limit": 67108864, "disableOOMKiller": true}'
        create_ctr
        grep -qx 'oom_kill_disable 1' "$(cg_dir memory)/memory.oom_control"
}

@test "hugepageLimits go where the host offers hugetlb (the cgroup2 mount on a hybrid host)" {
        [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
        [[ "$(basename "$RUNTIME")" == runc ]] && [ ! -d "$CGROUP_ROOT/hugetlb" ] &&
                skip "runc 1.1 cannot use hugetlb from the cgroup2 mount of a hybrid host"
        if [ -d "$CGROUP_ROOT/hugetlb" ]; then
                file=$CGROUP_ROOT/hugetlb/$ID/hugetlb.2MB.limit_in_bytes
        elif grep -qw hugetlb "$CGROUP_ROOT/unified/cgroup.controllers" 2>/dev/null; then
                file=$CGROUP_ROOT/unified/$ID/hugetlb.2MB.max
        else
                skip "no hugetlb controller"
        fi
        make_bundle -- sleep 1000
        cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
        create_ctr
        [ "$(cat "$file")" = 4194304 ]
        grep -qx "$(ctr_pid)" "$(dirname "$file")/cgroup.procs"
        rt delete --force "$ID"
        assert_no_leftovers
}
