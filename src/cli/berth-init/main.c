/* berth-init: the tiny PID 1 of `run --init`, bind-mounted read-only at /dev/init.
 *   /dev/init [--] COMMAND [ARG...]
 * It runs COMMAND in its own process group (the terminal's foreground group when there is one),
 * passes every signal it can catch on to it, reaps every zombie the container makes and exits
 * with COMMAND's status (128+N for a signal N). Statically linked: it needs nothing from the
 * image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(char **argv, const sigset_t *old)
{
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        setpgid(0, 0);
        if (isatty(STDIN_FILENO))
                tcsetpgrp(STDIN_FILENO, getpid()); /* SIGTTOU is still blocked here */
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        sigprocmask(SIG_SETMASK, old, NULL);
        execvp(argv[0], argv);
        fprintf(stderr, "berth-init: exec %s: %s\n", argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
}

/* Reap every child; true when child (its status in *status) was among them. */
static int reap(pid_t child, int *status)
{
        int st, found = 0;
        pid_t w;

        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                if (w == child) {
                        *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        found = 1;
                }
        return found;
}

int main(int argc, char **argv)
{
        sigset_t all, old;
        int status = 0;
        pid_t child;

        argv++;
        if (argv[0] && strcmp(argv[0], "--") == 0)
                argv++;
        if (!argv[0]) {
                fprintf(stderr, "usage: berth-init [--] COMMAND [ARG...]\n");
                return 2;
        }
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        if (getpid() != 1)
                prctl(PR_SET_CHILD_SUBREAPER, 1);
        child = spawn(argv, &old);
        if (child < 0) {
                fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
                return 125;
        }
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue;
                if (sig == SIGCHLD) {
                        if (reap(child, &status)) {
                                reap(-1, &status); /* what is left of the others, now */
                                return status;
                        }
                        continue;
                }
                /* the terminal's stop signals would stop us, not our child */
                if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
                        continue;
                kill(child, sig);
        }
}
