/* Networks and IPAM in the engine's database; wiring of containers with netlink and nftables. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/macros.h"
#include "basic/strv.h"
#include "netlink.h"
#include "network-internal.h"
#include "nfnl.h"
#include "nft.h"

void net_network_free(net_network *n)
{
        if (!n)
                return;
        free(n->id);
        free(n->name);
        free(n->bridge);
        free(n->subnet);
        free(n->gateway);
        json_decref(n->labels);
        free(n);
}

void net_network_list_free(net_network **l)
{
        if (!l)
                return;
        for (net_network **p = l; *p; p++)
                net_network_free(*p);
        free(l);
}

static char *random_hex(size_t bytes)
{
        unsigned char buf[32];
        char *s = xmalloc(bytes * 2 + 1);

        if (bytes > sizeof(buf) || getrandom(buf, bytes, 0) != (ssize_t)bytes)
                abort();
        for (size_t i = 0; i < bytes; i++)
                sprintf(s + 2 * i, "%02x", buf[i]);
        return s;
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- addresses ---- */

static bool parse_ip(const char *s, uint32_t *ret)
{
        struct in_addr a;

        if (inet_pton(AF_INET, s, &a) != 1)
                return false;
        *ret = ntohl(a.s_addr);
        return true;
}

static char *ip_text(uint32_t ip)
{
        struct in_addr a = {.s_addr = htonl(ip)};
        char buf[INET_ADDRSTRLEN];

        return xstrdup(inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

static uint32_t prefix_mask(int len)
{
        return len ? ~0u << (32 - len) : 0;
}

static bool parse_cidr(const char *s, uint32_t *ret_net, int *ret_len)
{
        _cleanup_free_ char *c = xstrdup(s);
        char *slash = strchr(c, '/'), *end;
        long len;

        if (!slash)
                return false;
        *slash = 0;
        len = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || len < 8 || len > 30 || !parse_ip(c, ret_net))
                return false;
        *ret_len = (int)len;
        return true;
}

static bool overlaps(uint32_t a, int alen, uint32_t b, int blen)
{
        int len = alen < blen ? alen : blen;

        return ((a ^ b) & prefix_mask(len)) == 0;
}

/* Does net/len overlap a route of the host's main table (other than the default route)? */
static bool overlaps_host_route(uint32_t net, int len)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
        char line[512], ifname[64];
        unsigned dst, gw, flags, mask;

        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", ifname, &dst, &gw, &flags, &mask) != 5)
                        continue;
                if (mask == 0)
                        continue;
                uint32_t d = ntohl(dst), m = ntohl(mask);
                int mlen = __builtin_popcount(m);
                if (overlaps(net, len, d, mlen))
                        return true;
        }
        return false;
}

/* ---- networks ---- */

static net_network *row_network(sqlite3_stmt *s)
{
        net_network *n = xcalloc(1, sizeof(*n));
        _cleanup_free_ char *labels = db_column_strdup(s, 6);

        n->id = db_column_strdup(s, 0);
        n->name = db_column_strdup(s, 1);
        n->bridge = db_column_strdup(s, 2);
        n->subnet = db_column_strdup(s, 3);
        n->gateway = db_column_strdup(s, 4);
        n->internal = sqlite3_column_int(s, 5) != 0;
        n->labels = json_loads(labels ? labels : "{}", 0, NULL);
        if (!n->labels)
                n->labels = json_object();
        n->created = sqlite3_column_int64(s, 7);
        return n;
}

#define NET_COLUMNS "id, name, bridge, subnet, gateway, internal, labels, created"

