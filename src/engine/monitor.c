/*
 * berth-monitor's work: one process per running container, in its own session. It creates and
 * starts the container through the runtime library with its stdio on pipes (or a pty), copies
 * the output to the json-file log and to the peers attached on its socket, reaps the
 * init, records the exit status and OOM kill, unmounts, and for --rm removes the container.
 *
 * The status pipe tells the caller "started PID" (or "ready" when it waits for a peer to attach
 * before the start), "error TEXT" and "exit N". The unix socket (monitor-sock.c) lets
 * peers attach, resize, signal and ask the state.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "monitor.h"
#include "msock.h"
#include "runtime/cgroup.h"
#include "runtime/run.h"

static void status_say(int fd, const char *fmt, ...) _printf_(2, 3);
static void status_say(int fd, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;

        if (fd < 0)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s)
                fs_write_all(fd, s, strlen(s));
}

int engine_recv_fd(int sock)
{
        char data, buf[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = &data, .iov_len = 1};
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
        struct cmsghdr *c;
        int fd;

        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
                return -EIO;
        c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_type != SCM_RIGHTS)
                return -EIO;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

/* Read what is there; false at EOF or error. */
static bool relay_pump(mon *m, relay *rl)
{
        log_writer *lw = &m->log;
        char buf[16384];
        ssize_t n = read(rl->fd, buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                log_line_flush(&rl->line, lw, rl->stream);
                return false;
        }
        mon_sock_output(m, streq(rl->stream, "stderr") ? 'e' : 'o', buf, (size_t)n);
        log_line_feed(&rl->line, lw, rl->stream, buf, (size_t)n);
        return true;
}

/* Make the container with fds 0-2 set as it should get them; ours restored afterwards. */
static int create_container(mon *m, int in, int out, int errfd, int console, container_state **ret_st,
                            berth_error **err)
{
        int saved[3];
        runtime_create_opts ro = {.bundle = m->dir};
        int r;

        for (int i = 0; i < 3; i++)
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
        dup2(in, 0);
        dup2(out, 1);
        dup2(errfd, 2);
        r = container_create_full(m->rt_root, m->id, &ro, console, ret_st, err);
        for (int i = 0; i < 3; i++) {
                dup2(saved[i], i);
                close(saved[i]);
        }
        return r;
}

/* The database, opened again when needed: between the start and the end it stays closed, so
 * the monitor keeps neither SQLite's cache nor its pages while the container runs. */
static db *mon_db(mon *m)
{
        if (!m->db && engine_db_open(m->root, &m->db, NULL) < 0)
                m->db = NULL;
        return m->db;
}

/* Give back what the start needed: the database, the heap's free pages. */
static void mon_slim(mon *m)
{
        db_close(m->db);
        m->db = NULL;
        malloc_trim(0);
        mon_drop_clean_pages();
}

/* The container's stdin: with -i a pipe that attached peers feed, else /dev/null. */
static int stdin_for(mon *m, int devnull, int *ret_close)
{
        int p[2];

        *ret_close = -1;
        if (!m->o.interactive)
                return devnull;
        if (pipe2(p, O_CLOEXEC) < 0)
                return devnull;
        m->stdin_w = p[1];
        *ret_close = p[0];
        return p[0];
}

/* Create the container (its init waits for the start) with its stdio set up. */
static int setup_container(mon *m, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), in_close = -EBADF;
        int r;

        if (m->o.tty) {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                        return berth_error_set(err, errno, "socketpair");
                r = create_container(m, devnull, devnull, devnull, sv[1], &st, err);
                if (r >= 0) {
                        m->master = engine_recv_fd(sv[0]);
                        if (m->master < 0)
                                r = berth_error_set(err, 0, "receive the container's pty");
                }
                close(sv[0]);
                if (r < 0)
                        return r;
                m->relays[0] = (relay){.fd = m->master, .stream = "stdout"};
                m->n_relays = 1;
        } else {
                int po[2], pe[2], in = stdin_for(m, devnull, &in_close);
                if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
                        return berth_error_set(err, errno, "pipe");
                r = create_container(m, in, po[1], pe[1], -1, &st, err);
                close(po[1]);
                close(pe[1]);
                m->relays[0] = (relay){.fd = po[0], .stream = "stdout"};
                m->relays[1] = (relay){.fd = pe[0], .stream = "stderr"};
                m->n_relays = 2;
                if (r < 0)
                        return r;
        }
        m->pid = st->pid;
        m->st = TAKE_PTR(st);
        return 0;
}

