/*
 * The container's filesystem: rootfs propagation, config.json mounts, /dev, pivot_root, then
 * masked and read-only paths. Runs in the container's new mount namespace, before exec.
 * Every mount target inside the rootfs is resolved with openat2(RESOLVE_IN_ROOT) and mounted
 * through its fd, so a symlink in the rootfs can never send a mount outside it.
 */
#pragma once

#include <stdbool.h>
#include "basic/error.h"
#include "oci/spec.h"

typedef struct mount_ctx {
        const oci_spec *spec;
        const char *rootfs; /* absolute host path of the rootfs */
        bool in_user_ns;    /* devices are bind-mounted instead of mknod */
        bool new_cgroup_ns;
        const char *cgroup_path; /* the container's resolved cgroup, e.g. "/berth/ID", for
                                    "cgroup" mounts without a cgroup namespace (may be NULL) */
        const int *idmap_fds;    /* from mount_idmap_prepare: one per spec mount, -1 for those
                                    not idmapped; NULL when the spec has none */
        const char *mount_label; /* linux.mountLabel as context= of tmpfs, mqueue and devpts mounts;
                                    NULL when SELinux is not active */
} mount_ctx;

/* Propagation of "/", bind rootfs onto itself, mounts in order, /dev and devices. */
int mount_setup_rootfs(const mount_ctx *ctx, berth_error **err);

/* pivot_root into the rootfs (no_pivot: move the mount to "/" and chroot) and chdir("/"). */
int mount_pivot_root(const mount_ctx *ctx, bool no_pivot, berth_error **err);

/* After pivot: maskedPaths, readonlyPaths, root.readonly, /dev symlinks' final touches. */
int mount_finalize(const mount_ctx *ctx, berth_error **err);

/* On the host side, before the container's init enters its user namespace: one detached,
 * idmapped tree per "idmap"/"ridmap" mount (its own uidMappings/gidMappings, else the
 * container's), for mount_ctx.idmap_fds. *ret_fds has spec->n_mounts entries, -1 for the
 * others; release with mount_idmap_free. Needs CAP_SYS_ADMIN over the source filesystems. */
int mount_idmap_prepare(const mount_ctx *ctx, int **ret_fds, berth_error **err);
void mount_idmap_free(int *fds, size_t n);

/* Parse one mount's options: MS_* flags to set and clear, propagation, recursive attributes,
 * and the rest as fs data "a=b,c". Exposed for unit tests. */
typedef struct mount_options {
        unsigned long flags;                   /* MS_* for mount(2) */
        unsigned long clear;                   /* MS_* explicitly cleared (rw, suid, ...) */
        unsigned long propagation;             /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
        unsigned long long attr_set, attr_clr; /* MOUNT_ATTR_* for r* options (mount_setattr) */
        bool recursive_attr;
        bool bind;
        bool idmap, idmap_recursive; /* idmap, ridmap */
        bool tmpcopyup;              /* a tmpfs starts with a copy of what it covers */
        char *data;                  /* remaining options, comma-joined, or NULL */
} mount_options;

int mount_options_parse(char *const *options, mount_options *ret, berth_error **err);
void mount_options_done(mount_options *o);
