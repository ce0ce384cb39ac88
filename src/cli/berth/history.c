/* `berth history`: the config's history, newest first, with the size of each entry's layer. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/jsonh.h"
#include "berth.h"
#include "image/config.h"
#include "image/digest.h"

typedef struct history_opts {
        bool quiet, no_trunc, human;
        const char *format;
} history_opts;

static char *truncate_text(const char *s, bool no_trunc)
{
        if (no_trunc || strlen(s) <= 45)
                return xstrdup(s);
        return xasprintf("%.44s…", s);
}

static json_t *history_row(berth_ctx *ctx, const image_record *img, json_t *e, size_t *layer, bool top,
                           const history_opts *o)
{
        json_t *empty = json_object_get(e, "empty_layer");
        const char *created = json_string_value(json_object_get(e, "created"));
        int64_t t = 0;
        uint64_t size = 0, tar_size;
        _cleanup_free_ char *id = NULL, *since = NULL, *by = NULL, *sz = NULL;

        if (!json_is_true(empty) && *layer < strv_length(img->chain_ids)) {
                ctx->images->sink.sizes(ctx->images->sink.userdata, img->chain_ids[*layer], &size, &tar_size,
                                        NULL);
                (*layer)++;
        }
        if (created)
                image_time_parse(created, &t);
        id = top ? (o->no_trunc ? xstrdup(img->id) : xstrndup(digest_hex(img->id), 12))
                 : xstrdup("<missing>");
        since = o->human ? format_since(t) : xstrdup(strempty(created));
        by = truncate_text(strempty(json_string_value(json_object_get(e, "created_by"))), o->no_trunc);
        sz = o->human ? format_size(size) : xasprintf("%llu", (unsigned long long)size);
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "CreatedSince", since, "CreatedAt",
                         strempty(created), "CreatedBy", by, "Size", sz, "Comment",
                         strempty(json_string_value(json_object_get(e, "comment"))));
}

static void print_history(json_t *rows, const history_opts *o)
{
        static const char *const cols[] = {"ID", "CreatedSince", "CreatedBy", "Size", "Comment"};
        size_t n = json_array_size(rows);
        char ***t = xcalloc(n + 1, sizeof(char **));

        if (o->quiet || o->format) {
                for (size_t i = n; i > 0; i--) {
                        json_t *row = json_array_get(rows, i - 1);
                        _cleanup_free_ char *line =
                                o->quiet ? xstrdup(json_string_value(json_object_get(row, "ID")))
                                         : format_template(o->format, row);
                        puts(line);
                }
                free(t);
                return;
        }
        t[0] = xcalloc(5, sizeof(char *));
        t[0][0] = xstrdup("IMAGE"), t[0][1] = xstrdup("CREATED"), t[0][2] = xstrdup("CREATED BY");
        t[0][3] = xstrdup("SIZE"), t[0][4] = xstrdup("COMMENT");
        for (size_t i = 0; i < n; i++) {
                json_t *row = json_array_get(rows, n - 1 - i);
                t[i + 1] = xcalloc(5, sizeof(char *));
                for (size_t c = 0; c < 5; c++)
                        t[i + 1][c] = xstrdup(json_string_value(json_object_get(row, cols[c])));
        }
        print_table(t, n + 1, 5);
        table_free(t, n + 1, 5);
}

static int parse_history_opts(int argc, char **argv, history_opts *o)
{
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'},       {"no-trunc", no_argument, NULL, 'T'},
                {"human", required_argument, NULL, 'H'}, {"format", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'h'},        {},
        };
        int c;

        o->human = true;
        while ((c = getopt_long(argc, argv, "qH:h", opts, NULL)) >= 0) {
                if (c == 'q')
                        o->quiet = true;
                else if (c == 'T')
                        o->no_trunc = true;
                else if (c == 'H')
                        o->human = !streq(optarg, "false");
                else if (c == 'F')
                        o->format = optarg;
                else if (c == 'h') {
                        print_verb_help(
                                "history [OPTIONS] IMAGE", "Show the history of an image",
                                "      --format string   Format output using a Go-like template\n"
                                "  -H, --human bool      Print sizes and dates in human readable format\n"
                                "      --no-trunc        Don't truncate output\n"
                                "  -q, --quiet           Only show image IDs\n");
                        return 0;
                } else
                        return usage_error("history", "unknown flag: %s", argv[optind - 1]);
        }
        if (argc - optind != 1)
                return usage_error("history", "requires exactly 1 argument");
        return 1;
}

int verb_history(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_image_config_ image_config *cfg = NULL;
        _cleanup_json_ json_t *rows = json_array();
        history_opts o = {};
        json_t *hist, *e;
        size_t layer = 0, i;
        int r;

        r = parse_history_opts(argc, argv, &o);
        if (r <= 0)
                return r;
        r = berth_open_stores(ctx, err);
        if (r >= 0)
                r = image_store_resolve(ctx->images, argv[optind], &img, err);
        if (r >= 0)
                r = image_store_config(ctx->images, img, &cfg, err);
        if (r < 0)
                return r;
        hist = json_object_get(cfg->json, "history");
        json_array_foreach (hist, i, e)
                json_array_append_new(rows,
                                      history_row(ctx, img, e, &layer, i + 1 == json_array_size(hist), &o));
        print_history(rows, &o);
        return 0;
}
