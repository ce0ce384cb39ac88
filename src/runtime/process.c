/* Process attributes applied in the container's init (or an exec'd process) before execve. */
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "process.h"
#include "basic/fs.h"
#include "basic/strv.h"

int process_validate(const oci_process *p, berth_error **err)
{
        if (!p->args || !p->args[0] || !*p->args[0])
                return berth_error_set(err, 0, "process.args: must name the command to run");
        if (p->cwd && p->cwd[0] != '/')
                return berth_error_set(err, 0, "process.cwd: %s is not an absolute path", p->cwd);
        return 0;
}

int process_apply_rlimits(const oci_process *p, berth_error **err)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
                if (setrlimit(p->rlimits[i].resource, &rl) < 0)
                        return berth_error_set(err, errno, "setrlimit %s (soft %llu, hard %llu)",
                                               p->rlimits[i].type, (unsigned long long)rl.rlim_cur,
                                               (unsigned long long)rl.rlim_max);
        }
        return 0;
}

int process_apply_oom_score_adj(const oci_process *p, berth_error **err)
{
        char buf[32];
        int n;

        if (!p->oom_score_adj.set)
                return 0;
        n = snprintf(buf, sizeof(buf), "%lld", (long long)p->oom_score_adj.value);
        if (fs_write_file("/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
                return berth_error_wrap(err, "process.oomScoreAdj %s", buf);
        return 0;
}

int process_apply_user(const oci_process *p, berth_error **err)
{
        const oci_user *u = &p->user;

        if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
            !(errno == EPERM && u->n_additional_gids == 0))
                return berth_error_set(err, errno, "setgroups");
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return berth_error_set(err, errno, "setgid %u", u->gid);
        /* Capabilities are set again right after: keep the permitted set across the uid change. */
        if (u->uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return berth_error_set(err, errno, "prctl PR_SET_KEEPCAPS");
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return berth_error_set(err, errno, "setuid %u", u->uid);
        if (u->umask.set)
                umask((mode_t)u->umask.value);
        return 0;
}

static const char *env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; env && env[i]; i++)
                if (strneq(env[i], name, n) && env[i][n] == '=')
                        return env[i] + n + 1;
        return NULL;
}

/* 0 when path is a regular executable file; otherwise the errno that explains why not. */
static int check_executable(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return errno;
        if (S_ISDIR(st.st_mode))
                return EACCES;
        if (access(path, X_OK) < 0)
                return errno;
        return 0;
}

int process_find_executable(const oci_process *p, char **ret, int *ret_exit, berth_error **err)
{
        const char *cmd = p->args[0], *path;
        _cleanup_strv_free_ char **dirs = NULL;
        int e;

        if (strchr(cmd, '/')) {
                e = check_executable(cmd);
                if (e == 0) {
                        *ret = xstrdup(cmd);
                        return 0;
                }
                *ret_exit = e == EACCES ? 126 : 127;
                if (e == ENOENT)
                        return berth_error_set(err, 0, "exec: \"%s\": stat %s: no such file or directory",
                                               cmd, cmd);
                return berth_error_set(err, 0, "exec: \"%s\": %s", cmd,
                                       e == EACCES ? "permission denied" : strerror(e));
        }
        path = env_get(p->env, "PATH");
        dirs = strv_split(path ? path : PROCESS_DEFAULT_PATH, ":");
        STRV_FOREACH (d, dirs) {
                _cleanup_free_ char *full = xasprintf("%s/%s", *d, cmd);
                e = check_executable(full);
                if (e == 0) {
                        *ret = TAKE_PTR(full);
                        return 0;
                }
        }
        *ret_exit = 127;
        return berth_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", cmd);
}
