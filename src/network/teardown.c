/* A container's end, and what containers see: no rtnetlink and no libnftables here, so the
 * statically linked monitor can unwire a container (its veths go with its namespace). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "basic/jsonh.h"
#include "basic/macros.h"
#include "basic/strv.h"
#include "network-internal.h"
#include "nfnl.h"

static const char *const schema[] = {
        "CREATE TABLE networks ("
        " id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, bridge TEXT NOT NULL UNIQUE,"
        " subnet TEXT NOT NULL UNIQUE, gateway TEXT NOT NULL, internal INTEGER NOT NULL DEFAULT 0,"
        " labels TEXT NOT NULL DEFAULT '{}', created INTEGER NOT NULL);"
        "CREATE TABLE network_endpoints ("
        " container_id TEXT NOT NULL, network_id TEXT NOT NULL REFERENCES networks(id),"
        " container_name TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL, ifname TEXT NOT NULL,"
        " host_ifname TEXT NOT NULL UNIQUE, aliases TEXT NOT NULL DEFAULT '[]',"
        " PRIMARY KEY (container_id, network_id), UNIQUE (network_id, ip));"
        "CREATE TABLE network_ports ("
        " container_id TEXT NOT NULL, network_id TEXT NOT NULL, host_ip TEXT NOT NULL,"
        " host_port INTEGER NOT NULL, proto TEXT NOT NULL, ctr_ip TEXT NOT NULL, ctr_port INTEGER NOT NULL,"
        " PRIMARY KEY (host_ip, host_port, proto));",
};

int net_db_migrate(db *d, berth_error **err)
{
        return db_migrate(d, "network", schema, (int)ELEMENTSOF(schema), err);
}

/* Bind "s" (text), "i" (int64) arguments, step, and finalize. */
int net_exec_bind(db *d, berth_error **err, const char *sql, const char *types, ...)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        va_list ap;
        int r = db_prepare(d, sql, &s, err);

        if (r < 0)
                return r;
        va_start(ap, types);
        for (int i = 0; types[i]; i++) {
                if (types[i] == 's')
                        sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
                else
                        sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
        }
        va_end(ap);
        return db_step_done(d, s, err);
}

bool net_port_element_make(const char *host_ip, int host_port, const char *proto, const char *ctr_ip,
                           int ctr_port, net_port_element *ret)
{
        struct in_addr h, c;
        uint8_t p = streq(proto, "udp") ? 17 : 6; /* IPPROTO_UDP, IPPROTO_TCP */
        uint8_t *k = ret->key;
        bool any = streq(host_ip, "0.0.0.0");

        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, host_ip, &h) != 1 || (ctr_ip && inet_pton(AF_INET, ctr_ip, &c) != 1))
                return false;
        ret->map = any ? "ports_any" : "ports_ip";
        if (!any) {
                memcpy(k, &h.s_addr, 4);
                k += 4;
        }
        k[0] = p;
        k[4] = (uint8_t)(host_port >> 8);
        k[5] = (uint8_t)host_port;
        ret->klen = any ? 8 : 12;
        if (ctr_ip) {
                memcpy(ret->value, &c.s_addr, 4);
                ret->value[4] = (uint8_t)(ctr_port >> 8);
                ret->value[5] = (uint8_t)ctr_port;
        }
        return true;
}

void net_endpoint_rows_remove(db *d, const char *id, const char *network_id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (db_prepare(
                    d,
                    "SELECT n.bridge, p.host_ip, p.host_port, p.proto FROM network_ports p JOIN networks n"
                    " ON n.id = p.network_id WHERE p.container_id = ?1 AND (?2 IS NULL OR p.network_id = "
                    "?2)",
                    &s, NULL) >= 0) {
                sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 2, network_id, -1, SQLITE_TRANSIENT);
                while (db_step_row(d, s, NULL) > 0) {
                        net_port_element el;
                        if (net_port_element_make((const char *)sqlite3_column_text(s, 1),
                                                  sqlite3_column_int(s, 2),
                                                  (const char *)sqlite3_column_text(s, 3), NULL, 0, &el))
                                nfnl_map_element((const char *)sqlite3_column_text(s, 0), el.map, el.key,
                                                 el.klen, NULL, 0);
                }
        }
        if (db_begin(d, NULL) < 0)
                return;
        net_exec_bind(
                d, NULL,
                "DELETE FROM network_ports WHERE container_id = ?1 AND (?2 IS NULL OR network_id = ?2)",
                "ss", id, network_id);
        net_exec_bind(
                d, NULL,
                "DELETE FROM network_endpoints WHERE container_id = ?1 AND (?2 IS NULL OR network_id = ?2)",
                "ss", id, network_id);
        if (db_commit(d, NULL) < 0)
                db_rollback(d);
}

/* The veths live in the namespace and go with it: the kernel destroys a dead namespace's links
 * in a batch, off our path (a veth's own RTM_DELLINK waits ~12 ms for an RCU grace period). A
 * veth is made only after the namespace file, so none is left without it. */
