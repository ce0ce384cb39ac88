/* `berth image mount|umount`: an image's layers mounted as a container's would be (fresh upper
 * and work under RUNROOT/image-mounts/<id>), to look at the merged tree; podman has the same. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "berth.h"
#include "image/digest.h"

static int image_mount_dir(berth_ctx *ctx, const char *what, image_record **ret_img, char **ret_dir,
                           berth_error **err)
{
        image_record *img;
        int r = berth_open_stores(ctx, err);

        if (r >= 0)
                r = image_store_resolve(ctx->images, what, &img, err);
        if (r < 0)
                return r;
        *ret_dir = xasprintf("%s/image-mounts/%s", ctx->runroot, digest_hex(img->id));
        *ret_img = img;
        return 0;
}

static bool is_mounted(const char *dir)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);
        struct stat a, b;

        return stat(dir, &a) == 0 && stat(merged, &b) == 0 && a.st_dev != b.st_dev;
}

static int one_arg(const char *verb, const char *usage, const char *summary, int argc, char **argv)
{
        static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {}};
        int c;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                if (c != 'h')
                        return usage_error(verb, "unknown flag: %s", argv[optind - 1]);
                print_verb_help(usage, summary, NULL);
                return 0;
        }
        if (argc - optind != 1)
                return usage_error(verb, "requires exactly 1 argument");
        return 1;
}

int verb_image_mount(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_strv_free_ char **lowers = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        r = one_arg("image mount", "image mount IMAGE", "Mount an image's filesystem and print the path",
                    argc, argv);
        if (r <= 0)
                return r;
        r = image_mount_dir(ctx, argv[optind], &img, &dir, err);
        if (r < 0)
                return r;
        if (!is_mounted(dir)) {
                STRV_FOREACH (c, img->chain_ids)
                        strv_consume(&lowers, layer_diff_path(ctx->layers, *c));
                r = ctx->driver->mount(dir, lowers, strv_length(lowers), err);
                if (r < 0) {
                        ctx->driver->remove(dir, NULL);
                        rmdir(dir);
                        return berth_error_wrap(err, "mount image %s", argv[optind]);
                }
        }
        printf("%s/merged\n", dir);
        return 0;
}

int verb_image_umount(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        r = one_arg("image umount", "image umount IMAGE", "Unmount an image mounted with image mount", argc,
                    argv);
        if (r <= 0)
                return r;
        r = image_mount_dir(ctx, argv[optind], &img, &dir, err);
        if (r >= 0)
                r = ctx->driver->remove(dir, err);
        if (r < 0)
                return r;
        if (rmdir(dir) < 0 && errno != ENOENT)
                return berth_error_set(err, errno, "remove %s", dir);
        return 0;
}
