/* `berth builder`: Docker's verb for the build cache (prune) and its alias of build. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "build/builder.h"
#include "engine/engine.h"

static bool confirm(void)
{
        char line[16] = "";

        if (!isatty(STDIN_FILENO))
                return true;
        printf("WARNING! This will remove all build cache.\nAre you sure you want to continue? [y/N] ");
        fflush(stdout);
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int builder_prune(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                             {"force", no_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        _cleanup_strv_free_ char **deleted = NULL;
        _cleanup_free_ char *size = NULL;
        uint64_t reclaimed = 0;
        bool force = false;
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "afh", opts, NULL)) >= 0) {
                if (c == 'a')
                        continue; /* every cache entry is unused once its build ended: -a is the same */
                if (c == 'f')
                        force = true;
                else if (c == 'h') {
                        print_verb_help(
                                "builder prune [OPTIONS]", "Remove build cache",
                                "  -a, --all     Remove all unused build cache, not just dangling ones\n"
                                "  -f, --force   Do not prompt for confirmation\n");
                        return 0;
                } else
                        return usage_error("builder prune", "unknown flag or missing value: %s",
                                           argv[optind - 1]);
        }
        if (optind < argc)
                return usage_error("builder prune", "accepts no arguments");
        if (!force && !confirm())
                return 0;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = build_cache_prune(ctx->engine, &deleted, &reclaimed, err);
        if (r < 0)
                return berth_error_wrap(err, "builder prune");
        if (deleted) {
                printf("Deleted build cache objects:\n");
                STRV_FOREACH (d, deleted)
                        printf("%s\n", *d);
                printf("\n");
        }
        size = format_size(reclaimed);
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

int verb_builder(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                print_verb_help("builder COMMAND", "Manage builds", "  build, prune\n");
                return 0;
        }
        if (streq(argv[1], "prune"))
                return builder_prune(ctx, argc - 1, argv + 1, err);
        if (streq(argv[1], "build"))
                return verb_build(ctx, argc - 1, argv + 1, err);
        return usage_error("builder", "unknown command: %s", argv[1]);
}
