/* Layer unpacking: every file type with its metadata, whiteouts, and hostile tars that must not
 * write anything outside the layer directory (the tests look there). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "image/unpack.h"
#include "image-tar-helper.h"

typedef struct fixture {
        char *tmp;     /* /tmp/berth-test-XXXX */
        char *layer;   /* tmp/layer: the unpack root */
        char *outside; /* tmp/outside: must stay empty */
        int layerfd;
} fixture;

static int setup(void **state)
{
        fixture *f = xcalloc(1, sizeof(*f));

        f->tmp = test_tmpdir();
        f->layer = xasprintf("%s/layer", f->tmp);
        f->outside = xasprintf("%s/outside", f->tmp);
        mkdir(f->layer, 0755);
        mkdir(f->outside, 0755);
        f->layerfd = open(f->layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture *f = *state;

        close(f->layerfd);
        test_rmdir(f->tmp);
        free(f->tmp);
        free(f->layer);
        free(f->outside);
        free(f);
        return 0;
}

static int unpack_file(fixture *f, const char *tar, unpack_result *res, berth_error **err)
{
        _cleanup_close_ int fd = open(tar, O_RDONLY | O_CLOEXEC);
        berth_error *e = NULL;
        int r;

        assert_true(fd >= 0);
        r = image_unpack_fd(fd, NULL, f->layerfd, res, &e);
        if (r < 0 && !err) {
                _cleanup_free_ char *t = berth_error_text(e);
                print_message("unpack %s: %s\n", tar, t);
        }
        if (err)
                *err = e;
        else
                berth_error_free(e);
        return r;
}

static struct stat lstat_in(fixture *f, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", f->layer, rel);
        struct stat st;

        if (lstat(p, &st) < 0)
                fail_msg("%s: %m", p);
        return st;
}

static bool exists_in(fixture *f, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", f->layer, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

static size_t entries_in(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d)))
                n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
        if (d)
                closedir(d);
        return n;
}

static const tar_entry every_type[] = {
        {.path = "etc", .type = S_IFDIR, .perm = 0751, .uid = 7, .gid = 8, .mtime = 1600000000},
        {.path = "etc/motd",
         .data = "hello\n",
         .perm = 04755,
         .uid = 1234,
         .gid = 5678,
         .mtime = 1500000000,
         .xattr_name = "user.berth",
         .xattr_value = "yes"},
        {.path = "etc/hard", .data = "etc/motd", .hardlink = true},
        {.path = "etc/link", .type = S_IFLNK, .data = "/etc/motd", .uid = 3, .gid = 4},
        {.path = "dev/null", .type = S_IFCHR, .perm = 0666, .rdev = 0x0103},
        {.path = "dev/loop9", .type = S_IFBLK, .perm = 0660, .rdev = 0x0709},
        {.path = "run/fifo", .type = S_IFIFO, .perm = 0600},
        {.path = "./a/b/c/deep", .data = "deep"},
        {.path = "/abs/file", .data = "abs"},
        {.path = "x/.wh.gone"},
        {.path = "opq/.wh..wh..opq"},
        {.path = "opq/kept", .data = "k"},
        {.path = "x/.wh..wh.plnk"},
        {.path = "dup", .data = "first"},
        {.path = "dup", .data = "second"},
};

static void check_every_type(fixture *f)
{
        struct stat st = lstat_in(f, "etc/motd"), hard = lstat_in(f, "etc/hard"), dir = lstat_in(f, "etc");
        _cleanup_free_ char *motd = xasprintf("%s/etc/motd", f->layer), *opq = xasprintf("%s/opq", f->layer);
        _cleanup_free_ char *content = NULL, *dup = NULL;
        char buf[64];
        ssize_t n;

        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 04755);
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
        assert_int_equal(st.st_mtime, 1500000000);
        assert_int_equal(st.st_ino, hard.st_ino);
        assert_int_equal(st.st_nlink, 2);
        assert_int_equal(fs_read_file(motd, &content, NULL, NULL), 0);
        assert_string_equal(content, "hello\n");
        n = getxattr(motd, "user.berth", buf, sizeof(buf));
        assert_int_equal(n, 3);
        assert_memory_equal(buf, "yes", 3);
        /* Directory metadata survives the files created inside it afterwards. */
        assert_int_equal(dir.st_mode & 07777, 0751);
        assert_int_equal(dir.st_uid, 7);
        assert_int_equal(dir.st_mtime, 1600000000);
        st = lstat_in(f, "etc/link");
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(st.st_uid, 3);
        n = readlinkat(f->layerfd, "etc/link", buf, sizeof(buf));
        assert_int_equal(n, 9);
        st = lstat_in(f, "dev/null");
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(1, 3));
        st = lstat_in(f, "dev/loop9");
        assert_true(S_ISBLK(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(7, 9));
        assert_true(S_ISFIFO(lstat_in(f, "run/fifo").st_mode));
        assert_true(exists_in(f, "a/b/c/deep"));
        assert_true(exists_in(f, "abs/file"));
        /* Whiteouts in overlayfs' form. */
        st = lstat_in(f, "x/gone");
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(0, 0));
        assert_false(exists_in(f, "x/.wh.gone"));
        assert_false(exists_in(f, "x/.wh..wh.plnk"));
        assert_false(exists_in(f, "opq/.wh..wh..opq"));
        n = getxattr(opq, "trusted.overlay.opaque", buf, sizeof(buf));
        assert_int_equal(n, 1);
        assert_int_equal(buf[0], 'y');
        _cleanup_free_ char *dp = xasprintf("%s/dup", f->layer);
        assert_int_equal(fs_read_file(dp, &dup, NULL, NULL), 0);
        assert_string_equal(dup, "second");
}

