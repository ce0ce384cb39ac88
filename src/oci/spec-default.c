/*
 * The default config.json that `spec` writes: the same document as `runc spec`, and with
 * rootless the changes `runc spec --rootless` makes (runc's specconv.ToRootless).
 */
#include <string.h>
#include <unistd.h>

#include "spec-internal.h"

static json_t *caps(void)
{
        return json_pack("[s, s, s]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
}

static json_t *default_process(void)
{
        return json_pack(
                "{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:o, s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], "
                "s:b}",
                "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd",
                "/", "capabilities", "bounding", caps(), "effective", caps(), "permitted", caps(), "ambient",
                caps(), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges",
                1);
}

static json_t *mount(const char *dest, const char *type, const char *source, json_t *options)
{
        json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);

        if (options)
                json_object_set_new(m, "options", options);
        return m;
}

static json_t *default_mounts(void)
{
        return json_pack(
                "[o, o, o, o, o, o, o]", mount("/proc", "proc", "proc", NULL),
                mount("/dev", "tmpfs", "tmpfs",
                      json_pack("[s, s, s, s]", "nosuid", "strictatime", "mode=755", "size=65536k")),
                mount("/dev/pts", "devpts", "devpts",
                      json_pack("[s, s, s, s, s, s]", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                "mode=0620", "gid=5")),
                mount("/dev/shm", "tmpfs", "shm",
                      json_pack("[s, s, s, s, s]", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                mount("/dev/mqueue", "mqueue", "mqueue",
                      json_pack("[s, s, s]", "nosuid", "noexec", "nodev")),
                mount("/sys", "sysfs", "sysfs",
                      json_pack("[s, s, s, s]", "nosuid", "noexec", "nodev", "ro")),
                mount("/sys/fs/cgroup", "cgroup", "cgroup",
                      json_pack("[s, s, s, s, s]", "nosuid", "noexec", "nodev", "relatime", "ro")));
}

static json_t *default_linux(void)
{
        return json_pack(
                "{s:{s:[{s:b, s:s}]}, s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:[s, s, s, s, s, s, s, s, s, "
                "s], s:[s, s, s, s, s]}",
                "resources", "devices", "allow", 0, "access", "rwm", "namespaces", "type", "pid", "type",
                "network", "type", "ipc", "type", "uts", "type", "mount", "maskedPaths", "/proc/acpi",
                "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "readonlyPaths",
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
}

/* No network namespace (a rootless user cannot configure one), a user namespace mapping the caller
 * to root, /sys bind-mounted, no uid=/gid= mount options and no cgroup resources. */
static void make_rootless(json_t *spec)
{
        json_t *linux_ = json_object_get(spec, "linux"), *nss = json_array(), *mounts = json_array();
        json_t *ns, *m;
        size_t i;

        json_array_foreach (json_object_get(linux_, "namespaces"), i, ns) {
                const char *t = json_string_value(json_object_get(ns, "type"));
                if (!streq(t, "network") && !streq(t, "user"))
                        json_array_append(nss, ns);
        }
        json_array_append_new(nss, json_pack("{s:s}", "type", "user"));
        json_object_del(linux_, "resources");
        json_object_set_new(linux_, "uidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)geteuid(),
                                      "size", 1));
        json_object_set_new(linux_, "gidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)getegid(),
                                      "size", 1));
        json_object_set_new(linux_, "namespaces", nss);

        json_array_foreach (json_object_get(spec, "mounts"), i, m) {
                json_t *opts = json_object_get(m, "options"), *keep = json_array(), *o;
                size_t k;

                if (streq(json_string_value(json_object_get(m, "destination")), "/sys")) {
                        json_array_append_new(mounts, mount("/sys", "none", "/sys",
                                                            json_pack("[s, s, s, s, s]", "rbind", "nosuid",
                                                                      "noexec", "nodev", "ro")));
                        json_decref(keep);
                        continue;
                }
                json_array_foreach (opts, k, o)
                        if (!strneq(json_string_value(o), "uid=", 4) &&
                            !strneq(json_string_value(o), "gid=", 4))
                                json_array_append(keep, o);
                if (opts)
                        json_object_set(m, "options", keep);
                json_decref(keep);
                json_array_append(mounts, m);
        }
        json_object_set_new(spec, "mounts", mounts);
}

json_t *oci_spec_default_json(bool rootless)
{
        json_t *spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2-dev",
                                 "process", default_process(), "root", "path", "rootfs", "readonly", 1,
                                 "hostname", "runc", "mounts", default_mounts(), "linux", default_linux());

        if (!spec)
                abort();
        if (rootless)
                make_rootless(spec);
        return spec;
}
