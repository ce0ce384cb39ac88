/* The Dockerfile parser: parser directives at the top, comment lines dropped (also inside a
 * continued instruction), lines ending in the escape character joined, then each instruction
 * split into keyword, flags and arguments. Word processing follows Docker's shell lexer. */
#include <ctype.h>
#include <string.h>
#include <jansson.h>

#include "dockerfile.h"

static const char *const keywords[] = {"FROM",       "RUN",         "CMD",     "LABEL", "MAINTAINER",
                                       "EXPOSE",     "ENV",         "ADD",     "COPY",  "ENTRYPOINT",
                                       "VOLUME",     "USER",        "WORKDIR", "ARG",   "ONBUILD",
                                       "STOPSIGNAL", "HEALTHCHECK", "SHELL",   NULL};

/* Instructions whose leading "--x=y" words are flags. */
static const char *const flag_keywords[] = {"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK", NULL};

void dockerfile_free(dockerfile *d)
{
        if (!d)
                return;
        for (size_t i = 0; i < d->n; i++) {
                free(d->ins[i].keyword);
                strv_free(d->ins[i].flags);
                free(d->ins[i].args);
                strv_free(d->ins[i].json);
                free(d->ins[i].original);
        }
        free(d->ins);
        free(d);
}

const char *df_flag(const df_instruction *i, const char *name)
{
        size_t n = strlen(name);

        STRV_FOREACH (f, i->flags)
                if (strneq(*f + 2, name, n) && ((*f)[n + 2] == '=' || (*f)[n + 2] == 0))
                        return (*f)[n + 2] == '=' ? *f + n + 3 : "";
        return NULL;
}

static char *trim(char *s)
{
        size_t n;

        while (*s && isspace((unsigned char)*s))
                s++;
        n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = 0;
        return s;
}

