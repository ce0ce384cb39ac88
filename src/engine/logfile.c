/* The json-file log writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "engine-internal.h"
#include "logfile.h"

char *log_path(const char *dir, const char *id)
{
        return xasprintf("%s/%s-json.log", dir, id);
}

int log_writer_open(log_writer *w, const char *dir, const char *id, int64_t max_size, int max_file,
                    berth_error **err)
{
        struct stat st;

        w->path = log_path(dir, id);
        w->max_size = max_size > 0 ? max_size : LOG_DEFAULT_MAX_SIZE;
        w->max_file = max_file > 0 ? max_file : LOG_DEFAULT_MAX_FILE;
        w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (w->fd < 0)
                return berth_error_set(err, errno, "open %s", w->path);
        w->size = fstat(w->fd, &st) == 0 ? st.st_size : 0;
        return 0;
}

void log_writer_close(log_writer *w)
{
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        free(w->path);
        w->path = NULL;
}

static void rotate(log_writer *w)
{
        for (int i = w->max_file - 1; i >= 1; i--) {
                _cleanup_free_ char *to = xasprintf("%s.%d", w->path, i);
                _cleanup_free_ char *from = i == 1 ? xstrdup(w->path) : xasprintf("%s.%d", w->path, i - 1);
                rename(from, to);
        }
        if (w->max_file <= 1 && ftruncate(w->fd, 0) == 0) {
                w->size = 0;
                return;
        }
        close(w->fd);
        w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
        w->size = 0;
}

void log_writer_entry(log_writer *w, const char *stream, const char *data, size_t len)
{
        _cleanup_free_ char *t = engine_time_format(engine_now());
        _cleanup_json_ json_t *j =
                json_pack("{s:s%,s:s,s:s}", "log", data, len, "stream", stream, "time", t);
        _cleanup_free_ char *line = NULL;

        if (!j || w->fd < 0)
                return;
        line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!line)
                return;
        size_t n = strlen(line);
        line[n] = '\n'; /* json_dumps' NUL becomes the newline: the buffer has room for it */
        if (w->size > 0 && w->size + (int64_t)n + 1 > w->max_size)
                rotate(w);
        if (fs_write_all(w->fd, line, n + 1) >= 0)
                w->size += (int64_t)n + 1;
}

void log_line_feed(log_line_buf *b, log_writer *w, const char *stream, const char *data, size_t len)
{
        const size_t max = 16384;

        b->data = xrealloc(b->data, b->len + len + 1);
        memcpy(b->data + b->len, data, len);
        b->len += len;
        for (;;) {
                char *nl = memchr(b->data, '\n', b->len);
                size_t n = nl ? (size_t)(nl - b->data) + 1 : (b->len >= max ? max : 0);
                if (n == 0)
                        break;
                log_writer_entry(w, stream, b->data, n);
                memmove(b->data, b->data + n, b->len - n);
                b->len -= n;
        }
}

void log_line_flush(log_line_buf *b, log_writer *w, const char *stream)
{
        if (b->len > 0)
                log_writer_entry(w, stream, b->data, b->len);
        free(b->data);
        b->data = NULL;
        b->len = 0;
}
