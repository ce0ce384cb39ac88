/* `berth images` and the `berth image` group. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "basic/jsonh.h"
#include "berth.h"
#include "build/builder.h"
#include "image/config.h"
#include "image/digest.h"
#include "image/reference.h"

typedef struct images_opts {
        bool quiet, no_trunc, dangling_only, all;
        const char *format;
        const char *reference; /* REPOSITORY[:TAG] */
} images_opts;

static char *image_id_text(const char *id, bool no_trunc)
{
        return no_trunc ? xstrdup(id) : xstrndup(digest_hex(id), 12);
}

static char *created_at(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;
        char buf[64];

        gmtime_r(&tt, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        return xstrdup(buf);
}

/* One row per name (or one "<none>" row), as a JSON object with Docker's field names. */
static json_t *image_row(const image_record *img, const char *name, bool no_trunc)
{
        _cleanup_free_ char *repo = NULL, *tag = NULL, *familiar = NULL,
                            *id = image_id_text(img->id, no_trunc);
        _cleanup_free_ char *size = format_size((uint64_t)img->size), *since = format_since(img->created);
        _cleanup_free_ char *at = created_at(img->created);

        if (name) {
                image_ref_split_tag(name, &repo, &tag);
                familiar = image_ref_familiar_name(repo);
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A",
                         "CreatedAt", at, "CreatedSince", since, "Digest", img->manifest_digest, "ID", id,
                         "Repository", familiar ? familiar : "<none>", "SharedSize", "N/A", "Size", size,
                         "Tag", tag ? tag : "<none>", "UniqueSize", "N/A", "VirtualSize", size);
}

static bool name_matches(const char *name, const char *reference)
{
        _cleanup_image_ref_ image_ref *ref = NULL;
        _cleanup_free_ char *repo = NULL, *tag = NULL, *want = NULL;

        if (!reference)
                return true;
        if (!name || image_ref_parse(reference, &ref, NULL) < 0)
                return false;
        want = image_ref_name(ref);
        image_ref_split_tag(name, &repo, &tag);
        /* "busybox" lists every tag of busybox; "busybox:1" only that one. */
        if (!streq(repo, want))
                return false;
        return !strchr(reference + (strrchr(reference, '/') ? strrchr(reference, '/') - reference : 0),
                       ':') ||
               (tag && ref->tag && streq(tag, ref->tag));
}

static void collect_rows(image_record **l, const images_opts *o, char *const *intermediate, json_t *rows)
{
        for (size_t i = 0; l[i]; i++) {
                if (o->dangling_only && l[i]->names)
                        continue;
                if (!o->all && !l[i]->names && strv_contains(intermediate, l[i]->id))
                        continue;
                if (!l[i]->names) {
                        if (!o->reference)
                                json_array_append_new(rows, image_row(l[i], NULL, o->no_trunc));
                        continue;
                }
                STRV_FOREACH (n, l[i]->names)
                        if (name_matches(*n, o->reference))
                                json_array_append_new(rows, image_row(l[i], *n, o->no_trunc));
        }
}

static void print_rows(json_t *rows, const images_opts *o)
{
        static const char *const cols[] = {"Repository", "Tag", "ID", "CreatedSince", "Size"};
        size_t n = json_array_size(rows), i;
        char ***t;
        json_t *row;

        if (o->quiet || o->format) {
                json_array_foreach (rows, i, row) {
                        _cleanup_free_ char *line =
                                o->quiet ? xstrdup(json_string_value(json_object_get(row, "ID")))
                                         : format_template(o->format, row);
                        puts(line);
                }
                return;
        }
        t = xcalloc(n + 1, sizeof(char **));
        t[0] = xcalloc(5, sizeof(char *));
        t[0][0] = xstrdup("REPOSITORY"), t[0][1] = xstrdup("TAG"), t[0][2] = xstrdup("IMAGE ID");
        t[0][3] = xstrdup("CREATED"), t[0][4] = xstrdup("SIZE");
        json_array_foreach (rows, i, row) {
                t[i + 1] = xcalloc(5, sizeof(char *));
                for (size_t c = 0; c < 5; c++)
                        t[i + 1][c] = xstrdup(json_string_value(json_object_get(row, cols[c])));
        }
        print_table(t, n + 1, 5);
        table_free(t, n + 1, 5);
}

static int parse_images_opts(int argc, char **argv, images_opts *o)
{
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'},
                {"all", no_argument, NULL, 'a'},
                {"no-trunc", no_argument, NULL, 'T'},
                {"format", required_argument, NULL, 'F'},
                {"filter", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "qaf:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'q':
                        o->quiet = true;
                        break;
                case 'a':
                        o->all = true;
                        break;
                case 'T':
                        o->no_trunc = true;
                        break;
                case 'F':
                        o->format = optarg;
                        break;
                case 'f':
                        if (!streq(optarg, "dangling=true") && !streq(optarg, "dangling=false"))
                                return usage_error(
                                        "images", "unsupported filter \"%s\" (dangling=true|false)", optarg);
                        o->dangling_only = streq(optarg, "dangling=true");
                        break;
                case 'h':
                        print_verb_help(
                                "images [OPTIONS] [REPOSITORY[:TAG]]", "List images",
                                "  -a, --all             Show all images\n"
                                "  -f, --filter filter   Filter output (dangling=true)\n"
                                "      --format string   Format output: json, or a Go-like template\n"
                                "      --no-trunc        Don't truncate output\n"
                                "  -q, --quiet           Only show image IDs\n");
                        return 0;
                default:
                        return usage_error("images", "unknown flag: %s", argv[optind - 1]);
                }
        }
        if (argc - optind > 1)
                return usage_error("images", "\"images\" requires at most 1 argument");
        o->reference = optind < argc ? argv[optind] : NULL;
        return 1;
}

