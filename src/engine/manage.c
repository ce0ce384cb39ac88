/* stats, top, rename, container prune and volumes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"

static bool running(const ctr_record *c)
{
        return streq(c->state, "running") || streq(c->state, "paused");
}

int engine_stats(engine *e, const char *what, engine_stats_sample *ret, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_cgroup_ cgroup *cg = NULL;
        struct timespec ts;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->id, sizeof(ret->id), "%s", c->id);
        snprintf(ret->name, sizeof(ret->name), "%s", c->name);
        if (!running(c))
                return 0;
        path = engine_cgroup_path(c->id);
        r = cgroup_open(path, c->id, &cg, err);
        if (r >= 0)
                r = cgroup_stats_read(cg, &ret->s, err);
        if (r < 0)
                return r;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ret->taken_ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
        ret->running = true;
        return 0;
}

int engine_top(engine *e, const char *what, pid_t **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        if (!running(c))
                return berth_error_set(err, 0, "container %s is not running", c->name);
        return runtime_ps(e->runtime_root, c->id, ret, ret_n, err);
}

int engine_rename(engine *e, const char *what, const char *name, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r;

        if (!engine_name_valid(name))
                return berth_error_set(
                        err, 0, "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                        name);
        r = engine_lookup(e, what, &c, err);
        if (r < 0)
                return r;
        const char *const texts[] = {name, c->id};
        r = engine_db_exec_bind(e->db, "UPDATE containers SET name = ?1 WHERE id = ?2", NULL, 2, NULL,
                                texts);
        if (r < 0)
                return berth_error_set(err, 0, "the container name \"/%s\" is already in use", name);
        /* opts keep the name too, for inspect */
        json_object_set_new(c->opts, "name", json_string(name));
        _cleanup_free_ char *o = jsonh_dump(c->opts, false);
        const char *const t2[] = {o, c->id};
        return engine_db_exec_bind(e->db, "UPDATE containers SET opts = ?1 WHERE id = ?2", err, 2, NULL, t2);
}

int engine_prune(engine *e, char ***ret_removed, berth_error **err)
{
        ctr_record **l = NULL;
        int r = engine_list(e, &l, err);

        if (r < 0)
                return r;
        for (ctr_record **p = l; *p; p++)
                if (streq((*p)->state, "exited") || streq((*p)->state, "created")) {
                        if (engine_remove(e, (*p)->id, false, false, NULL) >= 0)
                                strv_push(ret_removed, (*p)->id);
                }
        ctr_record_list_free(l);
        return 0;
}

/* Containers that use volume name (its _data folder as a -v source). */
static int volume_users(engine *e, const char *name, char ***ret, berth_error **err)
{
        _cleanup_free_ char *src = xasprintf("%s/volumes/%s/_data:", e->root, name);
        ctr_record **l = NULL;
        int r = engine_list(e, &l, err);

        if (r < 0)
                return r;
        for (ctr_record **p = l; *p; p++) {
                json_t *v;
                size_t i;
                json_array_foreach (json_object_get((*p)->opts, "volumes"), i, v)
                        if (strncmp(json_string_value(v) ?: "", src, strlen(src)) == 0) {
                                strv_push(ret, (*p)->name);
                                break;
                        }
        }
        ctr_record_list_free(l);
        return 0;
}

int engine_volume_create(engine *e, const char *name, berth_error **err)
{
        _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", e->root, name);

        if (!engine_name_valid(name))
                return berth_error_set(err, 0, "invalid volume name \"%s\"", name);
        return fs_mkdir_p(data, 0755, err);
}

int engine_volume_list(engine *e, char ***ret, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/volumes", e->root);
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : berth_error_set(err, errno, "open %s", dir);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        strv_push(ret, de->d_name);
        closedir(d);
        return 0;
}

int engine_volume_inspect(engine *e, const char *name, json_t **ret, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", e->root, name);
        _cleanup_free_ char *data = xasprintf("%s/_data", dir);
        struct stat st;

        if (strchr(name, '/') || stat(data, &st) < 0)
                return berth_error_set(err, 0, "no such volume: %s", name);
        _cleanup_free_ char *created = engine_time_format((int64_t)st.st_mtime * 1000000000);
        *ret = json_pack("{s:s,s:s,s:s,s:s,s:{},s:s}", "Name", name, "Driver", "local", "Mountpoint", data,
                         "CreatedAt", created, "Labels", "Scope", "local");
        return 0;
}

int engine_volume_remove(engine *e, const char *name, bool force, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", e->root, name);
        _cleanup_strv_free_ char **users = NULL;
        struct stat st;
        int r;

        if (strchr(name, '/') || !engine_name_valid(name) || stat(dir, &st) < 0)
                return berth_error_set(err, 0, "no such volume: %s", name);
        r = volume_users(e, name, &users, err);
        if (r < 0)
                return r;
        if (users && !force) {
                _cleanup_free_ char *who = strv_join(users, ", ");
                return berth_error_set(err, 0, "remove %s: volume is in use by %s", name, who);
        }
        return fs_rm_rf(dir, err);
}

int engine_volume_prune(engine *e, char ***ret_removed, berth_error **err)
{
        _cleanup_strv_free_ char **all = NULL;
        int r = engine_volume_list(e, &all, err);

        STRV_FOREACH (v, all) {
                _cleanup_strv_free_ char **users = NULL;
                if (r >= 0 && volume_users(e, *v, &users, NULL) >= 0 && !users &&
                    engine_volume_remove(e, *v, false, NULL) >= 0)
                        strv_push(ret_removed, *v);
        }
        return r;
}

int engine_update(engine *e, const char *what, const run_opts *u, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_json_ json_t *lx = json_object(), *j = NULL;
        run_opts o;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        run_opts_from_json(c->opts, &o, NULL);
#define TAKE_NUM(f)                                                                                         \
        if (u->f)                                                                                           \
                o.f = u->f;
        TAKE_NUM(memory)
        TAKE_NUM(memory_swap)
        TAKE_NUM(memory_reservation)
        TAKE_NUM(pids_limit)
        TAKE_NUM(cpus)
        TAKE_NUM(cpu_shares)
        TAKE_NUM(cpu_quota)
        TAKE_NUM(cpu_period)
#undef TAKE_NUM
        if (u->cpuset_cpus) {
                free(o.cpuset_cpus);
                o.cpuset_cpus = xstrdup(u->cpuset_cpus);
        }
        if (u->cpuset_mems) {
                free(o.cpuset_mems);
                o.cpuset_mems = xstrdup(u->cpuset_mems);
        }
        if (u->restart) {
                free(o.restart);
                o.restart = streq(u->restart, "no") ? NULL : xstrdup(u->restart);
        }
        engine_spec_resources(&o, lx);
        json_object_del(json_object_get(lx, "resources"), "devices");
        if (running(c))
                r = runtime_update(e->runtime_root, c->id, json_object_get(lx, "resources"), err);
        if (r >= 0) {
                j = run_opts_to_json(&o);
                json_object_set(j, "storage_driver", json_object_get(c->opts, "storage_driver"));
                _cleanup_free_ char *text = jsonh_dump(j, false);
                const char *const texts[] = {text, c->id};
                r = engine_db_exec_bind(e->db, "UPDATE containers SET opts = ?1 WHERE id = ?2", err, 2, NULL,
                                        texts);
        }
        run_opts_clear(&o);
        return r;
}
