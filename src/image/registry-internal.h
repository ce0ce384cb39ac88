/* Shared by the registry client's files: the HTTP session, authentication, credentials. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <curl/curl.h>
#include "basic/error.h"
#include "registry.h"

/* A WWW-Authenticate challenge: Bearer realm="..",service="..",scope=".." or Basic realm="..". */
typedef struct registry_challenge {
        char *scheme; /* "bearer" or "basic", lowercased */
        char *realm, *service, *scope, *error;
} registry_challenge;

int registry_challenge_parse(const char *header, registry_challenge *ret, berth_error **err);
void registry_challenge_done(registry_challenge *c);

/* The registry host that serves a reference's domain ("docker.io" is registry-1.docker.io) and
 * the key of its credentials in config.json. */
const char *registry_host_for_domain(const char *domain);
const char *registry_auth_key(const char *host);

/* Credentials for host from the auth files; 0 with NULLs when there are none. */
int registry_credentials(const registry_options *o, const char *host, char **ret_user, char **ret_password,
                         berth_error **err);
int registry_credentials_store(const registry_options *o, const char *host, const char *user,
                               const char *password, berth_error **err);
int registry_credentials_erase(const registry_options *o, const char *host, berth_error **err);

typedef struct registry_client {
        char *host; /* "localhost:5000" */
        char *base; /* "https://localhost:5000" */
        char *repo; /* "library/busybox" */
        char *user, *password;
        char *authorization; /* "Authorization: Bearer ..." once known */
        bool tls_verify;
        char *ca, *cert, *key; /* from certs.d */
        long timeout_s;        /* a transfer stalled this long fails */
        curl_off_t max_recv_speed;
} registry_client;

int registry_client_new(const char *domain, const char *repo, const registry_options *o,
                        registry_client **ret, berth_error **err);
void registry_client_free(registry_client *c);
static inline void registry_client_freep(registry_client **c)
{
        registry_client_free(*c);
}
#define _cleanup_registry_client_ _cleanup_(registry_client_freep)

typedef struct registry_response {
        long status;
        char *body;
        size_t len;
        char *content_type, *docker_digest, *location, *www_authenticate;
} registry_response;
void registry_response_done(registry_response *r);

typedef struct registry_request {
        const char *method; /* GET, HEAD, POST, PUT, PATCH */
        const char *url;    /* absolute, or a path under base ("/v2/...") */
        const char *accept;
        const char *content_type;
        const char *content_range;
        const void *body;
        size_t body_len;
        size_t max_body; /* of the response; 0: 4 MiB */
} registry_request;

/* One request with authentication (a 401 challenge is answered once), redirects and retries
 * with backoff on 429, 5xx and broken connections. Any status comes back in ret. */
int registry_do(registry_client *c, const registry_request *q, registry_response *ret, berth_error **err);
/* The registry's error for a failed response: "manifest unknown: ..." or "HTTP 500". */
int registry_status_error(const registry_response *r, const char *what, berth_error **err);
/* An easy handle with the client's TLS, timeouts and authorization (headers: caller frees). */
CURL *registry_easy(registry_client *c, const char *url, struct curl_slist **headers);
char *registry_url(registry_client *c, const char *path);
/* Sleep before retry n (1, 2, ...): 0.5 s doubled, at most 8 s. */
void registry_backoff(unsigned n);
#define REGISTRY_RETRIES 4

/* An error whose message says it all (no errno text after it), returning -code. */
#define registry_fail(err, code, ...) (berth_error_set((err), 0, __VA_ARGS__), -(code))
