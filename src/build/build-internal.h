/* Shared by the builder's files. */
#pragma once

#include <jansson.h>
#include "builder.h"
#include "dockerfile.h"
#include "ignore.h"

typedef struct stage {
        char *name; /* AS name, NULL when none */
        char *image_id;
        json_t *config; /* the image's "config" object as the steps change it */
        char **args;    /* ARG values in scope, KEY=VALUE */
        char **shell;
        bool cmd_set; /* CMD given in this stage (ENTRYPOINT keeps it) */
        bool needed;  /* the target is this stage or depends on it: built, else skipped */
} stage;

typedef struct builder {
        engine *e;
        const build_opts *o;
        dockerfile *df;
        int ctxfd; /* the context, O_PATH */
        char **ignore;
        char **global_args;
        char **consumed; /* --build-arg names some ARG declared */
        char *network;   /* of RUN containers, checked before the first step */
        stage *stages;
        size_t n_stages;
        size_t step, steps;
} builder;

/* SIGINT, SIGTERM or SIGHUP during the build (0: none): the build stops after cleaning up. */
#include <signal.h>
extern volatile sig_atomic_t build_interrupted;

/* Create (or update) the build cache's tables in the engine's database. */
int build_cache_migrate(db *d, berth_error **err);

/* The variables a step's arguments see: ARG values, then ENV (which wins). */
char **build_stage_env(const stage *st);

/* A name of a stage of this Dockerfile (or its number): the index; -2 when it names the current
 * stage or one not built yet (a cycle); -1 when it is no stage. */
int build_stage_ref(builder *b, const char *name, size_t current);

/* An image by name for FROM or COPY --from: "scratch" (an image without layers), one in the
 * store, or pulled (always with --pull). ret: its id. */
int build_resolve_image(builder *b, const char *name, char **ret, berth_error **err);

/* An ONBUILD trigger: one instruction, not ONBUILD, FROM or MAINTAINER (Docker's rules). ret (may
 * be NULL): it parsed. */
int build_onbuild_parse(const char *trigger, dockerfile **ret, berth_error **err);
static inline int build_onbuild_check(const char *trigger, berth_error **err)
{
        return build_onbuild_parse(trigger, NULL, err);
}

/* The config change of an instruction that makes no layer, applied to cfg. */
int build_config_step(builder *b, stage *st, const df_instruction *in, json_t *cfg, berth_error **err);

/* RUN: the command in a container of the stage's image, then its changes committed. */
int build_run_step(builder *b, stage *st, const df_instruction *in, char **ret_id, berth_error **err);

/* COPY and ADD. ret_inputs: the digest of what would be copied (the cache key's input). */
int build_copy_inputs(builder *b, stage *st, const df_instruction *in, char **ret_inputs, berth_error **err);
int build_copy_step(builder *b, stage *st, const df_instruction *in, char **ret_id, berth_error **err);

/* WORKDIR with its directory made when missing; cfg: the config with the new WorkingDir. */
int build_workdir_step(builder *b, stage *st, json_t *cfg, const df_instruction *in, char **ret_id,
                       berth_error **err);

/* A container of image id (not started) on network (NULL: none): its id. Removed with
 * build_container_remove. */
int build_container_create(builder *b, const char *image_id, char **cmd, char **env, const char *network,
                           char **ret_id, berth_error **err);

/* Every instruction's flags are ones Docker knows for it, and berth does (build-flags.c):
 * "Dockerfile:3: COPY: unknown flag: --form". */
int build_check_flags(const dockerfile *df, berth_error **err);
/* The network of a RUN: its --network (default, none, host; BuildKit's set), else the build's
 * (b NULL: the value is only checked). */
int build_run_network(builder *b, const df_instruction *in, const char **ret, berth_error **err);

/* --network: "default" (or none given) is the default bridge, as `docker build`; another value
 * must name something `run --network` accepts. Sets b->network. */
int build_network_check(builder *b, berth_error **err);
void build_container_remove(builder *b, const char *id);
/* Commit container id as a step of stage st. */
int build_commit(builder *b, stage *st, const char *ctr, const char *created_by, char **ret_id,
                 berth_error **err);
