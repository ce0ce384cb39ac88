/* Driver lookup and disk usage. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "storage.h"

static const storage_driver *const drivers[] = {&storage_driver_overlay, &storage_driver_vfs};

int storage_driver_find(const char *name, const char *root, const storage_driver **ret, berth_error **err)
{
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++) {
                if (name && *name && !streq(name, drivers[i]->name))
                        continue;
                if (!drivers[i]->supported(root)) {
                        if (name && *name)
                                return berth_error_set(err, ENOTSUP, "storage driver %s: not supported here",
                                                       name);
                        continue;
                }
                *ret = drivers[i];
                return 0;
        }
        return berth_error_set(err, 0, "unknown storage driver \"%s\" (overlay, vfs)", strempty(name));
}

typedef struct usage_walk {
        uint64_t total;
        struct {
                dev_t dev;
                ino_t ino;
        } * seen;
        size_t n_seen;
} usage_walk;

static bool seen_before(usage_walk *w, const struct stat *st)
{
        for (size_t i = 0; i < w->n_seen; i++)
                if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
                        return true;
        w->seen = xrealloc(w->seen, (w->n_seen + 1) * sizeof(*w->seen));
        w->seen[w->n_seen].dev = st->st_dev;
        w->seen[w->n_seen].ino = st->st_ino;
        w->n_seen++;
        return false;
}

static int walk(int fd, usage_walk *w, unsigned depth)
{
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        struct dirent *de;

        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && seen_before(w, &st))
                        continue;
                w->total += (uint64_t)st.st_blocks * 512;
                if (S_ISDIR(st.st_mode) && depth < 256) {
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd >= 0)
                                walk(cfd, w, depth + 1);
                }
        }
        return 0;
}

int storage_disk_usage(const char *path, uint64_t *ret, berth_error **err)
{
        usage_walk w = {};
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret = 0;
                        return 0;
                }
                return berth_error_set(err, errno, "open %s", path);
        }
        walk(fd, &w, 0);
        free(w.seen);
        *ret = w.total;
        return 0;
}
