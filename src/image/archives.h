/* Image archives: load (docker-archive as `docker save` writes it, oci-archive as `podman save
 * --format oci-archive` and skopeo write it, each plain or compressed), save (a docker-archive
 * that docker and podman load) and import (a rootfs tarball becomes a one-layer image). */
#pragma once

#include <stdint.h>
#include "basic/error.h"
#include "store.h"

typedef void (*image_progress_fn)(void *userdata, uint64_t done, uint64_t total);

typedef struct image_load_options {
        int fd;               /* the archive, read once, front to back */
        const char *platform; /* for an index: "os/arch[/variant]", NULL for the host's */
        image_progress_fn progress;
        void *progress_userdata;
} image_load_options;

/* Load every image of the archive. Nothing becomes visible unless all of it was read and
 * checked; on failure the blobs and layers this load added are removed again. ret_names: the
 * names given to images; ret_ids: the ids of all loaded images (either may be NULL). */
int image_load(image_store *s, const image_load_options *o, char ***ret_names, char ***ret_ids,
               berth_error **err);

typedef struct image_import_options {
        int fd;               /* a rootfs tar, plain or compressed */
        const char *name;     /* NULL: an image without a name */
        char *const *changes; /* Dockerfile-like changes ("CMD ["/bin/sh"]") */
        const char *message;  /* history comment */
        const char *source;   /* what was imported, for the history ("-", a path) */
} image_import_options;

int image_import(image_store *s, const image_import_options *o, char **ret_id, berth_error **err);

/* Write a docker-archive of the images (names or ids) to fd. */
int image_save(image_store *s, char *const *images, int fd, berth_error **err);

/* Compression of a stored layer blob from its first bytes. */
enum layer_compression;
int image_blob_compression(blob_store *bs, const char *digest, int *ret, berth_error **err);
