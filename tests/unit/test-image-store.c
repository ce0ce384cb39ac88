/* The SQLite helper and the image store's metadata: WAL, schema versions per layer,
 * transactions that either happen whole or not at all, names moving between images. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "basic/db.h"
#include "image/archives.h"
#include "storage/layers.h"
#include "image-tar-helper.h"

static char *tmp;

static int setup(void **state)
{
        tmp = test_tmpdir();
        return 0;
}

static int teardown(void **state)
{
        test_rmdir(tmp);
        free(tmp);
        return 0;
}

static db *open_db(void)
{
        _cleanup_free_ char *p = xasprintf("%s/berth.db", tmp);
        db *d = NULL;

        assert_int_equal(db_open(p, &d, NULL), 0);
        return d;
}

static int64_t count(db *d, const char *sql)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        assert_int_equal(db_prepare(d, sql, &s, NULL), 0);
        assert_int_equal(db_step_row(d, s, NULL), 1);
        return sqlite3_column_int64(s, 0);
}

static void test_wal_and_versions(void **state)
{
        static const char *const v1[] = {"CREATE TABLE a (x INTEGER)"};
        static const char *const v2[] = {"CREATE TABLE a (x INTEGER)", "ALTER TABLE a ADD COLUMN y TEXT"};
        _cleanup_db_ db *d = open_db();
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int v;

        assert_int_equal(db_prepare(d, "PRAGMA journal_mode", &s, NULL), 0);
        assert_int_equal(db_step_row(d, s, NULL), 1);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
        sqlite3_reset(s);
        assert_int_equal(db_migrate(d, "image", v1, 1, NULL), 0);
        assert_int_equal(db_migrate(d, "image", v1, 1, NULL), 0); /* again: nothing to do */
        assert_int_equal(db_migrate(d, "image", v2, 2, NULL), 0);
        assert_int_equal(db_schema_version(d, "image", &v, NULL), 0);
        assert_int_equal(v, 2);
        assert_int_equal(db_exec(d, "INSERT INTO a (x, y) VALUES (1, 'one')", NULL), 0);
        /* Another layer's versions are its own. */
        assert_int_equal(db_schema_version(d, "engine", &v, NULL), 0);
        assert_int_equal(v, 0);
        /* A database written by a newer berth is refused, not damaged. */
        assert_true(db_migrate(d, "image", v1, 1, &err) < 0);
        assert_non_null(strstr(err->msg, "newer than this berth"));
}

