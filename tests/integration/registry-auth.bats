#!/usr/bin/env bats
# Registry authentication and TLS against real docker-registry instances on 127.0.0.1: htpasswd
# Basic auth, Bearer tokens from the test's token server (anonymous pull, push with login), TLS
# with a CA the test made, and login/logout in Docker's config.json format.

load registry-helpers

setup_file() {
        local d=$BATS_FILE_TMPDIR
        # Basic: htpasswd with bcrypt (the registry takes nothing else).
        mkdir -p "$d/basic"
        htpasswd -Bbc "$d/basic/htpasswd" alice wonderland 2>/dev/null
        REG_PORT= registry_start "$d/basic" "auth:
  htpasswd:
    realm: berth-basic
    path: $d/basic/htpasswd"
        echo "$REG" >"$d/basic.reg"
        # Bearer: a token server signing with a key and certificate made here.
        mkdir -p "$d/token"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token/key.pem" -out "$d/token/cert.pem" \
                -days 2 -subj /CN=berth-token 2>/dev/null
        tport=$(free_port)
        "$FIXTURES/registry-token-server.py" "$tport" "$d/token/key.pem" "$d/token/cert.pem" berth-issuer \
                bob builder >"$d/token/server.log" 2>&1 &
        echo $! >"$d/token/server.pid"
        REG_PORT= registry_start "$d/token" "auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: berth-registry
    issuer: berth-issuer
    rootcertbundle: $d/token/cert.pem"
        echo "$REG" >"$d/token.reg"
        # TLS: a CA, a server certificate for 127.0.0.1 signed by it.
        mkdir -p "$d/tls"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/tls/ca.key" -out "$d/tls/ca.crt" -days 2 \
                -subj /CN=berth-test-ca 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout "$d/tls/server.key" -out "$d/tls/server.csr" \
                -subj /CN=127.0.0.1 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\n' >"$d/tls/ext"
        openssl x509 -req -in "$d/tls/server.csr" -CA "$d/tls/ca.crt" -CAkey "$d/tls/ca.key" \
                -CAcreateserial -out "$d/tls/server.crt" -days 2 -extfile "$d/tls/ext" 2>/dev/null
        REG_PORT= registry_start "$d/tls" "  tls:
    certificate: $d/tls/server.crt
    key: $d/tls/server.key"
        echo "$REG" >"$d/tls.reg"
        # Mutual TLS: the same CA signs a client certificate, which the registry requires.
        mkdir -p "$d/mtls"
        openssl req -newkey rsa:2048 -nodes -keyout "$d/mtls/client.key" -out "$d/mtls/client.csr" \
                -subj /CN=berth-client 2>/dev/null
        openssl x509 -req -in "$d/mtls/client.csr" -CA "$d/tls/ca.crt" -CAkey "$d/tls/ca.key" \
                -CAcreateserial -out "$d/mtls/client.cert" -days 2 2>/dev/null
        REG_PORT= registry_start "$d/mtls" "  tls:
    certificate: $d/tls/server.crt
    key: $d/tls/server.key
    clientcas:
      - $d/tls/ca.crt"
        echo "$REG" >"$d/mtls.reg"
}

teardown_file() {
        local d=$BATS_FILE_TMPDIR
        registry_stop "$d/basic"
        registry_stop "$d/token"
        registry_stop "$d/tls"
        registry_stop "$d/mtls"
        [ -f "$d/token/server.pid" ] && kill "$(cat "$d/token/server.pid")" 2>/dev/null || true
}

setup() {
        image_setup
        export DOCKER_CONFIG=$TESTDIR/docker
        export HOME=$TESTDIR/home
        export BERTH_CERTS_D=$TESTDIR/certs.d
        mkdir -p "$HOME"
}

teardown() {
        image_teardown
}

