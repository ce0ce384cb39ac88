/* String vectors. */
#include <string.h>

#include "strv.h"

size_t strv_length(char *const *l)
{
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

void strv_consume(char ***l, char *s)
{
        size_t n = strv_length(*l);

        *l = xrealloc(*l, (n + 2) * sizeof(char *));
        (*l)[n] = s;
        (*l)[n + 1] = NULL;
}

void strv_push(char ***l, const char *s)
{
        strv_consume(l, xstrdup(s));
}

char **strv_copy(char *const *l)
{
        char **r = xcalloc(strv_length(l) + 1, sizeof(char *));
        size_t i;

        for (i = 0; l && l[i]; i++)
                r[i] = xstrdup(l[i]);
        return r;
}

bool strv_contains(char *const *l, const char *s)
{
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

char **strv_split(const char *s, const char *separators)
{
        char **r = xcalloc(1, sizeof(char *));

        while (*s) {
                size_t n = strcspn(s, separators);
                if (n > 0)
                        strv_consume(&r, xstrndup(s, n));
                s += n;
                if (*s)
                        s++;
        }
        return r;
}

char *strv_join(char *const *l, const char *separator)
{
        size_t len = 0, seplen = strlen(separator), i;
        char *r, *p;

        for (i = 0; l && l[i]; i++)
                len += strlen(l[i]) + seplen;
        p = r = xmalloc(len + 1);
        for (i = 0; l && l[i]; i++) {
                if (i > 0)
                        p = stpcpy(p, separator);
                p = stpcpy(p, l[i]);
        }
        *p = 0;
        return r;
}

void strv_free(char **l)
{
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
}
