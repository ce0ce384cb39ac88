/* The engine's database: the containers table, records in and out, lookup by id, prefix or name. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "engine-internal.h"

static const char *const schema[] = {
        "CREATE TABLE containers ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image TEXT NOT NULL, image_id TEXT NOT NULL,"
        " state TEXT NOT NULL, pid INTEGER NOT NULL DEFAULT 0, monitor_pid INTEGER NOT NULL DEFAULT 0,"
        " exit_code INTEGER NOT NULL DEFAULT 0, oom_killed INTEGER NOT NULL DEFAULT 0,"
        " created INTEGER NOT NULL, started_at INTEGER NOT NULL DEFAULT 0,"
        " finished_at INTEGER NOT NULL DEFAULT 0, opts TEXT NOT NULL, image_config TEXT NOT NULL);",
        "ALTER TABLE containers ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0;",
};

int64_t engine_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *engine_time_format(int64_t ns)
{
        time_t s = (time_t)(ns / 1000000000);
        struct tm tm;
        char buf[64];

        if (ns <= 0)
                return xstrdup("0001-01-01T00:00:00Z");
        gmtime_r(&s, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09lldZ", buf, (long long)(ns % 1000000000));
}

int engine_db_open(const char *root, db **ret, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/berth.db", root);
        _cleanup_db_ db *d = NULL;
        int r;

        r = fs_mkdir_p(root, 0700, err);
        if (r >= 0)
                r = db_open(path, &d, err);
        if (r >= 0)
                r = db_migrate(d, "engine", schema, (int)ELEMENTSOF(schema), err);
        if (r >= 0)
                r = net_db_migrate(d, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

static char *monitor_binary(void)
{
        char self[PATH_MAX];
        const char *env = getenv("BERTH_MONITOR");
        ssize_t n;

        if (env && *env)
                return xstrdup(env);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = 0;
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        /* the build tree keeps each program in its own folder */
                        char *p = xasprintf("%s/berth-monitor", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                        p = xasprintf("%s/../berth-monitor/berth-monitor", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                }
        }
        return xstrdup("berth-monitor");
}

int engine_open(const char *root, const char *runroot, image_store *images, layer_store *layers,
                const storage_driver *driver, engine **ret, berth_error **err)
{
        _cleanup_free_ engine *e = xnew0(engine, 1);
        int r;

        e->root = xstrdup(root);
        e->runroot = xstrdup(runroot);
        e->runtime_root = xasprintf("%s/runtime", runroot);
        e->monitor_path = monitor_binary();
        e->images = images;
        e->layers = layers;
        e->driver = driver;
        r = fs_mkdir_p(e->runtime_root, 0700, err);
        if (r >= 0)
                r = engine_db_open(root, &e->db, err);
        if (r < 0) {
                engine_free(TAKE_PTR(e));
                return r;
        }
        images->in_use = engine_image_in_use;
        images->in_use_userdata = e;
        *ret = TAKE_PTR(e);
        return 0;
}

void engine_free(engine *e)
{
        if (!e)
                return;
        db_close(e->db);
        free(e->root);
        free(e->runroot);
        free(e->runtime_root);
        free(e->monitor_path);
        free(e);
}

void ctr_record_free(ctr_record *c)
{
        if (!c)
                return;
        free(c->id);
        free(c->name);
        free(c->image);
        free(c->image_id);
        free(c->state);
        json_decref(c->opts);
        json_decref(c->image_config);
        free(c);
}

void ctr_record_list_free(ctr_record **l)
{
        for (ctr_record **p = l; p && *p; p++)
                ctr_record_free(*p);
        free(l);
}

#define CTR_COLUMNS                                                                                         \
        "id, name, image, image_id, state, pid, monitor_pid, exit_code, oom_killed, created, "              \
        "started_at, finished_at, opts, image_config, restart_count"

static ctr_record *record_from_row(sqlite3_stmt *s)
{
        ctr_record *c = xnew0(ctr_record, 1);
        const char *opts = (const char *)sqlite3_column_text(s, 12);
        const char *ic = (const char *)sqlite3_column_text(s, 13);

        c->id = db_column_strdup(s, 0);
        c->name = db_column_strdup(s, 1);
        c->image = db_column_strdup(s, 2);
        c->image_id = db_column_strdup(s, 3);
        c->state = db_column_strdup(s, 4);
        c->pid = (pid_t)sqlite3_column_int64(s, 5);
        c->monitor_pid = (pid_t)sqlite3_column_int64(s, 6);
        c->exit_code = sqlite3_column_int(s, 7);
        c->oom_killed = sqlite3_column_int(s, 8) != 0;
        c->created = sqlite3_column_int64(s, 9);
        c->started_at = sqlite3_column_int64(s, 10);
        c->finished_at = sqlite3_column_int64(s, 11);
        c->restart_count = sqlite3_column_int(s, 14);
        c->opts = json_loads(opts ? opts : "{}", 0, NULL);
        c->image_config = json_loads(ic ? ic : "{}", 0, NULL);
        if (!c->opts)
                c->opts = json_object();
        if (!c->image_config)
                c->image_config = json_object();
        return c;
}

