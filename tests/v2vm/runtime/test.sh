#!/bin/sh
# berth-runtime on a pure cgroup v2 host, inside the v2vm guest (busybox sh, root).
# ../runtime/run.sh copies in the runtime binary (as /test/runtime) and v2-bundles/: a busybox
# rootfs and one config.json per case (root.path absolute, cgroupsPath /berth-v2-<case>).
# Prints "ok"/"not ok" per check and "N passed, N failed" last; exits non-zero on a failure.
cd /test || exit 1
RT=/test/runtime
ROOT=/run/berth-v2-root
CG=/sys/fs/cgroup
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
# check DESC CMD...: ok when CMD succeeds
check() {
        _desc=$1
        shift
        if "$@"; then ok "$_desc"; else nok "$_desc"; fi
}
# eq DESC GOT WANT
eq() {
        if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: got '$2', want '$3'"; fi
}

rt() { "$RT" --root "$ROOT" "$@"; }

# bundle CASE: /tmp/b-CASE/config.json from v2-bundles/CASE.json, with the scratch disk's
# major:minor in place of 9991:9992
bundle() {
        mkdir -p "/tmp/b-$1"
        sed -e "s/9991/$vda_major/g" -e "s/9992/$vda_minor/g" "v2-bundles/$1.json" > "/tmp/b-$1/config.json"
        echo "/tmp/b-$1"
}

state_field() { rt state "$1" 2>/dev/null | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }

wait_status() { # ID STATUS
        i=0
        while [ $i -lt 100 ]; do
                [ "$(state_field "$1" status)" = "$2" ] && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}

mkdir -p "$ROOT"
echo "kernel $(uname -r); controllers: $(cat $CG/cgroup.controllers)"
vda_major=0
vda_minor=0
if [ -e /sys/block/vda/dev ]; then
        vda_major=$(cut -d: -f1 /sys/block/vda/dev)
        vda_minor=$(cut -d: -f2 /sys/block/vda/dev)
fi
"$RT" --version | head -n 1

# --- limits land in the v2 files
b=$(bundle limits)
if rt create --bundle "$b" berth-v2-limits > /tmp/limits.out 2>&1 < /dev/null; then
        ok "create with resources"
        d=$CG/berth-v2-limits
        pid=$(state_field berth-v2-limits pid)
        check "the init is in $d" grep -qx "$pid" "$d/cgroup.procs"
        eq "memory.max" "$(cat $d/memory.max)" 67108864
        eq "memory.low (reservation)" "$(cat $d/memory.low)" 33554432
        eq "memory.swap.max (swap - limit)" "$(cat $d/memory.swap.max)" 67108864
        eq "memory.high (unified)" "$(cat $d/memory.high)" 50003968
        eq "pids.max" "$(cat $d/pids.max)" 42
        eq "cpu.max" "$(cat $d/cpu.max)" "50000 100000"
        eq "cpu.weight (from shares 512)" "$(cat $d/cpu.weight)" 20
        eq "cpuset.cpus" "$(cat $d/cpuset.cpus)" 1
        if [ "$vda_major" != 0 ]; then
                eq "io.max" "$(grep "^$vda_major:$vda_minor " $d/io.max)" \
                        "$vda_major:$vda_minor rbps=1048576 wbps=max riops=max wiops=100"
        fi
        rt delete --force berth-v2-limits
        check "delete removes $d" test ! -e "$d"
else
        nok "create with resources: $(cat /tmp/limits.out)"
fi

# --- OOM kill under memory.max, seen in memory.events
b=$(bundle oom)
if rt create --bundle "$b" berth-v2-oom > /tmp/oom.out 2>&1 < /dev/null && rt start berth-v2-oom; then
        check "the OOM-killed container stops" wait_status berth-v2-oom stopped
        n=$(sed -n 's/^oom_kill //p' $CG/berth-v2-oom/memory.events)
        check "memory.events oom_kill >= 1 (got $n)" test "${n:-0}" -ge 1
        rt delete berth-v2-oom
else
        nok "create the oom container: $(cat /tmp/oom.out)"
fi
b=$(bundle oom)
rt run --bundle "$b" berth-v2-oom-run > /dev/null 2>&1 < /dev/null
eq "run under OOM exits 137" "$?" 137

# --- pids.max stops a fork bomb
b=$(bundle pids)
out=$(rt run --bundle "$b" berth-v2-pids 2>&1 < /dev/null)
case $out in
*"can't fork"* | *"Resource temporarily unavailable"*) ok "pids.max refuses the 9th process" ;;
*) nok "pids.max refuses the 9th process: $out" ;;
esac

# --- nested and relative cgroupsPaths: delete removes the parents the runtime made
b=$(bundle nest)
if rt create --bundle "$b" berth-v2-nest > /tmp/nest.out 2>&1 < /dev/null; then
        d=$CG/berth-v2-nest/mid/leaf
        pid=$(state_field berth-v2-nest pid)
        check "nested: the init is in $d" grep -qx "$pid" "$d/cgroup.procs"
        eq "nested: pids.max (controllers enabled down the parents)" "$(cat $d/pids.max)" 19
        rt delete --force berth-v2-nest
        check "nested: delete removes the parents it made" test ! -e "$CG/berth-v2-nest"
