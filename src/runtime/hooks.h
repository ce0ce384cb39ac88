/* OCI hooks: each runs with the container's state JSON on stdin, its args, env and timeout. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include "basic/error.h"
#include "oci/spec.h"

/* Run the hooks of one kind in order; the first failure stops and is returned
 * ("hook createRuntime[0] /path: exit status 3" / "...: timed out after 2 s"). */
int hooks_run(const oci_spec *spec, enum oci_hook_kind kind, json_t *state, berth_error **err);

/* Run them all, logging a warning for each failure (poststart, poststop). */
void hooks_run_warn(const oci_spec *spec, enum oci_hook_kind kind, json_t *state);

static inline bool hooks_has(const oci_spec *spec, enum oci_hook_kind kind)
{
        return spec && spec->hooks[kind].n > 0;
}
