/* OCI hooks: fork, state on stdin, exec; wait with a timeout through a pidfd. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "hooks.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/log.h"
#include "basic/proc.h"

static int hook_wait(pid_t pid, int timeout_s, int *ret_status)
{
        _cleanup_close_ int pidfd = proc_pidfd_open(pid, 0);
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r;

        if (pidfd >= 0 && timeout_s > 0) {
                do
                        r = poll(&p, 1, timeout_s * 1000);
                while (r < 0 && errno == EINTR);
                if (r == 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        return -ETIMEDOUT;
                }
        }
        while (waitpid(pid, ret_status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

static int hook_run_one(const oci_hook *h, const char *what, const char *state, berth_error **err)
{
        int pipefd[2], status = 0, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return berth_error_set(err, errno, "%s: pipe", what);
        pid = fork();
        if (pid < 0) {
                r = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return berth_error_set(err, r, "%s: fork", what);
        }
        if (pid == 0) {
                char *const fallback[] = {h->path, NULL};
                dup2(pipefd[0], STDIN_FILENO);
                execve(h->path, h->args ? h->args : fallback, h->env ? h->env : (char *[]){NULL});
                dprintf(STDERR_FILENO, "berth-runtime: %s: exec %s: %s\n", what, h->path, strerror(errno));
                _exit(127);
        }
        close(pipefd[0]);
        /* A hook that does not read its stdin must not fail the write with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        fs_write_all(pipefd[1], state, strlen(state));
        close(pipefd[1]);
        r = hook_wait(pid, h->timeout.set ? (int)h->timeout.value : 0, &status);
        if (r == -ETIMEDOUT)
                return berth_error_set(err, 0, "%s %s: timed out after %lld s", what, h->path,
                                       (long long)h->timeout.value);
        if (r < 0)
                return berth_error_set(err, -r, "%s %s: wait", what, h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFSIGNALED(status))
                return berth_error_set(err, 0, "%s %s: killed by signal %d", what, h->path,
                                       WTERMSIG(status));
        return berth_error_set(err, 0, "%s %s: exit status %d", what, h->path, WEXITSTATUS(status));
}

int hooks_run(const oci_spec *spec, enum oci_hook_kind kind, json_t *state, berth_error **err)
{
        const oci_hook_list *l = &spec->hooks[kind];
        _cleanup_free_ char *text = NULL;

        if (l->n == 0)
                return 0;
        text = jsonh_dump(state, false);
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *what = xasprintf("hook %s[%zu]", oci_hook_kind_name(kind), i);
                if (hook_run_one(&l->hooks[i], what, text, err) < 0)
                        return -1;
        }
        return 0;
}

void hooks_run_warn(const oci_spec *spec, enum oci_hook_kind kind, json_t *state)
{
        const oci_hook_list *l = &spec->hooks[kind];
        _cleanup_free_ char *text = NULL;

        if (l->n == 0)
                return;
        text = jsonh_dump(state, false);
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *what = xasprintf("hook %s[%zu]", oci_hook_kind_name(kind), i);
                _cleanup_error_ berth_error *e = NULL;
                if (hook_run_one(&l->hooks[i], what, text, &e) < 0) {
                        _cleanup_free_ char *t = berth_error_text(e);
                        log_warn("%s", t);
                }
        }
}
