/* `save`: a docker-archive (manifest.json, <config>.json, <layer>/layer.tar) that `docker load`
 * and `podman load` read. Layers are written uncompressed, as Docker does, decompressed from the
 * stored blobs and checked against their diff ids on the way. */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <time.h>

#include "archives.h"
#include "basic/jsonh.h"
#include "config.h"
#include "digest.h"
#include "manifest.h"
#include "reference.h"

#define META_MAX (32 * 1024 * 1024)

typedef struct save_ctx {
        image_store *s;
        struct archive *w;
        char **written; /* names already in the archive */
        json_t *manifest;
        time_t now;
} save_ctx;

static int archive_error(save_ctx *x, const char *what, berth_error **err)
{
        return berth_error_set(err, archive_errno(x->w) > 0 ? archive_errno(x->w) : 0, "write %s: %s", what,
                               strempty(archive_error_string(x->w)));
}

static int write_header(save_ctx *x, const char *name, mode_t type, int64_t size, berth_error **err)
{
        struct archive_entry *e = archive_entry_new();
        int r;

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
        archive_entry_set_mtime(e, x->now, 0);
        r = archive_write_header(x->w, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return archive_error(x, name, err);
        strv_push(&x->written, name);
        return 0;
}

static int write_file(save_ctx *x, const char *name, const char *data, size_t len, berth_error **err)
{
        int r = write_header(x, name, AE_IFREG, (int64_t)len, err);

        if (r < 0)
                return r;
        if (len > 0 && archive_write_data(x->w, data, len) != (la_ssize_t)len)
                return archive_error(x, name, err);
        return 0;
}

/* Decompress a stored layer blob into the archive entry, hashing what goes out. */
static int copy_layer(save_ctx *x, const char *blob, const char *diff_id, uint64_t tar_size,
                      berth_error **err)
{
        _cleanup_close_ int fd = blob_open(x->s->blobs, blob, err);
        _cleanup_digester_ digester *g = digester_new();
        struct archive *a = NULL;
        struct archive_entry *e;
        char out[DIGEST_SHA256_LEN + 1];
        uint64_t total = 0;
        const void *buf;
        size_t len;
        la_int64_t off;
        int r = 0;

        if (fd < 0)
                return fd;
        a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        if (archive_read_open_fd(a, fd, 256 * 1024) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK)
                r = berth_error_set(err, 0, "layer %s: %s", blob, archive_error_string(a));
        while (r >= 0 && (r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
                digester_update(g, buf, len);
                total += len;
                if (total > tar_size || archive_write_data(x->w, buf, len) != (la_ssize_t)len)
                        r = total > tar_size
                                    ? berth_error_set(err, 0, "layer %s: larger than recorded", blob)
                                    : archive_error(x, blob, err);
        }
        if (r == ARCHIVE_EOF)
                r = 0;
        else if (r > 0 || r == ARCHIVE_WARN || r == ARCHIVE_FAILED || r == ARCHIVE_FATAL)
                r = berth_error_set(err, 0, "layer %s: %s", blob, strempty(archive_error_string(a)));
        archive_read_free(a);
        if (r < 0)
                return r;
        digester_final(g, out);
        if (total != tar_size || !streq(out, diff_id))
                return berth_error_set(err, 0, "layer %s: stored content does not match diff id %s", blob,
                                       diff_id);
        return 0;
}

static int save_layer(save_ctx *x, const char *blob, const char *diff_id, const char *chain_id,
                      json_t *paths, berth_error **err)
{
        _cleanup_free_ char *dir = xstrdup(digest_hex(diff_id));
        _cleanup_free_ char *path = xasprintf("%s/layer.tar", dir);
        uint64_t size, tar_size;
        int r;

        json_array_append_new(paths, json_string(path));
        if (strv_contains(x->written, path))
                return 0;
        r = x->s->sink.sizes(x->s->sink.userdata, chain_id, &size, &tar_size, err);
        if (r < 0)
                return r;
        r = write_header(x, dir, AE_IFDIR, 0, err);
        if (r >= 0)
                r = write_header(x, path, AE_IFREG, (int64_t)tar_size, err);
        if (r >= 0)
                r = copy_layer(x, blob, diff_id, tar_size, err);
        return r;
}

/* Full names ("docker.io/library/busybox:latest"): docker load shortens them itself, and podman
 * would read a short one as localhost/busybox. Asked by name: that name only, as docker save
 * does; by id: every name. */
static json_t *repo_tags(const image_record *img, const char *asked)
{
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_free_ char *key = NULL;
        json_t *tags = json_array();

        if (image_ref_parse(asked, &ref, NULL) >= 0)
                key = image_ref_string(ref);
        STRV_FOREACH (n, img->names)
                if (!key || !strv_contains(img->names, key) || streq(*n, key))
                        json_array_append_new(tags, json_string(*n));
        return tags;
}

static int save_image(save_ctx *x, const char *asked, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_manifest_ image_manifest *m = NULL;
        _cleanup_image_config_ image_config *c = NULL;
        _cleanup_free_ char *mbuf = NULL, *cbuf = NULL, *cname = NULL;
        size_t mlen, clen;
        json_t *layers;
        int r;

        r = image_store_resolve(x->s, asked, &img, err);
        if (r < 0)
                return r;
        r = blob_read(x->s->blobs, img->manifest_digest, META_MAX, &mbuf, &mlen, err);
        if (r >= 0)
                r = manifest_parse(mbuf, mlen, NULL, &m, err);
        if (r >= 0)
                r = blob_read(x->s->blobs, img->id, META_MAX, &cbuf, &clen, err);
        if (r >= 0)
                r = image_config_parse(cbuf, clen, &c, err);
        if (r < 0)
                return berth_error_wrap(err, "image %s", asked);
        cname = xasprintf("%s.json", digest_hex(img->id));
        if (!strv_contains(x->written, cname)) {
                r = write_file(x, cname, cbuf, clen, err);
                if (r < 0)
                        return r;
        }
        layers = json_array();
        json_array_append_new(x->manifest, json_pack("{s:s, s:o, s:o}", "Config", cname, "RepoTags",
                                                     repo_tags(img, asked), "Layers", layers));
        for (size_t i = 0; i < m->n_layers && c->diff_ids[i]; i++) {
                r = save_layer(x, m->layers[i].digest, c->diff_ids[i], img->chain_ids[i], layers, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int save_all(save_ctx *x, char *const *images, int fd, berth_error **err)
{
        _cleanup_free_ char *mjson = NULL;
        int r;

        x->w = archive_write_new();
        archive_write_set_format_pax_restricted(x->w);
        archive_write_add_filter_none(x->w);
        archive_write_set_bytes_in_last_block(x->w, 1);
        if (archive_write_open_fd(x->w, fd) != ARCHIVE_OK)
                return archive_error(x, "archive", err);
        for (size_t i = 0; images[i]; i++) {
                r = save_image(x, images[i], err);
                if (r < 0)
                        return r;
        }
        mjson = jsonh_dump(x->manifest, false);
        r = write_file(x, "manifest.json", mjson, strlen(mjson), err);
        if (r < 0)
                return r;
        if (archive_write_close(x->w) != ARCHIVE_OK)
                return archive_error(x, "archive", err);
        return 0;
}

int image_save(image_store *s, char *const *images, int fd, berth_error **err)
{
        save_ctx x = {.s = s, .manifest = json_array(), .now = time(NULL)};
        int r = save_all(&x, images, fd, err);

        if (x.w)
                archive_write_free(x.w);
        json_decref(x.manifest);
        strv_free(x.written);
        return r;
}