static int start_container(mon *m, berth_error **err)
{
        _cleanup_state_ container_state *st = TAKE_PTR(m->st);
        int r = container_start_locked(st, err);

        if (r < 0)
                return r;
        m->started = true;
        if (!mon_db(m))
                return berth_error_set(err, 0, "open the database of %s", m->root);
        return engine_db_set_running(m->db, m->id, m->pid, getpid(), engine_now(), err);
}

/* start -a: the first peer attaches before the start, so it sees all of the output (10 s at most). */
static void wait_for_attach(mon *m)
{
        int64_t until = engine_now() + 10 * (int64_t)1000000000;

        status_say(m->status_fd, "ready\n");
        while (m->n_clients == 0) {
                int64_t left = (until - engine_now()) / 1000000;
                struct pollfd p = {.fd = m->listen_fd, .events = POLLIN};
                if (left <= 0 || poll(&p, 1, (int)left) <= 0)
                        break;
                mon_sock_accept(m);
        }
}

/* The caller of the start goes: a restarted container runs on its own. */
static void status_close(mon *m)
{
        if (m->status_fd >= 0)
                close(m->status_fd);
        m->status_fd = -1;
}

static int serve(mon *m, int *ret_status)
{
        sigset_t set;
        int sfd, open_relays = (int)m->n_relays;
        bool exited = false;

        mon_slim(m);
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        while (!exited || open_relays > 0) {
                struct pollfd p[4 + MON_MAX_CLIENTS] = {
                        {.fd = sfd, .events = POLLIN},
                        {.fd = -1},
                        {.fd = -1},
                        {.fd = exited ? -1 : m->listen_fd, .events = POLLIN}};
                size_t n_clients = m->n_clients;
                for (size_t i = 0; i < m->n_relays; i++)
                        p[1 + i] = (struct pollfd){.fd = m->relays[i].fd, .events = POLLIN};
                for (size_t i = 0; i < n_clients; i++)
                        p[4 + i] = (struct pollfd){.fd = m->clients[i].fd, .events = POLLIN};
                /* after the init's exit, output still in flight gets a moment, no more */
                if (poll(p, 4 + n_clients, exited ? 500 : -1) == 0)
                        break;
                for (size_t i = 0; i < m->n_relays; i++)
                        if (p[1 + i].revents && m->relays[i].fd >= 0 && !relay_pump(m, &m->relays[i])) {
                                if (m->relays[i].fd != m->master)
                                        close(m->relays[i].fd);
                                m->relays[i].fd = -1;
                                open_relays--;
                        }
                /* backwards: a peer that leaves takes the last one's place */
                for (size_t i = n_clients; i-- > 0;)
                        if (p[4 + i].revents)
                                mon_sock_input(m, i);
                if (p[3].revents)
                        mon_sock_accept(m);
                if (!(p[0].revents & POLLIN))
                        continue;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) != sizeof(si))
                        continue;
                int st;
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                        if (w == m->pid) {
                                exited = true;
                                *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        }
        }
        close(sfd);
        return 0;
}

static bool oom_killed(mon *m)
{
        _cleanup_free_ char *cg_path = engine_cgroup_path(m->id);
        cgroup *cg = NULL;
        cgroup_stats s = {0};
        bool oom = false;

        if (cgroup_open(cg_path, m->id, &cg, NULL) >= 0 && cgroup_stats_read(cg, &s, NULL) >= 0)
                oom = s.oom_kills > 0;
        cgroup_free(cg);
        return oom;
}

/* The restart policy's answer for an exit with status; never after `stop` (its marker file). */
static bool should_restart(mon *m, int status, int count)
{
        _cleanup_free_ char *marker = xasprintf("%s/stopping", m->dir);
        const char *p = m->o.restart;

        if (!p || access(marker, F_OK) == 0)
                return false;
        if (streq(p, "always") || streq(p, "unless-stopped"))
                return true;
        if (strncmp(p, "on-failure", 10) != 0 || status == 0)
                return false;
        return p[10] != ':' || count < atoi(p + 11);
}

