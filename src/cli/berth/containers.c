/* The container verbs after run: start, stop, kill, rm, ps, logs, inspect, wait, exec, pause. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "berth.h"
#include "engine/engine.h"
#include "runtime/container.h"

int parse_flags(const char *verb, const char *usage, const char *summary, const flag *flags, int argc,
                char **argv, int min_args, void (*on)(int letter, const char *arg, void *ud), void *ud)
{
        struct option opts[32] = {0};
        char shorts[64] = "+", help[2048] = "";
        size_t n = 0;
        int c;

        for (const flag *f = flags; f && f->name; f++, n++) {
                opts[n] =
                        (struct option){f->name, f->arg ? required_argument : no_argument, NULL, f->letter};
                if (f->letter < 128) {
                        char s[3] = {(char)f->letter, f->arg ? ':' : 0, 0};
                        strcat(shorts, s);
                }
                char line[256];
                snprintf(line, sizeof(line), "  %s%c%s --%s%s  %s\n", f->letter < 128 ? "-" : " ",
                         f->letter < 128 ? f->letter : ' ', f->letter < 128 ? "," : " ", f->name,
                         f->arg ? " VALUE" : "", f->help);
                strncat(help, line, sizeof(help) - strlen(help) - 1);
        }
        opts[n] = (struct option){"help", no_argument, NULL, 1000};
        opterr = 0;
        while ((c = getopt_long(argc, argv, shorts, opts, NULL)) >= 0) {
                if (c == 1000) {
                        print_verb_help(usage, summary, help);
                        return 0;
                }
                if (c == '?' || c == ':')
                        return usage_error(verb, "unknown flag or missing value: %s", argv[optind - 1]);
                on(c, optarg, ud);
        }
        if (argc - optind < min_args)
                return usage_error(verb, "requires at least %d argument%s", min_args,
                                   min_args == 1 ? "" : "s");
        return optind;
}

void no_flags(int letter, const char *arg, void *ud)
{
}

/* Run fn on every named container, printing the name as given on success (Docker's output). */
static int for_each(berth_ctx *ctx, int argc, char **argv, int first, bool print,
                    int (*fn)(berth_ctx *ctx, const char *what, void *ud, berth_error **err), void *ud,
                    berth_error **err)
{
        int failed = 0;

        if (berth_open_engine(ctx, err) < 0)
                return -EIO;
        for (int i = first; i < argc; i++) {
                _cleanup_error_ berth_error *e = NULL;
                if (fn(ctx, argv[i], ud, &e) < 0) {
                        berth_report(e);
                        failed = 1;
                } else if (print)
                        printf("%s\n", argv[i]);
        }
        return failed ? EXIT_BERTH : 0;
}

static int do_start(berth_ctx *ctx, const char *what, void *ud, berth_error **err)
{
        start_io io = {0};
        return engine_start(ctx->engine, what, &io, err);
}

int start_containers(berth_ctx *ctx, int argc, char **argv, int first, berth_error **err)
{
        return for_each(ctx, argc, argv, first, true, do_start, NULL, err);
}

static void on_time(int letter, const char *arg, void *ud)
{
        *(int *)ud = atoi(arg);
}

static int do_stop(berth_ctx *ctx, const char *what, void *ud, berth_error **err)
{
        return engine_stop(ctx->engine, what, *(int *)ud, err);
}

int verb_stop(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"time", 't', true, "Seconds to wait before killing (default 10)"}, {}};
        int t = -1;
        int first = parse_flags("stop", "stop [OPTIONS] CONTAINER...", "Stop one or more running containers",
                                flags, argc, argv, 1, on_time, &t);
        return first <= 0 ? first : for_each(ctx, argc, argv, first, true, do_stop, &t, err);
}

static int do_restart(berth_ctx *ctx, const char *what, void *ud, berth_error **err)
{
        start_io io = {0};
        int r = engine_stop(ctx->engine, what, *(int *)ud, err);
        return r < 0 ? r : engine_start(ctx->engine, what, &io, err);
}

