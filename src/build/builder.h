/* `berth build`: a Dockerfile and a context directory become an image. Each step that changes
 * files runs in (or copies into) a container made through the engine, whose upper dir is
 * committed as a layer; every step is an image, found again in the build cache by its parent,
 * its instruction and its inputs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "basic/error.h"
#include "engine/engine.h"

typedef struct build_opts {
        const char *context;    /* a directory */
        const char *dockerfile; /* NULL: CONTEXT/Dockerfile */
        char *const *tags;
        char *const *build_args; /* KEY=VALUE, or KEY for the caller's environment value */
        char *const *labels;     /* KEY=VALUE for the final image */
        const char *target;      /* the last stage to build, NULL: the last one */
        const char *network; /* of RUN: "default" or NULL (the bridge), host, none, container:X, a name */
        bool no_cache, pull;
        bool quiet; /* a RUN's output is kept aside and shown only when it fails */
        /* One line of progress ("STEP 2/5: RUN ...", "--> Using cache ..."), without "\n"; NULL:
         * none. The caller prints it: the library does not. */
        void (*progress)(void *userdata, const char *line);
        void *progress_userdata;
} build_opts;

/* Build; ret_id: the final image's id. Nothing is tagged unless every step succeeded; no
 * container or mount of the build is left. */
int build_image(engine *e, const build_opts *o, char **ret_id, berth_error **err);

/* `builder prune`: drop every build cache entry and remove the intermediate images that only the
 * cache kept (no name, no container, not a build's result); ret_deleted: their ids,
 * ret_reclaimed: the bytes freed. */
int build_cache_prune(engine *e, char ***ret_deleted, uint64_t *ret_reclaimed, berth_error **err);

/* The images the build cache holds (its intermediate images); none before any build. `images`
 * hides those without a name, as Docker hides intermediate images, unless -a. */
char **build_cache_images(db *d);
