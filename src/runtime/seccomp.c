/*
 * linux.seccomp to a BPF program (with libseccomp, in the parent, optionally cached on disk)
 * and the program into the kernel (with seccomp(2), in the child). Also the notify fd hand-off
 * to a seccomp agent.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "seccomp.h"

#define SYSCALL_MAX_ARGS 6
#define CACHE_MAGIC      "BERTHBPF1\n"
#define CACHE_MAX_SIZE   (4u << 20)
#define MAX_ARCHES       32

struct seccomp_plan {
        struct sock_filter *insns;
        size_t n_insns;
        unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
        bool notify;
};

static const struct {
        const char *name;
        uint32_t action; /* ERRNO and TRACE get their data added */
} actions[] = {
        {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG},
        {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

static const struct {
        const char *name;
        enum scmp_compare op;
} operators[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* Flags are applied by seccomp(2) itself, so they do not depend on libseccomp's version. */
static const struct {
        const char *name;
        unsigned flag;
} filter_flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

/* "SCMP_ACT_ERRNO" with errnoRet (EPERM when unset) to libseccomp's action value. */
static int parse_action(const char *name, const oci_opt_uint *errno_ret, const char *action_path,
                        const char *errno_path, uint32_t *ret, berth_error **err)
{
        for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
                uint32_t act = actions[i].action;

                if (!streq(name, actions[i].name))
                        continue;
                if (act == SCMP_ACT_ERRNO(0) || act == SCMP_ACT_TRACE(0)) {
                        uint64_t e = errno_ret->set ? errno_ret->value : EPERM;
                        if (e > 0xffff)
                                return berth_error_set(err, 0, "%s: %llu is out of range (0-65535)",
                                                       errno_path, (unsigned long long)e);
                        act |= (uint32_t)e;
                }
                *ret = act;
                return 0;
        }
        return berth_error_set(err, 0, "%s: unknown action \"%s\"", action_path, name);
}

static int parse_operator(const char *name, const char *path, enum scmp_compare *ret, berth_error **err)
{
        for (size_t i = 0; i < ELEMENTSOF(operators); i++)
                if (name && streq(name, operators[i].name)) {
                        *ret = operators[i].op;
                        return 0;
                }
        return berth_error_set(err, 0, "%s.op: unknown operator \"%s\"", path, strempty(name));
}

/* "SCMP_ARCH_X86_64" to libseccomp's token through its own name table ("x86_64"). */
static int parse_arch(const char *name, const char *path, uint32_t *ret, berth_error **err)
{
        char lower[64];
        uint32_t arch;
        size_t i;

        if (!strneq(name, "SCMP_ARCH_", 10) || strlen(name + 10) >= sizeof(lower))
                return berth_error_set(err, 0, "%s: unknown architecture \"%s\"", path, name);
        for (i = 0; name[10 + i]; i++)
                lower[i] = (char)tolower((unsigned char)name[10 + i]);
        lower[i] = 0;
        arch = seccomp_arch_resolve_name(lower);
        if (arch == 0)
                return berth_error_set(err, 0, "%s: unknown architecture \"%s\"", path, name);
        *ret = arch;
        return 0;
}

static int parse_flags(const oci_seccomp *s, unsigned *ret, berth_error **err)
{
        unsigned flags = 0;
        size_t n = 0;

        STRV_FOREACH (f, s->flags) {
                size_t i;
                for (i = 0; i < ELEMENTSOF(filter_flags); i++)
                        if (streq(*f, filter_flags[i].name))
                                break;
                if (i == ELEMENTSOF(filter_flags))
                        return berth_error_set(err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", n,
                                               *f);
                flags |= filter_flags[i].flag;
                n++;
        }
        *ret = flags;
        return 0;
}

static int build_conditions(const oci_seccomp_syscall *sc, const char *path, struct scmp_arg_cmp *cmps,
                            bool *ret_shared_index, berth_error **err)
{
        unsigned counts[SYSCALL_MAX_ARGS] = {0};
        bool shared = false;

        if (sc->n_args > SYSCALL_MAX_ARGS * 8)
                return berth_error_set(err, 0, "%s.args: too many conditions (%zu)", path, sc->n_args);
        for (size_t i = 0; i < sc->n_args; i++) {
                const oci_seccomp_arg *a = &sc->args[i];
                _cleanup_free_ char *apath = xasprintf("%s.args[%zu]", path, i);
                enum scmp_compare op = SCMP_CMP_EQ;
                int r;

                if (a->index >= SYSCALL_MAX_ARGS)
                        return berth_error_set(err, 0, "%s.index: %u is out of range (0-5)", apath,
                                               a->index);
                r = parse_operator(a->op, apath, &op, err);
                if (r < 0)
                        return r;
                cmps[i] = (struct scmp_arg_cmp){
                        .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
                if (++counts[a->index] > 1)
                        shared = true;
        }
        *ret_shared_index = shared;
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, const char *path, const char *name, uint32_t act,
                    const struct scmp_arg_cmp *cmps, size_t n_cmps, bool one_rule_per_arg, berth_error **err)
{
        int nr = seccomp_syscall_resolve_name(name);
        int r = 0;

        /* Unknown to libseccomp: a syscall of a newer kernel or another arch; runc skips it too. */
        if (nr == __NR_SCMP_ERROR)
                return 0;
        if (!one_rule_per_arg)
                r = seccomp_rule_add_array(ctx, act, nr, (unsigned)n_cmps, cmps);
        else
                for (size_t i = 0; i < n_cmps && r >= 0; i++)
                        r = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[i]);
        if (r < 0)
                return berth_error_set(err, -r, "%s: add rule for syscall \"%s\"", path, name);
        return 0;
}

static int add_syscall_block(scmp_filter_ctx ctx, const oci_seccomp_syscall *sc, size_t idx,
                             uint32_t default_act, bool *has_notify, berth_error **err)
{
        _cleanup_free_ char *path = xasprintf("linux.seccomp.syscalls[%zu]", idx);
        _cleanup_free_ char *apath = xasprintf("%s.action", path), *epath = xasprintf("%s.errnoRet", path);
        struct scmp_arg_cmp cmps[SYSCALL_MAX_ARGS * 8];
        bool shared = false;
        uint32_t act;
        size_t j = 0;
        int r;

        r = parse_action(strempty(sc->action), &sc->errno_ret, apath, epath, &act, err);
        if (r < 0)
                return r;
        r = build_conditions(sc, path, cmps, &shared, err);
        if (r < 0)
                return r;
        if (act == SCMP_ACT_NOTIFY)
                *has_notify = true;
        STRV_FOREACH (name, sc->names) {
                if (!**name)
                        return berth_error_set(err, 0, "%s.names[%zu]: empty syscall name", path, j);
                /* runc's child writes its sync pipe after loading the filter; so may ours. */
                if (act == SCMP_ACT_NOTIFY && streq(*name, "write"))
                        return berth_error_set(
                                err, 0, "%s.names[%zu]: SCMP_ACT_NOTIFY cannot be used for write", path, j);
                /* Redundant with the default; libseccomp would refuse it. */
                if (act != default_act) {
                        r = add_rule(ctx, path, *name, act, cmps, sc->n_args, shared, err);
                        if (r < 0)
                                return r;
                }
                j++;
        }
        return 0;
}

static size_t count_names(const oci_seccomp *s)
{
        size_t n = 0;
        for (size_t i = 0; i < s->n_syscalls; i++)
                n += strv_length(s->syscalls[i].names);
        return n;
}

/* The filter and its architectures (the native one first). */
static int filter_new(const oci_seccomp *s, uint32_t default_act, scmp_filter_ctx *ret, uint32_t *arches,
                      size_t *n_arches, berth_error **err)
{
        scmp_filter_ctx ctx;
        size_t i = 0;
        int r;

        ctx = seccomp_init(default_act);
        if (!ctx)
                return berth_error_set(err, 0, "linux.seccomp.defaultAction: libseccomp refuses \"%s\"",
                                       s->default_action);
        arches[0] = seccomp_arch_native();
        *n_arches = 1;
        /* no_new_privs is process.noNewPrivileges' business, not the filter's. */
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        /* A binary tree over syscall numbers: fewer instructions run per syscall, and a faster
         * load (the kernel runs every syscall number through a new filter to build its cache).
         * runc's threshold, counted as runc counts: one rule per name. libseccomp <= 2.5.4
         * misbehaves with the tree and no rules. */
        if (count_names(s) > 32)
                (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        STRV_FOREACH (a, s->architectures) {
                _cleanup_free_ char *path = xasprintf("linux.seccomp.architectures[%zu]", i++);
                uint32_t arch = 0;

                r = parse_arch(*a, path, &arch, err);
                if (r >= 0) {
                        r = seccomp_arch_add(ctx, arch);
                        if (r == 0 && *n_arches < MAX_ARCHES)
                                arches[(*n_arches)++] = arch;
                        r = r == -EEXIST ? 0 : r;
                        if (r < 0)
                                r = berth_error_set(err, -r, "%s: add architecture \"%s\"", path, *a);
                }
                if (r < 0) {
                        seccomp_release(ctx);
                        return r;
                }
        }
        *ret = ctx;
        return 0;
}

/* libseccomp 2.5 exports only to an fd: a memfd, read back. */
static int filter_export(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_n, berth_error **err)
{
        _cleanup_close_ int fd = memfd_create("berth-seccomp-bpf", MFD_CLOEXEC);
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct stat st;
        ssize_t n;
        int r;

        if (fd < 0)
                return berth_error_set(err, errno, "memfd_create");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return berth_error_set(err, -r, "export seccomp filter");
        if (fstat(fd, &st) < 0)
                return berth_error_set(err, errno, "fstat seccomp filter");
        if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) || st.st_size > CACHE_MAX_SIZE)
                return berth_error_set(err, 0, "export seccomp filter: unexpected size %lld",
                                       (long long)st.st_size);
        if (st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return berth_error_set(err, E2BIG, "seccomp filter has %lld instructions (kernel limit %d)",
                                       (long long)(st.st_size / sizeof(struct sock_filter)), BPF_MAXINSNS);
        insns = xmalloc(st.st_size);
        n = pread(fd, insns, st.st_size, 0);
        if (n != st.st_size)
                return berth_error_set(err, n < 0 ? errno : EIO, "read seccomp filter");
        *ret = TAKE_PTR(insns);
        *ret_n = st.st_size / sizeof(struct sock_filter);
        return 0;
}

static int plan_flags(const oci_seccomp *s, bool notify, unsigned *ret, berth_error **err)
{
        unsigned flags = 0;
        int r;

        r = parse_flags(s, &flags, err);
        if (r < 0)
                return r;
        if (notify) {
                if (!s->listener_path || !*s->listener_path)
                        return berth_error_set(err, 0,
                                               "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* TSYNC reports a failing thread in the return value, which NEW_LISTENER uses. */
                if (flags & SECCOMP_FILTER_FLAG_TSYNC)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
        *ret = flags;
        return 0;
}

static int default_action(const oci_seccomp *s, uint32_t *ret, berth_error **err)
{
        int r;

        if (!s->default_action)
                return berth_error_set(err, 0, "linux.seccomp.defaultAction: required");
        r = parse_action(s->default_action, &s->default_errno_ret, "linux.seccomp.defaultAction",
                         "linux.seccomp.defaultErrnoRet", ret, err);
        if (r < 0)
                return r;
        if (*ret == SCMP_ACT_NOTIFY)
                return berth_error_set(err, 0,
                                       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
        return 0;
}

/* ---- ENOSYS for syscalls newer than the profile (runc's patchbpf) ---- */

#define X32_SYSCALL_BIT 0x40000000u
#define RET_ENOSYS      (SECCOMP_RET_ERRNO | ENOSYS)

/* The highest number, on arch, of a syscall the profile names; -1 when it names none there. */
static int max_syscall(const oci_seccomp *s, uint32_t arch)
{
        int max = -1;

        for (size_t i = 0; i < s->n_syscalls; i++)
                STRV_FOREACH (n, s->syscalls[i].names) {
                        int nr = seccomp_syscall_resolve_name_arch(arch, *n);
                        if (nr > max)
                                max = nr;
                }
        return max;
}

/* Append "if nr > max return ENOSYS, else run the filter": jumps to the stub's last two slots. */
static void emit_check(struct sock_filter *out, size_t *n, int max)
{
        /* targets are patched by the caller: jt to RET, jf to END */
        out[(*n)++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max, 0, 0);
}

/*
 * A prologue that answers ENOSYS for every syscall number above the highest one the profile
 * names on each architecture: such a syscall is newer than the profile (or than libseccomp),
 * and ENOSYS makes libc fall back to an older call where EPERM would make it fail. Only for
 * profiles that deny by default. x86_64 and x32 share an audit arch, told apart by a bit.
 */
static size_t enosys_stub(const oci_seccomp *s, const uint32_t *arches, size_t n_arches,
                          struct sock_filter *out)
{
        struct {
                uint32_t audit;
                int max, max_x32; /* -2: this half is not in the filter */
        } groups[32];
        size_t n_groups = 0, n = 0;
        int max_x32 = -2;

        for (size_t i = 0; i < n_arches; i++) {
                if (arches[i] == SCMP_ARCH_X32)
                        max_x32 = max_syscall(s, SCMP_ARCH_X32);
                else if (n_groups < ELEMENTSOF(groups))
                        groups[n_groups++] = (typeof(groups[0])){arches[i], max_syscall(s, arches[i]), -2};
        }
        for (size_t i = 0; i < n_groups; i++)
                if (groups[i].audit == SCMP_ARCH_X86_64)
                        groups[i].max_x32 = max_x32;
        out[n++] =
                (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        for (size_t i = 0; i < n_groups; i++) {
                bool x86_64 = groups[i].audit == SCMP_ARCH_X86_64;
                size_t start = n;

                out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, groups[i].audit, 0, 0);
                out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                        offsetof(struct seccomp_data, nr));
                if (x86_64) {
                        /* x32 syscall: check against x32's maximum, or leave it to the filter */
                        out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT,
                                                                0, 1);
                        emit_check(out, &n, groups[i].max_x32 >= 0 ? groups[i].max_x32 : INT_MAX);
                }
                emit_check(out, &n, groups[i].max >= 0 ? groups[i].max : INT_MAX);
                out[start].jf = (uint8_t)(n - start - 1); /* other arch: next group */
        }
        out[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1); /* no group matched: END */
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ENOSYS);
        /* point every check at RET (jt) and END (jf) */
        for (size_t i = 1; i + 2 < n; i++)
                if (out[i].code == (BPF_JMP | BPF_JGT | BPF_K)) {
                        out[i].jt = (uint8_t)(n - 1 - i - 1);
                        out[i].jf = (uint8_t)(n - i - 1);
                }
        return n;
}

static bool default_denies(uint32_t def)
{
        return def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG && def != SCMP_ACT_ERRNO(ENOSYS);
}

/* Put the stub in front of the program libseccomp exported. */
static int prepend_enosys(const oci_seccomp *s, const uint32_t *arches, size_t n_arches, seccomp_plan *p,
                          berth_error **err)
{
        struct sock_filter stub[1 + 32 * 5 + 2];
        struct sock_filter *all;
        size_t n = enosys_stub(s, arches, n_arches, stub);

        if (p->n_insns + n > BPF_MAXINSNS)
                return berth_error_set(err, E2BIG, "seccomp filter has %zu instructions (kernel limit %d)",
                                       p->n_insns + n, BPF_MAXINSNS);
        all = xmalloc((p->n_insns + n) * sizeof(*all));
        memcpy(all, stub, n * sizeof(*all));
        memcpy(all + n, p->insns, p->n_insns * sizeof(*all));
        free(p->insns);
        p->insns = all;
        p->n_insns += n;
        return 0;
}

static int compile(const oci_seccomp *s, seccomp_plan **ret, berth_error **err)
{
        _cleanup_free_ seccomp_plan *p = xcalloc(1, sizeof(*p));
        scmp_filter_ctx ctx = NULL;
        uint32_t def, arches[MAX_ARCHES];
        size_t n_arches = 0;
        int r;

        r = default_action(s, &def, err);
        if (r < 0)
                return r;
        r = filter_new(s, def, &ctx, arches, &n_arches, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_syscalls && r >= 0; i++)
                r = add_syscall_block(ctx, &s->syscalls[i], i, def, &p->notify, err);
        if (r >= 0)
                r = plan_flags(s, p->notify, &p->flags, err);
        if (r >= 0)
                r = filter_export(ctx, &p->insns, &p->n_insns, err);
        if (r >= 0 && default_denies(def))
                r = prepend_enosys(s, arches, n_arches, p, err);
        seccomp_release(ctx);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int seccomp_prepare(const oci_seccomp *s, seccomp_plan **ret, berth_error **err)
{
        return seccomp_prepare_cached(s, NULL, ret, err);
}

/* ---- the cache of compiled programs ---- */

/* Everything the program depends on, as text: the profile (without its listener, which does
 * not change the program), libseccomp's version, the native arch and the kernel release. */
static char *cache_key(const oci_seccomp *s)
{
        const struct scmp_version *v = seccomp_version();
        struct utsname u = {0};
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        (void)uname(&u);
        f = open_memstream(&buf, &len);
        if (!f)
                abort();
        /* Bump the version whenever compile() builds a different program from the same input. */
        fprintf(f, "berth-bpf 2 libseccomp %u.%u.%u arch %u kernel %s\n", v->major, v->minor, v->micro,
                seccomp_arch_native(), u.release);
        fprintf(f, "default %s %d %llu\n", strempty(s->default_action), s->default_errno_ret.set,
                (unsigned long long)s->default_errno_ret.value);
        STRV_FOREACH (a, s->architectures)
                fprintf(f, "arch %s\n", *a);
        STRV_FOREACH (fl, s->flags)
                fprintf(f, "flag %s\n", *fl);
        fprintf(f, "notify %d\n", s->listener_path && *s->listener_path);
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const oci_seccomp_syscall *sc = &s->syscalls[i];
                fprintf(f, "rule %s %d %llu", strempty(sc->action), sc->errno_ret.set,
                        (unsigned long long)sc->errno_ret.value);
                for (size_t j = 0; j < sc->n_args; j++)
                        fprintf(f, " (%u %s %llu %llu)", sc->args[j].index, strempty(sc->args[j].op),
                                (unsigned long long)sc->args[j].value,
                                (unsigned long long)sc->args[j].value_two);
                /* the bulk of the key: plain writes, fprintf would double its cost */
                STRV_FOREACH (n, sc->names) {
                        fputc(' ', f);
                        fputs(*n, f);
                }
                fputc('\n', f);
        }
        if (fclose(f) != 0)
                abort();
        return buf;
}

/* FNV-1a: only names the file; the full key inside decides. */
static uint64_t key_hash(const char *key)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (const unsigned char *c = (const unsigned char *)key; *c; c++)
                h = (h ^ *c) * 0x100000001b3ULL;
        return h;
}

static char *cache_path(const char *dir, const char *key)
{
        return xasprintf("%s/%016llx.bpf", dir, (unsigned long long)key_hash(key));
}

/* Our own directory: a program from a directory others can write would be a way around seccomp. */
static bool cache_dir_ok(const char *dir)
{
        struct stat st;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return false;
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return false;
        return st.st_uid == geteuid() && !(st.st_mode & 0022);
}

static ssize_t read_all(int fd, void *buf, size_t n)
{
        size_t done = 0;
        while (done < n) {
                ssize_t k = read(fd, (char *)buf + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -1 : (ssize_t)done;
                done += k;
        }
        return (ssize_t)done;
}

/* File: magic, u32 key length, key, u32 instruction count, instructions. */
static bool cache_parse(const char *data, size_t size, const char *key, seccomp_plan *p)
{
        size_t klen = strlen(key), off = strlen(CACHE_MAGIC);
        uint32_t len, n;

        if (size < off + 4 || memcmp(data, CACHE_MAGIC, off) != 0)
                return false;
        memcpy(&len, data + off, 4);
        off += 4;
        if (len != klen || size < off + len + 4 || memcmp(data + off, key, klen) != 0)
                return false;
        off += len;
        memcpy(&n, data + off, 4);
        off += 4;
        if (n == 0 || n > BPF_MAXINSNS || size != off + (size_t)n * sizeof(struct sock_filter))
                return false;
        p->insns = xmalloc((size_t)n * sizeof(struct sock_filter));
        memcpy(p->insns, data + off, (size_t)n * sizeof(struct sock_filter));
        p->n_insns = n;
        return true;
}

static bool cache_load(const char *dir, const char *key, seccomp_plan *p)
{
        _cleanup_free_ char *path = cache_path(dir, key), *data = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 0022) || st.st_size > CACHE_MAX_SIZE)
                return false;
        data = xmalloc(st.st_size + 1);
        if (read_all(fd, data, st.st_size) != st.st_size)
                return false;
        return cache_parse(data, st.st_size, key, p);
}

