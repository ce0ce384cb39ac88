/* Capabilities and seccomp prepared in the parent; AppArmor and SELinux labels in the child. */
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/statfs.h>

#include "security.h"

int security_prepare(const char *root, const oci_spec *spec, const oci_process *p, caps_plan *ret_caps,
                     seccomp_plan **ret_seccomp, berth_error **err)
{
        _cleanup_free_ char *cache = NULL;
        caps_plan caps;

        if (caps_prepare(p->capabilities, &caps, err) < 0)
                return -1;
        if (spec->linux_ && spec->linux_->seccomp) {
                /* A dot name: `list` skips it, and no container is likely to be called so. */
                cache = xasprintf("%s/.seccomp-cache", root);
                if (seccomp_prepare_cached(spec->linux_->seccomp, cache, ret_seccomp, err) < 0)
                        return -1;
        } else {
                *ret_seccomp = NULL;
        }
        *ret_caps = caps;
        return 0;
}

bool security_apparmor_enabled(void)
{
        char c = 0;
        _cleanup_close_ int fd = -EBADF;

        if (access("/sys/kernel/security/apparmor", F_OK) < 0)
                return false;
        fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool security_selinux_enabled(void)
{
        struct statfs sfs;

        return statfs("/sys/fs/selinux", &sfs) == 0 && (unsigned long)sfs.f_type == SELINUX_MAGIC;
}

static int write_attr(const char *path, const char *fallback, const char *text, berth_error **err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT && fallback)
                fd = open(fallback, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, text, strlen(text)) < 0)
                return -errno;
        return 0;
}

int security_apply_labels(const oci_process *p, bool apparmor, bool selinux, berth_error **err)
{
        int r;

        if (apparmor && p->apparmor_profile && *p->apparmor_profile) {
                _cleanup_free_ char *cmd = xasprintf("exec %s", p->apparmor_profile);
                r = write_attr("/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec", cmd,
                               err);
                if (r < 0)
                        return berth_error_set(err, -r, "process.apparmorProfile: apply \"%s\"",
                                               p->apparmor_profile);
        }
        if (selinux && p->selinux_label && *p->selinux_label) {
                r = write_attr("/proc/thread-self/attr/exec", NULL, p->selinux_label, err);
                if (r < 0)
                        return berth_error_set(err, -r, "process.selinuxLabel: apply \"%s\"",
                                               p->selinux_label);
        }
        return 0;
}
