/*
 * The init of a container: clone3 with the namespace flags (joined namespaces are entered by the
 * parent just before, so the new ones are owned by the right user namespace), into the cgroup
 * (CLONE_INTO_CGROUP on v2), then in the child a flat list of steps: id maps, hostname, rootfs,
 * pivot_root, sysctl, masks, console, user, capabilities; it reports READY or one error over a
 * SOCK_SEQPACKET pair and blocks on exec.fifo until `start`.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <linux/keyctl.h>
#include <net/if.h>

#include "linux.h"
#include "mount.h"
#include "process.h"
#include "security.h"
#include "spawn.h"
#include "hooks.h"
#include "basic/jsonh.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "basic/strv.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
        int flag;
        const char *proc;
} ns_info[OCI_NS__MAX] = {
        [OCI_NS_PID] = {CLONE_NEWPID, "pid"},          [OCI_NS_NETWORK] = {CLONE_NEWNET, "net"},
        [OCI_NS_MOUNT] = {CLONE_NEWNS, "mnt"},         [OCI_NS_IPC] = {CLONE_NEWIPC, "ipc"},
        [OCI_NS_UTS] = {CLONE_NEWUTS, "uts"},          [OCI_NS_USER] = {CLONE_NEWUSER, "user"},
        [OCI_NS_CGROUP] = {CLONE_NEWCGROUP, "cgroup"}, [OCI_NS_TIME] = {CLONE_NEWTIME, "time"},
};

int linux_ns_flag(enum oci_ns_type t)
{
        return ns_info[t].flag;
}

const char *linux_ns_proc_name(enum oci_ns_type t)
{
        return ns_info[t].proc;
}

static const oci_namespace *spec_ns(const oci_spec *spec, enum oci_ns_type t)
{
        if (!spec->linux_)
                return NULL;
        for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
                if (spec->linux_->namespaces[i].type == t)
                        return &spec->linux_->namespaces[i];
        return NULL;
}

static bool has_new_ns(const oci_spec *spec, enum oci_ns_type t)
{
        const oci_namespace *ns = spec_ns(spec, t);
        return ns && !ns->path;
}

static bool has_ns(const oci_spec *spec, enum oci_ns_type t)
{
        return spec_ns(spec, t) != NULL;
}

/* Which namespace a sysctl belongs to, as runc decides; -1 when it is host-wide. */
static int sysctl_namespace(const char *key)
{
        static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                          "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                          "kernel.shmmni", "kernel.shm_rmid_forced"};
        for (size_t i = 0; i < ELEMENTSOF(ipc); i++)
                if (streq(key, ipc[i]))
                        return OCI_NS_IPC;
        if (strneq(key, "fs.mqueue.", 10))
                return OCI_NS_IPC;
        if (strneq(key, "net.", 4))
                return OCI_NS_NETWORK;
        if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
                return OCI_NS_UTS;
        return -1;
}

int linux_validate(const oci_spec *spec, berth_error **err)
{
        const char *key;
        json_t *v;

        if (!has_ns(spec, OCI_NS_MOUNT))
                return berth_error_set(err, 0, "linux.namespaces: a mount namespace is required");
        if ((spec->hostname || spec->domainname) && !has_ns(spec, OCI_NS_UTS))
                return berth_error_set(err, 0, "hostname: setting it needs a uts namespace");
        if (spec->linux_ && (spec->linux_->n_uid_mappings || spec->linux_->n_gid_mappings) &&
            !has_new_ns(spec, OCI_NS_USER))
                return berth_error_set(err, 0, "linux.uidMappings: needs a new user namespace");
        if (has_new_ns(spec, OCI_NS_USER) &&
            (!spec->linux_->n_uid_mappings || !spec->linux_->n_gid_mappings))
                return berth_error_set(err, 0,
                                       "linux.uidMappings: a new user namespace needs uid and gid mappings");
        if (spec->linux_ && spec->linux_->time_offsets && !has_new_ns(spec, OCI_NS_TIME))
                return berth_error_set(err, 0, "linux.timeOffsets: needs a new time namespace");
        if (!spec->linux_ || !spec->linux_->sysctl)
                return 0;
        json_object_foreach (spec->linux_->sysctl, key, v) {
                int t = sysctl_namespace(key);
                if (t < 0 || !has_ns(spec, (enum oci_ns_type)t))
                        return berth_error_set(err, 0, "linux.sysctl.%s: not namespaced in this container",
                                               key);
        }
        return 0;
}

/* ---- namespaces joined by path, entered by the parent around clone3 ---- */

