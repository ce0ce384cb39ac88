/* A thin SQLite helper: open with WAL and a busy timeout, transactions, and schema versions kept
 * per layer (image, storage, engine), each migrated forward in its own transaction. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include "error.h"

typedef struct db db;

/* Open (create) the database at path: WAL journal, foreign keys on, busy timeout 10 s. */
int db_open(const char *path, db **ret, berth_error **err);
void db_close(db *d);
static inline void db_closep(db **d)
{
        db_close(*d);
}
#define _cleanup_db_ _cleanup_(db_closep)

sqlite3 *db_handle(db *d);

/* Run one or more statements without results. */
int db_exec(db *d, const char *sql, berth_error **err);

/* BEGIN IMMEDIATE: the write lock is taken now, so a transaction never fails half-way on
 * SQLITE_BUSY after reading. */
int db_begin(db *d, berth_error **err);
int db_commit(db *d, berth_error **err);
/* Roll back when a transaction is open; safe to call from an error path. */
void db_rollback(db *d);

int db_prepare(db *d, const char *sql, sqlite3_stmt **ret, berth_error **err);
static inline void db_finalizep(sqlite3_stmt **s)
{
        if (*s)
                sqlite3_finalize(*s);
}
#define _cleanup_stmt_ _cleanup_(db_finalizep)

/* Step a statement that returns no row (INSERT, UPDATE, DELETE). */
int db_step_done(db *d, sqlite3_stmt *s, berth_error **err);
/* Step a query: 1 for a row, 0 when done. */
int db_step_row(db *d, sqlite3_stmt *s, berth_error **err);

/* A column's text as a new string (NULL for SQL NULL). */
char *db_column_strdup(sqlite3_stmt *s, int col);

/* Bring layer's schema to version n: steps[i] moves version i to i+1; each runs in its own
 * transaction together with the version bump. A database newer than n is refused. */
int db_migrate(db *d, const char *layer, const char *const *steps, int n, berth_error **err);

/* The schema version of layer (0 when never migrated). */
int db_schema_version(db *d, const char *layer, int *ret, berth_error **err);
