/* A container's OCI config.json: runc's default spec, the image config (Env, Cmd, Entrypoint,
 * WorkingDir, User), the user's options, and Docker's defaults (capabilities, seccomp profile,
 * masked paths, /etc/hostname, hosts and resolv.conf bind-mounted from the container's folder). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "oci/spec.h"
#include "runtime/caps.h"
#include "runtime/seccomp.h"

static void env_set(json_t *env, const char *kv)
{
        size_t klen = strcspn(kv, "=");
        size_t i;
        json_t *v;

        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);
                if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || s[klen] == 0)) {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

static bool env_has(json_t *env, const char *key)
{
        size_t i, klen = strlen(key);
        json_t *v;

        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);
                if (s && strncmp(s, key, klen) == 0 && s[klen] == '=')
                        return true;
        }
        return false;
}

static int read_in_root(int rootfd, const char *path, char **ret)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, path, O_RDONLY, 0, NULL);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        ssize_t n;

        if (fd < 0)
                return -ENOENT;
        do {
                if (len + 4096 + 1 > cap)
                        buf = xrealloc(buf, cap = cap * 2 + 4096 + 1);
                n = read(fd, buf + len, cap - len - 1);
                if (n > 0)
                        len += (size_t)n;
        } while (n > 0 && len < (1u << 22));
        if (n < 0)
                return -errno;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool all_digits(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

/* Find name (or numeric id) in an /etc/passwd or /etc/group style file of the rootfs: the numeric
 * id (field 2) and, for passwd, the primary gid (field 3). 0 found, -ENOENT not found. */
static int etc_lookup(int rootfd, const char *file, const char *name, long *ret_id, long *ret_gid)
{
        _cleanup_free_ char *buf = NULL;
        if (read_in_root(rootfd, file, &buf) < 0)
                return -ENOENT;
        for (char *line = buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                _cleanup_strv_free_ char **f = strv_split(line, ":");
                if (strv_length(f) < 3)
                        continue;
                bool match = streq(f[0], name) || (all_digits(name) && streq(f[2], name));
                if (!match)
                        continue;
                *ret_id = strtol(f[2], NULL, 10);
                if (ret_gid)
                        *ret_gid = strv_length(f) > 3 ? strtol(f[3], NULL, 10) : *ret_id;
                return 0;
        }
        return -ENOENT;
}

/* Supplementary groups of user name: the groups of /etc/group that list it. */
static void etc_groups(int rootfd, const char *name, json_t *gids)
{
        _cleanup_free_ char *buf = NULL;
        if (read_in_root(rootfd, "/etc/group", &buf) < 0)
                return;
        for (char *line = buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                _cleanup_strv_free_ char **f = strv_split(line, ":");
                if (strv_length(f) < 4)
                        continue;
                _cleanup_strv_free_ char **members = strv_split(f[3], ",");
                if (strv_contains(members, name))
                        json_array_append_new(gids, json_integer(strtol(f[2], NULL, 10)));
        }
}

/* "user", "uid", "user:group", "uid:gid": numeric ids from the container's own files. */
static int resolve_user(const char *rootfs, const char *spec, json_t *user, berth_error **err)
{
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *u = xstrdup(spec && *spec ? spec : "0");
        char *g = strchr(u, ':');
        long uid = 0, gid = 0, pgid = 0;

        if (g)
                *g++ = 0;
        if (rootfd < 0)
                return berth_error_set(err, errno, "open %s", rootfs);
        if (etc_lookup(rootfd, "/etc/passwd", u, &uid, &pgid) < 0) {
                if (!all_digits(u))
                        return berth_error_set(
                                err, 0, "unable to find user %s: no matching entries in passwd file", u);
                uid = strtol(u, NULL, 10);
                pgid = 0;
        }
        gid = pgid;
        if (g && etc_lookup(rootfd, "/etc/group", g, &gid, NULL) < 0) {
                if (!all_digits(g))
                        return berth_error_set(
                                err, 0, "unable to find group %s: no matching entries in group file", g);
                gid = strtol(g, NULL, 10);
        }
        json_object_set_new(user, "uid", json_integer(uid));
        json_object_set_new(user, "gid", json_integer(gid));
        json_t *extra = json_array();
        if (!all_digits(u))
                etc_groups(rootfd, u, extra);
        if (json_array_size(extra) > 0)
                json_object_set_new(user, "additionalGids", extra);
        else
                json_decref(extra);
        return 0;
}

