/* `berth run` and `berth create`: Docker's flags into run_opts, then the engine. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "berth.h"
#include "engine/engine.h"
#include "runtime/container.h"

enum {
        OPT_RM = 1000,
        OPT_NAME,
        OPT_ENV_FILE,
        OPT_ENTRYPOINT,
        OPT_READ_ONLY,
        OPT_TMPFS,
        OPT_MEMORY,
        OPT_MEMORY_SWAP,
        OPT_MEMORY_RES,
        OPT_OOM_KILL_DISABLE,
        OPT_CPUS,
        OPT_CPU_SHARES,
        OPT_CPU_PERIOD,
        OPT_CPU_QUOTA,
        OPT_CPUSET_CPUS,
        OPT_CPUSET_MEMS,
        OPT_PIDS_LIMIT,
        OPT_ULIMIT,
        OPT_CAP_ADD,
        OPT_CAP_DROP,
        OPT_PRIVILEGED,
        OPT_SECURITY_OPT,
        OPT_SYSCTL,
        OPT_SHM_SIZE,
        OPT_STOP_SIGNAL,
        OPT_STOP_TIMEOUT,
        OPT_LABEL,
        OPT_LOG_OPT,
        OPT_NETWORK,
        OPT_INIT,
        OPT_PULL,
        OPT_HOSTNAME,
        OPT_RESTART,
        OPT_DEVICE,
        OPT_GROUP_ADD,
        OPT_IP,
        OPT_MAC,
        OPT_ADD_HOST,
        OPT_DNS,
        OPT_DNS_SEARCH,
        OPT_DNS_OPTION,
        OPT_NET_ALIAS,
        OPT_MOUNT,
};

static const char run_options[] =
        "  -d, --detach               Run in the background and print the container id\n"
        "  -i, --interactive          Keep stdin open\n"
        "  -t, --tty                  Allocate a pseudo-TTY\n"
        "      --rm                   Remove the container when it exits\n"
        "      --restart POLICY       no, on-failure[:N], always, unless-stopped\n"
        "      --name NAME            Name the container\n"
        "  -e, --env KEY=VALUE        Set an environment variable (KEY alone: the host's value)\n"
        "      --env-file FILE        Read environment variables from a file\n"
        "  -w, --workdir DIR          Working directory inside the container\n"
        "  -u, --user USER[:GROUP]    User name or uid, group name or gid\n"
        "      --entrypoint CMD       Override the image's entrypoint\n"
        "  -h, --hostname NAME        Container host name\n"
        "      --read-only            Mount the root filesystem read-only\n"
        "      --tmpfs DIR[:OPTS]     Mount a tmpfs\n"
        "      --mount type=bind|volume|tmpfs,src=,dst=[,ro][,tmpfs-size=][,tmpfs-mode=]  Mount\n"
        "  -v, --volume SRC:DST[:ro]  Bind a host path or a named volume; DST alone: anonymous volume\n"
        "      --memory SIZE          Memory limit (b, k, m, g)\n"
        "      --memory-swap SIZE     Memory plus swap limit (-1: unlimited)\n"
        "      --memory-reservation SIZE  Memory soft limit\n"
        "      --oom-kill-disable     Disable the OOM killer\n"
        "      --cpus N               Number of CPUs (quota over a 100 ms period)\n"
        "      --cpu-shares N         CPU shares (relative weight)\n"
        "      --cpu-period US        CPU CFS period\n"
        "      --cpu-quota US         CPU CFS quota\n"
        "      --cpuset-cpus LIST     CPUs allowed (0-3, 0,1)\n"
        "      --cpuset-mems LIST     Memory nodes allowed\n"
        "      --pids-limit N         Process limit (-1: unlimited)\n"
        "      --ulimit NAME=SOFT[:HARD]  rlimit\n"
        "      --cap-add CAP          Add a capability (ALL: every one)\n"
        "      --cap-drop CAP         Drop a capability (ALL: every one)\n"
        "      --privileged           All capabilities, all devices, no seccomp, no masked paths\n"
        "      --security-opt OPT     seccomp=unconfined|FILE, no-new-privileges\n"
        "      --sysctl KEY=VALUE     Namespaced kernel parameter\n"
        "      --device HOST[:CTR[:rwm]]  Add a host device\n"
        "      --group-add GROUP      Add a supplementary group (name or gid)\n"
        "      --shm-size SIZE        Size of /dev/shm (default 64m)\n"
        "      --stop-signal SIG      Signal to stop the container (default SIGTERM)\n"
        "      --stop-timeout SECS    Seconds before SIGKILL on stop (default 10)\n"
        "      --label KEY=VALUE      Set a label\n"
        "      --log-opt KEY=VALUE    max-size=SIZE, max-file=N\n"
        "      --network NET          bridge (default), none, host, container:NAME or a network\n"
        "  -p, --publish [IP:][HOST:]CTR[/udp]  Publish a container port (HOST omitted: a free one)\n"
        "  -P, --publish-all          Publish every port the image exposes on free host ports\n"
        "      --ip ADDR              Address on a user-defined network\n"
        "      --mac-address MAC      MAC address of the container's interface\n"
        "      --network-alias NAME   Another name on a user-defined network\n"
        "      --add-host NAME:IP     Add a line to /etc/hosts (IP host-gateway: the host)\n"
        "      --dns IP               Name server (replaces the host's)\n"
        "      --dns-search DOMAIN    Search domain\n"
        "      --dns-option OPT       resolv.conf option\n"
        "      --pull POLICY          missing (default), always or never\n";

int parse_size(const char *verb, const char *flagname, const char *s, int64_t *ret)
{
        char *end;
        double v = strtod(s, &end);
        int64_t mult = 1;

        if (end == s || v < 0)
                return usage_error(verb, "invalid size for %s: %s", flagname, s);
        switch (*end) {
        case 'b':
        case 'B':
        case 0:
                break;
        case 'k':
        case 'K':
                mult = 1024;
                break;
        case 'm':
        case 'M':
                mult = 1024 * 1024;
                break;
        case 'g':
        case 'G':
                mult = 1024LL * 1024 * 1024;
                break;
        default:
                return usage_error(verb, "invalid size for %s: %s", flagname, s);
        }
        if (*end && end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2]))
                return usage_error(verb, "invalid size for %s: %s", flagname, s);
        *ret = (int64_t)(v * (double)mult);
        return 0;
}

static int parse_int(const char *flagname, const char *s, int64_t *ret)
{
        char *end;
        long long v = strtoll(s, &end, 10);

        if (end == s || *end)
                return usage_error("run", "invalid value for %s: %s", flagname, s);
        *ret = v;
        return 0;
}

static void env_add(run_opts *o, const char *kv)
{
        if (strchr(kv, '=')) {
                strv_push(&o->env, kv);
                return;
        }
        const char *v = getenv(kv);
        if (v)
                strv_consume(&o->env, xasprintf("%s=%s", kv, v));
}

static int env_file(run_opts *o, const char *path, berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = fs_read_file(path, &buf, &len, err);

        if (r < 0)
                return berth_error_wrap(err, "--env-file");
        _cleanup_strv_free_ char **lines = strv_split(buf, "\n");
        STRV_FOREACH (l, lines) {
                char *s = *l + strspn(*l, " \t");
                if (*s && *s != '#')
                        env_add(o, s);
        }
        return 0;
}

static int security_opt(run_opts *o, const char *s)
{
        if (streq(s, "no-new-privileges") || streq(s, "no-new-privileges:true") ||
            streq(s, "no-new-privileges=true"))
                o->no_new_privs = true;
        else if (strncmp(s, "seccomp=", 8) == 0 || strncmp(s, "seccomp:", 8) == 0) {
                free(o->seccomp);
                o->seccomp = xstrdup(s + 8);
        } else if (strncmp(s, "apparmor=", 9) == 0 || strncmp(s, "label=", 6) == 0)
                ; /* no AppArmor or SELinux on this host: accepted and ignored, as Docker does */
        else
                return usage_error("run", "invalid --security-opt: %s", s);
        return 0;
}

