/* `berth image inspect`: Docker's JSON shape, built from the record and the config kept whole. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/jsonh.h"
#include "berth.h"
#include "image/config.h"
#include "image/reference.h"

static json_t *repo_tags_and_digests(const image_record *img, json_t **ret_digests)
{
        json_t *tags = json_array(), *digests = json_array();

        STRV_FOREACH (n, img->names) {
                _cleanup_free_ char *repo = NULL, *tag = NULL, *familiar = image_ref_familiar_name(*n);
                image_ref_split_tag(familiar, &repo, &tag);
                _cleanup_free_ char *d = xasprintf("%s@%s", repo, img->manifest_digest);
                json_array_append_new(tags, json_string(familiar));
                bool seen = false;
                for (size_t i = 0; i < json_array_size(digests); i++)
                        seen = seen || streq(json_string_value(json_array_get(digests, i)), d);
                if (!seen)
                        json_array_append_new(digests, json_string(d));
        }
        *ret_digests = digests;
        return tags;
}

static json_t *graph_driver(berth_ctx *ctx, const image_record *img)
{
        json_t *data = json_object();
        _cleanup_strv_free_ char **lowers = NULL;
        size_t n = strv_length(img->chain_ids);

        for (size_t i = n; i > 0; i--)
                strv_consume(&lowers, layer_diff_path(ctx->layers, img->chain_ids[i - 1]));
        _cleanup_free_ char *joined = strv_join(lowers, ":");
        json_object_set_new(data, "LowerDir", json_string(joined));
        return json_pack("{s:s, s:o}", "Name", ctx->driver->name, "Data", data);
}

/* A new reference to v, or fallback (already a new reference) when v is missing. */
static json_t *member_or(json_t *v, json_t *fallback)
{
        if (!v)
                return fallback;
        json_decref(fallback);
        return json_incref(v);
}

static json_t *inspect_one(berth_ctx *ctx, const image_record *img, const image_config *c)
{
        json_t *cj = c->json, *digests, *tags = repo_tags_and_digests(img, &digests);
        json_t *config = json_object_get(cj, "config");
        _cleanup_free_ char *created = c->created ? xstrdup(c->created) : image_time_format(img->created);
        _cleanup_free_ char *added = image_time_format(img->added);
        json_t *o = json_object();

        json_object_set_new(o, "Id", json_string(img->id));
        json_object_set_new(o, "RepoTags", tags);
        json_object_set_new(o, "RepoDigests", digests);
        json_object_set_new(o, "Parent", json_string(""));
        json_object_set_new(o, "Comment", member_or(json_object_get(cj, "comment"), json_string("")));
        json_object_set_new(o, "Created", json_string(created));
        json_object_set_new(o, "DockerVersion",
                            member_or(json_object_get(cj, "docker_version"), json_string("")));
        json_object_set_new(o, "Author", member_or(json_object_get(cj, "author"), json_string("")));
        json_object_set(o, "Config", config ? config : json_null());
        json_object_set_new(o, "Architecture", json_string(strempty(c->arch)));
        if (json_object_get(cj, "variant"))
                json_object_set(o, "Variant", json_object_get(cj, "variant"));
        json_object_set_new(o, "Os", json_string(strempty(c->os)));
        json_object_set_new(o, "Size", json_integer(img->size));
        json_object_set_new(o, "GraphDriver", graph_driver(ctx, img));
        json_object_set_new(o, "RootFS",
                            json_pack("{s:s, s:O}", "Type", "layers", "Layers",
                                      json_object_get(json_object_get(cj, "rootfs"), "diff_ids")));
        json_object_set_new(o, "History", member_or(json_object_get(cj, "history"), json_array()));
        json_object_set_new(o, "Manifest",
                            json_pack("{s:s, s:s}", "Digest", img->manifest_digest, "MediaType",
                                      img->manifest_media_type));
        json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", added));
        return o;
}

int verb_image_inspect(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {}};
        _cleanup_json_ json_t *all = json_array();
        const char *format = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) >= 0) {
                if (c == 'f')
                        format = optarg;
                else if (c == 'h') {
                        print_verb_help("image inspect [OPTIONS] IMAGE [IMAGE...]",
                                        "Display detailed information on one or more images",
                                        "  -f, --format string   Format output using a Go-like template\n");
                        return 0;
                } else
                        return usage_error("image inspect", "unknown flag: %s", argv[optind - 1]);
        }
        if (optind >= argc)
                return usage_error("image inspect", "requires at least 1 argument");
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        for (int i = optind; i < argc; i++) {
                _cleanup_image_record_ image_record *img = NULL;
                _cleanup_image_config_ image_config *cfg = NULL;
                r = image_store_resolve(ctx->images, argv[i], &img, err);
                if (r >= 0)
                        r = image_store_config(ctx->images, img, &cfg, err);
                if (r < 0)
                        return r;
                json_array_append_new(all, inspect_one(ctx, img, cfg));
        }
        if (!format) {
                _cleanup_free_ char *s = jsonh_dump(all, true);
                puts(s);
                return 0;
        }
        for (size_t i = 0; i < json_array_size(all); i++) {
                _cleanup_free_ char *s = format_template(format, json_array_get(all, i));
                puts(s);
        }
        return 0;
}
