/*
 * linux.seccomp of config.json becomes a classic BPF program before clone(), and the child
 * only hands that program to the kernel right before execve: no libseccomp, no parsing and
 * no allocation in the container's init. Also Docker's default profile, embedded in the binary.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include "basic/error.h"
#include "oci/spec.h"

typedef struct seccomp_plan seccomp_plan;

/*
 * Validate s and compile it: every action, architecture, operator and flag is checked
 * (errors name the JSON path, `linux.seccomp.syscalls[3].action: unknown action "X"`);
 * syscall names that libseccomp does not know are skipped, as runc does. A rule whose action
 * equals the default action is skipped (it is redundant). Several args on one rule are ANDed;
 * when one index appears twice, each arg becomes a rule of its own (ORed), as runc does.
 * A profile that denies by default answers ENOSYS, not its default, for a syscall numbered
 * above every one it names (runc does too): libc then falls back to an older call.
 */
int seccomp_prepare(const oci_seccomp *s, seccomp_plan **ret, berth_error **err);

/*
 * seccomp_prepare with a cache of compiled programs in cache_dir (owned by the caller, not
 * writable by others, created 0700 when missing under an existing parent; NULL: no cache). An entry is found
 * by a hash of the profile, libseccomp's version, the native architecture and the kernel release, and is
 * used only when the whole key stored in it matches, so a hash collision can only cost a rebuild. A cache
 * that cannot be read or written is ignored: it never makes the start fail.
 */
int seccomp_prepare_cached(const oci_seccomp *s, const char *cache_dir, seccomp_plan **ret,
                           berth_error **err);

/* The plan uses SCMP_ACT_NOTIFY: seccomp_plan_load returns a listener fd. */
bool seccomp_plan_has_notify(const seccomp_plan *p);
/* The filter's instruction count (for logs and tests). */
size_t seccomp_plan_size(const seccomp_plan *p);

/*
 * In the child: install the filter with seccomp(SECCOMP_SET_MODE_FILTER) and the profile's
 * flags. Makes no allocation on success. Needs either no_new_privs already set or
 * CAP_SYS_ADMIN (see the call order in caps.h). *ret_notify_fd is the listener fd when the
 * plan has SCMP_ACT_NOTIFY, otherwise -EBADF (ret_notify_fd may be NULL when it has none).
 */
int seccomp_plan_load(const seccomp_plan *p, int *ret_notify_fd, berth_error **err);

void seccomp_plan_free(seccomp_plan *p);
static inline void seccomp_plan_freep(seccomp_plan **p)
{
        seccomp_plan_free(*p);
}
#define _cleanup_seccomp_plan_ _cleanup_(seccomp_plan_freep)

/*
 * Hand the notify fd to the seccomp agent listening at listener_path, as runc does: one
 * connection, one sendmsg carrying the container process state
 * `{"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}` with the fd as
 * SCM_RIGHTS, then close. pid is the filtered process (init, or the process of an `exec`);
 * pid <= 0 takes the state's "pid". state_json is the container's state as `state` prints
 * it; metadata is linux.seccomp.listenerMetadata (NULL: ""). Run it in the runtime's parent
 * process (the host path is not visible from the container): the child passes the fd up its
 * sync socket first.
 */
int seccomp_send_notify_fd(const char *listener_path, int notify_fd, pid_t pid, const char *state_json,
                           const char *metadata, berth_error **err);

/*
 * Docker's default profile as a linux.seccomp JSON object, resolved as Docker resolves it
 * for this machine: the native architecture with its sub-architectures, and the blocks that
 * depend on a capability kept or dropped according to caps (the bounding set the container
 * gets, "CAP_SYS_ADMIN" style names; NULL means none). caps_docker_default (caps.h) gives
 * exactly Docker's default. The profile is compiled into the binary (data/seccomp-default.json).
 */
int seccomp_default_profile(const char *const *caps, json_t **ret, berth_error **err);
