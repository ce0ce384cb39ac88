/*
 * The new mount API behind berth's mounts: a mount is built detached (fsmount or open_tree),
 * given its attributes while nobody can see it, then attached with move_mount onto an fd that
 * openat2(RESOLVE_IN_ROOT) resolved. Plus the mountinfo reader.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "mount-internal.h"

void mnt_split_path(const char *path, char **ret_parent, char **ret_name)
{
        _cleanup_free_ char *norm = fs_path_normalize(path);
        char *slash = strrchr(norm, '/');

        if (!slash) {
                *ret_parent = xstrdup("");
                *ret_name = TAKE_PTR(norm);
                return;
        }
        *ret_name = xstrdup(slash + 1);
        *slash = 0;
        *ret_parent = TAKE_PTR(norm);
}

unsigned long mnt_propagation_from_name(const char *name)
{
        static const struct {
                const char *name;
                unsigned long flags;
        } table[] = {
                {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
                {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
                {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
                {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(name, table[i].name))
                        return table[i].flags;
        return 0;
}

void mnt_attr_from_flags(unsigned long flags, unsigned long clear, struct mount_attr *attr)
{
        static const struct {
                unsigned long ms;
                unsigned long long attr;
        } table[] = {
                {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
                {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
                {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
        };

        *attr = (struct mount_attr){};
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (flags & table[i].ms)
                        attr->attr_set |= table[i].attr;
                else if (clear & table[i].ms)
                        attr->attr_clr |= table[i].attr;
        }
        /* An atime mode replaces the whole group, as mount_setattr(2) requires. */
        if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
                attr->attr_clr |= MOUNT_ATTR__ATIME;
                if (flags & MS_NOATIME)
                        attr->attr_set |= MOUNT_ATTR_NOATIME;
                else if (flags & MS_STRICTATIME)
                        attr->attr_set |= MOUNT_ATTR_STRICTATIME;
        }
}

/* The kernel's message about the last fsconfig failure ("e tmpfs: Bad value for 'size'"). */
static char *fs_context_message(int fsfd)
{
        char buf[512];
        ssize_t n = read(fsfd, buf, sizeof(buf) - 1);

        if (n <= 2)
                return NULL;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return xstrdup(buf + 2);
}

static int fs_fail(int fsfd, int errnum, const char *type, const char *dest, berth_error **err)
{
        _cleanup_free_ char *msg = fs_context_message(fsfd);

        if (msg)
                return berth_error_set(err, errnum, "mount %s to %s (%s)", type, dest, msg);
        return berth_error_set(err, errnum, "mount %s to %s", type, dest);
}

/* "a=1,context=\"u:r:t:s0:c1,c2\"" to its options: commas inside double quotes do not split,
 * and the quotes are dropped (fsconfig takes the value as it is). */
static char **split_options(const char *data)
{
        _cleanup_free_ char *cur = xcalloc(strlen(data) + 1, 1);
        char **opts = NULL;
        bool quoted = false;
        size_t n = 0;

        for (const char *p = data;; p++) {
                if (*p == '"') {
                        quoted = !quoted;
                        continue;
                }
                if (*p && (*p != ',' || quoted)) {
                        cur[n++] = *p;
                        continue;
                }
                cur[n] = 0;
                if (n)
                        strv_push(&opts, cur);
                n = 0;
                if (!*p)
                        return opts;
        }
}