typedef struct ns_restore {
        int fds[OCI_NS__MAX]; /* the parent's own namespaces, -1 when untouched */
} ns_restore;

static void ns_restore_init(ns_restore *r)
{
        for (int i = 0; i < OCI_NS__MAX; i++)
                r->fds[i] = -1;
}

static void ns_restore_done(ns_restore *r)
{
        for (int i = OCI_NS__MAX - 1; i >= 0; i--) {
                if (r->fds[i] < 0)
                        continue;
                if (setns(r->fds[i], ns_info[i].flag) < 0)
                        log_warn("restore %s namespace: %s", ns_info[i].proc, strerror(errno));
                close(r->fds[i]);
                r->fds[i] = -1;
        }
}

static int ns_save(ns_restore *r, enum oci_ns_type t, berth_error **err)
{
        _cleanup_free_ char *p = xasprintf("/proc/self/ns/%s", ns_info[t].proc);

        r->fds[t] = open(p, O_RDONLY | O_CLOEXEC);
        if (r->fds[t] < 0)
                return berth_error_set(err, errno, "open %s", p);
        return 0;
}

static int ns_join_path(const oci_namespace *ns, berth_error **err)
{
        _cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return berth_error_set(err, errno, "linux.namespaces: open %s", ns->path);
        if (setns(fd, ns_info[ns->type].flag) < 0)
                return berth_error_set(err, errno, "linux.namespaces: join %s namespace %s",
                                       oci_ns_type_name(ns->type), ns->path);
        return 0;
}

static int write_time_offsets(json_t *offsets, berth_error **err)
{
        const char *clock;
        json_t *v;
        char buf[256];
        size_t n = 0;

        json_object_foreach (offsets, clock, v) {
                json_int_t secs = json_integer_value(json_object_get(v, "secs"));
                json_int_t nsecs = json_integer_value(json_object_get(v, "nanosecs"));
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %lld %lld\n", clock, (long long)secs,
                                      (long long)nsecs);
                if (n >= sizeof(buf))
                        return berth_error_set(err, 0, "linux.timeOffsets: too many clocks");
        }
        return fs_write_file("/proc/self/timens_offsets", buf, n, err);
}

/*
 * Enter the namespaces the child must share (except user and mount, which the child joins
 * itself), and a new time namespace with offsets, which must exist before its first process.
 */
static int ns_enter_for_clone(const oci_spec *spec, ns_restore *r, berth_error **err)
{
        const oci_linux *lx = spec->linux_;

        for (size_t i = 0; lx && i < lx->n_namespaces; i++) {
                const oci_namespace *ns = &lx->namespaces[i];
                if (!ns->path || ns->type == OCI_NS_USER || ns->type == OCI_NS_MOUNT)
                        continue;
                if (ns_save(r, ns->type, err) < 0 || ns_join_path(ns, err) < 0)
                        return -1;
        }
        if (lx && lx->time_offsets && has_new_ns(spec, OCI_NS_TIME)) {
                if (ns_save(r, OCI_NS_TIME, err) < 0)
                        return -1;
                if (unshare(CLONE_NEWTIME) < 0)
                        return berth_error_set(err, errno, "unshare time namespace");
                if (write_time_offsets(lx->time_offsets, err) < 0)
                        return -1;
        }
        return 0;
}

static unsigned long long clone_flags(const oci_spec *spec)
{
        unsigned long long flags = 0;
        const oci_linux *lx = spec->linux_;

        for (size_t i = 0; lx && i < lx->n_namespaces; i++)
                if (!lx->namespaces[i].path)
                        flags |= (unsigned long long)ns_info[lx->namespaces[i].type].flag;
        if (lx && lx->time_offsets)
                flags &= ~(unsigned long long)CLONE_NEWTIME; /* unshared by the parent */
        return flags;
}

/* ---- the parent's side of a new user namespace ---- */

static int write_id_map(pid_t pid, const char *file, const oci_id_mapping *m, size_t n, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        char buf[4096];
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id,
                                        m[i].host_id, m[i].size);
                if (len >= sizeof(buf))
                        return berth_error_set(err, 0, "linux.%s: too many mappings", file);
        }
        if (fs_write_file(path, buf, len, err) < 0)
                return berth_error_wrap(err, "linux.%s",
                                        streq(file, "uid_map") ? "uidMappings" : "gidMappings");
        return 0;
}

/* ---- the child ---- */