int verb_restart(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"time", 't', true, "Seconds to wait before killing (default 10)"}, {}};
        int t = -1;
        int first = parse_flags("restart", "restart [OPTIONS] CONTAINER...",
                                "Restart one or more containers", flags, argc, argv, 1, on_time, &t);
        return first <= 0 ? first : for_each(ctx, argc, argv, first, true, do_restart, &t, err);
}

static void on_signal(int letter, const char *arg, void *ud)
{
        *(const char **)ud = arg;
}

static int do_kill(berth_ctx *ctx, const char *what, void *ud, berth_error **err)
{
        return engine_kill(ctx->engine, what, *(int *)ud, err);
}

int verb_kill(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"signal", 's', true, "Signal to send (default KILL)"}, {}};
        const char *s = "KILL";
        int first = parse_flags("kill", "kill [OPTIONS] CONTAINER...", "Kill one or more running containers",
                                flags, argc, argv, 1, on_signal, &s);
        if (first <= 0)
                return first;
        int sig = runtime_signal_from_name(s);
        if (sig <= 0)
                return usage_error("kill", "invalid signal: %s", s);
        return for_each(ctx, argc, argv, first, true, do_kill, &sig, err);
}

typedef struct rm_flags {
        bool force, volumes;
} rm_flags;

static void on_rm(int letter, const char *arg, void *ud)
{
        rm_flags *f = ud;
        if (letter == 'f')
                f->force = true;
        else if (letter == 'v')
                f->volumes = true;
}

static int do_rm(berth_ctx *ctx, const char *what, void *ud, berth_error **err)
{
        rm_flags *f = ud;
        return engine_remove(ctx->engine, what, f->force, f->volumes, err);
}

int verb_rm(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"force", 'f', false, "Kill a running container first"},
                                     {"volumes", 'v', false, "Remove its anonymous volumes"},
                                     {}};
        rm_flags f = {0};
        int first = parse_flags("rm", "rm [OPTIONS] CONTAINER...", "Remove one or more containers", flags,
                                argc, argv, 1, on_rm, &f);
        return first <= 0 ? first : for_each(ctx, argc, argv, first, true, do_rm, &f, err);
}

static int do_pause(berth_ctx *ctx, const char *what, void *ud, berth_error **err)
{
        return engine_pause(ctx->engine, what, ud != NULL, err);
}

int verb_pause(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        int first = parse_flags("pause", "pause CONTAINER...", "Pause all processes within containers", NULL,
                                argc, argv, 1, no_flags, NULL);
        return first <= 0 ? first : for_each(ctx, argc, argv, first, true, do_pause, (void *)1, err);
}

int verb_unpause(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        int first = parse_flags("unpause", "unpause CONTAINER...", "Unpause all processes within containers",
                                NULL, argc, argv, 1, no_flags, NULL);
        return first <= 0 ? first : for_each(ctx, argc, argv, first, true, do_pause, NULL, err);
}

int verb_wait(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        int first = parse_flags("wait", "wait CONTAINER...",
                                "Block until containers stop, print their exit codes", NULL, argc, argv, 1,
                                no_flags, NULL);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        for (int i = first; r >= 0 && i < argc; i++) {
                int code;
                r = engine_wait(ctx->engine, argv[i], &code, err);
                if (r >= 0)
                        printf("%d\n", code);
        }
        return r < 0 ? r : 0;
}

typedef struct logs_flags {
        logs_opts o;
        bool bad;
} logs_flags;

static int64_t parse_time(const char *s)
{
        struct tm tm = {0};
        char *end;
        long long v = strtoll(s, &end, 10);

        if (end != s && (*end == 0 || *end == 's'))
                return v > 1000000000LL ? v * 1000000000LL : 0;
        if (end != s && (*end == 'm' || *end == 'h') && !end[1]) {
                time_t now = time(NULL);
                return ((int64_t)now - v * (*end == 'm' ? 60 : 3600)) * 1000000000LL;
        }
        if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return (int64_t)timegm(&tm) * 1000000000LL;
        return -1;
}

