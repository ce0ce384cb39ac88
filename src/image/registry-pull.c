/* registry_pull: resolve a reference to a manifest (an index to the platform's entry), fetch the
 * config, then the layers in parallel. Each layer streams from curl straight into the unpacker,
 * which tees the raw bytes into a resumable blob writer: one pass over the network, one write of
 * the blob and one of the layer, the digest checked at the end before anything gets its name. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/jsonh.h"
#include "config.h"
#include "digest.h"
#include "manifest.h"
#include "reference.h"
#include "registry-internal.h"

#define MANIFEST_ACCEPT MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST ", " MT_DOCKER_LIST
#define PULL_WORKERS    6
#define BUFFER_HIGH     (8 * 1024 * 1024) /* pause a transfer whose consumer lags this far */

typedef struct pull_ctx {
        image_store *s;
        registry_client *c;
        const registry_options *o;
        image_manifest *m;
        image_config *cfg;
        char **chain_ids;
        char **added; /* blobs this pull stored before the image existed: removed on failure */
        pthread_mutex_t progress_lock;
} pull_ctx;

static void progress(pull_ctx *x, const char *digest, const char *status, uint64_t done, uint64_t total)
{
        if (!x->o || !x->o->progress)
                return;
        pthread_mutex_lock(&x->progress_lock);
        x->o->progress(x->o->progress_userdata, digest, status, done, total);
        pthread_mutex_unlock(&x->progress_lock);
}

/* ---- manifests ---- */

static int fetch_manifest(registry_client *c, const char *ref, char **ret, size_t *ret_len,
                          char **ret_digest, char **ret_type, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", c->repo, ref), *what = NULL;
        registry_request q = {.method = "GET", .url = path, .accept = MANIFEST_ACCEPT};
        registry_response resp = {};
        char *digest;
        int r;

        r = registry_do(c, &q, &resp, err);
        if (r < 0)
                return r;
        if (resp.status != 200) {
                what = xasprintf("%s/%s:%s", c->host, c->repo, ref);
                if (strchr(ref, ':'))
                        what[strlen(c->host) + 1 + strlen(c->repo)] = '@';
                r = registry_status_error(&resp, what, err);
                registry_response_done(&resp);
                return r;
        }
        digest = digest_buffer(resp.body ? resp.body : "", resp.len);
        if (digest_is_valid(ref) && !streq(ref, digest)) {
                r = registry_fail(err, EINVAL, "manifest %s: content has digest %s", ref, digest);
                free(digest);
                registry_response_done(&resp);
                return r;
        }
        *ret = resp.body ? TAKE_PTR(resp.body) : xstrdup("");
        *ret_len = resp.len;
        *ret_digest = digest;
        *ret_type = TAKE_PTR(resp.content_type);
        registry_response_done(&resp);
        return 0;
}

/* The image manifest for the reference: through an index to the platform's entry. */
static int resolve_manifest(pull_ctx *x, const image_ref *ref, char **ret, size_t *ret_len,
                            char **ret_digest, berth_error **err)
{
        _cleanup_free_ char *buf = NULL, *digest = NULL, *type = NULL;
        _cleanup_index_ image_index *idx = NULL;
        const descriptor *d;
        enum manifest_kind kind;
        size_t len;
        int r;

        r = fetch_manifest(x->c, ref->digest ? ref->digest : ref->tag, &buf, &len, &digest, &type, err);
        if (r < 0)
                return r;
        r = manifest_kind(buf, len, type, &kind, err);
        if (r < 0)
                return berth_error_wrap(err, "%s/%s", x->c->host, x->c->repo);
        if (kind == MANIFEST_KIND_INDEX) {
                r = index_parse(buf, len, type, &idx, err);
                if (r >= 0)
                        r = index_select_platform(idx, x->o ? x->o->platform : NULL, &d, err);
                if (r < 0)
                        return berth_error_wrap(err, "%s/%s", x->c->host, x->c->repo);
                free(TAKE_PTR(buf));
                free(TAKE_PTR(digest));
                free(TAKE_PTR(type));
                r = fetch_manifest(x->c, d->digest, &buf, &len, &digest, &type, err);
                if (r < 0)
                        return r;
        }
        r = manifest_parse(buf, len, type, &x->m, err);
        if (r < 0)
                return berth_error_wrap(err, "%s/%s", x->c->host, x->c->repo);
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        *ret_digest = TAKE_PTR(digest);
        return 0;
}