static int log_opt(run_opts *o, const char *s)
{
        if (strncmp(s, "max-size=", 9) == 0)
                return parse_size("run", "--log-opt max-size", s + 9, &o->log_max_size);
        if (strncmp(s, "max-file=", 9) == 0) {
                int64_t n = 0;
                if (parse_int("--log-opt max-file", s + 9, &n) < 0 || n < 1)
                        return usage_error("run", "invalid --log-opt: %s", s);
                o->log_max_file = (int)n;
                return 0;
        }
        return usage_error("run", "unknown --log-opt: %s", s);
}

static int one_option(run_opts *o, int c, const char *arg, berth_error **err)
{
        int64_t n = 0;
        int r = 0;

        switch (c) {
        case 'd':
                o->detach = true;
                break;
        case 'i':
                o->interactive = true;
                break;
        case 't':
                o->tty = true;
                break;
        case OPT_RM:
                o->rm = true;
                break;
        case OPT_NAME:
                free(o->name);
                o->name = xstrdup(arg);
                break;
        case 'e':
                env_add(o, arg);
                break;
        case OPT_ENV_FILE:
                r = env_file(o, arg, err);
                break;
        case 'w':
                free(o->workdir);
                o->workdir = xstrdup(arg);
                break;
        case 'u':
                free(o->user);
                o->user = xstrdup(arg);
                break;
        case OPT_ENTRYPOINT:
                strv_free(o->entrypoint);
                o->entrypoint = strv_split(arg, " ");
                if (!o->entrypoint || !o->entrypoint[0]) {
                        strv_free(o->entrypoint);
                        o->entrypoint = xcalloc(2, sizeof(char *));
                        o->entrypoint[0] = xstrdup("");
                }
                break;
        case OPT_HOSTNAME:
                free(o->hostname);
                o->hostname = xstrdup(arg);
                break;
        case OPT_READ_ONLY:
                o->read_only = true;
                break;
        case OPT_TMPFS:
                strv_push(&o->tmpfs, arg);
                break;
        case 'v':
                strv_push(&o->volumes, arg);
                break;
        case OPT_MEMORY:
                r = parse_size("run", "--memory", arg, &o->memory);
                break;
        case OPT_MEMORY_SWAP:
                if (streq(arg, "-1"))
                        o->memory_swap = -1;
                else
                        r = parse_size("run", "--memory-swap", arg, &o->memory_swap);
                break;
        case OPT_MEMORY_RES:
                r = parse_size("run", "--memory-reservation", arg, &o->memory_reservation);
                break;
        case OPT_OOM_KILL_DISABLE:
                o->oom_kill_disable = true;
                break;
        case OPT_CPUS: {
                char *end;
                o->cpus = strtod(arg, &end);
                if (end == arg || *end || o->cpus <= 0)
                        r = usage_error("run", "invalid value for --cpus: %s", arg);
                break;
        }
        case OPT_CPU_SHARES:
                r = parse_int("--cpu-shares", arg, &n);
                o->cpu_shares = (uint64_t)n;
                break;
        case OPT_CPU_PERIOD:
                r = parse_int("--cpu-period", arg, &n);
                o->cpu_period = (uint64_t)n;
                break;
        case OPT_CPU_QUOTA:
                r = parse_int("--cpu-quota", arg, &o->cpu_quota);
                break;
        case OPT_CPUSET_CPUS:
                free(o->cpuset_cpus);
                o->cpuset_cpus = xstrdup(arg);
                break;
        case OPT_CPUSET_MEMS:
                free(o->cpuset_mems);
                o->cpuset_mems = xstrdup(arg);
                break;
        case OPT_PIDS_LIMIT:
                r = parse_int("--pids-limit", arg, &o->pids_limit);
                break;
        case OPT_ULIMIT:
                strv_push(&o->ulimits, arg);
                break;
        case OPT_CAP_ADD:
                strv_push(&o->cap_add, arg);
                break;
        case OPT_CAP_DROP:
                strv_push(&o->cap_drop, arg);
                break;
        case OPT_PRIVILEGED:
                o->privileged = true;
                break;
        case OPT_SECURITY_OPT:
                r = security_opt(o, arg);
                break;
        case OPT_SYSCTL:
                strv_push(&o->sysctls, arg);
                break;
        case OPT_SHM_SIZE:
                r = parse_size("run", "--shm-size", arg, &o->shm_size);
                break;
        case OPT_STOP_SIGNAL:
                if (runtime_signal_from_name(arg) < 0)
                        r = usage_error("run", "invalid --stop-signal: %s", arg);
                free(o->stop_signal);
                o->stop_signal = xstrdup(arg);
                break;
        case OPT_STOP_TIMEOUT:
                r = parse_int("--stop-timeout", arg, &n);
                o->stop_timeout = (int)n;
                break;
        case OPT_LABEL:
                strv_push(&o->labels, arg);
                break;
        case OPT_LOG_OPT:
                r = log_opt(o, arg);
                break;
        case OPT_NETWORK:
                if (!*arg || (strncmp(arg, "container:", 10) == 0 && !arg[10]))
                        r = usage_error("run", "invalid --network: \"%s\"", arg);
                free(o->network);
                o->network = xstrdup(streq(arg, "default") ? "bridge" : arg);
                break;
        case 'p':
                strv_push(&o->publish, arg);
                break;
        case 'P':
                o->publish_all = true;
                break;
        case OPT_IP:
                free(o->ip);
                o->ip = xstrdup(arg);
                break;
        case OPT_MAC:
                free(o->mac_address);
                o->mac_address = xstrdup(arg);
                break;
        case OPT_ADD_HOST:
                strv_push(&o->add_hosts, arg);
                break;
        case OPT_DNS:
                strv_push(&o->dns, arg);
                break;
        case OPT_DNS_SEARCH:
                strv_push(&o->dns_search, arg);
                break;
        case OPT_DNS_OPTION:
                strv_push(&o->dns_options, arg);
                break;
        case OPT_NET_ALIAS:
                strv_push(&o->network_aliases, arg);
                break;
        case OPT_INIT:
                o->init = true;
                break;
        case OPT_DEVICE:
                strv_push(&o->devices, arg);
                break;
        case OPT_GROUP_ADD:
                strv_push(&o->group_add, arg);
                break;
        case OPT_MOUNT:
                r = run_mount_option(o, arg);
                break;
        case OPT_RESTART: {
                const char *num = arg + 11;
                bool ok = streq(arg, "no") || streq(arg, "always") || streq(arg, "unless-stopped") ||
                          streq(arg, "on-failure") ||
                          (strncmp(arg, "on-failure:", 11) == 0 && *num &&
                           strspn(num, "0123456789") == strlen(num));
                if (!ok)
                        r = usage_error("run", "invalid restart policy: %s", arg);
                free(o->restart);
                o->restart = streq(arg, "no") ? NULL : xstrdup(arg);
                break;
        }
        case OPT_PULL:
                if (!streq(arg, "missing") && !streq(arg, "never") && !streq(arg, "always"))
                        r = usage_error("run", "invalid --pull: %s (missing, always or never)", arg);
                else {
                        free(o->pull);
                        o->pull = xstrdup(arg);
                }
                break;
        default:
                return -EINVAL;
        }
        return r;
}