static void on_logs(int letter, const char *arg, void *ud)
{
        logs_flags *f = ud;
        switch (letter) {
        case 'f':
                f->o.follow = true;
                break;
        case 't':
                f->o.timestamps = true;
                break;
        case 'n':
                f->o.tail = streq(arg, "all") ? -1 : atol(arg);
                break;
        case 1001:
                f->o.since = parse_time(arg);
                f->bad |= f->o.since < 0;
                break;
        case 1002:
                f->o.until = parse_time(arg);
                f->bad |= f->o.until < 0;
                break;
        }
}

int verb_logs(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"follow", 'f', false, "Follow log output"},
                                     {"timestamps", 't', false, "Show timestamps"},
                                     {"tail", 'n', true, "Number of lines from the end (default all)"},
                                     {"since", 1001, true, "Since a time (RFC 3339, Unix seconds, 10m, 1h)"},
                                     {"until", 1002, true, "Until a time"},
                                     {}};
        logs_flags f = {.o.tail = -1};
        int first = parse_flags("logs", "logs [OPTIONS] CONTAINER", "Fetch the logs of a container", flags,
                                argc, argv, 1, on_logs, &f);

        if (first <= 0)
                return first;
        if (f.bad)
                return usage_error("logs", "invalid time for --since or --until");
        if (berth_open_engine(ctx, err) < 0)
                return -EIO;
        return engine_logs(ctx->engine, argv[first], &f.o, err);
}

static void on_inspect(int letter, const char *arg, void *ud)
{
        const char **f = ud;
        if (letter == 'f')
                f[0] = arg;
        else
                f[1] = arg;
}

/* Containers first, then images, as docker inspect; --type container|image narrows it. */
int verb_inspect(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"format", 'f', true, "Go-template-like format"},
                                     {"type", 1001, true, "container or image"},
                                     {}};
        const char *f[2] = {NULL, NULL};
        _cleanup_json_ json_t *all = json_array();
        int first = parse_flags("inspect", "inspect [OPTIONS] NAME|ID...",
                                "Return low-level information on containers or images", flags, argc, argv, 1,
                                on_inspect, f);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        if (f[1] && streq(f[1], "image")) {
                optind = 0;
                argv[0] = (char *)"image inspect";
                return verb_image_inspect(ctx, argc, argv, err);
        }
        for (int i = first; i < argc; i++) {
                json_t *j;
                r = engine_inspect(ctx->engine, argv[i], &j, err);
                if (r < 0 && i == first && *err && strncmp((*err)->msg, "no such container", 17) == 0 &&
                    !(f[1] && streq(f[1], "container"))) {
                        berth_error_free(*err);
                        *err = NULL;
                        optind = 0;
                        return verb_image_inspect(ctx, argc, argv, err);
                }
                if (r < 0)
                        return r;
                json_array_append_new(all, j);
        }
        for (size_t i = 0; f[0] && i < json_array_size(all); i++) {
                _cleanup_free_ char *t = format_template(f[0], json_array_get(all, i));
                printf("%s\n", t);
        }
        if (!f[0]) {
                _cleanup_free_ char *t = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                printf("%s\n", t);
        }
        return 0;
}

typedef struct ps_flags {
        bool all, quiet, no_trunc, latest;
        long last;
        const char *format;
        char **filters;
} ps_flags;

static void on_ps(int letter, const char *arg, void *ud)
{
        ps_flags *f = ud;
        switch (letter) {
        case 'a':
                f->all = true;
                break;
        case 'q':
                f->quiet = true;
                break;
        case 'l':
                f->latest = true;
                break;
        case 'n':
                f->last = atol(arg);
                break;
        case 1001:
                f->no_trunc = true;
                break;
        case 1002:
                f->format = arg;
                break;
        case 1003:
                strv_push(&f->filters, arg);
                break;
        }
}

