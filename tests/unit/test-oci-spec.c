/* config.json parsing, writing and the default spec: what `berth-runtime` reads on every create. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "basic/jsonh.h"
#include "basic/strv.h"
#include "oci/spec.h"

/* Fixtures are written with ' for ", which JSON never needs inside these strings. */
static char *q(const char *s)
{
        char *r = xstrdup(s);

        for (char *p = r; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return r;
}

static oci_spec *parse_ok(const char *fixture)
{
        _cleanup_free_ char *text = q(fixture);
        _cleanup_error_ berth_error *err = NULL;
        oci_spec *s = NULL;

        if (oci_spec_parse(text, strlen(text), &s, &err) < 0)
                fail_msg("parse failed: %s", err->msg);
        return s;
}

/* Every member runtime-spec 1.2 defines for Linux, in the form the writer produces. */
static const char full_config[] =
        "{'ociVersion': '1.2.0',"
        " 'process': {'terminal': true, 'consoleSize': {'height': 25, 'width': 80},"
        "  'user': {'uid': 1000, 'gid': 1001, 'umask': 18, 'additionalGids': [5, 6], 'username': 'me'},"
        "  'args': ['sh', '-c', 'echo hi'], 'commandLine': 'sh -c', 'env': ['PATH=/bin', 'EMPTY='], 'cwd': "
        "'/w',"
        "  'capabilities': {'bounding': ['CAP_KILL'], 'effective': [], 'inheritable': ['CAP_CHOWN'],"
        "                   'permitted': ['CAP_KILL', 'CAP_CHOWN'], 'ambient': []},"
        "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 4096, 'soft': 1024},"
        "              {'type': 'RLIMIT_CORE', 'hard': 0, 'soft': 0}],"
        "  'noNewPrivileges': true, 'apparmorProfile': 'berth-default', 'oomScoreAdj': -500,"
        "  'selinuxLabel': 'system_u:system_r:container_t:s0',"
        "  'scheduler': {'policy': 'SCHED_BATCH', 'nice': 5}, 'ioPriority': {'class': 'IOPRIO_CLASS_BE', "
        "'priority': 4},"
        "  'execCPUAffinity': {'initial': '0', 'final': '0-1'}},"
        " 'root': {'path': 'rootfs', 'readonly': true}, 'hostname': 'berth-host', 'domainname': "
        "'example.org',"
        " 'mounts': [{'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
        "            {'destination': '/data', 'type': 'bind', 'source': '/srv/data', 'options': ['rbind', "
        "'ro'],"
        "             'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],"
        "             'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 65536}]},"
        "            {'destination': '/empty', 'options': []}],"
        " 'hooks': {'prestart': [{'path': '/usr/bin/berth-hook', 'args': ['berth-hook', 'pre'], 'env': "
        "['A=1'],"
        "                         'timeout': 5}],"
        "           'createRuntime': [{'path': '/bin/cr'}], 'createContainer': [{'path': '/bin/cc'}],"
        "           'startContainer': [{'path': '/bin/sc'}], 'poststart': [{'path': '/bin/ps'}],"
        "           'poststop': [{'path': '/bin/pst', 'timeout': 1}, {'path': '/bin/pst2'}]},"
        " 'annotations': {'org.example.key': 'value', 'other': ''},"
        " 'linux': {"
        "  'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': '/var/run/netns/berth'}, {'type': "
        "'mount'},"
        "                 {'type': 'ipc'}, {'type': 'uts'}, {'type': 'user'}, {'type': 'cgroup'}, {'type': "
        "'time'}],"
        "  'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}, {'containerID': 1, 'hostID': "
        "100000, 'size': 65535}],"
        "  'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}],"
        "  'timeOffsets': {'monotonic': {'secs': -10, 'nanosecs': 5}, 'boottime': {'secs': 3600}},"
        "  'devices': [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 438, "
        "'uid': 0, 'gid': 0},"
        "              {'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0}, {'path': '/dev/fifo', "
        "'type': 'p'}],"
        "  'cgroupsPath': '/berth/test',"
        "  'resources': {"
        "   'devices': [{'allow': false, 'type': 'a', 'access': 'rwm'},"
        "               {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'},"
        "               {'allow': true, 'type': 'b', 'major': 8, 'minor': -1}],"
        "   'memory': {'limit': 536870912, 'reservation': 268435456, 'swap': -1, 'kernel': 0, 'kernelTCP': "
        "0,"
        "              'swappiness': 60, 'disableOOMKiller': false, 'useHierarchy': true, "
        "'checkBeforeUpdate': true},"
        "   'cpu': {'shares': 1024, 'quota': 50000, 'burst': 1000, 'period': 100000, 'realtimeRuntime': "
        "950000,"
        "           'realtimePeriod': 1000000, 'cpus': '0-1', 'mems': '0', 'idle': 0},"
        "   'pids': {'limit': 32771},"
        "   'blockIO': {'weight': 500, 'leafWeight': 300,"
        "               'weightDevice': [{'major': 8, 'minor': 0, 'weight': 500, 'leafWeight': 300}, "
        "{'major': 8, 'minor': 16}],"
        "               'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 600}],"
        "               'throttleWriteBpsDevice': [{'major': 8, 'minor': 0, 'rate': 700}],"
        "               'throttleReadIOPSDevice': [{'major': 8, 'minor': 16, 'rate': 300}],"
        "               'throttleWriteIOPSDevice': [{'major': 8, 'minor': 16, 'rate': 400}]},"
        "   'hugepageLimits': [{'pageSize': '2MB', 'limit': 9223372036854771712}],"
        "   'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 500}]},"
        "   'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}},"
        "   'unified': {'io.weight': '100', 'memory.high': '1000000'}},"
        "  'rootfsPropagation': 'rslave',"
        "  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1, 'architectures': "
        "['SCMP_ARCH_X86_64'],"
        "              'flags': ['SECCOMP_FILTER_FLAG_LOG'], 'listenerPath': '/run/berth/seccomp.sock',"
        "              'listenerMetadata': 'meta',"
        "              'syscalls': [{'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
        "                           {'names': ['personality'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 22,"
        "                            'args': [{'index': 0, 'value': 4294967295, 'valueTwo': 0, 'op': "
        "'SCMP_CMP_EQ'},"
        "                                     {'index': 1, 'value': 8, 'valueTwo': 8, 'op': "
        "'SCMP_CMP_MASKED_EQ'}]}]},"
        "  'sysctl': {'net.ipv4.ip_forward': '1'},"
        "  'maskedPaths': ['/proc/kcore'], 'readonlyPaths': ['/proc/sys', '/proc/bus'],"
        "  'mountLabel': 'system_u:object_r:container_file_t:s0',"
        "  'intelRdt': {'closID': 'berth', 'l3CacheSchema': 'L3:0=ffff'},"
        "  'personality': {'domain': 'LINUX32', 'flags': []}}}";

static void test_full_config_fields(void **state)
{
        _cleanup_oci_spec_ oci_spec *s = parse_ok(full_config);
        const oci_process *p = s->process;
        const oci_linux *l = s->linux_;

        assert_string_equal(s->oci_version, "1.2.0");
        assert_true(p->terminal);
        assert_int_equal(p->console_size->height, 25);
        assert_int_equal(p->console_size->width, 80);
        assert_int_equal(p->user.uid, 1000);
        assert_int_equal(p->user.gid, 1001);
        assert_true(p->user.umask.set);
        assert_int_equal(p->user.umask.value, 18);
        assert_int_equal(p->user.n_additional_gids, 2);
        assert_int_equal(p->user.additional_gids[1], 6);
        assert_int_equal(strv_length(p->args), 3);
        assert_string_equal(p->args[2], "echo hi");
        assert_string_equal(p->env[1], "EMPTY=");
        assert_string_equal(p->cwd, "/w");
        assert_non_null(p->capabilities->effective);
        assert_null(p->capabilities->effective[0]);
        assert_string_equal(p->capabilities->permitted[1], "CAP_CHOWN");
        assert_int_equal(p->n_rlimits, 2);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(p->rlimits[0].soft, 1024);
        assert_int_equal(p->rlimits[0].hard, 4096);
        assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
        assert_true(p->no_new_privileges);
        assert_int_equal(p->oom_score_adj.value, -500);
        assert_string_equal(json_string_value(json_object_get(p->scheduler, "policy")), "SCHED_BATCH");
        assert_true(s->root->readonly);
        assert_string_equal(s->domainname, "example.org");
        assert_int_equal(s->n_mounts, 3);
        assert_null(s->mounts[0].options);
        assert_non_null(s->mounts[2].options);
        assert_null(s->mounts[2].type);
        assert_int_equal(s->mounts[1].uid_mappings[0].host_id, 100000);
        assert_true(s->has_hooks);
        assert_int_equal(s->hooks[OCI_HOOK_PRESTART].hooks[0].timeout.value, 5);
        assert_int_equal(s->hooks[OCI_HOOK_POSTSTOP].n, 2);
        assert_false(s->hooks[OCI_HOOK_POSTSTOP].hooks[1].timeout.set);
        assert_string_equal(s->hooks[OCI_HOOK_START_CONTAINER].hooks[0].path, "/bin/sc");

        assert_int_equal(l->n_namespaces, 8);
        assert_int_equal(l->namespaces[1].type, OCI_NS_NETWORK);
        assert_string_equal(l->namespaces[1].path, "/var/run/netns/berth");
        assert_int_equal(l->namespaces[7].type, OCI_NS_TIME);
        assert_int_equal(l->uid_mappings[1].size, 65535);
        assert_int_equal(l->devices[0].type, 'c');
        assert_int_equal(l->devices[0].file_mode.value, 0666);
        assert_int_equal(l->devices[2].type, 'p');
        assert_false(l->devices[1].file_mode.set);
        assert_int_equal(l->resources->devices[2].minor.value, -1);
        assert_null(l->resources->devices[2].access);
        assert_int_equal(l->resources->memory->swap.value, -1);
        assert_true(l->resources->memory->use_hierarchy.value);
        assert_true(l->resources->memory->disable_oom_killer.set);
        assert_false(l->resources->memory->disable_oom_killer.value);
        assert_string_equal(l->resources->cpu->cpus, "0-1");
        assert_true(l->resources->cpu->idle.set);
        assert_int_equal(l->resources->pids_limit.value, 32771);
        assert_int_equal(l->resources->block_io->n_throttle[OCI_THROTTLE_WRITE_IOPS], 1);
        assert_int_equal(l->resources->block_io->throttle[OCI_THROTTLE_WRITE_IOPS][0].rate, 400);
        assert_false(l->resources->block_io->weight_devices[1].weight.set);
        assert_int_equal(l->resources->hugepage_limits[0].limit, 9223372036854771712ULL);
        assert_string_equal(l->rootfs_propagation, "rslave");
        assert_int_equal(l->seccomp->n_syscalls, 2);
        assert_int_equal(l->seccomp->syscalls[1].args[0].value, 4294967295ULL);
        assert_string_equal(l->seccomp->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
        assert_int_equal(l->seccomp->syscalls[1].errno_ret.value, 22);
        assert_string_equal(json_string_value(json_object_get(l->sysctl, "net.ipv4.ip_forward")), "1");
        assert_string_equal(l->readonly_paths[1], "/proc/bus");
}

/* Written back, the full config is the same document, and parses to the same document again. */
static void test_full_config_round_trip(void **state)
{
        _cleanup_free_ char *text = q(full_config);
        _cleanup_json_ json_t *in = json_loads(text, 0, NULL), *out = NULL, *again = NULL;
        _cleanup_oci_spec_ oci_spec *s = parse_ok(full_config), *s2 = NULL;
        _cleanup_free_ char *dumped = NULL;

        out = oci_spec_to_json(s);
        if (!json_equal(in, out)) {
                _cleanup_free_ char *a = jsonh_dump(in, false), *b = jsonh_dump(out, false);
                fail_msg("round trip differs:\n%s\n%s", a, b);
        }
        dumped = jsonh_dump(out, true);
        assert_int_equal(oci_spec_parse(dumped, strlen(dumped), &s2, NULL), 0);
        again = oci_spec_to_json(s2);
        assert_true(json_equal(out, again));
}

static void test_process_round_trip(void **state)
{
        _cleanup_oci_spec_ oci_spec *s = parse_ok(full_config);
        _cleanup_json_ json_t *j = oci_process_to_json(s->process), *j2 = NULL;
        oci_process *p = NULL;

        assert_int_equal(oci_process_from_json(j, "process", &p, NULL), 0);
        j2 = oci_process_to_json(p);
        assert_true(json_equal(j, j2));
        assert_string_equal(p->args[1], "-c");
        oci_process_free(p);
}

/* Absent members stay unset in the structs and absent in the written JSON. */
static void test_minimal_stays_unset(void **state)
{
        static const char minimal[] = "{'ociVersion': '1.0.0', 'process': {'args': ['true'], 'cwd': '/'},"
                                      " 'linux': {'resources': {'memory': {}, 'cpu': {}, 'pids': {}}}}";
        _cleanup_oci_spec_ oci_spec *s = parse_ok(minimal);
        _cleanup_free_ char *text = q(minimal);
        _cleanup_json_ json_t *in = json_loads(text, 0, NULL), *out = oci_spec_to_json(s);
        const oci_process *p = s->process;

        assert_null(s->root);
        assert_null(s->hostname);
        assert_int_equal(s->n_mounts, 0);
        assert_false(s->has_hooks);
        assert_null(s->annotations);
        assert_false(p->terminal);
        assert_null(p->console_size);
        assert_int_equal(p->user.uid, 0);
        assert_false(p->user.umask.set);
        assert_null(p->env);
        assert_null(p->capabilities);
        assert_int_equal(p->n_rlimits, 0);
        assert_false(p->oom_score_adj.set);
        assert_null(p->scheduler);
        assert_null(p->apparmor_profile);
        assert_int_equal(s->linux_->n_namespaces, 0);
        assert_null(s->linux_->seccomp);
        assert_null(s->linux_->masked_paths);
        assert_null(s->linux_->sysctl);
        assert_null(s->linux_->rootfs_propagation);
        assert_false(s->linux_->resources->memory->limit.set);
        assert_false(s->linux_->resources->memory->swappiness.set);
        assert_false(s->linux_->resources->cpu->quota.set);
        assert_null(s->linux_->resources->cpu->cpus);
        assert_false(s->linux_->resources->pids_limit.set);
        assert_null(s->linux_->resources->block_io);

        /* The writer adds "user" (uid and gid are required members), nothing else. */
        json_object_set_new(json_object_get(in, "process"), "user",
                            json_pack("{s:i, s:i}", "uid", 0, "gid", 0));
        json_object_del(json_object_get(json_object_get(in, "linux"), "resources"), "pids");
        assert_true(json_equal(in, out));

        oci_spec_free(NULL);
        oci_process_free(NULL);
        oci_resources_free(NULL);
}

static void test_no_process(void **state)
{
        _cleanup_oci_spec_ oci_spec *s = parse_ok("{'ociVersion': '1.0.2-dev', 'root': {'path': '/r'}}");

        assert_null(s->process);
        assert_null(s->linux_);
        assert_string_equal(s->root->path, "/r");
        assert_false(s->root->readonly);
}

static void test_unknown_properties_ignored(void **state)
{
        _cleanup_oci_spec_ oci_spec *s =
                parse_ok("{'ociVersion': '1.1.0', 'future': [1, {}], 'windows': {'layerFolders': 3},"
                         " 'process': {'args': ['sh'], 'cwd': '/', 'newThing': true, 'user': {'uid': 1, "
                         "'gid': 2, 'x': 0}},"
                         " 'linux': {'namespaces': [{'type': 'pid', 'extra': 1}], 'unknownLinux': 'x',"
                         "  'resources': {'memory': {'limit': 5, 'futureKnob': 'x'}}}}");

        assert_int_equal(s->process->user.gid, 2);
        assert_int_equal(s->linux_->namespaces[0].type, OCI_NS_PID);
        assert_int_equal(s->linux_->resources->memory->limit.value, 5);
}

static const struct {
        const char *json;
        const char *message;
} error_cases[] = {
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh', '-c', 1], 'cwd': '/'}}",
         "process.args[2]: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'linux': {'namespaces': [{'type': 'pid'}, {'type': 'foo'}]}}",
         "linux.namespaces[1].type: unknown namespace type \"foo\""},
        {"{'ociVersion': '1.0.0', 'linux': {'namespaces': [{'type': 'pid'}, {'type': 'uts'}, {'type': "
         "'pid'}]}}",
         "linux.namespaces[2].type: duplicate namespace type \"pid\""},
        {"{'ociVersion': '1.0.0', 'linux': {'namespaces': [{'path': '/proc/1/ns/pid'}]}}",
         "linux.namespaces[0].type: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'namespaces': [{'type': 'net', 'path': 'x'}]}}",
         "linux.namespaces[0].type: unknown namespace type \"net\""},
        {"{'ociVersion': '1.0.0', 'linux': {'namespaces': [{'type': 'network', 'path': 'ns/net'}]}}",
         "linux.namespaces[0].path: \"ns/net\" is not an absolute path"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/',"
         " 'rlimits': [{'type': 'RLIMIT_FOO', 'soft': 1, 'hard': 1}]}}",
         "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'rlimits': ["
         "{'type': 'RLIMIT_NOFILE', 'soft': 1, 'hard': 1}, {'type': 'RLIMIT_CORE', 'soft': 1, 'hard': 1},"
         " {'type': 'RLIMIT_NOFILE', 'soft': 2, 'hard': 2}]}}",
         "process.rlimits[2].type: duplicate rlimit \"RLIMIT_NOFILE\""},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/',"
         " 'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': -1, 'hard': 1}]}}",
         "process.rlimits[0].soft: -1 is out of range [0, 18446744073709551615]"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'rlimits': [{'type': "
         "'RLIMIT_NOFILE', 'soft': 1}]}}",
         "process.rlimits[0].hard: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'devices': [{'path': '/dev/x', 'type': 'x', 'major': 1, "
         "'minor': 1}]}}",
         "linux.devices[0].type: unknown device type \"x\""},
        {"{'ociVersion': '1.0.0', 'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'minor': 1}]}}",
         "linux.devices[0].major: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'devices': [{'path': '/dev/x', 'type': 'cc', 'major': 1, "
         "'minor': 1}]}}",
         "linux.devices[0].type: unknown device type \"cc\""},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'devices': [{'allow': true, 'type': 'p'}]}}}",
         "linux.resources.devices[0].type: unknown device type \"p\""},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'devices': [{'access': 'rwm'}]}}}",
         "linux.resources.devices[0].allow: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'devices': [{'allow': true, 'access': 'rwx'}]}}}",
         "linux.resources.devices[0].access: \"rwx\" is not a subset of \"rwm\""},
        {"{'ociVersion': '1.0.0', 'linux': {'rootfsPropagation': 'sideways'}}",
         "linux.rootfsPropagation: unknown propagation \"sideways\""},
        {"{'ociVersion': '1.0.0', 'hooks': {'poststart': [{'path': '/bin/a'}, {'args': ['a']}]}}",
         "hooks.poststart[1].path: required"},
        {"{'ociVersion': '1.0.0', 'hooks': {'createRuntime': [{'path': 'bin/hook'}]}}",
         "hooks.createRuntime[0].path: \"bin/hook\" is not an absolute path"},
        {"{'ociVersion': '1.0.0', 'hooks': {'prestart': [{'path': '/bin/a', 'timeout': 0}]}}",
         "hooks.prestart[0].timeout: must be greater than zero, got 0"},
        {"{'ociVersion': '1.0.0', 'hooks': {'poststop': [{'path': '/bin/a', 'timeout': -3}]}}",
         "hooks.poststop[0].timeout: must be greater than zero, got -3"},
        {"{'ociVersion': '1.0.0', 'hooks': {'poststop': [{'path': '/bin/a', 'timeout': 2147483648}]}}",
         "hooks.poststop[0].timeout: 2147483648 is out of range [1, 2147483647]"},
        {"{'ociVersion': '1.0.0', 'hooks': {'startContainer': {'path': '/bin/a'}}}",
         "hooks.startContainer: expected array, got object"},
        {"{'ociVersion': '1.0.0', 'mounts': [{'destination': '/proc'}, {'type': 'tmpfs', 'source': "
         "'tmpfs'}]}",
         "mounts[1].destination: required"},
        {"{'ociVersion': '1.0.0', 'mounts': [{'destination': ''}]}",
         "mounts[0].destination: must not be empty"},
        {"{'ociVersion': '1.0.0', 'mounts': [{'destination': '/a', 'options': ['ro', true]}]}",
         "mounts[0].options[1]: expected string, got boolean"},
        {"{'ociVersion': '1.0.0', 'mounts': [{'destination': '/a', 'uidMappings': [{'containerID': 0, "
         "'hostID': 1}]}]}",
         "mounts[0].uidMappings[0].size: required"},
        {"{'ociVersion': '1.0.0', 'mounts': ['/proc']}", "mounts[0]: expected object, got string"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'env': ['A=1', 'FOO']}}",
         "process.env[1]: \"FOO\" is not of the form KEY=value"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'env': ['=x']}}",
         "process.env[0]: \"=x\" is not of the form KEY=value"},
        {"{'ociVersion': '1.0.0', 'process': {'args': [], 'cwd': '/'}}", "process.args: must not be empty"},
        {"{'ociVersion': '1.0.0', 'process': {'cwd': '/'}}", "process.args: required"},
        {"{'ociVersion': '1.0.0', 'process': {'args': 'sh', 'cwd': '/'}}",
         "process.args: expected array, got string"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh']}}", "process.cwd: required"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': 'tmp'}}",
         "process.cwd: \"tmp\" is not an absolute path"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'terminal': 'yes'}}",
         "process.terminal: expected boolean, got string"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': -1, 'gid': 0}}}",
         "process.user.uid: -1 is out of range [0, 4294967295]"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 0}}}",
         "process.user.gid: required"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': 0, 'gid': 0,"
         " 'additionalGids': [1, 4294967296]}}}",
         "process.user.additionalGids[1]: 4294967296 is out of range [0, 4294967295]"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'oomScoreAdj': 1001}}",
         "process.oomScoreAdj: 1001 is out of range [-1000, 1000]"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'consoleSize': {'height': 1.5, "
         "'width': 2}}}",
         "process.consoleSize.height: expected integer, got number"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'capabilities': {'bounding': "
         "[1]}}}",
         "process.capabilities.bounding[0]: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'scheduler': {'nice': 1}}}",
         "process.scheduler.policy: required"},
        {"{'ociVersion': '1.0.0', 'process': ['sh']}", "process: expected object, got array"},
        {"{'ociVersion': '1.0.0', 'root': {'readonly': true}}", "root.path: required"},
        {"{'ociVersion': '1.0.0', 'root': 'rootfs'}", "root: expected object, got string"},
        {"{'ociVersion': '1.0.0', 'hostname': 7}", "hostname: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'annotations': {'a': 'b', 'n': 1}}",
         "annotations.n: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'annotations': {'': 'x'}}", "annotations: empty key"},
        {"{'process': {'args': ['sh'], 'cwd': '/'}}", "ociVersion: required"},
        {"{'ociVersion': '2.0.0'}", "ociVersion: unsupported version \"2.0.0\""},
        {"{'ociVersion': 1.0}", "ociVersion: expected string, got number"},
        {"['ociVersion']", "config.json: expected object, got array"},
        {"{'ociVersion': '1.0.0', 'linux': {'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': "
         "-1}]}}",
         "linux.uidMappings[0].size: -1 is out of range [0, 4294967295]"},
        {"{'ociVersion': '1.0.0', 'linux': {'timeOffsets': {'monotonic': {'secs': 'x'}}}}",
         "linux.timeOffsets.monotonic.secs: expected integer, got string"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'memory': {'limit': '1g'}}}}",
         "linux.resources.memory.limit: expected integer, got string"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'memory': {'swappiness': -1}}}}",
         "linux.resources.memory.swappiness: -1 is out of range [0, 18446744073709551615]"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'cpu': {'cpus': 1}}}}",
         "linux.resources.cpu.cpus: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'pids': {'limit': true}}}}",
         "linux.resources.pids.limit: expected integer, got boolean"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'blockIO': {'weight': 70000}}}}",
         "linux.resources.blockIO.weight: 70000 is out of range [0, 65535]"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'blockIO': {'throttleReadIOPSDevice': [{'major': "
         "8, 'minor': 0}]}}}}",
         "linux.resources.blockIO.throttleReadIOPSDevice[0].rate: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'hugepageLimits': [{'limit': 1}]}}}",
         "linux.resources.hugepageLimits[0].pageSize: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'unified': {'memory.max': 5}}}}",
         "linux.resources.unified.memory.max: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'linux': {'seccomp': {'syscalls': []}}}",
         "linux.seccomp.defaultAction: required"},
        {"{'ociVersion': '1.0.0', 'linux': {'seccomp': {'defaultAction': 'ALLOW'}}}",
         "linux.seccomp.defaultAction: unknown seccomp action \"ALLOW\""},
        {"{'ociVersion': '1.0.0', 'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': "
         "[{'names': ['a'],"
         " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 1, 'op': 'EQ'}]}]}}}",
         "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\""},
        {"{'ociVersion': '1.0.0', 'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': "
         "[{'names': ['a'],"
         " 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 6, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]}}}",
         "linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]"},
        {"{'ociVersion': '1.0.0', 'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': "
         "[{'names': [],"
         " 'action': 'SCMP_ACT_ERRNO'}]}}}",
         "linux.seccomp.syscalls[0].names: must not be empty"},
        {"{'ociVersion': '1.0.0', 'linux': {'sysctl': {'net.ipv4.ip_forward': 1}}}",
         "linux.sysctl.net.ipv4.ip_forward: expected string, got integer"},
        {"{'ociVersion': '1.0.0', 'linux': {'maskedPaths': '/proc/kcore'}}",
         "linux.maskedPaths: expected array, got string"},
        {"{'ociVersion': '1.0.0', 'linux': {'intelRdt': []}}", "linux.intelRdt: expected object, got array"},
        {"{'ociVersion': '1.0.0', 'linux': []}", "linux: expected object, got array"},
};

static void test_error_messages(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++) {
                _cleanup_free_ char *text = q(error_cases[i].json);
                _cleanup_error_ berth_error *err = NULL;
                oci_spec *s = NULL;
                int r = oci_spec_parse(text, strlen(text), &s, &err);

                if (r >= 0)
                        fail_msg("case %zu parsed: %s", i, text);
                assert_null(s);
                assert_non_null(err);
                if (!streq(err->msg, error_cases[i].message))
                        fail_msg("case %zu: got '%s', want '%s'", i, err->msg, error_cases[i].message);
        }
}

