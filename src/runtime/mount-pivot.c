/*
 * Into the rootfs (pivot_root the way runc does it, or MS_MOVE and chroot for no_pivot), then
 * the last touches from inside: readonlyPaths, maskedPaths and a read-only root.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "mount-internal.h"

/* pivot_root(".", ".") stacks the old root on top of the new one; unmount it from there. No
 * temporary directory is needed in the rootfs, which may be read-only. */
static int pivot(const char *rootfs, berth_error **err)
{
        _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

        if (oldroot < 0)
                return berth_error_set(err, errno, "open /");
        if (newroot < 0)
                return berth_error_set(err, errno, "open rootfs %s", rootfs);
        if (fchdir(newroot) < 0)
                return berth_error_set(err, errno, "chdir %s", rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return berth_error_set(err, errno, "pivot_root %s", rootfs);
        if (fchdir(oldroot) < 0)
                return berth_error_set(err, errno, "chdir to the old root");
        /* Slave first, so the unmount does not propagate to the host's mounts. */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return berth_error_set(err, errno, "make the old root rslave");
        if (umount2(".", MNT_DETACH) < 0)
                return berth_error_set(err, errno, "unmount the old root");
        return 0;
}

/* Without pivot_root the host's mounts stay in the namespace, below the chroot. The kernel
 * looks at every procfs and sysfs mount of the namespace before it lets a nested container
 * mount its own, so the host's full ones go (or are covered when they are locked), as runc does. */
static int hide_host_proc_sys(const char *rootfs, berth_error **err)
{
        mountinfo_entry *mi = NULL;
        size_t n = 0, len = strlen(rootfs);
        int r;

        r = mountinfo_read(&mi, &n, err);
        for (size_t i = n; r == 0 && i-- > 0;) {
                const char *mp = mi[i].mountpoint;
                if (!streq(mi[i].root, "/") ||
                    (!streq(mi[i].fstype, "proc") && !streq(mi[i].fstype, "sysfs")))
                        continue;
                if (strneq(mp, rootfs, len) && (mp[len] == '/' || !mp[len]))
                        continue;
                if (mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
                        if (errno != ENOENT)
                                r = berth_error_set(err, errno, "make %s rslave", mp);
                        continue;
                }
                if (umount2(mp, MNT_DETACH) == 0)
                        continue;
                if (errno != EINVAL && errno != EPERM)
                        r = berth_error_set(err, errno, "unmount %s", mp);
                else if (mount("tmpfs", mp, "tmpfs", 0, NULL) < 0)
                        r = berth_error_set(err, errno, "cover %s", mp);
        }
        mountinfo_free(mi, n);
        return r;
}

static int move_root(const char *rootfs, berth_error **err)
{
        char real[PATH_MAX];
        int r;

        if (!realpath(rootfs, real))
                return berth_error_set(err, errno, "rootfs %s", rootfs);
        r = hide_host_proc_sys(real, err);
        if (r < 0)
                return r;
        if (chdir(rootfs) < 0)
                return berth_error_set(err, errno, "chdir %s", rootfs);
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
                return berth_error_set(err, errno, "move rootfs %s to /", rootfs);
        if (chroot(".") < 0)
                return berth_error_set(err, errno, "chroot %s", rootfs);
        return 0;
}

int mount_pivot_root(const mount_ctx *ctx, bool no_pivot, berth_error **err)
{
        const char *prop = ctx->spec->linux_ ? ctx->spec->linux_->rootfs_propagation : NULL;
        int r;

        r = no_pivot ? move_root(ctx->rootfs, err) : pivot(ctx->rootfs, err);
        if (r < 0)
                return r;
        if (chdir("/") < 0)
                return berth_error_set(err, errno, "chdir /");
        /* The spec's propagation again, now on the container's own root (runc does the same:
         * before the pivot it would have applied to the host's). */
        if (prop && *prop && mount(NULL, "/", NULL, mnt_propagation_from_name(prop), NULL) < 0)
                return berth_error_set(err, errno, "set propagation of / to %s", prop);
        return 0;
}

/* An O_PATH fd of path in the container, or -ENOENT (left out silently) when it is missing. */
static int open_existing(int rootfd, const char *what, const char *path, int *ret_fd, berth_error **err)
{
        int fd = fs_open_in_root(rootfd, path, O_PATH, 0, NULL);

        if (fd == -ENOENT)
                return -ENOENT;
        if (fd < 0)
                return berth_error_set(err, -fd, "%s %s", what, path);
        *ret_fd = fd;
        return 0;
}

/* Bind the path onto itself, then read-only recursively: mount_setattr leaves nosuid, nodev
 * and noexec (locked or not) as they were. */
static int readonly_path(int rootfd, const char *path, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF, mfd = -EBADF;
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        int r;

        r = open_existing(rootfd, "readonly path", path, &fd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = mnt_bind_create(fd, "", true, path, &mfd, err);
        if (r == 0)
                r = mnt_setattr(mfd, true, &ro, path, path, err);
        if (r == 0)
                r = mnt_attach(mfd, fd, path, path, err);
        return r < 0 ? berth_error_wrap(err, "readonly path %s", path) : 0;
}

/* The container's /dev/null, checked to be the null device: bound over a masked file, a
 * symlink or a planted file there would expose what it points to (CVE-2025-31133). */
static int open_dev_null(int rootfd, int *ret_fd, berth_error **err)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return berth_error_set(err, errno, "stat /dev/null");
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return berth_error_set(err, EPERM, "/dev/null is not the null device");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* /dev/null over a file, an empty read-only tmpfs over a directory. */
static int mask_path(int rootfd, const char *path, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF, mfd = -EBADF;
        struct stat st;
        int r;

        r = open_existing(rootfd, "masked path", path, &fd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return berth_error_set(err, errno, "masked path %s", path);
        if (S_ISDIR(st.st_mode))
                r = mnt_fs_create("tmpfs", "tmpfs", NULL, MS_RDONLY, path, &mfd, err);
        else {
                _cleanup_close_ int null = -EBADF;
                r = open_dev_null(rootfd, &null, err);
                if (r == 0)
                        r = mnt_bind_create(null, "", false, path, &mfd, err);
        }
        if (r == 0)
                r = mnt_attach(mfd, fd, "masked", path, err);
        return r < 0 ? berth_error_wrap(err, "masked path %s", path) : 0;
}

int mount_finalize(const mount_ctx *ctx, berth_error **err)
{
        const oci_linux *l = ctx->spec->linux_;
        _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        int r;

        if (rootfd < 0)
                return berth_error_set(err, errno, "open /");
        STRV_FOREACH (p, l ? l->readonly_paths : NULL) {
                r = readonly_path(rootfd, *p, err);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (p, l ? l->masked_paths : NULL) {
                r = mask_path(rootfd, *p, err);
                if (r < 0)
                        return r;
        }
        if (!ctx->spec->root || !ctx->spec->root->readonly)
                return 0;
        /* Only the root mount, as runc: /proc, /dev and the rest keep their own flags. */
        if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) < 0)
                return berth_error_set(err, errno, "remount / read-only");
        return 0;
}
