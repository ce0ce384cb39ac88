/* The layer store: ROOT/layers/<chain id hex>/diff holds one extracted layer, shared by every
 * image that has it, with its metadata in ROOT/layers/<hex>/layer.json. A layer is extracted into
 * ROOT/layers/.tmp-<pid>-<n> and renamed into place whole, so a layer directory is either
 * complete or absent; temporary dirs of dead processes are removed when the store is opened. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "basic/error.h"
#include "basic/strv.h"

typedef struct layer_store layer_store;
typedef struct layer_tx layer_tx;

typedef struct layer_info {
        char *chain_id, *diff_id, *parent; /* parent NULL for a bottom layer */
        uint64_t size;                     /* bytes of file content */
        uint64_t tar_size;                 /* bytes of the uncompressed tar (for save) */
        uint64_t entries;
} layer_info;

int layer_store_open(const char *root, layer_store **ret, berth_error **err);
void layer_store_free(layer_store *ls);
static inline void layer_store_freep(layer_store **ls)
{
        layer_store_free(*ls);
}
#define _cleanup_layer_store_ _cleanup_(layer_store_freep)

bool layer_exists(layer_store *ls, const char *chain_id);
/* ROOT/layers/<hex>/diff; caller frees. */
char *layer_diff_path(layer_store *ls, const char *chain_id);

/* A fresh empty directory to extract into; layer_tx_dirfd() is an O_RDONLY fd of it. */
int layer_begin(layer_store *ls, layer_tx **ret, berth_error **err);
int layer_tx_dirfd(layer_tx *tx);
/* Record info and move the directory into place (tx is freed). When another process committed
 * the same chain id first, ours is dropped: the content is the same. */
int layer_commit(layer_store *ls, layer_tx *tx, const layer_info *info, berth_error **err);
/* Remove the temporary directory (tx is freed). */
void layer_abort(layer_store *ls, layer_tx *tx);

int layer_get_info(layer_store *ls, const char *chain_id, layer_info *ret, berth_error **err);
void layer_info_clear(layer_info *i);
int layer_remove(layer_store *ls, const char *chain_id, berth_error **err);
/* Chain ids of all stored layers. */
int layer_list(layer_store *ls, char ***ret, berth_error **err);
