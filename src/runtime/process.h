/*
 * The container's process: validated before clone (user, rlimits, executable lookup rules),
 * applied in the child right before execve (rlimits, groups and ids, umask, cwd, exec).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include "basic/error.h"
#include "oci/spec.h"

/* Check process.* for what the kernel would refuse late (rlimit names are checked by the parser). */
int process_validate(const oci_process *p, berth_error **err);

/* setrlimit for every process.rlimits entry. */
int process_apply_rlimits(const oci_process *p, berth_error **err);

/* oom_score_adj of the calling process. */
int process_apply_oom_score_adj(const oci_process *p, berth_error **err);

/* setgroups(additionalGids), setresgid, setresuid (keeping capabilities for the caller to set). */
int process_apply_user(const oci_process *p, berth_error **err);

/* Find args[0] in PATH (from env, else the default) as runc does. *ret is the path to execve.
 * Errors carry runc's wording, which engines map to 127 and 126:
 *   exec: "X": executable file not found in $PATH / stat X: no such file or directory /
 *   exec: "X": permission denied. *ret_exit is the status the caller should use (127 or 126). */
int process_find_executable(const oci_process *p, char **ret, int *ret_exit, berth_error **err);

/* PATH used when the environment has none. */
#define PROCESS_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
