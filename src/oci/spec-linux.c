/*
 * The "linux" object of config.json: namespaces, id mappings, devices, resources (also parsed
 * alone for `update --resources`), seccomp and the paths to mask.
 */
#include <string.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "spec-internal.h"

/* ---- namespaces and devices ---- */

static int parse_namespace(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_namespace *ns = elem;
        unsigned *seen = userdata;
        _cleanup_free_ char *type = NULL;
        int t, r = oci_get_string(e, p, "type", true, &type, err);

        if (r < 0)
                return r;
        t = oci_ns_type_from_name(type);
        if (t < 0)
                return oci_jp_error(err, JP_KEY(p, "type"), "unknown namespace type \"%s\"", type);
        if (*seen & (1u << t))
                return oci_jp_error(err, JP_KEY(p, "type"), "duplicate namespace type \"%s\"", type);
        *seen |= 1u << t;
        ns->type = t;
        r = oci_get_string(e, p, "path", false, &ns->path, err);
        if (r >= 0 && ns->path && ns->path[0] != '/')
                return oci_jp_error(err, JP_KEY(p, "path"), "\"%s\" is not an absolute path", ns->path);
        return r;
}

static void free_namespace(void *elem)
{
        free(((oci_namespace *)elem)->path);
}

/* A one-letter type from the given set; the empty string gives dflt (0: not allowed). */
static int parse_type_letter(json_t *e, const oci_jp *p, const char *allowed, char dflt, char *ret,
                             berth_error **err)
{
        _cleanup_free_ char *type = NULL;
        int r = oci_get_string(e, p, "type", dflt == 0, &type, err);

        if (r < 0)
                return r;
        if (!type || (!*type && dflt)) {
                *ret = dflt;
                return 0;
        }
        if (strlen(type) != 1 || !strchr(allowed, type[0]))
                return oci_jp_error(err, JP_KEY(p, "type"), "unknown device type \"%s\"", type);
        *ret = type[0];
        return 0;
}

static int parse_device(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_device *d = elem;
        int r = oci_get_string(e, p, "path", true, &d->path, err);

        if (r >= 0)
                r = parse_type_letter(e, p, "cbup", 0, &d->type, err);
        if (r >= 0)
                r = oci_get_int(e, p, "major", d->type != 'p', INT64_MIN, INT64_MAX, &d->major, err);
        if (r >= 0)
                r = oci_get_int(e, p, "minor", d->type != 'p', INT64_MIN, INT64_MAX, &d->minor, err);
        if (r >= 0)
                r = oci_get_opt_uint(e, p, "fileMode", UINT32_MAX, &d->file_mode, err);
        if (r >= 0)
                r = oci_get_opt_uint(e, p, "uid", UINT32_MAX, &d->uid, err);
        if (r >= 0)
                r = oci_get_opt_uint(e, p, "gid", UINT32_MAX, &d->gid, err);
        return r;
}

static void free_device(void *elem)
{
        free(((oci_device *)elem)->path);
}