/* Docker writes RLIM_INFINITY for --ulimit memlock=-1 as 18446744073709551615, beyond jansson's int64. */
static void test_uint64_beyond_int64(void **state)
{
        static const char big[] =
                "{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'rlimits': ["
                "{'type': 'RLIMIT_MEMLOCK', 'soft': 18446744073709551615, 'hard': 18446744073709551615}]},"
                " 'annotations': {'digits': '18446744073709551615'},"
                " 'linux': {'resources': {'memory': {'swappiness': 18446744073709551615}, 'hugepageLimits': "
                "["
                "{'pageSize': '1GB', 'limit': 9223372036854775808}]},"
                " 'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['x'], 'action': "
                "'SCMP_ACT_LOG',"
                " 'args': [{'index': 0, 'value': 18446744073709551615, 'valueTwo': 12345678901234567890,"
                " 'op': 'SCMP_CMP_MASKED_EQ'}]}]}}}";
        _cleanup_oci_spec_ oci_spec *s = parse_ok(big), *s2 = NULL;
        _cleanup_json_ json_t *j = oci_spec_to_json(s), *j2 = NULL;
        _cleanup_free_ char *text = jsonh_dump_u64(j, false);
        const oci_seccomp_arg *a = &s->linux_->seccomp->syscalls[0].args[0];

        assert_int_equal(s->process->rlimits[0].soft, UINT64_MAX);
        assert_int_equal(s->process->rlimits[0].hard, UINT64_MAX);
        assert_int_equal(s->linux_->resources->memory->swappiness.value, UINT64_MAX);
        assert_int_equal(s->linux_->resources->hugepage_limits[0].limit, 9223372036854775808ULL);
        assert_int_equal(a->value, UINT64_MAX);
        assert_int_equal(a->value_two, 12345678901234567890ULL);
        assert_string_equal(json_string_value(json_object_get(s->annotations, "digits")),
                            "18446744073709551615");

        /* Written back as plain numbers; strings stay strings. */
        assert_non_null(strstr(text, "\"soft\":18446744073709551615"));
        assert_non_null(strstr(text, "\"limit\":9223372036854775808"));
        assert_non_null(strstr(text, "\"valueTwo\":12345678901234567890"));
        assert_non_null(strstr(text, "\"digits\":\"18446744073709551615\""));
        assert_int_equal(oci_spec_parse(text, strlen(text), &s2, NULL), 0);
        j2 = oci_spec_to_json(s2);
        assert_true(json_equal(j, j2));
}

