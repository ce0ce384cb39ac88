/*
 * cgroup drivers against the real kernel: limits land in the host's files, a frozen process stops,
 * kill_all and the OOM killer end processes, destroy leaves nothing. Runs as root on the v1
 * host and, unchanged, inside tests/v2vm on cgroup v2. Everything lives under /berth-test-<pid>.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/loop.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "basic/proc.h"
#include "basic/strv.h"
#include "runtime/cgroup.h"

#define MiB (1024 * 1024)

static bool v2;         /* the host is pure cgroup v2 */
static char prefix[64]; /* "/berth-test-<pid>" */
static pid_t children[16];
static size_t n_children;
static cgroup *cg; /* the test's cgroup, freed by the teardown */
static bool hugetlb_enabled_by_us;

/* ---- independent view of the host's files (not through the library) ---- */

static char *cg_file(const char *ctrl, const char *name, const char *file)
{
        if (v2)
                return xasprintf("/sys/fs/cgroup%s/%s%s%s", prefix, name, file ? "/" : "", strempty(file));
        return xasprintf("/sys/fs/cgroup/%s%s/%s%s%s", ctrl, prefix, name, file ? "/" : "", strempty(file));
}

static char *read_trimmed(const char *path)
{
        char *text = NULL;

        if (fs_read_file(path, &text, NULL, NULL) < 0)
                return xstrdup("<missing>");
        for (size_t n = strlen(text); n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '); n--)
                text[n - 1] = 0;
        return text;
}

static char *cg_read(const char *ctrl, const char *name, const char *file)
{
        _cleanup_free_ char *p = cg_file(ctrl, name, file);
        return read_trimmed(p);
}

#define assert_cg(ctrl, name, file, want)                                                                   \
        do {                                                                                                \
                _cleanup_free_ char *_got = cg_read(ctrl, name, file);                                      \
                assert_string_equal(_got, want);                                                            \
        } while (0)

#define assert_cg_contains(ctrl, name, file, want)                                                          \
        do {                                                                                                \
                _cleanup_free_ char *_got = cg_read(ctrl, name, file);                                      \
                if (!strstr(_got, want))                                                                    \
                        fail_msg("%s of %s is \"%s\", not containing \"%s\"", file, name, _got, want);      \
        } while (0)

static bool cg_exists(const char *ctrl, const char *name)
{
        _cleanup_free_ char *p = cg_file(ctrl, name, NULL);
        return access(p, F_OK) == 0;
}

static const char *const v1_dirs[] = {"cpu",     "cpuacct", "cpuset", "memory",  "devices",
                                      "freezer", "blkio",   "pids",   "systemd", "unified"};

/* ---- children that wait until they are in the cgroup ---- */

typedef void (*child_fn)(void *arg);

static pid_t spawn(child_fn fn, void *arg, int *ret_go)
{
        int p[2];
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                close(p[1]);
                if (read(p[0], &c, 1) != 1)
                        _exit(100);
                fn(arg);
                _exit(0);
        }
        close(p[0]);
        children[n_children++] = pid;
        *ret_go = p[1];
        return pid;
}

static void go(int *fd)
{
        assert_int_equal(write(*fd, "x", 1), 1);
        close(*fd);
        *fd = -1;
}

static int wait_status(pid_t pid)
{
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        for (size_t i = 0; i < n_children; i++)
                if (children[i] == pid)
                        children[i] = 0;
        return status;
}

static void child_pause(void *arg)
{
        for (;;)
                pause();
}

static void child_busy(void *arg)
{
        for (volatile unsigned long i = 0;; i++)
                ;
}

/* ---- a block device for the io tests ---- */

static char *blockdev;   /* the block device the io tests read and throttle */
static int loop_fd = -1; /* our loop device, detached on close (LO_FLAGS_AUTOCLEAR) */

