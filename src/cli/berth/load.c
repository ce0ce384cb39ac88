/* `berth load`, `berth save`, `berth import`. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "image/archives.h"
#include "image/reference.h"

static void progress_line(void *userdata, uint64_t done, uint64_t total)
{
        static uint64_t last;
        _cleanup_free_ char *d = NULL, *t = NULL;

        if (done - last < 4 * 1024 * 1024 && done != total)
                return;
        last = done;
        d = format_size(done);
        if (total) {
                t = format_size(total);
                fprintf(stderr, "\rLoading %s / %s (%3u%%)", d, t, (unsigned)(done * 100 / total));
        } else
                fprintf(stderr, "\rLoading %s", d);
}

static int open_input(const char *path, berth_error **err)
{
        int fd;

        if (!path || streq(path, "-"))
                return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(err, errno, "open %s", path);
        return fd;
}

int verb_load(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"platform", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        _cleanup_strv_free_ char **names = NULL, **ids = NULL;
        image_load_options o = {};
        _cleanup_close_ int fd = -EBADF;
        const char *input = NULL;
        bool quiet = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) >= 0) {
                if (c == 'i')
                        input = optarg;
                else if (c == 'q')
                        quiet = true;
                else if (c == 'p')
                        o.platform = optarg;
                else if (c == 'h') {
                        print_verb_help(
                                "load [OPTIONS]", "Load an image from a tar archive or STDIN",
                                "  -i, --input string      Read from tar archive file, instead of STDIN\n"
                                "      --platform string   Load only the given platform "
                                "(os/arch[/variant])\n"
                                "  -q, --quiet             Suppress the load output\n");
                        return 0;
                } else
                        return usage_error("load", "unknown flag: %s", argv[optind - 1]);
        }
        if (optind < argc)
                return usage_error("load", "accepts no arguments");
        if (!input && isatty(STDIN_FILENO))
                return berth_error_set(err, 0,
                                       "load: requested load from stdin, but stdin is empty (use -i FILE)");
        fd = open_input(input, err);
        if (fd < 0)
                return fd;
        o.fd = fd;
        if (!quiet && isatty(STDERR_FILENO))
                o.progress = progress_line;
        r = berth_open_stores(ctx, err);
        if (r >= 0)
                r = image_load(ctx->images, &o, &names, &ids, err);
        if (o.progress)
                fprintf(stderr, "\n");
        if (r < 0)
                return berth_error_wrap(err, "load %s", input ? input : "stdin");
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *f = image_ref_familiar_name(*n);
                if (!quiet)
                        printf("Loaded image: %s\n", f);
        }
        if (!names)
                STRV_FOREACH (i, ids)
                        if (!quiet)
                                printf("Loaded image ID: %s\n", *i);
        return 0;
}

static int save_to(berth_ctx *ctx, const char *output, char **images, berth_error **err)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!output)
                return image_save(ctx->images, images, STDOUT_FILENO, err);
        /* A file appears whole or not at all. */
        tmp = xasprintf("%s.berth-tmp-%d", output, (int)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return berth_error_set(err, errno, "create %s", tmp);
        r = image_save(ctx->images, images, fd, err);
        if (r >= 0 && fsync(fd) < 0)
                r = berth_error_set(err, errno, "write %s", output);
        if (r >= 0 && rename(tmp, output) < 0)
                r = berth_error_set(err, errno, "rename %s", output);
        if (r < 0)
                unlink(tmp);
        return r;
}

int verb_save(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {}};
        const char *output = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) >= 0) {
                if (c == 'o')
                        output = optarg;
                else if (c == 'h') {
                        print_verb_help(
                                "save [OPTIONS] IMAGE [IMAGE...]",
                                "Save one or more images to a tar archive (streamed to STDOUT by default)",
                                "  -o, --output string   Write to a file, instead of STDOUT\n");
                        return 0;
                } else
                        return usage_error("save", "unknown flag: %s", argv[optind - 1]);
        }
        if (optind >= argc)
                return usage_error("save", "requires at least 1 argument");
        if (!output && isatty(STDOUT_FILENO))
                return berth_error_set(err, 0,
                                       "save: refusing to write an archive to a terminal (use -o FILE)");
        r = berth_open_stores(ctx, err);
        if (r >= 0)
                r = save_to(ctx, output, argv + optind, err);
        if (r < 0)
                return berth_error_wrap(err, "save");
        return 0;
}

int verb_import(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"change", required_argument, NULL, 'c'},
                                             {"message", required_argument, NULL, 'm'},
                                             {"platform", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        _cleanup_strv_free_ char **changes = NULL;
        _cleanup_free_ char *id = NULL;
        _cleanup_close_ int fd = -EBADF;
        image_import_options o = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "c:m:h", opts, NULL)) >= 0) {
                if (c == 'c')
                        strv_push(&changes, optarg);
                else if (c == 'm')
                        o.message = optarg;
                else if (c == 'h') {
                        print_verb_help("import [OPTIONS] file|- [REPOSITORY[:TAG]]",
                                        "Import the contents from a tarball to create a filesystem image",
                                        "  -c, --change list       Apply Dockerfile instruction to the "
                                        "created image\n"
                                        "  -m, --message string    Set commit message for imported image\n");
                        return 0;
                } else if (c != 'p')
                        return usage_error("import", "unknown flag: %s", argv[optind - 1]);
        }
        if (argc - optind < 1 || argc - optind > 2)
                return usage_error("import", "requires 1 or 2 arguments");
        o.source = argv[optind];
        o.name = optind + 1 < argc ? argv[optind + 1] : NULL;
        o.changes = changes;
        if (o.name) {
                _cleanup_image_ref_ image_ref *ref = NULL;
                r = image_ref_parse(o.name, &ref, err);
                if (r < 0)
                        return r;
        }
        fd = open_input(o.source, err);
        if (fd < 0)
                return fd;
        o.fd = fd;
        r = berth_open_stores(ctx, err);
        if (r >= 0)
                r = image_import(ctx->images, &o, &id, err);
        if (r < 0)
                return berth_error_wrap(err, "import %s", o.source);
        printf("%s\n", id);
        return 0;
}
