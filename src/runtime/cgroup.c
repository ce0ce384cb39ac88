/*
 * cgroups: detect the host's hierarchies once per process, resolve a container's cgroup path and
 * dispatch to the v1 or v2 driver; plus the file helpers both drivers share.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "runtime/cgroup-internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char *const controller_names[CG__MAX] = {
        [CG_CPU] = "cpu",
        [CG_CPUACCT] = "cpuacct",
        [CG_CPUSET] = "cpuset",
        [CG_MEMORY] = "memory",
        [CG_DEVICES] = "devices",
        [CG_FREEZER] = "freezer",
        [CG_BLKIO] = "blkio",
        [CG_IO] = "io",
        [CG_PIDS] = "pids",
        [CG_HUGETLB] = "hugetlb",
        [CG_NET_CLS] = "net_cls",
        [CG_NET_PRIO] = "net_prio",
        [CG_PERF_EVENT] = "perf_event",
        [CG_RDMA] = "rdma",
        [CG_MISC] = "misc",
        [CG_NAME_SYSTEMD] = "name=systemd",
};

const char *cgroup_controller_name(enum cgroup_controller c)
{
        return controller_names[c];
}

/* "rw,cpu,cpuacct" (v1 super options) or "cpuset cpu io" (cgroup.controllers) as a mask. */
static unsigned controllers_parse(const char *s, const char *separators)
{
        _cleanup_strv_free_ char **l = strv_split(s, separators);
        unsigned mask = 0;

        STRV_FOREACH (w, l)
                for (size_t c = 0; c < CG__MAX; c++)
                        if (streq(*w, controller_names[c]))
                                mask |= 1u << c;
        return mask;
}

static unsigned unified_controllers(const char *mount)
{
        _cleanup_free_ char *path = xasprintf("%s/cgroup.controllers", mount);
        _cleanup_free_ char *text = NULL;

        if (fs_read_file(path, &text, NULL, NULL) < 0)
                return 0;
        return controllers_parse(text, " \n");
}

static void host_add(cgroup_host *host, const char *mount, bool unified, unsigned mask)
{
        for (size_t i = 0; i < host->n; i++)
                if (host->h[i].unified == unified && (unified || host->h[i].controllers == mask))
                        return; /* the same hierarchy mounted twice */
        if (host->n == CGROUP_HIERARCHIES_MAX)
                return;
        host->h[host->n++] =
                (cgroup_hierarchy){.mount = xstrdup(mount), .unified = unified, .controllers = mask};
}

/* Octal escapes of mountinfo ("\040" for a space), in place. */
static void mountinfo_unescape(char *s)
{
        char *w = s;

        for (char *r = s; *r; r++, w++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
                        *w = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 3;
                } else
                        *w = *r;
        }
        *w = 0;
}

/* A mount at (or above) a hierarchy's mount point hides it from now on. */
static void host_drop_shadowed(cgroup_host *host, const char *mount)
{
        size_t len = strlen(mount), w = 0;

        for (size_t i = 0; i < host->n; i++) {
                const char *m = host->h[i].mount;
                bool hidden = strneq(m, mount, len) && (m[len] == 0 || m[len] == '/' || streq(mount, "/"));
                if (hidden)
                        free(host->h[i].mount);
                else
                        host->h[w++] = host->h[i];
        }
        host->n = w;
}

/* One mountinfo line: "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
static void mountinfo_line(cgroup_host *host, char *line)
{
        char root[4096], mount[4096], fstype[64], super[1024];
        char *dash = strstr(line, " - ");

        if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mount) != 2 ||
            sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
                return;
        mountinfo_unescape(mount);
        host_drop_shadowed(host, mount);
        if (!streq(root, "/"))
                return; /* a subtree bind-mounted elsewhere: not a hierarchy's root */
        if (streq(fstype, "cgroup2"))
                host_add(host, mount, true, unified_controllers(mount));
        else if (streq(fstype, "cgroup")) {
                unsigned mask = controllers_parse(super, ",");
                if (mask)
                        host_add(host, mount, false, mask);
        }
}

static int host_parse_mountinfo(cgroup_host *host, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;
        int r;

        r = fs_read_file("/proc/self/mountinfo", &text, NULL, err);
        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                mountinfo_line(host, line);
        return 0;
}

