/*
 * oci_spec back to config.json. Members that were absent stay absent, so that a parsed and
 * rewritten config parses to the same structs; kept JSON parts are deep-copied.
 */
#include "basic/jsonh.h"
#include "spec-internal.h"

static void set_str(json_t *o, const char *key, const char *s)
{
        if (s)
                json_object_set_new(o, key, json_string(s));
}

static void set_strv(json_t *o, const char *key, char *const *l)
{
        if (l)
                json_object_set_new(o, key, jsonh_from_strv(l));
}

static void set_true(json_t *o, const char *key, bool b)
{
        if (b)
                json_object_set_new(o, key, json_true());
}

static void set_int(json_t *o, const char *key, int64_t v)
{
        json_object_set_new(o, key, json_integer(v));
}

static void set_opt_int(json_t *o, const char *key, oci_opt_int v)
{
        if (v.set)
                set_int(o, key, v.value);
}

static void set_opt_uint(json_t *o, const char *key, oci_opt_uint v)
{
        if (v.set)
                json_object_set_new(o, key, jsonh_uint(v.value));
}

static void set_opt_bool(json_t *o, const char *key, oci_opt_bool v)
{
        if (v.set)
                json_object_set_new(o, key, json_boolean(v.value));
}

static void set_kept(json_t *o, const char *key, const json_t *v)
{
        if (v)
                json_object_set_new(o, key, json_deep_copy(v));
}

/* Set a (non-empty) array member built by the caller. */
static void set_array(json_t *o, const char *key, json_t *a)
{
        if (json_array_size(a) > 0)
                json_object_set_new(o, key, a);
        else
                json_decref(a);
}

static json_t *id_mappings_to_json(const oci_id_mapping *m, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "containerID",
                                                   (json_int_t)m[i].container_id, "hostID",
                                                   (json_int_t)m[i].host_id, "size", (json_int_t)m[i].size));
        return a;
}

/* ---- process ---- */

static json_t *user_to_json(const oci_user *u)
{
        json_t *o = json_pack("{s:I, s:I}", "uid", (json_int_t)u->uid, "gid", (json_int_t)u->gid);

        set_opt_uint(o, "umask", u->umask);
        if (u->additional_gids) {
                json_t *a = json_array();
                for (size_t i = 0; i < u->n_additional_gids; i++)
                        json_array_append_new(a, json_integer(u->additional_gids[i]));
                json_object_set_new(o, "additionalGids", a);
        }
        set_str(o, "username", u->username);
        return o;
}

static json_t *capabilities_to_json(const oci_capabilities *c)
{
        json_t *o = json_object();

        set_strv(o, "bounding", c->bounding);
        set_strv(o, "effective", c->effective);
        set_strv(o, "inheritable", c->inheritable);
        set_strv(o, "permitted", c->permitted);
        set_strv(o, "ambient", c->ambient);
        return o;
}

static json_t *rlimits_to_json(const oci_rlimit *rl, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();

                set_str(o, "type", rl[i].type);
                json_object_set_new(o, "hard", jsonh_uint(rl[i].hard));
                json_object_set_new(o, "soft", jsonh_uint(rl[i].soft));
                json_array_append_new(a, o);
        }
        return a;
}

json_t *oci_process_to_json(const oci_process *p)
{
        json_t *o = json_object();

        set_true(o, "terminal", p->terminal);
        if (p->console_size)
                json_object_set_new(o, "consoleSize",
                                    json_pack("{s:I, s:I}", "height", (json_int_t)p->console_size->height,
                                              "width", (json_int_t)p->console_size->width));
        json_object_set_new(o, "user", user_to_json(&p->user));
        set_strv(o, "args", p->args);
        set_str(o, "commandLine", p->command_line);
        set_strv(o, "env", p->env);
        set_str(o, "cwd", p->cwd);
        if (p->capabilities)
                json_object_set_new(o, "capabilities", capabilities_to_json(p->capabilities));
        set_array(o, "rlimits", rlimits_to_json(p->rlimits, p->n_rlimits));
        set_true(o, "noNewPrivileges", p->no_new_privileges);
        set_str(o, "apparmorProfile", p->apparmor_profile);
        set_opt_int(o, "oomScoreAdj", p->oom_score_adj);
        set_str(o, "selinuxLabel", p->selinux_label);
        set_kept(o, "scheduler", p->scheduler);
        set_kept(o, "ioPriority", p->io_priority);
        set_kept(o, "execCPUAffinity", p->exec_cpu_affinity);
        return o;
}

/* ---- mounts and hooks ---- */

