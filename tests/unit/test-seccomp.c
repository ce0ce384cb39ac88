/* seccomp: filters built from hand-made linux.seccomp structs, loaded in forked children. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "runtime/caps.h"
#include "runtime/seccomp.h"

#define SYSCALL(...) ((char *[]){__VA_ARGS__, NULL})

static oci_seccomp_syscall rule(char **names, const char *action)
{
        return (oci_seccomp_syscall){.names = names, .action = (char *)action};
}

static oci_seccomp profile(const char *default_action, oci_seccomp_syscall *rules, size_t n)
{
        return (oci_seccomp){.default_action = (char *)default_action, .syscalls = rules, .n_syscalls = n};
}

/* Fork; the child loads the plan and returns fn's result as its exit status. */
static int run_filtered(const seccomp_plan *p, int (*fn)(void))
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                berth_error *e = NULL;
                /* cmocka catches SIGSYS; the container's process would not. */
                signal(SIGSYS, SIG_DFL);
                if (seccomp_plan_load(p, NULL, &e) < 0)
                        _exit(200);
                _exit(fn());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static seccomp_plan *prepare_ok(const oci_seccomp *s)
{
        _cleanup_error_ berth_error *e = NULL;
        seccomp_plan *p = NULL;

        if (seccomp_prepare(s, &p, &e) < 0)
                fail_msg("seccomp_prepare: %s", e->msg);
        return p;
}

static void expect_error(const oci_seccomp *s, const char *msg)
{
        _cleanup_error_ berth_error *e = NULL;
        seccomp_plan *p = NULL;

        assert_true(seccomp_prepare(s, &p, &e) < 0);
        assert_null(p);
        assert_string_equal(e->msg, msg);
}

static int getppid_errno(void)
{
        errno = 0;
        return syscall(SYS_getppid) == -1 ? errno : 0;
}

