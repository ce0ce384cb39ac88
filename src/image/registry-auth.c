/* Registry authentication: WWW-Authenticate challenges, credentials in Docker's config.json
 * ("auths": {"host": {"auth": base64("user:password")}}), login and logout. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "registry-internal.h"

#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

const char *registry_host_for_domain(const char *domain)
{
        if (!domain || streq(domain, "docker.io") || streq(domain, "index.docker.io"))
                return "registry-1.docker.io";
        return domain;
}

const char *registry_auth_key(const char *host)
{
        if (!host || streq(host, "docker.io") || streq(host, "registry-1.docker.io") ||
            streq(host, "index.docker.io"))
                return DOCKER_HUB_KEY;
        return host;
}

void registry_challenge_done(registry_challenge *c)
{
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        free(c->error);
        *c = (registry_challenge){};
}

/* A token or a quoted string (with backslash escapes); advances *p. */
static char *parse_value(const char **p)
{
        const char *s = *p;
        char *out, *o;

        if (*s != '"') {
                size_t n = strcspn(s, ", \t");
                *p = s + n;
                return xstrndup(s, n);
        }
        out = o = xmalloc(strlen(s) + 1);
        for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1])
                        s++;
                *o++ = *s;
        }
        *o = 0;
        *p = *s == '"' ? s + 1 : s;
        return out;
}

static void set_param(registry_challenge *c, const char *key, size_t klen, char *value)
{
        char **slot = NULL;

        if (klen == 5 && strncasecmp(key, "realm", 5) == 0)
                slot = &c->realm;
        else if (klen == 7 && strncasecmp(key, "service", 7) == 0)
                slot = &c->service;
        else if (klen == 5 && strncasecmp(key, "scope", 5) == 0)
                slot = &c->scope;
        else if (klen == 5 && strncasecmp(key, "error", 5) == 0)
                slot = &c->error;
        if (!slot) {
                free(value);
                return;
        }
        free(*slot);
        *slot = value;
}

int registry_challenge_parse(const char *header, registry_challenge *ret, berth_error **err)
{
        registry_challenge c = {};
        const char *p = header;
        size_t n;

        p += strspn(p, " \t");
        n = strcspn(p, " \t,");
        if (n == 0)
                return registry_fail(err, EINVAL, "WWW-Authenticate: no scheme in \"%s\"", header);
        c.scheme = xstrndup(p, n);
        for (char *s = c.scheme; *s; s++)
                *s = (char)tolower((unsigned char)*s);
        p += n;
        while (*p) {
                p += strspn(p, " \t,");
                n = strcspn(p, "= \t,");
                if (n == 0 || p[n] != '=') {
                        p += n ? n : strlen(p);
                        continue;
                }
                const char *key = p;
                p += n + 1;
                set_param(&c, key, n, parse_value(&p));
        }
        if (streq(c.scheme, "bearer") && (!c.realm || !*c.realm)) {
                registry_challenge_done(&c);
                return registry_fail(err, EINVAL, "WWW-Authenticate: Bearer challenge without a realm");
        }
        *ret = c;
        return 0;
}

/* ---- credentials ---- */

