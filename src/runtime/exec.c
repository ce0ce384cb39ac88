/*
 * exec: a new process inside a running container. The parent enters the container's pid (and
 * time) namespace for its children, clone3s into the cgroup, and the child joins the rest with
 * one setns(pidfd) call before the same last steps as the init.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "container.h"
#include "exe-protect.h"
#include "cgroup.h"
#include "linux.h"
#include "process.h"
#include "security.h"
#include "spawn.h"
#include "state.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/proc.h"
#include "basic/strv.h"

typedef struct exec_job {
        container_state *st;
        oci_spec *spec; /* the container's config, for defaults and seccomp */
        oci_process *p; /* the process to run */
        cgroup *cg;
        caps_plan caps;
        seccomp_plan *seccomp;  /* the container's linux.seccomp, or NULL */
        bool apparmor, selinux; /* active LSMs */
        int pidfd, console_fd;
        int join_flags;   /* namespaces the child joins with setns(pidfd) */
        int parent_flags; /* pid and time: entered by the parent for its child */
} exec_job;

static void exec_job_done(exec_job *j)
{
        container_state_free(j->st);
        oci_spec_free(j->spec);
        oci_process_free(j->p);
        cgroup_free(j->cg);
        seccomp_plan_free(j->seccomp);
        if (j->pidfd >= 0)
                close(j->pidfd);
        if (j->console_fd >= 0)
                close(j->console_fd);
}

static void env_set(char ***env, const char *kv)
{
        size_t klen = strcspn(kv, "=");

        for (size_t i = 0; *env && (*env)[i]; i++)
                if (strneq((*env)[i], kv, klen) && (*env)[i][klen] == '=') {
                        free((*env)[i]);
                        (*env)[i] = xstrdup(kv);
                        return;
                }
        strv_push(env, kv);
}

static int parse_user(const char *s, oci_user *u, berth_error **err)
{
        char *end;
        unsigned long uid = strtoul(s, &end, 10), gid = 0;

        if (end == s || (*end && *end != ':'))
                return berth_error_set(err, 0, "--user %s: expected UID[:GID]", s);
        if (*end == ':') {
                const char *g = end + 1;
                gid = strtoul(g, &end, 10);
                if (end == g || *end)
                        return berth_error_set(err, 0, "--user %s: expected UID[:GID]", s);
        }
        u->uid = (uint32_t)uid;
        u->gid = (uint32_t)gid;
        free(u->additional_gids);
        u->additional_gids = NULL;
        u->n_additional_gids = 0;
        return 0;
}

static void add_caps(oci_process *p, char **caps)
{
        if (!caps || !*caps)
                return;
        if (!p->capabilities)
                p->capabilities = xcalloc(1, sizeof(*p->capabilities));
        char ***sets[] = {&p->capabilities->bounding, &p->capabilities->effective,
                          &p->capabilities->permitted};
        for (size_t i = 0; i < ELEMENTSOF(sets); i++)
                STRV_FOREACH (c, caps)
                        if (!strv_contains(*sets[i], *c))
                                strv_push(sets[i], *c);
}

/* The process: --process as given, or the container's own with the flags applied. */
static int exec_build_process(exec_job *j, const runtime_exec_opts *o, berth_error **err)
{
        _cleanup_json_ json_t *pj = NULL;
        oci_process *p;

        if (o->process_path) {
                if (jsonh_parse_file(o->process_path, &pj, err) < 0 ||
                    oci_process_from_json(pj, "process", &j->p, err) < 0)
                        return -1;
                return 0;
        }
        if (!o->args || !o->args[0])
                return berth_error_set(err, 0, "exec: a command (or --process) is required");
        pj = oci_process_to_json(j->spec->process);
        if (oci_process_from_json(pj, "process", &j->p, err) < 0)
                return -1;
        p = j->p;
        strv_free(p->args);
        p->args = strv_copy(o->args);
        STRV_FOREACH (e, o->env)
                env_set(&p->env, *e);
        if (o->cwd) {
                free(p->cwd);
                p->cwd = xstrdup(o->cwd);
        }
        if (o->user && parse_user(o->user, &p->user, err) < 0)
                return -1;
        add_caps(p, o->caps);
        p->no_new_privileges = p->no_new_privileges || o->no_new_privs;
        p->terminal = o->tty;
        return 0;
}

