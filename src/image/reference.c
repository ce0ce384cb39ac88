/* Reference grammar of the distribution project (docker/distribution/reference), written as small
 * hand parsers: no regex engine, every refusal says why. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "digest.h"
#include "reference.h"

#define NAME_MAX_LEN   255
#define DEFAULT_DOMAIN "docker.io"

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*; sets *upper when a capital is seen. */
static bool path_component_valid(const char *s, size_t n, bool *upper)
{
        size_t i = 0;

        if (n == 0)
                return false;
        while (i < n) {
                size_t run = 0;
                while (i < n && is_lower_alnum(s[i]))
                        i++, run++;
                if (run == 0) {
                        if (isupper((unsigned char)s[i]))
                                *upper = true;
                        return false;
                }
                if (i == n)
                        return true;
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                else if (s[i] == '-')
                        while (i < n && s[i] == '-')
                                i++;
                else {
                        if (isupper((unsigned char)s[i]))
                                *upper = true;
                        return false;
                }
                if (i == n)
                        return false;
        }
        return true;
}

/* A domain: labels of [A-Za-z0-9-] (no leading/trailing '-') joined by '.', optional :port, or
 * "[ipv6]:port". */
static bool domain_valid(const char *s)
{
        const char *colon;

        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                if (!end || end == s + 1)
                        return false;
                for (const char *p = s + 1; p < end; p++)
                        if (!isxdigit((unsigned char)*p) && *p != ':')
                                return false;
                colon = end[1] ? end + 1 : NULL;
                if (colon && *colon != ':')
                        return false;
        } else {
                colon = strchr(s, ':');
                size_t n = colon ? (size_t)(colon - s) : strlen(s);
                if (n == 0)
                        return false;
                for (size_t i = 0; i < n; i++) {
                        char c = s[i];
                        bool edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';
                        if (c == '.' && (i == 0 || i == n - 1 || s[i - 1] == '.'))
                                return false;
                        if (c == '-' && edge)
                                return false;
                        if (!isalnum((unsigned char)c) && c != '-' && c != '.')
                                return false;
                }
        }
        if (colon) {
                if (!colon[1])
                        return false;
                for (const char *p = colon + 1; *p; p++)
                        if (!isdigit((unsigned char)*p))
                                return false;
        }
        return true;
}

int image_ref_check_tag(const char *tag, berth_error **err)
{
        size_t n = strlen(tag);

        if (n == 0 || n > 128)
                return berth_error_set(err, 0, "invalid tag \"%s\": must be 1 to 128 characters", tag);
        for (size_t i = 0; i < n; i++) {
                char c = tag[i];
                bool ok = isalnum((unsigned char)c) || c == '_' || (i > 0 && (c == '.' || c == '-'));
                if (!ok)
                        return berth_error_set(err, 0, "invalid tag \"%s\"", tag);
        }
        return 0;
}

static int check_path(const char *path, const char *ref, berth_error **err)
{
        const char *p = path;

        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t)(slash - p) : strlen(p);
                bool upper = false;
                if (!path_component_valid(p, n, &upper))
                        return berth_error_set(err, 0, "invalid reference format \"%s\"%s", ref,
                                               upper ? ": repository name must be lowercase" : "");
                if (!slash)
                        return 0;
                p = slash + 1;
        }
}

/* Does the first component name a registry rather than a namespace? As Docker: it has a '.' or
 * ':', is "localhost", or has a capital letter (namespaces are lowercase). */
static bool looks_like_domain(const char *first, size_t n)
{
        if (memchr(first, '.', n) || memchr(first, ':', n) || (n == 9 && strneq(first, "localhost", 9)))
                return true;
        for (size_t i = 0; i < n; i++)
                if (isupper((unsigned char)first[i]))
                        return true;
        return false;
}

/* Split "name[:tag]" (the tag after the last ':' that follows the last '/'). */
static int split_name_tag(const char *ref, char *name, char **ret_tag, berth_error **err)
{
        char *slash = strrchr(name, '/');
        char *colon = strrchr(slash ? slash : name, ':');
        int r;

        *ret_tag = NULL;
        if (!colon)
                return 0;
        *colon = 0;
        r = image_ref_check_tag(colon + 1, err);
        if (r < 0)
                return berth_error_wrap(err, "invalid reference format \"%s\"", ref);
        *ret_tag = xstrdup(colon + 1);
        return 0;
}

