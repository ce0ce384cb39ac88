/* jansson helpers: strict typed getters whose errors carry the JSON path. */
#include <string.h>

#include "jsonh.h"
#include "fs.h"
#include "strv.h"

int jsonh_parse(const char *text, size_t len, const char *what, json_t **ret, berth_error **err)
{
        json_error_t je;
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

        if (!j)
                return berth_error_set(err, 0, "%s: line %d column %d: %s", what, je.line, je.column, je.text);
        *ret = j;
        return 0;
}

int jsonh_parse_file(const char *path, json_t **ret, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fs_read_file(path, &text, &len, err);

        if (r < 0)
                return r;
        return jsonh_parse(text, len, path, ret, err);
}

char *jsonh_path_key(const char *parent, const char *key)
{
        if (!parent || !*parent)
                return xstrdup(key);
        return xasprintf("%s.%s", parent, key);
}

char *jsonh_path_index(const char *parent, size_t i)
{
        return xasprintf("%s[%zu]", strempty(parent), i);
}

const char *jsonh_type_name(const json_t *j)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                return "object";
        case JSON_ARRAY:
                return "array";
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "integer";
        case JSON_REAL:
                return "number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "boolean";
        case JSON_NULL:
        default:
                return "null";
        }
}

/* Fetch a member; 1 when present, 0 when absent (error if required). */
static int member(json_t *obj, const char *path, const char *key, bool required, json_t **ret,
                  berth_error **err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                if (required) {
                        _cleanup_free_ char *p = jsonh_path_key(path, key);
                        return berth_error_set(err, 0, "%s: required", p);
                }
                return 0;
        }
        *ret = v;
        return 1;
}

static int type_error(const char *path, const char *key, const char *want, json_t *v, berth_error **err)
{
        _cleanup_free_ char *p = jsonh_path_key(path, key);
        return berth_error_set(err, 0, "%s: expected %s, got %s", p, want, jsonh_type_name(v));
}

int jsonh_get_string(json_t *obj, const char *path, const char *key, bool required, char **ret,
                     berth_error **err)
{
        json_t *v = NULL;
        int r = member(obj, path, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_string(v))
                return type_error(path, key, "string", v, err);
        free(*ret);
        *ret = xstrdup(json_string_value(v));
        return 0;
}

int jsonh_get_bool(json_t *obj, const char *path, const char *key, bool required, bool *ret,
                   berth_error **err)
{
        json_t *v = NULL;
        int r = member(obj, path, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_boolean(v))
                return type_error(path, key, "boolean", v, err);
        *ret = json_is_true(v);
        return 0;
}

int jsonh_get_int64(json_t *obj, const char *path, const char *key, bool required, int64_t *ret,
                    berth_error **err)
{
        json_t *v = NULL;
        int r = member(obj, path, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_integer(v))
                return type_error(path, key, "integer", v, err);
        *ret = json_integer_value(v);
        return 0;
}

int jsonh_get_int_range(json_t *obj, const char *path, const char *key, bool required, int64_t min,
                        int64_t max, int64_t *ret, berth_error **err)
{
        int64_t v = 0;
        json_t *m = json_object_get(obj, key);
        int r = jsonh_get_int64(obj, path, key, required, &v, err);

        if (r < 0 || !m || json_is_null(m))
                return r;
        if (v < min || v > max) {
                _cleanup_free_ char *p = jsonh_path_key(path, key);
                return berth_error_set(err, 0, "%s: %lld is out of range [%lld, %lld]", p, (long long) v,
                                       (long long) min, (long long) max);
        }
        *ret = v;
        return 0;
}

int jsonh_get_uint64(json_t *obj, const char *path, const char *key, bool required, uint64_t *ret,
                     berth_error **err)
{
        int64_t v = 0;
        json_t *m = json_object_get(obj, key);
        int r = jsonh_get_int64(obj, path, key, required, &v, err);

        if (r < 0 || !m || json_is_null(m))
                return r;
        if (v < 0) {
                _cleanup_free_ char *p = jsonh_path_key(path, key);
                return berth_error_set(err, 0, "%s: expected a non-negative integer", p);
        }
        *ret = (uint64_t) v;
        return 0;
}

int jsonh_get_strv(json_t *obj, const char *path, const char *key, bool required, char ***ret,
                   berth_error **err)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *p = jsonh_path_key(path, key);
        json_t *v = NULL, *e;
        size_t i;
        int r = member(obj, path, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_array(v))
                return type_error(path, key, "array", v, err);
        l = xcalloc(1, sizeof(char *));
        json_array_foreach (v, i, e) {
                if (!json_is_string(e)) {
                        _cleanup_free_ char *pi = jsonh_path_index(p, i);
                        return berth_error_set(err, 0, "%s: expected string, got %s", pi, jsonh_type_name(e));
                }
                strv_push(&l, json_string_value(e));
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

int jsonh_get_object(json_t *obj, const char *path, const char *key, bool required, json_t **ret,
                     berth_error **err)
{
        json_t *v = NULL;
        int r = member(obj, path, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_object(v))
                return type_error(path, key, "object", v, err);
        *ret = v;
        return 0;
}

int jsonh_get_array(json_t *obj, const char *path, const char *key, bool required, json_t **ret,
                    berth_error **err)
{
        json_t *v = NULL;
        int r = member(obj, path, key, required, &v, err);

        if (r <= 0)
                return r;
        if (!json_is_array(v))
                return type_error(path, key, "array", v, err);
        *ret = v;
        return 0;
}

int jsonh_check_string_map(json_t *obj, const char *path, berth_error **err)
{
        const char *k;
        json_t *v = NULL;

        if (!json_is_object(obj))
                return berth_error_set(err, 0, "%s: expected object, got %s", path, jsonh_type_name(obj));
        json_object_foreach (obj, k, v) {
                if (!json_is_string(v)) {
                        _cleanup_free_ char *p = jsonh_path_key(path, k);
                        return berth_error_set(err, 0, "%s: expected string, got %s", p, jsonh_type_name(v));
                }
        }
        return 0;
}

json_t *jsonh_from_strv(char *const *l)
{
        json_t *a = json_array();

        for (size_t i = 0; l && l[i]; i++)
                json_array_append_new(a, json_string(l[i]));
        return a;
}

char *jsonh_dump(const json_t *j, bool pretty)
{
        char *s = json_dumps(j, pretty ? JSON_INDENT(2) : JSON_COMPACT);
        if (!s)
                abort();
        return s;
}