static int fetch_config(pull_ctx *x, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", x->c->repo, x->m->config.digest);
        registry_request q = {.method = "GET", .url = path, .max_body = 32 * 1024 * 1024};
        registry_response resp = {};
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        if (!blob_exists(x->s->blobs, x->m->config.digest))
                strv_push(&x->added, x->m->config.digest);
        else {
                r = blob_read(x->s->blobs, x->m->config.digest, 32 * 1024 * 1024, &buf, &len, err);
                return r < 0 ? r : image_config_parse(buf, len, &x->cfg, err);
        }
        r = registry_do(x->c, &q, &resp, err);
        if (r >= 0 && resp.status != 200)
                r = registry_status_error(&resp, x->m->config.digest, err);
        if (r >= 0)
                r = blob_put(x->s->blobs, resp.body ? resp.body : "", resp.len, x->m->config.digest, NULL,
                             err);
        if (r >= 0)
                r = image_config_parse(resp.body ? resp.body : "", resp.len, &x->cfg, err);
        registry_response_done(&resp);
        return r;
}

/* ---- one layer ---- */

typedef struct layer_job {
        pull_ctx *x;
        size_t i;
        const descriptor *d;
        blob_writer *w;
        uint64_t pos;  /* bytes handed on: where a retry's Range starts */
        uint64_t skip; /* a server that ignored our Range: bytes to drop */
        CURLM *multi;
        CURL *easy;
        struct curl_slist *headers;
        char *buf;
        size_t len, off;
        char *errbody;
        size_t errlen;
        bool running, paused, fresh;
        CURLcode result;
        long status;
        unsigned attempts;
        bool created;
        berth_error *err;
        int r;
} layer_job;

static size_t on_data(char *data, size_t size, size_t n, void *userdata)
{
        layer_job *j = userdata;
        size_t len = size * n;

        if (j->fresh) {
                j->fresh = false;
                curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->status);
                j->skip = j->status == 200 ? j->pos : 0;
        }
        if (j->status != 200 && j->status != 206) {
                if (j->errlen + len < 65536) {
                        j->errbody = xrealloc(j->errbody, j->errlen + len + 1);
                        memcpy(j->errbody + j->errlen, data, len);
                        j->errlen += len;
                        j->errbody[j->errlen] = 0;
                }
                return len;
        }
        if (j->len - j->off > BUFFER_HIGH) {
                j->paused = true;
                return CURL_WRITEFUNC_PAUSE;
        }
        size_t drop = j->skip < len ? (size_t)j->skip : len;
        j->skip -= drop;
        if (j->off > 0 && j->off == j->len)
                j->off = j->len = 0;
        j->buf = xrealloc(j->buf, j->len + len - drop);
        memcpy(j->buf + j->len, data + drop, len - drop);
        j->len += len - drop;
        return len;
}

static void job_start(layer_job *j)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", j->x->c->repo, j->d->digest);
        _cleanup_free_ char *url = registry_url(j->x->c, path);
        char range[64];

        j->easy = registry_easy(j->x->c, url, &j->headers);
        curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
        curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
        if (j->pos > 0) {
                snprintf(range, sizeof(range), "%llu-", (unsigned long long)j->pos);
                curl_easy_setopt(j->easy, CURLOPT_RANGE, range);
        }
        j->fresh = true;
        j->status = 0;
        j->running = true;
        free(TAKE_PTR(j->errbody));
        j->errlen = 0;
        curl_multi_add_handle(j->multi, j->easy);
}

static void job_stop(layer_job *j)
{
        if (j->easy) {
                curl_multi_remove_handle(j->multi, j->easy);
                curl_easy_cleanup(j->easy);
        }
        curl_slist_free_all(j->headers);
        j->easy = NULL;
        j->headers = NULL;
        j->running = false;
}

