#!/usr/bin/env bats
# Networking with real packets: the default bridge, published ports (TCP and UDP, 127.0.0.1, the
# host's address, hairpin), user-defined networks with names and aliases, isolation, --internal,
# NAT to an "outside" host (a network namespace of this test), connect/disconnect, leaks, faults
# and bad input. Every test has its own root, so its own bridges (berthN) and nftables tables.

load engine-helpers

setup() {
        engine_setup
        HOSTIP=$(ip -4 -o addr show scope global | awk '{ sub("/.*", "", $4); print $4; exit }')
}

teardown() {
        [ -z "${OUTSIDE:-}" ] || { ip netns del "$OUTSIDE" 2>/dev/null; ip link del "${OUTSIDE}h" 2>/dev/null; }
        [ -z "${SRVPID:-}" ] || kill "$SRVPID" 2>/dev/null || true
        engine_teardown
}

# No veth on bridge $1 (a container's veths go with its namespace, a moment after it ends).
no_ports() {
        [ -z "$(ip -o link show master "$1")" ]
}

ctr_ip() {
        berth inspect "$1" | jq -r ".[0].NetworkSettings.Networks[\"${2:-bridge}\"].IPAddress"
}

# A busybox httpd answering "hello from NAME" on port 80 of container NAME.
httpd_container() {
        local name=$1
        shift
        berth run -d --name "$name" "$@" busybox sh -c \
                "mkdir -p /www && echo 'hello from $name' > /www/index.html && exec httpd -f -p 80 -h /www" >/dev/null
        wait_for berth exec "$name" sh -c 'netstat -tln | grep -q ":80 "'
}

fetch() { # fetch [berth run flags...] URL: wget from a new container
        local url=${!#}
        # not timeout as PID 1 (its watcher's SIGTERM to the namespace's init would be ignored);
        # "|| exit" keeps sh from exec'ing it
        berth run --rm "${@:1:$#-1}" busybox sh -c "timeout 5 wget -qO- $url || exit 1"
}

@test "default bridge: an address from the pool, a route, /etc/hosts; --network none and host" {
        run berth run --rm busybox sh -c 'ls /sys/class/net; ip -4 -o addr show eth0; ip route; cat /etc/hosts'
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == *eth0* && "$output" == *lo* ]]
        [[ "$output" =~ inet\ 10\.[0-9]+\.0\.2/16 ]] || fail "$output"
        [[ "$output" =~ default\ via\ 10\.[0-9]+\.0\.1 ]] || fail "$output"
        [[ "$output" =~ 10\.[0-9]+\.0\.2.[0-9a-f]{12} ]] || fail "hosts: $output"
        bridge=$(engine_bridges)
        ip link show "$bridge" | grep -q "state UP\|<.*UP"
        nft list table ip "$bridge" >/dev/null
        run berth run --rm --network none busybox ls /sys/class/net
        [ "$output" = lo ]
        run berth run --rm --network none busybox sh -c 'ip -o link show lo; ping -c1 -W1 127.0.0.1'
        [[ "$output" == *"LOOPBACK,UP"* && "$output" == *"1 packets received"* ]] || fail "$output"
        run berth run --rm --network host busybox readlink /proc/self/ns/net
        [ "$output" = "$(readlink /proc/self/ns/net)" ]
        wait_for no_ports "$bridge" || fail "ports left on $bridge"
}

@test "containers reach each other by address; names resolve only on a user-defined network" {
        httpd_container web1
        ip=$(ctr_ip web1)
        run fetch "http://$ip/index.html"
        [ "$output" = "hello from web1" ] || fail "$output"
        run fetch "http://web1/index.html"
        [ "$status" -ne 0 ] # the default bridge has no names, as Docker's

        berth network create berthnet-names >/dev/null
        httpd_container web2 --network berthnet-names --network-alias www --network-alias berth-alias
        run fetch --network berthnet-names "http://web2/index.html"
        [ "$output" = "hello from web2" ] || fail "$output"
        run fetch --network berthnet-names "http://berth-alias/index.html"
        [ "$output" = "hello from web2" ] || fail "$output"
        # a container started earlier learns the names of those started later
        berth run -d --name early --network berthnet-names busybox sleep 60 >/dev/null
        httpd_container late --network berthnet-names
        run berth exec early timeout 5 wget -qO- http://late/index.html
        [ "$output" = "hello from late" ] || fail "$output"
        berth rm -f late >/dev/null
        run berth exec early cat /etc/hosts
        [[ "$output" != *late* ]] || fail "a removed container stays in hosts: $output"
}

