/* Registry client: the Docker Registry HTTP API V2 (the OCI distribution spec) over libcurl.
 * pull fetches layers in parallel and unpacks each while it streams; push skips blobs the
 * registry has; login checks credentials and keeps them in Docker's config.json format. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "basic/error.h"
#include "store.h"

/* One line of progress for a layer (digest) or for the image (digest NULL). */
typedef void (*registry_progress_fn)(void *userdata, const char *digest, const char *status, uint64_t done,
                                     uint64_t total);

typedef struct registry_options {
        const char *platform;  /* "os/arch[/variant]", NULL for linux/<host arch> */
        bool tls_skip_verify;  /* --tls-verify=false; a zeroed struct verifies */
        const char *authfile;  /* NULL: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker */
        const char *certs_dir; /* NULL: $BERTH_CERTS_D or /etc/berth/certs.d */
        const char *config;    /* NULL: $BERTH_REGISTRIES_CONF or /etc/berth/registries.json */
        registry_progress_fn progress;
        void *progress_userdata;
} registry_options;

/* Pull ref ("busybox", "localhost:5000/x:1", "x@sha256:..") into the store: ret_image_id (may be
 * NULL) is the image id; o may be NULL (defaults). Nothing becomes visible unless every blob was
 * verified. The engine calls this for `run --pull missing|always`. */
int registry_pull(image_store *s, const char *ref, const registry_options *o, char **ret_image_id,
                  berth_error **err);
/* The tags of a repository ("localhost:5000/x"). */
int registry_list_tags(const char *repo, const registry_options *o, char ***ret, berth_error **err);
/* Push the stored image ref to the registry its name points at; ret_digest: manifest digest. */
int registry_push(image_store *s, const char *ref, const registry_options *o, char **ret_digest,
                  berth_error **err);
/* Check the credentials against host ("localhost:5000", NULL for Docker Hub) and store them. */
int registry_login(const char *host, const char *user, const char *password, const registry_options *o,
                   berth_error **err);
int registry_logout(const char *host, const registry_options *o, berth_error **err);
