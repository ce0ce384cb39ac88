/* Container filesystems: layers unpacked from tars, stacked by overlay (both mount paths) and by
 * vfs, give the same merged view: whiteouts hide, opaque directories hide what is below, and an
 * image of 120 layers mounts although its lowerdir list is longer than a page. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "image/config.h"
#include "image/unpack.h"
#include "storage/layers.h"
#include "storage/storage.h"
#include "image-tar-helper.h"

static char *tmp;

static int setup(void **state)
{
        tmp = test_tmpdir();
        return 0;
}

static int teardown(void **state)
{
        _cleanup_free_ char *c = xasprintf("%s/c/merged", tmp);
        umount2(c, MNT_DETACH);
        test_rmdir(tmp);
        free(tmp);
        return 0;
}

/* Unpack a tar of entries into the layer store; returns the diff path. */
static char *make_layer(layer_store *ls, const tar_entry *e, size_t n, const char *parent, char **ret_chain)
{
        _cleanup_free_ char *tar = xasprintf("%s/l.tar", tmp);
        _cleanup_close_ int fd = -EBADF;
        layer_tx *tx;
        unpack_result res;

        tar_write(tar, "gzip", e, n);
        fd = open(tar, O_RDONLY | O_CLOEXEC);
        assert_int_equal(layer_begin(ls, &tx, NULL), 0);
        assert_int_equal(image_unpack_fd(fd, NULL, layer_tx_dirfd(tx), &res, NULL), 0);
        char *chain = image_chain_id(parent, res.diff_id);
        layer_info info = {.chain_id = chain,
                           .diff_id = res.diff_id,
                           .parent = (char *)parent,
                           .size = res.content_bytes,
                           .tar_size = res.tar_size};
        assert_int_equal(layer_commit(ls, tx, &info, NULL), 0);
        assert_true(layer_exists(ls, chain));
        *ret_chain = chain;
        return layer_diff_path(ls, chain);
}

static bool exists(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

static void check_merged_view(const storage_driver *drv)
{
        const tar_entry l1[] = {
                {.path = "a/file1", .data = "1"},
                {.path = "a/file2", .data = "2"},
                {.path = "d/x", .data = "x"},
                {.path = "keep", .data = "k"},
        };
        const tar_entry l2[] = {
                {.path = "a/.wh.file1"},
                {.path = "d/.wh..wh..opq"},
                {.path = "d/y", .data = "y"},
                {.path = "new", .data = "n"},
        };
        _cleanup_layer_store_ layer_store *ls = NULL;
        _cleanup_free_ char *c1 = NULL, *c2 = NULL, *dir = xasprintf("%s/c", tmp);
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);
        char *lowers[3] = {};

        assert_int_equal(layer_store_open(tmp, &ls, NULL), 0);
        lowers[0] = make_layer(ls, l1, ELEMENTSOF(l1), NULL, &c1);
        lowers[1] = make_layer(ls, l2, ELEMENTSOF(l2), c1, &c2);
        _cleanup_error_ berth_error *err = NULL;
        if (drv->mount(dir, lowers, 2, &err) < 0)
                fail_msg("mount: %s", err->msg);
        assert_false(exists(merged, "a/file1"));
        assert_true(exists(merged, "a/file2"));
        assert_false(exists(merged, "d/x"));
        assert_true(exists(merged, "d/y"));
        assert_true(exists(merged, "keep"));
        assert_true(exists(merged, "new"));
        /* Writes go to the container, never into a layer. */
        _cleanup_free_ char *w = xasprintf("%s/written", merged);
        test_put_file(w, "w", 1);
        assert_false(exists(lowers[1], "written"));
        assert_int_equal(drv->remove(dir, NULL), 0);
        assert_false(exists(dir, "merged/written"));
        assert_int_equal(layer_remove(ls, c2, NULL), 0);
        assert_false(layer_exists(ls, c2));
        free(lowers[0]);
        free(lowers[1]);
}

static void test_overlay_view(void **state)
{
        check_merged_view(&storage_driver_overlay);
}

static void test_vfs_view(void **state)
{
        check_merged_view(&storage_driver_vfs);
}

static void many_layers(int (*mountfn)(const char *, char *const *, size_t, berth_error **))
{
        enum { N = 120 };
        _cleanup_layer_store_ layer_store *ls = NULL;
        _cleanup_free_ char *dir = xasprintf("%s/c", tmp), *merged = xasprintf("%s/merged", dir);
        _cleanup_free_ char *opts_len = NULL;
        _cleanup_error_ berth_error *err = NULL;
        char *lowers[N + 1] = {}, *chain = NULL, *prev = NULL;
        size_t total = 0;

        assert_int_equal(layer_store_open(tmp, &ls, NULL), 0);
        for (int i = 0; i < N; i++) {
                char name[32];
                snprintf(name, sizeof(name), "f%03d", i);
                const tar_entry e[] = {{.path = name, .data = name}};
                lowers[i] = make_layer(ls, e, 1, prev, &chain);
                total += strlen(lowers[i]) + 1;
                free(prev);
                prev = chain;
        }
        free(prev);
        /* The point of the test: this list does not fit in mount(2)'s one page. */
        assert_true(total > 4096);
        if (mountfn(dir, lowers, N, &err) < 0)
                fail_msg("mount: %s", err->msg);
        for (int i = 0; i < N; i++) {
                char name[32];
                snprintf(name, sizeof(name), "f%03d", i);
                assert_true(exists(merged, name));
        }
        assert_int_equal(storage_driver_overlay.remove(dir, NULL), 0);
        for (int i = 0; i < N; i++)
                free(lowers[i]);
}

static void test_120_layers_fsconfig(void **state)
{
        many_layers(overlay_mount_fsconfig);
}

static void test_120_layers_legacy(void **state)
{
        many_layers(overlay_mount_legacy);
}

static void test_leftover_tmp_removed(void **state)
{
        _cleanup_free_ char *stale = xasprintf("%s/layers/.tmp-999999999-0", tmp);
        _cleanup_layer_store_ layer_store *ls = NULL, *ls2 = NULL;
        layer_tx *tx;

        assert_int_equal(layer_store_open(tmp, &ls, NULL), 0);
        assert_int_equal(fs_mkdir_p(stale, 0700, NULL), 0);
        assert_int_equal(layer_begin(ls, &tx, NULL), 0); /* ours, alive: must stay */
        assert_int_equal(layer_store_open(tmp, &ls2, NULL), 0);
        assert_int_not_equal(access(stale, F_OK), 0);
        assert_true(fcntl(layer_tx_dirfd(tx), F_GETFD) >= 0);
        layer_abort(ls, tx);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_overlay_view),         T(test_vfs_view),
                T(test_120_layers_fsconfig),  T(test_120_layers_legacy),
                T(test_leftover_tmp_removed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
