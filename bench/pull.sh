#!/bin/bash
# Pull speed from a local registry (Debian's docker-registry on 127.0.0.1, plain http): `berth
# pull` against `podman pull` and `skopeo copy` to an OCI dir, of one large synthetic image
# (about 300 MB in three layers, many small files and some big ones, pushed by skopeo). Medians
# by hyperfine in MB/s of compressed layer bytes; each run pulls into an empty store.
#
#   bench/pull.sh [--size-mb N] [--files N] [--runs N]
#
# BERTH: the berth binary (default build/src/cli/berth/berth). Needs hyperfine, python3, skopeo,
# docker-registry; podman is skipped when missing. Everything lives under a temp dir named
# berth-bench-*; the registry is stopped by pid and the dir removed at exit.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BERTH=${BERTH:-$here/build/src/cli/berth/berth}
SIZE_MB=300
FILES=30000
RUNS=5
while [ $# -gt 0 ]; do
        case $1 in
        --size-mb) SIZE_MB=$2; shift 2 ;;
        --files) FILES=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        *) echo "usage: $0 [--size-mb N] [--files N] [--runs N]" >&2; exit 2 ;;
        esac
done
for t in hyperfine skopeo /usr/bin/docker-registry; do
        command -v "$t" >/dev/null || { echo "bench/pull.sh: needs $t" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/berth-bench.XXXXXX)
reg_pid=
cleanup() {
        if [ -n "$reg_pid" ]; then
                kill "$reg_pid" 2>/dev/null || true
                wait "$reg_pid" 2>/dev/null || true
        fi
        { grep -o " ${work}[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$work"
}
trap cleanup EXIT

echo "making a ${SIZE_MB} MB image of ${FILES} files in $work ..." >&2
python3 - "$work" "$SIZE_MB" "$FILES" <<'PY'
import io, os, random, sys, tarfile
work, size_mb, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
total = size_mb * 1000 * 1000
big = total // 2
small = (total - big) // nfiles
pool = os.urandom(4 * 1024 * 1024)
def chunk(n):
    off = random.randrange(0, len(pool) - min(n, len(pool)))
    b = pool[off:off + n]
    return b if len(b) == n else (b * (n // max(len(b), 1) + 1))[:n]
for layer in range(3):
    with tarfile.open(f"{work}/layer{layer}.tar", "w", format=tarfile.PAX_FORMAT) as t:
        for d in range(nfiles // 3 // 100 + 1):
            info = tarfile.TarInfo(f"l{layer}/d{d:04d}"); info.type = tarfile.DIRTYPE; info.mode = 0o755
            t.addfile(info)
        for i in range(nfiles // 3):
            data = chunk(max(1, int(random.expovariate(1 / small))))
            info = tarfile.TarInfo(f"l{layer}/d{i // 100:04d}/f{i}"); info.size = len(data); info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
        for i in range(4):
            data = os.urandom(big // 12)
            info = tarfile.TarInfo(f"l{layer}/big{i}"); info.size = len(data)
            t.addfile(info, io.BytesIO(data))
PY
python3 "$here/tests/fixtures/image-make-archive.py" --format docker --name docker.io/library/berth-bench:1 \
        "$work/image.tar" "$work/layer0.tar" "$work/layer1.tar" "$work/layer2.tar"
rm -f "$work"/layer*.tar

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOC
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOC
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
ref=127.0.0.1:$port/berth-bench:1
skopeo copy -q --dest-tls-verify=false "docker-archive:$work/image.tar" "docker://$ref"
rm -f "$work/image.tar"
bytes=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' \
        "http://127.0.0.1:$port/v2/berth-bench/manifests/1" | python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')
echo "registry: $((bytes / 1000000)) MB of compressed layers at $ref" >&2

cmds=(--command-name berth
      --prepare "rm -rf $work/berth-root; sync"
      "$BERTH --root $work/berth-root --runroot $work/berth-run pull -q $ref")
cmds+=(--command-name skopeo
       --prepare "rm -rf $work/oci; sync"
       "skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/oci:1")
if command -v podman >/dev/null; then
        P="podman --root $work/podman-root --runroot $work/podman-run --tmpdir $work/podman-tmp --storage-driver overlay --events-backend file"
        mkdir -p "$work/podman-tmp"
        cmds+=(--command-name podman
               --prepare "rm -rf $work/podman-root $work/podman-run; sync"
               "$P pull -q --tls-verify=false $ref")
fi
hyperfine --runs "$RUNS" --export-json "$work/result.json" "${cmds[@]}" >&2

python3 - "$work/result.json" "$bytes" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
mb = int(sys.argv[2]) / 1e6
med = {r["command"]: r["median"] for r in res}
print(f"{'tool':8} {'median s':>9} {'MB/s':>8}")
for name, m in med.items():
    print(f"{name:8} {m:9.2f} {mb / m:8.1f}")
for peer in ("podman", "skopeo"):
    if peer in med:
        print(f"berth is {med[peer] / med['berth']:.2f}x {peer}'s pull throughput")
PY
