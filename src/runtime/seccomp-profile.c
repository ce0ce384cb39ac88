/*
 * Docker's default seccomp profile, compiled into the binary, resolved into linux.seccomp for
 * this machine's architecture and a container's capabilities the way Docker resolves it.
 */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "basic/jsonh.h"
#include "seccomp.h"

/* data/seccomp-default.json, generated into the build by data/embed-json.py */
extern const char seccomp_default_json[];
extern const size_t seccomp_default_json_len;

/* libseccomp's native architecture as a profile names it: SCMP_ARCH_* and Go's arch name. */
static const struct {
        uint32_t token;
        const char *scmp, *go;
} native_arches[] = {
        {SCMP_ARCH_X86, "SCMP_ARCH_X86", "x86"},
        {SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64", "amd64"},
        {SCMP_ARCH_X32, "SCMP_ARCH_X32", "x32"},
        {SCMP_ARCH_ARM, "SCMP_ARCH_ARM", "arm"},
        {SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64", "arm64"},
        {SCMP_ARCH_MIPS, "SCMP_ARCH_MIPS", "mips"},
        {SCMP_ARCH_MIPS64, "SCMP_ARCH_MIPS64", "mips64"},
        {SCMP_ARCH_MIPS64N32, "SCMP_ARCH_MIPS64N32", "mips64n32"},
        {SCMP_ARCH_MIPSEL, "SCMP_ARCH_MIPSEL", "mipsel"},
        {SCMP_ARCH_MIPSEL64, "SCMP_ARCH_MIPSEL64", "mipsel64"},
        {SCMP_ARCH_MIPSEL64N32, "SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
        {SCMP_ARCH_PPC, "SCMP_ARCH_PPC", "ppc"},
        {SCMP_ARCH_PPC64, "SCMP_ARCH_PPC64", "ppc64"},
        {SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE", "ppc64le"},
        {SCMP_ARCH_S390, "SCMP_ARCH_S390", "s390"},
        {SCMP_ARCH_S390X, "SCMP_ARCH_S390X", "s390x"},
        {SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64", "riscv64"},
};

static bool strv_has(const char *const *l, const char *s)
{
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static bool json_strings_has(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach (arr, i, v)
                if (json_is_string(v) && streq(json_string_value(v), s))
                        return true;
        return false;
}

/* "4.8" against uname's release. */
static bool kernel_at_least(const char *version)
{
        struct utsname u;
        unsigned want_major = 0, want_minor = 0, major = 0, minor = 0;

        if (sscanf(version, "%u.%u", &want_major, &want_minor) < 1 || uname(&u) < 0 ||
            sscanf(u.release, "%u.%u", &major, &minor) < 1)
                return false;
        return major > want_major || (major == want_major && minor >= want_minor);
}

/* includes: every condition holds (all caps granted); excludes: any condition holds. */
static bool conditions_hold(json_t *cond, const char *arch, const char *const *caps, bool all)
{
        json_t *arches = json_object_get(cond, "arches"), *cl = json_object_get(cond, "caps");
        json_t *min_kernel = json_object_get(cond, "minKernel");
        size_t i;
        json_t *c;

        if (json_array_size(arches) > 0 && json_strings_has(arches, arch) != all)
                return !all;
        json_array_foreach (cl, i, c)
                if (strv_has(caps, json_string_value(c)) != all)
                        return !all;
        if (json_is_string(min_kernel) && kernel_at_least(json_string_value(min_kernel)) != all)
                return !all;
        return all;
}

static bool rule_applies(json_t *rule, const char *arch, const char *const *caps)
{
        json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");

        if (json_is_object(exc) && conditions_hold(exc, arch, caps, false))
                return false;
        return !json_is_object(inc) || conditions_hold(inc, arch, caps, true);
}

/* The OCI members of a rule, without Docker's includes, excludes and comment. */
static json_t *oci_rule(json_t *rule)
{
        static const char *const keep[] = {"names", "action", "errnoRet", "args"};
        json_t *out = json_object();

        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                json_t *v = json_object_get(rule, keep[i]);
                if (v)
                        json_object_set(out, keep[i], v);
        }
        return out;
}

static json_t *native_architectures(json_t *arch_map, const char *native)
{
        json_t *out = json_array(), *m;
        size_t i;

        json_array_foreach (arch_map, i, m) {
                json_t *a = json_object_get(m, "architecture"),
                       *sub = json_object_get(m, "subArchitectures");
                if (!json_is_string(a) || !streq(json_string_value(a), native))
                        continue;
                json_array_append(out, a);
                if (json_is_array(sub))
                        json_array_extend(out, sub);
                break;
        }
        return out;
}

int seccomp_default_profile(const char *const *caps, json_t **ret, berth_error **err)
{
        _cleanup_json_ json_t *doc = NULL, *out = NULL;
        const char *scmp = NULL, *go = NULL;
        json_t *syscalls, *rule, *list;
        uint32_t native = seccomp_arch_native();
        size_t i;
        int r;

        r = jsonh_parse(seccomp_default_json, seccomp_default_json_len, "built-in seccomp profile", &doc,
                        err);
        if (r < 0)
                return r;
        for (i = 0; i < ELEMENTSOF(native_arches); i++)
                if (native_arches[i].token == native) {
                        scmp = native_arches[i].scmp;
                        go = native_arches[i].go;
                }
        if (!scmp)
                return berth_error_set(err, 0, "built-in seccomp profile: unknown native architecture %#x",
                                       native);
        out = json_pack("{s:O, s:O}", "defaultAction", json_object_get(doc, "defaultAction"),
                        "defaultErrnoRet", json_object_get(doc, "defaultErrnoRet"));
        if (!out)
                return berth_error_set(err, 0, "built-in seccomp profile: no default action");
        json_object_set_new(out, "architectures",
                            native_architectures(json_object_get(doc, "archMap"), scmp));
        list = json_array();
        json_object_set_new(out, "syscalls", list);
        syscalls = json_object_get(doc, "syscalls");
        json_array_foreach (syscalls, i, rule)
                if (rule_applies(rule, go, caps))
                        json_array_append_new(list, oci_rule(rule));
        *ret = TAKE_PTR(out);
        return 0;
}