static void unpack_every_type(void **state, const char *compression)
{
        fixture *f = *state;
        _cleanup_free_ char *tar = xasprintf("%s/layer.tar", f->tmp),
                            *plain = xasprintf("%s/plain.tar", f->tmp);
        _cleanup_free_ char *raw = NULL;
        _cleanup_free_ char *want = NULL;
        unpack_result res;
        size_t len;

        tar_write(tar, compression, every_type, ELEMENTSOF(every_type));
        tar_write(plain, "none", every_type, ELEMENTSOF(every_type));
        assert_int_equal(unpack_file(f, tar, &res, NULL), 0);
        check_every_type(f);
        /* The diff id is the digest of the uncompressed tar, whatever the compression. */
        assert_int_equal(fs_read_file(plain, &raw, &len, NULL), 0);
        want = digest_buffer(raw, len);
        assert_string_equal(res.diff_id, want);
        assert_int_equal(res.tar_size, len);
        assert_int_equal(entries_in(f->outside), 0);
}

static void test_every_type_plain(void **state)
{
        unpack_every_type(state, "none");
}

static void test_every_type_gzip(void **state)
{
        unpack_every_type(state, "gzip");
}

static void test_every_type_zstd(void **state)
{
        unpack_every_type(state, "zstd");
}

static void test_tee_stores_raw_blob(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *tar = xasprintf("%s/layer.tar.gz", f->tmp), *raw = NULL, *want = NULL;
        _cleanup_free_ char *got = NULL;
        _cleanup_blob_store_ blob_store *bs = NULL;
        blob_writer *w = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;

        tar_write(tar, "gzip", every_type, 3);
        assert_int_equal(blob_store_open(f->tmp, &bs, NULL), 0);
        assert_int_equal(blob_writer_new(bs, NULL, -1, &w, NULL), 0);
        fd = open(tar, O_RDONLY | O_CLOEXEC);
        assert_int_equal(image_unpack_fd(fd, w, f->layerfd, NULL, NULL), 0);
        assert_int_equal(blob_writer_commit(w, &got, NULL, NULL), 0);
        blob_writer_free(w);
        assert_int_equal(fs_read_file(tar, &raw, &len, NULL), 0);
        want = digest_buffer(raw, len);
        assert_string_equal(got, want);
}

/* Hostile tars: each is refused or contained; nothing appears in outside/ or next to the layer. */
static void expect_contained(fixture *f, const tar_entry *e, size_t n, bool may_fail)
{
        _cleanup_free_ char *tar = xasprintf("%s/evil.tar", f->tmp);
        _cleanup_error_ berth_error *err = NULL;
        int r;

        tar_write(tar, "none", e, n);
        r = unpack_file(f, tar, NULL, &err);
        if (!may_fail)
                assert_int_equal(r, 0);
        assert_int_equal(entries_in(f->outside), 0);
        assert_int_equal(entries_in(f->tmp), 3); /* layer, outside, evil.tar */
}

static void test_hostile_dotdot(void **state)
{
        fixture *f = *state;
        const tar_entry e[] = {{.path = "../outside/evil", .data = "x"}};
        _cleanup_free_ char *tar = xasprintf("%s/evil.tar", f->tmp);
        _cleanup_error_ berth_error *err = NULL;

        tar_write(tar, "none", e, 1);
        assert_true(unpack_file(f, tar, NULL, &err) < 0);
        assert_non_null(strstr(err->msg, "outside the layer"));
        expect_contained(f, (tar_entry[]){{.path = "a/../../../outside/evil2", .data = "x"}}, 1, true);
}

static void test_hostile_absolute(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *abs = xasprintf("%s/evil-abs", f->outside);
        const tar_entry e[] = {{.path = abs, .data = "x"}};

        expect_contained(f, e, 1, false);
        /* The absolute name landed inside the layer. */
        assert_true(exists_in(f, abs + 1));
}

