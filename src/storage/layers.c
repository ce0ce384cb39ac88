/* Layer store: extraction directories, atomic rename into place, metadata, leftovers. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "layers.h"

#define TMP_PREFIX ".tmp-"

struct layer_store {
        char *dir; /* ROOT/layers */
        int dirfd;
        unsigned counter;
};

struct layer_tx {
        char *name; /* .tmp-<pid>-<n> */
        int dirfd;  /* of .tmp-<pid>-<n>/diff */
};

static const char *chain_hex(const char *chain_id)
{
        return strneq(chain_id, "sha256:", 7) ? chain_id + 7 : chain_id;
}

static bool hex_name_valid(const char *s)
{
        if (strlen(s) != 64)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* Remove .tmp-<pid>-* left by processes that no longer run (killed half-way). */
static void remove_leftovers(layer_store *ls)
{
        _cleanup_closedir_ DIR *d = NULL;
        int fd = openat(ls->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                long pid;
                if (!strneq(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
                        continue;
                pid = strtol(de->d_name + strlen(TMP_PREFIX), NULL, 10);
                if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                        continue;
                fs_rm_rf_at(ls->dirfd, de->d_name, NULL);
        }
}

int layer_store_open(const char *root, layer_store **ret, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/layers", root);
        layer_store *ls;
        int fd, r;

        r = fs_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(err, errno, "open %s", dir);
        ls = xcalloc(1, sizeof(*ls));
        ls->dir = TAKE_PTR(dir);
        ls->dirfd = fd;
        remove_leftovers(ls);
        *ret = ls;
        return 0;
}

void layer_store_free(layer_store *ls)
{
        if (!ls)
                return;
        if (ls->dirfd >= 0)
                close(ls->dirfd);
        free(ls->dir);
        free(ls);
}

bool layer_exists(layer_store *ls, const char *chain_id)
{
        const char *hex = chain_hex(chain_id);
        _cleanup_free_ char *p = NULL;

        if (!hex_name_valid(hex))
                return false;
        p = xasprintf("%s/layer.json", hex);
        return faccessat(ls->dirfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

char *layer_diff_path(layer_store *ls, const char *chain_id)
{
        return xasprintf("%s/%s/diff", ls->dir, chain_hex(chain_id));
}

int layer_begin(layer_store *ls, layer_tx **ret, berth_error **err)
{
        _cleanup_free_ char *name = xasprintf(TMP_PREFIX "%d-%u", (int)getpid(),
                                              __atomic_fetch_add(&ls->counter, 1, __ATOMIC_SEQ_CST));
        _cleanup_free_ char *diff = xasprintf("%s/diff", name);
        layer_tx *tx;
        int fd;

        if (mkdirat(ls->dirfd, name, 0700) < 0)
                return berth_error_set(err, errno, "create %s/%s", ls->dir, name);
        if (mkdirat(ls->dirfd, diff, 0755) < 0 ||
            (fd = openat(ls->dirfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                int r = berth_error_set(err, errno, "create %s/%s", ls->dir, diff);
                fs_rm_rf_at(ls->dirfd, name, NULL);
                return r;
        }
        tx = xcalloc(1, sizeof(*tx));
        tx->name = TAKE_PTR(name);
        tx->dirfd = fd;
        *ret = tx;
        return 0;
}

int layer_tx_dirfd(layer_tx *tx)
{
        return tx->dirfd;
}

static void tx_free(layer_tx *tx)
{
        if (tx->dirfd >= 0)
                close(tx->dirfd);
        free(tx->name);
        free(tx);
}

void layer_abort(layer_store *ls, layer_tx *tx)
{
        if (!tx)
                return;
        fs_rm_rf_at(ls->dirfd, tx->name, NULL);
        tx_free(tx);
}

static char *info_json(const layer_info *info)
{
        _cleanup_json_ json_t *j =
                json_pack("{s:s, s:s, s:I, s:I, s:I}", "chain_id", info->chain_id, "diff_id", info->diff_id,
                          "size", (json_int_t)info->size, "tar_size", (json_int_t)info->tar_size, "entries",
                          (json_int_t)info->entries);

        if (info->parent)
                json_object_set_new(j, "parent", json_string(info->parent));
        return jsonh_dump(j, true);
}

int layer_commit(layer_store *ls, layer_tx *tx, const layer_info *info, berth_error **err)
{
        _cleanup_free_ char *json = info_json(info);
        _cleanup_free_ char *meta = xasprintf("%s/%s/layer.json", ls->dir, tx->name);
        const char *hex = chain_hex(info->chain_id);
        int r;

        if (!hex_name_valid(hex)) {
                layer_abort(ls, tx);
                return berth_error_set(err, 0, "invalid chain id \"%s\"", info->chain_id);
        }
        r = fs_write_file_atomic(meta, json, strlen(json), 0600, err);
        if (r < 0) {
                layer_abort(ls, tx);
                return r;
        }
        if (syncfs(tx->dirfd) < 0) {
                r = berth_error_set(err, errno, "sync layer %s", info->chain_id);
                layer_abort(ls, tx);
                return r;
        }
        if (renameat2(ls->dirfd, tx->name, ls->dirfd, hex, RENAME_NOREPLACE) < 0) {
                if (errno == EEXIST || errno == ENOTEMPTY) {
                        layer_abort(ls, tx);
                        return 0;
                }
                r = berth_error_set(err, errno, "move layer into %s/%s", ls->dir, hex);
                layer_abort(ls, tx);
                return r;
        }
        tx_free(tx);
        /* The new name survives a power loss before the database row that refers to it. */
        if (fsync(ls->dirfd) < 0)
                return berth_error_set(err, errno, "sync %s", ls->dir);
        return 0;
}

void layer_info_clear(layer_info *i)
{
        free(i->chain_id);
        free(i->diff_id);
        free(i->parent);
        memset(i, 0, sizeof(*i));
}

int layer_get_info(layer_store *ls, const char *chain_id, layer_info *ret, berth_error **err)
{
        const char *hex = chain_hex(chain_id);
        _cleanup_free_ char *p = NULL, *buf = NULL;
        _cleanup_json_ json_t *j = NULL;
        layer_info i = {};
        size_t len;
        int r;

        if (!hex_name_valid(hex))
                return berth_error_set(err, 0, "invalid chain id \"%s\"", chain_id);
        p = xasprintf("%s/layer.json", hex);
        r = fs_read_file_at(ls->dirfd, p, &buf, &len, err);
        if (r < 0)
                return berth_error_wrap(err, "layer %s", chain_id);
        r = jsonh_parse(buf, len, p, &j, err);
        if (r < 0)
                return r;
        if (jsonh_get_string(j, "", "chain_id", true, &i.chain_id, err) < 0 ||
            jsonh_get_string(j, "", "diff_id", true, &i.diff_id, err) < 0 ||
            jsonh_get_string(j, "", "parent", false, &i.parent, err) < 0 ||
            jsonh_get_uint64(j, "", "size", true, &i.size, err) < 0 ||
            jsonh_get_uint64(j, "", "tar_size", true, &i.tar_size, err) < 0 ||
            jsonh_get_uint64(j, "", "entries", false, &i.entries, err) < 0) {
                layer_info_clear(&i);
                return berth_error_wrap(err, "layer %s", chain_id);
        }
        *ret = i;
        return 0;
}

int layer_remove(layer_store *ls, const char *chain_id, berth_error **err)
{
        const char *hex = chain_hex(chain_id);
        _cleanup_free_ char *tmp = NULL;

        if (!hex_name_valid(hex))
                return berth_error_set(err, 0, "invalid chain id \"%s\"", chain_id);
        /* Rename first, so a half-removed layer is never seen under its name. */
        tmp = xasprintf(TMP_PREFIX "%d-rm-%s", (int)getpid(), hex);
        if (renameat(ls->dirfd, hex, ls->dirfd, tmp) < 0)
                return errno == ENOENT ? 0 : berth_error_set(err, errno, "remove layer %s", chain_id);
        return fs_rm_rf_at(ls->dirfd, tmp, err);
}

int layer_list(layer_store *ls, char ***ret, berth_error **err)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        int fd = openat(ls->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, errno, "open %s", ls->dir);
        }
        while ((de = readdir(d)))
                if (hex_name_valid(de->d_name))
                        strv_consume(&l, xasprintf("sha256:%s", de->d_name));
        *ret = l ? TAKE_PTR(l) : xcalloc(1, sizeof(char *));
        return 0;
}
