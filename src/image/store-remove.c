/* Tags, removal, prune and garbage collection of the image store. */
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>

#include "manifest.h"
#include "reference.h"
#include "store.h"

#define MANIFEST_MAX (4 * 1024 * 1024)

static char *normalize_name(const char *name, berth_error **err)
{
        _cleanup_image_ref_ image_ref *ref = NULL;

        if (image_ref_parse(name, &ref, err) < 0)
                return NULL;
        return image_ref_string(ref);
}

int image_store_tag(image_store *s, const char *source, const char *target, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_free_ char *name = NULL;
        int r;

        r = image_store_resolve(s, source, &img, err);
        if (r < 0)
                return r;
        r = image_ref_parse(target, &ref, err);
        if (r < 0)
                return r;
        if (ref->digest)
                return berth_error_set(err, 0, "%s: a tag can not contain a digest", target);
        name = image_ref_string(ref);
        r = db_prepare(s->db, "INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?, ?)", &q, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, img->id, -1, SQLITE_STATIC);
        return db_step_done(s->db, q, err);
}

static int delete_name(image_store *s, const char *name, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r = db_prepare(s->db, "DELETE FROM image_names WHERE name = ?", &q, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        return db_step_done(s->db, q, err);
}

static int delete_image(image_store *s, const char *id, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r = db_prepare(s->db, "DELETE FROM images WHERE id = ?", &q, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        return db_step_done(s->db, q, err);
}

static bool in_use(image_store *s, const char *id)
{
        return s->in_use && s->in_use(s->in_use_userdata, id);
}

static char *short_id(const char *id)
{
        return xstrndup(id + 7, 12);
}

/* Decide what rmi does: the names to drop and whether the image itself goes. */
static int plan_remove(image_store *s, const image_record *img, const char *byname, bool force,
                       char ***names, bool *ret_delete, berth_error **err)
{
        _cleanup_free_ char *sid = short_id(img->id);
        size_t n = strv_length(img->names);
        bool used = in_use(s, img->id);

        if (byname && n > 1) {
                strv_push(names, byname);
                *ret_delete = false;
                return 0;
        }
        if (!byname && n > 1 && !force)
                return berth_error_set(
                        err, 0,
                        "unable to delete %s (must be forced): image is referenced in multiple "
                        "repositories",
                        sid);
        if (used && !force)
                return berth_error_set(err, EBUSY, "unable to delete %s: a container uses it", sid);
        *names = strv_copy(img->names);
        *ret_delete = !used;
        return 0;
}

int image_store_remove(image_store *s, const char *what, bool force, char ***ret_untagged,
                       char ***ret_deleted, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *byname = NULL;
        bool del = false;
        int r;

        r = image_store_resolve(s, what, &img, err);
        if (r < 0)
                return r;
        byname = normalize_name(what, NULL);
        if (byname && !strv_contains(img->names, byname))
                byname = (free(byname), NULL);
        r = plan_remove(s, img, byname, force, &names, &del, err);
        if (r < 0)
                return r;
        r = db_begin(s->db, err);
        STRV_FOREACH (n, names)
                if (r >= 0)
                        r = delete_name(s, *n, err);
        if (r >= 0 && del)
                r = delete_image(s, img->id, err);
        if (r < 0) {
                db_rollback(s->db);
                return r;
        }
        r = db_commit(s->db, err);
        if (r < 0)
                return r;
        if (ret_untagged)
                *ret_untagged = TAKE_PTR(names);
        if (ret_deleted && del)
                strv_push(ret_deleted, img->id);
        return del ? image_store_gc(s, NULL, err) : 0;
}

int image_store_prune(image_store *s, bool all, char ***ret_deleted, uint64_t *ret_reclaimed,
                      berth_error **err)
{
        image_record **l = NULL;
        int r;

        r = image_store_list(s, &l, err);
        if (r < 0)
                return r;
        r = db_begin(s->db, err);
        for (size_t i = 0; r >= 0 && l[i]; i++) {
                if ((!all && l[i]->names) || in_use(s, l[i]->id))
                        continue;
                STRV_FOREACH (n, l[i]->names)
                        if (r >= 0)
                                r = delete_name(s, *n, err);
                if (r >= 0)
                        r = delete_image(s, l[i]->id, err);
                if (r >= 0 && ret_deleted)
                        strv_push(ret_deleted, l[i]->id);
        }
        image_record_list_free(l);
        if (r < 0) {
                db_rollback(s->db);
                return r;
        }
        r = db_commit(s->db, err);
        if (r < 0)
                return r;
        r = blob_remove_partials(s->blobs, err);
        if (r < 0)
                return r;
        return image_store_gc(s, ret_reclaimed, err);
}

int image_store_remove_unused(image_store *s, char *const *ids, char ***ret_deleted, uint64_t *ret_reclaimed,
                              berth_error **err)
{
        _cleanup_strv_free_ char **deleted = NULL;
        int r = db_begin(s->db, err);

        STRV_FOREACH (id, (char **)ids) {
                _cleanup_image_record_ image_record *img = NULL;
                if (r < 0)
                        break;
                if (image_store_get(s, *id, &img, NULL) < 0 || img->names || in_use(s, img->id))
                        continue;
                r = delete_image(s, img->id, err);
                if (r >= 0)
                        strv_push(&deleted, img->id);
        }
        if (r < 0) {
                db_rollback(s->db);
                return r;
        }
        r = db_commit(s->db, err);
        if (r >= 0)
                r = image_store_gc(s, ret_reclaimed, err);
        if (r >= 0 && ret_deleted)
                *ret_deleted = TAKE_PTR(deleted);
        return r;
}

/* Blobs an image needs: manifest, config, layers. */
static void referenced_blobs(image_store *s, const image_record *img, char ***blobs)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_manifest_ image_manifest *m = NULL;
        size_t len;

        strv_push(blobs, img->manifest_digest);
        strv_push(blobs, img->id);
        if (blob_read(s->blobs, img->manifest_digest, MANIFEST_MAX, &buf, &len, NULL) < 0 ||
            manifest_parse(buf, len, NULL, &m, NULL) < 0)
                return;
        for (size_t i = 0; i < m->n_layers; i++)
                strv_push(blobs, m->layers[i].digest);
}

static int collect(image_store *s, char **blobs, char **chains, uint64_t *reclaimed, berth_error **err)
{
        _cleanup_strv_free_ char **stored = NULL, **layers = NULL;
        int r;

        r = blob_list(s->blobs, &stored, err);
        if (r < 0)
                return r;
        STRV_FOREACH (b, stored) {
                uint64_t size = 0;
                if (strv_contains(blobs, *b))
                        continue;
                blob_size(s->blobs, *b, &size, NULL);
                r = blob_remove(s->blobs, *b, err);
                if (r < 0)
                        return r;
                *reclaimed += size;
        }
        r = s->sink.list(s->sink.userdata, &layers, err);
        if (r < 0)
                return r;
        STRV_FOREACH (c, layers) {
                uint64_t size = 0, tar_size;
                if (strv_contains(chains, *c))
                        continue;
                s->sink.sizes(s->sink.userdata, *c, &size, &tar_size, NULL);
                r = s->sink.remove(s->sink.userdata, *c, err);
                if (r < 0)
                        return r;
                *reclaimed += size;
        }
        return 0;
}

int image_store_gc(image_store *s, uint64_t *ret_reclaimed, berth_error **err)
{
        _cleanup_strv_free_ char **blobs = NULL, **chains = NULL;
        image_record **l = NULL;
        uint64_t reclaimed = 0;
        int r;

        /* Wait for loads in other processes: their blobs are not referenced yet. */
        if (flock(s->lock_fd, LOCK_EX) < 0)
                return berth_error_set(err, errno, "lock %s/images.lock", s->root);
        r = image_store_list(s, &l, err);
        for (size_t i = 0; r >= 0 && l[i]; i++) {
                referenced_blobs(s, l[i], &blobs);
                STRV_FOREACH (c, l[i]->chain_ids)
                        strv_push(&chains, *c);
        }
        image_record_list_free(l);
        if (r >= 0)
                r = collect(s, blobs, chains, &reclaimed, err);
        flock(s->lock_fd, LOCK_SH);
        if (r >= 0 && ret_reclaimed)
                *ret_reclaimed = reclaimed;
        return r;
}

void image_store_gc_blobs(image_store *s, char *const *candidates)
{
        _cleanup_strv_free_ char **blobs = NULL;
        image_record **l = NULL;

        if (!candidates || image_store_list(s, &l, NULL) < 0)
                return;
        for (size_t i = 0; l[i]; i++)
                referenced_blobs(s, l[i], &blobs);
        image_record_list_free(l);
        for (size_t i = 0; candidates[i]; i++)
                if (!strv_contains(blobs, candidates[i]))
                        blob_remove(s->blobs, candidates[i], NULL);
}
