/*
 * run in the foreground: create, start, then wait for the init, forwarding signals; with
 * process.terminal and no --console-socket the runtime holds the pty itself and relays it to
 * its own stdin and stdout (raw mode, window size), as runc does.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

#include "run.h"
#include "exe-protect.h"
#include "basic/fs.h"
#include "basic/jsonh.h"

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

static int recv_fd(int sock)
{
        char cbuf[CMSG_SPACE(sizeof(int))], name[64];
        struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
        struct cmsghdr *cm;
        int fd;

        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
                return -errno;
        cm = CMSG_FIRSTHDR(&msg);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
                return -EBADMSG;
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

static void copy_winsize(int from, int to)
{
        struct winsize ws;

        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable from one fd to another; false on EOF or error. */
static bool pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n <= 0)
                return n < 0 && (errno == EINTR || errno == EAGAIN);
        return fs_write_all(to, buf, (size_t)n) == 0;
}

static int wait_status(pid_t pid, int *ret_status)
{
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r != pid)
                return 0;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 1;
}

/* Serve signals (and the pty when master >= 0) until the init exits. */
static int serve(pid_t pid, const sigset_t *set, int master, int *ret_status)
{
        _cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC);
        struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                              {.fd = master, .events = POLLIN},
                              {.fd = master >= 0 ? STDIN_FILENO : -1, .events = POLLIN}};

        if (sfd < 0)
                return -errno;
        if (master >= 0)
                copy_winsize(STDIN_FILENO, master);
        for (;;) {
                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        return -errno;
                if (p[1].revents & POLLIN)
                        pump(master, STDOUT_FILENO);
                if (p[2].revents & (POLLIN | POLLHUP) && !pump(STDIN_FILENO, master))
                        p[2].fd = -1; /* stdin closed: keep serving output */
                if (!(p[0].revents & POLLIN))
                        continue;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) != sizeof(si))
                        continue;
                if (si.ssi_signo == SIGWINCH && master >= 0)
                        copy_winsize(STDIN_FILENO, master);
                else if (si.ssi_signo != SIGCHLD)
                        kill(pid, (int)si.ssi_signo);
                else if (wait_status(pid, ret_status)) {
                        while (master >= 0 && poll(&p[1], 1, 0) == 1 && (p[1].revents & POLLIN) &&
                               pump(master, STDOUT_FILENO))
                                ;
                        return 0;
                }
        }
}

int runtime_run(const char *root, const char *id, const runtime_create_opts *opts, bool detach,
                int *ret_status, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        _cleanup_close_ int master = -EBADF, console_ours = -EBADF;
        struct termios saved_tio;
        bool raw = false;
        sigset_t set, old;
        int r, status = 0, console_theirs = -EBADF;

        if (runtime_exe_protect(root, err) < 0)
                return -1;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        if (!detach && !opts->console_socket) {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                        return berth_error_set(err, errno, "socketpair");
                console_ours = sv[0];
                console_theirs = sv[1];
        }
        if (!detach)
                sigprocmask(SIG_BLOCK, &set, &old);
        r = container_create_full(root, id, opts, console_theirs, &st, err);
        if (r >= 0 && console_ours >= 0 && st->config &&
            json_is_true(json_object_get(json_object_get(st->config, "process"), "terminal"))) {
                master = recv_fd(console_ours);
                if (master < 0)
                        r = berth_error_set(err, -master, "receive the container's pty");
                if (r >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
                        struct termios tio = saved_tio;
                        cfmakeraw(&tio);
                        raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
                }
        }
        if (r >= 0)
                r = container_start_locked(st, err);
        if (r >= 0 && !detach) {
                r = serve(st->pid, &set, master, &status);
                if (r < 0)
                        berth_error_set(err, -r, "wait for container %s", id);
        }
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
        if (!detach)
                sigprocmask(SIG_SETMASK, &old, NULL);
        if (st && (!detach || r < 0))
                runtime_delete(root, id, true, NULL);
        if (r >= 0 && ret_status)
                *ret_status = status;
        return r;
}