typedef struct child_ctx {
        const linux_init_args *a;
        int sync_fd;
        const int *idmap_fds;   /* detached idmapped trees made by the parent, or NULL */
        bool apparmor, selinux; /* active LSMs, as the parent saw them */
        spawn_security sec;
} child_ctx;

_noreturn_ static void child_fail(child_ctx *c, berth_error *e, int exit_code)
{
        sync_send(c->sync_fd, SYNC_ERROR, e, exit_code);
        _exit(exit_code ? exit_code : 1);
}

static int child_join_late_namespaces(const oci_spec *spec, berth_error **err)
{
        const oci_namespace *user = spec_ns(spec, OCI_NS_USER), *mnt = spec_ns(spec, OCI_NS_MOUNT);

        if (user && user->path && ns_join_path(user, err) < 0)
                return -1;
        if (mnt && mnt->path && ns_join_path(mnt, err) < 0)
                return -1;
        return 0;
}

static int child_set_names(const oci_spec *spec, berth_error **err)
{
        if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return berth_error_set(err, errno, "sethostname %s", spec->hostname);
        if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                return berth_error_set(err, errno, "setdomainname %s", spec->domainname);
        return 0;
}

/* A new network namespace starts with lo down; bring it up, as crun does (127.0.0.1 works in a
 * container without a network, as in Docker's). Best effort: nothing depends on it. */
static void child_loopback_up(const oci_spec *spec)
{
        const oci_namespace *net = spec_ns(spec, OCI_NS_NETWORK);
        struct ifreq ifr = {.ifr_name = "lo"};
        int fd;

        if (!net || net->path)
                return;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP;
                ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        close(fd);
}

static int child_sysctl(const oci_spec *spec, berth_error **err)
{
        const char *key;
        json_t *v;

        if (!spec->linux_ || !spec->linux_->sysctl)
                return 0;
        json_object_foreach (spec->linux_->sysctl, key, v) {
                _cleanup_free_ char *path = xasprintf("/proc/sys/%s", key);
                const char *val = json_string_value(v);
                for (char *p = path + 10; *p; p++)
                        if (*p == '.')
                                *p = '/';
                if (fs_write_file(path, val, strlen(val), err) < 0)
                        return berth_error_wrap(err, "linux.sysctl.%s", key);
        }
        return 0;
}

static bool needs_create_hooks(const oci_spec *spec)
{
        return hooks_has(spec, OCI_HOOK_PRESTART) || hooks_has(spec, OCI_HOOK_CREATE_RUNTIME) ||
               hooks_has(spec, OCI_HOOK_CREATE_CONTAINER);
}

/* The parent runs prestart and createRuntime hooks, then we run createContainer hooks here, in
 * the container's namespaces but before pivot_root, with the state the parent sent. */
static int child_create_hooks(child_ctx *c, berth_error **err)
{
        _cleanup_json_ json_t *state = NULL;
        sync_msg m;

        if (!needs_create_hooks(c->a->spec))
                return 0;
        if (sync_send(c->sync_fd, SYNC_HOOKS, NULL, 0) < 0 || sync_recv(c->sync_fd, &m) < 0)
                return berth_error_set(err, EPIPE, "wait for the createRuntime hooks");
        if (m.type != SYNC_GO)
                _exit(1); /* the parent reports its own hook failure */
        if (jsonh_parse(m.text, strlen(m.text), "state", &state, err) < 0)
                return -1;
        return hooks_run(c->a->spec, OCI_HOOK_CREATE_CONTAINER, state, err);
}

/* Everything up to READY, in order; a failure returns with *exit_code possibly set to 126/127. */
static int child_setup(child_ctx *c, char **ret_exe, int *exit_code, berth_error **err)
{
        const linux_init_args *a = c->a;
        const oci_spec *spec = a->spec;
        bool userns = has_ns(spec, OCI_NS_USER);
        mount_ctx mctx = {.spec = spec,
                          .rootfs = a->rootfs,
                          .in_user_ns = userns,
                          .new_cgroup_ns = has_new_ns(spec, OCI_NS_CGROUP),
                          .cgroup_path = a->cg ? cgroup_path(a->cg) : NULL,
                          .idmap_fds = c->idmap_fds,
                          .mount_label = c->selinux && spec->linux_ ? spec->linux_->mount_label : NULL};
        sync_msg m;

        if (has_new_ns(spec, OCI_NS_USER)) {
                /* Wait for the parent to write our id maps, then become root of the namespace. */
                if (sync_recv(c->sync_fd, &m) < 0 || m.type != SYNC_GO)
                        return berth_error_set(err, EPIPE, "wait for the id maps");
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        return berth_error_set(err, errno, "become root in the user namespace");
        }
        if (child_join_late_namespaces(spec, err) < 0 || child_set_names(spec, err) < 0)
                return -1;
        child_loopback_up(spec);
        if (!a->opts->no_new_keyring)
                syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);
        if (mount_setup_rootfs(&mctx, err) < 0 || child_create_hooks(c, err) < 0 ||
            mount_pivot_root(&mctx, a->opts->no_pivot, err) < 0)
                return -1;
        if (child_sysctl(spec, err) < 0 || mount_finalize(&mctx, err) < 0)
                return -1;
        if (spec->process->terminal && a->console_fd >= 0 &&
            spawn_console(spec->process, a->console_fd, err) < 0)
                return -1;
        c->sec = (spawn_security){.caps = a->caps,
                                  .seccomp = a->seccomp,
                                  .sync_fd = c->sync_fd,
                                  .apparmor = c->apparmor,
                                  .selinux = c->selinux};
        return spawn_process_steps(spec->process, &c->sec, ret_exe, exit_code, err);
}