/* A loop device over an unlinked file in /tmp: nothing to clean up but an fd. */
static char *loop_attach(void)
{
        _cleanup_free_ char *img = xasprintf("/tmp/berth-test-%d.img", (int)getpid());
        _cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        _cleanup_close_ int back = open(img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        unlink(img);
        if (ctl < 0 || back < 0 || ftruncate(back, 8 * MiB) < 0)
                return NULL;
        for (int attempt = 0; attempt < 10; attempt++) {
                int n = ioctl(ctl, LOOP_CTL_GET_FREE);
                char *dev = xasprintf("/dev/loop%d", n);
                struct loop_config lc = {.fd = (uint32_t)back, .info.lo_flags = LO_FLAGS_AUTOCLEAR};
                int fd = n < 0 ? -1 : open(dev, O_RDWR | O_CLOEXEC);
                if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &lc) == 0) {
                        loop_fd = fd;
                        return dev;
                }
                if (fd >= 0)
                        close(fd);
                free(dev);
        }
        return NULL;
}

/* BERTH_TEST_BLOCKDEV=/dev/x, else a virtio disk we may open (the v2vm's -D disk), else a loop device. */
static char *blockdev_pick(void)
{
        const char *env = getenv("BERTH_TEST_BLOCKDEV");
        int fd;

        if (env)
                return xstrdup(env);
        fd = open("/dev/vda", O_RDONLY | O_DIRECT | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                return xstrdup("/dev/vda");
        }
        return loop_attach();
}

static const char *find_blockdev(unsigned *maj, unsigned *min)
{
        struct stat st;

        if (!blockdev || stat(blockdev, &st) < 0 || !S_ISBLK(st.st_mode))
                return NULL;
        *maj = major(st.st_rdev);
        *min = minor(st.st_rdev);
        return blockdev;
}

/* ---- fixtures ---- */

/* A failed call shows its error and where it was made; a failure without an error is a bug too. */
#define assert_ok(r, err)                                                                                   \
        do {                                                                                                \
                int _r = (r); /* before err is read */                                                      \
                assert_ok_at(_r, (err), #r, __LINE__);                                                      \
        } while (0)
static void assert_ok_at(int r, berth_error *err, const char *call, int line)
{
        if (r < 0) {
                _cleanup_free_ char *t = err ? berth_error_text(err) : xstrdup("no error was set");
                fail_msg("line %d: %s = %d: %s", line, call, r, t);
        }
}

static cgroup *make(const char *name, const oci_resources *res)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", prefix, name);
        _cleanup_error_ berth_error *err = NULL;

        assert_ok(cgroup_open(path, "unused", &cg, &err), err);
        assert_ok(cgroup_create(cg, res, &err), err);
        return cg;
}

static void enter_and_apply(pid_t pid, const oci_resources *res)
{
        _cleanup_error_ berth_error *err = NULL;

        assert_ok(cgroup_enter(cg, pid, &err), err);
        if (res)
                assert_ok(cgroup_apply(cg, res, &err), err);
}

static void rmdir_tree(const char *path)
{
        _cleanup_closedir_ DIR *d = opendir(path);

        for (struct dirent *de; d && (de = readdir(d));)
                if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        _cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
                        rmdir_tree(sub);
                }
        for (int i = 0; i < 100 && rmdir(path) < 0 && errno == EBUSY; i++)
                usleep(10000);
}

static void remove_test_cgroups(void)
{
        if (v2) {
                _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup%s", prefix);
                rmdir_tree(p);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(v1_dirs); i++) {
                _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/%s%s", v1_dirs[i], prefix);
                rmdir_tree(p);
        }
}

static int teardown(void **state)
{
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0) {
                        kill(children[i], SIGKILL);
                        waitpid(children[i], NULL, 0);
                }
        n_children = 0;
        if (cg) {
                /* a failed test may leave its cgroup frozen */
                (void)cgroup_freeze(cg, false, NULL);
                (void)cgroup_kill_all(cg, SIGKILL, NULL);
                (void)cgroup_destroy(cg, NULL);
        }
        cgroup_free(cg);
        cg = NULL;
        return 0;
}

