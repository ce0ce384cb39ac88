/* Keep the runtime binary out of a container's reach (the CVE-2019-5736 class). */
#pragma once

#include "basic/error.h"

/*
 * Unless the process already runs from a protected copy, re-exec it with the same arguments
 * and environment from a read-only view of its binary (a detached overlayfs over the binary's
 * directory and state_root, else a sealed memfd). Call it first, before anything has been
 * created or read from stdin: the process starts over. Returns only when already protected
 * (0) or on failure.
 */
int runtime_exe_protect(const char *state_root, berth_error **err);
