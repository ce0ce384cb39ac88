/* A container's state directory: state.json (written atomically), exec.fifo, a lock. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "basic/error.h"
#include "container.h"

typedef struct container_state {
        char *id;
        char *root; /* the runtime's --root */
        char *dir;  /* <root>/<id> */
        char *bundle;
        char *rootfs;
        char *created; /* RFC 3339 with nanoseconds */
        char *owner;
        char *cgroup_path;     /* resolved, e.g. "/berth/<id>" */
        char **cgroup_created; /* parents of it the runtime made (cgroup_created_parents) */
        pid_t pid;
        unsigned long long start_time; /* of pid, from /proc/PID/stat */
        json_t *config;                /* the config.json it was created from (hooks, annotations) */
} container_state;

/* Create <root>/<id> (and root itself, 0700); EEXIST reads "container <id> already exists". */
int state_dir_create(const char *root, const char *id, char **ret_dir, berth_error **err);

/* Take an exclusive flock on the state dir; returns the fd. */
int state_lock(const char *dir, berth_error **err);

int state_save(const container_state *st, berth_error **err);
/* "container <id> does not exist" when missing. */
int state_load(const char *root, const char *id, container_state **ret, berth_error **err);

/* created, running, paused or stopped from the process, exec.fifo and the freezer. */
enum runtime_status state_status(const container_state *st);

/* The OCI state object: ociVersion, id, status, pid, bundle, annotations (+ rootfs, created, owner). */
json_t *state_to_oci_json(const container_state *st, enum runtime_status status);

char *state_fifo_path(const container_state *st);
/* start.fifo: where the init reports a failed startContainer hook to `start` (only made when
 * the container has such hooks). */
char *state_start_fifo_path(const container_state *st);

/* RFC 3339 UTC now, with nanoseconds. */
char *state_now_rfc3339(void);

void container_state_free(container_state *st);
static inline void container_state_freep(container_state **st)
{
        container_state_free(*st);
}
#define _cleanup_state_ _cleanup_(container_state_freep)
