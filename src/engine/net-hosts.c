/* The container-side files of networking and a container's unwiring, apart from net.c so that
 * the statically linked monitor links neither rtnetlink nor libnftables: berth resolves names
 * on a user-defined network with managed /etc/hosts files, not a DNS server (docs/network.md). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "network/network.h"

char *engine_netns_path(const char *runroot, const char *id)
{
        return xasprintf("%s/netns/%s", runroot, id);
}

static char *hosts_text(db *d, const char *id, const run_opts *o)
{
        _cleanup_free_ char *hostname = xstrndup(o->hostname ?: id, o->hostname ? strlen(o->hostname) : 12);
        _cleanup_json_ json_t *ns = net_settings_json(d, id);
        _cleanup_free_ char *peers = net_hosts_lines(d, id);
        const char *ip = json_string_value(json_object_get(ns, "IPAddress"));
        const char *gw = json_string_value(json_object_get(ns, "Gateway"));
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return xstrdup("");
        fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", f);
        if (ip && *ip)
                fprintf(f, "%s\t%s\n", ip, hostname);
        else
                fprintf(f, "127.0.1.1\t%s\n", hostname);
        fputs(peers, f);
        STRV_FOREACH (h, o->add_hosts) {
                const char *c = strrchr(*h, ':');
                const char *addr = c + 1;
                if (streq(addr, "host-gateway")) /* Docker's name for the host as the container sees it */
                        addr = gw && *gw ? gw : "127.0.0.1";
                fprintf(f, "%s\t%.*s\n", addr, (int)(c - *h), *h);
        }
        fclose(f);
        return out;
}

/* Rewrite CTR_DIR/hosts in place: a running container has the file bind-mounted. */
void engine_hosts_write(db *d, const char *root, const char *id, json_t *opts)
{
        _cleanup_free_ char *dir = engine_ctr_dir(root, id), *path = xasprintf("%s/hosts", dir);
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        run_opts o;

        run_opts_from_json(opts, &o, NULL);
        text = hosts_text(d, id, &o);
        run_opts_clear(&o);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0)
                fs_write_all(fd, text, strlen(text));
}

void engine_peers_refresh(db *d, const char *root, char **peers)
{
        STRV_FOREACH (p, peers) {
                _cleanup_ctr_record_ ctr_record *c = NULL;
                if (engine_db_get(d, *p, &c, NULL) >= 0)
                        engine_hosts_write(d, root, c->id, c->opts);
        }
}

void engine_net_down(db *d, const char *root, const char *runroot, const char *id)
{
        _cleanup_free_ char *path = engine_netns_path(runroot, id);
        _cleanup_strv_free_ char **peers = net_peers(d, id);

        net_teardown(d, path, id);
        engine_peers_refresh(d, root, peers);
}