/* A finished transfer: 0 complete, 1 try again (from pos), negative an error in j->err. */
static int job_finished(layer_job *j)
{
        registry_response resp = {.status = j->status, .body = j->errbody, .len = j->errlen};
        bool complete = j->d->size < 0 || j->pos >= (uint64_t)j->d->size;
        int r;

        if (j->status == 0)
                curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->status);
        resp.status = j->status;
        job_stop(j);
        if (j->result == CURLE_OK && (j->status == 200 || j->status == 206) && complete)
                return 0;
        if (j->result == CURLE_OK && j->status >= 400 && j->status < 500 && j->status != 429) {
                r = registry_status_error(&resp, j->d->digest, &j->err);
                return r;
        }
        if (++j->attempts > REGISTRY_RETRIES) {
                if (j->result != CURLE_OK)
                        return registry_fail(&j->err, EIO, "blob %s: %s", j->d->digest,
                                             j->result == CURLE_OPERATION_TIMEDOUT
                                                     ? "timed out: the registry does not answer"
                                                     : curl_easy_strerror(j->result));
                return registry_fail(&j->err, EIO, "blob %s: HTTP %ld after %u tries", j->d->digest,
                                     j->status, j->attempts);
        }
        registry_backoff(j->attempts);
        return 1;
}

static ssize_t job_read(void *userdata, void *out, size_t n)
{
        layer_job *j = userdata;

        for (;;) {
                if (j->off < j->len) {
                        size_t m = j->len - j->off < n ? j->len - j->off : n;
                        memcpy(out, j->buf + j->off, m);
                        j->off += m;
                        j->pos += m;
                        progress(j->x, j->d->digest, "Downloading", j->pos, (uint64_t)j->d->size);
                        return (ssize_t)m;
                }
                if (j->paused) {
                        j->paused = false;
                        curl_easy_pause(j->easy, CURLPAUSE_CONT);
                        continue;
                }
                if (!j->running) {
                        int r = job_finished(j);
                        if (r == 0)
                                return 0;
                        if (r < 0)
                                return -EIO;
                        job_start(j);
                        continue;
                }
                int still = 0;
                CURLMsg *msg;
                curl_multi_perform(j->multi, &still);
                while ((msg = curl_multi_info_read(j->multi, &still)))
                        if (msg->msg == CURLMSG_DONE) {
                                j->result = msg->data.result;
                                j->running = false;
                        }
                if (j->running && j->off == j->len && !j->paused)
                        curl_multi_poll(j->multi, NULL, 0, 1000, NULL);
        }
}

static int job_copy(layer_job *j, berth_error **err)
{
        _cleanup_free_ char *buf = xmalloc(256 * 1024);
        ssize_t n;

        while ((n = job_read(j, buf, 256 * 1024)) > 0) {
                int r = blob_writer_write(j->w, buf, (size_t)n, err);
                if (r < 0)
                        return r;
        }
        if (n < 0)
                return registry_fail(err, EIO, "blob %s: download failed", j->d->digest);
        return 0;
}

/* Stream into the unpacker, which tees into the blob writer; the layer is committed only when
 * the blob's digest and the diff id both check out. */
static int job_unpack(layer_job *j, berth_error **err)
{
        layer_sink *k = &j->x->s->sink;
        const char *chain = j->x->chain_ids[j->i], *diff_id = j->x->cfg->diff_ids[j->i];
        unpack_result res;
        void *token;
        int dirfd, r;

        r = k->begin(k->userdata, &dirfd, &token, err);
        if (r < 0)
                return r;
        r = image_unpack(job_read, j, j->w, dirfd, &res, err);
        if (r < 0 && !j->err) {
                /* Bytes that are not a layer: when they are not the blob either, say that. */
                berth_error *e = NULL;
                if (job_copy(j, &e) >= 0 && blob_writer_commit(j->w, NULL, NULL, &e) < 0) {
                        berth_error_free(*err);
                        *err = TAKE_PTR(e);
                } else
                        berth_error_wrap(err, "layer %s", j->d->digest);
                berth_error_free(e);
        } else if (r >= 0)
                r = blob_writer_commit(j->w, NULL, NULL, err);
        if (r >= 0 && !streq(res.diff_id, diff_id))
                r = registry_fail(err, EINVAL, "layer %s: content has diff id %s, the config says %s",
                                  j->d->digest, res.diff_id, diff_id);
        if (r < 0) {
                k->abort(k->userdata, token);
                return r;
        }
        r = k->commit(k->userdata, token, chain, j->i > 0 ? j->x->chain_ids[j->i - 1] : NULL, &res, err);
        if (r >= 0)
                j->created = true;
        return r;
}

