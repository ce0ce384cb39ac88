/*
 * The container's filesystem before pivot_root: propagation of "/", the rootfs bound onto
 * itself, then config.json's mounts in order, each target resolved inside the rootfs with
 * openat2(RESOLVE_IN_ROOT) and the mount attached to that fd with move_mount.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "mount-internal.h"

typedef struct flag_option {
        const char *name;
        bool clear;
        unsigned long flag;
} flag_option;

static const flag_option flag_options[] = {
        {"ro", false, MS_RDONLY},
        {"rw", true, MS_RDONLY},
        {"nosuid", false, MS_NOSUID},
        {"suid", true, MS_NOSUID},
        {"nodev", false, MS_NODEV},
        {"dev", true, MS_NODEV},
        {"noexec", false, MS_NOEXEC},
        {"exec", true, MS_NOEXEC},
        {"sync", false, MS_SYNCHRONOUS},
        {"async", true, MS_SYNCHRONOUS},
        {"dirsync", false, MS_DIRSYNC},
        {"remount", false, MS_REMOUNT},
        {"mand", false, MS_MANDLOCK},
        {"nomand", true, MS_MANDLOCK},
        {"atime", true, MS_NOATIME},
        {"noatime", false, MS_NOATIME},
        {"diratime", true, MS_NODIRATIME},
        {"nodiratime", false, MS_NODIRATIME},
        {"relatime", false, MS_RELATIME},
        {"norelatime", true, MS_RELATIME},
        {"strictatime", false, MS_STRICTATIME},
        {"nostrictatime", true, MS_STRICTATIME},
        {"nosymfollow", false, MS_NOSYMFOLLOW},
        {"symfollow", true, MS_NOSYMFOLLOW},
        {"silent", false, MS_SILENT},
        {"loud", true, MS_SILENT},
        {"defaults", false, 0},
};

/* The r* options, applied with mount_setattr(AT_RECURSIVE). The atime ones pick a mode for the
 * whole tree; "no" forms pick the mode that is not the named one (norelatime: strictatime). */
typedef struct attr_option {
        const char *name;
        bool clear;
        bool atime;
        unsigned long long attr;
} attr_option;

static const attr_option attr_options[] = {
        {"rro", false, false, MOUNT_ATTR_RDONLY},
        {"rrw", true, false, MOUNT_ATTR_RDONLY},
        {"rnosuid", false, false, MOUNT_ATTR_NOSUID},
        {"rsuid", true, false, MOUNT_ATTR_NOSUID},
        {"rnodev", false, false, MOUNT_ATTR_NODEV},
        {"rdev", true, false, MOUNT_ATTR_NODEV},
        {"rnoexec", false, false, MOUNT_ATTR_NOEXEC},
        {"rexec", true, false, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", false, false, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", true, false, MOUNT_ATTR_NODIRATIME},
        {"rnosymfollow", false, false, MOUNT_ATTR_NOSYMFOLLOW},
        {"rsymfollow", true, false, MOUNT_ATTR_NOSYMFOLLOW},
        {"rrelatime", false, true, MOUNT_ATTR_RELATIME},
        {"rnorelatime", false, true, MOUNT_ATTR_STRICTATIME},
        {"rnoatime", false, true, MOUNT_ATTR_NOATIME},
        {"ratime", false, true, MOUNT_ATTR_RELATIME},
        {"rstrictatime", false, true, MOUNT_ATTR_STRICTATIME},
        {"rnostrictatime", false, true, MOUNT_ATTR_RELATIME},
};

static bool parse_flag_option(const char *s, mount_options *o)
{
        for (size_t i = 0; i < ELEMENTSOF(flag_options); i++) {
                const flag_option *f = &flag_options[i];
                if (!streq(s, f->name))
                        continue;
                if (f->clear) {
                        o->flags &= ~f->flag;
                        o->clear |= f->flag;
                } else {
                        o->flags |= f->flag;
                        o->clear &= ~f->flag;
                }
                return true;
        }
        return false;
}