static int fs_configure(int fsfd, const char *source, const char *data)
{
        _cleanup_strv_free_ char **opts = data ? split_options(data) : NULL;

        if (source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
                return -errno;
        STRV_FOREACH (o, opts) {
                char *eq = strchr(*o, '=');
                int r;
                if (eq) {
                        *eq = 0;
                        r = fsconfig(fsfd, FSCONFIG_SET_STRING, *o, eq + 1, 0);
                } else {
                        r = fsconfig(fsfd, FSCONFIG_SET_FLAG, *o, NULL, 0);
                }
                if (r < 0)
                        return -errno;
        }
        return 0;
}

/* Superblock flags that have no mount attribute go through fsconfig as flags. */
static int fs_sb_flags(int fsfd, unsigned long flags)
{
        if ((flags & MS_SYNCHRONOUS) && fsconfig(fsfd, FSCONFIG_SET_FLAG, "sync", NULL, 0) < 0)
                return -errno;
        if ((flags & MS_DIRSYNC) && fsconfig(fsfd, FSCONFIG_SET_FLAG, "dirsync", NULL, 0) < 0)
                return -errno;
        if ((flags & MS_MANDLOCK) && fsconfig(fsfd, FSCONFIG_SET_FLAG, "mand", NULL, 0) < 0)
                return -errno;
        return 0;
}

int mnt_fs_create(const char *type, const char *source, const char *data, unsigned long flags,
                  const char *dest, int *ret_fd, berth_error **err)
{
        _cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
        struct mount_attr attr;
        int r, mfd;

        if (fsfd < 0)
                return berth_error_set(err, errno, "mount %s to %s", type, dest);
        r = fs_configure(fsfd, source, data);
        if (r == 0)
                r = fs_sb_flags(fsfd, flags);
        if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                r = -errno;
        if (r < 0)
                return fs_fail(fsfd, -r, type, dest, err);
        mnt_attr_from_flags(flags, 0, &attr);
        mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)attr.attr_set);
        if (mfd < 0)
                return fs_fail(fsfd, errno, type, dest, err);
        *ret_fd = mfd;
        return 0;
}

int mnt_bind_create(int dirfd, const char *source, bool recursive, const char *dest, int *ret_fd,
                    berth_error **err)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        int fd;

        if (!*source)
                flags |= AT_EMPTY_PATH;
        fd = open_tree(dirfd, source, flags);
        if (fd < 0)
                return berth_error_set(err, errno, "mount %s to %s", *source ? source : "bind", dest);
        *ret_fd = fd;
        return 0;
}

int mnt_setattr(int mfd, bool recursive, const struct mount_attr *attr, const char *what, const char *dest,
                berth_error **err)
{
        struct mount_attr a = *attr;

        if (!a.attr_set && !a.attr_clr && !a.propagation)
                return 0;
        if (mount_setattr(mfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
                return berth_error_set(err, errno, "mount %s to %s: set attributes", what, dest);
        return 0;
}

int mnt_attach(int mfd, int target_fd, const char *what, const char *dest, berth_error **err)
{
        if (move_mount(mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return berth_error_set(err, errno, "mount %s to %s", what, dest);
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s)
{
        char *out = xmalloc(strlen(s) + 1), *o = out;

        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 4;
                } else {
                        *o++ = *s++;
                }
        }
        *o = 0;
        return out;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static int parse_line(const char *line, mountinfo_entry *e)
{
        _cleanup_strv_free_ char **f = strv_split(line, " ");
        size_t n = strv_length(f), sep = 6;

        while (sep < n && !streq(f[sep], "-"))
                sep++;
        if (n < 7 || sep + 2 >= n)
                return -EINVAL;
        *e = (mountinfo_entry){
                .root = unescape(f[3]),
                .mountpoint = unescape(f[4]),
                .mount_opts = xstrdup(f[5]),
                .fstype = unescape(f[sep + 1]),
                .source = unescape(f[sep + 2]),
                .super_opts = xstrdup(sep + 3 < n ? f[sep + 3] : ""),
        };
        for (size_t i = 6; i < sep; i++)
                if (strneq(f[i], "shared:", 7))
                        e->shared = true;
        return 0;
}

int mountinfo_read(mountinfo_entry **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        mountinfo_entry *v;
        size_t n = 0;
        int r;

        r = fs_read_file("/proc/self/mountinfo", &text, NULL, err);
        if (r < 0)
                return r;
        lines = strv_split(text, "\n");
        v = xcalloc(strv_length(lines) + 1, sizeof(*v));
        STRV_FOREACH (l, lines)
                if (parse_line(*l, &v[n]) == 0)
                        n++;
        *ret = v;
        *ret_n = n;
        return 0;
}

void mountinfo_free(mountinfo_entry *e, size_t n)
{
        for (size_t i = 0; e && i < n; i++) {
                free(e[i].root);
                free(e[i].mountpoint);
                free(e[i].mount_opts);
                free(e[i].fstype);
                free(e[i].source);
                free(e[i].super_opts);
        }
        free(e);
}
