/* RUN: a container of the stage's image runs the command with the stage's env (ARG values too),
 * workdir and user, its output on ours (with -q kept aside and shown only when it fails); on
 * success its upper dir becomes the step's layer. The container is removed either way. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fs.h"
#include "build-internal.h"
#include "engine/commit.h"

int build_container_create(builder *b, const char *image_id, char **cmd, char **env, const char *network,
                           char **ret_id, berth_error **err)
{
        char *no_entrypoint[] = {(char *)"", NULL};
        run_opts o = {.cmd = cmd,
                      .env = env,
                      .entrypoint = no_entrypoint,
                      .network = (char *)(network ? network : "none"),
                      .pull = (char *)"never"};

        return engine_create(b->e, image_id, &o, ret_id, err);
}

int build_network_check(builder *b, berth_error **err)
{
        const char *n = b->o->network;
        int r = 0;

        if (!n || streq(n, "default"))
                n = NET_DEFAULT;
        /* the default network needs no check: it is made at its first use, the first RUN's start
         * (made here, its bridge name would be taken long before the bridge is) */
        if (strneq(n, "container:", 10)) {
                _cleanup_ctr_record_ ctr_record *c = NULL;
                r = engine_lookup(b->e, n + 10, &c, err);
        } else if (!streq(n, "host") && !streq(n, "none") && !streq(n, NET_DEFAULT)) {
                _cleanup_net_network_ net_network *net = NULL;
                r = net_get(b->e->db, n, &net, err);
        }
        if (r < 0)
                return berth_error_wrap(err, "--network %s", n);
        b->network = xstrdup(n);
        return 0;
}

void build_container_remove(builder *b, const char *id)
{
        engine_remove(b->e, id, true, true, NULL);
}

int build_commit(builder *b, stage *st, const char *ctr, const char *created_by, char **ret_id,
                 berth_error **err)
{
        engine_commit_opts o = {.config = st->config, .created_by = created_by};

        return engine_commit(b->e, ctr, &o, ret_id, err);
}

/* ARG values the command sees, unless ENV sets the same name. */
static char **run_env(const stage *st)
{
        char **env = NULL;

        STRV_FOREACH (a, st->args) {
                _cleanup_free_ char *k = xstrndup(*a, strcspn(*a, "="));
                json_t *list = json_object_get(st->config, "Env"), *v;
                bool shadowed = false;
                size_t i;
                json_array_foreach (list, i, v) {
                        const char *s = json_string_value(v);
                        shadowed |= s && strneq(s, k, strlen(k)) && s[strlen(k)] == '=';
                }
                if (!shadowed)
                        strv_push(&env, *a);
        }
        return env;
}

typedef struct saved_fds {
        int fd[3];
        int capture; /* -q: the output, for when the command fails */
} saved_fds;

/* stdin from /dev/null (a RUN never reads the terminal); with -q stdout and stderr to a file. */
static int redirect(builder *b, saved_fds *s, berth_error **err)
{
        _cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        fflush(stdout);
        fflush(stderr);
        *s = (saved_fds){{-1, -1, -1}, -1};
        if (null < 0)
                return berth_error_set(err, errno, "open /dev/null");
        if (b->o->quiet) {
                s->capture = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
                if (s->capture < 0)
                        return berth_error_set(err, errno, "open a temporary file");
        }
        for (int i = 0; i < 3; i++) {
                if (i > 0 && s->capture < 0)
                        continue;
                s->fd[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
                dup2(i == 0 ? null : s->capture, i);
        }
        return 0;
}

static void restore(saved_fds *s, bool show_capture)
{
        for (int i = 0; i < 3; i++)
                if (s->fd[i] >= 0) {
                        dup2(s->fd[i], i);
                        close(s->fd[i]);
                }
        if (s->capture >= 0 && show_capture) {
                char buf[8192];
                ssize_t n;
                lseek(s->capture, 0, SEEK_SET);
                while ((n = read(s->capture, buf, sizeof(buf))) > 0)
                        fs_write_all(STDERR_FILENO, buf, (size_t)n);
        }
        if (s->capture >= 0)
                close(s->capture);
}

static int run_container(builder *b, const char *id, int *ret_status, berth_error **err)
{
        start_io io = {.wait_attach = true};
        const attach_opts ao = {.in_fd = -1,
                                .out_fd = STDOUT_FILENO,
                                .err_fd = STDERR_FILENO,
                                .tty_fd = -1,
                                .interrupted = &build_interrupted};
        saved_fds s;
        int r = redirect(b, &s, err), status = -1;

        /* the monitor starts the command once we are attached: none of its output is lost */
        if (r >= 0)
                r = engine_start(b->e, id, &io, err);
        if (r >= 0)
                r = engine_attach(b->e, id, &ao, &status, err);
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        restore(&s, r < 0 || (status != 0 && !build_interrupted));
        if (build_interrupted)
                return berth_error_set(err, 0, "interrupted by signal %d", (int)build_interrupted);
        if (r < 0)
                return r;
        if (status < 0)
                return berth_error_set(err, 0, "the monitor of the build container went away");
        *ret_status = status;
        return 0;
}

int build_run_step(builder *b, stage *st, const df_instruction *in, char **ret_id, berth_error **err)
{
        _cleanup_strv_free_ char **argv = NULL, **env = run_env(st);
        _cleanup_free_ char *ctr = NULL, *by = NULL, *shown = NULL;
        int status = 0, r;

        if (in->json && !in->json[0])
                return berth_error_set(err, 0, "RUN: an empty command");
        if (!in->json && !in->args[0])
                return berth_error_set(err, 0, "RUN requires at least one argument");
        if (in->json)
                argv = strv_copy(in->json);
        else {
                argv = strv_copy(st->shell);
                strv_push(&argv, in->args);
        }
        const char *network = NULL;
        r = build_run_network(b, in, &network, err);
        if (r >= 0)
                r = build_container_create(b, st->image_id, argv, env, network, &ctr, err);
        if (r < 0)
                return r;
        r = run_container(b, ctr, &status, err);
        shown = strv_join(argv, " ");
        if (r >= 0 && status != 0)
                r = berth_error_set(err, 0, "RUN %s: the command '%s' returned a non-zero code: %d",
                                    in->args, shown, status);
        by = xasprintf("RUN %s", shown);
        if (r >= 0)
                r = build_commit(b, st, ctr, by, ret_id, err);
        build_container_remove(b, ctr);
        return r;
}