static void test_errno_default_eperm(void **state)
{
        oci_seccomp_syscall r[] = {rule(SYSCALL("getppid"), "SCMP_ACT_ERRNO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, getppid_errno);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), EPERM);
}

static void test_errno_custom(void **state)
{
        oci_seccomp_syscall r[] = {rule(SYSCALL("getppid"), "SCMP_ACT_ERRNO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        r[0].errno_ret = (oci_opt_uint){true, ENOTSUP};
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, getppid_errno);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), ENOTSUP);
}

static void test_default_errno_ret(void **state)
{
        oci_seccomp_syscall r[] = {rule(
                SYSCALL("exit_group", "exit", "getppid", "write", "sigaltstack", "gettid", "mmap", "munmap"),
                "SCMP_ACT_ALLOW")};
        oci_seccomp s = profile("SCMP_ACT_ERRNO", r, 1);
        s.default_errno_ret = (oci_opt_uint){true, EACCES};
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);

        /* getppid allowed; anything else (getuid) fails with the default errno. The other
         * allowed calls are for the sanitizers' exit path. */
        pid_t pid = fork();
        int status;
        assert_true(pid >= 0);
        if (pid == 0) {
                if (seccomp_plan_load(p, NULL, NULL) < 0)
                        _exit(200);
                if (syscall(SYS_getppid) <= 0)
                        _exit(1);
                _exit(syscall(SYS_getuid) == -1 && errno == EACCES ? 0 : 2);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void kill_test(const char *action)
{
        oci_seccomp_syscall r[] = {rule(SYSCALL("getppid"), action)};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, getppid_errno);

        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_kill(void **state)
{
        kill_test("SCMP_ACT_KILL");
        kill_test("SCMP_ACT_KILL_PROCESS");
        kill_test("SCMP_ACT_KILL_THREAD");
        kill_test("SCMP_ACT_TRAP"); /* SIGSYS delivered, default disposition terminates */
}

static int personality_checks(void)
{
        if (personality(0xffffffff) == -1)
                return 1;
        errno = 0;
        if (personality(PER_LINUX32) != -1 || errno != EPERM)
                return 2;
        return 0;
}

static void test_arg_condition(void **state)
{
        oci_seccomp_arg a[] = {{.index = 0, .value = 0xffffffff, .op = "SCMP_CMP_NE"}};
        oci_seccomp_syscall r[] = {rule(SYSCALL("personality"), "SCMP_ACT_ERRNO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        r[0].args = a;
        r[0].n_args = 1;
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, personality_checks);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static int socket_blocked(int domain, int type)
{
        int fd = socket(domain, type | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
                close(fd);
                return 0;
        }
        return errno == EPERM;
}

static int socket_and_checks(void)
{
        if (!socket_blocked(AF_UNIX, SOCK_DGRAM))
                return 1;
        if (socket_blocked(AF_UNIX, SOCK_STREAM))
                return 2;
        if (socket_blocked(AF_INET, SOCK_DGRAM))
                return 3;
        return 0;
}

/* Two args on one rule: both must match. SOCK_CLOEXEC is masked away with MASKED_EQ. */
static void test_args_anded(void **state)
{
        oci_seccomp_arg a[] = {
                {.index = 0, .value = AF_UNIX, .op = "SCMP_CMP_EQ"},
                {.index = 1, .value = 0xff, .value_two = SOCK_DGRAM, .op = "SCMP_CMP_MASKED_EQ"},
        };
        oci_seccomp_syscall r[] = {rule(SYSCALL("socket"), "SCMP_ACT_ERRNO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        r[0].args = a;
        r[0].n_args = 2;
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, socket_and_checks);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static int personality_or_checks(void)
{
        errno = 0;
        if (personality(PER_LINUX32) != -1 || errno != EPERM)
                return 1;
        errno = 0;
        if (personality(PER_LINUX | ADDR_NO_RANDOMIZE) != -1 || errno != EPERM)
                return 2;
        if (personality(0xffffffff) == -1)
                return 3;
        return 0;
}

/* One index twice: runc adds a rule per condition, so they are ORed. */
static void test_same_index_ored(void **state)
{
        oci_seccomp_arg a[] = {
                {.index = 0, .value = PER_LINUX32, .op = "SCMP_CMP_EQ"},
                {.index = 0, .value = PER_LINUX | ADDR_NO_RANDOMIZE, .op = "SCMP_CMP_EQ"},
        };
        oci_seccomp_syscall r[] = {rule(SYSCALL("personality"), "SCMP_ACT_ERRNO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        r[0].args = a;
        r[0].n_args = 2;
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, personality_or_checks);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static int enosys_checks(void)
{
        errno = 0;
        if (syscall(SYS_getuid) != -1 || errno != EPERM)
                return 1; /* below the highest named syscall: the default action */
        errno = 0;
        if (syscall(SYS_getppid) != -1 || errno != ENOTSUP)
                return 2;
        errno = 0;
        if (syscall(1000) != -1 || errno != ENOSYS)
                return 3; /* above it (exit_group, 231): ENOSYS */
        return 0;
}

static void test_enosys_above_profile(void **state)
{
        oci_seccomp_syscall r[] = {
                rule(SYSCALL("exit_group", "exit", "write", "sigaltstack", "gettid", "mmap", "munmap"),
                     "SCMP_ACT_ALLOW"),
                rule(SYSCALL("getppid"), "SCMP_ACT_ERRNO"),
        };
        oci_seccomp s = profile("SCMP_ACT_ERRNO", r, 2);
        r[1].errno_ret = (oci_opt_uint){true, ENOTSUP};
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, enosys_checks);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* Allow by default: a syscall above every named one (getppid > getpid) is allowed, not ENOSYS. */
static void test_no_enosys_stub_when_allowing(void **state)
{
        oci_seccomp_syscall r[] = {rule(SYSCALL("getpid"), "SCMP_ACT_ERRNO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, getppid_errno);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_unknown_syscall_skipped(void **state)
{
        oci_seccomp_syscall r[] = {rule(SYSCALL("berth_no_such_syscall", "getppid"), "SCMP_ACT_ERRNO"),
                                   rule(SYSCALL("getpid"), "SCMP_ACT_ALLOW")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 2); /* rule 2 equals the default: skipped */
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        int status = run_filtered(p, getppid_errno);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), EPERM);
}

static void test_errors_name_json_path(void **state)
{
        oci_seccomp_arg bad_op[] = {{.index = 0, .value = 1, .op = "SCMP_CMP_FOO"}};
        oci_seccomp_arg bad_index[] = {{.index = 6, .value = 1, .op = "SCMP_CMP_EQ"}};
        oci_seccomp_syscall r[] = {rule(SYSCALL("getppid"), "SCMP_ACT_ERRNO"),
                                   rule(SYSCALL("getpid"), "SCMP_ACT_FOO")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 2);

        expect_error(&s, "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");

        s.n_syscalls = 1;
        s.default_action = "SCMP_ACT_NOPE";
        expect_error(&s, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
        s.default_action = "SCMP_ACT_ALLOW";

        s.architectures = SYSCALL("SCMP_ARCH_X86_64", "SCMP_ARCH_FOO");
        expect_error(&s, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"");
        s.architectures = SYSCALL("x86_64");
        expect_error(&s, "linux.seccomp.architectures[0]: unknown architecture \"x86_64\"");
        s.architectures = NULL;

        s.flags = SYSCALL("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS");
        expect_error(&s, "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
        s.flags = NULL;

        r[0].args = bad_op;
        r[0].n_args = 1;
        expect_error(&s, "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
        r[0].args = bad_index;
        expect_error(&s, "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");
        r[0].n_args = 0;

        r[0].errno_ret = (oci_opt_uint){true, 70000};
        expect_error(&s, "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0-65535)");
        r[0].errno_ret = (oci_opt_uint){0};

        r[0].action = "SCMP_ACT_NOTIFY";
        expect_error(&s, "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
        s.default_action = "SCMP_ACT_NOTIFY";
        expect_error(&s, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
}

static void test_all_actions_and_flags_accepted(void **state)
{
        static const char *const acts[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                           "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                           "SCMP_ACT_LOG",  "SCMP_ACT_NOTIFY"};
        oci_seccomp_syscall r[ELEMENTSOF(acts)];
        static char *names[ELEMENTSOF(acts)][2] = {{"getppid"}, {"getpgrp"}, {"getuid"},      {"getgid"},
                                                   {"geteuid"}, {"getegid"}, {"sched_yield"}, {"getcwd"}};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, ELEMENTSOF(acts));

        for (size_t i = 0; i < ELEMENTSOF(acts); i++)
                r[i] = rule(names[i], acts[i]);
        s.architectures = SYSCALL("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64");
        s.flags = SYSCALL("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                          "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        s.listener_path = "/run/berth-test-agent.sock";
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        assert_true(seccomp_plan_has_notify(p));
        assert_true(seccomp_plan_size(p) > 10);
}

/* ---- the default profile ---- */

/* A minimal linux.seccomp JSON reader for the test (the real parser lives in src/oci). */
static char **strv_from_json(json_t *a)
{
        char **l = NULL;
        size_t i;
        json_t *v;

        json_array_foreach (a, i, v)
                strv_push(&l, json_string_value(v));
        return l;
}

static oci_seccomp *seccomp_from_json(json_t *j)
{
        oci_seccomp *s = xcalloc(1, sizeof(*s));
        json_t *calls = json_object_get(j, "syscalls"), *c, *a;
        size_t i, k;

        s->default_action = xstrdup(json_string_value(json_object_get(j, "defaultAction")));
        if (json_object_get(j, "defaultErrnoRet"))
                s->default_errno_ret =
                        (oci_opt_uint){true, json_integer_value(json_object_get(j, "defaultErrnoRet"))};
        s->architectures = strv_from_json(json_object_get(j, "architectures"));
        s->n_syscalls = json_array_size(calls);
        s->syscalls = xcalloc(s->n_syscalls, sizeof(*s->syscalls));
        json_array_foreach (calls, i, c) {
                oci_seccomp_syscall *sc = &s->syscalls[i];
                json_t *args = json_object_get(c, "args");
                sc->names = strv_from_json(json_object_get(c, "names"));
                sc->action = xstrdup(json_string_value(json_object_get(c, "action")));
                if (json_object_get(c, "errnoRet"))
                        sc->errno_ret =
                                (oci_opt_uint){true, json_integer_value(json_object_get(c, "errnoRet"))};
                sc->n_args = json_array_size(args);
                sc->args = xcalloc(sc->n_args, sizeof(*sc->args));
                json_array_foreach (args, k, a) {
                        sc->args[k].index = json_integer_value(json_object_get(a, "index"));
                        sc->args[k].value = json_integer_value(json_object_get(a, "value"));
                        sc->args[k].value_two = json_integer_value(json_object_get(a, "valueTwo"));
                        sc->args[k].op = xstrdup(json_string_value(json_object_get(a, "op")));
                }
        }
        return s;
}

static void seccomp_free_test(oci_seccomp *s)
{
        for (size_t i = 0; i < s->n_syscalls; i++) {
                strv_free(s->syscalls[i].names);
                free(s->syscalls[i].action);
                for (size_t k = 0; k < s->syscalls[i].n_args; k++)
                        free(s->syscalls[i].args[k].op);
                free(s->syscalls[i].args);
        }
        free(s->syscalls);
        strv_free(s->architectures);
        free(s->default_action);
        free(s);
}

static oci_seccomp *default_profile(const char *const *caps)
{
        _cleanup_error_ berth_error *e = NULL;
        _cleanup_json_ json_t *j = NULL;

        if (seccomp_default_profile(caps, &j, &e) < 0)
                fail_msg("seccomp_default_profile: %s", e->msg);
        return seccomp_from_json(j);
}

static bool json_rule_has(json_t *profile, const char *name)
{
        json_t *calls = json_object_get(profile, "syscalls"), *c, *n;
        size_t i, k;

        json_array_foreach (calls, i, c)
                json_array_foreach (json_object_get(c, "names"), k, n)
                        if (streq(json_string_value(n), name))
                                return true;
        return false;
}

static void test_default_profile_resolution(void **state)
{
        static const char *const with_admin[] = {"CAP_SYS_ADMIN", NULL};
        _cleanup_error_ berth_error *e = NULL;
        _cleanup_json_ json_t *docker = NULL, *admin = NULL;
        json_t *arches;

        assert_int_equal(seccomp_default_profile(caps_docker_default, &docker, &e), 0);
        assert_int_equal(seccomp_default_profile(with_admin, &admin, &e), 0);
        assert_string_equal(json_string_value(json_object_get(docker, "defaultAction")), "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(docker, "defaultErrnoRet")), EPERM);
#if defined(__x86_64__)
        arches = json_object_get(docker, "architectures");
        assert_int_equal(json_array_size(arches), 3);
        assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
        assert_true(json_rule_has(docker, "arch_prctl"));
        assert_false(json_rule_has(docker, "riscv_flush_icache"));
#else
        (void)arches;
#endif
        /* Docker's caps: chroot (CAP_SYS_CHROOT) yes, mount (CAP_SYS_ADMIN) and reboot no. */
        assert_true(json_rule_has(docker, "chroot"));
        assert_false(json_rule_has(docker, "mount"));
        assert_false(json_rule_has(docker, "reboot"));
        assert_true(json_rule_has(admin, "mount"));
        assert_true(json_rule_has(admin, "unshare"));
        assert_false(json_rule_has(admin, "chroot"));
        /* No Docker-only members leak into the OCI output. */
        assert_null(json_object_get(json_array_get(json_object_get(docker, "syscalls"), 0), "includes"));
        assert_null(json_object_get(docker, "archMap"));
}

/* Under Docker's default profile: what a shell does works, the dangerous calls do not. */
static int default_profile_checks(void)
{
        pid_t pid;
        int status;

        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                execl("/bin/true", "true", (char *)NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return 2;
        errno = 0;
        if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
                return 3;
        errno = 0;
        if (syscall(SYS_kexec_load, 0, 0, NULL, 0) != -1 || errno != EPERM)
                return 4;
        errno = 0;
        if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
                return 5; /* so that libc falls back to clone, whose flags are checked */
        if (personality(0xffffffff) == -1)
                return 6;
        errno = 0;
        if (personality(PER_BSD) != -1 || errno != EPERM)
                return 7;
        if (!socket_blocked(AF_VSOCK, SOCK_STREAM) || socket_blocked(AF_UNIX, SOCK_STREAM))
                return 8;
        errno = 0;
        if (syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0) != -1 || errno != EPERM)
                return 9;
        /* Newer than anything the profile names: ENOSYS, so that libc falls back. */
        errno = 0;
        if (syscall(1000) != -1 || errno != ENOSYS)
                return 10;
        return 0;
}

static void test_default_profile_loads(void **state)
{
        oci_seccomp *s = default_profile(caps_docker_default);
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(s);
        int status = run_filtered(p, default_profile_checks);

        seccomp_free_test(s);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static int unshare_allowed(void)
{
        /* Allowed by seccomp; whether the kernel grants it is not the filter's business. */
        errno = 0;
        return syscall(SYS_unshare, 0) == 0 ? 0 : 1;
}

static void test_default_profile_sys_admin(void **state)
{
        static const char *const caps[] = {"CAP_SYS_ADMIN", NULL};
        oci_seccomp *s = default_profile(caps);
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(s);
        int status = run_filtered(p, unshare_allowed);

        seccomp_free_test(s);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the whole order of caps.h, under Docker's profile and capabilities ---- */

struct order_case {
        uid_t uid;
        bool no_new_privs;
};

static void documented_order_child(const seccomp_plan *sp, const caps_plan *cp, const struct order_case *c,
                                   int out_fd)
{
        signal(SIGSYS, SIG_DFL);
        if (!c->no_new_privs && seccomp_plan_load(sp, NULL, NULL) < 0)
                _exit(1);
        if (caps_keep_across_setuid(NULL) < 0)
                _exit(2);
        if (setgroups(0, NULL) < 0 || setresgid(c->uid, c->uid, c->uid) < 0 ||
            setresuid(c->uid, c->uid, c->uid) < 0)
                _exit(3);
        if (caps_apply(cp, NULL) < 0)
                _exit(4);
        if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(5);
        if (c->no_new_privs && seccomp_plan_load(sp, NULL, NULL) < 0)
                _exit(6);
        if (dup2(out_fd, STDOUT_FILENO) < 0)
                _exit(7);
        execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
        _exit(127);
}

static void run_documented_order(const struct order_case *c, char *out, size_t size)
{
        oci_capabilities caps = {.bounding = (char **)caps_docker_default,
                                 .effective = (char **)caps_docker_default,
                                 .permitted = (char **)caps_docker_default};
        oci_seccomp *s = default_profile(caps_docker_default);
        _cleanup_seccomp_plan_ seccomp_plan *sp = prepare_ok(s);
        _cleanup_error_ berth_error *e = NULL;
        int pipefd[2], status;
        size_t n = 0;
        ssize_t k;
        caps_plan cp;
        pid_t pid;

        seccomp_free_test(s);
        assert_int_equal(caps_prepare(&caps, &cp, &e), 0);
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                documented_order_child(sp, &cp, c, pipefd[1]);
        close(pipefd[1]);
        while (n < size - 1 && (k = read(pipefd[0], out + n, size - 1 - n)) > 0)
                n += k;
        out[n] = 0;
        close(pipefd[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void expect_status_line(const char *out, const char *line)
{
        if (!strstr(out, line))
                fail_msg("/proc/self/status lacks \"%s\"", line);
}

static void test_documented_call_order(void **state)
{
        static const struct order_case root = {0, false}, user_nnp = {1000, true};
        char out[8192];

        /* Docker's well-known CapBnd; root keeps the caps over exec; the filter is in place. */
        run_documented_order(&root, out, sizeof(out));
        expect_status_line(out, "CapBnd:\t00000000a80425fb\n");
        expect_status_line(out, "CapEff:\t00000000a80425fb\n");
        expect_status_line(out, "CapPrm:\t00000000a80425fb\n");
        expect_status_line(out, "NoNewPrivs:\t0\n");
        expect_status_line(out, "Seccomp:\t2\n");
        expect_status_line(out, "Seccomp_filters:\t1\n");

        /* A user with noNewPrivileges: no caps after exec, the filter loaded last. */
        run_documented_order(&user_nnp, out, sizeof(out));
        expect_status_line(out, "Uid:\t1000\t1000\t1000\t1000\n");
        expect_status_line(out, "CapBnd:\t00000000a80425fb\n");
        expect_status_line(out, "CapEff:\t0000000000000000\n");
        expect_status_line(out, "NoNewPrivs:\t1\n");
        expect_status_line(out, "Seccomp:\t2\n");
}

/* ---- the cache ---- */

/* One directory for the whole run, removed by the group teardown even when a test fails. */
static char *test_root;

static int group_setup(void **state)
{
        test_root = xstrdup("/tmp/berth-test-seccomp-XXXXXX");
        return mkdtemp(test_root) ? 0 : -1;
}

static int group_teardown(void **state)
{
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", test_root);
        int r = system(cmd);

        free(test_root);
        return r == 0 ? 0 : -1;
}

static char *make_tmpdir(void)
{
        char *d = xasprintf("%s/XXXXXX", test_root);
        assert_non_null(mkdtemp(d));
        return d;
}

static void rm_tmpdir(const char *d)
{
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", d);
        assert_int_equal(system(cmd), 0);
}

static size_t count_files(const char *dir)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        return n;
}

static void test_cache(void **state)
{
        _cleanup_free_ char *dir = make_tmpdir();
        _cleanup_free_ char *cache = xasprintf("%s/cache", dir);
        oci_seccomp *s = default_profile(caps_docker_default);
        _cleanup_error_ berth_error *e = NULL;
        seccomp_plan *fresh = NULL, *cached = NULL, *plain = NULL;
        int status;

        assert_int_equal(seccomp_prepare_cached(s, cache, &fresh, &e), 0);
        assert_int_equal(count_files(cache), 1);
        assert_int_equal(seccomp_prepare_cached(s, cache, &cached, &e), 0);
        assert_int_equal(seccomp_prepare(s, &plain, &e), 0);
        assert_int_equal(seccomp_plan_size(cached), seccomp_plan_size(plain));
        status = run_filtered(cached, default_profile_checks);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);

        /* Another profile gets its own entry, never the first one's program. */
        free(s->default_action);
        s->default_action = xstrdup("SCMP_ACT_KILL_PROCESS");
        seccomp_plan_free(cached);
        assert_int_equal(seccomp_prepare_cached(s, cache, &cached, &e), 0);
        assert_int_equal(count_files(cache), 2);

        /* A cache others can write is not trusted. */
        assert_int_equal(chmod(cache, 0777), 0);
        seccomp_plan_free(cached);
        free(s->default_action);
        s->default_action = xstrdup("SCMP_ACT_KILL_THREAD");
        assert_int_equal(seccomp_prepare_cached(s, cache, &cached, &e), 0);
        assert_int_equal(count_files(cache), 2);

        seccomp_plan_free(fresh);
        seccomp_plan_free(cached);
        seccomp_plan_free(plain);
        seccomp_free_test(s);
        rm_tmpdir(dir);
}

/* ---- SCMP_ACT_NOTIFY and the agent protocol ---- */

static int recv_fd(int sock, char *buf, size_t size)
{
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = {buf, size - 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.b,
                            .msg_controllen = sizeof(control.b)};
        struct cmsghdr *c;
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        int fd;

        assert_true(n > 0);
        buf[n] = 0;
        c = CMSG_FIRSTHDR(&mh);
        assert_non_null(c);
        assert_int_equal(c->cmsg_type, SCM_RIGHTS);
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

static void notify_child(const seccomp_plan *p, const char *sock_path)
{
        _cleanup_free_ char *state = NULL;
        int fd = -1;

        if (seccomp_plan_load(p, &fd, NULL) < 0 || fd < 0)
                _exit(10);
        /* the state's pid is init's; the filtered process is this one, as for an exec */
        state = xstrdup("{\"ociVersion\":\"1.2.0\",\"id\":\"berth-test\",\"status\":\"running\","
                        "\"pid\":1,\"bundle\":\"/tmp\"}");
        if (seccomp_send_notify_fd(sock_path, fd, getpid(), state, "berth-meta", NULL) < 0)
                _exit(11);
        close(fd);
        /* The agent answers for the kernel. */
        _exit(syscall(SYS_getppid) == 4242 ? 0 : 12);
}

static void agent_answer(int notify_fd)
{
        struct seccomp_notif req = {0};
        struct seccomp_notif_resp resp = {0};

        assert_int_equal(ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
        assert_int_equal(req.data.nr, SYS_getppid);
        resp.id = req.id;
        resp.val = 4242;
        assert_int_equal(ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
}

static void test_notify_agent(void **state)
{
        _cleanup_free_ char *dir = make_tmpdir();
        _cleanup_free_ char *sock_path = xasprintf("%s/agent.sock", dir);
        oci_seccomp_syscall r[] = {rule(SYSCALL("getppid"), "SCMP_ACT_NOTIFY")};
        oci_seccomp s = profile("SCMP_ACT_ALLOW", r, 1);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        _cleanup_json_ json_t *msg = NULL;
        char buf[8192];
        int listener, conn, notify_fd, status;
        pid_t pid;

        s.listener_path = sock_path;
        _cleanup_seccomp_plan_ seccomp_plan *p = prepare_ok(&s);
        listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        strcpy(addr.sun_path, sock_path);
        assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(listen(listener, 1), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                notify_child(p, sock_path);
        conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        notify_fd = recv_fd(conn, buf, sizeof(buf));
        msg = json_loads(buf, 0, NULL);
        assert_non_null(msg);
        assert_string_equal(json_string_value(json_array_get(json_object_get(msg, "fds"), 0)), "seccompFd");
        assert_int_equal(json_integer_value(json_object_get(msg, "pid")), pid);
        assert_string_equal(json_string_value(json_object_get(msg, "metadata")), "berth-meta");
        assert_string_equal(json_string_value(json_object_get(json_object_get(msg, "state"), "id")),
                            "berth-test");
        agent_answer(notify_fd);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        close(notify_fd);
        close(conn);
        close(listener);
        rm_tmpdir(dir);
}

/* ---- timing: printed, never asserted ---- */

static long long now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;
        return (x > y) - (x < y);
}

static long long median_us(long long *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_ll);
        return v[n / 2] / 1000;
}

static void test_default_profile_timing(void **state)
{
        enum { RUNS = 21 };
        _cleanup_free_ char *dir = make_tmpdir();
        oci_seccomp *s = default_profile(caps_docker_default);
        long long build[RUNS], cached[RUNS], load[RUNS];
        int pipefd[2];

        for (int i = 0; i < RUNS; i++) {
                seccomp_plan *p = NULL;
                long long t = now_ns();
                assert_int_equal(seccomp_prepare(s, &p, NULL), 0);
                build[i] = now_ns() - t;
                seccomp_plan_free(p);
                t = now_ns();
                assert_int_equal(seccomp_prepare_cached(s, dir, &p, NULL), 0);
                cached[i] = now_ns() - t;

                assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
                pid_t pid = fork();
                if (pid == 0) {
                        long long t0 = now_ns(), dt;
                        if (seccomp_plan_load(p, NULL, NULL) < 0)
                                _exit(1);
                        dt = now_ns() - t0;
                        _exit(write(pipefd[1], &dt, sizeof(dt)) == sizeof(dt) ? 0 : 1);
                }
                close(pipefd[1]);
                assert_int_equal(read(pipefd[0], &load[i], sizeof(load[i])), sizeof(load[i]));
                close(pipefd[0]);
                waitpid(pid, NULL, 0);
                if (i == 0)
                        print_message("default profile: %zu BPF instructions\n", seccomp_plan_size(p));
                seccomp_plan_free(p);
        }
        print_message("default profile, median of %d: compile %lld us, from cache %lld us, load %lld us\n",
                      RUNS, median_us(build, RUNS), median_us(cached + 1, RUNS - 1), median_us(load, RUNS));
        seccomp_free_test(s);
        rm_tmpdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_default_eperm),
                cmocka_unit_test(test_errno_custom),
                cmocka_unit_test(test_default_errno_ret),
                cmocka_unit_test(test_kill),
                cmocka_unit_test(test_arg_condition),
                cmocka_unit_test(test_args_anded),
                cmocka_unit_test(test_same_index_ored),
                cmocka_unit_test(test_unknown_syscall_skipped),
                cmocka_unit_test(test_enosys_above_profile),
                cmocka_unit_test(test_no_enosys_stub_when_allowing),
                cmocka_unit_test(test_errors_name_json_path),
                cmocka_unit_test(test_all_actions_and_flags_accepted),
                cmocka_unit_test(test_default_profile_resolution),
                cmocka_unit_test(test_default_profile_loads),
                cmocka_unit_test(test_default_profile_sys_admin),
                cmocka_unit_test(test_documented_call_order),
                cmocka_unit_test(test_cache),
                cmocka_unit_test(test_notify_agent),
                cmocka_unit_test(test_default_profile_timing),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
