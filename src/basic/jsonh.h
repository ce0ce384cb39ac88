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

/*
 * Unsigned 64-bit integers above INT64_MAX (RLIM_INFINITY as Docker writes it for --ulimit
 * memlock=-1, for one), which jansson's int64 cannot hold. jsonh_parse_u64 parses like
 * jsonh_parse but turns each such literal into a "big" value that jsonh_big_uint reads;
 * jsonh_uint makes one; jsonh_dump_u64 dumps like jsonh_dump with big values as plain numbers.
 */
int jsonh_parse_u64(const char *text, size_t len, const char *what, json_t **ret, berth_error **err);
bool jsonh_big_uint(const json_t *j, uint64_t *ret);
json_t *jsonh_uint(uint64_t v);
char *jsonh_dump_u64(const json_t *j, bool pretty);
