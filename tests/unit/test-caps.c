/* caps: names, validation, and the five sets as /proc/self/status shows them after caps_apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "basic/strv.h"
#include "runtime/caps.h"

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define BIT(n)     (UINT64_C(1) << (n))

enum { CHOWN = 0, KILL = 5, SETGID = 6, SETUID = 7, SETPCAP = 8, NET_BIND = 10, SYS_ADMIN = 21 };

static void expect_error(const oci_capabilities *c, const char *msg)
{
        _cleanup_error_ berth_error *e = NULL;
        caps_plan p;

        assert_true(caps_prepare(c, &p, &e) < 0);
        assert_string_equal(e->msg, msg);
}

static void test_names(void **state)
{
        _cleanup_free_ char *admin = caps_to_name(SYS_ADMIN);

        assert_int_equal(caps_from_name("CAP_CHOWN"), CHOWN);
        assert_int_equal(caps_from_name("CAP_SYS_ADMIN"), SYS_ADMIN);
        assert_int_equal(caps_from_name("cap_net_bind_service"), NET_BIND);
        assert_int_equal(caps_from_name("CAP_CHECKPOINT_RESTORE"), 40);
        assert_true(caps_from_name("CAP_FOO") < 0);
        assert_true(caps_from_name("CHOWN") < 0); /* the prefix is part of the name in config.json */
        assert_true(caps_from_name("12") < 0);
        assert_true(caps_from_name("CAP_") < 0);
        assert_string_equal(admin, "CAP_SYS_ADMIN");
        assert_null(caps_to_name(63));
        assert_int_equal(strv_length((char **)caps_docker_default), 14);
}

