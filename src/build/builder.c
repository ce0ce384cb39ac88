/* The build driver: stages (FROM ... AS), the instructions that only change the config, the build
 * cache (ROOT/berth.db table build_cache: key -> image id) and the final tags. A step's cache key
 * is the digest of its parent image id, the instruction as written, the ARG values in scope and
 * its inputs (for COPY and ADD the content of what is copied). */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "build-internal.h"
#include "engine/commit.h"
#include "image/derive.h"
#include "image/digest.h"
#include "image/registry.h"

#define DOCKERFILE_MAX (4 * 1024 * 1024)

static const char *const cache_schema[] = {
        "CREATE TABLE build_cache ("
        " key TEXT PRIMARY KEY,"
        " image_id TEXT NOT NULL,"
        " created INTEGER NOT NULL);",
        /* the results of builds: shown by `images` even without a name */
        "CREATE TABLE build_results (image_id TEXT PRIMARY KEY);",
};

int build_cache_migrate(db *d, berth_error **err)
{
        return db_migrate(d, "build", cache_schema, (int)ELEMENTSOF(cache_schema), err);
}

volatile sig_atomic_t build_interrupted;

static void on_signal(int sig)
{
        build_interrupted = sig;
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char **build_stage_env(const stage *st)
{
        char **env = strv_copy(st->args);
        json_t *list = json_object_get(st->config, "Env"), *v;
        size_t i;

        json_array_foreach (list, i, v) {
                const char *kv = json_string_value(v);
                _cleanup_free_ char *k = kv ? xstrndup(kv, strcspn(kv, "=")) : NULL;
                if (kv && strchr(kv, '='))
                        df_env_set(&env, k, strchr(kv, '=') + 1);
        }
        return env;
}

/* ---- cache ---- */

static char *cache_key(const stage *st, const df_instruction *in, const char *inputs)
{
        _cleanup_digester_ digester *g = digester_new();
        char out[DIGEST_SHA256_LEN + 1];

        /* bump when a step's meaning changes: old entries must not be reused */
        digester_update(g, "berth-build-2", sizeof("berth-build-2"));
        digester_update(g, st->image_id, strlen(st->image_id) + 1);
        digester_update(g, in->original, strlen(in->original) + 1);
        STRV_FOREACH (a, st->args)
                digester_update(g, *a, strlen(*a) + 1);
        if (inputs)
                digester_update(g, inputs, strlen(inputs) + 1);
        digester_final(g, out);
        return xstrdup(out);
}

static char *cache_get(builder *b, const char *key)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        _cleanup_image_record_ image_record *img = NULL;
        char *id = NULL;

        if (db_prepare(b->e->db, "SELECT image_id FROM build_cache WHERE key = ?", &q, NULL) < 0)
                return NULL;
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        if (db_step_row(b->e->db, q, NULL) > 0)
                id = db_column_strdup(q, 0);
        /* the image may have been removed since */
        if (id && image_store_get(b->e->images, id, &img, NULL) < 0) {
                free(id);
                return NULL;
        }
        return id;
}

static void cache_put(builder *b, const char *key, const char *id)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;

        if (db_prepare(b->e->db,
                       "INSERT OR REPLACE INTO build_cache (key, image_id, created) VALUES (?, ?, ?)", &q,
                       NULL) < 0)
                return;
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, (int64_t)time(NULL));
        db_step_done(b->e->db, q, NULL);
}

char **build_cache_images(db *d)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        char **ids = NULL;

        if (db_prepare(d,
                       "SELECT DISTINCT image_id FROM build_cache"
                       " WHERE image_id NOT IN (SELECT image_id FROM build_results)",
                       &q, NULL) < 0)
                return NULL;
        while (db_step_row(d, q, NULL) > 0)
                strv_consume(&ids, db_column_strdup(q, 0));
        return ids;
}

/* ---- stage state ---- */

static void stage_clear(stage *st)
{
        free(st->name);
        free(st->image_id);
        json_decref(st->config);
        strv_free(st->args);
        strv_free(st->shell);
        memset(st, 0, sizeof(*st));
}

