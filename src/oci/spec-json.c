/*
 * Typed getters for the spec parser. The JSON path of a member lives on the stack as a chain of
 * oci_jp steps and becomes a string only when an error names it, so a valid config.json costs no
 * path allocations at all.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "spec-internal.h"

static void jp_print(FILE *f, const oci_jp *p)
{
        if (!p)
                return;
        jp_print(f, p->up);
        if (!p->key) {
                fprintf(f, "[%zu]", p->index);
                return;
        }
        if (!*p->key)
                return;
        if (ftell(f) > 0)
                fputc('.', f);
        fputs(p->key, f);
}

char *oci_jp_string(const oci_jp *p)
{
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        if (!f)
                abort();
        jp_print(f, p);
        if (fclose(f) != 0)
                abort();
        if (n == 0) {
                free(s);
                return xstrdup("(root)");
        }
        return s;
}

int oci_jp_error(berth_error **err, const oci_jp *p, const char *fmt, ...)
{
        _cleanup_free_ char *path = oci_jp_string(p), *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        return berth_error_set(err, 0, "%s: %s", path, msg);
}

int oci_jp_type_error(berth_error **err, const oci_jp *p, const char *want, const json_t *v)
{
        return oci_jp_error(err, p, "expected %s, got %s", want, jsonh_type_name(v));
}

int oci_member(json_t *o, const oci_jp *up, const char *key, bool required, json_t **ret, berth_error **err)
{
        json_t *v = json_object_get(o, key);

        if (v && json_is_null(v))
                v = NULL;
        if (!v && required)
                return oci_jp_error(err, JP_KEY(up, key), "required");
        *ret = v;
        return 0;
}

int oci_get_string(json_t *o, const oci_jp *up, const char *key, bool required, char **ret,
                   berth_error **err)
{
        json_t *v;
        int r = oci_member(o, up, key, required, &v, err);

        if (r < 0 || !v)
                return r;
        if (!json_is_string(v))
                return oci_jp_type_error(err, JP_KEY(up, key), "string", v);
        *ret = xstrndup(json_string_value(v), json_string_length(v));
        return 0;
}

int oci_get_bool(json_t *o, const oci_jp *up, const char *key, bool *ret, berth_error **err)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return oci_jp_type_error(err, JP_KEY(up, key), "boolean", v);
        *ret = json_is_true(v);
        return 0;
}

int oci_get_opt_bool(json_t *o, const oci_jp *up, const char *key, oci_opt_bool *ret, berth_error **err)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return oci_jp_type_error(err, JP_KEY(up, key), "boolean", v);
        *ret = (oci_opt_bool){.set = true, .value = json_is_true(v)};
        return 0;
}

static int int_of(json_t *v, const oci_jp *p, int64_t min, int64_t max, int64_t *ret, berth_error **err)
{
        uint64_t big;
        json_int_t i;

        if (jsonh_big_uint(v, &big))
                return oci_jp_error(err, p, "%llu is out of range [%lld, %lld]", (unsigned long long)big,
                                    (long long)min, (long long)max);
        if (!json_is_integer(v))
                return oci_jp_type_error(err, p, "integer", v);
        i = json_integer_value(v);
        if (i < min || i > max)
                return oci_jp_error(err, p, "%lld is out of range [%lld, %lld]", (long long)i,
                                    (long long)min, (long long)max);
        *ret = i;
        return 0;
}

/* Also takes the values above INT64_MAX that jsonh_parse_u64 keeps. */
static int uint_of(json_t *v, const oci_jp *p, uint64_t max, uint64_t *ret, berth_error **err)
{
        uint64_t big;
        json_int_t i;

        if (jsonh_big_uint(v, &big)) {
                if (big > max)
                        return oci_jp_error(err, p, "%llu is out of range [0, %llu]",
                                            (unsigned long long)big, (unsigned long long)max);
                *ret = big;
                return 0;
        }
        if (!json_is_integer(v))
                return oci_jp_type_error(err, p, "integer", v);
        i = json_integer_value(v);
        if (i < 0 || (uint64_t)i > max)
                return oci_jp_error(err, p, "%lld is out of range [0, %llu]", (long long)i,
                                    (unsigned long long)max);
        *ret = (uint64_t)i;
        return 0;
}

int oci_get_int(json_t *o, const oci_jp *up, const char *key, bool required, int64_t min, int64_t max,
                int64_t *ret, berth_error **err)
{
        json_t *v;
        int r = oci_member(o, up, key, required, &v, err);

        if (r < 0 || !v)
                return r;
        return int_of(v, JP_KEY(up, key), min, max, ret, err);
}

int oci_get_uint(json_t *o, const oci_jp *up, const char *key, bool required, uint64_t max, uint64_t *ret,
                 berth_error **err)
{
        json_t *v;
        int r = oci_member(o, up, key, required, &v, err);

        if (r < 0 || !v)
                return r;
        return uint_of(v, JP_KEY(up, key), max, ret, err);
}

