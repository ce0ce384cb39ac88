/* Volumes as Docker fills them: the image's `Volumes` become anonymous volumes, and a volume that
 * is empty when its container starts first gets the image's content at its path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "engine-internal.h"

/* The container path of a -v spec before it is resolved ("SRC:DST[:MODE]", "DST[:MODE]"). */
static char *spec_dest(const char *spec)
{
        _cleanup_strv_free_ char **f = strv_split(spec, ":");
        size_t n = strv_length(f);

        if (n >= 2 && (streq(f[n - 1], "ro") || streq(f[n - 1], "rw")))
                n--;
        return n > 0 ? fs_path_normalize(f[n - 1]) : xstrdup("");
}

static bool has_dest(char **specs, const char *dst, bool tmpfs)
{
        STRV_FOREACH (s, specs) {
                _cleanup_free_ char *d = NULL;
                if (tmpfs) {
                        _cleanup_free_ char *copy = xstrdup(*s);
                        char *colon = strchr(copy, ':');
                        if (colon)
                                *colon = 0;
                        d = fs_path_normalize(copy);
                } else
                        d = spec_dest(*s);
                if (streq(d, dst))
                        return true;
        }
        return false;
}

void engine_image_volumes(json_t *image_config, run_opts *o)
{
        json_t *vols = json_object_get(image_config, "Volumes");
        const char *path;
        json_t *v;

        json_object_foreach (vols, path, v) {
                _cleanup_free_ char *dst = fs_path_normalize(path);
                if (dst[0] == '/' && !has_dest(o->volumes, dst, false) && !has_dest(o->tmpfs, dst, true))
                        strv_push(&o->volumes, dst);
        }
}

static bool dir_empty(int fd)
{
        int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
        struct dirent *de;
        bool empty = true;

        if (!d)
                return false;
        while (empty && (de = readdir(d)))
                empty = streq(de->d_name, ".") || streq(de->d_name, "..");
        closedir(d);
        return empty;
}

/* One volume: the image's dst (resolved inside rootfd) copied into src when src is empty. */
static int fill_one(int rootfd, const char *src, const char *dst, berth_error **err)
{
        _cleanup_close_ int dfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int sfd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (dfd < 0 || !dir_empty(dfd))
                return 0;
        sfd = fs_open_in_root(rootfd, dst, O_RDONLY | O_DIRECTORY, 0, NULL);
        if (sfd < 0)
                return 0; /* nothing there in the image */
        d = fdopendir(TAKE_FD(sfd));
        if (!d)
                return berth_error_set(err, errno, "read %s", dst);
        while (r >= 0 && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = engine_copy_tree(dirfd(d), de->d_name, dfd, de->d_name, true, err);
        closedir(d);
        return r < 0 ? berth_error_wrap(err, "fill volume %s from the image", dst) : 0;
}

int engine_volumes_fill(engine *e, const ctr_record *c, const char *dir, berth_error **err)
{
        _cleanup_free_ char *merged = xasprintf("%s/merged", dir),
                            *vroot = xasprintf("%s/volumes/", e->root);
        _cleanup_close_ int rootfd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        json_t *vols = json_object_get(c->opts, "volumes");
        size_t i;
        json_t *v;

        if (rootfd < 0)
                return berth_error_set(err, errno, "open %s", merged);
        json_array_foreach (vols, i, v) {
                _cleanup_strv_free_ char **f = strv_split(json_string_value(v) ?: "", ":");
                if (strv_length(f) != 3 || strncmp(f[0], vroot, strlen(vroot)) != 0)
                        continue; /* a bind of a host folder is never written to */
                if (fill_one(rootfd, f[0], f[1], err) < 0)
                        return -1;
        }
        return 0;
}
