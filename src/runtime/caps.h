/*
 * process.capabilities: names to bitmasks before clone(), and the five sets applied in the
 * child after the uid change.
 *
 * The call order in the child (container init and `exec`), after namespaces, mounts and
 * pivot_root, while the process is still root with its full capabilities:
 *
 *   parent, before clone:  caps_prepare(); seccomp_prepare_cached(s, "<state root>/seccomp-cache")
 *                          (all validation; the cache saves ~10 ms of compiling per start)
 *   1. if seccomp && !process.noNewPrivileges:
 *          seccomp_plan_load()        loading needs CAP_SYS_ADMIN without no_new_privs, so it
 *                                     comes before the caps are dropped; the profile must then
 *                                     allow what follows (Docker's does: capset, prctl,
 *                                     setresuid, setgroups, execve, ...). Pass a notify fd up
 *                                     the sync socket now.
 *   2. caps_keep_across_setuid()      PR_SET_KEEPCAPS: the permitted set survives step 3
 *   3. setgroups(), setresgid(), setresuid()   (process.user)
 *   4. caps_apply()                   bounding drop, keepcaps cleared, capset(E, P, I), ambient
 *   5. if process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS, 1)
 *   6. if seccomp && process.noNewPrivileges:
 *          seccomp_plan_load()        as late as possible: only the start wait and execve
 *                                     follow. Pass a notify fd up the sync socket now.
 *   7. execve()
 *
 * With SCMP_ACT_NOTIFY, every notified syscall the child makes after loading blocks until the
 * agent answers: the parent sends the fd on (seccomp_send_notify_fd) as soon as it arrives,
 * before it waits for anything else from the child. The profile cannot notify on write.
 *
 * This is runc's order. caps_apply works after a switch to a non-zero uid because of step 2:
 * it first raises the effective set from the kept permitted set to drop the bounding set.
 */
#pragma once

#include <stdint.h>
#include "basic/error.h"
#include "oci/spec.h"

typedef struct caps_plan {
        uint64_t bounding, effective, permitted, inheritable, ambient; /* bit n: capability n */
        int last_cap;             /* /proc/sys/kernel/cap_last_cap at prepare time */
        uint64_t ambient_skipped; /* asked for but not in permitted and inheritable (runc warns) */
} caps_plan;

/* Docker's 14 default capabilities, NULL-terminated. */
extern const char *const caps_docker_default[];

/* "CAP_CHOWN" (the CAP_ prefix required, any case after it) to 0; -EINVAL when unknown. */
int caps_from_name(const char *name);
/* 0 to "CAP_CHOWN"; caller frees. NULL for a number libcap does not know. */
char *caps_to_name(int cap);

/*
 * Every name is checked (`process.capabilities.bounding[2]: unknown capability "CAP_FOO"`);
 * a capability that libcap knows but this kernel does not is dropped from the sets, as runc
 * does. A set that is absent is empty, and c == NULL means no capabilities at all. The
 * effective set must be a subset of the permitted set.
 */
int caps_prepare(const oci_capabilities *c, caps_plan *ret, berth_error **err);

/* Step 2 of the order above: keep the permitted set across setuid() (PR_SET_KEEPCAPS). */
int caps_keep_across_setuid(berth_error **err);

/* Step 4: drop the bounding set, clear keepcaps, set E/P/I with capset(), raise the ambient set. */
int caps_apply(const caps_plan *p, berth_error **err);
