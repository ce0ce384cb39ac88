/*
 * What confines a container's process beyond its namespaces: capabilities and seccomp
 * prepared before clone, and the LSM labels (AppArmor, SELinux) applied in the child.
 */
#pragma once

#include <stdbool.h>
#include "basic/error.h"
#include "oci/spec.h"
#include "caps.h"
#include "seccomp.h"

/*
 * Validate and compile p's capabilities and spec's linux.seccomp (NULL when it has none), with
 * compiled filters cached under <root>/.seccomp-cache. Nothing is created on failure.
 */
int security_prepare(const char *root, const oci_spec *spec, const oci_process *p, caps_plan *ret_caps,
                     seccomp_plan **ret_seccomp, berth_error **err);

/* Whether the LSM is active on this host (asked in the parent, where /sys is the host's):
 * AppArmor as crun decides (securityfs has it and the module says "Y"), SELinux when
 * selinuxfs is mounted at /sys/fs/selinux. */
bool security_apparmor_enabled(void);
bool security_selinux_enabled(void);

/*
 * In the child, after pivot_root (the container's /proc), before the user switch: label the
 * coming execve with process.apparmorProfile (/proc/thread-self/attr/apparmor/exec) and
 * process.selinuxLabel (/proc/thread-self/attr/exec). Each is skipped when its LSM is not
 * active, as crun does.
 */
int security_apply_labels(const oci_process *p, bool apparmor, bool selinux, berth_error **err);