int verb_images(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_json_ json_t *rows = json_array();
        images_opts o = {};
        image_record **l = NULL;
        int r;

        r = parse_images_opts(argc, argv, &o);
        if (r <= 0)
                return r;
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        r = image_store_list(ctx->images, &l, err);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **intermediate = build_cache_images(ctx->images->db);
        collect_rows(l, &o, intermediate, rows);
        image_record_list_free(l);
        print_rows(rows, &o);
        return 0;
}

static const berth_verb image_verbs[] = {
        {"ls", "List images", verb_images},
        {"list", "List images", verb_images},
        {"inspect", "Display detailed information on one or more images", verb_image_inspect},
        {"history", "Show the history of an image", verb_history},
        {"tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", verb_tag},
        {"rm", "Remove one or more images", verb_rmi},
        {"prune", "Remove unused images", verb_image_prune},
        {"load", "Load an image from a tar archive", verb_load},
        {"save", "Save one or more images to a tar archive", verb_save},
        {"import", "Import a tarball to create a filesystem image", verb_import},
        {"mount", "Mount an image's filesystem and print where (for debugging)", verb_image_mount},
        {"umount", "Unmount what image mount mounted", verb_image_umount},
};

int verb_image(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                printf("\nUsage:  berth image COMMAND\n\nManage images\n\nCommands:\n");
                for (size_t i = 0; i < ELEMENTSOF(image_verbs); i++)
                        if (!streq(image_verbs[i].name, "list"))
                                printf("  %-9s %s\n", image_verbs[i].name, image_verbs[i].summary);
                return argc < 2 ? usage_error("image", "a command is required") : 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(image_verbs); i++)
                if (streq(image_verbs[i].name, argv[1])) {
                        optind = 0;
                        return image_verbs[i].run(ctx, argc - 1, argv + 1, err);
                }
        if (streq(argv[1], "unmount")) {
                optind = 0;
                return verb_image_umount(ctx, argc - 1, argv + 1, err);
        }
        return usage_error("image", "unknown command \"%s\"", argv[1]);
}
