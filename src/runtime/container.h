/*
 * berth's OCI runtime, as a library: the lifecycle verbs of runc and crun on a state directory
 * (default /run/berth-runtime/<id>). The CLI and the engine both call these.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "basic/error.h"

typedef struct runtime_create_opts {
        const char *bundle;         /* directory holding config.json; NULL: the current one */
        const char *config_path;    /* NULL: <bundle>/config.json */
        const char *pid_file;       /* NULL: none */
        const char *console_socket; /* unix socket that receives the pty master */
        bool no_pivot;
        bool no_new_keyring;
        unsigned preserve_fds; /* fds 3 .. 3+N-1 are passed to the container */
} runtime_create_opts;

enum runtime_status {
        RUNTIME_CREATING,
        RUNTIME_CREATED,
        RUNTIME_RUNNING,
        RUNTIME_PAUSED,
        RUNTIME_STOPPED,
};

typedef struct runtime_info {
        char *id;
        pid_t pid; /* 0 when stopped */
        enum runtime_status status;
        char *bundle;
        char *created; /* RFC 3339 */
        char *owner;
} runtime_info;

const char *runtime_status_name(enum runtime_status s);

/* A container id: non-empty, [A-Za-z0-9_+.-], not "." or "..", at most 1024 bytes. */
int runtime_check_id(const char *id, berth_error **err);

/* Create: the init process waits, blocked, until runtime_start. */
int runtime_create(const char *root, const char *id, const runtime_create_opts *opts, berth_error **err);

int runtime_start(const char *root, const char *id, berth_error **err);

/*
 * create + start; detach returns at once, otherwise waits, forwarding signals, deletes the
 * container and stores its exit status (128+N for signal N) in *ret_status.
 */
int runtime_run(const char *root, const char *id, const runtime_create_opts *opts, bool detach,
                int *ret_status, berth_error **err);

/* The OCI state JSON. */
int runtime_state(const char *root, const char *id, json_t **ret, berth_error **err);

int runtime_kill(const char *root, const char *id, int sig, bool all, berth_error **err);

int runtime_delete(const char *root, const char *id, bool force, berth_error **err);

int runtime_list(const char *root, runtime_info **ret, size_t *ret_n, berth_error **err);
void runtime_info_free_array(runtime_info *a, size_t n);
/* `list`'s table as runc prints it (Go's tabwriter: each column at least 12 wide, as wide as
 * its longest cell plus 3); the caller prints and frees it. */
char *runtime_info_table(const runtime_info *a, size_t n);

/* Signal number from "TERM", "SIGTERM", "15"; -1 when unknown. */
int runtime_signal_from_name(const char *name);

typedef struct runtime_exec_opts {
        const char *process_path; /* --process: a process.json; otherwise args and the flags */
        char **args;
        bool tty;
        const char *console_socket;
        bool detach;
        const char *pid_file;
        const char *cwd;
        char **env;       /* KEY=VALUE, added to or replacing the container's */
        const char *user; /* "UID[:GID]" */
        char **caps;      /* added capabilities */
        bool no_new_privs;
        unsigned preserve_fds;
} runtime_exec_opts;

/* Run a new process in a running container: its namespaces, cgroup, capabilities and seccomp.
 * Without detach waits and stores its exit status; -126/-127 when the command cannot run. */
int runtime_exec(const char *root, const char *id, const runtime_exec_opts *o, int *ret_status,
                 berth_error **err);

int runtime_pause(const char *root, const char *id, berth_error **err);
int runtime_resume(const char *root, const char *id, berth_error **err);

/* Host pids of every process of the container. */
int runtime_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, berth_error **err);

/* Apply new linux.resources (a JSON object as config.json's) to a running container. */
int runtime_update(const char *root, const char *id, json_t *resources, berth_error **err);

/* The runtime-spec features document. */
json_t *runtime_features(void);