/* startContainer hooks, in the container after `start`: a failure is written to start.fifo,
 * where `start` reads it, and the container stops before its process runs. */
static void child_start_hooks(child_ctx *c)
{
        berth_error *e = NULL;

        if (hooks_has(c->a->spec, OCI_HOOK_START_CONTAINER)) {
                _cleanup_json_ json_t *state = json_pack("{s:s,s:s,s:s}", "ociVersion", "1.2.0", "id",
                                                         c->a->id, "status", "created");
                if (hooks_run(c->a->spec, OCI_HOOK_START_CONTAINER, state, &e) < 0) {
                        _cleanup_free_ char *t = berth_error_text(e);
                        dprintf(c->a->start_fd >= 0 ? c->a->start_fd : STDERR_FILENO, "%s\n", t);
                        _exit(1);
                }
        }
        if (c->a->start_fd >= 0)
                close(c->a->start_fd); /* `start` sees EOF: the process runs */
}

_noreturn_ static void child_main(child_ctx *c)
{
        _cleanup_free_ char *exe = NULL;
        berth_error *e = NULL;
        sigset_t none;
        char byte;
        ssize_t n;
        int exit_code = 0;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        linux_signals_default();
        /* Non-dumpable until execve: nothing in the container can open /proc/PID/exe or our
         * fds while we are inside its namespaces. Root with CAP_SYS_PTRACE still could: the
         * binary itself is a read-only view for that (exe-protect.c, CVE-2019-5736). */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (child_setup(c, &exe, &exit_code, &e) < 0)
                child_fail(c, e, exit_code);
        /* From here the container outlives `create`. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (sync_send(c->sync_fd, SYNC_READY, NULL, 0) < 0)
                _exit(1);
        close(c->sync_fd);
        c->sec.sync_fd = -1;
        do
                n = read(c->a->fifo_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(1);
        close(c->a->fifo_fd);
        child_start_hooks(c);
        spawn_exec(&(spawn_exec_args){.p = c->a->spec->process,
                                      .exe = exe,
                                      .preserve_fds = c->a->opts->preserve_fds,
                                      .sec = &c->sec,
                                      .sync_fd = -1});
}

/* ---- the parent ---- */

static int parent_setup_child(const linux_init_args *a, pid_t pid, int sync_fd, berth_error **err)
{
        const oci_linux *lx = a->spec->linux_;

        if (a->cg && cgroup_clone_fd(a->cg) < 0 && cgroup_enter(a->cg, pid, err) < 0)
                return -1;
        if (!has_new_ns(a->spec, OCI_NS_USER))
                return 0;
        if (write_id_map(pid, "uid_map", lx->uid_mappings, lx->n_uid_mappings, err) < 0 ||
            write_id_map(pid, "gid_map", lx->gid_mappings, lx->n_gid_mappings, err) < 0)
                return -1;
        if (sync_send(sync_fd, SYNC_GO, NULL, 0) < 0)
                return berth_error_set(err, EPIPE, "container init exited during setup");
        return 0;
}

static int parent_forward_seccomp(const linux_init_args *a, pid_t pid, int sync_fd, int fd,
                                  berth_error **err)
{
        _cleanup_free_ char *text = NULL;

        json_object_set_new(a->state, "pid", json_integer(pid));
        text = jsonh_dump(a->state, false);
        return sync_forward_seccomp(sync_fd, a->spec->linux_->seccomp, fd, pid, text, err);
}

/* Serve SYNC_HOOKS and SYNC_SECCOMP until READY or ERROR arrives (or the child dies: m->type 0). */
static int parent_wait_ready(const linux_init_args *a, pid_t pid, int fd, sync_msg *m, berth_error **err)
{
        for (;;) {
                int passed = -EBADF;
                if (sync_recv_fd(fd, m, &passed) < 0) {
                        m->type = 0;
                        return 0;
                }
                if (m->type == SYNC_SECCOMP) {
                        if (parent_forward_seccomp(a, pid, fd, passed, err) < 0)
                                return -1;
                        continue;
                }
                if (passed >= 0)
                        close(passed);
                if (m->type != SYNC_HOOKS)
                        return 0;
                json_object_set_new(a->state, "pid", json_integer(pid));
                if (hooks_run(a->spec, OCI_HOOK_PRESTART, a->state, err) < 0 ||
                    hooks_run(a->spec, OCI_HOOK_CREATE_RUNTIME, a->state, err) < 0)
                        return -1;
                _cleanup_free_ char *text = jsonh_dump(a->state, false);
                if (sync_send_text(fd, SYNC_GO, text) < 0)
                        return berth_error_set(err, E2BIG, "send the state to the createContainer hooks");
        }
}

static bool has_idmap_mount(const oci_spec *spec)
{
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (strv_contains(spec->mounts[i].options, "idmap") ||
                    strv_contains(spec->mounts[i].options, "ridmap"))
                        return true;
        return false;
}

/* Idmapped mounts need CAP_SYS_ADMIN over the source filesystem, which the init lacks once in
 * its user namespace: make the detached trees here, the init only attaches them. */
static int prepare_idmaps(const linux_init_args *a, int **ret_fds, berth_error **err)
{
        mount_ctx ctx = {.spec = a->spec, .rootfs = a->rootfs, .in_user_ns = has_ns(a->spec, OCI_NS_USER)};

        *ret_fds = NULL;
        if (!has_idmap_mount(a->spec))
                return 0;
        return mount_idmap_prepare(&ctx, ret_fds, err);
}

static int spawn_and_wait(const linux_init_args *a, const int *idmap_fds, pid_t *ret_pid, berth_error **err);

int linux_spawn_init(const linux_init_args *a, pid_t *ret_pid, berth_error **err)
{
        int *idmap_fds = NULL;
        int r;

        if (prepare_idmaps(a, &idmap_fds, err) < 0)
                return -1;
        r = spawn_and_wait(a, idmap_fds, ret_pid, err);
        mount_idmap_free(idmap_fds, a->spec->n_mounts);
        return r;
}

static int spawn_and_wait(const linux_init_args *a, const int *idmap_fds, pid_t *ret_pid, berth_error **err)
{
        _cleanup_close_ int parent_fd = -EBADF;
        int sv[2];
        ns_restore restore;
        sync_msg m;
        pid_t pid;
        int cgfd = a->cg ? cgroup_clone_fd(a->cg) : -1;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_error_set(err, errno, "socketpair");
        parent_fd = sv[0];
        bool apparmor = security_apparmor_enabled(), selinux = security_selinux_enabled();
        ns_restore_init(&restore);
        if (ns_enter_for_clone(a->spec, &restore, err) < 0) {
                ns_restore_done(&restore);
                close(sv[1]);
                return -1;
        }
        pid = spawn_clone3(clone_flags(a->spec), cgfd);
        if (pid == 0) {
                child_ctx c = {.a = a,
                               .sync_fd = sv[1],
                               .idmap_fds = idmap_fds,
                               .apparmor = apparmor,
                               .selinux = selinux};
                close(sv[0]);
                child_main(&c);
        }
        int clone_errno = errno;
        ns_restore_done(&restore);
        close(sv[1]);
        if (pid < 0)
                return berth_error_set(err, clone_errno, "clone3 the container init");

        if (parent_setup_child(a, pid, parent_fd, err) < 0) {
                spawn_kill_and_reap(pid);
                return -1;
        }
        if (parent_wait_ready(a, pid, parent_fd, &m, err) < 0) {
                spawn_kill_and_reap(pid);
                return -1;
        }
        if (m.type == 0) {
                int status = 0;
                waitpid(pid, &status, 0);
                return berth_error_set(err, 0, "container init exited during setup (status %d)", status);
        }
        if (m.type == SYNC_ERROR) {
                spawn_kill_and_reap(pid);
                return sync_msg_to_error(&m, err);
        }
        *ret_pid = pid;
        return 0;
}

void linux_signals_default(void)
{
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
}