static int find_network(db *d, const char *what, net_network **ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        _cleanup_free_ char *like = xasprintf("%s%%", what);
        net_network *found = NULL;
        int r = db_prepare(d,
                           "SELECT " NET_COLUMNS " FROM networks WHERE name = ?1 OR id = ?1 OR id LIKE ?2"
                           " ORDER BY name = ?1 DESC, id = ?1 DESC LIMIT 2",
                           &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, what, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, strlen(what) >= 3 ? like : "", -1, SQLITE_TRANSIENT);
        while ((r = db_step_row(d, s, err)) > 0) {
                net_network *n = row_network(s);
                if (!found) {
                        found = n;
                        if (streq(n->name, what) || streq(n->id, what))
                                break;
                        continue;
                }
                net_network_free(n);
                net_network_free(found);
                return berth_error_say(err, EINVAL, "network id prefix %s is ambiguous", what);
        }
        if (r < 0) {
                net_network_free(found);
                return r;
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

/* The first bridge name berthN that neither a row nor a host link has. */
/* Claim a bridge name: the first berthN no row of ours names that we can create on the host
 * (NLM_F_EXCL: two roots, or two tests, never end up sharing one). The bridge exists from here on,
 * as a network's does in Docker after `network create`; its address and table come at first use. */
static char *claim_bridge(db *d, berth_error **err)
{
        _cleanup_nl_ nl *h = NULL;

        if (nl_open(&h, err) < 0)
                return NULL;
        for (int i = 0; i < 10000; i++) {
                _cleanup_free_ char *name = xasprintf("berth%d", i);
                _cleanup_stmt_ sqlite3_stmt *s = NULL;
                if (db_prepare(d, "SELECT 1 FROM networks WHERE bridge = ?1", &s, err) < 0)
                        return NULL;
                sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
                int r = db_step_row(d, s, err);
                if (r < 0)
                        return NULL;
                if (r > 0 || nl_link_index(h, name) != -ENODEV)
                        continue;
                r = nl_bridge_add(h, name, err);
                if (r == -EEXIST) { /* taken between the look and the make */
                        berth_error_free(*err);
                        *err = NULL;
                        continue;
                }
                return r < 0 ? NULL : TAKE_PTR(name);
        }
        berth_error_say(err, ENOSPC, "no free bridge name");
        return NULL;
}

/* Does net/len overlap a network's subnet or a host route? The conflict's name in *ret_with. */
static int subnet_conflict(db *d, uint32_t net, int len, char **ret_with, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = db_prepare(d, "SELECT name, subnet FROM networks", &s, err);

        if (r < 0)
                return r;
        while ((r = db_step_row(d, s, err)) > 0) {
                uint32_t o;
                int olen;
                if (parse_cidr((const char *)sqlite3_column_text(s, 1), &o, &olen) &&
                    overlaps(net, len, o, olen)) {
                        *ret_with = xasprintf("network %s", sqlite3_column_text(s, 0));
                        return 1;
                }
        }
        if (r < 0)
                return r;
        if (overlaps_host_route(net, len)) {
                *ret_with = xstrdup("a route on the host");
                return 1;
        }
        return 0;
}

static int insert_network(db *d, const net_create_opts *o, net_network **ret, berth_error **err)
{
        _cleanup_free_ char *id = random_hex(32), *bridge = NULL, *subnet = NULL, *gateway = NULL;
        _cleanup_json_ json_t *labels = json_object();
        _cleanup_free_ char *labels_text = NULL;
        uint32_t net = 0, gw = 0;
        int len = 16, r;

        if (!o->name[0] ||
            strspn(o->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                    strlen(o->name) ||
            strlen(o->name) > 64)
                return berth_error_say(err, EINVAL, "invalid network name \"%s\"", o->name);
        STRV_FOREACH (l, o->labels) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
                json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
        }
        labels_text = jsonh_dump(labels, false);
        if (o->subnet) {
                if (!parse_cidr(o->subnet, &net, &len))
                        return berth_error_say(err, EINVAL, "invalid subnet %s: want a.b.c.d/8-30",
                                               o->subnet);
                if (net & ~prefix_mask(len))
                        return berth_error_say(err, EINVAL, "invalid subnet %s: host bits are set",
                                               o->subnet);
        }
        if (o->gateway && (!parse_ip(o->gateway, &gw) || !o->subnet || ((gw ^ net) & prefix_mask(len)) ||
                           gw == net || gw == (net | ~prefix_mask(len))))
                return berth_error_say(err, EINVAL, "invalid gateway %s: not an address of subnet %s",
                                       o->gateway, strempty(o->subnet));

        r = db_begin(d, err);
        if (r < 0)
                return r;
        _cleanup_(net_network_freep) net_network *old = NULL;
        r = find_network(d, o->name, &old, err);
        if (r >= 0 && streq(old->name, o->name))
                r = berth_error_say(err, EEXIST, "network with name %s already exists", o->name);
        else if (r >= 0 || r == -ENOENT)
                r = 0;
        if (r >= 0 && o->subnet) {
                _cleanup_free_ char *with = NULL;
                r = subnet_conflict(d, net, len, &with, err);
                if (r > 0)
                        r = berth_error_say(err, EEXIST, "subnet %s overlaps with %s", o->subnet, with);
        } else if (r >= 0) {
                r = 1;
                for (uint32_t b = 90; b < 128 && r > 0; b++) {
                        _cleanup_free_ char *with = NULL;
                        net = (10u << 24) | (b << 16);
                        r = subnet_conflict(d, net, 16, &with, err);
                }
                if (r > 0)
                        r = berth_error_say(err, ENOSPC, "no free subnet in 10.90.0.0-10.127.255.255 (/16)");
        }
        if (r >= 0) {
                _cleanup_free_ char *a = ip_text(net);
                subnet = xasprintf("%s/%d", a, len);
                gateway = ip_text(gw ? gw : net + 1);
                bridge = claim_bridge(d, err);
                if (!bridge)
                        r = -EINVAL;
        }
        if (r >= 0)
                r = net_exec_bind(
                        d, err,
                        "INSERT INTO networks (id, name, bridge, subnet, gateway, internal, labels, created)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        "sssssisi", id, o->name, bridge, subnet, gateway, (int64_t)o->internal, labels_text,
                        now_ns());
        if (r >= 0)
                r = db_commit(d, err);
        if (r < 0) {
                db_rollback(d);
                if (bridge) {
                        _cleanup_nl_ nl *h = NULL;
                        if (nl_open(&h, NULL) >= 0)
                                nl_link_del(h, bridge, NULL);
                }
                return r;
        }
        if (ret)
                return find_network(d, id, ret, err);
        return 0;
}

int net_create(db *d, const net_create_opts *o, net_network **ret, berth_error **err)
{
        if (streq(o->name, NET_DEFAULT) || streq(o->name, "host") || streq(o->name, "none"))
                return berth_error_say(err, EEXIST, "network name %s is reserved", o->name);
        return insert_network(d, o, ret, err);
}

int net_get(db *d, const char *what, net_network **ret, berth_error **err)
{
        int r = find_network(d, what, ret, err);

        if (r == -ENOENT && streq(what, NET_DEFAULT)) {
                const net_create_opts o = {.name = NET_DEFAULT};
                r = insert_network(d, &o, NULL, err);
                if (r < 0 && r != -EEXIST)
                        return r;
                berth_error_free(err ? *err : NULL);
                if (err)
                        *err = NULL;
                r = find_network(d, what, ret, err);
        }
        if (r == -ENOENT)
                return berth_error_say(err, ENOENT, "network %s not found", what);
        return r;
}

int net_list(db *d, net_network ***ret, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        net_network **l = xcalloc(1, sizeof(*l));
        size_t n = 0;
        int r = db_prepare(d, "SELECT " NET_COLUMNS " FROM networks ORDER BY name", &s, err);

        while (r >= 0 && (r = db_step_row(d, s, err)) > 0) {
                l = xrealloc(l, (n + 2) * sizeof(*l));
                l[n++] = row_network(s);
                l[n] = NULL;
        }
        if (r < 0) {
                net_network_list_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

bool net_in_use(db *d, const char *network_id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (db_prepare(d, "SELECT 1 FROM network_endpoints WHERE network_id = ?1", &s, NULL) < 0)
                return true;
        sqlite3_bind_text(s, 1, network_id, -1, SQLITE_TRANSIENT);
        return db_step_row(d, s, NULL) != 0;
}

void net_host_remove(const net_network *n)
{
        _cleanup_nl_ nl *h = NULL;

        nfnl_table_delete(n->bridge);
        if (nl_open(&h, NULL) >= 0)
                nl_link_del(h, n->bridge, NULL);
}

int net_remove(db *d, const char *what, berth_error **err)
{
        _cleanup_net_network_ net_network *n = NULL;
        int r = db_begin(d, err);

        if (r < 0)
                return r;
        r = find_network(d, what, &n, err);
        if (r == -ENOENT)
                r = berth_error_say(err, ENOENT, "network %s not found", what);
        if (r >= 0 && net_in_use(d, n->id))
                r = berth_error_say(err, EBUSY, "network %s has active endpoints", n->name);
        if (r >= 0)
                r = net_exec_bind(d, err, "DELETE FROM networks WHERE id = ?1", "s", n->id);
        if (r >= 0)
                r = db_commit(d, err);
        if (r < 0) {
                db_rollback(d);
                return r;
        }
        net_host_remove(n);
        return 0;
}

static void sysctl_write(const char *path, const char *value)
{
        fs_write_file(path, value, strlen(value), NULL);
}

/* The bridge with the gateway address, and the network's nftables table; both idempotent. */
static int host_ensure(const net_network *n, berth_error **err)
{
        _cleanup_nl_ nl *h = NULL;
        uint32_t net, gw;
        int len, idx, r;

        if (!parse_cidr(n->subnet, &net, &len) || !parse_ip(n->gateway, &gw))
                return berth_error_say(err, EINVAL, "network %s: bad subnet %s", n->name, n->subnet);
        r = nl_open(&h, err);
        if (r < 0)
                return r;
        idx = nl_link_index(h, n->bridge);
        if (idx == -ENODEV) {
                r = nl_bridge_add(h, n->bridge, err);
                if (r == -EEXIST) { /* made by a start running next to us */
                        berth_error_free(*err);
                        *err = NULL;
                        r = 0;
                }
                if (r < 0)
                        return r;
                idx = nl_link_index(h, n->bridge);
        }
        if (idx < 0)
                return berth_error_say(err, -idx, "bridge %s: %s", n->bridge, strerror(-idx));
        r = nl_addr_add(h, idx, htonl(gw), len, err);
        if (r >= 0)
                r = nl_link_set(h, idx, NULL, 0, NULL, true, err);
        if (r < 0)
                return berth_error_wrap(err, "bridge %s", n->bridge);

        /* 127.0.0.1:PORT reaches a container: DNAT'd packets keep their loopback source */
        _cleanup_free_ char *rl = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
        sysctl_write(rl, "1");
        if (!n->internal)
                sysctl_write("/proc/sys/net/ipv4/ip_forward", "1");

        if (nfnl_table_exists(n->bridge) > 0)
                return 0;
        const char *t = n->bridge, *s = n->subnet;
        _cleanup_free_ char *cmds = NULL;
        size_t size;
        FILE *f = open_memstream(&cmds, &size);
        if (!f)
                return berth_error_say(err, errno, "open_memstream");
        fprintf(f, "create table ip %s\n", t);
        fprintf(f,
                "add map ip %s ports_ip { type ipv4_addr . inet_proto . inet_service : "
                "ipv4_addr . inet_service ; }\n",
                t);
        fprintf(f,
                "add map ip %s ports_any { type inet_proto . inet_service : ipv4_addr . inet_service ; }\n",
                t);
        /* published ports: to any local address, from outside (prerouting) and from the host (output) */
        static const char *const hooks[][2] = {{"prerouting", "dstnat"}, {"output", "-100"}};
        for (size_t i = 0; i < ELEMENTSOF(hooks); i++) {
                fprintf(f, "add chain ip %s %s { type nat hook %s priority %s ; }\n", t, hooks[i][0],
                        hooks[i][0], hooks[i][1]);
                fprintf(f,
                        "add rule ip %s %s fib daddr type local dnat ip to ip daddr . meta l4proto . th "
                        "dport "
                        "map @ports_ip\n",
                        t, hooks[i][0]);
                fprintf(f,
                        "add rule ip %s %s fib daddr type local dnat ip to meta l4proto . th dport map "
                        "@ports_any\n",
                        t, hooks[i][0]);
        }
        fprintf(f, "add chain ip %s postrouting { type nat hook postrouting priority srcnat ; }\n", t);
        if (!n->internal) /* the way out */
                fprintf(f, "add rule ip %s postrouting ip saddr %s oifname != \"%s\" masquerade\n", t, s, t);
        /* 127.0.0.1 and hairpin: the answer must come back through the host */
        fprintf(f,
                "add rule ip %s postrouting oifname \"%s\" ct status dnat ip saddr { 127.0.0.0/8, %s } "
                "masquerade\n",
                t, t, s);
        fprintf(f, "add chain ip %s forward { type filter hook forward priority filter ; }\n", t);
        /* no way to another berth network */
        fprintf(f, "add rule ip %s forward iifname \"%s\" oifname != \"%s\" oifname \"berth*\" drop\n", t, t,
                t);
        if (n->internal) { /* nothing in or out but between its own ports */
                fprintf(f, "add rule ip %s forward iifname \"%s\" oifname != \"%s\" drop\n", t, t, t);
                fprintf(f, "add rule ip %s forward oifname \"%s\" iifname != \"%s\" drop\n", t, t, t);
        }
        fclose(f);
        r = nft_run(cmds, err);
        if (r == -EEXIST) {
                berth_error_free(*err);
                *err = NULL;
                r = 0;
        }
        return r < 0 ? berth_error_wrap(err, "network %s", n->name) : 0;
}

/* ---- ports ---- */

static bool parse_port(const char *s, uint16_t *ret, bool zero_ok)
{
        char *end;
        long v;

        if (!*s)
                return false;
        v = strtol(s, &end, 10);
        if (*end || v < (zero_ok ? 0 : 1) || v > 65535)
                return false;
        *ret = (uint16_t)v;
        return true;
}

int net_port_parse(const char *spec, net_port *ret, berth_error **err)
{
        _cleanup_free_ char *c = xstrdup(spec);
        net_port p = {.host_ip = "0.0.0.0", .proto = "tcp"};
        char *slash = strrchr(c, '/');
        uint32_t ip;

        if (slash) {
                *slash = 0;
                if (!streq(slash + 1, "tcp") && !streq(slash + 1, "udp"))
                        return berth_error_say(err, EINVAL, "invalid port %s: protocol %s is not tcp or udp",
                                               spec, slash + 1);
                snprintf(p.proto, sizeof(p.proto), "%s", slash + 1);
        }
        _cleanup_strv_free_ char **f = strv_split(c, ":");
        size_t n = strv_length(f);
        /* strv_split drops empty fields: count colons for IP::CTR */
        size_t colons = 0;
        for (const char *q = c; *q; q++)
                colons += *q == ':';
        bool ok = true;
        if (colons == 0 && n == 1)
                ok = parse_port(f[0], &p.ctr_port, false);
        else if (colons == 1 && n == 2)
                ok = parse_port(f[0], &p.host_port, false) && parse_port(f[1], &p.ctr_port, false);
        else if (colons == 2 && (n == 3 || n == 2)) {
                ok = parse_ip(f[0], &ip) && strlen(f[0]) < sizeof(p.host_ip);
                if (ok)
                        snprintf(p.host_ip, sizeof(p.host_ip), "%s", f[0]);
                ok = ok &&
                     (n == 3 ? parse_port(f[1], &p.host_port, false) && parse_port(f[2], &p.ctr_port, false)
                             : parse_port(f[1], &p.ctr_port, false));
        } else
                ok = false;
        if (!ok)
                return berth_error_say(err, EINVAL, "invalid port %s: want [IP:][HOST:]CONTAINER[/tcp|udp]",
                                       spec);
        *ret = p;
        return 0;
}

/* Is host_ip:port/proto published already (0.0.0.0 meets every address)? */
static int port_taken(db *d, const net_port *p, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = db_prepare(d,
                           "SELECT 1 FROM network_ports WHERE host_port = ?1 AND proto = ?2 AND"
                           " (host_ip = ?3 OR host_ip = '0.0.0.0' OR ?3 = '0.0.0.0')",
                           &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_int(s, 1, p->host_port);
        sqlite3_bind_text(s, 2, p->proto, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, p->host_ip, -1, SQLITE_TRANSIENT);
        return db_step_row(d, s, err);
}

/* Can the host bind host_ip:port/proto (a listener there would be shadowed by the DNAT)? */
static bool port_bindable(const net_port *p)
{
        bool udp = streq(p->proto, "udp");
        _cleanup_close_ int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->host_port)};
        int one = 1;

        if (fd < 0)
                return true;
        inet_pton(AF_INET, p->host_ip, &a.sin_addr);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        return bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EADDRINUSE;
}

static int reserve_port(db *d, const char *id, const char *network_id, const char *ctr_ip, net_port *p,
                        berth_error **err)
{
        int r;

        if (p->host_port == 0) { /* a free one from the ephemeral range, as Docker does */
                uint16_t start;
                if (getrandom(&start, sizeof(start), 0) != sizeof(start))
                        start = 0;
                for (int i = 0; i < 28232 && p->host_port == 0; i++) {
                        p->host_port = (uint16_t)(32768 + (start + i) % 28232);
                        r = port_taken(d, p, err);
                        if (r < 0)
                                return r;
                        if (r > 0 || !port_bindable(p))
                                p->host_port = 0;
                }
                if (p->host_port == 0)
                        return berth_error_say(err, ENOSPC, "no free host port for %u/%s", p->ctr_port,
                                               p->proto);
        } else {
                r = port_taken(d, p, err);
                if (r < 0)
                        return r;
                if (r > 0)
                        return berth_error_say(err, EADDRINUSE, "port %s:%u/%s is already allocated",
                                               p->host_ip, p->host_port, p->proto);
                if (!port_bindable(p))
                        return berth_error_say(err, EADDRINUSE, "port %s:%u/%s is in use on the host",
                                               p->host_ip, p->host_port, p->proto);
        }
        return net_exec_bind(
                d, err,
                "INSERT INTO network_ports (container_id, network_id, host_ip, host_port, proto, ctr_ip,"
                " ctr_port) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                "sssissi", id, network_id, p->host_ip, (int64_t)p->host_port, p->proto, ctr_ip,
                (int64_t)p->ctr_port);
}

/* ---- endpoints ---- */

typedef struct endpoint {
        net_network *net;
        char *ip, *mac, *ifname, *host_ifname;
        int prefix;
} endpoint;

static void endpoints_free(endpoint *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                net_network_free(e[i].net);
                free(e[i].ip);
                free(e[i].mac);
                free(e[i].ifname);
                free(e[i].host_ifname);
        }
        free(e);
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

static int alloc_ip(db *d, const net_network *n, const char *want, char **ret, int *ret_prefix,
                    berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        _cleanup_free_ uint32_t *used = NULL;
        size_t nused = 0;
        uint32_t net, gw, ip;
        int len, r;

        if (!parse_cidr(n->subnet, &net, &len) || !parse_ip(n->gateway, &gw))
                return berth_error_say(err, EINVAL, "network %s: bad subnet %s", n->name, n->subnet);
        uint32_t last = net | ~prefix_mask(len);
        r = db_prepare(d, "SELECT ip FROM network_endpoints WHERE network_id = ?1", &s, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, n->id, -1, SQLITE_TRANSIENT);
        while ((r = db_step_row(d, s, err)) > 0) {
                used = xrealloc(used, (nused + 1) * sizeof(*used));
                if (parse_ip((const char *)sqlite3_column_text(s, 0), &used[nused]))
                        nused++;
        }
        if (r < 0)
                return r;
        if (nused > 0)
                qsort(used, nused, sizeof(*used), cmp_u32);
        if (want) {
                if (!parse_ip(want, &ip) || ((ip ^ net) & prefix_mask(len)) || ip == net || ip == last)
                        return berth_error_say(err, EINVAL, "address %s is not in subnet %s of network %s",
                                               want, n->subnet, n->name);
                if (ip == gw || (nused > 0 && bsearch(&ip, used, nused, sizeof(*used), cmp_u32)))
                        return berth_error_say(err, EADDRINUSE, "address %s is already in use on network %s",
                                               want, n->name);
        } else {
                size_t i = 0;
                for (ip = net + 1; ip < last; ip++) {
                        while (i < nused && used[i] < ip)
                                i++;
                        if (ip != gw && (i == nused || used[i] != ip))
                                break;
                }
                if (ip >= last)
                        return berth_error_say(err, ENOSPC, "no free address left in network %s (%s)",
                                               n->name, n->subnet);
        }
        *ret = ip_text(ip);
        *ret_prefix = len;
        return 0;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
        unsigned v[6];
        char extra;

        if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
                return false;
        for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t)v[i];
        return !(mac[0] & 1); /* not multicast */
}

/* In one transaction: an address on each network, the ports on the first. */
static int allocate(db *d, const char *id, const char *name, const net_request *reqs, size_t n,
                    net_port *ports, size_t nports, size_t first_if, endpoint *eps, berth_error **err)
{
        int r = db_begin(d, err);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                endpoint *ep = &eps[i];
                _cleanup_json_ json_t *aliases = json_array();
                _cleanup_free_ char *aliases_text = NULL;
                uint8_t mac[6];

                r = net_get(d, reqs[i].network, &ep->net, err);
                if (r < 0)
                        break;
                r = alloc_ip(d, ep->net, reqs[i].ip, &ep->ip, &ep->prefix, err);
                if (r < 0)
                        break;
                if (reqs[i].mac) {
                        if (!parse_mac(reqs[i].mac, mac)) {
                                r = berth_error_say(err, EINVAL, "invalid MAC address %s", reqs[i].mac);
                                break;
                        }
                } else {
                        uint32_t ip = 0;
                        parse_ip(ep->ip, &ip);
                        mac[0] = 0x02, mac[1] = 0x42;
                        for (int k = 0; k < 4; k++)
                                mac[2 + k] = (uint8_t)(ip >> (24 - 8 * k));
                }
                ep->mac = xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                                    mac[5]);
                ep->ifname = xasprintf("eth%zu", first_if + i);
                _cleanup_free_ char *rnd = random_hex(5);
                ep->host_ifname = xasprintf("vberth%.9s", rnd);
                STRV_FOREACH (a, reqs[i].aliases)
                        json_array_append_new(aliases, json_string(*a));
                aliases_text = jsonh_dump(aliases, false);
                r = net_exec_bind(
                        d, err,
                        "INSERT INTO network_endpoints (container_id, network_id, container_name, ip, mac,"
                        " ifname, host_ifname, aliases) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        "ssssssss", id, ep->net->id, name, ep->ip, ep->mac, ep->ifname, ep->host_ifname,
                        aliases_text);
                if (r == -EEXIST || (r < 0 && err && *err && strstr(berth_error_text(*err), "UNIQUE")))
                        r = berth_error_say(err, EEXIST, "container %s is already connected to network %s",
                                            name, ep->net->name);
        }
        for (size_t i = 0; r >= 0 && i < nports; i++)
                r = reserve_port(d, id, eps[0].net->id, eps[0].ip, &ports[i], err);
        if (r >= 0)
                r = db_commit(d, err);
        if (r < 0)
                db_rollback(d);
        return r;
}

