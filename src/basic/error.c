/* berth_error: make, wrap, print. */
#include <stdio.h>
#include <string.h>

#include "error.h"

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                abort();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                abort();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                abort();
        return p;
}

char *xstrdup(const char *s)
{
        char *p = strdup(s);
        if (!p)
                abort();
        return p;
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);
        if (!p)
                abort();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p;

        va_start(ap, fmt);
        if (vasprintf(&p, fmt, ap) < 0)
                abort();
        va_end(ap);
        return p;
}

int berth_error_setv(berth_error **err, int errnum, const char *fmt, va_list ap)
{
        int ret = errnum > 0 ? -errnum : -EINVAL;
        berth_error *e;

        if (!err)
                return ret;
        e = xcalloc(1, sizeof(*e));
        e->errnum = errnum > 0 ? errnum : 0;
        if (vasprintf(&e->msg, fmt, ap) < 0)
                abort();
        berth_error_free(*err);
        *err = e;
        return ret;
}

int berth_error_set(berth_error **err, int errnum, const char *fmt, ...)
{
        va_list ap;
        int ret;

        va_start(ap, fmt);
        ret = berth_error_setv(err, errnum, fmt, ap);
        va_end(ap);
        return ret;
}

int berth_error_say(berth_error **err, int code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        berth_error_setv(err, 0, fmt, ap);
        va_end(ap);
        return code > 0 ? -code : -EINVAL;
}

int berth_error_wrap(berth_error **err, const char *fmt, ...)
{
        _cleanup_free_ char *prefix = NULL;
        va_list ap;
        char *msg;

        if (!err || !*err)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&prefix, fmt, ap) < 0)
                abort();
        va_end(ap);
        msg = xasprintf("%s: %s", prefix, (*err)->msg);
        free((*err)->msg);
        (*err)->msg = msg;
        return (*err)->errnum ? -(*err)->errnum : -EINVAL;
}

char *berth_error_text(const berth_error *err)
{
        if (!err)
                return xstrdup("unknown error");
        if (err->errnum)
                return xasprintf("%s: %s", err->msg, strerror(err->errnum));
        return xstrdup(err->msg);
}

void berth_error_free(berth_error *err)
{
        if (!err)
                return;
        free(err->msg);
        free(err);
}