static int group_setup(void **state)
{
        struct statfs sfs;
        _cleanup_free_ char *sc = read_trimmed("/sys/fs/cgroup/unified/cgroup.subtree_control");

        v2 = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
        snprintf(prefix, sizeof(prefix), "/berth-test-%d", (int)getpid());
        hugetlb_enabled_by_us = !v2 && !strstr(sc, "hugetlb");
        if (geteuid() != 0)
                return -1;
        blockdev = blockdev_pick();
        return 0;
}

static int group_teardown(void **state)
{
        remove_test_cgroups();
        closep(&loop_fd);
        free(blockdev);
        /* the hybrid hugetlb test enabled it on the host's cgroup2 root: put it back */
        if (hugetlb_enabled_by_us)
                (void)fs_write_file("/sys/fs/cgroup/unified/cgroup.subtree_control", "-hugetlb", 8, NULL);
        return 0;
}

/* ---- tests ---- */

static void expect_path(const char *cgroups_path, const char *id, const char *want)
{
        _cleanup_cgroup_ cgroup *c = NULL;
        _cleanup_error_ berth_error *err = NULL;

        assert_ok(cgroup_open(cgroups_path, id, &c, &err), err);
        assert_string_equal(cgroup_path(c), want);
        assert_string_equal(cgroup_driver_name(c), v2 ? "v2" : "v1");
}

static void expect_refused(const char *cgroups_path, const char *needle)
{
        _cleanup_cgroup_ cgroup *c = NULL;
        _cleanup_error_ berth_error *err = NULL;

        assert_true(cgroup_open(cgroups_path, "id", &c, &err) < 0);
        assert_null(c);
        assert_non_null(strstr(err->msg, needle));
}

static void test_open_paths(void **state)
{
        expect_path(NULL, "abc", "/berth/abc");
        expect_path("pod1/abc", "abc", "/berth/pod1/abc");
        expect_path("/kubepods//pod1/abc/", "abc", "/kubepods/pod1/abc");
        expect_refused("../etc", "\"..\" components");
        expect_refused("/a/../../b", "\"..\" components");
        expect_refused("system.slice:docker:abc", "--systemd-cgroup");
        expect_refused("/", "root cgroup");
}

static bool have_hugepages_2mb(void)
{
        return access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0;
}

