/*
 * What confines a container's process beyond its namespaces: capabilities and seccomp
 * prepared before clone, and the LSM labels (AppArmor, SELinux) applied in the child.
 */
#pragma once

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
