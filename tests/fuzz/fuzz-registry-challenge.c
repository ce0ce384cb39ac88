/* WWW-Authenticate challenges come from any registry a user names: parse whatever they send. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        registry_challenge c = {};
        berth_error *err = NULL;

        memcpy(s, data, size);
        s[size] = 0;
        if (registry_challenge_parse(s, &c, &err) >= 0)
                registry_challenge_done(&c);
        berth_error_free(err);
        free(s);
        return 0;
}
