#!/bin/bash
# Load speed: `berth load` against `podman load` of one large synthetic image (a docker-archive
# of about 300 MB in three layers, many small files and some big ones), medians by hyperfine,
# in MB/s of archive and files/s. Each run loads into an empty store.
#
#   bench/images.sh [--size-mb N] [--files N] [--runs N]
#
# BERTH: the berth binary (default build/src/cli/berth/berth). Needs hyperfine, python3, podman
# (skipped when missing). Everything lives under a temp dir named berth-bench-*, removed at exit.
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
command -v hyperfine >/dev/null || { echo "bench/images.sh: needs hyperfine" >&2; exit 1; }

work=$(mktemp -d /var/tmp/berth-bench.XXXXXX)
cleanup() {
        { grep -o " $work[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$work"
}
trap cleanup EXIT

echo "making a ${SIZE_MB} MB image of ${FILES} files in $work ..." >&2
python3 - "$work" "$SIZE_MB" "$FILES" <<'PY'
import io, os, random, sys, tarfile
work, size_mb, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
total = size_mb * 1000 * 1000
big = total // 2               # half of the bytes in a few big files
small = (total - big) // nfiles
pool = os.urandom(4 * 1024 * 1024)
def chunk(n):
    off = random.randrange(0, len(pool) - min(n, len(pool)))
    b = pool[off:off + n]
    return b if len(b) == n else (b * (n // max(len(b), 1) + 1))[:n]
entries = 0
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
        entries += len(t.getmembers())
open(f"{work}/entries", "w").write(str(entries))
PY
python3 "$here/tests/fixtures/image-make-archive.py" --format docker --name docker.io/library/berth-bench:1 \
        "$work/image.tar" "$work/layer0.tar" "$work/layer1.tar" "$work/layer2.tar"
rm -f "$work"/layer*.tar
bytes=$(stat -c %s "$work/image.tar")
files=$(cat "$work/entries")
echo "archive: $((bytes / 1000000)) MB, $files entries" >&2

cmds=(--command-name berth
      --prepare "rm -rf $work/berth-root; sync"
      "$BERTH --root $work/berth-root --runroot $work/berth-run load -q -i $work/image.tar")
if command -v podman >/dev/null; then
        P="podman --root $work/podman-root --runroot $work/podman-run --tmpdir $work/podman-tmp --storage-driver overlay --events-backend file"
        mkdir -p "$work/podman-tmp"
        cmds+=(--command-name podman
               --prepare "rm -rf $work/podman-root $work/podman-run; sync"
               "$P load -q -i $work/image.tar")
fi
hyperfine --runs "$RUNS" --export-json "$work/result.json" "${cmds[@]}" >&2

python3 - "$work/result.json" "$bytes" "$files" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
mb, files = int(sys.argv[2]) / 1e6, int(sys.argv[3])
med = {r["command"]: r["median"] for r in res}
print(f"{'tool':8} {'median s':>9} {'MB/s':>8} {'files/s':>9}")
for name, m in med.items():
    print(f"{name:8} {m:9.2f} {mb / m:8.1f} {files / m:9.0f}")
if "podman" in med:
    print(f"berth is {med['podman'] / med['berth']:.2f}x podman's load throughput")
PY