static int stage_set_image(builder *b, stage *st, const char *id, berth_error **err)
{
        json_t *cfg = NULL;
        int r = image_derive_parent_config(b->e->images, id, &cfg, err);

        if (r < 0)
                return r;
        free(st->image_id);
        st->image_id = xstrdup(id);
        json_decref(st->config);
        st->config = cfg;
        return 0;
}

static int derive_config_step(builder *b, stage *st, json_t *cfg, const df_instruction *in, char **ret_id,
                              berth_error **err)
{
        image_derive_options d = {.parent = st->image_id, .config = cfg, .created_by = in->original};

        return image_derive(b->e->images, &d, ret_id, err);
}

/* ARG NAME[=default]: the value from --build-arg, a global ARG, or the default. */
static void arg_step(builder *b, char ***args, const df_instruction *in, char *const *env)
{
        _cleanup_strv_free_ char **w = NULL;

        if (df_words(in->args, b->df->escape, env, true, &w, NULL) < 0)
                return;
        STRV_FOREACH (a, w) {
                _cleanup_free_ char *k = xstrndup(*a, strcspn(*a, "="));
                const char *def = strchr(*a, '=') ? strchr(*a, '=') + 1 : NULL;
                const char *v = NULL;
                STRV_FOREACH (ba, (char **)b->o->build_args) {
                        size_t n = strcspn(*ba, "=");
                        if (n == strlen(k) && strneq(*ba, k, n)) {
                                v = (*ba)[n] == '=' ? *ba + n + 1 : getenv(k);
                                if (!strv_contains(b->consumed, k))
                                        strv_push(&b->consumed, k);
                        }
                }
                if (!v && args != &b->global_args)
                        v = df_env_get(b->global_args, k);
                if (!v)
                        v = def;
                if (v)
                        df_env_set(args, k, v);
        }
}

/* ---- steps ---- */

static void progress(builder *b, const char *fmt, ...) _printf_(2, 3);
static void progress(builder *b, const char *fmt, ...)
{
        _cleanup_free_ char *line = NULL;
        va_list ap;

        if (!b->o->progress)
                return;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        va_end(ap);
        if (line)
                b->o->progress(b->o->progress_userdata, line);
}

static int layer_step(builder *b, stage *st, const df_instruction *in, char **ret_id, berth_error **err)
{
        if (streq(in->keyword, "RUN"))
                return build_run_step(b, st, in, ret_id, err);
        return build_copy_step(b, st, in, ret_id, err);
}

static int run_step(builder *b, stage *st, const df_instruction *in, berth_error **err)
{
        _cleanup_free_ char *inputs = NULL, *key = NULL, *id = NULL;
        bool layer = streq(in->keyword, "RUN") || streq(in->keyword, "COPY") || streq(in->keyword, "ADD");
        int64_t t0 = now_ns();
        int r = 0;

        if (streq(in->keyword, "COPY") || streq(in->keyword, "ADD"))
                r = build_copy_inputs(b, st, in, &inputs, err);
        /* as BuildKit's: a RUN on another network is another step (the default keeps old keys) */
        if (streq(in->keyword, "RUN")) {
                const char *net = NULL;
                r = build_run_network(b, in, &net, err);
                if (r < 0)
                        return r;
                if (!streq(net, NET_DEFAULT))
                        inputs = xasprintf("network=%s", net);
        }
        if (r < 0)
                return r;
        key = cache_key(st, in, inputs);
        id = b->o->no_cache ? NULL : cache_get(b, key);
        if (id) {
                progress(b, "--> Using cache %s", id);
        } else if (layer) {
                r = layer_step(b, st, in, &id, err);
        } else {
                _cleanup_json_ json_t *cfg = json_deep_copy(st->config);
                r = build_config_step(b, st, in, cfg, err);
                if (r >= 0 && streq(in->keyword, "WORKDIR"))
                        r = build_workdir_step(b, st, cfg, in, &id, err);
                else if (r >= 0)
                        r = derive_config_step(b, st, cfg, in, &id, err);
        }
        if (r < 0)
                return r;
        cache_put(b, key, id); /* --no-cache skips lookups; the result serves later builds */
        r = stage_set_image(b, st, id, err);
        if (streq(in->keyword, "CMD"))
                st->cmd_set = true;
        if (streq(in->keyword, "SHELL") && r >= 0) {
                strv_free(st->shell);
                st->shell = strv_copy(in->json);
        }
        progress(b, "--> %.12s (%.2fs)", digest_hex(id), (double)(now_ns() - t0) / 1e9);
        return r;
}

