/* libnftables by dlopen: the few entry points berth uses. */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/macros.h"
#include "nft.h"

struct nft_ctx;
#define NFT_CTX_DEFAULT 0

static struct {
        bool tried;
        void *lib;
        struct nft_ctx *(*ctx_new)(unsigned flags);
        void (*ctx_free)(struct nft_ctx *);
        int (*buffer_output)(struct nft_ctx *);
        int (*buffer_error)(struct nft_ctx *);
        const char *(*get_error)(struct nft_ctx *);
        int (*run)(struct nft_ctx *, const char *);
} nft;

static int load(berth_error **err)
{
        if (!nft.tried) {
                nft.tried = true;
                nft.lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
                if (nft.lib) {
                        nft.ctx_new = dlsym(nft.lib, "nft_ctx_new");
                        nft.ctx_free = dlsym(nft.lib, "nft_ctx_free");
                        nft.buffer_output = dlsym(nft.lib, "nft_ctx_buffer_output");
                        nft.buffer_error = dlsym(nft.lib, "nft_ctx_buffer_error");
                        nft.get_error = dlsym(nft.lib, "nft_ctx_get_error_buffer");
                        nft.run = dlsym(nft.lib, "nft_run_cmd_from_buffer");
                }
        }
        if (!nft.lib || !nft.ctx_new || !nft.ctx_free || !nft.buffer_output || !nft.buffer_error ||
            !nft.get_error || !nft.run)
                return berth_error_say(err, ENOSYS, "libnftables.so.1 cannot be loaded: %s",
                                       nft.lib ? "symbols missing" : dlerror());
        return 0;
}

int nft_run(const char *cmds, berth_error **err)
{
        struct nft_ctx *ctx;
        int r = load(err);

        if (r < 0)
                return r;
        ctx = nft.ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return berth_error_say(err, ENOMEM, "nftables context");
        nft.buffer_output(ctx);
        nft.buffer_error(ctx);
        if (nft.run(ctx, cmds) != 0) {
                /* the first line of the library's message is the reason; the rest repeats the input */
                const char *msg = nft.get_error(ctx);
                size_t len = msg ? strcspn(msg, "\n") : 0;
                int e = !msg                          ? EINVAL
                        : strstr(msg, "File exists")  ? EEXIST
                        : strstr(msg, "No such file") ? ENOENT
                                                      : EINVAL;
                r = berth_error_say(err, e, "nftables: %.*s", (int)len, msg ? msg : "failed");
        }
        nft.ctx_free(ctx);
        return r;
}
