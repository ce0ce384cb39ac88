/* `berth tag`, `berth rmi`, `berth image prune`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "image/reference.h"

int verb_tag(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {}};
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                if (c != 'h')
                        return usage_error("tag", "unknown flag: %s", argv[optind - 1]);
                print_verb_help("tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                                "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", NULL);
                return 0;
        }
        if (argc - optind != 2)
                return usage_error("tag", "requires exactly 2 arguments");
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        return image_store_tag(ctx->images, argv[optind], argv[optind + 1], err);
}

static void print_removed(char **untagged, char **deleted)
{
        STRV_FOREACH (u, untagged) {
                _cleanup_free_ char *f = image_ref_familiar_name(*u);
                printf("Untagged: %s\n", f);
        }
        STRV_FOREACH (d, deleted)
                printf("Deleted: %s\n", *d);
}

int verb_rmi(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                             {"no-prune", no_argument, NULL, 'P'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        bool force = false;
        int c, r, ret = 0;

        while ((c = getopt_long(argc, argv, "fh", opts, NULL)) >= 0) {
                if (c == 'f')
                        force = true;
                else if (c == 'h') {
                        print_verb_help("rmi [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images",
                                        "  -f, --force      Force removal of the image\n"
                                        "      --no-prune   Do not delete untagged parents\n");
                        return 0;
                } else if (c != 'P')
                        return usage_error("rmi", "unknown flag: %s", argv[optind - 1]);
        }
        if (optind >= argc)
                return usage_error("rmi", "requires at least 1 argument");
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        /* Each image on its own, as docker: one that can not go does not keep the others. */
        for (int i = optind; i < argc; i++) {
                _cleanup_strv_free_ char **untagged = NULL, **deleted = NULL;
                _cleanup_error_ berth_error *e = NULL;
                r = image_store_remove(ctx->images, argv[i], force, &untagged, &deleted, &e);
                if (r < 0) {
                        berth_report(e);
                        ret = EXIT_BERTH;
                        continue;
                }
                print_removed(untagged, deleted);
        }
        return ret;
}

static bool confirm(bool all)
{
        char line[16] = "";

        if (!isatty(STDIN_FILENO))
                return true;
        printf("WARNING! This will remove all %s images.\nAre you sure you want to continue? [y/N] ",
               all ? "images without at least one container associated to them" : "dangling");
        fflush(stdout);
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int verb_image_prune(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                             {"force", no_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        _cleanup_strv_free_ char **deleted = NULL;
        _cleanup_free_ char *reclaimed_text = NULL;
        bool all = false, force = false;
        uint64_t reclaimed = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "afh", opts, NULL)) >= 0) {
                if (c == 'a')
                        all = true;
                else if (c == 'f')
                        force = true;
                else if (c == 'h') {
                        print_verb_help("image prune [OPTIONS]", "Remove unused images",
                                        "  -a, --all     Remove all unused images, not just dangling ones\n"
                                        "  -f, --force   Do not prompt for confirmation\n");
                        return 0;
                } else
                        return usage_error("image prune", "unknown flag: %s", argv[optind - 1]);
        }
        if (!force && !confirm(all))
                return 0;
        r = berth_open_stores(ctx, err);
        if (r >= 0)
                r = image_store_prune(ctx->images, all, &deleted, &reclaimed, err);
        if (r < 0)
                return r;
        if (deleted) {
                printf("Deleted Images:\n");
                STRV_FOREACH (d, deleted)
                        printf("deleted: %s\n", *d);
                printf("\n");
        }
        reclaimed_text = format_size(reclaimed);
        printf("Total reclaimed space: %s\n", reclaimed_text);
        return 0;
}
