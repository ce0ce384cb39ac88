/*
 * Idmapped mounts ("idmap", "ridmap"). Giving a mount an id mapping needs CAP_SYS_ADMIN in
 * the user namespace its filesystem belongs to, the host's, which the container's init no
 * longer has once it is in its own user namespace. So, as runc does, the host side builds the
 * detached, idmapped trees before the container starts and the init only attaches them.
 */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/fs.h"
#include "mount-internal.h"

static char *format_map(const oci_id_mapping *m, size_t n)
{
        char *text = xstrdup("");

        for (size_t i = 0; i < n; i++) {
                char *next = xasprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id, m[i].size);
                free(text);
                text = next;
        }
        return text;
}

static int write_map(pid_t pid, const char *file, const oci_id_mapping *m, size_t n, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        _cleanup_free_ char *text = format_map(m, n);

        return fs_write_file(path, text, strlen(text), err);
}

/* A helper process waits in a new user namespace while its maps are written and its
 * namespace is opened, then exits when the pipe closes. */
static int userns_with_maps(const oci_id_mapping *uids, size_t n_uids, const oci_id_mapping *gids,
                            size_t n_gids, int *ret_fd, berth_error **err)
{
        int ready[2], hold[2], status, r = 0, fd = -EBADF;
        char c;
        pid_t pid;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return berth_error_set(err, errno, "idmap: pipe");
        if (pipe2(hold, O_CLOEXEC) < 0) {
                close(ready[0]);
                close(ready[1]);
                return berth_error_set(err, errno, "idmap: pipe");
        }
        pid = fork();
        if (pid == 0) {
                c = unshare(CLONE_NEWUSER) == 0 ? 'k' : 'e';
                close(hold[1]);
                if (write(ready[1], &c, 1) == 1)
                        (void)!read(hold[0], &c, 1);
                _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'k')
                r = berth_error_set(err, pid < 0 ? errno : EPERM, "idmap: new user namespace");
        if (r == 0)
                r = write_map(pid, "uid_map", uids, n_uids, err);
        if (r == 0)
                r = write_map(pid, "gid_map", gids, n_gids, err);
        if (r == 0) {
                _cleanup_free_ char *ns = xasprintf("/proc/%d/ns/user", (int)pid);
                fd = open(ns, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = berth_error_set(err, errno, "idmap: open %s", ns);
        }
        close(hold[1]);
        close(ready[0]);
        if (pid > 0)
                waitpid(pid, &status, 0);
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

/* The mount's own mappings, or the container's user namespace ones. */
static int idmap_userns(const mount_ctx *ctx, const oci_mount *m, int *ret_fd, berth_error **err)
{
        const oci_linux *l = ctx->spec->linux_;

        if (m->n_uid_mappings > 0 || m->n_gid_mappings > 0)
                return userns_with_maps(m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
                                        m->n_gid_mappings, ret_fd, err);
        if (l && (l->n_uid_mappings > 0 || l->n_gid_mappings > 0))
                return userns_with_maps(l->uid_mappings, l->n_uid_mappings, l->gid_mappings,
                                        l->n_gid_mappings, ret_fd, err);
        return berth_error_set(err, EINVAL, "mount %s to %s: idmap without uidMappings or gidMappings",
                               strempty(m->source), m->destination);
}

static int idmap_tree(const mount_ctx *ctx, const oci_mount *m, const mount_options *o, int *ret_fd,
                      berth_error **err)
{
        _cleanup_close_ int userns = -EBADF, mfd = -EBADF;
        bool rec = (o->flags & MS_REC) || o->idmap_recursive;
        struct mount_attr attr;
        int r;

        if (!m->source)
                return berth_error_set(err, EINVAL, "mount bind to %s: no source", m->destination);
        r = idmap_userns(ctx, m, &userns, err);
        if (r < 0)
                return r;
        r = mnt_bind_create(AT_FDCWD, m->source, rec, m->destination, &mfd, err);
        if (r < 0)
                return r;
        attr = (struct mount_attr){.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
        r = mnt_setattr(mfd, o->idmap_recursive, &attr, m->source, m->destination, err);
        if (r < 0)
                return r;
        mnt_attr_from_flags(o->flags, o->clear, &attr);
        r = mnt_setattr(mfd, false, &attr, m->source, m->destination, err);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(mfd);
        return 0;
}

int mount_idmap_prepare(const mount_ctx *ctx, int **ret_fds, berth_error **err)
{
        size_t n = ctx->spec->n_mounts;
        int *fds = xcalloc(n, sizeof(int));
        int r = 0;

        for (size_t i = 0; i < n; i++)
                fds[i] = -EBADF;
        for (size_t i = 0; r == 0 && i < n; i++) {
                const oci_mount *m = &ctx->spec->mounts[i];
                _cleanup_(mount_options_done) mount_options o = {};
                r = mount_options_parse(m->options, &o, err);
                if (r == 0 && o.idmap)
                        r = idmap_tree(ctx, m, &o, &fds[i], err);
        }
        if (r < 0) {
                mount_idmap_free(fds, n);
                return r;
        }
        *ret_fds = fds;
        return 0;
}

void mount_idmap_free(int *fds, size_t n)
{
        for (size_t i = 0; fds && i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(fds);
}