static const struct {
        const char *json;
        const char *message;
} big_error_cases[] = {
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'memory': {'limit': 9223372036854775808}}}}",
         "linux.resources.memory.limit: 9223372036854775808 is out of range [-9223372036854775808, "
         "9223372036854775807]"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'user': {'uid': "
         "18446744073709551615, 'gid': 0}}}",
         "process.user.uid: 18446744073709551615 is out of range [0, 4294967295]"},
        {"{'ociVersion': '1.0.0', 'process': {'args': ['sh'], 'cwd': '/', 'rlimits': ["
         "{'type': 'RLIMIT_NOFILE', 'soft': 18446744073709551616, 'hard': 1}]}}",
         "config.json: line 1 column 130: too big integer near '18446744073709551616'"},
        {"{'ociVersion': '1.0.0', 'linux': {'resources': {'memory': {'limit': -9223372036854775809}}}}",
         "config.json: line 1 column 88: too big negative integer near '-9223372036854775809'"},
        {"{'ociVersion': '1.0.0',\n 'annotations': {'a': '\\u0001u64:18446744073709551615'}}",
         "config.json: line 2 column 23: a string starting with \\u0001 is not supported"},
};

static void test_uint64_errors(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(big_error_cases); i++) {
                _cleanup_free_ char *text = q(big_error_cases[i].json);
                _cleanup_error_ berth_error *err = NULL;
                oci_spec *s = NULL;

                assert_true(oci_spec_parse(text, strlen(text), &s, &err) < 0);
                if (!streq(err->msg, big_error_cases[i].message))
                        fail_msg("case %zu: got '%s', want '%s'", i, err->msg, big_error_cases[i].message);
        }
}

