/* .dockerignore: one pattern a line, '#' comments, "!" re-includes, "**" any number of
 * directories; a path is excluded when the last pattern matching it or one of its parents is
 * not a "!" one. */
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>

#include "basic/fs.h"
#include "ignore.h"

int build_ignore_load(int ctxfd, char ***ret, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        char **patterns = NULL;
        size_t len;
        int r;

        fd = fs_open_in_root(ctxfd, ".dockerignore", O_RDONLY, 0, NULL);
        if (fd < 0) {
                *ret = NULL;
                return 0;
        }
        _cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
        _cleanup_strv_free_ char **lines = NULL;
        r = fs_read_file(proc, &text, &len, err);
        if (r < 0)
                return berth_error_wrap(err, ".dockerignore");
        lines = strv_split(text, "\n");
        STRV_FOREACH (l, lines) {
                char *s = *l, *norm;
                bool neg;
                s += strspn(s, " \t");
                s[strcspn(s, "\r")] = 0;
                for (size_t n = strlen(s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
                        s[n - 1] = 0;
                if (!*s || *s == '#')
                        continue;
                neg = *s == '!';
                s += neg;
                while (*s == '/')
                        s++;
                norm = fs_path_normalize(*s ? s : ".");
                strv_consume(&patterns, xasprintf("%s%s", neg ? "!" : "", norm));
                free(norm);
        }
        *ret = patterns;
        return 0;
}

/* Segment-wise match: "**" any number of segments, others fnmatch. */
static bool match_segments(char **pat, char **path)
{
        if (!*pat)
                return !*path;
        if (streq(*pat, "**")) {
                for (char **p = path;; p++) {
                        if (match_segments(pat + 1, p))
                                return true;
                        if (!*p)
                                return false;
                }
        }
        if (!*path || fnmatch(*pat, *path, 0) != 0)
                return false;
        return match_segments(pat + 1, path + 1);
}

static bool match(const char *pattern, const char *path)
{
        _cleanup_strv_free_ char **p = strv_split(pattern, "/"), **s = strv_split(path, "/");
        size_t n = strv_length(s);

        /* the path or any of its parents */
        for (size_t k = n; k > 0; k--) {
                char *saved = s[k];
                bool m;
                s[k] = NULL;
                m = match_segments(p, s);
                s[k] = saved;
                if (m)
                        return true;
        }
        return false;
}

bool build_ignored(char *const *patterns, const char *path)
{
        bool ignored = false;

        STRV_FOREACH (p, (char **)patterns) {
                bool neg = (*p)[0] == '!';
                if (match(*p + neg, path))
                        ignored = !neg;
        }
        return ignored;
}
