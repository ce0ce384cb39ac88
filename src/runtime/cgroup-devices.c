/*
 * linux.resources.devices: which device nodes the container may open or create. v1 writes
 * devices.deny "a" then each rule to devices.allow or devices.deny, as runc does; v2 has no
 * such files and takes an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup.
 */
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "runtime/cgroup-internal.h"

/* The rule list: deny everything, the config's rules, runc's default devices, linux.devices. */
typedef struct dev_rule {
        bool allow;
        char type;            /* 'a', 'c', 'b' */
        int64_t major, minor; /* -1: any */
        unsigned access;      /* BPF_DEVCG_ACC_* bits */
} dev_rule;

/* What every container may use (runc's AllowedDevices): mknod of any node, and the basics. */
static const dev_rule default_rules[] = {
        {true, 'c', -1, -1, BPF_DEVCG_ACC_MKNOD}, {true, 'b', -1, -1, BPF_DEVCG_ACC_MKNOD},
        {true, 'c', 1, 3, 7} /* null */,          {true, 'c', 1, 8, 7} /* random */,
        {true, 'c', 1, 7, 7} /* full */,          {true, 'c', 5, 0, 7} /* tty */,
        {true, 'c', 1, 5, 7} /* zero */,          {true, 'c', 1, 9, 7} /* urandom */,
        {true, 'c', 136, -1, 7} /* pts */,        {true, 'c', 5, 2, 7} /* ptmx */,
};

static int parse_access(const char *s, size_t idx, unsigned *ret, berth_error **err)
{
        unsigned a = 0;

        for (const char *p = s ? s : "rwm"; *p; p++) {
                if (*p == 'r')
                        a |= BPF_DEVCG_ACC_READ;
                else if (*p == 'w')
                        a |= BPF_DEVCG_ACC_WRITE;
                else if (*p == 'm')
                        a |= BPF_DEVCG_ACC_MKNOD;
                else
                        return berth_error_set(
                                err, 0,
                                "linux.resources.devices[%zu].access: \"%s\" is not a subset of \"rwm\"",
                                idx, s);
        }
        *ret = a;
        return 0;
}

static int build_rules(const oci_linux *lx, dev_rule **ret, size_t *ret_n, berth_error **err)
{
        const oci_resources *res = lx ? lx->resources : NULL;
        size_t n_cfg = res ? res->n_devices : 0, n_dev = lx ? lx->n_devices : 0, n = 0;
        _cleanup_free_ dev_rule *r = xcalloc(1 + n_cfg + ELEMENTSOF(default_rules) + n_dev, sizeof(*r));

        r[n++] = (dev_rule){false, 'a', -1, -1, 7};
        for (size_t i = 0; i < n_cfg; i++) {
                const oci_device_cgroup *d = &res->devices[i];
                if (d->type != 'a' && d->type != 'c' && d->type != 'b')
                        return berth_error_set(err, 0,
                                               "linux.resources.devices[%zu].type: \"%c\" is not a, c or b",
                                               i, d->type);
                r[n] = (dev_rule){d->allow, d->type, d->major.set ? d->major.value : -1,
                                  d->minor.set ? d->minor.value : -1, 0};
                if (parse_access(d->access, i, &r[n].access, err) < 0)
                        return -1;
                n++;
        }
        memcpy(r + n, default_rules, sizeof(default_rules));
        n += ELEMENTSOF(default_rules);
        for (size_t i = 0; i < n_dev; i++) {
                const oci_device *d = &lx->devices[i];
                if (d->type == 'b' || d->type == 'c' || d->type == 'u')
                        r[n++] = (dev_rule){true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, 7};
        }
        *ret = TAKE_PTR(r);
        *ret_n = n;
        return 0;
}

/* ---- v1 ---- */

static void v1_rule_text(const dev_rule *r, char *buf, size_t size)
{
        char major[24] = "*", minor[24] = "*", access[4] = {0};
        size_t k = 0;

        if (r->type == 'a') {
                snprintf(buf, size, "a");
                return;
        }
        if (r->major >= 0)
                snprintf(major, sizeof(major), "%lld", (long long)r->major);
        if (r->minor >= 0)
                snprintf(minor, sizeof(minor), "%lld", (long long)r->minor);
        if (r->access & BPF_DEVCG_ACC_READ)
                access[k++] = 'r';
        if (r->access & BPF_DEVCG_ACC_WRITE)
                access[k++] = 'w';
        if (r->access & BPF_DEVCG_ACC_MKNOD)
                access[k++] = 'm';
        snprintf(buf, size, "%c %s:%s %s", r->type, major, minor, access);
}

static int v1_apply(cgroup *cg, int h, const dev_rule *rules, size_t n, berth_error **err)
{
        char text[96];

        for (size_t i = 0; i < n; i++) {
                v1_rule_text(&rules[i], text, sizeof(text));
                if (cgroup_write(cg, h, rules[i].allow ? "devices.allow" : "devices.deny", text, err) < 0)
                        return -1;
        }
        return 0;
}

/* ---- v2: the eBPF program ---- */

typedef struct prog {
        struct bpf_insn *insns;
        size_t n, cap;
} prog;

