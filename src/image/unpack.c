/* Layer unpacking with libarchive. Two readers are stacked: "outer" only decompresses (raw
 * format), so the uncompressed stream can be hashed into the diff id; "inner" reads the tar from
 * it. Entries are created with *at() calls relative to a parent directory fd that was resolved
 * with openat2(RESOLVE_IN_ROOT), and the last component is never followed. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "unpack.h"

#define RAW_BUF_SIZE    (256 * 1024)
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER   ".wh..wh..opq"

typedef struct dir_time {
        char *path;
        struct timespec ts[2];
} dir_time;

typedef struct unpacker {
        unpack_read_fn fn;
        void *userdata;
        blob_writer *tee;
        struct archive *outer, *inner;
        digester *diff;
        uint64_t tar_size;
        char *raw;
        bool raw_eof;
        berth_error *io_err; /* an error met inside a libarchive callback */
        int destfd;
        /* The parent directory of the last entry, resolved once for a run of siblings. */
        char *cached_parent;
        int cached_fd;
        dir_time *dirs;
        size_t n_dirs;
        unpack_result res;
} unpacker;

static ssize_t outer_read(struct archive *a, void *ud, const void **buf)
{
        unpacker *u = ud;
        ssize_t n;

        if (u->raw_eof)
                return 0;
        n = u->fn(u->userdata, u->raw, RAW_BUF_SIZE);
        if (n < 0) {
                berth_error_set(&u->io_err, (int)-n, "read layer");
                archive_set_error(a, (int)-n, "read layer");
                return -1;
        }
        if (n == 0)
                u->raw_eof = true;
        if (n > 0 && u->tee && blob_writer_write(u->tee, u->raw, (size_t)n, &u->io_err) < 0) {
                archive_set_error(a, EIO, "store layer");
                return -1;
        }
        *buf = u->raw;
        return n;
}

static ssize_t inner_read(struct archive *a, void *ud, const void **buf)
{
        unpacker *u = ud;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(u->outer, buf, &size, &off);

        if (r == ARCHIVE_EOF)
                return 0;
        if (r < ARCHIVE_WARN) {
                archive_set_error(a, archive_errno(u->outer), "%s", archive_error_string(u->outer));
                return -1;
        }
        digester_update(u->diff, *buf, size);
        u->tar_size += size;
        return (ssize_t)size;
}

static int archive_fail(unpacker *u, struct archive *a, const char *what, berth_error **err)
{
        if (u->io_err) {
                berth_error_free(*err);
                *err = TAKE_PTR(u->io_err);
                return berth_error_wrap(err, "%s", what);
        }
        const char *s = archive_error_string(a);
        return berth_error_set(err, 0, "%s: %s", what, s ? s : "corrupt archive");
}

static int open_readers(unpacker *u, berth_error **err)
{
        struct archive_entry *e;

        u->outer = archive_read_new();
        archive_read_support_filter_gzip(u->outer);
        archive_read_support_filter_zstd(u->outer);
        archive_read_support_filter_xz(u->outer);
        archive_read_support_filter_bzip2(u->outer);
        archive_read_support_format_raw(u->outer);
        if (archive_read_open(u->outer, u, NULL, outer_read, NULL) != ARCHIVE_OK ||
            archive_read_next_header(u->outer, &e) != ARCHIVE_OK)
                return archive_fail(u, u->outer, "layer", err);
        u->inner = archive_read_new();
        archive_read_support_format_tar(u->inner);
        if (archive_read_open(u->inner, u, NULL, inner_read, NULL) != ARCHIVE_OK)
                return archive_fail(u, u->inner, "layer", err);
        return 0;
}

/* "a/./b//c" -> "a/b/c"; refuses a path that climbs out with "..". A leading "/" is dropped, as
 * tar does. */
static int clean_path(const char *path, char **ret, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strv_split(path, "/");
        _cleanup_free_ char **out = xcalloc(strv_length(parts) + 1, sizeof(char *));
        size_t n = 0;

        STRV_FOREACH (p, parts) {
                if (streq(*p, "."))
                        continue;
                if (streq(*p, "..")) {
                        if (n == 0)
                                return berth_error_set(
                                        err, 0, "layer entry \"%s\": path leads outside the layer", path);
                        n--;
                        continue;
                }
                out[n++] = *p;
        }
        out[n] = NULL;
        *ret = strv_join(out, "/");
        return 0;
}

