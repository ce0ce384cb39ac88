/* berth-runtime: the OCI runtime CLI, runc-compatible global flags and verbs. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime-cli.h"
#include "basic/log.h"

static const verb verbs[] = {
        {"create", verb_create,
         "[--bundle DIR] [--pid-file FILE] [--console-socket PATH] [--no-pivot] [--no-new-keyring] "
         "[--preserve-fds N] ID",
         "Create a container; its process waits until `start`."},
        {"start", verb_start, "ID", "Run the user process of a created container."},
        {"run", verb_run,
         "[--bundle DIR] [--detach] [--pid-file FILE] [--console-socket PATH] [--no-pivot] "
         "[--no-new-keyring] [--preserve-fds N] ID",
         "Create and start a container; without --detach wait and exit with its status."},
        {"state", verb_state, "ID", "Print the OCI state of a container as JSON."},
        {"kill", verb_kill, "[--all] ID [SIGNAL]", "Send a signal (default SIGTERM) to the container."},
        {"delete", verb_delete, "[--force] ID", "Delete a stopped (or, with --force, any) container."},
        {"list", verb_list, "[--format table|json] [--quiet]", "List the containers."},
        {"spec", verb_spec, "[--bundle DIR] [--rootless]", "Write a default config.json."},
        {"exec", verb_exec,
         "[--process FILE] [--tty] [--console-socket PATH] [--detach] [--pid-file FILE] [--cwd DIR] "
         "[--env K=V]... [--user UID[:GID]] [--cap CAP]... [--no-new-privs] [--preserve-fds N] ID [CMD "
         "ARGS...]",
         "Run a new process inside a running container."},
        {"pause", verb_pause, "ID", "Freeze every process of the container."},
        {"resume", verb_resume, "ID", "Thaw a paused container."},
        {"ps", verb_ps, "[--format table|json] ID", "List the processes of the container."},
        {"update", verb_update,
         "[--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--cpu-shares N] "
         "[--cpu-quota N] [--cpu-period N] [--cpuset-cpus LIST] [--cpuset-mems LIST] [--pids-limit N] "
         "[--blkio-weight N] ID",
         "Change the resource limits of a container."},
        {"features", verb_features, "", "Print what this runtime supports (runtime-spec features JSON)."},
};

const verb *cli_find_verb(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

int cli_fail(berth_error *err)
{
        _cleanup_free_ char *text = berth_error_text(err);

        if (log_fd() >= 0)
                log_error("%s", text);
        fprintf(stderr, "berth-runtime: %s\n", text);
        berth_error_free(err);
        return EXIT_RUNTIME_FAILURE;
}

int cli_fail_msg(const char *fmt, ...)
{
        berth_error *err = NULL;
        va_list ap;

        va_start(ap, fmt);
        berth_error_setv(&err, 0, fmt, ap);
        va_end(ap);
        return cli_fail(err);
}

int cli_usage(const verb *v, bool to_stderr)
{
        FILE *f = to_stderr ? stderr : stdout;

        fprintf(f, "Usage: berth-runtime [global options] %s %s\n\n%s\n", v->name, v->usage, v->help);
        return to_stderr ? EXIT_RUNTIME_FAILURE : 0;
}

int cli_expect_args(const char *name, int argc, char **argv, int min, int max)
{
        int n = argc - optind;

        if (n < min)
                return cli_fail_msg("%s: missing %s, see 'berth-runtime %s --help'", name,
                                    min - n == 1 && n == 0 ? "the container id" : "arguments", name);
        if (n > max)
                return cli_fail_msg("%s: unexpected argument \"%s\"", name, argv[optind + max]);
        return 0;
}

static void usage(FILE *f)
{
        fputs("Usage: berth-runtime [global options] COMMAND [options] ...\n\n"
              "berth's OCI runtime: runs OCI bundles, a drop-in for runc and crun.\n\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].help);
        fputs("\nGlobal options:\n"
              "  --root DIR              state directory (default /run/berth-runtime)\n"
              "  --log FILE              log file (default stderr)\n"
              "  --log-format text|json  log format (json lines: level, msg, time)\n"
              "  --debug                 log debug messages\n"
              "  --systemd-cgroup        not supported yet: refused\n"
              "  -v, --version           print the version\n"
              "  -h, --help              this help\n",
              f);
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_CRIU, OPT_ROOTLESS };

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"root", required_argument, NULL, OPT_ROOT},
                {"log", required_argument, NULL, OPT_LOG},
                {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
                {"debug", no_argument, NULL, OPT_DEBUG},
                {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
                {"criu", required_argument, NULL, OPT_CRIU},
                {"rootless", required_argument, NULL, OPT_ROOTLESS},
                {"version", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        global_opts g = {.root = "/run/berth-runtime"};
        const char *log_path = NULL;
        enum log_format fmt = LOG_FORMAT_TEXT;
        bool systemd = false;
        const verb *v;
        int c;

        log_set_program("berth-runtime");
        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
                switch (c) {
                case OPT_ROOT:
                        g.root = optarg;
                        break;
                case OPT_LOG:
                        log_path = optarg;
                        break;
                case OPT_LOG_FORMAT:
                        if (streq(optarg, "json"))
                                fmt = LOG_FORMAT_JSON;
                        else if (!streq(optarg, "text"))
                                return cli_fail_msg("--log-format: unknown format \"%s\" (text or json)",
                                                    optarg);
                        break;
                case OPT_DEBUG:
                        g.debug = true;
                        break;
                case OPT_SYSTEMD:
                        systemd = true;
                        break;
                case OPT_CRIU:
                case OPT_ROOTLESS:
                        break; /* accepted for runc compatibility; nothing to do */
                case 'v':
                        printf("berth-runtime version %s\nspec: 1.2.0\n", BERTH_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return cli_fail_msg("unknown global option \"%s\", see 'berth-runtime --help'",
                                            argv[optind - 1]);
                }
        }
        if (log_open(log_path, fmt, g.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN) < 0)
                return cli_fail_msg("--log %s: %m", log_path);
        if (optind >= argc) {
                usage(stderr);
                return EXIT_RUNTIME_FAILURE;
        }
        v = cli_find_verb(argv[optind]);
        if (!v)
                return cli_fail_msg("unknown command \"%s\", see 'berth-runtime --help'", argv[optind]);
        if (systemd)
                return cli_fail_msg("--systemd-cgroup: not supported yet, use cgroupfs paths");
        argv += optind;
        argc -= optind;
        optind = 0;
        return v->run(argc, argv, &g);
}