static char *status_text(const ctr_record *c)
{
        int64_t now = engine_now();
        _cleanup_free_ char *since = NULL;

        if (streq(c->state, "running") || streq(c->state, "paused")) {
                since = format_since(c->started_at / 1000000000);
                char *s = xasprintf("Up %s%s", since, streq(c->state, "paused") ? " (Paused)" : "");
                char *ago = strstr(s, " ago");
                if (ago)
                        memmove(ago, ago + 4, strlen(ago + 4) + 1);
                return s;
        }
        if (streq(c->state, "created"))
                return xstrdup("Created");
        since = format_since(c->finished_at / 1000000000);
        (void)now;
        return xasprintf("Exited (%d) %s", c->exit_code, since);
}

static bool filter_ok(const ctr_record *c, char **filters)
{
        STRV_FOREACH (f, filters) {
                const char *v = strchr(*f, '=');
                if (!v)
                        return false;
                size_t k = (size_t)(v++ - *f);
                if (strncmp(*f, "name", k) == 0 && k == 4 && !strstr(c->name, v))
                        return false;
                if (strncmp(*f, "id", k) == 0 && k == 2 && strncmp(c->id, v, strlen(v)) != 0)
                        return false;
                if (strncmp(*f, "status", k) == 0 && k == 6 && !streq(c->state, v))
                        return false;
                if (strncmp(*f, "ancestor", k) == 0 && k == 8 && !streq(c->image, v))
                        return false;
                if (strncmp(*f, "label", k) == 0 && k == 5) {
                        json_t *labels = json_object_get(c->opts, "labels"), *l;
                        size_t i;
                        bool found = false;
                        json_array_foreach (labels, i, l) {
                                const char *s = json_string_value(l) ?: "";
                                found |= streq(s, v) ||
                                         (strncmp(s, v, strlen(v)) == 0 && s[strlen(v)] == '=');
                        }
                        if (!found)
                                return false;
                }
        }
        return true;
}

static json_t *ps_row(engine *e, const ctr_record *c, bool no_trunc)
{
        _cleanup_free_ char *id = no_trunc ? xstrdup(c->id) : xstrndup(c->id, 12);
        _cleanup_free_ char *status = status_text(c), *created = format_since(c->created / 1000000000);
        _cleanup_strv_free_ char **cmd = NULL;
        _cleanup_free_ char *cmdline = NULL, *quoted = NULL;
        json_t *args = json_object_get(c->opts, "cmd") ?: json_object_get(c->image_config, "Cmd"), *a;
        size_t i;

        json_array_foreach (args, i, a)
                strv_push(&cmd, json_string_value(a) ?: "");
        cmdline = cmd ? strv_join(cmd, " ") : xstrdup("");
        if (!no_trunc && strlen(cmdline) > 20)
                cmdline[19] = 0, quoted = xasprintf("\"%s…\"", cmdline);
        else
                quoted = xasprintf("\"%s\"", cmdline);
        _cleanup_free_ char *ports = engine_ports_text(e, c->id);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Image", c->image, "Command",
                         quoted, "CreatedAt", created, "RunningFor", created, "Status", status, "State",
                         c->state, "Names", c->name, "Ports", ports);
}

