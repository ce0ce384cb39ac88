/* Making images from containers: diff (what the container changed), export (its merged root as a
 * tar) and commit (its changes as a new image's top layer). */
#pragma once

#include <jansson.h>
#include "engine.h"

typedef struct engine_commit_opts {
        const char *message, *author;
        char *const *changes;   /* Dockerfile-like changes ("CMD [...]", "ENV K=V") */
        bool pause;             /* freeze a running container while its layer is read */
        json_t *config;         /* the new config section as is (build); NULL: the container's + changes */
        const char *created_by; /* NULL: the container's command */
        char *const *names;
} engine_commit_opts;

/* The container's changes as Docker prints them: "A /path", "C /path", "D /path". */
int engine_diff(engine *e, const char *what, char ***ret, berth_error **err);
/* The merged root filesystem as a tar on fd. */
int engine_export(engine *e, const char *what, int fd, berth_error **err);
/* A new image: the container's image plus its upper dir as one layer. */
int engine_commit(engine *e, const char *what, const engine_commit_opts *o, char **ret_id,
                  berth_error **err);

/* Mount a (not running) container's root filesystem; ret_path: its merged directory (caller
 * frees). engine_umount_rootfs undoes it, keeping the changes. */
int engine_mount_rootfs_of(engine *e, const char *what, char **ret_path, berth_error **err);
int engine_umount_rootfs_of(engine *e, const char *what, berth_error **err);