static void invalidate_parent(unpacker *u)
{
        free(u->cached_parent);
        u->cached_parent = NULL;
        if (u->cached_fd >= 0)
                close(u->cached_fd);
        u->cached_fd = -EBADF;
}

/* An O_PATH fd of the directory parent (created if missing), borrowed from the cache. */
static int parent_fd(unpacker *u, const char *parent, int *ret, berth_error **err)
{
        int fd = -EBADF, r;

        if (u->cached_parent && streq(u->cached_parent, parent)) {
                *ret = u->cached_fd;
                return 0;
        }
        invalidate_parent(u);
        r = fs_mkdir_p_in_root(u->destfd, parent, 0755, &fd, err);
        if (r < 0)
                return r;
        u->cached_parent = xstrdup(parent);
        u->cached_fd = fd;
        *ret = fd;
        return 0;
}

/* Make room for a new entry: anything there goes, except a directory where a directory comes. */
static int clear_name(unpacker *u, int pfd, const char *name, bool keep_dir, bool *ret_kept,
                      berth_error **err)
{
        struct stat st;

        *ret_kept = false;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : berth_error_set(err, errno, "stat %s", name);
        if (keep_dir && S_ISDIR(st.st_mode)) {
                *ret_kept = true;
                return 0;
        }
        /* The cached parent is pfd itself, above what goes: it stays valid. */
        return fs_rm_rf_at(pfd, name, err);
}

static bool xattr_allowed(const char *name)
{
        /* overlayfs reads trusted.overlay.* as its own metadata (redirects, opaque dirs): a layer
         * may only get them from whiteouts that berth converts itself. */
        return !strneq(name, "trusted.", 8);
}

static int apply_xattrs_fd(struct archive_entry *e, int fd, const char *path, berth_error **err)
{
        const char *name;
        const void *value;
        size_t size;

        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                if (!xattr_allowed(name))
                        continue;
                if (fsetxattr(fd, name, value, size, 0) < 0)
                        return berth_error_set(err, errno, "layer entry \"%s\": set xattr %s", path, name);
        }
        return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
        } else
                ts[0] = ts[1];
}

/* Owner, then mode (chown clears set-id bits), xattrs and times, on an open fd. */
static int apply_meta_fd(struct archive_entry *e, int fd, const char *path, bool times, berth_error **err)
{
        struct timespec ts[2];
        int r;

        if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": chown", path);
        if (fchmod(fd, archive_entry_perm(e)) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": chmod", path);
        r = apply_xattrs_fd(e, fd, path, err);
        if (r < 0 || !times)
                return r;
        entry_times(e, ts);
        if (futimens(fd, ts) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": set times", path);
        return 0;
}

static int write_data(unpacker *u, int fd, const char *path, berth_error **err)
{
        const void *buf;
        size_t size;
        la_int64_t off;
        int r;

        while ((r = archive_read_data_block(u->inner, &buf, &size, &off)) == ARCHIVE_OK) {
                const char *p = buf;
                while (size > 0) {
                        ssize_t n = pwrite(fd, p, size, off);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return berth_error_set(err, errno, "layer entry \"%s\": write", path);
                        p += n, off += n, size -= (size_t)n;
                        u->res.content_bytes += (uint64_t)n;
                }
        }
        if (r != ARCHIVE_EOF)
                return archive_fail(u, u->inner, path, err);
        return 0;
}

static int make_regular(unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path,
                        berth_error **err)
{
        _cleanup_close_ int fd =
                openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": create", path);
        r = write_data(u, fd, path, err);
        if (r < 0)
                return r;
        if (ftruncate(fd, archive_entry_size(e)) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": truncate", path);
        return apply_meta_fd(e, fd, path, true, err);
}

