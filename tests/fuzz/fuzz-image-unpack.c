/* Fuzz target: the layer unpacker on arbitrary (maybe compressed) tars. It runs as root into a
 * scratch directory and checks the containment promise: nothing may appear next to the layer. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "image/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mem {
        const uint8_t *data;
        size_t size, off;
} mem;

static ssize_t mem_read(void *userdata, void *buf, size_t len)
{
        mem *m = userdata;
        size_t n = m->size - m->off < len ? m->size - m->off : len;

        memcpy(buf, m->data + m->off, n);
        m->off += n;
        return (ssize_t)n;
}

static size_t entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, ".."));
        if (d)
                closedir(d);
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char tmp[] = "/tmp/berth-fuzz-unpack-XXXXXX";
        mem m = {data, size, 0};
        _cleanup_free_ char *layer = NULL;
        int fd;

        if (!mkdtemp(tmp))
                abort();
        layer = xasprintf("%s/layer", tmp);
        if (mkdir(layer, 0755) < 0 || (fd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                abort();
        image_unpack(mem_read, &m, NULL, fd, NULL, NULL);
        close(fd);
        if (entries(tmp) != 1) /* only layer/ */
                abort();
        fs_rm_rf(tmp, NULL);
        return 0;
}
