/* Fuzz target: `load` of an arbitrary archive into a scratch store (docker-archive and
 * oci-archive readers, manifest.json, index.json). Layer directories go to a scratch layer dir. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "basic/fs.h"
#include "image/archives.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *root;
static unsigned counter;

static bool sink_exists(void *ud, const char *chain)
{
        return false;
}

static int sink_begin(void *ud, int *ret_dirfd, void **ret_token, berth_error **err)
{
        char *dir = xasprintf("%s/l%u", root, counter++);
        mkdir(dir, 0755);
        *ret_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *ret_token = dir;
        return *ret_dirfd < 0 ? -errno : 0;
}

static int sink_commit(void *ud, void *token, const char *chain, const char *parent,
                       const unpack_result *res, berth_error **err)
{
        fs_rm_rf(token, NULL);
        free(token);
        return 0;
}

static void sink_abort(void *ud, void *token)
{
        fs_rm_rf(token, NULL);
        free(token);
}

static int sink_sizes(void *ud, const char *chain, uint64_t *size, uint64_t *tar_size, berth_error **err)
{
        *size = *tar_size = 0;
        return 0;
}

static int sink_list(void *ud, char ***ret, berth_error **err)
{
        *ret = xcalloc(1, sizeof(char *));
        return 0;
}

static int sink_remove(void *ud, const char *chain, berth_error **err)
{
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char tmp[] = "/tmp/berth-fuzz-load-XXXXXX";
        layer_sink sink = {NULL,       sink_exists, sink_begin, sink_commit,
                           sink_abort, sink_sizes,  sink_list,  sink_remove};
        image_store *s = NULL;
        int fd = memfd_create("berth-fuzz", MFD_CLOEXEC);

        if (fd < 0 || !mkdtemp(tmp) || fs_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                abort();
        root = tmp;
        if (image_store_open(tmp, &sink, &s, NULL) < 0)
                abort();
        image_load_options o = {.fd = fd};
        image_load(s, &o, NULL, NULL, NULL);
        image_store_free(s);
        close(fd);
        fs_rm_rf(tmp, NULL);
        return 0;
}
