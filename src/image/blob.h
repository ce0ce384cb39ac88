/* The content-addressed blob store, ROOT/blobs/sha256/<hex>. A blob is written to an unnamed
 * O_TMPFILE, hashed as it is written, checked against its expected digest, fsynced and only then
 * linked under its name: a reader never sees a half-written or wrong blob, and a writer killed
 * half-way leaves nothing behind. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "basic/error.h"
#include "basic/strv.h"

typedef struct blob_store blob_store;
typedef struct blob_writer blob_writer;

int blob_store_open(const char *root, blob_store **ret, berth_error **err);
void blob_store_free(blob_store *bs);
static inline void blob_store_freep(blob_store **bs)
{
        blob_store_free(*bs);
}
#define _cleanup_blob_store_ _cleanup_(blob_store_freep)

/* Use the named-temporary-file fallback as on a file system without O_TMPFILE (for tests). */
void blob_store_disable_tmpfile(blob_store *bs);

/* expected: the digest the content must have, or NULL to accept any (named by its own digest).
 * expected_size: -1 when unknown. */
int blob_writer_new(blob_store *bs, const char *expected, int64_t expected_size, blob_writer **ret,
                    berth_error **err);
/* A writer that survives its process: the bytes go to ROOT/blobs/sha256/.partial-<hex>, and a
 * later writer for the same digest continues where the last stopped (*ret_offset: the bytes it
 * has, e.g. for an HTTP Range request). Only a commit that verifies the whole content gives the
 * blob its name; a digest mismatch discards the partial content. One writer per digest at a
 * time (EBUSY otherwise). */
int blob_writer_resume(blob_store *bs, const char *expected, int64_t expected_size, blob_writer **ret,
                       uint64_t *ret_offset, berth_error **err);
/* Drop the partial blobs no writer holds (image prune). */
int blob_remove_partials(blob_store *bs, berth_error **err);

int blob_writer_write(blob_writer *w, const void *buf, size_t len, berth_error **err);
/* Verify, fsync and link. ret_digest (caller frees) and ret_size may be NULL. */
int blob_writer_commit(blob_writer *w, char **ret_digest, uint64_t *ret_size, berth_error **err);
/* After commit: the blob was stored already (by an earlier writer). */
bool blob_writer_existed(const blob_writer *w);
/* Bytes written so far. */
uint64_t blob_writer_size(const blob_writer *w);
/* Drops an uncommitted blob without a trace. */
void blob_writer_free(blob_writer *w);
static inline void blob_writer_freep(blob_writer **w)
{
        blob_writer_free(*w);
}
#define _cleanup_blob_writer_ _cleanup_(blob_writer_freep)

/* Store a buffer; ret_digest may be NULL. */
int blob_put(blob_store *bs, const void *buf, size_t len, const char *expected, char **ret_digest,
             berth_error **err);
bool blob_exists(blob_store *bs, const char *digest);
/* Open for reading (O_RDONLY). */
int blob_open(blob_store *bs, const char *digest, berth_error **err);
/* Read a small blob whole and check its digest (the file may have been damaged on disk). */
int blob_read(blob_store *bs, const char *digest, size_t max, char **ret, size_t *ret_len,
              berth_error **err);
int blob_size(blob_store *bs, const char *digest, uint64_t *ret, berth_error **err);
int blob_remove(blob_store *bs, const char *digest, berth_error **err);
/* Every stored digest. */
int blob_list(blob_store *bs, char ***ret, berth_error **err);
/* Path of a blob (caller frees), for messages and for tools. */
char *blob_path(blob_store *bs, const char *digest);