static int make_hardlink(unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path,
                         berth_error **err)
{
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int tfd = -EBADF;
        struct stat st;
        int r;

        r = clean_path(archive_entry_hardlink(e), &target, err);
        if (r < 0)
                return berth_error_wrap(err, "layer entry \"%s\": hardlink", path);
        tfd = fs_open_in_root(u->destfd, target, O_PATH | O_NOFOLLOW, 0, err);
        if (tfd < 0)
                return berth_error_wrap(err, "layer entry \"%s\": hardlink target", path);
        if (fstat(tfd, &st) < 0 || S_ISDIR(st.st_mode))
                return berth_error_set(err, EPERM, "layer entry \"%s\": hardlink to directory %s", path,
                                       target);
        if (linkat(tfd, "", pfd, name, AT_EMPTY_PATH) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": hardlink to %s", path, target);
        return 0;
}

static int make_dir(unpacker *u, struct archive_entry *e, int pfd, const char *name, const char *path,
                    berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        dir_time *d;

        if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
                return berth_error_set(err, errno, "layer entry \"%s\": mkdir", path);
        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": open", path);
        u->dirs = xrealloc(u->dirs, (u->n_dirs + 1) * sizeof(*u->dirs));
        d = &u->dirs[u->n_dirs++];
        d->path = xstrdup(path);
        entry_times(e, d->ts);
        return apply_meta_fd(e, fd, path, false, err);
}

/* Metadata of nodes that can not be opened for writing: symlinks, devices, fifos. */
static int apply_meta_at(struct archive_entry *e, int pfd, const char *name, const char *path, bool is_link,
                         berth_error **err)
{
        struct timespec ts[2];

        if (fchownat(pfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": chown", path);
        if (!is_link && fchmodat(pfd, name, archive_entry_perm(e), 0) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": chmod", path);
        entry_times(e, ts);
        if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": set times", path);
        return 0;
}

static int make_node(struct archive_entry *e, int pfd, const char *name, const char *path, berth_error **err)
{
        mode_t type = archive_entry_filetype(e);

        if (type == AE_IFLNK) {
                if (symlinkat(strempty(archive_entry_symlink(e)), pfd, name) < 0)
                        return berth_error_set(err, errno, "layer entry \"%s\": symlink", path);
                return apply_meta_at(e, pfd, name, path, true, err);
        }
        if (mknodat(pfd, name, type | 0600, archive_entry_rdev(e)) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": mknod", path);
        return apply_meta_at(e, pfd, name, path, false, err);
}

