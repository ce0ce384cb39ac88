/* Shared by network.c (setup) and teardown.c (what the statically linked monitor needs). */
#pragma once

#include <stdint.h>
#include "network.h"

/* Bind "s" (text) and "i" (int64) arguments in order, step, finalize. */
int net_exec_bind(db *d, berth_error **err, const char *sql, const char *types, ...);

/* The nftables element of a published port: map (ports_any or ports_ip), key and value
 * registers (each part padded to 4 bytes). false when the row's text is not an address. */
typedef struct net_port_element {
        const char *map;
        uint8_t key[12], value[8];
        size_t klen;
} net_port_element;
bool net_port_element_make(const char *host_ip, int host_port, const char *proto, const char *ctr_ip,
                           int ctr_port, net_port_element *ret);

/* Delete the published ports and rows of container id on network_id (NULL: every network). */
void net_endpoint_rows_remove(db *d, const char *id, const char *network_id);
