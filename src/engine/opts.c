/* run_opts and the JSON kept in the database (the monitor needs only this, not the image store). */
#include <string.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"

void run_opts_clear(run_opts *o)
{
        char **strs[] = {&o->name,        &o->workdir, &o->user,       &o->hostname,    &o->network,
                         &o->restart,     &o->pull,    &o->seccomp,    &o->stop_signal, &o->cpuset_cpus,
                         &o->cpuset_mems, &o->ip,      &o->mac_address};
        char ***lists[] = {&o->env,     &o->entrypoint, &o->cmd,         &o->volumes,        &o->tmpfs,
                           &o->cap_add, &o->cap_drop,   &o->labels,      &o->sysctls,        &o->ulimits,
                           &o->devices, &o->group_add,  &o->networks,    &o->publish,        &o->add_hosts,
                           &o->dns,     &o->dns_search, &o->dns_options, &o->network_aliases};

        for (size_t i = 0; i < ELEMENTSOF(strs); i++)
                free(*strs[i]);
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                strv_free(*lists[i]);
        memset(o, 0, sizeof(*o));
}

/* clang-format off */
#define STR_FIELDS(X)                                                                                       \
        X(name)                                                                                             \
        X(workdir) X(user) X(hostname) X(network) X(restart) X(pull) X(seccomp) X(stop_signal) X(cpuset_cpus) X(cpuset_mems) \
        X(ip) X(mac_address)
#define LIST_FIELDS(X)                                                                                      \
        X(env)                                                                                              \
        X(entrypoint) X(cmd) X(volumes) X(tmpfs) X(cap_add) X(cap_drop) X(labels) X(sysctls) X(ulimits) X(devices) X(group_add) \
        X(networks) X(publish) X(add_hosts) X(dns) X(dns_search) X(dns_options) X(network_aliases)
#define BOOL_FIELDS(X)                                                                                      \
        X(interactive)                                                                                      \
        X(tty) X(detach) X(rm) X(read_only) X(privileged) X(no_new_privs) X(init) X(oom_kill_disable) X(publish_all)
#define INT_FIELDS(X)                                                                                       \
        X(stop_timeout)                                                                                     \
        X(memory)                                                                                           \
        X(memory_swap) X(memory_reservation) X(pids_limit) X(shm_size) X(cpu_quota) X(cpu_shares)           \
                X(cpu_period) X(log_max_size) X(log_max_file)

json_t *run_opts_to_json(const run_opts *o)
{
        json_t *j = json_object();

#define S(f)                                                                                                \
        if (o->f)                                                                                           \
                json_object_set_new(j, #f, json_string(o->f));
#define L(f)                                                                                                \
        if (o->f)                                                                                           \
                json_object_set_new(j, #f, jsonh_from_strv(o->f));
#define B(f) json_object_set_new(j, #f, json_boolean(o->f));
#define I(f) json_object_set_new(j, #f, json_integer((json_int_t)o->f));
        STR_FIELDS(S)
        LIST_FIELDS(L)
        BOOL_FIELDS(B) INT_FIELDS(I)
#undef S
#undef L
#undef B
#undef I
                json_object_set_new(j, "cpus", json_real(o->cpus));
        return j;
}

int run_opts_from_json(json_t *j, run_opts *o, berth_error **err)
{
        json_t *v;

        memset(o, 0, sizeof(*o));
#define S(f)                                                                                                \
        if ((v = json_object_get(j, #f)) && json_is_string(v))                                              \
                o->f = xstrdup(json_string_value(v));
#define L(f)                                                                                                \
        if ((v = json_object_get(j, #f)) && json_is_array(v)) {                                             \
                size_t i;                                                                                   \
                json_t *e;                                                                                  \
                o->f = xcalloc(json_array_size(v) + 1, sizeof(char *));                                     \
                json_array_foreach (v, i, e)                                                                \
                        o->f[i] = xstrdup(json_string_value(e) ?: "");                                      \
        }
#define B(f) o->f = json_is_true(json_object_get(j, #f));
#define I(f) o->f = (__typeof__(o->f))json_integer_value(json_object_get(j, #f));
        STR_FIELDS(S)
        LIST_FIELDS(L)
        BOOL_FIELDS(B) INT_FIELDS(I)
#undef S
#undef L
#undef B
#undef I
                o->cpus = json_number_value(json_object_get(j, "cpus"));
        return 0;
}
/* clang-format on */
