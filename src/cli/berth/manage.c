/* stats, top, rename, `container` (prune, ls, inspect, rm ...) and `volume`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "berth.h"
#include "engine/engine.h"

/* Docker's binary sizes in stats: "1.5MiB". */
static char *size_bin(uint64_t b)
{
        static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = (double)b;
        size_t u = 0;

        while (v >= 1024 && u + 1 < ELEMENTSOF(unit)) {
                v /= 1024;
                u++;
        }
        return u == 0 ? xasprintf("%lluB", (unsigned long long)b) : xasprintf("%.4g%s", v, unit[u]);
}

typedef struct stats_flags {
        bool no_stream, all;
        const char *format;
} stats_flags;

static void on_stats(int letter, const char *arg, void *ud)
{
        stats_flags *f = ud;
        if (letter == 1001)
                f->no_stream = true;
        else if (letter == 'a')
                f->all = true;
        else if (letter == 1002)
                f->format = arg;
}

static json_t *stats_row(const engine_stats_sample *a, const engine_stats_sample *b)
{
        double cpu = 0, mem_pct = 0;
        uint64_t limit = b->s.memory_limit;

        if (b->running && b->taken_ns > a->taken_ns && b->s.cpu_usage_ns >= a->s.cpu_usage_ns)
                cpu = 100.0 * (double)(b->s.cpu_usage_ns - a->s.cpu_usage_ns) /
                      (double)(b->taken_ns - a->taken_ns);
        if (limit == UINT64_MAX || limit == 0) {
                long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
                limit = (uint64_t)pages * (uint64_t)psize;
        }
        if (limit)
                mem_pct = 100.0 * (double)b->s.memory_usage / (double)limit;
        _cleanup_free_ char *use = size_bin(b->s.memory_usage), *lim = size_bin(limit);
        _cleanup_free_ char *rd = format_size(b->s.io_read_bytes), *wr = format_size(b->s.io_write_bytes);
        _cleanup_free_ char *id = xstrndup(b->id, 12);
        _cleanup_free_ char *cpu_s = xasprintf("%.2f%%", cpu), *mem_s = xasprintf("%.2f%%", mem_pct);
        _cleanup_free_ char *mem_use = xasprintf("%s / %s", use, lim), *blk = xasprintf("%s / %s", rd, wr);
        _cleanup_free_ char *pids = xasprintf("%llu", (unsigned long long)b->s.pids_current);

        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Name", b->name, "CPUPerc", cpu_s,
                         "MemUsage", mem_use, "MemPerc", mem_s, "NetIO", "0B / 0B", "BlockIO", blk, "PIDs",
                         pids);
}

static int stats_once(berth_ctx *ctx, char **names, const stats_flags *f, berth_error **err)
{
        size_t n = strv_length(names);
        engine_stats_sample *a = xcalloc(n + 1, sizeof(*a)), *b = xcalloc(n + 1, sizeof(*b));
        char ***rows = xcalloc(n + 1, sizeof(char **));
        static const char *const head[] = {"CONTAINER ID", "NAME",    "CPU %",     "MEM USAGE / LIMIT",
                                           "MEM %",        "NET I/O", "BLOCK I/O", "PIDS"};
        static const char *const keys[] = {"ID",      "Name",  "CPUPerc", "MemUsage",
                                           "MemPerc", "NetIO", "BlockIO", "PIDs"};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = engine_stats(ctx->engine, names[i], &a[i], err);
        if (r >= 0)
                usleep(500 * 1000);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = engine_stats(ctx->engine, names[i], &b[i], err);
        rows[0] = xcalloc(8, sizeof(char *));
        for (int k = 0; k < 8; k++)
                rows[0][k] = xstrdup(head[k]);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_json_ json_t *row = stats_row(&a[i], &b[i]);
                rows[i + 1] = xcalloc(8, sizeof(char *));
                for (int k = 0; k < 8; k++)
                        rows[i + 1][k] = xstrdup(json_string_value(json_object_get(row, keys[k])));
                if (f->format) {
                        _cleanup_free_ char *t = format_template(f->format, row);
                        printf("%s\n", t);
                }
        }
        if (r >= 0 && !f->format)
                print_table(rows, n + 1, 8);
        for (size_t i = 0; i <= n; i++)
                if (!rows[i])
                        rows[i] = xcalloc(8, sizeof(char *));
        table_free(rows, n + 1, 8);
        free(a);
        free(b);
        fflush(stdout);
        return r;
}

