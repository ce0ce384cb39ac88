/* Manifest and index parsing, platform selection, and manifest writing. */
#include <inttypes.h>
#include <string.h>
#include <sys/utsname.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "digest.h"
#include "manifest.h"

#define MANIFEST_MAX_LAYERS 1024

static void descriptor_clear(descriptor *d)
{
        free(d->media_type);
        free(d->digest);
        free(d->os);
        free(d->arch);
        free(d->variant);
        free(d->ref_name);
        memset(d, 0, sizeof(*d));
}

static int parse_platform(json_t *obj, const char *path, descriptor *d, berth_error **err)
{
        _cleanup_free_ char *pp = jsonh_path_key(path, "platform");
        json_t *p = NULL;
        int r;

        r = jsonh_get_object(obj, path, "platform", false, &p, err);
        if (r < 0 || !p)
                return r;
        r = jsonh_get_string(p, pp, "os", true, &d->os, err);
        if (r < 0)
                return r;
        r = jsonh_get_string(p, pp, "architecture", true, &d->arch, err);
        if (r < 0)
                return r;
        return jsonh_get_string(p, pp, "variant", false, &d->variant, err);
}

static int parse_ref_name(json_t *obj, const char *path, descriptor *d, berth_error **err)
{
        json_t *ann = NULL;
        int r;

        r = jsonh_get_object(obj, path, "annotations", false, &ann, err);
        if (r < 0 || !ann)
                return r;
        json_t *v = json_object_get(ann, "io.containerd.image.name");
        if (!json_is_string(v))
                v = json_object_get(ann, "org.opencontainers.image.ref.name");
        if (json_is_string(v))
                d->ref_name = xstrdup(json_string_value(v));
        return 0;
}

