/* NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include "macros.h"

typedef char **strv;

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)

size_t strv_length(char *const *l);
/* Append a copy of s; *l may be NULL. */
void strv_push(char ***l, const char *s);
/* Append s itself, taking ownership. */
void strv_consume(char ***l, char *s);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Split on any of the separators, dropping empty fields. */
char **strv_split(const char *s, const char *separators);
char *strv_join(char *const *l, const char *separator);
void strv_free(char **l);
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
