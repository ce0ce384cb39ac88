/* Fuzz target: the Dockerfile parser and the word processing applied to each instruction's
 * arguments (quotes, escapes, variable substitution). */
#include <stdint.h>
#include <string.h>

#include "build/dockerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_dockerfile_ dockerfile *d = NULL;
        _cleanup_error_ berth_error *err = NULL;
        char *env[] = {"A=1", "B=two words", NULL};

        if (dockerfile_parse((const char *)data, size, &d, &err) < 0)
                return 0;
        for (size_t i = 0; i < d->n; i++) {
                char **w = NULL;
                berth_error *e = NULL;
                if (df_words(d->ins[i].args, d->escape, env, true, &w, &e) >= 0)
                        strv_free(w);
                berth_error_free(e);
        }
        return 0;
}