/* "# key=value" at the top of the file. Returns true when line is a directive. */
static bool parse_directive(const char *line, dockerfile *d, int lineno, berth_error **err, int *r)
{
        _cleanup_free_ char *copy = NULL;
        char *s, *eq, *key, *value;

        if (line[0] != '#')
                return false;
        copy = xstrdup(line + 1);
        s = trim(copy);
        eq = strchr(s, '=');
        if (!eq)
                return false;
        *eq = 0;
        key = trim(s);
        value = trim(eq + 1);
        for (char *p = key; *p; p++)
                if (!isalnum((unsigned char)*p))
                        return false;
        for (char *p = key; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        if (streq(key, "escape")) {
                if (!streq(value, "\\") && !streq(value, "`")) {
                        *r = berth_error_set(err, 0,
                                             "Dockerfile:%d: invalid escape token '%s' does not validate",
                                             lineno, value);
                        return true;
                }
                d->escape = value[0];
                return true;
        }
        return streq(key, "syntax") || streq(key, "check");
}

static bool is_keyword(const char *w)
{
        for (size_t i = 0; keywords[i]; i++)
                if (streq(keywords[i], w))
                        return true;
        return false;
}

static char **parse_json_array(const char *s)
{
        json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
        char **l = NULL;
        size_t i;
        json_t *v;

        if (!json_is_array(j)) {
                json_decref(j);
                return NULL;
        }
        json_array_foreach (j, i, v) {
                if (!json_is_string(v)) {
                        strv_free(l);
                        json_decref(j);
                        return NULL;
                }
                strv_push(&l, json_string_value(v));
        }
        json_decref(j);
        return l ? l : xcalloc(1, sizeof(char *));
}

static int parse_instruction(dockerfile *d, const char *text, int line, berth_error **err)
{
        df_instruction *in;
        const char *p = text, *kw_end;
        bool flags_allowed = false;

        kw_end = p + strcspn(p, " \t");
        d->ins = xrealloc(d->ins, (d->n + 1) * sizeof(*d->ins));
        in = &d->ins[d->n];
        *in = (df_instruction){
                .keyword = xstrndup(p, (size_t)(kw_end - p)), .line = line, .original = xstrdup(text)};
        d->n++;
        for (char *k = in->keyword; *k; k++)
                *k = (char)toupper((unsigned char)*k);
        if (!is_keyword(in->keyword))
                return berth_error_set(err, 0, "Dockerfile:%d: unknown instruction: %s", line, in->keyword);
        for (size_t i = 0; flag_keywords[i]; i++)
                flags_allowed |= streq(flag_keywords[i], in->keyword);
        p = kw_end + strspn(kw_end, " \t");
        while (flags_allowed && strneq(p, "--", 2) && p[2] && !isspace((unsigned char)p[2])) {
                size_t n = strcspn(p, " \t");
                strv_consume(&in->flags, xstrndup(p, n));
                p += n;
                p += strspn(p, " \t");
        }
        in->args = xstrdup(p);
        trim(in->args);
        if (in->args[0] == '[')
                in->json = parse_json_array(in->args);
        if (!in->args[0] && !streq(in->keyword, "RUN") && !streq(in->keyword, "CMD") &&
            !streq(in->keyword, "ENTRYPOINT"))
                return berth_error_set(err, 0, "Dockerfile:%d: %s requires at least one argument", line,
                                       in->keyword);
        return 0;
}

/* Does the line end in the escape character (trailing blanks aside)? Strips it when it does. */
static bool continues(char *line, char escape)
{
        size_t n = strlen(line);

        while (n > 0 && isspace((unsigned char)line[n - 1]))
                n--;
        if (n == 0 || line[n - 1] != escape)
                return false;
        line[n - 1] = 0;
        return true;
}

typedef struct parse_state {
        dockerfile *d;
        char *pending; /* an instruction being continued */
        int pending_line;
        bool directives_done;
} parse_state;

static int parse_line(parse_state *st, char *raw, int lineno, berth_error **err)
{
        char *line = trim(raw);
        int r = 0;

        if (!st->directives_done) {
                if (parse_directive(line, st->d, lineno, err, &r))
                        return r;
                st->directives_done = true;
        }
        if (line[0] == '#')
                return 0; /* a comment, also between continued lines */
        if (!line[0] && !st->pending)
                return 0;
        if (!line[0])
                return 0; /* blank lines inside a continuation are skipped */
        if (st->pending) {
                char *joined = xasprintf("%s%s", st->pending, line);
                free(st->pending);
                st->pending = joined;
        } else {
                st->pending = xstrdup(line);
                st->pending_line = lineno;
        }
        if (continues(st->pending, st->d->escape))
                return 0;
        r = parse_instruction(st->d, trim(st->pending), st->pending_line, err);
        free(st->pending);
        st->pending = NULL;
        return r;
}

int dockerfile_parse(const char *buf, size_t len, dockerfile **ret, berth_error **err)
{
        _cleanup_free_ char *text = xstrndup(buf, len);
        parse_state st = {.d = xcalloc(1, sizeof(dockerfile))};
        char *p = text;
        int lineno = 0, r = 0;

        st.d->escape = '\\';
        /* first: text ends at a NUL, so nothing below may read len bytes of it before this */
        if (memchr(buf, 0, len)) {
                dockerfile_free(st.d);
                return berth_error_set(err, 0, "Dockerfile: contains a NUL byte");
        }
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                p += 3; /* a UTF-8 byte order mark, as editors on Windows write it */
        /* strtok_r would merge empty lines and lose the line numbers */
        while (r >= 0 && p) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                lineno++;
                if (nl && nl > p && nl[-1] == '\r')
                        nl[-1] = 0;
                r = parse_line(&st, p, lineno, err);
                p = nl ? nl + 1 : NULL;
        }
        if (r >= 0 && st.pending)
                r = parse_instruction(st.d, trim(st.pending), st.pending_line, err);
        free(st.pending);
        if (r >= 0 && st.d->n == 0)
                r = berth_error_set(err, 0, "Dockerfile: file with no instructions");
        if (r < 0) {
                dockerfile_free(st.d);
                return r;
        }
        *ret = st.d;
        return 0;
}

/* ---- words and variables ---- */

const char *df_env_get(char *const *env, const char *key)
{
        size_t n = strlen(key);
        const char *v = NULL;

        STRV_FOREACH (e, (char **)env)
                if (strneq(*e, key, n) && (*e)[n] == '=')
                        v = *e + n + 1;
        return v;
}

void df_env_set(char ***env, const char *key, const char *value)
{
        size_t n = strlen(key);

        STRV_FOREACH (e, *env)
                if (strneq(*e, key, n) && (*e)[n] == '=') {
                        free(*e);
                        *e = xasprintf("%s=%s", key, value);
                        return;
                }
        strv_consume(env, xasprintf("%s=%s", key, value));
}

typedef struct lexer {
        const char *p;
        char escape;
        char *const *env;
        char *buf;
        size_t len, cap;
} lexer;

static void put(lexer *x, const char *s, size_t n)
{
        if (x->len + n + 1 > x->cap) {
                x->cap = (x->len + n + 1) * 2;
                x->buf = xrealloc(x->buf, x->cap);
        }
        memcpy(x->buf + x->len, s, n);
        x->len += n;
        x->buf[x->len] = 0;
}

