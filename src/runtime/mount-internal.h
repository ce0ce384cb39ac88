/*
 * Shared between mount.c, mount-api.c, mount-dev.c, mount-cgroup.c and mount-pivot.c: thin
 * wrappers over the new mount API (fsopen/fsmount, open_tree, mount_setattr, move_mount) that
 * build berth errors naming the mount, and a /proc/self/mountinfo reader.
 */
#pragma once

#include <stdbool.h>
#include <sys/mount.h>
#include "basic/error.h"
#include "mount.h"

/* One line of /proc/self/mountinfo, octal escapes decoded. */
typedef struct mountinfo_entry {
        char *root, *mountpoint, *mount_opts, *fstype, *source, *super_opts;
        bool shared;
} mountinfo_entry;

int mountinfo_read(mountinfo_entry **ret, size_t *ret_n, berth_error **err);
void mountinfo_free(mountinfo_entry *e, size_t n);

/* MOUNT_ATTR_* that the MS_* bits in flags set and the ones in clear remove. */
void mnt_attr_from_flags(unsigned long flags, unsigned long clear, struct mount_attr *attr);

/* A detached mount of a new filesystem: fsopen(type), source and each "k=v" or "k" of data as
 * fsconfig parameters, fsmount with the MS_* flags as mount attributes. Errors read
 * "mount TYPE to DEST" and carry the kernel's own message when it gave one. */
int mnt_fs_create(const char *type, const char *source, const char *data, unsigned long flags,
                  const char *dest, int *ret_fd, berth_error **err);

/* A detached copy of the mount tree at source (open_tree OPEN_TREE_CLONE). */
int mnt_bind_create(int dirfd, const char *source, bool recursive, const char *dest, int *ret_fd,
                    berth_error **err);

/* mount_setattr on the mount mfd refers to; nothing to do when attr is all zero. */
int mnt_setattr(int mfd, bool recursive, const struct mount_attr *attr, const char *what, const char *dest,
                berth_error **err);

/* Attach the detached mount mfd on top of target_fd. */
int mnt_attach(int mfd, int target_fd, const char *what, const char *dest, berth_error **err);

/* The propagation MS_* bits of one name ("rslave" ...), 0 when it is not one. */
unsigned long mnt_propagation_from_name(const char *name);

/* Split a path into its parent and last component; "/" is parent "" and name "". */
void mnt_split_path(const char *path, char **ret_parent, char **ret_name);

/* /dev: default and configured devices, symlinks, ptmx. rootfd is the rootfs (bound). */
int mount_dev_setup(const mount_ctx *ctx, int rootfd, bool have_devpts, berth_error **err);

/* tmpcopyup: copy the directory target_fd (O_PATH) covers into the detached mount mfd. */
int mount_copy_up(int target_fd, int mfd, const char *dest, berth_error **err);

/* One "cgroup" mount: v1 hierarchies under a tmpfs, or cgroup2, per host and namespace. */
int mount_cgroup(const mount_ctx *ctx, int rootfd, const oci_mount *m, const mount_options *o,
                 berth_error **err);
