/* diff, export and commit. Only the overlay driver keeps a container's changes apart (its upper
 * dir, in overlayfs' own format: 0/0 character devices for deleted files, trusted.overlay.opaque
 * for replaced directories); the upper dir is read directly, mounted or not. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "commit-vfs.h"
#include "commit.h"
#include "engine-internal.h"
#include "image/config.h"
#include "image/derive.h"
#include "image/layer-tar.h"

/* Mount points the engine makes for its bind mounts: not the container's changes. */
static char *const engine_mount_points[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf", NULL};

/* The image's layer directories, top first (the caller closes them and frees the array). */
static int open_lowers(engine *e, const ctr_record *c, int **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        size_t n, k = 0;
        int *fds, r = image_store_get(e->images, c->image_id, &img, err);

        if (r < 0)
                return r;
        n = strv_length(img->chain_ids);
        fds = xcalloc(n + 1, sizeof(int));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = layer_diff_path(e->layers, img->chain_ids[n - 1 - i]);
                fds[k] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fds[k] >= 0)
                        k++;
        }
        *ret = fds;
        *ret_n = k;
        return 0;
}

static void close_lowers(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        free(fds);
}

/* vfs: the comparison of the container's copy with its layers, as a tree in DIR/vfs-changes. */
static int vfs_changes_dir(engine *e, const ctr_record *c, const char *dir, char **ret, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir), *out = xasprintf("%s/vfs-changes", dir);
        _cleanup_close_ int mfd = -EBADF, ofd = -EBADF;
        int *lowers = NULL;
        size_t n = 0;
        int r = 0;

        if (access(merged, F_OK) < 0)
                r = engine_mount_rootfs(e, c, dir, err); /* vfs: makes the copy */
        if (r >= 0)
                r = fs_rm_rf(out, err);
        if (r >= 0 && mkdir(out, 0755) < 0)
                r = berth_error_set(err, errno, "mkdir %s", out);
        if (r >= 0) {
                mfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ofd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (mfd < 0 || ofd < 0)
                        r = berth_error_set(err, errno, "open %s", mfd < 0 ? merged : out);
        }
        if (r >= 0)
                r = open_lowers(e, c, &lowers, &n, err);
        if (r >= 0)
                r = vfs_changes(mfd, lowers, n, engine_mount_points, ofd, err);
        close_lowers(lowers, n);
        if (r < 0) {
                fs_rm_rf(out, NULL);
                return r;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* The container's changes in overlay's format: its upper dir, or for vfs a tree made by
 * comparison (*ret_temp: the caller removes it after use). The container's own driver counts. */
static int changes_dir(engine *e, const ctr_record *c, char **ret, bool *ret_temp, berth_error **err)
{
        _cleanup_free_ char *dir = engine_ctr_dir(e->root, c->id);
        const char *driver = json_string_value(json_object_get(c->opts, "storage_driver"));

        if (!driver)
                driver = e->driver->name;
        *ret_temp = false;
        if (streq(driver, "vfs")) {
                *ret_temp = true;
                return vfs_changes_dir(e, c, dir, ret, err);
        }
        if (!streq(driver, "overlay"))
                return berth_error_set(err, ENOTSUP, "container %s: storage driver %s", c->name, driver);
        *ret = xasprintf("%s/upper", dir);
        if (access(*ret, F_OK) < 0 && errno == ENOENT) {
                /* created, never mounted: no changes yet (Docker commits and diffs it too) */
                free(*ret);
                *ret = xasprintf("%s/no-changes", dir);
                if (mkdir(*ret, 0755) < 0 && errno != EEXIST)
                        return berth_error_set(err, errno, "mkdir %s", *ret);
                *ret_temp = true;
        }
        return 0;
}

/* ---- diff ---- */

typedef struct diff_ctx {
        int *lowers; /* top first */
        size_t n;
        char **out;
} diff_ctx;

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Does path exist below the upper dir? A lower layer's whiteout ends the search. Components are
 * not followed through symlinks: overlay looks up the same real path in every layer. */
static bool in_lowers(diff_ctx *x, const char *path)
{
        struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};

        for (size_t i = 0; i < x->n; i++) {
                _cleanup_close_ int fd = (int)syscall(SYS_openat2, x->lowers[i], path, &how, sizeof(how));
                struct stat st;
                if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
                        return errno == ELOOP; /* the last component is a symlink: it exists */
                if (fd < 0)
                        continue;
                if (fstat(fd, &st) == 0 && is_whiteout(&st))
                        return false;
                return true;
        }
        return false;
}

