/* COPY and ADD. Sources are read below the context (or the root of another stage's image) and
 * written below the root of a container of the stage's image, every path resolved with
 * openat2(RESOLVE_IN_ROOT) and every step below a resolved directory taken with O_NOFOLLOW: a
 * symlink in the context or in the image can neither make the build read a host file nor write
 * one. What a COPY would copy is hashed first (paths, modes, contents, link targets): that digest
 * is the step's cache input. */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "build-internal.h"
#include "engine/commit.h"
#include "image/digest.h"
#include "image/derive.h"
#include "image/unpack.h"

#define MAX_DEPTH 256

typedef struct copy_job {
        builder *b;
        stage *st;
        const df_instruction *in;
        int srcfd;      /* the root sources are read below (O_PATH) */
        bool context;   /* sources are the context's: .dockerignore applies */
        char *from_ctr; /* --from: the container whose root is mounted */
        char *from_image;
        char **sources; /* relative to srcfd, after globbing */
        char *dest;     /* absolute in the image */
        bool dest_dir;
        uid_t uid;
        gid_t gid;
        char *chown;
        int chmod; /* --chmod, -1: the source's mode */
} copy_job;

static void job_clear(copy_job *j)
{
        if (j->srcfd >= 0 && !j->context)
                close(j->srcfd);
        if (j->from_ctr) {
                engine_umount_rootfs_of(j->b->e, j->from_ctr, NULL);
                build_container_remove(j->b, j->from_ctr);
        }
        free(j->from_ctr);
        free(j->from_image);
        strv_free(j->sources);
        free(j->dest);
        free(j->chown);
}

/* ---- sources ---- */

/* --from=NAME: ARG values in scope substituted (as BuildKit), then a stage or an image. */
static int open_from(copy_job *j, const char *raw, berth_error **err)
{
        builder *b = j->b;
        size_t current = (size_t)(j->st - b->stages);
        _cleanup_free_ char *from = NULL;
        int ref;

        if (df_expand(raw, b->df->escape, j->st->args, &from, err) < 0)
                return berth_error_wrap(err, "--from=%s", raw);
        ref = build_stage_ref(b, from, current);

        if (ref == -2)
                return berth_error_set(err, 0, "circular dependency detected on stage: %s", from);
        if (ref >= 0 && !b->stages[ref].image_id) /* e.g. named by an ONBUILD trigger only */
                return berth_error_set(err, 0,
                                       "--from=%s: the target does not depend on that stage, "
                                       "which was skipped",
                                       from);
        if (ref >= 0) {
                j->from_image = xstrdup(b->stages[ref].image_id);
                return 0;
        }
        int r = build_resolve_image(b, from, &j->from_image, err);
        if (r < 0)
                return berth_error_wrap(err, "--from=%s: no such stage or image", from);
        return 0;
}

static int mount_from(copy_job *j, berth_error **err)
{
        _cleanup_free_ char *merged = NULL;
        int r = build_container_create(j->b, j->from_image, NULL, NULL, NULL, &j->from_ctr, err);

        if (r >= 0)
                r = engine_mount_rootfs_of(j->b->e, j->from_ctr, &merged, err);
        if (r < 0)
                return r;
        j->srcfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (j->srcfd < 0)
                return berth_error_set(err, errno, "open %s", merged);
        return 0;
}

static bool has_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* Expand pattern segment by segment below prefix. */
static int glob_below(copy_job *j, const char *prefix, char **segs, char ***out, berth_error **err)
{
        _cleanup_close_ int dfd = -EBADF;
        struct dirent **list = NULL;
        int n;

        if (!*segs) {
                strv_push(out, prefix[0] ? prefix : ".");
                return 0;
        }
        if (!has_glob(*segs)) {
                _cleanup_free_ char *p = prefix[0] ? xasprintf("%s/%s", prefix, *segs) : xstrdup(*segs);
                return glob_below(j, p, segs + 1, out, err);
        }
        dfd = fs_open_in_root(j->srcfd, prefix[0] ? prefix : ".", O_RDONLY | O_DIRECTORY, 0, NULL);
        if (dfd < 0)
                return 0;
        n = scandirat(dfd, ".", &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                if (!streq(name, ".") && !streq(name, "..") && fnmatch(*segs, name, FNM_PERIOD) == 0) {
                        _cleanup_free_ char *p =
                                prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
                        glob_below(j, p, segs + 1, out, err);
                }
                free(list[i]);
        }
        free(list);
        return 0;
}

