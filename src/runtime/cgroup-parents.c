/*
 * The parents of a container's cgroup that the runtime made for a nested cgroupsPath ("/a/b/c"):
 * remembered in the container's state and removed on delete once empty, so that nothing is left
 * behind; a parent the runtime did not make, or one that still holds cgroups, is never removed.
 */
#include <string.h>
#include <unistd.h>

#include "basic/strv.h"
#include "runtime/cgroup-internal.h"

char *const *cgroup_created_parents(const cgroup *cg)
{
        return cg->created;
}

/* dir is "<a hierarchy's mount><a proper prefix of the leaf's path, ending at a '/'>". */
static bool is_parent_of_leaf(const cgroup *cg, const char *dir)
{
        for (size_t h = 0; h < cg->host->n; h++) {
                const char *mount = cg->host->h[h].mount;
                size_t mlen = strlen(mount);
                if (!strneq(dir, mount, mlen) || dir[mlen] != '/')
                        continue;
                size_t rlen = strlen(dir + mlen);
                if (strneq(cg->path, dir + mlen, rlen) && cg->path[rlen] == '/')
                        return true;
        }
        return false;
}

void cgroup_set_created_parents(cgroup *cg, char *const *dirs)
{
        strv_free(cg->created);
        cg->created = NULL;
        STRV_FOREACH (d, (char **)dirs)
                if (is_parent_of_leaf(cg, *d))
                        strv_push(&cg->created, *d);
}

void cgroup_remove_created_parents(cgroup *cg)
{
        /* Deepest first. rmdir(2) refuses a cgroup that has children or processes (EBUSY): a
         * parent another container still uses stays, and its creator's delete is not ours. */
        for (size_t i = strv_length(cg->created); i-- > 0;)
                (void)rmdir(cg->created[i]);
}
