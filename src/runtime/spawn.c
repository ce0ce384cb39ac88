/* Shared by the init and exec: the sync channel, clone3, the console, the last steps to execve. */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "spawn.h"
#include "caps.h"
#include "process.h"
#include "seccomp.h"
#include "security.h"
#include "basic/fs.h"

int sync_send(int fd, int type, const berth_error *e, int exit_code)
{
        sync_msg m = {.type = type, .exit_code = exit_code};

        if (e) {
                _cleanup_free_ char *t = berth_error_text(e);
                snprintf(m.text, sizeof(m.text), "%s", t);
                m.errnum = e->errnum;
        }
        return send(fd, &m, offsetof(sync_msg, text) + strlen(m.text) + 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int sync_send_text(int fd, int type, const char *text)
{
        sync_msg m = {.type = type};

        if (strlen(text) >= sizeof(m.text))
                return -E2BIG;
        strcpy(m.text, text);
        return send(fd, &m, offsetof(sync_msg, text) + strlen(m.text) + 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int sync_recv_fd(int fd, sync_msg *m, int *ret_fd)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = {0};
        struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m) - 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control)};
        struct cmsghdr *c;
        int passed = -EBADF;
        ssize_t n;

        memset(m, 0, sizeof(*m));
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(&passed, CMSG_DATA(c), sizeof(int));
        if (ret_fd)
                *ret_fd = passed;
        else if (passed >= 0)
                close(passed);
        if (n < (ssize_t)offsetof(sync_msg, text))
                return -EPIPE;
        return 0;
}

int sync_recv(int fd, sync_msg *m)
{
        return sync_recv_fd(fd, m, NULL);
}

static int send_with_fd(int sock, const void *data, size_t len, int fd)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = {0};
        struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int sync_forward_seccomp(int sync_fd, const oci_seccomp *s, int fd, pid_t pid, const char *state_json,
                         berth_error **err)
{
        int r = -1;

        if (fd < 0)
                berth_error_set(err, EBADMSG, "the container sent no seccomp listener fd");
        else
                r = seccomp_send_notify_fd(s->listener_path, fd, pid, state_json, s->listener_metadata, err);
        if (fd >= 0)
                close(fd);
        if (r < 0)
                return r;
        if (sync_send(sync_fd, SYNC_GO, NULL, 0) < 0)
                return berth_error_set(err, EPIPE, "container process exited after loading seccomp");
        return 0;
}

int sync_msg_to_error(const sync_msg *m, berth_error **err)
{
        berth_error_set(err, 0, "%s", m->text);
        return m->exit_code == 127 || m->exit_code == 126 ? -m->exit_code : -EINVAL;
}

pid_t spawn_clone3(unsigned long long flags, int cgroup_fd)
{
        struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};

        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (unsigned long long)cgroup_fd;
        }
        return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