static bool ignored(copy_job *j, const char *path)
{
        return j->context && !streq(path, ".") && build_ignored(j->b->ignore, path);
}

static int find_sources(copy_job *j, char *const *patterns, berth_error **err)
{
        STRV_FOREACH (p, (char **)patterns) {
                _cleanup_free_ char *abs = xasprintf("/%s", *p), *norm = fs_path_normalize(abs);
                _cleanup_strv_free_ char **segs = NULL, **found = NULL;
                size_t before = strv_length(j->sources);
                if (strneq(*p, "http://", 7) || strneq(*p, "https://", 8))
                        return berth_error_set(err, 0, "%s: sources from URLs are not supported", *p);
                segs = strv_split(norm, "/");
                glob_below(j, "", segs, &found, err);
                STRV_FOREACH (f, found) {
                        struct stat st;
                        _cleanup_close_ int fd = fs_open_in_root(j->srcfd, *f, O_PATH, 0, NULL);
                        if (fd >= 0 && fstat(fd, &st) == 0 && !ignored(j, *f))
                                strv_push(&j->sources, *f);
                }
                if (strv_length(j->sources) == before)
                        return berth_error_set(
                                err, ENOENT,
                                "%s failed: file not found in %s or excluded by .dockerignore: %s",
                                j->in->keyword, j->context ? "build context" : "the source image", *p);
        }
        return 0;
}

/* --chmod=0755: octal, as the Dockerfile reference documents it (BuildKit's symbolic forms are
 * refused rather than guessed). */
static int parse_chmod(copy_job *j, const char *value, berth_error **err)
{
        char *end;
        long m;

        errno = 0;
        m = strtol(value, &end, 8);
        if (!*value || *end || errno || m < 0 || m > 07777)
                return berth_error_set(err, 0, "%s --chmod=%s: expected an octal mode such as 0755",
                                       j->in->keyword, value);
        j->chmod = (int)m;
        return 0;
}

static int parse_job(copy_job *j, berth_error **err)
{
        _cleanup_strv_free_ char **w = NULL, **env = build_stage_env(j->st);
        const char *from = df_flag(j->in, "from"), *chown = df_flag(j->in, "chown");
        size_t n;
        int r = 0;

        if (j->in->json) {
                STRV_FOREACH (a, j->in->json) {
                        char *x = NULL;
                        r = df_expand(*a, j->b->df->escape, env, &x, err);
                        if (r < 0)
                                return r;
                        strv_consume(&w, x);
                }
        } else
                r = df_words(j->in->args, j->b->df->escape, env, true, &w, err);
        if (r < 0)
                return r;
        n = strv_length(w);
        if (n < 2)
                return berth_error_set(err, 0, "%s requires at least two arguments", j->in->keyword);
        if (chown) {
                r = df_expand(chown, j->b->df->escape, env, &j->chown, err);
                if (r < 0)
                        return r;
        }
        if (df_flag(j->in, "chmod")) {
                _cleanup_free_ char *mode = NULL;
                r = df_expand(df_flag(j->in, "chmod"), j->b->df->escape, env, &mode, err);
                if (r >= 0)
                        r = parse_chmod(j, mode, err);
                if (r < 0)
                        return r;
        }
        if (from) {
                r = open_from(j, from, err);
                if (r < 0)
                        return r;
                r = mount_from(j, err);
        } else {
                j->srcfd = j->b->ctxfd;
                j->context = true;
        }
        if (r < 0)
                return r;
        {
                const char *wd = json_string_value(json_object_get(j->st->config, "WorkingDir"));
                const char *d = w[n - 1];
                size_t dl = strlen(d);
                j->dest = d[0] == '/' ? fs_path_normalize(d) : fs_path_join(wd && *wd ? wd : "/", d);
                j->dest_dir = (dl > 0 && d[dl - 1] == '/') || (dl > 1 && streq(d + dl - 2, "/."));
                free(w[n - 1]);
                w[n - 1] = NULL;
        }
        r = find_sources(j, w, err);
        if (r >= 0 && strv_length(j->sources) > 1 && !j->dest_dir)
                return berth_error_set(err, 0,
                                       "When using %s with more than one source file, the destination "
                                       "must be a directory and end with a /",
                                       j->in->keyword);
        return r;
}

