/* Shared by the verbs of the berth CLI: global options, the opened stores, output helpers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "basic/error.h"
#include "image/store.h"
#include "storage/layers.h"
#include "storage/storage.h"

struct engine;

#define EXIT_BERTH 125

typedef struct berth_ctx {
        const char *root;    /* --root, default /var/lib/berth */
        const char *runroot; /* --runroot, default /run/berth */
        const char *storage_driver;
        layer_store *layers;
        image_store *images;
        const storage_driver *driver;
        struct engine *engine;
} berth_ctx;

typedef struct berth_verb {
        const char *name;
        const char *summary;
        int (*run)(berth_ctx *ctx, int argc, char **argv, berth_error **err);
} berth_verb;

/* Open the layer and image stores once (verbs that need them call this first). */
int berth_open_stores(berth_ctx *ctx, berth_error **err);
void berth_close(berth_ctx *ctx);
/* The stores and the engine over them (container verbs). */
int berth_open_engine(berth_ctx *ctx, berth_error **err);

/* Print "berth: <text>" for err and return EXIT_BERTH. */
int berth_report(const berth_error *err);

/* Docker's sizes ("4.26MB", base 1000) and ages ("3 hours ago"); caller frees. */
char *format_size(uint64_t bytes);
char *format_since(int64_t t);
/* Go-template-like output: "{{.Field}}" replaced by obj's members, "{{json .}}" by all of it,
 * "\t" and "\n" escapes; "json" alone prints the object as one JSON line. Caller frees. */
char *format_template(const char *tmpl, json_t *obj);
/* Print a table: rows of cells (row 0 the header), columns padded as docker's tabwriter. */
void print_table(char ***rows, size_t n_rows, size_t n_cols);
void table_free(char ***rows, size_t n_rows, size_t n_cols);

/* A flag's parsing error, named: "<verb>: unknown flag: --x". */
int usage_error(const char *verb, const char *fmt, ...) _printf_(2, 3);
/* Set when a verb printed its --help: the caller exits 0. */
extern bool berth_help_shown;
void print_verb_help(const char *usage, const char *summary, const char *options);

/* Image verbs. */
int verb_images(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_image(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_image_inspect(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_history(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_tag(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_rmi(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_image_prune(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_load(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_save(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_import(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_image_mount(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_image_umount(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_system(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_version(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_info(berth_ctx *ctx, int argc, char **argv, berth_error **err);

/* Flags of a simple verb (letter >= 128: long only); parse_flags returns optind, 0 after --help,
 * <0 after a usage error; on() gets each flag. */
typedef struct flag {
        const char *name;
        int letter;
        bool arg;
        const char *help;
} flag;
int parse_flags(const char *verb, const char *usage, const char *summary, const flag *flags, int argc,
                char **argv, int min_args, void (*on)(int letter, const char *arg, void *ud), void *ud);
void no_flags(int letter, const char *arg, void *ud);

/* "64m", "1g", "512k", "100" (bytes) for flagname; a usage error otherwise. */
int parse_size(const char *verb, const char *flagname, const char *s, int64_t *ret);

/* Image-making verbs (build.c). */
int verb_builder(berth_ctx *ctx, int argc, char **argv, berth_error **err); /* builder.c */
int verb_diff(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_export(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_commit(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_build(berth_ctx *ctx, int argc, char **argv, berth_error **err);
/* --mount SPEC appended to o's volumes or tmpfs (mountopt.c); a usage error otherwise. */
struct run_opts;
int run_mount_option(struct run_opts *o, const char *spec);

/* Container verbs. */
int verb_run(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_create(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_start(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_attach(berth_ctx *ctx, int argc, char **argv, berth_error **err);
/* A foreground run: start id waiting for us, attach through the monitor's socket; the exit code
 * (attach.c). */
int run_attached(berth_ctx *ctx, const char *id, bool interactive, berth_error **err);
/* start without attaching: every container from argv[first] on (containers.c). */
int start_containers(berth_ctx *ctx, int argc, char **argv, int first, berth_error **err);
/* A start's error printed; Docker's code: 127 not found, 126 not executable, else 125 (run.c). */
int start_failure(const berth_error *err);
int verb_stop(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_restart(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_kill(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_rm(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_ps(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_logs(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_inspect(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_wait(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_exec(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_pause(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_unpause(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_stats(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_top(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_rename(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_update(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_cp(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_container(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_volume(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_network(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_port(berth_ctx *ctx, int argc, char **argv, berth_error **err);
/* Registry verbs (pull.c, login.c). */
struct registry_options;
int registry_flag(struct registry_options *o, int c, const char *arg);
int verb_pull(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_push(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_login(berth_ctx *ctx, int argc, char **argv, berth_error **err);
int verb_logout(berth_ctx *ctx, int argc, char **argv, berth_error **err);
