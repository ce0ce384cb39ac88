/* run --init: berth-init (src/cli/berth-init) bind-mounted read-only at /dev/init as the
 * container's PID 1, the command its child; /dev is the container's own tmpfs, so the image's
 * files are not touched. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/jsonh.h"
#include "engine-internal.h"

#define INIT_DEST "/dev/init"

/* $BERTH_INIT, else next to the monitor (installed) or in its sibling folder (build tree). */
static char *init_binary(const engine *e)
{
        const char *env = getenv("BERTH_INIT");
        _cleanup_free_ char *dir = NULL;
        char real[PATH_MAX];

        if (env && *env)
                return xstrdup(env);
        if (!realpath(e->monitor_path, real))
                return NULL;
        dir = xstrdup(real);
        *strrchr(dir, '/') = 0;
        char *p = xasprintf("%s/berth-init", dir);
        if (access(p, X_OK) == 0)
                return p;
        free(p);
        p = xasprintf("%s/../berth-init/berth-init", dir);
        if (access(p, X_OK) == 0)
                return p;
        free(p);
        return NULL;
}

int engine_spec_add_init(const engine *e, json_t *spec, berth_error **err)
{
        _cleanup_free_ char *bin = init_binary(e);
        json_t *process = json_object_get(spec, "process");
        json_t *args = json_object_get(process, "args");
        json_t *m, *opts;

        if (!bin)
                return berth_error_set(err, ENOENT, "--init: berth-init not found next to %s",
                                       e->monitor_path);
        if (!json_is_array(args))
                return berth_error_set(err, EINVAL, "--init: the container has no command");
        json_array_insert_new(args, 0, json_string("--"));
        json_array_insert_new(args, 0, json_string(INIT_DEST));
        m = json_object();
        opts = json_array();
        json_array_append_new(opts, json_string("rbind"));
        json_array_append_new(opts, json_string("ro"));
        json_object_set_new(m, "destination", json_string(INIT_DEST));
        json_object_set_new(m, "type", json_string("bind"));
        json_object_set_new(m, "source", json_string(bin));
        json_object_set_new(m, "options", opts);
        json_array_append_new(json_object_get(spec, "mounts"), m);
        return 0;
}