static void test_limits_land_in_files(void **state)
{
        oci_memory mem = {
                .limit = {true, 64 * MiB}, .reservation = {true, 32 * MiB}, .swap = {true, 128 * MiB}};
        oci_cpu cpu = {.shares = {true, 512},
                       .quota = {true, 50000},
                       .period = {true, 100000},
                       .cpus = (char *)"0",
                       .mems = (char *)"0"};
        oci_throttle_device rbps = {0, 0, 1 * MiB};
        oci_blockio bio = {.weight = {true, 200}};
        oci_hugepage_limit huge = {(char *)"2MB", 4 * 2 * MiB};
        oci_resources res = {.memory = &mem, .cpu = &cpu, .pids_limit = {true, 20}, .block_io = &bio};
        _cleanup_free_ char *want = NULL;
        const char *dev;
        unsigned maj = 0, min = 0;
        int fd;

        if (!v2)
                mem.swappiness = (oci_opt_uint){true, 10};
        dev = find_blockdev(&maj, &min);
        if (dev) {
                rbps.major = maj;
                rbps.minor = min;
                bio.throttle[OCI_THROTTLE_READ_BPS] = &rbps;
                bio.n_throttle[OCI_THROTTLE_READ_BPS] = 1;
        }
        if (have_hugepages_2mb()) {
                res.hugepage_limits = &huge;
                res.n_hugepage_limits = 1;
        }
        make("limits", &res);
        bool bfq_v1 = !v2 && cg_exists("blkio", "limits/blkio.bfq.weight");
        if (!v2 && !bfq_v1)
                bio.weight.set = false; /* refused without CFQ or BFQ: test_apply_errors... covers that */
        pid_t pid = spawn(child_pause, NULL, &fd);
        enter_and_apply(pid, &res);

        if (v2) {
                assert_cg("", "limits", "memory.max", "67108864");
                assert_cg("", "limits", "memory.low", "33554432");
                assert_cg("", "limits", "memory.swap.max", "67108864"); /* memory+swap minus memory */
                assert_cg("", "limits", "cpu.weight", "20");            /* 1 + (512-2)*9999/262142 */
                assert_cg("", "limits", "cpu.max", "50000 100000");
                assert_cg("", "limits", "cpuset.cpus", "0");
                assert_cg("", "limits", "pids.max", "20");
        } else {
                assert_cg("memory", "limits", "memory.limit_in_bytes", "67108864");
                assert_cg("memory", "limits", "memory.soft_limit_in_bytes", "33554432");
                if (cg_exists("memory", "limits/memory.memsw.limit_in_bytes"))
                        assert_cg("memory", "limits", "memory.memsw.limit_in_bytes", "134217728");
                assert_cg("memory", "limits", "memory.swappiness", "10");
                assert_cg("cpu", "limits", "cpu.shares", "512");
                assert_cg("cpu", "limits", "cpu.cfs_quota_us", "50000");
                assert_cg("cpu", "limits", "cpu.cfs_period_us", "100000");
                assert_cg("cpuset", "limits", "cpuset.cpus", "0");
                assert_cg("cpuset", "limits", "cpuset.mems", "0");
                assert_cg("pids", "limits", "pids.max", "20");
                if (bfq_v1)
                        assert_cg_contains("blkio", "limits", "blkio.bfq.weight", "200");
        }
        if (v2)
                assert_cg_contains("", "limits",
                                   cg_exists("", "limits/io.bfq.weight") ? "io.bfq.weight" : "io.weight",
                                   cg_exists("", "limits/io.bfq.weight") ? "200" : "1920");
        if (dev) {
                want = v2 ? xasprintf("%u:%u rbps=1048576 wbps=max riops=max wiops=max", maj, min)
                          : xasprintf("%u:%u 1048576", maj, min);
                assert_cg_contains(v2 ? "" : "blkio", "limits",
                                   v2 ? "io.max" : "blkio.throttle.read_bps_device", want);
        }
        /* hugetlb: on this hybrid host only the cgroup2 mount has it */
        if (res.n_hugepage_limits && v2)
                assert_cg("", "limits", "hugetlb.2MB.max", "8388608");
        else if (res.n_hugepage_limits && cg_exists("unified", ""))
                assert_cg("unified", "limits", "hugetlb.2MB.max", "8388608");

        /* the process is in the cgroup in every hierarchy */
        _cleanup_free_ char *proc = xasprintf("/proc/%d/cgroup", (int)pid), *text = read_trimmed(proc);
        _cleanup_free_ char *line = xasprintf(v2 ? "0::%s/limits" : ":memory:%s/limits", prefix);
        assert_non_null(strstr(text, line));
        if (!v2) {
                free(line);
                line = xasprintf(":name=systemd:%s/limits", prefix);
                assert_non_null(strstr(text, line));
        }
        assert_int_equal(cgroup_clone_fd(cg) >= 0, v2);
}

static void test_apply_errors_name_file_and_value(void **state)
{
        oci_cpu cpu = {.cpus = (char *)"abc"};
        oci_resources bad = {.cpu = &cpu};
        oci_memory mem = {.limit = {true, 64 * MiB}, .swap = {true, 32 * MiB}};
        oci_resources swap_below = {.memory = &mem};
        oci_hugepage_limit huge = {(char *)"2XB", 1};
        oci_resources bad_huge = {.hugepage_limits = &huge, .n_hugepage_limits = 1};
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ char *want = xasprintf("cgroup %s/errors: write cpuset.cpus \"abc\"", prefix);

        make("errors", NULL);
        assert_true(cgroup_apply(cg, &bad, &err) < 0);
        assert_string_equal(err->msg, want);
        assert_int_equal(err->errnum, EINVAL);
        berth_error_freep(&err);

        /* refused before anything is written: the memory limit stays unlimited */
        assert_true(cgroup_apply(cg, &swap_below, &err) < 0);
        assert_non_null(strstr(err->msg, "below the memory limit"));
        berth_error_freep(&err);
        {
                _cleanup_free_ char *limit =
                        cg_read(v2 ? "" : "memory", "errors", v2 ? "memory.max" : "memory.limit_in_bytes");
                assert_true(streq(limit, "max") || strlen(limit) > 15);
        }
        assert_true(cgroup_apply(cg, &bad_huge, &err) < 0);
        assert_non_null(strstr(err->msg, "2XB"));
        berth_error_freep(&err);

        json_t *unified = json_pack("{s:s}", "pids.max", "7");
        oci_resources uni = {.unified = unified};
        int r = cgroup_apply(cg, &uni, &err);
        json_decref(unified);
        if (v2) {
                assert_ok(r, err);
                assert_cg("", "errors", "pids.max", "7");
        } else {
                assert_true(r < 0);
                assert_non_null(strstr(err->msg, "linux.resources.unified"));
        }
}

