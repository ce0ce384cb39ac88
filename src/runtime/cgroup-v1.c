/*
 * The cgroup v1 driver, hybrid hosts included: each controller is written where the host mounts
 * it, a v1 hierarchy or, for what only the cgroup2 mount offers (hugetlb here), that mount.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "runtime/cgroup-internal.h"

#define V1_UNLIMITED (UINT64_C(1) << 62) /* v1 reports "no limit" as about 2^63 */

/* The hierarchy that carries controller c, else an error naming what needed it. */
static int need(cgroup *cg, enum cgroup_controller c, const char *what, berth_error **err)
{
        int h = cgroup_hierarchy_of(cg, c);

        if (h < 0 && c == CG_BLKIO)
                h = cgroup_hierarchy_of(cg, CG_IO);
        if (h < 0)
                return berth_error_set(err, ENOENT,
                                       "cgroup %s: %s needs the %s controller, which this host lacks",
                                       cg->path, what, cgroup_controller_name(c));
        return h;
}

static bool unified(cgroup *cg, int h)
{
        return cg->host->h[h].unified;
}

/* A controller on the hybrid cgroup2 mount: enable it down to the leaf, then v2 files. */
static int unified_prepare(cgroup *cg, int h, enum cgroup_controller c, berth_error **err)
{
        return cgroup_unified_enable(cg, h, 1u << c, 1u << c, err);
}

static ssize_t read_small(int dirfd, const char *file, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);

        return fd < 0 ? -1 : read(fd, buf, size);
}

/* A new cpuset cgroup has no cpus and mems, and no task can join it until it gets some. Runs on
 * every level a walk passes, so a parent that a concurrent create made but has not filled yet
 * is filled by us as well. -ENOSPC: the parent has none to give. */
static int cpuset_copy_down(cgroup *cg, int parent_fd, int dir_fd, berth_error **err)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        char buf[4096];

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                if (read_small(dir_fd, files[i], buf, sizeof(buf)) > 1)
                        continue; /* has its own already */
                ssize_t n = read_small(parent_fd, files[i], buf, sizeof(buf));
                if (n <= 1)
                        return berth_error_set(err, n < 0 ? errno : ENOSPC,
                                               "cgroup %s: the parent cgroup has no %s to copy", cg->path,
                                               files[i]);
                _cleanup_close_ int out = openat(dir_fd, files[i], O_WRONLY | O_CLOEXEC);
                if (out < 0 || write(out, buf, (size_t)n) != n)
                        return berth_error_set(err, errno, "cgroup %s: write %s \"%.*s\"", cg->path,
                                               files[i], (int)n - 1, buf);
        }
        return 0;
}

