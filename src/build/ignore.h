/* .dockerignore: which paths of the context a build leaves out. */
#pragma once

#include <stdbool.h>
#include "basic/error.h"
#include "basic/strv.h"

/* The patterns of CTX/.dockerignore (none when it is missing), cleaned as Docker cleans them. */
int build_ignore_load(int ctxfd, char ***ret, berth_error **err);
/* Is path (relative to the context) excluded by patterns? */
bool build_ignored(char *const *patterns, const char *path);
