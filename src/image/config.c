/* Image config parsing and the small helpers around it: times, chain ids, --change. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "basic/jsonh.h"
#include "config.h"
#include "digest.h"

static int check_config_fields(json_t *cfg, berth_error **err)
{
        static const char *const strv_keys[] = {"Env", "Cmd", "Entrypoint", "Shell", "OnBuild"};
        static const char *const str_keys[] = {"WorkingDir", "User", "StopSignal"};
        static const char *const obj_keys[] = {"ExposedPorts", "Volumes"};
        int r;

        for (size_t i = 0; i < ELEMENTSOF(strv_keys); i++) {
                _cleanup_strv_free_ char **l = NULL;
                json_t *v = json_object_get(cfg, strv_keys[i]);
                if (json_is_null(v))
                        continue;
                r = jsonh_get_strv(cfg, "config", strv_keys[i], false, &l, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(str_keys); i++) {
                _cleanup_free_ char *s = NULL;
                r = jsonh_get_string(cfg, "config", str_keys[i], false, &s, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(obj_keys); i++) {
                json_t *o = json_object_get(cfg, obj_keys[i]);
                if (o && !json_is_null(o) && !json_is_object(o))
                        return berth_error_set(err, 0, "config.%s: expected object, got %s", obj_keys[i],
                                               jsonh_type_name(o));
        }
        json_t *labels = json_object_get(cfg, "Labels");
        if (labels && !json_is_null(labels))
                return jsonh_check_string_map(labels, "config.Labels", err);
        return 0;
}

static int parse_rootfs(json_t *root, image_config *c, berth_error **err)
{
        _cleanup_free_ char *type = NULL;
        json_t *rootfs = NULL;
        int r;

        r = jsonh_get_object(root, "", "rootfs", true, &rootfs, err);
        if (r < 0)
                return r;
        r = jsonh_get_string(rootfs, "rootfs", "type", true, &type, err);
        if (r < 0)
                return r;
        if (!streq(type, "layers"))
                return berth_error_set(err, 0, "rootfs.type: expected \"layers\", got \"%s\"", type);
        r = jsonh_get_strv(rootfs, "rootfs", "diff_ids", true, &c->diff_ids, err);
        if (r < 0)
                return r;
        if (!c->diff_ids)
                c->diff_ids = xcalloc(1, sizeof(char *));
        for (size_t i = 0; c->diff_ids[i]; i++) {
                _cleanup_free_ char *p = xasprintf("rootfs.diff_ids[%zu]", i);
                r = digest_check(c->diff_ids[i], p, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_history(json_t *root, berth_error **err)
{
        json_t *h = NULL, *e;
        size_t i;
        int r;

        r = jsonh_get_array(root, "", "history", false, &h, err);
        if (r < 0 || !h)
                return r;
        json_array_foreach (h, i, e) {
                _cleanup_free_ char *p = jsonh_path_index("history", i);
                static const char *const keys[] = {"created", "created_by", "author", "comment"};
                bool empty;
                if (!json_is_object(e))
                        return berth_error_set(err, 0, "%s: expected object, got %s", p, jsonh_type_name(e));
                for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                        _cleanup_free_ char *s = NULL;
                        r = jsonh_get_string(e, p, keys[k], false, &s, err);
                        if (r < 0)
                                return r;
                }
                r = jsonh_get_bool(e, p, "empty_layer", false, &empty, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_config(json_t *root, image_config *c, berth_error **err)
{
        json_t *cfg = NULL;
        int r;

        if (!json_is_object(root))
                return berth_error_set(err, 0, "expected object, got %s", jsonh_type_name(root));
        r = parse_rootfs(root, c, err);
        if (r < 0)
                return r;
        r = jsonh_get_string(root, "", "created", false, &c->created, err);
        if (r < 0)
                return r;
        if (c->created && image_time_parse(c->created, &c->created_unix) < 0)
                return berth_error_set(err, 0, "created: invalid time \"%s\"", c->created);
        r = jsonh_get_string(root, "", "os", false, &c->os, err);
        if (r < 0)
                return r;
        r = jsonh_get_string(root, "", "architecture", false, &c->arch, err);
        if (r < 0)
                return r;
        r = jsonh_get_object(root, "", "config", false, &cfg, err);
        if (r < 0)
                return r;
        if (cfg) {
                r = check_config_fields(cfg, err);
                if (r < 0)
                        return r;
        }
        return check_history(root, err);
}

int image_config_parse(const char *buf, size_t len, image_config **ret, berth_error **err)
{
        image_config *c = xcalloc(1, sizeof(*c));
        int r;

        r = jsonh_parse(buf, len, "image config", &c->json, err);
        if (r >= 0)
                r = parse_config(c->json, c, err);
        if (r < 0) {
                image_config_free(c);
                return berth_error_wrap(err, "image config");
        }
        *ret = c;
        return 0;
}

void image_config_free(image_config *c)
{
        if (!c)
                return;
        if (c->json)
                json_decref(c->json);
        strv_free(c->diff_ids);
        free(c->created);
        free(c->os);
        free(c->arch);
        free(c);
}

static int parse_offset(const char *p, long *ret)
{
        int hh, mm;

        if (*p == 'Z' && p[1] == 0) {
                *ret = 0;
                return 0;
        }
        if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || strlen(p) != 6)
                return -EINVAL;
        *ret = (*p == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
        return 0;
}

int image_time_parse(const char *s, int64_t *ret)
{
        struct tm tm = {};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        long off;

        if (!p)
                return -EINVAL;
        if (*p == '.') {
                p++;
                while (isdigit((unsigned char)*p))
                        p++;
        }
        if (parse_offset(p, &off) < 0)
                return -EINVAL;
        *ret = (int64_t)timegm(&tm) - off;
        return 0;
}

char *image_time_format(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;
        char buf[64];

        gmtime_r(&tt, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return xstrdup(buf);
}

char *image_chain_id(const char *parent_chain, const char *diff_id)
{
        _cleanup_free_ char *s = NULL;

        if (!parent_chain)
                return xstrdup(diff_id);
        s = xasprintf("%s %s", parent_chain, diff_id);
        return digest_buffer(s, strlen(s));
}

/* The argument of a change: a JSON array (exec form) or a string run by /bin/sh -c. */
static json_t *command_value(const char *arg)
{
        json_t *j = json_loads(arg, JSON_DECODE_ANY, NULL);

        if (json_is_array(j))
                return j;
        if (j)
                json_decref(j);
        return json_pack("[s,s,s]", "/bin/sh", "-c", arg);
}

