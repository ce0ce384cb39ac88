/* Blob store: O_TMPFILE + linkat, so only verified, complete blobs ever get a name. On a file
 * system without O_TMPFILE, a named ".tmp-<pid>-<n>" file renamed into place instead; those of
 * dead processes are removed when the store is opened. */
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "blob.h"
#include "digest.h"

#define TMP_PREFIX ".tmp-"

struct blob_store {
        char *dir; /* ROOT/blobs/sha256 */
        int dirfd;
        unsigned counter;
        bool no_tmpfile;
};

struct blob_writer {
        blob_store *bs;
        int fd;
        digester *g;
        uint64_t size;
        char *expected;
        int64_t expected_size;
        char *tmp_name; /* the fallback's named temporary file, NULL with O_TMPFILE */
        bool existed;   /* commit found the blob stored already */
        bool keep;      /* a resumable partial file: kept when the writer goes uncommitted */
};

/* Named temporary files of processes that are gone (the fallback without O_TMPFILE). */
static void remove_leftovers(blob_store *bs)
{
        int fd = openat(bs->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                long pid;
                if (!strneq(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
                        continue;
                pid = strtol(de->d_name + strlen(TMP_PREFIX), NULL, 10);
                if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                        continue;
                unlinkat(bs->dirfd, de->d_name, 0);
        }
}

int blob_store_open(const char *root, blob_store **ret, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/blobs/sha256", root);
        blob_store *bs;
        int r, fd;

        r = fs_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(err, errno, "open %s", dir);
        bs = xcalloc(1, sizeof(*bs));
        bs->dir = TAKE_PTR(dir);
        bs->dirfd = fd;
        remove_leftovers(bs);
        *ret = bs;
        return 0;
}

void blob_store_free(blob_store *bs)
{
        if (!bs)
                return;
        if (bs->dirfd >= 0)
                close(bs->dirfd);
        free(bs->dir);
        free(bs);
}

void blob_store_disable_tmpfile(blob_store *bs)
{
        bs->no_tmpfile = true;
}

char *blob_path(blob_store *bs, const char *digest)
{
        return xasprintf("%s/%s", bs->dir, digest_hex(digest));
}

int blob_writer_new(blob_store *bs, const char *expected, int64_t expected_size, blob_writer **ret,
                    berth_error **err)
{
        blob_writer *w;
        int fd, r;

        if (expected) {
                r = digest_check(expected, "blob", err);
                if (r < 0)
                        return r;
        }
        w = xcalloc(1, sizeof(*w));
        fd = bs->no_tmpfile ? -1 : openat(bs->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 && (bs->no_tmpfile || errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
                w->tmp_name = xasprintf(TMP_PREFIX "%d-%u", (int)getpid(),
                                        __atomic_fetch_add(&bs->counter, 1, __ATOMIC_SEQ_CST));
                fd = openat(bs->dirfd, w->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        }
        if (fd < 0) {
                free(w->tmp_name);
                free(w);
                return berth_error_set(err, errno, "create blob in %s", bs->dir);
        }
        w->bs = bs;
        w->fd = fd;
        w->g = digester_new();
        w->expected = expected ? xstrdup(expected) : NULL;
        w->expected_size = expected_size;
        *ret = w;
        return 0;
}

/* Feed what a previous writer left in the partial file to the digester. */
static int rehash_partial(blob_writer *w, berth_error **err)
{
        _cleanup_free_ char *buf = xmalloc(256 * 1024);
        ssize_t n;

        while ((n = read(w->fd, buf, 256 * 1024)) > 0) {
                digester_update(w->g, buf, (size_t)n);
                w->size += (uint64_t)n;
        }
        if (n < 0)
                return berth_error_set(err, errno, "read partial blob %s", w->expected);
        if (w->expected_size >= 0 && w->size > (uint64_t)w->expected_size) {
                w->keep = false;
                return berth_error_set(err, 0, "partial blob %s: longer than its size", w->expected);
        }
        return 0;
}

int blob_writer_resume(blob_store *bs, const char *expected, int64_t expected_size, blob_writer **ret,
                       uint64_t *ret_offset, berth_error **err)
{
        _cleanup_blob_writer_ blob_writer *w = NULL;
        int r = digest_check(expected, "blob", err);

        if (r < 0)
                return r;
        w = xcalloc(1, sizeof(*w));
        w->bs = bs;
        w->g = digester_new();
        w->expected = xstrdup(expected);
        w->expected_size = expected_size;
        w->tmp_name = xasprintf(".partial-%s", digest_hex(expected));
        w->fd = openat(bs->dirfd, w->tmp_name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (w->fd < 0)
                return berth_error_set(err, errno, "open partial blob %s", expected);
        w->keep = true; /* never remove it from here: it may be another writer's */
        /* One writer at a time; the lock goes with the fd when a process dies. */
        if (flock(w->fd, LOCK_EX | LOCK_NB) < 0)
                return berth_error_set(err, errno == EWOULDBLOCK ? EBUSY : errno,
                                       "blob %s: written by another process", expected);
        r = rehash_partial(w, err);
        if (r < 0)
                return r;
        *ret_offset = w->size;
        *ret = TAKE_PTR(w);
        return 0;
}

int blob_remove_partials(blob_store *bs, berth_error **err)
{
        int fd = openat(bs->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, errno, "open %s", bs->dir);
        }
        while ((de = readdir(d))) {
                _cleanup_close_ int pfd = -EBADF;
                if (!strneq(de->d_name, ".partial-", 9))
                        continue;
                pfd = openat(bs->dirfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                /* One that a live writer holds stays. */
                if (pfd >= 0 && flock(pfd, LOCK_EX | LOCK_NB) == 0)
                        unlinkat(bs->dirfd, de->d_name, 0);
        }
        return 0;
}

int blob_writer_write(blob_writer *w, const void *buf, size_t len, berth_error **err)
{
        if (w->expected_size >= 0 && w->size + len > (uint64_t)w->expected_size)
                return berth_error_set(err, 0, "blob %s: more data than its size %" PRId64,
                                       strempty(w->expected), w->expected_size);
        digester_update(w->g, buf, len);
        if (fs_write_all(w->fd, buf, len) < 0)
                return berth_error_set(err, errno, "write blob in %s", w->bs->dir);
        w->size += len;
        return 0;
}

bool blob_writer_existed(const blob_writer *w)
{
        return w->existed;
}

uint64_t blob_writer_size(const blob_writer *w)
{
        return w->size;
}

static int link_tmpfile(blob_writer *w, const char *name, berth_error **err)
{
        char proc[64];

        if (w->tmp_name) {
                w->existed = faccessat(w->bs->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                if (renameat(w->bs->dirfd, w->tmp_name, w->bs->dirfd, name) < 0)
                        return berth_error_set(err, errno, "rename blob %s/%s", w->bs->dir, name);
                free(TAKE_PTR(w->tmp_name));
        } else {
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
                if (linkat(AT_FDCWD, proc, w->bs->dirfd, name, AT_SYMLINK_FOLLOW) < 0) {
                        if (errno != EEXIST)
                                return berth_error_set(err, errno, "link blob %s/%s", w->bs->dir, name);
                        w->existed = true;
                }
        }
        /* The name survives a power loss before anything that refers to the blob. */
        if (fsync(w->bs->dirfd) < 0)
                return berth_error_set(err, errno, "sync %s", w->bs->dir);
        return 0;
}

int blob_writer_commit(blob_writer *w, char **ret_digest, uint64_t *ret_size, berth_error **err)
{
        char digest[DIGEST_SHA256_LEN + 1];
        int r;

        digester_final(w->g, digest);
        if (w->expected && !streq(digest, w->expected)) {
                w->keep = false; /* the partial content is wrong: start over next time */
                return berth_error_set(err, 0, "blob %s: digest mismatch: content has %s", w->expected,
                                       digest);
        }
        if (w->expected_size >= 0 && w->size != (uint64_t)w->expected_size)
                return berth_error_set(err, 0,
                                       "blob %s: size %" PRIu64 " does not match the expected %" PRId64,
                                       digest, w->size, w->expected_size);
        if (fsync(w->fd) < 0)
                return berth_error_set(err, errno, "fsync blob %s", digest);
        r = link_tmpfile(w, digest_hex(digest), err);
        if (r < 0)
                return r;
        if (ret_digest)
                *ret_digest = xstrdup(digest);
        if (ret_size)
                *ret_size = w->size;
        return 0;
}

void blob_writer_free(blob_writer *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                close(w->fd);
        if (w->tmp_name && !w->keep)
                unlinkat(w->bs->dirfd, w->tmp_name, 0);
        free(w->tmp_name);
        digester_free(w->g);
        free(w->expected);
        free(w);
}

int blob_put(blob_store *bs, const void *buf, size_t len, const char *expected, char **ret_digest,
             berth_error **err)
{
        _cleanup_blob_writer_ blob_writer *w = NULL;
        int r;

        if (expected && blob_exists(bs, expected)) {
                _cleanup_free_ char *d = digest_buffer(buf, len);
                if (!streq(d, expected))
                        return berth_error_set(err, 0, "blob %s: digest mismatch: content has %s", expected,
                                               d);
                if (ret_digest)
                        *ret_digest = TAKE_PTR(d);
                return 0;
        }
        r = blob_writer_new(bs, expected, -1, &w, err);
        if (r < 0)
                return r;
        r = blob_writer_write(w, buf, len, err);
        if (r < 0)
                return r;
        return blob_writer_commit(w, ret_digest, NULL, err);
}

bool blob_exists(blob_store *bs, const char *digest)
{
        if (!digest_is_valid(digest))
                return false;
        return faccessat(bs->dirfd, digest_hex(digest), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int blob_open(blob_store *bs, const char *digest, berth_error **err)
{
        int fd;

        if (!digest_is_valid(digest))
                return berth_error_set(err, 0, "invalid digest \"%s\"", digest);
        fd = openat(bs->dirfd, digest_hex(digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return berth_error_set(err, errno, "blob %s", digest);
        return fd;
}

int blob_read(blob_store *bs, const char *digest, size_t max, char **ret, size_t *ret_len, berth_error **err)
{
        _cleanup_free_ char *buf = NULL, *actual = NULL;
        size_t len = 0;
        uint64_t size;
        int r;

        r = blob_size(bs, digest, &size, err);
        if (r < 0)
                return r;
        if (size > max)
                return berth_error_set(err, EFBIG, "blob %s: %" PRIu64 " bytes, more than %zu allowed",
                                       digest, size, max);
        r = fs_read_file_at(bs->dirfd, digest_hex(digest), &buf, &len, err);
        if (r < 0)
                return r;
        actual = digest_buffer(buf, len);
        if (!streq(actual, digest))
                return berth_error_set(err, 0, "blob %s: damaged on disk (content has %s)", digest, actual);
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int blob_size(blob_store *bs, const char *digest, uint64_t *ret, berth_error **err)
{
        struct stat st;

        if (!digest_is_valid(digest))
                return berth_error_set(err, 0, "invalid digest \"%s\"", digest);
        if (fstatat(bs->dirfd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "blob %s", digest);
        *ret = (uint64_t)st.st_size;
        return 0;
}

int blob_remove(blob_store *bs, const char *digest, berth_error **err)
{
        if (!digest_is_valid(digest))
                return berth_error_set(err, 0, "invalid digest \"%s\"", digest);
        if (unlinkat(bs->dirfd, digest_hex(digest), 0) < 0 && errno != ENOENT)
                return berth_error_set(err, errno, "remove blob %s", digest);
        return 0;
}

int blob_list(blob_store *bs, char ***ret, berth_error **err)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        int fd = openat(bs->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, errno, "open %s", bs->dir);
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *dg = xasprintf("sha256:%s", de->d_name);
                if (digest_is_valid(dg))
                        strv_push(&l, dg);
        }
        *ret = TAKE_PTR(l);
        if (!*ret)
                *ret = xcalloc(1, sizeof(char *));
        return 0;
}
