/*
 * The cgroup v2 driver: one tree, controllers enabled from the root down, the leaf's fd kept for
 * clone3(CLONE_INTO_CGROUP). Its per-controller writers also serve a hybrid host's cgroup2 mount.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "runtime/cgroup-internal.h"

#define V2 0 /* the one hierarchy of a pure v2 host */

#define V2_CONTROLLERS                                                                                      \
        ((1u << CG_CPU) | (1u << CG_CPUSET) | (1u << CG_IO) | (1u << CG_MEMORY) | (1u << CG_PIDS) |         \
         (1u << CG_HUGETLB))

/* runc's conversions: cpu.shares [2, 262144] to cpu.weight [1, 10000], blkio weight [10, 1000]
 * to io.weight [1, 10000]. */
static uint64_t shares_to_weight(uint64_t shares)
{
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

static uint64_t blkio_to_io_weight(uint64_t w)
{
        if (w < 10)
                w = 10;
        if (w > 1000)
                w = 1000;
        return 1 + ((w - 10) * 9999) / 990;
}

static char *limit_value(int64_t v)
{
        return v < 0 ? xstrdup("max") : xasprintf("%lld", (long long)v);
}

/* OCI memory.swap is memory+swap; memory.swap.max is swap alone (runc's conversion). */
static int swap_value(cgroup *cg, const oci_memory *m, char **ret, berth_error **err)
{
        int64_t swap = m->swap.value, mem = m->limit.set ? m->limit.value : 0;

        if (swap == -1) {
                *ret = xstrdup("max");
                return 0;
        }
        if (mem <= 0)
                return berth_error_set(err, EINVAL,
                                       "cgroup %s: linux.resources.memory.swap %lld needs a memory limit",
                                       cg->path, (long long)swap);
        if (swap < mem)
                return berth_error_set(
                        err, EINVAL,
                        "cgroup %s: linux.resources.memory.swap %lld (memory+swap) is below the "
                        "memory limit %lld",
                        cg->path, (long long)swap, (long long)mem);
        *ret = xasprintf("%lld", (long long)(swap - mem));
        return 0;
}

static bool swap_given(const oci_memory *m)
{
        return m->swap.set && m->swap.value != 0;
}

int cgroup_v2_check(cgroup *cg, int h, const oci_resources *res, berth_error **err)
{
        _cleanup_free_ char *swap = NULL;
        int r;

        if (res->memory && swap_given(res->memory)) {
                r = swap_value(cg, res->memory, &swap, err);
                if (r < 0)
                        return r;
                if (!cgroup_has_file(cg, h, "memory.swap.max"))
                        return berth_error_set(
                                err, ENOTSUP,
                                "cgroup %s: linux.resources.memory.swap: this host has no swap "
                                "accounting (no memory.swap.max)",
                                cg->path);
        }
        if (res->cpu && ((res->cpu->realtime_period.set && res->cpu->realtime_period.value) ||
                         (res->cpu->realtime_runtime.set && res->cpu->realtime_runtime.value)))
                return berth_error_set(
                        err, ENOTSUP,
                        "cgroup %s: linux.resources.cpu.realtimePeriod/realtimeRuntime: cgroup v2 "
                        "has no realtime group scheduling",
                        cg->path);
        if (res->block_io && res->block_io->leaf_weight.set && res->block_io->leaf_weight.value)
                return berth_error_set(err, ENOTSUP,
                                       "cgroup %s: linux.resources.blockIO.leafWeight: not in cgroup v2",
                                       cg->path);
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                r = cgroup_check_hugepage_size(cg, res->hugepage_limits[i].page_size, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_v2_apply_memory(cgroup *cg, int h, const oci_memory *m, berth_error **err)
{
        int r;

        if (!m)
                return 0;
        if (swap_given(m)) {
                _cleanup_free_ char *swap = NULL;
                r = swap_value(cg, m, &swap, err);
                if (r < 0)
                        return r;
                r = cgroup_write(cg, h, "memory.swap.max", swap, err);
                if (r < 0)
                        return r;
        } else if (m->limit.set && m->limit.value == -1 && cgroup_has_file(cg, h, "memory.swap.max")) {
                r = cgroup_write(cg, h, "memory.swap.max", "max", err);
                if (r < 0)
                        return r;
        }
        if (m->limit.set && m->limit.value != 0) {
                _cleanup_free_ char *v = limit_value(m->limit.value);
                r = cgroup_write(cg, h, "memory.max", v, err);
                if (r < 0)
                        return r;
        }
        if (m->reservation.set && m->reservation.value != 0) {
                _cleanup_free_ char *v = limit_value(m->reservation.value);
                r = cgroup_write(cg, h, "memory.low", v, err);
                if (r < 0)
                        return r;
        }
        /* swappiness and disableOOMKiller have no v2 file: ignored, as crun and runc do */
        return 0;
}

static int apply_cpu_max(cgroup *cg, int h, const oci_cpu *c, berth_error **err)
{
        bool quota = c->quota.set && c->quota.value != 0, period = c->period.set && c->period.value != 0;
        _cleanup_free_ char *v = NULL;

        if (!quota && !period)
                return 0;
        /* "max" alone keeps the period the cgroup has */
        v = quota && c->quota.value > 0 ? xasprintf("%lld", (long long)c->quota.value) : xstrdup("max");
        if (period) {
                char *n = xasprintf("%s %llu", v, (unsigned long long)c->period.value);
                free(v);
                v = n;
        }
        return cgroup_write(cg, h, "cpu.max", v, err);
}

int cgroup_v2_apply_cpu(cgroup *cg, int h, const oci_cpu *c, berth_error **err)
{
        int r;

        if (!c)
                return 0;
        if (c->shares.set && c->shares.value != 0) {
                r = cgroup_writef(cg, h, "cpu.weight", err, "%llu",
                                  (unsigned long long)shares_to_weight(c->shares.value));
                if (r < 0)
                        return r;
        }
        r = apply_cpu_max(cg, h, c, err);
        if (r < 0)
                return r;
        if (c->burst.set) {
                r = cgroup_writef(cg, h, "cpu.max.burst", err, "%llu", (unsigned long long)c->burst.value);
                if (r < 0)
                        return r;
        }
        if (c->idle.set)
                return cgroup_writef(cg, h, "cpu.idle", err, "%lld", (long long)c->idle.value);
        return 0;
}

int cgroup_v2_apply_cpuset(cgroup *cg, int h, const oci_cpu *c, berth_error **err)
{
        int r;

        if (!c)
                return 0;
        if (c->cpus && *c->cpus) {
                r = cgroup_write(cg, h, "cpuset.cpus", c->cpus, err);
                if (r < 0)
                        return r;
        }
        if (c->mems && *c->mems)
                return cgroup_write(cg, h, "cpuset.mems", c->mems, err);
        return 0;
}

int cgroup_v2_apply_pids(cgroup *cg, int h, const oci_opt_int *limit, berth_error **err)
{
        _cleanup_free_ char *v = NULL;

        if (!limit->set)
                return 0;
        v = cgroup_pids_value(limit->value);
        return cgroup_write(cg, h, "pids.max", v, err);
}

static int apply_io_weights(cgroup *cg, int h, const oci_blockio *b, berth_error **err)
{
        bool bfq = cgroup_has_file(cg, h, "io.bfq.weight");
        int r;

        if (b->weight.set && b->weight.value != 0) {
                if (bfq)
                        r = cgroup_writef(cg, h, "io.bfq.weight", err, "%llu",
                                          (unsigned long long)b->weight.value);
                else
                        r = cgroup_writef(cg, h, "io.weight", err, "%llu",
                                          (unsigned long long)blkio_to_io_weight(b->weight.value));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < b->n_weight_devices; i++) {
                const oci_weight_device *d = &b->weight_devices[i];
                if (!d->weight.set)
                        continue;
                r = cgroup_writef(
                        cg, h, bfq ? "io.bfq.weight" : "io.weight", err, "%lld:%lld %llu",
                        (long long)d->major, (long long)d->minor,
                        (unsigned long long)(bfq ? d->weight.value : blkio_to_io_weight(d->weight.value)));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One io.max line per device with every limit given for it: "8:0 rbps=1048576 wiops=100". */
static char *io_max_line(const oci_blockio *b, int64_t major, int64_t minor)
{
        static const char *const keys[4] = {"rbps", "wbps", "riops", "wiops"};
        char *line = xasprintf("%lld:%lld", (long long)major, (long long)minor);

        for (size_t k = 0; k < 4; k++)
                for (size_t i = 0; i < b->n_throttle[k]; i++) {
                        const oci_throttle_device *t = &b->throttle[k][i];
                        if (t->major != major || t->minor != minor)
                                continue;
                        char *n =
                                t->rate ? xasprintf("%s %s=%llu", line, keys[k], (unsigned long long)t->rate)
                                        : xasprintf("%s %s=max", line, keys[k]);
                        free(line);
                        line = n;
                        break;
                }
        return line;
}

static bool io_seen_before(const oci_blockio *b, size_t k, size_t i)
{
        const oci_throttle_device *t = &b->throttle[k][i];

        for (size_t k2 = 0; k2 <= k; k2++)
                for (size_t i2 = 0; i2 < (k2 == k ? i : b->n_throttle[k2]); i2++)
                        if (b->throttle[k2][i2].major == t->major && b->throttle[k2][i2].minor == t->minor)
                                return true;
        return false;
}

int cgroup_v2_apply_io(cgroup *cg, int h, const oci_blockio *b, berth_error **err)
{
        int r;

        if (!b)
                return 0;
        r = apply_io_weights(cg, h, b, err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < 4; k++)
                for (size_t i = 0; i < b->n_throttle[k]; i++) {
                        if (io_seen_before(b, k, i))
                                continue;
                        _cleanup_free_ char *line =
                                io_max_line(b, b->throttle[k][i].major, b->throttle[k][i].minor);
                        r = cgroup_write(cg, h, "io.max", line, err);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int cgroup_v2_apply_hugetlb(cgroup *cg, int h, const oci_hugepage_limit *l, size_t n, berth_error **err)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *file = xasprintf("hugetlb.%s.max", l[i].page_size);
                _cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.max", l[i].page_size);
                r = cgroup_writef(cg, h, file, err, "%llu", (unsigned long long)l[i].limit);
                if (r < 0)
                        return r;
                /* reservations too, as runc: a mapping cannot reserve past the limit either */
                if (cgroup_has_file(cg, h, rsvd)) {
                        r = cgroup_writef(cg, h, rsvd, err, "%llu", (unsigned long long)l[i].limit);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int apply_unified(cgroup *cg, json_t *unified, berth_error **err)
{
        const char *key;
        json_t *v;
        int r;

        json_object_foreach (unified, key, v) {
                if (!*key || strchr(key, '/') || key[0] == '.')
                        return berth_error_set(err, EINVAL,
                                               "linux.resources.unified: \"%s\" is not a cgroup file name",
                                               key);
                if (!json_is_string(v))
                        return berth_error_set(err, EINVAL, "linux.resources.unified.%s: expected string",
                                               key);
                r = cgroup_write(cg, V2, key, json_string_value(v), err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v2_create(cgroup *cg, const oci_resources *res, berth_error **err)
{
        int r = cgroup_mkdir(cg, V2, NULL, err);

        if (r < 0)
                return r;
        return cgroup_unified_enable(cg, V2, V2_CONTROLLERS, 0, err);
}

static int v2_enter(cgroup *cg, pid_t pid, berth_error **err)
{
        return cgroup_writef(cg, V2, "cgroup.procs", err, "%d", (int)pid);
}

static int v2_apply(cgroup *cg, const oci_resources *res, berth_error **err)
{
        int r = cgroup_v2_check(cg, V2, res, err);

        if (r < 0)
                return r;
        if (res->network && json_object_size(res->network) > 0)
                return berth_error_set(err, ENOTSUP,
                                       "cgroup %s: linux.resources.network: cgroup v2 has no net_cls "
                                       "or net_prio",
                                       cg->path);
        if ((r = cgroup_v2_apply_memory(cg, V2, res->memory, err)) < 0 ||
            (r = cgroup_v2_apply_cpu(cg, V2, res->cpu, err)) < 0 ||
            (r = cgroup_v2_apply_cpuset(cg, V2, res->cpu, err)) < 0 ||
            (r = cgroup_v2_apply_pids(cg, V2, &res->pids_limit, err)) < 0 ||
            (r = cgroup_v2_apply_io(cg, V2, res->block_io, err)) < 0 ||
            (r = cgroup_v2_apply_hugetlb(cg, V2, res->hugepage_limits, res->n_hugepage_limits, err)) < 0)
                return r;
        if (res->rdma && (r = cgroup_apply_rdma(cg, V2, res->rdma, err)) < 0)
                return r;
        return res->unified ? apply_unified(cg, res->unified, err) : 0;
}

static int v2_is_frozen(cgroup *cg, bool *ret, berth_error **err)
{
        uint64_t v;
        int r = cgroup_read_key(cg, V2, "cgroup.events", "frozen", &v, err);

        if (r < 0)
                return r;
        *ret = v == 1;
        return 0;
}

/* cgroup.events changes raise POLLPRI: wait for "frozen 0/1" without a busy loop (5 s at most). */
static int v2_freeze(cgroup *cg, bool frozen, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        char buf[256];
        uint64_t v;
        int r = cgroup_write(cg, V2, "cgroup.freeze", frozen ? "1" : "0", err);

        if (r < 0)
                return r;
        fd = openat(cg->leaf[V2], "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(err, errno, "cgroup %s: open cgroup.events", cg->path);
        for (int i = 0; i < 50; i++) {
                ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return berth_error_set(err, errno, "cgroup %s: read cgroup.events", cg->path);
                buf[n] = 0;
                if (cgroup_parse_key(buf, "frozen", &v) && (v == 1) == frozen)
                        return 0;
                struct pollfd p = {.fd = fd, .events = POLLPRI};
                (void)poll(&p, 1, 100);
        }
        return berth_error_set(err, ETIMEDOUT, "cgroup %s: cgroup.events did not reach \"frozen %d\"",
                               cg->path, frozen);
}

static int v2_kill_all(cgroup *cg, int sig, berth_error **err)
{
        /* cgroup.kill (5.14+) kills the whole subtree at once, forks included */
        if (sig == SIGKILL && cgroup_has_file(cg, V2, "cgroup.kill"))
                return cgroup_write(cg, V2, "cgroup.kill", "1", err);
        return cgroup_signal_frozen(cg, V2, sig, err);
}

static int stats_io(cgroup *cg, int h, cgroup_stats *s, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(cg, h, "io.stat", &text, err);

        if (r < 0)
                return r;
        for (char *p = text; (p = strstr(p, "bytes=")); p += 6) {
                uint64_t v = strtoull(p + 6, NULL, 10);
                if (p > text + 1 && p[-1] == 'r' && p[-2] == ' ')
                        s->io_read_bytes += v;
                else if (p > text + 1 && p[-1] == 'w' && p[-2] == ' ')
                        s->io_write_bytes += v;
        }
        return 0;
}

static int stats_memory(cgroup *cg, int h, cgroup_stats *s, berth_error **err)
{
        _cleanup_free_ char *stat = NULL;
        uint64_t inactive = 0;
        int r;

        if ((r = cgroup_read_u64(cg, h, "memory.current", &s->memory_usage, err)) < 0 ||
            (r = cgroup_read_u64(cg, h, "memory.max", &s->memory_limit, err)) < 0 ||
            (r = cgroup_read(cg, h, "memory.stat", &stat, err)) < 0)
                return r;
        if (cgroup_parse_key(stat, "inactive_file", &inactive) && inactive < s->memory_usage)
                s->memory_usage -= inactive;
        (void)cgroup_parse_key(stat, "file", &s->memory_cache);
        _cleanup_free_ char *events = NULL;
        r = cgroup_read(cg, h, "memory.events", &events, err);
        if (r < 0)
                return r;
        (void)cgroup_parse_key(events, "oom_kill", &s->oom_kills);
        return 0;
}

static int stats_cpu(cgroup *cg, int h, cgroup_stats *s, berth_error **err)
{
        _cleanup_free_ char *stat = NULL;
        uint64_t v;
        int r = cgroup_read(cg, h, "cpu.stat", &stat, err);

        if (r < 0)
                return r;
        if (cgroup_parse_key(stat, "usage_usec", &v))
                s->cpu_usage_ns = v * 1000;
        if (cgroup_parse_key(stat, "user_usec", &v))
                s->cpu_user_ns = v * 1000;
        if (cgroup_parse_key(stat, "system_usec", &v))
                s->cpu_system_ns = v * 1000;
        return 0;
}

int cgroup_v2_stats_controller(cgroup *cg, int h, enum cgroup_controller c, cgroup_stats *s,
                               berth_error **err)
{
        int r;

        switch (c) {
        case CG_CPU:
                return stats_cpu(cg, h, s, err);
        case CG_MEMORY:
                return stats_memory(cg, h, s, err);
        case CG_PIDS:
                r = cgroup_read_u64(cg, h, "pids.current", &s->pids_current, err);
                return r < 0 ? r : cgroup_read_u64(cg, h, "pids.max", &s->pids_limit, err);
        case CG_IO:
                return stats_io(cg, h, s, err);
        default:
                return 0;
        }
}

static int v2_stats_read(cgroup *cg, cgroup_stats *s, berth_error **err)
{
        static const enum cgroup_controller parts[] = {CG_CPU, CG_MEMORY, CG_PIDS, CG_IO};
        int r = cgroup_leaf(cg, V2, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                /* a controller that is not enabled has no files: its stats stay unset */
                r = cgroup_v2_stats_controller(cg, V2, parts[i], s, err);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

static int v2_procs_hierarchy(cgroup *cg)
{
        return V2;
}

const cgroup_ops cgroup_v2_ops = {
        .name = "v2",
        .create = v2_create,
        .enter = v2_enter,
        .apply = v2_apply,
        .freeze = v2_freeze,
        .is_frozen = v2_is_frozen,
        .kill_all = v2_kill_all,
        .stats_read = v2_stats_read,
        .procs_hierarchy = v2_procs_hierarchy,
};