/* Each controller goes to the v1 hierarchy that has it, else to the cgroup2 mount (hybrid). */
static void host_map_controllers(cgroup_host *host)
{
        for (size_t c = 0; c < CG__MAX; c++)
                host->by_controller[c] = -1;
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < host->n; i++) {
                        if (host->h[i].unified != (pass == 1))
                                continue;
                        for (size_t c = 0; c < CG__MAX; c++)
                                if ((host->h[i].controllers & (1u << c)) && host->by_controller[c] < 0)
                                        host->by_controller[c] = (int)i;
                }
}

static int host_detect(cgroup_host *host, berth_error **err)
{
        struct statfs sfs;
        bool any_v1 = false;
        int r;

        *host = (cgroup_host){0};
        /* The common case costs one statfs and one read: no mountinfo on pure v2 hosts. */
        if (statfs(CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
                host_add(host, CGROUP_ROOT, true, unified_controllers(CGROUP_ROOT));
                host->v2 = true;
                host_map_controllers(host);
                return 0;
        }
        r = host_parse_mountinfo(host, err);
        if (r < 0)
                return berth_error_wrap(err, "cgroup: detect the host's hierarchies");
        for (size_t i = 0; i < host->n; i++)
                any_v1 |= !host->h[i].unified;
        if (host->n == 0)
                return berth_error_set(err, ENOENT, "cgroup: no cgroup hierarchy is mounted");
        if (!any_v1) {
                /* cgroup2 alone, but not at /sys/fs/cgroup: keep only that mount */
                host->n = 1;
                host->v2 = true;
        }
        host_map_controllers(host);
        return 0;
}

/* Detected once per process: an engine starting many containers pays for it once. The runtime
 * is single-threaded where it calls this. */
static int host_get(const cgroup_host **ret, berth_error **err)
{
        static cgroup_host host;
        static bool detected;
        int r;

        if (!detected) {
                r = host_detect(&host, err);
                if (r < 0)
                        return r;
                detected = true;
        }
        *ret = &host;
        return 0;
}

/* runc's systemd form "slice:prefix:name": two colons and no slash. */
static bool is_systemd_path(const char *p)
{
        const char *a = strchr(p, ':');
        return a && strchr(a + 1, ':') && !strchr(p, '/') && !strchr(strchr(a + 1, ':') + 1, ':');
}

static int path_resolve(const char *cgroups_path, const char *id, char **ret, berth_error **err)
{
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_free_ char *joined = NULL;

        if (!cgroups_path) {
                if (!id || !*id || strchr(id, '/'))
                        return berth_error_set(err, EINVAL,
                                               "cgroup: container id \"%s\" cannot name a cgroup",
                                               strempty(id));
                *ret = xasprintf("/berth/%s", id);
                return 0;
        }
        if (is_systemd_path(cgroups_path))
                return berth_error_set(err, ENOTSUP,
                                       "linux.cgroupsPath \"%s\": systemd cgroup paths (slice:prefix:name) "
                                       "need --systemd-cgroup, which berth does not support yet",
                                       cgroups_path);
        parts = strv_split(cgroups_path, "/");
        STRV_FOREACH (p, parts)
                if (streq(*p, "..") || streq(*p, "."))
                        return berth_error_set(err, EINVAL,
                                               "linux.cgroupsPath \"%s\": \"%s\" components are not allowed",
                                               cgroups_path, *p);
        if (!parts || !parts[0])
                return berth_error_set(err, EINVAL,
                                       "linux.cgroupsPath \"%s\": the root cgroup cannot hold a container",
                                       cgroups_path);
        joined = strv_join(parts, "/");
        *ret = xasprintf("%s/%s", cgroups_path[0] == '/' ? "" : "/berth", joined);
        return 0;
}

int cgroup_open(const char *cgroups_path, const char *id, cgroup **ret, berth_error **err)
{
        const cgroup_host *host;
        char *path = NULL;
        cgroup *cg;
        int r;

        r = path_resolve(cgroups_path, id, &path, err);
        if (r < 0)
                return r;
        r = host_get(&host, err);
        if (r < 0) {
                free(path);
                return r;
        }
        cg = xcalloc(1, sizeof(*cg));
        cg->ops = host->v2 ? &cgroup_v2_ops : &cgroup_v1_ops;
        cg->host = host;
        cg->path = path;
        for (size_t i = 0; i < CGROUP_HIERARCHIES_MAX; i++)
                cg->leaf[i] = -EBADF;
        *ret = cg;
        return 0;
}

const char *cgroup_path(const cgroup *cg)
{
        return cg->path;
}

const char *cgroup_driver_name(const cgroup *cg)
{
        return cg->ops->name;
}

int cgroup_create(cgroup *cg, const oci_resources *res, berth_error **err)
{
        return cg->ops->create(cg, res, err);
}

int cgroup_clone_fd(cgroup *cg)
{
        if (!cg->host->v2)
                return -1;
        return cgroup_leaf(cg, 0, NULL) < 0 ? -1 : cg->leaf[0];
}

int cgroup_enter(cgroup *cg, pid_t pid, berth_error **err)
{
        return cg->ops->enter(cg, pid, err);
}

int cgroup_devices_fd(cgroup *cg, berth_error **err)
{
        int h = cg->host->v2 ? 0 : cgroup_hierarchy_of(cg, CG_DEVICES);

        if (h < 0)
                return berth_error_set(err, ENOENT, "cgroup %s: the host has no devices controller",
                                       cg->path);
        return cgroup_leaf(cg, h, err);
}

int cgroup_apply(cgroup *cg, const oci_resources *res, berth_error **err)
{
        if (!res)
                return 0;
        return cg->ops->apply(cg, res, err);
}

int cgroup_freeze(cgroup *cg, bool frozen, berth_error **err)
{
        return cg->ops->freeze(cg, frozen, err);
}

int cgroup_is_frozen(cgroup *cg, bool *ret, berth_error **err)
{
        return cg->ops->is_frozen(cg, ret, err);
}

int cgroup_pids(cgroup *cg, pid_t **ret, size_t *ret_n, berth_error **err)
{
        return cgroup_list_pids(cg, cg->ops->procs_hierarchy(cg), ret, ret_n, err);
}

int cgroup_kill_all(cgroup *cg, int sig, berth_error **err)
{
        return cg->ops->kill_all(cg, sig, err);
}

int cgroup_stats_read(cgroup *cg, cgroup_stats *ret, berth_error **err)
{
        cgroup_stats s = {
                .memory_limit = UINT64_MAX,
                .pids_limit = UINT64_MAX,
        };
        int r = cg->ops->stats_read(cg, &s, err);

        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int cgroup_destroy(cgroup *cg, berth_error **err)
{
        int r, first = 0;

        for (size_t h = 0; h < cg->host->n; h++) {
                r = cgroup_rmdir(cg, (int)h, first < 0 ? NULL : err);
                if (r < 0 && first == 0)
                        first = r;
        }
        cgroup_remove_created_parents(cg);
        return first;
}

void cgroup_free(cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < CGROUP_HIERARCHIES_MAX; i++)
                closep(&cg->leaf[i]);
        strv_free(cg->created);
        free(cg->path);
        free(cg);
}

/* ---- helpers shared by the drivers ---- */

int cgroup_leaf(cgroup *cg, int h, berth_error **err)
{
        _cleanup_free_ char *p = NULL;

        if (cg->leaf[h] >= 0)
                return cg->leaf[h];
        p = xasprintf("%s%s", cg->host->h[h].mount, cg->path);
        cg->leaf[h] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cg->leaf[h] < 0)
                return berth_error_set(err, errno, "cgroup %s: open %s", cg->path, p);
        return cg->leaf[h];
}

