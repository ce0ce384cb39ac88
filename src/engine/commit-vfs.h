/* A vfs container's changes as an overlay-format tree (see commit-vfs.c). */
#pragma once

#include <stddef.h>
#include "basic/error.h"
#include "basic/strv.h"

/* Compare the tree below mergedfd with the layers (lowers: directory fds, top first) and write
 * the differences below outfd, an empty directory on the same file system (files are
 * hardlinked). skip: relative paths to leave out. */
int vfs_changes(int mergedfd, const int *lowers, size_t n, char *const *skip, int outfd, berth_error **err);
