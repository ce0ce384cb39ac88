/*
 * cgroups for a container: one interface, a driver per hierarchy (v1 with hybrid hosts, v2).
 * The driver is chosen from what the host mounts; callers never test the version themselves.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "basic/error.h"
#include "oci/spec.h"

typedef struct cgroup cgroup;

typedef struct cgroup_stats {
        uint64_t cpu_usage_ns; /* total CPU time */
        uint64_t cpu_user_ns, cpu_system_ns;
        uint64_t memory_usage; /* bytes, without page cache where the kernel tells */
        uint64_t memory_limit; /* UINT64_MAX: none */
        uint64_t memory_cache;
        uint64_t pids_current, pids_limit; /* pids_limit UINT64_MAX: none */
        uint64_t io_read_bytes, io_write_bytes;
        uint64_t oom_kills; /* OOM kills inside the cgroup so far */
} cgroup_stats;

/*
 * Resolve where the container's cgroup lives: cgroups_path from config.json (absolute, or
 * relative to berth's own "/berth" parent), or "/berth/<id>" when NULL. Creates nothing.
 */
int cgroup_open(const char *cgroups_path, const char *id, cgroup **ret, berth_error **err);

/* The resolved absolute cgroup path, e.g. "/berth/abc" (stored in the container's state). */
const char *cgroup_path(const cgroup *cg);

/* "v1" or "v2". */
const char *cgroup_driver_name(const cgroup *cg);

/* Create the cgroup directories (parents too) and enable the controllers it needs. */
int cgroup_create(cgroup *cg, const oci_resources *res, berth_error **err);

/* v2: an O_PATH|O_DIRECTORY fd of the leaf for clone3(CLONE_INTO_CGROUP); -1 on v1. Owned by cg. */
int cgroup_clone_fd(cgroup *cg);

/* Where the device rules go (for the devices driver): an O_PATH fd of the leaf in the devices
 * hierarchy on v1, of the leaf on v2 (to attach the eBPF program to). Owned by cg. */
int cgroup_devices_fd(cgroup *cg, berth_error **err);

/*
 * The device rules (cgroup-devices.c), at create only: deny everything, then
 * linux.resources.devices in order, then the devices every container gets (null, zero, full,
 * random, urandom, tty, pts, ptmx, mknod of any) and linux.devices; the last matching rule
 * decides. v1: devices.deny and devices.allow; v2: an eBPF program attached to the cgroup.
 */
int cgroup_apply_devices(cgroup *cg, const oci_linux *lx, berth_error **err);

/* Move pid into the cgroup (every hierarchy on v1). */
int cgroup_enter(cgroup *cg, pid_t pid, berth_error **err);

/* Write the limits; also what `update` calls with a partial resources object. */
int cgroup_apply(cgroup *cg, const oci_resources *res, berth_error **err);

int cgroup_freeze(cgroup *cg, bool frozen, berth_error **err);
int cgroup_is_frozen(cgroup *cg, bool *ret, berth_error **err);

/* Every pid in the cgroup (and its descendants). */
int cgroup_pids(cgroup *cg, pid_t **ret, size_t *ret_n, berth_error **err);

/* Signal every process in the cgroup (kill --all; cgroup.kill on v2 for SIGKILL). */
int cgroup_kill_all(cgroup *cg, int sig, berth_error **err);

int cgroup_stats_read(cgroup *cg, cgroup_stats *ret, berth_error **err);

/*
 * The parents of the leaf that cgroup_create made (absolute directories, e.g.
 * "/sys/fs/cgroup/memory/a" for "/a/b"), top first: kept in the container's state so that
 * delete removes them again. NULL when it made none.
 */
char *const *cgroup_created_parents(const cgroup *cg);
/* Restore that list from the state; an entry that is not a parent of this leaf is ignored. */
void cgroup_set_created_parents(cgroup *cg, char *const *dirs);

/* Remove the directories (the processes must be gone; retries briefly while they exit), then
 * the parents it created that are empty now (a parent another container uses stays). */
int cgroup_destroy(cgroup *cg, berth_error **err);

void cgroup_free(cgroup *cg);
static inline void cgroup_freep(cgroup **cg)
{
        cgroup_free(*cg);
}
#define _cleanup_cgroup_ _cleanup_(cgroup_freep)