static void emit(prog *p, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
        if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 64;
                p->insns = xrealloc(p->insns, p->cap * sizeof(*p->insns));
        }
        p->insns[p->n++] =
                (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define JUMP_TO_NEXT INT16_MIN /* patched to the next rule's first instruction */

static void emit_jne_imm(prog *p, __u8 reg, __s32 imm)
{
        emit(p, BPF_JMP | BPF_JNE | BPF_K, reg, 0, JUMP_TO_NEXT, imm);
}

/*
 * One rule: registers R2 type, R3 access, R4 major, R5 minor (loaded by the prologue). On a
 * match return allow; otherwise fall through to the next rule. The requested access must be
 * a subset of the rule's.
 */
static bool unconditional(const dev_rule *r)
{
        return r->type == 'a' && r->access == 7 && r->major < 0 && r->minor < 0;
}

static void emit_rule(prog *p, const dev_rule *r)
{
        size_t start = p->n;

        if (r->type != 'a')
                emit_jne_imm(p, BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if (r->access != 7) {
                emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
                emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (__s32)r->access);
                emit(p, BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, JUMP_TO_NEXT, 0);
        }
        if (r->major >= 0)
                emit_jne_imm(p, BPF_REG_4, (__s32)r->major);
        if (r->minor >= 0)
                emit_jne_imm(p, BPF_REG_5, (__s32)r->minor);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        for (size_t i = start; i < p->n; i++)
                if (p->insns[i].off == JUMP_TO_NEXT)
                        p->insns[i].off = (__s16)(p->n - i - 1);
}

/* The last matching rule decides (as the v1 list does), so rules are tested from the end; one
 * that matches everything ends the program (the verifier refuses unreachable code). */
static void build_prog(prog *p, const dev_rule *rules, size_t n)
{
        emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1,
             offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
        emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1,
             offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
        emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major),
             0);
        emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor),
             0);
        for (size_t i = n; i-- > 0;) {
                emit_rule(p, &rules[i]);
                if (unconditional(&rules[i]))
                        return;
        }
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int bpf_prog_load(const prog *p, char *log, size_t log_size)
{
        union bpf_attr a = {.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                            .insn_cnt = (__u32)p->n,
                            .insns = (__u64)(uintptr_t)p->insns,
                            .license = (__u64)(uintptr_t) "Apache",
                            .log_level = log ? 1 : 0,
                            .log_size = (__u32)log_size,
                            .log_buf = (__u64)(uintptr_t)log};

        return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

/* Without a log first: a log that fills its buffer fails the load with ENOSPC. On failure,
 * load again with a log large enough to hold the verifier's complaint (its last line). */
static int bpf_load(const prog *p, berth_error **err)
{
        enum { LOG_SIZE = 1 << 20 };
        _cleanup_free_ char *log = NULL;
        int fd = bpf_prog_load(p, NULL, 0), e;
        char *line = NULL;

        if (fd >= 0)
                return fd;
        e = errno;
        log = xcalloc(LOG_SIZE, 1);
        fd = bpf_prog_load(p, log, LOG_SIZE);
        if (fd >= 0)
                close(fd);
        /* The complaint is the last line before the "processed N insns" summary. */
        for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"))
                if (!strneq(l, "processed ", 10))
                        line = l;
        if (!line)
                return berth_error_set(err, e, "load the device eBPF program (%zu instructions)", p->n);
        return berth_error_set(err, e, "load the device eBPF program (%zu instructions): %s", p->n, line);
}

static int v2_apply(cgroup *cg, int leaf, const dev_rule *rules, size_t n, berth_error **err)
{
        _cleanup_close_ int prog_fd = -EBADF, dir = -EBADF;
        prog p = {0};
        union bpf_attr a = {0};

        build_prog(&p, rules, n);
        prog_fd = bpf_load(&p, err);
        free(p.insns);
        if (prog_fd < 0)
                return -1;
        /* BPF_PROG_ATTACH takes no O_PATH fd. */
        dir = openat(leaf, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return berth_error_set(err, errno, "cgroup %s: open", cg->path);
        a.target_fd = (__u32)dir;
        a.attach_bpf_fd = (__u32)prog_fd;
        a.attach_type = BPF_CGROUP_DEVICE;
        a.attach_flags = BPF_F_ALLOW_MULTI;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0)
                return berth_error_set(err, errno, "cgroup %s: attach the device eBPF program", cg->path);
        return 0;
}

int cgroup_apply_devices(cgroup *cg, const oci_linux *lx, berth_error **err)
{
        _cleanup_free_ dev_rule *rules = NULL;
        size_t n = 0;
        int h = cg->host->v2 ? 0 : cgroup_hierarchy_of(cg, CG_DEVICES), leaf;

        if (build_rules(lx, &rules, &n, err) < 0)
                return -1;
        if (h < 0) {
                /* A v1 host without the devices controller: nothing can enforce rules. */
                if (lx && lx->resources && lx->resources->n_devices)
                        return berth_error_set(err, ENOENT,
                                               "linux.resources.devices: the host has no devices cgroup");
                return 0;
        }
        leaf = cgroup_devices_fd(cg, err);
        if (leaf < 0)
                return -1;
        if (cg->host->v2)
                return v2_apply(cg, leaf, rules, n, err);
        return v1_apply(cg, h, rules, n, err);
}
