/*
 * /dev inside the container: the default devices runc gives every container, linux.devices,
 * the /proc/self/fd symlinks and /dev/ptmx. In a user namespace mknod is not allowed, so the
 * host's device node is bound onto an empty file instead.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/fs.h"
#include "mount-internal.h"

static const oci_device default_devices[] = {
        {.path = (char *)"/dev/null", .type = 'c', .major = 1, .minor = 3},
        {.path = (char *)"/dev/zero", .type = 'c', .major = 1, .minor = 5},
        {.path = (char *)"/dev/full", .type = 'c', .major = 1, .minor = 7},
        {.path = (char *)"/dev/random", .type = 'c', .major = 1, .minor = 8},
        {.path = (char *)"/dev/urandom", .type = 'c', .major = 1, .minor = 9},
        {.path = (char *)"/dev/tty", .type = 'c', .major = 5, .minor = 0},
};

static int device_mode(const oci_device *d, mode_t *ret, berth_error **err)
{
        mode_t perm = d->file_mode.set ? (mode_t)(d->file_mode.value & 07777) : 0666;

        switch (d->type) {
        case 'c':
        case 'u':
                *ret = S_IFCHR | perm;
                return 0;
        case 'b':
                *ret = S_IFBLK | perm;
                return 0;
        case 'p':
                *ret = S_IFIFO | perm;
                return 0;
        default:
                return berth_error_set(err, EINVAL, "device %s: unknown type '%c'", d->path, d->type);
        }
}

/* Bind the host's node of the same path onto an empty file (user namespaces, or mknod EPERM). */
static int device_bind(int rootfd, const oci_device *d, berth_error **err)
{
        _cleanup_close_ int tfd = -EBADF, mfd = -EBADF;
        int r;

        r = fs_touch_in_root(rootfd, d->path, 0600, &tfd, err);
        if (r < 0)
                return berth_error_wrap(err, "device %s", d->path);
        r = mnt_bind_create(AT_FDCWD, d->path, false, d->path, &mfd, err);
        if (r < 0)
                return r;
        return mnt_attach(mfd, tfd, d->path, d->path, err);
}

static int device_mknod(int rootfd, const oci_device *d, berth_error **err)
{
        _cleanup_free_ char *parent = NULL, *name = NULL;
        _cleanup_close_ int pfd = -EBADF;
        mode_t mode = 0, old_umask;
        int r;

        r = device_mode(d, &mode, err);
        if (r < 0)
                return r;
        mnt_split_path(d->path, &parent, &name);
        r = fs_mkdir_p_in_root(rootfd, parent, 0755, &pfd, err);
        if (r < 0)
                return berth_error_wrap(err, "device %s", d->path);
        old_umask = umask(0);
        r = mknodat(pfd, name, mode, makedev((unsigned)d->major, (unsigned)d->minor));
        umask(old_umask);
        if (r < 0 && errno == EEXIST)
                return 0;
        if (r < 0 && errno == EPERM && d->type != 'p')
                return device_bind(rootfd, d, err);
        if (r < 0)
                return berth_error_set(err, errno, "mknod %s", d->path);
        if (fchownat(pfd, name, d->uid.set ? (uid_t)d->uid.value : 0, d->gid.set ? (gid_t)d->gid.value : 0,
                     AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "chown %s", d->path);
        return 0;
}

static int device_create(const mount_ctx *ctx, int rootfd, const oci_device *d, berth_error **err)
{
        if (!d->path || d->path[0] != '/')
                return berth_error_set(err, EINVAL, "device %s: not an absolute path", strempty(d->path));
        if (ctx->in_user_ns && d->type != 'p')
                return device_bind(rootfd, d, err);
        return device_mknod(rootfd, d, err);
}

static bool configured(const mount_ctx *ctx, const char *path)
{
        const oci_linux *l = ctx->spec->linux_;

        for (size_t i = 0; l && i < l->n_devices; i++)
                if (l->devices[i].path && streq(l->devices[i].path, path))
                        return true;
        return false;
}

static int dev_symlinks(int devfd, bool have_devpts, berth_error **err)
{
        static const char *const links[][2] = {
                {"/proc/self/fd", "fd"},
                {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"},
                {"/proc/self/fd/2", "stderr"},
        };

        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
                        return berth_error_set(err, errno, "symlink /dev/%s", links[i][1]);
        /* Still the host's /proc here: the container gets /dev/core when the kernel has kcore. */
        if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
            errno != EEXIST)
                return berth_error_set(err, errno, "symlink /dev/core");
        if (!have_devpts)
                return 0;
        if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
                return berth_error_set(err, errno, "remove /dev/ptmx");
        if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
                return berth_error_set(err, errno, "symlink /dev/ptmx");
        return 0;
}

int mount_dev_setup(const mount_ctx *ctx, int rootfd, bool have_devpts, berth_error **err)
{
        const oci_linux *l = ctx->spec->linux_;
        _cleanup_close_ int devfd = -EBADF;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
                if (configured(ctx, default_devices[i].path))
                        continue;
                r = device_create(ctx, rootfd, &default_devices[i], err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; l && i < l->n_devices; i++) {
                r = device_create(ctx, rootfd, &l->devices[i], err);
                if (r < 0)
                        return r;
        }
        r = fs_mkdir_p_in_root(rootfd, "/dev", 0755, &devfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination /dev");
        return dev_symlinks(devfd, have_devpts, err);
}
