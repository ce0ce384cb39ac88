/* Directory tree to tar with libarchive (pax, numeric owners, mtime only so that the same tree
 * gives the same bytes), walked with *at() calls that never follow a symlink, and for layer blobs
 * a zlib gzip stream into the blob writer while the plain tar is hashed into the diff id. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zlib.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "layer-tar.h"

#define MAX_DEPTH 512

typedef struct hardlink {
        dev_t dev;
        ino_t ino;
        char *path;
} hardlink;

typedef struct tar_writer {
        struct archive *a;
        layer_tar_sink_fn fn;
        void *userdata;
        digester *diff;
        bool overlay;
        char *const *skip_empty;
        berth_error *io_err;
        hardlink *links;
        size_t n_links;
} tar_writer;

static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *buf, size_t len)
{
        tar_writer *t = ud;
        int r;

        digester_update(t->diff, buf, len);
        r = t->fn(t->userdata, buf, len);
        if (r < 0) {
                if (!t->io_err)
                        berth_error_set(&t->io_err, -r, "write tar");
                archive_set_error(a, -r, "write tar");
                return -1;
        }
        return (la_ssize_t)len;
}

static int tar_fail(tar_writer *t, const char *path, berth_error **err)
{
        if (t->io_err) {
                *err = TAKE_PTR(t->io_err);
                return berth_error_wrap(err, "%s", path);
        }
        return berth_error_set(err, archive_errno(t->a) > 0 ? archive_errno(t->a) : 0, "tar %s: %s", path,
                               strempty(archive_error_string(t->a)));
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd, const char *name)
{
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
        char v[2];

        return lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* A renamed lower directory (redirect_dir) or a metadata-only copy-up (metacopy) needs the lower
 * layers to be read right; the tar of the upper dir alone would lose content. */
static bool needs_lower(int dirfd, const char *name)
{
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", dirfd, name);

        return lgetxattr(p, "trusted.overlay.redirect", NULL, 0) >= 0 ||
               lgetxattr(p, "trusted.overlay.metacopy", NULL, 0) >= 0;
}

/* user.* and security.capability travel with a layer; trusted.* is overlayfs' and the host's. */
static void add_xattrs(int dirfd, const char *name, struct archive_entry *e)
{
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
        char names[4096], value[4096];
        ssize_t n = llistxattr(p, names, sizeof(names));

        for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
                const char *k = names + off;
                ssize_t vn;
                if (!strneq(k, "user.", 5) && !streq(k, "security.capability"))
                        continue;
                vn = lgetxattr(p, k, value, sizeof(value));
                if (vn >= 0)
                        archive_entry_xattr_add_entry(e, k, value, (size_t)vn);
        }
}

static int write_simple(tar_writer *t, const char *path, mode_t type, mode_t perm, berth_error **err)
{
        struct archive_entry *e = archive_entry_new();
        int r;

        archive_entry_set_pathname(e, path);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_size(e, 0);
        r = archive_write_header(t->a, e);
        archive_entry_free(e);
        return r == ARCHIVE_OK ? 0 : tar_fail(t, path, err);
}

static int write_content(tar_writer *t, int dirfd, const char *name, const char *path, berth_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char buf[65536];
        ssize_t n;

        if (fd < 0)
                return berth_error_set(err, errno, "open %s", path);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (archive_write_data(t->a, buf, (size_t)n) != n)
                        return tar_fail(t, path, err);
        if (n < 0)
                return berth_error_set(err, errno, "read %s", path);
        return 0;
}

/* A second name of an inode already written becomes a hardlink entry. */
static const char *hardlink_seen(tar_writer *t, const struct stat *st, const char *path)
{
        for (size_t i = 0; i < t->n_links; i++)
                if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
                        return t->links[i].path;
        t->links = xrealloc(t->links, (t->n_links + 1) * sizeof(*t->links));
        t->links[t->n_links++] = (hardlink){st->st_dev, st->st_ino, xstrdup(path)};
        return NULL;
}

static int write_tree(tar_writer *t, int dirfd, const char *prefix, int depth, berth_error **err);