/* ---- inputs (the cache key) ---- */

static int hash_tree(copy_job *j, digester *g, int dirfd, const char *name, const char *rel, int depth,
                     berth_error **err);

static int hash_dir(copy_job *j, digester *g, int fd, const char *rel, int depth, berth_error **err)
{
        struct dirent **list = NULL;
        int n = scandirat(fd, ".", &list, NULL, alphasort), r = 0;

        if (n < 0)
                return berth_error_set(err, errno, "read %s", rel);
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                if (r >= 0 && !streq(name, ".") && !streq(name, "..")) {
                        _cleanup_free_ char *child =
                                streq(rel, ".") ? xstrdup(name) : xasprintf("%s/%s", rel, name);
                        if (!ignored(j, child))
                                r = hash_tree(j, g, fd, name, child, depth + 1, err);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

static int hash_tree(copy_job *j, digester *g, int dirfd, const char *name, const char *rel, int depth,
                     berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        char head[512], buf[65536];
        struct stat st;
        ssize_t n;

        if (depth > MAX_DEPTH)
                return berth_error_set(err, ELOOP, "%s: too deep", rel);
        fd = depth == 0 ? fs_open_in_root(dirfd, name, O_RDONLY | O_NONBLOCK, 0, err)
                        : openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return depth == 0 ? fd : berth_error_set(err, errno, "open %s", rel);
        if (fstat(fd, &st) < 0)
                return berth_error_set(err, errno, "stat %s", rel);
        snprintf(head, sizeof(head), "%s\n%o\n%lld\n", rel, (unsigned)st.st_mode, (long long)st.st_size);
        digester_update(g, head, strlen(head) + 1);
        if (S_ISLNK(st.st_mode)) {
                n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
                if (n > 0)
                        digester_update(g, buf, (size_t)n);
        } else if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int rfd =
                        depth == 0 ? TAKE_FD(fd) : openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (rfd < 0)
                        return berth_error_set(err, errno, "open %s", rel);
                while ((n = read(rfd, buf, sizeof(buf))) > 0)
                        digester_update(g, buf, (size_t)n);
                if (n < 0)
                        return berth_error_set(err, errno, "read %s", rel);
        } else if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int dfd =
                        depth == 0 ? TAKE_FD(fd)
                                   : openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        return berth_error_set(err, errno, "open %s", rel);
                return hash_dir(j, g, dfd, rel, depth, err);
        }
        return 0;
}

int build_copy_inputs(builder *b, stage *st, const df_instruction *in, char **ret_inputs, berth_error **err)
{
        copy_job j = {.b = b, .st = st, .in = in, .srcfd = -EBADF, .chmod = -1};
        _cleanup_digester_ digester *g = digester_new();
        char out[DIGEST_SHA256_LEN + 1];
        int r;

        /* --from: the source image's id says all about its content; nothing is mounted for it */
        if (df_flag(in, "from")) {
                r = open_from(&j, df_flag(in, "from"), err);
                if (r >= 0)
                        *ret_inputs = xasprintf("from %s", j.from_image);
                job_clear(&j);
                return r;
        }
        r = parse_job(&j, err);
        STRV_FOREACH (s, j.sources) {
                if (r < 0)
                        break;
                r = hash_tree(&j, g, j.srcfd, *s, *s, 0, err);
        }
        job_clear(&j);
        if (r < 0)
                return r;
        digester_final(g, out);
        *ret_inputs = xstrdup(out);
        return 0;
}

/* ---- ownership ---- */

