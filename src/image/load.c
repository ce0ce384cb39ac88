/* `load`: read a docker-archive or oci-archive in one pass, every file into the blob store (or,
 * for the small JSON documents, into memory), then register the images it describes. */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>

#include "archives.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "digest.h"
#include "manifest.h"
#include "reference.h"

#define META_MAX       (16 * 1024 * 1024)
#define MAX_ALIAS_HOPS 16

typedef struct archive_file {
        char *name;
        char *alias;  /* a symlink or hardlink: the file it names */
        char *digest; /* stored as a blob */
        char *data;   /* kept in memory */
        size_t len;
} archive_file;

typedef struct load_ctx {
        image_store *s;
        const image_load_options *o;
        struct archive *a;
        archive_file *files;
        size_t n_files;
        char **new_blobs;
        uint64_t total;
} load_ctx;

static char *entry_name(const char *path)
{
        _cleanup_free_ char *n = fs_path_normalize(path);
        const char *p = n;

        while (*p == '/')
                p++;
        return xstrdup(p);
}

static archive_file *add_file(load_ctx *x, const char *name)
{
        x->files = xrealloc(x->files, (x->n_files + 1) * sizeof(*x->files));
        archive_file *f = &x->files[x->n_files++];
        memset(f, 0, sizeof(*f));
        f->name = xstrdup(name);
        return f;
}

static const archive_file *find_file(load_ctx *x, const char *name)
{
        _cleanup_free_ char *cur = entry_name(name);

        for (int hop = 0; hop < MAX_ALIAS_HOPS; hop++) {
                const archive_file *f = NULL;
                for (size_t i = 0; i < x->n_files; i++)
                        if (streq(x->files[i].name, cur))
                                f = &x->files[i];
                if (!f || !f->alias)
                        return f;
                free(cur);
                cur = xstrdup(f->alias);
        }
        return NULL;
}

static bool is_meta_name(const char *name)
{
        size_t n = strlen(name);
        return (n > 5 && streq(name + n - 5, ".json")) || streq(name, "oci-layout") ||
               streq(name, "repositories");
}

/* "blobs/sha256/<hex>" names its own digest. */
static char *expected_digest(const char *name)
{
        _cleanup_free_ char *d = NULL;

        if (!strneq(name, "blobs/sha256/", 13))
                return NULL;
        d = xasprintf("sha256:%s", name + 13);
        return digest_is_valid(d) ? TAKE_PTR(d) : NULL;
}

static void report_progress(load_ctx *x)
{
        if (x->o->progress)
                x->o->progress(x->o->progress_userdata, (uint64_t)archive_filter_bytes(x->a, -1), x->total);
}

static int read_to_memory(load_ctx *x, archive_file *f, int64_t size, berth_error **err)
{
        la_ssize_t n;

        f->data = xmalloc((size_t)size + 1);
        n = archive_read_data(x->a, f->data, (size_t)size);
        if (n != size)
                return berth_error_set(err, 0, "%s: %s", f->name,
                                       n < 0 ? archive_error_string(x->a) : "truncated");
        f->data[size] = 0;
        f->len = (size_t)size;
        return 0;
}

static int read_to_blob(load_ctx *x, archive_file *f, int64_t size, berth_error **err)
{
        _cleanup_free_ char *expected = expected_digest(f->name);
        _cleanup_blob_writer_ blob_writer *w = NULL;
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;

        if (expected && blob_exists(x->s->blobs, expected)) {
                f->digest = TAKE_PTR(expected);
                return 0; /* verified when it was stored; libarchive skips the data */
        }
        r = blob_writer_new(x->s->blobs, expected, size, &w, err);
        if (r < 0)
                return r;
        while ((r = archive_read_data_block(x->a, &buf, &len, &off)) == ARCHIVE_OK) {
                if (blob_writer_write(w, buf, len, err) < 0)
                        return berth_error_wrap(err, "%s", f->name);
                report_progress(x);
        }
        if (r != ARCHIVE_EOF)
                return berth_error_set(err, 0, "%s: %s", f->name, archive_error_string(x->a));
        r = blob_writer_commit(w, &f->digest, NULL, err);
        if (r < 0)
                return berth_error_wrap(err, "%s", f->name);
        if (!blob_writer_existed(w) && !strv_contains(x->new_blobs, f->digest))
                strv_push(&x->new_blobs, f->digest);
        return 0;
}

