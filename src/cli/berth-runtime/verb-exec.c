/* exec: a new process in a running container. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime-cli.h"
#include "basic/strv.h"
#include "runtime/container.h"

enum {
        OPT_CONSOLE = 256,
        OPT_PID_FILE,
        OPT_CWD,
        OPT_CAP,
        OPT_NNP,
        OPT_PRESERVE,
        OPT_IGNORED_ARG,
        OPT_IGNORED
};

int verb_exec(int argc, char **argv, const global_opts *g)
{
        static const struct option opts[] = {
                {"process", required_argument, NULL, 'p'},
                {"tty", no_argument, NULL, 't'},
                {"console-socket", required_argument, NULL, OPT_CONSOLE},
                {"detach", no_argument, NULL, 'd'},
                {"pid-file", required_argument, NULL, OPT_PID_FILE},
                {"cwd", required_argument, NULL, OPT_CWD},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"cap", required_argument, NULL, 'c'},
                {"no-new-privs", no_argument, NULL, OPT_NNP},
                {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
                {"process-label", required_argument, NULL, OPT_IGNORED_ARG},
                {"apparmor", required_argument, NULL, OPT_IGNORED_ARG},
                {"additional-gids", required_argument, NULL, 'g'},
                {"ignore-paused", no_argument, NULL, OPT_IGNORED},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_strv_free_ char **env = NULL, **caps = NULL, **args = NULL;
        runtime_exec_opts o = {};
        berth_error *err = NULL;
        int c, status = 0, r;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+p:tde:u:c:g:h", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        o.process_path = optarg;
                        break;
                case 't':
                        o.tty = true;
                        break;
                case OPT_CONSOLE:
                        o.console_socket = optarg;
                        break;
                case 'd':
                        o.detach = true;
                        break;
                case OPT_PID_FILE:
                        o.pid_file = optarg;
                        break;
                case OPT_CWD:
                        o.cwd = optarg;
                        break;
                case 'e':
                        strv_push(&env, optarg);
                        break;
                case 'u':
                        o.user = optarg;
                        break;
                case 'c':
                        strv_push(&caps, optarg);
                        break;
                case OPT_NNP:
                        o.no_new_privs = true;
                        break;
                case OPT_PRESERVE:
                        o.preserve_fds = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'g':
                case OPT_IGNORED_ARG:
                case OPT_IGNORED:
                        break;
                case 'h':
                        return cli_usage(cli_find_verb("exec"), false);
                default:
                        return cli_fail_msg("exec: unknown option \"%s\", see 'berth-runtime exec --help'",
                                            argv[optind - 1]);
                }
        }
        r = cli_expect_args("exec", argc, argv, o.process_path ? 1 : 2, o.process_path ? 1 : 1 << 20);
        if (r)
                return r;
        for (int i = optind + 1; i < argc; i++)
                strv_push(&args, argv[i]);
        o.args = args;
        o.env = env;
        o.caps = caps;
        r = runtime_exec(g->root, argv[optind], &o, &status, &err);
        if (r == -126 || r == -127) {
                cli_fail(err);
                return -r;
        }
        if (r < 0)
                return cli_fail(err);
        return status;
}