static int ns_differs(pid_t pid, const char *name)
{
        char a[64], b[64];
        struct stat sa, sb;

        snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, name);
        snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
        if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
                return 0;
        return sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev;
}

static void exec_plan_namespaces(exec_job *j)
{
        for (int t = 0; t < OCI_NS__MAX; t++) {
                if (!ns_differs(j->st->pid, linux_ns_proc_name((enum oci_ns_type)t)))
                        continue;
                if (t == OCI_NS_PID || t == OCI_NS_TIME)
                        j->parent_flags |= linux_ns_flag((enum oci_ns_type)t);
                else
                        j->join_flags |= linux_ns_flag((enum oci_ns_type)t);
        }
}

static int exec_load(exec_job *j, const char *root, const char *id, const runtime_exec_opts *o,
                     berth_error **err)
{
        enum runtime_status s;

        if (state_load(root, id, &j->st, err) < 0)
                return -1;
        s = state_status(j->st);
        if (s != RUNTIME_RUNNING && s != RUNTIME_CREATED)
                return berth_error_set(err, 0, "cannot exec in a %s container %s", runtime_status_name(s),
                                       id);
        if (!j->st->config || oci_spec_from_json(j->st->config, &j->spec, err) < 0)
                return berth_error_set(err, 0, "container %s: its state has no usable config", id);
        if (exec_build_process(j, o, err) < 0 || process_validate(j->p, err) < 0 ||
            security_prepare(root, j->spec, j->p, &j->caps, &j->seccomp, err) < 0)
                return -1;
        if (j->p->terminal && !o->console_socket)
                return berth_error_set(err, 0, "exec: --tty needs --console-socket");
        j->pidfd = proc_pidfd_open(j->st->pid, 0);
        if (j->pidfd < 0 || !proc_is_alive(j->st->pid, j->st->start_time))
                return berth_error_set(err, 0, "container %s is not running", id);
        if (j->st->cgroup_path && cgroup_open(j->st->cgroup_path, id, &j->cg, err) < 0)
                return -1;
        exec_plan_namespaces(j);
        j->apparmor = security_apparmor_enabled();
        j->selinux = security_selinux_enabled();
        return 0;
}

_noreturn_ static void exec_child(exec_job *j, const runtime_exec_opts *o, int sync_fd)
{
        _cleanup_free_ char *exe = NULL;
        berth_error *e = NULL;
        sync_msg m;
        sigset_t none;
        int exit_code = 1;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        linux_signals_default();
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* Wait until the parent has put us in the cgroup. */
        if (sync_recv(sync_fd, &m) < 0 || m.type != SYNC_GO)
                _exit(1);
        if (j->join_flags && setns(j->pidfd, j->join_flags) < 0) {
                berth_error_set(&e, errno, "join the namespaces of container %s", j->st->id);
                goto fail;
        }
        if (j->p->terminal && spawn_console(j->p, j->console_fd, &e) < 0)
                goto fail;
        spawn_security sec = {.caps = &j->caps,
                              .seccomp = j->seccomp,
                              .sync_fd = sync_fd,
                              .late_sync = true,
                              .apparmor = j->apparmor,
                              .selinux = j->selinux};
        if (spawn_process_steps(j->p, &sec, &exe, &exit_code, &e) < 0)
                goto fail;
        if (o->detach)
                prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        spawn_exec(&(spawn_exec_args){
                .p = j->p, .exe = exe, .preserve_fds = o->preserve_fds, .sec = &sec, .sync_fd = sync_fd});
fail:
        sync_send(sync_fd, SYNC_ERROR, e, exit_code);
        _exit(exit_code);
}

static int exec_enter_parent_ns(exec_job *j, int *saved, berth_error **err)
{
        static const enum oci_ns_type types[] = {OCI_NS_PID, OCI_NS_TIME};

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                int flag = linux_ns_flag(types[i]);
                saved[i] = -1;
                if (!(j->parent_flags & flag))
                        continue;
                _cleanup_free_ char *self =
                        xasprintf("/proc/self/ns/%s_for_children", linux_ns_proc_name(types[i]));
                saved[i] = open(self, O_RDONLY | O_CLOEXEC);
                if (saved[i] < 0 || setns(j->pidfd, flag) < 0)
                        return berth_error_set(err, errno, "enter the %s namespace of container %s",
                                               linux_ns_proc_name(types[i]), j->st->id);
        }
        return 0;
}

