/* The blob store keeps only verified, complete blobs under their digest. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "image/blob.h"
#include "image/digest.h"
#include "basic/fs.h"
#include "image-tar-helper.h"

/* Every entry, dot files included. */
static size_t count_all(const char *dir)
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

static void test_put_read(void **state)
{
        _cleanup_free_ char *root = test_tmpdir(), *dir = xasprintf("%s/blobs/sha256", root);
        _cleanup_blob_store_ blob_store *bs = NULL;
        _cleanup_free_ char *d = NULL, *back = NULL, *path = NULL;
        size_t len;

        assert_int_equal(blob_store_open(root, &bs, NULL), 0);
        assert_int_equal(blob_put(bs, "hello", 5, NULL, &d, NULL), 0);
        assert_string_equal(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        path = xasprintf("%s/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", dir);
        assert_int_equal(access(path, F_OK), 0);
        assert_true(blob_exists(bs, d));
        assert_int_equal(blob_read(bs, d, 100, &back, &len, NULL), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(back, "hello", 5);
        test_rmdir(root);
}

static void test_mismatch_leaves_nothing(void **state)
{
        _cleanup_free_ char *root = test_tmpdir(), *dir = xasprintf("%s/blobs/sha256", root);
        _cleanup_blob_store_ blob_store *bs = NULL;
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ char *other = digest_buffer("other", 5);

        assert_int_equal(blob_store_open(root, &bs, NULL), 0);
        assert_true(blob_put(bs, "hello", 5, other, NULL, &err) < 0);
        assert_non_null(strstr(err->msg, "digest mismatch"));
        assert_false(blob_exists(bs, other));
        assert_int_equal(count_all(dir), 0);
        test_rmdir(root);
}

static void test_uncommitted_invisible(void **state)
{
        _cleanup_free_ char *root = test_tmpdir(), *dir = xasprintf("%s/blobs/sha256", root);
        _cleanup_blob_store_ blob_store *bs = NULL;
        blob_writer *w = NULL;
        _cleanup_error_ berth_error *err = NULL;

        assert_int_equal(blob_store_open(root, &bs, NULL), 0);
        assert_int_equal(blob_writer_new(bs, NULL, 3, &w, NULL), 0);
        assert_int_equal(blob_writer_write(w, "ab", 2, NULL), 0);
        /* Written but not committed: no name in the directory. */
        assert_int_equal(count_all(dir), 0);
        assert_true(blob_writer_write(w, "cd", 2, &err) < 0); /* more than the declared size */
        blob_writer_free(w);
        assert_int_equal(count_all(dir), 0);

        /* Short of the declared size: refused at commit. */
        berth_error_freep(&err);
        assert_int_equal(blob_writer_new(bs, NULL, 3, &w, NULL), 0);
        assert_int_equal(blob_writer_write(w, "ab", 2, NULL), 0);
        assert_true(blob_writer_commit(w, NULL, NULL, &err) < 0);
        blob_writer_free(w);
        assert_int_equal(count_all(dir), 0);
        test_rmdir(root);
}

static void test_damaged_blob_detected(void **state)
{
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_blob_store_ blob_store *bs = NULL;
        _cleanup_free_ char *d = NULL, *path = NULL, *back = NULL;
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t len;

        assert_int_equal(blob_store_open(root, &bs, NULL), 0);
        assert_int_equal(blob_put(bs, "hello", 5, NULL, &d, NULL), 0);
        path = blob_path(bs, d);
        test_put_file(path, "jello", 5);
        assert_true(blob_read(bs, d, 100, &back, &len, &err) < 0);
        assert_non_null(strstr(err->msg, "damaged"));
        assert_int_equal(blob_list(bs, &l, NULL), 0);
        assert_int_equal(strv_length(l), 1);
        assert_int_equal(blob_remove(bs, d, NULL), 0);
        assert_false(blob_exists(bs, d));
        test_rmdir(root);
}

static void test_fallback_without_tmpfile(void **state)
{
        _cleanup_free_ char *root = test_tmpdir(), *dir = xasprintf("%s/blobs/sha256", root);
        _cleanup_free_ char *stale = NULL, *d = NULL;
        _cleanup_blob_store_ blob_store *bs = NULL, *again = NULL;
        blob_writer *w = NULL;

        assert_int_equal(blob_store_open(root, &bs, NULL), 0);
        blob_store_disable_tmpfile(bs);
        assert_int_equal(blob_writer_new(bs, NULL, -1, &w, NULL), 0);
        assert_int_equal(blob_writer_write(w, "hello", 5, NULL), 0);
        /* Not committed: only a temporary name, which no reader takes for a blob. */
        _cleanup_strv_free_ char **l = NULL;
        assert_int_equal(count_all(dir), 1);
        assert_int_equal(blob_list(bs, &l, NULL), 0);
        assert_int_equal(strv_length(l), 0);
        assert_int_equal(blob_writer_commit(w, &d, NULL, NULL), 0);
        blob_writer_free(w);
        assert_true(blob_exists(bs, d));
        assert_int_equal(count_all(dir), 1);
        /* Dropped uncommitted: its temporary file goes. */
        assert_int_equal(blob_writer_new(bs, NULL, -1, &w, NULL), 0);
        assert_int_equal(count_all(dir), 2);
        blob_writer_free(w);
        assert_int_equal(count_all(dir), 1);
        /* A writer killed half-way (a dead pid) leaves one; the next open removes it. */
        stale = xasprintf("%s/.tmp-999999999-0", dir);
        test_put_file(stale, "half", 4);
        assert_int_equal(blob_store_open(root, &again, NULL), 0);
        assert_int_not_equal(access(stale, F_OK), 0);
        assert_int_equal(count_all(dir), 1);
        test_rmdir(root);
}

static void test_resume(void **state)
{
        _cleanup_free_ char *root = test_tmpdir(), *dir = xasprintf("%s/blobs/sha256", root);
        _cleanup_free_ char *want = digest_buffer("hello world", 11), *got = NULL;
        _cleanup_blob_store_ blob_store *bs = NULL;
        _cleanup_error_ berth_error *err = NULL;
        blob_writer *w = NULL, *other = NULL;
        _cleanup_strv_free_ char **l = NULL;
        uint64_t off = 99;

        assert_int_equal(blob_store_open(root, &bs, NULL), 0);
        assert_int_equal(blob_writer_resume(bs, want, 11, &w, &off, NULL), 0);
        assert_int_equal(off, 0);
        assert_int_equal(blob_writer_write(w, "hello", 5, NULL), 0);
        /* A second writer of the same blob waits its turn. */
        assert_true(blob_writer_resume(bs, want, 11, &other, &off, &err) < 0);
        assert_int_equal(err->errnum, EBUSY);
        blob_writer_free(w); /* interrupted: the partial content stays, under no blob name */
        assert_int_equal(blob_list(bs, &l, NULL), 0);
        assert_int_equal(strv_length(l), 0);
        assert_false(blob_exists(bs, want));
        assert_int_equal(blob_writer_resume(bs, want, 11, &w, &off, NULL), 0);
        assert_int_equal(off, 5);
        assert_int_equal(blob_writer_write(w, " world", 6, NULL), 0);
        assert_int_equal(blob_writer_commit(w, &got, NULL, NULL), 0);
        blob_writer_free(w);
        assert_string_equal(got, want);
        assert_true(blob_exists(bs, want));
        assert_int_equal(count_all(dir), 1);

        /* Wrong bytes: refused at commit and thrown away, the next try starts at 0. */
        _cleanup_free_ char *want2 = digest_buffer("abc", 3);
        assert_int_equal(blob_writer_resume(bs, want2, 3, &w, &off, NULL), 0);
        assert_int_equal(blob_writer_write(w, "abd", 3, NULL), 0);
        berth_error_freep(&err);
        assert_true(blob_writer_commit(w, NULL, NULL, &err) < 0);
        blob_writer_free(w);
        assert_int_equal(blob_writer_resume(bs, want2, 3, &w, &off, NULL), 0);
        assert_int_equal(off, 0);
        assert_int_equal(blob_writer_write(w, "ab", 2, NULL), 0);
        blob_writer_free(w);
        /* prune drops partial content nobody writes. */
        assert_int_equal(count_all(dir), 2);
        assert_int_equal(blob_remove_partials(bs, NULL), 0);
        assert_int_equal(count_all(dir), 1);
        test_rmdir(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_read),
                cmocka_unit_test(test_mismatch_leaves_nothing),
                cmocka_unit_test(test_uncommitted_invisible),
                cmocka_unit_test(test_damaged_blob_detected),
                cmocka_unit_test(test_fallback_without_tmpfile),
                cmocka_unit_test(test_resume),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
