/*
 * nftables through libnftables, loaded with dlopen on first use: programs that never publish a
 * port or make a bridge (the monitor of a --network none container) do not pay for the
 * library's startup. Commands are nft(8) syntax; one call is one atomic kernel transaction.
 */
#pragma once

#include "basic/error.h"

/* Run cmds; the library's error text in err on failure. */
int nft_run(const char *cmds, berth_error **err);