static int netns_create(const char *path, berth_error **err)
{
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *dir = xstrdup(path);
        int fd, r = 0;

        if (self < 0)
                return berth_error_say(err, errno, "open own network namespace: %s", strerror(errno));
        *strrchr(dir, '/') = 0;
        r = fs_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        umount2(path, MNT_DETACH); /* a leftover */
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return berth_error_say(err, errno, "create %s: %s", path, strerror(errno));
        close(fd);
        if (unshare(CLONE_NEWNET) < 0)
                return berth_error_say(err, errno, "new network namespace: %s", strerror(errno));
        if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                r = berth_error_say(err, errno, "bind network namespace to %s: %s", path, strerror(errno));
        if (setns(self, CLONE_NEWNET) < 0)
                abort();
        return r;
}

static int wire(nl *host, nl *inside, int netns_fd, const endpoint *ep, bool route, berth_error **err)
{
        uint32_t ip = 0, gw = 0;
        uint8_t mac[6] = {0};
        int bridge, idx, r;

        parse_ip(ep->ip, &ip);
        parse_ip(ep->net->gateway, &gw);
        parse_mac(ep->mac, mac);
        r = host_ensure(ep->net, err);
        if (r < 0)
                return r;
        bridge = nl_link_index(host, ep->net->bridge);
        if (bridge < 0)
                return berth_error_say(err, -bridge, "bridge %s: %s", ep->net->bridge, strerror(-bridge));
        r = nl_veth_add(host, ep->host_ifname, ep->ifname, netns_fd, err);
        if (r < 0)
                return r;
        idx = nl_link_index(host, ep->host_ifname);
        if (idx < 0)
                return berth_error_say(err, -idx, "veth %s: %s", ep->host_ifname, strerror(-idx));
        r = nl_link_set(host, idx, NULL, bridge, NULL, true, err);
        if (r >= 0)
                r = nl_bridge_port_hairpin(host, idx, err);
        if (r < 0)
                return r;
        idx = nl_link_index(inside, ep->ifname);
        if (idx < 0)
                return berth_error_say(err, -idx, "%s in the container: %s", ep->ifname, strerror(-idx));
        r = nl_link_set(inside, idx, NULL, 0, mac, true, err);
        if (r >= 0)
                r = nl_addr_add(inside, idx, htonl(ip), ep->prefix, err);
        if (r >= 0 && route && !ep->net->internal)
                r = nl_route_add_default(inside, htonl(gw), err);
        return r;
}

