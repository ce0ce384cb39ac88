/* start, stop, kill, wait, rm, pause: the lifecycle over the monitor and the runtime library. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/proc.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "msock.h"
#include "runtime/container.h"

static bool is_running(const ctr_record *c)
{
        return streq(c->state, "running") || streq(c->state, "paused");
}

int engine_mount_rootfs(engine *e, const ctr_record *c, const char *dir, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_strv_free_ char **lowers = NULL;
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);
        struct stat a, b;
        int r;

        if (stat(dir, &a) == 0 && stat(merged, &b) == 0 && a.st_dev != b.st_dev)
                return 0; /* still mounted */
        r = image_store_get(e->images, c->image_id, &img, err);
        if (r < 0)
                return berth_error_wrap(err, "image of container %s", c->name);
        STRV_FOREACH (ch, img->chain_ids)
                strv_consume(&lowers, layer_diff_path(e->layers, *ch));
        return e->driver->mount(dir, lowers, strv_length(lowers), err);
}

static int write_bundle(engine *e, const ctr_record *c, const char *dir, berth_error **err)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/merged", dir), *path = xasprintf("%s/config.json", dir);
        _cleanup_json_ json_t *spec = NULL;
        _cleanup_free_ char *text = NULL;
        run_opts o;
        int r;

        run_opts_from_json(c->opts, &o, NULL);
        r = engine_spec_build(c, &o, dir, rootfs, &spec, err);
        if (r >= 0 && o.init)
                r = engine_spec_add_init(e, spec, err);
        run_opts_clear(&o);
        if (r < 0)
                return r;
        engine_net_spec(e, c, spec);
        text = jsonh_dump(spec, true);
        return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* The monitor's first line: "started PID" or "error TEXT". */