static int query_records(db *d, const char *where, const char *arg, ctr_record ***ret, berth_error **err)
{
        _cleanup_free_ char *sql =
                xasprintf("SELECT " CTR_COLUMNS " FROM containers %s ORDER BY created DESC", where);
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        ctr_record **l = xnew0(ctr_record *, 1);
        size_t n = 0;
        int r;

        r = db_prepare(d, sql, &s, err);
        if (r >= 0 && arg)
                sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
        while (r >= 0 && (r = db_step_row(d, s, err)) > 0) {
                l = xrealloc(l, (n + 2) * sizeof(*l));
                l[n++] = record_from_row(s);
                l[n] = NULL;
        }
        if (r < 0) {
                ctr_record_list_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

int engine_db_get(db *d, const char *id, ctr_record **ret, berth_error **err)
{
        ctr_record **l = NULL;
        int r = query_records(d, "WHERE id = ?1", id, &l, err);

        if (r < 0)
                return r;
        if (!l[0]) {
                ctr_record_list_free(l);
                return berth_error_set(err, 0, "no such container: %s", id);
        }
        *ret = l[0];
        l[0] = NULL;
        ctr_record_list_free(l);
        return 0;
}

/* The state of a container whose monitor is gone while the row says running: exited, as far
 * as anyone can tell (the monitor records the real status when it lives). */
static void correct_state(engine *e, ctr_record *c)
{
        if (!streq(c->state, "running") && !streq(c->state, "paused"))
                return;
        if (c->monitor_pid > 0 && (kill(c->monitor_pid, 0) == 0 || errno == EPERM))
                return;
        if (c->pid > 0 && kill(c->pid, 0) == 0)
                return;
        free(c->state);
        c->state = xstrdup("exited");
        if (c->finished_at == 0)
                c->finished_at = engine_now();
        engine_db_set_exited(e->db, c->id, c->exit_code ? c->exit_code : 137, false, c->finished_at, NULL);
        engine_net_down(e->db, e->root, e->runroot, c->id);
}

int engine_list(engine *e, ctr_record ***ret, berth_error **err)
{
        ctr_record **l;
        int r = query_records(e->db, "", NULL, &l, err);

        if (r < 0)
                return r;
        for (ctr_record **p = l; *p; p++)
                correct_state(e, *p);
        *ret = l;
        return 0;
}

int engine_lookup(engine *e, const char *what, ctr_record **ret, berth_error **err)
{
        _cleanup_free_ char *prefix = xasprintf("%s%%", what);
        ctr_record **l = NULL;
        int r;

        if (!what || !*what)
                return berth_error_set(err, 0, "container name or id must not be empty");
        r = query_records(e->db, "WHERE id = ?1 OR name = ?1", what, &l, err);
        if (r >= 0 && !l[0] && strspn(what, "0123456789abcdef") == strlen(what)) {
                ctr_record_list_free(l);
                r = query_records(e->db, "WHERE id LIKE ?1", prefix, &l, err);
        }
        if (r < 0)
                return r;
        if (!l[0] || l[1]) {
                bool none = !l[0];
                ctr_record_list_free(l);
                return none ? berth_error_set(err, 0, "no such container: %s", what)
                            : berth_error_set(err, 0, "container id prefix %s is ambiguous", what);
        }
        correct_state(e, l[0]);
        *ret = l[0];
        l[0] = NULL;
        ctr_record_list_free(l);
        return 0;
}

bool engine_image_in_use(void *userdata, const char *image_id)
{
        engine *e = userdata;
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (db_prepare(e->db, "SELECT 1 FROM containers WHERE image_id = ?1", &s, NULL) < 0)
                return true;
        sqlite3_bind_text(s, 1, image_id, -1, SQLITE_TRANSIENT);
        return db_step_row(e->db, s, NULL) != 0;
}

int engine_db_exec_bind(db *d, const char *sql, berth_error **err, int n, const int64_t *ints,
                        const char *const *texts)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = db_prepare(d, sql, &s, err);

        if (r < 0)
                return r;
        for (int i = 0; i < n; i++) {
                if (texts && texts[i])
                        sqlite3_bind_text(s, i + 1, texts[i], -1, SQLITE_TRANSIENT);
                else
                        sqlite3_bind_int64(s, i + 1, ints ? ints[i] : 0);
        }
        return db_step_done(d, s, err);
}

int engine_db_set_running(db *d, const char *id, pid_t pid, pid_t monitor_pid, int64_t started,
                          berth_error **err)
{
        const int64_t ints[] = {pid, monitor_pid, started, 0};
        const char *const texts[] = {NULL, NULL, NULL, id};

        return engine_db_exec_bind(d,
                                   "UPDATE containers SET state = 'running', pid = ?1, monitor_pid = ?2,"
                                   " started_at = ?3, exit_code = 0, oom_killed = 0, finished_at = 0"
                                   " WHERE id = ?4",
                                   err, 4, ints, texts);
}

int engine_db_set_exited(db *d, const char *id, int code, bool oom, int64_t finished, berth_error **err)
{
        const int64_t ints[] = {code, oom, finished, 0};
        const char *const texts[] = {NULL, NULL, NULL, id};

        return engine_db_exec_bind(d,
                                   "UPDATE containers SET state = 'exited', pid = 0, monitor_pid = 0,"
                                   " exit_code = ?1, oom_killed = ?2, finished_at = ?3 WHERE id = ?4",
                                   err, 4, ints, texts);
}

int engine_db_set_state(db *d, const char *id, const char *state, berth_error **err)
{
        const char *const texts[] = {state, id};

        return engine_db_exec_bind(d, "UPDATE containers SET state = ?1 WHERE id = ?2", err, 2, NULL, texts);
}

char *engine_cgroup_path(const char *id)
{
        return xasprintf("/berth-%s", id);
}

char *engine_ctr_dir(const char *root, const char *id)
{
        return xasprintf("%s/containers/%s", root, id);
}