static json_t *mount_to_json(const oci_mount *m)
{
        json_t *o = json_object();

        set_str(o, "destination", m->destination);
        set_str(o, "type", m->type);
        set_str(o, "source", m->source);
        set_strv(o, "options", m->options);
        set_array(o, "uidMappings", id_mappings_to_json(m->uid_mappings, m->n_uid_mappings));
        set_array(o, "gidMappings", id_mappings_to_json(m->gid_mappings, m->n_gid_mappings));
        return o;
}

static json_t *hooks_to_json(const oci_spec *s)
{
        json_t *o = json_object();

        for (int k = 0; k < OCI_HOOK__MAX; k++) {
                json_t *a = json_array();

                for (size_t i = 0; i < s->hooks[k].n; i++) {
                        const oci_hook *h = &s->hooks[k].hooks[i];
                        json_t *ho = json_object();

                        set_str(ho, "path", h->path);
                        set_strv(ho, "args", h->args);
                        set_strv(ho, "env", h->env);
                        set_opt_int(ho, "timeout", h->timeout);
                        json_array_append_new(a, ho);
                }
                set_array(o, oci_hook_kind_name(k), a);
        }
        return o;
}

/* ---- linux.resources ---- */

static json_t *device_cgroups_to_json(const oci_device_cgroup *d, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                char type[2] = {d[i].type ? d[i].type : 'a', 0};

                json_object_set_new(o, "allow", json_boolean(d[i].allow));
                set_str(o, "type", type);
                set_opt_int(o, "major", d[i].major);
                set_opt_int(o, "minor", d[i].minor);
                set_str(o, "access", d[i].access);
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *memory_to_json(const oci_memory *m)
{
        json_t *o = json_object();

        set_opt_int(o, "limit", m->limit);
        set_opt_int(o, "reservation", m->reservation);
        set_opt_int(o, "swap", m->swap);
        set_opt_int(o, "kernel", m->kernel);
        set_opt_int(o, "kernelTCP", m->kernel_tcp);
        set_opt_uint(o, "swappiness", m->swappiness);
        set_opt_bool(o, "disableOOMKiller", m->disable_oom_killer);
        set_opt_bool(o, "useHierarchy", m->use_hierarchy);
        set_opt_bool(o, "checkBeforeUpdate", m->check_before_update);
        return o;
}

static json_t *cpu_to_json(const oci_cpu *c)
{
        json_t *o = json_object();

        set_opt_uint(o, "shares", c->shares);
        set_opt_int(o, "quota", c->quota);
        set_opt_uint(o, "burst", c->burst);
        set_opt_uint(o, "period", c->period);
        set_opt_int(o, "realtimeRuntime", c->realtime_runtime);
        set_opt_uint(o, "realtimePeriod", c->realtime_period);
        set_str(o, "cpus", c->cpus);
        set_str(o, "mems", c->mems);
        set_opt_int(o, "idle", c->idle);
        return o;
}

static json_t *blockio_to_json(const oci_blockio *b)
{
        static const char *const keys[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                            "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
        json_t *o = json_object(), *a = json_array();

        set_opt_uint(o, "weight", b->weight);
        set_opt_uint(o, "leafWeight", b->leaf_weight);
        for (size_t i = 0; i < b->n_weight_devices; i++) {
                const oci_weight_device *w = &b->weight_devices[i];
                json_t *wo = json_pack("{s:I, s:I}", "major", (json_int_t)w->major, "minor",
                                       (json_int_t)w->minor);

                set_opt_uint(wo, "weight", w->weight);
                set_opt_uint(wo, "leafWeight", w->leaf_weight);
                json_array_append_new(a, wo);
        }
        set_array(o, "weightDevice", a);
        for (int k = 0; k < 4; k++) {
                a = json_array();
                for (size_t i = 0; i < b->n_throttle[k]; i++) {
                        const oci_throttle_device *t = &b->throttle[k][i];
                        json_array_append_new(a, json_pack("{s:I, s:I, s:o}", "major", (json_int_t)t->major,
                                                           "minor", (json_int_t)t->minor, "rate",
                                                           jsonh_uint(t->rate)));
                }
                set_array(o, keys[k], a);
        }
        return o;
}

static json_t *resources_to_json(const oci_resources *r)
{
        json_t *o = json_object(), *a = json_array();

        set_array(o, "devices", device_cgroups_to_json(r->devices, r->n_devices));
        if (r->memory)
                json_object_set_new(o, "memory", memory_to_json(r->memory));
        if (r->cpu)
                json_object_set_new(o, "cpu", cpu_to_json(r->cpu));
        if (r->pids_limit.set)
                json_object_set_new(o, "pids", json_pack("{s:I}", "limit", (json_int_t)r->pids_limit.value));
        if (r->block_io)
                json_object_set_new(o, "blockIO", blockio_to_json(r->block_io));
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                json_t *h = json_object();

                set_str(h, "pageSize", r->hugepage_limits[i].page_size);
                json_object_set_new(h, "limit", jsonh_uint(r->hugepage_limits[i].limit));
                json_array_append_new(a, h);
        }
        set_array(o, "hugepageLimits", a);
        set_kept(o, "network", r->network);
        set_kept(o, "rdma", r->rdma);
        set_kept(o, "unified", r->unified);
        return o;
}

/* ---- linux ---- */

static json_t *seccomp_arg_to_json(const oci_seccomp_arg *a)
{
        json_t *o = json_object();

        set_int(o, "index", a->index);
        json_object_set_new(o, "value", jsonh_uint(a->value));
        json_object_set_new(o, "valueTwo", jsonh_uint(a->value_two));
        set_str(o, "op", a->op);
        return o;
}

static json_t *seccomp_to_json(const oci_seccomp *s)
{
        json_t *o = json_object(), *a = json_array();

        set_str(o, "defaultAction", s->default_action);
        set_opt_uint(o, "defaultErrnoRet", s->default_errno_ret);
        set_strv(o, "architectures", s->architectures);
        set_strv(o, "flags", s->flags);
        set_str(o, "listenerPath", s->listener_path);
        set_str(o, "listenerMetadata", s->listener_metadata);
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const oci_seccomp_syscall *sc = &s->syscalls[i];
                json_t *so = json_object(), *args = json_array();

                set_strv(so, "names", sc->names);
                set_str(so, "action", sc->action);
                set_opt_uint(so, "errnoRet", sc->errno_ret);
                for (size_t k = 0; k < sc->n_args; k++)
                        json_array_append_new(args, seccomp_arg_to_json(&sc->args[k]));
                set_array(so, "args", args);
                json_array_append_new(a, so);
        }
        set_array(o, "syscalls", a);
        return o;
}

