/* list and spec. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime-cli.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "oci/spec.h"
#include "runtime/container.h"

static void print_table(const runtime_info *a, size_t n)
{
        _cleanup_free_ char *t = runtime_info_table(a, n);

        fputs(t, stdout);
}

static void print_json(const runtime_info *a, size_t n)
{
        _cleanup_json_ json_t *arr = json_array();
        _cleanup_free_ char *text = NULL;

        for (size_t i = 0; i < n; i++)
                json_array_append_new(
                        arr, json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "id", a[i].id, "pid", (int)a[i].pid,
                                       "status", runtime_status_name(a[i].status), "bundle", a[i].bundle,
                                       "created", a[i].created, "owner", *a[i].owner ? a[i].owner : "root"));
        text = jsonh_dump(arr, false);
        puts(text);
}

int verb_list(int argc, char **argv, const global_opts *g)
{
        static const struct option opts[] = {
                {"format", required_argument, NULL, 'f'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        berth_error *err = NULL;
        runtime_info *a = NULL;
        const char *format = "table";
        bool quiet = false;
        size_t n = 0;
        int c;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+f:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        format = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        return cli_usage(cli_find_verb("list"), false);
                default:
                        return cli_fail_msg("list: unknown option \"%s\"", argv[optind - 1]);
                }
        }
        if (!streq(format, "table") && !streq(format, "json"))
                return cli_fail_msg("list: --format: unknown format \"%s\" (table or json)", format);
        c = cli_expect_args("list", argc, argv, 0, 0);
        if (c)
                return c;
        if (runtime_list(g->root, &a, &n, &err) < 0)
                return cli_fail(err);
        if (quiet)
                for (size_t i = 0; i < n; i++)
                        puts(a[i].id);
        else if (streq(format, "json"))
                print_json(a, n);
        else
                print_table(a, n);
        runtime_info_free_array(a, n);
        return 0;
}

int verb_spec(int argc, char **argv, const global_opts *g)
{
        static const struct option opts[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"rootless", no_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_json_ json_t *j = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        berth_error *err = NULL;
        const char *bundle = ".";
        bool rootless = false;
        int c;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+b:h", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        bundle = optarg;
                        break;
                case 'r':
                        rootless = true;
                        break;
                case 'h':
                        return cli_usage(cli_find_verb("spec"), false);
                default:
                        return cli_fail_msg("spec: unknown option \"%s\"", argv[optind - 1]);
                }
        }
        c = cli_expect_args("spec", argc, argv, 0, 0);
        if (c)
                return c;
        path = xasprintf("%s/config.json", bundle);
        if (access(path, F_OK) == 0)
                return cli_fail_msg("spec: %s already exists", path);
        j = oci_spec_default_json(rootless);
        text = jsonh_dump(j, true);
        if (fs_write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
                return cli_fail(err);
        return 0;
}
