/*
 * A "cgroup" mount. On a cgroup v1 (or hybrid) host: a tmpfs at the destination and one
 * directory per host hierarchy, each a fresh cgroup mount in a cgroup namespace or a bind of
 * the container's cgroup directory without one, as runc does. On a pure v2 host: cgroup2.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "mount-internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The controllers of a v1 hierarchy from its super options ("rw,cpu,cpuacct" -> "cpu,cpuacct",
 * "rw,xattr,name=systemd" -> "name=systemd"): the key /proc/self/cgroup uses. */
static char *v1_controllers(const char *super_opts)
{
        static const char *const not_controllers[] = {
                "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods"};
        _cleanup_strv_free_ char **opts = strv_split(super_opts, ",");
        _cleanup_strv_free_ char **out = NULL;

        STRV_FOREACH (o, opts) {
                bool skip = strneq(*o, "release_agent=", 14);
                for (size_t i = 0; i < ELEMENTSOF(not_controllers); i++)
                        skip = skip || streq(*o, not_controllers[i]);
                if (!skip)
                        strv_push(&out, *o);
        }
        return out ? strv_join(out, ",") : xstrdup("");
}

/* The process's own cgroup in the hierarchy keyed by controllers ("" for the v2 one). */
static char *own_cgroup(const char *controllers)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;

        if (fs_read_file("/proc/self/cgroup", &text, NULL, NULL) < 0)
                return NULL;
        lines = strv_split(text, "\n");
        STRV_FOREACH (l, lines) {
                char *a = strchr(*l, ':'), *b = a ? strchr(a + 1, ':') : NULL;
                if (b && (size_t)(b - a - 1) == strlen(controllers) && strneq(a + 1, controllers, b - a - 1))
                        return xstrdup(b + 1);
        }
        return NULL;
}

/* Bind the container's cgroup directory of the hierarchy at host_mp onto target_fd. Skipped
 * when the container has no directory there (a hierarchy it was not placed in). */
static int bind_cgroup_dir(const mount_ctx *ctx, const char *host_mp, const char *controllers, int target_fd,
                           unsigned long flags, const char *dest, berth_error **err)
{
        _cleanup_free_ char *own = ctx->cgroup_path ? NULL : own_cgroup(controllers);
        _cleanup_free_ char *src =
                fs_path_join(host_mp, ctx->cgroup_path ? ctx->cgroup_path : strempty(own));
        _cleanup_close_ int mfd = -EBADF;
        struct mount_attr attr;
        int r;

        if (access(src, F_OK) < 0)
                return 0;
        r = mnt_bind_create(AT_FDCWD, src, false, dest, &mfd, err);
        if (r < 0)
                return r;
        mnt_attr_from_flags(flags, 0, &attr);
        r = mnt_setattr(mfd, false, &attr, src, dest, err);
        if (r < 0)
                return r;
        return mnt_attach(mfd, target_fd, src, dest, err);
}

static int fresh_cgroup(const char *type, const char *data, int target_fd, unsigned long flags,
                        const char *dest, berth_error **err)
{
        _cleanup_close_ int mfd = -EBADF;
        int r;

        r = mnt_fs_create(type, "cgroup", data, flags, dest, &mfd, err);
        if (r < 0)
                return r;
        return mnt_attach(mfd, target_fd, type, dest, err);
}

/* cpu -> cpu,cpuacct and cpuacct -> cpu,cpuacct for co-mounted controllers. */
static int comount_symlinks(int dirfd, const char *name, berth_error **err)
{
        _cleanup_strv_free_ char **parts = strchr(name, ',') ? strv_split(name, ",") : NULL;

        STRV_FOREACH (p, parts)
                if (symlinkat(name, dirfd, *p) < 0 && errno != EEXIST)
                        return berth_error_set(err, errno, "symlink cgroup %s", *p);
        return 0;
}

