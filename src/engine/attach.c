/* The client side of the monitor's socket: one request (state, signal, resize), and attach,
 * which relays the container's output to our fds and our input to its stdin or pty. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "engine-internal.h"
#include "msock.h"

/* Connect, check the greeting, send req; the answer line without "ok" (or the error). */
static int request_fd(const char *path, const char *name, const char *req, int *ret_fd, char **ret_reply,
                      berth_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        char line[512];

        if (msock_connect(path, &fd, NULL) < 0)
                return berth_error_set(err, 0, "container %s is not running", name);
        if (msock_read_line(fd, line, sizeof(line), NULL) < 0 || !streq(line, MSOCK_GREETING))
                return berth_error_set(err, EPROTO, "the monitor of container %s", name);
        if (msock_send_line_creds(fd, req) < 0 || msock_read_line(fd, line, sizeof(line), NULL) < 0)
                return berth_error_set(err, EIO, "the monitor of container %s", name);
        if (strncmp(line, "error ", 6) == 0)
                return berth_error_set(err, 0, "container %s: %s", name, line + 6);
        if (strncmp(line, "ok", 2) != 0 || (line[2] && line[2] != ' '))
                return berth_error_set(err, EPROTO, "the monitor of container %s", name);
        if (ret_reply)
                *ret_reply = xstrdup(line[2] ? line + 3 : "");
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}

int engine_monitor_request(engine *e, const char *what, const char *req, char **ret_reply, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *path = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        path = msock_path(e->runroot, c->id);
        return request_fd(path, c->name, req, NULL, ret_reply, err);
}

typedef struct attach_run {
        const attach_opts *o;
        const char *path, *name;
        int sock, sfd;
        size_t matched; /* bytes of the detach keys seen so far (held back) */
        bool in_open, detached;
} attach_run;

static void send_resize(attach_run *a)
{
        struct winsize ws;
        _cleanup_free_ char *req = NULL;

        if (a->o->tty_fd < 0 || ioctl(a->o->tty_fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
                return;
        req = xasprintf("resize %u %u", ws.ws_row, ws.ws_col);
        request_fd(a->path, a->name, req, NULL, NULL, NULL);
}

/* Our input: the detach keys end the attach, everything else goes to the container. */
static int pump_input(attach_run *a)
{
        char buf[4096], out[4096 + 64];
        size_t n_out = 0;
        const char *k = a->o->detach_keys;
        size_t nk = a->o->n_detach_keys;
        ssize_t n = read(a->o->in_fd, buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                a->in_open = false;
                return msock_send_frame(a->sock, 'c', NULL, 0);
        }
        for (ssize_t i = 0; i < n; i++) {
                if (nk > 0 && buf[i] == k[a->matched]) {
                        if (++a->matched == nk) {
                                a->detached = true;
                                break;
                        }
                        continue;
                }
                memcpy(out + n_out, k, a->matched); /* not the sequence after all */
                n_out += a->matched;
                a->matched = 0;
                if (nk > 0 && buf[i] == k[0])
                        a->matched = 1;
                else
                        out[n_out++] = buf[i];
        }
        return n_out > 0 ? msock_send_frame(a->sock, 'i', out, n_out) : 0;
}

/* A frame from the monitor: 1 when the attach is over (*status set), 0 to go on, <0 error. */
static int pump_output(attach_run *a, int *status, berth_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        char type = 0;
        int r = msock_read_frame(a->sock, &type, &data, &len);

        if (r <= 0)
                return berth_error_set(err, 0, "the monitor of container %s went away", a->name);
        switch (type) {
        case 'o':
                fs_write_all(a->o->out_fd, data, len);
                return 0;
        case 'e':
                fs_write_all(a->o->err_fd, data, len);
                return 0;
        case 'x':
                *status = atoi(data);
                return 1;
        case 'E':
                return berth_error_set(err, 0, "%s", data);
        default:
                return 0;
        }
}

static void on_signal(attach_run *a)
{
        struct signalfd_siginfo si;
        _cleanup_free_ char *req = NULL;

        if (read(a->sfd, &si, sizeof(si)) != sizeof(si))
                return;
        if (si.ssi_signo == SIGWINCH) {
                send_resize(a);
                return;
        }
        req = xasprintf("signal %u", si.ssi_signo);
        request_fd(a->path, a->name, req, NULL, NULL, NULL);
}

static int relay(attach_run *a, int *ret_status, berth_error **err)
{
        int status = -1, r = 0;

        while (r == 0 && !a->detached) {
                struct pollfd p[3] = {{.fd = a->sock, .events = POLLIN},
                                      {.fd = a->in_open ? a->o->in_fd : -1, .events = POLLIN},
                                      {.fd = a->sfd, .events = POLLIN}};
                /* the caller's flag is looked at every round and every 200 ms: its signal may land
                 * outside poll (in a read that restarts), and poll would not see it */
                if (a->o->interrupted && *a->o->interrupted)
                        return berth_error_set(err, EINTR, "interrupted");
                if (poll(p, 3, a->o->interrupted ? 200 : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_error_set(err, errno, "poll");
                }
                if (p[0].revents)
                        r = pump_output(a, &status, err);
                if (r == 0 && p[1].revents && pump_input(a) < 0)
                        r = berth_error_set(err, 0, "the monitor of container %s went away", a->name);
                if (p[2].revents)
                        on_signal(a);
        }
        if (r < 0)
                return r;
        *ret_status = a->detached ? -1 : status;
        return 0;
}

int engine_attach(engine *e, const char *what, const attach_opts *o, int *ret_status, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int sock = -EBADF, sfd = -EBADF;
        sigset_t set, old;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        path = msock_path(e->runroot, c->id);
        attach_run a = {.o = o, .path = path, .name = c->name, .in_open = o->stdin_ && o->in_fd >= 0};
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        if (o->sig_proxy) {
                sigaddset(&set, SIGINT);
                sigaddset(&set, SIGTERM);
                sigaddset(&set, SIGHUP);
                sigaddset(&set, SIGQUIT);
        }
        sigprocmask(SIG_BLOCK, &set, &old);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        a.sfd = sfd;
        send_resize(&a); /* before the attach: a start -a begins with the right size */
        r = request_fd(path, c->name, o->stdin_ ? "attach stdin" : "attach", &sock, NULL, err);
        a.sock = sock;
        if (r >= 0)
                r = relay(&a, ret_status, err);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