static json_t *object_member(json_t *config, const char *key)
{
        json_t *o = json_object_get(config, key);

        if (!json_is_object(o)) {
                o = json_object();
                json_object_set_new(config, key, o);
        }
        return o;
}

static int apply_key_value(json_t *config, const char *key, const char *arg, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strv_split(arg, " ");
        json_t *o = object_member(config, key);

        STRV_FOREACH (p, parts) {
                char *eq = strchr(*p, '=');
                if (!eq)
                        return berth_error_set(err, 0, "%s: expected KEY=VALUE, got \"%s\"", key, *p);
                *eq = 0;
                json_object_set_new(o, *p, json_string(eq + 1));
        }
        return 0;
}

static int apply_set(json_t *config, const char *key, const char *arg)
{
        _cleanup_strv_free_ char **parts = strv_split(arg, " ");
        json_t *o = object_member(config, key);

        STRV_FOREACH (p, parts) {
                bool port = streq(key, "ExposedPorts") && !strchr(*p, '/');
                _cleanup_free_ char *k = port ? xasprintf("%s/tcp", *p) : xstrdup(*p);
                json_object_set_new(o, k, json_object());
        }
        return 0;
}

static int apply_env(json_t *config, const char *arg, berth_error **err)
{
        json_t *env = json_object_get(config, "Env");
        const char *eq = strchr(arg, '=');
        const char *sp = strchr(arg, ' ');
        _cleanup_free_ char *kv = NULL;

        if (eq && (!sp || eq < sp))
                kv = xstrdup(arg);
        else if (sp)
                kv = xasprintf("%.*s=%s", (int)(sp - arg), arg, sp + 1);
        else
                return berth_error_set(err, 0, "ENV: expected KEY=VALUE, got \"%s\"", arg);
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(config, "Env", env);
        }
        json_array_append_new(env, json_string(kv));
        return 0;
}

int image_config_apply_change(json_t *config, const char *change, berth_error **err)
{
        const char *sp = change + strcspn(change, " \t");
        _cleanup_free_ char *word = xstrndup(change, (size_t)(sp - change));
        const char *arg = sp + strspn(sp, " \t");

        for (char *p = word; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        if (!*arg)
                return berth_error_set(err, 0, "--change \"%s\": missing argument", change);
        if (streq(word, "CMD") || streq(word, "ENTRYPOINT"))
                json_object_set_new(config, streq(word, "CMD") ? "Cmd" : "Entrypoint", command_value(arg));
        else if (streq(word, "ENV"))
                return apply_env(config, arg, err);
        else if (streq(word, "LABEL"))
                return apply_key_value(config, "Labels", arg, err);
        else if (streq(word, "EXPOSE"))
                return apply_set(config, "ExposedPorts", arg);
        else if (streq(word, "VOLUME"))
                return apply_set(config, "Volumes", arg);
        else if (streq(word, "USER") || streq(word, "WORKDIR") || streq(word, "STOPSIGNAL")) {
                const char *key = streq(word, "USER")      ? "User"
                                  : streq(word, "WORKDIR") ? "WorkingDir"
                                                           : "StopSignal";
                json_object_set_new(config, key, json_string(arg));
        } else
                return berth_error_set(err, 0, "--change \"%s\": unsupported instruction %s", change, word);
        return 0;
}