static int make_whiteout(unpacker *u, int pfd, const char *name, const char *path, berth_error **err)
{
        bool kept;
        int r;

        if (strneq(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
                return 0; /* ".wh..wh.plnk" and other AUFS metadata carry nothing for overlay */
        if (!*name)
                return berth_error_set(err, 0, "layer entry \"%s\": whiteout without a name", path);
        r = clear_name(u, pfd, name, false, &kept, err);
        if (r < 0)
                return r;
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": whiteout", path);
        return 0;
}

static int make_opaque(unpacker *u, const char *parent, const char *path, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = fs_mkdir_p_in_root(u->destfd, parent, 0755, NULL, err);
        if (r < 0)
                return r;
        fd = fs_open_in_root(u->destfd, *parent ? parent : ".", O_RDONLY | O_DIRECTORY, 0, err);
        if (fd < 0)
                return berth_error_wrap(err, "layer entry \"%s\"", path);
        if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                return berth_error_set(err, errno, "layer entry \"%s\": mark opaque", path);
        return 0;
}

static int unpack_root_entry(unpacker *u, struct archive_entry *e, berth_error **err)
{
        if (archive_entry_filetype(e) != AE_IFDIR)
                return berth_error_set(err, 0, "layer entry \"%s\": the root must be a directory",
                                       archive_entry_pathname(e));
        return apply_meta_fd(e, u->destfd, "/", false, err);
}

static int unpack_entry(unpacker *u, struct archive_entry *e, berth_error **err)
{
        _cleanup_free_ char *path = NULL, *parent = NULL;
        const char *name, *slash;
        mode_t type = archive_entry_filetype(e);
        bool is_dir = type == AE_IFDIR && !archive_entry_hardlink(e), kept;
        int pfd, r;

        r = clean_path(strempty(archive_entry_pathname(e)), &path, err);
        if (r < 0)
                return r;
        if (!*path)
                return unpack_root_entry(u, e, err);
        slash = strrchr(path, '/');
        parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
        name = slash ? slash + 1 : path;
        if (streq(name, OPAQUE_MARKER))
                return make_opaque(u, parent, path, err);
        r = parent_fd(u, parent, &pfd, err);
        if (r < 0)
                return berth_error_wrap(err, "layer entry \"%s\"", path);
        if (strneq(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
                return make_whiteout(u, pfd, name + strlen(WHITEOUT_PREFIX), path, err);
        r = clear_name(u, pfd, name, is_dir, &kept, err);
        if (r < 0)
                return berth_error_wrap(err, "layer entry \"%s\"", path);
        u->res.entries++;
        if (archive_entry_hardlink(e))
                return make_hardlink(u, e, pfd, name, path, err);
        switch (type) {
        case AE_IFDIR:
                return make_dir(u, e, pfd, name, path, err);
        case AE_IFREG:
                return make_regular(u, e, pfd, name, path, err);
        case AE_IFLNK:
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return make_node(e, pfd, name, path, err);
        default:
                u->res.entries--;
                return 0; /* sockets are not kept in layers */
        }
}

/* Directory times last: creating entries inside a directory changes its mtime. */
static int apply_dir_times(unpacker *u, berth_error **err)
{
        for (size_t i = u->n_dirs; i > 0; i--) {
                dir_time *d = &u->dirs[i - 1];
                _cleanup_close_ int fd =
                        fs_open_in_root(u->destfd, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, NULL);
                if (fd < 0)
                        continue; /* replaced by a later entry */
                if (futimens(fd, d->ts) < 0)
                        return berth_error_set(err, errno, "layer entry \"%s\": set times", d->path);
        }
        return 0;
}

/* Hash what follows the tar's end (padding) and read the raw source to its end, so that the diff
 * id covers the whole stream and a tee stores the whole blob. */
static int drain(unpacker *u, berth_error **err)
{
        const void *buf;
        ssize_t n;

        while ((n = inner_read(u->inner, u, &buf)) > 0)
                ;
        if (n < 0)
                return archive_fail(u, u->outer, "layer", err);
        while (!u->raw_eof)
                if (outer_read(u->outer, u, &buf) < 0)
                        return archive_fail(u, u->outer, "layer", err);
        return 0;
}

static int unpack_all(unpacker *u, berth_error **err)
{
        struct archive_entry *e;
        int r;

        r = open_readers(u, err);
        if (r < 0)
                return r;
        for (;;) {
                r = archive_read_next_header(u->inner, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return archive_fail(u, u->inner, "layer", err);
                r = unpack_entry(u, e, err);
                if (r < 0)
                        return r;
        }
        r = apply_dir_times(u, err);
        if (r < 0)
                return r;
        return drain(u, err);
}

static void unpacker_done(unpacker *u)
{
        invalidate_parent(u);
        if (u->inner)
                archive_read_free(u->inner);
        if (u->outer)
                archive_read_free(u->outer);
        digester_free(u->diff);
        free(u->raw);
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        berth_error_free(u->io_err);
}

int image_unpack(unpack_read_fn fn, void *userdata, blob_writer *tee, int destfd, unpack_result *ret,
                 berth_error **err)
{
        unpacker u = {
                .fn = fn,
                .userdata = userdata,
                .tee = tee,
                .diff = digester_new(),
                .raw = xmalloc(RAW_BUF_SIZE),
                .destfd = destfd,
                .cached_fd = -EBADF,
        };
        int r = unpack_all(&u, err);

        if (r >= 0) {
                digester_final(u.diff, u.res.diff_id);
                u.res.tar_size = u.tar_size;
                if (ret)
                        *ret = u.res;
        }
        unpacker_done(&u);
        return r;
}

static ssize_t fd_read(void *userdata, void *buf, size_t len)
{
        int fd = *(int *)userdata;
        ssize_t n;

        do
                n = read(fd, buf, len);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

int image_unpack_fd(int fd, blob_writer *tee, int destfd, unpack_result *ret, berth_error **err)
{
        return image_unpack(fd_read, &fd, tee, destfd, ret, err);
}
