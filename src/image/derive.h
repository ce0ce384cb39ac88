/* New images made from an image (or from nothing): a parent's layers and config, one optional
 * new layer on top, a new config section and a history entry. commit and build make their
 * images this way. */
#pragma once

#include <jansson.h>
#include "basic/error.h"
#include "store.h"

typedef struct image_derive_options {
        const char *parent;       /* image id; NULL: from scratch */
        const char *layer_digest; /* a layer blob in the store; NULL: no new layer */
        const char *diff_id;      /* its uncompressed digest */
        json_t *config;           /* the new image's "config" object (borrowed); NULL: the parent's */
        const char *created_by, *comment, *author;
        char *const *names; /* names to point at the new image */
} image_derive_options;

/* Write the config and manifest blobs and register the image (its new layer is unpacked from the
 * blob by image_store_commit). */
int image_derive(image_store *s, const image_derive_options *o, char **ret_id, berth_error **err);

/* The "config" object of an image (a new reference; an empty object for scratch or none). */
int image_derive_parent_config(image_store *s, const char *parent, json_t **ret, berth_error **err);
