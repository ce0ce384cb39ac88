/* `berth network` (create, ls, inspect, rm, connect, disconnect, prune) and `berth port`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "berth.h"
#include "engine/engine.h"

typedef struct net_flags {
        const char *subnet, *gateway, *driver, *ip, *format;
        bool internal, quiet, force;
        char **labels, **aliases;
} net_flags;

static void on_net_flag(int letter, const char *arg, void *ud)
{
        net_flags *f = ud;

        switch (letter) {
        case 200:
                f->subnet = arg;
                break;
        case 201:
                f->gateway = arg;
                break;
        case 'd':
                f->driver = arg;
                break;
        case 202:
                f->internal = true;
                break;
        case 203:
                strv_push(&f->labels, arg);
                break;
        case 'q':
                f->quiet = true;
                break;
        case 'f':
                f->force = true;
                break;
        case 204:
                f->ip = arg;
                break;
        case 205:
                strv_push(&f->aliases, arg);
                break;
        case 206:
                f->format = arg;
                break;
        }
}

static int network_create(berth_ctx *ctx, int argc, char **argv, net_flags *f, berth_error **err)
{
        static const flag flags[] = {{"subnet", 200, true, "Subnet in CIDR form (default: a free /16)"},
                                     {"gateway", 201, true, "Gateway address (default: the subnet's first)"},
                                     {"driver", 'd', true, "Driver (bridge)"},
                                     {"internal", 202, false, "No way in or out but between its containers"},
                                     {"label", 203, true, "Set a label KEY=VALUE"},
                                     {}};
        _cleanup_net_network_ net_network *n = NULL;
        int first = parse_flags("network create", "network create [OPTIONS] NETWORK", "Create a network",
                                flags, argc, argv, 1, on_net_flag, f);
        int r;

        if (first <= 0)
                return first;
        if (f->driver && !streq(f->driver, "bridge"))
                return usage_error("network create", "driver %s is not supported (bridge)", f->driver);
        if (f->gateway && !f->subnet)
                return usage_error("network create", "--gateway needs --subnet");
        r = berth_open_engine(ctx, err);
        if (r >= 0) {
                const net_create_opts o = {.name = argv[first],
                                           .subnet = f->subnet,
                                           .gateway = f->gateway,
                                           .internal = f->internal,
                                           .labels = f->labels};
                r = net_create(ctx->engine->db, &o, &n, err);
        }
        if (r >= 0)
                printf("%s\n", n->id);
        return r < 0 ? r : 0;
}

static int network_ls(berth_ctx *ctx, int argc, char **argv, net_flags *f, berth_error **err)
{
        static const flag flags[] = {
                {"quiet", 'q', false, "Only ids"}, {"format", 206, true, "Go-like template or json"}, {}};
        net_network **l = NULL;
        int first = parse_flags("network ls", "network ls [OPTIONS]", "List networks", flags, argc, argv, 0,
                                on_net_flag, f);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r >= 0) { /* the default network exists from the first look on */
                _cleanup_net_network_ net_network *def = NULL;
                r = net_get(ctx->engine->db, NET_DEFAULT, &def, err);
        }
        if (r >= 0)
                r = net_list(ctx->engine->db, &l, err);
        if (r < 0)
                return r;
        size_t n = 0;
        while (l[n])
                n++;
        char ***t = xcalloc(n + 1, sizeof(char **));
        t[0] = xcalloc(4, sizeof(char *));
        t[0][0] = xstrdup("NETWORK ID"), t[0][1] = xstrdup("NAME"), t[0][2] = xstrdup("DRIVER");
        t[0][3] = xstrdup("SCOPE");
        for (size_t i = 0; i < n; i++) {
                if (f->quiet)
                        printf("%.12s\n", l[i]->id);
                else if (f->format) {
                        _cleanup_json_ json_t *j =
                                json_pack("{s:s, s:s, s:s, s:s}", "ID", l[i]->id, "Name", l[i]->name,
                                          "Driver", "bridge", "Scope", "local");
                        _cleanup_free_ char *line = format_template(f->format, j);
                        puts(line);
                }
                t[i + 1] = xcalloc(4, sizeof(char *));
                t[i + 1][0] = xstrndup(l[i]->id, 12), t[i + 1][1] = xstrdup(l[i]->name);
                t[i + 1][2] = xstrdup("bridge"), t[i + 1][3] = xstrdup("local");
        }
        if (!f->quiet && !f->format)
                print_table(t, n + 1, 4);
        table_free(t, n + 1, 4);
        net_network_list_free(l);
        return 0;
}

static int network_inspect(berth_ctx *ctx, int argc, char **argv, net_flags *f, berth_error **err)
{
        static const flag flags[] = {{"format", 206, true, "Go-like template"}, {}};
        _cleanup_json_ json_t *all = json_array();
        int first = parse_flags("network inspect", "network inspect NETWORK...", "Show networks", flags,
                                argc, argv, 1, on_net_flag, f);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        for (int i = first; r >= 0 && i < argc; i++) {
                _cleanup_net_network_ net_network *n = NULL;
                r = net_get(ctx->engine->db, argv[i], &n, err);
                if (r >= 0)
                        json_array_append_new(all, net_network_json(ctx->engine->db, n));
        }
        if (r < 0)
                return r;
        if (f->format) {
                size_t i;
                json_t *v;
                json_array_foreach (all, i, v) {
                        _cleanup_free_ char *line = format_template(f->format, v);
                        puts(line);
                }
                return 0;
        }
        _cleanup_free_ char *text = jsonh_dump(all, true);
        puts(text);
        return 0;
}