static bool parse_attr_option(const char *s, mount_options *o)
{
        for (size_t i = 0; i < ELEMENTSOF(attr_options); i++) {
                const attr_option *a = &attr_options[i];
                if (!streq(s, a->name))
                        continue;
                if (a->atime) {
                        o->attr_clr |= MOUNT_ATTR__ATIME;
                        o->attr_set = (o->attr_set & ~(unsigned long long)MOUNT_ATTR__ATIME) | a->attr;
                } else if (a->clear) {
                        o->attr_set &= ~a->attr;
                        o->attr_clr |= a->attr;
                } else {
                        o->attr_clr &= ~a->attr;
                        o->attr_set |= a->attr;
                }
                o->recursive_attr = true;
                return true;
        }
        return false;
}

static bool parse_special_option(const char *s, mount_options *o)
{
        unsigned long prop = mnt_propagation_from_name(s);

        if (prop) {
                o->propagation = prop;
                return true;
        }
        if (streq(s, "bind") || streq(s, "rbind")) {
                o->bind = true;
                o->flags |= MS_BIND | (streq(s, "rbind") ? MS_REC : 0);
                return true;
        }
        if (streq(s, "idmap") || streq(s, "ridmap")) {
                o->idmap = true;
                o->idmap_recursive = o->idmap_recursive || streq(s, "ridmap");
                return true;
        }
        if (streq(s, "tmpcopyup")) {
                o->tmpcopyup = true;
                return true;
        }
        return false;
}

int mount_options_parse(char *const *options, mount_options *ret, berth_error **err)
{
        mount_options o = {};
        _cleanup_strv_free_ char **data = NULL;

        STRV_FOREACH (s, (char **)options) {
                if (!**s)
                        return berth_error_set(err, EINVAL, "mount option: empty string");
                if (parse_flag_option(*s, &o) || parse_attr_option(*s, &o) || parse_special_option(*s, &o))
                        continue;
                strv_push(&data, *s);
        }
        if (data)
                o.data = strv_join(data, ",");
        *ret = o;
        return 0;
}

void mount_options_done(mount_options *o)
{
        free(o->data);
        o->data = NULL;
}

/* What the mounts told about /dev, for the device setup after them. */
typedef struct setup_state {
        bool dev_is_bind;  /* the spec binds /dev: no devices are created */
        bool dev_readonly; /* /dev is made read-only after its devices exist */
        bool have_devpts;  /* devpts at /dev/pts: /dev/ptmx points into it */
} setup_state;