else
        nok "create with a nested cgroupsPath: $(cat /tmp/nest.out)"
fi
had_berth=no
[ -e "$CG/berth" ] && had_berth=yes
b=$(bundle rel)
if rt create --bundle "$b" berth-v2-rel > /tmp/rel.out 2>&1 < /dev/null; then
        d=$CG/berth/berth-v2-rel
        eq "relative: placed below /berth, pids.max" "$(cat $d/pids.max)" 18
        rt delete --force berth-v2-rel
        check "relative: delete removes the leaf" test ! -e "$d"
        if [ $had_berth = no ]; then
                check "relative: delete removes /berth, which it made" test ! -e "$CG/berth"
        fi
else
        nok "create with a relative cgroupsPath: $(cat /tmp/rel.out)"
fi

# --- pause and resume through cgroup.freeze
b=$(bundle freeze)
if rt run --detach --bundle "$b" berth-v2-freeze > /tmp/freeze.out 2>&1 < /dev/null; then
        d=$CG/berth-v2-freeze
        rt pause berth-v2-freeze
        eq "pause: status" "$(state_field berth-v2-freeze status)" paused
        eq "pause: cgroup.freeze" "$(cat $d/cgroup.freeze)" 1
        check "pause: cgroup.events frozen 1" grep -qx "frozen 1" $d/cgroup.events
        rt resume berth-v2-freeze
        eq "resume: status" "$(state_field berth-v2-freeze status)" running
        check "resume: cgroup.events frozen 0" grep -qx "frozen 0" $d/cgroup.events
        rt kill berth-v2-freeze KILL
        wait_status berth-v2-freeze stopped
        rt delete berth-v2-freeze
else
        nok "run --detach: $(cat /tmp/freeze.out)"
fi

# --- linux.resources.devices as an eBPF device program
if [ "$vda_major" != 0 ]; then
        out=$(rt run --bundle "$(bundle devices-deny)" berth-v2-devices 2>&1 < /dev/null)
        case $out in
        *read-ok* | *write-ok*) nok "devices: a denied device cannot be opened: $out" ;;
        *"Operation not permitted"*) ok "devices: a denied device cannot be opened" ;;
        *) nok "devices: a denied device cannot be opened: $out" ;;
        esac
        case $out in *null-ok*) ok "devices: /dev/null stays usable" ;; *) nok "devices: /dev/null: $out" ;; esac
        out=$(rt run --bundle "$(bundle devices-allow)" berth-v2-devices 2>&1 < /dev/null)
        case $out in
        *read-ok*) ok "devices: an allowed device can be read" ;;
        *) nok "devices: an allowed device can be read: $out" ;;
        esac
        case $out in
        *write-ok* | *"load the device"*) nok "devices: a read-only rule refuses writes: $out" ;;
        *"Operation not permitted"*) ok "devices: a read-only rule refuses writes" ;;
        *) nok "devices: a read-only rule refuses writes: $out" ;;
        esac
        out=$(rt run --bundle "$(bundle devices-allowall)" berth-v2-devices 2>&1 < /dev/null)
        case $out in
        *read-ok*write-ok*null-ok*) ok "devices: allow-all allows" ;;
        *) nok "devices: allow-all allows: $out" ;;
        esac
        # the last matching rule decides: a later deny of writes wins over the wider allow
        out=$(rt run --bundle "$(bundle devices-many)" berth-v2-devices 2>&1 < /dev/null)
        case $out in
        *write-ok*) nok "devices: 63 rules, the last match decides: $out" ;;
        *read-ok*null-ok*) ok "devices: 63 rules, the last match decides" ;;
        *) nok "devices: 63 rules, the last match decides: $out" ;;
        esac
fi

# --- process.apparmorProfile, when the guest's kernel has AppArmor on
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /sys/kernel/security/apparmor ]; then
        out=$(rt run --bundle "$(bundle apparmor-unconfined)" berth-v2-aa 2>&1 < /dev/null)
        eq "apparmor: unconfined applied" "$out" unconfined
        out=$(rt run --bundle "$(bundle apparmor-missing)" berth-v2-aa 2>&1 < /dev/null)
        rc=$?
        case "$rc:$out" in
        0:*) nok "apparmor: a missing profile fails the start: $out" ;;
        *"process.apparmorProfile: apply \"berth-no-such-profile\""*) ok "apparmor: a missing profile fails the start" ;;
        *) nok "apparmor: a missing profile fails the start: $out" ;;
        esac
        check "apparmor: nothing left of the failed container" test ! -e "$ROOT/berth-v2-aa"
else
        echo "# AppArmor is not active in this guest: skipped"
fi

# --- a relative cgroupsPath and nothing left behind
left=$(find $CG -name 'berth-v2-*' 2>/dev/null)
eq "no berth-v2 cgroup remains" "$left" ""
left=$(ls $ROOT)
eq "no state remains" "$left" ""

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
