/* Container filesystems behind one ops table: overlay (image layers as lowerdirs under a fresh
 * upper and work dir) and vfs (a full copy, where overlay can not be used). A container
 * filesystem lives in a directory DIR that the caller owns (the engine's containers/<id>/):
 * the driver keeps its state below DIR and the root filesystem appears at DIR/merged. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "basic/error.h"

typedef struct storage_driver {
        const char *name;
        /* Can this driver work on this host, with ROOT's file system? */
        bool (*supported)(const char *root);
        /* Prepare DIR and mount (or copy) the layers at DIR/merged. lowers: the layers' directories,
         * bottom first, n of them (0 gives an empty filesystem). */
        int (*mount)(const char *dir, char *const *lowers, size_t n, berth_error **err);
        /* Undo mount, keep the writable content. */
        int (*umount)(const char *dir, berth_error **err);
        /* Unmount if needed and remove DIR's driver state (upper, work, merged). */
        int (*remove)(const char *dir, berth_error **err);
        /* Bytes written by the container (overlay: the upper dir; vfs: the copy). */
        int (*usage)(const char *dir, uint64_t *ret, berth_error **err);
} storage_driver;

extern const storage_driver storage_driver_overlay;
extern const storage_driver storage_driver_vfs;

/* "overlay", "vfs", or NULL/"" for the first supported one (overlay, then vfs). */
int storage_driver_find(const char *name, const char *root, const storage_driver **ret, berth_error **err);

/* Bytes of regular-file content below path, hardlinks counted once (du-like, st_blocks). */
int storage_disk_usage(const char *path, uint64_t *ret, berth_error **err);

/* overlay's mount with one "lowerdir+" per layer (fsconfig, kernel 6.8+) or, as a fallback, the
 * classic mount(2) with short relative names; exposed to test both. */
int overlay_mount_fsconfig(const char *dir, char *const *lowers, size_t n, berth_error **err);
int overlay_mount_legacy(const char *dir, char *const *lowers, size_t n, berth_error **err);
