#!/usr/bin/env bats
# Pull and push against a real registry (Debian's docker-registry) on 127.0.0.1 over plain http:
# round trips with skopeo, a multi-arch index, the registry's errors, a tampered blob and a pull
# resumed after the registry died half-way through a large layer.

load registry-helpers

setup_file() {
        export REGDIR=$BATS_FILE_TMPDIR/registry
        registry_start "$REGDIR"
        echo "$REG" >"$BATS_FILE_TMPDIR/reg"
        skopeo_push "$REG/busybox:latest"
}

teardown_file() {
        registry_stop "$BATS_FILE_TMPDIR/registry"
}

setup() {
        image_setup
        REG=$(cat "$BATS_FILE_TMPDIR/reg")
        REGDIR=$BATS_FILE_TMPDIR/registry
}

teardown() {
        image_teardown
}

@test "pull an image skopeo pushed: inspect, files, busybox runs from it" {
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "$REG/busybox:latest" ] || fail "piped output: $output"
        run berth image inspect "$REG/busybox"
        [ "$status" -eq 0 ] || fail "$output"
        echo "$output" | grep -q '"sh"' || fail "no CMD sh in $output"
        run berth image mount "$REG/busybox"
        [ "$status" -eq 0 ] || fail "$output"
        mnt=$output
        [ -x "$mnt/bin/busybox" ] || fail "no busybox in $mnt"
        run chroot "$mnt" /bin/busybox echo hello-from-pulled
        berth image umount "$REG/busybox" >/dev/null
        [ "$output" = "hello-from-pulled" ] || fail "$output"
        # A second pull has nothing to fetch and names the same image.
        id1=$(berth images -q --no-trunc "$REG/busybox")
        run berth pull -q "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth images -q --no-trunc "$REG/busybox")" = "$id1" ]
}

@test "pull by digest" {
        digest=$(skopeo inspect --tls-verify=false "docker://$REG/busybox:latest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
        run berth pull "$REG/busybox@$digest"
        [ "$status" -eq 0 ] || fail "$output"
        berth image inspect "$REG/busybox@$digest" >/dev/null
}

@test "a multi-arch index resolves to linux/amd64, --platform picks another" {
        # Two images that differ (their CMD), pushed under two tags, then an OCI index over both.
        for arch in amd64 arm64; do
                "$BERTH_BIN" --root "$TESTDIR/src" --runroot "$TESTDIR/src/run" import \
                        --change "CMD [\"echo\",\"$arch\"]" "$(busybox_tar)" "img-$arch" >/dev/null
                "$BERTH_BIN" --root "$TESTDIR/src" --runroot "$TESTDIR/src/run" save -o "$TESTDIR/$arch.tar" "img-$arch"
                skopeo copy -q --dest-tls-verify=false "docker-archive:$TESTDIR/$arch.tar" "docker://$REG/multi:$arch"
        done
        python3 - "$REG" <<'PY'
import json, sys, urllib.request
reg = sys.argv[1]
acc = "application/vnd.docker.distribution.manifest.v2+json"
ents = []
for arch in ("arm64", "amd64"):
    req = urllib.request.Request(f"http://{reg}/v2/multi/manifests/{arch}", headers={"Accept": acc})
    with urllib.request.urlopen(req) as r:
        body = r.read()
        ents.append({"mediaType": r.headers["Content-Type"], "size": len(body),
                     "digest": r.headers["Docker-Content-Digest"],
                     "platform": {"os": "linux", "architecture": arch}})
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": ents}).encode()
req = urllib.request.Request(f"http://{reg}/v2/multi/manifests/index", data=idx, method="PUT",
                             headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
urllib.request.urlopen(req)
PY
        run berth pull "$REG/multi:index"
        [ "$status" -eq 0 ] || fail "$output"
        berth image inspect "$REG/multi:index" | grep -q '"amd64"' || fail "not the amd64 image"
        run berth pull --platform linux/arm64 "$REG/multi:index"
        [ "$status" -eq 0 ] || fail "$output"
        berth image inspect "$REG/multi:index" | grep -q '"arm64"' || fail "not the arm64 image"
}

@test "registry errors: manifest unknown, name unknown, one line, store unchanged" {
        before=$(store_listing)
        run berth pull "$REG/busybox:nosuchtag"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == "berth: "*"manifest unknown"* ]] || fail "$output"
        run berth pull "$REG/nosuchrepo:latest"
        [ "$status" -eq 125 ]
        [[ "$output" == *"unknown"* ]] || fail "$output"
        run berth pull "$REG/busybox:bad@tag"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [ "$(store_listing)" = "$before" ]
}