static int read_entry(load_ctx *x, struct archive_entry *e, berth_error **err)
{
        _cleanup_free_ char *name = entry_name(strempty(archive_entry_pathname(e)));
        mode_t type = archive_entry_filetype(e);
        int64_t size = archive_entry_size(e);
        archive_file *f;

        if (archive_entry_hardlink(e)) {
                add_file(x, name)->alias = entry_name(archive_entry_hardlink(e));
                return 0;
        }
        if (type == AE_IFLNK) {
                _cleanup_free_ char *dir = xstrdup(name);
                char *slash = strrchr(dir, '/');
                *(slash ? slash : dir) = 0;
                _cleanup_free_ char *joined = xasprintf("%s/%s", dir, strempty(archive_entry_symlink(e)));
                add_file(x, name)->alias = entry_name(joined);
                return 0;
        }
        if (type != AE_IFREG)
                return 0;
        f = add_file(x, name);
        if (is_meta_name(name) && size <= META_MAX)
                return read_to_memory(x, f, size, err);
        return read_to_blob(x, f, size, err);
}

static int read_archive(load_ctx *x, berth_error **err)
{
        struct archive_entry *e;
        struct stat st;
        int r;

        if (fstat(x->o->fd, &st) == 0 && S_ISREG(st.st_mode))
                x->total = (uint64_t)st.st_size;
        x->a = archive_read_new();
        archive_read_support_filter_gzip(x->a);
        archive_read_support_filter_zstd(x->a);
        archive_read_support_filter_xz(x->a);
        archive_read_support_filter_bzip2(x->a);
        archive_read_support_format_tar(x->a);
        if (archive_read_open_fd(x->a, x->o->fd, 1024 * 1024) != ARCHIVE_OK)
                return berth_error_set(err, 0, "%s", archive_error_string(x->a));
        while ((r = archive_read_next_header(x->a, &e)) != ARCHIVE_EOF) {
                if (r < ARCHIVE_WARN)
                        return berth_error_set(err, 0, "%s", archive_error_string(x->a));
                r = read_entry(x, e, err);
                if (r < 0)
                        return r;
        }
        if (x->o->progress) {
                uint64_t done = (uint64_t)archive_filter_bytes(x->a, -1);
                x->o->progress(x->o->progress_userdata, done, x->total > done ? x->total : done);
        }
        return 0;
}

/* The bytes of a small file of the archive, wherever they were kept. */
static int file_bytes(load_ctx *x, const char *name, char **ret, size_t *ret_len, berth_error **err)
{
        const archive_file *f = find_file(x, name);

        if (!f)
                return berth_error_set(err, ENOENT, "%s: not in the archive", name);
        if (f->data) {
                *ret = xmalloc(f->len + 1);
                memcpy(*ret, f->data, f->len + 1);
                *ret_len = f->len;
                return 0;
        }
        return blob_read(x->s->blobs, f->digest, META_MAX, ret, ret_len, err);
}

/* The digest of a file of the archive, stored as a blob if it was kept in memory. */
static int file_digest(load_ctx *x, const char *name, char **ret, berth_error **err)
{
        const archive_file *f = find_file(x, name);
        int r;

        if (!f)
                return berth_error_set(err, ENOENT, "%s: not in the archive", name);
        if (f->digest) {
                *ret = xstrdup(f->digest);
                return 0;
        }
        _cleanup_free_ char *d = digest_buffer(f->data, f->len);
        if (!blob_exists(x->s->blobs, d)) {
                r = blob_put(x->s->blobs, f->data, f->len, d, NULL, err);
                if (r < 0)
                        return r;
                strv_push(&x->new_blobs, d);
        }
        *ret = TAKE_PTR(d);
        return 0;
}

static const char *compression_media_type(int c)
{
        return c == LAYER_GZIP   ? MT_DOCKER_LAYER_GZIP
               : c == LAYER_ZSTD ? MT_OCI_LAYER_ZSTD
                                 : MT_DOCKER_LAYER;
}

