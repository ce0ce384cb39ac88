/*
 * The engine: containers with names, logs and a lifecycle, composed of the image store, storage
 * and the runtime library. Metadata lives in ROOT/berth.db (table containers); a container's
 * files in ROOT/containers/<id>/ (storage driver state with merged/, config.json, hostname,
 * hosts, resolv.conf, the json-file log); runtime state in RUNROOT/runtime/<id>/.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "basic/db.h"
#include "basic/error.h"
#include "image/store.h"
#include "network/network.h"
#include "storage/layers.h"
#include "storage/storage.h"

typedef struct engine {
        char *root, *runroot;
        char *runtime_root; /* RUNROOT/runtime */
        char *monitor_path; /* the berth-monitor binary */
        db *db;
        image_store *images;
        layer_store *layers;
        const storage_driver *driver;
} engine;

/* Everything `run` and `create` take; kept as JSON in the database for inspect and start. */
typedef struct run_opts {
        char *name;
        char **env; /* KEY=VALUE, after the image's */
        char *workdir, *user, *hostname;
        char **entrypoint; /* non-NULL when --entrypoint was given ("" clears it) */
        char **cmd;        /* NULL: the image's */
        bool interactive, tty, detach, rm, read_only, privileged, no_new_privs, init;
        char **volumes; /* -v SRC:DST[:ro] or -v DST */
        char **tmpfs;   /* DST[:opts] */
        char **cap_add, **cap_drop;
        char **labels;  /* KEY=VALUE */
        char **sysctls; /* KEY=VALUE */
        char **ulimits; /* NAME=SOFT[:HARD] */
        char **devices; /* HOST[:CTR[:rwm]] */
        char **group_add;
        char *network;   /* bridge (default), none, host, container:ID or a network's name */
        char **networks; /* more networks joined with `network connect` */
        char **publish;  /* -p [IP:][HOST:]CTR[/proto] */
        bool publish_all;
        char *ip, *mac_address;
        char **add_hosts; /* NAME:IP */
        char **dns, **dns_search, **dns_options;
        char **network_aliases;
        char *restart; /* no (default), on-failure[:N], always, unless-stopped */
        char *pull;    /* missing (default), always, never */
        char *seccomp; /* NULL: the default profile; "unconfined"; or a file */
        char *stop_signal;
        int stop_timeout; /* seconds, -1: default 10 */
        int64_t memory, memory_swap, memory_reservation, pids_limit, shm_size, cpu_quota;
        uint64_t cpu_shares, cpu_period;
        double cpus;
        char *cpuset_cpus, *cpuset_mems;
        bool oom_kill_disable;
        int64_t log_max_size; /* bytes; 0: the default cap */
        int log_max_file;
} run_opts;

void run_opts_clear(run_opts *o);

typedef struct ctr_record {
        char *id, *name, *image, *image_id;
        char *state; /* created, running, paused, exited */
        pid_t pid, monitor_pid;
        int exit_code;
        bool oom_killed;
        int64_t created;                 /* Unix ns */
        int64_t started_at, finished_at; /* Unix ns, 0: never */
        json_t *opts;                    /* run_opts as JSON */
        json_t *image_config;            /* the image's config section at create time */
        int restart_count;
} ctr_record;

void ctr_record_free(ctr_record *c);
static inline void ctr_record_freep(ctr_record **c)
{
        ctr_record_free(*c);
}
#define _cleanup_ctr_record_ _cleanup_(ctr_record_freep)
void ctr_record_list_free(ctr_record **l);

/* Open the engine over opened stores (the caller keeps them). */
int engine_open(const char *root, const char *runroot, image_store *images, layer_store *layers,
                const storage_driver *driver, engine **ret, berth_error **err);
void engine_free(engine *e);

/* A container by full id, unique id prefix or name. */
int engine_lookup(engine *e, const char *what, ctr_record **ret, berth_error **err);
/* Every container, newest first; the state of those whose monitor died is corrected first. */
int engine_list(engine *e, ctr_record ***ret, berth_error **err);
/* Is image id used by a container? (the image store's in_use hook) */
bool engine_image_in_use(void *userdata, const char *image_id);

/* Make a container from IMAGE: the id and name reserved in one transaction, the bundle written.
 * Nothing is left behind on failure. */
int engine_create(engine *e, const char *image, const run_opts *o, char **ret_id, berth_error **err);

/* How the caller follows a started container. */
typedef struct start_io {
        pid_t monitor_pid; /* set: the monitor */
        bool wait_attach;  /* start -a: return once the monitor listens; it starts the container
                              when a peer attaches (engine_attach) */
} start_io;

/* Mount the rootfs and start the monitor, which creates and starts the container. Returns when
 * the process runs (or failed to start: its error). */
int engine_start(engine *e, const char *what, start_io *io, berth_error **err);

/* SIGTERM (or the stop signal), then SIGKILL after timeout seconds (-1: the container's). */
int engine_stop(engine *e, const char *what, int timeout, berth_error **err);
int engine_kill(engine *e, const char *what, int sig, berth_error **err);
/* Block until the container is not running; its exit code. */
int engine_wait(engine *e, const char *what, int *ret_code, berth_error **err);
/* Remove (force: stop it first); volumes: remove its anonymous volumes. */
int engine_remove(engine *e, const char *what, bool force, bool volumes, berth_error **err);
int engine_pause(engine *e, const char *what, bool pause, berth_error **err);

