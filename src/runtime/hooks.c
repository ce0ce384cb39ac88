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

/* The hook's process: stdin from the state pipe, then exec; an exec failure goes back as
 * its errno over errfd (close-on-exec, so a successful exec closes it unwritten). */
_noreturn_ static void hook_child(const oci_hook *h, int state_fd, int errfd)
{
        char *const fallback[] = {h->path, NULL};
        int e;

        dup2(state_fd, STDIN_FILENO);
        execve(h->path, h->args ? h->args : fallback, h->env ? h->env : (char *[]){NULL});
        e = errno;
        (void)!write(errfd, &e, sizeof(e));
        _exit(127);
}

static int hook_exec_errno(int errfd)
{
        int e = 0;
        ssize_t n;

        do
                n = read(errfd, &e, sizeof(e));
        while (n < 0 && errno == EINTR);
        return n == sizeof(e) ? e : 0;
}

static int hook_run_one(const oci_hook *h, const char *what, const char *state, berth_error **err)
{
        int pipefd[2], errpipe[2], status = 0, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return berth_error_set(err, errno, "%s: pipe", what);
        if (pipe2(errpipe, O_CLOEXEC) < 0) {
                r = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return berth_error_set(err, r, "%s: pipe", what);
        }
        pid = fork();
        if (pid == 0)
                hook_child(h, pipefd[0], errpipe[1]);
        r = errno;
        close(pipefd[0]);
        close(errpipe[1]);
        if (pid < 0) {
                close(pipefd[1]);
                close(errpipe[0]);
                return berth_error_set(err, r, "%s: fork", what);
        }
        /* A hook that does not read its stdin must not fail the write with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        fs_write_all(pipefd[1], state, strlen(state));
        close(pipefd[1]);
        r = hook_exec_errno(errpipe[0]);
        close(errpipe[0]);
        if (r) {
                waitpid(pid, NULL, 0);
                return berth_error_set(err, r, "%s: exec %s", what, h->path);
        }
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