static void test_syntax_error_line_column(void **state)
{
        static const char text[] = "{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": {,}\n}";
        _cleanup_error_ berth_error *err = NULL;
        oci_spec *s = NULL;

        assert_true(oci_spec_parse(text, strlen(text), &s, &err) < 0);
        assert_null(s);
        assert_non_null(strstr(err->msg, "config.json: line 3 column 15"));
}

static void test_duplicate_keys_rejected(void **state)
{
        static const char text[] = "{\"ociVersion\": \"1.0.0\", \"hostname\": \"a\", \"hostname\": \"b\"}";
        _cleanup_error_ berth_error *err = NULL;
        oci_spec *s = NULL;

        assert_true(oci_spec_parse(text, strlen(text), &s, &err) < 0);
        assert_non_null(strstr(err->msg, "duplicate"));
}

static void test_process_and_resources_alone(void **state)
{
        _cleanup_free_ char *pt = q("{'args': ['sh'], 'cwd': 'rel'}"), *rt = q("{'cpu': {'quota': 'x'}}");
        _cleanup_free_ char *ok = q("{'memory': {'limit': 1048576}, 'pids': {'limit': 10}}");
        _cleanup_json_ json_t *pj = json_loads(pt, 0, NULL), *rj = json_loads(rt, 0, NULL),
                              *okj = json_loads(ok, 0, NULL);
        _cleanup_error_ berth_error *err = NULL;
        oci_process *p = NULL;
        oci_resources *res = NULL;

        assert_true(oci_process_from_json(pj, "process", &p, &err) < 0);
        assert_string_equal(err->msg, "process.cwd: \"rel\" is not an absolute path");
        assert_true(oci_process_from_json(pj, NULL, &p, &err) < 0);
        assert_string_equal(err->msg, "cwd: \"rel\" is not an absolute path");
        assert_null(p);
        assert_true(oci_resources_from_json(rj, "resources", &res, &err) < 0);
        assert_string_equal(err->msg, "resources.cpu.quota: expected integer, got string");
        assert_true(oci_resources_from_json(pj, "r", &res, &err) == 0);
        oci_resources_free(res);
        res = NULL;
        assert_true(oci_resources_from_json(json_array_get(json_object_get(pj, "args"), 0), "r", &res,
                                            &err) < 0);
        assert_string_equal(err->msg, "r: expected object, got string");
        assert_int_equal(oci_resources_from_json(okj, "", &res, NULL), 0);
        assert_int_equal(res->memory->limit.value, 1048576);
        assert_int_equal(res->pids_limit.value, 10);
        oci_resources_free(res);
}

