/* SQLite access shared by the layers that keep metadata: WAL, busy timeout, transactions and
 * per-layer schema versions. */
#include <string.h>

#include "db.h"

struct db {
        sqlite3 *handle;
        char *path;
};

static int db_error(db *d, int rc, const char *what, berth_error **err)
{
        return berth_error_set(err, 0, "%s: %s: %s", d->path, what,
                               d->handle ? sqlite3_errmsg(d->handle) : sqlite3_errstr(rc));
}

int db_open(const char *path, db **ret, berth_error **err)
{
        db *d = xcalloc(1, sizeof(*d));
        int rc;

        d->path = xstrdup(path);
        rc = sqlite3_open_v2(path, &d->handle,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
        if (rc != SQLITE_OK) {
                int r = berth_error_set(err, 0, "open database %s: %s", path, sqlite3_errstr(rc));
                db_close(d);
                return r;
        }
        sqlite3_busy_timeout(d->handle, 10000);
        rc = db_exec(d, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", err);
        if (rc < 0) {
                db_close(d);
                return rc;
        }
        *ret = d;
        return 0;
}

void db_close(db *d)
{
        if (!d)
                return;
        sqlite3_close_v2(d->handle);
        free(d->path);
        free(d);
}

sqlite3 *db_handle(db *d)
{
        return d->handle;
}

int db_exec(db *d, const char *sql, berth_error **err)
{
        char *msg = NULL;
        int rc = sqlite3_exec(d->handle, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
                int r = berth_error_set(err, 0, "%s: %s", d->path, msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                return r;
        }
        return 0;
}

int db_begin(db *d, berth_error **err)
{
        return db_exec(d, "BEGIN IMMEDIATE", err);
}

int db_commit(db *d, berth_error **err)
{
        int r = db_exec(d, "COMMIT", err);

        if (r < 0)
                db_rollback(d);
        return r;
}

void db_rollback(db *d)
{
        if (!sqlite3_get_autocommit(d->handle))
                sqlite3_exec(d->handle, "ROLLBACK", NULL, NULL, NULL);
}

int db_prepare(db *d, const char *sql, sqlite3_stmt **ret, berth_error **err)
{
        int rc = sqlite3_prepare_v2(d->handle, sql, -1, ret, NULL);

        if (rc != SQLITE_OK)
                return db_error(d, rc, "prepare", err);
        return 0;
}

int db_step_done(db *d, sqlite3_stmt *s, berth_error **err)
{
        int rc = sqlite3_step(s);

        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                return db_error(d, rc, "write", err);
        return 0;
}

int db_step_row(db *d, sqlite3_stmt *s, berth_error **err)
{
        int rc = sqlite3_step(s);

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return db_error(d, rc, "query", err);
}

char *db_column_strdup(sqlite3_stmt *s, int col)
{
        const unsigned char *t = sqlite3_column_text(s, col);
        return t ? xstrdup((const char *)t) : NULL;
}

static int ensure_versions_table(db *d, berth_error **err)
{
        return db_exec(d,
                       "CREATE TABLE IF NOT EXISTS schema_versions ("
                       " layer TEXT PRIMARY KEY, version INTEGER NOT NULL)",
                       err);
}

int db_schema_version(db *d, const char *layer, int *ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = ensure_versions_table(d, err);
        if (r < 0)
                return r;
        r = db_prepare(d, "SELECT version FROM schema_versions WHERE layer = ?", &s, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, layer, -1, SQLITE_STATIC);
        r = db_step_row(d, s, err);
        if (r < 0)
                return r;
        *ret = r ? sqlite3_column_int(s, 0) : 0;
        return 0;
}

static int migrate_step(db *d, const char *layer, const char *sql, int to, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r, cur;

        r = db_begin(d, err);
        if (r < 0)
                return r;
        /* Another process may have migrated while we waited for the lock. */
        r = db_schema_version(d, layer, &cur, err);
        if (r < 0 || cur >= to)
                goto out;
        r = db_exec(d, sql, err);
        if (r < 0)
                goto out;
        r = db_prepare(d, "INSERT OR REPLACE INTO schema_versions (layer, version) VALUES (?, ?)", &s, err);
        if (r < 0)
                goto out;
        sqlite3_bind_text(s, 1, layer, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, to);
        r = db_step_done(d, s, err);
out:
        if (r < 0) {
                db_rollback(d);
                return berth_error_wrap(err, "migrate %s schema to version %d", layer, to);
        }
        return db_commit(d, err);
}

int db_migrate(db *d, const char *layer, const char *const *steps, int n, berth_error **err)
{
        int r, version;

        r = db_schema_version(d, layer, &version, err);
        if (r < 0)
                return r;
        if (version > n)
                return berth_error_set(err, 0, "%s: %s schema version %d is newer than this berth (%d)",
                                       d->path, layer, version, n);
        for (int i = version; i < n; i++) {
                r = migrate_step(d, layer, steps[i], i + 1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