@test "--network container:, --add-host, --dns, --dns-search, --dns-option, --mac-address, --hostname" {
        berth run -d --name base --hostname berth-base --add-host berth-db:10.1.2.3 --add-host gw:host-gateway \
                --dns 192.0.2.53 --dns-search berth.example --dns-option ndots:2 busybox sleep 60 >/dev/null
        ip=$(ctr_ip base)
        run berth exec base sh -c 'cat /etc/hosts /etc/resolv.conf; hostname'
        [[ "$output" == *"$ip"$'\t'"berth-base"* ]] || fail "$output"
        [[ "$output" == *"10.1.2.3"$'\t'"berth-db"* ]] || fail "$output"
        gw=$(berth inspect base | jq -r '.[0].NetworkSettings.Gateway')
        [[ "$output" == *"$gw"$'\t'"gw"* ]] || fail "$output"
        [[ "$output" == *"nameserver 192.0.2.53"* && "$output" == *"search berth.example"* ]] || fail "$output"
        [[ "$output" == *"options ndots:2"* && "$output" != *"10.255.255.53"* ]] || fail "$output"
        [ "$(berth inspect base | jq -r '.[0].HostConfig.Dns[0]')" = 192.0.2.53 ]
        # another container in base's namespace sees base's address
        run berth run --rm --network container:base busybox ip -4 -o addr show eth0
        [[ "$output" == *"$ip/"* ]] || fail "$output"
        berth network create berthnet-mac >/dev/null
        run berth run --rm --network berthnet-mac --mac-address 02:42:be:27:00:01 busybox cat /sys/class/net/eth0/address
        [ "$output" = 02:42:be:27:00:01 ] || fail "$output"
        run berth run --rm --mac-address 01:00:5e:00:00:01 --network berthnet-mac busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *"invalid MAC"* ]] || fail "$output"
        # a restarted container keeps working on its network
        berth restart -t 0 base >/dev/null
        [ -n "$(ctr_ip base)" ]
        run berth exec base ip -4 -o addr show eth0
        [[ "$output" == *"$(ctr_ip base)/"* ]] || fail "$output"
}

@test "published ports: 127.0.0.1, the host's address, a random port, -P, hairpin, UDP" {
        httpd_container pub -p 18080:80 -p 127.0.0.1::80
        run curl -s --max-time 5 http://127.0.0.1:18080/index.html
        [ "$output" = "hello from pub" ] || fail "127.0.0.1: $output"
        run curl -s --max-time 5 "http://$HOSTIP:18080/index.html"
        [ "$output" = "hello from pub" ] || fail "$HOSTIP: $output"
        run berth port pub
        [[ "$output" == *"80/tcp -> 0.0.0.0:18080"* ]] || fail "$output"
        random=$(berth port pub 80 | grep '^127.0.0.1:' | cut -d: -f2)
        [ "$random" -ge 32768 ] && [ "$random" -le 60999 ]
        run curl -s --max-time 5 "http://127.0.0.1:$random/index.html"
        [ "$output" = "hello from pub" ] || fail "random port $random: $output"
        run berth ps
        [[ "$output" == *"0.0.0.0:18080->80/tcp"* ]] || fail "$output"
        # hairpin: the container reaches its own published port through the host
        run berth exec pub timeout 5 wget -qO- "http://$HOSTIP:18080/index.html"
        [ "$output" = "hello from pub" ] || fail "hairpin: $output"
        # another container through the host's address
        run fetch "http://$HOSTIP:18080/index.html"
        [ "$output" = "hello from pub" ] || fail "from a container: $output"

        berth import --change 'EXPOSE 80' --change 'CMD ["sh"]' "$(busybox_tar)" berth-exposed >/dev/null
        berth run -d --name all -P berth-exposed sh -c \
                'mkdir /www && echo exposed > /www/index.html && exec httpd -f -p 80 -h /www' >/dev/null
        port=$(berth port all 80/tcp | cut -d: -f2)
        [ -n "$port" ]
        wait_for curl -sf --max-time 2 "http://127.0.0.1:$port/index.html"
        run berth inspect all
        [ "$(echo "$output" | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')" = "$port" ]

        # UDP: a listener in the container's network namespace answers through -p 15353:5353/udp
        berth run -d --name udp -p 15353:5353/udp busybox sleep 60 >/dev/null
        ns=$(berth inspect udp | jq -r '.[0].NetworkSettings.SandboxKey')
        nsenter --net="$ns" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
data, peer = s.recvfrom(100)
s.sendto(b"pong " + data, peer)' &
        SRVPID=$!
        sleep 0.3
        run python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"berth", ("127.0.0.1", 15353))
