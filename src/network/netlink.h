/*
 * rtnetlink through libmnl: links (bridge, veth), addresses, routes, bridge-port flags. A handle
 * is bound to the network namespace it was opened in, so one process can configure a
 * container's namespace and the host's side by side. No shelling out to ip(8).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "basic/error.h"

typedef struct nl nl;

/* A handle in the caller's network namespace, or in the one netns_fd refers to. */
int nl_open(nl **ret, berth_error **err);
int nl_open_in(int netns_fd, nl **ret, berth_error **err);
void nl_close(nl *h);
static inline void nl_closep(nl **h)
{
        nl_close(*h);
}
#define _cleanup_nl_ _cleanup_(nl_closep)

/* The index of link name, -ENODEV when there is none. */
int nl_link_index(nl *h, const char *name);
int nl_bridge_add(nl *h, const char *name, berth_error **err);
/* A veth pair: host in this namespace, peer moved at once into peer_netns_fd. */
int nl_veth_add(nl *h, const char *host, const char *peer, int peer_netns_fd, berth_error **err);
/* Change link ifindex: rename (name), enslave to master (> 0), set the MAC (mac), bring it up. */
int nl_link_set(nl *h, int ifindex, const char *name, int master, const uint8_t *mac, bool up,
                berth_error **err);
/* Delete link name; a missing link is success. */
int nl_link_del(nl *h, const char *name, berth_error **err);
/* addr and gw are in network byte order. */
int nl_addr_add(nl *h, int ifindex, uint32_t addr, int prefix, berth_error **err);
int nl_route_add_default(nl *h, uint32_t gw, berth_error **err);
/* Let a bridge port send a frame back where it came from (a container reaching its own port). */
int nl_bridge_port_hairpin(nl *h, int ifindex, berth_error **err);