static int expand_word_in_braces(lexer *x, const char *inner, berth_error **err);

/* After a '$': a name, ${...}, or a lone '$'. */
static int expand_var(lexer *x, berth_error **err)
{
        if (*x->p == '{') {
                const char *end = strchr(x->p, '}');
                _cleanup_free_ char *inner = NULL;
                if (!end)
                        return berth_error_set(err, 0, "missing '}' in \"%s\"", x->p - 1);
                inner = xstrndup(x->p + 1, (size_t)(end - x->p - 1));
                x->p = end + 1;
                return expand_word_in_braces(x, inner, err);
        }
        if (isalpha((unsigned char)*x->p) || *x->p == '_') {
                const char *s = x->p;
                _cleanup_free_ char *name = NULL;
                const char *v;
                while (isalnum((unsigned char)*x->p) || *x->p == '_')
                        x->p++;
                name = xstrndup(s, (size_t)(x->p - s));
                v = df_env_get(x->env, name);
                if (v)
                        put(x, v, strlen(v));
                return 0;
        }
        put(x, "$", 1);
        return 0;
}

static int expand_word_in_braces(lexer *x, const char *inner, berth_error **err)
{
        size_t n = strspn(inner, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        _cleanup_free_ char *name = xstrndup(inner, n), *word = NULL;
        const char *v, *op = inner + n;
        int r;

        if (n == 0)
                return berth_error_set(err, 0, "bad substitution: ${%s}", inner);
        v = df_env_get(x->env, name);
        if (!*op) {
                if (v)
                        put(x, v, strlen(v));
                return 0;
        }
        if (!streq(op, ":") && (strneq(op, ":-", 2) || strneq(op, ":+", 2))) {
                r = df_expand(op + 2, x->escape, x->env, &word, err);
                if (r < 0)
                        return r;
                if (op[1] == '-')
                        v = v && *v ? v : word;
                else
                        v = v && *v ? word : "";
                put(x, v, strlen(v));
                return 0;
        }
        return berth_error_set(err, 0, "unsupported modifier (%s) in substitution: ${%s}", op, inner);
}

static int lex(lexer *x, bool split, char ***ret, berth_error **err)
{
        bool in_word = false;
        int r = 0;

        while (r >= 0 && *x->p) {
                char c = *x->p;
                if (split && isspace((unsigned char)c)) {
                        if (in_word)
                                strv_push(ret, x->buf ? x->buf : "");
                        x->len = 0;
                        if (x->buf)
                                x->buf[0] = 0;
                        in_word = false;
                        x->p++;
                        continue;
                }
                in_word = true;
                x->p++;
                if (c == x->escape) {
                        if (*x->p)
                                put(x, x->p++, 1);
                } else if (c == '\'') {
                        const char *end = strchr(x->p, '\'');
                        if (!end)
                                return berth_error_set(err, 0,
                                                       "unexpected end of statement while looking for "
                                                       "matching single-quote");
                        put(x, x->p, (size_t)(end - x->p));
                        x->p = end + 1;
                } else if (c == '"') {
                        while (r >= 0 && *x->p && *x->p != '"') {
                                char d = *x->p++;
                                if (d == x->escape && (*x->p == '"' || *x->p == '$' || *x->p == x->escape))
                                        put(x, x->p++, 1);
                                else if (d == '$')
                                        r = expand_var(x, err);
                                else
                                        put(x, &d, 1);
                        }
                        if (r >= 0 && *x->p != '"')
                                return berth_error_set(err, 0,
                                                       "unexpected end of statement while looking for "
                                                       "matching double-quote");
                        x->p++;
                } else if (c == '$')
                        r = expand_var(x, err);
                else
                        put(x, &c, 1);
        }
        if (r >= 0 && (in_word || !split))
                strv_push(ret, x->buf ? x->buf : "");
        return r;
}

int df_words(const char *s, char escape, char *const *env, bool split, char ***ret, berth_error **err)
{
        lexer x = {.p = s, .escape = escape, .env = env};
        char **words = NULL;
        int r = lex(&x, split, &words, err);

        free(x.buf);
        if (r < 0) {
                strv_free(words);
                return r;
        }
        *ret = words ? words : xcalloc(1, sizeof(char *));
        return 0;
}

int df_expand(const char *s, char escape, char *const *env, char **ret, berth_error **err)
{
        char **w = NULL;
        int r = df_words(s, escape, env, false, &w, err);

        if (r < 0)
                return r;
        *ret = xstrdup(w[0] ? w[0] : "");
        strv_free(w);
        return 0;
}
