/* Unit tests of the basic layer: errors, string vectors, confined path resolution, JSON paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/error.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/proc.h"
#include "basic/strv.h"

static void test_error_set_wrap(void **state)
{
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ char *text = NULL;

        assert_int_equal(berth_error_set(&err, ENOENT, "open %s", "/x"), -ENOENT);
        assert_int_equal(berth_error_wrap(&err, "bundle %s", "b"), -ENOENT);
        text = berth_error_text(err);
        assert_string_equal(text, "bundle b: open /x: No such file or directory");
        assert_int_equal(berth_error_set(NULL, 0, "ignored"), -EINVAL);
}

static void test_strv(void **state)
{
        _cleanup_strv_free_ char **l = strv_split("a::b:c:", ":");
        _cleanup_free_ char *j = NULL;

        assert_int_equal(strv_length(l), 3);
        assert_true(strv_contains(l, "b"));
        assert_false(strv_contains(l, ""));
        j = strv_join(l, ",");
        assert_string_equal(j, "a,b,c");
}

static void test_path_normalize(void **state)
{
        static const char *cases[][2] = {
                {"/a//b/../c/./d", "/a/c/d"},
                {"a/../../b", "b"},
                {"/../..", "/"},
                {"", ""},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *n = fs_path_normalize(cases[i][0]);
                assert_string_equal(n, cases[i][1]);
        }
}

/* A symlink to the host's /etc inside a root must resolve inside the root. */
static void test_in_root_confinement(void **state)
{
        char tmpl[] = "/tmp/berth-test-basic-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_close_ int root = -EBADF, fd = -EBADF;
        _cleanup_free_ char *inside = NULL;
        struct stat st;

        assert_non_null(dir);
        root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(root >= 0);
        assert_int_equal(mkdirat(root, "etc", 0755), 0);
        assert_int_equal(symlinkat("/etc", root, "etc2"), 0);
        assert_int_equal(symlinkat("../../../../etc/passwd", root, "pw"), 0);
        assert_int_equal(fs_mkdir_p_in_root(root, "etc2/sub/deeper", 0755, &fd, NULL), 0);
        /* The directories were made under <root>/etc, never under the host's /etc. */
        inside = xasprintf("%s/etc/sub/deeper", dir);
        assert_int_equal(stat(inside, &st), 0);
        assert_int_not_equal(stat("/etc/sub/deeper", &st), 0);
        close(TAKE_FD(fd));
        /* "../../etc/passwd" from inside the root is <root>/etc/passwd, which does not exist. */
        assert_true(fs_open_in_root(root, "pw", O_RDONLY, 0, NULL) < 0);
        assert_int_equal(fs_touch_in_root(root, "etc2/file", 0644, NULL, NULL), 0);
        assert_int_not_equal(stat("/etc/file", &st), 0);
        assert_int_equal(fs_rm_rf(dir, NULL), 0);
        assert_int_not_equal(stat(dir, &st), 0);
}

static void test_atomic_write(void **state)
{
        char tmpl[] = "/tmp/berth-test-basic-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *p = xasprintf("%s/f", dir), *back = NULL;
        size_t len;

        assert_int_equal(fs_write_file_atomic(p, "hello", 5, 0600, NULL), 0);
        assert_int_equal(fs_read_file(p, &back, &len, NULL), 0);
        assert_int_equal(len, 5);
        assert_string_equal(back, "hello");
        assert_int_equal(fs_rm_rf(dir, NULL), 0);
}

static void test_json_paths(void **state)
{
        _cleanup_json_ json_t *j = NULL;
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_strv_free_ char **args = NULL;
        char *s = NULL;

        assert_true(jsonh_parse("{\"a\": [1,", 9, "config.json", &j, &err) < 0);
        assert_non_null(strstr(err->msg, "config.json: line 1"));
        assert_int_equal(jsonh_parse("{\"args\":[\"sh\",2],\"cwd\":1}", 25, "c", &j, NULL), 0);
        assert_true(jsonh_get_strv(j, "process", "args", true, &args, &err) < 0);
        assert_string_equal(err->msg, "process.args[1]: expected string, got integer");
        assert_true(jsonh_get_string(j, "process", "cwd", false, &s, &err) < 0);
        assert_string_equal(err->msg, "process.cwd: expected string, got integer");
        assert_true(jsonh_get_string(j, "process", "user", true, &s, &err) < 0);
        assert_string_equal(err->msg, "process.user: required");
        assert_null(s);
}

static void test_proc_start_time(void **state)
{
        unsigned long long a = 0, b = 0;

        assert_int_equal(proc_start_time(getpid(), &a, NULL), 0);
        assert_int_equal(proc_start_time(getpid(), &b, NULL), 0);
        assert_true(a > 0 && a == b);
        assert_true(proc_is_alive(getpid(), a));
        assert_false(proc_is_alive(getpid(), a + 1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_error_set_wrap),  cmocka_unit_test(test_strv),
                cmocka_unit_test(test_path_normalize),  cmocka_unit_test(test_in_root_confinement),
                cmocka_unit_test(test_atomic_write),    cmocka_unit_test(test_json_paths),
                cmocka_unit_test(test_proc_start_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