static char *default_authfile(void)
{
        const char *e = getenv("REGISTRY_AUTH_FILE"), *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

        if (e && *e)
                return xstrdup(e);
        if (dc && *dc)
                return xasprintf("%s/config.json", dc);
        return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

static char *docker_authfile(void)
{
        const char *home = getenv("HOME");
        return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

static int decode_auth(const char *b64, char **ret_user, char **ret_password, berth_error **err)
{
        size_t len = strlen(b64);
        _cleanup_free_ unsigned char *buf = xmalloc(len + 4);
        int n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
        char *colon;

        if (n < 0)
                return registry_fail(err, EINVAL, "auths: invalid base64 in \"auth\"");
        while (len > 0 && b64[len - 1] == '=' && n > 0) {
                n--;
                len--;
        }
        buf[n] = 0;
        colon = strchr((char *)buf, ':');
        if (!colon)
                return registry_fail(err, EINVAL, "auths: \"auth\" is not user:password");
        *colon = 0;
        *ret_user = xstrdup((char *)buf);
        *ret_password = xstrdup(colon + 1);
        return 0;
}

static int lookup_file(const char *path, const char *key, char **ret_user, char **ret_password,
                       berth_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        json_t *entry, *auth;
        int r;

        if (access(path, F_OK) < 0)
                return 0;
        r = jsonh_parse_file(path, &root, err);
        if (r < 0)
                return r;
        entry = json_object_get(json_object_get(root, "auths"), key);
        auth = json_object_get(entry, "auth");
        if (!json_is_string(auth) || !*json_string_value(auth))
                return 0;
        r = decode_auth(json_string_value(auth), ret_user, ret_password, err);
        if (r < 0)
                return berth_error_wrap(err, "%s", path);
        return 1;
}

int registry_credentials(const registry_options *o, const char *host, char **ret_user, char **ret_password,
                         berth_error **err)
{
        _cleanup_free_ char *primary = o && o->authfile ? xstrdup(o->authfile) : default_authfile(),
                            *docker = docker_authfile();
        const char *key = registry_auth_key(host);
        int r;

        *ret_user = *ret_password = NULL;
        r = lookup_file(primary, key, ret_user, ret_password, err);
        if (r != 0 || streq(primary, docker))
                return r < 0 ? r : 0;
        r = lookup_file(docker, key, ret_user, ret_password, err);
        return r < 0 ? r : 0;
}

static int load_for_update(const char *path, json_t **ret, berth_error **err)
{
        if (access(path, F_OK) < 0) {
                *ret = json_object();
                return 0;
        }
        return jsonh_parse_file(path, ret, err);
}

static int save_authfile(const char *path, json_t *root, berth_error **err)
{
        _cleanup_free_ char *text = jsonh_dump(root, true), *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        int r;

        if (slash && slash != dir) {
                *slash = 0;
                r = fs_mkdir_p(dir, 0700, err);
                if (r < 0)
                        return r;
        }
        return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}

int registry_credentials_store(const registry_options *o, const char *host, const char *user,
                               const char *password, berth_error **err)
{
        _cleanup_free_ char *path = o && o->authfile ? xstrdup(o->authfile) : default_authfile(),
                            *plain = xasprintf("%s:%s", user, password);
        _cleanup_free_ char *b64 = xmalloc(4 * (strlen(plain) / 3 + 1) + 1);
        _cleanup_json_ json_t *root = NULL;
        json_t *auths;
        int r;

        r = load_for_update(path, &root, err);
        if (r < 0)
                return r;
        if (!json_is_object(root))
                return registry_fail(err, EINVAL, "%s: not a JSON object", path);
        auths = json_object_get(root, "auths");
        if (!json_is_object(auths)) {
                auths = json_object();
                json_object_set_new(root, "auths", auths);
        }
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)strlen(plain));
        json_object_set_new(auths, registry_auth_key(host), json_pack("{s:s}", "auth", b64));
        return save_authfile(path, root, err);
}

int registry_credentials_erase(const registry_options *o, const char *host, berth_error **err)
{
        _cleanup_free_ char *path = o && o->authfile ? xstrdup(o->authfile) : default_authfile();
        _cleanup_json_ json_t *root = NULL;
        const char *key = registry_auth_key(host);
        json_t *auths;
        int r;

        r = load_for_update(path, &root, err);
        if (r < 0)
                return r;
        auths = json_object_get(root, "auths");
        if (!json_object_get(auths, key))
                return registry_fail(err, ENOENT, "not logged in to %s", host ? host : "docker.io");
        json_object_del(auths, key);
        return save_authfile(path, root, err);
}

int registry_logout(const char *host, const registry_options *o, berth_error **err)
{
        return registry_credentials_erase(o, host, err);
}

/* Login: the registry's /v2/ with the credentials must answer 200, through whichever challenge
 * it makes (registry_do answers it with c->user and c->password). */
int registry_login(const char *host, const char *user, const char *password, const registry_options *o,
                   berth_error **err)
{
        _cleanup_registry_client_ registry_client *c = NULL;
        registry_response resp = {};
        registry_request q = {.method = "GET", .url = "/v2/"};
        int r;

        r = registry_client_new(host ? host : "docker.io", NULL, o, &c, err);
        if (r < 0)
                return r;
        free(c->user);
        free(c->password);
        c->user = xstrdup(user);
        c->password = xstrdup(password);
        r = registry_do(c, &q, &resp, err);
        if (r >= 0 && resp.status != 200)
                r = registry_status_error(&resp, c->host, err);
        registry_response_done(&resp);
        if (r < 0)
                return r;
        return registry_credentials_store(o, host, user, password, err);
}
