#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# berth-monitor's footprint while its container runs: below conmon's ~2 MB RSS.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

monitor_of() {
        grep -l -- "$(berth inspect -f '{{.Id}}' "$1")" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 |
                while read -r p; do
                        if [ "$(cat /proc/$p/comm 2>/dev/null)" = berth-monitor ]; then echo "$p"; fi
                done
}

@test "the monitor of a running, logging container stays under 2 MB RSS and still does its work" {
        [ -z "${ASAN_OPTIONS:-}" ] || skip "sanitizer runtimes dwarf the monitor"
        berth run -d -i --name m busybox sh -c 'while read -r l; do echo "got $l"; done; exit 3' >/dev/null
        local pid rss
        pid=$(monitor_of m)
        [ -n "$pid" ]
        sleep 0.5
        rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
        [ "$rss" -lt 2048 ] || fail "monitor RSS $rss kB"
        # after the pages it dropped: attach, stdin, the log, the end all work
        run berth attach m <<<"one"
        [ "$status" -eq 3 ] && [ "$output" = "got one" ] || fail "$status $output"
        [ "$(berth logs m)" = "got one" ]
        [ "$(berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' m)" = "exited 3" ]
}