static void test_load_file(void **state)
{
        char dir[] = "/tmp/berth-test-oci-XXXXXX";
        _cleanup_free_ char *path = NULL, *bad = q("{'ociVersion': '1.0.0', 'root': {}}");
        _cleanup_error_ berth_error *err = NULL;
        oci_spec *s = NULL;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        path = xasprintf("%s/config.json", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(bad, f);
        fclose(f);
        assert_true(oci_spec_load(path, &s, &err) < 0);
        assert_null(s);
        {
                _cleanup_free_ char *want = xasprintf("%s: root.path: required", path);
                assert_string_equal(err->msg, want);
        }
        unlink(path);
        assert_true(oci_spec_load(path, &s, &err) < 0);
        assert_int_equal(err->errnum, ENOENT);
        rmdir(dir);
}

static void test_names(void **state)
{
        assert_int_equal(oci_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
        assert_int_equal(oci_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
        assert_int_equal(oci_rlimit_from_name("RLIMIT_AS"), RLIMIT_AS);
        assert_int_equal(oci_rlimit_from_name("nofile"), -1);
        assert_int_equal(oci_rlimit_from_name(NULL), -1);
        for (int t = 0; t < OCI_NS__MAX; t++)
                assert_int_equal(oci_ns_type_from_name(oci_ns_type_name(t)), t);
        assert_string_equal(oci_ns_type_name(OCI_NS_NETWORK), "network");
        assert_string_equal(oci_ns_type_name(OCI_NS_TIME), "time");
        assert_null(oci_ns_type_name(OCI_NS__MAX));
        assert_int_equal(oci_ns_type_from_name("net"), -1);
        assert_int_equal(oci_ns_type_from_name(NULL), -1);
        assert_string_equal(oci_hook_kind_name(OCI_HOOK_CREATE_RUNTIME), "createRuntime");
        assert_string_equal(oci_hook_kind_name(OCI_HOOK_POSTSTOP), "poststop");
        assert_null(oci_hook_kind_name(OCI_HOOK__MAX));
}

/* Run `<runtime> spec [--rootless]` in a scratch dir and return its config.json; NULL when the
 * runtime is not installed. */
static json_t *peer_spec(const char *runtime, bool rootless)
{
        char dir[] = "/tmp/berth-test-peer-spec-XXXXXX";
        _cleanup_free_ char *cmd = NULL, *path = NULL, *bin = xasprintf("/usr/bin/%s", runtime);
        _cleanup_free_ char *sbin = xasprintf("/usr/sbin/%s", runtime);
        json_t *j;
        int status;

        if (access(bin, X_OK) < 0 && access(sbin, X_OK) < 0)
                return NULL;
        assert_non_null(mkdtemp(dir));
        cmd = xasprintf("cd %s && %s spec %s", dir, runtime, rootless ? "--rootless" : "");
        status = system(cmd);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        path = xasprintf("%s/config.json", dir);
        j = json_load_file(path, 0, NULL);
        assert_non_null(j);
        unlink(path);
        rmdir(dir);
        return j;
}

static void check_default(bool rootless)
{
        _cleanup_json_ json_t *ours = oci_spec_default_json(rootless), *runc = peer_spec("runc", rootless),
                              *back = NULL;
        _cleanup_json_ json_t *again = NULL;
        _cleanup_oci_spec_ oci_spec *s = NULL, *s2 = NULL;
        _cleanup_error_ berth_error *err = NULL;

        if (runc) {
                _cleanup_oci_spec_ oci_spec *rs = NULL;
                if (!json_equal(ours, runc)) {
                        _cleanup_free_ char *a = jsonh_dump(ours, false), *b = jsonh_dump(runc, false);
                        fail_msg("default spec differs from runc's:\n%s\n%s", a, b);
                }
                assert_int_equal(oci_spec_from_json(runc, &rs, &err), 0);
        }
        assert_int_equal(oci_spec_from_json(ours, &s, &err), 0);
        assert_string_equal(s->process->args[0], "sh");
        assert_null(s->process->args[1]);
        assert_true(s->process->terminal);
        assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
        assert_string_equal(s->root->path, "rootfs");
        assert_int_equal(s->n_mounts, 7);
        assert_int_equal(s->linux_->n_namespaces, 5);
        back = oci_spec_to_json(s);
        assert_int_equal(oci_spec_from_json(back, &s2, &err), 0);
        again = oci_spec_to_json(s2);
        assert_true(json_equal(back, again));
        if (rootless) {
                assert_int_equal(s->linux_->namespaces[4].type, OCI_NS_USER);
                assert_int_equal(s->linux_->uid_mappings[0].host_id, geteuid());
                assert_int_equal(s->linux_->gid_mappings[0].host_id, getegid());
                assert_int_equal(s->linux_->n_uid_mappings, 1);
                assert_null(s->linux_->resources);
                assert_string_equal(s->mounts[5].source, "/sys");
                assert_false(strv_contains(s->mounts[2].options, "gid=5"));
        } else {
                for (size_t i = 0; i < s->linux_->n_namespaces; i++)
                        assert_int_not_equal(s->linux_->namespaces[i].type, OCI_NS_USER);
                assert_false(s->linux_->resources->devices[0].allow);
                assert_true(strv_contains(s->mounts[2].options, "gid=5"));
        }
}

/* crun's default spec is another document a peer engine could hand us. */
static void test_crun_spec_parses(void **state)
{
        for (int rootless = 0; rootless <= 1; rootless++) {
                _cleanup_json_ json_t *j = peer_spec("crun", rootless);
                _cleanup_oci_spec_ oci_spec *s = NULL;
                _cleanup_error_ berth_error *err = NULL;

                if (!j)
                        skip();
                if (oci_spec_from_json(j, &s, &err) < 0)
                        fail_msg("crun spec%s: %s", rootless ? " --rootless" : "", err->msg);
                assert_non_null(s->process->args[0]);
                assert_true(s->n_mounts > 0);
        }
}

static void test_default_spec(void **state)
{
        check_default(false);
}

static void test_default_spec_rootless(void **state)
{
        check_default(true);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_config_fields),
                cmocka_unit_test(test_full_config_round_trip),
                cmocka_unit_test(test_process_round_trip),
                cmocka_unit_test(test_minimal_stays_unset),
                cmocka_unit_test(test_no_process),
                cmocka_unit_test(test_unknown_properties_ignored),
                cmocka_unit_test(test_error_messages),
                cmocka_unit_test(test_uint64_beyond_int64),
                cmocka_unit_test(test_uint64_errors),
                cmocka_unit_test(test_syntax_error_line_column),
                cmocka_unit_test(test_duplicate_keys_rejected),
                cmocka_unit_test(test_process_and_resources_alone),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_default_spec),
                cmocka_unit_test(test_default_spec_rootless),
                cmocka_unit_test(test_crun_spec_parses),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
