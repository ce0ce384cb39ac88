/* Internal entry points shared by create/start and run. */
#pragma once

#include "container.h"
#include "state.h"

/* create; console_fd >= 0 is a socket that receives the pty master instead of --console-socket. */
int container_create_full(const char *root, const char *id, const runtime_create_opts *opts, int console_fd,
                          container_state **ret, berth_error **err);

/* start with the state dir already loaded (and locked, for the CLI's start). */
int container_start_locked(container_state *st, berth_error **err);
