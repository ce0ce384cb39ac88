/* berth-runtime's verbs: each parses its flags and calls one runtime library function. */
#pragma once

#include <stdbool.h>
#include "basic/error.h"

#define EXIT_RUNTIME_FAILURE 125

typedef struct global_opts {
        const char *root;
        bool debug;
} global_opts;

typedef struct verb {
        const char *name;
        int (*run)(int argc, char **argv, const global_opts *g);
        const char *usage; /* after "berth-runtime NAME " */
        const char *help;  /* one line, then the options */
} verb;

/* Print the error as one line (and to --log), return the exit code for runtime failures. */
int cli_fail(berth_error *err);
int cli_fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --help of a verb. */
int cli_usage(const verb *v, bool to_stderr);
const verb *cli_find_verb(const char *name);
/* Between min and max positional arguments left after getopt; else prints the usage error and
 * returns the exit code. */
int cli_expect_args(const char *name, int argc, char **argv, int min, int max);

int verb_create(int argc, char **argv, const global_opts *g);
int verb_start(int argc, char **argv, const global_opts *g);
int verb_run(int argc, char **argv, const global_opts *g);
int verb_state(int argc, char **argv, const global_opts *g);
int verb_kill(int argc, char **argv, const global_opts *g);
int verb_delete(int argc, char **argv, const global_opts *g);
int verb_list(int argc, char **argv, const global_opts *g);
int verb_spec(int argc, char **argv, const global_opts *g);
int verb_exec(int argc, char **argv, const global_opts *g);
int verb_pause(int argc, char **argv, const global_opts *g);
int verb_resume(int argc, char **argv, const global_opts *g);
int verb_ps(int argc, char **argv, const global_opts *g);
int verb_update(int argc, char **argv, const global_opts *g);
int verb_features(int argc, char **argv, const global_opts *g);