/* NAME or number, looked up in the image's /etc/passwd (field 3) or /etc/group. */
static int lookup_id(int rootfd, const char *file, const char *name, unsigned *ret, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *proc = NULL, *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        char *end;
        size_t len;
        unsigned long v = strtoul(name, &end, 10);

        if (*name && !*end) {
                *ret = (unsigned)v;
                return 0;
        }
        fd = fs_open_in_root(rootfd, file, O_RDONLY, 0, NULL);
        if (fd >= 0) {
                proc = xasprintf("/proc/self/fd/%d", fd);
                if (fs_read_file(proc, &text, &len, NULL) >= 0)
                        lines = strv_split(text, "\n");
        }
        STRV_FOREACH (l, lines) {
                _cleanup_strv_free_ char **f = strv_split(*l, ":");
                if (strv_length(f) >= 3 && streq(f[0], name)) {
                        *ret = (unsigned)strtoul(f[2], NULL, 10);
                        return 0;
                }
        }
        return berth_error_set(err, 0, "--chown: unable to find %s %s in the image's %s",
                               streq(file, "etc/passwd") ? "user" : "group", name, file);
}

static int resolve_chown(copy_job *j, int rootfd, berth_error **err)
{
        _cleanup_free_ char *user = NULL;
        unsigned uid = 0, gid = 0;
        char *colon;
        int r;

        if (!j->chown)
                return 0;
        user = xstrdup(j->chown);
        colon = strchr(user, ':');
        if (colon)
                *colon = 0;
        r = lookup_id(rootfd, "etc/passwd", user, &uid, err);
        if (r >= 0 && colon)
                r = lookup_id(rootfd, "etc/group", colon + 1, &gid, err);
        else if (r >= 0)
                gid = uid; /* Docker: the group of the same number */
        if (r < 0)
                return r;
        j->uid = uid;
        j->gid = gid;
        return 0;
}

/* ---- copying ---- */

static mode_t mode_of(const copy_job *j, const struct stat *st)
{
        return j->chmod >= 0 ? (mode_t)j->chmod : st->st_mode & 07777;
}

static int set_meta_path(const copy_job *j, int fd, const struct stat *st)
{
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", fd);
        struct timespec ts[2] = {st->st_atim, st->st_mtim};

        if (fchownat(fd, "", j->uid, j->gid, AT_EMPTY_PATH) < 0 || chmod(p, mode_of(j, st)) < 0 ||
            utimensat(AT_FDCWD, p, ts, 0) < 0)
                return -errno;
        return 0;
}

/* Make room for a non-directory entry: an old file or link goes, a directory is an error. */
static int make_room(int pfd, const char *name, const char *path, berth_error **err)
{
        struct stat st;

        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (S_ISDIR(st.st_mode))
                return berth_error_set(err, EISDIR, "cannot overwrite directory %s with a file", path);
        if (unlinkat(pfd, name, 0) < 0)
                return berth_error_set(err, errno, "remove %s", path);
        return 0;
}

static int copy_file(copy_job *j, int sfd, const struct stat *st, int pfd, const char *name,
                     const char *path, berth_error **err)
{
        _cleanup_close_ int out = -EBADF;
        char buf[65536];
        ssize_t n;
        int r = make_room(pfd, name, path, err);

        if (r < 0)
                return r;
        out = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return berth_error_set(err, errno, "create %s", path);
        while ((n = read(sfd, buf, sizeof(buf))) > 0)
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return berth_error_set(err, errno, "write %s", path);
        if (n < 0)
                return berth_error_set(err, errno, "read the source of %s", path);
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        if (fchown(out, j->uid, j->gid) < 0 || fchmod(out, mode_of(j, st)) < 0 || futimens(out, ts) < 0)
                return berth_error_set(err, errno, "set owner and mode of %s", path);
        return 0;
}

static int copy_symlink(copy_job *j, int sdir, const char *sname, int pfd, const char *name,
                        const char *path, berth_error **err)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
        int r;

        if (n < 0)
                return berth_error_set(err, errno, "readlink %s", sname);
        target[n] = 0;
        r = make_room(pfd, name, path, err);
        if (r < 0)
                return r;
        if (symlinkat(target, pfd, name) < 0)
                return berth_error_set(err, errno, "symlink %s", path);
        if (fchownat(pfd, name, j->uid, j->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "chown %s", path);
        return 0;
}

static int copy_entry(copy_job *j, int rootfd, int sdir, const char *sname, const char *rel, const char *dst,
                      int depth, berth_error **err);