static int add_port_rules(db *d, const char *id, berth_error **err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = db_prepare(
                d,
                "SELECT n.bridge, p.host_ip, p.host_port, p.proto, p.ctr_ip, p.ctr_port"
                " FROM network_ports p JOIN networks n ON n.id = p.network_id WHERE p.container_id = ?1",
                &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        while ((r = db_step_row(d, s, err)) > 0) {
                const char *t = (const char *)sqlite3_column_text(s, 0),
                           *hip = (const char *)sqlite3_column_text(s, 1);
                net_port_element el;
                if (!net_port_element_make(
                            hip, sqlite3_column_int(s, 2), (const char *)sqlite3_column_text(s, 3),
                            (const char *)sqlite3_column_text(s, 4), sqlite3_column_int(s, 5), &el))
                        return berth_error_say(err, EINVAL, "published port: bad address %s", hip);
                r = nfnl_map_element(t, el.map, el.key, el.klen, el.value, sizeof(el.value));
                if (r < 0)
                        return berth_error_say(err, -r,
                                               "publish port %s:%d: nftables map %s of table %s: %s", hip,
                                               sqlite3_column_int(s, 2), el.map, t, strerror(-r));
        }
        return r;
}

static int attach(db *d, const char *netns_path, const char *id, const char *name, const net_request *reqs,
                  size_t n, const net_port *ports_in, size_t nports, size_t first_if, berth_error **err)
{
        endpoint *eps = xcalloc(n ? n : 1, sizeof(*eps));
        net_port *ports = xcalloc(nports ? nports : 1, sizeof(*ports));
        _cleanup_nl_ nl *host = NULL, *inside = NULL;
        _cleanup_close_ int nsfd = -1;
        int r;

        if (nports > 0)
                memcpy(ports, ports_in, nports * sizeof(*ports));
        r = allocate(d, id, name, reqs, n, ports, nports, first_if, eps, err);
        free(ports);
        if (r < 0) {
                endpoints_free(eps, n);
                return r;
        }
        if (first_if == 0)
                r = netns_create(netns_path, err);
        if (r >= 0) {
                nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
                if (nsfd < 0)
                        r = berth_error_say(err, errno, "open %s: %s", netns_path, strerror(errno));
        }
        if (r >= 0)
                r = nl_open(&host, err);
        if (r >= 0)
                r = nl_open_in(nsfd, &inside, err);
        if (r >= 0 && first_if == 0) {
                int lo = nl_link_index(inside, "lo");
                r = lo < 0 ? berth_error_say(err, -lo, "lo: %s", strerror(-lo))
                           : nl_link_set(inside, lo, NULL, 0, NULL, true, err);
        }
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = wire(host, inside, nsfd, &eps[i], first_if + i == 0, err);
        if (r >= 0)
                r = add_port_rules(d, id, err);
        endpoints_free(eps, n);
        return r;
}

int net_setup(db *d, const char *netns_path, const char *id, const char *name, const net_request *reqs,
              size_t n, const net_port *ports, size_t nports, berth_error **err)
{
        int r;

        net_teardown(d, netns_path, id); /* what a crashed start left */
        r = attach(d, netns_path, id, name, reqs, n, ports, nports, 0, err);
        if (r < 0)
                net_teardown(d, netns_path, id);
        return r;
}

/* Leave one network now: its veth deleted (the namespace lives on), then ports and rows. */
static void endpoint_remove(db *d, const char *id, const char *network_id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        _cleanup_nl_ nl *h = NULL;

        if (nl_open(&h, NULL) >= 0 &&
            db_prepare(
                    d,
                    "SELECT host_ifname FROM network_endpoints WHERE container_id = ?1 AND network_id = ?2",
                    &s, NULL) >= 0) {
                sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 2, network_id, -1, SQLITE_TRANSIENT);
                while (db_step_row(d, s, NULL) > 0)
                        nl_link_del(h, (const char *)sqlite3_column_text(s, 0), NULL);
        }
        net_endpoint_rows_remove(d, id, network_id);
}