static int diff_tree(diff_ctx *x, int dirfd, const char *prefix, bool all_new, int depth, berth_error **err)
{
        struct dirent **list = NULL;
        int n, r = 0;

        if (depth > 512)
                return berth_error_set(err, ELOOP, "/%s: too deep", prefix);
        n = scandirat(dirfd, ".", &list, NULL, alphasort);
        if (n < 0)
                return berth_error_set(err, errno, "read /%s", prefix);
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                _cleanup_free_ char *path = NULL;
                struct stat st;
                bool old;
                if (r < 0 || streq(name, ".") || streq(name, "..") ||
                    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        free(list[i]);
                        continue;
                }
                path = prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
                if (S_ISREG(st.st_mode) && st.st_size == 0 && strv_contains(engine_mount_points, path)) {
                        free(list[i]);
                        continue;
                }
                old = !all_new && in_lowers(x, path);
                if (is_whiteout(&st)) {
                        if (old)
                                strv_consume(&x->out, xasprintf("D /%s", path));
                } else
                        strv_consume(&x->out, xasprintf("%c /%s", old ? 'C' : 'A', path));
                if (!is_whiteout(&st) && S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub =
                                openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        r = sub < 0 ? berth_error_set(err, errno, "open /%s", path)
                                    : diff_tree(x, sub, path, !old, depth + 1, err);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

int engine_diff(engine *e, const char *what, char ***ret, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *upper = NULL;
        _cleanup_close_ int ufd = -EBADF;
        bool temp = false;
        diff_ctx x = {};
        int r = engine_lookup(e, what, &c, err);

        if (r >= 0)
                r = changes_dir(e, c, &upper, &temp, err);
        if (r < 0)
                return r;
        ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                r = berth_error_set(err, errno, "open %s", upper);
        if (r >= 0)
                r = open_lowers(e, c, &x.lowers, &x.n, err);
        if (r >= 0)
                r = diff_tree(&x, ufd, "", false, 0, err);
        close_lowers(x.lowers, x.n);
        if (temp)
                fs_rm_rf(upper, NULL);
        if (r < 0) {
                strv_free(x.out);
                return r;
        }
        *ret = x.out ? x.out : xcalloc(1, sizeof(char *));
        return 0;
}

/* ---- export ---- */

static int fd_sink(void *userdata, const void *buf, size_t len)
{
        return fs_write_all(*(int *)userdata, buf, len) < 0 ? -errno : 0;
}

int engine_export(engine *e, const char *what, int fd, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *dir = NULL, *merged = NULL;
        _cleanup_close_ int rootfd = -EBADF;
        bool mounted_here = false;
        struct stat a, b;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        dir = engine_ctr_dir(e->root, c->id);
        merged = xasprintf("%s/merged", dir);
        if (!(stat(dir, &a) == 0 && stat(merged, &b) == 0 && a.st_dev != b.st_dev)) {
                r = engine_mount_rootfs(e, c, dir, err);
                if (r < 0)
                        return r;
                mounted_here = true;
        }
        rootfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = rootfd < 0 ? berth_error_set(err, errno, "open %s", merged)
                       : layer_tar_write(rootfd, false, NULL, fd_sink, &fd, NULL, err);
        if (mounted_here) {
                close(TAKE_FD(rootfd));
                e->driver->umount(dir, NULL);
        }
        return r;
}

/* ---- commit ---- */

static void set_strv(json_t *cfg, const char *key, char *const *l)
{
        json_object_set_new(cfg, key, jsonh_from_strv(l));
}

/* Env: the container's KEY=VALUE replace the image's entries of the same key. */
static void merge_env(json_t *cfg, char *const *env)
{
        json_t *list = json_object_get(cfg, "Env");

        if (!json_is_array(list)) {
                list = json_array();
                json_object_set_new(cfg, "Env", list);
        }
        STRV_FOREACH (kv, (char **)env) {
                size_t klen = strcspn(*kv, "=");
                size_t i;
                json_t *v;
                bool replaced = false;
                json_array_foreach (list, i, v) {
                        const char *s = json_string_value(v);
                        if (s && strneq(s, *kv, klen) && s[klen] == '=') {
                                json_array_set_new(list, i, json_string(*kv));
                                replaced = true;
                                break;
                        }
                }
                if (!replaced)
                        json_array_append_new(list, json_string(*kv));
        }
}

/* Docker's commit: the image's config with what the container was run with, then the changes. */
static int container_config(const ctr_record *c, const engine_commit_opts *o, json_t **ret,
                            berth_error **err)
{
        _cleanup_json_ json_t *cfg =
                json_is_object(c->image_config) ? json_deep_copy(c->image_config) : json_object();
        run_opts ro;
        int r = run_opts_from_json(c->opts, &ro, err);

        if (r < 0)
                return r;
        if (ro.cmd)
                set_strv(cfg, "Cmd", ro.cmd);
        if (ro.entrypoint)
                set_strv(cfg, "Entrypoint", ro.entrypoint[0] && ro.entrypoint[0][0] ? ro.entrypoint : NULL);
        if (ro.env)
                merge_env(cfg, ro.env);
        if (ro.workdir)
                json_object_set_new(cfg, "WorkingDir", json_string(ro.workdir));
        if (ro.user)
                json_object_set_new(cfg, "User", json_string(ro.user));
        run_opts_clear(&ro);
        for (size_t i = 0; o->changes && o->changes[i]; i++) {
                r = image_config_apply_change(cfg, o->changes[i], err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(cfg);
        return 0;
}

static char *command_line(const ctr_record *c)
{
        json_t *cmd = json_object_get(c->opts, "cmd");
        json_t *cfg_cmd = json_object_get(c->image_config, "Cmd");
        _cleanup_strv_free_ char **l = NULL;
        size_t i;
        json_t *v;

        json_array_foreach (json_is_array(cmd) ? cmd : cfg_cmd, i, v)
                strv_push(&l, strempty(json_string_value(v)));
        return l ? strv_join(l, " ") : xstrdup("");
}

static int write_layer(engine *e, const ctr_record *c, char **ret_digest, char ret_diff_id[],
                       berth_error **err)
{
        _cleanup_free_ char *upper = NULL;
        _cleanup_close_ int ufd = -EBADF;
        bool temp = false;
        int r = changes_dir(e, c, &upper, &temp, err);

        if (r < 0)
                return r;
        ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ufd < 0)
                r = berth_error_set(err, errno, "open %s", upper);
        if (r >= 0)
                r = layer_tar_to_blob(e->images->blobs, ufd, engine_mount_points, ret_digest, NULL,
                                      ret_diff_id, err);
        if (temp)
                fs_rm_rf(upper, NULL);
        return r;
}

int engine_commit(engine *e, const char *what, const engine_commit_opts *o, char **ret_id, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_json_ json_t *cfg = NULL;
        _cleanup_free_ char *digest = NULL, *by = NULL;
        char diff_id[DIGEST_SHA256_LEN + 1];
        bool paused = false;
        image_derive_options d;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        if (o->config)
                cfg = json_incref(o->config);
        else
                r = container_config(c, o, &cfg, err);
        if (r < 0)
                return r;
        if (o->pause && streq(c->state, "running")) {
                r = engine_pause(e, c->id, true, err);
                if (r < 0)
                        return r;
                paused = true;
        }
        r = write_layer(e, c, &digest, diff_id, err);
        if (paused)
                engine_pause(e, c->id, false, NULL);
        if (r < 0)
                return berth_error_wrap(err, "commit %s", c->name);
        by = o->created_by ? xstrdup(o->created_by) : command_line(c);
        d = (image_derive_options){.parent = c->image_id,
                                   .layer_digest = digest,
                                   .diff_id = diff_id,
                                   .config = cfg,
                                   .created_by = by,
                                   .comment = o->message,
                                   .author = o->author,
                                   .names = o->names};
        r = image_derive(e->images, &d, ret_id, err);
        return r < 0 ? berth_error_wrap(err, "commit %s", c->name) : 0;
}

int engine_mount_rootfs_of(engine *e, const char *what, char **ret_path, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *dir = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        dir = engine_ctr_dir(e->root, c->id);
        r = engine_mount_rootfs(e, c, dir, err);
        if (r < 0)
                return r;
        *ret_path = xasprintf("%s/merged", dir);
        return 0;
}

int engine_umount_rootfs_of(engine *e, const char *what, berth_error **err)
{
        _cleanup_ctr_record_ ctr_record *c = NULL;
        _cleanup_free_ char *dir = NULL;
        int r = engine_lookup(e, what, &c, err);

        if (r < 0)
                return r;
        dir = engine_ctr_dir(e->root, c->id);
        return e->driver->umount(dir, err);
}