/* Each parent it makes goes to cg->created, so that delete can remove it again. */
static int mkdir_walk(cgroup *cg, int h, cgroup_level_fn level, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strv_split(cg->path, "/");
        _cleanup_free_ char *dir = xstrdup(cg->host->h[h].mount);
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return berth_error_set(err, errno, "cgroup %s: open %s", cg->path, cg->host->h[h].mount);
        STRV_FOREACH (p, parts) {
                bool made = mkdirat(fd, *p, 0755) == 0;
                if (!made && errno != EEXIST)
                        return berth_error_set(err, errno, "cgroup %s: mkdir %s in %s", cg->path, *p,
                                               cg->host->h[h].mount);
                char *next = xasprintf("%s/%s", dir, *p);
                free(dir);
                dir = next;
                if (made && p[1])
                        strv_push(&cg->created, dir);
                _cleanup_close_ int child = openat(fd, *p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0)
                        return berth_error_set(err, errno, "cgroup %s: open %s in %s", cg->path, *p,
                                               cg->host->h[h].mount);
                if (level) {
                        r = level(cg, fd, child, err);
                        if (r < 0)
                                return r;
                }
                closep(&fd);
                fd = TAKE_FD(child);
        }
        closep(&cg->leaf[h]);
        cg->leaf[h] = TAKE_FD(fd);
        return 0;
}

