/* Deriving images: the parent's config document is copied and changed (config, rootfs.diff_ids,
 * history, created), its layer descriptors kept, and an OCI manifest written over both. */
#include <string.h>
#include <time.h>

#include "archives.h"
#include "basic/jsonh.h"
#include "config.h"
#include "derive.h"
#include "manifest.h"

#define MANIFEST_MAX (4 * 1024 * 1024)

static const char *oci_layer_type(int c)
{
        return c == LAYER_GZIP ? MT_OCI_LAYER_GZIP : c == LAYER_ZSTD ? MT_OCI_LAYER_ZSTD : MT_OCI_LAYER;
}

static char *host_arch(void)
{
        _cleanup_free_ char *p = platform_default();
        char *slash = strchr(p, '/');
        char *arch = xstrdup(slash ? slash + 1 : "amd64");

        arch[strcspn(arch, "/")] = 0;
        return arch;
}

/* The parent's config document and manifest (NULLs for scratch). */
static int load_parent(image_store *s, const char *parent, json_t **ret_doc, image_manifest **ret_m,
                       berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_image_config_ image_config *c = NULL;
        _cleanup_free_ char *mbuf = NULL;
        size_t mlen;
        int r;

        if (!parent) {
                _cleanup_free_ char *arch = host_arch();
                *ret_doc = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture", arch, "os",
                                     "linux", "config", "rootfs", "type", "layers", "diff_ids", "history");
                *ret_m = NULL;
                return 0;
        }
        r = image_store_get(s, parent, &img, err);
        if (r >= 0)
                r = image_store_config(s, img, &c, err);
        if (r >= 0)
                r = blob_read(s->blobs, img->manifest_digest, MANIFEST_MAX, &mbuf, &mlen, err);
        if (r >= 0)
                r = manifest_parse(mbuf, mlen, img->manifest_media_type, ret_m, err);
        if (r < 0)
                return berth_error_wrap(err, "image %.19s", parent);
        *ret_doc = json_deep_copy(c->json);
        return 0;
}

int image_derive_parent_config(image_store *s, const char *parent, json_t **ret, berth_error **err)
{
        _cleanup_json_ json_t *doc = NULL;
        image_manifest *m = NULL;
        json_t *cfg;
        int r = load_parent(s, parent, &doc, &m, err);

        if (r < 0)
                return r;
        manifest_free(m);
        cfg = json_object_get(doc, "config");
        *ret = json_is_object(cfg) ? json_incref(cfg) : json_object();
        return 0;
}

static void add_history(json_t *doc, const image_derive_options *o, const char *now)
{
        json_t *hist = json_object_get(doc, "history"), *h;

        if (!json_is_array(hist)) {
                hist = json_array();
                json_object_set_new(doc, "history", hist);
        }
        h = json_pack("{s:s}", "created", now);
        if (o->author)
                json_object_set_new(h, "author", json_string(o->author));
        if (o->created_by)
                json_object_set_new(h, "created_by", json_string(o->created_by));
        if (o->comment)
                json_object_set_new(h, "comment", json_string(o->comment));
        if (!o->layer_digest)
                json_object_set_new(h, "empty_layer", json_true());
        json_array_append_new(hist, h);
}

/* The new document: the parent's, changed. */
static json_t *derive_doc(json_t *doc, const image_derive_options *o)
{
        _cleanup_free_ char *now = image_time_format((int64_t)time(NULL));
        json_t *rootfs = json_object_get(doc, "rootfs");

        if (o->config)
                json_object_set(doc, "config", o->config);
        if (o->layer_digest)
                json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(o->diff_id));
        json_object_set_new(doc, "created", json_string(now));
        if (o->author)
                json_object_set_new(doc, "author", json_string(o->author));
        json_object_del(doc, "container");
        json_object_del(doc, "container_config");
        add_history(doc, o, now);
        return doc;
}

static int layer_descriptors(image_store *s, const image_manifest *m, const image_derive_options *o,
                             descriptor **ret, size_t *ret_n, berth_error **err)
{
        size_t n = m ? m->n_layers : 0;
        descriptor *l = xcalloc(n + 1, sizeof(*l));
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                enum layer_compression c;
                r = layer_media_type_compression(m->layers[i].media_type, &c, err);
                if (r < 0)
                        break;
                l[i] = (descriptor){.media_type = (char *)oci_layer_type(c),
                                    .digest = m->layers[i].digest,
                                    .size = m->layers[i].size};
        }
        if (r >= 0 && o->layer_digest) {
                uint64_t size;
                int c;
                r = blob_size(s->blobs, o->layer_digest, &size, err);
                if (r >= 0)
                        r = image_blob_compression(s->blobs, o->layer_digest, &c, err);
                if (r >= 0)
                        l[n++] = (descriptor){.media_type = (char *)oci_layer_type(c),
                                              .digest = (char *)o->layer_digest,
                                              .size = (int64_t)size};
        }
        if (r < 0) {
                free(l);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int image_derive(image_store *s, const image_derive_options *o, char **ret_id, berth_error **err)
{
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_free_ char *config = NULL, *manifest = NULL, *cdigest = NULL, *mdigest = NULL;
        _cleanup_free_ descriptor *layers = NULL;
        image_manifest *m = NULL;
        descriptor cfg;
        size_t n = 0;
        int r;

        r = load_parent(s, o->parent, &doc, &m, err);
        if (r < 0)
                return r;
        derive_doc(doc, o);
        r = layer_descriptors(s, m, o, &layers, &n, err);
        if (r >= 0) {
                config = jsonh_dump(doc, false);
                r = blob_put(s->blobs, config, strlen(config), NULL, &cdigest, err);
        }
        if (r >= 0) {
                cfg = (descriptor){.media_type = (char *)MT_OCI_CONFIG,
                                   .digest = cdigest,
                                   .size = (int64_t)strlen(config)};
                manifest = manifest_build(MT_OCI_MANIFEST, &cfg, layers, n);
                r = blob_put(s->blobs, manifest, strlen(manifest), NULL, &mdigest, err);
        }
        if (r >= 0)
                r = image_store_commit(s, mdigest, o->names, ret_id, err);
        manifest_free(m);
        return r;
}
