/* jansson helpers for strict parsing: every error names the JSON path ("process.args[2]"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "error.h"

static inline void jsonh_decrefp(json_t **j)
{
        if (*j)
                json_decref(*j);
}
#define _cleanup_json_ _cleanup_(jsonh_decrefp)

/* Parse text; a syntax error reads "<what>: line L column C: <reason>". */
int jsonh_parse(const char *text, size_t len, const char *what, json_t **ret, berth_error **err);
int jsonh_parse_file(const char *path, json_t **ret, berth_error **err);

/* "parent.key" or "key" when parent is empty; caller frees. */
char *jsonh_path_key(const char *parent, const char *key);
/* "parent[i]"; caller frees. */
char *jsonh_path_index(const char *parent, size_t i);

/* Type names for messages: "string", "object", ... */
const char *jsonh_type_name(const json_t *j);

/* The member key of obj, checked for a type. Missing: 0 and *ret unchanged, or an error when
 * required. Wrong type: "<path>: expected <type>, got <type>". */
int jsonh_get_string(json_t *obj, const char *path, const char *key, bool required, char **ret,
                     berth_error **err);
int jsonh_get_bool(json_t *obj, const char *path, const char *key, bool required, bool *ret,
                   berth_error **err);
int jsonh_get_int64(json_t *obj, const char *path, const char *key, bool required, int64_t *ret,
                    berth_error **err);
/* Integer within [min, max]. */
int jsonh_get_int_range(json_t *obj, const char *path, const char *key, bool required, int64_t min,
                        int64_t max, int64_t *ret, berth_error **err);
int jsonh_get_uint64(json_t *obj, const char *path, const char *key, bool required, uint64_t *ret,
                     berth_error **err);
/* An array of strings. */
int jsonh_get_strv(json_t *obj, const char *path, const char *key, bool required, char ***ret,
                   berth_error **err);
/* A borrowed object or array member (NULL when missing and not required). */
int jsonh_get_object(json_t *obj, const char *path, const char *key, bool required, json_t **ret,
                     berth_error **err);
int jsonh_get_array(json_t *obj, const char *path, const char *key, bool required, json_t **ret,
                    berth_error **err);
/* An object whose values are all strings, as "k=v" pairs or kept as a json object. */
int jsonh_check_string_map(json_t *obj, const char *path, berth_error **err);

/* json_t from a strv (NULL gives an empty array). */
json_t *jsonh_from_strv(char *const *l);

/* Serialise with 2-space indents (or compact); caller frees. */
char *jsonh_dump(const json_t *j, bool pretty);
