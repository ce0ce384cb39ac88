/* Image metadata in SQLite, image registration from a manifest, name resolution, removal and
 * garbage collection of blobs and layers. */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "config.h"
#include "digest.h"
#include "manifest.h"
#include "reference.h"
#include "store.h"

#define MANIFEST_MAX       (4 * 1024 * 1024)
#define CONFIG_MAX         (32 * 1024 * 1024)
#define UNPACK_MAX_THREADS 8

static const char *const schema[] = {
        "CREATE TABLE images ("
        " id TEXT PRIMARY KEY,"
        " manifest_digest TEXT NOT NULL,"
        " manifest_media_type TEXT NOT NULL,"
        " size INTEGER NOT NULL,"
        " created INTEGER NOT NULL,"
        " added INTEGER NOT NULL,"
        " chain_ids TEXT NOT NULL);"
        "CREATE TABLE image_names ("
        " name TEXT PRIMARY KEY,"
        " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
        "CREATE INDEX image_names_by_image ON image_names(image_id);",
};

int image_store_open(const char *root, const layer_sink *sink, image_store **ret, berth_error **err)
{
        _cleanup_free_ char *dbpath = xasprintf("%s/berth.db", root),
                            *lock = xasprintf("%s/images.lock", root);
        image_store *s;
        int r;

        r = fs_mkdir_p(root, 0700, err);
        if (r < 0)
                return r;
        s = xcalloc(1, sizeof(*s));
        s->root = xstrdup(root);
        s->sink = *sink;
        s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_SH) < 0) {
                r = berth_error_set(err, errno, "lock %s", lock);
                goto fail;
        }
        r = db_open(dbpath, &s->db, err);
        if (r < 0)
                goto fail;
        r = db_migrate(s->db, "image", schema, (int)ELEMENTSOF(schema), err);
        if (r < 0)
                goto fail;
        r = blob_store_open(root, &s->blobs, err);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        image_store_free(s);
        return r;
}

void image_store_free(image_store *s)
{
        if (!s)
                return;
        db_close(s->db);
        blob_store_free(s->blobs);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        free(s->root);
        free(s);
}

void image_record_free(image_record *r)
{
        if (!r)
                return;
        free(r->id);
        free(r->manifest_digest);
        free(r->manifest_media_type);
        strv_free(r->names);
        strv_free(r->chain_ids);
        free(r);
}

void image_record_list_free(image_record **l)
{
        for (size_t i = 0; l && l[i]; i++)
                image_record_free(l[i]);
        free(l);
}

/* ---- registration ---- */

typedef struct commit_ctx {
        image_store *s;
        image_manifest *m;
        image_config *c;
        char **chain_ids;
        bool *created; /* layers this commit extracted: removed again when it fails */
        size_t *todo, n_todo;
        size_t next; /* the next todo entry a worker takes (atomic) */
        bool failed; /* a worker failed: the others stop (atomic) */
        int64_t size;
} commit_ctx;

static int unpack_layer(commit_ctx *x, size_t i, berth_error **err)
{
        layer_sink *k = &x->s->sink;
        const descriptor *d = &x->m->layers[i];
        _cleanup_close_ int fd = -EBADF;
        unpack_result res;
        void *token;
        int dirfd, r;

        fd = blob_open(x->s->blobs, d->digest, err);
        if (fd < 0)
                return berth_error_wrap(err, "layer %zu", i);
        r = k->begin(k->userdata, &dirfd, &token, err);
        if (r < 0)
                return r;
        r = image_unpack_fd(fd, NULL, dirfd, &res, err);
        if (r >= 0 && !streq(res.diff_id, x->c->diff_ids[i]))
                r = berth_error_set(err, 0, "layer %s: content has diff id %s, the config says %s",
                                    d->digest, res.diff_id, x->c->diff_ids[i]);
        if (r < 0) {
                k->abort(k->userdata, token);
                return berth_error_wrap(err, "unpack layer %s", d->digest);
        }
        r = k->commit(k->userdata, token, x->chain_ids[i], i > 0 ? x->chain_ids[i - 1] : NULL, &res, err);
        if (r < 0)
                return r;
        x->created[i] = true;
        return 0;
}

