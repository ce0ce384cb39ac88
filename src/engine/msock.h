/* The monitor's unix socket, RUNROOT/monitor/<id>: a versioned line protocol.
 *
 *   monitor: "berth-monitor 1\n"
 *   peer:    one request line, sent with SCM_CREDENTIALS (uid 0 or the monitor's uid only):
 *              "state" | "signal N" | "resize ROWS COLS" | "attach" | "attach stdin"
 *   monitor: "ok[ TEXT]\n" or "error TEXT\n"; state answers "ok running PID tty|notty".
 *
 * After "attach" answered "ok", both ways carry frames: one type byte, a 4-byte big-endian
 * length, the payload. Monitor to peer: 'o' stdout, 'e' stderr (a tty's output is 'o'),
 * 'x' the exit status in decimal, 'E' the start's error text. Peer to monitor: 'i' stdin
 * bytes, 'c' close the container's stdin. A peer that closes without 'c' detaches. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "basic/error.h"

#define MSOCK_GREETING  "berth-monitor 1"
#define MSOCK_FRAME_MAX (1u << 20)

/* RUNROOT/monitor/<id> (caller frees). */
char *msock_path(const char *runroot, const char *id);

/* Bind and listen (SO_PASSCRED set, mode 0600, the folder 0700); a path longer than sun_path
 * goes through /proc/self/fd of its folder. */
int msock_listen(const char *path, int *ret_fd, berth_error **err);
int msock_connect(const char *path, int *ret_fd, berth_error **err);

/* A line up to '\n' (not kept), byte by byte so nothing after it is consumed; with creds, the
 * SCM_CREDENTIALS of its first byte (uid -1 when none came). Returns the length, <0 on error/EOF. */
int msock_read_line(int fd, char *buf, size_t size, uid_t *ret_uid);
/* A line with our SCM_CREDENTIALS attached. */
int msock_send_line_creds(int fd, const char *line);

int msock_send_frame(int fd, char type, const void *data, size_t len);
/* 1: a frame in *type, *data (malloc'd, NUL-terminated), *len; 0: EOF; <0: error. */
int msock_read_frame(int fd, char *type, char **data, size_t *len);