int oci_get_opt_int(json_t *o, const oci_jp *up, const char *key, int64_t min, int64_t max, oci_opt_int *ret,
                    berth_error **err)
{
        json_t *v;
        int64_t i;
        int r = oci_member(o, up, key, false, &v, err);

        if (r < 0 || !v)
                return r;
        r = int_of(v, JP_KEY(up, key), min, max, &i, err);
        if (r < 0)
                return r;
        *ret = (oci_opt_int){.set = true, .value = i};
        return 0;
}

int oci_get_opt_uint(json_t *o, const oci_jp *up, const char *key, uint64_t max, oci_opt_uint *ret,
                     berth_error **err)
{
        json_t *v;
        uint64_t u;
        int r = oci_member(o, up, key, false, &v, err);

        if (r < 0 || !v)
                return r;
        r = uint_of(v, JP_KEY(up, key), max, &u, err);
        if (r < 0)
                return r;
        *ret = (oci_opt_uint){.set = true, .value = u};
        return 0;
}

int oci_get_u32(json_t *o, const oci_jp *up, const char *key, bool required, uint32_t *ret,
                berth_error **err)
{
        uint64_t v = *ret;
        int r = oci_get_uint(o, up, key, required, UINT32_MAX, &v, err);

        if (r < 0)
                return r;
        *ret = (uint32_t)v;
        return 0;
}

int oci_get_strv(json_t *o, const oci_jp *up, const char *key, bool required, char ***ret, berth_error **err)
{
        json_t *v, *e;
        char **l;
        size_t i;
        int r = oci_member(o, up, key, required, &v, err);

        if (r < 0 || !v)
                return r;
        if (!json_is_array(v))
                return oci_jp_type_error(err, JP_KEY(up, key), "array", v);
        json_array_foreach (v, i, e)
                if (!json_is_string(e))
                        return oci_jp_type_error(err, JP_IDX(JP_KEY(up, key), i), "string", e);
        /* Checked first, so that the copy below is one allocation per string and cannot fail. */
        l = xmalloc((json_array_size(v) + 1) * sizeof(char *));
        json_array_foreach (v, i, e)
                l[i] = xstrndup(json_string_value(e), json_string_length(e));
        l[json_array_size(v)] = NULL;
        *ret = l;
        return 0;
}

int oci_get_object(json_t *o, const oci_jp *up, const char *key, bool required, json_t **ret,
                   berth_error **err)
{
        json_t *v;
        int r = oci_member(o, up, key, required, &v, err);

        if (r < 0 || !v)
                return r;
        if (!json_is_object(v))
                return oci_jp_type_error(err, JP_KEY(up, key), "object", v);
        *ret = v;
        return 0;
}

int oci_get_kept_object(json_t *o, const oci_jp *up, const char *key, json_t **ret, berth_error **err)
{
        json_t *v = NULL;
        int r = oci_get_object(o, up, key, false, &v, err);

        if (r < 0 || !v)
                return r;
        *ret = json_incref(v);
        return 0;
}

int oci_get_string_map(json_t *o, const oci_jp *up, const char *key, json_t **ret, berth_error **err)
{
        json_t *m = NULL, *v;
        const char *k;
        int r = oci_get_object(o, up, key, false, &m, err);

        if (r < 0 || !m)
                return r;
        json_object_foreach (m, k, v) {
                if (!*k)
                        return oci_jp_error(err, JP_KEY(up, key), "empty key");
                if (!json_is_string(v))
                        return oci_jp_type_error(err, JP_KEY(JP_KEY(up, key), k), "string", v);
        }
        *ret = json_incref(m);
        return 0;
}

int oci_get_object_array(json_t *o, const oci_jp *up, const char *key, size_t elem_size,
                         oci_elem_parse_fn parse, void (*elem_free)(void *elem), void *userdata, void **ret,
                         size_t *ret_n, berth_error **err)
{
        json_t *a, *e;
        char *elems;
        size_t i, n;
        int r = oci_member(o, up, key, false, &a, err);

        if (r < 0 || !a)
                return r;
        if (!json_is_array(a))
                return oci_jp_type_error(err, JP_KEY(up, key), "array", a);
        n = json_array_size(a);
        if (n == 0)
                return 0;
        elems = xcalloc(n, elem_size);
        json_array_foreach (a, i, e) {
                const oci_jp *p = JP_IDX(JP_KEY(up, key), i);

                r = json_is_object(e) ? parse(e, p, elems + i * elem_size, userdata, err)
                                      : oci_jp_type_error(err, p, "object", e);
                if (r < 0) {
                        for (size_t k = 0; k <= i; k++)
                                elem_free(elems + k * elem_size);
                        free(elems);
                        return r;
                }
        }
        *ret = elems;
        *ret_n = n;
        return 0;
}

int oci_parse_id_mapping(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_id_mapping *m = elem;
        int r;

        r = oci_get_u32(e, p, "containerID", true, &m->container_id, err);
        if (r >= 0)
                r = oci_get_u32(e, p, "hostID", true, &m->host_id, err);
        if (r >= 0)
                r = oci_get_u32(e, p, "size", true, &m->size, err);
        return r;
}

void oci_free_nothing(void *elem)
{
}
