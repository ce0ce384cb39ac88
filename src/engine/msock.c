/* The monitor socket's wire: paths, listen/connect, lines with credentials, frames (msock.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/macros.h"
#include "msock.h"

char *msock_path(const char *runroot, const char *id)
{
        return xasprintf("%s/monitor/%s", runroot, id);
}

/* sun_path for path; a long one as /proc/self/fd/N/NAME with *dirfd open on its folder. */
static int msock_addr(const char *path, struct sockaddr_un *sa, int *dirfd, berth_error **err)
{
        *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
        *dirfd = -1;
        if (strlen(path) < sizeof(sa->sun_path)) {
                strcpy(sa->sun_path, path);
                return 0;
        }
        _cleanup_free_ char *copy = xstrdup(path), *copy2 = xstrdup(path);
        *dirfd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*dirfd < 0)
                return berth_error_set(err, errno, "open %s", path);
        if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd,
                             basename(copy2)) >= sizeof(sa->sun_path)) {
                close(*dirfd);
                return berth_error_set(err, ENAMETOOLONG, "socket %s", path);
        }
        return 0;
}

int msock_listen(const char *path, int *ret_fd, berth_error **err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        _cleanup_close_ int fd = -EBADF, dirfd = -EBADF;
        struct sockaddr_un sa;
        int one = 1;
        mode_t old;
        int r;

        *strrchr(dir, '/') = 0;
        if (fs_mkdir_p(dir, 0700, err) < 0)
                return -1;
        if (msock_addr(path, &sa, &dirfd, err) < 0)
                return -1;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_error_set(err, errno, "socket");
        unlink(path);
        old = umask(0077);
        r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, 16) < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return berth_error_set(err, errno, "listen on %s", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int msock_connect(const char *path, int *ret_fd, berth_error **err)
{
        _cleanup_close_ int fd = -EBADF, dirfd = -EBADF;
        struct sockaddr_un sa;

        if (msock_addr(path, &sa, &dirfd, err) < 0)
                return -1;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_error_set(err, errno, "socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return berth_error_set(err, errno, "connect to %s", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int msock_read_line(int fd, char *buf, size_t size, uid_t *ret_uid)
{
        size_t n = 0;

        if (ret_uid)
                *ret_uid = (uid_t)-1;
        while (n + 1 < size) {
                char cbuf[CMSG_SPACE(sizeof(struct ucred))] = {0};
                struct iovec iov = {.iov_base = buf + n, .iov_len = 1};
                struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
                if (ret_uid && n == 0) {
                        msg.msg_control = cbuf;
                        msg.msg_controllen = sizeof(cbuf);
                }
                ssize_t k = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -EIO;
                if (ret_uid && n == 0)
                        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                                        struct ucred uc;
                                        memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                                        *ret_uid = uc.uid;
                                }
                if (buf[n] == '\n') {
                        buf[n] = 0;
                        return (int)n;
                }
                n++;
        }
        return -E2BIG;
}

int msock_send_line_creds(int fd, const char *line)
{
        _cleanup_free_ char *s = xasprintf("%s\n", line);
        struct ucred uc = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
        char cbuf[CMSG_SPACE(sizeof(uc))] = {0};
        struct iovec iov = {.iov_base = s, .iov_len = strlen(s)};
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(uc));
        memcpy(CMSG_DATA(c), &uc, sizeof(uc));
        ssize_t k = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (k < 0)
                return -errno;
        /* the rest (rare: a short send) without credentials */
        return (size_t)k == iov.iov_len ? 0 : fs_write_all(fd, s + k, iov.iov_len - (size_t)k);
}

static int send_all(int fd, const void *p, size_t len)
{
        const char *b = p;

        while (len > 0) {
                ssize_t k = send(fd, b, len, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -errno;
                b += k;
                len -= (size_t)k;
        }
        return 0;
}

int msock_send_frame(int fd, char type, const void *data, size_t len)
{
        unsigned char h[5] = {(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                              (unsigned char)(len >> 8), (unsigned char)len};
        int r = send_all(fd, h, sizeof(h));

        return r < 0 || len == 0 ? r : send_all(fd, data, len);
}

static int recv_all(int fd, void *p, size_t len)
{
        char *b = p;
        size_t got = 0;

        while (got < len) {
                ssize_t k = recv(fd, b + got, len - got, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return got == 0 ? 0 : -EIO;
                got += (size_t)k;
        }
        return 1;
}

int msock_read_frame(int fd, char *type, char **data, size_t *len)
{
        unsigned char h[5];
        int r = recv_all(fd, h, sizeof(h));
        size_t n;

        if (r <= 0)
                return r;
        n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
        if (n > MSOCK_FRAME_MAX)
                return -EPROTO;
        _cleanup_free_ char *b = xmalloc(n + 1);
        if (n > 0 && recv_all(fd, b, n) != 1)
                return -EIO;
        b[n] = 0;
        *type = (char)h[0];
        *len = n;
        *data = TAKE_PTR(b);
        return 1;
}