static char *cap_name_norm(const char *c)
{
        char *s = strncasecmp(c, "CAP_", 4) == 0 ? xstrdup(c) : xasprintf("CAP_%s", c);
        for (char *p = s; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        return s;
}

static int build_caps(const run_opts *o, char ***ret, berth_error **err)
{
        _cleanup_strv_free_ char **caps = NULL;
        bool all = o->privileged || strv_contains(o->cap_add, "ALL") || strv_contains(o->cap_add, "all");

        if (all) {
                /* every capability berth itself may pass on (its bounding set) */
                for (int i = 0; i <= CAP_LAST_CAP; i++) {
                        if (prctl(PR_CAPBSET_READ, i) != 1)
                                continue;
                        char *n = cap_to_name(i);
                        if (n)
                                strv_consume(&caps, cap_name_norm(n));
                        cap_free(n);
                }
        } else {
                for (size_t i = 0; caps_docker_default[i]; i++)
                        strv_push(&caps, caps_docker_default[i]);
        }
        STRV_FOREACH (c, o->cap_drop) {
                if (strcasecmp(*c, "ALL") == 0) {
                        strv_free(caps);
                        caps = xcalloc(1, sizeof(char *));
                        continue;
                }
                _cleanup_free_ char *n = cap_name_norm(*c);
                if (caps_from_name(n) < 0)
                        return berth_error_set(err, 0, "--cap-drop: unknown capability: %s", *c);
                for (size_t i = 0; caps && caps[i]; i++)
                        if (streq(caps[i], n)) {
                                free(caps[i]);
                                memmove(caps + i, caps + i + 1,
                                        (strv_length(caps + i + 1) + 1) * sizeof(char *));
                                break;
                        }
        }
        STRV_FOREACH (c, o->cap_add) {
                if (strcasecmp(*c, "ALL") == 0)
                        continue;
                _cleanup_free_ char *n = cap_name_norm(*c);
                if (caps_from_name(n) < 0)
                        return berth_error_set(err, 0, "--cap-add: unknown capability: %s", *c);
                if (!strv_contains(caps, n))
                        strv_push(&caps, n);
        }
        if (!caps)
                caps = xcalloc(1, sizeof(char *));
        *ret = TAKE_PTR(caps);
        return 0;
}

static json_t *mount_new(const char *dst, const char *type, const char *src, const char *opts_csv)
{
        json_t *m = json_object();
        _cleanup_strv_free_ char **opts = strv_split(opts_csv, ",");

        json_object_set_new(m, "destination", json_string(dst));
        json_object_set_new(m, "type", json_string(type));
        json_object_set_new(m, "source", json_string(src));
        json_object_set_new(m, "options", jsonh_from_strv(opts));
        return m;
}

/* Drop a default mount at dst (a user's mount replaces it). */
static void mounts_drop(json_t *mounts, const char *dst)
{
        size_t i;
        json_t *m;

        json_array_foreach (mounts, i, m) {
                if (streq(json_string_value(json_object_get(m, "destination")) ?: "", dst)) {
                        json_array_remove(mounts, i);
                        return;
                }
        }
}

static int add_mounts(const ctr_record *c, const run_opts *o, const char *ctr_dir, json_t *mounts,
                      berth_error **err)
{
        static const char *const etc_files[] = {"hostname", "hosts", "resolv.conf"};
        int r;

        if (o->shm_size > 0) {
                _cleanup_free_ char *opt = xasprintf("nosuid,noexec,nodev,mode=1777,size=%lldk",
                                                     (long long)(o->shm_size / 1024));
                mounts_drop(mounts, "/dev/shm");
                json_array_append_new(mounts, mount_new("/dev/shm", "tmpfs", "shm", opt));
        }
        if (o->privileged) {
                size_t i;
                json_t *m;
                json_array_foreach (mounts, i, m) {
                        const char *d = json_string_value(json_object_get(m, "destination"));
                        if (streq(d, "/sys") || streq(d, "/sys/fs/cgroup"))
                                json_object_set_new(
                                        m, "options",
                                        jsonh_from_strv((char *[]){"nosuid", "noexec", "nodev", NULL}));
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
                _cleanup_free_ char *src = xasprintf("%s/%s", ctr_dir, etc_files[i]);
                _cleanup_free_ char *dst = xasprintf("/etc/%s", etc_files[i]);
                json_array_append_new(mounts,
                                      mount_new(dst, "bind", src, o->read_only ? "rbind,ro" : "rbind,rw"));
        }
        STRV_FOREACH (t, o->tmpfs) {
                _cleanup_free_ char *dst = xstrdup(*t);
                char *opt = strchr(dst, ':');
                if (opt)
                        *opt++ = 0;
                if (dst[0] != '/')
                        return berth_error_set(err, 0, "--tmpfs %s: the path must be absolute", *t);
                _cleanup_free_ char *all = xasprintf("nosuid,nodev,noexec%s%s", opt ? "," : "", opt ?: "");
                mounts_drop(mounts, dst);
                json_array_append_new(mounts, mount_new(dst, "tmpfs", "tmpfs", all));
        }
        STRV_FOREACH (v, o->volumes) {
                _cleanup_free_ char *src = NULL, *dst = NULL;
                bool ro;
                r = engine_volume_source(NULL, c->id, *v, &src, &dst, &ro, err);
                if (r < 0)
                        return r;
                mounts_drop(mounts, dst);
                json_array_append_new(mounts, mount_new(dst, "bind", src, ro ? "rbind,ro" : "rbind,rw"));
        }
        return 0;
}

void engine_spec_resources(const run_opts *o, json_t *lx)
{
        json_t *res = json_object_get(lx, "resources");
        json_t *mem = json_object(), *cpu = json_object();

        if (!res) {
                res = json_object();
                json_object_set_new(lx, "resources", res);
        }
        if (o->memory > 0)
                json_object_set_new(mem, "limit", json_integer(o->memory));
        if (o->memory_swap != 0)
                json_object_set_new(mem, "swap", json_integer(o->memory_swap));
        else if (o->memory > 0)
                json_object_set_new(mem, "swap", json_integer(o->memory * 2));
        if (o->memory_reservation > 0)
                json_object_set_new(mem, "reservation", json_integer(o->memory_reservation));
        if (o->oom_kill_disable)
                json_object_set_new(mem, "disableOOMKiller", json_true());
        if (json_object_size(mem) > 0)
                json_object_set_new(res, "memory", mem);
        else
                json_decref(mem);
        if (o->cpu_shares > 0)
                json_object_set_new(cpu, "shares", json_integer((json_int_t)o->cpu_shares));
        if (o->cpus > 0) {
                json_object_set_new(cpu, "period", json_integer(100000));
                json_object_set_new(cpu, "quota", json_integer((json_int_t)(o->cpus * 100000)));
        }
        if (o->cpu_period > 0)
                json_object_set_new(cpu, "period", json_integer((json_int_t)o->cpu_period));
        if (o->cpu_quota != 0)
                json_object_set_new(cpu, "quota", json_integer(o->cpu_quota));
        if (o->cpuset_cpus)
                json_object_set_new(cpu, "cpus", json_string(o->cpuset_cpus));
        if (o->cpuset_mems)
                json_object_set_new(cpu, "mems", json_string(o->cpuset_mems));
        if (json_object_size(cpu) > 0)
                json_object_set_new(res, "cpu", cpu);
        else
                json_decref(cpu);
        if (o->pids_limit != 0)
                json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)o->pids_limit));
        if (o->privileged)
                json_object_set_new(res, "devices", json_pack("[{s:b,s:s}]", "allow", 1, "access", "rwm"));
}

