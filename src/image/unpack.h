/* Layer unpacking: a layer tar (plain, gzip or zstd) streamed through libarchive into a directory,
 * with every file type, ownership, modes, times and xattrs, and OCI/AUFS whiteouts turned into
 * overlayfs whiteouts (a 0/0 character device, trusted.overlay.opaque="y" on a directory).
 * Every path is resolved inside the directory with openat2(RESOLVE_IN_ROOT): absolute names,
 * "..", symlinks and hardlinks can not make the tar write anything outside it. */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include "basic/error.h"
#include "blob.h"
#include "digest.h"

typedef struct unpack_result {
        char diff_id[DIGEST_SHA256_LEN + 1]; /* digest of the uncompressed tar */
        uint64_t tar_size;                   /* bytes of the uncompressed tar */
        uint64_t entries;                    /* entries written */
        uint64_t content_bytes;              /* bytes of regular-file content */
} unpack_result;

/* The source of raw (maybe compressed) bytes: returns the count, 0 at the end, -errno. */
typedef ssize_t (*unpack_read_fn)(void *userdata, void *buf, size_t len);

/* Unpack the layer read by fn into the directory destfd. When tee is not NULL every raw byte read
 * is also written to it (a layer unpacked and stored in one pass). */
int image_unpack(unpack_read_fn fn, void *userdata, blob_writer *tee, int destfd, unpack_result *ret,
                 berth_error **err);
int image_unpack_fd(int fd, blob_writer *tee, int destfd, unpack_result *ret, berth_error **err);
