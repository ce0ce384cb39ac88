/* Bringing a container's init to life: clone3 into its namespaces and cgroup, then the child's
 * steps up to the point where it waits for `start`. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include "basic/error.h"
#include "oci/spec.h"
#include "cgroup.h"
#include "container.h"

typedef struct linux_init_args {
        const oci_spec *spec;
        const char *id;
        const char *rootfs; /* absolute host path */
        const runtime_create_opts *opts;
        cgroup *cg;
        int fifo_fd;                  /* exec.fifo opened O_RDWR: the child reads one byte from it */
        int start_fd;                 /* start.fifo opened O_RDWR, or -1: a failed startContainer
                                         hook's error goes there for `start` to report */
        int console_fd;               /* connected console socket, or -1 */
        struct seccomp_plan *seccomp; /* prepared filter, or NULL */
        struct caps_plan *caps;       /* prepared capability sets, or NULL */
        json_t *state;                /* OCI state ("creating") for hooks; its pid is set here */
} linux_init_args;

/* Check what only the Linux side knows: namespace combinations, sysctl names, hostname. */
int linux_validate(const oci_spec *spec, berth_error **err);

/* Spawn the init; returns once it is set up and blocked on the fifo (or failed, reported as one
 * error from the child, after which nothing of it is left running). */
int linux_spawn_init(const linux_init_args *a, pid_t *ret_pid, berth_error **err);

/* CLONE_NEW* flag and /proc/PID/ns/ name of a namespace type. */
int linux_ns_flag(enum oci_ns_type t);
const char *linux_ns_proc_name(enum oci_ns_type t);

/* Every signal back to its default action: a container's process starts as after a fresh
 * exec from init, not with what its engine ignored (SIGINT, SIGQUIT, SIGPIPE of a CLI or monitor
 * would survive the exec and make ctrl-c do nothing). */
void linux_signals_default(void);