static void add_groups(const run_opts *o, const char *rootfs, json_t *user)
{
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        json_t *extra = json_object_get(user, "additionalGids");

        STRV_FOREACH (g, o->group_add) {
                long gid;
                if (etc_lookup(rootfd, "/etc/group", *g, &gid, NULL) < 0)
                        gid = all_digits(*g) ? strtol(*g, NULL, 10) : -1;
                if (gid < 0)
                        continue;
                if (!extra) {
                        extra = json_array();
                        json_object_set_new(user, "additionalGids", extra);
                }
                json_array_append_new(extra, json_integer(gid));
        }
}

static int set_process(const ctr_record *c, const run_opts *o, const char *rootfs, json_t *proc,
                       berth_error **err)
{
        json_t *ic = c->image_config;
        json_t *env = json_array(), *args = json_array(), *v;
        const char *cwd = o->workdir ?: json_string_value(json_object_get(ic, "WorkingDir"));
        const char *user = o->user ?: json_string_value(json_object_get(ic, "User"));
        size_t i;
        int r;

        json_object_set_new(proc, "env", env);
        json_array_foreach (json_object_get(ic, "Env"), i, v)
                if (json_is_string(v))
                        env_set(env, json_string_value(v));
        if (!env_has(env, "PATH"))
                env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        _cleanup_free_ char *hn = xasprintf("HOSTNAME=%s", o->hostname ?: c->id);
        if (!o->hostname)
                hn[9 + 12] = 0;
        env_set(env, hn);
        if (o->tty)
                env_set(env, "TERM=xterm");
        STRV_FOREACH (e, o->env)
                env_set(env, *e);

        json_object_set_new(proc, "args", args);
        if (o->entrypoint) {
                STRV_FOREACH (a, o->entrypoint)
                        if (**a)
                                json_array_append_new(args, json_string(*a));
        } else {
                json_array_foreach (json_object_get(ic, "Entrypoint"), i, v)
                        json_array_append(args, v);
        }
        if (o->cmd) {
                STRV_FOREACH (a, o->cmd)
                        json_array_append_new(args, json_string(*a));
        } else if (!o->entrypoint) {
                json_array_foreach (json_object_get(ic, "Cmd"), i, v)
                        json_array_append(args, v);
        }
        if (json_array_size(args) == 0)
                return berth_error_set(err, 0, "no command specified");
        json_object_set_new(proc, "cwd", json_string(cwd && *cwd ? cwd : "/"));
        json_object_set_new(proc, "terminal", json_boolean(o->tty));
        json_object_del(proc, "rlimits");
        json_object_set_new(proc, "noNewPrivileges", json_boolean(o->no_new_privs));
        r = resolve_user(rootfs, user, json_object_get(proc, "user"), err);
        if (r < 0)
                return r;
        add_groups(o, rootfs, json_object_get(proc, "user"));
        return 0;
}

