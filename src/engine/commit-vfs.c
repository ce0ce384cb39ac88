/* The changes of a vfs container, which has no upper dir: its full copy (DIR/merged) compared
 * with the image's layers, as Docker's naive diff does (type, mode, owner, size, mtime, link
 * target), written as an overlay-format tree (hardlinks of changed files, 0/0 character devices
 * for deleted ones) so that diff and commit read it like an overlay upper dir. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/fs.h"
#include "commit-vfs.h"

#define MAX_DEPTH 512

typedef struct vfs_ctx {
        const int *lowers; /* top first */
        size_t n;
        int mergedfd, outfd;
        char *const *skip; /* relative paths left alone (the engine's mount points) */
} vfs_ctx;

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int open_beneath(int dirfd, const char *path, int flags)
{
        struct open_how how = {.flags = (uint64_t)flags | O_NOFOLLOW | O_CLOEXEC,
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};

        return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static bool is_opaque_fd(int fd)
{
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", fd);
        char v[2];

        return lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* The stat of path as the image shows it (the top-most layer that has it); false when absent. */
static bool lower_stat(vfs_ctx *x, const char *path, struct stat *ret)
{
        _cleanup_free_ char *pcopy = xstrdup(path);
        char *slash = strrchr(pcopy, '/');
        const char *name = slash ? slash + 1 : pcopy;

        if (slash)
                *slash = 0;
        for (size_t i = 0; i < x->n; i++) {
                _cleanup_close_ int d = slash ? open_beneath(x->lowers[i], pcopy, O_PATH | O_DIRECTORY)
                                              : fcntl(x->lowers[i], F_DUPFD_CLOEXEC, 3);
                if (d < 0)
                        continue;
                if (fstatat(d, name, ret, AT_SYMLINK_NOFOLLOW) == 0)
                        return !is_whiteout(ret);
                /* an opaque parent hides what the layers below have */
                if (slash && is_opaque_fd(d))
                        return false;
        }
        return false;
}

/* Names of directory path in the image: the union of the layers, whiteouts and opaque dirs
 * applied. */
static char **lower_names(vfs_ctx *x, const char *path)
{
        char **names = NULL, **hidden = NULL;

        for (size_t i = 0; i < x->n; i++) {
                _cleanup_close_ int d =
                        path[0] ? open_beneath(x->lowers[i], path, O_RDONLY | O_DIRECTORY)
                                : openat(x->lowers[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct dirent **list = NULL;
                int n;
                if (d < 0)
                        continue;
                n = scandirat(d, ".", &list, NULL, NULL);
                for (int k = 0; k < n; k++) {
                        const char *name = list[k]->d_name;
                        struct stat st;
                        if (!streq(name, ".") && !streq(name, "..") && !strv_contains(names, name) &&
                            !strv_contains(hidden, name) && fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                                strv_push(is_whiteout(&st) ? &hidden : &names, name);
                        free(list[k]);
                }
                free(list);
                if (is_opaque_fd(d))
                        break;
        }
        strv_free(hidden);
        return names;
}

static bool same(const struct stat *a, const struct stat *b)
{
        return (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT) && a->st_mode == b->st_mode &&
               a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
               (S_ISDIR(a->st_mode) || a->st_size == b->st_size) && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
               a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_rdev == b->st_rdev;
}

static int set_meta(int dirfd, const char *name, const struct stat *st, berth_error **err)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};

        if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0) ||
            utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "set metadata of %s", name);
        return 0;
}

/* The directory path in the output tree (and its parents, with the merged tree's metadata). */
static int out_dir(vfs_ctx *x, const char *path, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strv_split(path, "/");
        _cleanup_free_ char *cur = NULL;

        STRV_FOREACH (p, parts) {
                char *next = cur ? xasprintf("%s/%s", cur, *p) : xstrdup(*p);
                struct stat st;
                free(cur);
                cur = next;
                if (fstatat(x->outfd, cur, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        continue;
                if (fstatat(x->mergedfd, cur, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_error_set(err, errno, "stat /%s", cur);
                if (mkdirat(x->outfd, cur, 0700) < 0)
                        return berth_error_set(err, errno, "mkdir %s", cur);
                int r = set_meta(x->outfd, cur, &st, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Put the merged tree's entry at path into the output tree (a directory without its content). */
static int emit(vfs_ctx *x, const char *path, const struct stat *st, berth_error **err)
{
        _cleanup_free_ char *pcopy = xstrdup(path);
        char *slash = strrchr(pcopy, '/');
        int r = 0;

        if (slash) {
                *slash = 0;
                r = out_dir(x, pcopy, err);
        }
        if (r < 0)
                return r;
        if (S_ISDIR(st->st_mode))
                return out_dir(x, path, err);
        if (S_ISREG(st->st_mode)) {
                if (linkat(x->mergedfd, path, x->outfd, path, 0) < 0)
                        return berth_error_set(err, errno, "link /%s", path);
                return 0;
        }
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(x->mergedfd, path, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_error_set(err, errno, "readlink /%s", path);
                target[n] = 0;
                if (symlinkat(target, x->outfd, path) < 0)
                        return berth_error_set(err, errno, "symlink /%s", path);
        } else if (mknodat(x->outfd, path, st->st_mode, st->st_rdev) < 0)
                return berth_error_set(err, errno, "mknod /%s", path);
        return set_meta(x->outfd, path, st, err);
}

static int whiteout(vfs_ctx *x, const char *path, berth_error **err)
{
        _cleanup_free_ char *pcopy = xstrdup(path);
        char *slash = strrchr(pcopy, '/');
        int r = 0;

        if (slash) {
                *slash = 0;
                r = out_dir(x, pcopy, err);
        }
        if (r >= 0 && mknodat(x->outfd, path, S_IFCHR | 0000, makedev(0, 0)) < 0)
                r = berth_error_set(err, errno, "whiteout /%s", path);
        return r;
}

static int compare_dir(vfs_ctx *x, const char *path, bool all_new, int depth, berth_error **err)
{
        _cleanup_close_ int d = path[0] ? open_beneath(x->mergedfd, path, O_RDONLY | O_DIRECTORY)
                                        : openat(x->mergedfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_strv_free_ char **lower = NULL, **seen = NULL;
        struct dirent **list = NULL;
        int n, r = 0;

        if (depth > MAX_DEPTH)
                return berth_error_set(err, ELOOP, "/%s: too deep", path);
        if (d < 0)
                return berth_error_set(err, errno, "open /%s", path);
        n = scandirat(d, ".", &list, NULL, alphasort);
        if (n < 0)
                return berth_error_set(err, errno, "read /%s", path);
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                _cleanup_free_ char *p = path[0] ? xasprintf("%s/%s", path, name) : xstrdup(name);
                struct stat st, lst;
                bool old = false;
                if (r < 0 || streq(name, ".") || streq(name, "..") ||
                    fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || strv_contains(x->skip, p)) {
                        if (r >= 0 && !streq(name, ".") && !streq(name, ".."))
                                strv_push(&seen, name);
                        free(list[i]);
                        continue;
                }
                strv_push(&seen, name);
                old = !all_new && lower_stat(x, p, &lst);
                if (!old || !same(&st, &lst))
                        r = emit(x, p, &st, err);
                if (r >= 0 && S_ISDIR(st.st_mode))
                        r = compare_dir(x, p, !old || !S_ISDIR(lst.st_mode), depth + 1, err);
                free(list[i]);
        }
        free(list);
        if (r < 0 || all_new)
                return r;
        lower = lower_names(x, path);
        STRV_FOREACH (l, lower) {
                _cleanup_free_ char *p = path[0] ? xasprintf("%s/%s", path, *l) : xstrdup(*l);
                if (r >= 0 && !strv_contains(seen, *l))
                        r = whiteout(x, p, err);
        }
        return r;
}

int vfs_changes(int mergedfd, const int *lowers, size_t n, char *const *skip, int outfd, berth_error **err)
{
        vfs_ctx x = {.lowers = lowers, .n = n, .mergedfd = mergedfd, .outfd = outfd, .skip = skip};

        return compare_dir(&x, "", false, 0, err);
}
