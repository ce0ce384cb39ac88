/* Test helper: write tar layers with libarchive, and temporary directories. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

typedef struct tar_entry {
        const char *path;
        mode_t type;      /* S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO; 0 = S_IFREG */
        mode_t perm;      /* 0 = 0644 (0755 for dirs) */
        const char *data; /* file content, symlink target, or hardlink target */
        bool hardlink;
        uid_t uid;
        gid_t gid;
        dev_t rdev;
        time_t mtime;
        const char *xattr_name, *xattr_value;
} tar_entry;

/* compression: "none", "gzip" or "zstd". Aborts on failure. */
void tar_write(const char *path, const char *compression, const tar_entry *entries, size_t n);
/* A fresh directory under /tmp named berth-test-*; caller frees. */
char *test_tmpdir(void);
void test_rmdir(const char *dir);
/* Create or replace a file with data. Aborts on failure. */
void test_put_file(const char *path, const char *data, size_t len);