static int job_run(layer_job *j, berth_error **err)
{
        pull_ctx *x = j->x;
        layer_sink *k = &x->s->sink;
        bool unpack = !k->exists(k->userdata, x->chain_ids[j->i]);
        uint64_t offset = 0;
        int r;

        if (blob_exists(x->s->blobs, j->d->digest)) {
                progress(x, j->d->digest, "Already exists", 0, 0);
                return 0;
        }
        r = blob_writer_resume(x->s->blobs, j->d->digest, j->d->size, &j->w, &offset, err);
        if (r < 0)
                return r;
        j->pos = offset;
        /* All of it arrived last time, only the commit was missing. */
        if (j->d->size >= 0 && offset >= (uint64_t)j->d->size)
                return blob_writer_commit(j->w, NULL, NULL, err);
        j->multi = curl_multi_init();
        job_start(j);
        /* A resumed blob's first part is on disk, not in this stream: the store unpacks it later. */
        if (offset == 0 && unpack)
                r = job_unpack(j, err);
        else {
                r = job_copy(j, err);
                if (r >= 0)
                        r = blob_writer_commit(j->w, NULL, NULL, err);
        }
        if (r < 0 && j->err) {
                berth_error_free(*err);
                *err = TAKE_PTR(j->err);
        }
        if (r >= 0)
                progress(x, j->d->digest, "Pull complete", j->pos, (uint64_t)j->d->size);
        return r;
}

static void job_done(layer_job *j)
{
        job_stop(j);
        if (j->multi)
                curl_multi_cleanup(j->multi);
        blob_writer_free(j->w);
        free(j->buf);
        free(j->errbody);
        berth_error_free(j->err);
}

typedef struct pull_workers {
        layer_job *jobs;
        size_t n, next;
        bool failed;
} pull_workers;

static void *worker_run(void *arg)
{
        pull_workers *p = arg;

        for (;;) {
                size_t k = __atomic_fetch_add(&p->next, 1, __ATOMIC_SEQ_CST);
                if (k >= p->n || __atomic_load_n(&p->failed, __ATOMIC_SEQ_CST))
                        return NULL;
                layer_job *j = &p->jobs[k];
                berth_error *e = NULL;
                j->r = job_run(j, &e);
                if (j->r < 0) {
                        berth_error_free(j->err);
                        j->err = e;
                        __atomic_store_n(&p->failed, true, __ATOMIC_SEQ_CST);
                }
        }
}

static int pull_layers(pull_ctx *x, bool **ret_created, berth_error **err)
{
        size_t n = x->m->n_layers, nw = n < PULL_WORKERS ? n : PULL_WORKERS;
        pull_workers p = {.jobs = xcalloc(n + 1, sizeof(layer_job)), .n = n};
        pthread_t *threads = xcalloc(nw + 1, sizeof(pthread_t));
        bool *created = xcalloc(n + 1, sizeof(bool));
        size_t started = 0;
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                p.jobs[i] = (layer_job){.x = x, .i = i, .d = &x->m->layers[i]};
                progress(x, x->m->layers[i].digest, "Waiting", 0, (uint64_t)x->m->layers[i].size);
        }
        for (size_t i = 0; i < nw; i++)
                if (pthread_create(&threads[i], NULL, worker_run, &p) == 0)
                        started++;
        if (started == 0)
                worker_run(&p);
        for (size_t i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        for (size_t i = 0; i < n; i++) {
                layer_job *j = &p.jobs[i];
                created[i] = j->created;
                if (j->r < 0 && r >= 0) {
                        r = j->r;
                        *err = TAKE_PTR(j->err);
                }
                job_done(j);
        }
        free(threads);
        free(p.jobs);
        *ret_created = created;
        return r;
}

static void undo_layers(pull_ctx *x, const bool *created)
{
        layer_sink *k = &x->s->sink;

        for (size_t i = 0; created && i < x->m->n_layers; i++)
                if (created[i])
                        k->remove(k->userdata, x->chain_ids[i], NULL);
}

