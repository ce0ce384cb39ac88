/*
 * The OCI runtime-spec config.json (1.0 to 1.2) as C structs: parsed strictly (every error names
 * the JSON path), written back, and a default spec as `runc spec` writes it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "basic/error.h"

/* Optional scalars: "set" tells whether the member was present. */
typedef struct {
        bool set;
        int64_t value;
} oci_opt_int;

typedef struct {
        bool set;
        uint64_t value;
} oci_opt_uint;

typedef struct {
        bool set;
        bool value;
} oci_opt_bool;

enum oci_ns_type {
        OCI_NS_PID,
        OCI_NS_NETWORK,
        OCI_NS_MOUNT,
        OCI_NS_IPC,
        OCI_NS_UTS,
        OCI_NS_USER,
        OCI_NS_CGROUP,
        OCI_NS_TIME,
        OCI_NS__MAX,
};

typedef struct oci_namespace {
        enum oci_ns_type type;
        char *path; /* NULL: create a new one */
} oci_namespace;

typedef struct oci_id_mapping {
        uint32_t container_id, host_id, size;
} oci_id_mapping;

typedef struct oci_mount {
        char *destination;
        char *type;                                  /* may be NULL ("bind" implied by options) */
        char *source;                                /* may be NULL */
        char **options;                              /* raw option strings, in order */
        oci_id_mapping *uid_mappings, *gid_mappings; /* idmapped mounts (1.2) */
        size_t n_uid_mappings, n_gid_mappings;
} oci_mount;

typedef struct oci_rlimit {
        int resource; /* RLIMIT_* */
        char *type;   /* "RLIMIT_NOFILE" */
        uint64_t soft, hard;
} oci_rlimit;

typedef struct oci_capabilities {
        char **bounding, **effective, **inheritable, **permitted, **ambient; /* NULL: not given */
} oci_capabilities;

typedef struct oci_user {
        uint32_t uid, gid;
        oci_opt_uint umask;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        char *username; /* windows only, kept for round trips */
} oci_user;

typedef struct oci_console_size {
        unsigned height, width;
} oci_console_size;

typedef struct oci_process {
        bool terminal;
        oci_console_size *console_size;
        oci_user user;
        char **args;
        char *command_line; /* windows only */
        char **env;
        char *cwd;
        oci_capabilities *capabilities;
        oci_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        char *apparmor_profile;
        oci_opt_int oom_score_adj;
        char *selinux_label;
        json_t *scheduler;   /* kept as given (1.2), applied by the runtime when present */
        json_t *io_priority; /* likewise */
        json_t *exec_cpu_affinity;
} oci_process;

typedef struct oci_root {
        char *path;
        bool readonly;
} oci_root;

typedef struct oci_hook {
        char *path;
        char **args;
        char **env;
        oci_opt_int timeout; /* seconds, > 0 */
} oci_hook;

typedef struct oci_hook_list {
        oci_hook *hooks;
        size_t n;
} oci_hook_list;

enum oci_hook_kind {
        OCI_HOOK_PRESTART,
        OCI_HOOK_CREATE_RUNTIME,
        OCI_HOOK_CREATE_CONTAINER,
        OCI_HOOK_START_CONTAINER,
        OCI_HOOK_POSTSTART,
        OCI_HOOK_POSTSTOP,
        OCI_HOOK__MAX,
};

typedef struct oci_device {
        char *path;
        char type; /* 'c', 'b', 'u', 'p' */
        int64_t major, minor;
        oci_opt_uint file_mode;
        oci_opt_uint uid, gid;
} oci_device;

typedef struct oci_device_cgroup {
        bool allow;
        char type;                /* 'a', 'c', 'b'; 'a' when missing */
        oci_opt_int major, minor; /* unset means all (-1 / '*') */
        char *access;             /* "rwm" subset; NULL means "rwm" */
} oci_device_cgroup;

typedef struct oci_memory {
        oci_opt_int limit, reservation, swap, kernel, kernel_tcp;
        oci_opt_uint swappiness;
        oci_opt_bool disable_oom_killer, use_hierarchy, check_before_update;
} oci_memory;

typedef struct oci_cpu {
        oci_opt_uint shares, period, realtime_period;
        oci_opt_int quota, realtime_runtime;
        oci_opt_uint burst;
        char *cpus, *mems;
        oci_opt_int idle;
} oci_cpu;

typedef struct oci_weight_device {
        int64_t major, minor;
        oci_opt_uint weight, leaf_weight;
} oci_weight_device;

typedef struct oci_throttle_device {
        int64_t major, minor;
        uint64_t rate;
} oci_throttle_device;

