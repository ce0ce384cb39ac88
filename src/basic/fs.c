/* fd and path helpers: openat2 confined lookups, small files, atomic writes, rm -rf. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/close_range.h>

#include "fs.h"
#include "strv.h"

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
        struct open_how how = {
                .flags = (unsigned long long)flags | O_CLOEXEC,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = resolve,
        };
        int fd;

        do
                fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        return fd;
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, berth_error **err)
{
        int fd = sys_openat2(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

        if (fd < 0)
                return berth_error_set(err, errno, "open %s", path);
        return fd;
}

/* Split path into its parent and last component; "" parent means the root. */
static void split_last(const char *path, char **ret_parent, char **ret_name)
{
        _cleanup_free_ char *norm = fs_path_normalize(path);
        char *slash = strrchr(norm, '/');

        if (!slash) {
                *ret_parent = xstrdup("");
                *ret_name = TAKE_PTR(norm);
                return;
        }
        *ret_name = xstrdup(slash + 1);
        *slash = 0;
        *ret_parent = TAKE_PTR(norm);
}

int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strv_split(path, "/");
        _cleanup_close_ int cur = -EBADF;
        _cleanup_free_ char *sofar = xstrdup("");

        cur = sys_openat2(rootfd, ".", O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT);
        if (cur < 0)
                return berth_error_set(err, errno, "open root of %s", path);
        STRV_FOREACH (p, parts) {
                if (streq(*p, ".") || streq(*p, ".."))
                        return berth_error_set(err, EINVAL, "%s: path must not contain . or ..", path);
                char *next = xasprintf("%s/%s", sofar, *p);
                free(sofar);
                sofar = next;
                if (mkdirat(cur, *p, mode) < 0 && errno != EEXIST)
                        return berth_error_set(err, errno, "mkdir %s", sofar);
                /* Resolve from the root again, so a symlink component stays inside it. */
                int fd = sys_openat2(rootfd, sofar, O_PATH | O_DIRECTORY, 0,
                                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                if (fd < 0)
                        return berth_error_set(err, errno, "open %s", sofar);
                close(cur);
                cur = fd;
        }
        if (ret_fd)
                *ret_fd = TAKE_FD(cur);
        return 0;
}

int fs_touch_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, berth_error **err)
{
        _cleanup_free_ char *parent = NULL, *name = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        int r;

        split_last(path, &parent, &name);
        if (!*name || streq(name, ".."))
                return berth_error_set(err, EINVAL, "%s: not a file path", path);
        r = fs_mkdir_p_in_root(rootfd, parent, 0755, &dfd, err);
        if (r < 0)
                return r;
        fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0 && errno != EEXIST)
                return berth_error_set(err, errno, "create %s", path);
        if (!ret_fd)
                return 0;
        close(fd);
        fd = sys_openat2(rootfd, path, O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return berth_error_set(err, errno, "open %s", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, berth_error **err)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return berth_error_set(err, errno, "mkdir %s", p);
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return berth_error_set(err, errno, "mkdir %s", p);
        return 0;
}

int fs_read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len, berth_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 4096;

        if (fd < 0)
                return berth_error_set(err, errno, "open %s", path);
        buf = xmalloc(cap);
        for (;;) {
                if (len + 1 >= cap) {
                        cap *= 2;
                        buf = xrealloc(buf, cap);
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_error_set(err, errno, "read %s", path);
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int fs_read_file(const char *path, char **ret, size_t *ret_len, berth_error **err)
{
        return fs_read_file_at(AT_FDCWD, path, ret, ret_len, err);
}

int fs_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

ssize_t fs_read_all(int fd, void *buf, size_t len)
{
        char *p = buf;
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

int fs_write_file_at(int dirfd, const char *path, const char *data, size_t len, berth_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        int r;

        if (fd < 0)
                return berth_error_set(err, errno, "open %s", path);
        r = fs_write_all(fd, data, len);
        if (r < 0)
                return berth_error_set(err, -r, "write %s", path);
        return 0;
}

int fs_write_file(const char *path, const char *data, size_t len, berth_error **err)
{
        return fs_write_file_at(AT_FDCWD, path, data, len, err);
}

int fs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, berth_error **err)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        int r;

        if (fd < 0)
                return berth_error_set(err, errno, "create %s", tmp);
        r = fs_write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return berth_error_set(err, -r, "write %s", tmp);
        }
        if (rename(tmp, path) < 0) {
                r = errno;
                unlink(tmp);
                return berth_error_set(err, r, "rename %s", path);
        }
        return 0;
}

static int rm_rf_children(int dfd, const char *what, berth_error **err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        struct stat dst;
        int fd = dup(dfd);

        if (fd < 0 || fstat(dfd, &dst) < 0)
                return berth_error_set(err, errno, "open %s", what);
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return berth_error_set(err, errno, "open %s", what);
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return berth_error_set(err, errno, "stat %s/%s", what, de->d_name);
                }
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dst.st_dev)
                                return berth_error_set(err, EBUSY, "remove %s/%s: a mount point", what,
                                                       de->d_name);
                        _cleanup_close_ int cfd =
                                openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0)
                                return berth_error_set(err, errno, "open %s/%s", what, de->d_name);
                        int r = rm_rf_children(cfd, what, err);
                        if (r < 0)
                                return r;
                        if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                                return berth_error_set(err, errno, "remove %s/%s", what, de->d_name);
                } else if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
                        return berth_error_set(err, errno, "remove %s/%s", what, de->d_name);
                }
        }
        return 0;
}

int fs_rm_rf_at(int dirfd, const char *name, berth_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno == ENOTDIR || errno == ELOOP) {
                        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                                return berth_error_set(err, errno, "remove %s", name);
                        return 0;
                }
                return berth_error_set(err, errno, "open %s", name);
        }
        r = rm_rf_children(fd, name, err);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return berth_error_set(err, errno, "remove %s", name);
        return 0;
}

int fs_rm_rf(const char *path, berth_error **err)
{
        return fs_rm_rf_at(AT_FDCWD, path, err);
}

char *fs_path_normalize(const char *path)
{
        _cleanup_strv_free_ char **parts = strv_split(path, "/");
        char **out = xcalloc(strv_length(parts) + 1, sizeof(char *));
        size_t n = 0;
        char *joined, *r;

        STRV_FOREACH (p, parts) {
                if (streq(*p, "."))
                        continue;
                if (streq(*p, "..")) {
                        if (n > 0)
                                n--;
                        continue;
                }
                out[n++] = *p;
        }
        out[n] = NULL;
        joined = strv_join(out, "/");
        free(out);
        if (path[0] != '/')
                return joined;
        r = xasprintf("/%s", joined);
        free(joined);
        return r;
}

char *fs_path_join(const char *a, const char *b)
{
        _cleanup_free_ char *j = xasprintf("%s/%s", a, b);
        return fs_path_normalize(j);
}

int fs_cloexec_from(int from)
{
        if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return -errno;
        return 0;
}