typedef struct unpack_worker {
        commit_ctx *x;
        pthread_t thread;
        berth_error *err;
        int r;
} unpack_worker;

/* Layers are independent directories: each worker takes the next missing one. Extraction is
 * mostly file creation in the kernel, so it scales with the cores. */
static void *unpack_worker_run(void *arg)
{
        unpack_worker *w = arg;
        commit_ctx *x = w->x;

        for (;;) {
                size_t k = __atomic_fetch_add(&x->next, 1, __ATOMIC_SEQ_CST);
                if (k >= x->n_todo || __atomic_load_n(&x->failed, __ATOMIC_SEQ_CST))
                        return NULL;
                w->r = unpack_layer(x, x->todo[k], &w->err);
                if (w->r < 0) {
                        __atomic_store_n(&x->failed, true, __ATOMIC_SEQ_CST);
                        return NULL;
                }
        }
}

static int unpack_missing(commit_ctx *x, berth_error **err)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n = x->n_todo < (size_t)(cpus > 0 ? cpus : 1) ? x->n_todo : (size_t)(cpus > 0 ? cpus : 1);
        unpack_worker *w;
        size_t started = 0;
        int r = 0;

        if (n > UNPACK_MAX_THREADS)
                n = UNPACK_MAX_THREADS;
        if (n <= 1) {
                unpack_worker one = {.x = x};
                unpack_worker_run(&one);
                if (one.r < 0)
                        *err = one.err;
                return one.r;
        }
        w = xcalloc(n, sizeof(*w));
        for (size_t i = 0; i < n; i++) {
                w[i].x = x;
                if (pthread_create(&w[i].thread, NULL, unpack_worker_run, &w[i]) != 0)
                        break;
                started++;
        }
        if (started == 0)
                unpack_worker_run(&w[0]);
        for (size_t i = 0; i < (started ? started : 1); i++) {
                if (started)
                        pthread_join(w[i].thread, NULL);
                if (w[i].r < 0 && r >= 0) {
                        r = w[i].r;
                        *err = TAKE_PTR(w[i].err);
                }
                berth_error_free(w[i].err);
        }
        free(w);
        return r;
}

static int ensure_layers(commit_ctx *x, berth_error **err)
{
        layer_sink *k = &x->s->sink;
        size_t n = x->m->n_layers;
        int r;

        if (n != strv_length(x->c->diff_ids))
                return berth_error_set(err, 0, "manifest lists %zu layers but the config has %zu diff ids",
                                       n, strv_length(x->c->diff_ids));
        x->chain_ids = xcalloc(n + 1, sizeof(char *));
        x->created = xcalloc(n + 1, sizeof(bool));
        x->todo = xcalloc(n + 1, sizeof(size_t));
        for (size_t i = 0; i < n; i++) {
                x->chain_ids[i] = image_chain_id(i > 0 ? x->chain_ids[i - 1] : NULL, x->c->diff_ids[i]);
                /* Even when the layer is extracted already: save and push need the blob. */
                if (!blob_exists(x->s->blobs, x->m->layers[i].digest))
                        return berth_error_set(err, ENOENT, "layer blob %s", x->m->layers[i].digest);
                if (!k->exists(k->userdata, x->chain_ids[i]))
                        x->todo[x->n_todo++] = i;
        }
        r = unpack_missing(x, err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                uint64_t size, tar_size;
                r = k->sizes(k->userdata, x->chain_ids[i], &size, &tar_size, err);
                x->size += (int64_t)size;
        }
        return r;
}

