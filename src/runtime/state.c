/* State directories of the runtime's containers. */
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "state.h"
#include "cgroup.h"
#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/proc.h"
#include "basic/strv.h"

const char *runtime_status_name(enum runtime_status s)
{
        static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
        return names[s];
}

int state_dir_create(const char *root, const char *id, char **ret_dir, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);

        if (mkdir(root, 0700) < 0 && errno != EEXIST) {
                int r = fs_mkdir_p(root, 0700, err);
                if (r < 0)
                        return r;
        }
        if (mkdir(dir, 0700) < 0) {
                if (errno == EEXIST)
                        return berth_error_set(err, 0, "container %s already exists", id);
                return berth_error_set(err, errno, "create state directory %s", dir);
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

int state_lock(const char *dir, berth_error **err)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return berth_error_set(err, errno, "open %s", dir);
        if (flock(fd, LOCK_EX) < 0) {
                int e = errno;
                close(fd);
                return berth_error_set(err, e, "lock %s", dir);
        }
        return fd;
}

char *state_fifo_path(const container_state *st)
{
        return xasprintf("%s/exec.fifo", st->dir);
}

char *state_start_fifo_path(const container_state *st)
{
        return xasprintf("%s/start.fifo", st->dir);
}

char *state_now_rfc3339(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

int state_save(const container_state *st, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/state.json", st->dir), *text = NULL;
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I}", "id", st->id, "bundle", st->bundle,
                              "rootfs", st->rootfs, "created", st->created, "owner", st->owner, "cgroupPath",
                              strempty(st->cgroup_path), "pid", (int)st->pid, "startTime",
                              (json_int_t)st->start_time);

        if (st->cgroup_created)
                json_object_set_new(j, "cgroupCreated", jsonh_from_strv(st->cgroup_created));
        if (st->config)
                json_object_set(j, "config", st->config);
        text = jsonh_dump(j, false);
        json_decref(j);
        return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}

int state_load(const char *root, const char *id, container_state **ret, berth_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", root, id);
        _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
        _cleanup_json_ json_t *j = NULL;
        _cleanup_strv_free_ char **cg_created = NULL;
        container_state *st;
        json_int_t pid = 0, start = 0;
        json_error_t je;
        const char *bundle = "", *rootfs = "", *created = "", *owner = "", *cg = "";

        if (runtime_check_id(id, err) < 0)
                return -EINVAL;
        j = json_load_file(path, 0, &je);
        if (!j) {
                if (access(dir, F_OK) < 0)
                        return berth_error_set(err, ENOENT, "container %s does not exist", id);
                return berth_error_set(err, 0, "container %s: state %s is unreadable: %s", id, path,
                                       je.text);
        }
        if (json_unpack_ex(j, &je, 0, "{s?s,s?s,s?s,s?s,s?s,s?I,s?I}", "bundle", &bundle, "rootfs", &rootfs,
                           "created", &created, "owner", &owner, "cgroupPath", &cg, "pid", &pid, "startTime",
                           &start) < 0)
                return berth_error_set(err, 0, "container %s: state %s: %s", id, path, je.text);
        if (jsonh_get_strv(j, path, "cgroupCreated", false, &cg_created, err) < 0)
                return -1;
        st = xcalloc(1, sizeof(*st));
        st->cgroup_created = TAKE_PTR(cg_created);
        st->id = xstrdup(id);
        st->root = xstrdup(root);
        st->dir = TAKE_PTR(dir);
        st->bundle = xstrdup(bundle);
        st->rootfs = xstrdup(rootfs);
        st->created = xstrdup(created);
        st->owner = xstrdup(owner);
        st->cgroup_path = *cg ? xstrdup(cg) : NULL;
        st->pid = (pid_t)pid;
        st->start_time = (unsigned long long)start;
        st->config = json_incref(json_object_get(j, "config"));
        *ret = st;
        return 0;
}

enum runtime_status state_status(const container_state *st)
{
        _cleanup_free_ char *fifo = NULL;

        if (st->pid <= 0)
                return RUNTIME_CREATING;
        if (!proc_is_alive(st->pid, st->start_time))
                return RUNTIME_STOPPED;
        fifo = state_fifo_path(st);
        if (access(fifo, F_OK) == 0)
                return RUNTIME_CREATED;
        if (st->cgroup_path) {
                _cleanup_cgroup_ cgroup *cg = NULL;
                bool frozen = false;
                if (cgroup_open(st->cgroup_path, st->id, &cg, NULL) == 0 &&
                    cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
                        return RUNTIME_PAUSED;
        }
        return RUNTIME_RUNNING;
}

json_t *state_to_oci_json(const container_state *st, enum runtime_status status)
{
        json_t *annotations = st->config ? json_object_get(st->config, "annotations") : NULL;
        json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "ociVersion", "1.2.0", "id", st->id,
                              "status", runtime_status_name(status), "pid",
                              status == RUNTIME_STOPPED ? 0 : (int)st->pid, "bundle", st->bundle, "rootfs",
                              st->rootfs, "created", st->created, "owner", st->owner);

        if (annotations && json_object_size(annotations) > 0)
                json_object_set(j, "annotations", annotations);
        return j;
}

void container_state_free(container_state *st)
{
        if (!st)
                return;
        free(st->id);
        free(st->root);
        free(st->dir);
        free(st->bundle);
        free(st->rootfs);
        free(st->created);
        free(st->owner);
        free(st->cgroup_path);
        strv_free(st->cgroup_created);
        json_decref(st->config);
        free(st);
}
