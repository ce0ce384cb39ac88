/* Shared by monitor.c (the container's life) and monitor-sock.c (its unix socket). */
#pragma once

#include "engine-internal.h"
#include "logfile.h"

#define MON_MAX_CLIENTS 8

typedef struct relay {
        int fd; /* container side: a pipe's read end or the pty master */
        const char *stream;
        log_line_buf line;
} relay;

typedef struct mon_client {
        int fd;
        bool stdin_; /* its 'i' frames go to the container */
} mon_client;

typedef struct mon {
        const char *root, *runroot, *id;
        char *dir, *rt_root;
        db *db;
        run_opts o;
        json_t *opts;
        int status_fd;
        bool started;
        int master;      /* pty master */
        int stdin_w;     /* -i: the write end of the container's stdin, fed by attached peers */
        relay relays[2]; /* stdout, stderr (only [0] with a pty) */
        size_t n_relays;
        pid_t pid;
        struct container_state *st; /* created, not yet started */
        log_writer log;
        char *sock_path;
        int listen_fd;
        mon_client clients[MON_MAX_CLIENTS];
        size_t n_clients;
} mon;

int mon_sock_open(mon *m, berth_error **err);
/* Take one connection from the listening socket and answer its request. */
void mon_sock_accept(mon *m);
/* Output to every attached peer. */
void mon_sock_output(mon *m, char type, const char *buf, size_t n);
/* A frame from peer i; false when it went away (it is removed). */
bool mon_sock_input(mon *m, size_t i);
/* A last frame to every attached peer ('x' status or 'E' error), then close them. */
void mon_sock_end(mon *m, char type, const char *text);
void mon_sock_close(mon *m);

/* Drop the resident read-only file pages the start touched (monitor-mem.c). */
void mon_drop_clean_pages(void);
