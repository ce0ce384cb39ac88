/* Test helper: write tar layers with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "image-tar-helper.h"

void tar_write(const char *path, const char *compression, const tar_entry *entries, size_t n)
{
        struct archive *a = archive_write_new();

        archive_write_set_format_pax_restricted(a);
        if (streq(compression, "gzip"))
                archive_write_add_filter_gzip(a);
        else if (streq(compression, "zstd"))
                archive_write_add_filter_zstd(a);
        if (archive_write_open_filename(a, path) != ARCHIVE_OK)
                abort();
        for (size_t i = 0; i < n; i++) {
                const tar_entry *t = &entries[i];
                struct archive_entry *e = archive_entry_new();
                mode_t type = t->type ? t->type : S_IFREG;
                archive_entry_set_pathname(e, t->path);
                archive_entry_set_filetype(e, type);
                archive_entry_set_perm(e, t->perm ? t->perm : type == S_IFDIR ? 0755 : 0644);
                archive_entry_set_uid(e, t->uid);
                archive_entry_set_gid(e, t->gid);
                archive_entry_set_mtime(e, t->mtime ? t->mtime : 1700000000, 0);
                if (t->hardlink)
                        archive_entry_set_hardlink(e, t->data);
                else if (type == S_IFLNK)
                        archive_entry_set_symlink(e, t->data);
                if (type == S_IFCHR || type == S_IFBLK)
                        archive_entry_set_rdev(e, t->rdev);
                if (t->xattr_name)
                        archive_entry_xattr_add_entry(e, t->xattr_name, t->xattr_value,
                                                      strlen(t->xattr_value));
                size_t len = (type == S_IFREG && !t->hardlink && t->data) ? strlen(t->data) : 0;
                archive_entry_set_size(e, (la_int64_t)len);
                if (archive_write_header(a, e) != ARCHIVE_OK)
                        abort();
                if (len && archive_write_data(a, t->data, len) != (la_ssize_t)len)
                        abort();
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
}

char *test_tmpdir(void)
{
        char *d = xstrdup("/tmp/berth-test-XXXXXX");

        if (!mkdtemp(d))
                abort();
        return d;
}

void test_rmdir(const char *dir)
{
        fs_rm_rf(dir, NULL);
}

void test_put_file(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "we");

        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
                abort();
}