/* Docker's inspect object. */
int engine_inspect(engine *e, const char *what, json_t **ret, berth_error **err);

/* Write the logs to out/err fds: tail lines (-1 all), follow, timestamps, since/until in ns (0: none). */
typedef struct logs_opts {
        long tail;
        bool follow, timestamps;
        int64_t since, until;
} logs_opts;
int engine_logs(engine *e, const char *what, const logs_opts *o, berth_error **err);

/* Run a process inside a running container; its exit status in *ret_status. */
int engine_exec(engine *e, const char *what, char **args, const run_opts *o, int *ret_status,
                berth_error **err);

/* The monitor's main: create and start container id, relay, log, reap, record. status_fd: where
 * the monitor reports "started PID\n" or "error TEXT\n", then "exit N\n"; wait_attach: "ready\n"
 * once the container is created, then its start waits (10 s at most) for a peer to attach on the
 * socket RUNROOT/monitor/<id>. */
int engine_monitor_main(const char *root, const char *runroot, const char *id, int status_fd,
                        bool wait_attach);

/* One request on the monitor's socket ("state", "signal N", "resize ROWS COLS"); the answer
 * after "ok" in *ret_reply (when not NULL). An error: the container is not running. */
int engine_monitor_request(engine *e, const char *what, const char *req, char **ret_reply,
                           berth_error **err);

/* Attach to a running container (or one that start -a left waiting for us) through its monitor. */
typedef struct attach_opts {
        int in_fd, out_fd, err_fd;
        int tty_fd;              /* >= 0: its window size goes to the container's pty, now and on SIGWINCH */
        bool stdin_;             /* in_fd to the container's stdin; its EOF closes that stdin */
        bool sig_proxy;          /* SIGINT, SIGTERM, SIGHUP, SIGQUIT passed on to the container */
        const char *detach_keys; /* the bytes that detach (ctrl-p ctrl-q: "\x10\x11") */
        size_t n_detach_keys;
        /* set: a signal handler of the caller's sets it; the wait ends (-EINTR) when it is non-zero */
        const volatile sig_atomic_t *interrupted;
} attach_opts;
/* *ret_status: the container's exit status, -1 when detached. */
int engine_attach(engine *e, const char *what, const attach_opts *o, int *ret_status, berth_error **err);

/* stats: one sample of the container's cgroup (running false: no numbers). */
#include "runtime/cgroup.h"
typedef struct engine_stats_sample {
        char id[65], name[129];
        bool running;
        uint64_t taken_ns; /* CLOCK_MONOTONIC */
        cgroup_stats s;
} engine_stats_sample;
int engine_stats(engine *e, const char *what, engine_stats_sample *ret, berth_error **err);
/* Host pids of the container's processes. */
int engine_top(engine *e, const char *what, pid_t **ret, size_t *ret_n, berth_error **err);
/* Change limits of a container (running or not): the non-zero fields of u replace the container's
 * (memory, memory_swap, memory_reservation, pids_limit, cpus, cpu_shares, cpu_quota, cpu_period,
 * cpuset_cpus, cpuset_mems, restart). */
int engine_update(engine *e, const char *what, const run_opts *u, berth_error **err);
/* Copy src to dst (to_container: host src to the container's dst, else the other way). */
int engine_cp(engine *e, const char *what, const char *src, const char *dst, bool to_container,
              berth_error **err);
int engine_rename(engine *e, const char *what, const char *name, berth_error **err);
/* Remove every container that is not running; their ids appended to ret_removed. */
int engine_prune(engine *e, char ***ret_removed, berth_error **err);
bool engine_name_valid(const char *name);

/* Volumes: ROOT/volumes/<name>/_data. rm refuses a volume a container names, unless force. */
int engine_volume_create(engine *e, const char *name, berth_error **err);
int engine_volume_list(engine *e, char ***ret, berth_error **err);
int engine_volume_inspect(engine *e, const char *name, json_t **ret, berth_error **err);
int engine_volume_remove(engine *e, const char *name, bool force, berth_error **err);
int engine_volume_prune(engine *e, char ***ret_removed, berth_error **err);

/* Networks: join or leave one (running containers at once, the others at their next start),
 * remove one no container names, prune the unused, and reset (every bridge and table). */
int engine_connect(engine *e, const char *what, const char *network, const net_request *req,
                   berth_error **err);
int engine_disconnect(engine *e, const char *what, const char *network, berth_error **err);
int engine_network_remove(engine *e, const char *what, berth_error **err);
int engine_network_prune(engine *e, char ***ret_removed, berth_error **err);
void engine_network_reset(engine *e);
/* "0.0.0.0:8080->80/tcp, ..." of a running container (ps). */
char *engine_ports_text(engine *e, const char *id);
/* `info`: counts, drivers, host; Docker's keys (Containers, ContainersRunning, Driver,
 * CgroupVersion, KernelVersion, DockerRootDir, ...). */
int engine_info(engine *e, json_t **ret, berth_error **err);

/* Time helpers: now in Unix ns, RFC 3339 with nanoseconds (UTC). */
int64_t engine_now(void);
char *engine_time_format(int64_t ns);