static void cache_store(const char *dir, const char *key, const seccomp_plan *p)
{
        _cleanup_free_ char *path = cache_path(dir, key);
        _cleanup_free_ char *tmp = xasprintf("%s.tmpXXXXXX", path);
        uint32_t len = (uint32_t)strlen(key), n = (uint32_t)p->n_insns;
        struct iovec iov[] = {
                {(void *)CACHE_MAGIC, strlen(CACHE_MAGIC)},          {&len, 4}, {(void *)key, len}, {&n, 4},
                {p->insns, p->n_insns * sizeof(struct sock_filter)},
        };
        size_t total = 0;
        int fd;

        for (size_t i = 0; i < ELEMENTSOF(iov); i++)
                total += iov[i].iov_len;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return;
        if (writev(fd, iov, ELEMENTSOF(iov)) != (ssize_t)total || fchmod(fd, 0600) < 0 ||
            rename(tmp, path) < 0)
                (void)unlink(tmp);
        close(fd);
}

int seccomp_prepare_cached(const oci_seccomp *s, const char *cache_dir, seccomp_plan **ret,
                           berth_error **err)
{
        _cleanup_free_ char *key = NULL;
        seccomp_plan *p = NULL;
        int r;

        if (!cache_dir || !cache_dir_ok(cache_dir))
                return compile(s, ret, err);
        key = cache_key(s);
        p = xcalloc(1, sizeof(*p));
        if (cache_load(cache_dir, key, p)) {
                /* The program is known good; flags and notify are cheap to redo and validate. */
                uint32_t def;
                for (size_t i = 0; i < s->n_syscalls && !p->notify; i++)
                        p->notify = s->syscalls[i].action && streq(s->syscalls[i].action, "SCMP_ACT_NOTIFY");
                r = default_action(s, &def, err);
                if (r >= 0)
                        r = plan_flags(s, p->notify, &p->flags, err);
                if (r < 0) {
                        seccomp_plan_free(p);
                        return r;
                }
                *ret = p;
                return 0;
        }
        free(p);
        r = compile(s, &p, err);
        if (r < 0)
                return r;
        cache_store(cache_dir, key, p);
        *ret = p;
        return 0;
}

