/* `cp` between a container's root and the host. Every path on the container's side resolves with
 * openat2(RESOLVE_IN_ROOT) and every step below it with O_NOFOLLOW, so a symlink in the container
 * never leads out of it (a link is copied as a link). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "engine-internal.h"

static int copy_tree(int sfd, const char *sname, int dfd, const char *dname, int depth, bool own,
                     berth_error **err);

static int copy_one(int sfd, const char *sname, int dfd, const char *dname, int depth, bool own,
                    berth_error **err);

static int copy_file(int sfd, const char *sname, int dfd, const char *dname, const struct stat *st,
                     berth_error **err)
{
        _cleanup_close_ int in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int out = -EBADF;
        char buf[65536];
        ssize_t n;

        if (in < 0)
                return berth_error_set(err, errno, "open %s", sname);
        out = openat(dfd, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
        if (out < 0)
                return berth_error_set(err, errno, "create %s", dname);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return berth_error_set(err, errno, "write %s", dname);
        if (n < 0)
                return berth_error_set(err, errno, "read %s", sname);
        fchmod(out, st->st_mode & 07777);
        return 0;
}

static int copy_dir(int sfd, const char *sname, int dfd, const char *dname, const struct stat *st, int depth,
                    bool own, berth_error **err)
{
        _cleanup_close_ int s = openat(sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = -EBADF;
        DIR *dir;
        struct dirent *de;
        int r = 0;

        if (s < 0)
                return berth_error_set(err, errno, "open %s", sname);
        if (mkdirat(dfd, dname, st->st_mode & 07777) < 0 && errno != EEXIST)
                return berth_error_set(err, errno, "mkdir %s", dname);
        d = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
                return berth_error_set(err, errno, "open %s", dname);
        dir = fdopendir(TAKE_FD(s));
        if (!dir)
                return berth_error_set(err, errno, "read %s", sname);
        while (r >= 0 && (de = readdir(dir)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = copy_tree(dirfd(dir), de->d_name, d, de->d_name, depth + 1, own, err);
        closedir(dir);
        return r;
}

/* own: the copy keeps the source's uid and gid (a volume filled from an image), else it is ours. */
static int copy_tree(int sfd, const char *sname, int dfd, const char *dname, int depth, bool own,
                     berth_error **err)
{
        int r = copy_one(sfd, sname, dfd, dname, depth, own, err);
        struct stat st;

        if (r < 0 || !own)
                return r;
        if (fstatat(sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "stat %s", sname);
        if (fchownat(dfd, dname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "chown %s", dname);
        /* chown dropped the set-id bits */
        if (!S_ISLNK(st.st_mode) && fchmodat(dfd, dname, st.st_mode & 07777, 0) < 0)
                return berth_error_set(err, errno, "chmod %s", dname);
        return 0;
}

static int copy_one(int sfd, const char *sname, int dfd, const char *dname, int depth, bool own,
                    berth_error **err)
{
        struct stat st;

        if (depth > 256)
                return berth_error_set(err, 0, "%s: too deep", sname);
        if (fstatat(sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "stat %s", sname);
        if (S_ISDIR(st.st_mode))
                return copy_dir(sfd, sname, dfd, dname, &st, depth, own, err);
        if (S_ISREG(st.st_mode))
                return copy_file(sfd, sname, dfd, dname, &st, err);
        if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(sfd, sname, target, sizeof(target) - 1);
                if (n < 0)
                        return berth_error_set(err, errno, "readlink %s", sname);
                target[n] = 0;
                if (symlinkat(target, dfd, dname) < 0)
                        return berth_error_set(err, errno, "symlink %s", dname);
                return 0;
        }
        return berth_error_set(err, 0, "%s: only files, directories and symlinks are copied", sname);
}

int engine_copy_tree(int sfd, const char *sname, int dfd, const char *dname, bool own, berth_error **err)
{
        return copy_tree(sfd, sname, dfd, dname, 0, own, err);
}

/* Split path into its parent (opened in root when in_root, else on the host) and base name. If
 * path names an existing directory the copy goes into it under src_base, as docker cp does. */
static int open_dest(int rootfd, const char *path, const char *src_base, int *ret_dfd, char **ret_name,
                     berth_error **err)
{
        _cleanup_free_ char *p1 = xstrdup(path), *p2 = xstrdup(path);
        const char *base = basename(p1), *parent = dirname(p2);
        int fd;

        fd = rootfd >= 0 ? fs_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, NULL)
                         : open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                *ret_dfd = fd;
                *ret_name = xstrdup(src_base);
                return 0;
        }
        fd = rootfd >= 0 ? fs_open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0, err)
                         : open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rootfd >= 0 ? fd : berth_error_set(err, errno, "open %s", parent);
        *ret_dfd = fd;
        *ret_name = xstrdup(streq(base, "/") || streq(base, ".") ? src_base : base);
        return 0;
}

int engine_cp(engine *e, const char *what, const char *src, const char *dst, bool to_container,
              berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *dir = NULL, *merged = NULL, *name = NULL, *sdup = xstrdup(src);
        _cleanup_free_ char *sparent_s = xstrdup(src);
        _cleanup_close_ int rootfd = -EBADF, sparent = -EBADF, dfd = -EBADF;
        const char *sbase = basename(sdup);
        bool mounted_here = false;
        struct stat a, b;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        dir = engine_ctr_dir(e->root, c->id);
        merged = xasprintf("%s/merged", dir);
        if (!(stat(dir, &a) == 0 && stat(merged, &b) == 0 && a.st_dev != b.st_dev)) {
                r = engine_mount_rootfs(e, c, dir, err);
                if (r < 0)
                        return r;
                mounted_here = true;
        }
        rootfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                r = berth_error_set(err, errno, "open %s", merged);
        const char *sp = dirname(sparent_s);
        if (r >= 0) {
                sparent = to_container ? open(sp, O_PATH | O_DIRECTORY | O_CLOEXEC)
                                       : fs_open_in_root(rootfd, sp, O_PATH | O_DIRECTORY, 0, err);
                if (sparent < 0)
                        r = to_container ? berth_error_set(err, errno, "open %s", sp) : sparent;
        }
        if (r >= 0)
                r = open_dest(to_container ? rootfd : -1, dst, sbase, &dfd, &name, err);
        if (r >= 0) {
                _cleanup_close_ int s = openat(sparent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_close_ int d = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = s < 0 || d < 0 ? berth_error_set(err, errno, "open %s", dst)
                                   : copy_tree(s, streq(sbase, "/") ? "." : sbase, d, name, 0, false, err);
        }
        if (mounted_here)
                e->driver->umount(dir, NULL);
        return r;
}
