/* The registry client's HTTP: one session per repository with TLS from certs.d, the auth
 * challenge answered (Bearer tokens from the realm, Basic), redirects, and retries with backoff. */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "registry-internal.h"

#define DEFAULT_MAX_BODY (4 * 1024 * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- registries config: {"insecure-registries": [...], "registry-mirrors": [...]} ---- */

static int read_config(const registry_options *o, json_t **ret, berth_error **err)
{
        const char *path = o && o->config ? o->config : getenv("BERTH_REGISTRIES_CONF");

        if (!path || !*path)
                path = "/etc/berth/registries.json";
        if (access(path, F_OK) < 0) {
                *ret = json_object();
                return 0;
        }
        return jsonh_parse_file(path, ret, err);
}

static bool is_local(const char *host)
{
        return strneq(host, "localhost", 9) && (host[9] == 0 || host[9] == ':') ? true
               : strneq(host, "127.", 4)                                        ? true
                                                                                : strneq(host, "[::1]", 5);
}

static bool config_lists(json_t *config, const char *key, const char *host)
{
        json_t *l = json_object_get(config, key), *v;
        size_t i;

        json_array_foreach (l, i, v)
                if (json_is_string(v) && streq(json_string_value(v), host))
                        return true;
        return false;
}

static char *certs_file(const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        return access(p, R_OK) == 0 ? TAKE_PTR(p) : NULL;
}

int registry_client_new(const char *domain, const char *repo, const registry_options *o,
                        registry_client **ret, berth_error **err)
{
        _cleanup_json_ json_t *config = NULL;
        const char *certs = o && o->certs_dir ? o->certs_dir : getenv("BERTH_CERTS_D"), *speed;
        _cleanup_free_ char *dir = NULL;
        registry_client *c;
        bool tls;
        int r;

        pthread_once(&curl_once, curl_init);
        r = read_config(o, &config, err);
        if (r < 0)
                return r;
        c = xcalloc(1, sizeof(*c));
        c->host = xstrdup(registry_host_for_domain(domain));
        c->repo = repo ? xstrdup(repo) : NULL;
        dir = xasprintf("%s/%s", certs && *certs ? certs : "/etc/berth/certs.d", c->host);
        c->ca = certs_file(dir, "ca.crt");
        c->cert = certs_file(dir, "client.cert");
        c->key = certs_file(dir, "client.key");
        /* Plain http for localhost and insecure registries, unless certs.d says it speaks TLS. */
        tls = access(dir, F_OK) == 0 ||
              !(is_local(c->host) || config_lists(config, "insecure-registries", c->host));
        c->base = xasprintf("%s://%s", tls ? "https" : "http", c->host);
        c->tls_verify = !o || !o->tls_skip_verify;
        c->timeout_s = 60;
        if (getenv("BERTH_REGISTRY_TIMEOUT"))
                c->timeout_s = atol(getenv("BERTH_REGISTRY_TIMEOUT"));
        speed = getenv("BERTH_REGISTRY_MAX_RECV_SPEED"); /* tests: make a large blob take a while */
        if (speed)
                c->max_recv_speed = (curl_off_t)atoll(speed);
        r = registry_credentials(o, c->host, &c->user, &c->password, err);
        if (r < 0) {
                registry_client_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void registry_client_free(registry_client *c)
{
        if (!c)
                return;
        free(c->host);
        free(c->base);
        free(c->repo);
        free(c->user);
        free(c->password);
        free(c->authorization);
        free(c->ca);
        free(c->cert);
        free(c->key);
        free(c);
}

void registry_response_done(registry_response *r)
{
        free(r->body);
        free(r->content_type);
        free(r->docker_digest);
        free(r->location);
        free(r->www_authenticate);
        *r = (registry_response){};
}

char *registry_url(registry_client *c, const char *path)
{
        if (strneq(path, "http://", 7) || strneq(path, "https://", 8))
                return xstrdup(path);
        if (path[0] == '/')
                return xasprintf("%s%s", c->base, path);
        return xasprintf("%s/%s", c->base, path);
}

void registry_backoff(unsigned n)
{
        unsigned ms = 500u << (n > 4 ? 4 : n - 1);
        struct timespec ts;

        if (ms > 8000)
                ms = 8000;
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (long)(ms % 1000) * 1000000L;
        nanosleep(&ts, NULL);
}

CURL *registry_easy(registry_client *c, const char *url, struct curl_slist **headers)
{
        CURL *e = curl_easy_init();

        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
        /* A registry that stops sending is timed out, however long the blob. */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->timeout_s);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
        if (c->ca)
                curl_easy_setopt(e, CURLOPT_CAINFO, c->ca);
        if (c->cert && c->key) {
                curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
                curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
        }
        if (c->max_recv_speed > 0)
                curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, c->max_recv_speed);
        /* curl sends a custom Authorization header to the first host only: not to a redirect's CDN. */
        if (c->authorization)
                *headers = curl_slist_append(*headers, c->authorization);
        return e;
}