static int split_domain(const char *ref, const char *name, image_ref *r, berth_error **err)
{
        const char *slash = strchr(name, '/');

        if (slash && looks_like_domain(name, (size_t)(slash - name))) {
                r->domain = xstrndup(name, (size_t)(slash - name));
                r->path = xstrdup(slash + 1);
                if (!domain_valid(r->domain))
                        return berth_error_set(err, 0,
                                               "invalid reference format \"%s\": bad registry \"%s\"", ref,
                                               r->domain);
        } else {
                r->domain = xstrdup(DEFAULT_DOMAIN);
                r->path = xstrdup(name);
        }
        if (streq(r->domain, "index.docker.io")) {
                free(r->domain);
                r->domain = xstrdup(DEFAULT_DOMAIN);
        }
        if (streq(r->domain, DEFAULT_DOMAIN) && !strchr(r->path, '/')) {
                char *p = xasprintf("library/%s", r->path);
                free(r->path);
                r->path = p;
        }
        return 0;
}

static int parse_into(const char *s, image_ref *r, berth_error **err)
{
        _cleanup_free_ char *name = xstrdup(s);
        char *at = strchr(name, '@');
        int ret;

        if (!*s)
                return berth_error_set(err, 0, "invalid reference format: empty reference");
        if (at) {
                *at = 0;
                ret = digest_check(at + 1, "invalid reference format", err);
                if (ret < 0)
                        return berth_error_wrap(err, "%s", s);
                r->digest = xstrdup(at + 1);
        }
        ret = split_name_tag(s, name, &r->tag, err);
        if (ret < 0)
                return ret;
        if (!*name)
                return berth_error_set(err, 0, "invalid reference format \"%s\": empty name", s);
        ret = split_domain(s, name, r, err);
        if (ret < 0)
                return ret;
        ret = check_path(r->path, s, err);
        if (ret < 0)
                return ret;
        if (strlen(r->domain) + 1 + strlen(r->path) > NAME_MAX_LEN)
                return berth_error_set(err, 0,
                                       "invalid reference format \"%s\": name longer than %d characters", s,
                                       NAME_MAX_LEN);
        if (!r->tag && !r->digest)
                r->tag = xstrdup("latest");
        return 0;
}

int image_ref_parse(const char *s, image_ref **ret, berth_error **err)
{
        image_ref *r = xcalloc(1, sizeof(*r));
        int ret_code = parse_into(s, r, err);

        if (ret_code < 0) {
                image_ref_free(r);
                return ret_code;
        }
        *ret = r;
        return 0;
}

void image_ref_free(image_ref *r)
{
        if (!r)
                return;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        free(r);
}

char *image_ref_name(const image_ref *r)
{
        return xasprintf("%s/%s", r->domain, r->path);
}

char *image_ref_string(const image_ref *r)
{
        return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", strempty(r->tag),
                         r->digest ? "@" : "", strempty(r->digest));
}

char *image_ref_familiar_name(const char *full)
{
        if (strneq(full, DEFAULT_DOMAIN "/library/", strlen(DEFAULT_DOMAIN "/library/")))
                return xstrdup(full + strlen(DEFAULT_DOMAIN "/library/"));
        if (strneq(full, DEFAULT_DOMAIN "/", strlen(DEFAULT_DOMAIN "/")))
                return xstrdup(full + strlen(DEFAULT_DOMAIN "/"));
        return xstrdup(full);
}

void image_ref_split_tag(const char *full, char **ret_repo, char **ret_tag)
{
        const char *slash = strrchr(full, '/');
        const char *at = strchr(full, '@');
        const char *colon = strrchr(slash ? slash : full, ':');

        if (at && (!colon || colon > at))
                colon = NULL;
        if (!colon || (at && colon > at)) {
                *ret_repo = at ? xstrndup(full, (size_t)(at - full)) : xstrdup(full);
                *ret_tag = NULL;
                return;
        }
        *ret_repo = xstrndup(full, (size_t)(colon - full));
        *ret_tag = at ? xstrndup(colon + 1, (size_t)(at - colon - 1)) : xstrdup(colon + 1);
}
