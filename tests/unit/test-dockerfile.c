/* The Dockerfile parser: continuations, comments, directives, forms, flags, words, substitution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "build/dockerfile.h"
#include "build/ignore.h"

static dockerfile *parse_ok(const char *text)
{
        berth_error *err = NULL;
        dockerfile *d = NULL;

        assert_int_equal(dockerfile_parse(text, strlen(text), &d, &err), 0);
        assert_null(err);
        return d;
}

static char *parse_fail(const char *text)
{
        berth_error *err = NULL;
        dockerfile *d = NULL;
        char *msg;

        assert_true(dockerfile_parse(text, strlen(text), &d, &err) < 0);
        assert_null(d);
        assert_non_null(err);
        msg = berth_error_text(err);
        berth_error_free(err);
        return msg;
}

static void test_basic(void **state)
{
        _cleanup_dockerfile_ dockerfile *d = parse_ok("# a comment\n"
                                                      "FROM busybox AS base\n"
                                                      "\n"
                                                      "run echo a \\\n"
                                                      "  # inside\n"
                                                      "    b\n"
                                                      "CMD [\"sh\", \"-c\", \"echo hi\"]\n"
                                                      "COPY --from=base --chown=1:2 a b /c/\n");

        assert_int_equal(d->n, 4);
        assert_string_equal(d->ins[0].keyword, "FROM");
        assert_string_equal(d->ins[0].args, "busybox AS base");
        assert_int_equal(d->ins[0].line, 2);
        assert_string_equal(d->ins[1].keyword, "RUN");
        assert_string_equal(d->ins[1].args, "echo a b");
        assert_null(d->ins[1].json);
        assert_int_equal(d->ins[1].line, 4);
        assert_int_equal(d->ins[2].line, 7);
        assert_non_null(d->ins[2].json);
        assert_int_equal(strv_length(d->ins[2].json), 3);
        assert_string_equal(d->ins[2].json[2], "echo hi");
        assert_string_equal(df_flag(&d->ins[3], "from"), "base");
        assert_string_equal(df_flag(&d->ins[3], "chown"), "1:2");
        assert_null(df_flag(&d->ins[3], "chmod"));
        assert_string_equal(d->ins[3].args, "a b /c/");
}

static void test_escape_directive(void **state)
{
        _cleanup_dockerfile_ dockerfile *d = parse_ok("# escape=`\n"
                                                      "FROM x\n"
                                                      "RUN dir c:\\ `\n"
                                                      "  && echo done\n");

        assert_int_equal(d->escape, '`');
        assert_int_equal(d->n, 2);
        assert_string_equal(d->ins[1].args, "dir c:\\ && echo done");
}

static void test_directive_only_at_top(void **state)
{
        _cleanup_dockerfile_ dockerfile *d = parse_ok("FROM x\n# escape=`\nRUN a \\\n b\n");

        assert_int_equal(d->escape, '\\');
        assert_string_equal(d->ins[1].args, "a b");
}

static void test_bom(void **state)
{
        _cleanup_dockerfile_ dockerfile *d = parse_ok("\xef\xbb\xbf# escape=`\nFROM x\n");

        assert_int_equal(d->escape, '`');
        assert_string_equal(d->ins[0].keyword, "FROM");
}

static void test_invalid_json_is_shell_form(void **state)
{
        _cleanup_dockerfile_ dockerfile *d = parse_ok("FROM x\nCMD [not json]\n");

        assert_null(d->ins[1].json);
        assert_string_equal(d->ins[1].args, "[not json]");
}

static void test_errors(void **state)
{
        _cleanup_free_ char *a = parse_fail("FROM x\n\nFROBNICATE y\n");
        _cleanup_free_ char *b = parse_fail("FROM x\nWORKDIR\n");
        _cleanup_free_ char *c = parse_fail("# just a comment\n\n");
        _cleanup_free_ char *d = parse_fail("# escape=x\nFROM x\n");

        assert_string_equal(a, "Dockerfile:3: unknown instruction: FROBNICATE");
        assert_string_equal(b, "Dockerfile:2: WORKDIR requires at least one argument");
        assert_non_null(strstr(c, "no instructions"));
        assert_non_null(strstr(d, "Dockerfile:1: invalid escape token"));
}

static void test_words(void **state)
{
        char *env[] = {"A=1", "B=two words", "EMPTY=", NULL};
        char **w = NULL;
        char *s = NULL;
        berth_error *err = NULL;

        assert_int_equal(df_words("K=\"$B\" L='$A' M=x\\ y $A", '\\', env, true, &w, &err), 0);
        assert_int_equal(strv_length(w), 4);
        assert_string_equal(w[0], "K=two words");
        assert_string_equal(w[1], "L=$A");
        assert_string_equal(w[2], "M=x y");
        assert_string_equal(w[3], "1");
        strv_free(w);

        assert_int_equal(df_expand("${A}x${NOPE:-d}${EMPTY:-e}${A:+set}${NOPE:+no}$", '\\', env, &s, &err),
                         0);
        assert_string_equal(s, "1xdeset$");
        free(s);

        assert_int_equal(df_expand("/\\$A/$A", '\\', env, &s, &err), 0);
        assert_string_equal(s, "/$A/1");
        free(s);

        assert_true(df_expand("${A", '\\', env, &s, &err) < 0);
        berth_error_free(err);
        err = NULL;
        assert_true(df_words("'open", '\\', env, true, &w, &err) < 0);
        berth_error_free(err);
}

static void test_env_set(void **state)
{
        _cleanup_strv_free_ char **env = NULL;

        df_env_set(&env, "A", "1");
        df_env_set(&env, "AB", "2");
        df_env_set(&env, "A", "3");
        assert_int_equal(strv_length(env), 2);
        assert_string_equal(df_env_get(env, "A"), "3");
        assert_string_equal(df_env_get(env, "AB"), "2");
        assert_null(df_env_get(env, "B"));
}

static void test_ignore(void **state)
{
        char *p[] = {"*.key", "**/*.tmp", "build", "docs/*.md", "!docs/keep.md", "!important.key", NULL};

        assert_true(build_ignored(p, "a.key"));
        assert_false(build_ignored(p, "important.key"));
        assert_false(build_ignored(p, "sub/a.key")); /* "*" does not cross "/" */
        assert_true(build_ignored(p, "x.tmp"));
        assert_true(build_ignored(p, "a/b/c.tmp"));
        assert_true(build_ignored(p, "build"));
        assert_true(build_ignored(p, "build/deep/file")); /* a parent matched */
        assert_false(build_ignored(p, "builder"));
        assert_true(build_ignored(p, "docs/a.md"));
        assert_false(build_ignored(p, "docs/keep.md"));
        assert_false(build_ignored(p, "docs"));
        assert_false(build_ignored(NULL, "anything"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic),
                cmocka_unit_test(test_escape_directive),
                cmocka_unit_test(test_directive_only_at_top),
                cmocka_unit_test(test_bom),
                cmocka_unit_test(test_invalid_json_is_shell_form),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_words),
                cmocka_unit_test(test_env_set),
                cmocka_unit_test(test_ignore),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
