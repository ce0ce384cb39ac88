/* pause, resume, ps, update, features. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-cli.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "runtime/container.h"

static int only_id(const char *name, int argc, char **argv)
{
        static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {}};
        int c;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'h') {
                        cli_usage(cli_find_verb(name), false);
                        return -1;
                }
                return cli_fail_msg("%s: unknown option \"%s\"", name, argv[optind - 1]);
        }
        return cli_expect_args(name, argc, argv, 1, 1);
}

int verb_pause(int argc, char **argv, const global_opts *g)
{
        berth_error *err = NULL;
        int r = only_id("pause", argc, argv);

        if (r)
                return r < 0 ? 0 : r;
        return runtime_pause(g->root, argv[optind], &err) < 0 ? cli_fail(err) : 0;
}

int verb_resume(int argc, char **argv, const global_opts *g)
{
        berth_error *err = NULL;
        int r = only_id("resume", argc, argv);

        if (r)
                return r < 0 ? 0 : r;
        return runtime_resume(g->root, argv[optind], &err) < 0 ? cli_fail(err) : 0;
}

int verb_ps(int argc, char **argv, const global_opts *g)
{
        static const struct option opts[] = {
                {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {}};
        const char *format = "table";
        berth_error *err = NULL;
        pid_t *pids = NULL;
        size_t n = 0;
        int c;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+f:h", opts, NULL)) != -1) {
                if (c == 'f')
                        format = optarg;
                else if (c == 'h')
                        return cli_usage(cli_find_verb("ps"), false);
                else
                        return cli_fail_msg("ps: unknown option \"%s\"", argv[optind - 1]);
        }
        if (!streq(format, "table") && !streq(format, "json"))
                return cli_fail_msg("ps: --format: unknown format \"%s\" (table or json)", format);
        c = cli_expect_args("ps", argc, argv, 1, 1);
        if (c)
                return c;
        if (runtime_ps(g->root, argv[optind], &pids, &n, &err) < 0)
                return cli_fail(err);
        if (streq(format, "json")) {
                fputc('[', stdout);
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int)pids[i]);
                puts("]");
        } else {
                printf("%-8s %s\n", "PID", "CMD");
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", (int)pids[i]), *cmd = NULL;
                        size_t len = 0;
                        if (fs_read_file(path, &cmd, &len, NULL) < 0)
                                continue;
                        for (size_t k = 0; k + 1 < len; k++)
                                if (cmd[k] == 0)
                                        cmd[k] = ' ';
                        printf("%-8d %s\n", (int)pids[i], cmd);
                }
        }
        free(pids);
        return 0;
}

/* The flag forms of update become a resources object, as runc's. */
static int update_flag(json_t *res, const char *flag, const char *value)
{
        static const struct {
                const char *flag, *section, *key;
                bool is_string;
        } map[] = {
                {"memory", "memory", "limit", false},
                {"memory-reservation", "memory", "reservation", false},
                {"memory-swap", "memory", "swap", false},
                {"cpu-shares", "cpu", "shares", false},
                {"cpu-quota", "cpu", "quota", false},
                {"cpu-period", "cpu", "period", false},
                {"cpu-rt-period", "cpu", "realtimePeriod", false},
                {"cpu-rt-runtime", "cpu", "realtimeRuntime", false},
                {"cpuset-cpus", "cpu", "cpus", true},
                {"cpuset-mems", "cpu", "mems", true},
                {"pids-limit", "pids", "limit", false},
                {"blkio-weight", "blockIO", "weight", false},
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                if (!streq(flag, map[i].flag))
                        continue;
                json_t *sec = json_object_get(res, map[i].section);
                if (!sec) {
                        sec = json_object();
                        json_object_set_new(res, map[i].section, sec);
                }
                if (map[i].is_string) {
                        json_object_set_new(sec, map[i].key, json_string(value));
                        return 0;
                }
                char *end;
                long long v = strtoll(value, &end, 10);
                if (*end || end == value)
                        return cli_fail_msg("update: --%s: \"%s\" is not a number", flag, value);
                json_object_set_new(sec, map[i].key, json_integer(v));
                return 0;
        }
        return cli_fail_msg("update: unknown option \"--%s\"", flag);
}

int verb_update(int argc, char **argv, const global_opts *g)
{
        static const struct option opts[] = {
                {"resources", required_argument, NULL, 'r'},
                {"memory", required_argument, NULL, 0},
                {"memory-reservation", required_argument, NULL, 0},
                {"memory-swap", required_argument, NULL, 0},
                {"cpu-shares", required_argument, NULL, 0},
                {"cpu-quota", required_argument, NULL, 0},
                {"cpu-period", required_argument, NULL, 0},
                {"cpu-rt-period", required_argument, NULL, 0},
                {"cpu-rt-runtime", required_argument, NULL, 0},
                {"cpuset-cpus", required_argument, NULL, 0},
                {"cpuset-mems", required_argument, NULL, 0},
                {"pids-limit", required_argument, NULL, 0},
                {"blkio-weight", required_argument, NULL, 0},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_json_ json_t *res = json_object();
        berth_error *err = NULL;
        const char *resources = NULL;
        int c, idx = 0;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+r:h", opts, &idx)) != -1) {
                if (c == 'r')
                        resources = optarg;
                else if (c == 'h')
                        return cli_usage(cli_find_verb("update"), false);
                else if (c == 0) {
                        int r = update_flag(res, opts[idx].name, optarg);
                        if (r)
                                return r;
                } else
                        return cli_fail_msg("update: unknown option \"%s\"", argv[optind - 1]);
        }
        c = cli_expect_args("update", argc, argv, 1, 1);
        if (c)
                return c;
        if (resources) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                int r = streq(resources, "-") ? fs_read_file("/dev/stdin", &text, &len, &err)
                                              : fs_read_file(resources, &text, &len, &err);
                if (r < 0)
                        return cli_fail(err);
                json_decref(res);
                res = NULL;
                if (jsonh_parse(text, len, streq(resources, "-") ? "--resources -" : resources, &res, &err) <
                    0)
                        return cli_fail(err);
        }
        if (runtime_update(g->root, argv[optind], res, &err) < 0)
                return cli_fail(err);
        return 0;
}

int verb_features(int argc, char **argv, const global_opts *g)
{
        _cleanup_json_ json_t *j = runtime_features();
        _cleanup_free_ char *text = jsonh_dump(j, true);

        puts(text);
        return 0;
}
