/* Removing a container's files and row (the monitor does it for --rm: no image store needed). */
#include <string.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"

/* Anonymous volumes are ROOT/volumes/<64 hex>/_data. */
static bool anonymous_volume(const char *root, const char *src, char **ret_dir)
{
        _cleanup_free_ char *prefix = xasprintf("%s/volumes/", root);
        size_t n = strlen(prefix);

        if (strncmp(src, prefix, n) != 0 || strspn(src + n, "0123456789abcdef") != 64 ||
            !streq(src + n + 64, "/_data"))
                return false;
        *ret_dir = xstrndup(src, n + 64);
        return true;
}

void engine_remove_files(db *d, const char *root, const char *id, json_t *opts, bool volumes)
{
        const char *dname = json_string_value(json_object_get(opts, "storage_driver"));
        _cleanup_free_ char *dir = engine_ctr_dir(root, id);
        const storage_driver *drv = NULL;
        const char *const texts[] = {id};
        size_t i;
        json_t *v;

        if (storage_driver_find(dname, root, &drv, NULL) >= 0)
                drv->remove(dir, NULL);
        fs_rm_rf(dir, NULL);
        if (volumes)
                json_array_foreach (json_object_get(opts, "volumes"), i, v) {
                        _cleanup_free_ char *vd = NULL;
                        _cleanup_strv_free_ char **f = strv_split(json_string_value(v) ?: "", ":");
                        if (f && f[0] && anonymous_volume(root, f[0], &vd))
                                fs_rm_rf(vd, NULL);
                }
        engine_db_exec_bind(d, "DELETE FROM containers WHERE id = ?1", NULL, 1, NULL, texts);
}