static int count_endpoints(db *d, const char *id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (db_prepare(d, "SELECT ifname FROM network_endpoints WHERE container_id = ?1", &s, NULL) < 0)
                return -EIO;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        int max = -1;
        while (db_step_row(d, s, NULL) > 0) {
                int k = atoi((const char *)sqlite3_column_text(s, 0) + 3);
                if (k > max)
                        max = k;
        }
        return max + 1;
}

int net_connect(db *d, const char *netns_path, const char *id, const char *name, const net_request *req,
                berth_error **err)
{
        int first = count_endpoints(d, id);
        _cleanup_net_network_ net_network *n = NULL;
        int r;

        if (first < 0)
                return berth_error_say(err, EIO, "read endpoints of %s", name);
        r = net_get(d, req->network, &n, err);
        if (r < 0)
                return r;
        r = attach(d, netns_path, id, name, req, 1, NULL, 0, (size_t)first, err);
        if (r < 0)
                endpoint_remove(d, id, n->id);
        return r;
}

int net_disconnect(db *d, const char *id, const char *network, berth_error **err)
{
        _cleanup_net_network_ net_network *n = NULL;
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = net_get(d, network, &n, err);

        if (r >= 0)
                r = db_prepare(d,
                               "SELECT 1 FROM network_endpoints WHERE container_id = ?1 AND network_id = ?2",
                               &s, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, n->id, -1, SQLITE_TRANSIENT);
        r = db_step_row(d, s, err);
        if (r == 0)
                return berth_error_say(err, ENOENT, "container is not connected to network %s", n->name);
        if (r < 0)
                return r;
        endpoint_remove(d, id, n->id);
        return 0;
}