static void exec_leave_parent_ns(int *saved)
{
        static const int flags[] = {CLONE_NEWPID, 0x00000080 /* CLONE_NEWTIME */};

        for (size_t i = 0; i < 2; i++)
                if (saved[i] >= 0) {
                        setns(saved[i], flags[i]);
                        close(saved[i]);
                }
}

static int exec_wait(pid_t pid, bool detach, int *ret_status)
{
        static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
        int status;

        if (detach)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                signal(forwarded[i], SIG_IGN);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}

/* Until the child execs (EOF) or fails; a seccomp listener fd on the way goes to the agent
 * (-EPROTO when that fails, with *err set). */
static int exec_wait_started(exec_job *j, pid_t pid, int fd, sync_msg *m, berth_error **err)
{
        for (;;) {
                int passed = -EBADF, r = sync_recv_fd(fd, m, &passed);
                if (r < 0 || m->type != SYNC_SECCOMP) {
                        if (passed >= 0)
                                close(passed);
                        return r;
                }
                _cleanup_json_ json_t *state = state_to_oci_json(j->st, state_status(j->st));
                _cleanup_free_ char *text = jsonh_dump(state, false);
                if (sync_forward_seccomp(fd, j->spec->linux_->seccomp, passed, pid, text, err) < 0)
                        return -EPROTO;
        }
}

static int exec_spawn(exec_job *j, const runtime_exec_opts *o, pid_t *ret_pid, berth_error **err)
{
        int sv[2], saved[2] = {-1, -1}, r;
        sync_msg m;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_error_set(err, errno, "socketpair");
        r = exec_enter_parent_ns(j, saved, err);
        pid = r < 0 ? -1 : spawn_clone3(0, j->cg ? cgroup_clone_fd(j->cg) : -1);
        if (pid == 0) {
                close(sv[0]);
                exec_child(j, o, sv[1]);
        }
        int e = errno;
        exec_leave_parent_ns(saved);
        close(sv[1]);
        if (pid < 0) {
                close(sv[0]);
                return r < 0 ? r : berth_error_set(err, e, "clone3 the exec process");
        }
        if ((j->cg && cgroup_clone_fd(j->cg) < 0 && cgroup_enter(j->cg, pid, err) < 0) ||
            sync_send(sv[0], SYNC_GO, NULL, 0) < 0) {
                close(sv[0]);
                spawn_kill_and_reap(pid);
                return -1;
        }
        r = exec_wait_started(j, pid, sv[0], &m, err);
        close(sv[0]);
        if (r == -EPROTO) {
                spawn_kill_and_reap(pid);
                return -1;
        }
        if (r == 0 && m.type == SYNC_ERROR) {
                waitpid(pid, NULL, 0);
                return sync_msg_to_error(&m, err);
        }
        *ret_pid = pid;
        return 0;
}

static int connect_unix(const char *path, berth_error **err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return berth_error_set(err, ENAMETOOLONG, "--console-socket %s", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, e, "--console-socket %s", path);
        }
        return fd;
}

int runtime_exec(const char *root, const char *id, const runtime_exec_opts *o, int *ret_status,
                 berth_error **err)
{
        exec_job j = {.pidfd = -EBADF, .console_fd = -EBADF};
        pid_t pid = 0;
        int r = runtime_exe_protect(root, err);

        if (r >= 0)
                r = exec_load(&j, root, id, o, err);

        if (r >= 0 && j.p->terminal) {
                j.console_fd = connect_unix(o->console_socket, err);
                r = j.console_fd < 0 ? -1 : 0;
        }
        if (r >= 0)
                r = exec_spawn(&j, o, &pid, err);
        if (r >= 0 && o->pid_file) {
                _cleanup_free_ char *text = xasprintf("%d", (int)pid);
                r = fs_write_file_atomic(o->pid_file, text, strlen(text), 0644, err);
        }
        if (r >= 0) {
                r = exec_wait(pid, o->detach, ret_status);
                if (r < 0)
                        berth_error_set(err, -r, "wait for the exec process");
        }
        exec_job_done(&j);
        return r;
}