int verb_stats(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"all", 'a', false, "All containers (default: running)"},
                                     {"no-stream", 1001, false, "One sample, then exit"},
                                     {"format", 1002, true, "Go-template-like format, or json"},
                                     {}};
        stats_flags f = {0};
        _cleanup_strv_free_ char **names = NULL;
        int first = parse_flags("stats", "stats [OPTIONS] [CONTAINER...]",
                                "Display a live stream of container resource usage statistics", flags, argc,
                                argv, 0, on_stats, &f);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        for (int i = first; i < argc; i++)
                strv_push(&names, argv[i]);
        if (!names) {
                ctr_record **l = NULL;
                r = engine_list(ctx->engine, &l, err);
                if (r < 0)
                        return r;
                for (ctr_record **p = l; *p; p++)
                        if (f.all || streq((*p)->state, "running") || streq((*p)->state, "paused"))
                                strv_push(&names, (*p)->id);
                ctr_record_list_free(l);
        }
        do {
                if (!f.no_stream && isatty(STDOUT_FILENO))
                        printf("\033[2J\033[H");
                r = stats_once(ctx, names, &f, err);
        } while (r >= 0 && !f.no_stream);
        return r;
}

static char *proc_field(pid_t pid, const char *file)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        char buf[4096];
        FILE *fp = fopen(path, "re");
        size_t n;

        if (!fp)
                return xstrdup("");
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
        buf[n] = 0;
        for (size_t i = 0; i + 1 < n; i++)
                if (buf[i] == 0)
                        buf[i] = ' ';
        if (n && (buf[n - 1] == '\n' || buf[n - 1] == 0))
                buf[n - 1] = 0;
        return xstrdup(buf);
}

int verb_top(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        int first = parse_flags("top", "top CONTAINER", "Display the running processes of a container", NULL,
                                argc, argv, 1, no_flags, NULL);
        pid_t *pids = NULL;
        size_t n = 0;
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_top(ctx->engine, argv[first], &pids, &n, err);
        if (r < 0)
                return r;
        char ***rows = xcalloc(n + 1, sizeof(char **));
        rows[0] = xcalloc(4, sizeof(char *));
        rows[0][0] = xstrdup("UID");
        rows[0][1] = xstrdup("PID");
        rows[0][2] = xstrdup("PPID");
        rows[0][3] = xstrdup("CMD");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *status = proc_field(pids[i], "status");
                char *u = strstr(status, "Uid:"), *pp = strstr(status, "PPid:");
                rows[i + 1] = xcalloc(4, sizeof(char *));
                rows[i + 1][0] = xasprintf("%ld", u ? strtol(u + 4, NULL, 10) : -1L);
                rows[i + 1][1] = xasprintf("%d", (int)pids[i]);
                rows[i + 1][2] = xasprintf("%ld", pp ? strtol(pp + 5, NULL, 10) : 0L);
                rows[i + 1][3] = proc_field(pids[i], "cmdline");
        }
        print_table(rows, n + 1, 4);
        table_free(rows, n + 1, 4);
        free(pids);
        return 0;
}

int verb_rename(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        int first = parse_flags("rename", "rename CONTAINER NEW_NAME", "Rename a container", NULL, argc,
                                argv, 2, no_flags, NULL);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        return r < 0 ? r : engine_rename(ctx->engine, argv[first], argv[first + 1], err);
}

static int prune_verb(berth_ctx *ctx, const char *what, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"force", 'f', false, "Do not prompt (berth never prompts)"}, {}};
        bool volumes = streq(what, "volume");
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_free_ char *verb = xasprintf("%s prune", what),
                            *usage = xasprintf("%s prune [OPTIONS]", what);
        int first =
                parse_flags(verb, usage, volumes ? "Remove unused volumes" : "Remove all stopped containers",
                            flags, argc, argv, 0, no_flags, NULL);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = volumes ? engine_volume_prune(ctx->engine, &removed, err)
                            : engine_prune(ctx->engine, &removed, err);
        if (r < 0)
                return r;
        printf("Deleted %s:\n", volumes ? "Volumes" : "Containers");
        STRV_FOREACH (x, removed)
                printf("%s\n", *x);
        return 0;
}