static json_t *namespaces_to_json(const oci_namespace *ns, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();

                set_str(o, "type", oci_ns_type_name(ns[i].type));

                set_str(o, "path", ns[i].path);
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *devices_to_json(const oci_device *d, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                char type[2] = {d[i].type, 0};
                json_t *o = json_object();

                set_str(o, "path", d[i].path);
                set_str(o, "type", type);

                if (d[i].type != 'p' || d[i].major || d[i].minor) {
                        set_int(o, "major", d[i].major);
                        set_int(o, "minor", d[i].minor);
                }
                set_opt_uint(o, "fileMode", d[i].file_mode);
                set_opt_uint(o, "uid", d[i].uid);
                set_opt_uint(o, "gid", d[i].gid);
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *linux_to_json(const oci_linux *l)
{
        json_t *o = json_object();

        set_array(o, "namespaces", namespaces_to_json(l->namespaces, l->n_namespaces));
        set_array(o, "uidMappings", id_mappings_to_json(l->uid_mappings, l->n_uid_mappings));
        set_array(o, "gidMappings", id_mappings_to_json(l->gid_mappings, l->n_gid_mappings));
        set_kept(o, "timeOffsets", l->time_offsets);
        set_array(o, "devices", devices_to_json(l->devices, l->n_devices));
        set_str(o, "cgroupsPath", l->cgroups_path);
        if (l->resources)
                json_object_set_new(o, "resources", resources_to_json(l->resources));
        set_str(o, "rootfsPropagation", l->rootfs_propagation);
        if (l->seccomp)
                json_object_set_new(o, "seccomp", seccomp_to_json(l->seccomp));
        set_kept(o, "sysctl", l->sysctl);
        set_strv(o, "maskedPaths", l->masked_paths);
        set_strv(o, "readonlyPaths", l->readonly_paths);
        set_str(o, "mountLabel", l->mount_label);
        set_kept(o, "intelRdt", l->intel_rdt);
        set_kept(o, "personality", l->personality);
        return o;
}

json_t *oci_spec_to_json(const oci_spec *s)
{
        json_t *o = json_object(), *a = json_array();

        set_str(o, "ociVersion", s->oci_version);
        if (s->process)
                json_object_set_new(o, "process", oci_process_to_json(s->process));
        if (s->root) {
                json_t *r = json_object();

                set_str(r, "path", s->root->path);
                set_true(r, "readonly", s->root->readonly);
                json_object_set_new(o, "root", r);
        }
        set_str(o, "hostname", s->hostname);
        set_str(o, "domainname", s->domainname);
        for (size_t i = 0; i < s->n_mounts; i++)
                json_array_append_new(a, mount_to_json(&s->mounts[i]));
        set_array(o, "mounts", a);
        if (s->has_hooks)
                json_object_set_new(o, "hooks", hooks_to_json(s));
        set_kept(o, "annotations", s->annotations);
        if (s->linux_)
                json_object_set_new(o, "linux", linux_to_json(s->linux_));
        return o;
}