void net_teardown(db *d, const char *netns_path, const char *id)
{
        net_endpoint_rows_remove(d, id, NULL);
        if (netns_path) {
                umount2(netns_path, MNT_DETACH);
                unlink(netns_path);
        }
}

/* ---- what containers see ---- */

json_t *net_settings_json(db *d, const char *id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        json_t *j = json_object(), *nets = json_object(), *ports = json_object();
        bool first = true;

        json_object_set_new(j, "IPAddress", json_string(""));
        json_object_set_new(j, "IPPrefixLen", json_integer(0));
        json_object_set_new(j, "Gateway", json_string(""));
        json_object_set_new(j, "MacAddress", json_string(""));
        if (db_prepare(d,
                       "SELECT n.name, n.id, e.ip, n.subnet, n.gateway, e.mac, e.aliases, e.ifname"
                       " FROM network_endpoints e JOIN networks n ON n.id = e.network_id"
                       " WHERE e.container_id = ?1 ORDER BY e.ifname",
                       &s, NULL) >= 0) {
                sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
                while (db_step_row(d, s, NULL) > 0) {
                        const char *subnet = (const char *)sqlite3_column_text(s, 3);
                        const char *slash = strchr(subnet, '/');
                        int prefix = slash ? atoi(slash + 1) : 0;
                        json_t *aliases = json_loads((const char *)sqlite3_column_text(s, 6), 0, NULL);
                        json_t *e = json_pack(
                                "{s:s, s:s, s:s, s:i, s:s, s:s, s:o}", "NetworkID",
                                sqlite3_column_text(s, 1), "EndpointID", sqlite3_column_text(s, 7),
                                "IPAddress", sqlite3_column_text(s, 2), "IPPrefixLen", prefix, "Gateway",
                                sqlite3_column_text(s, 4), "MacAddress", sqlite3_column_text(s, 5),
                                "Aliases", aliases ? aliases : json_array());
                        if (first) {
                                json_object_set(j, "IPAddress", json_object_get(e, "IPAddress"));
                                json_object_set(j, "IPPrefixLen", json_object_get(e, "IPPrefixLen"));
                                json_object_set(j, "Gateway", json_object_get(e, "Gateway"));
                                json_object_set(j, "MacAddress", json_object_get(e, "MacAddress"));
                                first = false;
                        }
                        json_object_set_new(nets, (const char *)sqlite3_column_text(s, 0), e);
                }
                sqlite3_finalize(TAKE_PTR(s));
        }
        if (db_prepare(
                    d,
                    "SELECT host_ip, host_port, proto, ctr_port FROM network_ports WHERE container_id = ?1",
                    &s, NULL) >= 0) {
                sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
                while (db_step_row(d, s, NULL) > 0) {
                        _cleanup_free_ char *key =
                                xasprintf("%d/%s", sqlite3_column_int(s, 3), sqlite3_column_text(s, 2));
                        _cleanup_free_ char *port = xasprintf("%d", sqlite3_column_int(s, 1));
                        json_t *l = json_object_get(ports, key);
                        if (!l) {
                                l = json_array();
                                json_object_set_new(ports, key, l);
                        }
                        json_array_append_new(l, json_pack("{s:s, s:s}", "HostIp", sqlite3_column_text(s, 0),
                                                           "HostPort", port));
                }
        }
        json_object_set_new(j, "Networks", nets);
        json_object_set_new(j, "Ports", ports);
        return j;
}

#define PEERS_SQL                                                                                           \
        " FROM network_endpoints e JOIN networks n ON n.id = e.network_id"                                  \
        " WHERE n.name != '" NET_DEFAULT "' AND e.container_id != ?1 AND e.network_id IN"                   \
        " (SELECT network_id FROM network_endpoints WHERE container_id = ?1)"

char *net_hosts_lines(db *d, const char *id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return xstrdup("");
        if (db_prepare(d, "SELECT e.ip, e.container_name, e.aliases" PEERS_SQL " ORDER BY e.ip", &s, NULL) >=
            0) {
                sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
                while (db_step_row(d, s, NULL) > 0) {
                        _cleanup_json_ json_t *a =
                                json_loads((const char *)sqlite3_column_text(s, 2), 0, NULL);
                        size_t i;
                        json_t *v;
                        fprintf(f, "%s\t%s", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1));
                        json_array_foreach (a, i, v)
                                fprintf(f, " %s", json_string_value(v));
                        fputc('\n', f);
                }
        }
        fclose(f);
        return out;
}

char **net_peers(db *d, const char *id)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        char **l = NULL;

        if (db_prepare(d, "SELECT DISTINCT e.container_id" PEERS_SQL, &s, NULL) >= 0) {
                sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
                while (db_step_row(d, s, NULL) > 0)
                        strv_push(&l, (const char *)sqlite3_column_text(s, 0));
        }
        return l;
}