void spawn_kill_and_reap(pid_t pid)
{
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static int send_fd(int sock, int fd, const char *name, berth_error **err)
{
        int r = send_with_fd(sock, name, strlen(name), fd);

        if (r < 0)
                return berth_error_set(err, -r, "send the pty to --console-socket");
        return 0;
}

int spawn_console(const oci_process *p, int console_fd, berth_error **err)
{
        _cleanup_close_ int master = -EBADF, slave = -EBADF;
        char name[64];
        int ptn = 0;

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return berth_error_set(err, errno, "open /dev/ptmx");
        if (unlockpt(master) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0)
                return berth_error_set(err, errno, "unlock pty");
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return berth_error_set(err, errno, "open pty peer");
        if (p->console_size) {
                struct winsize ws = {.ws_row = (unsigned short)p->console_size->height,
                                     .ws_col = (unsigned short)p->console_size->width};
                ioctl(slave, TIOCSWINSZ, &ws);
        }
        snprintf(name, sizeof(name), "/dev/pts/%d", ptn);
        if (send_fd(console_fd, master, name, err) < 0)
                return -1;
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                return berth_error_set(err, errno, "make the pty the controlling terminal");
        for (int fd = 0; fd < 3; fd++)
                if (dup2(slave, fd) < 0)
                        return berth_error_set(err, errno, "dup pty to fd %d", fd);
        return 0;
}

/* Install the filter; a listener fd goes up the sync socket and we wait until the parent has
 * handed it to the agent (a notified syscall would otherwise block with nobody to answer). */
static int seccomp_load(spawn_security *sec, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        sync_msg m = {0};
        sync_msg ask = {.type = SYNC_SECCOMP};

        if (seccomp_plan_load(sec->seccomp, &fd, err) < 0)
                return -1;
        sec->seccomp_loaded = true;
        if (fd < 0)
                return 0;
        if (sec->sync_fd < 0 || send_with_fd(sec->sync_fd, &ask, offsetof(sync_msg, text) + 1, fd) < 0 ||
            sync_recv(sec->sync_fd, &m) < 0 || m.type != SYNC_GO)
                return berth_error_set(err, EPIPE, "hand the seccomp listener fd to the runtime");
        return 0;
}

/*
 * Without no_new_privs, loading needs CAP_SYS_ADMIN: before the user and caps change. With it,
 * the filter waits for spawn_exec, unless a listener fd must go up a sync socket that will be
 * closed by then (the init closes it at READY): then right after the caps, with no_new_privs.
 */
static int security_steps(const oci_process *p, spawn_security *sec, berth_error **err)
{
        bool nnp = p->no_new_privileges;

        if (security_apply_labels(p, sec->apparmor, sec->selinux, err) < 0)
                return -1;
        if (sec->seccomp && !nnp && seccomp_load(sec, err) < 0)
                return -1;
        if (process_apply_user(p, err) < 0)
                return -1;
        if (sec->caps && caps_apply(sec->caps, err) < 0)
                return -1;
        if (sec->seccomp && nnp && seccomp_plan_has_notify(sec->seccomp) && !sec->late_sync) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        return berth_error_set(err, errno, "prctl PR_SET_NO_NEW_PRIVS");
                return seccomp_load(sec, err);
        }
        return 0;
}

int spawn_process_steps(const oci_process *p, spawn_security *sec, char **ret_exe, int *exit_code,
                        berth_error **err)
{
        const char *cwd = p->cwd && *p->cwd ? p->cwd : "/";

        if (process_apply_rlimits(p, err) < 0 || process_apply_oom_score_adj(p, err) < 0)
                return -1;
        if (security_steps(p, sec, err) < 0)
                return -1;
        if (chdir(cwd) < 0)
                return berth_error_set(err, errno, "process.cwd: chdir %s", cwd);
        return process_find_executable(p, ret_exe, exit_code, err);
}

_noreturn_ static void exec_fail(const spawn_exec_args *a, berth_error *e, int exit_code)
{
        if (a->sync_fd >= 0) {
                sync_send(a->sync_fd, SYNC_ERROR, e, exit_code);
        } else {
                _cleanup_free_ char *t = berth_error_text(e);
                dprintf(STDERR_FILENO, "berth-runtime: %s\n", t);
        }
        _exit(exit_code);
}

_noreturn_ void spawn_exec(const spawn_exec_args *a)
{
        const oci_process *p = a->p;
        spawn_security sec = a->sec ? *a->sec : (spawn_security){.sync_fd = -1};
        berth_error *e = NULL;
        int r;

        fs_cloexec_from(3 + (int)a->preserve_fds);
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                berth_error_set(&e, errno, "prctl PR_SET_NO_NEW_PRIVS");
                exec_fail(a, e, 126);
        }
        /* Only execve follows: the profile need not allow anything of the runtime's own. */
        if (sec.seccomp && !sec.seccomp_loaded && seccomp_load(&sec, &e) < 0)
                exec_fail(a, e, 126);
        execve(a->exe, p->args, p->env ? p->env : (char *[]){NULL});
        r = errno;
        berth_error_set(&e, r, "exec: \"%s\"", p->args[0]);
        exec_fail(a, e, r == ENOENT ? 127 : 126);
}
