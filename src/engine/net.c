/* The engine's side of networking: the network option checked at create, the container wired at
 * start and unwired at its end, /etc/hosts of the containers on a user-defined network kept
 * current (berth resolves names there with managed /etc/hosts files, not a DNS server: no
 * process per network, nothing to start, and a lookup costs what reading a file costs). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "network/network.h"

bool engine_net_bridged(const char *network)
{
        return network && !streq(network, "none") && !streq(network, "host") &&
               strncmp(network, "container:", 10) != 0;
}

int engine_net_validate(engine *e, run_opts *o, berth_error **err)
{
        int r;

        if (!o->network)
                o->network = xstrdup(NET_DEFAULT);
        bool bridged = engine_net_bridged(o->network);
        if (strncmp(o->network, "container:", 10) == 0) {
                _cleanup_ctr_record_ ctr_record *other = NULL;
                r = engine_lookup(e, o->network + 10, &other, err);
                if (r < 0)
                        return berth_error_wrap(err, "--network %s", o->network);
                free(o->network);
                o->network = xasprintf("container:%s", other->id);
        } else if (bridged) {
                _cleanup_net_network_ net_network *n = NULL;
                r = net_get(e->db, o->network, &n, err);
                if (r < 0)
                        return r;
                bool user = !streq(n->name, NET_DEFAULT);
                if (o->ip && !user)
                        return berth_error_say(
                                err, EINVAL,
                                "--ip: a chosen address is supported on user-defined networks only");
                if (o->network_aliases && !user)
                        return berth_error_say(
                                err, EINVAL,
                                "--network-alias: aliases are supported on user-defined networks only");
        }
        if (!bridged && (o->ip || o->mac_address || o->network_aliases))
                return berth_error_say(err, EINVAL,
                                       "--ip, --mac-address and --network-alias need a bridge network, "
                                       "not --network %s",
                                       o->network);
        if (!bridged && (o->publish || o->publish_all) && !streq(o->network, "host"))
                return berth_error_say(err, EINVAL,
                                       "publishing ports needs a bridge network, not --network %s",
                                       o->network);
        STRV_FOREACH (p, o->publish) {
                net_port port;
                r = net_port_parse(*p, &port, err);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (h, o->add_hosts) {
                const char *c = strrchr(*h, ':');
                if (!c || c == *h || !c[1])
                        return berth_error_say(err, EINVAL, "invalid --add-host %s: want NAME:IP", *h);
        }
        return 0;
}

/* The exposed ports of the image ("80/tcp": {}) as "80/tcp" publish specs with free host ports. */
static void exposed_ports(json_t *image_config, char ***ret)
{
        const char *k;
        json_t *v;

        json_object_foreach (json_object_get(image_config, "ExposedPorts"), k, v)
                strv_push(ret, k);
}

int engine_net_up(engine *e, const ctr_record *c, berth_error **err)
{
        _cleanup_free_ char *path = engine_netns_path(e->runroot, c->id);
        _cleanup_strv_free_ char **specs = NULL, **peers = NULL;
        _cleanup_free_ net_request *reqs = NULL;
        _cleanup_free_ net_port *ports = NULL;
        size_t n = 0, np = 0;
        run_opts o;
        int r = 0;

        run_opts_from_json(c->opts, &o, NULL);
        if (!engine_net_bridged(o.network)) {
                run_opts_clear(&o);
                return 0;
        }
        specs = strv_copy(o.publish);
        if (o.publish_all)
                exposed_ports(c->image_config, &specs);
        ports = xcalloc(strv_length(specs) + 1, sizeof(*ports));
        STRV_FOREACH (s, specs) {
                r = net_port_parse(*s, &ports[np], err);
                if (r < 0)
                        break;
                np++;
        }
        reqs = xcalloc(strv_length(o.networks) + 1, sizeof(*reqs));
        reqs[n++] = (net_request){
                .network = o.network, .ip = o.ip, .mac = o.mac_address, .aliases = o.network_aliases};
        STRV_FOREACH (extra, o.networks)
                reqs[n++] = (net_request){.network = *extra};
        if (r >= 0)
                r = net_setup(e->db, path, c->id, c->name, reqs, n, ports, np, err);
        run_opts_clear(&o);
        if (r < 0)
                return r;
        engine_hosts_write(e->db, e->root, c->id, c->opts);
        peers = net_peers(e->db, c->id);
        engine_peers_refresh(e->db, e->root, peers);
        return 0;
}

