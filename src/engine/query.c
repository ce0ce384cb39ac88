/* inspect (Docker's JSON shape), logs (the json-file log read back), exec. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/proc.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "logfile.h"
#include "runtime/container.h"

static json_t *labels_json(json_t *labels)
{
        json_t *o = json_object(), *v;
        size_t i;

        json_array_foreach (labels, i, v) {
                _cleanup_free_ char *k = xstrdup(json_string_value(v) ?: "");
                char *eq = strchr(k, '=');
                if (eq)
                        *eq++ = 0;
                json_object_set_new(o, k, json_string(eq ?: ""));
        }
        return o;
}

static json_t *mounts_json(json_t *volumes)
{
        json_t *a = json_array(), *v;
        size_t i;

        json_array_foreach (volumes, i, v) {
                _cleanup_strv_free_ char **f = strv_split(json_string_value(v) ?: "", ":");
                if (strv_length(f) != 3)
                        continue;
                bool named = strstr(f[0], "/volumes/") && strstr(f[0], "/_data");
                json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:b}", "Type",
                                                   named ? "volume" : "bind", "Source", f[0], "Destination",
                                                   f[1], "Mode", f[2], "RW", streq(f[2], "rw")));
        }
        return a;
}

int engine_inspect(engine *e, const char *what, json_t **ret, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);
        json_t *o;

        if (r < 0)
                return r;
        _cleanup_free_ char *created = engine_time_format(c->created);
        _cleanup_free_ char *started = engine_time_format(c->started_at);
        _cleanup_free_ char *finished = engine_time_format(c->finished_at);
        _cleanup_free_ char *name = xasprintf("/%s", c->name);
        _cleanup_free_ char *dir = engine_ctr_dir(e->root, c->id);
        _cleanup_free_ char *logp = log_path(dir, c->id);
        json_t *op = c->opts;
        bool running = streq(c->state, "running") || streq(c->state, "paused");

        json_t *state =
                json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status", c->state, "Running",
                          running, "Paused", streq(c->state, "paused"), "Restarting", 0, "OOMKilled",
                          c->oom_killed, "Dead", 0, "Pid", running ? (int)c->pid : 0, "ExitCode",
                          c->exit_code, "Error", "", "StartedAt", started, "FinishedAt", finished);
        json_t *config = json_object();
        json_object_set_new(config, "Hostname",
                            json_string(json_string_value(json_object_get(op, "hostname")) ?: ""));
        if (!json_string_value(json_object_get(op, "hostname"))) {
                _cleanup_free_ char *h = xstrndup(c->id, 12);
                json_object_set_new(config, "Hostname", json_string(h));
        }
        json_object_set_new(config, "Image", json_string(c->image));
        json_object_set_new(config, "Env", json_incref(json_object_get(op, "env")) ?: json_array());
        json_object_set(config, "Cmd", json_object_get(op, "cmd") ?: json_object_get(c->image_config, "Cmd") ?: json_null());
        json_object_set(config, "Entrypoint",
                        json_object_get(op, "entrypoint") ?: json_object_get(c->image_config, "Entrypoint") ?: json_null());
        json_object_set_new(config, "WorkingDir",
                            json_string(json_string_value(json_object_get(op, "workdir")) ?: ""));
        json_object_set_new(config, "User",
                            json_string(json_string_value(json_object_get(op, "user")) ?: ""));
        json_object_set_new(config, "Tty", json_boolean(json_is_true(json_object_get(op, "tty"))));
        json_object_set_new(config, "OpenStdin",
                            json_boolean(json_is_true(json_object_get(op, "interactive"))));
        json_object_set_new(config, "Labels", labels_json(json_object_get(op, "labels")));
        json_object_set_new(config, "StopSignal",
                            json_string(json_string_value(json_object_get(op, "stop_signal")) ?: "SIGTERM"));

        json_t *host = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b,s:b,s:s}", "Memory",
                                 json_integer_value(json_object_get(op, "memory")), "MemorySwap",
                                 json_integer_value(json_object_get(op, "memory_swap")), "PidsLimit",
                                 json_integer_value(json_object_get(op, "pids_limit")), "CpuShares",
                                 json_integer_value(json_object_get(op, "cpu_shares")), "CpuQuota",
                                 json_integer_value(json_object_get(op, "cpu_quota")), "CpuPeriod",
                                 json_integer_value(json_object_get(op, "cpu_period")), "NanoCpus",
                                 (json_int_t)(json_number_value(json_object_get(op, "cpus")) * 1e9),
                                 "Privileged", json_is_true(json_object_get(op, "privileged")),
                                 "ReadonlyRootfs", json_is_true(json_object_get(op, "read_only")),
                                 "AutoRemove", json_is_true(json_object_get(op, "rm")), "NetworkMode",
                                 json_string_value(json_object_get(op, "network")) ?: "none");
        json_object_set(host, "CapAdd", json_object_get(op, "cap_add") ?: json_null());
        json_object_set(host, "CapDrop", json_object_get(op, "cap_drop") ?: json_null());
        json_object_set(host, "Binds", json_object_get(op, "volumes") ?: json_null());
        json_object_set_new(host, "Init", json_boolean(json_is_true(json_object_get(op, "init"))));

        o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "Id", c->id, "Created", created,
                      "Path", "", "State", state, "Image", c->image_id, "Name", name, "LogPath", logp,
                      "Config", config, "HostConfig", host, "Mounts",
                      mounts_json(json_object_get(op, "volumes")), "Driver",
                      json_string_value(json_object_get(op, "storage_driver")) ?: "");
        engine_net_inspect(e, c, o);
        json_t *args = NULL;
        _cleanup_free_ char *spec_path = xasprintf("%s/config.json", dir);
        _cleanup_json_ json_t *spec = NULL;
        if (jsonh_parse_file(spec_path, &spec, NULL) >= 0)
                args = json_object_get(json_object_get(spec, "process"), "args");
        if (json_array_size(args) > 0) {
                json_object_set(o, "Path", json_array_get(args, 0));
                json_t *rest = json_array();
                for (size_t i = 1; i < json_array_size(args); i++)
                        json_array_append(rest, json_array_get(args, i));
                json_object_set_new(o, "Args", rest);
        } else
                json_object_set_new(o, "Args", json_array());
        json_object_set_new(o, "RestartCount", json_integer(c->restart_count));
        json_object_set_new(
                host, "RestartPolicy",
                json_pack("{s:s}", "Name", json_string_value(json_object_get(op, "restart")) ?: "no"));
        *ret = o;
        return 0;
}

/* One log file's entries, printed (tail: only the last n of all files: the caller collects). */
static void print_entry(json_t *j, const logs_opts *o)
{
        const char *log = json_string_value(json_object_get(j, "log"));
        const char *stream = json_string_value(json_object_get(j, "stream"));
        const char *time = json_string_value(json_object_get(j, "time"));
        int fd = stream && streq(stream, "stderr") ? STDERR_FILENO : STDOUT_FILENO;

        if (!log)
                return;
        if (o->timestamps && time) {
                fs_write_all(fd, time, strlen(time));
                fs_write_all(fd, " ", 1);
        }
        fs_write_all(fd, log, strlen(log));
}