/* `container VERB`: Docker's management command over the container verbs. */
int verb_container(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct {
                const char *name;
                int (*run)(berth_ctx *, int, char **, berth_error **);
        } sub[] = {{"ls", verb_ps},           {"list", verb_ps},         {"ps", verb_ps},
                   {"run", verb_run},         {"create", verb_create},   {"start", verb_start},
                   {"stop", verb_stop},       {"restart", verb_restart}, {"kill", verb_kill},
                   {"rm", verb_rm},           {"logs", verb_logs},       {"inspect", verb_inspect},
                   {"wait", verb_wait},       {"exec", verb_exec},       {"pause", verb_pause},
                   {"unpause", verb_unpause}, {"stats", verb_stats},     {"top", verb_top},
                   {"rename", verb_rename}};

        if (argc < 2 || streq(argv[1], "--help")) {
                print_verb_help("container COMMAND", "Manage containers",
                                "  ls, run, create, start, stop, restart, kill, rm, logs, inspect, wait, "
                                "exec, pause,\n"
                                "  unpause, stats, top, rename, prune\n");
                return 0;
        }
        if (streq(argv[1], "prune")) {
                optind = 0;
                return prune_verb(ctx, "container", argc - 1, argv + 1, err);
        }
        for (size_t i = 0; i < ELEMENTSOF(sub); i++)
                if (streq(sub[i].name, argv[1])) {
                        optind = 0;
                        return sub[i].run(ctx, argc - 1, argv + 1, err);
                }
        return usage_error("container", "unknown command: %s", argv[1]);
}

static void on_quiet_force(int letter, const char *arg, void *ud)
{
        bool *b = ud;
        b[letter == 'f'] = true;
}

int verb_volume(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag ls_flags[] = {{"quiet", 'q', false, "Only names"}, {}};
        static const flag rm_flags[] = {{"force", 'f', false, "Remove even when a container names it"}, {}};
        bool b[2] = {false, false};
        const char *sub = argc >= 2 ? argv[1] : "--help";
        int first, r;

        if (streq(sub, "--help") || streq(sub, "-h")) {
                print_verb_help("volume COMMAND", "Manage volumes", "  create, ls, inspect, rm, prune\n");
                return 0;
        }
        if (streq(sub, "prune")) {
                optind = 0;
                return prune_verb(ctx, "volume", argc - 1, argv + 1, err);
        }
        optind = 0;
        argc--, argv++;
        if (streq(sub, "create")) {
                first = parse_flags("volume create", "volume create NAME", "Create a volume", NULL, argc,
                                    argv, 1, no_flags, NULL);
                if (first <= 0)
                        return first;
                r = berth_open_engine(ctx, err);
                if (r >= 0)
                        r = engine_volume_create(ctx->engine, argv[first], err);
                if (r >= 0)
                        printf("%s\n", argv[first]);
                return r < 0 ? r : 0;
        }
        if (streq(sub, "ls") || streq(sub, "list")) {
                _cleanup_strv_free_ char **l = NULL;
                first = parse_flags("volume ls", "volume ls [OPTIONS]", "List volumes", ls_flags, argc, argv,
                                    0, on_quiet_force, b);
                if (first <= 0)
                        return first;
                r = berth_open_engine(ctx, err);
                if (r >= 0)
                        r = engine_volume_list(ctx->engine, &l, err);
                if (r < 0)
                        return r;
                if (!b[0])
                        printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
                STRV_FOREACH (v, l)
                        b[0] ? printf("%s\n", *v) : printf("%-10s%s\n", "local", *v);
                return 0;
        }
        if (streq(sub, "inspect")) {
                _cleanup_json_ json_t *all = json_array();
                first = parse_flags("volume inspect", "volume inspect VOLUME...", "Show volumes", NULL, argc,
                                    argv, 1, no_flags, NULL);
                if (first <= 0)
                        return first;
                r = berth_open_engine(ctx, err);
                for (int i = first; r >= 0 && i < argc; i++) {
                        json_t *j;
                        r = engine_volume_inspect(ctx->engine, argv[i], &j, err);
                        if (r >= 0)
                                json_array_append_new(all, j);
                }
                if (r >= 0) {
                        _cleanup_free_ char *t = jsonh_dump(all, true);
                        printf("%s\n", t);
                }
                return r < 0 ? r : 0;
        }
        if (streq(sub, "rm") || streq(sub, "remove")) {
                first = parse_flags("volume rm", "volume rm [OPTIONS] VOLUME...", "Remove volumes", rm_flags,
                                    argc, argv, 1, on_quiet_force, b);
                if (first <= 0)
                        return first;
                r = berth_open_engine(ctx, err);
                for (int i = first; r >= 0 && i < argc; i++) {
                        r = engine_volume_remove(ctx->engine, argv[i], b[1], err);
                        if (r >= 0)
                                printf("%s\n", argv[i]);
                }
                return r < 0 ? r : 0;
        }
        return usage_error("volume", "unknown command: %s", sub);
}

typedef struct update_flags {
        run_opts u;
        bool bad;
} update_flags;

