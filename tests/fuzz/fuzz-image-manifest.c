/* Fuzz target: the parsers of registry and archive documents: image manifest, index (with
 * platform selection) and image config. */
#include <stdint.h>

#include "image/config.h"
#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data;
        image_manifest *m = NULL;
        image_index *idx = NULL;
        image_config *c = NULL;
        enum manifest_kind k;
        const descriptor *d;

        if (manifest_kind(buf, size, NULL, &k, NULL) >= 0 && manifest_parse(buf, size, NULL, &m, NULL) >= 0)
                manifest_free(m);
        if (index_parse(buf, size, NULL, &idx, NULL) >= 0) {
                index_select_platform(idx, "linux/amd64", &d, NULL);
                index_select_platform(idx, "linux/arm64/v8", &d, NULL);
                index_free(idx);
        }
        if (image_config_parse(buf, size, &c, NULL) >= 0)
                image_config_free(c);
        return 0;
}
