#!/usr/bin/env bash
# setup.sh: install what berth needs to build and test on Debian 12, as root.
# Idempotent and non-interactive: runs apt-get only for packages that are missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
        # build (libclang-rt-dev: libFuzzer and the sanitizers for clang, only recommended by clang)
        meson ninja-build pkg-config gcc clang clang-format libclang-rt-dev python3
        libjansson-dev libarchive-dev libcurl4-openssl-dev libssl-dev libseccomp-dev libcap-dev
        libmnl-dev libnftables-dev libsqlite3-dev libcmocka-dev
        # tests and fixtures
        bats busybox-static jq iproute2 util-linux procps file nftables curl
        # peers for comparison and benchmarks
        crun runc hyperfine podman skopeo umoci docker.io containerd docker-registry apache2-utils tmux
        # cgroup v2 tests in a VM (tests/v2vm)
        qemu-system-x86 cpio
)

if [ "$(id -u)" -ne 0 ]; then
        echo "setup.sh: run as root (it installs Debian packages)" >&2
        exit 1
fi

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup.sh: installing ${missing[*]}"
        log=$(mktemp /tmp/berth-setup.XXXXXX)
        if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
                < /dev/null > "$log" 2>&1; then
                cat "$log" >&2
                rm -f "$log"
                exit 1
        fi
        rm -f "$log"
fi
echo "setup.sh: all ${#packages[@]} packages present"