static void test_failed_migration_rolls_back(void **state)
{
        static const char *const bad[] = {"CREATE TABLE b (x INTEGER); INSERT INTO nosuch VALUES (1)"};
        _cleanup_db_ db *d = open_db();
        _cleanup_error_ berth_error *err = NULL;
        int v;

        assert_true(db_migrate(d, "storage", bad, 1, &err) < 0);
        assert_non_null(strstr(err->msg, "migrate storage schema to version 1"));
        assert_int_equal(db_schema_version(d, "storage", &v, NULL), 0);
        assert_int_equal(count(d, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);
}

static void test_transaction_all_or_nothing(void **state)
{
        _cleanup_db_ db *d = open_db();

        assert_int_equal(db_exec(d, "CREATE TABLE t (k TEXT PRIMARY KEY)", NULL), 0);
        assert_int_equal(db_begin(d, NULL), 0);
        assert_int_equal(db_exec(d, "INSERT INTO t VALUES ('a')", NULL), 0);
        assert_true(db_exec(d, "INSERT INTO t VALUES ('a')", NULL) < 0); /* unique */
        db_rollback(d);
        assert_int_equal(count(d, "SELECT count(*) FROM t"), 0);
        assert_int_equal(db_begin(d, NULL), 0);
        assert_int_equal(db_exec(d, "INSERT INTO t VALUES ('a'); INSERT INTO t VALUES ('b')", NULL), 0);
        assert_int_equal(db_commit(d, NULL), 0);
        /* A second connection (another process) sees the committed rows. */
        _cleanup_db_ db *d2 = open_db();
        assert_int_equal(count(d2, "SELECT count(*) FROM t"), 2);
        db_rollback(d); /* no transaction open: harmless */
}

/* The layer store behind the image store, as the CLI wires it. */
static bool s_exists(void *ud, const char *c)
{
        return layer_exists(ud, c);
}
static int s_begin(void *ud, int *fd, void **tok, berth_error **err)
{
        layer_tx *tx;
        int r = layer_begin(ud, &tx, err);
        if (r >= 0) {
                *fd = layer_tx_dirfd(tx);
                *tok = tx;
        }
        return r;
}
static int s_commit(void *ud, void *tok, const char *c, const char *p, const unpack_result *res,
                    berth_error **err)
{
        layer_info i = {.chain_id = (char *)c,
                        .diff_id = (char *)res->diff_id,
                        .parent = (char *)p,
                        .size = res->content_bytes,
                        .tar_size = res->tar_size};
        return layer_commit(ud, tok, &i, err);
}
static void s_abort(void *ud, void *tok)
{
        layer_abort(ud, tok);
}
static int s_sizes(void *ud, const char *c, uint64_t *size, uint64_t *tar, berth_error **err)
{
        layer_info i;
        int r = layer_get_info(ud, c, &i, err);
        if (r >= 0) {
                *size = i.size;
                *tar = i.tar_size;
                layer_info_clear(&i);
        }
        return r;
}
static int s_list(void *ud, char ***ret, berth_error **err)
{
        return layer_list(ud, ret, err);
}
static int s_remove(void *ud, const char *c, berth_error **err)
{
        return layer_remove(ud, c, err);
}

static const char *used_id;
static bool in_use(void *ud, const char *id)
{
        return used_id && streq(id, used_id);
}

static void test_in_use_hook(void **state)
{
        const tar_entry rootfs[] = {{.path = "bin/sh", .data = "#!"}, {.path = "etc/motd", .data = "hi"}};
        _cleanup_free_ char *tar = xasprintf("%s/rootfs.tar", tmp), *id = NULL;
        _cleanup_layer_store_ layer_store *ls = NULL;
        _cleanup_image_store_ image_store *s = NULL;
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_strv_free_ char **untagged = NULL, **deleted = NULL;
        _cleanup_image_record_ image_record *img = NULL;
        image_import_options o = {.name = "box:1", .source = tar};
        _cleanup_close_ int fd = -EBADF;

        tar_write(tar, "none", rootfs, ELEMENTSOF(rootfs));
        assert_int_equal(layer_store_open(tmp, &ls, NULL), 0);
        layer_sink sink = {ls, s_exists, s_begin, s_commit, s_abort, s_sizes, s_list, s_remove};
        assert_int_equal(image_store_open(tmp, &sink, &s, NULL), 0);
        s->in_use = in_use;
        fd = open(tar, O_RDONLY | O_CLOEXEC);
        o.fd = fd;
        assert_int_equal(image_import(s, &o, &id, NULL), 0);
        used_id = id;
        /* In use: refused, the image stays whole. */
        assert_true(image_store_remove(s, "box:1", false, &untagged, &deleted, &err) < 0);
        assert_non_null(strstr(err->msg, "a container uses it"));
        assert_int_equal(image_store_resolve(s, "box:1", &img, NULL), 0);
        /* Forced: the name goes, the image stays for its container. */
        assert_int_equal(image_store_remove(s, "box:1", true, &untagged, &deleted, NULL), 0);
        assert_string_equal(untagged[0], "docker.io/library/box:1");
        assert_null(deleted);
        image_record_free(TAKE_PTR(img));
        assert_int_equal(image_store_get(s, id, &img, NULL), 0);
        assert_null(img->names);
        assert_true(layer_exists(ls, img->chain_ids[0]));
        /* prune -a keeps it while it is used, removes it after. */
        assert_int_equal(image_store_prune(s, true, &deleted, NULL, NULL), 0);
        assert_null(deleted);
        used_id = NULL;
        assert_int_equal(image_store_prune(s, true, &deleted, NULL, NULL), 0);
        assert_string_equal(deleted[0], id);
        assert_false(layer_exists(ls, img->chain_ids[0]));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_wal_and_versions),
                T(test_failed_migration_rolls_back),
                T(test_transaction_all_or_nothing),
                T(test_in_use_hook),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