static int pull_image(pull_ctx *x, const image_ref *ref, char **ret_id, berth_error **err)
{
        _cleanup_free_ char *mbuf = NULL, *mdigest = NULL, *name = image_ref_string(ref);
        _cleanup_free_ bool *created = NULL;
        char *names[] = {name, NULL};
        size_t mlen = 0, n;
        int r;

        r = resolve_manifest(x, ref, &mbuf, &mlen, &mdigest, err);
        if (r < 0)
                return r;
        progress(x, NULL, mdigest, 0, 0);
        r = fetch_config(x, err);
        if (r < 0)
                return r;
        n = x->m->n_layers;
        if (n != strv_length(x->cfg->diff_ids))
                return registry_fail(err, EINVAL,
                                     "manifest lists %zu layers but the config has %zu diff ids", n,
                                     strv_length(x->cfg->diff_ids));
        if (!blob_exists(x->s->blobs, mdigest))
                strv_push(&x->added, mdigest);
        r = blob_put(x->s->blobs, mbuf, mlen, mdigest, NULL, err);
        if (r < 0)
                return r;
        x->chain_ids = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                x->chain_ids[i] = image_chain_id(i > 0 ? x->chain_ids[i - 1] : NULL, x->cfg->diff_ids[i]);
        r = pull_layers(x, &created, err);
        if (r >= 0)
                r = image_store_commit(x->s, mdigest, names, ret_id, err);
        if (r < 0)
                undo_layers(x, created);
        return r;
}

/* Docker Hub's mirrors from the config ("registry-mirrors": ["http://host:port"]): tried in order,
 * the origin last. */
static char **mirrors_for(const image_ref *ref, const registry_options *o)
{
        const char *path = o && o->config ? o->config : getenv("BERTH_REGISTRIES_CONF");
        _cleanup_json_ json_t *doc = NULL;
        char **l = NULL;
        json_t *v;
        size_t i;

        if (!streq(ref->domain, "docker.io") || !path || !*path)
                return NULL;
        doc = json_load_file(path, 0, NULL);
        json_array_foreach (json_object_get(doc, "registry-mirrors"), i, v) {
                const char *u = json_string_value(v);
                if (!u)
                        continue;
                if (strneq(u, "http://", 7))
                        u += 7;
                else if (strneq(u, "https://", 8))
                        u += 8;
                strv_consume(&l, xstrndup(u, strcspn(u, "/")));
        }
        return l;
}

static int pull_from(image_store *s, const char *domain, const image_ref *ref, const registry_options *o,
                     char **ret_id, berth_error **err)
{
        pull_ctx x = {.s = s, .o = o};
        int r;

        r = registry_client_new(domain, ref->path, o, &x.c, err);
        if (r < 0)
                return r;
        pthread_mutex_init(&x.progress_lock, NULL);
        r = pull_image(&x, ref, ret_id, err);
        if (r < 0 && x.added)
                image_store_gc_blobs(s, x.added);
        pthread_mutex_destroy(&x.progress_lock);
        registry_client_free(x.c);
        manifest_free(x.m);
        image_config_free(x.cfg);
        strv_free(x.chain_ids);
        strv_free(x.added);
        return r;
}

int registry_pull(image_store *s, const char *reference, const registry_options *o, char **ret_image_id,
                  berth_error **err)
{
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_strv_free_ char **mirrors = NULL;
        int r;

        r = image_ref_parse(reference, &ref, err);
        if (r < 0)
                return r;
        mirrors = mirrors_for(ref, o);
        for (size_t i = 0; mirrors && mirrors[i]; i++)
                if (pull_from(s, mirrors[i], ref, o, ret_image_id, NULL) >= 0)
                        return 0;
        return pull_from(s, ref->domain, ref, o, ret_image_id, err);
}

int registry_list_tags(const char *repo, const registry_options *o, char ***ret, berth_error **err)
{
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_registry_client_ registry_client *c = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_json_ json_t *doc = NULL;
        registry_response resp = {};
        char **tags = NULL;
        json_t *v;
        size_t i;
        int r;

        r = image_ref_parse(repo, &ref, err);
        if (r < 0)
                return r;
        r = registry_client_new(ref->domain, ref->path, o, &c, err);
        if (r < 0)
                return r;
        path = xasprintf("/v2/%s/tags/list", ref->path);
        r = registry_do(c, &(registry_request){.method = "GET", .url = path}, &resp, err);
        if (r >= 0 && resp.status != 200)
                r = registry_status_error(&resp, repo, err);
        if (r >= 0)
                r = jsonh_parse(resp.body ? resp.body : "", resp.len, "tags list", &doc, err);
        registry_response_done(&resp);
        if (r < 0)
                return r;
        json_array_foreach (json_object_get(doc, "tags"), i, v)
                if (json_is_string(v))
                        strv_push(&tags, json_string_value(v));
        *ret = tags ? tags : xcalloc(1, sizeof(char *));
        return 0;
}