/* ---- FROM ---- */

static int stage_index(builder *b, const char *name)
{
        char *end;
        long n = strtol(name, &end, 10);

        if (*name && !*end && n >= 0)
                return (int)n;
        for (size_t i = 0; i < b->n_stages; i++)
                if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0)
                        return (int)i;
        return -1;
}

int build_stage_ref(builder *b, const char *name, size_t current)
{
        int i = stage_index(b, name);

        if (i < 0)
                return -1;
        return (size_t)i < current ? i : -2;
}

int build_resolve_image(builder *b, const char *name, char **ret, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        int r;

        if (streq(name, "scratch")) {
                image_derive_options d = {};
                _cleanup_free_ char *key = xstrdup("scratch");
                char *id = cache_get(b, key);
                if (id) {
                        *ret = id;
                        return 0;
                }
                r = image_derive(b->e->images, &d, ret, err);
                if (r >= 0)
                        cache_put(b, key, *ret);
                return r;
        }
        r = b->o->pull ? -ENOENT : image_store_resolve(b->e->images, name, &img, err);
        if (r == -ENOENT) {
                berth_error_free(*err);
                *err = NULL;
                progress(b, "Pulling %s", name);
                return registry_pull(b->e->images, name, NULL, ret, err);
        }
        if (r < 0)
                return r;
        *ret = xstrdup(img->id);
        return 0;
}

/* As BuildKit and buildah do: a stage whose base sets no PATH gets the usual one, so that RUN
 * and the built image find their commands. */
static void add_default_path(json_t *cfg)
{
        json_t *env = json_object_get(cfg, "Env"), *v;
        size_t i;

        json_array_foreach (env, i, v)
                if (json_is_string(v) && strneq(json_string_value(v), "PATH=", 5))
                        return;
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(cfg, "Env", env);
        }
        json_array_insert_new(
                env, 0, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
}

/* As Docker: the base's ONBUILD triggers run right after FROM, in order, as if written there;
 * the stage's images do not inherit them. */
static int onbuild_steps(builder *b, stage *st, berth_error **err)
{
        json_t *list = json_object_get(st->config, "OnBuild"), *v;
        _cleanup_strv_free_ char **triggers = NULL;
        size_t i, n;
        int r = 0;

        json_array_foreach (list, i, v)
                if (json_is_string(v))
                        strv_push(&triggers, json_string_value(v));
        n = strv_length(triggers);
        if (n == 0)
                return 0;
        json_object_set_new(st->config, "OnBuild", json_null());
        b->steps += n;
        progress(b, "--> Executing %zu build trigger%s", n, n == 1 ? "" : "s");
        STRV_FOREACH (t, triggers) {
                _cleanup_dockerfile_ dockerfile *df = NULL;
                r = build_onbuild_parse(*t, &df, err);
                if (r < 0)
                        return r;
                const df_instruction *in = &df->ins[0];
                progress(b, "STEP %zu/%zu: %s", ++b->step, b->steps, in->original);
                if (streq(in->keyword, "ARG")) {
                        _cleanup_strv_free_ char **env = build_stage_env(st);
                        arg_step(b, &st->args, in, env);
                } else
                        r = run_step(b, st, in, err);
                if (r < 0)
                        return berth_error_wrap(err, "ONBUILD trigger %s", in->original);
        }
        return 0;
}