static int write_entry(tar_writer *t, int dirfd, const char *name, const char *path, int depth,
                       berth_error **err)
{
        struct archive_entry *e;
        const char *link = NULL;
        struct stat st;
        int r = 0;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "stat %s", path);
        if (t->overlay && is_whiteout(&st)) {
                _cleanup_free_ char *dir = xstrdup(path), *wh = NULL;
                char *slash = strrchr(dir, '/');
                if (slash)
                        slash[1] = 0;
                wh = xasprintf("%s.wh.%s", slash ? dir : "", name);
                return write_simple(t, wh, AE_IFREG, 0600, err);
        }
        if (S_ISREG(st.st_mode) && st.st_size == 0 && strv_contains(t->skip_empty, path))
                return 0;
        if (t->overlay && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) && needs_lower(dirfd, name))
                return berth_error_set(err, ENOTSUP,
                                       "%s: an overlay redirect or metacopy entry (mounted with "
                                       "redirect_dir or metacopy on)",
                                       path);
        e = archive_entry_new();
        archive_entry_copy_stat(e, &st);
        archive_entry_unset_atime(e);
        archive_entry_unset_ctime(e);
        archive_entry_unset_birthtime(e);
        archive_entry_set_uname(e, NULL);
        archive_entry_set_gname(e, NULL);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_free_ char *d = xasprintf("%s/", path);
                archive_entry_set_pathname(e, d);
        } else
                archive_entry_set_pathname(e, path);
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0) {
                        archive_entry_free(e);
                        return berth_error_set(err, errno, "readlink %s", path);
                }
                target[n] = 0;
                archive_entry_set_symlink(e, target);
        } else if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (link = hardlink_seen(t, &st, path))) {
                archive_entry_set_hardlink(e, link);
                archive_entry_set_size(e, 0);
        }
        if (!S_ISLNK(st.st_mode))
                add_xattrs(dirfd, name, e);
        if (archive_write_header(t->a, e) != ARCHIVE_OK)
                r = tar_fail(t, path, err);
        archive_entry_free(e);
        if (r >= 0 && S_ISREG(st.st_mode) && !link && st.st_size > 0)
                r = write_content(t, dirfd, name, path, err);
        if (r >= 0 && S_ISDIR(st.st_mode)) {
                _cleanup_close_ int sub =
                        openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return berth_error_set(err, errno, "open %s", path);
                if (t->overlay && is_opaque(dirfd, name)) {
                        _cleanup_free_ char *opq = xasprintf("%s/.wh..wh..opq", path);
                        r = write_simple(t, opq, AE_IFREG, 0600, err);
                }
                if (r >= 0)
                        r = write_tree(t, sub, path, depth + 1, err);
        }
        return r;
}

static int write_tree(tar_writer *t, int dirfd, const char *prefix, int depth, berth_error **err)
{
        struct dirent **list = NULL;
        int n, r = 0;

        if (depth > MAX_DEPTH)
                return berth_error_set(err, ELOOP, "%s: too deep", prefix);
        n = scandirat(dirfd, ".", &list, NULL, alphasort);
        if (n < 0)
                return berth_error_set(err, errno, "read %s", prefix[0] ? prefix : "/");
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                if (r >= 0 && !streq(name, ".") && !streq(name, "..")) {
                        _cleanup_free_ char *path =
                                prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
                        r = write_entry(t, dirfd, name, path, depth, err);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

int layer_tar_write(int dirfd, bool overlay, char *const *skip_empty, layer_tar_sink_fn fn, void *userdata,
                    char *ret_diff_id, berth_error **err)
{
        tar_writer t = {.fn = fn,
                        .userdata = userdata,
                        .overlay = overlay,
                        .skip_empty = skip_empty,
                        .diff = digester_new()};
        char diff[DIGEST_SHA256_LEN + 1];
        int r = 0;

        t.a = archive_write_new();
        if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(t.a, 10240) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
            archive_write_open(t.a, &t, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
                r = tar_fail(&t, "open", err);
        if (r >= 0)
                r = write_tree(&t, dirfd, "", 0, err);
        if (r >= 0 && archive_write_close(t.a) != ARCHIVE_OK)
                r = tar_fail(&t, "close", err);
        archive_write_free(t.a);
        digester_final(t.diff, diff);
        digester_free(t.diff);
        for (size_t i = 0; i < t.n_links; i++)
                free(t.links[i].path);
        free(t.links);
        berth_error_free(t.io_err);
        if (r >= 0 && ret_diff_id)
                memcpy(ret_diff_id, diff, sizeof(diff));
        return r;
}

typedef struct gzip_sink {
        z_stream z;
        blob_writer *w;
        berth_error *err;
} gzip_sink;

static int gzip_push(gzip_sink *g, const void *buf, size_t len, int flush)
{
        unsigned char out[65536];
        int zr;

        g->z.next_in = (unsigned char *)buf;
        g->z.avail_in = (uInt)len;
        do {
                g->z.next_out = out;
                g->z.avail_out = sizeof(out);
                zr = deflate(&g->z, flush);
                if (zr == Z_STREAM_ERROR)
                        return -EIO;
                if (blob_writer_write(g->w, out, sizeof(out) - g->z.avail_out, &g->err) < 0)
                        return -EIO;
        } while (g->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
        return 0;
}

static int gzip_sink_write(void *userdata, const void *buf, size_t len)
{
        return gzip_push(userdata, buf, len, Z_NO_FLUSH);
}

int layer_tar_to_blob(blob_store *bs, int dirfd, char *const *skip_empty, char **ret_digest,
                      uint64_t *ret_size, char *ret_diff_id, berth_error **err)
{
        _cleanup_blob_writer_ blob_writer *w = NULL;
        gzip_sink g = {};
        int r;

        r = blob_writer_new(bs, NULL, -1, &w, err);
        if (r < 0)
                return r;
        g.w = w;
        if (deflateInit2(&g.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return berth_error_set(err, ENOMEM, "gzip");
        r = layer_tar_write(dirfd, true, skip_empty, gzip_sink_write, &g, ret_diff_id, err);
        if (r >= 0 && gzip_push(&g, NULL, 0, Z_FINISH) < 0)
                r = g.err ? (*err = TAKE_PTR(g.err), -EIO) : berth_error_set(err, EIO, "gzip");
        deflateEnd(&g.z);
        if (r < 0 && g.err && !*err)
                *err = TAKE_PTR(g.err);
        berth_error_free(g.err);
        if (r < 0)
                return r;
        return blob_writer_commit(w, ret_digest, ret_size, err);
}