/* ---- one request ---- */

typedef struct collect {
        registry_response *resp;
        size_t max;
        bool too_big;
} collect;

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
        collect *k = userdata;
        registry_response *r = k->resp;
        size_t len = size * n;

        if (r->len + len > k->max) {
                k->too_big = true;
                return 0;
        }
        r->body = xrealloc(r->body, r->len + len + 1);
        memcpy(r->body + r->len, data, len);
        r->len += len;
        r->body[r->len] = 0;
        return len;
}

static void header_value(const char *line, size_t len, const char *name, char **slot)
{
        size_t n = strlen(name);
        const char *v;

        if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return;
        v = line + n + 1;
        while (v < line + len && (*v == ' ' || *v == '\t'))
                v++;
        len -= (size_t)(v - line);
        while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
                len--;
        free(*slot);
        *slot = xstrndup(v, len);
}

static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
        registry_response *r = userdata;
        size_t len = size * n;

        /* A new status line (a redirect, 100 Continue): forget the previous response's headers. */
        if (len > 5 && strneq(line, "HTTP/", 5)) {
                free(TAKE_PTR(r->www_authenticate));
                free(TAKE_PTR(r->docker_digest));
                free(TAKE_PTR(r->content_type));
        }
        header_value(line, len, "Content-Type", &r->content_type);
        header_value(line, len, "Docker-Content-Digest", &r->docker_digest);
        header_value(line, len, "Location", &r->location);
        header_value(line, len, "WWW-Authenticate", &r->www_authenticate);
        return len;
}

static int perform(registry_client *c, const registry_request *q, registry_response *ret, CURLcode *ret_code,
                   berth_error **err)
{
        _cleanup_free_ char *url = registry_url(c, q->url), *accept = NULL, *ctype = NULL, *crange = NULL;
        struct curl_slist *h = NULL;
        collect k = {.resp = ret, .max = q->max_body ? q->max_body : DEFAULT_MAX_BODY};
        CURL *e = registry_easy(c, url, &h);
        CURLcode cc;

        if (q->accept)
                h = curl_slist_append(h, accept = xasprintf("Accept: %s", q->accept));
        if (q->content_type)
                h = curl_slist_append(h, ctype = xasprintf("Content-Type: %s", q->content_type));
        if (q->content_range)
                h = curl_slist_append(h, crange = xasprintf("Content-Range: %s", q->content_range));
        if (streq(q->method, "HEAD"))
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        else if (!streq(q->method, "GET")) {
                curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
                h = curl_slist_append(h, "Expect:");
                /* A 201/202 with a Location is the answer: do not follow it with our body. */
                curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        }
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, ret);
        cc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &ret->status);
        curl_easy_cleanup(e);
        curl_slist_free_all(h);
        *ret_code = cc;
        if (k.too_big)
                return registry_fail(err, EFBIG, "%s %s: response larger than %zu bytes", q->method, url,
                                     k.max);
        if (cc != CURLE_OK)
                return registry_fail(err, EIO, "%s %s: %s", q->method, url,
                                     cc == CURLE_OPERATION_TIMEDOUT
                                             ? "timed out: the registry does not answer"
                                             : curl_easy_strerror(cc));
        return 0;
}

static bool retryable_code(CURLcode cc)
{
        return cc == CURLE_COULDNT_CONNECT || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
               cc == CURLE_PARTIAL_FILE || cc == CURLE_GOT_NOTHING || cc == CURLE_HTTP2 ||
               cc == CURLE_HTTP2_STREAM;
}

/* ---- authentication ---- */

static char *basic_header(const char *user, const char *password)
{
        _cleanup_free_ char *plain = xasprintf("%s:%s", user, password);
        _cleanup_free_ char *b64 = xmalloc(4 * (strlen(plain) / 3 + 1) + 1);

        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)strlen(plain));
        return xasprintf("Authorization: Basic %s", b64);
}

/* realm?service=..&scope=..&scope=..: a challenge's scopes are space separated, the token
 * server wants one parameter each (several when the registry asks for a mount's source too). */
static char *token_url(const registry_challenge *ch)
{
        CURL *e = curl_easy_init();
        char *svc = ch->service ? curl_easy_escape(e, ch->service, 0) : NULL;
        _cleanup_strv_free_ char **scopes = ch->scope ? strv_split(ch->scope, " ") : NULL;
        char *url = xasprintf("%s%c", ch->realm, strchr(ch->realm, '?') ? '&' : '?');

        if (svc) {
                char *u = xasprintf("%sservice=%s&", url, svc);
                free(url);
                url = u;
        }
        for (char **sc = scopes; sc && *sc; sc++) {
                char *esc = curl_easy_escape(e, *sc, 0), *u = xasprintf("%sscope=%s&", url, esc);
                curl_free(esc);
                free(url);
                url = u;
        }
        url[strlen(url) - 1] = 0;
        curl_free(svc);
        curl_easy_cleanup(e);
        return url;
}