static int parse_descriptor(json_t *obj, const char *path, bool with_platform, descriptor *d,
                            berth_error **err)
{
        int r;

        if (!json_is_object(obj))
                return berth_error_set(err, 0, "%s: expected object, got %s", path, jsonh_type_name(obj));
        r = jsonh_get_string(obj, path, "mediaType", true, &d->media_type, err);
        if (r < 0)
                return r;
        r = jsonh_get_string(obj, path, "digest", true, &d->digest, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dp = jsonh_path_key(path, "digest");
        r = digest_check(d->digest, dp, err);
        if (r < 0)
                return r;
        r = jsonh_get_int_range(obj, path, "size", true, 0, INT64_MAX, &d->size, err);
        if (r < 0)
                return r;
        if (with_platform) {
                r = parse_platform(obj, path, d, err);
                if (r < 0)
                        return r;
        }
        return parse_ref_name(obj, path, d, err);
}

static int parse_descriptor_array(json_t *root, const char *key, bool with_platform, descriptor **ret,
                                  size_t *ret_n, berth_error **err)
{
        json_t *arr = NULL, *v;
        descriptor *ds;
        size_t i;
        int r;

        r = jsonh_get_array(root, "", key, true, &arr, err);
        if (r < 0)
                return r;
        if (json_array_size(arr) > MANIFEST_MAX_LAYERS)
                return berth_error_set(err, 0, "%s: more than %d entries", key, MANIFEST_MAX_LAYERS);
        ds = xcalloc(json_array_size(arr) + 1, sizeof(*ds));
        json_array_foreach (arr, i, v) {
                _cleanup_free_ char *p = jsonh_path_index(key, i);
                r = parse_descriptor(v, p, with_platform, &ds[i], err);
                if (r < 0) {
                        for (size_t j = 0; j <= i; j++)
                                descriptor_clear(&ds[j]);
                        free(ds);
                        return r;
                }
        }
        *ret = ds;
        *ret_n = json_array_size(arr);
        return 0;
}

static int check_schema(json_t *root, berth_error **err)
{
        int64_t v;
        int r = jsonh_get_int64(root, "", "schemaVersion", true, &v, err);

        if (r < 0)
                return r;
        if (v != 2)
                return berth_error_set(err, 0, "schemaVersion: unsupported version %" PRId64, v);
        return 0;
}

static bool is_manifest_type(const char *t)
{
        return streq(t, MT_OCI_MANIFEST) || streq(t, MT_DOCKER_MANIFEST);
}

static bool is_index_type(const char *t)
{
        return streq(t, MT_OCI_INDEX) || streq(t, MT_DOCKER_LIST);
}

/* mediaType from the document, else the hint, else from the shape (OCI allows it missing). */
static int document_media_type(json_t *root, const char *hint, char **ret, berth_error **err)
{
        _cleanup_free_ char *t = NULL;
        int r = jsonh_get_string(root, "", "mediaType", false, &t, err);

        if (r < 0)
                return r;
        if (!t && hint)
                t = xstrdup(hint);
        if (!t)
                t = xstrdup(json_object_get(root, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST);
        if (!is_manifest_type(t) && !is_index_type(t))
                return berth_error_set(err, 0, "mediaType: unknown media type \"%s\"", t);
        *ret = TAKE_PTR(t);
        return 0;
}

int manifest_kind(const char *buf, size_t len, const char *hint, enum manifest_kind *ret, berth_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        _cleanup_free_ char *t = NULL;
        int r;

        r = jsonh_parse(buf, len, "manifest", &root, err);
        if (r < 0)
                return r;
        if (!json_is_object(root))
                return berth_error_set(err, 0, "manifest: expected object, got %s", jsonh_type_name(root));
        r = document_media_type(root, hint, &t, err);
        if (r < 0)
                return berth_error_wrap(err, "manifest");
        *ret = is_index_type(t) ? MANIFEST_KIND_INDEX : MANIFEST_KIND_IMAGE;
        return 0;
}

static int parse_manifest_json(json_t *root, const char *hint, image_manifest *m, berth_error **err)
{
        json_t *cfg = NULL;
        int r;

        if (!json_is_object(root))
                return berth_error_set(err, 0, "expected object, got %s", jsonh_type_name(root));
        r = check_schema(root, err);
        if (r < 0)
                return r;
        r = document_media_type(root, hint, &m->media_type, err);
        if (r < 0)
                return r;
        if (!is_manifest_type(m->media_type))
                return berth_error_set(err, 0, "mediaType: \"%s\" is not an image manifest", m->media_type);
        r = jsonh_get_object(root, "", "config", true, &cfg, err);
        if (r < 0)
                return r;
        r = parse_descriptor(cfg, "config", false, &m->config, err);
        if (r < 0)
                return r;
        if (!streq(m->config.media_type, MT_OCI_CONFIG) && !streq(m->config.media_type, MT_DOCKER_CONFIG))
                return berth_error_set(err, 0, "config.mediaType: unknown media type \"%s\"",
                                       m->config.media_type);
        r = parse_descriptor_array(root, "layers", false, &m->layers, &m->n_layers, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_layers; i++) {
                enum layer_compression c;
                r = layer_media_type_compression(m->layers[i].media_type, &c, err);
                if (r < 0)
                        return berth_error_wrap(err, "layers[%zu].mediaType", i);
        }
        return 0;
}

int manifest_parse(const char *buf, size_t len, const char *hint, image_manifest **ret, berth_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        image_manifest *m;
        int r;

        r = jsonh_parse(buf, len, "manifest", &root, err);
        if (r < 0)
                return r;
        m = xcalloc(1, sizeof(*m));
        r = parse_manifest_json(root, hint, m, err);
        if (r < 0) {
                manifest_free(m);
                return berth_error_wrap(err, "manifest");
        }
        *ret = m;
        return 0;
}

void manifest_free(image_manifest *m)
{
        if (!m)
                return;
        free(m->media_type);
        descriptor_clear(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                descriptor_clear(&m->layers[i]);
        free(m->layers);
        free(m);
}

static int parse_index_json(json_t *root, const char *hint, image_index *idx, berth_error **err)
{
        int r;

        if (!json_is_object(root))
                return berth_error_set(err, 0, "expected object, got %s", jsonh_type_name(root));
        r = check_schema(root, err);
        if (r < 0)
                return r;
        r = document_media_type(root, hint, &idx->media_type, err);
        if (r < 0)
                return r;
        if (!is_index_type(idx->media_type))
                return berth_error_set(err, 0, "mediaType: \"%s\" is not an index", idx->media_type);
        return parse_descriptor_array(root, "manifests", true, &idx->manifests, &idx->n_manifests, err);
}

int index_parse(const char *buf, size_t len, const char *hint, image_index **ret, berth_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        image_index *idx;
        int r;

        r = jsonh_parse(buf, len, "index", &root, err);
        if (r < 0)
                return r;
        idx = xcalloc(1, sizeof(*idx));
        r = parse_index_json(root, hint, idx, err);
        if (r < 0) {
                index_free(idx);
                return berth_error_wrap(err, "index");
        }
        *ret = idx;
        return 0;
}

void index_free(image_index *idx)
{
        if (!idx)
                return;
        free(idx->media_type);
        for (size_t i = 0; i < idx->n_manifests; i++)
                descriptor_clear(&idx->manifests[i]);
        free(idx->manifests);
        free(idx);
}

static const char *go_arch(const char *machine, const char **variant)
{
        *variant = NULL;
        if (streq(machine, "x86_64"))
                return "amd64";
        if (streq(machine, "aarch64")) {
                *variant = "v8";
                return "arm64";
        }
        if (streq(machine, "armv7l")) {
                *variant = "v7";
                return "arm";
        }
        if (streq(machine, "i686") || streq(machine, "i386"))
                return "386";
        return machine;
}

char *platform_default(void)
{
        struct utsname u;
        const char *variant, *arch;

        if (uname(&u) < 0)
                return xstrdup("linux/amd64");
        arch = go_arch(u.machine, &variant);
        return variant ? xasprintf("linux/%s/%s", arch, variant) : xasprintf("linux/%s", arch);
}

static bool platform_matches(const descriptor *d, const char *os, const char *arch, const char *variant)
{
        if (!d->os || !d->arch || !streq(d->os, os) || !streq(d->arch, arch))
                return false;
        /* A missing variant on either side matches (arm64 images rarely carry "v8"). */
        return !variant || !d->variant || streq(variant, d->variant);
}

int index_select_platform(const image_index *idx, const char *platform, const descriptor **ret,
                          berth_error **err)
{
        _cleanup_free_ char *def = platform ? NULL : platform_default();
        _cleanup_strv_free_ char **parts = strv_split(platform ? platform : def, "/");

        if (strv_length(parts) < 2 || strv_length(parts) > 3)
                return berth_error_set(err, 0, "invalid platform \"%s\": expected os/arch[/variant]",
                                       platform ? platform : def);
        for (size_t i = 0; i < idx->n_manifests; i++) {
                const descriptor *d = &idx->manifests[i];
                if (!is_manifest_type(d->media_type) && !is_index_type(d->media_type))
                        continue;
                if (platform_matches(d, parts[0], parts[1], parts[2])) {
                        *ret = d;
                        return 0;
                }
        }
        return berth_error_set(err, ENOENT, "no image for platform %s in the index",
                               platform ? platform : def);
}

int layer_media_type_compression(const char *t, enum layer_compression *ret, berth_error **err)
{
        if (streq(t, MT_OCI_LAYER) || streq(t, MT_DOCKER_LAYER))
                *ret = LAYER_TAR;
        else if (streq(t, MT_OCI_LAYER_GZIP) || streq(t, MT_DOCKER_LAYER_GZIP) ||
                 streq(t, MT_DOCKER_LAYER_FOREIGN) ||
                 streq(t, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))
                *ret = LAYER_GZIP;
        else if (streq(t, MT_OCI_LAYER_ZSTD))
                *ret = LAYER_ZSTD;
        else
                return berth_error_set(err, 0, "unknown layer media type \"%s\"", t);
        return 0;
}

static json_t *descriptor_json(const descriptor *d)
{
        return json_pack("{s:s, s:I, s:s}", "mediaType", d->media_type, "size", (json_int_t)d->size,
                         "digest", d->digest);
}

char *manifest_build(const char *media_type, const descriptor *config, const descriptor *layers, size_t n)
{
        _cleanup_json_ json_t *root = json_object();
        json_t *arr = json_array();

        json_object_set_new(root, "schemaVersion", json_integer(2));
        json_object_set_new(root, "mediaType", json_string(media_type));
        json_object_set_new(root, "config", descriptor_json(config));
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, descriptor_json(&layers[i]));
        json_object_set_new(root, "layers", arr);
        return jsonh_dump(root, false);
}
