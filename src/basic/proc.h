/* Process helpers: start times that tell a reused pid apart, pidfds, liveness. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

/* Field 22 of /proc/PID/stat (clock ticks since boot). */
int proc_start_time(pid_t pid, unsigned long long *ret, berth_error **err);

/* Process state letter from /proc/PID/stat ('R', 'S', 'Z', ...), or 0 when gone. */
char proc_state(pid_t pid);

/* The process pid exists, is not a zombie, and started at start_time (0: do not check). */
bool proc_is_alive(pid_t pid, unsigned long long start_time);

int proc_pidfd_open(pid_t pid, unsigned flags);
int proc_pidfd_send_signal(int pidfd, int sig);