static void on_update(int letter, const char *arg, void *ud)
{
        update_flags *f = ud;
        char *end = NULL;
        int64_t n = 0;

        switch (letter) {
        case 'm':
                f->bad |= parse_size("update", "--memory", arg, &f->u.memory) < 0;
                break;
        case 1001:
                if (streq(arg, "-1"))
                        f->u.memory_swap = -1;
                else
                        f->bad |= parse_size("update", "--memory-swap", arg, &f->u.memory_swap) < 0;
                break;
        case 1002:
                f->bad |= parse_size("update", "--memory-reservation", arg, &f->u.memory_reservation) < 0;
                break;
        case 1003:
                f->u.cpus = strtod(arg, &end);
                f->bad |= end == arg || *end || f->u.cpus <= 0;
                break;
        case 'c':
        case 1004:
        case 1005:
        case 1006:
                n = strtoll(arg, &end, 10);
                f->bad |= end == arg || *end;
                if (letter == 'c')
                        f->u.cpu_shares = (uint64_t)n;
                else if (letter == 1004)
                        f->u.cpu_quota = n;
                else if (letter == 1005)
                        f->u.cpu_period = (uint64_t)n;
                else
                        f->u.pids_limit = n;
                break;
        case 1007:
                f->u.cpuset_cpus = xstrdup(arg);
                break;
        case 1008:
                f->u.cpuset_mems = xstrdup(arg);
                break;
        case 1009:
                f->u.restart = xstrdup(arg);
                break;
        }
}

int verb_update(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"memory", 'm', true, "Memory limit"},
                                     {"memory-swap", 1001, true, "Memory plus swap (-1: unlimited)"},
                                     {"memory-reservation", 1002, true, "Memory soft limit"},
                                     {"cpus", 1003, true, "Number of CPUs"},
                                     {"cpu-shares", 'c', true, "CPU shares"},
                                     {"cpu-quota", 1004, true, "CFS quota"},
                                     {"cpu-period", 1005, true, "CFS period"},
                                     {"pids-limit", 1006, true, "Process limit"},
                                     {"cpuset-cpus", 1007, true, "CPUs allowed"},
                                     {"cpuset-mems", 1008, true, "Memory nodes allowed"},
                                     {"restart", 1009, true, "Restart policy"},
                                     {}};
        update_flags f = {0};
        int first = parse_flags("update", "update [OPTIONS] CONTAINER...", "Update the limits of containers",
                                flags, argc, argv, 1, on_update, &f);
        int r = first;

        if (first > 0 && f.bad)
                r = -EINVAL; /* parse_size said why */
        if (r > 0 && f.u.restart && !streq(f.u.restart, "no") && !streq(f.u.restart, "always") &&
            !streq(f.u.restart, "unless-stopped") && strncmp(f.u.restart, "on-failure", 10) != 0)
                r = usage_error("update", "invalid restart policy: %s", f.u.restart);
        if (r > 0)
                r = berth_open_engine(ctx, err);
        for (int i = first; r >= 0 && first > 0 && i < argc; i++) {
                r = engine_update(ctx->engine, argv[i], &f.u, err);
                if (r >= 0)
                        printf("%s\n", argv[i]);
        }
        run_opts_clear(&f.u);
        return r < 0 ? r : 0;
}

/* "NAME:PATH" names a container path when the colon comes before any slash. */
static bool ctr_path(const char *arg, char **ret_ctr, const char **ret_path)
{
        const char *colon = strchr(arg, ':'), *slash = strchr(arg, '/');

        if (!colon || (slash && slash < colon) || colon == arg)
                return false;
        *ret_ctr = xstrndup(arg, (size_t)(colon - arg));
        *ret_path = colon + 1;
        return true;
}

int verb_cp(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        int first = parse_flags("cp", "cp CONTAINER:SRC_PATH DEST_PATH | cp SRC_PATH CONTAINER:DEST_PATH",
                                "Copy files and folders between a container and the host", NULL, argc, argv,
                                2, no_flags, NULL);
        _cleanup_free_ char *from = NULL, *to = NULL;
        const char *fp, *tp;
        int r;

        if (first <= 0)
                return first;
        bool a = ctr_path(argv[first], &from, &fp), b = ctr_path(argv[first + 1], &to, &tp);
        if (a == b)
                return usage_error("cp", "exactly one of the two paths must be CONTAINER:PATH");
        if ((a && !*fp) || (b && !*tp))
                return usage_error("cp", "the container path must not be empty");
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        return a ? engine_cp(ctx->engine, from, fp, argv[first + 1], false, err)
                 : engine_cp(ctx->engine, to, argv[first], tp, true, err);
}
