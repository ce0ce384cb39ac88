/* Diagnostic logging for the programs: text to stderr or a file, or runc's JSON lines. */
#pragma once

#include "macros.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* path NULL keeps stderr. Returns negative errno when the log file cannot be opened. */
int log_open(const char *path, enum log_format format, enum log_level max_level);
void log_set_level(enum log_level level);
/* Prefix of lines written to stderr ("berth", "berth-runtime"). */
void log_set_program(const char *name);
enum log_level log_get_level(void);
void log_close(void);
/* fd of the log file, or -1: a forked child keeps it to report errors. */
int log_fd(void);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                                      \
        do {                                                                                                \
                if (log_get_level() >= LOG_LEVEL_DEBUG)                                                     \
                        log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                              \
        } while (0)
