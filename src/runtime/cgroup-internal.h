/*
 * What cgroup.c shares with its drivers (cgroup-v1.c, cgroup-v2.c): the host's hierarchies as
 * detected once, the cgroup object, the ops table and file helpers whose errors name the cgroup.
 */
#pragma once

#include "runtime/cgroup.h"

enum cgroup_controller {
        CG_CPU,
        CG_CPUACCT,
        CG_CPUSET,
        CG_MEMORY,
        CG_DEVICES,
        CG_FREEZER,
        CG_BLKIO,
        CG_IO, /* v2 name of blkio */
        CG_PIDS,
        CG_HUGETLB,
        CG_NET_CLS,
        CG_NET_PRIO,
        CG_PERF_EVENT,
        CG_RDMA,
        CG_MISC,
        CG_NAME_SYSTEMD, /* v1 "name=systemd": no controller, but runc and crun join it */
        CG__MAX,
};

#define CGROUP_HIERARCHIES_MAX 24

typedef struct cgroup_hierarchy {
        char *mount;          /* "/sys/fs/cgroup/memory" */
        bool unified;         /* a cgroup2 mount: the whole tree on v2, the side mount on hybrid hosts */
        unsigned controllers; /* 1u << enum cgroup_controller; for cgroup2: its cgroup.controllers */
} cgroup_hierarchy;

typedef struct cgroup_host {
        bool v2; /* pure cgroup v2: the v2 driver */
        cgroup_hierarchy h[CGROUP_HIERARCHIES_MAX];
        size_t n;
        int by_controller[CG__MAX]; /* index into h where the controller lives, -1: not on this host */
} cgroup_host;

typedef struct cgroup_ops {
        const char *name;
        int (*create)(cgroup *cg, const oci_resources *res, berth_error **err);
        int (*enter)(cgroup *cg, pid_t pid, berth_error **err);
        int (*apply)(cgroup *cg, const oci_resources *res, berth_error **err);
        int (*freeze)(cgroup *cg, bool frozen, berth_error **err);
        int (*is_frozen)(cgroup *cg, bool *ret, berth_error **err);
        int (*kill_all)(cgroup *cg, int sig, berth_error **err);
        int (*stats_read)(cgroup *cg, cgroup_stats *ret, berth_error **err);
        /* the hierarchy whose cgroup.procs lists the container's processes */
        int (*procs_hierarchy)(cgroup *cg);
} cgroup_ops;

extern const cgroup_ops cgroup_v1_ops, cgroup_v2_ops;

struct cgroup {
        const cgroup_ops *ops;
        const cgroup_host *host;
        char *path;                       /* "/berth/abc" */
        int leaf[CGROUP_HIERARCHIES_MAX]; /* O_PATH fds of the leaf per hierarchy, -EBADF until opened */
        char **created; /* parents of the leaf that cgroup_mkdir made, absolute, top first */
};

static inline int cgroup_hierarchy_of(const cgroup *cg, enum cgroup_controller c)
{
        return cg->host->by_controller[c];
}

/* The leaf's O_PATH directory fd in hierarchy h, opened on first use. */
int cgroup_leaf(cgroup *cg, int h, berth_error **err);

/* mkdir -p of the cgroup below hierarchy h, keeping the leaf's fd. level() (may be NULL) is
 * called with a directory and its parent's fd: for the leaf alone when the parents existed,
 * else (or when that failed) for every level from the top, new or not. */
typedef int (*cgroup_level_fn)(cgroup *cg, int parent_fd, int dir_fd, berth_error **err);
int cgroup_mkdir(cgroup *cg, int h, cgroup_level_fn level, berth_error **err);

/* Write value to a file of the leaf with one write(2): `cgroup /x: write memory.max "1": why`. */
int cgroup_write(cgroup *cg, int h, const char *file, const char *value, berth_error **err);
int cgroup_writef(cgroup *cg, int h, const char *file, berth_error **err, const char *fmt, ...)
        _printf_(5, 6);
