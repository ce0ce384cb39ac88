/* `builder prune`: the build cache's rows go, and with them the intermediate images only the
 * cache kept (no name, no container, not a build's own result); the layers no image needs any
 * more are collected. */
#include <string.h>

#include "build-internal.h"

int build_cache_prune(engine *e, char ***ret_deleted, uint64_t *ret_reclaimed, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL, *del = NULL;
        _cleanup_strv_free_ char **ids = NULL, **deleted = NULL;
        uint64_t reclaimed = 0;
        int r = build_cache_migrate(e->db, err);

        if (r < 0)
                return r;
        r = db_prepare(e->db,
                       "SELECT DISTINCT image_id FROM build_cache"
                       " WHERE image_id NOT IN (SELECT image_id FROM build_results)",
                       &q, err);
        while (r >= 0 && (r = db_step_row(e->db, q, err)) > 0)
                strv_consume(&ids, db_column_strdup(q, 0));
        if (r >= 0)
                r = db_prepare(e->db, "DELETE FROM build_cache", &del, err);
        if (r >= 0)
                r = db_step_done(e->db, del, err);
        if (r >= 0)
                r = image_store_remove_unused(e->images, ids, &deleted, &reclaimed, err);
        if (r < 0)
                return r;
        *ret_deleted = TAKE_PTR(deleted);
        *ret_reclaimed = reclaimed;
        return 0;
}