static int from_step(builder *b, size_t idx, const df_instruction *in, berth_error **err)
{
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *id = NULL;
        stage *st = &b->stages[idx];
        int r = df_words(in->args, b->df->escape, b->global_args, true, &w, err), ref;

        if (r < 0)
                return r;
        if (!(strv_length(w) == 1 || (strv_length(w) == 3 && strcasecmp(w[1], "AS") == 0)))
                return berth_error_set(err, 0,
                                       "FROM requires either one or three arguments (IMAGE [AS NAME])");
        ref = build_stage_ref(b, w[0], idx);
        if (ref == -2)
                return berth_error_set(err, 0, "circular dependency detected on stage: %s", w[0]);
        if (ref >= 0)
                id = xstrdup(b->stages[ref].image_id);
        else
                r = build_resolve_image(b, w[0], &id, err);
        if (r < 0)
                return r;
        r = stage_set_image(b, st, id, err);
        if (r < 0)
                return r;
        add_default_path(st->config);
        json_t *sh = json_object_get(st->config, "Shell");
        if (json_is_array(sh) && json_array_size(sh) > 0)
                jsonh_get_strv(st->config, "config", "Shell", false, &st->shell, NULL);
        if (!st->shell)
                st->shell = strv_split("/bin/sh -c", " ");
        progress(b, "--> %.12s", digest_hex(id));
        return onbuild_steps(b, st, err);
}

/* ---- the whole build ---- */

/* Stages: names from "FROM x AS name", so that references can be checked before anything runs. */
static int plan_stages(builder *b, size_t *ret_last, size_t *ret_end, berth_error **err)
{
        size_t last = 0, end = b->df->n;
        bool target_found = !b->o->target;

        for (size_t i = 0; i < b->df->n; i++) {
                const df_instruction *in = &b->df->ins[i];
                _cleanup_strv_free_ char **w = NULL;
                stage *st;
                if (!streq(in->keyword, "FROM")) {
                        if (b->n_stages == 0 && !streq(in->keyword, "ARG"))
                                return berth_error_set(err, 0, "Dockerfile:%d: %s before the first FROM",
                                                       in->line, in->keyword);
                        continue;
                }
                if (target_found && b->o->target && b->n_stages > 0 && end == b->df->n) {
                        end = i;
                        break;
                }
                b->stages = xrealloc(b->stages, (b->n_stages + 1) * sizeof(stage));
                st = &b->stages[b->n_stages++];
                *st = (stage){};
                if (df_words(in->args, b->df->escape, NULL, true, &w, NULL) >= 0 && strv_length(w) == 3)
                        st->name = xstrdup(w[2]);
                if (b->o->target && st->name && strcasecmp(st->name, b->o->target) == 0)
                        target_found = true;
                last = b->n_stages - 1;
        }
        if (b->n_stages == 0)
                return berth_error_set(err, 0, "Dockerfile: no FROM instruction");
        if (!target_found)
                return berth_error_set(err, 0, "target stage \"%s\" could not be found", b->o->target);
        *ret_last = last;
        *ret_end = end;
        return 0;
}

/* The stage a FROM (or COPY --from) names, when it is an earlier one of this Dockerfile. */
static int plan_ref(builder *b, const char *name, size_t current)
{
        return name ? build_stage_ref(b, name, current) : -1;
}

/* As BuildKit: only the target and the stages it depends on (FROM and COPY --from, followed
 * back) are built; a stage nothing needs is skipped. The global ARGs are set here, since
 * FROM lines may use them. */