/* Another container's delete may remove an empty parent it made between our mkdir of that
 * parent and of its child (ENOENT): walk again, a few times. */
static int mkdir_walk_retry(cgroup *cg, int h, cgroup_level_fn level, berth_error **err)
{
        int r;

        for (int attempt = 0;; attempt++) {
                r = mkdir_walk(cg, h, level, attempt < 5 ? NULL : err);
                if (r != -ENOENT || attempt == 5)
                        return r;
        }
}

int cgroup_mkdir(cgroup *cg, int h, cgroup_level_fn level, berth_error **err)
{
        _cleanup_free_ char *p = xasprintf("%s%s", cg->host->h[h].mount, cg->path);
        int r;

        /* Fast path: the parents exist (the usual "/berth/<id>"), one mkdir and one open. */
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                if (errno == ENOENT)
                        return mkdir_walk_retry(cg, h, level, err);
                return berth_error_set(err, errno, "cgroup %s: mkdir %s", cg->path, p);
        }
        closep(&cg->leaf[h]);
        cg->leaf[h] = -EBADF;
        r = cgroup_leaf(cg, h, err);
        if (r < 0 || !level)
                return r < 0 ? r : 0;
        *strrchr(p, '/') = 0;
        _cleanup_close_ int parent = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0)
                return berth_error_set(err, errno, "cgroup %s: open %s", cg->path, p);
        r = level(cg, parent, cg->leaf[h], NULL);
        /* e.g. a parent that is still empty: walk from the top and fix every level */
        return r < 0 ? mkdir_walk_retry(cg, h, level, err) : 0;
}

int cgroup_write(cgroup *cg, int h, const char *file, const char *value, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        int leaf = cgroup_leaf(cg, h, err);

        if (leaf < 0)
                return leaf;
        fd = openat(leaf, file, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t n = write(fd, value, len);
                if (n == (ssize_t)len)
                        return 0;
                if (n >= 0)
                        errno = EIO;
        }
        return berth_error_set(err, errno, "cgroup %s: write %s \"%s\"", cg->path, file, value);
}

int cgroup_writef(cgroup *cg, int h, const char *file, berth_error **err, const char *fmt, ...)
{
        _cleanup_free_ char *value = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&value, fmt, ap) < 0)
                abort();
        va_end(ap);
        return cgroup_write(cg, h, file, value, err);
}

bool cgroup_has_file(cgroup *cg, int h, const char *file)
{
        int leaf = cgroup_leaf(cg, h, NULL);

        return leaf >= 0 && faccessat(leaf, file, F_OK, 0) == 0;
}

static int read_fd(int fd, char **ret)
{
        size_t len = 0, cap = 1024;
        _cleanup_free_ char *buf = xmalloc(cap);

        for (;;) {
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len + 1 == cap)
                        buf = xrealloc(buf, cap *= 2);
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int read_at(cgroup *cg, int dirfd, const char *file, char **ret, berth_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
        int r;

        if (fd < 0 && errno == ENOENT)
                return -ENOENT;
        if (fd < 0)
                return berth_error_set(err, errno, "cgroup %s: open %s", cg->path, file);
        r = read_fd(fd, ret);
        if (r < 0)
                return berth_error_set(err, -r, "cgroup %s: read %s", cg->path, file);
        return 0;
}

int cgroup_read(cgroup *cg, int h, const char *file, char **ret, berth_error **err)
{
        int leaf = cgroup_leaf(cg, h, err);

        if (leaf < 0)
                return leaf;
        return read_at(cg, leaf, file, ret, err);
}

int cgroup_read_u64(cgroup *cg, int h, const char *file, uint64_t *ret, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        char *end;
        int r = cgroup_read(cg, h, file, &text, err);

        if (r < 0)
                return r;
        if (strneq(text, "max", 3)) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text)
                return berth_error_set(err, EINVAL, "cgroup %s: %s: not a number: \"%s\"", cg->path, file,
                                       text);
        *ret = v;
        return 0;
}

