/*
 * The few nf_tables requests berth makes at run time, over a plain netlink socket (no libmnl,
 * no libnftables): is a table there, add or delete a map element, delete a table. The
 * statically linked monitor removes a container's published ports with these.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* 1 when table name of family ip exists, 0 when not, negative errno. */
int nfnl_table_exists(const char *name);
/* Add (data set) or delete (data NULL) the element key of map table/map (family ip). key and
 * data are a concatenation's registers, each part padded to 4 bytes. Negative errno (-ENOENT,
 * -EEXIST) from the kernel. */
int nfnl_map_element(const char *table, const char *map, const void *key, size_t klen, const void *data,
                     size_t dlen);
int nfnl_table_delete(const char *name);
