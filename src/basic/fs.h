/* fd and path helpers. Every path inside a rootfs or layer goes through fs_*_in_root (openat2). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): ".." and absolute
 * symlinks are clamped to rootfd, so nothing resolves outside it. Returns the fd. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, berth_error **err);

/* Create every missing directory of path inside rootfd (symlinks resolved inside the root) and
 * return an O_PATH fd of the last one in *ret_fd (when not NULL). */
int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, berth_error **err);

/* Create an empty regular file at path inside rootfd (parents too), unless something exists
 * there already. Returns an O_PATH fd of it in *ret_fd (when not NULL). */
int fs_touch_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, berth_error **err);

/* mkdir -p on the host. */
int fs_mkdir_p(const char *path, mode_t mode, berth_error **err);

/* Whole file into a NUL-terminated buffer. */
int fs_read_file(const char *path, char **ret, size_t *ret_len, berth_error **err);
int fs_read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len, berth_error **err);

/* Write (truncate) a small file, e.g. a cgroup or /proc knob. */
int fs_write_file(const char *path, const char *data, size_t len, berth_error **err);
int fs_write_file_at(int dirfd, const char *path, const char *data, size_t len, berth_error **err);

/* Temporary file in the same directory, fsync, rename: readers see the old or the new file. */
int fs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, berth_error **err);

/* rm -rf that never crosses into another mount or follows a symlink. */
int fs_rm_rf(const char *path, berth_error **err);
int fs_rm_rf_at(int dirfd, const char *name, berth_error **err);

/* Join and normalise ("a//b/../c" -> "a/c"); keeps a leading "/". Caller frees. */
char *fs_path_join(const char *a, const char *b);
char *fs_path_normalize(const char *path);

/* Loop on EINTR and short writes. */
int fs_write_all(int fd, const void *buf, size_t len);
ssize_t fs_read_all(int fd, void *buf, size_t len);

/* Mark every fd >= from close-on-exec (close_range with CLOSE_RANGE_CLOEXEC). */
int fs_cloexec_from(int from);
