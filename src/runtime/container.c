/* The runtime's verbs over a state directory: create, start, run, state, kill, delete, list. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "container.h"
#include "exe-protect.h"
#include "caps.h"
#include "cgroup.h"
#include "hooks.h"
#include "linux.h"
#include "process.h"
#include "state.h"
#include "run.h"
#include "seccomp.h"
#include "security.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/log.h"
#include "basic/proc.h"
#include "basic/strv.h"
#include "oci/spec.h"

int runtime_check_id(const char *id, berth_error **err)
{
        size_t n = strlen(id);

        if (n == 0 || n > 1024 || streq(id, ".") || streq(id, ".."))
                return berth_error_set(err, 0, "invalid container id \"%s\"", id);
        for (const char *p = id; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
                      strchr("_+.-", *p)))
                        return berth_error_set(
                                err, 0, "invalid container id \"%s\": only [A-Za-z0-9_+.-] are allowed", id);
        return 0;
}

int runtime_signal_from_name(const char *name)
{
        char *end;
        long n;

        if (!name || !*name)
                return -1;
        n = strtol(name, &end, 10);
        if (*end == 0)
                return n > 0 && n < NSIG ? (int)n : -1;
        if (strncasecmp(name, "SIG", 3) == 0)
                name += 3;
        for (int i = 1; i < NSIG; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && strcasecmp(abbrev, name) == 0)
                        return i;
        }
        if (strncasecmp(name, "RTMIN+", 6) == 0) {
                n = strtol(name + 6, &end, 10);
                if (*end == 0 && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
                        return SIGRTMIN + (int)n;
        }
        return -1;
}

/* ---- create ---- */

typedef struct create_job {
        const char *root, *id;
        const runtime_create_opts *opts;
        char *bundle, *rootfs;
        json_t *config;
        oci_spec *spec;
        container_state *st;
        cgroup *cg;
        caps_plan caps;
        seccomp_plan *seccomp;
        int fifo_fd, console_fd, start_fd;
} create_job;

static void create_job_done(create_job *j)
{
        free(j->bundle);
        free(j->rootfs);
        json_decref(j->config);
        oci_spec_free(j->spec);
        container_state_free(j->st);
        cgroup_free(j->cg);
        seccomp_plan_free(j->seccomp);
        if (j->fifo_fd >= 0)
                close(j->fifo_fd);
        if (j->start_fd >= 0)
                close(j->start_fd);
        if (j->console_fd >= 0)
                close(j->console_fd);
}

