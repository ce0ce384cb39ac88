/* overlay driver. Many layers make the "lowerdir=a:b:c" option string longer than the one page
 * mount(2) accepts (about 50 of ROOT/layers/<64 hex>/diff). The fsconfig() API takes one
 * "lowerdir+" parameter per layer (Linux 6.8+), so each path is passed on its own and the only
 * limit is overlayfs' own stack depth (500): no helper links to maintain, nothing to clean up.
 * Older kernels get Docker's trick in a private form: a directory DIR/l of symlinks named
 * 0, 1, 2, ... and mount(2) run from there with relative names (a few bytes per layer). */
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/fs.h"
#include "storage.h"

static int sys_fsopen(const char *fs, unsigned flags)
{
        return (int)syscall(SYS_fsopen, fs, flags);
}

static int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
        return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static int sys_fsmount(int fd, unsigned flags, unsigned attrs)
{
        return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static int sys_move_mount(int from_fd, const char *from, int to_fd, const char *to, unsigned flags)
{
        return (int)syscall(SYS_move_mount, from_fd, from, to_fd, to, flags);
}

static int prepare_dirs(const char *dir, berth_error **err)
{
        static const char *const subs[] = {"upper", "work", "merged"};
        int r = fs_mkdir_p(dir, 0700, err);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(subs); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, subs[i]);
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        r = berth_error_set(err, errno, "mkdir %s", p);
        }
        return r;
}

/* The fsconfig error log carries overlayfs' own reason ("overlayfs: failed to resolve ..."). */
static int fs_context_error(int fsfd, const char *what, berth_error **err)
{
        int saved = errno;
        char buf[512];
        ssize_t n = read(fsfd, buf, sizeof(buf) - 1);

        if (n > 2) {
                buf[n] = 0;
                buf[strcspn(buf, "\n")] = 0;
                return berth_error_set(err, saved, "%s: %s", what, buf + 2);
        }
        return berth_error_set(err, saved, "%s", what);
}

static int fsconfig_layers(int fsfd, const char *dir, char *const *lowers, size_t n, berth_error **err)
{
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir), *work = xasprintf("%s/work", dir);

        /* lowerdir+ stacks top first, as "lowerdir=" lists them. */
        for (size_t i = n; i > 0; i--)
                if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i - 1], 0) < 0)
                        return fs_context_error(fsfd, "overlay lowerdir", err);
        if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
            sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
                return fs_context_error(fsfd, "overlay upperdir", err);
        if (sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_context_error(fsfd, "create overlay", err);
        return 0;
}

int overlay_mount_fsconfig(const char *dir, char *const *lowers, size_t n, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);
        _cleanup_close_ int fsfd = -EBADF, mfd = -EBADF;
        int r;

        r = prepare_dirs(dir, err);
        if (r < 0)
                return r;
        fsfd = sys_fsopen("overlay", FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return berth_error_set(err, errno, "fsopen overlay");
        r = fsconfig_layers(fsfd, dir, lowers, n, err);
        if (r < 0)
                return berth_error_wrap(err, "mount overlay on %s", merged);
        mfd = sys_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
        if (mfd < 0)
                return berth_error_set(err, errno, "mount overlay on %s", merged);
        if (sys_move_mount(mfd, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return berth_error_set(err, errno, "mount overlay on %s", merged);
        return 0;
}

/* DIR/l/<i> -> lowers[i]: names of a few bytes, so hundreds of layers fit in one page. */
static int make_short_links(const char *dir, char *const *lowers, size_t n, berth_error **err)
{
        _cleanup_free_ char *l = xasprintf("%s/l", dir);
        int r;

        fs_rm_rf(l, NULL);
        r = fs_mkdir_p(l, 0700, err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *link = xasprintf("%s/%zu", l, i);
                if (symlink(lowers[i], link) < 0)
                        r = berth_error_set(err, errno, "symlink %s", link);
        }
        return r;
}

static char *legacy_options(const char *dir, size_t n)
{
        size_t cap = 64 + 2 * strlen(dir) + n * 8;
        char *o = xmalloc(cap), *p = o;

        p += sprintf(p, "lowerdir=");
        for (size_t i = n; i > 0; i--)
                p += sprintf(p, "%s%zu", i == n ? "" : ":", i - 1);
        sprintf(p, ",upperdir=%s/upper,workdir=%s/work", dir, dir);
        return o;
}

/* mount(2) resolves the relative names against the cwd: change it in a child only. */
static int mount_from_dir(const char *ldir, const char *merged, const char *opts, berth_error **err)
{
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return berth_error_set(err, errno, "fork");
        if (pid == 0) {
                if (chdir(ldir) < 0 || mount("overlay", merged, "overlay", 0, opts) < 0)
                        _exit(errno & 0xff);
                _exit(0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return berth_error_set(err, errno, "wait for mount");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_error_set(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO,
                                       "mount overlay on %s", merged);
        return 0;
}

int overlay_mount_legacy(const char *dir, char *const *lowers, size_t n, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir), *ldir = xasprintf("%s/l", dir);
        _cleanup_free_ char *opts = NULL;
        int r;

        r = prepare_dirs(dir, err);
        if (r < 0)
                return r;
        r = make_short_links(dir, lowers, n, err);
        if (r < 0)
                return r;
        opts = legacy_options(dir, n);
        if (strlen(opts) >= (size_t)getpagesize())
                return berth_error_set(err, E2BIG, "mount overlay on %s: %zu layers do not fit in one page",
                                       merged, n);
        return mount_from_dir(ldir, merged, opts, err);
}

/* overlay needs at least one lowerdir: an image without layers stacks an empty one. */
static int empty_lower(const char *dir, char **ret, berth_error **err)
{
        _cleanup_free_ char *p = xasprintf("%s/empty", dir);
        int r = fs_mkdir_p(p, 0755, err);

        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int overlay_mount(const char *dir, char *const *lowers, size_t n, berth_error **err)
{
        _cleanup_free_ char *empty = NULL;
        char *one[2] = {};
        int r;

        if (n == 0) {
                r = fs_mkdir_p(dir, 0700, err);
                if (r >= 0)
                        r = empty_lower(dir, &empty, err);
                if (r < 0)
                        return r;
                one[0] = empty;
                lowers = one;
                n = 1;
        }
        r = overlay_mount_fsconfig(dir, lowers, n, err);
        /* EINVAL: a kernel before 6.8 does not know "lowerdir+"; ENOSYS: no fsopen at all. */
        if (r == -EINVAL || r == -ENOSYS) {
                berth_error_freep(err);
                r = overlay_mount_legacy(dir, lowers, n, err);
        }
        return r;
}

static int overlay_umount(const char *dir, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);

        if (umount2(merged, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return berth_error_set(err, errno, "unmount %s", merged);
        return 0;
}

static int overlay_remove(const char *dir, berth_error **err)
{
        static const char *const subs[] = {"merged", "upper", "work", "l", "empty"};
        int r = overlay_umount(dir, err);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(subs); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, subs[i]);
                r = fs_rm_rf(p, err);
        }
        return r;
}

static int overlay_usage(const char *dir, uint64_t *ret, berth_error **err)
{
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        return storage_disk_usage(upper, ret, err);
}

static bool overlay_supported(const char *root)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/filesystems", "re");
        char line[256];

        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, "\toverlay\n"))
                        return true;
        return false;
}

const storage_driver storage_driver_overlay = {
        .name = "overlay",
        .supported = overlay_supported,
        .mount = overlay_mount,
        .umount = overlay_umount,
        .remove = overlay_remove,
        .usage = overlay_usage,
};
