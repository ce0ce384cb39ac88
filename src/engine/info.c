/* `info`: what this engine and host are, in Docker's key names (docker info --format json). */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "engine-internal.h"
#include "runtime/cgroup.h"

/* PRETTY_NAME of /etc/os-release, or "Linux". */
static char *os_name(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len;

        if (fs_read_file("/etc/os-release", &text, &len, NULL) < 0)
                return xstrdup("Linux");
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
                        char *v = line + 12;
                        size_t n = strlen(v);
                        if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
                                return xstrndup(v + 1, n - 2);
                        return xstrdup(v);
                }
        return xstrdup("Linux");
}

static const char *cgroup_version(void)
{
        cgroup *cg = NULL;
        const char *v = "1";

        if (cgroup_open("/berth-info", "info", &cg, NULL) >= 0 && streq(cgroup_driver_name(cg), "v2"))
                v = "2";
        cgroup_free(cg);
        return v;
}

int engine_info(engine *e, json_t **ret, berth_error **err)
{
        ctr_record **ctrs = NULL;
        image_record **imgs = NULL;
        int running = 0, paused = 0, stopped = 0, n_images = 0;
        struct utsname u;
        struct sysinfo si;
        char host[256] = "";
        int r;

        r = engine_list(e, &ctrs, err);
        if (r < 0)
                return r;
        for (ctr_record **c = ctrs; *c; c++) {
                if (streq((*c)->state, "running"))
                        running++;
                else if (streq((*c)->state, "paused"))
                        paused++;
                else
                        stopped++;
        }
        ctr_record_list_free(ctrs);
        r = image_store_list(e->images, &imgs, err);
        if (r < 0)
                return r;
        for (image_record **i = imgs; *i; i++)
                n_images++;
        image_record_list_free(imgs);
        uname(&u);
        sysinfo(&si);
        gethostname(host, sizeof(host) - 1);
        _cleanup_free_ char *os = os_name();
        *ret = json_pack("{s:i,s:i,s:i,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s,s:s}",
                         "Containers", running + paused + stopped, "ContainersRunning", running,
                         "ContainersPaused", paused, "ContainersStopped", stopped, "Images", n_images,
                         "ServerVersion", BERTH_VERSION, "Driver", e->driver->name, "LoggingDriver",
                         "json-file", "CgroupDriver", "cgroupfs", "CgroupVersion", cgroup_version(),
                         "KernelVersion", u.release, "OperatingSystem", os, "OSType", "linux",
                         "Architecture", u.machine, "NCPU", (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
                         (json_int_t)si.totalram * si.mem_unit, "DefaultRuntime", "berth-runtime", "Name",
                         host, "DockerRootDir", e->root, "RunRoot", e->runroot);
        return 0;
}