/* Validate: everything about the container is checked before anything is created. */
static int create_load(create_job *j, berth_error **err)
{
        _cleanup_free_ char *config_path = NULL, *rootfs = NULL;
        struct stat st;

        if (runtime_check_id(j->id, err) < 0)
                return -1;
        j->bundle = realpath(j->opts->bundle ? j->opts->bundle : ".", NULL);
        if (!j->bundle)
                return berth_error_set(err, errno, "bundle %s", j->opts->bundle ? j->opts->bundle : ".");
        config_path = j->opts->config_path ? xstrdup(j->opts->config_path)
                                           : xasprintf("%s/config.json", j->bundle);
        if (jsonh_parse_file(config_path, &j->config, err) < 0 ||
            oci_spec_from_json(j->config, &j->spec, err) < 0)
                return -1;
        if (!j->spec->process)
                return berth_error_set(err, 0, "process: required to create a container");
        if (!j->spec->root || !j->spec->root->path)
                return berth_error_set(err, 0, "root.path: required");
        if (process_validate(j->spec->process, err) < 0 || linux_validate(j->spec, err) < 0 ||
            security_prepare(j->root, j->spec, j->spec->process, &j->caps, &j->seccomp, err) < 0)
                return -1;
        if (j->spec->process->terminal && !j->opts->console_socket && j->console_fd < 0)
                return berth_error_set(err, 0, "process.terminal is true: --console-socket is required");
        rootfs = j->spec->root->path[0] == '/' ? xstrdup(j->spec->root->path)
                                               : xasprintf("%s/%s", j->bundle, j->spec->root->path);
        j->rootfs = realpath(rootfs, NULL);
        if (!j->rootfs)
                return berth_error_set(err, errno, "root.path %s", rootfs);
        if (stat(j->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return berth_error_set(err, ENOTDIR, "root.path %s", rootfs);
        return 0;
}

static int connect_console(const char *path, berth_error **err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return berth_error_set(err, ENAMETOOLONG, "--console-socket %s", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_error_set(err, errno, "socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return berth_error_set(err, e, "--console-socket %s", path);
        }
        return fd;
}

static int create_prepare(create_job *j, berth_error **err)
{
        const oci_linux *lx = j->spec->linux_;
        _cleanup_free_ char *fifo = NULL;
        container_state *st = j->st;

        if (cgroup_open(lx ? lx->cgroups_path : NULL, j->id, &j->cg, err) < 0 ||
            cgroup_create(j->cg, lx ? lx->resources : NULL, err) < 0)
                return -1;
        st->cgroup_path = xstrdup(cgroup_path(j->cg));
        st->cgroup_created = strv_copy(cgroup_created_parents(j->cg));
        if (lx && lx->resources && cgroup_apply(j->cg, lx->resources, err) < 0)
                return -1;
        if (cgroup_apply_devices(j->cg, lx, err) < 0)
                return -1;
        fifo = state_fifo_path(st);
        if (mkfifo(fifo, 0600) < 0)
                return berth_error_set(err, errno, "mkfifo %s", fifo);
        j->fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
        if (j->fifo_fd < 0)
                return berth_error_set(err, errno, "open %s", fifo);
        if (hooks_has(j->spec, OCI_HOOK_START_CONTAINER)) {
                _cleanup_free_ char *start = state_start_fifo_path(st);
                if (mkfifo(start, 0600) < 0)
                        return berth_error_set(err, errno, "mkfifo %s", start);
                j->start_fd = open(start, O_RDWR | O_CLOEXEC);
                if (j->start_fd < 0)
                        return berth_error_set(err, errno, "open %s", start);
        }
        if (j->spec->process->terminal && j->console_fd < 0) {
                j->console_fd = connect_console(j->opts->console_socket, err);
                if (j->console_fd < 0)
                        return -1;
        }
        return 0;
}

static int write_pid_file(const char *path, pid_t pid, berth_error **err)
{
        _cleanup_free_ char *text = xasprintf("%d", (int)pid);

        return fs_write_file_atomic(path, text, strlen(text), 0644, err);
}

static void create_undo(create_job *j)
{
        if (j->cg)
                cgroup_destroy(j->cg, NULL);
        if (j->st && j->st->dir)
                fs_rm_rf(j->st->dir, NULL);
}

static int create_spawn(create_job *j, berth_error **err)
{
        container_state *st = j->st;
        _cleanup_json_ json_t *state = state_to_oci_json(st, RUNTIME_CREATING);
        linux_init_args a = {.spec = j->spec,
                             .id = j->id,
                             .rootfs = j->rootfs,
                             .opts = j->opts,
                             .cg = j->cg,
                             .fifo_fd = j->fifo_fd,
                             .start_fd = j->start_fd,
                             .console_fd = j->console_fd,
                             .seccomp = j->seccomp,
                             .caps = &j->caps,
                             .state = state};
        int r = linux_spawn_init(&a, &st->pid, err);

        if (r < 0)
                return r;
        close(TAKE_FD(j->fifo_fd));
        if (j->start_fd >= 0)
                close(TAKE_FD(j->start_fd));
        if (proc_start_time(st->pid, &st->start_time, err) < 0 || state_save(st, err) < 0 ||
            (j->opts->pid_file && write_pid_file(j->opts->pid_file, st->pid, err) < 0)) {
                kill(st->pid, SIGKILL);
                waitpid(st->pid, NULL, 0);
                return -1;
        }
        return 0;
}

int container_create_full(const char *root, const char *id, const runtime_create_opts *opts, int console_fd,
                          container_state **ret, berth_error **err)
{
        create_job j = {.root = root,
                        .id = id,
                        .opts = opts,
                        .fifo_fd = -EBADF,
                        .console_fd = console_fd,
                        .start_fd = -EBADF};
        int r;

        r = create_load(&j, err);
        if (r < 0)
                goto out;
        j.st = xcalloc(1, sizeof(*j.st));
        r = state_dir_create(root, id, &j.st->dir, err);
        if (r < 0)
                goto out;
        j.st->id = xstrdup(id);
        j.st->root = xstrdup(root);
        j.st->bundle = xstrdup(j.bundle);
        j.st->rootfs = xstrdup(j.rootfs);
        j.st->created = state_now_rfc3339();
        j.st->owner = xstrdup("");
        j.st->config = json_incref(j.config);
        r = create_prepare(&j, err);
        if (r >= 0)
                r = create_spawn(&j, err);
        if (r < 0) {
                create_undo(&j);
                goto out;
        }
        if (ret)
                *ret = TAKE_PTR(j.st);
out:
        create_job_done(&j);
        return r;
}

int runtime_create(const char *root, const char *id, const runtime_create_opts *opts, berth_error **err)
{
        if (runtime_exe_protect(root, err) < 0)
                return -1;
        return container_create_full(root, id, opts, -EBADF, NULL, err);
}

/* ---- start ---- */

/* Hooks of a kind from the config saved in the state, with the state as they see it. */
static void run_saved_hooks(container_state *st, enum oci_hook_kind kind, enum runtime_status s)
{
        _cleanup_oci_spec_ oci_spec *spec = NULL;
        _cleanup_json_ json_t *state = NULL;

        if (!st->config || !json_object_get(st->config, "hooks") ||
            oci_spec_from_json(st->config, &spec, NULL) < 0)
                return;
        state = state_to_oci_json(st, s);
        hooks_run_warn(spec, kind, state);
}

/* Wait until the init closes start.fifo (its startContainer hooks passed) or exits; what it
 * wrote there is the hook's error. */
static int start_wait_hooks(container_state *st, int fd, berth_error **err)
{
        char buf[4000];
        size_t n = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};

        while (n < sizeof(buf) - 1) {
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        break;
                ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);
                if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
                        break;
                if (k > 0)
                        n += (size_t)k;
        }
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (n == 0)
                return 0;
        return berth_error_set(err, 0, "container %s: %s", st->id, buf);
}

int container_start_locked(container_state *st, berth_error **err)
{
        _cleanup_free_ char *fifo = state_fifo_path(st), *start = state_start_fifo_path(st);
        _cleanup_close_ int fd = -EBADF, start_fd = -EBADF;
        enum runtime_status s = state_status(st);

        if (s == RUNTIME_STOPPED)
                return berth_error_set(err, 0, "cannot start a container that has stopped");
        if (s != RUNTIME_CREATED)
                return berth_error_set(err, 0, "cannot start an already %s container",
                                       runtime_status_name(s));
        /* Opened before the init may run its hooks: a reader keeps what it writes. */
        start_fd = open(start, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(err, errno, "container %s: open %s", st->id, fifo);
        if (fs_write_all(fd, "0", 1) < 0)
                return berth_error_set(err, errno, "container %s: write %s", st->id, fifo);
        unlink(fifo);
        if (start_fd >= 0) {
                unlink(start);
                if (start_wait_hooks(st, start_fd, err) < 0)
                        return -1;
        }
        run_saved_hooks(st, OCI_HOOK_POSTSTART, RUNTIME_RUNNING);
        return 0;
}

int runtime_start(const char *root, const char *id, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        _cleanup_close_ int lock = -EBADF;

        if (state_load(root, id, &st, err) < 0)
                return -1;
        lock = state_lock(st->dir, err);
        if (lock < 0)
                return -1;
        return container_start_locked(st, err);
}

/* ---- state, kill ---- */

int runtime_state(const char *root, const char *id, json_t **ret, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;

        if (state_load(root, id, &st, err) < 0)
                return -1;
        *ret = state_to_oci_json(st, state_status(st));
        return 0;
}

static int signal_init(const container_state *st, int sig, berth_error **err)
{
        _cleanup_close_ int pidfd = proc_pidfd_open(st->pid, 0);
        int r;

        /* The pidfd pins the process; the start time proves it is still ours. */
        if (pidfd < 0 || !proc_is_alive(st->pid, st->start_time))
                return berth_error_set(err, 0, "container %s is not running", st->id);
        r = proc_pidfd_send_signal(pidfd, sig);
        if (r < 0)
                return berth_error_set(err, -r, "container %s: send signal %d", st->id, sig);
        return 0;
}

int runtime_kill(const char *root, const char *id, int sig, bool all, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        _cleanup_cgroup_ cgroup *cg = NULL;

        if (state_load(root, id, &st, err) < 0)
                return -1;
        if (state_status(st) == RUNTIME_STOPPED && !all)
                return berth_error_set(err, 0, "container %s is not running", id);
        if (!all)
                return signal_init(st, sig, err);
        if (cgroup_open(st->cgroup_path, id, &cg, err) < 0)
                return -1;
        return cgroup_kill_all(cg, sig, err);
}

/* ---- delete ---- */

static int wait_gone(const container_state *st, int timeout_ms)
{
        _cleanup_close_ int pidfd = proc_pidfd_open(st->pid, 0);
        struct pollfd p = {.fd = pidfd, .events = POLLIN};

        if (pidfd < 0 || !proc_is_alive(st->pid, st->start_time))
                return 0;
        return poll(&p, 1, timeout_ms) == 1 ? 0 : -ETIMEDOUT;
}

static int delete_stop(container_state *st, cgroup *cg, enum runtime_status s, berth_error **err)
{
        if (cg)
                cgroup_kill_all(cg, SIGKILL, NULL);
        if (proc_is_alive(st->pid, st->start_time))
                signal_init(st, SIGKILL, NULL);
        if (s == RUNTIME_PAUSED && cg)
                cgroup_freeze(cg, false, NULL);
        if (wait_gone(st, 10000) < 0)
                return berth_error_set(err, ETIMEDOUT, "container %s: wait for pid %d to exit", st->id,
                                       (int)st->pid);
        return 0;
}

int runtime_delete(const char *root, const char *id, bool force, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        _cleanup_cgroup_ cgroup *cg = NULL;
        _cleanup_close_ int lock = -EBADF;
        enum runtime_status s;

        if (state_load(root, id, &st, err) < 0) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
                /* A create killed before it wrote its state leaves only the directory. */
                if (force && runtime_check_id(id, NULL) == 0 && access(dir, F_OK) == 0)
                        return fs_rm_rf(dir, err);
                /* runc: --force of a container that is gone is done (containerd's shim relies on it) */
                if (force && runtime_check_id(id, NULL) == 0 && access(dir, F_OK) < 0 && errno == ENOENT) {
                        if (err) {
                                berth_error_free(*err);
                                *err = NULL;
                        }
                        return 0;
                }
                return -1;
        }
        lock = state_lock(st->dir, err);
        /* another delete (containerd's cleanup of a dead shim runs one next to the shim's own)
         * removed it while we waited: that is what we wanted */
        if (access(st->dir, F_OK) < 0 && errno == ENOENT) {
                if (err) {
                        berth_error_free(*err);
                        *err = NULL;
                }
                return 0;
        }
        if (lock < 0)
                return -1;
        s = state_status(st);
        if ((s == RUNTIME_RUNNING || s == RUNTIME_PAUSED) && !force)
                return berth_error_set(err, 0, "cannot delete container %s that is not stopped: %s", id,
                                       runtime_status_name(s));
        if (st->cgroup_path && cgroup_open(st->cgroup_path, id, &cg, err) < 0)
                return -1;
        if (cg)
                cgroup_set_created_parents(cg, st->cgroup_created);
        if (s != RUNTIME_STOPPED && delete_stop(st, cg, s, err) < 0)
                return -1;
        if (cg && cgroup_destroy(cg, err) < 0)
                return -1;
        run_saved_hooks(st, OCI_HOOK_POSTSTOP, RUNTIME_STOPPED);
        return fs_rm_rf(st->dir, err);
}

/* ---- list ---- */

void runtime_info_free_array(runtime_info *a, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(a[i].id);
                free(a[i].bundle);
                free(a[i].created);
                free(a[i].owner);
        }
        free(a);
}

