/* Unit tests of the monitor socket's wire (src/engine/msock.c): frames, lines with credentials,
 * and paths longer than sun_path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/fs.h"
#include "engine/msock.h"

static void test_frames(void **state)
{
        int sv[2];
        char type = 0, *data = NULL;
        size_t len = 0;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(msock_send_frame(sv[0], 'o', "hello", 5), 0);
        assert_int_equal(msock_send_frame(sv[0], 'c', NULL, 0), 0);
        assert_int_equal(msock_send_frame(sv[0], 'x', "137", 3), 0);
        close(sv[0]);
        assert_int_equal(msock_read_frame(sv[1], &type, &data, &len), 1);
        assert_int_equal(type, 'o');
        assert_int_equal(len, 5);
        assert_string_equal(data, "hello");
        free(data);
        assert_int_equal(msock_read_frame(sv[1], &type, &data, &len), 1);
        assert_int_equal(type, 'c');
        assert_int_equal(len, 0);
        free(data);
        assert_int_equal(msock_read_frame(sv[1], &type, &data, &len), 1);
        assert_string_equal(data, "137");
        free(data);
        assert_int_equal(msock_read_frame(sv[1], &type, &data, &len), 0); /* EOF */
        close(sv[1]);
}

static void test_frame_too_long_and_truncated(void **state)
{
        int sv[2];
        char type = 0, *data = NULL;
        size_t len = 0;
        const unsigned char huge[5] = {'i', 0x7f, 0xff, 0xff, 0xff}, cut[7] = {'i', 0, 0, 0, 9, 'a', 'b'};

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(write(sv[0], huge, sizeof(huge)), (ssize_t)sizeof(huge));
        assert_int_equal(msock_read_frame(sv[1], &type, &data, &len), -EPROTO);
        close(sv[0]);
        close(sv[1]);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(write(sv[0], cut, sizeof(cut)), (ssize_t)sizeof(cut));
        close(sv[0]);
        assert_true(msock_read_frame(sv[1], &type, &data, &len) < 0);
        close(sv[1]);
}

static void test_line_with_credentials(void **state)
{
        int sv[2], one = 1;
        char line[64], rest[4] = "";
        uid_t uid = 12345;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
        assert_int_equal(msock_send_line_creds(sv[0], "resize 24 80"), 0);
        assert_int_equal(write(sv[0], "XYZ", 3), 3);
        assert_int_equal(msock_read_line(sv[1], line, sizeof(line), &uid), 12);
        assert_string_equal(line, "resize 24 80");
        assert_int_equal(uid, getuid());
        /* nothing after the newline was consumed */
        assert_int_equal(read(sv[1], rest, 3), 3);
        assert_string_equal(rest, "XYZ");
        /* a line longer than the buffer is refused */
        assert_int_equal(write(sv[0], "0123456789\n", 11), 11);
        assert_int_equal(msock_read_line(sv[1], line, 5, NULL), -E2BIG);
        close(sv[0]);
        close(sv[1]);
}

static void test_long_path(void **state)
{
        char tmpl[] = "/tmp/berth-unit-msock.XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *runroot = NULL, *path = NULL;
        _cleanup_error_ berth_error *err = NULL;
        int l = -1, c = -1, a;
        char line[64];

        assert_non_null(dir);
        runroot = xasprintf("%s/%0120d", dir, 0);
        path = msock_path(runroot, "0123456789abcdef");
        assert_true(strlen(path) > 108);
        assert_int_equal(msock_listen(path, &l, &err), 0);
        assert_int_equal(msock_connect(path, &c, &err), 0);
        a = accept(l, NULL, NULL);
        assert_true(a >= 0);
        assert_int_equal(write(a, MSOCK_GREETING "\n", strlen(MSOCK_GREETING) + 1),
                         (ssize_t)strlen(MSOCK_GREETING) + 1);
        assert_int_equal(msock_read_line(c, line, sizeof(line), NULL), (int)strlen(MSOCK_GREETING));
        assert_string_equal(line, MSOCK_GREETING);
        close(a);
        close(c);
        close(l);
        assert_int_equal(fs_rm_rf(dir, NULL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_frames),
                cmocka_unit_test(test_frame_too_long_and_truncated),
                cmocka_unit_test(test_line_with_credentials),
                cmocka_unit_test(test_long_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