static int pipe_w = -1;

static void child_fork_many(void *arg)
{
        int n = 0;

        for (int i = 0; i < 10; i++) {
                pid_t p = fork();
                if (p == 0) {
                        for (;;)
                                pause();
                }
                if (p < 0)
                        break;
                n++;
        }
        if (write(pipe_w, &n, sizeof(n)) != sizeof(n))
                _exit(101);
        for (;;)
                pause();
}

static void test_pids_limit_enforced_and_listed(void **state)
{
        oci_resources res = {.pids_limit = {true, 4}};
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        cgroup_stats st;
        int fd, p[2], forked = -1;
        size_t n = 0;

        make("pids", &res);
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pipe_w = p[1];
        pid_t pid = spawn(child_fork_many, NULL, &fd);
        close(p[1]);
        enter_and_apply(pid, &res);
        go(&fd);
        assert_int_equal(read(p[0], &forked, sizeof(forked)), sizeof(forked));
        close(p[0]);
        assert_int_equal(forked, 3); /* the child itself is the 4th */

        assert_ok(cgroup_pids(cg, &pids, &n, &err), err);
        assert_int_equal(n, 4);
        assert_ok(cgroup_stats_read(cg, &st, &err), err);
        assert_int_equal(st.pids_current, 4);
        assert_int_equal(st.pids_limit, 4);

        assert_ok(cgroup_kill_all(cg, SIGKILL, &err), err);
        int status = wait_status(pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_ok(cgroup_destroy(cg, &err), err); /* waits for the orphans to go */
        assert_false(cg_exists(v2 ? "" : "pids", "pids"));
}

static unsigned long long cpu_ticks(pid_t pid)
{
        _cleanup_free_ char *p = xasprintf("/proc/%d/stat", (int)pid), *text = read_trimmed(p);
        unsigned long long ut = 0, st = 0;
        const char *s = strrchr(text, ')');

        assert_non_null(s);
        assert_int_equal(sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st),
                         2);
        return ut + st;
}

static void test_freeze_stops_a_busy_process(void **state)
{
        _cleanup_error_ berth_error *err = NULL;
        unsigned long long t0, t1;
        bool frozen = true;
        int fd;

        make("freeze", NULL);
        pid_t pid = spawn(child_busy, NULL, &fd);
        enter_and_apply(pid, NULL);
        go(&fd);
        usleep(100 * 1000);

        assert_ok(cgroup_freeze(cg, true, &err), err);
        assert_ok(cgroup_is_frozen(cg, &frozen, &err), err);
        assert_true(frozen);
        if (v2)
                assert_cg_contains("", "freeze", "cgroup.events", "frozen 1");
        else
                assert_cg("freezer", "freeze", "freezer.state", "FROZEN");
        assert_int_not_equal(proc_state(pid), 'R');
        t0 = cpu_ticks(pid);
        usleep(300 * 1000);
        t1 = cpu_ticks(pid);
        assert_int_equal(t0, t1); /* no CPU time at all while frozen */

        assert_ok(cgroup_freeze(cg, false, &err), err);
        assert_ok(cgroup_is_frozen(cg, &frozen, &err), err);
        assert_false(frozen);
        for (int i = 0; i < 100 && cpu_ticks(pid) == t1; i++)
                usleep(20 * 1000);
        assert_true(cpu_ticks(pid) > t1);
}

