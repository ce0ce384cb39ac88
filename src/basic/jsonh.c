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
                return berth_error_set(err, 0, "%s: line %d column %d: %s", what, je.line, je.column,
                                       je.text);
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
                return berth_error_set(err, 0, "%s: %lld is out of range [%lld, %lld]", p, (long long)v,
                                       (long long)min, (long long)max);
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
        *ret = (uint64_t)v;
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
                        return berth_error_set(err, 0, "%s: expected string, got %s", pi,
                                               jsonh_type_name(e));
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
        /* JSON_ENCODE_ANY: a scalar too ({{json .Config.OnBuild}} of a null) */
        char *s = json_dumps(j, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENCODE_ANY);
        if (!s)
                abort();
        return s;
}
/* A big value is a string carrying this prefix and the decimal digits: JSON text can hold it, a
 * control character keeps it from meaning anything else, and dumps escape it as "\u0001u64:". */
#define BIG_PREFIX         "\001u64:"
#define BIG_PREFIX_ESCAPED "\"\\u0001u64:"

/* The decimal digits at s (n of them) as a uint64; false on overflow. */
static bool parse_u64_digits(const char *s, size_t n, uint64_t *ret)
{
        uint64_t v = 0;

        if (n == 0 || n > 20)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned d = (unsigned)(s[i] - '0');
                if (d > 9 || v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

/* Offset of the next integer literal in (INT64_MAX, UINT64_MAX] outside strings at or after
 * *pos, with its length: 1; none: 0; a string starting with U+0001, which could pass for a big
 * value: -1 with *pos at it. One linear pass over the text in all. */
static int next_big_literal(const char *t, size_t len, size_t *pos, size_t *ret_n)
{
        bool in_string = false;

        for (size_t i = *pos; i < len; i++) {
                size_t n = 0;
                uint64_t v;

                if (in_string) {
                        if (t[i] == '\\')
                                i++;
                        else if (t[i] == '"')
                                in_string = false;
                        continue;
                }
                if (t[i] == '"') {
                        in_string = true;
                        if (len - i > 7 && strneq(t + i + 1, "\\u0001", 6)) {
                                *pos = i;
                                return -1;
                        }
                        continue;
                }
                if (t[i] < '0' || t[i] > '9')
                        continue;
                while (i + n < len && t[i + n] >= '0' && t[i + n] <= '9')
                        n++;
                /* Only a plain non-negative integer: no sign, fraction or exponent around it. */
                if (n >= 19 && (i == 0 || !strchr("-+.eE", t[i - 1])) &&
                    (i + n == len || !strchr(".eE", t[i + n])) && parse_u64_digits(t + i, n, &v) &&
                    v > INT64_MAX) {
                        *pos = i;
                        *ret_n = n;
                        return 1;
                }
                i += n - 1;
        }
        return 0;
}

static int reject_u0001(const char *t, size_t pos, const char *what, berth_error **err)
{
        int line = 1, col = 1;

        for (size_t i = 0; i < pos; i++, col++)
                if (t[i] == '\n') {
                        line++;
                        col = 0;
                }
        return berth_error_set(err, 0,
                               "%s: line %d column %d: a string starting with \\u0001 is not supported",
                               what, line, col);
}

int jsonh_parse_u64(const char *text, size_t len, const char *what, json_t **ret, berth_error **err)
{
        _cleanup_free_ char *copy = NULL;
        size_t pos = 0, n = 0, done = 0, used = 0;
        int k = next_big_literal(text, len, &pos, &n);

        if (k == 0)
                return jsonh_parse(text, len, what, ret, err);
        /* Each literal of at most 20 digits grows by the quotes and the escaped prefix. */
        copy = xmalloc(len + (len / 19 + 1) * (strlen(BIG_PREFIX_ESCAPED) + 1));
        for (; k > 0; k = next_big_literal(text, len, &pos, &n)) {
                memcpy(copy + used, text + done, pos - done);
                used += pos - done;
                used += (size_t)sprintf(copy + used, "%s%.*s\"", BIG_PREFIX_ESCAPED, (int)n, text + pos);
                done = pos = pos + n;
        }
        if (k < 0)
                return reject_u0001(text, pos, what, err);
        memcpy(copy + used, text + done, len - done);
        used += len - done;
        return jsonh_parse(copy, used, what, ret, err);
}

bool jsonh_big_uint(const json_t *j, uint64_t *ret)
{
        const char *s = json_string_value(j);
        uint64_t v;

        if (!s || !strneq(s, BIG_PREFIX, strlen(BIG_PREFIX)))
                return false;
        s += strlen(BIG_PREFIX);
        if (!parse_u64_digits(s, strlen(s), &v) || v <= INT64_MAX || s[0] == '0')
                return false;
        *ret = v;
        return true;
}

json_t *jsonh_uint(uint64_t v)
{
        char buf[64];

        if (v <= INT64_MAX)
                return json_integer((json_int_t)v);
        snprintf(buf, sizeof(buf), "%s%llu", BIG_PREFIX, (unsigned long long)v);
        return json_string(buf);
}

char *jsonh_dump_u64(const json_t *j, bool pretty)
{
        char *s = jsonh_dump(j, pretty), *r = s, *w = s;
        size_t plen = strlen(BIG_PREFIX_ESCAPED);

        /* In place: each big value only shrinks. Only a whole string that is a big value (the
         * prefix at its opening quote, digits, the closing quote) is unwrapped. */
        while (*r) {
                size_t n = 0;
                uint64_t v;

                if (*r != '"') {
                        *w++ = *r++;
                        continue;
                }
                if (strneq(r, BIG_PREFIX_ESCAPED, plen)) {
                        while (r[plen + n] >= '0' && r[plen + n] <= '9')
                                n++;
                        if (r[plen + n] == '"' && r[plen] != '0' && parse_u64_digits(r + plen, n, &v) &&
                            v > INT64_MAX) {
                                memmove(w, r + plen, n);
                                w += n;
                                r += plen + n + 1;
                                continue;
                        }
                }
                /* Any other string: copy it whole, escapes included. */
                *w++ = *r++;
                while (*r && *r != '"') {
                        if (*r == '\\' && r[1])
                                *w++ = *r++;
                        *w++ = *r++;
                }
                if (*r)
                        *w++ = *r++;
        }
        *w = 0;
        return s;
}
