/* Layer writing: a directory tree becomes a tar stream. From an overlay upper dir (or a stored
 * layer) the overlayfs whiteouts become Docker's: a 0/0 character device NAME is written as an
 * empty ".wh.NAME" and a directory marked trusted.overlay.opaque gets a ".wh..wh..opq" entry. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "basic/error.h"
#include "blob.h"
#include "digest.h"

/* Where the tar bytes go: 0, or a negative errno. */
typedef int (*layer_tar_sink_fn)(void *userdata, const void *buf, size_t len);

/* Write the tree below dirfd (names sorted, hardlinks kept, user.* and security.capability
 * xattrs kept) as a tar to fn. overlay: convert overlayfs whiteouts as above. skip_empty: relative
 * paths left out when they are empty regular files (the engine's mount points, such as
 * etc/hosts). ret_diff_id (may be NULL): the digest of the tar. */
int layer_tar_write(int dirfd, bool overlay, char *const *skip_empty, layer_tar_sink_fn fn, void *userdata,
                    char *ret_diff_id, berth_error **err);

/* The overlay tree below dirfd as a gzip-compressed layer blob, tar digested and compressed in one
 * pass. ret_digest: the blob's digest (caller frees); ret_size: the blob's size. */
int layer_tar_to_blob(blob_store *bs, int dirfd, char *const *skip_empty, char **ret_digest,
                      uint64_t *ret_size, char *ret_diff_id, berth_error **err);