static void plan_needed(builder *b, size_t last, size_t end)
{
        size_t idx = 0;
        bool started = false;
        int *deps = xcalloc(b->n_stages * b->n_stages, sizeof(int)); /* deps[i*n+j]: i needs j */
        _cleanup_strv_free_ char **args = NULL;                      /* the stage's ARG values, for --from */

        for (size_t i = 0; i < end; i++) {
                const df_instruction *in = &b->df->ins[i];
                int ref = -1;
                if (!started && streq(in->keyword, "ARG")) {
                        arg_step(b, &b->global_args, in, b->global_args);
                        continue;
                }
                if (streq(in->keyword, "FROM")) {
                        _cleanup_strv_free_ char **w = NULL;
                        idx = started ? idx + 1 : 0;
                        started = true;
                        strv_free(args);
                        args = NULL;
                        if (df_words(in->args, b->df->escape, b->global_args, true, &w, NULL) >= 0 && w)
                                ref = plan_ref(b, w[0], idx);
                } else if (streq(in->keyword, "ARG"))
                        arg_step(b, &args, in, args);
                else if ((streq(in->keyword, "COPY") || streq(in->keyword, "ADD")) && df_flag(in, "from")) {
                        _cleanup_free_ char *from = NULL;
                        if (df_expand(df_flag(in, "from"), b->df->escape, args, &from, NULL) >= 0)
                                ref = plan_ref(b, from, idx);
                }
                if (ref >= 0)
                        deps[idx * b->n_stages + (size_t)ref] = 1;
        }
        b->stages[last].needed = true;
        /* a stage only depends on earlier ones: one pass from the target down */
        for (size_t i = last + 1; i-- > 0;)
                for (size_t j = 0; b->stages[i].needed && j < i; j++)
                        if (deps[i * b->n_stages + j])
                                b->stages[j].needed = true;
        free(deps);
}

static int build_steps(builder *b, size_t end, berth_error **err)
{
        size_t idx = 0;
        bool started = false;
        int r = 0;

        /* the steps: every instruction from the first FROM on, in the stages that are built */
        for (size_t i = 0; i < end; i++) {
                if (streq(b->df->ins[i].keyword, "FROM"))
                        idx = started ? idx + 1 : 0;
                started |= streq(b->df->ins[i].keyword, "FROM");
                b->steps += started && b->stages[idx].needed;
        }
        started = false;
        idx = 0;
        for (size_t i = 0; r >= 0 && i < end; i++) {
                const df_instruction *in = &b->df->ins[i];
                stage *st;
                if (!started && streq(in->keyword, "ARG"))
                        continue; /* the global ARGs: plan_needed set them */
                if (build_interrupted) {
                        r = berth_error_set(err, 0, "interrupted by signal %d", (int)build_interrupted);
                        break;
                }
                if (streq(in->keyword, "FROM"))
                        idx = started ? idx + 1 : 0;
                started = true;
                st = &b->stages[idx];
                if (!st->needed)
                        continue;
                progress(b, "STEP %zu/%zu: %s", ++b->step, b->steps, in->original);
                if (streq(in->keyword, "FROM"))
                        r = from_step(b, idx, in, err);
                else if (streq(in->keyword, "ARG")) {
                        _cleanup_strv_free_ char **env = build_stage_env(st);
                        arg_step(b, &st->args, in, env);
                } else
                        r = run_step(b, st, in, err);
                if (r < 0)
                        r = berth_error_wrap(err, "Dockerfile:%d", in->line);
        }
        return r;
}

/* --label: one more step on the final image. */
static int apply_labels(builder *b, stage *st, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        df_instruction in = {.keyword = (char *)"LABEL"};
        _cleanup_free_ char *joined = NULL;
        _cleanup_strv_free_ char **quoted = NULL;

        if (!b->o->labels || !b->o->labels[0])
                return 0;
        /* double-quoted, with '"', '$' and the escape character escaped: taken literally */
        STRV_FOREACH (l, (char **)b->o->labels) {
                char *q = xmalloc(2 * strlen(*l) + 3), *p = q;
                *p++ = '"';
                for (const char *c = *l; *c; c++) {
                        if (*c == '"' || *c == '$' || *c == b->df->escape)
                                *p++ = b->df->escape;
                        *p++ = *c;
                }
                *p++ = '"';
                *p = 0;
                strv_consume(&quoted, q);
        }
        joined = strv_join(quoted, " ");
        text = xasprintf("LABEL %s", joined);
        in.args = joined;
        in.original = text;
        return run_step(b, st, &in, err);
}

