/* Capabilities and seccomp prepared in the parent; AppArmor and SELinux labels in the child. */
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
