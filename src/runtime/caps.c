/* Capability names and sets: parsed and checked in the parent, applied in the child. */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "basic/strv.h"
#include "caps.h"

const char *const caps_docker_default[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
        NULL,
};

int caps_from_name(const char *name)
{
        cap_value_t v;

        /* cap_from_name also takes numbers and bare names; config.json has CAP_ names only. */
        if (!name || strncasecmp(name, "CAP_", 4) != 0 || !name[4])
                return -EINVAL;
        if (cap_from_name(name, &v) < 0 || v < 0 || v > 63)
                return -EINVAL;
        return v;
}

char *caps_to_name(int cap)
{
        char *n, *up;

        if (cap < 0 || cap > 63)
                return NULL;
        n = cap_to_name(cap);
        /* libcap prints a number for a capability it has no name for. */
        if (!n || strncmp(n, "cap_", 4) != 0) {
                cap_free(n);
                return NULL;
        }
        up = xstrdup(n);
        cap_free(n);
        for (char *c = up; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        return up;
}

static int read_last_cap(void)
{
        char buf[16] = {0};
        _cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
                return CAP_LAST_CAP;
        return atoi(buf) > 0 && atoi(buf) < 64 ? atoi(buf) : CAP_LAST_CAP;
}

static int parse_set(char **names, const char *set, int last_cap, uint64_t *ret, berth_error **err)
{
        uint64_t mask = 0;
        size_t i = 0;

        STRV_FOREACH (n, names) {
                int cap = caps_from_name(*n);
                if (cap < 0)
                        return berth_error_set(err, 0,
                                               "process.capabilities.%s[%zu]: unknown capability \"%s\"",
                                               set, i, *n);
                /* Known to libcap, not to this kernel: runc ignores it as well. */
                if (cap <= last_cap)
                        mask |= UINT64_C(1) << cap;
                i++;
        }
        *ret = mask;
        return 0;
}

static int first_bit(uint64_t m)
{
        return __builtin_ctzll(m);
}

int caps_prepare(const oci_capabilities *c, caps_plan *ret, berth_error **err)
{
        static const oci_capabilities none = {0};
        caps_plan p = {.last_cap = read_last_cap()};
        int r;

        if (!c)
                c = &none;
        r = parse_set(c->bounding, "bounding", p.last_cap, &p.bounding, err);
        if (r >= 0)
                r = parse_set(c->effective, "effective", p.last_cap, &p.effective, err);
        if (r >= 0)
                r = parse_set(c->permitted, "permitted", p.last_cap, &p.permitted, err);
        if (r >= 0)
                r = parse_set(c->inheritable, "inheritable", p.last_cap, &p.inheritable, err);
        if (r >= 0)
                r = parse_set(c->ambient, "ambient", p.last_cap, &p.ambient, err);
        if (r < 0)
                return r;
        if (p.effective & ~p.permitted) {
                _cleanup_free_ char *name = caps_to_name(first_bit(p.effective & ~p.permitted));
                return berth_error_set(err, 0,
                                       "process.capabilities.effective: %s is not in the permitted set",
                                       strempty(name));
        }
        /* The kernel refuses an ambient capability that is not permitted and inheritable. */
        p.ambient_skipped = p.ambient & ~(p.permitted & p.inheritable);
        p.ambient &= p.permitted & p.inheritable;
        *ret = p;
        return 0;
}

int caps_keep_across_setuid(berth_error **err)
{
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return berth_error_set(err, errno, "prctl PR_SET_KEEPCAPS");
        return 0;
}

static int caps_get(struct __user_cap_data_struct d[2], berth_error **err)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};

        if (capget(&h, d) < 0)
                return berth_error_set(err, errno, "capget");
        return 0;
}

static int caps_set(uint64_t e, uint64_t p, uint64_t i, berth_error **err)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {
                {(uint32_t)e, (uint32_t)p, (uint32_t)i},
                {(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)},
        };

        if (capset(&h, d) < 0)
                return berth_error_set(err, errno,
                                       "capset (effective %#llx, permitted %#llx, inheritable %#llx)",
                                       (unsigned long long)e, (unsigned long long)p, (unsigned long long)i);
        return 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
        return (uint64_t)hi << 32 | lo;
}

static uint64_t bounding_to_drop(const caps_plan *p)
{
        uint64_t drop = 0;

        for (int cap = 0; cap <= p->last_cap; cap++)
                if (!(p->bounding & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
                        drop |= UINT64_C(1) << cap;
        return drop;
}

/* PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, which setuid() cleared. */
static int drop_bounding(const caps_plan *p, berth_error **err)
{
        struct __user_cap_data_struct d[2];
        uint64_t eff, perm, inh, drop = bounding_to_drop(p);
        int r;

        if (!drop)
                return 0;
        r = caps_get(d, err);
        if (r < 0)
                return r;
        eff = join(d[0].effective, d[1].effective);
        perm = join(d[0].permitted, d[1].permitted);
        inh = join(d[0].inheritable, d[1].inheritable);
        /* After a uid change without PR_SET_KEEPCAPS: say so rather than EPERM on the first drop. */
        if (!(perm & (UINT64_C(1) << CAP_SETPCAP)))
                return berth_error_set(err, EPERM,
                                       "drop the bounding set: CAP_SETPCAP is not in the permitted set");
        if (eff != perm) {
                r = caps_set(perm, perm, inh, err);
                if (r < 0)
                        return r;
        }
        for (int cap = 0; cap <= p->last_cap; cap++) {
                if (!(drop & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        _cleanup_free_ char *name = caps_to_name(cap);
                        return berth_error_set(err, errno, "drop %s from the bounding set", strempty(name));
                }
        }
        return 0;
}

static int raise_ambient(const caps_plan *p, berth_error **err)
{
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return berth_error_set(err, errno, "clear the ambient capabilities");
        for (int cap = 0; cap <= p->last_cap; cap++) {
                if (!(p->ambient & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
                        _cleanup_free_ char *name = caps_to_name(cap);
                        return berth_error_set(err, errno, "raise ambient capability %s", strempty(name));
                }
        }
        return 0;
}

/* capset cannot add to the permitted set: name what the runtime itself lacks (a host whose
 * bounding set lacks CAP_SYS_RESOURCE, say) rather than fail with a bare EPERM. */
static int check_available(const caps_plan *p, berth_error **err)
{
        struct __user_cap_data_struct d[2];
        uint64_t missing;
        int r;

        r = caps_get(d, err);
        if (r < 0)
                return r;
        missing = p->permitted & ~join(d[0].permitted, d[1].permitted);
        if (missing) {
                _cleanup_free_ char *name = caps_to_name(first_bit(missing));
                return berth_error_set(err, EPERM,
                                       "process.capabilities.permitted: %s is not available to the runtime",
                                       strempty(name));
        }
        return 0;
}

int caps_apply(const caps_plan *p, berth_error **err)
{
        int r;

        r = drop_bounding(p, err);
        if (r < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return berth_error_set(err, errno, "prctl PR_SET_KEEPCAPS");
        r = check_available(p, err);
        if (r < 0)
                return r;
        r = caps_set(p->effective, p->permitted, p->inheritable, err);
        if (r < 0)
                return r;
        return raise_ambient(p, err);
}