/* ---- the plan ---- */

bool seccomp_plan_has_notify(const seccomp_plan *p)
{
        return p && p->notify;
}

size_t seccomp_plan_size(const seccomp_plan *p)
{
        return p ? p->n_insns : 0;
}

int seccomp_plan_load(const seccomp_plan *p, int *ret_notify_fd, berth_error **err)
{
        struct sock_fprog prog = {.len = (unsigned short)p->n_insns, .filter = p->insns};
        long r;

        if (p->notify && !ret_notify_fd)
                return berth_error_set(err, 0,
                                       "seccomp: the filter uses SCMP_ACT_NOTIFY but nobody takes its fd");
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
        if (r < 0)
                return berth_error_set(err, errno, "load seccomp filter (%zu instructions, flags 0x%x)",
                                       p->n_insns, p->flags);
        if (r > 0 && (p->flags & SECCOMP_FILTER_FLAG_TSYNC) && !(p->flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
                return berth_error_set(err, 0, "load seccomp filter: thread %ld could not be synchronised",
                                       r);
        if (ret_notify_fd)
                *ret_notify_fd = p->notify ? (int)r : -EBADF;
        return 0;
}

void seccomp_plan_free(seccomp_plan *p)
{
        if (!p)
                return;
        free(p->insns);
        free(p);
}

/* ---- the seccomp agent ---- */

static int process_state_json(pid_t pid, const char *state_json, const char *metadata, char **ret,
                              berth_error **err)
{
        _cleanup_json_ json_t *state = NULL, *msg = NULL;
        json_t *state_pid, *version;
        int r;

        r = jsonh_parse(state_json, strlen(state_json), "container state", &state, err);
        if (r < 0)
                return r;
        state_pid = json_object_get(state, "pid");
        version = json_object_get(state, "ociVersion");
        if (!json_is_string(version) || (pid <= 0 && !json_is_integer(state_pid)))
                return berth_error_set(err, 0, "container state: needs \"ociVersion\" and \"pid\"");
        msg = json_pack("{s:O, s:[s], s:I, s:s, s:O}", "ociVersion", version, "fds", "seccompFd", "pid",
                        (json_int_t)(pid > 0 ? pid : json_integer_value(state_pid)), "metadata",
                        metadata ? metadata : "", "state", state);
        if (!msg)
                return berth_error_set(err, ENOMEM, "container process state");
        *ret = jsonh_dump(msg, false);
        return 0;
}

static int connect_unix(const char *path, berth_error **err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(addr.sun_path))
                return berth_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath %s", path);
        strcpy(addr.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_error_set(err, errno, "socket for seccomp listener %s", path);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return berth_error_set(err, errno, "connect to seccomp listener %s", path);
        return TAKE_FD(fd);
}

int seccomp_send_notify_fd(const char *listener_path, int notify_fd, pid_t pid, const char *state_json,
                           const char *metadata, berth_error **err)
{
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int sock = -EBADF;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = {0};
        struct iovec iov;
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = control.buf,
                            .msg_controllen = sizeof(control.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        ssize_t n;
        int r;

        r = process_state_json(pid, state_json, metadata, &msg, err);
        if (r < 0)
                return r;
        sock = connect_unix(listener_path, err);
        if (sock < 0)
                return sock;
        iov = (struct iovec){msg, strlen(msg)};
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
        /* One sendmsg: agents (runc's example among them) read the state with a single recvmsg. */
        do
                n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return berth_error_set(err, errno, "send seccomp fd to %s", listener_path);
        if ((size_t)n != iov.iov_len)
                return berth_error_set(err, EMSGSIZE, "send seccomp fd to %s: short write", listener_path);
        return 0;
}