static int set_rlimits(const run_opts *o, json_t *proc, berth_error **err)
{
        json_t *rl = json_array();

        json_object_set_new(proc, "rlimits", rl);
        STRV_FOREACH (u, o->ulimits) {
                _cleanup_free_ char *name = xstrdup(*u);
                char *val = strchr(name, '='), *hard, *end;
                if (!val)
                        return berth_error_set(err, 0, "--ulimit %s: expected NAME=SOFT[:HARD]", *u);
                *val++ = 0;
                hard = strchr(val, ':');
                if (hard)
                        *hard++ = 0;
                long long soft = strtoll(val, &end, 10);
                if (*end || end == val)
                        return berth_error_set(err, 0, "--ulimit %s: bad value", *u);
                long long h = hard ? strtoll(hard, &end, 10) : soft;
                if (hard && (*end || end == hard))
                        return berth_error_set(err, 0, "--ulimit %s: bad value", *u);
                _cleanup_free_ char *type = xasprintf("RLIMIT_%s", name);
                for (char *p = type; *p; p++)
                        *p = (char)toupper((unsigned char)*p);
                json_array_append_new(rl, json_pack("{s:s,s:I,s:I}", "type", type, "soft", soft, "hard", h));
        }
        return 0;
}

static int set_security(const run_opts *o, json_t *proc, json_t *lx, berth_error **err)
{
        _cleanup_strv_free_ char **caps = NULL;
        json_t *seccomp = NULL;
        int r = build_caps(o, &caps, err);

        if (r < 0)
                return r;
        json_t *set = json_object();
        static const char *const sets[] = {"bounding", "effective", "permitted"};
        for (size_t i = 0; i < ELEMENTSOF(sets); i++)
                json_object_set_new(set, sets[i], jsonh_from_strv(caps));
        json_object_set_new(proc, "capabilities", set);
        if (o->privileged || (o->seccomp && streq(o->seccomp, "unconfined")))
                seccomp = NULL;
        else if (o->seccomp) {
                r = jsonh_parse_file(o->seccomp, &seccomp, err);
                if (r < 0)
                        return berth_error_wrap(err, "--security-opt seccomp=%s", o->seccomp);
        } else {
                r = seccomp_default_profile((const char *const *)caps, &seccomp, err);
                if (r < 0)
                        return r;
        }
        if (seccomp)
                json_object_set_new(lx, "seccomp", seccomp);
        if (o->privileged) {
                json_object_set_new(lx, "maskedPaths", json_array());
                json_object_set_new(lx, "readonlyPaths", json_array());
        }
        return 0;
}

