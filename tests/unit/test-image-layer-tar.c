/* The layer writer: an overlay upper dir becomes a tar with Docker's whiteouts, which the
 * unpacker turns back into the same overlay tree; the same tree gives the same bytes; the gzip
 * blob's content hashes to the diff id. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "image/layer-tar.h"
#include "image/unpack.h"
#include "image-tar-helper.h"

typedef struct membuf {
        char *data;
        size_t len;
} membuf;

static int mem_sink(void *userdata, const void *buf, size_t len)
{
        membuf *m = userdata;

        m->data = xrealloc(m->data, m->len + len);
        memcpy(m->data + m->len, buf, len);
        m->len += len;
        return 0;
}

/* An upper dir: a file, a hardlink to it, a symlink, a whiteout, an opaque dir, a user xattr,
 * and the engine's empty etc/hosts mount point. */
static char *make_upper(void)
{
        char *tmp = test_tmpdir();
        _cleanup_free_ char *up = xasprintf("%s/upper", tmp), *p = NULL;

        assert_int_equal(mkdir(up, 0755), 0);
        p = xasprintf("%s/file", up);
        test_put_file(p, "content", 7);
        assert_int_equal(setxattr(p, "user.test", "v", 1, 0), 0);
        free(p);
        p = xasprintf("%s/file", up);
        _cleanup_free_ char *hard = xasprintf("%s/hard", up);
        assert_int_equal(link(p, hard), 0);
        free(p);
        p = xasprintf("%s/sym", up);
        assert_int_equal(symlink("/file", p), 0);
        free(p);
        p = xasprintf("%s/gone", up);
        assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
        free(p);
        p = xasprintf("%s/opq", up);
        assert_int_equal(mkdir(p, 0755), 0);
        assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
        free(p);
        p = xasprintf("%s/opq/new", up);
        test_put_file(p, "n", 1);
        free(p);
        p = xasprintf("%s/etc", up);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
        p = xasprintf("%s/etc/hosts", up);
        test_put_file(p, "", 0);
        return tmp;
}

static char **tar_names(const membuf *m)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char **names = NULL;

        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_memory(a, m->data, m->len), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *hl = archive_entry_hardlink(e);
                strv_consume(&names, hl ? xasprintf("%s=>%s", archive_entry_pathname(e), hl)
                                        : xstrdup(archive_entry_pathname(e)));
        }
        archive_read_free(a);
        return names;
}

static void test_whiteouts_and_order(void **state)
{
        _cleanup_free_ char *tmp = make_upper(), *up = xasprintf("%s/upper", tmp);
        _cleanup_close_ int fd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char *skip[] = {"etc/hosts", NULL};
        char diff[DIGEST_SHA256_LEN + 1], diff2[DIGEST_SHA256_LEN + 1];
        membuf m = {}, m2 = {};
        berth_error *err = NULL;

        assert_int_equal(layer_tar_write(fd, true, skip, mem_sink, &m, diff, &err), 0);
        _cleanup_strv_free_ char **names = tar_names(&m);
        _cleanup_free_ char *joined = strv_join(names, " ");
        assert_string_equal(joined, "etc/ file .wh.gone hard=>file opq/ opq/.wh..wh..opq opq/new sym");

        /* the same tree, the same bytes */
        assert_int_equal(layer_tar_write(fd, true, skip, mem_sink, &m2, diff2, &err), 0);
        assert_string_equal(diff, diff2);
        assert_int_equal(m.len, m2.len);
        assert_memory_equal(m.data, m2.data, m.len);

        /* the unpacker reads the whiteouts back into overlay form */
        _cleanup_free_ char *out = xasprintf("%s/out", tmp), *gone = xasprintf("%s/gone", out),
                            *opq = xasprintf("%s/opq", out), *file = xasprintf("%s/file", out);
        _cleanup_free_ char *tarpath = xasprintf("%s/l.tar", tmp);
        test_put_file(tarpath, m.data, m.len);
        assert_int_equal(mkdir(out, 0755), 0);
        _cleanup_close_ int ofd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int tfd = open(tarpath, O_RDONLY | O_CLOEXEC);
        unpack_result res;
        struct stat st;
        char v[4] = {};
        assert_int_equal(image_unpack_fd(tfd, NULL, ofd, &res, &err), 0);
        assert_string_equal(res.diff_id, diff);
        assert_int_equal(lstat(gone, &st), 0);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        assert_int_equal(getxattr(opq, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(getxattr(file, "user.test", v, sizeof(v)), 1);
        free(m.data);
        free(m2.data);
        test_rmdir(tmp);
}

static void test_plain_keeps_devices(void **state)
{
        _cleanup_free_ char *tmp = make_upper(), *up = xasprintf("%s/upper", tmp);
        _cleanup_close_ int fd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        membuf m = {};
        berth_error *err = NULL;

        assert_int_equal(layer_tar_write(fd, false, NULL, mem_sink, &m, NULL, &err), 0);
        _cleanup_strv_free_ char **names = tar_names(&m);
        assert_true(strv_contains(names, "gone"));
        assert_true(strv_contains(names, "etc/hosts"));
        assert_false(strv_contains(names, "opq/.wh..wh..opq"));
        free(m.data);
        test_rmdir(tmp);
}

static void test_gzip_blob(void **state)
{
        _cleanup_free_ char *tmp = make_upper(), *up = xasprintf("%s/upper", tmp),
                            *broot = xasprintf("%s/b", tmp);
        _cleanup_close_ int fd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_blob_store_ blob_store *bs = NULL;
        _cleanup_free_ char *digest = NULL;
        char diff[DIGEST_SHA256_LEN + 1];
        berth_error *err = NULL;
        uint64_t size;
        unpack_result res;

        assert_int_equal(blob_store_open(broot, &bs, &err), 0);
        assert_int_equal(layer_tar_to_blob(bs, fd, NULL, &digest, &size, diff, &err), 0);
        assert_true(size > 0);
        _cleanup_close_ int bfd = blob_open(bs, digest, &err);
        unsigned char magic[2];
        assert_int_equal(pread(bfd, magic, 2, 0), 2);
        assert_true(magic[0] == 0x1f && magic[1] == 0x8b);
        _cleanup_free_ char *out = xasprintf("%s/out", tmp);
        assert_int_equal(mkdir(out, 0755), 0);
        _cleanup_close_ int ofd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(image_unpack_fd(bfd, NULL, ofd, &res, &err), 0);
        assert_string_equal(res.diff_id, diff);
        test_rmdir(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whiteouts_and_order),
                cmocka_unit_test(test_plain_keeps_devices),
                cmocka_unit_test(test_gzip_blob),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
