/*
 * What the container's init and an exec'd process share: the parent/child sync channel, clone3,
 * the pty handed to --console-socket, and the process steps up to execve.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "basic/error.h"
#include "oci/spec.h"

/* SYNC_SECCOMP carries the seccomp listener fd (SCM_RIGHTS); the parent answers SYNC_GO once
 * the agent has it. */
enum sync_type { SYNC_GO = 1, SYNC_READY, SYNC_ERROR, SYNC_HOOKS, SYNC_SECCOMP };

typedef struct sync_msg {
        int32_t type;
        int32_t errnum;
        int32_t exit_code;
        char text[4000];
} sync_msg;

int sync_send(int fd, int type, const berth_error *e, int exit_code);
/* A message carrying text (the state JSON for createContainer hooks). */
int sync_send_text(int fd, int type, const char *text);
/* -EPIPE on EOF (the peer exited or exec'd: the socket is close-on-exec). */
int sync_recv(int fd, sync_msg *m);
/* sync_recv that also takes an fd passed with the message (*ret_fd -EBADF when none). */
int sync_recv_fd(int fd, sync_msg *m, int *ret_fd);

/* The parent's answer to SYNC_SECCOMP: hand the listener fd to linux.seccomp.listenerPath
 * with state_json (the container's state), closes fd, then tells the child to go on. */
int sync_forward_seccomp(int sync_fd, const oci_seccomp *s, int fd, pid_t pid, const char *state_json,
                         berth_error **err);

/* Turn a received SYNC_ERROR into *err; returns -127/-126 when the command could not be found
 * or invoked (engines map those to exit codes), else -EINVAL. */
int sync_msg_to_error(const sync_msg *m, berth_error **err);

/* clone3 with exit signal SIGCHLD, into cgroup_fd when >= 0 (CLONE_INTO_CGROUP). */
pid_t spawn_clone3(unsigned long long flags, int cgroup_fd);

void spawn_kill_and_reap(pid_t pid);

/* Open a pty inside the container, send the master to console_fd (SCM_RIGHTS, as runc does), and
 * make the slave the caller's stdio and controlling terminal. */
int spawn_console(const oci_process *p, int console_fd, berth_error **err);

/* What confines the process, prepared before clone (see the call order in caps.h). */
typedef struct spawn_security {
        const struct caps_plan *caps;       /* NULL: leave capabilities as they are */
        const struct seccomp_plan *seccomp; /* NULL: no filter */
        int sync_fd;                        /* a seccomp listener fd goes up here (SYNC_SECCOMP) */
        bool late_sync;         /* sync_fd is still open in spawn_exec (exec), not closed at READY (init) */
        bool seccomp_loaded;    /* set by spawn_process_steps when it had to load the filter early */
        bool apparmor, selinux; /* the LSM is active: apply process.apparmorProfile, selinuxLabel */
} spawn_security;

/* rlimits, oom_score_adj, seccomp when it cannot wait (no no_new_privs), user, capabilities,
 * LSM labels, cwd, then the executable's path: the steps that can fail and must be reported
 * before the caller says READY. *exit_code is 126/127 for a bad command. */
int spawn_process_steps(const oci_process *p, spawn_security *sec, char **ret_exe, int *exit_code,
                        berth_error **err);

typedef struct spawn_exec_args {
        const oci_process *p;
        const char *exe;
        unsigned preserve_fds;
        const spawn_security *sec;
        int sync_fd; /* report errors here, or -1 to print them to stderr */
} spawn_exec_args;

/* The last steps, as late as possible: close-on-exec of every fd beyond stdio and the preserved
 * ones, no_new_privs, seccomp (when not loaded yet), execve. Never returns. */
_noreturn_ void spawn_exec(const spawn_exec_args *a);