@test "Basic auth: refused without login, login stores 0600 credentials, pull and push work, logout" {
        REG=$(cat "$BATS_FILE_TMPDIR/basic.reg")
        skopeo_push "$REG/busybox:latest" --dest-creds alice:wonderland
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == *"unauthorized: authentication required"* ]] || fail "$output"
        run berth login -u alice -p wrong "$REG"
        [ "$status" -eq 125 ]
        [[ "$output" == *"unauthorized"* ]] || fail "$output"
        [ ! -e "$DOCKER_CONFIG/config.json" ]
        run sh -c "echo wonderland | '$BERTH_BIN' login -u alice --password-stdin $REG"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$output" = "Login Succeeded" ]
        [ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
        python3 -c "import json,sys,base64; a=json.load(open(sys.argv[1]))['auths']['$REG']['auth']; assert base64.b64decode(a)==b'alice:wonderland'" "$DOCKER_CONFIG/config.json"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
        berth tag "$REG/busybox" "$REG/again:v2"
        run berth push "$REG/again:v2"
        [ "$status" -eq 0 ] || fail "$output"
        skopeo inspect --tls-verify=false --creds alice:wonderland "docker://$REG/again:v2" >/dev/null
        run berth logout "$REG"
        [ "$status" -eq 0 ] || fail "$output"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 125 ]
        run berth logout "$REG"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not logged in"* ]] || fail "$output"
}

@test "~/.docker/config.json is read when the auth file has nothing" {
        REG=$(cat "$BATS_FILE_TMPDIR/basic.reg")
        skopeo_push "$REG/busybox:latest" --dest-creds alice:wonderland
        unset DOCKER_CONFIG
        mkdir -p "$HOME/.docker"
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf alice:wonderland | base64)" >"$HOME/.docker/config.json"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
}

@test "Bearer: anonymous token pulls, push needs login, denied without" {
        REG=$(cat "$BATS_FILE_TMPDIR/token.reg")
        skopeo_push "$REG/busybox:latest" --dest-creds bob:builder
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
        grep -q "token anonymous \['repository:busybox:pull'\]" "$BATS_FILE_TMPDIR/token/server.log"
        berth tag "$REG/busybox" "$REG/mine:v1"
        run berth push "$REG/mine:v1"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == *"unauthorized"* || "$output" == *"denied"* ]] || fail "$output"
        run berth login -u bob -p wrong "$REG"
        [ "$status" -eq 125 ]
        run berth login -u bob -p builder "$REG"
        [ "$status" -eq 0 ] || fail "$output"
        run berth push "$REG/mine:v1"
        [ "$status" -eq 0 ] || fail "$output"
        skopeo inspect --tls-verify=false --creds bob:builder "docker://$REG/mine:v1" >/dev/null
}

@test "TLS: unknown CA refused, certs.d ca.crt trusted, --tls-verify=false" {
        REG=$(cat "$BATS_FILE_TMPDIR/tls.reg")
        skopeo_push "$REG/busybox:latest"
        mkdir -p "$BERTH_CERTS_D/$REG"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ] || fail "$output"
        [[ "$output" == *"certificate"* || "$output" == *"SSL"* ]] || fail "$output"
        run berth pull --tls-verify=false "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
        berth rmi "$REG/busybox" >/dev/null
        cp "$BATS_FILE_TMPDIR/tls/ca.crt" "$BERTH_CERTS_D/$REG/ca.crt"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
}

@test "mutual TLS: the client certificate and key from certs.d are presented" {
        REG=$(cat "$BATS_FILE_TMPDIR/mtls.reg")
        d=$BATS_FILE_TMPDIR
        mkdir -p "$TESTDIR/skopeo-certs"
        cp "$d/mtls/client.cert" "$d/mtls/client.key" "$TESTDIR/skopeo-certs/"
        skopeo copy -q --dest-cert-dir "$TESTDIR/skopeo-certs" --dest-tls-verify=false \
                "docker-archive:$(busybox_archive)" "docker://$REG/busybox:latest"
        mkdir -p "$BERTH_CERTS_D/$REG"
        cp "$d/tls/ca.crt" "$BERTH_CERTS_D/$REG/ca.crt"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
        cp "$d/mtls/client.cert" "$d/mtls/client.key" "$BERTH_CERTS_D/$REG/"
        run berth pull "$REG/busybox:latest"
        [ "$status" -eq 0 ] || fail "$output"
        [ "$(berth images -q | wc -l)" -eq 1 ]
}
