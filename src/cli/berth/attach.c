/* `berth attach` and `berth start -a [-i]`: the terminal (raw when the container has a tty)
 * joined to a container through its monitor's socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "basic/jsonh.h"
#include "berth.h"
#include "engine/engine.h"

/* Docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-@" ...; the bytes into keys. */
static int parse_detach_keys(const char *verb, const char *spec, char *keys, size_t *ret_n)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        size_t n = 0;
        char *save = NULL;

        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (n >= 16)
                        return usage_error(verb, "--detach-keys %s: too many keys", spec);
                if (strlen(t) == 1)
                        keys[n++] = t[0];
                else if (strncmp(t, "ctrl-", 5) == 0 && strlen(t) == 6 && t[5] >= 'a' && t[5] <= 'z')
                        keys[n++] = (char)(t[5] - 'a' + 1);
                else if (strncmp(t, "ctrl-", 5) == 0 && strlen(t) == 6 && strchr("@[\\]^_", t[5]))
                        keys[n++] = (char)(t[5] == '@' ? 0 : t[5] - '[' + 27);
                else
                        return usage_error(verb, "invalid --detach-keys: %s", spec);
        }
        if (n == 0)
                return usage_error(verb, "invalid --detach-keys: %s", spec);
        *ret_n = n;
        return 0;
}

/* Attach to what; with_stdin when the container keeps stdin open; the exit code to return. */
static int attach_container(berth_ctx *ctx, const char *verb, const char *what, bool with_stdin,
                            const char *keys_spec, bool start_error_codes, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        char keys[16];
        attach_opts o = {.in_fd = 0, .out_fd = 1, .err_fd = 2, .tty_fd = -1, .detach_keys = keys};
        struct termios saved;
        bool raw = false;
        int status = 0, r;

        r = parse_detach_keys(verb, keys_spec ? keys_spec : "ctrl-p,ctrl-q", keys, &o.n_detach_keys);
        if (r < 0)
                return r;
        r = engine_lookup(ctx->engine, what, &c, err);
        if (r < 0)
                return r;
        bool tty = json_is_true(json_object_get(c->opts, "tty"));
        o.stdin_ = with_stdin && json_is_true(json_object_get(c->opts, "interactive"));
        o.sig_proxy = !tty;
        if (!tty)
                o.n_detach_keys = 0; /* as Docker's: a pipe's bytes are data, never a detach */
        if (tty && isatty(STDIN_FILENO)) {
                o.tty_fd = STDIN_FILENO;
                if (o.stdin_ && tcgetattr(STDIN_FILENO, &saved) == 0) {
                        struct termios t = saved;
                        cfmakeraw(&t);
                        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
                }
        }
        r = engine_attach(ctx->engine, c->id, &o, &status, err);
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        if (r < 0 && start_error_codes) {
                r = start_failure(*err);
                berth_error_free(*err);
                *err = NULL;
                return r;
        }
        if (r < 0)
                return r;
        return status < 0 ? 0 : status; /* detached: the container goes on */
}

typedef struct attach_flags {
        const char *keys;
        bool no_stdin, attach, interactive;
} attach_flags;

static void on_attach_flag(int letter, const char *arg, void *ud)
{
        attach_flags *f = ud;

        switch (letter) {
        case 128 + 'k':
                f->keys = arg;
                break;
        case 128 + 'n':
                f->no_stdin = true;
                break;
        case 'a':
                f->attach = true;
                break;
        case 'i':
                f->interactive = true;
                break;
        }
}

int verb_attach(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {
                {"detach-keys", 128 + 'k', true, "Key sequence that detaches (default ctrl-p,ctrl-q)"},
                {"no-stdin", 128 + 'n', false, "Do not attach stdin"},
                {}};
        attach_flags f = {0};
        int first =
                parse_flags("attach", "attach [OPTIONS] CONTAINER",
                            "Attach local standard input, output, and error streams to a running container",
                            flags, argc, argv, 1, on_attach_flag, &f);

        if (first <= 0)
                return first;
        if (argc - first != 1)
                return usage_error("attach", "requires exactly 1 argument");
        if (berth_open_engine(ctx, err) < 0)
                return -EIO;
        return attach_container(ctx, "attach", argv[first], !f.no_stdin, f.keys, false, err);
}

int verb_start(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"attach", 'a', false, "Attach stdout/stderr and wait for the exit"},
                                     {"interactive", 'i', false, "Attach stdin"},
                                     {"detach-keys", 128 + 'k', true, "Key sequence that detaches"},
                                     {}};
        attach_flags f = {0};
        int first =
                parse_flags("start", "start [OPTIONS] CONTAINER...", "Start one or more stopped containers",
                            flags, argc, argv, 1, on_attach_flag, &f);

        if (first <= 0)
                return first;
        if (!f.attach && !f.interactive)
                return start_containers(ctx, argc, argv, first, err);
        if (argc - first != 1)
                return usage_error("start", "you cannot start and attach multiple containers at once");
        if (berth_open_engine(ctx, err) < 0)
                return -EIO;
        start_io io = {.wait_attach = true};
        if (engine_start(ctx->engine, argv[first], &io, err) < 0) {
                int r = start_failure(*err);
                berth_error_free(*err);
                *err = NULL;
                return r;
        }
        return attach_container(ctx, "start", argv[first], f.interactive, f.keys, true, err);
}

int run_attached(berth_ctx *ctx, const char *id, bool interactive, berth_error **err)
{
        start_io io = {.wait_attach = true};
        int r = engine_start(ctx->engine, id, &io, err);

        return r < 0 ? r : attach_container(ctx, "run", id, interactive, NULL, true, err);
}
