/*
 * The CVE-2019-5736 class: a process in the container opens /proc/<pid>/exe of a runtime
 * process (or makes the init exec /proc/self/exe) and writes the host's runtime binary. We
 * re-exec from a read-only view of our own binary before anything else, as runc 1.2 does: a
 * detached overlayfs (fsopen/fsmount, never attached anywhere) whose only lower layers are the
 * binary's directory and the (empty-named) state root. An overlay without an upper layer has
 * no way to write, even if its mount is cloned and remounted read-write; it costs no copy of
 * the binary. Where overlayfs is missing, a sealed memfd copy (crun's and runc 1.1's way).
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "exe-protect.h"
#include "basic/fs.h"
#include "basic/strv.h"

#define SEALED_ENV "_BERTH_RUNTIME_SEALED"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int fsconfig_str(int fd, const char *key, const char *value)
{
        return (int)syscall(SYS_fsconfig, fd, value ? FSCONFIG_SET_STRING : FSCONFIG_CMD_CREATE, key, value,
                            0);
}

/* ":" and "\" separate overlay layers: a path with them is not usable here. */
static bool overlay_path_ok(const char *p)
{
        return p[0] == '/' && !strpbrk(p, ":\\,");
}

static int overlay_exe(const char *exe, const char *dummy_dir)
{
        _cleanup_free_ char *dir = xstrdup(exe), *lower = NULL;
        _cleanup_close_ int ctx = -EBADF, mnt = -EBADF;
        char *slash = strrchr(dir, '/');
        const char *name;

        if (!slash || !overlay_path_ok(exe) || !overlay_path_ok(dummy_dir))
                return -EINVAL;
        *slash = 0;
        name = slash + 1;
        /* The binary's directory on top, so that nothing in the dummy layer can mask it. */
        lower = xasprintf("%s:%s", *dir ? dir : "/", dummy_dir);
        ctx = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (ctx < 0)
                return -errno;
        if (fsconfig_str(ctx, "lowerdir", lower) < 0)
                return -errno;
        (void)fsconfig_str(ctx, "xino", "off"); /* spares dmesg a warning; optional */
        if (fsconfig_str(ctx, NULL, NULL) < 0)
                return -errno;
        mnt = (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC,
                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
        if (mnt < 0)
                return -errno;
        int fd = openat(mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int memfd_exe(const char *exe)
{
        _cleanup_close_ int src = open(exe, O_RDONLY | O_CLOEXEC), mfd = -EBADF;
        struct stat st;
        off_t off = 0;

        if (src < 0 || fstat(src, &st) < 0)
                return -errno;
        mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (mfd < 0 && errno == EINVAL)
                mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return -errno;
        while (off < st.st_size)
                if (sendfile(mfd, src, &off, (size_t)(st.st_size - off)) <= 0)
                        return -EIO;
        if (fchmod(mfd, 0555) < 0 ||
            fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return -errno;
        return TAKE_FD(mfd);
}

static char **read_cmdline(void)
{
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        char **argv = NULL;

        if (fs_read_file("/proc/self/cmdline", &buf, &n, NULL) < 0 || n == 0)
                return NULL;
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
                strv_push(&argv, buf + i);
        return argv;
}

int runtime_exe_protect(const char *state_root, berth_error **err)
{
        _cleanup_free_ char *exe = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (getenv(SEALED_ENV)) {
                /* Our own mark: not passed on to hooks or to a runtime they may start. */
                unsetenv(SEALED_ENV);
                return 0;
        }
        exe = realpath("/proc/self/exe", NULL);
        if (!exe)
                return berth_error_set(err, errno, "resolve /proc/self/exe");
        if (fs_mkdir_p(state_root, 0700, NULL) >= 0)
                fd = overlay_exe(exe, state_root);
        if (fd < 0)
                fd = memfd_exe(exe);
        if (fd < 0)
                return berth_error_set(err, -fd, "make a read-only copy of %s to run from", exe);
        argv = read_cmdline();
        if (!argv)
                return berth_error_set(err, EIO, "read /proc/self/cmdline");
        setenv(SEALED_ENV, "1", 1);
        syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
        unsetenv(SEALED_ENV);
        return berth_error_set(err, errno, "re-exec %s from its read-only copy", exe);
}
