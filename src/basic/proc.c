/* Process helpers. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "proc.h"
#include "fs.h"

/* Fields after "(comm)": comm may contain spaces and parentheses, so start after the last ')'. */
static int stat_fields(pid_t pid, char **ret_buf, char **ret_after, berth_error **err)
{
        char path[64];
        char *buf = NULL, *p;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        r = fs_read_file(path, &buf, NULL, err);
        if (r < 0)
                return r;
        p = strrchr(buf, ')');
        if (!p || p[1] != ' ') {
                free(buf);
                return berth_error_set(err, EINVAL, "parse %s", path);
        }
        *ret_buf = buf;
        *ret_after = p + 2;
        return 0;
}

int proc_start_time(pid_t pid, unsigned long long *ret, berth_error **err)
{
        _cleanup_free_ char *buf = NULL;
        char *p;
        int r = stat_fields(pid, &buf, &p, err);

        if (r < 0)
                return r;
        /* p is field 3 (state); start time is field 22. */
        for (int i = 3; i < 22; i++) {
                p = strchr(p, ' ');
                if (!p)
                        return berth_error_set(err, EINVAL, "parse /proc/%d/stat", (int)pid);
                p++;
        }
        *ret = strtoull(p, NULL, 10);
        return 0;
}

char proc_state(pid_t pid)
{
        _cleanup_free_ char *buf = NULL;
        char *p;

        if (stat_fields(pid, &buf, &p, NULL) < 0)
                return 0;
        return *p;
}

bool proc_is_alive(pid_t pid, unsigned long long start_time)
{
        unsigned long long st;
        char s;

        if (pid <= 0)
                return false;
        s = proc_state(pid);
        if (s == 0 || s == 'Z' || s == 'X')
                return false;
        if (start_time == 0)
                return true;
        return proc_start_time(pid, &st, NULL) == 0 && st == start_time;
}

int proc_pidfd_open(pid_t pid, unsigned flags)
{
        int fd = (int)syscall(SYS_pidfd_open, pid, flags);
        return fd < 0 ? -errno : fd;
}

int proc_pidfd_send_signal(int pidfd, int sig)
{
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}