static int mount_hierarchy(const mount_ctx *ctx, int rootfd, const mountinfo_entry *e, const char *dest,
                           unsigned long flags, berth_error **err)
{
        const char *name = e->mountpoint + strlen(CGROUP_ROOT "/");
        bool v2 = streq(e->fstype, "cgroup2");
        _cleanup_free_ char *controllers = v2 ? xstrdup("") : v1_controllers(e->super_opts);
        _cleanup_free_ char *sub = fs_path_join(dest, name);
        _cleanup_close_ int tfd = -EBADF, dirfd = -EBADF;
        int r;

        r = fs_mkdir_p_in_root(rootfd, sub, 0755, &tfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        if (ctx->new_cgroup_ns)
                r = fresh_cgroup(e->fstype, v2 ? NULL : controllers, tfd, flags, sub, err);
        else
                r = bind_cgroup_dir(ctx, e->mountpoint, controllers, tfd, flags, sub, err);
        if (r < 0)
                return r;
        r = fs_mkdir_p_in_root(rootfd, dest, 0755, &dirfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        return comount_symlinks(dirfd, name, err);
}

static bool is_hierarchy(const mountinfo_entry *e)
{
        const char *rest;

        if (!streq(e->fstype, "cgroup") && !streq(e->fstype, "cgroup2"))
                return false;
        if (!strneq(e->mountpoint, CGROUP_ROOT "/", strlen(CGROUP_ROOT "/")))
                return false;
        rest = e->mountpoint + strlen(CGROUP_ROOT "/");
        return *rest && !strchr(rest, '/');
}

static int mount_cgroup_v1(const mount_ctx *ctx, int rootfd, const char *dest, const mount_options *o,
                           berth_error **err)
{
        unsigned long flags = o->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        _cleanup_close_ int tfd = -EBADF, tmpfs = -EBADF;
        mountinfo_entry *mi = NULL;
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        size_t n = 0;
        int r;

        r = fs_mkdir_p_in_root(rootfd, dest, 0755, &tfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        /* The tmpfs stays writable until the hierarchies' directories exist in it. */
        r = mnt_fs_create("tmpfs", "tmpfs", "mode=755", flags & ~(unsigned long)MS_RDONLY, dest, &tmpfs,
                          err);
        if (r == 0)
                r = mnt_attach(tmpfs, tfd, "tmpfs", dest, err);
        if (r == 0)
                r = mountinfo_read(&mi, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (is_hierarchy(&mi[i]))
                        r = mount_hierarchy(ctx, rootfd, &mi[i], dest, flags, err);
        mountinfo_free(mi, n);
        if (r == 0 && (flags & MS_RDONLY))
                r = mnt_setattr(tmpfs, false, &ro, "tmpfs", dest, err);
        return r;
}

static int mount_cgroup_v2(const mount_ctx *ctx, int rootfd, const char *dest, const mount_options *o,
                           berth_error **err)
{
        _cleanup_close_ int tfd = -EBADF;
        int r;

        r = fs_mkdir_p_in_root(rootfd, dest, 0755, &tfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        if (ctx->new_cgroup_ns)
                return fresh_cgroup("cgroup2", NULL, tfd, o->flags, dest, err);
        return bind_cgroup_dir(ctx, CGROUP_ROOT, "", tfd, o->flags, dest, err);
}

int mount_cgroup(const mount_ctx *ctx, int rootfd, const oci_mount *m, const mount_options *o,
                 berth_error **err)
{
        _cleanup_free_ char *dest = fs_path_normalize(m->destination);
        struct statfs sfs;

        if (statfs(CGROUP_ROOT, &sfs) < 0)
                return berth_error_set(err, errno, "mount cgroup to %s: statfs %s", dest, CGROUP_ROOT);
        if (sfs.f_type == CGROUP2_SUPER_MAGIC)
                return mount_cgroup_v2(ctx, rootfd, dest, o, err);
        return mount_cgroup_v1(ctx, rootfd, dest, o, err);
}