/* The entries of source directory sfd into the image directory dst. */
static int copy_children(copy_job *j, int rootfd, int sfd, const char *rel, const char *dst, int depth,
                         berth_error **err)
{
        struct dirent **list = NULL;
        int n = scandirat(sfd, ".", &list, NULL, alphasort), r = 0;

        if (n < 0)
                return berth_error_set(err, errno, "read %s", rel);
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                if (r >= 0 && !streq(name, ".") && !streq(name, "..")) {
                        _cleanup_free_ char *child =
                                streq(rel, ".") ? xstrdup(name) : xasprintf("%s/%s", rel, name);
                        _cleanup_free_ char *cdst = fs_path_join(dst, name);
                        if (!ignored(j, child))
                                r = copy_entry(j, rootfd, sfd, name, child, cdst, depth + 1, err);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

static int copy_dir(copy_job *j, int rootfd, int sfd, const struct stat *st, const char *rel,
                    const char *dst, int depth, berth_error **err)
{
        _cleanup_close_ int dfd = -EBADF;
        int r = fs_mkdir_p_in_root(rootfd, dst, 0755, &dfd, err);

        if (r < 0)
                return r;
        if (depth > 0 && set_meta_path(j, dfd, st) < 0)
                return berth_error_set(err, errno, "set owner and mode of %s", dst);
        return copy_children(j, rootfd, sfd, rel, dst, depth, err);
}

/* Copy one source entry to the image path dst. depth 0: a source named in the instruction
 * (resolved in its root, links followed inside it); deeper: taken as it is (links copied). */
static int copy_entry(copy_job *j, int rootfd, int sdir, const char *sname, const char *rel, const char *dst,
                      int depth, berth_error **err)
{
        _cleanup_close_ int sfd = -EBADF, pfd = -EBADF;
        _cleanup_free_ char *dcopy = xstrdup(dst), *bcopy = xstrdup(dst);
        struct stat st;
        int r;

        if (depth > MAX_DEPTH)
                return berth_error_set(err, ELOOP, "%s: too deep", rel);
        sfd = depth == 0 ? fs_open_in_root(sdir, sname, O_PATH, 0, err)
                         : openat(sdir, sname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return depth == 0 ? sfd : berth_error_set(err, errno, "open %s", rel);
        if (fstat(sfd, &st) < 0)
                return berth_error_set(err, errno, "stat %s", rel);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int d = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (d < 0)
                        return berth_error_set(err, errno, "open %s", rel);
                return copy_dir(j, rootfd, d, &st, rel, dst, depth, err);
        }
        r = fs_mkdir_p_in_root(rootfd, dirname(dcopy), 0755, &pfd, err);
        if (r < 0)
                return r;
        if (S_ISLNK(st.st_mode))
                return copy_symlink(j, sdir, sname, pfd, basename(bcopy), dst, err);
        if (S_ISREG(st.st_mode)) {
                _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", sfd);
                _cleanup_close_ int rfd = open(p, O_RDONLY | O_CLOEXEC);
                if (rfd < 0)
                        return berth_error_set(err, errno, "open %s", rel);
                return copy_file(j, rfd, &st, pfd, basename(bcopy), dst, err);
        }
        return 0; /* devices, fifos and sockets are not copied */
}

/* ADD of a local tar (plain or compressed): unpacked into the destination directory. */
static bool is_archive(int fd)
{
        unsigned char m[512] = {};
        ssize_t n = pread(fd, m, sizeof(m), 0);

        if (n < 6)
                return false;
        return (m[0] == 0x1f && m[1] == 0x8b) || memcmp(m, "BZh", 3) == 0 ||
               memcmp(m,
                      "\xfd"
                      "7zXZ\0",
                      6) == 0 ||
               memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0 || (n >= 262 && memcmp(m + 257, "ustar", 5) == 0);
}

static int add_archive(copy_job *j, int rootfd, int fd, const char *src, berth_error **err)
{
        _cleanup_close_ int dfd = -EBADF;
        unpack_result res;
        int r = fs_mkdir_p_in_root(rootfd, j->dest, 0755, &dfd, err);

        if (r < 0)
                return r;
        r = image_unpack_fd(fd, NULL, dfd, &res, err);
        return r < 0 ? berth_error_wrap(err, "ADD %s", src) : 0;
}

static int copy_source(copy_job *j, int rootfd, const char *src, berth_error **err)
{
        _cleanup_free_ char *scopy = xstrdup(src), *dst = NULL;
        _cleanup_close_ int fd = fs_open_in_root(j->srcfd, src, O_RDONLY | O_NONBLOCK, 0, err);
        struct stat st, dst_st;
        bool into_dir = j->dest_dir;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return berth_error_set(err, errno, "stat %s", src);
        if (streq(j->in->keyword, "ADD") && S_ISREG(st.st_mode) && is_archive(fd))
                return add_archive(j, rootfd, fd, src, err);
        if (!into_dir && !S_ISDIR(st.st_mode)) {
                _cleanup_close_ int d = fs_open_in_root(rootfd, j->dest, O_PATH, 0, NULL);
                into_dir = d >= 0 && fstat(d, &dst_st) == 0 && S_ISDIR(dst_st.st_mode);
        }
        if (S_ISDIR(st.st_mode) || !into_dir)
                dst = xstrdup(j->dest);
        else
                dst = fs_path_join(j->dest, basename(scopy));
        return copy_entry(j, rootfd, j->srcfd, src, src, dst, 0, err);
}

static int copy_into(copy_job *j, const char *ctr, berth_error **err)
{
        _cleanup_free_ char *merged = NULL;
        _cleanup_close_ int rootfd = -EBADF;
        int r = engine_mount_rootfs_of(j->b->e, ctr, &merged, err);

        if (r < 0)
                return r;
        rootfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                r = berth_error_set(err, errno, "open %s", merged);
        if (r >= 0)
                r = resolve_chown(j, rootfd, err);
        STRV_FOREACH (s, j->sources) {
                if (r < 0)
                        break;
                r = copy_source(j, rootfd, *s, err);
        }
        close(TAKE_FD(rootfd));
        engine_umount_rootfs_of(j->b->e, ctr, NULL);
        return r;
}

int build_copy_step(builder *b, stage *st, const df_instruction *in, char **ret_id, berth_error **err)
{
        copy_job j = {.b = b, .st = st, .in = in, .srcfd = -EBADF, .chmod = -1};
        _cleanup_free_ char *ctr = NULL;
        int r = parse_job(&j, err);

        if (r >= 0)
                r = build_container_create(b, st->image_id, NULL, NULL, NULL, &ctr, err);
        if (r >= 0) {
                r = copy_into(&j, ctr, err);
                if (r >= 0)
                        r = build_commit(b, st, ctr, in->original, ret_id, err);
                build_container_remove(b, ctr);
        }
        job_clear(&j);
        return r;
}

/* WORKDIR: the directory is made in the image when it is missing (a layer of its own). */
int build_workdir_step(builder *b, stage *st, json_t *cfg, const df_instruction *in, char **ret_id,
                       berth_error **err)
{
        const char *dir = json_string_value(json_object_get(cfg, "WorkingDir"));
        _cleanup_free_ char *ctr = NULL, *merged = NULL;
        _cleanup_close_ int rootfd = -EBADF, d = -EBADF;
        image_derive_options o = {.parent = st->image_id, .config = cfg, .created_by = in->original};
        bool exists;
        int r = build_container_create(b, st->image_id, NULL, NULL, NULL, &ctr, err);

        if (r < 0)
                return r;
        r = engine_mount_rootfs_of(b->e, ctr, &merged, err);
        if (r >= 0) {
                rootfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        r = berth_error_set(err, errno, "open %s", merged);
        }
        if (r >= 0) {
                d = fs_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0, NULL);
                exists = d >= 0;
                if (!exists)
                        r = fs_mkdir_p_in_root(rootfd, dir, 0755, NULL, err);
        }
        close(TAKE_FD(rootfd));
        engine_umount_rootfs_of(b->e, ctr, NULL);
        if (r >= 0 && exists)
                r = image_derive(b->e->images, &o, ret_id, err);
        else if (r >= 0) {
                engine_commit_opts co = {.config = cfg, .created_by = in->original};
                r = engine_commit(b->e, ctr, &co, ret_id, err);
        }
        build_container_remove(b, ctr);
        return r;
}