static int docker_layer(load_ctx *x, const char *path, descriptor *d, berth_error **err)
{
        uint64_t size;
        int c, r;

        r = file_digest(x, path, &d->digest, err);
        if (r < 0)
                return r;
        r = blob_size(x->s->blobs, d->digest, &size, err);
        if (r < 0)
                return r;
        r = image_blob_compression(x->s->blobs, d->digest, &c, err);
        if (r < 0)
                return r;
        d->size = (int64_t)size;
        d->media_type = xstrdup(compression_media_type(c));
        return 0;
}

static void free_descriptors(descriptor *l, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(l[i].digest);
                free(l[i].media_type);
        }
        free(l);
}

/* docker-archive has no manifest: write the Docker schema 2 manifest that describes it. */
static int docker_manifest(load_ctx *x, const char *config, char **paths, char **ret, berth_error **err)
{
        size_t n = strv_length(paths);
        descriptor cfg = {.media_type = (char *)MT_DOCKER_CONFIG};
        descriptor *layers = xcalloc(n + 1, sizeof(*layers));
        bool zstd = false;
        uint64_t size = 0;
        int r;

        r = file_digest(x, config, &cfg.digest, err);
        if (r >= 0)
                r = blob_size(x->s->blobs, cfg.digest, &size, err);
        cfg.size = (int64_t)size;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = docker_layer(x, paths[i], &layers[i], err);
                zstd = zstd || (r >= 0 && streq(layers[i].media_type, MT_OCI_LAYER_ZSTD));
        }
        if (r >= 0) {
                _cleanup_free_ char *m = NULL;
                if (zstd) /* zstd layers exist only in OCI manifests */
                        for (size_t i = 0; i < n; i++)
                                if (streq(layers[i].media_type, MT_DOCKER_LAYER)) {
                                        free(layers[i].media_type);
                                        layers[i].media_type = xstrdup(MT_OCI_LAYER);
                                }
                if (zstd)
                        cfg.media_type = (char *)MT_OCI_CONFIG;
                m = manifest_build(zstd ? MT_OCI_MANIFEST : MT_DOCKER_MANIFEST, &cfg, layers, n);
                r = blob_put(x->s->blobs, m, strlen(m), NULL, ret, err);
                if (r >= 0)
                        strv_push(&x->new_blobs, *ret);
        }
        free(cfg.digest);
        free_descriptors(layers, n);
        return r;
}

static int normalize_names(char **tags, char ***ret, berth_error **err)
{
        STRV_FOREACH (t, tags) {
                _cleanup_image_ref_ image_ref *ref = NULL;
                int r = image_ref_parse(*t, &ref, err);
                if (r < 0)
                        return berth_error_wrap(err, "RepoTags");
                strv_consume(ret, image_ref_string(ref));
        }
        return 0;
}

static int load_docker_entry(load_ctx *x, json_t *e, size_t i, char ***names, char ***ids, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("manifest.json[%zu]", i), *config = NULL, *mdigest = NULL;
        _cleanup_free_ char *id = NULL;
        _cleanup_strv_free_ char **layers = NULL, **tags = NULL, **norm = NULL;
        int r;

        if (jsonh_get_string(e, path, "Config", true, &config, err) < 0 ||
            jsonh_get_strv(e, path, "Layers", true, &layers, err) < 0 ||
            jsonh_get_strv(e, path, "RepoTags", false, &tags, err) < 0)
                return -EINVAL;
        r = normalize_names(tags, &norm, err);
        if (r < 0)
                return r;
        r = docker_manifest(x, config, layers, &mdigest, err);
        if (r < 0)
                return r;
        r = image_store_commit(x->s, mdigest, norm, &id, err);
        if (r < 0)
                return r;
        STRV_FOREACH (n, norm)
                strv_push(names, *n);
        strv_consume(ids, TAKE_PTR(id));
        return 0;
}