static void test_kill_all_signals_every_process(void **state)
{
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        pid_t pid[3];
        size_t n = 0;
        int fd;

        make("kill", NULL);
        for (size_t i = 0; i < 3; i++) {
                pid[i] = spawn(child_pause, NULL, &fd);
                enter_and_apply(pid[i], NULL);
                go(&fd);
        }
        assert_ok(cgroup_kill_all(cg, SIGTERM, &err), err);
        for (size_t i = 0; i < 3; i++) {
                int status = wait_status(pid[i]);
                assert_true(WIFSIGNALED(status));
                assert_int_equal(WTERMSIG(status), SIGTERM);
        }
        assert_ok(cgroup_pids(cg, &pids, &n, &err), err);
        assert_int_equal(n, 0);
        bool frozen = true;
        assert_ok(cgroup_is_frozen(cg, &frozen, &err), err);
        assert_false(frozen); /* thawed again after signalling */
}

static void child_hog(void *arg)
{
        for (size_t i = 0; i < 64; i++) {
                char *p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        _exit(2);
                memset(p, 1, 4 * MiB);
        }
        _exit(0);
}

static void test_oom_kill_is_counted(void **state)
{
        oci_memory mem = {.limit = {true, 32 * MiB}, .swap = {true, 32 * MiB}};
        oci_resources res = {.memory = &mem};
        _cleanup_error_ berth_error *err = NULL;
        cgroup_stats st;
        int fd;

        make("oom", &res);
        if (!v2 && !cg_exists("memory", "oom/memory.memsw.limit_in_bytes"))
                mem.swap.set = false; /* no swap accounting; the host test machine has no swap either */
        pid_t pid = spawn(child_hog, NULL, &fd);
        enter_and_apply(pid, &res);
        go(&fd);
        int status = wait_status(pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        assert_ok(cgroup_stats_read(cg, &st, &err), err);
        assert_true(st.oom_kills >= 1);
        assert_int_equal(st.memory_limit, 32 * MiB);
        /* and in the kernel's own words */
        _cleanup_free_ char *events = cg_read("memory", "oom", v2 ? "memory.events" : "memory.oom_control");
        const char *k = strstr(events, "oom_kill ");
        assert_non_null(k);
        assert_true(atoi(k + 9) >= 1);
}

struct io_arg {
        const char *dev;
        size_t bytes;
};

static void child_cpu_and_io(void *arg)
{
        const struct io_arg *io = arg;
        struct timespec a, b;
        void *buf;

        /* 200 ms of CPU time, however busy the machine is */
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
        do
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
        while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 200);
        if (io->dev) {
                int fd = open(io->dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
                if (fd < 0 || posix_memalign(&buf, 4096, 256 * 1024))
                        _exit(3);
                for (size_t off = 0; off < io->bytes; off += 256 * 1024)
                        if (pread(fd, buf, 256 * 1024, (off_t)off) != 256 * 1024)
                                _exit(4);
        }
        _exit(0);
}

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_stats_and_io_throttle(void **state)
{
        unsigned maj = 0, min = 0;
        const char *dev = find_blockdev(&maj, &min);
        oci_throttle_device rbps = {maj, min, 1 * MiB};
        oci_blockio bio = {.throttle = {[OCI_THROTTLE_READ_BPS] = &rbps},
                           .n_throttle = {[OCI_THROTTLE_READ_BPS] = 1}};
        oci_memory mem = {.limit = {true, 256 * MiB}};
        oci_resources res = {.memory = &mem, .pids_limit = {true, 20}, .block_io = dev ? &bio : NULL};
        struct io_arg io = {dev, 2 * MiB};
        _cleanup_error_ berth_error *err = NULL;
        cgroup_stats st;
        int fd;

        make("stats", &res);
        pid_t pid = spawn(child_cpu_and_io, &io, &fd);
        enter_and_apply(pid, &res);
        double t0 = now_s();
        go(&fd);
        int status = wait_status(pid);
        double took = now_s() - t0;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_ok(cgroup_stats_read(cg, &st, &err), err);
        print_message("cpu %llu ns (user %llu, system %llu), memory %llu\n",
                      (unsigned long long)st.cpu_usage_ns, (unsigned long long)st.cpu_user_ns,
                      (unsigned long long)st.cpu_system_ns, (unsigned long long)st.memory_usage);
        assert_true(st.cpu_usage_ns >= 190ull * 1000 * 1000);
        assert_true(st.cpu_user_ns + st.cpu_system_ns > 0);
        assert_int_equal(st.memory_limit, 256 * MiB);
        assert_int_equal(st.pids_current, 0);
        assert_int_equal(st.pids_limit, 20);
        if (dev) {
                /* 2 MiB at 1 MiB/s: the throttle held the reads back for a second at least */
                print_message("io: %s read %llu bytes in %.2f s\n", dev,
                              (unsigned long long)st.io_read_bytes, took);
                assert_true(st.io_read_bytes >= 2 * MiB);
                assert_true(took >= 0.9);
        }
}

static void child_spin_wall(void *arg)
{
        double end = now_s() + 0.6;

        while (now_s() < end)
                ;
        _exit(0);
}

static void test_cpu_quota_throttles(void **state)
{
        oci_cpu cpu = {.quota = {true, 10000}, .period = {true, 100000}};
        oci_resources res = {.cpu = &cpu};
        _cleanup_error_ berth_error *err = NULL;
        cgroup_stats st;
        int fd;

        make("cpumax", &res);
        pid_t pid = spawn(child_spin_wall, NULL, &fd);
        enter_and_apply(pid, &res);
        double t0 = now_s();
        go(&fd);
        assert_true(WIFEXITED(wait_status(pid)));
        double took = now_s() - t0;
        assert_ok(cgroup_stats_read(cg, &st, &err), err);
        _cleanup_free_ char *stat = cg_read("cpu", "cpumax", "cpu.stat");
        const char *nr = strstr(stat, "nr_throttled ");
        print_message("cpu: %.0f ms of CPU in %.0f ms under a 10%% quota, nr_throttled %d\n",
                      (double)st.cpu_usage_ns / 1e6, took * 1000, nr ? atoi(nr + 13) : -1);
        /* 10 ms every 100 ms: well under half of the wall time, and throttled periods counted */
        assert_true((double)st.cpu_usage_ns < 0.4 * took * 1e9);
        assert_non_null(nr);
        assert_true(atoi(nr + 13) >= 1);
}

/* destroy removes the cgroups a container made below its own and the parents create made, now
 * empty; a parent that was there before stays (as /berth, which other containers share) */
static void test_destroy_removes_nested_cgroups(void **state)
{
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ char *made = xasprintf("%s/made", prefix);
        const char *ctrls[] = {"memory", "cpu", "pids"};
        size_t n_made = 0;

        for (size_t i = 0; i < (v2 ? 1 : ELEMENTSOF(v1_dirs)); i++) {
                _cleanup_free_ char *p = cg_file(v2 ? "" : v1_dirs[i], "", NULL);
                (void)mkdir(p, 0755); /* there before: not create's to remove */
        }
        make("made/nested", NULL);
        STRV_FOREACH (d, (char **)cgroup_created_parents(cg)) {
                size_t dl = strlen(*d), ml = strlen(made);
                n_made += dl > ml && streq(*d + dl - ml, made); /* a hierarchy v1_dirs misses: prefix too */
        }
        assert_true(n_made >= (v2 ? 1 : 3));
        for (size_t i = 0; i < (v2 ? 1 : ELEMENTSOF(ctrls)); i++) {
                _cleanup_free_ char *p = cg_file(ctrls[i], "made/nested", "inner");
                assert_int_equal(mkdir(p, 0755), 0); /* as a container with a cgroup namespace would */
        }
        assert_ok(cgroup_destroy(cg, &err), err);
        for (size_t i = 0; i < (v2 ? 1 : ELEMENTSOF(v1_dirs)); i++) {
                assert_false(cg_exists(v2 ? "" : v1_dirs[i], "made/nested"));
                assert_false(cg_exists(v2 ? "" : v1_dirs[i], "made"));
        }
        assert_true(cg_exists(v2 ? "" : "memory", ""));
}

/* a parent that holds another cgroup stays, though create made it; set_created_parents keeps
 * only parents of the leaf (a state file cannot make delete remove anything else) */
static void test_destroy_keeps_busy_parents(void **state)
{
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_free_ char *other = cg_file(v2 ? "" : "memory", "busy/other", NULL);
        _cleanup_free_ char *outside = cg_file(v2 ? "" : "memory", "outside", NULL);
        _cleanup_free_ char *path = xasprintf("%s/busy/other", prefix);
        char *fake[] = {outside, (char *)"/etc", NULL};

        make("busy/leaf", NULL);
        assert_non_null(cgroup_created_parents(cg));
        assert_int_equal(mkdir(other, 0755), 0);
        assert_int_equal(mkdir(outside, 0755), 0);
        assert_ok(cgroup_destroy(cg, &err), err);
        assert_false(cg_exists(v2 ? "" : "memory", "busy/leaf"));
        assert_true(cg_exists(v2 ? "" : "memory", "busy/other"));
        cgroup_free(cg);
        assert_ok(cgroup_open(path, "unused", &cg, &err), err);
        cgroup_set_created_parents(cg, fake);
        assert_null(cgroup_created_parents(cg));
        assert_int_equal(rmdir(outside), 0);
}

/* v1: a parent left without cpus (as a concurrent create may leave it for a moment) is filled
 * from above, else no task could join the new cgroup. */
static void test_cpuset_empty_parent_is_filled(void **state)
{
        _cleanup_free_ char *top = cg_file("cpuset", "", NULL),
                            *parent = cg_file("cpuset", "emptyparent", NULL);
        _cleanup_free_ char *want = read_trimmed("/sys/fs/cgroup/cpuset/cpuset.cpus");
        int fd;

        if (v2)
                skip();
        (void)mkdir(top, 0755); /* exists when earlier tests ran; if not, the walk fills it too */
        assert_int_equal(mkdir(parent, 0755), 0);
        assert_cg("cpuset", "emptyparent", "cpuset.cpus", "");
        make("emptyparent/leaf", NULL);
        pid_t pid = spawn(child_pause, NULL, &fd);
        enter_and_apply(pid, NULL);
        assert_cg("cpuset", "emptyparent", "cpuset.cpus", want);
        assert_cg("cpuset", "emptyparent/leaf", "cpuset.cpus", want);
}

static void test_clone_into_cgroup(void **state)
{
        _cleanup_error_ berth_error *err = NULL;

        make("clone3", NULL);
        if (!v2) {
                assert_int_equal(cgroup_clone_fd(cg), -1);
                return;
        }
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgroup_clone_fd(cg),
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        children[n_children++] = pid;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        assert_ok(cgroup_pids(cg, &pids, &n, &err), err);
        assert_int_equal(n, 1);
        assert_int_equal(pids[0], pid);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_paths),
                cmocka_unit_test_teardown(test_limits_land_in_files, teardown),
                cmocka_unit_test_teardown(test_apply_errors_name_file_and_value, teardown),
                cmocka_unit_test_teardown(test_pids_limit_enforced_and_listed, teardown),
                cmocka_unit_test_teardown(test_freeze_stops_a_busy_process, teardown),
                cmocka_unit_test_teardown(test_kill_all_signals_every_process, teardown),
                cmocka_unit_test_teardown(test_oom_kill_is_counted, teardown),
                cmocka_unit_test_teardown(test_stats_and_io_throttle, teardown),
                cmocka_unit_test_teardown(test_cpu_quota_throttles, teardown),
                cmocka_unit_test_teardown(test_destroy_removes_nested_cgroups, teardown),
                cmocka_unit_test_teardown(test_destroy_keeps_busy_parents, teardown),
                cmocka_unit_test_teardown(test_cpuset_empty_parent_is_filled, teardown),
                cmocka_unit_test_teardown(test_clone_into_cgroup, teardown),
        };
        return cmocka_run_group_tests_name("cgroup", tests, group_setup, group_teardown);
}