/* Between two runs: record the exit, wait the back-off (100 ms doubling, at most 2 s). */
static void prepare_restart(mon *m, int status, int count)
{
        const char *const texts[] = {m->id};
        long ms = 100L << (count < 5 ? count : 5);

        if (mon_db(m))
                engine_db_set_exited(m->db, m->id, status, oom_killed(m), engine_now(), NULL);
        runtime_delete(m->rt_root, m->id, true, NULL);
        if (m->db)
                engine_db_exec_bind(m->db,
                                    "UPDATE containers SET restart_count = restart_count + 1 WHERE id = ?1",
                                    NULL, 1, NULL, texts);
        if (m->master >= 0)
                close(m->master);
        m->master = -1;
        if (m->stdin_w >= 0)
                close(m->stdin_w);
        m->stdin_w = -1;
        m->n_relays = 0;
        m->started = false;
        status_close(m); /* a restarted container runs on its own */
        _cleanup_free_ char *code = xasprintf("%d", status);
        mon_sock_end(m, 'x', code);
        usleep((useconds_t)(ms < 2000 ? ms : 2000) * 1000);
}

static void teardown(mon *m, int status)
{
        const char *dname = json_string_value(json_object_get(m->opts, "storage_driver"));
        const storage_driver *d = NULL;
        bool oom = oom_killed(m);

        runtime_delete(m->rt_root, m->id, true, NULL);
        bool have_db = mon_db(m); /* reopened: the monitor closes it while the container runs */
        if (have_db)
                engine_net_down(m->db, m->root, m->runroot, m->id);
        if (storage_driver_find(dname, m->root, &d, NULL) >= 0)
                d->umount(m->dir, NULL);
        if (have_db)
                engine_db_set_exited(m->db, m->id, status, oom, engine_now(), NULL);
        log_writer_close(&m->log);
        if (m->o.rm && m->db)
                engine_remove_files(m->db, m->root, m->id, m->opts, true);
}

static void mon_free(mon *m)
{
        run_opts_clear(&m->o);
        json_decref(m->opts);
        db_close(m->db);
        free(m->dir);
        free(m->rt_root);
        free(m->sock_path);
        container_state_free(m->st);
        m->st = NULL;
        m->sock_path = NULL;
        m->opts = NULL;
        m->db = NULL;
        m->dir = m->rt_root = NULL;
}

int engine_monitor_main(const char *root, const char *runroot, const char *id, int status_fd,
                        bool wait_attach)
{
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *code = NULL;
        mon m = {.root = root,
                 .runroot = runroot,
                 .id = id,
                 .status_fd = status_fd,
                 .master = -1,
                 .stdin_w = -1,
                 .listen_fd = -1,
                 .sock_path = msock_path(runroot, id)};
        sigset_t set;
        int r, status = 255;

        signal(SIGPIPE, SIG_IGN);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        m.dir = engine_ctr_dir(root, id);
        m.rt_root = xasprintf("%s/runtime", runroot);
        r = engine_db_open(root, &m.db, &err);
        if (r >= 0)
                r = engine_db_get(m.db, id, &c, &err);
        if (r >= 0) {
                m.opts = json_incref(c->opts);
                run_opts_from_json(c->opts, &m.o, NULL);
                r = log_writer_open(&m.log, m.dir, id, m.o.log_max_size, m.o.log_max_file, &err);
        }
        if (r >= 0)
                r = mon_sock_open(&m, &err);
        if (r >= 0)
                r = setup_container(&m, &err);
        if (r >= 0 && wait_attach)
                wait_for_attach(&m);
        if (r >= 0)
                r = start_container(&m, &err);
        if (r < 0) {
                _cleanup_free_ char *t = berth_error_text(err);
                status_say(status_fd, "error %s\n", t);
                mon_sock_end(&m, 'E', t);
                mon_sock_close(&m);
                runtime_delete(m.rt_root, id, true, NULL);
                if (m.db)
                        engine_db_set_exited(m.db, id, 128, false, engine_now(), NULL);
                if (m.log.path)
                        log_writer_close(&m.log);
                mon_free(&m);
                return 1;
        }
        status_say(status_fd, "started %d\n", (int)m.pid);
        for (int count = 0;; count++) {
                serve(&m, &status);
                if (!should_restart(&m, status, count))
                        break;
                if (m.status_fd >= 0)
                        status_say(m.status_fd, "exit %d\n", status);
                prepare_restart(&m, status, count);
                if (!should_restart(&m, status, count) || setup_container(&m, &err) < 0 ||
                    start_container(&m, &err) < 0)
                        break;
        }
        teardown(&m, status);
        code = xasprintf("%d", status);
        mon_sock_end(&m, 'x', code);
        mon_sock_close(&m);
        status_say(m.status_fd, "exit %d\n", status);
        mon_free(&m);
        return 0;
}