static int64_t entry_time(json_t *j)
{
        const char *t = json_string_value(json_object_get(j, "time"));
        struct tm tm = {0};
        char *rest;
        long ns = 0;

        if (!t || !(rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm)))
                return 0;
        if (*rest == '.')
                ns = strtol(rest + 1, NULL, 10);
        return (int64_t)timegm(&tm) * 1000000000 + ns;
}

static bool wanted(json_t *j, const logs_opts *o)
{
        int64_t t = (o->since || o->until) ? entry_time(j) : 0;

        return (!o->since || t >= o->since) && (!o->until || t <= o->until);
}

static void read_lines(FILE *f, char ***lines)
{
        char *line = NULL;
        size_t cap = 0;

        while (getline(&line, &cap, f) > 0)
                strv_push(lines, line);
        free(line);
}

static void drain(FILE *f, const logs_opts *o)
{
        char *line = NULL;
        size_t cap = 0;

        while (getline(&line, &cap, f) > 0) {
                _cleanup_json_ json_t *j = json_loads(line, 0, NULL);
                if (j && wanted(j, o))
                        print_entry(j, o);
        }
        free(line);
        clearerr(f);
}

/* A log rotated under us: the file at path is not the one we read. */
static bool rotated(FILE *f, const char *path)
{
        struct stat a, b;

        return fstat(fileno(f), &a) == 0 && (stat(path, &b) < 0 || a.st_ino != b.st_ino);
}

/* logs -f: woken by inotify on the container's folder (writes, and the rename and create of a
 * rotation), ended by the monitor's pidfd; no polling. */
