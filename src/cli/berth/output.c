/* Output helpers shaped as Docker's: human sizes and ages, tables, --format templates. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "basic/jsonh.h"
#include "berth.h"

bool berth_help_shown;

char *format_size(uint64_t bytes)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)bytes;
        size_t u = 0;

        while (v >= 1000 && u + 1 < ELEMENTSOF(units)) {
                v /= 1000;
                u++;
        }
        return xasprintf("%.3g%s", v, units[u]);
}

static char *human_duration(int64_t s)
{
        int64_t h = s / 3600;

        if (s < 1)
                return xstrdup("Less than a second");
        if (s == 1)
                return xstrdup("1 second");
        if (s < 60)
                return xasprintf("%lld seconds", (long long)s);
        if (s / 60 == 1)
                return xstrdup("About a minute");
        if (s < 3600)
                return xasprintf("%lld minutes", (long long)(s / 60));
        if (h == 1)
                return xstrdup("About an hour");
        if (h < 48)
                return xasprintf("%lld hours", (long long)h);
        if (h < 24 * 7 * 2)
                return xasprintf("%lld days", (long long)(h / 24));
        if (h < 24 * 30 * 2)
                return xasprintf("%lld weeks", (long long)(h / 24 / 7));
        if (h < 24 * 365 * 2)
                return xasprintf("%lld months", (long long)(h / 24 / 30));
        return xasprintf("%lld years", (long long)(h / 24 / 365));
}

char *format_since(int64_t t)
{
        _cleanup_free_ char *d = NULL;

        if (t <= 0)
                return xstrdup("N/A");
        d = human_duration((int64_t)time(NULL) - t);
        return xasprintf("%s ago", d);
}

static char *value_text(json_t *v)
{
        if (json_is_string(v))
                return xstrdup(json_string_value(v));
        if (json_is_integer(v))
                return xasprintf("%lld", (long long)json_integer_value(v));
        if (json_is_null(v) || !v)
                return xstrdup("<no value>");
        if (json_is_boolean(v))
                return xstrdup(json_is_true(v) ? "true" : "false");
        if (json_is_real(v))
                return xasprintf("%g", json_real_value(v));
        return jsonh_dump(v, false);
}

/* "{{.A.B}}" -> member A, then B; "{{json .A}}" -> JSON of it. */
static char *expand_action(const char *action, json_t *obj)
{
        bool as_json = false;
        json_t *v = obj;

        while (*action == ' ')
                action++;
        if (strneq(action, "json ", 5)) {
                as_json = true;
                action += 5;
        }
        _cleanup_strv_free_ char **path = strv_split(action, ". ");
        STRV_FOREACH (p, path)
                v = json_is_object(v) ? json_object_get(v, *p) : NULL;
        if (as_json)
                return v ? jsonh_dump(v, false) : xstrdup("null");
        return value_text(v);
}

char *format_template(const char *tmpl, json_t *obj)
{
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f;

        if (streq(tmpl, "json"))
                return jsonh_dump(obj, false);
        f = open_memstream(&out, &len);
        for (const char *p = tmpl; *p;) {
                if (strneq(p, "{{", 2) && strstr(p, "}}")) {
                        const char *end = strstr(p, "}}");
                        _cleanup_free_ char *action = xstrndup(p + 2, (size_t)(end - p - 2));
                        _cleanup_free_ char *v = expand_action(action, obj);
                        fputs(v, f);
                        p = end + 2;
                } else if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
                        fputc(p[1] == 't' ? '\t' : '\n', f);
                        p += 2;
                } else
                        fputc(*p++, f);
        }
        fclose(f);
        return TAKE_PTR(out);
}

void print_table(char ***rows, size_t n_rows, size_t n_cols)
{
        size_t *w = xcalloc(n_cols, sizeof(size_t));

        for (size_t r = 0; r < n_rows; r++)
                for (size_t c = 0; c < n_cols; c++)
                        if (strlen(rows[r][c]) > w[c])
                                w[c] = strlen(rows[r][c]);
        for (size_t r = 0; r < n_rows; r++) {
                for (size_t c = 0; c < n_cols; c++) {
                        if (c + 1 == n_cols)
                                printf("%s\n", rows[r][c]);
                        else
                                printf("%-*s   ", (int)w[c], rows[r][c]);
                }
        }
        free(w);
}

void table_free(char ***rows, size_t n_rows, size_t n_cols)
{
        for (size_t r = 0; r < n_rows; r++) {
                for (size_t c = 0; c < n_cols; c++)
                        free(rows[r][c]);
                free(rows[r]);
        }
        free(rows);
}

int usage_error(const char *verb, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        fprintf(stderr, "berth: %s: %s (see 'berth %s --help')\n", verb, msg, verb);
        return -EINVAL;
}

void print_verb_help(const char *usage, const char *summary, const char *options)
{
        printf("\nUsage:  berth %s\n\n%s\n", usage, summary);
        if (options && *options)
                printf("\nOptions:\n%s", options);
        berth_help_shown = true;
}
