/* Dockerfiles: parsed into instructions (keyword, flags, arguments in shell or JSON form, the line
 * it starts on), and the word processing Docker applies to arguments: quotes, the escape
 * character and $VAR / ${VAR} / ${VAR:-word} / ${VAR:+word} substitution. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include "basic/error.h"
#include "basic/strv.h"

typedef struct df_instruction {
        char *keyword;  /* upper case: FROM, RUN, ... */
        char **flags;   /* leading "--name=value" words (FROM, RUN, COPY, ADD, HEALTHCHECK) */
        char *args;     /* the text after the keyword and flags, continuations joined */
        char **json;    /* the arguments in exec form (a JSON array of strings), else NULL */
        char *original; /* the instruction as written, continuations joined (messages, cache) */
        int line;       /* first line, from 1 */
} df_instruction;

typedef struct dockerfile {
        df_instruction *ins;
        size_t n;
        char escape; /* '\\' or '`' (the "# escape=" directive) */
} dockerfile;

/* Parse a Dockerfile. An error names the line: "Dockerfile:3: ...". */
int dockerfile_parse(const char *buf, size_t len, dockerfile **ret, berth_error **err);
void dockerfile_free(dockerfile *d);
static inline void dockerfile_freep(dockerfile **d)
{
        dockerfile_free(*d);
}
#define _cleanup_dockerfile_ _cleanup_(dockerfile_freep)

/* The value of flag name ("from" for "--from=x") of an instruction, NULL when not given. */
const char *df_flag(const df_instruction *i, const char *name);

/* Process s as Docker does: quotes removed, escapes applied, variables from env (KEY=VALUE)
 * substituted (not inside single quotes). split: break into words on unquoted blanks (else one
 * word). Returns the words in *ret. */
int df_words(const char *s, char escape, char *const *env, bool split, char ***ret, berth_error **err);
/* One word: df_words without splitting. */
int df_expand(const char *s, char escape, char *const *env, char **ret, berth_error **err);

/* The value of KEY in a KEY=VALUE list (the last one wins), NULL if absent. */
const char *df_env_get(char *const *env, const char *key);
/* Set KEY=VALUE in a list, replacing KEY's entry. */
void df_env_set(char ***env, const char *key, const char *value);