#define LIST_COLUMNS 6

static void list_row(const runtime_info *info, char **cells)
{
        cells[0] = xstrdup(info->id);
        cells[1] = xasprintf("%d", (int)info->pid);
        cells[2] = xstrdup(runtime_status_name(info->status));
        cells[3] = xstrdup(info->bundle);
        cells[4] = xstrdup(info->created);
        cells[5] = xstrdup(*info->owner ? info->owner : "root");
}

char *runtime_info_table(const runtime_info *a, size_t n)
{
        static const char *const head[LIST_COLUMNS] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
        char **cells = xcalloc((n + 1) * LIST_COLUMNS, sizeof(char *));
        size_t width[LIST_COLUMNS], len = 0;
        char *out, *p;

        for (size_t c = 0; c < LIST_COLUMNS; c++)
                cells[c] = xstrdup(head[c]);
        for (size_t i = 0; i < n; i++)
                list_row(&a[i], cells + (i + 1) * LIST_COLUMNS);
        for (size_t c = 0; c < LIST_COLUMNS; c++) {
                width[c] = 12;
                for (size_t r = 0; r <= n; r++) {
                        size_t w = strlen(cells[r * LIST_COLUMNS + c]) + 3;
                        width[c] = w > width[c] ? w : width[c];
                }
                len += width[c];
        }
        out = p = xmalloc((n + 1) * (len + 1) + 1);
        for (size_t r = 0; r <= n; r++) {
                for (size_t c = 0; c < LIST_COLUMNS; c++) {
                        char *cell = cells[r * LIST_COLUMNS + c];
                        p += c + 1 < LIST_COLUMNS ? sprintf(p, "%-*s", (int)width[c], cell)
                                                  : sprintf(p, "%s", cell);
                        free(cell);
                }
                *p++ = '\n';
        }
        *p = 0;
        free(cells);
        return out;
}

int runtime_list(const char *root, runtime_info **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_closedir_ DIR *d = opendir(root);
        runtime_info *a = NULL;
        struct dirent *de;
        size_t n = 0;

        if (!d && errno != ENOENT)
                return berth_error_set(err, errno, "open %s", root);
        while (d && (de = readdir(d))) {
                _cleanup_state_ container_state *st = NULL;
                if (de->d_name[0] == '.' || state_load(root, de->d_name, &st, NULL) < 0)
                        continue;
                a = xrealloc(a, (n + 1) * sizeof(*a));
                a[n].status = state_status(st);
                a[n].pid = a[n].status == RUNTIME_STOPPED ? 0 : st->pid;
                a[n].id = TAKE_PTR(st->id);
                a[n].bundle = TAKE_PTR(st->bundle);
                a[n].created = TAKE_PTR(st->created);
                a[n].owner = TAKE_PTR(st->owner);
                n++;
        }
        *ret = a;
        *ret_n = n;
        return 0;
}
