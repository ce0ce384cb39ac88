/* The registry client's parsers and credentials: WWW-Authenticate challenges, Docker's
 * config.json auths (written 0600, read back, erased). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "image/registry-internal.h"

static void test_challenge_bearer(void **state)
{
        registry_challenge c = {};

        (void)state;
        assert_int_equal(
                registry_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
                                         "service=\"registry.docker.io\",scope=\"repository:library/"
                                         "busybox:pull\"",
                                         &c, NULL),
                0);
        assert_string_equal(c.scheme, "bearer");
        assert_string_equal(c.realm, "https://auth.docker.io/token");
        assert_string_equal(c.service, "registry.docker.io");
        assert_string_equal(c.scope, "repository:library/busybox:pull");
        registry_challenge_done(&c);
}

static void test_challenge_basic_and_escapes(void **state)
{
        registry_challenge c = {};

        (void)state;
        assert_int_equal(registry_challenge_parse("Basic realm=\"a \\\"q\\\" b\"", &c, NULL), 0);
        assert_string_equal(c.scheme, "basic");
        assert_string_equal(c.realm, "a \"q\" b");
        registry_challenge_done(&c);
        assert_int_equal(registry_challenge_parse("bearer realm=http://x/t,scope=a:b:pull,push", &c, NULL),
                         0);
        assert_string_equal(c.realm, "http://x/t");
        registry_challenge_done(&c);
}

static void test_challenge_bad(void **state)
{
        _cleanup_error_ berth_error *err = NULL;
        registry_challenge c = {};

        (void)state;
        assert_true(registry_challenge_parse("Bearer service=\"x\"", &c, &err) < 0);
        _cleanup_free_ char *text = berth_error_text(err);
        assert_non_null(strstr(text, "without a realm"));
        assert_true(registry_challenge_parse("   ", &c, NULL) < 0);
        assert_null(c.scheme);
}

static void test_hosts(void **state)
{
        (void)state;
        assert_string_equal(registry_host_for_domain("docker.io"), "registry-1.docker.io");
        assert_string_equal(registry_host_for_domain("localhost:5000"), "localhost:5000");
        assert_string_equal(registry_auth_key("registry-1.docker.io"), "https://index.docker.io/v1/");
        assert_string_equal(registry_auth_key("127.0.0.1:5000"), "127.0.0.1:5000");
}

static void test_credentials(void **state)
{
        char dir[] = "/tmp/berth-test-registry-XXXXXX";
        _cleanup_free_ char *path = NULL, *user = NULL, *pw = NULL, *text = NULL;
        registry_options o = {};
        struct stat st;
        size_t len;

        (void)state;
        assert_non_null(mkdtemp(dir));
        path = xasprintf("%s/sub/config.json", dir);
        o.authfile = path;
        setenv("HOME", dir, 1);
        assert_int_equal(registry_credentials_store(&o, "127.0.0.1:5000", "alice", "s3:cret", NULL), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(fs_read_file(path, &text, &len, NULL), 0);
        assert_non_null(strstr(text, "\"auths\""));
        assert_non_null(strstr(text, "YWxpY2U6czM6Y3JldA==")); /* base64("alice:s3:cret") */
        assert_int_equal(registry_credentials(&o, "127.0.0.1:5000", &user, &pw, NULL), 0);
        assert_string_equal(user, "alice");
        assert_string_equal(pw, "s3:cret");
        assert_int_equal(registry_credentials_erase(&o, "127.0.0.1:5000", NULL), 0);
        free(TAKE_PTR(user));
        free(TAKE_PTR(pw));
        assert_int_equal(registry_credentials(&o, "127.0.0.1:5000", &user, &pw, NULL), 0);
        assert_null(user);
        assert_true(registry_credentials_erase(&o, "127.0.0.1:5000", NULL) < 0);
        assert_int_equal(fs_rm_rf(dir, NULL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_challenge_bearer), cmocka_unit_test(test_challenge_basic_and_escapes),
                cmocka_unit_test(test_challenge_bad),    cmocka_unit_test(test_hosts),
                cmocka_unit_test(test_credentials),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
