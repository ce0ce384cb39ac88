/* Verbs that make images: diff, export, commit and build. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "build/builder.h"
#include "engine/commit.h"
#include "image/reference.h"

int verb_diff(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_strv_free_ char **lines = NULL;
        int first = parse_flags("diff", "diff CONTAINER",
                                "Inspect changes to files or directories on a "
                                "container's filesystem",
                                NULL, argc, argv, 1, no_flags, NULL);
        int r;

        if (first <= 0)
                return first;
        if (argc - first != 1)
                return usage_error("diff", "requires exactly 1 argument");
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_diff(ctx->engine, argv[first], &lines, err);
        if (r < 0)
                return r;
        STRV_FOREACH (l, lines)
                printf("%s\n", *l);
        return 0;
}

static void on_output(int letter, const char *arg, void *ud)
{
        *(const char **)ud = arg;
}

int verb_export(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"output", 'o', true, "Write to a file, instead of STDOUT"}, {}};
        const char *output = NULL;
        _cleanup_close_ int fd = -EBADF;
        int first = parse_flags("export", "export [OPTIONS] CONTAINER",
                                "Export a container's filesystem as a tar archive", flags, argc, argv, 1,
                                on_output, &output);
        int r;

        if (first <= 0)
                return first;
        if (argc - first != 1)
                return usage_error("export", "requires exactly 1 argument");
        if (!output && isatty(STDOUT_FILENO))
                return berth_error_set(err, 0,
                                       "export: refusing to write an archive to a terminal (use -o FILE)");
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : dup(STDOUT_FILENO);
        if (fd < 0)
                return berth_error_set(err, errno, "export: open %s", output ? output : "stdout");
        r = engine_export(ctx->engine, argv[first], fd, err);
        if (r < 0) {
                if (output)
                        unlink(output);
                return berth_error_wrap(err, "export %s", argv[first]);
        }
        return 0;
}

int verb_commit(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"message", required_argument, NULL, 'm'}, {"author", required_argument, NULL, 'a'},
                {"change", required_argument, NULL, 'c'},  {"pause", optional_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},          {}};
        _cleanup_strv_free_ char **changes = NULL, **names = NULL;
        _cleanup_free_ char *id = NULL;
        engine_commit_opts o = {.pause = true};
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+m:a:c:p::h", opts, NULL)) >= 0) {
                if (c == 'm')
                        o.message = optarg;
                else if (c == 'a')
                        o.author = optarg;
                else if (c == 'c')
                        strv_push(&changes, optarg);
                else if (c == 'p')
                        o.pause = !optarg || streq(optarg, "true") || streq(optarg, "1");
                else if (c == 'h') {
                        print_verb_help(
                                "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                                "Create a new image from a container's changes",
                                "  -a, --author string    Author (e.g., \"John Hannibal Smith "
                                "<hannibal@a-team.com>\")\n"
                                "  -c, --change list      Apply Dockerfile instruction to the created "
                                "image\n"
                                "  -m, --message string   Commit message\n"
                                "  -p, --pause            Pause container during commit (default true)\n");
                        return 0;
                } else
                        return usage_error("commit", "unknown flag or missing value: %s", argv[optind - 1]);
        }
        if (argc - optind < 1 || argc - optind > 2)
                return usage_error("commit", "requires at least 1 and at most 2 arguments");
        if (optind + 1 < argc) {
                _cleanup_image_ref_ image_ref *ref = NULL;
                r = image_ref_parse(argv[optind + 1], &ref, err);
                if (r < 0)
                        return r;
                strv_consume(&names, image_ref_string(ref));
        }
        o.changes = changes;
        o.names = names;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_commit(ctx->engine, argv[optind], &o, &id, err);
        if (r < 0)
                return r;
        printf("%s\n", id);
        return 0;
}

static void print_progress(void *userdata, const char *line)
{
        printf("%s\n", line);
        fflush(stdout);
}

int verb_build(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
                                             {"file", required_argument, NULL, 'f'},
                                             {"build-arg", required_argument, NULL, 'b'},
                                             {"target", required_argument, NULL, 'T'},
                                             {"no-cache", no_argument, NULL, 'n'},
                                             {"pull", no_argument, NULL, 'P'},
                                             {"label", required_argument, NULL, 'l'},
                                             {"network", required_argument, NULL, 'N'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {}};
        _cleanup_strv_free_ char **tags = NULL, **args = NULL, **labels = NULL;
        _cleanup_free_ char *id = NULL;
        build_opts o = {};
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+t:f:qh", opts, NULL)) >= 0) {
                switch (c) {
                case 't': {
                        _cleanup_image_ref_ image_ref *ref = NULL;
                        r = image_ref_parse(optarg, &ref, err);
                        if (r < 0)
                                return berth_error_wrap(err, "build: invalid tag %s", optarg);
                        strv_push(&tags, optarg);
                        break;
                }
                case 'f':
                        o.dockerfile = optarg;
                        break;
                case 'b':
                        strv_push(&args, optarg);
                        break;
                case 'T':
                        o.target = optarg;
                        break;
                case 'n':
                        o.no_cache = true;
                        break;
                case 'P':
                        o.pull = true;
                        break;
                case 'l':
                        if (!strchr(optarg, '='))
                                return usage_error("build", "--label %s: expected KEY=VALUE", optarg);
                        strv_push(&labels, optarg);
                        break;
                case 'N':
                        o.network = optarg;
                        break;
                case 'q':
                        o.quiet = true;
                        break;
                case 'h':
                        print_verb_help(
                                "build [OPTIONS] PATH", "Build an image from a Dockerfile",
                                "      --build-arg list    Set build-time variables\n"
                                "  -f, --file string       Name of the Dockerfile (default: "
                                "PATH/Dockerfile)\n"
                                "      --label list        Set metadata for an image\n"
                                "      --network string    Set the networking mode for the RUN instructions "
                                "during build (default \"default\")\n"
                                "      --no-cache          Do not use cache when building the image\n"
                                "      --pull              Always attempt to pull a newer version of the "
                                "image\n"
                                "  -q, --quiet             Suppress the build output and print image ID on "
                                "success\n"
                                "  -t, --tag list          Name and optionally a tag in the \"name:tag\" "
                                "format\n"
                                "      --target string     Set the target build stage to build\n");
                        return 0;
                default:
                        return usage_error("build", "unknown flag or missing value: %s", argv[optind - 1]);
                }
        }
        if (argc - optind != 1)
                return usage_error("build", "requires exactly 1 argument");
        o.context = argv[optind];
        o.tags = tags;
        o.build_args = args;
        o.labels = labels;
        if (!o.quiet)
                o.progress = print_progress;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = build_image(ctx->engine, &o, &id, err);
        if (r < 0)
                return berth_error_wrap(err, "build");
        printf("%s\n", id);
        return 0;
}
