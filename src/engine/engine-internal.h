/* Shared inside the engine layer. */
#pragma once

#include "engine.h"

#define xnew0(T, n) ((T *)xcalloc((n), sizeof(T)))

int engine_db_open(const char *root, db **ret, berth_error **err);
int engine_db_get(db *d, const char *id, ctr_record **ret, berth_error **err);
int engine_db_exec_bind(db *d, const char *sql, berth_error **err, int n, const int64_t *ints,
                        const char *const *texts);
int engine_db_set_running(db *d, const char *id, pid_t pid, pid_t monitor_pid, int64_t started,
                          berth_error **err);
int engine_db_set_exited(db *d, const char *id, int code, bool oom, int64_t finished, berth_error **err);
int engine_db_set_state(db *d, const char *id, const char *state, berth_error **err);
char *engine_ctr_dir(const char *root, const char *id);

/* run_opts to and from the JSON kept in the database. */
json_t *run_opts_to_json(const run_opts *o);
int run_opts_from_json(json_t *j, run_opts *o, berth_error **err);

/* The OCI config.json of a container: image config + options + Docker's defaults. rootfs: the
 * merged directory (users and groups are looked up in its /etc/passwd and /etc/group). */
int engine_spec_build(const ctr_record *c, const run_opts *o, const char *ctr_dir, const char *rootfs,
                      json_t **ret, berth_error **err);

/* The cgroup path the engine gives a container. */
char *engine_cgroup_path(const char *id);

/* Volumes: host directory of -v spec (anonymous ones made under ROOT/volumes). */
int engine_volume_source(const char *root, const char *id, const char *spec, char **ret_src, char **ret_dst,
                         bool *ret_ro, berth_error **err);

/* Remove a container's files, its row, and with volumes its anonymous volumes. */
void engine_remove_files(db *d, const char *root, const char *id, json_t *opts, bool volumes);

/* Receive one fd sent with SCM_RIGHTS (a pty master); negative errno on failure. */
int engine_recv_fd(int sock);

/* linux.resources of o into lx (the "linux" object), as config.json has them. */
void engine_spec_resources(const run_opts *o, json_t *lx);

/* Networking (net.c): the namespace file RUNROOT/netns/<id>; bridged: not none, host or
 * container:; validate (at create: the default network filled in), up (at start), down (at the
 * container's end, idempotent), the namespace path put into config.json. */
char *engine_netns_path(const char *runroot, const char *id);
bool engine_net_bridged(const char *network);
int engine_net_validate(engine *e, run_opts *o, berth_error **err);
int engine_net_up(engine *e, const ctr_record *c, berth_error **err);
void engine_net_down(db *d, const char *root, const char *runroot, const char *id);
/* Rewrite ROOT/containers/<id>/hosts in place (a running container has it bind-mounted); the
 * same for every container of peers. */
void engine_hosts_write(db *d, const char *root, const char *id, json_t *opts);
void engine_peers_refresh(db *d, const char *root, char **peers);
void engine_net_spec(engine *e, const ctr_record *c, json_t *spec);
void engine_net_inspect(engine *e, const ctr_record *c, json_t *inspect);

/* Mount the container's layers at DIR/merged unless they are mounted already. */
int engine_mount_rootfs(engine *e, const ctr_record *c, const char *dir, berth_error **err);

/* --init: berth-init at /dev/init runs the command (init.c). */
int engine_spec_add_init(const engine *e, json_t *spec, berth_error **err);

/* Copy sname (in sfd) to dname (in dfd): files, folders, symlinks as links; own: with the
 * source's owner (copy.c). */
int engine_copy_tree(int sfd, const char *sname, int dfd, const char *dname, bool own, berth_error **err);
/* The image config's Volumes appended to o's volumes as anonymous ones (volfill.c). */
void engine_image_volumes(json_t *image_config, run_opts *o);
/* Fill every empty volume of c from the image's content at its path; the rootfs is mounted. */
int engine_volumes_fill(engine *e, const ctr_record *c, const char *dir, berth_error **err);
