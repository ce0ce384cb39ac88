/* The image config (OCI image-spec "application/vnd.oci.image.config.v1+json", which Docker's
 * shares): kept whole as JSON, with the fields berth acts on checked and pulled out. */
#pragma once

#include <stdint.h>
#include <jansson.h>
#include "basic/error.h"
#include "basic/strv.h"

typedef struct image_config {
        json_t *json;    /* the whole document, as stored */
        char **diff_ids; /* rootfs.diff_ids, bottom layer first */
        char *created;   /* RFC 3339, may be NULL */
        int64_t created_unix;
        char *os, *arch;
} image_config;

/* Parse and check: rootfs.type "layers", diff_ids digests, and the types of config.Env, Cmd,
 * Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels, StopSignal and history. */
int image_config_parse(const char *buf, size_t len, image_config **ret, berth_error **err);
void image_config_free(image_config *c);
static inline void image_config_freep(image_config **c)
{
        image_config_free(*c);
}
#define _cleanup_image_config_ _cleanup_(image_config_freep)

/* RFC 3339 ("2024-01-02T03:04:05.123456789Z", or with an offset) to Unix seconds. */
int image_time_parse(const char *s, int64_t *ret);
/* Unix seconds to RFC 3339 UTC ("2024-01-02T03:04:05Z"); caller frees. */
char *image_time_format(int64_t t);

/* A chain id from the parent chain id (NULL for the bottom layer) and a diff id. */
char *image_chain_id(const char *parent_chain, const char *diff_id);

/* Apply one Dockerfile-like change to config (an object: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
 * USER, VOLUME, WORKDIR, STOPSIGNAL), as `docker import --change` does. */
int image_config_apply_change(json_t *config, const char *change, berth_error **err);
