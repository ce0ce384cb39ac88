/* The instructions that change only the image config: ENV, LABEL, WORKDIR, USER, STOPSIGNAL,
 * EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD and MAINTAINER, each applied to a
 * copy of the stage's config the way Docker stores it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "build-internal.h"

int build_onbuild_parse(const char *trigger, dockerfile **ret, berth_error **err)
{
        _cleanup_dockerfile_ dockerfile *df = NULL;
        int r = dockerfile_parse(trigger, strlen(trigger), &df, err);
        const char *k;

        if (r < 0)
                return berth_error_wrap(err, "ONBUILD %s", trigger);
        if (df->n != 1)
                return berth_error_set(err, 0, "ONBUILD requires one instruction as its argument");
        k = df->ins[0].keyword;
        if (streq(k, "ONBUILD"))
                return berth_error_set(err, 0, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (streq(k, "FROM") || streq(k, "MAINTAINER"))
                return berth_error_set(err, 0, "%s isn't allowed as an ONBUILD trigger", k);
        if (ret)
                *ret = TAKE_PTR(df);
        return 0;
}

static int expand(builder *b, stage *st, const char *s, char **ret, berth_error **err)
{
        _cleanup_strv_free_ char **env = build_stage_env(st);

        return df_expand(s, b->df->escape, env, ret, err);
}

static int words(builder *b, stage *st, const char *s, char ***ret, berth_error **err)
{
        _cleanup_strv_free_ char **env = build_stage_env(st);

        return df_words(s, b->df->escape, env, true, ret, err);
}

/* ENV and LABEL: KEY=VALUE pairs, or the old "KEY VALUE..." form. */
static int key_values(builder *b, stage *st, const df_instruction *in, char ***ret, berth_error **err)
{
        _cleanup_strv_free_ char **w = NULL;
        int r = words(b, st, in->args, &w, err);

        if (r < 0)
                return r;
        if (w[0] && !strchr(w[0], '=')) {
                const char *rest = in->args + strcspn(in->args, " \t");
                _cleanup_free_ char *value = NULL, *key = xstrdup(w[0]);
                rest += strspn(rest, " \t");
                if (!*rest)
                        return berth_error_set(err, 0, "%s names %s without a value", in->keyword, key);
                r = expand(b, st, rest, &value, err);
                if (r < 0)
                        return r;
                strv_free(w);
                w = NULL;
                strv_consume(&w, xasprintf("%s=%s", key, value));
        }
        STRV_FOREACH (kv, w)
                if (!strchr(*kv, '=') || **kv == '=')
                        return berth_error_set(err, 0, "%s: \"%s\" is not KEY=VALUE", in->keyword, *kv);
        *ret = TAKE_PTR(w);
        return 0;
}

static json_t *command_json(const stage *st, const df_instruction *in)
{
        _cleanup_strv_free_ char **l = NULL;

        if (in->json)
                return jsonh_from_strv(in->json);
        if (!in->args[0])
                return json_null();
        l = strv_copy(st->shell);
        strv_push(&l, in->args);
        return jsonh_from_strv(l);
}

static json_t *object_member(json_t *cfg, const char *key)
{
        json_t *o = json_object_get(cfg, key);

        if (!json_is_object(o)) {
                o = json_object();
                json_object_set_new(cfg, key, o);
        }
        return o;
}

/* Go durations as HEALTHCHECK takes them: "30s", "1m30s", "500ms". */
static int parse_duration(const char *s, int64_t *ret)
{
        int64_t total = 0;

        if (!*s)
                return -EINVAL;
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                int64_t unit;
                if (end == s)
                        return -EINVAL;
                s = end;
                if (strneq(s, "ms", 2))
                        unit = 1000000, s += 2;
                else if (*s == 's')
                        unit = 1000000000, s++;
                else if (*s == 'm')
                        unit = 60000000000, s++;
                else if (*s == 'h')
                        unit = 3600000000000, s++;
                else
                        return -EINVAL;
                total += (int64_t)(v * (double)unit);
        }
        *ret = total;
        return 0;
}

static int healthcheck(builder *b, stage *st, const df_instruction *in, json_t *cfg, berth_error **err)
{
        static const char *const durations[][2] = {{"interval", "Interval"},
                                                   {"timeout", "Timeout"},
                                                   {"start-period", "StartPeriod"},
                                                   {"start-interval", "StartInterval"}};
        const char *rest = in->args;
        json_t *hc;

        if (strcasecmp(rest, "NONE") == 0) {
                json_object_set_new(cfg, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
                return 0;
        }
        if (strncasecmp(rest, "CMD", 3) != 0 || !isspace((unsigned char)rest[3]))
                return berth_error_set(err, 0, "HEALTHCHECK: expected NONE or CMD");
        rest += 3;
        rest += strspn(rest, " \t");
        hc = json_object();
        json_t *j = rest[0] == '[' ? json_loads(rest, 0, NULL) : NULL;
        if (json_is_array(j)) {
                json_t *test = json_pack("[s]", "CMD"), *v;
                size_t i;
                json_array_foreach (j, i, v)
                        json_array_append(test, v);
                json_object_set_new(hc, "Test", test);
        } else /* the shell form, also for a "[" that is not JSON, as for CMD */
                json_object_set_new(hc, "Test", json_pack("[s, s]", "CMD-SHELL", rest));
        json_decref(j);
        for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
                const char *v = df_flag(in, durations[i][0]);
                int64_t ns;
                if (!v)
                        continue;
                if (parse_duration(v, &ns) < 0) {
                        json_decref(hc);
                        return berth_error_set(err, 0, "HEALTHCHECK --%s=%s: not a duration",
                                               durations[i][0], v);
                }
                json_object_set_new(hc, durations[i][1], json_integer(ns));
        }
        if (df_flag(in, "retries"))
                json_object_set_new(hc, "Retries", json_integer(atoi(df_flag(in, "retries"))));
        json_object_set_new(cfg, "Healthcheck", hc);
        return 0;
}