static int fetch_token(registry_client *c, const registry_challenge *ch, berth_error **err)
{
        _cleanup_free_ char *url = token_url(ch);
        _cleanup_json_ json_t *doc = NULL;
        registry_request q = {.method = "GET", .url = url, .max_body = 1024 * 1024};
        registry_response resp = {};
        CURLcode cc;
        int r;

        /* The old token is for another scope: the token server gets the user's Basic, or nothing. */
        free(TAKE_PTR(c->authorization));
        if (c->user)
                c->authorization = basic_header(c->user, c->password);
        r = perform(c, &q, &resp, &cc, err);
        free(TAKE_PTR(c->authorization));
        if (r >= 0 && resp.status != 200)
                r = resp.status == 401 || resp.status == 403
                            ? registry_fail(err, EACCES, "%s: unauthorized: authentication required",
                                            c->host)
                            : registry_fail(err, EIO, "token from %s: HTTP %ld", ch->realm, resp.status);
        if (r >= 0)
                r = jsonh_parse(resp.body, resp.len, "token response", &doc, err);
        registry_response_done(&resp);
        if (r < 0)
                return r;
        const char *t = json_string_value(json_object_get(doc, "token"));
        if (!t || !*t)
                t = json_string_value(json_object_get(doc, "access_token"));
        if (!t || !*t)
                return registry_fail(err, EINVAL, "token from %s: no \"token\" in the answer", ch->realm);
        c->authorization = xasprintf("Authorization: Bearer %s", t);
        return 0;
}

static int answer_challenge(registry_client *c, const char *header, berth_error **err)
{
        registry_challenge ch = {};
        int r = registry_challenge_parse(header, &ch, err);

        if (r < 0)
                return r;
        if (streq(ch.scheme, "bearer"))
                r = fetch_token(c, &ch, err);
        else if (streq(ch.scheme, "basic") && c->user) {
                free(c->authorization);
                c->authorization = basic_header(c->user, c->password);
        } else if (streq(ch.scheme, "basic"))
                r = registry_fail(err, EACCES, "%s: unauthorized: authentication required", c->host);
        else
                r = registry_fail(err, ENOTSUP, "%s: authentication scheme \"%s\" is not supported", c->host,
                                  ch.scheme);
        registry_challenge_done(&ch);
        return r;
}

int registry_do(registry_client *c, const registry_request *q, registry_response *ret, berth_error **err)
{
        bool answered = false;

        for (unsigned attempt = 0;; attempt++) {
                registry_response resp = {};
                berth_error *e = NULL;
                CURLcode cc = CURLE_OK;
                int r = perform(c, q, &resp, &cc, &e);

                if (r < 0 && retryable_code(cc) && attempt < REGISTRY_RETRIES) {
                        berth_error_free(e);
                        registry_response_done(&resp);
                        registry_backoff(attempt + 1);
                        continue;
                }
                if (r < 0) {
                        registry_response_done(&resp);
                        *err = e;
                        return r;
                }
                if (resp.status == 401 && !answered && resp.www_authenticate) {
                        answered = true;
                        r = answer_challenge(c, resp.www_authenticate, err);
                        registry_response_done(&resp);
                        if (r < 0)
                                return r;
                        attempt--;
                        continue;
                }
                if ((resp.status == 429 || resp.status >= 500) && attempt < REGISTRY_RETRIES) {
                        registry_response_done(&resp);
                        registry_backoff(attempt + 1);
                        continue;
                }
                *ret = resp;
                return 0;
        }
}

int registry_status_error(const registry_response *r, const char *what, berth_error **err)
{
        _cleanup_json_ json_t *doc = NULL;
        json_t *e0;
        const char *code, *msg;
        int errnum = r->status == 404 ? ENOENT : r->status == 401 || r->status == 403 ? EACCES : EIO;

        if (r->body && r->len)
                doc = json_loadb(r->body, r->len, 0, NULL);
        e0 = json_array_get(json_object_get(doc, "errors"), 0);
        code = json_string_value(json_object_get(e0, "code"));
        msg = json_string_value(json_object_get(e0, "message"));
        if (code) {
                _cleanup_free_ char *lc = xstrdup(code);
                for (char *s = lc; *s; s++)
                        *s = *s == '_' ? ' ' : (char)tolower((unsigned char)*s);
                return registry_fail(err, errnum, "%s: %s: %s", what, lc, msg ? msg : "");
        }
        if (r->status == 401)
                return registry_fail(err, errnum, "%s: unauthorized: authentication required", what);
        if (r->status == 403)
                return registry_fail(err, errnum, "%s: denied: requested access to the resource is denied",
                                     what);
        if (r->status == 404)
                return registry_fail(err, errnum, "%s: not found", what);
        return registry_fail(err, errnum, "%s: HTTP %ld", what, r->status);
}