static int network_rm(berth_ctx *ctx, int argc, char **argv, net_flags *f, berth_error **err)
{
        static const flag flags[] = {{"force", 'f', false, "No error for a network that does not exist"},
                                     {}};
        int first = parse_flags("network rm", "network rm NETWORK...", "Remove networks", flags, argc, argv,
                                1, on_net_flag, f);
        int r, ret = 0;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        /* every one is tried; the errors of all but the last are printed here, the last returned */
        for (int i = first; i < argc; i++) {
                _cleanup_error_ berth_error *e = NULL;
                r = engine_network_remove(ctx->engine, argv[i], &e);
                if (r >= 0)
                        printf("%s\n", argv[i]);
                else if (!(f->force && r == -ENOENT)) {
                        if (ret < 0)
                                berth_report(*err);
                        berth_error_free(*err);
                        *err = TAKE_PTR(e);
                        ret = r;
                }
        }
        return ret;
}

static int network_connect(berth_ctx *ctx, int argc, char **argv, net_flags *f, bool connect,
                           berth_error **err)
{
        static const flag cflags[] = {{"ip", 204, true, "Address on the network"},
                                      {"alias", 205, true, "Another name on the network"},
                                      {}};
        static const flag dflags[] = {{"force", 'f', false, "Ignored (as Docker's)"}, {}};
        int first = connect ? parse_flags("network connect", "network connect [OPTIONS] NETWORK CONTAINER",
                                          "Connect a container to a network", cflags, argc, argv, 2,
                                          on_net_flag, f)
                            : parse_flags("network disconnect", "network disconnect NETWORK CONTAINER",
                                          "Disconnect a container from a network", dflags, argc, argv, 2,
                                          on_net_flag, f);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r < 0)
                return r;
        if (!connect)
                return engine_disconnect(ctx->engine, argv[first + 1], argv[first], err);
        const net_request req = {.network = argv[first], .ip = f->ip, .aliases = f->aliases};
        return engine_connect(ctx->engine, argv[first + 1], argv[first], &req, err);
}

int verb_network(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        const char *sub = argc >= 2 ? argv[1] : "--help";
        net_flags f = {0};
        int r;

        if (streq(sub, "--help") || streq(sub, "-h")) {
                print_verb_help("network COMMAND", "Manage networks",
                                "  create, ls, inspect, rm, connect, disconnect, prune\n");
                return 0;
        }
        optind = 0;
        argc--, argv++;
        if (streq(sub, "create"))
                r = network_create(ctx, argc, argv, &f, err);
        else if (streq(sub, "ls") || streq(sub, "list"))
                r = network_ls(ctx, argc, argv, &f, err);
        else if (streq(sub, "inspect"))
                r = network_inspect(ctx, argc, argv, &f, err);
        else if (streq(sub, "rm") || streq(sub, "remove"))
                r = network_rm(ctx, argc, argv, &f, err);
        else if (streq(sub, "connect") || streq(sub, "disconnect"))
                r = network_connect(ctx, argc, argv, &f, streq(sub, "connect"), err);
        else if (streq(sub, "prune")) {
                _cleanup_strv_free_ char **removed = NULL;
                static const flag flags[] = {{"force", 'f', false, "Do not ask (berth never asks)"}, {}};
                r = parse_flags("network prune", "network prune [OPTIONS]", "Remove unused networks", flags,
                                argc, argv, 0, on_net_flag, &f);
                if (r <= 0)
                        return r;
                r = berth_open_engine(ctx, err);
                if (r >= 0)
                        r = engine_network_prune(ctx->engine, &removed, err);
                if (r >= 0 && removed) {
                        printf("Deleted Networks:\n");
                        STRV_FOREACH (n, removed)
                                printf("%s\n", *n);
                }
        } else
                r = usage_error("network", "unknown command: %s", sub);
        strv_free(f.labels);
        strv_free(f.aliases);
        return r < 0 ? r : 0;
}

int verb_port(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        int first = parse_flags("port", "port CONTAINER [PRIVATE_PORT[/PROTO]]",
                                "List port mappings or a specific mapping for the container", NULL, argc,
                                argv, 1, no_flags, NULL);
        int r;

        if (first <= 0)
                return first;
        r = berth_open_engine(ctx, err);
        if (r >= 0)
                r = engine_inspect(ctx->engine, argv[first], &j, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *want = NULL;
        if (first + 1 < argc)
                want = strchr(argv[first + 1], '/') ? xstrdup(argv[first + 1])
                                                    : xasprintf("%s/tcp", argv[first + 1]);
        json_t *ports = json_object_get(json_object_get(j, "NetworkSettings"), "Ports"), *l, *b;
        const char *k;
        bool found = false;
        json_object_foreach (ports, k, l) {
                size_t i;
                if (want && !streq(want, k))
                        continue;
                json_array_foreach (l, i, b) {
                        found = true;
                        const char *ip = json_string_value(json_object_get(b, "HostIp"));
                        const char *hp = json_string_value(json_object_get(b, "HostPort"));
                        if (want)
                                printf("%s:%s\n", ip, hp);
                        else
                                printf("%s -> %s:%s\n", k, ip, hp);
                }
        }
        if (want && !found)
                return berth_error_set(err, 0, "no public port '%s' published for %s", want, argv[first]);
        return 0;
}
