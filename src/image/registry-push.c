/* registry_push: the stored image's blobs (skipped when the registry has them, mounted from
 * another repository of the same registry when it offers that, otherwise uploaded in chunks),
 * then its manifest under the tag. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "manifest.h"
#include "reference.h"
#include "registry-internal.h"

#define CHUNK_SIZE (16 * 1024 * 1024)

typedef struct push_ctx {
        image_store *s;
        registry_client *c;
        const registry_options *o;
        image_record *img;
} push_ctx;

static void push_progress(push_ctx *x, const char *digest, const char *status, uint64_t done, uint64_t total)
{
        if (x->o && x->o->progress)
                x->o->progress(x->o->progress_userdata, digest, status, done, total);
}

static int blob_known(push_ctx *x, const char *digest, bool *ret, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", x->c->repo, digest);
        registry_response resp = {};
        int r = registry_do(x->c, &(registry_request){.method = "HEAD", .url = path}, &resp, err);

        if (r >= 0 && resp.status != 200 && resp.status != 404)
                r = registry_status_error(&resp, digest, err);
        if (r >= 0)
                *ret = resp.status == 200;
        registry_response_done(&resp);
        return r;
}

/* Another repository on this registry that the image came from or went to. */
static char *mount_source(push_ctx *x)
{
        for (char **n = x->img->names; n && *n; n++) {
                _cleanup_image_ref_ image_ref *ref = NULL;
                if (image_ref_parse(*n, &ref, NULL) < 0)
                        continue;
                if (streq(registry_host_for_domain(ref->domain), x->c->host) &&
                    !streq(ref->path, x->c->repo))
                        return xstrdup(ref->path);
        }
        return NULL;
}

/* Start an upload (or mount): 1 when the blob was mounted, 0 with the upload's location. */
static int upload_start(push_ctx *x, const char *digest, char **ret_location, berth_error **err)
{
        _cleanup_free_ char *from = mount_source(x), *path = NULL;
        registry_response resp = {};
        int r;

        path = from ? xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", x->c->repo, digest, from)
                    : xasprintf("/v2/%s/blobs/uploads/", x->c->repo);
        r = registry_do(x->c, &(registry_request){.method = "POST", .url = path}, &resp, err);
        if (r >= 0 && resp.status == 201) {
                registry_response_done(&resp);
                return 1;
        }
        if (r >= 0 && (resp.status != 202 || !resp.location))
                r = registry_status_error(&resp, digest, err);
        if (r >= 0)
                *ret_location = TAKE_PTR(resp.location);
        registry_response_done(&resp);
        return r;
}

static int upload_chunks(push_ctx *x, const char *digest, int fd, uint64_t total, char **location,
                         berth_error **err)
{
        _cleanup_free_ char *buf = xmalloc(CHUNK_SIZE);
        uint64_t done = 0;
        ssize_t n;

        while ((n = fs_read_all(fd, buf, CHUNK_SIZE)) > 0) {
                _cleanup_free_ char *range = xasprintf("%llu-%llu", (unsigned long long)done,
                                                       (unsigned long long)(done + (uint64_t)n - 1));
                registry_request q = {.method = "PATCH",
                                      .url = *location,
                                      .content_type = "application/octet-stream",
                                      .content_range = range,
                                      .body = buf,
                                      .body_len = (size_t)n};
                registry_response resp = {};
                int r = registry_do(x->c, &q, &resp, err);
                if (r >= 0 && (resp.status != 202 || !resp.location))
                        r = registry_status_error(&resp, digest, err);
                if (r >= 0) {
                        free(*location);
                        *location = TAKE_PTR(resp.location);
                }
                registry_response_done(&resp);
                if (r < 0)
                        return r;
                done += (uint64_t)n;
                push_progress(x, digest, "Pushing", done, total);
        }
        if (n < 0)
                return berth_error_set(err, errno, "read blob %s", digest);
        return 0;
}

static int upload_finish(push_ctx *x, const char *digest, const char *location, berth_error **err)
{
        _cleanup_free_ char *url =
                xasprintf("%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
        registry_response resp = {};
        int r = registry_do(
                x->c,
                &(registry_request){.method = "PUT", .url = url, .content_type = "application/octet-stream"},
                &resp, err);

        if (r >= 0 && resp.status != 201)
                r = registry_status_error(&resp, digest, err);
        registry_response_done(&resp);
        return r;
}

static int push_blob(push_ctx *x, const char *digest, berth_error **err)
{
        _cleanup_free_ char *location = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint64_t size = 0;
        bool known = false;
        int r;

        r = blob_known(x, digest, &known, err);
        if (r < 0 || known) {
                if (known)
                        push_progress(x, digest, "Layer already exists", 0, 0);
                return r;
        }
        r = upload_start(x, digest, &location, err);
        if (r != 0) {
                if (r > 0)
                        push_progress(x, digest, "Mounted from another repository", 0, 0);
                return r < 0 ? r : 0;
        }
        fd = blob_open(x->s->blobs, digest, err);
        if (fd < 0)
                return fd;
        r = blob_size(x->s->blobs, digest, &size, err);
        if (r >= 0)
                r = upload_chunks(x, digest, fd, size, &location, err);
        if (r >= 0)
                r = upload_finish(x, digest, location, err);
        if (r >= 0)
                push_progress(x, digest, "Pushed", size, size);
        return r;
}

static int push_manifest(push_ctx *x, const image_ref *ref, const char *buf, size_t len, const char *type,
                         berth_error **err)
{
        _cleanup_free_ char *path =
                xasprintf("/v2/%s/manifests/%s", x->c->repo, ref->tag ? ref->tag : ref->digest);
        registry_request q = {
                .method = "PUT", .url = path, .content_type = type, .body = buf, .body_len = len};
        registry_response resp = {};
        int r = registry_do(x->c, &q, &resp, err);

        if (r >= 0 && resp.status != 201)
                r = registry_status_error(&resp, path, err);
        registry_response_done(&resp);
        return r;
}

static int push_image(push_ctx *x, const image_ref *ref, char **ret_digest, berth_error **err)
{
        _cleanup_manifest_ image_manifest *m = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = blob_read(x->s->blobs, x->img->manifest_digest, 4 * 1024 * 1024, &buf, &len, err);
        if (r >= 0)
                r = manifest_parse(buf, len, NULL, &m, err);
        for (size_t i = 0; r >= 0 && i < m->n_layers; i++)
                r = push_blob(x, m->layers[i].digest, err);
        if (r >= 0)
                r = push_blob(x, m->config.digest, err);
        if (r >= 0)
                r = push_manifest(x, ref, buf, len, m->media_type, err);
        if (r >= 0 && ret_digest)
                *ret_digest = xstrdup(x->img->manifest_digest);
        return r;
}

int registry_push(image_store *s, const char *reference, const registry_options *o, char **ret_digest,
                  berth_error **err)
{
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_registry_client_ registry_client *c = NULL;
        int r;

        r = image_ref_parse(reference, &ref, err);
        if (r < 0)
                return r;
        r = image_store_resolve(s, reference, &img, err);
        if (r < 0)
                return r;
        r = registry_client_new(ref->domain, ref->path, o, &c, err);
        if (r < 0)
                return r;
        push_ctx x = {.s = s, .c = c, .o = o, .img = img};
        r = push_image(&x, ref, ret_digest, err);
        return r < 0 ? berth_error_wrap(err, "push %s", reference) : 0;
}
