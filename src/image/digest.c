/* sha256 digests with OpenSSL's EVP interface. */
#include <openssl/evp.h>
#include <string.h>

#include "digest.h"

struct digester {
        EVP_MD_CTX *ctx;
};

bool digest_is_valid(const char *d)
{
        if (!d || !strneq(d, "sha256:", 7) || strlen(d) != DIGEST_SHA256_LEN)
                return false;
        for (const char *p = d + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

int digest_check(const char *d, const char *what, berth_error **err)
{
        if (!d)
                return berth_error_set(err, 0, "%s: missing digest", what);
        if (!strneq(d, "sha256:", 7) && strchr(d, ':'))
                return berth_error_set(err, 0, "%s: unsupported digest algorithm in \"%s\"", what, d);
        if (!digest_is_valid(d))
                return berth_error_set(err, 0, "%s: invalid digest \"%s\"", what, d);
        return 0;
}

const char *digest_hex(const char *d)
{
        const char *c = strchr(d, ':');
        return c ? c + 1 : d;
}

digester *digester_new(void)
{
        digester *g = xcalloc(1, sizeof(*g));

        g->ctx = EVP_MD_CTX_new();
        if (!g->ctx || EVP_DigestInit_ex(g->ctx, EVP_sha256(), NULL) != 1)
                abort();
        return g;
}

void digester_update(digester *g, const void *buf, size_t len)
{
        if (len > 0 && EVP_DigestUpdate(g->ctx, buf, len) != 1)
                abort();
}

void digester_final(digester *g, char out[static DIGEST_SHA256_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (EVP_DigestFinal_ex(g->ctx, md, &n) != 1 || n != 32)
                abort();
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < n; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        out[DIGEST_SHA256_LEN] = 0;
}

void digester_free(digester *g)
{
        if (!g)
                return;
        EVP_MD_CTX_free(g->ctx);
        free(g);
}

char *digest_buffer(const void *buf, size_t len)
{
        _cleanup_digester_ digester *g = digester_new();
        char out[DIGEST_SHA256_LEN + 1];

        digester_update(g, buf, len);
        digester_final(g, out);
        return xstrdup(out);
}
