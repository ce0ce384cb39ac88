/*
 * config.json to oci_spec: the top level, process, root, mounts and hooks (linux is in
 * spec-linux.c). Strict about types and the spec's MUSTs, silent about unknown properties.
 */
#include <string.h>
#include <sys/resource.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "spec-internal.h"

static const char *const ns_names[OCI_NS__MAX] = {
        [OCI_NS_PID] = "pid",       [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
        [OCI_NS_IPC] = "ipc",       [OCI_NS_UTS] = "uts",         [OCI_NS_USER] = "user",
        [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

const char *oci_ns_type_name(enum oci_ns_type t)
{
        if ((unsigned)t >= OCI_NS__MAX)
                return NULL;
        return ns_names[t];
}

int oci_ns_type_from_name(const char *name)
{
        for (int i = 0; name && i < OCI_NS__MAX; i++)
                if (streq(ns_names[i], name))
                        return i;
        return -1;
}

static const char *const hook_names[OCI_HOOK__MAX] = {
        [OCI_HOOK_PRESTART] = "prestart",
        [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
        [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
        [OCI_HOOK_START_CONTAINER] = "startContainer",
        [OCI_HOOK_POSTSTART] = "poststart",
        [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_name(enum oci_hook_kind k)
{
        if ((unsigned)k >= OCI_HOOK__MAX)
                return NULL;
        return hook_names[k];
}

static const struct {
        const char *name;
        int resource;
} rlimits[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

int oci_rlimit_from_name(const char *name)
{
        for (size_t i = 0; name && i < ELEMENTSOF(rlimits); i++)
                if (streq(rlimits[i].name, name))
                        return rlimits[i].resource;
        return -1;
}

/* ---- process ---- */

static int parse_console_size(json_t *o, const oci_jp *up, oci_process *p, berth_error **err)
{
        json_t *c = NULL;
        const oci_jp *cp = JP_KEY(up, "consoleSize");
        int64_t h = 0, w = 0;
        int r = oci_get_object(o, up, "consoleSize", false, &c, err);

        if (r < 0 || !c)
                return r;
        r = oci_get_int(c, cp, "height", true, 0, UINT32_MAX, &h, err);
        if (r >= 0)
                r = oci_get_int(c, cp, "width", true, 0, UINT32_MAX, &w, err);
        if (r < 0)
                return r;
        p->console_size = xmalloc(sizeof(*p->console_size));
        *p->console_size = (oci_console_size){.height = (unsigned)h, .width = (unsigned)w};
        return 0;
}

static int parse_additional_gids(json_t *u, const oci_jp *up, oci_user *user, berth_error **err)
{
        json_t *a, *e;
        size_t i;
        int r = oci_member(u, up, "additionalGids", false, &a, err);

        if (r < 0 || !a)
                return r;
        if (!json_is_array(a))
                return oci_jp_type_error(err, JP_KEY(up, "additionalGids"), "array", a);
        json_array_foreach (a, i, e) {
                json_int_t g = json_integer_value(e);
                const oci_jp *p = JP_IDX(JP_KEY(up, "additionalGids"), i);

                if (!json_is_integer(e))
                        return oci_jp_type_error(err, p, "integer", e);
                if (g < 0 || g > UINT32_MAX)
                        return oci_jp_error(err, p, "%lld is out of range [0, %u]", (long long)g,
                                            UINT32_MAX);
        }
        user->n_additional_gids = json_array_size(a);
        user->additional_gids = xmalloc(user->n_additional_gids * sizeof(uint32_t));
        json_array_foreach (a, i, e)
                user->additional_gids[i] = (uint32_t)json_integer_value(e);
        return 0;
}

static int parse_user(json_t *o, const oci_jp *up, oci_user *user, berth_error **err)
{
        json_t *u = NULL;
        const oci_jp *p = JP_KEY(up, "user");
        int r = oci_get_object(o, up, "user", false, &u, err);

        if (r < 0 || !u)
                return r;
        r = oci_get_u32(u, p, "uid", true, &user->uid, err);
        if (r >= 0)
                r = oci_get_u32(u, p, "gid", true, &user->gid, err);
        if (r >= 0)
                r = oci_get_opt_uint(u, p, "umask", UINT32_MAX, &user->umask, err);
        if (r >= 0)
                r = parse_additional_gids(u, p, user, err);
        if (r >= 0)
                r = oci_get_string(u, p, "username", false, &user->username, err);
        return r;
}

static int parse_args_env_cwd(json_t *o, const oci_jp *up, oci_process *p, berth_error **err)
{
        int r = oci_get_strv(o, up, "args", true, &p->args, err);

        if (r < 0)
                return r;
        if (!p->args[0])
                return oci_jp_error(err, JP_KEY(up, "args"), "must not be empty");
        r = oci_get_strv(o, up, "env", false, &p->env, err);
        if (r < 0)
                return r;
        for (size_t i = 0; p->env && p->env[i]; i++) {
                const char *eq = strchr(p->env[i], '=');
                if (!eq || eq == p->env[i])
                        return oci_jp_error(err, JP_IDX(JP_KEY(up, "env"), i),
                                            "\"%s\" is not of the form KEY=value", p->env[i]);
        }
        r = oci_get_string(o, up, "cwd", true, &p->cwd, err);
        if (r < 0)
                return r;
        if (p->cwd[0] != '/')
                return oci_jp_error(err, JP_KEY(up, "cwd"), "\"%s\" is not an absolute path", p->cwd);
        return 0;
}

static int parse_capabilities(json_t *o, const oci_jp *up, oci_process *p, berth_error **err)
{
        json_t *c = NULL;
        const oci_jp *cp = JP_KEY(up, "capabilities");
        oci_capabilities *caps;
        int r = oci_get_object(o, up, "capabilities", false, &c, err);

        if (r < 0 || !c)
                return r;
        caps = p->capabilities = xcalloc(1, sizeof(*caps));
        r = oci_get_strv(c, cp, "bounding", false, &caps->bounding, err);
        if (r >= 0)
                r = oci_get_strv(c, cp, "effective", false, &caps->effective, err);
        if (r >= 0)
                r = oci_get_strv(c, cp, "inheritable", false, &caps->inheritable, err);
        if (r >= 0)
                r = oci_get_strv(c, cp, "permitted", false, &caps->permitted, err);
        if (r >= 0)
                r = oci_get_strv(c, cp, "ambient", false, &caps->ambient, err);
        return r;
}

static int parse_rlimit(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_rlimit *rl = elem;
        uint32_t *seen = userdata;
        int r = oci_get_string(e, p, "type", true, &rl->type, err);

        if (r < 0)
                return r;
        rl->resource = oci_rlimit_from_name(rl->type);
        if (rl->resource < 0)
                return oci_jp_error(err, JP_KEY(p, "type"), "unknown rlimit \"%s\"", rl->type);
        if (*seen & (UINT32_C(1) << rl->resource))
                return oci_jp_error(err, JP_KEY(p, "type"), "duplicate rlimit \"%s\"", rl->type);
        *seen |= UINT32_C(1) << rl->resource;
        r = oci_get_uint(e, p, "soft", true, UINT64_MAX, &rl->soft, err);
        if (r >= 0)
                r = oci_get_uint(e, p, "hard", true, UINT64_MAX, &rl->hard, err);
        return r;
}

static void free_rlimit(void *elem)
{
        free(((oci_rlimit *)elem)->type);
}

/* scheduler, ioPriority, execCPUAffinity (1.2): kept as JSON after a check of their shape. */
static int parse_kept_process_parts(json_t *o, const oci_jp *up, oci_process *p, berth_error **err)
{
        _cleanup_free_ char *policy = NULL, *class = NULL, *initial = NULL, *final = NULL;
        int r = oci_get_kept_object(o, up, "scheduler", &p->scheduler, err);

        if (r >= 0 && p->scheduler)
                r = oci_get_string(p->scheduler, JP_KEY(up, "scheduler"), "policy", true, &policy, err);
        if (r >= 0)
                r = oci_get_kept_object(o, up, "ioPriority", &p->io_priority, err);
        if (r >= 0 && p->io_priority)
                r = oci_get_string(p->io_priority, JP_KEY(up, "ioPriority"), "class", true, &class, err);
        if (r >= 0)
                r = oci_get_kept_object(o, up, "execCPUAffinity", &p->exec_cpu_affinity, err);
        if (r >= 0 && p->exec_cpu_affinity) {
                const oci_jp *ap = JP_KEY(up, "execCPUAffinity");
                r = oci_get_string(p->exec_cpu_affinity, ap, "initial", false, &initial, err);
                if (r >= 0)
                        r = oci_get_string(p->exec_cpu_affinity, ap, "final", false, &final, err);
        }
        return r;
}

static int process_parse(json_t *j, const oci_jp *p, oci_process *proc, berth_error **err)
{
        uint32_t seen = 0;
        int r;

        r = oci_get_bool(j, p, "terminal", &proc->terminal, err);
        if (r >= 0)
                r = parse_console_size(j, p, proc, err);
        if (r >= 0)
                r = parse_user(j, p, &proc->user, err);
        if (r >= 0)
                r = parse_args_env_cwd(j, p, proc, err);
        if (r >= 0)
                r = oci_get_string(j, p, "commandLine", false, &proc->command_line, err);
        if (r >= 0)
                r = parse_capabilities(j, p, proc, err);
        if (r >= 0)
                r = oci_get_object_array(j, p, "rlimits", sizeof(oci_rlimit), parse_rlimit, free_rlimit,
                                         &seen, (void **)&proc->rlimits, &proc->n_rlimits, err);
        if (r >= 0)
                r = oci_get_bool(j, p, "noNewPrivileges", &proc->no_new_privileges, err);
        if (r >= 0)
                r = oci_get_string(j, p, "apparmorProfile", false, &proc->apparmor_profile, err);
        if (r >= 0)
                r = oci_get_opt_int(j, p, "oomScoreAdj", -1000, 1000, &proc->oom_score_adj, err);
        if (r >= 0)
                r = oci_get_string(j, p, "selinuxLabel", false, &proc->selinux_label, err);
        if (r >= 0)
                r = parse_kept_process_parts(j, p, proc, err);
        return r;
}

static void oci_process_freep(oci_process **p)
{
        oci_process_free(*p);
}

static int process_from_json(json_t *j, const oci_jp *p, oci_process **ret, berth_error **err)
{
        _cleanup_(oci_process_freep) oci_process *proc = NULL;
        int r;

        if (!json_is_object(j))
                return oci_jp_type_error(err, p, "object", j);
        proc = xcalloc(1, sizeof(*proc));
        r = process_parse(j, p, proc, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(proc);
        return 0;
}

int oci_process_from_json(json_t *j, const char *path, oci_process **ret, berth_error **err)
{
        return process_from_json(j, JP_KEY(NULL, strempty(path)), ret, err);
}

/* ---- root, mounts, hooks ---- */

static int parse_root(json_t *j, const oci_jp *up, oci_spec *s, berth_error **err)
{
        json_t *o = NULL;
        const oci_jp *p = JP_KEY(up, "root");
        int r = oci_get_object(j, up, "root", false, &o, err);

        if (r < 0 || !o)
                return r;
        s->root = xcalloc(1, sizeof(*s->root));
        r = oci_get_string(o, p, "path", true, &s->root->path, err);
        if (r >= 0)
                r = oci_get_bool(o, p, "readonly", &s->root->readonly, err);
        return r;
}

static int parse_mount(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_mount *m = elem;
        int r = oci_get_string(e, p, "destination", true, &m->destination, err);

        if (r >= 0 && !*m->destination)
                return oci_jp_error(err, JP_KEY(p, "destination"), "must not be empty");
        if (r >= 0)
                r = oci_get_string(e, p, "type", false, &m->type, err);
        if (r >= 0)
                r = oci_get_string(e, p, "source", false, &m->source, err);
        if (r >= 0)
                r = oci_get_strv(e, p, "options", false, &m->options, err);
        if (r >= 0)
                r = oci_get_object_array(e, p, "uidMappings", sizeof(oci_id_mapping), oci_parse_id_mapping,
                                         oci_free_nothing, NULL, (void **)&m->uid_mappings,
                                         &m->n_uid_mappings, err);
        if (r >= 0)
                r = oci_get_object_array(e, p, "gidMappings", sizeof(oci_id_mapping), oci_parse_id_mapping,
                                         oci_free_nothing, NULL, (void **)&m->gid_mappings,
                                         &m->n_gid_mappings, err);
        return r;
}

static void free_mount(void *elem)
{
        oci_mount *m = elem;

        free(m->destination);
        free(m->type);
        free(m->source);
        strv_free(m->options);
        free(m->uid_mappings);
        free(m->gid_mappings);
}

static int parse_hook(json_t *e, const oci_jp *p, void *elem, void *userdata, berth_error **err)
{
        oci_hook *h = elem;
        int r = oci_get_string(e, p, "path", true, &h->path, err);

        if (r < 0)
                return r;
        if (h->path[0] != '/')
                return oci_jp_error(err, JP_KEY(p, "path"), "\"%s\" is not an absolute path", h->path);
        r = oci_get_strv(e, p, "args", false, &h->args, err);
        if (r >= 0)
                r = oci_get_strv(e, p, "env", false, &h->env, err);
        if (r >= 0)
                r = oci_get_opt_int(e, p, "timeout", INT64_MIN, INT64_MAX, &h->timeout, err);
        if (r < 0)
                return r;
        /* The runtime waits in whole seconds held in an int. */
        if (h->timeout.set && h->timeout.value <= 0)
                return oci_jp_error(err, JP_KEY(p, "timeout"), "must be greater than zero, got %lld",
                                    (long long)h->timeout.value);
        if (h->timeout.set && h->timeout.value > INT32_MAX)
                return oci_jp_error(err, JP_KEY(p, "timeout"), "%lld is out of range [1, %d]",
                                    (long long)h->timeout.value, INT32_MAX);
        return 0;
}

static void free_hook(void *elem)
{
        oci_hook *h = elem;

        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
}

static int parse_hooks(json_t *j, const oci_jp *up, oci_spec *s, berth_error **err)
{
        json_t *o = NULL;
        int r = oci_get_object(j, up, "hooks", false, &o, err);

        if (r < 0 || !o)
                return r;
        s->has_hooks = true;
        for (int k = 0; k < OCI_HOOK__MAX; k++) {
                oci_hook_list *l = &s->hooks[k];

                r = oci_get_object_array(o, JP_KEY(up, "hooks"), hook_names[k], sizeof(oci_hook), parse_hook,
                                         free_hook, NULL, (void **)&l->hooks, &l->n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- top level ---- */

static int parse_version(json_t *j, oci_spec *s, berth_error **err)
{
        int r = oci_get_string(j, NULL, "ociVersion", true, &s->oci_version, err);

        if (r < 0)
                return r;
        /* Compatible within a major version: any 1.x, as the spec's versioning promises. */
        if (!strneq(s->oci_version, "1.", 2))
                return oci_jp_error(err, JP_KEY(NULL, "ociVersion"), "unsupported version \"%s\"",
                                    s->oci_version);
        return 0;
}

static int spec_parse(json_t *j, oci_spec *s, berth_error **err)
{
        json_t *o = NULL;
        int r = parse_version(j, s, err);

        if (r >= 0)
                r = oci_get_object(j, NULL, "process", false, &o, err);
        if (r >= 0 && o)
                r = process_from_json(o, JP_KEY(NULL, "process"), &s->process, err);
        if (r >= 0)
                r = parse_root(j, NULL, s, err);
        if (r >= 0)
                r = oci_get_string(j, NULL, "hostname", false, &s->hostname, err);
        if (r >= 0)
                r = oci_get_string(j, NULL, "domainname", false, &s->domainname, err);
        if (r >= 0)
                r = oci_get_object_array(j, NULL, "mounts", sizeof(oci_mount), parse_mount, free_mount, NULL,
                                         (void **)&s->mounts, &s->n_mounts, err);
        if (r >= 0)
                r = parse_hooks(j, NULL, s, err);
        if (r >= 0)
                r = oci_get_string_map(j, NULL, "annotations", &s->annotations, err);
        o = NULL;
        if (r >= 0)
                r = oci_get_object(j, NULL, "linux", false, &o, err);
        if (r >= 0 && o)
                r = oci_linux_from_json(o, JP_KEY(NULL, "linux"), &s->linux_, err);
        return r;
}

int oci_spec_from_json(json_t *root, oci_spec **ret, berth_error **err)
{
        _cleanup_oci_spec_ oci_spec *s = NULL;
        int r;

        if (!json_is_object(root))
                return berth_error_set(err, 0, "config.json: expected object, got %s",
                                       jsonh_type_name(root));
        s = xcalloc(1, sizeof(*s));
        r = spec_parse(root, s, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int oci_spec_parse(const char *text, size_t len, oci_spec **ret, berth_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        int r = jsonh_parse_u64(text, len, "config.json", &j, err);

        if (r < 0)
                return r;
        return oci_spec_from_json(j, ret, err);
}

int oci_spec_load(const char *path, oci_spec **ret, berth_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fs_read_file(path, &text, &len, err);

        if (r < 0)
                return r;
        r = jsonh_parse_u64(text, len, path, &j, err);
        if (r < 0)
                return r;
        r = oci_spec_from_json(j, ret, err);
        if (r < 0)
                return berth_error_wrap(err, "%s", path);
        return 0;
}

/* ---- free ---- */

void oci_process_free(oci_process *p)
{
        if (!p)
                return;
        free(p->console_size);
        free(p->user.additional_gids);
        free(p->user.username);
        strv_free(p->args);
        free(p->command_line);
        strv_free(p->env);
        free(p->cwd);
        if (p->capabilities) {
                strv_free(p->capabilities->bounding);
                strv_free(p->capabilities->effective);
                strv_free(p->capabilities->inheritable);
                strv_free(p->capabilities->permitted);
                strv_free(p->capabilities->ambient);
                free(p->capabilities);
        }
        for (size_t i = 0; i < p->n_rlimits; i++)
                free_rlimit(&p->rlimits[i]);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(p->selinux_label);
        json_decref(p->scheduler);
        json_decref(p->io_priority);
        json_decref(p->exec_cpu_affinity);
        free(p);
}

void oci_spec_free(oci_spec *s)
{
        if (!s)
                return;
        free(s->oci_version);
        oci_process_free(s->process);
        if (s->root) {
                free(s->root->path);
                free(s->root);
        }
        free(s->hostname);
        free(s->domainname);
        for (size_t i = 0; i < s->n_mounts; i++)
                free_mount(&s->mounts[i]);
        free(s->mounts);
        for (int k = 0; k < OCI_HOOK__MAX; k++) {
                for (size_t i = 0; i < s->hooks[k].n; i++)
                        free_hook(&s->hooks[k].hooks[i]);
                free(s->hooks[k].hooks);
        }
        json_decref(s->annotations);
        oci_linux_free(s->linux_);
        free(s);
}
