/* berth: the user's CLI. Global flags, then a verb from the table; a verb parses its own flags
 * and calls the library. Errors become one line "berth: <what>: <why>" and exit status 125. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"

static const berth_verb verbs[] = {
        /* containers */
        {"run", "Create and run a new container from an image", verb_run},
        {"create", "Create a new container", verb_create},
        {"start", "Start one or more stopped containers", verb_start},
        {"attach", "Attach local standard input, output, and error streams to a running container",
         verb_attach},
        {"stop", "Stop one or more running containers", verb_stop},
        {"restart", "Restart one or more containers", verb_restart},
        {"kill", "Kill one or more running containers", verb_kill},
        {"rm", "Remove one or more containers", verb_rm},
        {"ps", "List containers", verb_ps},
        {"logs", "Fetch the logs of a container", verb_logs},
        {"inspect", "Return low-level information on containers or images", verb_inspect},
        {"wait", "Block until containers stop, then print their exit codes", verb_wait},
        {"exec", "Run a command in a running container", verb_exec},
        {"pause", "Pause all processes within containers", verb_pause},
        {"unpause", "Unpause all processes within containers", verb_unpause},
        {"stats", "Display a live stream of container resource usage statistics", verb_stats},
        {"top", "Display the running processes of a container", verb_top},
        {"rename", "Rename a container", verb_rename},
        {"cp", "Copy files and folders between a container and the host", verb_cp},
        {"update", "Update the limits of one or more containers", verb_update},
        {"container", "Manage containers (ls, prune and the container verbs)", verb_container},
        {"diff", "Inspect changes to files or directories on a container's filesystem", verb_diff},
        {"export", "Export a container's filesystem as a tar archive", verb_export},
        {"commit", "Create a new image from a container's changes", verb_commit},
        {"volume", "Manage volumes (create, ls, inspect, rm, prune)", verb_volume},
        {"network", "Manage networks (create, ls, inspect, rm, connect, disconnect, prune)", verb_network},
        {"port", "List port mappings or a specific mapping for the container", verb_port},
        /* images */
        {"images", "List images", verb_images},
        {"build", "Build an image from a Dockerfile", verb_build},
        {"builder", "Manage builds (build, prune)", verb_builder},
        {"image", "Manage images (ls, inspect, history, tag, rm, prune, load, save, import, mount, umount)",
         verb_image},
        {"history", "Show the history of an image", verb_history},
        {"tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", verb_tag},
        {"rmi", "Remove one or more images", verb_rmi},
        {"load", "Load images from a tar archive (docker-archive or oci-archive)", verb_load},
        {"save", "Save one or more images to a tar archive (docker-archive)", verb_save},
        {"import", "Import the contents from a tarball to create a filesystem image", verb_import},
        {"pull", "Download an image from a registry", verb_pull},
        {"push", "Upload an image to a registry", verb_push},
        {"login", "Log in to a registry", verb_login},
        {"logout", "Log out from a registry", verb_logout},
        {"system", "Manage berth (df, info)", verb_system},
        {"version", "Show the berth version information", verb_version},
        {"info", "Display system-wide information", verb_info},
};

static void print_help(void)
{
        printf("\nUsage:  berth [OPTIONS] COMMAND\n\nA container engine without a daemon\n\n"
               "Options:\n"
               "      --root DIR             Persistent storage (default /var/lib/berth)\n"
               "      --runroot DIR          Run state (default /run/berth)\n"
               "      --storage-driver NAME  overlay or vfs (default: overlay where it works)\n"
               "  -h, --help                 Print usage\n"
               "  -v, --version              Print version information and quit\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nRun 'berth COMMAND --help' for more information on a command.\n");
}

static int parse_globals(berth_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"root", required_argument, NULL, 'r'},
                {"runroot", required_argument, NULL, 'R'},
                {"storage-driver", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'v'},
                {},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        ctx->root = optarg;
                        break;
                case 'R':
                        ctx->runroot = optarg;
                        break;
                case 's':
                        ctx->storage_driver = optarg;
                        break;
                case 'h':
                        print_help();
                        exit(0);
                case 'v':
                        printf("berth version %s\n", BERTH_VERSION);
                        exit(0);
                default:
                        fprintf(stderr, "berth: unknown flag: %s (see 'berth --help')\n", argv[optind - 1]);
                        exit(EXIT_BERTH);
                }
        }
        return optind;
}

int main(int argc, char **argv)
{
        berth_ctx ctx = {.root = "/var/lib/berth", .runroot = "/run/berth"};
        _cleanup_error_ berth_error *err = NULL;
        int first, r = -ENOENT;

        first = parse_globals(&ctx, argc, argv);
        if (first >= argc) {
                print_help();
                return 0;
        }
        if (streq(argv[first], "help")) {
                print_help();
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, argv[first]))
                        continue;
                optind = 0;
                r = verbs[i].run(&ctx, argc - first, argv + first, &err);
                break;
        }
        if (r == -ENOENT && !err) {
                fprintf(stderr, "berth: '%s' is not a berth command (see 'berth --help')\n", argv[first]);
                return EXIT_BERTH;
        }
        berth_close(&ctx);
        if (r < 0)
                return err ? berth_report(err) : EXIT_BERTH;
        return r;
}