/* config.json: the network namespace the start made, or the other container's. */
void engine_net_spec(engine *e, const ctr_record *c, json_t *spec)
{
        const char *net = json_string_value(json_object_get(c->opts, "network"));
        json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces"), *n;
        _cleanup_free_ char *path = NULL;
        size_t i;

        if (engine_net_bridged(net))
                path = engine_netns_path(e->runroot, c->id);
        else if (net && strncmp(net, "container:", 10) == 0) {
                _cleanup_ctr_record_ ctr_record *other = NULL;
                path = engine_netns_path(e->runroot, net + 10);
                if (access(path, F_OK) < 0 && engine_lookup(e, net + 10, &other, NULL) >= 0 &&
                    other->pid > 0) {
                        free(path);
                        path = xasprintf("/proc/%d/ns/net", (int)other->pid);
                }
        }
        if (!path)
                return;
        json_array_foreach (ns, i, n)
                if (streq(json_string_value(json_object_get(n, "type")) ?: "", "network"))
                        json_object_set_new(n, "path", json_string(path));
}

static int lookup_pair(engine *e, const char *what, const char *network, ctr_record **ret_c,
                       net_network **ret_n, berth_error **err)
{
        int r = engine_lookup(e, what, ret_c, err);

        return r < 0 ? r : net_get(e->db, network, ret_n, err);
}

/* Keep c's networks (its opts) and rewrite the hosts files of c and of peers (those it shared
 * a network with before, or shares one with now). */
static int save_networks(engine *e, ctr_record *c, char **peers, berth_error **err)
{
        _cleanup_free_ char *text = jsonh_dump(c->opts, false);
        const char *const texts[] = {text, c->id};
        _cleanup_strv_free_ char **now = net_peers(e->db, c->id);
        int r = engine_db_exec_bind(e->db, "UPDATE containers SET opts = ?1 WHERE id = ?2", err, 2, NULL,
                                    texts);

        engine_hosts_write(e->db, e->root, c->id, c->opts);
        engine_peers_refresh(e->db, e->root, peers);
        engine_peers_refresh(e->db, e->root, now);
        return r;
}

int engine_connect(engine *e, const char *what, const char *network, const net_request *req_in,
                   berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_net_network_ net_network *n = NULL;
        int r = lookup_pair(e, what, network, &c, &n, err);

        if (r < 0)
                return r;
        const char *cur = json_string_value(json_object_get(c->opts, "network"));
        if (!engine_net_bridged(cur))
                return berth_error_say(err, EINVAL,
                                       "container %s uses --network %s: it cannot join a network", c->name,
                                       cur ? cur : "none");
        json_t *extra = json_object_get(c->opts, "networks");
        size_t i;
        json_t *v;
        bool known = streq(cur, n->name) || streq(cur, n->id);
        json_array_foreach (extra, i, v)
                known = known || streq(json_string_value(v), n->name);
        if (known)
                return berth_error_say(err, EEXIST, "container %s is already connected to network %s",
                                       c->name, n->name);
        if (streq(c->state, "running") || streq(c->state, "paused")) {
                _cleanup_free_ char *path = engine_netns_path(e->runroot, c->id);
                net_request req = *req_in;
                req.network = n->name;
                r = net_connect(e->db, path, c->id, c->name, &req, err);
                if (r < 0)
                        return r;
        }
        if (!extra) {
                extra = json_array();
                json_object_set_new(c->opts, "networks", extra);
        }
        json_array_append_new(extra, json_string(n->name));
        _cleanup_strv_free_ char **peers = net_peers(e->db, c->id);
        return save_networks(e, c, peers, err);
}

int engine_disconnect(engine *e, const char *what, const char *network, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_net_network_ net_network *n = NULL;
        int r = lookup_pair(e, what, network, &c, &n, err);

        if (r < 0)
                return r;
        const char *cur = json_string_value(json_object_get(c->opts, "network"));
        json_t *extra = json_object_get(c->opts, "networks"), *v;
        size_t i, found = SIZE_MAX;
        json_array_foreach (extra, i, v)
                if (streq(json_string_value(v), n->name))
                        found = i;
        if (found == SIZE_MAX) {
                if (cur && (streq(cur, n->name) || streq(cur, n->id)))
                        return berth_error_say(err, EINVAL,
                                               "container %s: its first network %s cannot be disconnected",
                                               c->name, n->name);
                return berth_error_say(err, ENOENT, "container %s is not connected to network %s", c->name,
                                       n->name);
        }
        _cleanup_strv_free_ char **peers = net_peers(e->db, c->id);
        if (streq(c->state, "running") || streq(c->state, "paused")) {
                r = net_disconnect(e->db, c->id, n->name, err);
                if (r < 0)
                        return r;
        }
        json_array_remove(extra, found);
        return save_networks(e, c, peers, err);
}

/* A network is used by a container that names it, running or not (Docker refuses rm then). */
int engine_network_remove(engine *e, const char *what, berth_error **err)
{
        _cleanup_net_network_ net_network *n = NULL;
        ctr_record **l = NULL;
        int r = net_get(e->db, what, &n, err);

        if (r < 0)
                return r;
        if (streq(n->name, NET_DEFAULT))
                return berth_error_say(err, EPERM, "bridge is a pre-defined network and cannot be removed");
        r = engine_list(e, &l, err);
        if (r < 0)
                return r;
        for (ctr_record **p = l; *p && r >= 0; p++) {
                const char *cur = json_string_value(json_object_get((*p)->opts, "network"));
                bool uses = cur && streq(cur, n->name);
                size_t i;
                json_t *v;
                json_array_foreach (json_object_get((*p)->opts, "networks"), i, v)
                        uses = uses || streq(json_string_value(v), n->name);
                if (uses)
                        r = berth_error_say(err, EBUSY, "network %s is in use by container %s", n->name,
                                            (*p)->name);
        }
        ctr_record_list_free(l);
        if (r < 0)
                return r;
        return net_remove(e->db, n->id, err);
}