bool cgroup_parse_key(const char *text, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strneq(l, key, klen) && l[klen] == ' ') {
                        *ret = strtoull(l + klen + 1, NULL, 10);
                        return true;
                }
        return false;
}

int cgroup_read_key(cgroup *cg, int h, const char *file, const char *key, uint64_t *ret, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read(cg, h, file, &text, err);

        if (r < 0)
                return r;
        if (!cgroup_parse_key(text, key, ret))
                return berth_error_set(err, ENOENT, "cgroup %s: %s has no \"%s\"", cg->path, file, key);
        return 0;
}

static void pids_parse(const char *text, pid_t **pids, size_t *n)
{
        for (const char *l = text; *l;) {
                char *end;
                long v = strtol(l, &end, 10);
                if (end == l)
                        break;
                *pids = xrealloc(*pids, (*n + 1) * sizeof(pid_t));
                (*pids)[(*n)++] = (pid_t)v;
                l = end + (*end == '\n');
        }
}

static int list_pids_at(cgroup *cg, int dirfd, pid_t **pids, size_t *n, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        int r, fd;

        r = read_at(cg, dirfd, "cgroup.procs", &text, err);
        if (r < 0)
                return r == -ENOENT ? 0 : r; /* removed while we walked */
        pids_parse(text, pids, n);
        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, errno, "cgroup %s: list the cgroups below", cg->path);
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_close_ int sub =
                        openat(dirfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        continue;
                r = list_pids_at(cg, sub, pids, n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_list_pids(cgroup *cg, int h, pid_t **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int leaf = cgroup_leaf(cg, h, err), r;

        if (leaf < 0)
                return leaf;
        r = list_pids_at(cg, leaf, &pids, &n, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

int cgroup_signal_pids(cgroup *cg, int h, int sig, berth_error **err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = cgroup_list_pids(cg, h, &pids, &n, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        return berth_error_set(err, errno, "cgroup %s: kill %d with signal %d", cg->path,
                                               (int)pids[i], sig);
        return 0;
}

/* Children first: a container with a cgroup namespace may have made cgroups below its own. */
static int rmdir_children(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        int r = 0;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_close_ int sub =
                        openat(dirfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        (void)rmdir_children(sub);
                if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        r = -errno;
        }
        return r;
}

int cgroup_rmdir(cgroup *cg, int h, berth_error **err)
{
        _cleanup_free_ char *p = xasprintf("%s%s", cg->host->h[h].mount, cg->path);
        struct timespec delay = {0, 1000 * 1000};

        closep(&cg->leaf[h]);
        cg->leaf[h] = -EBADF;
        /* Processes leave their cgroup a moment after they are reaped: retry for about 2 s. */
        for (int attempt = 0;; attempt++) {
                _cleanup_close_ int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT)
                        return 0;
                if (fd >= 0)
                        (void)rmdir_children(fd);
                if (rmdir(p) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || attempt == 40)
                        return berth_error_set(err, errno, "cgroup %s: remove %s", cg->path, p);
                nanosleep(&delay, NULL);
                if (delay.tv_nsec < 100 * 1000 * 1000)
                        delay.tv_nsec *= 2;
        }
}

static int subtree_write(cgroup *cg, const char *dir, const char *value, berth_error **err)
{
        _cleanup_free_ char *file = xasprintf("%s/cgroup.subtree_control", dir);
        int r = fs_write_file(file, value, strlen(value), NULL);

        if (r < 0)
                return berth_error_set(err, -r, "cgroup %s: write %s \"%s\"", cg->path, file, value);
        return 0;
}

/* "+a +b" in one write; if the kernel refuses the set, one controller at a time, and only a
 * required one that cannot be enabled is an error. */
static int subtree_enable(cgroup *cg, const char *dir, unsigned want, unsigned required, berth_error **err)
{
        _cleanup_free_ char *all = xstrdup("");
        int r;

        for (size_t c = 0; c < CG__MAX; c++)
                if (want & (1u << c)) {
                        char *n = xasprintf("%s%s+%s", all, *all ? " " : "", controller_names[c]);
                        free(all);
                        all = n;
                }
        if (!*all || subtree_write(cg, dir, all, NULL) == 0)
                return 0;
        for (size_t c = 0; c < CG__MAX; c++) {
                if (!(want & (1u << c)))
                        continue;
                _cleanup_free_ char *one = xasprintf("+%s", controller_names[c]);
                r = subtree_write(cg, dir, one, (required & (1u << c)) ? err : NULL);
                if (r < 0 && (required & (1u << c)))
                        return r;
        }
        return 0;
}

int cgroup_unified_enable(cgroup *cg, int h, unsigned controllers, unsigned required, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strv_split(cg->path, "/");
        _cleanup_free_ char *dir = xstrdup(cg->host->h[h].mount);
        unsigned want = controllers & cg->host->h[h].controllers;
        size_t n = strv_length(parts);
        int r;

        if (required & ~want)
                return berth_error_set(err, ENOENT,
                                       "cgroup %s: the cgroup2 mount %s does not offer a needed controller",
                                       cg->path, cg->host->h[h].mount);
        /* The root and every ancestor of the leaf: the leaf gets what its parent enables. */
        for (size_t i = 0; want && i < n; i++) {
                r = subtree_enable(cg, dir, want, required, err);
                if (r < 0)
                        return r;
                if (i + 1 < n) {
                        char *next = xasprintf("%s/%s", dir, parts[i]);
                        free(dir);
                        dir = next;
                }
        }
        return 0;
}

int cgroup_check_hugepage_size(cgroup *cg, const char *size, berth_error **err)
{
        size_t n = strspn(strempty(size), "0123456789");

        if (n == 0 || !(streq(size + n, "KB") || streq(size + n, "MB") || streq(size + n, "GB")))
                return berth_error_set(err, EINVAL,
                                       "linux.resources.hugepageLimits: page size \"%s\" is not "
                                       "like \"2MB\" or \"1GB\"",
                                       strempty(size));
        return 0;
}

char *cgroup_pids_value(int64_t limit)
{
        return limit > 0 ? xasprintf("%lld", (long long)limit) : xstrdup("max");
}

int cgroup_signal_frozen(cgroup *cg, int h, int sig, berth_error **err)
{
        bool was_frozen = false;
        int r;

        if (cg->ops->is_frozen(cg, &was_frozen, NULL) < 0)
                return cgroup_signal_pids(cg, h, sig, err);
        if (!was_frozen) {
                r = cg->ops->freeze(cg, true, err);
                if (r < 0)
                        return r;
        }
        r = cgroup_signal_pids(cg, h, sig, err);
        if (!was_frozen) {
                int t = cg->ops->freeze(cg, false, r < 0 ? NULL : err);
                if (r == 0)
                        r = t;
        }
        return r;
}

int cgroup_apply_rdma(cgroup *cg, int h, json_t *rdma, berth_error **err)
{
        const char *dev;
        json_t *v;
        int r;

        json_object_foreach (rdma, dev, v) {
                json_t *handles = json_object_get(v, "hcaHandles"),
                       *objects = json_object_get(v, "hcaObjects");
                _cleanup_free_ char *line = xasprintf("%s", dev);
                if (json_is_integer(handles)) {
                        char *n = xasprintf("%s hca_handle=%lld", line,
                                            (long long)json_integer_value(handles));
                        free(line);
                        line = n;
                }
                if (json_is_integer(objects)) {
                        char *n = xasprintf("%s hca_object=%lld", line,
                                            (long long)json_integer_value(objects));
                        free(line);
                        line = n;
                }
                r = cgroup_write(cg, h, "rdma.max", line, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
