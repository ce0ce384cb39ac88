/* `berth info`: Docker's layout, or --format (a template or json). */
#include <errno.h>
#include <stdio.h>

#include "basic/jsonh.h"
#include "berth.h"
#include "engine/engine.h"

static void on_format(int letter, const char *arg, void *ud)
{
        *(const char **)ud = arg;
}

static const char *s(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k)) ?: "";
}

static long long n(json_t *o, const char *k)
{
        return (long long)json_integer_value(json_object_get(o, k));
}

int verb_info(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const flag flags[] = {{"format", 'f', true, "Format output using a Go-like template or json"},
                                     {}};
        const char *format = NULL;
        _cleanup_json_ json_t *i = NULL;
        int first = parse_flags("info", "info [OPTIONS]", "Display system-wide information", flags, argc,
                                argv, 0, on_format, &format);

        if (first <= 0)
                return first;
        if (first < argc)
                return usage_error("info", "accepts no arguments");
        if (berth_open_engine(ctx, err) < 0 || engine_info(ctx->engine, &i, err) < 0)
                return -EIO;
        if (format) {
                _cleanup_free_ char *out = format_template(format, i);
                puts(out);
                return 0;
        }
        double gib = (double)n(i, "MemTotal") / (1024.0 * 1024 * 1024);
        printf("Server:\n Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n Images: "
               "%lld\n"
               " Server Version: %s\n Storage Driver: %s\n Logging Driver: %s\n Cgroup Driver: %s\n"
               " Cgroup Version: %s\n Runtimes: berth-runtime\n Default Runtime: %s\n Kernel Version: %s\n"
               " Operating System: %s\n OSType: %s\n Architecture: %s\n CPUs: %lld\n Total Memory: %.2fGiB\n"
               " Name: %s\n Berth Root Dir: %s\n Run Root Dir: %s\n",
               n(i, "Containers"), n(i, "ContainersRunning"), n(i, "ContainersPaused"),
               n(i, "ContainersStopped"), n(i, "Images"), s(i, "ServerVersion"), s(i, "Driver"),
               s(i, "LoggingDriver"), s(i, "CgroupDriver"), s(i, "CgroupVersion"), s(i, "DefaultRuntime"),
               s(i, "KernelVersion"), s(i, "OperatingSystem"), s(i, "OSType"), s(i, "Architecture"),
               n(i, "NCPU"), gib, s(i, "Name"), s(i, "DockerRootDir"), s(i, "RunRoot"));
        return 0;
}
