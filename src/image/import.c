/* `import`: a rootfs tarball becomes a one-layer image, stored and unpacked in one pass. */
#include <string.h>
#include <time.h>

#include "archives.h"
#include "basic/jsonh.h"
#include "config.h"
#include "manifest.h"
#include "reference.h"

int image_blob_compression(blob_store *bs, const char *digest, int *ret, berth_error **err)
{
        _cleanup_close_ int fd = blob_open(bs, digest, err);
        unsigned char m[4] = {};

        if (fd < 0)
                return fd;
        if (pread(fd, m, sizeof(m), 0) < 0)
                return berth_error_set(err, errno, "read blob %s", digest);
        if (m[0] == 0x1f && m[1] == 0x8b)
                *ret = LAYER_GZIP;
        else if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                *ret = LAYER_ZSTD;
        else
                *ret = LAYER_TAR;
        return 0;
}

static const char *oci_layer_type(int c)
{
        return c == LAYER_GZIP ? MT_OCI_LAYER_GZIP : c == LAYER_ZSTD ? MT_OCI_LAYER_ZSTD : MT_OCI_LAYER;
}

static char *go_arch(void)
{
        _cleanup_free_ char *p = platform_default();
        char *slash = strchr(p, '/');
        char *arch = xstrdup(slash ? slash + 1 : "amd64");

        arch[strcspn(arch, "/")] = 0;
        return arch;
}

static int build_config(const image_import_options *o, const char *diff_id, char **ret, berth_error **err)
{
        _cleanup_free_ char *now = image_time_format((int64_t)time(NULL)), *arch = go_arch();
        _cleanup_free_ char *by = xasprintf("berth import %s", o->source ? o->source : "-");
        _cleanup_json_ json_t *root = NULL;
        json_t *cfg = json_object(), *hist;

        for (size_t i = 0; o->changes && o->changes[i]; i++) {
                int r = image_config_apply_change(cfg, o->changes[i], err);
                if (r < 0) {
                        json_decref(cfg);
                        return r;
                }
        }
        hist = json_pack("{s:s, s:s}", "created", now, "created_by", by);
        if (o->message)
                json_object_set_new(hist, "comment", json_string(o->message));
        root = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[o]}", "architecture", arch, "os", "linux",
                         "created", now, "config", cfg, "rootfs", "type", "layers", "diff_ids", diff_id,
                         "history", hist);
        *ret = jsonh_dump(root, false);
        return 0;
}

typedef struct import_ctx {
        image_store *s;
        const image_import_options *o;
        char **new_blobs;
        char *layer_digest;
        uint64_t layer_size;
        bool layer_created;
        unpack_result res;
} import_ctx;

/* Read the tarball once: raw bytes into a blob, the unpacked tree into a layer directory. */
static int import_layer(import_ctx *x, berth_error **err)
{
        layer_sink *k = &x->s->sink;
        _cleanup_blob_writer_ blob_writer *w = NULL;
        void *token;
        int dirfd, r;

        r = blob_writer_new(x->s->blobs, NULL, -1, &w, err);
        if (r < 0)
                return r;
        r = k->begin(k->userdata, &dirfd, &token, err);
        if (r < 0)
                return r;
        r = image_unpack_fd(x->o->fd, w, dirfd, &x->res, err);
        if (r >= 0)
                r = blob_writer_commit(w, &x->layer_digest, &x->layer_size, err);
        if (r < 0) {
                k->abort(k->userdata, token);
                return r;
        }
        if (!blob_writer_existed(w))
                strv_push(&x->new_blobs, x->layer_digest);
        if (k->exists(k->userdata, x->res.diff_id)) {
                k->abort(k->userdata, token);
                return 0;
        }
        r = k->commit(k->userdata, token, x->res.diff_id, NULL, &x->res, err);
        x->layer_created = r >= 0;
        return r;
}

static int import_image(import_ctx *x, char **ret_id, berth_error **err)
{
        _cleanup_free_ char *config = NULL, *manifest = NULL, *cdigest = NULL, *mdigest = NULL;
        _cleanup_strv_free_ char **names = NULL;
        descriptor layer = {}, cfg = {};
        int c, r;

        if (x->o->name) {
                _cleanup_image_ref_ image_ref *ref = NULL;
                r = image_ref_parse(x->o->name, &ref, err);
                if (r < 0)
                        return r;
                strv_consume(&names, image_ref_string(ref));
        }
        r = import_layer(x, err);
        if (r < 0)
                return r;
        r = build_config(x->o, x->res.diff_id, &config, err);
        if (r < 0)
                return r;
        r = blob_put(x->s->blobs, config, strlen(config), NULL, &cdigest, err);
        if (r < 0)
                return r;
        strv_push(&x->new_blobs, cdigest);
        r = image_blob_compression(x->s->blobs, x->layer_digest, &c, err);
        if (r < 0)
                return r;
        cfg = (descriptor){
                .media_type = (char *)MT_OCI_CONFIG, .digest = cdigest, .size = (int64_t)strlen(config)};
        layer = (descriptor){.media_type = (char *)oci_layer_type(c),
                             .digest = x->layer_digest,
                             .size = (int64_t)x->layer_size};
        manifest = manifest_build(MT_OCI_MANIFEST, &cfg, &layer, 1);
        r = blob_put(x->s->blobs, manifest, strlen(manifest), NULL, &mdigest, err);
        if (r < 0)
                return r;
        strv_push(&x->new_blobs, mdigest);
        return image_store_commit(x->s, mdigest, names, ret_id, err);
}

int image_import(image_store *s, const image_import_options *o, char **ret_id, berth_error **err)
{
        import_ctx x = {.s = s, .o = o};
        int r = import_image(&x, ret_id, err);

        if (r < 0) {
                image_store_gc_blobs(s, x.new_blobs);
                if (x.layer_created)
                        s->sink.remove(s->sink.userdata, x.res.diff_id, NULL);
        }
        free(x.layer_digest);
        strv_free(x.new_blobs);
        return r;
}