bool cgroup_has_file(cgroup *cg, int h, const char *file);

/* Read a file of the leaf; -ENOENT (and no error set) when it does not exist. */
int cgroup_read(cgroup *cg, int h, const char *file, char **ret, berth_error **err);
/* A file holding one number, "max" meaning UINT64_MAX. */
int cgroup_read_u64(cgroup *cg, int h, const char *file, uint64_t *ret, berth_error **err);
/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat, memory.events). */
int cgroup_read_key(cgroup *cg, int h, const char *file, const char *key, uint64_t *ret, berth_error **err);
bool cgroup_parse_key(const char *text, const char *key, uint64_t *ret);

/* Every pid in cgroup.procs of the leaf in h and of the cgroups below it. */
int cgroup_list_pids(cgroup *cg, int h, pid_t **ret, size_t *ret_n, berth_error **err);

/* Send sig to each pid listed; pids that are gone are not an error. */
int cgroup_signal_pids(cgroup *cg, int h, int sig, berth_error **err);

/* rmdir the parents in cg->created that are empty, deepest first (cgroup-parents.c). */
void cgroup_remove_created_parents(cgroup *cg);

/* rmdir the leaf (and cgroups a container made below it) in h, retrying while it is busy. */
int cgroup_rmdir(cgroup *cg, int h, berth_error **err);

/* cgroup2: write "+ctrl ..." to cgroup.subtree_control of the mount's root and every ancestor
 * of the leaf, so the leaf gets those controllers (shared by v2 and the hybrid unified mount). */
int cgroup_unified_enable(cgroup *cg, int h, unsigned controllers, unsigned required, berth_error **err);

/* Freeze, send sig to every process, thaw (unless it was frozen before): no process can fork
 * away from the signal meanwhile. Without a freezer, signal what is listed. */
int cgroup_signal_frozen(cgroup *cg, int h, int sig, berth_error **err);

/* linux.resources.rdma ({"mlx5_0": {"hcaHandles": 3, "hcaObjects": 10000}}) to rdma.max in h. */
int cgroup_apply_rdma(cgroup *cg, int h, json_t *rdma, berth_error **err);

/* A hugepage size as the kernel names it in file names ("2MB", "1GB", "64KB"). */
int cgroup_check_hugepage_size(cgroup *cg, const char *size, berth_error **err);

/*
 * The cgroup2 writers, per controller, for a leaf in cgroup2 hierarchy h: the v2 driver uses
 * them for everything, the v1 driver for a controller a hybrid host offers only on its cgroup2
 * mount (hugetlb here). Each writes only the members that are set.
 */
int cgroup_v2_check(cgroup *cg, int h, const oci_resources *res, berth_error **err);
int cgroup_v2_apply_memory(cgroup *cg, int h, const oci_memory *m, berth_error **err);
int cgroup_v2_apply_cpu(cgroup *cg, int h, const oci_cpu *c, berth_error **err);
int cgroup_v2_apply_cpuset(cgroup *cg, int h, const oci_cpu *c, berth_error **err);
int cgroup_v2_apply_pids(cgroup *cg, int h, const oci_opt_int *limit, berth_error **err);
int cgroup_v2_apply_io(cgroup *cg, int h, const oci_blockio *b, berth_error **err);
int cgroup_v2_apply_hugetlb(cgroup *cg, int h, const oci_hugepage_limit *l, size_t n, berth_error **err);
/* Stats of one controller from a cgroup2 leaf (for a hybrid host's unified mount too). */
int cgroup_v2_stats_controller(cgroup *cg, int h, enum cgroup_controller c, cgroup_stats *s,
                               berth_error **err);

const char *cgroup_controller_name(enum cgroup_controller c);

/* "pids.max" value of an OCI pids limit: 0 and negative mean no limit, as runc. */
char *cgroup_pids_value(int64_t limit);
