/* The error type every fallible function fills: an errno value and one message naming the object. */
#pragma once

#include <stdarg.h>
#include "macros.h"

typedef struct berth_error {
        int errnum; /* errno of the cause, 0 when there is none */
        char *msg;  /* "<what failed>[: <why>]", without the errno text */
} berth_error;

/*
 * Set *err (when err is not NULL) and return a negative value, so that building the error and
 * returning is one statement: `return berth_error_set(err, errno, "open %s", path);`.
 * With errnum != 0 the returned value is -errnum, otherwise -EINVAL.
 */
/* Set *err to a message that says it all (no strerror appended) and return -code. */
int berth_error_say(berth_error **err, int code, const char *fmt, ...) _printf_(3, 4);
int berth_error_set(berth_error **err, int errnum, const char *fmt, ...) _printf_(3, 4);
int berth_error_setv(berth_error **err, int errnum, const char *fmt, va_list ap) _printf_(3, 0);

/* Prefix context: "<context>: <old message>". Returns the same negative value as the error. */
int berth_error_wrap(berth_error **err, const char *fmt, ...) _printf_(2, 3);

/* The full text: msg plus ": strerror(errnum)" when errnum is set. Caller frees. */
char *berth_error_text(const berth_error *err);

void berth_error_free(berth_error *err);
static inline void berth_error_freep(berth_error **err)
{
        berth_error_free(*err);
        *err = NULL;
}
#define _cleanup_error_ _cleanup_(berth_error_freep)