print(s.recvfrom(100)[0].decode())'
        [ "$output" = "pong berth" ] || fail "udp: $output"
}

@test "NAT: a container reaches a host beyond the bridge that has no route back" {
        OUTSIDE=xberth$$ # not berth*: that is the prefix of berth's own bridges
        ip netns add "$OUTSIDE"
        ip link add "${OUTSIDE}h" type veth peer name eth0 netns "$OUTSIDE"
        ip addr add 198.51.100.1/24 dev "${OUTSIDE}h"
        ip link set "${OUTSIDE}h" up
        ip -n "$OUTSIDE" addr add 198.51.100.2/24 dev eth0
        ip -n "$OUTSIDE" link set eth0 up
        ip -n "$OUTSIDE" link set lo up
        mkdir -p "$TESTDIR/www" && echo outside > "$TESTDIR/www/index.html"
        ip netns exec "$OUTSIDE" busybox httpd -f -p 80 -h "$TESTDIR/www" &
        SRVPID=$!
        run fetch http://198.51.100.2/index.html
        [ "$output" = outside ] || fail "$output"
        # an --internal network has no way out
        berth network create --internal berthnet-int >/dev/null
        run berth run --rm --network berthnet-int busybox sh -c 'ip route; timeout 3 wget -qO- http://198.51.100.2/index.html'
        [ "$status" -ne 0 ]
        [[ "$output" != *default* ]] || fail "$output"
        [[ "$output" != *outside* ]] || fail "$output"
}

@test "isolation: containers on different networks cannot reach each other; connect and disconnect" {
        berth network create berthnet-a >/dev/null
        berth network create berthnet-b >/dev/null
        httpd_container a1 --network berthnet-a
        ipa=$(ctr_ip a1 berthnet-a)
        run fetch --network berthnet-b "http://$ipa/index.html"
        [ "$status" -ne 0 ]
        [[ "$output" != *"hello"* ]]
        berth run -d --name b1 --network berthnet-b busybox sleep 60 >/dev/null
        run berth exec b1 timeout 3 wget -qO- "http://$ipa/index.html"
        [ "$status" -ne 0 ]
        berth network connect berthnet-a b1
        run berth exec b1 sh -c 'ls /sys/class/net'
        [[ "$output" == *eth1* ]] || fail "$output"
        run berth exec b1 timeout 5 wget -qO- "http://a1/index.html"
        [ "$output" = "hello from a1" ] || fail "after connect: $output"
        run berth inspect b1
        [ "$(echo "$output" | jq -r '.[0].NetworkSettings.Networks | keys | join(",")')" = "berthnet-a,berthnet-b" ]
        berth network disconnect berthnet-a b1
        run berth exec b1 sh -c 'ls /sys/class/net'
        [[ "$output" != *eth1* ]] || fail "$output"
        run berth exec b1 timeout 3 wget -qO- "http://$ipa/index.html"
        [ "$status" -ne 0 ]
}

