/*
 * config.json from any bytes: parsing never crashes, and a config that parses is written back
 * to JSON that parses again to the same document (the round trip berth's engine relies on).
 */
#include <stdint.h>
#include <string.h>

#include "basic/jsonh.h"
#include "oci/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_oci_spec_ oci_spec *spec = NULL, *again = NULL;
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_json_ json_t *j = NULL, *j2 = NULL;
        _cleanup_free_ char *text = NULL;

        if (oci_spec_parse((const char *)data, size, &spec, &err) < 0) {
                if (!err || !err->msg || !*err->msg)
                        abort(); /* every failure explains itself */
                return 0;
        }
        j = oci_spec_to_json(spec);
        text = jsonh_dump_u64(j, false);
        if (oci_spec_parse(text, strlen(text), &again, &err) < 0)
                abort(); /* what we write, we must read */
        j2 = oci_spec_to_json(again);
        if (!json_equal(j, j2))
                abort();
        return 0;
}
