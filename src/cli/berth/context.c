/* Opening the stores and wiring the image store to the layer store (the engine will own this
 * composition once it exists). */
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "engine/engine.h"

static bool sink_exists(void *ud, const char *chain_id)
{
        return layer_exists(ud, chain_id);
}

static int sink_begin(void *ud, int *ret_dirfd, void **ret_token, berth_error **err)
{
        layer_tx *tx;
        int r = layer_begin(ud, &tx, err);

        if (r < 0)
                return r;
        *ret_dirfd = layer_tx_dirfd(tx);
        *ret_token = tx;
        return 0;
}

static int sink_commit(void *ud, void *token, const char *chain_id, const char *parent,
                       const unpack_result *res, berth_error **err)
{
        layer_info info = {
                .chain_id = (char *)chain_id,
                .diff_id = (char *)res->diff_id,
                .parent = (char *)parent,
                .size = res->content_bytes,
                .tar_size = res->tar_size,
                .entries = res->entries,
        };
        return layer_commit(ud, token, &info, err);
}

static void sink_abort(void *ud, void *token)
{
        layer_abort(ud, token);
}

static int sink_sizes(void *ud, const char *chain_id, uint64_t *ret_size, uint64_t *ret_tar_size,
                      berth_error **err)
{
        layer_info info;
        int r = layer_get_info(ud, chain_id, &info, err);

        if (r < 0)
                return r;
        *ret_size = info.size;
        *ret_tar_size = info.tar_size;
        layer_info_clear(&info);
        return 0;
}

static int sink_list(void *ud, char ***ret, berth_error **err)
{
        return layer_list(ud, ret, err);
}

static int sink_remove(void *ud, const char *chain_id, berth_error **err)
{
        return layer_remove(ud, chain_id, err);
}

int berth_open_stores(berth_ctx *ctx, berth_error **err)
{
        layer_sink sink = {
                .exists = sink_exists,
                .begin = sink_begin,
                .commit = sink_commit,
                .abort = sink_abort,
                .sizes = sink_sizes,
                .list = sink_list,
                .remove = sink_remove,
        };
        int r;

        if (ctx->images)
                return 0;
        r = storage_driver_find(ctx->storage_driver, ctx->root, &ctx->driver, err);
        if (r < 0)
                return r;
        r = layer_store_open(ctx->root, &ctx->layers, err);
        if (r < 0)
                return r;
        sink.userdata = ctx->layers;
        return image_store_open(ctx->root, &sink, &ctx->images, err);
}

int berth_open_engine(berth_ctx *ctx, berth_error **err)
{
        int r;

        if (ctx->engine)
                return 0;
        r = berth_open_stores(ctx, err);
        if (r < 0)
                return r;
        return engine_open(ctx->root, ctx->runroot, ctx->images, ctx->layers, ctx->driver, &ctx->engine,
                           err);
}

void berth_close(berth_ctx *ctx)
{
        engine_free(ctx->engine);
        ctx->engine = NULL;
        image_store_free(ctx->images);
        layer_store_free(ctx->layers);
        ctx->images = NULL;
        ctx->layers = NULL;
}

int berth_report(const berth_error *err)
{
        _cleanup_free_ char *t = berth_error_text(err);
        fprintf(stderr, "berth: %s\n", t);
        return EXIT_BERTH;
}
