/* vfs driver: the layers copied one over the other into DIR/merged, whiteouts applied, for hosts
 * (or file systems) where overlay can not be mounted. Slow and big, but it works everywhere. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "basic/fs.h"
#include "storage.h"

static int copy_dir(int sfd, int dfd, const char *path, berth_error **err);

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int fd)
{
        char v[2];
        return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int copy_xattrs(int sfd, int dfd, const char *path, berth_error **err)
{
        char names[4096], value[4096];
        ssize_t n = flistxattr(sfd, names, sizeof(names));

        for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
                const char *name = names + i;
                if (strneq(name, "trusted.overlay.", 16))
                        continue;
                ssize_t vn = fgetxattr(sfd, name, value, sizeof(value));
                if (vn >= 0 && fsetxattr(dfd, name, value, (size_t)vn, 0) < 0)
                        return berth_error_set(err, errno, "%s: set xattr %s", path, name);
        }
        return 0;
}

static int copy_meta_fd(int sfd, int dfd, const struct stat *st, const char *path, berth_error **err)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};

        if (fchown(dfd, st->st_uid, st->st_gid) < 0 || fchmod(dfd, st->st_mode & 07777) < 0)
                return berth_error_set(err, errno, "%s: set owner and mode", path);
        if (copy_xattrs(sfd, dfd, path, err) < 0)
                return -EIO;
        if (futimens(dfd, ts) < 0)
                return berth_error_set(err, errno, "%s: set times", path);
        return 0;
}

static int copy_regular(int sdir, int ddir, const char *name, const struct stat *st, const char *path,
                        berth_error **err)
{
        _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d =
                openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        off_t left = st->st_size;

        if (s < 0 || d < 0)
                return berth_error_set(err, errno, "copy %s", path);
        while (left > 0) {
                ssize_t n = copy_file_range(s, NULL, d, NULL, (size_t)left, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return berth_error_set(err, n < 0 ? errno : EIO, "copy %s", path);
                left -= n;
        }
        return copy_meta_fd(s, d, st, path, err);
}

static int copy_node(int sdir, int ddir, const char *name, const struct stat *st, const char *path,
                     berth_error **err)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};

        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_error_set(err, errno, "readlink %s", path);
                target[n] = 0;
                if (symlinkat(target, ddir, name) < 0)
                        return berth_error_set(err, errno, "symlink %s", path);
        } else if (mknodat(ddir, name, st->st_mode, st->st_rdev) < 0)
                return berth_error_set(err, errno, "mknod %s", path);
        if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "chown %s", path);
        if (!S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
                return berth_error_set(err, errno, "chmod %s", path);
        if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "set times of %s", path);
        return 0;
}

static int copy_subdir(int sdir, int ddir, const char *name, const struct stat *st, const char *path,
                       berth_error **err)
{
        _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = -EBADF;
        struct stat dst;
        int r;

        if (s < 0)
                return berth_error_set(err, errno, "open %s", path);
        /* An opaque directory hides what the layers below put there. */
        if (fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0 && (!S_ISDIR(dst.st_mode) || is_opaque(s))) {
                r = fs_rm_rf_at(ddir, name, err);
                if (r < 0)
                        return r;
        }
        if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
                return berth_error_set(err, errno, "mkdir %s", path);
        d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
                return berth_error_set(err, errno, "open %s", path);
        r = copy_dir(s, d, path, err);
        if (r < 0)
                return r;
        return copy_meta_fd(s, d, st, path, err);
}

static int copy_entry(int sfd, int dfd, const char *name, const char *path, berth_error **err)
{
        struct stat st, dst;

        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "stat %s", path);
        if (S_ISDIR(st.st_mode))
                return copy_subdir(sfd, dfd, name, &st, path, err);
        if (fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
                int r = fs_rm_rf_at(dfd, name, err);
                if (r < 0)
                        return r;
        }
        if (is_whiteout(&st))
                return 0;
        if (S_ISREG(st.st_mode))
                return copy_regular(sfd, dfd, name, &st, path, err);
        if (S_ISSOCK(st.st_mode))
                return 0;
        return copy_node(sfd, dfd, name, &st, path, err);
}

static int copy_dir(int sfd, int dfd, const char *path, berth_error **err)
{
        int fd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, errno, "open %s", path);
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", path, de->d_name);
                int r = copy_entry(sfd, dfd, de->d_name, p, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int vfs_mount(const char *dir, char *const *lowers, size_t n, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir),
                            *stamp = xasprintf("%s/vfs-complete", dir);
        _cleanup_close_ int dfd = -EBADF, stampfd = -EBADF;
        int r;

        r = fs_mkdir_p(merged, 0755, err);
        if (r < 0)
                return r;
        dfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_error_set(err, errno, "open %s", merged);
        /* A copy made once stays: mounting again after an umount keeps the container's writes. */
        if (access(stamp, F_OK) == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int sfd = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sfd < 0)
                        return berth_error_set(err, errno, "open %s", lowers[i]);
                r = copy_dir(sfd, dfd, lowers[i], err);
                if (r < 0)
                        return r;
        }
        stampfd = open(stamp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (stampfd < 0)
                return berth_error_set(err, errno, "create %s", stamp);
        return 0;
}

static int vfs_umount(const char *dir, berth_error **err)
{
        return 0;
}

static int vfs_remove(const char *dir, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir),
                            *stamp = xasprintf("%s/vfs-complete", dir);
        int r = fs_rm_rf(merged, err);

        if (r >= 0 && unlink(stamp) < 0 && errno != ENOENT)
                r = berth_error_set(err, errno, "remove %s", stamp);
        return r;
}

static int vfs_usage(const char *dir, uint64_t *ret, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);
        return storage_disk_usage(merged, ret, err);
}

static bool vfs_supported(const char *root)
{
        return true;
}

const storage_driver storage_driver_vfs = {
        .name = "vfs",
        .supported = vfs_supported,
        .mount = vfs_mount,
        .umount = vfs_umount,
        .remove = vfs_remove,
        .usage = vfs_usage,
};
