/* References are normalised as Docker's and bad ones refused with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "image/digest.h"
#include "image/reference.h"

static void expect_ref(const char *in, const char *want)
{
        _cleanup_image_ref_ image_ref *r = NULL;
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ char *s = NULL;

        assert_int_equal(image_ref_parse(in, &r, &err), 0);
        s = image_ref_string(r);
        assert_string_equal(s, want);
}

static void expect_bad(const char *in, const char *why)
{
        _cleanup_image_ref_ image_ref *r = NULL;
        _cleanup_error_ berth_error *err = NULL;

        assert_true(image_ref_parse(in, &r, &err) < 0);
        assert_null(r);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, why));
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_normalise(void **state)
{
        expect_ref("busybox", "docker.io/library/busybox:latest");
        expect_ref("busybox:1.36", "docker.io/library/busybox:1.36");
        expect_ref("user/app", "docker.io/user/app:latest");
        expect_ref("index.docker.io/library/alpine:3", "docker.io/library/alpine:3");
        expect_ref("localhost/x", "localhost/x:latest");
        expect_ref("localhost:5000/ns/name:tag", "localhost:5000/ns/name:tag");
        expect_ref("registry.example.com/a/b/c", "registry.example.com/a/b/c:latest");
        expect_ref("[::1]:5000/img:v1", "[::1]:5000/img:v1");
        expect_ref("busybox@" D, "docker.io/library/busybox@" D);
        expect_ref("busybox:1@" D, "docker.io/library/busybox:1@" D);
        expect_ref("a__b/c-d.e:T_1.x-y", "docker.io/a__b/c-d.e:T_1.x-y");
        expect_ref("Example.COM/x", "Example.COM/x:latest");
}

static void test_refuse(void **state)
{
        expect_bad("", "empty");
        expect_bad("Busybox", "must be lowercase");
        expect_bad("user/App", "must be lowercase");
        expect_bad("busybox:", "invalid tag");
        expect_bad("busybox:-x", "invalid tag");
        expect_bad("a/../b", "invalid reference format");
        expect_bad("busybox@sha256:abc", "invalid digest");
        expect_bad("busybox@md5:0123", "unsupported digest algorithm");
        expect_bad("a//b", "invalid reference format");
        expect_bad("-a", "invalid reference format");
        expect_bad("a-", "invalid reference format");
        expect_bad("host:port/x", "bad registry");
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        expect_bad(longname, "longer than");
}

static void test_familiar_and_split(void **state)
{
        _cleanup_free_ char *a = image_ref_familiar_name("docker.io/library/busybox");
        _cleanup_free_ char *b = image_ref_familiar_name("docker.io/user/app");
        _cleanup_free_ char *c = image_ref_familiar_name("localhost:5000/x");
        _cleanup_free_ char *repo = NULL, *tag = NULL;

        assert_string_equal(a, "busybox");
        assert_string_equal(b, "user/app");
        assert_string_equal(c, "localhost:5000/x");
        image_ref_split_tag("localhost:5000/x:v2", &repo, &tag);
        assert_string_equal(repo, "localhost:5000/x");
        assert_string_equal(tag, "v2");
}

static void test_digest(void **state)
{
        _cleanup_free_ char *d = digest_buffer("abc", 3);

        /* sha256("abc") from FIPS 180-2. */
        assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_true(digest_is_valid(d));
        assert_false(
                digest_is_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
        assert_false(digest_is_valid("sha256:ba78"));
        assert_false(
                digest_is_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalise),
                cmocka_unit_test(test_refuse),
                cmocka_unit_test(test_familiar_and_split),
                cmocka_unit_test(test_digest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
