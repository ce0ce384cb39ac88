/* --mount type=bind|volume|tmpfs,src=,dst=,ro,... (Docker's syntax) into the -v and --tmpfs
 * forms the engine keeps, so both spellings take one path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/strv.h"
#include "berth.h"
#include "engine/engine.h"

typedef struct mount_opt {
        const char *type, *src, *dst;
        bool ro;
        char *tmpfs_opts; /* ",size=N,mode=M" */
} mount_opt;

static int bool_value(const char *key, const char *v, bool *ret)
{
        if (!v || streq(v, "true") || streq(v, "1")) {
                *ret = true;
                return 0;
        }
        if (streq(v, "false") || streq(v, "0")) {
                *ret = false;
                return 0;
        }
        return usage_error("run", "--mount: invalid value for %s: %s", key, v);
}

static int one_key(mount_opt *m, char *kv)
{
        char *v = strchr(kv, '=');
        int64_t n;

        if (v)
                *v++ = 0;
        if (streq(kv, "type") && v)
                m->type = v;
        else if ((streq(kv, "source") || streq(kv, "src")) && v)
                m->src = v;
        else if ((streq(kv, "destination") || streq(kv, "dst") || streq(kv, "target")) && v)
                m->dst = v;
        else if (streq(kv, "readonly") || streq(kv, "ro"))
                return bool_value(kv, v, &m->ro);
        else if (streq(kv, "volume-nocopy")) {
                bool ignored;
                return bool_value(kv, v, &ignored);
        } else if (streq(kv, "tmpfs-size") && v) {
                if (parse_size("run", "--mount tmpfs-size", v, &n) < 0)
                        return -EINVAL;
                char *t = xasprintf("%s,size=%lld", m->tmpfs_opts ?: "", (long long)n);
                free(m->tmpfs_opts);
                m->tmpfs_opts = t;
        } else if (streq(kv, "tmpfs-mode") && v && strspn(v, "01234567") == strlen(v) && *v) {
                char *t = xasprintf("%s,mode=%s", m->tmpfs_opts ?: "", v);
                free(m->tmpfs_opts);
                m->tmpfs_opts = t;
        } else
                return usage_error("run", "--mount: unexpected key or value: %s%s%s", kv, v ? "=" : "",
                                   v ?: "");
        return 0;
}

static int to_run_opts(const char *spec, mount_opt *m, run_opts *o)
{
        struct stat st;

        if (!m->dst || m->dst[0] != '/')
                return usage_error("run", "--mount %s: target must be an absolute path", spec);
        if (streq(m->type, "bind")) {
                if (!m->src || m->src[0] != '/')
                        return usage_error("run", "--mount %s: a bind needs an absolute source", spec);
                if (stat(m->src, &st) < 0)
                        return usage_error("run", "--mount %s: bind source path does not exist: %s", spec,
                                           m->src);
                strv_consume(&o->volumes, xasprintf("%s:%s:%s", m->src, m->dst, m->ro ? "ro" : "rw"));
        } else if (streq(m->type, "volume")) {
                if (m->src && !engine_name_valid(m->src))
                        return usage_error("run", "--mount %s: invalid volume name %s", spec, m->src);
                if (m->src)
                        strv_consume(&o->volumes,
                                     xasprintf("%s:%s:%s", m->src, m->dst, m->ro ? "ro" : "rw"));
                else
                        strv_consume(&o->volumes, xasprintf("%s%s", m->dst, m->ro ? ":ro" : ""));
        } else if (streq(m->type, "tmpfs")) {
                if (m->src)
                        return usage_error("run", "--mount %s: a tmpfs has no source", spec);
                _cleanup_free_ char *opts = xasprintf("%s%s", m->ro ? ",ro" : "", m->tmpfs_opts ?: "");
                strv_consume(&o->tmpfs,
                             xasprintf("%s%s%s", m->dst, *opts ? ":" : "", *opts ? opts + 1 : ""));
        } else
                return usage_error("run", "--mount %s: type must be bind, volume or tmpfs", spec);
        return 0;
}

int run_mount_option(run_opts *o, const char *spec)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        mount_opt m = {.type = "volume"};
        char *save = NULL;
        int r = 0;

        for (char *kv = strtok_r(copy, ",", &save); kv && r >= 0; kv = strtok_r(NULL, ",", &save))
                r = one_key(&m, kv);
        if (r >= 0 && m.tmpfs_opts && !streq(m.type, "tmpfs"))
                r = usage_error("run", "--mount %s: tmpfs options need type=tmpfs", spec);
        if (r >= 0)
                r = to_run_opts(spec, &m, o);
        free(m.tmpfs_opts);
        return r;
}