static int insert_image(commit_ctx *x, const char *manifest_digest, char *const *names, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *name = NULL;
        _cleanup_json_ json_t *chains = jsonh_from_strv(x->chain_ids);
        _cleanup_free_ char *chains_text = jsonh_dump(chains, false);
        db *d = x->s->db;
        int r;

        r = db_prepare(
                d,
                "INSERT OR IGNORE INTO images (id, manifest_digest, manifest_media_type, size, created,"
                " added, chain_ids) VALUES (?, ?, ?, ?, ?, ?, ?)",
                &ins, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(ins, 1, x->m->config.digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, manifest_digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, x->m->media_type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, x->size);
        sqlite3_bind_int64(ins, 5, x->c->created_unix);
        sqlite3_bind_int64(ins, 6, (int64_t)time(NULL));
        sqlite3_bind_text(ins, 7, chains_text, -1, SQLITE_STATIC);
        r = db_step_done(d, ins, err);
        if (r < 0)
                return r;
        r = db_prepare(d, "INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?, ?)", &name, err);
        for (size_t i = 0; names && names[i]; i++) {
                if (r < 0)
                        return r;
                sqlite3_reset(name);
                sqlite3_bind_text(name, 1, names[i], -1, SQLITE_STATIC);
                sqlite3_bind_text(name, 2, x->m->config.digest, -1, SQLITE_STATIC);
                r = db_step_done(d, name, err);
        }
        return r;
}

static int commit_image(commit_ctx *x, const char *manifest_digest, char *const *names, berth_error **err)
{
        _cleanup_free_ char *mbuf = NULL, *cbuf = NULL;
        size_t mlen, clen;
        int r;

        r = blob_read(x->s->blobs, manifest_digest, MANIFEST_MAX, &mbuf, &mlen, err);
        if (r < 0)
                return r;
        r = manifest_parse(mbuf, mlen, NULL, &x->m, err);
        if (r < 0)
                return r;
        r = blob_read(x->s->blobs, x->m->config.digest, CONFIG_MAX, &cbuf, &clen, err);
        if (r < 0)
                return berth_error_wrap(err, "image config");
        r = image_config_parse(cbuf, clen, &x->c, err);
        if (r < 0)
                return r;
        r = ensure_layers(x, err);
        if (r < 0)
                return r;
        r = db_begin(x->s->db, err);
        if (r < 0)
                return r;
        r = insert_image(x, manifest_digest, names, err);
        if (r < 0) {
                db_rollback(x->s->db);
                return r;
        }
        return db_commit(x->s->db, err);
}

int image_store_commit(image_store *s, const char *manifest_digest, char *const *names, char **ret_id,
                       berth_error **err)
{
        commit_ctx x = {.s = s};
        int r = commit_image(&x, manifest_digest, names, err);

        for (size_t i = 0; r < 0 && x.created && i < x.m->n_layers; i++)
                if (x.created[i])
                        s->sink.remove(s->sink.userdata, x.chain_ids[i], NULL);
        if (r >= 0 && ret_id)
                *ret_id = xstrdup(x.m->config.digest);
        manifest_free(x.m);
        image_config_free(x.c);
        strv_free(x.chain_ids);
        free(x.created);
        free(x.todo);
        return r;
}

/* ---- queries ---- */

static int load_names(image_store *s, image_record *img, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r;

        r = db_prepare(s->db, "SELECT name FROM image_names WHERE image_id = ? ORDER BY name", &q, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, img->id, -1, SQLITE_STATIC);
        while ((r = db_step_row(s->db, q, err)) > 0)
                strv_consume(&img->names, db_column_strdup(q, 0));
        return r;
}

#define IMAGE_COLUMNS "id, manifest_digest, manifest_media_type, size, created, added, chain_ids"

static int record_from_row(image_store *s, sqlite3_stmt *q, image_record **ret, berth_error **err)
{
        _cleanup_image_record_ image_record *img = xcalloc(1, sizeof(*img));
        _cleanup_json_ json_t *chains = NULL;
        const char *text = (const char *)sqlite3_column_text(q, 6);
        int r;

        img->id = db_column_strdup(q, 0);
        img->manifest_digest = db_column_strdup(q, 1);
        img->manifest_media_type = db_column_strdup(q, 2);
        img->size = sqlite3_column_int64(q, 3);
        img->created = sqlite3_column_int64(q, 4);
        img->added = sqlite3_column_int64(q, 5);
        r = jsonh_parse(strempty(text), strlen(strempty(text)), "images.chain_ids", &chains, err);
        if (r < 0)
                return r;
        json_t *wrap = json_pack("{s:O}", "c", chains);
        r = jsonh_get_strv(wrap, "images", "c", true, &img->chain_ids, err);
        json_decref(wrap);
        if (r < 0)
                return r;
        r = load_names(s, img, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(img);
        return 0;
}

int image_store_get(image_store *s, const char *id, image_record **ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r;

        r = db_prepare(s->db, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?", &q, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        r = db_step_row(s->db, q, err);
        if (r < 0)
                return r;
        if (r == 0) {
                berth_error_set(err, 0, "%s: no such image", id);
                return -ENOENT;
        }
        return record_from_row(s, q, ret, err);
}

int image_store_list(image_store *s, image_record ***ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        image_record **l = xcalloc(1, sizeof(*l));
        size_t n = 0;
        int r;

        r = db_prepare(s->db, "SELECT " IMAGE_COLUMNS " FROM images ORDER BY created DESC, added DESC, id",
                       &q, err);
        while (r >= 0 && (r = db_step_row(s->db, q, err)) > 0) {
                l = xrealloc(l, (n + 2) * sizeof(*l));
                r = record_from_row(s, q, &l[n], err);
                if (r >= 0)
                        l[++n] = NULL;
        }
        if (r < 0) {
                image_record_list_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static bool is_hex(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* A unique id prefix ("3f57d9401f8d", "sha256:3f57"); 0 with *ret NULL when none matches. */
static int resolve_id_prefix(image_store *s, const char *prefix, char **ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        const char *hex = strneq(prefix, "sha256:", 7) ? prefix + 7 : prefix;
        _cleanup_free_ char *like = xasprintf("sha256:%s%%", hex);
        int r;

        *ret = NULL;
        if (!is_hex(hex) || strlen(hex) > 64)
                return 0;
        r = db_prepare(s->db, "SELECT id FROM images WHERE id LIKE ? LIMIT 2", &q, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, like, -1, SQLITE_STATIC);
        r = db_step_row(s->db, q, err);
        if (r <= 0)
                return r;
        *ret = db_column_strdup(q, 0);
        r = db_step_row(s->db, q, err);
        if (r > 0) {
                free(TAKE_PTR(*ret));
                return berth_error_set(err, 0, "%s: ambiguous image id prefix", prefix);
        }
        return r;
}

static int resolve_name(image_store *s, const char *name, char **ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_free_ char *key = NULL, *repo = NULL;
        int r;

        *ret = NULL;
        if (image_ref_parse(name, &ref, NULL) < 0)
                return 0;
        key = image_ref_string(ref);
        repo = image_ref_name(ref);
        /* By name; or name@digest against the manifest digest of an image with that repository. */
        r = db_prepare(s->db,
                       "SELECT image_id FROM image_names WHERE name = ?1 UNION "
                       "SELECT i.id FROM images i JOIN image_names n ON n.image_id = i.id "
                       "WHERE ?2 IS NOT NULL AND i.manifest_digest = ?2 AND (n.name = ?3 OR n.name LIKE ?3 "
                       "|| ':%') "
                       "LIMIT 1",
                       &q, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        if (ref->digest)
                sqlite3_bind_text(q, 2, ref->digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, repo, -1, SQLITE_STATIC);
        r = db_step_row(s->db, q, err);
        if (r > 0)
                *ret = db_column_strdup(q, 0);
        return r < 0 ? r : 0;
}

int image_store_resolve(image_store *s, const char *what, image_record **ret, berth_error **err)
{
        _cleanup_free_ char *id = NULL;
        int r;

        if (!strneq(what, "sha256:", 7)) {
                r = resolve_name(s, what, &id, err);
                if (r < 0)
                        return r;
        }
        if (!id) {
                r = resolve_id_prefix(s, what, &id, err);
                if (r < 0)
                        return r;
        }
        if (!id) {
                berth_error_set(err, 0, "%s: no such image", what);
                return -ENOENT;
        }
        return image_store_get(s, id, ret, err);
}

int image_store_config(image_store *s, const image_record *img, image_config **ret, berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = blob_read(s->blobs, img->id, CONFIG_MAX, &buf, &len, err);

        if (r < 0)
                return r;
        return image_config_parse(buf, len, ret, err);
}
