/* Logging: one line per message; JSON lines {"level","msg","time"} as runc writes for shims. */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "log.h"

static int log_out = -1;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
static enum log_level log_max = LOG_LEVEL_WARN;
static const char *log_program = "berth";

void log_set_program(const char *name)
{
        log_program = name;
}

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int log_open(const char *path, enum log_format format, enum log_level max_level)
{
        log_fmt = format;
        log_max = max_level;
        if (path) {
                int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -errno;
                if (log_out >= 0)
                        close(log_out);
                log_out = fd;
        }
        return 0;
}

void log_set_level(enum log_level level)
{
        log_max = level;
}

enum log_level log_get_level(void)
{
        return log_max;
}

int log_fd(void)
{
        return log_out;
}

void log_close(void)
{
        if (log_out >= 0)
                close(log_out);
        log_out = -1;
}

static void log_write_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                s += w;
                n -= (size_t)w;
        }
}

void log_msg(enum log_level level, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL, *line = NULL;
        int saved = errno;
        va_list ap;

        if (level > log_max)
                return;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);

        if (log_fmt == LOG_FORMAT_JSON) {
                char stamp[64];
                struct timespec ts;
                struct tm tm;

                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
                _cleanup_free_ char *frac = xasprintf("%s.%09ldZ", stamp, ts.tv_nsec);
                json_t *o =
                        json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg", msg, "time", frac);
                char *dump = json_dumps(o, JSON_COMPACT);
                json_decref(o);
                line = xasprintf("%s\n", dump);
                free(dump);
        } else if (log_out >= 0) {
                line = xasprintf("%s: %s\n", level_names[level], msg);
        } else {
                line = xasprintf("%s: %s\n", log_program, msg);
        }
        log_write_all(log_out >= 0 ? log_out : STDERR_FILENO, line, strlen(line));
        errno = saved;
}
