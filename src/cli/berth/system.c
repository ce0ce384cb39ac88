/* `berth system df` and `berth version`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "engine/engine.h"
#include "berth.h"
#include "image/manifest.h"

typedef struct df_row {
        const char *type;
        uint64_t total, active, size, reclaimable;
} df_row;

/* Images: layers shared between images count once. Containers, volumes and the build cache
 * belong to later layers of berth and show zero until they exist. */
static int images_usage(berth_ctx *ctx, df_row *row, berth_error **err)
{
        _cleanup_strv_free_ char **seen = NULL;
        image_record **l = NULL;
        int r = image_store_list(ctx->images, &l, err);

        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++) {
                bool used =
                        ctx->images->in_use && ctx->images->in_use(ctx->images->in_use_userdata, l[i]->id);
                row->total++;
                row->active += used;
                STRV_FOREACH (c, l[i]->chain_ids) {
                        uint64_t size = 0, tar;
                        if (strv_contains(seen, *c))
                                continue;
                        strv_push(&seen, *c);
                        ctx->images->sink.sizes(ctx->images->sink.userdata, *c, &size, &tar, NULL);
                        row->size += size;
                        if (!used)
                                row->reclaimable += size;
                }
        }
        image_record_list_free(l);
        return 0;
}

static json_t *df_json(const df_row *r)
{
        _cleanup_free_ char *size = format_size(r->size), *rec = format_size(r->reclaimable);
        _cleanup_free_ char *recl =
                r->size ? xasprintf("%s (%llu%%)", rec, (unsigned long long)(r->reclaimable * 100 / r->size))
                        : xstrdup(rec);
        _cleanup_free_ char *total = xasprintf("%llu", (unsigned long long)r->total);
        _cleanup_free_ char *active = xasprintf("%llu", (unsigned long long)r->active);

        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", active, "Reclaimable", recl, "Size", size,
                         "TotalCount", total, "Type", r->type);
}

static int system_df(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"format", required_argument, NULL, 'F'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        static const char *const cols[] = {"Type", "TotalCount", "Active", "Size", "Reclaimable"};
        df_row rows[4] = {{"Images"}, {"Containers"}, {"Local Volumes"}, {"Build Cache"}};
        const char *format = NULL;
        char ***t;
        int c, r;

        while ((c = getopt_long(argc, argv, "vh", opts, NULL)) >= 0) {
                if (c == 'F')
                        format = optarg;
                else if (c == 'h') {
                        print_verb_help(
                                "system df [OPTIONS]", "Show berth disk usage",
                                "      --format string   Format output: json, or a Go-like template\n");
                        return 0;
                } else if (c != 'v')
                        return usage_error("system df", "unknown flag: %s", argv[optind - 1]);
        }
        r = berth_open_stores(ctx, err);
        if (r >= 0)
                r = images_usage(ctx, &rows[0], err);
        if (r < 0)
                return r;
        t = xcalloc(5, sizeof(char **));
        t[0] = xcalloc(5, sizeof(char *));
        t[0][0] = xstrdup("TYPE"), t[0][1] = xstrdup("TOTAL"), t[0][2] = xstrdup("ACTIVE");
        t[0][3] = xstrdup("SIZE"), t[0][4] = xstrdup("RECLAIMABLE");
        for (size_t i = 0; i < 4; i++) {
                _cleanup_json_ json_t *j = df_json(&rows[i]);
                if (format) {
                        _cleanup_free_ char *line = format_template(format, j);
                        puts(line);
                }
                t[i + 1] = xcalloc(5, sizeof(char *));
                for (size_t k = 0; k < 5; k++)
                        t[i + 1][k] = xstrdup(json_string_value(json_object_get(j, cols[k])));
        }
        if (!format)
                print_table(t, 5, 5);
        table_free(t, 5, 5);
        return 0;
}

/* Every container stopped and removed, every network's bridge and table deleted, then the
 * root and runroot emptied: berth as freshly installed (Podman's `system reset`). */
static int system_reset(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"force", 'f', false, "Do not ask (berth never asks)"}, {}};
        int first = parse_flags("system reset", "system reset [OPTIONS]",
                                "Remove all containers, networks, volumes and images", flags, argc, argv, 0,
                                no_flags, NULL);
        ctr_record **l = NULL;
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_list(ctx->engine, &l, err);
        if (r < 0)
                return r;
        for (ctr_record **p = l; *p; p++) {
                _cleanup_error_ berth_error *e = NULL;
                if (engine_remove(ctx->engine, (*p)->id, true, true, &e) < 0)
                        berth_report(e);
        }
        ctr_record_list_free(l);
        engine_network_reset(ctx->engine);
        berth_close(ctx);
        _cleanup_free_ char *netns = xasprintf("%s/netns", ctx->runroot);
        fs_rm_rf(netns, NULL);
        r = fs_rm_rf(ctx->root, err);
        if (r >= 0)
                r = fs_rm_rf(ctx->runroot, err);
        return r;
}

int verb_system(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        if (argc >= 2 && streq(argv[1], "df")) {
                optind = 0;
                return system_df(ctx, argc - 1, argv + 1, err);
        }
        if (argc >= 2 && streq(argv[1], "reset")) {
                optind = 0;
                return system_reset(ctx, argc - 1, argv + 1, err);
        }
        if (argc >= 2 && streq(argv[1], "info")) {
                optind = 0;
                return verb_info(ctx, argc - 1, argv + 1, err);
        }
        printf("\nUsage:  berth system COMMAND\n\nManage berth\n\nCommands:\n  df     Show berth disk "
               "usage\n  info   Display system-wide information\n  reset  Remove all containers, networks, "
               "volumes and images\n");
        if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h")))
                return 0;
        return usage_error("system", argc < 2 ? "a command is required" : "unknown command");
}

int verb_version(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {}};
        _cleanup_free_ char *platform = platform_default();
        _cleanup_json_ json_t *v = NULL;
        const char *format = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) >= 0) {
                if (c == 'f')
                        format = optarg;
                else if (c == 'h') {
                        print_verb_help("version [OPTIONS]", "Show the berth version information",
                                        "  -f, --format string   Format output using a Go-like template\n");
                        return 0;
                } else
                        return usage_error("version", "unknown flag: %s", argv[optind - 1]);
        }
        v = json_pack("{s:{s:s, s:s, s:s}}", "Client", "Version", BERTH_VERSION, "OsArch", platform, "Root",
                      ctx->root);
        if (format) {
                _cleanup_free_ char *s = format_template(format, v);
                puts(s);
                return 0;
        }
        printf("Client:\n Version:    %s\n OS/Arch:    %s\n Root:       %s\n", BERTH_VERSION, platform,
               ctx->root);
        return 0;
}
