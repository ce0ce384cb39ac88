/* pause, resume, ps, update, features: verbs that act on a container's cgroup or describe us. */
#include <string.h>

#include "container.h"
#include "cgroup.h"
#include "linux.h"
#include "state.h"
#include "basic/jsonh.h"
#include "oci/spec.h"

static int open_running(const char *root, const char *id, container_state **ret_st, cgroup **ret_cg,
                        enum runtime_status *ret_status, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        enum runtime_status s;

        if (state_load(root, id, &st, err) < 0)
                return -1;
        s = state_status(st);
        if (s == RUNTIME_STOPPED)
                return berth_error_set(err, 0, "container %s is not running", id);
        if (!st->cgroup_path)
                return berth_error_set(err, 0, "container %s has no cgroup", id);
        if (cgroup_open(st->cgroup_path, id, ret_cg, err) < 0)
                return -1;
        *ret_status = s;
        if (ret_st)
                *ret_st = TAKE_PTR(st);
        return 0;
}

int runtime_pause(const char *root, const char *id, berth_error **err)
{
        _cleanup_cgroup_ cgroup *cg = NULL;
        enum runtime_status s;

        if (open_running(root, id, NULL, &cg, &s, err) < 0)
                return -1;
        if (s != RUNTIME_RUNNING && s != RUNTIME_CREATED)
                return berth_error_set(err, 0, "container %s is %s, not running", id,
                                       runtime_status_name(s));
        return cgroup_freeze(cg, true, err);
}

int runtime_resume(const char *root, const char *id, berth_error **err)
{
        _cleanup_cgroup_ cgroup *cg = NULL;
        enum runtime_status s;

        if (open_running(root, id, NULL, &cg, &s, err) < 0)
                return -1;
        if (s != RUNTIME_PAUSED)
                return berth_error_set(err, 0, "container %s is not paused", id);
        return cgroup_freeze(cg, false, err);
}

int runtime_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_state_ container_state *st = NULL;
        _cleanup_cgroup_ cgroup *cg = NULL;

        if (state_load(root, id, &st, err) < 0)
                return -1;
        if (state_status(st) == RUNTIME_STOPPED || !st->cgroup_path) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (cgroup_open(st->cgroup_path, id, &cg, err) < 0)
                return -1;
        return cgroup_pids(cg, ret, ret_n, err);
}

int runtime_update(const char *root, const char *id, json_t *resources, berth_error **err)
{
        _cleanup_cgroup_ cgroup *cg = NULL;
        oci_resources *res = NULL;
        enum runtime_status s;
        int r;

        if (oci_resources_from_json(resources, "resources", &res, err) < 0)
                return -1;
        r = open_running(root, id, NULL, &cg, &s, err);
        if (r >= 0)
                r = cgroup_apply(cg, res, err);
        oci_resources_free(res);
        return r;
}

json_t *runtime_features(void)
{
        json_t *ns = json_array(), *mount_opts;
        static const char *const opts[] = {
                "async",
                "atime",
                "bind",
                "defaults",
                "dev",
                "diratime",
                "dirsync",
                "exec",
                "iversion",
                "lazytime",
                "loud",
                "mand",
                "noatime",
                "nodev",
                "nodiratime",
                "noexec",
                "noiversion",
                "nolazytime",
                "nomand",
                "norelatime",
                "nostrictatime",
                "nosuid",
                "nosymfollow",
                "private",
                "ratime",
                "rbind",
                "rdev",
                "rdiratime",
                "relatime",
                "remount",
                "rexec",
                "rnoatime",
                "rnodev",
                "rnodiratime",
                "rnoexec",
                "rnorelatime",
                "rnostrictatime",
                "rnosuid",
                "rnosymfollow",
                "ro",
                "rprivate",
                "rrelatime",
                "rro",
                "rrw",
                "rshared",
                "rslave",
                "rstrictatime",
                "rsuid",
                "rsymfollow",
                "runbindable",
                "rw",
                "shared",
                "silent",
                "slave",
                "strictatime",
                "suid",
                "symfollow",
                "sync",
                "unbindable",
        };

        for (int t = 0; t < OCI_NS__MAX; t++)
                json_array_append_new(ns, json_string(oci_ns_type_name((enum oci_ns_type)t)));
        mount_opts = json_array();
        for (size_t i = 0; i < ELEMENTSOF(opts); i++)
                json_array_append_new(mount_opts, json_string(opts[i]));
        return json_pack("{s:s,s:s,s:o,s:o,s:{s:o,s:{s:b,s:b,s:b},s:{s:b},s:{s:b}},s:{}}", "ociVersionMin",
                         "1.0.0", "ociVersionMax", "1.2.0", "hooks",
                         json_pack("[ssssss]", "prestart", "createRuntime", "createContainer",
                                   "startContainer", "poststart", "poststop"),
                         "mountOptions", mount_opts, "linux", "namespaces", ns, "cgroup", "v1", 1, "v2", 1,
                         "systemd", 0, "apparmor", "enabled", 0, "selinux", "enabled", 0, "annotations");
}
