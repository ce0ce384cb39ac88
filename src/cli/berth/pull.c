/* `berth pull` and `berth push`: flags to registry_options, progress lines on a terminal (one per
 * layer, redrawn in place as docker does), only the result when piped. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "image/reference.h"
#include "image/registry.h"

typedef struct progress_view {
        char **ids; /* short digests, in the order they appeared */
        char **lines;
        size_t n, drawn;
        char *manifest_digest;
        bool downloaded;
        struct timespec last;
} progress_view;

static void view_draw(progress_view *v)
{
        if (v->drawn)
                fprintf(stderr, "\033[%zuA", v->drawn);
        for (size_t i = 0; i < v->n; i++)
                fprintf(stderr, "\r\033[K%s: %s\n", v->ids[i], v->lines[i]);
        v->drawn = v->n;
        fflush(stderr);
}

/* At most ten redraws a second for byte counts; a new status draws at once. */
static bool too_soon(progress_view *v)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - v->last.tv_sec) * 1000 + (now.tv_nsec - v->last.tv_nsec) / 1000000 < 100)
                return true;
        v->last = now;
        return false;
}

static void on_progress(void *userdata, const char *digest, const char *status, uint64_t done,
                        uint64_t total)
{
        progress_view *v = userdata;
        _cleanup_free_ char *d = NULL, *t = NULL;
        char id[13];
        size_t i;

        if (!digest) {
                free(v->manifest_digest);
                v->manifest_digest = xstrdup(status);
                return;
        }
        if (streq(status, "Pull complete"))
                v->downloaded = true;
        if (streq(status, "Downloading") && too_soon(v))
                return;
        snprintf(id, sizeof(id), "%s", strneq(digest, "sha256:", 7) ? digest + 7 : digest);
        for (i = 0; i < v->n && !streq(v->ids[i], id); i++)
                ;
        if (i == v->n) {
                v->ids = realloc(v->ids, (v->n + 1) * sizeof(char *));
                v->lines = realloc(v->lines, (v->n + 1) * sizeof(char *));
                v->ids[i] = xstrdup(id);
                v->lines[i] = NULL;
                v->n++;
        }
        free(v->lines[i]);
        if (total && done && (streq(status, "Downloading") || streq(status, "Pushing"))) {
                d = format_size(done);
                t = format_size(total);
                v->lines[i] = xasprintf("%-13s %s/%s", status, d, t);
        } else
                v->lines[i] = xstrdup(status);
        view_draw(v);
}

static void view_free(progress_view *v)
{
        for (size_t i = 0; i < v->n; i++) {
                free(v->ids[i]);
                free(v->lines[i]);
        }
        free(v->ids);
        free(v->lines);
        free(v->manifest_digest);
}

/* Flags the registry verbs share; 1 when c was one of them, -1 when its value is bad. */
int registry_flag(registry_options *o, int c, const char *arg)
{
        switch (c) {
        case 'T':
                if (!arg || streq(arg, "true"))
                        o->tls_skip_verify = false;
                else if (streq(arg, "false"))
                        o->tls_skip_verify = true;
                else
                        return -1;
                return 1;
        case 'A':
                o->authfile = arg;
                return 1;
        case 'C':
                o->certs_dir = arg;
                return 1;
        }
        return 0;
}

#define REGISTRY_LONG_OPTS                                                                                  \
        {"tls-verify", optional_argument, NULL, 'T'}, {"authfile", required_argument, NULL, 'A'},           \
        {                                                                                                   \
                "cert-dir", required_argument, NULL, 'C'                                                    \
        }

static int pull_one(berth_ctx *ctx, const char *name, registry_options *o, bool quiet, berth_error **err)
{
        _cleanup_free_ char *id = NULL, *full = NULL;
        _cleanup_image_ref_ image_ref *ref = NULL;
        progress_view v = {};
        int r;

        r = image_ref_parse(name, &ref, err);
        if (r < 0)
                return r;
        full = image_ref_string(ref);
        if (!quiet && isatty(STDERR_FILENO)) {
                fprintf(stderr, "%s: Pulling from %s\n", ref->tag ? ref->tag : ref->digest, ref->path);
                o->progress = on_progress;
                o->progress_userdata = &v;
        }
        r = registry_pull(ctx->images, name, o, &id, err);
        if (r >= 0 && o->progress) {
                if (v.manifest_digest)
                        fprintf(stderr, "Digest: %s\n", v.manifest_digest);
                fprintf(stderr, "Status: %s for %s\n",
                        v.downloaded ? "Downloaded newer image" : "Image is up to date", full);
        }
        view_free(&v);
        if (r < 0)
                return r;
        printf("%s\n", full);
        return 0;
}

int verb_pull(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                             {"all-tags", no_argument, NULL, 'a'},
                                             {"platform", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             REGISTRY_LONG_OPTS,
                                             {}};
        registry_options o = {};
        _cleanup_strv_free_ char **tags = NULL;
        bool quiet = false, all = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "qah", opts, NULL)) >= 0) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'a')
                        all = true;
                else if (c == 'p')
                        o.platform = optarg;
                else if (c == 'h') {
                        print_verb_help(
                                "pull [OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry",
                                "  -a, --all-tags          Download all tagged images in the repository\n"
                                "      --platform string   Pull this platform (os/arch[/variant])\n"
                                "  -q, --quiet             Suppress verbose output\n"
                                "      --tls-verify=false  Do not verify the registry's certificate\n"
                                "      --authfile path     Credentials file (Docker's config.json)\n"
                                "      --cert-dir dir      Certificates per registry (certs.d)\n");
                        return 0;
                } else if (registry_flag(&o, c, optarg) <= 0)
                        return usage_error("pull", "bad flag: %s", argv[optind - 1]);
        }
        if (optind + 1 != argc)
                return usage_error("pull", "requires exactly 1 argument");
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        if (!all)
                return pull_one(ctx, argv[optind], &o, quiet, err);
        r = registry_list_tags(argv[optind], &o, &tags, err);
        for (size_t i = 0; r >= 0 && tags[i]; i++) {
                _cleanup_free_ char *name = xasprintf("%s:%s", argv[optind], tags[i]);
                r = pull_one(ctx, name, &o, quiet, err);
        }
        return r;
}

int verb_push(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, REGISTRY_LONG_OPTS, {}};
        registry_options o = {};
        _cleanup_free_ char *digest = NULL;
        progress_view v = {};
        bool quiet = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "qh", opts, NULL)) >= 0) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'h') {
                        print_verb_help(
                                "push [OPTIONS] NAME[:TAG]", "Upload an image to a registry",
                                "  -q, --quiet             Suppress verbose output\n"
                                "      --tls-verify=false  Do not verify the registry's certificate\n"
                                "      --authfile path     Credentials file (Docker's config.json)\n"
                                "      --cert-dir dir      Certificates per registry (certs.d)\n");
                        return 0;
                } else if (registry_flag(&o, c, optarg) <= 0)
                        return usage_error("push", "bad flag: %s", argv[optind - 1]);
        }
        if (optind + 1 != argc)
                return usage_error("push", "requires exactly 1 argument");
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        if (!quiet && isatty(STDERR_FILENO)) {
                o.progress = on_progress;
                o.progress_userdata = &v;
        }
        r = registry_push(ctx->images, argv[optind], &o, &digest, err);
        view_free(&v);
        if (r < 0)
                return r;
        if (!quiet)
                printf("digest: %s\n", digest);
        return 0;
}