/* Parse flags; *ret_first: index of IMAGE. 0 done, 1 help shown, <0 error. */
static int run_parse(const char *verb, int argc, char **argv, run_opts *o, int *ret_first, berth_error **err)
{
        static const struct option opts[] = {
                {"detach", no_argument, NULL, 'd'},
                {"interactive", no_argument, NULL, 'i'},
                {"tty", no_argument, NULL, 't'},
                {"rm", no_argument, NULL, OPT_RM},
                {"name", required_argument, NULL, OPT_NAME},
                {"env", required_argument, NULL, 'e'},
                {"env-file", required_argument, NULL, OPT_ENV_FILE},
                {"workdir", required_argument, NULL, 'w'},
                {"user", required_argument, NULL, 'u'},
                {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
                {"hostname", required_argument, NULL, OPT_HOSTNAME},
                {"read-only", no_argument, NULL, OPT_READ_ONLY},
                {"tmpfs", required_argument, NULL, OPT_TMPFS},
                {"volume", required_argument, NULL, 'v'},
                {"memory", required_argument, NULL, OPT_MEMORY},
                {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
                {"memory-reservation", required_argument, NULL, OPT_MEMORY_RES},
                {"oom-kill-disable", no_argument, NULL, OPT_OOM_KILL_DISABLE},
                {"cpus", required_argument, NULL, OPT_CPUS},
                {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
                {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
                {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
                {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
                {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
                {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
                {"ulimit", required_argument, NULL, OPT_ULIMIT},
                {"cap-add", required_argument, NULL, OPT_CAP_ADD},
                {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
                {"privileged", no_argument, NULL, OPT_PRIVILEGED},
                {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
                {"sysctl", required_argument, NULL, OPT_SYSCTL},
                {"shm-size", required_argument, NULL, OPT_SHM_SIZE},
                {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
                {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
                {"label", required_argument, NULL, OPT_LABEL},
                {"log-opt", required_argument, NULL, OPT_LOG_OPT},
                {"network", required_argument, NULL, OPT_NETWORK},
                {"net", required_argument, NULL, OPT_NETWORK},
                {"init", no_argument, NULL, OPT_INIT},
                {"pull", required_argument, NULL, OPT_PULL},
                {"restart", required_argument, NULL, OPT_RESTART},
                {"device", required_argument, NULL, OPT_DEVICE},
                {"group-add", required_argument, NULL, OPT_GROUP_ADD},
                {"publish", required_argument, NULL, 'p'},
                {"publish-all", no_argument, NULL, 'P'},
                {"ip", required_argument, NULL, OPT_IP},
                {"mac-address", required_argument, NULL, OPT_MAC},
                {"add-host", required_argument, NULL, OPT_ADD_HOST},
                {"dns", required_argument, NULL, OPT_DNS},
                {"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
                {"dns-option", required_argument, NULL, OPT_DNS_OPTION},
                {"network-alias", required_argument, NULL, OPT_NET_ALIAS},
                {"net-alias", required_argument, NULL, OPT_NET_ALIAS},
                {"mount", required_argument, NULL, OPT_MOUNT},
                {"help", no_argument, NULL, 'H'},
                {},
        };
        int c, r;

        o->stop_timeout = -1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+dite:w:u:h:v:p:P", opts, NULL)) >= 0) {
                if (c == 'H') {
                        _cleanup_free_ char *usage =
                                xasprintf("%s [OPTIONS] IMAGE [COMMAND] [ARG...]", verb);
                        print_verb_help(usage,
                                        streq(verb, "run") ? "Create and run a new container from an image"
                                                           : "Create a new container",
                                        run_options);
                        return 1;
                }
                if (c == '?' || c == ':')
                        return usage_error(verb, "unknown flag or missing value: %s", argv[optind - 1]);
                r = one_option(o, c, optarg, err);
                if (r < 0)
                        return r;
        }
        if (optind >= argc)
                return usage_error(verb, "requires at least 1 argument");
        if (o->rm && o->restart)
                return usage_error(verb, "conflicting options: --restart and --rm");
        *ret_first = optind;
        return 0;
}

static int create_from_args(berth_ctx *ctx, const char *verb, int argc, char **argv, run_opts *o,
                            char **ret_id, berth_error **err)
{
        int first = 0, r = run_parse(verb, argc, argv, o, &first, err);

        if (r != 0)
                return r < 0 && !*err ? -EINVAL : r;
        if (argc - first > 1)
                o->cmd = strv_copy(argv + first + 1);
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        r = engine_create(ctx->engine, argv[first], o, ret_id, err);
        return r < 0 ? r : 0;
}

int verb_create(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_free_ char *id = NULL;
        run_opts o = {0};
        int r = create_from_args(ctx, "create", argc, argv, &o, &id, err);

        run_opts_clear(&o);
        if (r != 0)
                return r > 0 ? 0 : r;
        printf("%s\n", id);
        return 0;
}

/* A foreground run attaches to the monitor's socket, as `start -a` does; a start that fails
 * leaves nothing of an --rm container. */
static int run_foreground(berth_ctx *ctx, const char *id, const run_opts *o, berth_error **err)
{
        int r = run_attached(ctx, id, o->interactive, err);

        if (r < 0 && *err && o->rm)
                engine_remove(ctx->engine, id, true, true, NULL);
        return r;
}

/* Docker's codes for a command that cannot run: 127 not found, 126 not executable. */
int start_failure(const berth_error *err)
{
        _cleanup_free_ char *t = berth_error_text(err);

        fprintf(stderr, "berth: %s\n", t);
        if (strstr(t, "executable file not found") || strstr(t, "no such file or directory"))
                return 127;
        if (strstr(t, "permission denied"))
                return 126;
        return EXIT_BERTH;
}

int verb_run(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_free_ char *id = NULL;
        run_opts o = {0};
        int r = create_from_args(ctx, "run", argc, argv, &o, &id, err);

        if (r != 0) {
                run_opts_clear(&o);
                return r > 0 ? 0 : r;
        }
        if (o.detach) {
                start_io io = {0};
                r = engine_start(ctx->engine, id, &io, err);
                if (r >= 0)
                        printf("%s\n", id);
        } else
                r = run_foreground(ctx, id, &o, err);
        if (r < 0 && *err && o.detach && id)
                engine_remove(ctx->engine, id, true, true, NULL);
        run_opts_clear(&o);
        if (r < 0 && *err) {
                r = start_failure(*err);
                berth_error_free(*err);
                *err = NULL;
        }
        return r;
}