static void test_hostile_symlink_dir(void **state)
{
        fixture *f = *state;
        const tar_entry rel[] = {
                {.path = "up", .type = S_IFLNK, .data = "../outside"},
                {.path = "up/evil", .data = "x"},
        };
        const tar_entry abs[] = {
                {.path = "root", .type = S_IFLNK, .data = f->outside},
                {.path = "root/evil", .data = "x"},
        };
        const tar_entry deep[] = {
                {.path = "d", .type = S_IFDIR},
                {.path = "d/up", .type = S_IFLNK, .data = "../../../../../../../.."},
                {.path = "d/up/tmp/berth-evil-file", .data = "x"},
        };

        expect_contained(f, rel, ELEMENTSOF(rel), true);
        expect_contained(f, abs, ELEMENTSOF(abs), true);
        expect_contained(f, deep, ELEMENTSOF(deep), true);
        assert_int_not_equal(access("/tmp/berth-evil-file", F_OK), 0);
}

static void test_hostile_symlink_then_file(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *target = xasprintf("%s/target", f->tmp), *content = NULL;
        const tar_entry e[] = {
                {.path = "victim", .type = S_IFLNK, .data = target},
                {.path = "victim", .data = "overwritten"},
        };

        test_put_file(target, "original", 8);
        {
                _cleanup_free_ char *tar = xasprintf("%s/evil.tar", f->tmp);
                tar_write(tar, "none", e, ELEMENTSOF(e));
                assert_int_equal(unpack_file(f, tar, NULL, NULL), 0);
        }
        assert_int_equal(fs_read_file(target, &content, NULL, NULL), 0);
        assert_string_equal(content, "original");
        assert_true(S_ISREG(lstat_in(f, "victim").st_mode));
}

static void test_hostile_hardlink(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *secret = xasprintf("%s/secret", f->tmp);
        struct stat before, after;
        const tar_entry out[] = {{.path = "hl", .data = "../secret", .hardlink = true}};
        const tar_entry abs[] = {{.path = "hl2", .data = secret, .hardlink = true}};
        const tar_entry via_link[] = {
                {.path = "l", .type = S_IFLNK, .data = f->tmp},
                {.path = "hl3", .data = "l/secret", .hardlink = true},
        };
        _cleanup_free_ char *tar = xasprintf("%s/evil.tar", f->tmp);
        _cleanup_error_ berth_error *err = NULL;

        test_put_file(secret, "s", 1);
        assert_int_equal(stat(secret, &before), 0);
        tar_write(tar, "none", out, 1);
        assert_true(unpack_file(f, tar, NULL, &err) < 0);
        tar_write(tar, "none", abs, 1);
        berth_error_freep(&err);
        assert_true(unpack_file(f, tar, NULL, &err) < 0);
        tar_write(tar, "none", via_link, 2);
        berth_error_freep(&err);
        assert_true(unpack_file(f, tar, NULL, &err) < 0);
        assert_int_equal(stat(secret, &after), 0);
        assert_int_equal(after.st_nlink, before.st_nlink);
        assert_int_equal(after.st_nlink, 1);
        unlink(secret);
}

static void test_hostile_trusted_xattr_dropped(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *p = xasprintf("%s/d", f->layer);
        const tar_entry e[] = {{.path = "d",
                                .type = S_IFDIR,
                                .xattr_name = "trusted.overlay.redirect",
                                .xattr_value = "/etc"}};
        char buf[16];

        expect_contained(f, e, 1, false);
        assert_true(getxattr(p, "trusted.overlay.redirect", buf, sizeof(buf)) < 0);
}

static void test_truncated_and_garbage(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *tar = xasprintf("%s/layer.tar", f->tmp), *raw = NULL;
        _cleanup_error_ berth_error *err = NULL;
        size_t len;

        tar_write(tar, "gzip", every_type, ELEMENTSOF(every_type));
        assert_int_equal(fs_read_file(tar, &raw, &len, NULL), 0);
        test_put_file(tar, raw, len / 2);
        assert_true(unpack_file(f, tar, NULL, &err) < 0);
        assert_non_null(err);
        berth_error_freep(&err);
        test_put_file(tar, "this is not a tar archive at all", 32);
        assert_true(unpack_file(f, tar, NULL, &err) < 0);
        assert_non_null(err);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_every_type_plain),      T(test_every_type_gzip),
                T(test_every_type_zstd),       T(test_tee_stores_raw_blob),
                T(test_hostile_dotdot),        T(test_hostile_absolute),
                T(test_hostile_symlink_dir),   T(test_hostile_symlink_then_file),
                T(test_hostile_hardlink),      T(test_hostile_trusted_xattr_dropped),
                T(test_truncated_and_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