@test "berth push: skopeo and podman read it back, existing blobs are skipped" {
        import_busybox
        berth tag busybox "$REG/pushed:v1"
        run berth push "$REG/pushed:v1"
        [ "$status" -eq 0 ] || fail "$output"
        [[ "$output" == "digest: sha256:"* ]] || fail "$output"
        skopeo inspect --tls-verify=false "docker://$REG/pushed:v1" | grep -q '"Layers"'
        skopeo copy -q --src-tls-verify=false "docker://$REG/pushed:v1" "oci:$TESTDIR/oci:v1"
        [ -s "$TESTDIR/oci/index.json" ]
        # Again: every blob is there already (HEAD), and another repository mounts them.
        n=$(grep -c 'PATCH' "$REGDIR/registry.log" || true)
        run berth push "$REG/pushed:v1"
        [ "$status" -eq 0 ] || fail "$output"
        berth tag busybox "$REG/other:v1"
        run berth push "$REG/other:v1"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(grep -c 'PATCH' "$REGDIR/registry.log" || true)" = "$n" ] || fail "blobs uploaded again"
        # Podman with a private store pulls it and runs it.
        pr="$TESTDIR/podman"
        mkdir -p "$pr/tmp"
        printf '[engine]\nruntime = "runc"\n' >"$pr/containers.conf"
        run env CONTAINERS_CONF="$pr/containers.conf" podman --root "$pr/root" --runroot "$pr/run" --tmpdir "$pr/tmp" \
                --cgroup-manager cgroupfs --storage-driver vfs \
                run --rm --tls-verify=false --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
                "$REG/pushed:v1" echo podman-ran-it
        env CONTAINERS_CONF="$pr/containers.conf" podman --root "$pr/root" --runroot "$pr/run" --tmpdir "$pr/tmp" \
                --storage-driver vfs rmi -af >/dev/null 2>&1 || true
        [[ "$output" == *"podman-ran-it"* ]] || fail "$output"
}

@test "a blob whose bytes do not match its digest is refused and nothing of it stays" {
        skopeo_push "$REG/tampered:latest"
        layer=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' \
                "http://$REG/v2/tampered/manifests/latest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
        hex=${layer#sha256:}
        data=$REGDIR/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
        cp "$data" "$TESTDIR/saved"
        size=$(stat -c %s "$data")
        head -c "$size" /dev/urandom >"$data"
        before=$(store_listing)
        run berth pull "$REG/tampered:latest"
        cp "$TESTDIR/saved" "$data"
        [ "$status" -eq 125 ] || fail "$output"
        [[ "$output" == *"digest mismatch"* || "$output" == *"$hex"* ]] || fail "$output"
        [ "$(store_listing)" = "$before" ] || fail "store changed"
        ! ls -A "$ROOT/blobs/sha256" | grep -q "$hex"
}

@test "a pull cut off by the registry's death resumes with a Range request" {
        # A 40 MB layer of incompressible bytes, pushed by berth.
        mkdir -p "$TESTDIR/big"
        head -c 40000000 /dev/urandom >"$TESTDIR/big/blob"
        tar -C "$TESTDIR/big" -cf "$TESTDIR/big.tar" blob
        berth import "$TESTDIR/big.tar" big >/dev/null
        berth tag big "$REG/big:latest"
        berth push -q "$REG/big:latest"
        berth rmi big "$REG/big:latest" >/dev/null
        hex=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' \
                "http://$REG/v2/big/manifests/latest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"][7:])')
        BERTH_REGISTRY_MAX_RECV_SPEED=4000000 "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" \
                pull -q "$REG/big:latest" >"$TESTDIR/pull1.out" 2>&1 &
        pull=$!
        partial=$ROOT/blobs/sha256/.partial-$hex
        for _ in $(seq 100); do
                [ "$(stat -c %s "$partial" 2>/dev/null || echo 0)" -gt 8000000 ] && break
                sleep 0.1
        done
        registry_stop "$REGDIR"
        st=0
        wait "$pull" || st=$?
        [ "$st" -ne 0 ] || fail "the pull did not notice: $(cat "$TESTDIR/pull1.out")"
        got=$(stat -c %s "$partial")
        [ "$got" -gt 0 ] && [ "$got" -lt 40000000 ] || fail "partial has $got bytes"
        REG_PORT=${REG##*:} registry_start "$REGDIR"
        run berth pull -q "$REG/big:latest"
        [ "$status" -eq 0 ] || fail "$output"
        grep -q "GET /v2/big/blobs/sha256:$hex HTTP/1.1\" 206" "$REGDIR/registry.log" || fail "no Range request"
        [ ! -e "$partial" ]
        run berth image mount "$REG/big"
        cmp "$output/blob" "$TESTDIR/big/blob"
        berth image umount "$REG/big" >/dev/null
}

@test "a Docker Hub name is pulled from the mirror the config names" {
        skopeo_push "$REG/library/busybox:latest"
        printf '{"registry-mirrors": ["http://%s"]}\n' "$REG" >"$TESTDIR/registries.json"
        run env BERTH_REGISTRIES_CONF="$TESTDIR/registries.json" "$BERTH_BIN" --root "$ROOT" --runroot "$RUNROOT" \
                pull busybox
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "docker.io/library/busybox:latest" ] || fail "$output"
        berth image inspect busybox >/dev/null
        grep -q "GET /v2/library/busybox/manifests/latest" "$REGDIR/registry.log"
}

@test "pull -a fetches every tag of the repository" {
        skopeo_push "$REG/tags:one"
        skopeo_push "$REG/tags:two"
        run berth pull -a -q "$REG/tags"
        [ "$status" -eq 0 ] || fail "$output"
        berth image inspect "$REG/tags:one" >/dev/null
        berth image inspect "$REG/tags:two" >/dev/null
}
