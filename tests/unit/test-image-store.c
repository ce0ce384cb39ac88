/* The SQLite helper and the image store's metadata: WAL, schema versions per layer,
 * transactions that either happen whole or not at all, names moving between images. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "basic/db.h"
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_wal_and_versions),
                T(test_failed_migration_rolls_back),
                T(test_transaction_all_or_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
