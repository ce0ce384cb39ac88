/* The image store: blobs (ROOT/blobs) plus the image metadata in ROOT/berth.db (names and tags ->
 * image id, the image's manifest and config digests, layers, size, created). Layer directories
 * belong to storage; the store reaches them through a layer_sink that the caller wires up (the
 * image layer does not link storage). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "basic/db.h"
#include "basic/error.h"
#include "basic/strv.h"
#include "blob.h"
#include "unpack.h"

typedef struct layer_sink {
        void *userdata;
        bool (*exists)(void *userdata, const char *chain_id);
        /* A fresh directory to unpack into: its fd and a token for commit or abort. */
        int (*begin)(void *userdata, int *ret_dirfd, void **ret_token, berth_error **err);
        int (*commit)(void *userdata, void *token, const char *chain_id, const char *parent,
                      const unpack_result *res, berth_error **err);
        void (*abort)(void *userdata, void *token);
        /* Size of file content and of the uncompressed tar of a stored layer. */
        int (*sizes)(void *userdata, const char *chain_id, uint64_t *ret_size, uint64_t *ret_tar_size,
                     berth_error **err);
        int (*list)(void *userdata, char ***ret, berth_error **err);
        int (*remove)(void *userdata, const char *chain_id, berth_error **err);
} layer_sink;

/* Is image id used by a container? The engine installs this; without it nothing is in use. */
typedef bool (*image_in_use_fn)(void *userdata, const char *image_id);

typedef struct image_store {
        char *root;
        db *db;
        blob_store *blobs;
        layer_sink sink;
        image_in_use_fn in_use;
        void *in_use_userdata;
        int lock_fd; /* ROOT/images.lock: shared while adding, exclusive while collecting garbage */
} image_store;

typedef struct image_record {
        char *id; /* the config digest, as Docker's image id */
        char *manifest_digest, *manifest_media_type;
        int64_t size;    /* bytes of the layers' file content */
        int64_t created; /* Unix seconds from the config, 0 when unknown */
        int64_t added;
        char **names;     /* "docker.io/library/busybox:latest" ... */
        char **chain_ids; /* bottom first */
} image_record;

int image_store_open(const char *root, const layer_sink *sink, image_store **ret, berth_error **err);
void image_store_free(image_store *s);
static inline void image_store_freep(image_store **s)
{
        image_store_free(*s);
}
#define _cleanup_image_store_ _cleanup_(image_store_freep)

void image_record_free(image_record *r);
static inline void image_record_freep(image_record **r)
{
        image_record_free(*r);
}
#define _cleanup_image_record_ _cleanup_(image_record_freep)
void image_record_list_free(image_record **l);

/* Register the image described by a manifest whose blobs (manifest, config, layers) are all in
 * the blob store: unpack missing layers (checking each diff id), then one transaction adds the
 * image and points names at it (a name moves from the image that had it). */
int image_store_commit(image_store *s, const char *manifest_digest, char *const *names, char **ret_id,
                       berth_error **err);

/* A name ("busybox", "busybox:1", "host/x@sha256:..") or an id or unique id prefix. */
int image_store_resolve(image_store *s, const char *name_or_id, image_record **ret, berth_error **err);
int image_store_get(image_store *s, const char *id, image_record **ret, berth_error **err);
/* All images, newest first. */
int image_store_list(image_store *s, image_record ***ret, berth_error **err);

int image_store_tag(image_store *s, const char *source, const char *target, berth_error **err);

/* rmi: a name that is one of several untags; otherwise the image goes (refused while a container
 * uses it or, by id, while it has several names, unless force). ret_untagged and ret_deleted
 * (may be NULL) list what happened, for Docker's "Untagged:" and "Deleted:" lines. */
int image_store_remove(image_store *s, const char *name_or_id, bool force, char ***ret_untagged,
                       char ***ret_deleted, berth_error **err);
/* Dangling images (no name), or with all every image no container uses. */
int image_store_prune(image_store *s, bool all, char ***ret_deleted, uint64_t *ret_reclaimed,
                      berth_error **err);
/* Of the images ids, remove those without a name that no container uses (one transaction), then
 * collect what no image references any more: `builder prune` of the build cache's images.
 * An id that is not stored is skipped. ret_deleted and ret_reclaimed may be NULL. */
int image_store_remove_unused(image_store *s, char *const *ids, char ***ret_deleted, uint64_t *ret_reclaimed,
                              berth_error **err);
/* Remove blobs and layers that no image references (and what loads killed half-way left). */
int image_store_gc(image_store *s, uint64_t *ret_reclaimed, berth_error **err);

/* Remove those of the candidate blobs that no image references (a failed load's blobs). */
void image_store_gc_blobs(image_store *s, char *const *candidates);

/* The image's config, parsed (caller frees with image_config_free). */
struct image_config;
int image_store_config(image_store *s, const image_record *img, struct image_config **ret,
                       berth_error **err);