@test "network verbs: create, ls, inspect, rm; bad input: one line, 125, nothing changed" {
        run berth network create --subnet 10.250.7.0/24 --gateway 10.250.7.254 --label berth=yes berthnet-x
        [ "$status" -eq 0 ] || fail "$output"
        run berth network inspect berthnet-x
        [ "$(echo "$output" | jq -r '.[0].IPAM.Config[0].Subnet')" = 10.250.7.0/24 ]
        [ "$(echo "$output" | jq -r '.[0].IPAM.Config[0].Gateway')" = 10.250.7.254 ]
        [ "$(echo "$output" | jq -r '.[0].Labels.berth')" = yes ]
        run berth network ls
        [[ "$output" == *berthnet-x* && "$output" == *bridge* ]]
        before=$(berth network ls -q | sort)

        run berth network create --subnet 10.250.7.128/25 berthnet-overlap
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *overlaps* ]] || fail "$output"
        run berth network create berthnet-x
        [ "$status" -eq 125 ] && [[ "$output" == *exists* ]]
        run berth network create --subnet 10.250.7.0/33 berthnet-bad
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        [ "$(berth network ls -q | sort)" = "$before" ]

        run berth run --rm --network berthnet-x --ip 10.250.8.9 busybox true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"not in subnet"* ]] || fail "$output"
        berth run -d --name fixed --network berthnet-x --ip 10.250.7.77 -p 18081:80 busybox sleep 60 >/dev/null
        [ "$(ctr_ip fixed berthnet-x)" = 10.250.7.77 ]
        run berth run --rm --network berthnet-x --ip 10.250.7.77 busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *"in use"* ]] || fail "$output"
        run berth run --rm -p 18081:80 busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *"already allocated"* ]] || fail "$output"
        run berth run --rm -p 80:80:80 busybox true
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ]
        run berth run --rm --network berthnet-nope busybox true
        [ "$status" -eq 125 ] && [[ "$output" == *"not found"* ]]
        [ "$(berth ps -aq | wc -l)" -eq 1 ]
        run berth network rm berthnet-x
        [ "$status" -eq 125 ] && [[ "$output" == *"in use"* ]] || fail "$output"
        run berth network rm bridge
        [ "$status" -eq 125 ]
        BRIDGES=$(berth network inspect berthnet-x | jq -r '.[0].Options["com.docker.network.bridge.name"]')
        berth rm -f fixed >/dev/null
        run berth network rm berthnet-x
        [ "$status" -eq 0 ]
        assert_no_network_left
        run berth network prune -f
        [ "$status" -eq 0 ]
}

@test "leaks: 200 run --rm cycles and 20 parallel containers leave no veth, netns, address or rule" {
        bridge=$(berth run --rm busybox true >/dev/null && engine_bridges)
        for i in $(seq 200); do
                berth run --rm -p 18090:80 busybox true || fail "cycle $i"
        done
        wait_for no_ports "$bridge" || fail "veths left"
        [ -z "$(ls "$RUNROOT/netns")" ] || fail "netns left"
        [ "$(berth network inspect bridge | jq '.[0].Containers | length')" -eq 0 ]
        [ "$(nft list map ip "$bridge" ports_any | grep -c elements)" -eq 0 ] || fail "$(nft list map ip "$bridge" ports_any)"

        pids=()
        for i in $(seq 20); do
                berth run -d busybox sleep 60 >/dev/null &
                pids+=($!)
        done
        wait "${pids[@]}" # by pid: a bare wait would wait for bats' timeout watchdog too
        ips=$(berth ps -q | xargs -I{} sh -c "$BERTH_BIN --root $ROOT --runroot $RUNROOT inspect {} | jq -r '.[0].NetworkSettings.IPAddress'")
        [ "$(echo "$ips" | sort -u | wc -l)" -eq 20 ] || fail "addresses: $ips"
        berth ps -q | xargs "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" rm -f >/dev/null
        wait_for no_ports "$bridge" || fail "veths left"
        [ "$(berth network inspect bridge | jq '.[0].Containers | length')" -eq 0 ]
        assert_nothing_left
}

@test "faults: the CLI killed while wiring, the monitor killed; the next command removes the pieces" {
        bridge=$(berth run --rm busybox true >/dev/null && engine_bridges)
        run env BERTH_FAULT=after-network "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" run -d --name half -p 18082:80 busybox sleep 60
        [ "$status" -eq 137 ]
        [ -n "$(ip -o link show master "$bridge")" ] # the half-made pieces are there
        run berth rm -f half
        [ "$status" -eq 0 ]
        wait_for no_ports "$bridge" || fail "veth left"
        [ -z "$(ls "$RUNROOT/netns")" ] || fail "netns left"
        [ "$(nft list map ip "$bridge" ports_any | grep -c elements)" -eq 0 ]
        # the port and the address are free again
        berth run -d --name again -p 18082:80 busybox sleep 60 >/dev/null
        [ "$(ctr_ip again)" = "$(berth network inspect bridge | jq -r '.[0].IPAM.Config[0].Gateway' | sed 's/\.1$/.2/')" ]

        mon=$(pgrep -f "berth-monitor.*$(berth inspect again | jq -r '.[0].Id')" | head -1)
        kill -9 "$mon"
        kill -9 "$(berth inspect again | jq -r '.[0].State.Pid')"
        wait_for sh -c "! kill -0 $mon 2>/dev/null"
        run berth ps -a
        [[ "$output" == *Exited* ]] || fail "$output"
        wait_for no_ports "$bridge" || fail "veth left after the monitor died"
        berth rm again >/dev/null
        assert_nothing_left
}
