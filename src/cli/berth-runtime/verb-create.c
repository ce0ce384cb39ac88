/* create, run: parse the flags both share, then call the runtime. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime-cli.h"
#include "runtime/container.h"

enum {
        OPT_PID_FILE = 256,
        OPT_CONSOLE,
        OPT_NO_PIVOT,
        OPT_NO_KEYRING,
        OPT_PRESERVE,
        OPT_NO_SUBREAPER,
        OPT_KEEP
};

static int parse_create_flags(const char *name, int argc, char **argv, runtime_create_opts *o, bool *detach)
{
        static const struct option opts[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"pid-file", required_argument, NULL, OPT_PID_FILE},
                {"console-socket", required_argument, NULL, OPT_CONSOLE},
                {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
                {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
                {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
                {"detach", no_argument, NULL, 'd'},
                {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
                {"keep", no_argument, NULL, OPT_KEEP},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+b:dh", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        o->bundle = optarg;
                        break;
                case OPT_PID_FILE:
                        o->pid_file = optarg;
                        break;
                case OPT_CONSOLE:
                        o->console_socket = optarg;
                        break;
                case OPT_NO_PIVOT:
                        o->no_pivot = true;
                        break;
                case OPT_NO_KEYRING:
                        o->no_new_keyring = true;
                        break;
                case OPT_PRESERVE: {
                        char *end;
                        unsigned long n = strtoul(optarg, &end, 10);
                        if (*end || n > 65536)
                                return cli_fail_msg("%s: --preserve-fds: \"%s\" is not a count", name,
                                                    optarg);
                        o->preserve_fds = (unsigned)n;
                        break;
                }
                case 'd':
                        if (!detach)
                                return cli_fail_msg("%s: unknown option \"--detach\"", name);
                        *detach = true;
                        break;
                case OPT_NO_SUBREAPER:
                case OPT_KEEP:
                        break;
                case 'h':
                        cli_usage(cli_find_verb(name), false);
                        return -1;
                default:
                        return cli_fail_msg("%s: unknown option \"%s\", see 'berth-runtime %s --help'", name,
                                            argv[optind - 1], name);
                }
        }
        return cli_expect_args(name, argc, argv, 1, 1);
}

int verb_create(int argc, char **argv, const global_opts *g)
{
        runtime_create_opts o = {};
        berth_error *err = NULL;
        int r = parse_create_flags("create", argc, argv, &o, NULL);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (runtime_create(g->root, argv[optind], &o, &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_run(int argc, char **argv, const global_opts *g)
{
        runtime_create_opts o = {};
        berth_error *err = NULL;
        bool detach = false;
        int status = 0, r = parse_create_flags("run", argc, argv, &o, &detach);

        if (r != 0)
                return r < 0 ? 0 : r;
        r = runtime_run(g->root, argv[optind], &o, detach, &status, &err);
        if (r == -126 || r == -127) {
                cli_fail(err); /* the command could not be found or run: 127 or 126 */
                return -r;
        }
        if (r < 0)
                return cli_fail(err);
        return status;
}
