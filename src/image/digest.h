/* Content digests ("sha256:<64 hex>"): validation and streaming computation (libcrypto). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include "basic/error.h"

#define DIGEST_SHA256_HEX_LEN 64
#define DIGEST_SHA256_LEN     (7 + DIGEST_SHA256_HEX_LEN)

/* "sha256:" followed by 64 lowercase hex digits. */
bool digest_is_valid(const char *d);
/* Check d and name it in the error: "<what>: invalid digest "<d>"". */
int digest_check(const char *d, const char *what, berth_error **err);
/* The hex part of a valid digest. */
const char *digest_hex(const char *d);

typedef struct digester digester;
digester *digester_new(void);
void digester_update(digester *g, const void *buf, size_t len);
/* "sha256:<hex>" into out (DIGEST_SHA256_LEN + 1 bytes); the digester can not be updated after. */
void digester_final(digester *g, char out[static DIGEST_SHA256_LEN + 1]);
void digester_free(digester *g);
static inline void digester_freep(digester **g)
{
        digester_free(*g);
}
#define _cleanup_digester_ _cleanup_(digester_freep)

/* Digest of a buffer; caller frees. */
char *digest_buffer(const void *buf, size_t len);