static int load_docker(load_ctx *x, char ***names, char ***ids, berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_json_ json_t *root = NULL;
        json_t *e;
        size_t len, i;
        int r;

        r = file_bytes(x, "manifest.json", &buf, &len, err);
        if (r < 0)
                return r;
        r = jsonh_parse(buf, len, "manifest.json", &root, err);
        if (r < 0)
                return r;
        if (!json_is_array(root))
                return berth_error_set(err, 0, "manifest.json: expected array, got %s",
                                       jsonh_type_name(root));
        json_array_foreach (root, i, e) {
                r = load_docker_entry(x, e, i, names, ids, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An OCI ref.name annotation names an image only when it is a full reference; a bare tag
 * ("latest") says nothing about the repository. */
static void oci_name(const descriptor *d, char ***names)
{
        _cleanup_image_ref_ image_ref *ref = NULL;

        if (!d->ref_name || !strpbrk(d->ref_name, ":/") || image_ref_parse(d->ref_name, &ref, NULL) < 0)
                return;
        strv_consume(names, image_ref_string(ref));
}

static int oci_resolve_manifest(load_ctx *x, const descriptor *d, char **ret, berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_index_ image_index *idx = NULL;
        const descriptor *sel;
        size_t len;
        int r;

        if (streq(d->media_type, MT_OCI_MANIFEST) || streq(d->media_type, MT_DOCKER_MANIFEST)) {
                *ret = xstrdup(d->digest);
                return 0;
        }
        if (!streq(d->media_type, MT_OCI_INDEX) && !streq(d->media_type, MT_DOCKER_LIST))
                return berth_error_set(err, 0, "index.json: unknown media type \"%s\"", d->media_type);
        r = blob_read(x->s->blobs, d->digest, META_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        r = index_parse(buf, len, d->media_type, &idx, err);
        if (r < 0)
                return r;
        r = index_select_platform(idx, x->o->platform, &sel, err);
        if (r < 0)
                return r;
        return oci_resolve_manifest(x, sel, ret, err);
}

static int load_oci(load_ctx *x, char ***names, char ***ids, berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_index_ image_index *idx = NULL;
        size_t len;
        int r;

        r = file_bytes(x, "index.json", &buf, &len, err);
        if (r < 0)
                return r;
        r = index_parse(buf, len, MT_OCI_INDEX, &idx, err);
        if (r < 0)
                return berth_error_wrap(err, "index.json");
        for (size_t i = 0; i < idx->n_manifests; i++) {
                _cleanup_free_ char *mdigest = NULL, *id = NULL;
                _cleanup_strv_free_ char **n = NULL;
                r = oci_resolve_manifest(x, &idx->manifests[i], &mdigest, err);
                if (r < 0)
                        return r;
                oci_name(&idx->manifests[i], &n);
                r = image_store_commit(x->s, mdigest, n, &id, err);
                if (r < 0)
                        return r;
                STRV_FOREACH (s, n)
                        strv_push(names, *s);
                strv_consume(ids, TAKE_PTR(id));
        }
        return 0;
}

static int load_images(load_ctx *x, char ***names, char ***ids, berth_error **err)
{
        int r = read_archive(x, err);

        if (r < 0)
                return r;
        if (find_file(x, "manifest.json"))
                return load_docker(x, names, ids, err);
        if (find_file(x, "index.json"))
                return load_oci(x, names, ids, err);
        return berth_error_set(err, 0,
                               "not a docker-archive or oci-archive: no manifest.json or index.json");
}

int image_load(image_store *s, const image_load_options *o, char ***ret_names, char ***ret_ids,
               berth_error **err)
{
        load_ctx x = {.s = s, .o = o};
        _cleanup_strv_free_ char **names = NULL, **ids = NULL;
        int r = load_images(&x, &names, &ids, err);

        /* Blobs are only removed when no image took them: one already stored by an earlier image
         * of this archive stays. */
        if (r < 0)
                image_store_gc_blobs(s, x.new_blobs);
        for (size_t i = 0; i < x.n_files; i++) {
                free(x.files[i].name);
                free(x.files[i].alias);
                free(x.files[i].digest);
                free(x.files[i].data);
        }
        free(x.files);
        strv_free(x.new_blobs);
        if (x.a)
                archive_read_free(x.a);
        if (r < 0)
                return r;
        if (ret_names)
                *ret_names = TAKE_PTR(names);
        if (ret_ids)
                *ret_ids = TAKE_PTR(ids);
        return 0;
}