static int v1_create(cgroup *cg, const oci_resources *res, berth_error **err)
{
        int r;

        for (size_t h = 0; h < cg->host->n; h++) {
                bool cpuset = cg->host->h[h].controllers & (1u << CG_CPUSET) && !cg->host->h[h].unified;
                r = cgroup_mkdir(cg, (int)h, cpuset ? cpuset_copy_down : NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_enter(cgroup *cg, pid_t pid, berth_error **err)
{
        int r;

        for (size_t h = 0; h < cg->host->n; h++) {
                r = cgroup_writef(cg, (int)h, "cgroup.procs", err, "%d", (int)pid);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool swap_given(const oci_memory *m)
{
        return m->swap.set && m->swap.value != 0;
}

static int check_memory(cgroup *cg, const oci_memory *m, berth_error **err)
{
        int h = need(cg, CG_MEMORY, "linux.resources.memory", err);

        if (h < 0 || unified(cg, h))
                return h < 0 ? h : 0;
        if (swap_given(m) && m->swap.value != -1 && !cgroup_has_file(cg, h, "memory.memsw.limit_in_bytes"))
                return berth_error_set(
                        err, ENOTSUP,
                        "cgroup %s: linux.resources.memory.swap: this host has no swap accounting "
                        "(no memory.memsw.limit_in_bytes)",
                        cg->path);
        if (swap_given(m) && m->swap.value > 0 && m->limit.set && m->limit.value > 0 &&
            m->swap.value < m->limit.value)
                return berth_error_set(
                        err, EINVAL,
                        "cgroup %s: linux.resources.memory.swap %lld (memory+swap) is below the "
                        "memory limit %lld",
                        cg->path, (long long)m->swap.value, (long long)m->limit.value);
        if (m->swappiness.set && m->swappiness.value > 100)
                return berth_error_set(err, EINVAL,
                                       "cgroup %s: linux.resources.memory.swappiness %llu is not in 0-100",
                                       cg->path, (unsigned long long)m->swappiness.value);
        return 0;
}

static bool cpu_sched_given(const oci_cpu *c)
{
        return c->shares.set || c->quota.set || c->period.set || c->burst.set || c->realtime_period.set ||
               c->realtime_runtime.set || c->idle.set;
}

static int check_blkio(cgroup *cg, const oci_blockio *b, berth_error **err)
{
        int h = need(cg, CG_BLKIO, "linux.resources.blockIO", err);

        if (h < 0 || unified(cg, h))
                return h < 0 ? h : 0;
        if ((b->weight.set && b->weight.value) && !cgroup_has_file(cg, h, "blkio.weight") &&
            !cgroup_has_file(cg, h, "blkio.bfq.weight"))
                return berth_error_set(err, ENOTSUP,
                                       "cgroup %s: linux.resources.blockIO.weight: neither blkio.weight nor "
                                       "blkio.bfq.weight exists (no CFQ or BFQ scheduler)",
                                       cg->path);
        if ((b->leaf_weight.set && b->leaf_weight.value) && !cgroup_has_file(cg, h, "blkio.leaf_weight"))
                return berth_error_set(err, ENOTSUP,
                                       "cgroup %s: linux.resources.blockIO.leafWeight: no blkio.leaf_weight",
                                       cg->path);
        return 0;
}

/* Everything that can be refused is refused before the first write. */
static int v1_check(cgroup *cg, const oci_resources *res, berth_error **err)
{
        int r = 0;

        if (res->unified && json_object_size(res->unified) > 0)
                return berth_error_set(
                        err, ENOTSUP,
                        "cgroup %s: linux.resources.unified: cgroup v2 files cannot be written on this "
                        "cgroup v1 host",
                        cg->path);
        if (res->memory && (r = check_memory(cg, res->memory, err)) < 0)
                return r;
        if (res->cpu && cpu_sched_given(res->cpu) && (r = need(cg, CG_CPU, "linux.resources.cpu", err)) < 0)
                return r;
        if (res->cpu && ((res->cpu->cpus && *res->cpu->cpus) || (res->cpu->mems && *res->cpu->mems)) &&
            (r = need(cg, CG_CPUSET, "linux.resources.cpu.cpus/mems", err)) < 0)
                return r;
        if (res->pids_limit.set && (r = need(cg, CG_PIDS, "linux.resources.pids", err)) < 0)
                return r;
        if (res->block_io && (r = check_blkio(cg, res->block_io, err)) < 0)
                return r;
        if (res->n_hugepage_limits && (r = need(cg, CG_HUGETLB, "linux.resources.hugepageLimits", err)) < 0)
                return r;
        for (size_t i = 0; i < res->n_hugepage_limits; i++)
                if ((r = cgroup_check_hugepage_size(cg, res->hugepage_limits[i].page_size, err)) < 0)
                        return r;
        if (res->network && json_object_get(res->network, "classID") &&
            (r = need(cg, CG_NET_CLS, "linux.resources.network.classID", err)) < 0)
                return r;
        if (res->network && json_array_size(json_object_get(res->network, "priorities")) &&
            (r = need(cg, CG_NET_PRIO, "linux.resources.network.priorities", err)) < 0)
                return r;
        if (res->rdma && json_object_size(res->rdma) &&
            (r = need(cg, CG_RDMA, "linux.resources.rdma", err)) < 0)
                return r;
        return 0;
}

static int write_i64(cgroup *cg, int h, const char *file, int64_t v, berth_error **err)
{
        return cgroup_writef(cg, h, file, err, "%lld", (long long)v);
}

/* runc's order: memsw must stay >= the memory limit after each single write. */
static int apply_memory_limits(cgroup *cg, int h, const oci_memory *m, berth_error **err)
{
        bool memsw = cgroup_has_file(cg, h, "memory.memsw.limit_in_bytes");
        int64_t limit = m->limit.set ? m->limit.value : 0, swap = swap_given(m) ? m->swap.value : 0;
        uint64_t cur;
        int r;

        if (limit == -1 && !swap && memsw)
                swap = -1; /* unlimited memory lifts the memory+swap limit too */
        if (swap == -1 && !memsw)
                swap = 0;
        if (limit && swap) {
                r = cgroup_read_u64(cg, h, "memory.limit_in_bytes", &cur, err);
                if (r < 0)
                        return r;
                if (swap == -1 || cur < (uint64_t)swap) {
                        r = write_i64(cg, h, "memory.memsw.limit_in_bytes", swap, err);
                        return r < 0 ? r : write_i64(cg, h, "memory.limit_in_bytes", limit, err);
                }
        }
        if (limit && (r = write_i64(cg, h, "memory.limit_in_bytes", limit, err)) < 0)
                return r;
        if (swap && (r = write_i64(cg, h, "memory.memsw.limit_in_bytes", swap, err)) < 0)
                return r;
        return 0;
}

static int apply_memory(cgroup *cg, const oci_memory *m, berth_error **err)
{
        int h = cgroup_hierarchy_of(cg, CG_MEMORY), r;

        if (!m)
                return 0;
        if (unified(cg, h))
                return unified_prepare(cg, h, CG_MEMORY, err) ?: cgroup_v2_apply_memory(cg, h, m, err);
        r = apply_memory_limits(cg, h, m, err);
        if (r < 0)
                return r;
        if (m->reservation.set && m->reservation.value != 0 &&
            (r = write_i64(cg, h, "memory.soft_limit_in_bytes", m->reservation.value, err)) < 0)
                return r;
        if (m->swappiness.set &&
            (r = write_i64(cg, h, "memory.swappiness", (int64_t)m->swappiness.value, err)) < 0)
                return r;
        if (m->disable_oom_killer.set)
                return cgroup_write(cg, h, "memory.oom_control", m->disable_oom_killer.value ? "1" : "0",
                                    err);
        return 0;
}

/* runc: a shorter period may be refused until the quota is lowered, so retry it after. */
static int apply_cfs(cgroup *cg, int h, const oci_cpu *c, berth_error **err)
{
        bool period_pending = false, quota = c->quota.set && c->quota.value != 0;
        int r;

        if (c->period.set && c->period.value != 0) {
                berth_error *perr = NULL;
                r = write_i64(cg, h, "cpu.cfs_period_us", (int64_t)c->period.value, &perr);
                if (r < 0 && !(r == -EINVAL && quota)) {
                        if (err)
                                *err = perr;
                        else
                                berth_error_free(perr);
                        return r;
                }
                berth_error_free(perr);
                period_pending = r < 0;
        }
        if (quota) {
                r = write_i64(cg, h, "cpu.cfs_quota_us", c->quota.value, err);
                if (r < 0)
                        return r;
        }
        if (period_pending)
                return write_i64(cg, h, "cpu.cfs_period_us", (int64_t)c->period.value, err);
        return 0;
}

static int apply_cpu(cgroup *cg, const oci_cpu *c, berth_error **err)
{
        int h = cgroup_hierarchy_of(cg, CG_CPU), r;

        if (!c || !cpu_sched_given(c))
                return 0;
        if (unified(cg, h))
                return unified_prepare(cg, h, CG_CPU, err) ?: cgroup_v2_apply_cpu(cg, h, c, err);
        if (c->shares.set && c->shares.value != 0 &&
            (r = write_i64(cg, h, "cpu.shares", (int64_t)c->shares.value, err)) < 0)
                return r;
        if ((r = apply_cfs(cg, h, c, err)) < 0)
                return r;
        if (c->burst.set && (r = write_i64(cg, h, "cpu.cfs_burst_us", (int64_t)c->burst.value, err)) < 0)
                return r;
        if (c->realtime_period.set && c->realtime_period.value != 0 &&
            (r = write_i64(cg, h, "cpu.rt_period_us", (int64_t)c->realtime_period.value, err)) < 0)
                return r;
        if (c->realtime_runtime.set && c->realtime_runtime.value != 0 &&
            (r = write_i64(cg, h, "cpu.rt_runtime_us", c->realtime_runtime.value, err)) < 0)
                return r;
        if (c->idle.set)
                return write_i64(cg, h, "cpu.idle", c->idle.value, err);
        return 0;
}

static int apply_cpuset(cgroup *cg, const oci_cpu *c, berth_error **err)
{
        int h, r;

        if (!c || !((c->cpus && *c->cpus) || (c->mems && *c->mems)))
                return 0;
        h = cgroup_hierarchy_of(cg, CG_CPUSET);
        if (unified(cg, h) && (r = unified_prepare(cg, h, CG_CPUSET, err)) < 0)
                return r;
        return cgroup_v2_apply_cpuset(cg, h, c, err); /* same file names in v1 */
}

static int apply_pids(cgroup *cg, const oci_opt_int *limit, berth_error **err)
{
        int h, r;

        if (!limit->set)
                return 0;
        h = cgroup_hierarchy_of(cg, CG_PIDS);
        if (unified(cg, h) && (r = unified_prepare(cg, h, CG_PIDS, err)) < 0)
                return r;
        return cgroup_v2_apply_pids(cg, h, limit, err); /* same pids.max in v1 */
}

static int apply_blkio_weights(cgroup *cg, int h, const oci_blockio *b, berth_error **err)
{
        bool cfq = cgroup_has_file(cg, h, "blkio.weight");
        int r;

        if ((b->weight.set && b->weight.value) &&
            (r = write_i64(cg, h, cfq ? "blkio.weight" : "blkio.bfq.weight", (int64_t)b->weight.value,
                           err)) < 0)
                return r;
        if ((b->leaf_weight.set && b->leaf_weight.value) &&
            (r = write_i64(cg, h, "blkio.leaf_weight", (int64_t)b->leaf_weight.value, err)) < 0)
                return r;
        for (size_t i = 0; i < b->n_weight_devices; i++) {
                const oci_weight_device *d = &b->weight_devices[i];
                if (d->weight.set &&
                    (r = cgroup_writef(cg, h, cfq ? "blkio.weight_device" : "blkio.bfq.weight_device", err,
                                       "%lld:%lld %llu", (long long)d->major, (long long)d->minor,
                                       (unsigned long long)d->weight.value)) < 0)
                        return r;
                if (d->leaf_weight.set &&
                    (r = cgroup_writef(cg, h, "blkio.leaf_weight_device", err, "%lld:%lld %llu",
                                       (long long)d->major, (long long)d->minor,
                                       (unsigned long long)d->leaf_weight.value)) < 0)
                        return r;
        }
        return 0;
}

static int apply_blkio(cgroup *cg, const oci_blockio *b, berth_error **err)
{
        static const char *const files[4] = {
                "blkio.throttle.read_bps_device",
                "blkio.throttle.write_bps_device",
                "blkio.throttle.read_iops_device",
                "blkio.throttle.write_iops_device",
        };
        int h, r;

        if (!b)
                return 0;
        h = need(cg, CG_BLKIO, "linux.resources.blockIO", err);
        if (unified(cg, h))
                return unified_prepare(cg, h, CG_IO, err) ?: cgroup_v2_apply_io(cg, h, b, err);
        r = apply_blkio_weights(cg, h, b, err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < 4; k++)
                for (size_t i = 0; i < b->n_throttle[k]; i++) {
                        const oci_throttle_device *t = &b->throttle[k][i];
                        r = cgroup_writef(cg, h, files[k], err, "%lld:%lld %llu", (long long)t->major,
                                          (long long)t->minor, (unsigned long long)t->rate);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int apply_hugetlb(cgroup *cg, const oci_hugepage_limit *l, size_t n, berth_error **err)
{
        int h, r;

        if (n == 0)
                return 0;
        h = cgroup_hierarchy_of(cg, CG_HUGETLB);
        if (unified(cg, h))
                return unified_prepare(cg, h, CG_HUGETLB, err) ?: cgroup_v2_apply_hugetlb(cg, h, l, n, err);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *file = xasprintf("hugetlb.%s.limit_in_bytes", l[i].page_size);
                _cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.limit_in_bytes", l[i].page_size);
                if ((r = write_i64(cg, h, file, (int64_t)l[i].limit, err)) < 0)
                        return r;
                if (cgroup_has_file(cg, h, rsvd) &&
                    (r = write_i64(cg, h, rsvd, (int64_t)l[i].limit, err)) < 0)
                        return r;
        }
        return 0;
}

static int apply_network(cgroup *cg, json_t *net, berth_error **err)
{
        json_t *classid = json_object_get(net, "classID"), *prio;
        size_t i;
        int r;

        if (json_is_integer(classid) &&
            (r = write_i64(cg, cgroup_hierarchy_of(cg, CG_NET_CLS), "net_cls.classid",
                           (int64_t)json_integer_value(classid), err)) < 0)
                return r;
        json_array_foreach (json_object_get(net, "priorities"), i, prio) {
                r = cgroup_writef(cg, cgroup_hierarchy_of(cg, CG_NET_PRIO), "net_prio.ifpriomap", err,
                                  "%s %lld", strempty(json_string_value(json_object_get(prio, "name"))),
                                  (long long)json_integer_value(json_object_get(prio, "priority")));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_apply(cgroup *cg, const oci_resources *res, berth_error **err)
{
        int r = v1_check(cg, res, err);

        if (r < 0)
                return r;
        if ((r = apply_memory(cg, res->memory, err)) < 0 || (r = apply_cpu(cg, res->cpu, err)) < 0 ||
            (r = apply_cpuset(cg, res->cpu, err)) < 0 || (r = apply_pids(cg, &res->pids_limit, err)) < 0 ||
            (r = apply_blkio(cg, res->block_io, err)) < 0 ||
            (r = apply_hugetlb(cg, res->hugepage_limits, res->n_hugepage_limits, err)) < 0)
                return r;
        if (res->network && (r = apply_network(cg, res->network, err)) < 0)
                return r;
        if (res->rdma && json_object_size(res->rdma))
                return cgroup_apply_rdma(cg, cgroup_hierarchy_of(cg, CG_RDMA), res->rdma, err);
        return 0;
}

static int v1_is_frozen(cgroup *cg, bool *ret, berth_error **err)
{
        _cleanup_free_ char *state = NULL;
        int h = cgroup_hierarchy_of(cg, CG_FREEZER), r;

        if (h < 0) {
                *ret = false; /* nothing can freeze it */
                return 0;
        }
        r = cgroup_read(cg, h, "freezer.state", &state, err);
        if (r < 0)
                return r == -ENOENT ? berth_error_set(err, ENOENT, "cgroup %s: no freezer.state", cg->path)
                                    : r;
        *ret = strneq(state, "FROZEN", 6);
        return 0;
}

/* FREEZING may take a while and may need the request again (runc writes it repeatedly). */
static int v1_freeze(cgroup *cg, bool frozen, berth_error **err)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        struct timespec delay = {0, 1000 * 1000};
        int h = need(cg, CG_FREEZER, frozen ? "pause" : "resume", err), r;

        if (h < 0)
                return h;
        for (int i = 0; i < 500; i++) {
                _cleanup_free_ char *state = NULL;
                if (i % 25 == 0 && (r = cgroup_write(cg, h, "freezer.state", want, err)) < 0)
                        return r;
                r = cgroup_read(cg, h, "freezer.state", &state, err);
                if (r < 0)
                        return r;
                if (strneq(state, want, strlen(want)))
                        return 0;
                nanosleep(&delay, NULL);
                if (delay.tv_nsec < 10 * 1000 * 1000)
                        delay.tv_nsec *= 2;
        }
        if (frozen)
                (void)cgroup_write(cg, h, "freezer.state", "THAWED", NULL);
        return berth_error_set(err, ETIMEDOUT, "cgroup %s: freezer.state did not reach %s", cg->path, want);
}

static int v1_procs_hierarchy(cgroup *cg)
{
        static const enum cgroup_controller order[] = {CG_FREEZER, CG_PIDS, CG_MEMORY, CG_CPU,
                                                       CG_NAME_SYSTEMD};

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                int h = cgroup_hierarchy_of(cg, order[i]);
                if (h >= 0 && !unified(cg, h))
                        return h;
        }
        return 0;
}

static int v1_kill_all(cgroup *cg, int sig, berth_error **err)
{
        int h = v1_procs_hierarchy(cg);

        if (cgroup_hierarchy_of(cg, CG_FREEZER) < 0)
                return cgroup_signal_pids(cg, h, sig, err);
        return cgroup_signal_frozen(cg, h, sig, err);
}

static int stats_cpuacct(cgroup *cg, int h, cgroup_stats *s, berth_error **err)
{
        int r;

        if ((r = cgroup_read_u64(cg, h, "cpuacct.usage", &s->cpu_usage_ns, err)) < 0)
                return r;
        if ((r = cgroup_read_u64(cg, h, "cpuacct.usage_user", &s->cpu_user_ns, err)) < 0 && r != -ENOENT)
                return r;
        if ((r = cgroup_read_u64(cg, h, "cpuacct.usage_sys", &s->cpu_system_ns, err)) < 0 && r != -ENOENT)
                return r;
        return 0;
}

static int stats_memory(cgroup *cg, int h, cgroup_stats *s, berth_error **err)
{
        _cleanup_free_ char *stat = NULL, *oom = NULL;
        uint64_t inactive = 0;
        int r;

        if ((r = cgroup_read_u64(cg, h, "memory.usage_in_bytes", &s->memory_usage, err)) < 0 ||
            (r = cgroup_read_u64(cg, h, "memory.limit_in_bytes", &s->memory_limit, err)) < 0 ||
            (r = cgroup_read(cg, h, "memory.stat", &stat, err)) < 0 ||
            (r = cgroup_read(cg, h, "memory.oom_control", &oom, err)) < 0)
                return r;
        if (s->memory_limit >= V1_UNLIMITED)
                s->memory_limit = UINT64_MAX;
        if (cgroup_parse_key(stat, "total_inactive_file", &inactive) && inactive < s->memory_usage)
                s->memory_usage -= inactive;
        (void)cgroup_parse_key(stat, "total_cache", &s->memory_cache);
        (void)cgroup_parse_key(oom, "oom_kill", &s->oom_kills);
        return 0;
}

/* "8:0 Read 4096" lines; "Total" lines are sums of these. */
static int stats_blkio(cgroup *cg, int h, cgroup_stats *s, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(cg, h, "blkio.throttle.io_service_bytes_recursive", &text, err);

        if (r < 0)
                return r;
        for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                char op[16];
                unsigned long long v;
                if (sscanf(l, "%*u:%*u %15s %llu", op, &v) != 2)
                        continue;
                if (streq(op, "Read"))
                        s->io_read_bytes += v;
                else if (streq(op, "Write"))
                        s->io_write_bytes += v;
        }
        return 0;
}

static int v1_stats_read(cgroup *cg, cgroup_stats *s, berth_error **err)
{
        static const struct {
                enum cgroup_controller c, v2;
                int (*read)(cgroup *, int, cgroup_stats *, berth_error **);
        } parts[] = {
                {CG_CPUACCT, CG_CPU, stats_cpuacct},
                {CG_MEMORY, CG_MEMORY, stats_memory},
                {CG_PIDS, CG_PIDS, NULL},
                {CG_BLKIO, CG_IO, stats_blkio},
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                int h = cgroup_hierarchy_of(cg, parts[i].c);
                if (h < 0)
                        continue;
                if (unified(cg, h) || !parts[i].read)
                        r = cgroup_v2_stats_controller(cg, h, parts[i].v2, s, err);
                else
                        r = parts[i].read(cg, h, s, err);
                if (r < 0)
                        return r == -ENOENT ? berth_error_set(err, ENOENT, "cgroup %s: %s stats are missing",
                                                              cg->path, cgroup_controller_name(parts[i].c))
                                            : r;
        }
        return 0;
}

const cgroup_ops cgroup_v1_ops = {
        .name = "v1",
        .create = v1_create,
        .enter = v1_enter,
        .apply = v1_apply,
        .freeze = v1_freeze,
        .is_frozen = v1_is_frozen,
        .kill_all = v1_kill_all,
        .stats_read = v1_stats_read,
        .procs_hierarchy = v1_procs_hierarchy,
};
