/*
 * "tmpcopyup" (crun's option): a tmpfs mounted over a directory of the image starts with a
 * copy of what it covers. The copy walks with *at calls and O_NOFOLLOW, so a symlink in the
 * image is copied as a symlink and never followed.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "mount-internal.h"

static int copy_tree(int from, int to, const char *dest, berth_error **err);

static int copy_file(int from, int to, const char *name, const struct stat *st, const char *dest,
                     berth_error **err)
{
        _cleanup_close_ int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int out = -EBADF;
        char buf[65536];
        ssize_t n;

        if (in < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
        if (out < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        if (n < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        return 0;
}

static int copy_symlink(int from, int to, const char *name, const char *dest, berth_error **err)
{
        char target[4096];
        ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);

        if (n < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        target[n] = 0;
        if (symlinkat(target, to, name) < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        return 0;
}

static int copy_dir(int from, int to, const char *name, const struct stat *st, const char *dest,
                    berth_error **err)
{
        _cleanup_close_ int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int sub_to = -EBADF;

        if (sub_from < 0 || mkdirat(to, name, st->st_mode & 07777) < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_to < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        return copy_tree(sub_from, sub_to, dest, err);
}

static int copy_entry(int from, int to, const char *name, const char *dest, berth_error **err)
{
        struct stat st;
        int r;

        if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        if (S_ISDIR(st.st_mode))
                r = copy_dir(from, to, name, &st, dest, err);
        else if (S_ISREG(st.st_mode))
                r = copy_file(from, to, name, &st, dest, err);
        else if (S_ISLNK(st.st_mode))
                r = copy_symlink(from, to, name, dest, err);
        else if (mknodat(to, name, st.st_mode, st.st_rdev) < 0)
                r = berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        else
                r = 0;
        if (r < 0)
                return r;
        /* EINVAL: an owner the user namespace does not map; the copy keeps ours. */
        if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        if (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0)
                return berth_error_set(err, errno, "tmpcopyup %s/%s", dest, name);
        return 0;
}

static int copy_tree(int from, int to, const char *dest, berth_error **err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd = dup(from);

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return berth_error_set(err, errno, "tmpcopyup %s", dest);
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                int r = copy_entry(from, to, de->d_name, dest, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int mount_copy_up(int target_fd, int mfd, const char *dest, berth_error **err)
{
        _cleanup_close_ int from = openat(target_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int to = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;

        if (from < 0 || to < 0 || fstat(from, &st) < 0)
                return berth_error_set(err, errno, "tmpcopyup %s", dest);
        /* The tmpfs root takes the covered directory's owner and mode, as crun does. */
        if ((fchown(to, st.st_uid, st.st_gid) < 0 && errno != EINVAL) || fchmod(to, st.st_mode & 07777) < 0)
                return berth_error_set(err, errno, "tmpcopyup %s", dest);
        return copy_tree(from, to, dest, err);
}
