/*
 * Networks: bridges on the host, an address per container from the network's subnet (IPAM in
 * the engine's database, tables networks, network_endpoints, network_ports, layer "network"),
 * a veth pair per container and network, NAT and published ports in one nftables table per
 * network (named as its bridge). Every host piece is named from a database row, so a teardown
 * after any crash finds and removes what a half-done setup left.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "basic/db.h"
#include "basic/error.h"

#define NET_DEFAULT "bridge" /* Docker's name of the default network */

typedef struct net_network {
        char *id, *name, *bridge;
        char *subnet; /* a.b.c.d/len */
        char *gateway;
        bool internal;
        json_t *labels;
        int64_t created; /* Unix ns */
} net_network;

void net_network_free(net_network *n);
static inline void net_network_freep(net_network **n)
{
        net_network_free(*n);
}
#define _cleanup_net_network_ _cleanup_(net_network_freep)
void net_network_list_free(net_network **l);

/* Bring the network layer's tables to the current schema. */
int net_db_migrate(db *d, berth_error **err);

typedef struct net_create_opts {
        const char *name;
        const char *subnet, *gateway; /* NULL: picked (a free /16 of 10.90.0.0-10.127.0.0) */
        bool internal;
        char **labels; /* KEY=VALUE */
} net_create_opts;

/* Record a network (its host pieces are made on first use). Overlaps and names in use refused. */
int net_create(db *d, const net_create_opts *o, net_network **ret, berth_error **err);
/* By name, id or unique id prefix; "bridge" is created on first lookup. */
int net_get(db *d, const char *what, net_network **ret, berth_error **err);
int net_list(db *d, net_network ***ret, berth_error **err);
/* Remove the network's rows and host pieces; refused while an endpoint uses it. */
int net_remove(db *d, const char *what, berth_error **err);
/* Delete the bridge and table of n from the host (they come back on next use). */
void net_host_remove(const net_network *n);

/* A published port: host_ip "0.0.0.0" for every address; host_port 0: a free one is picked. */
typedef struct net_port {
        char host_ip[16];
        uint16_t host_port, ctr_port;
        char proto[4]; /* tcp or udp */
} net_port;

/* [IP:][HOST:]CTR[/tcp|udp] */
int net_port_parse(const char *spec, net_port *ret, berth_error **err);

/* One attachment of a container to a network. */
typedef struct net_request {
        const char *network;
        const char *ip;  /* NULL: the next free one */
        const char *mac; /* NULL: derived from the address */
        char **aliases;
} net_request;

/* Wire container id: its namespace at netns_path (made here), an endpoint per request (the
 * first one carries the default route and the published ports). On failure nothing is left. */
int net_setup(db *d, const char *netns_path, const char *id, const char *name, const net_request *reqs,
              size_t n, const net_port *ports, size_t nports, berth_error **err);
/* Attach a wired container to one more network, or detach it from one. */
int net_connect(db *d, const char *netns_path, const char *id, const char *name, const net_request *req,
                berth_error **err);
int net_disconnect(db *d, const char *id, const char *network, berth_error **err);
/* Remove every piece of container id: ports, veths, addresses, the namespace file. Idempotent. */
void net_teardown(db *d, const char *netns_path, const char *id);

/* Docker's NetworkSettings of container id (Networks, Ports, IPAddress, Gateway, MacAddress). */
json_t *net_settings_json(db *d, const char *id);
/* "IP\tNAME ALIAS..." lines of the containers sharing a user-defined network with id (id too). */
char *net_hosts_lines(db *d, const char *id);
/* Ids of the containers on the user-defined networks of id (id excluded). */
char **net_peers(db *d, const char *id);
/* Docker's network inspect object. */
json_t *net_network_json(db *d, const net_network *n);
/* Is a network used by an endpoint? */
bool net_in_use(db *d, const char *network_id);