static bool is_procfs(int fd)
{
        struct statfs sfs;

        return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Mounts inside /proc could hide what maskedPaths hides or redirect /proc/self/attr writes:
 * only the files lxcfs emulates are allowed (runc's checkProcMount). */
static int check_proc_target(int fd, const char *what, const char *dest, berth_error **err)
{
        static const char *const allowed[] = {
                "/proc/cpuinfo",
                "/proc/diskstats",
                "/proc/meminfo",
                "/proc/stat",
                "/proc/swaps",
                "/proc/uptime",
                "/proc/loadavg",
                "/proc/slabinfo",
                "/proc/net/dev",
                "/proc/sys/kernel/ns_last_pid",
                "/proc/sys/crypto/fips_enabled",
        };

        if (!is_procfs(fd))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                if (streq(dest, allowed[i]))
                        return 0;
        return berth_error_set(err, EPERM, "mount %s to %s: destination is inside /proc", what, dest);
}

/* proc and sysfs only on a real directory, never through a symlink (CVE-2019-19921). */
static int check_real_dir(int rootfd, const char *what, const char *dest, berth_error **err)
{
        _cleanup_free_ char *parent = NULL, *name = NULL;
        _cleanup_close_ int pfd = -EBADF;
        struct stat st;
        int r;

        mnt_split_path(dest, &parent, &name);
        if (!*name)
                return 0;
        r = fs_mkdir_p_in_root(rootfd, parent, 0755, &pfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : berth_error_set(err, errno, "mount destination %s", dest);
        if (!S_ISDIR(st.st_mode))
                return berth_error_set(err, ENOTDIR, "mount %s to %s: destination must be a real directory",
                                       what, dest);
        return 0;
}

/* Create the destination inside the rootfs (a directory, or a file for a file bind) and
 * return an O_PATH fd of it, resolved with RESOLVE_IN_ROOT. Its parent is checked before
 * anything is created in it, the target itself after (a symlink may end in /proc). */
static int open_target(int rootfd, const char *dest, bool dir, const char *what, int *ret_fd,
                       berth_error **err)
{
        _cleanup_free_ char *parent = NULL, *name = NULL;
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        int r;

        mnt_split_path(dest, &parent, &name);
        r = fs_mkdir_p_in_root(rootfd, parent, 0755, &pfd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        r = check_proc_target(pfd, what, dest, err);
        if (r < 0)
                return r;
        if (dir)
                r = fs_mkdir_p_in_root(rootfd, dest, 0755, &fd, err);
        else
                r = fs_touch_in_root(rootfd, dest, 0644, &fd, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        r = check_proc_target(fd, what, dest, err);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Propagation and r* attributes, once the mount is attached. */
static int apply_after_attach(int mfd, const mount_options *o, const char *what, const char *dest,
                              berth_error **err)
{
        struct mount_attr prop = {.propagation = o->propagation & ~(unsigned long)MS_REC};
        struct mount_attr rec = {.attr_set = o->attr_set, .attr_clr = o->attr_clr};
        int r;

        r = mnt_setattr(mfd, o->propagation & MS_REC, &prop, what, dest, err);
        if (r < 0)
                return r;
        return mnt_setattr(mfd, true, &rec, what, dest, err);
}

/* SELinux: the files of a new filesystem get linux.mountLabel (runc's FormatMountLabel). */
static void add_context_label(mount_options *o, const char *label)
{
        char *data = o->data ? xasprintf("%s,context=\"%s\"", o->data, label)
                             : xasprintf("context=\"%s\"", label);

        free(o->data);
        o->data = data;
}

static int mount_fs(int rootfd, const char *type, const char *source, const char *dest,
                    const mount_options *o, berth_error **err)
{
        _cleanup_close_ int tfd = -EBADF, mfd = -EBADF;
        bool copy_up = o->tmpcopyup && streq(type, "tmpfs");
        struct mount_attr ro = {.attr_set = (o->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0};
        int r;

        if (streq(type, "proc") || streq(type, "sysfs")) {
                r = check_real_dir(rootfd, type, dest, err);
                if (r < 0)
                        return r;
        }
        r = open_target(rootfd, dest, true, type, &tfd, err);
        if (r < 0)
                return r;
        /* With tmpcopyup: writable while the copy goes in, read-only (if asked) before it is seen. */
        r = mnt_fs_create(type, source ? source : type, o->data,
                          copy_up ? o->flags & ~(unsigned long)MS_RDONLY : o->flags, dest, &mfd, err);
        if (r == 0 && copy_up)
                r = mount_copy_up(tfd, mfd, dest, err);
        if (r == 0 && copy_up)
                r = mnt_setattr(mfd, false, &ro, type, dest, err);
        if (r == 0)
                r = mnt_attach(mfd, tfd, type, dest, err);
        if (r < 0)
                return r;
        return apply_after_attach(mfd, o, type, dest, err);
}

static int mount_bind(int rootfd, const char *source, const char *dest, const mount_options *o,
                      berth_error **err)
{
        _cleanup_close_ int tfd = -EBADF, mfd = -EBADF;
        struct mount_attr attr;
        struct stat st;
        int r;

        if (!source)
                return berth_error_set(err, EINVAL, "mount bind to %s: no source", dest);
        r = mnt_bind_create(AT_FDCWD, source, o->flags & MS_REC, dest, &mfd, err);
        if (r < 0)
                return r;
        /* The tree itself tells whether the target is a directory or a file. */
        if (fstat(mfd, &st) < 0)
                return berth_error_set(err, errno, "mount %s to %s", source, dest);
        r = open_target(rootfd, dest, S_ISDIR(st.st_mode), source, &tfd, err);
        if (r < 0)
                return r;
        /* mount_setattr changes only the named attributes: nodev, nosuid, noexec locked on the
         * source stay as they are, where a MS_REMOUNT would have to repeat them. */
        mnt_attr_from_flags(o->flags, o->clear, &attr);
        r = mnt_setattr(mfd, false, &attr, source, dest, err);
        if (r < 0)
                return r;
        r = mnt_attach(mfd, tfd, source, dest, err);
        if (r < 0)
                return r;
        return apply_after_attach(mfd, o, source, dest, err);
}

/* "remount": change the attributes of what is mounted at dest already. */
static int mount_remount(int rootfd, const char *dest, const mount_options *o, berth_error **err)
{
        _cleanup_close_ int fd = fs_open_in_root(rootfd, dest, O_PATH, 0, err);
        struct mount_attr attr;
        int r;

        if (fd < 0)
                return berth_error_wrap(err, "mount destination %s", dest);
        mnt_attr_from_flags(o->flags, o->clear, &attr);
        r = mnt_setattr(fd, false, &attr, "remount", dest, err);
        if (r < 0)
                return r;
        return apply_after_attach(fd, o, "remount", dest, err);
}

static bool spec_has_netns(const oci_spec *spec)
{
        for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
                if (spec->linux_->namespaces[i].type == OCI_NS_NETWORK)
                        return true;
        return false;
}

static void note_dev(const char *dest, const char *type, mount_options *o, setup_state *st)
{
        if (streq(dest, "/dev/pts") && type && streq(type, "devpts"))
                st->have_devpts = true;
        if (!streq(dest, "/dev"))
                return;
        st->dev_is_bind = o->bind;
        st->dev_readonly = !o->bind && (o->flags & MS_RDONLY);
        if (st->dev_readonly)
                o->flags &= ~(unsigned long)MS_RDONLY;
}

/* Attach the idmapped tree mount_idmap_prepare made for this mount. */
static int mount_idmapped(const mount_ctx *ctx, size_t index, int rootfd, const char *source,
                          const char *dest, const mount_options *o, berth_error **err)
{
        _cleanup_close_ int tfd = -EBADF;
        struct stat st;
        int r, mfd = ctx->idmap_fds ? ctx->idmap_fds[index] : -EBADF;

        if (mfd < 0)
                return berth_error_set(err, EINVAL, "mount %s to %s: idmapped mount not prepared",
                                       strempty(source), dest);
        if (fstat(mfd, &st) < 0)
                return berth_error_set(err, errno, "mount %s to %s", strempty(source), dest);
        r = open_target(rootfd, dest, S_ISDIR(st.st_mode), source, &tfd, err);
        if (r < 0)
                return r;
        r = mnt_attach(mfd, tfd, source, dest, err);
        if (r < 0)
                return r;
        return apply_after_attach(mfd, o, source, dest, err);
}

static int mount_one(const mount_ctx *ctx, size_t index, int rootfd, setup_state *st, berth_error **err)
{
        _cleanup_(mount_options_done) mount_options o = {};
        const oci_mount *m = &ctx->spec->mounts[index];
        _cleanup_free_ char *dest = NULL;
        const char *type = m->type;
        int r;

        if (!m->destination || m->destination[0] != '/')
                return berth_error_set(err, EINVAL, "mount destination %s: not an absolute path",
                                       strempty(m->destination));
        r = mount_options_parse(m->options, &o, err);
        if (r < 0)
                return berth_error_wrap(err, "mount destination %s", m->destination);
        dest = fs_path_normalize(m->destination);
        if (o.flags & MS_REMOUNT)
                return mount_remount(rootfd, dest, &o, err);
        if (type && streq(type, "bind"))
                o.bind = true;
        note_dev(dest, type, &o, st);
        if (o.idmap)
                return mount_idmapped(ctx, index, rootfd, m->source, dest, &o, err);
        if (o.bind)
                return mount_bind(rootfd, m->source, dest, &o, err);
        if (!type)
                return berth_error_set(err, EINVAL, "mount destination %s: no type", dest);
        if (streq(type, "cgroup"))
                return mount_cgroup(ctx, rootfd, m, &o, err);
        /* A user namespace without its own network namespace may not mount sysfs: bind the
         * host's /sys as runc does. */
        if (streq(type, "sysfs") && ctx->in_user_ns && !spec_has_netns(ctx->spec)) {
                o.flags |= MS_BIND | MS_REC;
                return mount_bind(rootfd, "/sys", dest, &o, err);
        }
        if (ctx->mount_label && (streq(type, "tmpfs") || streq(type, "mqueue") || streq(type, "devpts")))
                add_context_label(&o, ctx->mount_label);
        return mount_fs(rootfd, type, m->source, dest, &o, err);
}

static int root_propagation(const mount_ctx *ctx, unsigned long *ret, berth_error **err)
{
        const char *name = ctx->spec->linux_ ? ctx->spec->linux_->rootfs_propagation : NULL;

        *ret = 0;
        if (!name || !*name)
                return 0;
        *ret = mnt_propagation_from_name(name);
        if (!*ret)
                return berth_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value %s", name);
        return 0;
}

/* pivot_root refuses a new root whose parent mount is shared; a private parent also keeps the
 * bind below from propagating to other namespaces. */
static int make_parent_private(const char *rootfs, berth_error **err)
{
        mountinfo_entry *mi = NULL;
        size_t n = 0, best = SIZE_MAX, best_len = 0;
        int r;

        r = mountinfo_read(&mi, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(mi[i].mountpoint);
                bool under = streq(mi[i].mountpoint, "/") ||
                             (strneq(rootfs, mi[i].mountpoint, len) && (rootfs[len] == '/' || !rootfs[len]));
                if (under && len >= best_len) {
                        best = i;
                        best_len = len;
                }
        }
        if (best != SIZE_MAX && mi[best].shared &&
            mount(NULL, mi[best].mountpoint, NULL, MS_PRIVATE, NULL) < 0)
                r = berth_error_set(err, errno, "make %s private", mi[best].mountpoint);
        mountinfo_free(mi, n);
        return r;
}

static int rootfs_prepare(const mount_ctx *ctx, berth_error **err)
{
        char real[PATH_MAX];
        unsigned long prop;
        int r;

        r = root_propagation(ctx, &prop, err);
        if (r < 0)
                return r;
        if (mount(NULL, "/", NULL, prop ? prop : MS_SLAVE | MS_REC, NULL) < 0)
                return berth_error_set(err, errno, "set propagation of /");
        if (!realpath(ctx->rootfs, real))
                return berth_error_set(err, errno, "rootfs %s", ctx->rootfs);
        r = make_parent_private(real, err);
        if (r < 0)
                return r;
        if (mount(real, real, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_error_set(err, errno, "bind rootfs %s onto itself", real);
        return 0;
}

static int setup_dev(const mount_ctx *ctx, int rootfd, const setup_state *st, berth_error **err)
{
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (st->dev_is_bind)
                return 0;
        r = mount_dev_setup(ctx, rootfd, st->have_devpts, err);
        if (r < 0 || !st->dev_readonly)
                return r;
        fd = fs_open_in_root(rootfd, "/dev", O_PATH, 0, err);
        if (fd < 0)
                return berth_error_wrap(err, "mount destination /dev");
        return mnt_setattr(fd, false, &ro, "tmpfs", "/dev", err);
}

int mount_setup_rootfs(const mount_ctx *ctx, berth_error **err)
{
        const oci_spec *spec = ctx->spec;
        _cleanup_close_ int rootfd = -EBADF;
        setup_state st = {};
        int r;

        r = rootfs_prepare(ctx, err);
        if (r < 0)
                return r;
        /* Opened after the bind above, so lookups walk the new mount and mounts land on it. */
        rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_error_set(err, errno, "open rootfs %s", ctx->rootfs);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                r = mount_one(ctx, i, rootfd, &st, err);
                if (r < 0)
                        return r;
        }
        return setup_dev(ctx, rootfd, &st, err);
}