typedef struct oci_blockio {
        oci_opt_uint weight, leaf_weight;
        oci_weight_device *weight_devices;
        size_t n_weight_devices;
        /* read_bps, write_bps, read_iops, write_iops */
        oci_throttle_device *throttle[4];
        size_t n_throttle[4];
} oci_blockio;

enum { OCI_THROTTLE_READ_BPS, OCI_THROTTLE_WRITE_BPS, OCI_THROTTLE_READ_IOPS, OCI_THROTTLE_WRITE_IOPS };

typedef struct oci_hugepage_limit {
        char *page_size; /* "2MB" */
        uint64_t limit;
} oci_hugepage_limit;

typedef struct oci_resources {
        oci_device_cgroup *devices;
        size_t n_devices;
        oci_memory *memory;
        oci_cpu *cpu;
        oci_opt_int pids_limit;
        oci_blockio *block_io;
        oci_hugepage_limit *hugepage_limits;
        size_t n_hugepage_limits;
        json_t *network; /* classID, priorities: kept, applied on v1 only */
        json_t *rdma;    /* kept */
        json_t *unified; /* object of string values, written as v2 files */
} oci_resources;

typedef struct oci_seccomp_arg {
        unsigned index;
        uint64_t value, value_two;
        char *op; /* SCMP_CMP_EQ ... */
} oci_seccomp_arg;

typedef struct oci_seccomp_syscall {
        char **names;
        char *action;
        oci_opt_uint errno_ret;
        oci_seccomp_arg *args;
        size_t n_args;
} oci_seccomp_syscall;

typedef struct oci_seccomp {
        char *default_action;
        oci_opt_uint default_errno_ret;
        char **architectures;
        char **flags;
        char *listener_path;
        char *listener_metadata;
        oci_seccomp_syscall *syscalls;
        size_t n_syscalls;
} oci_seccomp;

typedef struct oci_linux {
        oci_namespace *namespaces;
        size_t n_namespaces;
        oci_id_mapping *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        json_t *time_offsets; /* {"monotonic": {"secs","nanosecs"}, "boottime": ...} */
        oci_device *devices;
        size_t n_devices;
        char *cgroups_path;
        oci_resources *resources;
        char *rootfs_propagation;
        oci_seccomp *seccomp;
        json_t *sysctl; /* object of strings */
        char **masked_paths, **readonly_paths;
        char *mount_label;
        json_t *intel_rdt, *personality; /* kept */
} oci_linux;

typedef struct oci_spec {
        char *oci_version;
        oci_process *process; /* required by create/run, optional in the spec */
        oci_root *root;
        char *hostname, *domainname;
        oci_mount *mounts;
        size_t n_mounts;
        oci_hook_list hooks[OCI_HOOK__MAX];
        bool has_hooks;
        json_t *annotations; /* object of strings, NULL when absent */
        oci_linux *linux_;
} oci_spec;

const char *oci_ns_type_name(enum oci_ns_type t);
/* "pid", "network", ...; -1 when unknown. */
int oci_ns_type_from_name(const char *name);
const char *oci_hook_kind_name(enum oci_hook_kind k);
/* RLIMIT_* number from "RLIMIT_NOFILE"; -1 when unknown. */
int oci_rlimit_from_name(const char *name);

/* Parse a document; errors name the JSON path, or line and column for syntax errors. */
int oci_spec_parse(const char *text, size_t len, oci_spec **ret, berth_error **err);
int oci_spec_from_json(json_t *root, oci_spec **ret, berth_error **err);
int oci_spec_load(const char *path, oci_spec **ret, berth_error **err);

/* Parse the "process" object alone (runtime exec --process). */
int oci_process_from_json(json_t *j, const char *path, oci_process **ret, berth_error **err);
/* Parse linux.resources alone (runtime update --resources). */
int oci_resources_from_json(json_t *j, const char *path, oci_resources **ret, berth_error **err);

/* Back to JSON (members that were absent stay absent). */
json_t *oci_spec_to_json(const oci_spec *spec);
json_t *oci_process_to_json(const oci_process *p);

/* The default spec `spec` writes: runc's, with busybox-friendly args "sh". */
json_t *oci_spec_default_json(bool rootless);

void oci_spec_free(oci_spec *spec);
void oci_process_free(oci_process *p);
void oci_resources_free(oci_resources *r);
static inline void oci_spec_freep(oci_spec **s)
{
        oci_spec_free(*s);
}
#define _cleanup_oci_spec_ _cleanup_(oci_spec_freep)