json_t *net_network_json(db *d, const net_network *n)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        json_t *ctrs = json_object();
        char created[64];
        time_t t = (time_t)(n->created / 1000000000);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (db_prepare(d,
                       "SELECT container_id, container_name, mac, ip FROM network_endpoints WHERE "
                       "network_id = ?1",
                       &s, NULL) >= 0) {
                sqlite3_bind_text(s, 1, n->id, -1, SQLITE_TRANSIENT);
                const char *slash = strchr(n->subnet, '/');
                while (db_step_row(d, s, NULL) > 0) {
                        _cleanup_free_ char *ip =
                                xasprintf("%s%s", sqlite3_column_text(s, 3), slash ? slash : "");
                        json_object_set_new(ctrs, (const char *)sqlite3_column_text(s, 0),
                                            json_pack("{s:s, s:s, s:s}", "Name", sqlite3_column_text(s, 1),
                                                      "MacAddress", sqlite3_column_text(s, 2), "IPv4Address",
                                                      ip));
                }
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:[{s:s, s:s}]}, s:b, s:o, s:{s:s}, s:O}",
                         "Name", n->name, "Id", n->id, "Created", created, "Scope", "local", "Driver",
                         "bridge", "EnableIPv6", 0, "IPAM", "Driver", "default", "Config", "Subnet",
                         n->subnet, "Gateway", n->gateway, "Internal", n->internal, "Containers", ctrs,
                         "Options", "com.docker.network.bridge.name", n->bridge, "Labels", n->labels);
}