/* --device HOST[:CTR[:PERMS]]: the node in linux.devices and allowed in the devices cgroup. */
static int add_devices(const run_opts *o, json_t *lx, berth_error **err)
{
        json_t *devs = json_array(), *res = json_object_get(lx, "resources");

        json_object_set_new(lx, "devices", devs);
        STRV_FOREACH (d, o->devices) {
                _cleanup_strv_free_ char **f = strv_split(*d, ":");
                size_t n = strv_length(f);
                struct stat st;
                if (n == 0 || n > 3 || f[0][0] != '/')
                        return berth_error_set(err, 0,
                                               "--device %s: expected HOST[:CONTAINER[:PERMISSIONS]]", *d);
                const char *perms = n == 3 ? f[2] : (n == 2 && f[1][0] != '/') ? f[1] : "rwm";
                const char *path = n >= 2 && f[1][0] == '/' ? f[1] : f[0];
                if (strspn(perms, "rwm") != strlen(perms) || !*perms)
                        return berth_error_set(err, 0, "--device %s: bad permissions %s", *d, perms);
                if (stat(f[0], &st) < 0)
                        return berth_error_set(err, errno, "--device %s", f[0]);
                if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                        return berth_error_set(err, 0, "--device %s: not a device node", f[0]);
                const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
                json_int_t maj = major(st.st_rdev), min = minor(st.st_rdev);
                json_array_append_new(devs, json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}", "path", path, "type",
                                                      type, "major", maj, "minor", min, "fileMode",
                                                      (int)(st.st_mode & 0777), "uid", 0, "gid", 0));
                json_t *rules = json_object_get(res, "devices");
                if (rules)
                        json_array_append_new(rules,
                                              json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", type,
                                                        "major", maj, "minor", min, "access", perms));
        }
        return 0;
}

int engine_spec_build(const ctr_record *c, const run_opts *o, const char *ctr_dir, const char *rootfs,
                      json_t **ret, berth_error **err)
{
        _cleanup_json_ json_t *spec = oci_spec_default_json(false);
        json_t *proc = json_object_get(spec, "process");
        json_t *lx = json_object_get(spec, "linux");
        _cleanup_free_ char *cg = engine_cgroup_path(c->id);
        _cleanup_free_ char *hostname =
                xstrndup(o->hostname ?: c->id, o->hostname ? strlen(o->hostname) : 12);
        int r;

        r = set_process(c, o, rootfs, proc, err);
        if (r >= 0)
                r = set_rlimits(o, proc, err);
        if (r >= 0)
                r = set_security(o, proc, lx, err);
        if (r >= 0)
                r = add_mounts(c, o, ctr_dir, json_object_get(spec, "mounts"), err);
        if (r < 0)
                return r;
        json_object_set_new(spec, "hostname", json_string(hostname));
        json_object_set_new(spec, "root", json_pack("{s:s,s:b}", "path", rootfs, "readonly", o->read_only));
        json_object_set_new(lx, "cgroupsPath", json_string(cg));
        engine_spec_resources(o, lx);
        if (o->network && streq(o->network, "host")) {
                json_t *ns = json_object_get(lx, "namespaces"), *n;
                size_t i;
                json_array_foreach (ns, i, n)
                        if (streq(json_string_value(json_object_get(n, "type")) ?: "", "network")) {
                                json_array_remove(ns, i);
                                break;
                        }
        }
        r = add_devices(o, lx, err);
        if (r < 0)
                return r;
        if (o->sysctls) {
                json_t *sc = json_object();
                STRV_FOREACH (s, o->sysctls) {
                        _cleanup_free_ char *k = xstrdup(*s);
                        char *v = strchr(k, '=');
                        if (!v) {
                                json_decref(sc);
                                return berth_error_set(err, 0, "--sysctl %s: expected KEY=VALUE", *s);
                        }
                        *v++ = 0;
                        json_object_set_new(sc, k, json_string(v));
                }
                json_object_set_new(lx, "sysctl", sc);
        }
        if (o->labels) {
                json_t *ann = json_object();
                STRV_FOREACH (l, o->labels) {
                        _cleanup_free_ char *k = xstrdup(*l);
                        char *v = strchr(k, '=');
                        if (v)
                                *v++ = 0;
                        json_object_set_new(ann, k, json_string(v ?: ""));
                }
                json_object_set_new(spec, "annotations", ann);
        }
        *ret = TAKE_PTR(spec);
        return 0;
}