/* monotonic and boottime: {"secs": int64, "nanosecs": uint32}, kept as JSON. */
static int parse_time_offsets(json_t *j, const oci_jp *up, oci_linux *l, berth_error **err)
{
        const oci_jp *tp = JP_KEY(up, "timeOffsets");
        const char *k;
        json_t *v;
        int r = oci_get_kept_object(j, up, "timeOffsets", &l->time_offsets, err);

        if (r < 0 || !l->time_offsets)
                return r;
        json_object_foreach (l->time_offsets, k, v) {
                const oci_jp *cp = JP_KEY(tp, k);
                int64_t x;

                if (!json_is_object(v))
                        return oci_jp_type_error(err, cp, "object", v);
                r = oci_get_int(v, cp, "secs", false, INT64_MIN, INT64_MAX, &x, err);
                if (r >= 0)
                        r = oci_get_int(v, cp, "nanosecs", false, 0, UINT32_MAX, &x, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_rootfs_propagation(json_t *j, const oci_jp *up, oci_linux *l, berth_error **err)
{
        static const char *const valid[] = {"",      "private", "rprivate",   "shared",     "rshared",
                                            "slave", "rslave",  "unbindable", "runbindable"};
        int r = oci_get_string(j, up, "rootfsPropagation", false, &l->rootfs_propagation, err);

        if (r < 0 || !l->rootfs_propagation)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(valid); i++)
                if (streq(valid[i], l->rootfs_propagation))
                        return 0;
        return oci_jp_error(err, JP_KEY(up, "rootfsPropagation"), "unknown propagation \"%s\"",
                            l->rootfs_propagation);
}

/* ---- resources ---- */

static int parse_device_cgroup(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_device_cgroup *d = elem;
        json_t *allow;
        int r = oci_member(e, p, "allow", true, &allow, err);

        if (r < 0)
                return r;
        if (!json_is_boolean(allow))
                return oci_jp_type_error(err, JP_KEY(p, "allow"), "boolean", allow);
        d->allow = json_is_true(allow);
        r = parse_type_letter(e, p, "abc", 'a', &d->type, err);
        if (r >= 0)
                r = oci_get_opt_int(e, p, "major", -1, INT64_MAX, &d->major, err);
        if (r >= 0)
                r = oci_get_opt_int(e, p, "minor", -1, INT64_MAX, &d->minor, err);
        if (r >= 0)
                r = oci_get_string(e, p, "access", false, &d->access, err);
        if (r >= 0 && d->access && d->access[strspn(d->access, "rwm")])
                return oci_jp_error(err, JP_KEY(p, "access"), "\"%s\" is not a subset of \"rwm\"",
                                    d->access);
        return r;
}

static void free_device_cgroup(void *elem)
{
        free(((oci_device_cgroup *)elem)->access);
}

static int parse_memory(json_t *j, const oci_jp *up, oci_resources *res, berth_error **err)
{
        json_t *o = NULL;
        const oci_jp *p = JP_KEY(up, "memory");
        oci_memory *m;
        int r = oci_get_object(j, up, "memory", false, &o, err);

        if (r < 0 || !o)
                return r;
        m = res->memory = xcalloc(1, sizeof(*m));
        r = oci_get_opt_int(o, p, "limit", INT64_MIN, INT64_MAX, &m->limit, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "reservation", INT64_MIN, INT64_MAX, &m->reservation, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "swap", INT64_MIN, INT64_MAX, &m->swap, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "kernel", INT64_MIN, INT64_MAX, &m->kernel, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "kernelTCP", INT64_MIN, INT64_MAX, &m->kernel_tcp, err);
        if (r >= 0)
                r = oci_get_opt_uint(o, p, "swappiness", UINT64_MAX, &m->swappiness, err);
        if (r >= 0)
                r = oci_get_opt_bool(o, p, "disableOOMKiller", &m->disable_oom_killer, err);
        if (r >= 0)
                r = oci_get_opt_bool(o, p, "useHierarchy", &m->use_hierarchy, err);
        if (r >= 0)
                r = oci_get_opt_bool(o, p, "checkBeforeUpdate", &m->check_before_update, err);
        return r;
}

static int parse_cpu(json_t *j, const oci_jp *up, oci_resources *res, berth_error **err)
{
        json_t *o = NULL;
        const oci_jp *p = JP_KEY(up, "cpu");
        oci_cpu *c;
        int r = oci_get_object(j, up, "cpu", false, &o, err);

        if (r < 0 || !o)
                return r;
        c = res->cpu = xcalloc(1, sizeof(*c));
        r = oci_get_opt_uint(o, p, "shares", UINT64_MAX, &c->shares, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "quota", INT64_MIN, INT64_MAX, &c->quota, err);
        if (r >= 0)
                r = oci_get_opt_uint(o, p, "burst", UINT64_MAX, &c->burst, err);
        if (r >= 0)
                r = oci_get_opt_uint(o, p, "period", UINT64_MAX, &c->period, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "realtimeRuntime", INT64_MIN, INT64_MAX, &c->realtime_runtime,
                                    err);
        if (r >= 0)
                r = oci_get_opt_uint(o, p, "realtimePeriod", UINT64_MAX, &c->realtime_period, err);
        if (r >= 0)
                r = oci_get_string(o, p, "cpus", false, &c->cpus, err);
        if (r >= 0)
                r = oci_get_string(o, p, "mems", false, &c->mems, err);
        if (r >= 0)
                r = oci_get_opt_int(o, p, "idle", INT64_MIN, INT64_MAX, &c->idle, err);
        return r;
}

static int parse_pids(json_t *j, const oci_jp *up, oci_resources *res, berth_error **err)
{
        json_t *o = NULL;
        int r = oci_get_object(j, up, "pids", false, &o, err);

        if (r < 0 || !o)
                return r;
        return oci_get_opt_int(o, JP_KEY(up, "pids"), "limit", INT64_MIN, INT64_MAX, &res->pids_limit, err);
}

static int parse_weight_device(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_weight_device *w = elem;
        int r = oci_get_int(e, p, "major", true, INT64_MIN, INT64_MAX, &w->major, err);

        if (r >= 0)
                r = oci_get_int(e, p, "minor", true, INT64_MIN, INT64_MAX, &w->minor, err);
        if (r >= 0)
                r = oci_get_opt_uint(e, p, "weight", UINT16_MAX, &w->weight, err);
        if (r >= 0)
                r = oci_get_opt_uint(e, p, "leafWeight", UINT16_MAX, &w->leaf_weight, err);
        return r;
}

static int parse_throttle_device(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_throttle_device *t = elem;
        int r = oci_get_int(e, p, "major", true, INT64_MIN, INT64_MAX, &t->major, err);

        if (r >= 0)
                r = oci_get_int(e, p, "minor", true, INT64_MIN, INT64_MAX, &t->minor, err);
        if (r >= 0)
                r = oci_get_uint(e, p, "rate", true, UINT64_MAX, &t->rate, err);
        return r;
}

static const char *const throttle_keys[4] = {
        [OCI_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
        [OCI_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
        [OCI_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
        [OCI_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

static int parse_blockio(json_t *j, const oci_jp *up, oci_resources *res, berth_error **err)
{
        json_t *o = NULL;
        const oci_jp *p = JP_KEY(up, "blockIO");
        oci_blockio *b;
        int r = oci_get_object(j, up, "blockIO", false, &o, err);

        if (r < 0 || !o)
                return r;
        b = res->block_io = xcalloc(1, sizeof(*b));
        r = oci_get_opt_uint(o, p, "weight", UINT16_MAX, &b->weight, err);
        if (r >= 0)
                r = oci_get_opt_uint(o, p, "leafWeight", UINT16_MAX, &b->leaf_weight, err);
        if (r >= 0)
                r = oci_get_object_array(o, p, "weightDevice", sizeof(oci_weight_device),
                                         parse_weight_device, oci_free_nothing, NULL,
                                         (void **)&b->weight_devices, &b->n_weight_devices, err);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = oci_get_object_array(o, p, throttle_keys[i], sizeof(oci_throttle_device),
                                         parse_throttle_device, oci_free_nothing, NULL,
                                         (void **)&b->throttle[i], &b->n_throttle[i], err);
        return r;
}

static int parse_hugepage_limit(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_hugepage_limit *h = elem;
        int r = oci_get_string(e, p, "pageSize", true, &h->page_size, err);

        if (r >= 0)
                r = oci_get_uint(e, p, "limit", true, UINT64_MAX, &h->limit, err);
        return r;
}

static void free_hugepage_limit(void *elem)
{
        free(((oci_hugepage_limit *)elem)->page_size);
}

static int resources_parse(json_t *j, const oci_jp *p, oci_resources *res, berth_error **err)
{
        int r = oci_get_object_array(j, p, "devices", sizeof(oci_device_cgroup), parse_device_cgroup,
                                     free_device_cgroup, NULL, (void **)&res->devices, &res->n_devices, err);

        if (r >= 0)
                r = parse_memory(j, p, res, err);
        if (r >= 0)
                r = parse_cpu(j, p, res, err);
        if (r >= 0)
                r = parse_pids(j, p, res, err);
        if (r >= 0)
                r = parse_blockio(j, p, res, err);
        if (r >= 0)
                r = oci_get_object_array(j, p, "hugepageLimits", sizeof(oci_hugepage_limit),
                                         parse_hugepage_limit, free_hugepage_limit, NULL,
                                         (void **)&res->hugepage_limits, &res->n_hugepage_limits, err);
        if (r >= 0)
                r = oci_get_kept_object(j, p, "network", &res->network, err);
        if (r >= 0)
                r = oci_get_kept_object(j, p, "rdma", &res->rdma, err);
        if (r >= 0)
                r = oci_get_string_map(j, p, "unified", &res->unified, err);
        return r;
}

static void oci_resources_freep(oci_resources **r)
{
        oci_resources_free(*r);
}

static int resources_from_json(json_t *j, const oci_jp *p, oci_resources **ret, berth_error **err)
{
        _cleanup_(oci_resources_freep) oci_resources *res = NULL;
        int r;

        if (!json_is_object(j))
                return oci_jp_type_error(err, p, "object", j);
        res = xcalloc(1, sizeof(*res));
        r = resources_parse(j, p, res, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(res);
        return 0;
}

int oci_resources_from_json(json_t *j, const char *path, oci_resources **ret, berth_error **err)
{
        return resources_from_json(j, JP_KEY(NULL, strempty(path)), ret, err);
}

/* ---- seccomp ---- */

static int check_name(const char *const *valid, size_t n, const char *s, const oci_jp *p, const char *what,
                      berth_error **err)
{
        for (size_t i = 0; i < n; i++)
                if (streq(valid[i], s))
                        return 0;
        return oci_jp_error(err, p, "unknown %s \"%s\"", what, s);
}

static int get_seccomp_action(json_t *o, const oci_jp *p, const char *key, char **ret, berth_error **err)
{
        static const char *const actions[] = {
                "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
        };
        int r = oci_get_string(o, p, key, true, ret, err);

        if (r < 0)
                return r;
        return check_name(actions, ELEMENTSOF(actions), *ret, JP_KEY(p, key), "seccomp action", err);
}

static int parse_seccomp_arg(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        static const char *const ops[] = {
                "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
                "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
        };
        oci_seccomp_arg *a = elem;
        uint64_t index = 0;
        int r = oci_get_uint(e, p, "index", true, 5, &index, err);

        if (r >= 0)
                r = oci_get_uint(e, p, "value", true, UINT64_MAX, &a->value, err);
        if (r >= 0)
                r = oci_get_uint(e, p, "valueTwo", false, UINT64_MAX, &a->value_two, err);
        if (r >= 0)
                r = oci_get_string(e, p, "op", true, &a->op, err);
        if (r >= 0)
                r = check_name(ops, ELEMENTSOF(ops), a->op, JP_KEY(p, "op"), "seccomp operator", err);
        a->index = (unsigned)index;
        return r;
}

static void free_seccomp_arg(void *elem)
{
        free(((oci_seccomp_arg *)elem)->op);
}

static int parse_seccomp_syscall(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_seccomp_syscall *s = elem;
        int r = oci_get_strv(e, p, "names", true, &s->names, err);

        if (r >= 0 && !s->names[0])
                return oci_jp_error(err, JP_KEY(p, "names"), "must not be empty");
        if (r >= 0)
                r = get_seccomp_action(e, p, "action", &s->action, err);
        if (r >= 0)
                r = oci_get_opt_uint(e, p, "errnoRet", UINT32_MAX, &s->errno_ret, err);
        if (r >= 0)
                r = oci_get_object_array(e, p, "args", sizeof(oci_seccomp_arg), parse_seccomp_arg,
                                         free_seccomp_arg, NULL, (void **)&s->args, &s->n_args, err);
        return r;
}

static void free_seccomp_syscall(void *elem)
{
        oci_seccomp_syscall *s = elem;

        strv_free(s->names);
        free(s->action);
        for (size_t i = 0; i < s->n_args; i++)
                free_seccomp_arg(&s->args[i]);
        free(s->args);
}

static void seccomp_free(oci_seccomp *s)
{
        if (!s)
                return;
        free(s->default_action);
        strv_free(s->architectures);
        strv_free(s->flags);
        free(s->listener_path);
        free(s->listener_metadata);
        for (size_t i = 0; i < s->n_syscalls; i++)
                free_seccomp_syscall(&s->syscalls[i]);
        free(s->syscalls);
        free(s);
}

static int parse_seccomp(json_t *j, const oci_jp *up, oci_linux *l, berth_error **err)
{
        json_t *o = NULL;
        const oci_jp *p = JP_KEY(up, "seccomp");
        oci_seccomp *s;
        int r = oci_get_object(j, up, "seccomp", false, &o, err);

        if (r < 0 || !o)
                return r;
        s = l->seccomp = xcalloc(1, sizeof(*s));
        r = get_seccomp_action(o, p, "defaultAction", &s->default_action, err);
        if (r >= 0)
                r = oci_get_opt_uint(o, p, "defaultErrnoRet", UINT32_MAX, &s->default_errno_ret, err);
        if (r >= 0)
                r = oci_get_strv(o, p, "architectures", false, &s->architectures, err);
        if (r >= 0)
                r = oci_get_strv(o, p, "flags", false, &s->flags, err);
        if (r >= 0)
                r = oci_get_string(o, p, "listenerPath", false, &s->listener_path, err);
        if (r >= 0)
                r = oci_get_string(o, p, "listenerMetadata", false, &s->listener_metadata, err);
        if (r >= 0)
                r = oci_get_object_array(o, p, "syscalls", sizeof(oci_seccomp_syscall),
                                         parse_seccomp_syscall, free_seccomp_syscall, NULL,
                                         (void **)&s->syscalls, &s->n_syscalls, err);
        return r;
}

/* ---- linux ---- */

static int parse_linux_ids(json_t *j, const oci_jp *p, oci_linux *l, berth_error **err)
{
        unsigned seen = 0;
        int r = oci_get_object_array(j, p, "namespaces", sizeof(oci_namespace), parse_namespace,
                                     free_namespace, &seen, (void **)&l->namespaces, &l->n_namespaces, err);

        if (r >= 0)
                r = oci_get_object_array(j, p, "uidMappings", sizeof(oci_id_mapping), oci_parse_id_mapping,
                                         oci_free_nothing, NULL, (void **)&l->uid_mappings,
                                         &l->n_uid_mappings, err);
        if (r >= 0)
                r = oci_get_object_array(j, p, "gidMappings", sizeof(oci_id_mapping), oci_parse_id_mapping,
                                         oci_free_nothing, NULL, (void **)&l->gid_mappings,
                                         &l->n_gid_mappings, err);
        if (r >= 0)
                r = parse_time_offsets(j, p, l, err);
        return r;
}

static int linux_parse(json_t *j, const oci_jp *p, oci_linux *l, berth_error **err)
{
        json_t *o = NULL;
        int r = parse_linux_ids(j, p, l, err);

        if (r >= 0)
                r = oci_get_object_array(j, p, "devices", sizeof(oci_device), parse_device, free_device,
                                         NULL, (void **)&l->devices, &l->n_devices, err);
        if (r >= 0)
                r = oci_get_string(j, p, "cgroupsPath", false, &l->cgroups_path, err);
        if (r >= 0)
                r = oci_get_object(j, p, "resources", false, &o, err);
        if (r >= 0 && o)
                r = resources_from_json(o, JP_KEY(p, "resources"), &l->resources, err);
        if (r >= 0)
                r = parse_rootfs_propagation(j, p, l, err);
        if (r >= 0)
                r = parse_seccomp(j, p, l, err);
        if (r >= 0)
                r = oci_get_string_map(j, p, "sysctl", &l->sysctl, err);
        if (r >= 0)
                r = oci_get_strv(j, p, "maskedPaths", false, &l->masked_paths, err);
        if (r >= 0)
                r = oci_get_strv(j, p, "readonlyPaths", false, &l->readonly_paths, err);
        if (r >= 0)
                r = oci_get_string(j, p, "mountLabel", false, &l->mount_label, err);
        if (r >= 0)
                r = oci_get_kept_object(j, p, "intelRdt", &l->intel_rdt, err);
        if (r >= 0)
                r = oci_get_kept_object(j, p, "personality", &l->personality, err);
        return r;
}

static void oci_linux_freep(oci_linux **l)
{
        oci_linux_free(*l);
}

int oci_linux_from_json(json_t *j, const oci_jp *p, oci_linux **ret, berth_error **err)
{
        _cleanup_(oci_linux_freep) oci_linux *l = xcalloc(1, sizeof(*l));
        int r = linux_parse(j, p, l, err);

        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* ---- free ---- */

void oci_resources_free(oci_resources *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_devices; i++)
                free_device_cgroup(&r->devices[i]);
        free(r->devices);
        free(r->memory);
        if (r->cpu) {
                free(r->cpu->cpus);
                free(r->cpu->mems);
                free(r->cpu);
        }
        if (r->block_io) {
                free(r->block_io->weight_devices);
                for (int i = 0; i < 4; i++)
                        free(r->block_io->throttle[i]);
                free(r->block_io);
        }
        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                free_hugepage_limit(&r->hugepage_limits[i]);
        free(r->hugepage_limits);
        json_decref(r->network);
        json_decref(r->rdma);
        json_decref(r->unified);
        free(r);
}

void oci_linux_free(oci_linux *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n_namespaces; i++)
                free_namespace(&l->namespaces[i]);
        free(l->namespaces);
        free(l->uid_mappings);
        free(l->gid_mappings);
        json_decref(l->time_offsets);
        for (size_t i = 0; i < l->n_devices; i++)
                free_device(&l->devices[i]);
        free(l->devices);
        free(l->cgroups_path);
        oci_resources_free(l->resources);
        free(l->rootfs_propagation);
        seccomp_free(l->seccomp);
        json_decref(l->sysctl);
        strv_free(l->masked_paths);
        strv_free(l->readonly_paths);
        free(l->mount_label);
        json_decref(l->intel_rdt);
        json_decref(l->personality);
        free(l);
}
