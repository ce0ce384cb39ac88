/* Fuzz target: image reference parsing and normalisation. A parsed reference prints to a string
 * that parses again to the same string. */
#include <stdint.h>
#include <string.h>

#include "image/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = xstrndup((const char *)data, size);
        _cleanup_image_ref_ image_ref *r = NULL, *again = NULL;
        _cleanup_error_ berth_error *err = NULL;

        if (image_ref_parse(s, &r, &err) < 0)
                return 0;
        _cleanup_free_ char *full = image_ref_string(r);
        if (image_ref_parse(full, &again, NULL) < 0)
                abort();
        _cleanup_free_ char *full2 = image_ref_string(again);
        if (!streq(full, full2))
                abort();
        return 0;
}