int verb_ps(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"all", 'a', false, "Show all containers (default: running)"},
                                     {"quiet", 'q', false, "Only ids"},
                                     {"latest", 'l', false, "The latest created container"},
                                     {"last", 'n', true, "The n last created containers"},
                                     {"no-trunc", 1001, false, "Do not truncate"},
                                     {"format", 1002, true, "Go-template-like format, or json"},
                                     {"filter", 1003, true, "name=, id=, status=, ancestor=, label="},
                                     {}};
        ps_flags f = {.last = -1};
        ctr_record **l = NULL;
        int first = parse_flags("ps", "ps [OPTIONS]", "List containers", flags, argc, argv, 0, on_ps, &f);

        if (first <= 0) {
                strv_free(f.filters);
                return first;
        }
        int r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_list(ctx->engine, &l, err);
        if (r < 0) {
                strv_free(f.filters);
                return r;
        }
        if (f.latest)
                f.last = 1;
        size_t n_rows = 1, shown = 0;
        char ***rows = xcalloc(1, sizeof(char **));
        static const char *const head[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                           "STATUS",       "PORTS", "NAMES"};
        rows[0] = xcalloc(7, sizeof(char *));
        for (int i = 0; i < 7; i++)
                rows[0][i] = xstrdup(head[i]);
        for (ctr_record **p = l; *p; p++) {
                ctr_record *c = *p;
                bool show = f.all || f.last >= 0 || streq(c->state, "running") || streq(c->state, "paused");
                if (!show || !filter_ok(c, f.filters) || (f.last >= 0 && (long)shown >= f.last))
                        continue;
                shown++;
                _cleanup_json_ json_t *row = ps_row(ctx->engine, c, f.no_trunc);
                if (f.quiet) {
                        printf("%s\n", json_string_value(json_object_get(row, "ID")));
                } else if (f.format) {
                        _cleanup_free_ char *t = format_template(f.format, row);
                        printf("%s\n", t);
                } else {
                        rows = xrealloc(rows, (n_rows + 1) * sizeof(char **));
                        char **cells = xcalloc(7, sizeof(char *));
                        static const char *const keys[] = {"ID",     "Image", "Command", "RunningFor",
                                                           "Status", "Ports", "Names"};
                        for (int k = 0; k < 7; k++)
                                cells[k] = xstrdup(keys[k] ? json_string_value(json_object_get(row, keys[k]))
                                                           : "");
                        rows[n_rows++] = cells;
                }
        }
        if (!f.quiet && !f.format)
                print_table(rows, n_rows, 7);
        table_free(rows, n_rows, 7);
        ctr_record_list_free(l);
        strv_free(f.filters);
        return 0;
}

typedef struct exec_flags {
        run_opts o;
        bool bad;
} exec_flags;

static void on_exec(int letter, const char *arg, void *ud)
{
        exec_flags *f = ud;
        switch (letter) {
        case 'd':
                f->o.detach = true;
                break;
        case 'i':
                f->o.interactive = true;
                break;
        case 't':
                f->o.tty = true;
                break;
        case 'e':
                strv_push(&f->o.env, arg);
                break;
        case 'w':
                free(f->o.workdir);
                f->o.workdir = xstrdup(arg);
                break;
        case 'u':
                free(f->o.user);
                f->o.user = xstrdup(arg);
                break;
        case 1001:
                f->o.privileged = true;
                break;
        }
}

int verb_exec(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"detach", 'd', false, "Run in the background"},
                                     {"interactive", 'i', false, "Keep stdin open"},
                                     {"tty", 't', false, "Allocate a pseudo-TTY"},
                                     {"env", 'e', true, "Set an environment variable"},
                                     {"workdir", 'w', true, "Working directory"},
                                     {"user", 'u', true, "UID[:GID]"},
                                     {"privileged", 1001, false, "Extended privileges"},
                                     {}};
        exec_flags f = {0};
        int status = 0, r;
        int first = parse_flags("exec", "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
                                "Run a command in a running container", flags, argc, argv, 2, on_exec, &f);

        if (first <= 0) {
                run_opts_clear(&f.o);
                return first;
        }
        struct termios saved;
        bool raw = false;
        if (f.o.tty && !f.o.detach && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
                struct termios t = saved;
                cfmakeraw(&t);
                raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
        }
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_exec(ctx->engine, argv[first], argv + first + 1, &f.o, &status, err);
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        run_opts_clear(&f.o);
        if (r < 0) {
                _cleanup_free_ char *t = berth_error_text(*err);
                fprintf(stderr, "berth: %s\n", t);
                berth_error_free(*err);
                *err = NULL;
                return strstr(t, "executable file not found") || strstr(t, "no such file") ? 127
                       : strstr(t, "permission denied")                                    ? 126
                                                                                           : EXIT_BERTH;
        }
        if (status == -127 || status == -126)
                return -status;
        return status;
}