static int env_step(builder *b, stage *st, const df_instruction *in, json_t *cfg, berth_error **err)
{
        _cleanup_strv_free_ char **kvs = NULL, **env = NULL;
        json_t *list = json_object_get(cfg, "Env"), *v;
        size_t i;
        int r = key_values(b, st, in, &kvs, err);

        if (r < 0)
                return r;
        json_array_foreach (list, i, v)
                strv_push(&env, json_string_value(v));
        STRV_FOREACH (kv, kvs) {
                _cleanup_free_ char *k = xstrndup(*kv, strcspn(*kv, "="));
                df_env_set(&env, k, strchr(*kv, '=') + 1);
        }
        json_object_set_new(cfg, "Env", jsonh_from_strv(env));
        return 0;
}

static int label_step(builder *b, stage *st, const df_instruction *in, json_t *cfg, berth_error **err)
{
        _cleanup_strv_free_ char **kvs = NULL;
        json_t *labels;
        int r = key_values(b, st, in, &kvs, err);

        if (r < 0)
                return r;
        labels = object_member(cfg, "Labels");
        STRV_FOREACH (kv, kvs) {
                _cleanup_free_ char *k = xstrndup(*kv, strcspn(*kv, "="));
                json_object_set_new(labels, k, json_string(strchr(*kv, '=') + 1));
        }
        return 0;
}

static int set_step(builder *b, stage *st, json_t *cfg, const char *key, const df_instruction *in,
                    berth_error **err)
{
        _cleanup_free_ char *v = NULL;
        int r = expand(b, st, in->args, &v, err);

        if (r < 0)
                return r;
        if (streq(key, "WorkingDir") && v[0] != '/') {
                const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
                _cleanup_free_ char *joined = fs_path_join(cur && *cur ? cur : "/", v);
                free(v);
                v = TAKE_PTR(joined);
        }
        json_object_set_new(cfg, key, json_string(v));
        return 0;
}

static int set_member_step(builder *b, stage *st, json_t *cfg, const char *key, const df_instruction *in,
                           berth_error **err)
{
        _cleanup_strv_free_ char **w = NULL;
        json_t *set = object_member(cfg, key);
        int r = in->json ? 0 : words(b, st, in->args, &w, err);

        if (r < 0)
                return r;
        STRV_FOREACH (p, in->json ? in->json : w) {
                _cleanup_free_ char *k = streq(key, "ExposedPorts") && !strchr(*p, '/')
                                                 ? xasprintf("%s/tcp", *p)
                                                 : xstrdup(*p);
                json_object_set_new(set, k, json_object());
        }
        return 0;
}

/* The config change of an instruction that makes no layer. */
int build_config_step(builder *b, stage *st, const df_instruction *in, json_t *cfg, berth_error **err)
{
        const char *k = in->keyword;

        if (streq(k, "ENV"))
                return env_step(b, st, in, cfg, err);
        if (streq(k, "LABEL"))
                return label_step(b, st, in, cfg, err);
        if (streq(k, "WORKDIR"))
                return set_step(b, st, cfg, "WorkingDir", in, err);
        if (streq(k, "USER"))
                return set_step(b, st, cfg, "User", in, err);
        if (streq(k, "STOPSIGNAL"))
                return set_step(b, st, cfg, "StopSignal", in, err);
        if (streq(k, "EXPOSE"))
                return set_member_step(b, st, cfg, "ExposedPorts", in, err);
        if (streq(k, "VOLUME"))
                return set_member_step(b, st, cfg, "Volumes", in, err);
        if (streq(k, "CMD")) {
                json_object_set_new(cfg, "Cmd", command_json(st, in));
                st->cmd_set = true;
                return 0;
        }
        if (streq(k, "ENTRYPOINT")) {
                json_object_set_new(cfg, "Entrypoint", command_json(st, in));
                if (!st->cmd_set)
                        json_object_del(cfg, "Cmd");
                return 0;
        }
        if (streq(k, "SHELL")) {
                if (!in->json || !in->json[0])
                        return berth_error_set(err, 0, "SHELL requires the arguments to be in JSON form");
                json_object_set_new(cfg, "Shell", jsonh_from_strv(in->json));
                return 0;
        }
        if (streq(k, "HEALTHCHECK"))
                return healthcheck(b, st, in, cfg, err);
        if (streq(k, "ONBUILD")) {
                int r = build_onbuild_check(in->args, err);
                if (r < 0)
                        return r;
                json_t *l = json_object_get(cfg, "OnBuild");
                if (!json_is_array(l)) {
                        l = json_array();
                        json_object_set_new(cfg, "OnBuild", l);
                }
                json_array_append_new(l, json_string(in->args));
                return 0;
        }
        if (streq(k, "MAINTAINER"))
                return 0; /* deprecated: kept in the history only */
        return berth_error_set(err, 0, "unknown instruction: %s", k);
}
