/*
 * Shared by the spec parser's files: a JSON path built on the stack and formatted only when an
 * error names it, and typed member getters that report "<path>: expected string, got integer".
 */
#pragma once

#include <stddef.h>
#include "oci/spec.h"

/* One step of a JSON path: a member key, or an array index when key is NULL. */
typedef struct oci_jp {
        const struct oci_jp *up;
        const char *key;
        size_t index;
} oci_jp;

#define JP_KEY(parent, k) (&(const oci_jp){.up = (parent), .key = (k)})
#define JP_IDX(parent, i) (&(const oci_jp){.up = (parent), .index = (i)})

/* "linux.namespaces[1].type"; caller frees. */
char *oci_jp_string(const oci_jp *p);
/* "<path>: <message>"; returns -EINVAL. */
int oci_jp_error(berth_error **err, const oci_jp *p, const char *fmt, ...) _printf_(3, 4);
int oci_jp_type_error(berth_error **err, const oci_jp *p, const char *want, const json_t *v);

/* Member key of o, NULL when missing or null. An error "<path>.<key>: required" when required. */
int oci_member(json_t *o, const oci_jp *up, const char *key, bool required, json_t **ret, berth_error **err);

int oci_get_string(json_t *o, const oci_jp *up, const char *key, bool required, char **ret,
                   berth_error **err);
int oci_get_bool(json_t *o, const oci_jp *up, const char *key, bool *ret, berth_error **err);
int oci_get_opt_bool(json_t *o, const oci_jp *up, const char *key, oci_opt_bool *ret, berth_error **err);
/* Integer within [min, max]; *ret untouched when missing (and not required). */
int oci_get_int(json_t *o, const oci_jp *up, const char *key, bool required, int64_t min, int64_t max,
                int64_t *ret, berth_error **err);
/* Unsigned within [0, max], max up to UINT64_MAX (see jsonh_parse_u64). */
int oci_get_uint(json_t *o, const oci_jp *up, const char *key, bool required, uint64_t max, uint64_t *ret,
                 berth_error **err);
int oci_get_opt_int(json_t *o, const oci_jp *up, const char *key, int64_t min, int64_t max, oci_opt_int *ret,
                    berth_error **err);
int oci_get_opt_uint(json_t *o, const oci_jp *up, const char *key, uint64_t max, oci_opt_uint *ret,
                     berth_error **err);
int oci_get_u32(json_t *o, const oci_jp *up, const char *key, bool required, uint32_t *ret,
                berth_error **err);
int oci_get_strv(json_t *o, const oci_jp *up, const char *key, bool required, char ***ret,
                 berth_error **err);
int oci_get_object(json_t *o, const oci_jp *up, const char *key, bool required, json_t **ret,
                   berth_error **err);
/* An object kept as JSON (a new reference). */
int oci_get_kept_object(json_t *o, const oci_jp *up, const char *key, json_t **ret, berth_error **err);
/* An object whose values are all strings and whose keys are not empty, kept as JSON. */
int oci_get_string_map(json_t *o, const oci_jp *up, const char *key, json_t **ret, berth_error **err);

/* Parse an array of objects into a new C array of elem_size elements. On failure every element
 * parsed so far (the failing one included) goes through elem_free. */
typedef int (*oci_elem_parse_fn)(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err);
int oci_get_object_array(json_t *o, const oci_jp *up, const char *key, size_t elem_size,
                         oci_elem_parse_fn parse, void (*elem_free)(void *elem), void *userdata, void **ret,
                         size_t *ret_n, berth_error **err);

int oci_parse_id_mapping(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err);
void oci_free_nothing(void *elem);

/* spec-linux.c */
int oci_linux_from_json(json_t *j, const oci_jp *p, oci_linux **ret, berth_error **err);
void oci_linux_free(oci_linux *l);