static int read_status_line(int fd, char *buf, size_t size)
{
        size_t n = 0;

        while (n + 1 < size) {
                ssize_t k = read(fd, buf + n, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                if (buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = 0;
        return (int)n;
}

static pid_t spawn_monitor(engine *e, const char *id, bool wait_attach, int status_w)
{
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        setsid();
        int fd = open("/dev/null", O_RDWR);
        for (int i = 0; i < 3; i++)
                dup2(fd, i);
        if (fd > 2)
                close(fd);
        int sfd = fcntl(status_w, F_DUPFD, 3); /* without CLOEXEC: the monitor keeps it */
        _cleanup_free_ char *fdarg = xasprintf("%d", sfd);
        execl(e->monitor_path, "berth-monitor", "--root", e->root, "--runroot", e->runroot, "--status-fd",
              fdarg, wait_attach ? "--wait-attach" : id, wait_attach ? id : (char *)NULL, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", e->monitor_path, strerror(errno));
        _exit(127);
}

int engine_start(engine *e, const char *what, start_io *io, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *dir = NULL;
        char line[4096];
        int p[2], r;

        r = engine_lookup(e, what, &c, err);
        if (r < 0)
                return r;
        if (is_running(c))
                return 0;
        dir = engine_ctr_dir(e->root, c->id);
        runtime_delete(e->runtime_root, c->id, true, NULL); /* a leftover of a monitor that died */
        _cleanup_free_ char *marker = xasprintf("%s/stopping", dir);
        unlink(marker);
        const char *const texts[] = {c->id};
        engine_db_exec_bind(e->db, "UPDATE containers SET restart_count = 0 WHERE id = ?1", NULL, 1, NULL,
                            texts);
        r = engine_mount_rootfs(e, c, dir, err);
        if (r >= 0)
                r = engine_net_up(e, c, err);
        /* a fault point for the tests: the CLI dies with the container half made */
        if (r >= 0 && getenv("BERTH_FAULT") && streq(getenv("BERTH_FAULT"), "after-network"))
                raise(SIGKILL);
        if (r >= 0)
                r = engine_volumes_fill(e, c, dir, err);
        if (r >= 0)
                r = write_bundle(e, c, dir, err);
        if (r >= 0 && pipe2(p, O_CLOEXEC) < 0)
                r = berth_error_set(err, errno, "pipe");
        if (r < 0) {
                engine_net_down(e->db, e->root, e->runroot, c->id);
                e->driver->umount(dir, NULL);
                return r;
        }
        pid_t mon = spawn_monitor(e, c->id, io->wait_attach, p[1]);
        close(p[1]);
        if (mon < 0 || read_status_line(p[0], line, sizeof(line)) == 0 ||
            (strncmp(line, "started ", 8) != 0 && !(io->wait_attach && streq(line, "ready")))) {
                close(p[0]);
                if (mon > 0)
                        waitpid(mon, NULL, 0);
                engine_net_down(e->db, e->root, e->runroot, c->id);
                e->driver->umount(dir, NULL);
                if (strncmp(line, "error ", 6) == 0)
                        return berth_error_set(err, 0, "%s", line + 6);
                return berth_error_set(err, 0, "start container %s: the monitor failed", c->name);
        }
        io->monitor_pid = mon;
        close(p[0]);
        return 0;
}

/* Wait until pid is gone, at most timeout_ms (-1: forever); true when it is. */
static bool wait_gone(pid_t pid, int timeout_ms)
{
        _cleanup_close_ int fd = proc_pidfd_open(pid, 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};

        if (fd < 0)
                return true;
        return poll(&p, 1, timeout_ms) == 1;
}

/* The process whose end means the container's end: the monitor, or the init when the monitor is gone. */
static pid_t watched_pid(const ctr_record *c)
{
        if (c->monitor_pid > 0 && kill(c->monitor_pid, 0) == 0)
                return c->monitor_pid;
        return c->pid;
}

int engine_kill(engine *e, const char *what, int sig, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        if (!is_running(c))
                return berth_error_set(err, 0, "container %s is not running", c->name);
        return runtime_kill(e->runtime_root, c->id, sig, false, err);
}

static int stop_record(engine *e, const ctr_record *c, int timeout, berth_error **err)
{
        const char *ss = json_string_value(json_object_get(c->opts, "stop_signal"));
        int sig = ss ? runtime_signal_from_name(ss) : SIGTERM;
        pid_t w = watched_pid(c);

        _cleanup_free_ char *dir = engine_ctr_dir(e->root, c->id), *marker = xasprintf("%s/stopping", dir);
        fs_write_file_atomic(marker, "", 0, 0600, NULL); /* no restart policy brings it back */
        if (!is_running(c)) {
                /* between two runs of a restart policy: its monitor ends at the marker */
                if (c->monitor_pid > 0 && kill(c->monitor_pid, 0) == 0)
                        wait_gone(c->monitor_pid, 5000);
                return 0;
        }
        if (timeout < 0) {
                json_t *t = json_object_get(c->opts, "stop_timeout");
                timeout = t && json_integer_value(t) >= 0 ? (int)json_integer_value(t) : 10;
        }
        /* thaw whatever the row says: a frozen process cannot die */
        runtime_resume(e->runtime_root, c->id, NULL);
        if (timeout > 0 && runtime_kill(e->runtime_root, c->id, sig > 0 ? sig : SIGTERM, false, NULL) >= 0 &&
            wait_gone(w, timeout * 1000))
                return 0;
        runtime_kill(e->runtime_root, c->id, SIGKILL, true, NULL);
        if (c->pid > 0)
                kill(c->pid, SIGKILL); /* the runtime state may be gone with a dead monitor */
        if (!wait_gone(w, 10000))
                return berth_error_set(err, 0, "container %s did not stop", c->name);
        return 0;
}

int engine_stop(engine *e, const char *what, int timeout, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r >= 0)
                r = stop_record(e, c, timeout, err);
        if (r >= 0 && c->monitor_pid <= 0) {
                /* nobody recorded the end: do what the monitor would have done */
                runtime_delete(e->runtime_root, c->id, true, NULL);
                _cleanup_free_ char *dir = engine_ctr_dir(e->root, c->id);
                engine_net_down(e->db, e->root, e->runroot, c->id);
                e->driver->umount(dir, NULL);
        }
        return r;
}

int engine_wait(engine *e, const char *what, int *ret_code, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *id = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        id = xstrdup(c->id);
        while (is_running(c)) {
                wait_gone(watched_pid(c), -1);
                ctr_record_free(TAKE_PTR(c));
                r = engine_lookup(e, id, &c, err);
                if (r < 0)
                        return r;
        }
        *ret_code = c->exit_code;
        return 0;
}

int engine_remove(engine *e, const char *what, bool force, bool volumes, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        if (is_running(c) && !force)
                return berth_error_set(
                        err, EBUSY,
                        "cannot remove container %s: container is %s: stop the container before "
                        "removing or force remove",
                        c->name, c->state);
        if (is_running(c)) {
                free(c->state);
                c->state = xstrdup("running");
                r = stop_record(e, c, 0, err);
                if (r < 0)
                        return r;
        }
        runtime_delete(e->runtime_root, c->id, true, NULL);
        engine_net_down(e->db, e->root, e->runroot, c->id);
        _cleanup_free_ char *sock = msock_path(e->runroot, c->id);
        unlink(sock); /* a leftover of a monitor that was killed */
        engine_remove_files(e->db, e->root, c->id, c->opts, volumes);
        return 0;
}

int engine_pause(engine *e, const char *what, bool pause, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        if (!is_running(c))
                return berth_error_set(err, 0, "container %s is not running", c->name);
        if (pause != streq(c->state, "running"))
                return berth_error_set(err, 0, "container %s is %s", c->name,
                                       pause ? "already paused" : "not paused");
        r = pause ? runtime_pause(e->runtime_root, c->id, err) : runtime_resume(e->runtime_root, c->id, err);
        if (r >= 0)
                r = engine_db_set_state(e->db, c->id, pause ? "paused" : "running", err);
        return r;
}