static void test_unknown_name(void **state)
{
        oci_capabilities c = {.bounding = NAMES("CAP_CHOWN", "CAP_FOO")};

        expect_error(&c, "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"");
        c = (oci_capabilities){.ambient = NAMES("KILL")};
        expect_error(&c, "process.capabilities.ambient[0]: unknown capability \"KILL\"");
}

static void test_effective_needs_permitted(void **state)
{
        oci_capabilities c = {.effective = NAMES("CAP_CHOWN", "CAP_KILL"), .permitted = NAMES("CAP_CHOWN")};

        expect_error(&c, "process.capabilities.effective: CAP_KILL is not in the permitted set");
}

static void test_prepare_masks(void **state)
{
        oci_capabilities c = {
                .bounding = NAMES("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                .effective = NAMES("CAP_CHOWN"),
                .permitted = NAMES("CAP_CHOWN", "CAP_KILL"),
                .inheritable = NAMES("CAP_CHOWN"),
                .ambient = NAMES("CAP_CHOWN", "CAP_KILL"),
        };
        _cleanup_error_ berth_error *e = NULL;
        caps_plan p;

        assert_int_equal(caps_prepare(&c, &p, &e), 0);
        assert_int_equal(p.bounding, BIT(CHOWN) | BIT(KILL) | BIT(NET_BIND));
        assert_int_equal(p.effective, BIT(CHOWN));
        assert_int_equal(p.permitted, BIT(CHOWN) | BIT(KILL));
        assert_int_equal(p.inheritable, BIT(CHOWN));
        /* CAP_KILL is not inheritable: the kernel would refuse it as ambient, runc skips it */
        assert_int_equal(p.ambient, BIT(CHOWN));
        assert_int_equal(p.ambient_skipped, BIT(KILL));
        assert_int_equal(caps_prepare(NULL, &p, &e), 0);
        assert_int_equal(p.bounding | p.effective | p.permitted | p.inheritable | p.ambient, 0);
}

/* "CapBnd:\t0000000000000421" lines of a /proc/PID/status text. */
static uint64_t status_mask(const char *status, const char *key)
{
        _cleanup_free_ char *needle = xasprintf("\n%s:\t", key);
        const char *p = strstr(status, needle);

        assert_non_null(p);
        return strtoull(p + strlen(needle), NULL, 16);
}

static void read_all(int fd, char *buf, size_t size)
{
        size_t n = 0;
        ssize_t k;

        buf[0] = '\n';
        n = 1;
        while (n < size - 1 && (k = read(fd, buf + n, size - 1 - n)) > 0)
                n += k;
        buf[n] = 0;
}

/* Fork; the child runs fn with stdout on a pipe; returns what it printed and its status. */
static int run_child(void (*fn)(const caps_plan *), const caps_plan *p, char *out, size_t size)
{
        int pipefd[2], status;
        pid_t pid;

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (dup2(pipefd[1], STDOUT_FILENO) < 0)
                        _exit(100);
                fn(p);
                _exit(101);
        }
        close(pipefd[1]);
        read_all(pipefd[0], out, size);
        close(pipefd[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static void cat_status(void)
{
        execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
        _exit(127);
}

static void apply_as_root(const caps_plan *p)
{
        if (caps_apply(p, NULL) < 0)
                _exit(1);
        cat_status();
}

static void test_apply_as_root(void **state)
{
        oci_capabilities c = {
                .bounding = NAMES("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                .effective = NAMES("CAP_CHOWN", "CAP_KILL"),
                .permitted = NAMES("CAP_CHOWN", "CAP_KILL"),
                .inheritable = NAMES("CAP_KILL"),
                .ambient = NAMES("CAP_KILL"),
        };
        _cleanup_error_ berth_error *e = NULL;
        char out[8192];
        caps_plan p;
        int status;

        assert_int_equal(caps_prepare(&c, &p, &e), 0);
        status = run_child(apply_as_root, &p, out, sizeof(out));
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        /* After execve as root: P' = (P_file | I) & bnd with a full file set, E' = P'; ambient kept. */
        assert_int_equal(status_mask(out, "CapBnd"), 0x421);
        assert_int_equal(status_mask(out, "CapInh"), 0x20);
        assert_int_equal(status_mask(out, "CapAmb"), 0x20);
        assert_int_equal(status_mask(out, "CapPrm"), 0x421);
        assert_int_equal(status_mask(out, "CapEff"), 0x421);
}

static void apply_as_user(const caps_plan *p)
{
        if (caps_keep_across_setuid(NULL) < 0 || setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 ||
            setresuid(1000, 1000, 1000) < 0)
                _exit(2);
        if (caps_apply(p, NULL) < 0)
                _exit(1);
        cat_status();
}

static void apply_as_user_without_keepcaps(const caps_plan *p)
{
        berth_error *e = NULL;

        if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
                _exit(2);
        if (caps_apply(p, &e) >= 0)
                _exit(1);
        printf("%s\n", e->msg);
        fflush(stdout);
        _exit(0);
}

/* The documented order: keepcaps, setuid, caps_apply; ambient caps survive the exec of a non-root user. */
static void test_apply_after_setuid(void **state)
{
        oci_capabilities c = {
                .bounding = NAMES("CAP_NET_BIND_SERVICE", "CAP_KILL"),
                .effective = NAMES("CAP_NET_BIND_SERVICE", "CAP_KILL"),
                .permitted = NAMES("CAP_NET_BIND_SERVICE", "CAP_KILL"),
                .inheritable = NAMES("CAP_NET_BIND_SERVICE"),
                .ambient = NAMES("CAP_NET_BIND_SERVICE"),
        };
        _cleanup_error_ berth_error *e = NULL;
        char out[8192];
        caps_plan p;
        int status;

        assert_int_equal(caps_prepare(&c, &p, &e), 0);
        status = run_child(apply_as_user, &p, out, sizeof(out));
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_non_null(strstr(out, "\nUid:\t1000\t1000\t1000\t1000\n"));
        assert_int_equal(status_mask(out, "CapBnd"), BIT(NET_BIND) | BIT(KILL));
        /* A non-root exec keeps only the ambient set: CAP_KILL is gone, NET_BIND_SERVICE stays. */
        assert_int_equal(status_mask(out, "CapAmb"), BIT(NET_BIND));
        assert_int_equal(status_mask(out, "CapPrm"), BIT(NET_BIND));
        assert_int_equal(status_mask(out, "CapEff"), BIT(NET_BIND));
        assert_int_equal(status_mask(out, "CapInh"), BIT(NET_BIND));

        /* Without keepcaps the uid change took the permitted set: caps_apply must fail, loudly. */
        status = run_child(apply_as_user_without_keepcaps, &p, out, sizeof(out));
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_string_equal(out, "\ndrop the bounding set: CAP_SETPCAP is not in the permitted set\n");
}

static void apply_without_kill(const caps_plan *p)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2];
        berth_error *e = NULL;

        /* The runtime itself lacks CAP_KILL, as a host may lack CAP_SYS_RESOURCE. */
        if (capget(&h, d) < 0)
                _exit(2);
        d[0].effective &= ~BIT(KILL);
        d[0].permitted &= ~BIT(KILL);
        if (capset(&h, d) < 0)
                _exit(3);
        if (caps_apply(p, &e) >= 0)
                _exit(1);
        printf("%s\n", e->msg);
        fflush(stdout);
        _exit(0);
}

static void test_unavailable_capability(void **state)
{
        oci_capabilities c = {
                .bounding = NAMES("CAP_KILL", "CAP_CHOWN"),
                .effective = NAMES("CAP_KILL", "CAP_CHOWN"),
                .permitted = NAMES("CAP_KILL", "CAP_CHOWN"),
        };
        _cleanup_error_ berth_error *e = NULL;
        char out[4096];
        caps_plan p;
        int status;

        assert_int_equal(caps_prepare(&c, &p, &e), 0);
        status = run_child(apply_without_kill, &p, out, sizeof(out));
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_string_equal(out,
                            "\nprocess.capabilities.permitted: CAP_KILL is not available to the runtime\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_unknown_name),
                cmocka_unit_test(test_effective_needs_permitted),
                cmocka_unit_test(test_prepare_masks),
                cmocka_unit_test(test_apply_as_root),
                cmocka_unit_test(test_apply_after_setuid),
                cmocka_unit_test(test_unavailable_capability),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
