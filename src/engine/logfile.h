/* Docker's json-file log: one {"log","stream","time"} object per line, rotated at max_size into
 * at most max_file files (<id>-json.log, .1, .2 ...). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "basic/error.h"

#define LOG_DEFAULT_MAX_SIZE (10 * 1024 * 1024)
#define LOG_DEFAULT_MAX_FILE 2

typedef struct log_writer {
        int fd;
        char *path;
        int64_t size, max_size;
        int max_file;
} log_writer;

typedef struct log_line_buf {
        char *data;
        size_t len;
} log_line_buf;

int log_writer_open(log_writer *w, const char *dir, const char *id, int64_t max_size, int max_file,
                    berth_error **err);
void log_writer_close(log_writer *w);
/* One entry; rotates first when the file would pass max_size. */
void log_writer_entry(log_writer *w, const char *stream, const char *data, size_t len);

/* Split output into lines (an entry each, newline kept); a line over 16 KiB is cut, as Docker's. */
void log_line_feed(log_line_buf *b, log_writer *w, const char *stream, const char *data, size_t len);
void log_line_flush(log_line_buf *b, log_writer *w, const char *stream);

char *log_path(const char *dir, const char *id);