/* Docker's warning for --build-arg names no ARG declares (a typo, usually). */
static void warn_unconsumed(builder *b)
{
        _cleanup_strv_free_ char **left = NULL;
        _cleanup_free_ char *joined = NULL;

        STRV_FOREACH (ba, (char **)b->o->build_args) {
                _cleanup_free_ char *k = xstrndup(*ba, strcspn(*ba, "="));
                if (!strv_contains(b->consumed, k))
                        strv_push(&left, k);
        }
        if (!left)
                return;
        joined = strv_join(left, " ");
        progress(b, "[Warning] One or more build-args [%s] were not consumed", joined);
}

static int read_dockerfile(builder *b, berth_error **err)
{
        const char *f = b->o->dockerfile;
        /* "-f -": the Dockerfile on stdin */
        _cleanup_free_ char *path = !f              ? xasprintf("%s/Dockerfile", b->o->context)
                                    : streq(f, "-") ? xstrdup("/dev/stdin")
                                                    : xstrdup(f);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fs_read_file(path, &text, &len, err);

        if (r < 0)
                return r;
        if (len > DOCKERFILE_MAX)
                return berth_error_set(err, EFBIG, "%s", path);
        return dockerfile_parse(text, len, &b->df, err);
}

static int tag_all(builder *b, const char *id, berth_error **err)
{
        STRV_FOREACH (t, (char **)b->o->tags) {
                int r = image_store_tag(b->e->images, id, *t, err);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (t, (char **)b->o->tags) {
                _cleanup_image_record_ image_record *img = NULL;
                if (image_store_resolve(b->e->images, *t, &img, NULL) >= 0)
                        progress(b, "Successfully tagged %s", img->names ? img->names[0] : *t);
        }
        return 0;
}

static int build_all(builder *b, char **ret_id, berth_error **err)
{
        size_t last = 0, end = 0;
        int r;

        b->ctxfd = open(b->o->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (b->ctxfd < 0)
                return berth_error_set(err, errno, "build context %s", b->o->context);
        r = read_dockerfile(b, err);
        if (r >= 0)
                r = build_ignore_load(b->ctxfd, &b->ignore, err);
        if (r >= 0)
                r = build_cache_migrate(b->e->db, err);
        if (r >= 0)
                r = build_check_flags(b->df, err);
        if (r >= 0)
                r = build_network_check(b, err);
        if (r >= 0)
                r = plan_stages(b, &last, &end, err);
        if (r >= 0) {
                plan_needed(b, last, end);
                r = build_steps(b, end, err);
        }
        if (r >= 0)
                r = apply_labels(b, &b->stages[last], err);
        if (r >= 0)
                warn_unconsumed(b);
        if (r >= 0) {
                _cleanup_stmt_ sqlite3_stmt *q = NULL;
                r = db_prepare(b->e->db, "INSERT OR IGNORE INTO build_results (image_id) VALUES (?)", &q,
                               err);
                if (r >= 0) {
                        sqlite3_bind_text(q, 1, b->stages[last].image_id, -1, SQLITE_STATIC);
                        r = db_step_done(b->e->db, q, err);
                }
        }
        if (r >= 0)
                r = tag_all(b, b->stages[last].image_id, err);
        if (r >= 0)
                *ret_id = xstrdup(b->stages[last].image_id);
        return r;
}

int build_image(engine *e, const build_opts *o, char **ret_id, berth_error **err)
{
        builder b = {.e = e, .o = o, .ctxfd = -EBADF};
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
        struct sigaction sa = {.sa_handler = on_signal}, old[ELEMENTSOF(sigs)];
        int r;

        /* no SA_RESTART: a wait for a RUN's end returns, and its container is removed */
        build_interrupted = 0;
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaction(sigs[i], &sa, &old[i]);
        r = build_all(&b, ret_id, err);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaction(sigs[i], &old[i], NULL);
        for (size_t i = 0; i < b.n_stages; i++)
                stage_clear(&b.stages[i]);
        free(b.stages);
        strv_free(b.global_args);
        strv_free(b.consumed);
        free(b.network);
        strv_free(b.ignore);
        dockerfile_free(b.df);
        if (b.ctxfd >= 0)
                close(b.ctxfd);
        return r;
}