int engine_network_prune(engine *e, char ***ret_removed, berth_error **err)
{
        net_network **l = NULL;
        int r = net_list(e->db, &l, err);

        if (r < 0)
                return r;
        for (net_network **p = l; *p; p++) {
                if (streq((*p)->name, NET_DEFAULT))
                        continue;
                _cleanup_error_ berth_error *e2 = NULL;
                if (engine_network_remove(e, (*p)->id, &e2) >= 0)
                        strv_push(ret_removed, (*p)->name);
        }
        net_network_list_free(l);
        return 0;
}

/* Every network's host pieces and rows, for `system reset`. */
void engine_network_reset(engine *e)
{
        net_network **l = NULL;

        if (net_list(e->db, &l, NULL) < 0)
                return;
        for (net_network **p = l; *p; p++) {
                net_host_remove(*p);
                if (!net_in_use(e->db, (*p)->id))
                        net_remove(e->db, (*p)->id, NULL);
        }
        net_network_list_free(l);
}

/* inspect: NetworkSettings (the live endpoints and ports; exposed but unpublished ports null)
 * and the network part of HostConfig. */
void engine_net_inspect(engine *e, const ctr_record *c, json_t *o)
{
        json_t *ns = net_settings_json(e->db, c->id), *ports = json_object_get(ns, "Ports");
        json_t *host = json_object_get(o, "HostConfig"), *config = json_object_get(o, "Config");
        json_t *exposed = json_object_get(c->image_config, "ExposedPorts"), *v;
        const char *k;
        bool running = streq(c->state, "running") || streq(c->state, "paused");
        _cleanup_free_ char *path = engine_netns_path(e->runroot, c->id);
        size_t i;

        json_object_foreach (exposed, k, v)
                if (!json_object_get(ports, k))
                        json_object_set_new(ports, k, json_null());
        json_object_set_new(ns, "SandboxKey",
                            json_string(running && engine_net_bridged(json_string_value(
                                                           json_object_get(c->opts, "network")))
                                                ? path
                                                : ""));
        json_object_set_new(o, "NetworkSettings", ns);
        json_object_set_new(config, "ExposedPorts", exposed ? json_incref(exposed) : json_object());

        json_t *bindings = json_object();
        json_array_foreach (json_object_get(c->opts, "publish"), i, v) {
                net_port p;
                if (net_port_parse(json_string_value(v), &p, NULL) < 0)
                        continue;
                _cleanup_free_ char *key = xasprintf("%u/%s", p.ctr_port, p.proto);
                _cleanup_free_ char *hp = p.host_port ? xasprintf("%u", p.host_port) : xstrdup("");
                json_t *l = json_object_get(bindings, key);
                if (!l) {
                        l = json_array();
                        json_object_set_new(bindings, key, l);
                }
                json_array_append_new(l, json_pack("{s:s,s:s}", "HostIp",
                                                   streq(p.host_ip, "0.0.0.0") ? "" : p.host_ip, "HostPort",
                                                   hp));
        }
        json_object_set_new(host, "PortBindings", bindings);
        json_object_set_new(host, "PublishAllPorts",
                            json_boolean(json_is_true(json_object_get(c->opts, "publish_all"))));
        static const char *const lists[][2] = {
                {"Dns", "dns"}, {"DnsSearch", "dns_search"}, {"DnsOptions", "dns_options"}};
        for (size_t li = 0; li < ELEMENTSOF(lists); li++) {
                json_t *l = json_object_get(c->opts, lists[li][1]);
                json_object_set_new(host, lists[li][0], l ? json_incref(l) : json_array());
        }
        json_object_set(host, "ExtraHosts", json_object_get(c->opts, "add_hosts") ?: json_null());
}

char *engine_ports_text(engine *e, const char *id)
{
        _cleanup_json_ json_t *ns = net_settings_json(e->db, id);
        _cleanup_strv_free_ char **parts = NULL;
        json_t *l, *b;
        const char *k;
        size_t i;

        json_object_foreach (json_object_get(ns, "Ports"), k, l)
                json_array_foreach (l, i, b)
                        strv_consume(&parts,
                                     xasprintf("%s:%s->%s", json_string_value(json_object_get(b, "HostIp")),
                                               json_string_value(json_object_get(b, "HostPort")), k));
        return parts ? strv_join(parts, ", ") : xstrdup("");
}
