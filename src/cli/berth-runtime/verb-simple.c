/* start, state, kill, delete: one container id and few flags each. */
#include <getopt.h>
#include <stdio.h>

#include "runtime-cli.h"
#include "basic/jsonh.h"
#include "runtime/container.h"

/* Flags shared by the simple verbs: --help and the boolean ones they accept. */
static int parse_flags(const char *name, int argc, char **argv, const char *flag, bool *flag_value, int min,
                       int max)
{
        struct option opts[] = {
                {"help", no_argument, NULL, 'h'},
                {flag ? flag : "help", no_argument, NULL, 'f'},
                {},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, flag ? "+hfa" : "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'h':
                        cli_usage(cli_find_verb(name), false);
                        return -1;
                case 'f':
                case 'a':
                        if (flag) {
                                *flag_value = true;
                                break;
                        }
                        /* fall through */
                default:
                        return cli_fail_msg("%s: unknown option \"%s\", see 'berth-runtime %s --help'", name,
                                            argv[optind - 1], name);
                }
        }
        return cli_expect_args(name, argc, argv, min, max);
}

int verb_start(int argc, char **argv, const global_opts *g)
{
        berth_error *err = NULL;
        int r = parse_flags("start", argc, argv, NULL, NULL, 1, 1);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (runtime_start(g->root, argv[optind], &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_state(int argc, char **argv, const global_opts *g)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_free_ char *text = NULL;
        berth_error *err = NULL;
        int r = parse_flags("state", argc, argv, NULL, NULL, 1, 1);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (runtime_state(g->root, argv[optind], &j, &err) < 0)
                return cli_fail(err);
        text = jsonh_dump(j, true);
        puts(text);
        return 0;
}

int verb_kill(int argc, char **argv, const global_opts *g)
{
        berth_error *err = NULL;
        bool all = false;
        int sig = 15, r = parse_flags("kill", argc, argv, "all", &all, 1, 2);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (optind + 1 < argc) {
                sig = runtime_signal_from_name(argv[optind + 1]);
                if (sig < 0)
                        return cli_fail_msg("kill: unknown signal \"%s\"", argv[optind + 1]);
        }
        if (runtime_kill(g->root, argv[optind], sig, all, &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_delete(int argc, char **argv, const global_opts *g)
{
        berth_error *err = NULL;
        bool force = false;
        int r = parse_flags("delete", argc, argv, "force", &force, 1, 1);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (runtime_delete(g->root, argv[optind], force, &err) < 0)
                return cli_fail(err);
        return 0;
}
