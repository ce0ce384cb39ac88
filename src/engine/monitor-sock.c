/* The monitor's side of its unix socket (msock.h has the protocol): peers authenticated by their
 * SCM_CREDENTIALS, one request each; attached peers get the output as frames and feed stdin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include "basic/fs.h"
#include "monitor.h"
#include "msock.h"

int mon_sock_open(mon *m, berth_error **err)
{
        return msock_listen(m->sock_path, &m->listen_fd, err);
}

static bool uid_allowed(uid_t uid)
{
        return uid == 0 || uid == geteuid();
}

static void say(int fd, const char *fmt, ...) _printf_(2, 3);
static void say(int fd, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s)
                send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* One request line; true when the connection stays (an attached peer). */
static bool answer(mon *m, int fd, const char *req)
{
        int a = 0, b = 0;
        char extra;

        if (streq(req, "state")) {
                say(fd, "ok %s %d %s\n", m->started ? "running" : "created", (int)m->pid,
                    m->o.tty ? "tty" : "notty");
        } else if (sscanf(req, "signal %d%c", &a, &extra) == 1) {
                if (a <= 0 || a > 64 || m->pid <= 0)
                        say(fd, "error invalid signal %d\n", a);
                else if (kill(m->pid, a) < 0)
                        say(fd, "error signal %d: %s\n", a, strerror(errno));
                else
                        say(fd, "ok\n");
        } else if (sscanf(req, "resize %d %d%c", &a, &b, &extra) == 2) {
                struct winsize ws = {.ws_row = (unsigned short)a, .ws_col = (unsigned short)b};
                if (m->master < 0)
                        say(fd, "error the container has no tty\n");
                else if (a <= 0 || b <= 0 || a > 65535 || b > 65535)
                        say(fd, "error invalid size %d %d\n", a, b);
                else if (ioctl(m->master, TIOCSWINSZ, &ws) < 0)
                        say(fd, "error resize: %s\n", strerror(errno));
                else
                        say(fd, "ok\n");
        } else if (streq(req, "attach") || streq(req, "attach stdin")) {
                if (m->n_clients >= MON_MAX_CLIENTS) {
                        say(fd, "error too many attached clients\n");
                        return false;
                }
                say(fd, "ok\n");
                m->clients[m->n_clients++] = (mon_client){.fd = fd, .stdin_ = streq(req, "attach stdin")};
                return true;
        } else
                say(fd, "error unknown request: %.64s\n", req);
        return false;
}

void mon_sock_accept(mon *m)
{
        struct timeval tv = {.tv_sec = 2};
        struct ucred peer;
        socklen_t len = sizeof(peer);
        char line[256];
        uid_t uid;
        int one = 1;
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
                return;
        /* a peer that stalls costs us at most a few seconds, never the container's output */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
        say(fd, MSOCK_GREETING "\n");
        if (msock_read_line(fd, line, sizeof(line), &uid) < 0) {
                close(fd);
                return;
        }
        /* the credentials of the request (the kernel's, or the peer's own that it checked) and
         * of the connection must both be root's or ours */
        if (uid == (uid_t)-1 || !uid_allowed(uid) ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || !uid_allowed(peer.uid)) {
                say(fd, "error permission denied\n");
                close(fd);
                return;
        }
        if (!answer(m, fd, line))
                close(fd);
}

static void drop_client(mon *m, size_t i)
{
        close(m->clients[i].fd);
        m->clients[i] = m->clients[--m->n_clients];
}

void mon_sock_output(mon *m, char type, const char *buf, size_t n)
{
        for (size_t i = 0; i < m->n_clients;)
                if (msock_send_frame(m->clients[i].fd, type, buf, n) < 0)
                        drop_client(m, i);
                else
                        i++;
}

bool mon_sock_input(mon *m, size_t i)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        char type = 0;
        int to = m->master >= 0 ? m->master : m->stdin_w;

        if (msock_read_frame(m->clients[i].fd, &type, &data, &len) <= 0) {
                drop_client(m, i);
                return false;
        }
        if (!m->clients[i].stdin_)
                return true;
        if (type == 'i' && to >= 0)
                fs_write_all(to, data, len);
        else if (type == 'c' && m->master < 0 && m->stdin_w >= 0) {
                close(m->stdin_w);
                m->stdin_w = -1;
        }
        return true;
}

void mon_sock_end(mon *m, char type, const char *text)
{
        mon_sock_output(m, type, text, strlen(text));
        while (m->n_clients > 0)
                drop_client(m, m->n_clients - 1);
}

void mon_sock_close(mon *m)
{
        if (m->listen_fd >= 0)
                close(m->listen_fd);
        m->listen_fd = -1;
        if (m->sock_path)
                unlink(m->sock_path);
}