static void follow(engine *e, const char *what, ctr_record **c, FILE **cur, const char *path,
                   const logs_opts *o)
{
        _cleanup_free_ char *dir = xstrdup(path);
        _cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), pfd = -EBADF;

        *strrchr(dir, '/') = 0;
        if (ifd >= 0)
                inotify_add_watch(ifd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM);
        if ((*c)->monitor_pid > 0)
                pfd = proc_pidfd_open((*c)->monitor_pid, 0);
        for (;;) {
                if (!*cur)
                        *cur = fopen(path, "re");
                if (*cur) {
                        drain(*cur, o);
                        if (rotated(*cur, path)) {
                                fclose(*cur);
                                *cur = NULL;
                                continue;
                        }
                }
                ctr_record_free(TAKE_PTR(*c));
                if (engine_lookup(e, what, c, NULL) < 0 ||
                    !(streq((*c)->state, "running") || streq((*c)->state, "paused")))
                        break;
                struct pollfd p[2] = {{.fd = ifd, .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
                /* without inotify or a pidfd (a monitor that died), look every second */
                int n = poll(p, 2, ifd >= 0 && pfd >= 0 ? -1 : 1000);
                if (n > 0 && p[0].revents) {
                        char buf[4096];
                        while (read(ifd, buf, sizeof(buf)) > 0)
                                ;
                }
                if (n > 0 && p[1].revents) {
                        close(pfd); /* the monitor is gone: one last look at the row and the file */
                        pfd = -EBADF;
                }
        }
        if (*cur)
                drain(*cur, o);
}

int engine_logs(engine *e, const char *what, const logs_opts *o, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        _cleanup_free_ char *dir = engine_ctr_dir(e->root, c->id);
        _cleanup_free_ char *path = log_path(dir, c->id);
        for (int i = 9; i >= 1; i--) { /* rotated files, oldest first */
                _cleanup_free_ char *p = xasprintf("%s.%d", path, i);
                FILE *f = fopen(p, "re");
                if (f) {
                        read_lines(f, &lines);
                        fclose(f);
                }
        }
        FILE *cur = fopen(path, "re");
        if (cur)
                read_lines(cur, &lines);
        size_t n = strv_length(lines), first = o->tail >= 0 && (size_t)o->tail < n ? n - (size_t)o->tail : 0;
        for (size_t i = first; i < n; i++) {
                _cleanup_json_ json_t *j = json_loads(lines[i], 0, NULL);
                if (j && wanted(j, o))
                        print_entry(j, o);
        }
        if (o->follow)
                follow(e, what, &c, &cur, path, o);
        if (cur)
                fclose(cur);
        return 0;
}

/* exec -t: a child receives the pty master on a console socket and relays it to our terminal
 * while the runtime waits for the process. */
static void relay_pty(int listen_fd)
{
        int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        int master = conn >= 0 ? engine_recv_fd(conn) : -1;
        struct winsize ws;
        char buf[8192];

        if (master < 0)
                _exit(1);
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
        struct pollfd p[2] = {{.fd = master, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        for (;;) {
                if (poll(p, 2, -1) < 0)
                        continue;
                if (p[0].revents) {
                        ssize_t n = read(master, buf, sizeof(buf));
                        if (n <= 0)
                                _exit(0);
                        fs_write_all(STDOUT_FILENO, buf, (size_t)n);
                }
                if (p[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0)
                                p[1].fd = -1;
                        else
                                fs_write_all(master, buf, (size_t)n);
                }
        }
}

static int console_listen(engine *e, char **ret_path, berth_error **err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_free_ char *path = xasprintf("%s/exec-%d.sock", e->runroot, (int)getpid());
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (strlen(path) >= sizeof(sa.sun_path))
                return berth_error_set(err, 0, "console socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        unlink(path);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
                int r = berth_error_set(err, errno, "console socket %s", path);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        return fd;
}

int engine_exec(engine *e, const char *what, char **args, const run_opts *o, int *ret_status,
                berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        if (!streq(c->state, "running"))
                return berth_error_set(err, 0, "container %s is not running", c->name);
        runtime_exec_opts x = {
                .args = args,
                .tty = o->tty,
                .detach = o->detach,
                .cwd = o->workdir,
                .env = o->env,
                .user = o->user,
                .caps = o->privileged ? o->cap_add : NULL,
        };
        if (!o->tty || o->detach)
                return runtime_exec(e->runtime_root, c->id, &x, ret_status, err);
        _cleanup_free_ char *sock = NULL;
        int lfd = console_listen(e, &sock, err);
        if (lfd < 0)
                return lfd;
        pid_t relay = fork();
        if (relay == 0)
                relay_pty(lfd);
        close(lfd);
        x.console_socket = sock;
        r = runtime_exec(e->runtime_root, c->id, &x, ret_status, err);
        if (r < 0)
                kill(relay, SIGKILL);
        waitpid(relay, NULL, 0);
        unlink(sock);
        return r;
}
