/*
 * Mount option parsing, and real container filesystems: as root, a child in new mount, pid and
 * ipc namespaces (and optionally cgroup and user ones) builds a busybox rootfs's mounts,
 * pivots into it and checks from inside what a user of the container would see.
 */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "basic/strv.h"
#include "runtime/mount.h"

#define OPTS(...) ((char *[]){__VA_ARGS__, NULL})

static mount_options parse_ok(char **opts)
{
        mount_options o;
        berth_error *err = NULL;

        assert_int_equal(mount_options_parse(opts, &o, &err), 0);
        assert_null(err);
        return o;
}

static void test_options_set_flags(void **state)
{
        static const struct {
                const char *name;
                unsigned long flag;
        } cases[] = {
                {"ro", MS_RDONLY},
                {"nosuid", MS_NOSUID},
                {"nodev", MS_NODEV},
                {"noexec", MS_NOEXEC},
                {"sync", MS_SYNCHRONOUS},
                {"dirsync", MS_DIRSYNC},
                {"remount", MS_REMOUNT},
                {"mand", MS_MANDLOCK},
                {"noatime", MS_NOATIME},
                {"nodiratime", MS_NODIRATIME},
                {"relatime", MS_RELATIME},
                {"strictatime", MS_STRICTATIME},
                {"nosymfollow", MS_NOSYMFOLLOW},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                mount_options o = parse_ok(OPTS((char *)cases[i].name));
                assert_int_equal(o.flags, cases[i].flag);
                assert_int_equal(o.clear, 0);
                assert_null(o.data);
                assert_false(o.recursive_attr);
        }
}

static void test_options_clear_flags(void **state)
{
        static const struct {
                const char *name;
                unsigned long flag;
        } cases[] = {
                {"rw", MS_RDONLY},
                {"suid", MS_NOSUID},
                {"dev", MS_NODEV},
                {"exec", MS_NOEXEC},
                {"async", MS_SYNCHRONOUS},
                {"nomand", MS_MANDLOCK},
                {"atime", MS_NOATIME},
                {"diratime", MS_NODIRATIME},
                {"norelatime", MS_RELATIME},
                {"nostrictatime", MS_STRICTATIME},
                {"symfollow", MS_NOSYMFOLLOW},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                mount_options o = parse_ok(OPTS((char *)cases[i].name));
                assert_int_equal(o.flags, 0);
                assert_int_equal(o.clear, cases[i].flag);
                assert_null(o.data);
        }
}

static void test_options_last_wins(void **state)
{
        mount_options o = parse_ok(OPTS("ro", "nosuid", "rw", "suid", "nosuid"));

        assert_int_equal(o.flags, MS_NOSUID);
        assert_int_equal(o.clear, MS_RDONLY);
        o = parse_ok(OPTS("rw", "ro"));
        assert_int_equal(o.flags, MS_RDONLY);
        assert_int_equal(o.clear, 0);
}

static void test_options_bind(void **state)
{
        mount_options o = parse_ok(OPTS("bind", "ro"));

        assert_true(o.bind);
        assert_int_equal(o.flags, MS_BIND | MS_RDONLY);
        o = parse_ok(OPTS("rbind"));
        assert_true(o.bind);
        assert_int_equal(o.flags, MS_BIND | MS_REC);
        o = parse_ok(OPTS("nosuid"));
        assert_false(o.bind);
}

static void test_options_propagation(void **state)
{
        static const struct {
                const char *name;
                unsigned long prop;
        } cases[] = {
                {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
                {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
                {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
                {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                mount_options o = parse_ok(OPTS("bind", (char *)cases[i].name));
                assert_int_equal(o.propagation, cases[i].prop);
                assert_int_equal(o.flags, MS_BIND);
                assert_null(o.data);
        }
}

static void test_options_recursive_attrs(void **state)
{
        static const struct {
                const char *name;
                unsigned long long set, clr;
        } cases[] = {
                {"rro", MOUNT_ATTR_RDONLY, 0},
                {"rrw", 0, MOUNT_ATTR_RDONLY},
                {"rnosuid", MOUNT_ATTR_NOSUID, 0},
                {"rsuid", 0, MOUNT_ATTR_NOSUID},
                {"rnodev", MOUNT_ATTR_NODEV, 0},
                {"rdev", 0, MOUNT_ATTR_NODEV},
                {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
                {"rexec", 0, MOUNT_ATTR_NOEXEC},
                {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
                {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
                {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
                {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
                /* atime modes replace the whole group */
                {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
                {"rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
                {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
                {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
                {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
                {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                mount_options o = parse_ok(OPTS((char *)cases[i].name));
                assert_true(o.recursive_attr);
                assert_int_equal(o.attr_set, cases[i].set);
                assert_int_equal(o.attr_clr, cases[i].clr);
                assert_int_equal(o.flags, 0);
                assert_null(o.data);
        }
        mount_options o = parse_ok(OPTS("rro", "rnoexec", "rrw", "rnoatime", "rstrictatime"));
        assert_int_equal(o.attr_set, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME);
        assert_int_equal(o.attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME);
}

static void test_options_data(void **state)
{
        mount_options o = parse_ok(OPTS("nosuid", "mode=755", "strictatime", "size=65536k", "newinstance",
                                        "tmpcopyup", "idmap"));

        assert_string_equal(o.data, "mode=755,size=65536k,newinstance");
        assert_int_equal(o.flags, MS_NOSUID | MS_STRICTATIME);
        assert_true(o.tmpcopyup);
        assert_true(o.idmap);
        assert_false(o.idmap_recursive);
        mount_options_done(&o);
        assert_null(o.data);

        o = parse_ok(NULL);
        assert_int_equal(o.flags, 0);
        assert_null(o.data);
        o = parse_ok(OPTS("ridmap", "defaults"));
        assert_true(o.idmap);
        assert_true(o.idmap_recursive);
        assert_int_equal(o.flags, 0);
        assert_null(o.data);
}

static void test_options_empty_refused(void **state)
{
        mount_options o;
        berth_error *err = NULL;

        assert_true(mount_options_parse(OPTS("ro", ""), &o, &err) < 0);
        assert_non_null(err);
        assert_string_equal(err->msg, "mount option: empty string");
        berth_error_free(err);
}

/* ---- real mounts ---------------------------------------------------------------------- */

typedef struct fixture {
        char tmp[64];
        char *rootfs, *data, *file;
} fixture;

/* A failed check inside the container: print it and make the child exit 1. */
#define CHECK(cond)                                                                                         \
        do {                                                                                                \
                if (!(cond)) {                                                                              \
                        fprintf(stderr, "%s:%d: check failed: %s (errno %m)\n", __FILE__, __LINE__, #cond); \
                        return 1;                                                                           \
                }                                                                                           \
        } while (0)

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(fs_write_all(fd, text, strlen(text)), 0);
        close(fd);
}

static void copy_busybox(const char *rootfs)
{
        _cleanup_free_ char *bin = NULL, *dest = xasprintf("%s/bin/busybox", rootfs);
        _cleanup_free_ char *sh = xasprintf("%s/bin/sh", rootfs);
        size_t len = 0;
        int fd;

        assert_int_equal(fs_read_file("/bin/busybox", &bin, &len, NULL), 0);
        fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_all(fd, bin, len), 0);
        close(fd);
        assert_int_equal(symlink("busybox", sh), 0);
}

static int fixture_setup(void **state)
{
        fixture *f = xcalloc(1, sizeof(*f));
        _cleanup_free_ char *p = NULL;

        if (geteuid() != 0) {
                free(f);
                *state = NULL;
                return 0;
        }
        strcpy(f->tmp, "/tmp/berth-test-mount-XXXXXX");
        assert_non_null(mkdtemp(f->tmp));
        f->rootfs = xasprintf("%s/rootfs", f->tmp);
        f->data = xasprintf("%s/data", f->tmp);
        f->file = xasprintf("%s/file", f->tmp);
        assert_int_equal(fs_mkdir_p(f->rootfs, 0755, NULL), 0);
        p = xasprintf("%s/bin", f->rootfs);
        assert_int_equal(mkdir(p, 0755), 0);
        copy_busybox(f->rootfs);
        free(p);
        p = xasprintf("%s/etc", f->rootfs);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
        p = xasprintf("%s/opt/app", f->rootfs);
        assert_int_equal(fs_mkdir_p(p, 0710, NULL), 0);
        assert_int_equal(chmod(p, 0710), 0);
        free(p);
        p = xasprintf("%s/opt/app/conf", f->rootfs);
        write_file(p, "conf\n", 0600);
        free(p);
        p = xasprintf("%s/opt/link", f->rootfs);
        assert_int_equal(symlink("app/conf", p), 0);
        free(p);
        /* The escape attempt: a mount destination /etc2 must land on the rootfs's /etc. */
        p = xasprintf("%s/etc2", f->rootfs);
        assert_int_equal(symlink("/etc", p), 0);
        free(p);
        p = xasprintf("%s/sub", f->data);
        assert_int_equal(fs_mkdir_p(p, 0755, NULL), 0);
        free(p);
        p = xasprintf("%s/hello", f->data);
        write_file(p, "hello from the host\n", 0644);
        write_file(f->file, "a bound file\n", 0644);
        free(p);
        p = xasprintf("%s/owned-1000", f->data);
        write_file(p, "", 0644);
        assert_int_equal(chown(p, 1000, 1000), 0);
        *state = f;
        return 0;
}

static int fixture_teardown(void **state)
{
        fixture *f = *state;

        if (!f)
                return 0;
        assert_int_equal(fs_rm_rf(f->tmp, NULL), 0);
        assert_int_equal(access(f->tmp, F_OK), -1);
        free(f->rootfs);
        free(f->data);
        free(f->file);
        free(f);
        return 0;
}

typedef int (*child_fn)(const fixture *f, const void *arg);

static int write_id_maps(void)
{
        berth_error *err = NULL;

        if (fs_write_file("/proc/self/setgroups", "deny", 4, &err) < 0 ||
            fs_write_file("/proc/self/uid_map", "0 0 1", 5, &err) < 0 ||
            fs_write_file("/proc/self/gid_map", "0 0 1", 5, &err) < 0) {
                fprintf(stderr, "id maps: %s\n", err->msg);
                return -1;
        }
        return 0;
}

/* Run fn as pid 1 of new namespaces, then after (when not NULL) in its parent, which shares
 * the mount namespace but not the container's root; returns the first non-zero exit status
 * (128+N for a signal). The mounts live in that mount namespace and vanish with it. */
static int run_isolated(int ns_flags, const fixture *f, child_fn fn, child_fn after, const void *arg)
{
        int status;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | ns_flags) < 0) {
                        perror("unshare");
                        _exit(100);
                }
                if ((ns_flags & CLONE_NEWUSER) && write_id_maps() < 0)
                        _exit(101);
                pid_t inner = fork();
                if (inner == 0)
                        _exit(fn(f, arg));
                if (inner < 0 || waitpid(inner, &status, 0) < 0)
                        _exit(102);
                if (!WIFEXITED(status))
                        _exit(128 + WTERMSIG(status));
                _exit(WEXITSTATUS(status) == 0 && after ? after(f, arg) : WEXITSTATUS(status));
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

typedef struct scenario {
        bool no_pivot, cgroupns, userns;
        bool dev_ro; /* the spec mounts /dev read-only */
        bool idmap;  /* an idmapped bind too (set when the fixture's filesystem has them) */
        bool cgroup; /* mount_ctx.cgroup_path names a cgroup the test makes in each hierarchy */
        const char *propagation;
} scenario;

typedef struct spec_buf {
        oci_spec spec;
        oci_root root;
        oci_linux linux_;
        oci_mount mounts[24];
        oci_device devices[2];
        oci_id_mapping idmaps[2];
} spec_buf;

static void add_mount(spec_buf *b, const char *dest, const char *type, const char *source, char **opts)
{
        b->mounts[b->spec.n_mounts++] = (oci_mount){
                .destination = (char *)dest,
                .type = (char *)type,
                .source = (char *)source,
                .options = strv_copy(opts),
        };
}

static void spec_buf_done(spec_buf *b)
{
        for (size_t i = 0; i < b->spec.n_mounts; i++)
                strv_free(b->mounts[i].options);
        strv_free(b->linux_.masked_paths);
        strv_free(b->linux_.readonly_paths);
}

/* On disk 0 shows as 2000 and 1000 as 0 through /idmapped. */
static void add_idmapped(spec_buf *b, const fixture *f)
{
        oci_mount *m;

        add_mount(b, "/idmapped", "bind", f->data, OPTS("rbind", "idmap", "ro"));
        m = &b->mounts[b->spec.n_mounts - 1];
        b->idmaps[0] = (oci_id_mapping){.container_id = 0, .host_id = 2000, .size = 1};
        b->idmaps[1] = (oci_id_mapping){.container_id = 1000, .host_id = 0, .size = 1};
        m->uid_mappings = m->gid_mappings = b->idmaps;
        m->n_uid_mappings = m->n_gid_mappings = 2;
}

/* The spec runc writes, plus binds of a host dir and file, the /etc2 escape and devices. */
static void build_spec(spec_buf *b, const fixture *f, const scenario *sc)
{
        *b = (spec_buf){};
        b->spec.root = &b->root;
        b->spec.linux_ = &b->linux_;
        b->spec.mounts = b->mounts;
        b->root = (oci_root){.path = f->rootfs, .readonly = true};
        add_mount(b, "/proc", "proc", "proc", OPTS("nosuid", "noexec", "nodev"));
        add_mount(b, "/dev", "tmpfs", "tmpfs",
                  sc->dev_ro ? OPTS("nosuid", "strictatime", "mode=755", "size=65536k", "ro")
                             : OPTS("nosuid", "strictatime", "mode=755", "size=65536k"));
        add_mount(b, "/dev/pts", "devpts", "devpts",
                  OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
        add_mount(b, "/dev/shm", "tmpfs", "shm",
                  OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
        add_mount(b, "/dev/mqueue", "mqueue", "mqueue", OPTS("nosuid", "noexec", "nodev"));
        add_mount(b, "/sys", "sysfs", "sysfs", OPTS("nosuid", "noexec", "nodev", "ro"));
        add_mount(b, "/sys/fs/cgroup", "cgroup", "cgroup",
                  OPTS("nosuid", "noexec", "nodev", "relatime", "ro"));
        add_mount(b, "/data", "bind", f->data, OPTS("rbind", "ro", "nosuid", "rprivate"));
        add_mount(b, "/rdata", NULL, f->data, OPTS("rbind", "rro", "rnoexec"));
        add_mount(b, "/etc/berth-file", "bind", f->file, OPTS("bind", "ro"));
        add_mount(b, "/etc2", "tmpfs", "tmpfs", OPTS("nodev", "mode=755"));
        add_mount(b, "/etc2/berth-file", "bind", f->file, OPTS("bind", "ro"));
        add_mount(b, "/opt", "tmpfs", "tmpfs", OPTS("tmpcopyup", "nosuid"));
        if (sc->idmap)
                add_idmapped(b, f);
        add_mount(b, "/berth-nosym", "tmpfs", "tmpfs", OPTS("nosymfollow"));
        add_mount(b, "/berth-remount", "tmpfs", "tmpfs", NULL);
        add_mount(b, "/berth-remount", NULL, NULL, OPTS("remount", "ro", "noexec"));
        b->linux_.rootfs_propagation = (char *)sc->propagation;
        b->linux_.masked_paths =
                strv_copy(OPTS("/proc/kcore", "/proc/cpuinfo", "/proc/berth-missing", "/sys/firmware"));
        b->linux_.readonly_paths =
                strv_copy(OPTS("/proc/sys", "/proc/sysrq-trigger", "/proc/berth-missing", "/proc/keys"));
        b->linux_.devices = b->devices;
        b->devices[b->linux_.n_devices++] = (oci_device){
                .path = (char *)"/dev/berth-fifo",
                .type = 'p',
                .file_mode = {true, 0600},
                .uid = {!sc->userns, 1000},
                .gid = {!sc->userns, 1000},
        };
        if (!sc->userns)
                b->devices[b->linux_.n_devices++] = (oci_device){
                        .path = (char *)"/dev/berth-zero",
                        .type = 'c',
                        .major = 1,
                        .minor = 5,
                        .file_mode = {true, 0640},
                };
}

/* The top mount at path in this namespace, from /proc/self/mountinfo:
 * "opts - fstype superopts optional-fields root" ("-" for an empty field). */
static char *mount_at(const char *path)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        char *found = NULL;

        if (fs_read_file("/proc/self/mountinfo", &text, NULL, NULL) < 0)
                return NULL;
        lines = strv_split(text, "\n");
        STRV_FOREACH (l, lines) {
                _cleanup_strv_free_ char **f = strv_split(*l, " ");
                size_t n = strv_length(f), sep = 6;
                while (sep < n && !streq(f[sep], "-"))
                        sep++;
                if (n < 7 || sep + 1 >= n || !streq(f[4], path))
                        continue;
                free(found);
                _cleanup_free_ char *optional = strv_join(f + 6, ",");
                optional[strcspn(optional, "-")] = 0;
                found = xasprintf("%s - %s %s %s %s", f[5], f[sep + 1], sep + 3 < n ? f[sep + 3] : "-",
                                  *optional ? optional : "-", f[3]);
        }
        return found;
}

/* The mount at path has type fstype (NULL: any), and each comma-separated word of want is one
 * of its mount options, superblock options or optional fields ("shared:" matches a prefix). */
static bool mounted(const char *path, const char *fstype, const char *want)
{
        _cleanup_free_ char *m = mount_at(path);
        _cleanup_strv_free_ char **words = strv_split(want, ",");
        if (!m) {
                fprintf(stderr, "no mount at %s\n", path);
                return false;
        }
        _cleanup_strv_free_ char **parts = strv_split(m, " ");
        _cleanup_free_ char *all = xasprintf("%s,%s,%s", parts[0], parts[3], parts[4]);
        _cleanup_strv_free_ char **tokens = strv_split(all, ",");
        bool ok = !fstype || streq(parts[2], fstype);
        STRV_FOREACH (w, words) {
                bool prefix = (*w)[strlen(*w) - 1] == ':', found = false;
                STRV_FOREACH (t, tokens)
                        found = found || streq(*t, *w) || (prefix && strneq(*t, *w, strlen(*w)));
                ok = ok && found;
        }
        if (!ok)
                fprintf(stderr, "mount at %s is \"%s\", want %s %s\n", path, m, strempty(fstype), want);
        return ok;
}

static bool is_readonly(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        if (fd >= 0) {
                close(fd);
                return false;
        }
        return errno == EROFS;
}

static ssize_t read_some(const char *path, char *buf, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        return fd < 0 ? -errno : read(fd, buf, len);
}

static int check_devices(const scenario *sc)
{
        struct stat st;
        char buf[16] = {1};
        char link[64] = {};
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        CHECK(null >= 0);
        CHECK(write(null, "x", 1) == 1);
        CHECK(read(null, buf, sizeof(buf)) == 0);
        CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
        CHECK(read_some("/dev/zero", buf, sizeof(buf)) == sizeof(buf) && buf[0] == 0 && buf[15] == 0);
        CHECK(read_some("/dev/urandom", buf, sizeof(buf)) == sizeof(buf));
        CHECK(stat("/dev/tty", &st) == 0 && st.st_rdev == makedev(5, 0));
        CHECK(readlink("/dev/ptmx", link, sizeof(link) - 1) > 0 && streq(link, "pts/ptmx"));
        CHECK(stat("/dev/ptmx", &st) == 0 && S_ISCHR(st.st_mode));
        memset(link, 0, sizeof(link));
        CHECK(readlink("/dev/fd", link, sizeof(link) - 1) > 0 && streq(link, "/proc/self/fd"));
        memset(link, 0, sizeof(link));
        CHECK(readlink("/dev/stderr", link, sizeof(link) - 1) > 0 && streq(link, "/proc/self/fd/2"));
        CHECK(lstat("/dev/berth-fifo", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0600);
        CHECK(sc->userns || (st.st_uid == 1000 && st.st_gid == 1000));
        if (!sc->userns)
                CHECK(stat("/dev/berth-zero", &st) == 0 && S_ISCHR(st.st_mode) &&
                      st.st_rdev == makedev(1, 5) && (st.st_mode & 07777) == 0640);
        return 0;
}

/* What the host had, seen before the container's mounts hide it. */
typedef struct host_view {
        bool cgroup2_only;       /* a pure cgroup v2 host */
        bool unified;            /* a hybrid host's cgroup2 at /sys/fs/cgroup/unified */
        bool kcore;              /* the kernel has /proc/kcore: the container gets /dev/core */
        const char *cgroup_path; /* mount_ctx.cgroup_path */
} host_view;

/* The cgroup directory the container sees as its own lists it, pid 1. */
static bool cgroup_lists_me(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir), *text = NULL;
        _cleanup_strv_free_ char **pids = NULL;

        if (fs_read_file(path, &text, NULL, NULL) < 0)
                return false;
        pids = strv_split(text, "\n");
        return strv_contains(pids, "1");
}

/* The root field of the mount at path: which directory of its filesystem it shows. */
static bool mount_root_is(const char *path, const char *root)
{
        _cleanup_free_ char *m = mount_at(path);
        _cleanup_strv_free_ char **parts = m ? strv_split(m, " ") : NULL;

        return parts && strv_length(parts) == 6 && streq(parts[5], root);
}

/* Without a cgroup namespace and with mount_ctx.cgroup_path, that cgroup is bound (the test
 * put no process in it). */
static int check_given_cgroup(const host_view *hv)
{
        if (hv->cgroup2_only) {
                CHECK(mount_root_is("/sys/fs/cgroup", hv->cgroup_path));
                CHECK(!cgroup_lists_me("/sys/fs/cgroup"));
                return 0;
        }
        CHECK(mount_root_is("/sys/fs/cgroup/memory", hv->cgroup_path));
        CHECK(mount_root_is("/sys/fs/cgroup/pids", hv->cgroup_path));
        CHECK(!cgroup_lists_me("/sys/fs/cgroup/memory"));
        return 0;
}

static int check_cgroups(const host_view *hv)
{
        if (hv->cgroup_path && check_given_cgroup(hv) != 0)
                return 1;
        if (hv->cgroup2_only) {
                CHECK(mounted("/sys/fs/cgroup", "cgroup2", "ro,nosuid,nodev,noexec"));
                CHECK(hv->cgroup_path || cgroup_lists_me("/sys/fs/cgroup"));
                return 0;
        }
        CHECK(mounted("/sys/fs/cgroup", "tmpfs", "ro,nosuid,nodev,noexec"));
        CHECK(mounted("/sys/fs/cgroup/memory", "cgroup", "ro,nosuid,nodev,noexec,memory"));
        CHECK(mounted("/sys/fs/cgroup/cpu", "cgroup", "ro,cpu"));
        CHECK(hv->cgroup_path || cgroup_lists_me("/sys/fs/cgroup/memory"));
        CHECK(hv->cgroup_path || cgroup_lists_me("/sys/fs/cgroup/pids"));
        CHECK(!hv->unified || mounted("/sys/fs/cgroup/unified", "cgroup2", "ro"));
        CHECK(is_readonly("/sys/fs/cgroup/berth-x"));
        return 0;
}

static int check_mounts(const scenario *sc, const host_view *hv)
{
        CHECK(mounted("/", NULL, "ro"));
        CHECK(mounted("/proc", "proc", "rw,nosuid,nodev,noexec"));
        /* read-only keeps the nosuid, nodev, noexec of the proc mount */
        CHECK(mounted("/proc/sys", "proc", "ro,nosuid,nodev,noexec"));
        CHECK(mounted("/dev", "tmpfs", "rw,nosuid,mode=755"));
        CHECK(mounted("/dev/pts", "devpts", "rw,nosuid,noexec,ptmxmode=666"));
        CHECK(mounted("/dev/shm", "tmpfs", "rw,nosuid,nodev,noexec"));
        CHECK(mounted("/dev/mqueue", "mqueue", "rw,nosuid,nodev,noexec"));
        CHECK(mounted("/sys", sc->userns ? NULL : "sysfs", "ro,nosuid,nodev,noexec"));
        if (check_cgroups(hv) != 0)
                return 1;
        /* ro on an rbind is the top mount only; rro is the whole tree */
        CHECK(mounted("/data", NULL, "ro,nosuid"));
        CHECK(mounted("/data/sub", "tmpfs", "rw"));
        CHECK(mounted("/rdata", NULL, "ro,noexec"));
        CHECK(mounted("/rdata/sub", "tmpfs", "ro,noexec"));
        CHECK(mounted("/etc", "tmpfs", "rw,nodev"));
        CHECK(mounted("/etc/berth-file", NULL, "ro"));
        CHECK(mounted("/sys/firmware", "tmpfs", "ro"));
        return 0;
}

static int check_copyup(void);

/* Owners through the idmapped mount; in the user namespace (which maps 0 only) 2000 is
 * nobody. The same files through the plain bind keep their owners. */
static int check_idmapped(const scenario *sc)
{
        struct stat st;

        CHECK(stat("/idmapped/hello", &st) == 0 && st.st_uid == (sc->userns ? 65534u : 2000u) &&
              st.st_gid == (sc->userns ? 65534u : 2000u));
        CHECK(stat("/idmapped/owned-1000", &st) == 0 && st.st_uid == 0 && st.st_gid == 0);
        CHECK(stat("/data/owned-1000", &st) == 0 && st.st_uid == (sc->userns ? 65534u : 1000u));
        CHECK(mounted("/idmapped", NULL, "ro,idmapped"));
        return 0;
}

static int check_inside(const scenario *sc, const host_view *hv)
{
        char buf[64] = {};
        DIR *d;

        CHECK(getpid() == 1);
        CHECK(readlink("/proc/self", buf, sizeof(buf) - 1) > 0 && streq(buf, "1"));
        if (check_mounts(sc, hv) != 0 || check_devices(sc) != 0)
                return 1;
        memset(buf, 0, sizeof(buf));
        CHECK(hv->kcore ? readlink("/dev/core", buf, sizeof(buf) - 1) > 0 && streq(buf, "/proc/kcore")
                        : access("/dev/core", F_OK) < 0);
        CHECK(is_readonly("/berth-new-file"));
        CHECK(open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
        CHECK(access("/proc/kcore", F_OK) < 0 || read_some("/proc/kcore", buf, sizeof(buf)) == 0);
        CHECK(read_some("/proc/cpuinfo", buf, sizeof(buf)) == 0);
        CHECK(mounted("/proc/keys", "proc", "ro,nosuid,nodev,noexec"));
        d = opendir("/sys/firmware");
        CHECK(d);
        for (struct dirent *de; (de = readdir(d));)
                CHECK(streq(de->d_name, ".") || streq(de->d_name, ".."));
        closedir(d);
        CHECK(read_some("/data/hello", buf, sizeof(buf)) == 20 && strneq(buf, "hello from the host", 19));
        CHECK(is_readonly("/data/berth-x"));
        CHECK(!is_readonly("/data/sub/berth-x"));
        CHECK(is_readonly("/rdata/sub/berth-y"));
        CHECK(read_some("/etc/berth-file", buf, sizeof(buf)) == 13 && strneq(buf, "a bound file", 12));
        CHECK(is_readonly("/etc/berth-file"));
        CHECK(!is_readonly("/etc/berth-marker"));
        CHECK(!is_readonly("/dev/shm/berth-x"));
        CHECK(is_readonly("/dev/berth-x") == sc->dev_ro);
        CHECK(mounted("/", NULL, sc->propagation && streq(sc->propagation, "rshared") ? "shared:" : "ro"));
        CHECK(mounted("/berth-remount", "tmpfs", "ro,noexec"));
        CHECK(is_readonly("/berth-remount/x"));
        /* nosymfollow: a symlink on that mount cannot be followed */
        CHECK(symlink("/etc/berth-file", "/berth-nosym/link") == 0);
        CHECK(open("/berth-nosym/link", O_RDONLY | O_CLOEXEC) < 0 && errno == ELOOP);
        if (sc->idmap && check_idmapped(sc) != 0)
                return 1;
        return check_copyup();
}

/* tmpcopyup: the tmpfs at /opt started with the image's /opt, and writes stay in it. */
static int check_copyup(void)
{
        char buf[64] = {};
        struct stat st;

        CHECK(mounted("/opt", "tmpfs", "rw,nosuid"));
        CHECK(read_some("/opt/app/conf", buf, sizeof(buf)) == 5 && strneq(buf, "conf\n", 5));
        CHECK(stat("/opt/app/conf", &st) == 0 && (st.st_mode & 07777) == 0600);
        CHECK(stat("/opt/app", &st) == 0 && (st.st_mode & 07777) == 0710);
        memset(buf, 0, sizeof(buf));
        CHECK(readlink("/opt/link", buf, sizeof(buf) - 1) > 0 && streq(buf, "app/conf"));
        int fd = open("/opt/app/conf", O_WRONLY | O_TRUNC | O_CLOEXEC);
        CHECK(fd >= 0 && write(fd, "changed", 7) == 7);
        close(fd);
        return 0;
}

/* busybox runs in the finished container and sees the read-only root. */
static int check_exec(void)
{
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                execl("/bin/sh", "sh", "-c",
                      "! touch /berth-x 2>/dev/null && test -c /dev/null && "
                      "grep -q ' /proc/sys ro,' /proc/self/mountinfo",
                      NULL);
                _exit(127);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return 0;
}

static int step_failed(const char *step, berth_error *err)
{
        _cleanup_free_ char *text = berth_error_text(err);

        fprintf(stderr, "%s: %s\n", step, text);
        return 1;
}

/* The spec and the idmapped trees are made on the host side, before the namespaces. */
typedef struct container_arg {
        const scenario *sc;
        mount_ctx ctx;
} container_arg;

static int container_main(const fixture *f, const void *arg)
{
        const container_arg *ca = arg;
        const scenario *sc = ca->sc;
        const mount_ctx ctx = ca->ctx;
        _cleanup_free_ char *rootfs_etc = xasprintf("%s/etc", f->rootfs);
        _cleanup_free_ char *sub = xasprintf("%s/sub", f->data);
        berth_error *err = NULL;

        struct statfs sfs;
        _cleanup_free_ char *unified = mount_at("/sys/fs/cgroup/unified");
        host_view hv = {.unified = unified && strstr(unified, "cgroup2")};

        CHECK(statfs("/sys/fs/cgroup", &sfs) == 0);
        hv.cgroup2_only = sfs.f_type == CGROUP2_SUPER_MAGIC;
        hv.kcore = access("/proc/kcore", F_OK) == 0;
        hv.cgroup_path = ctx.cgroup_path;
        /* A submount of the bound host dir: rbind takes it along. */
        CHECK(mount("tmpfs", sub, "tmpfs", 0, NULL) == 0);
        if (mount_setup_rootfs(&ctx, &err) < 0)
                return step_failed("mount_setup_rootfs", err);
        /* The /etc2 symlink pointed at the host's /etc: the tmpfs went to the rootfs's. */
        _cleanup_free_ char *host_etc = mount_at("/etc"), *inner_etc = mount_at(rootfs_etc);
        CHECK(!host_etc);
        CHECK(inner_etc && strstr(inner_etc, "tmpfs"));
        if (mount_pivot_root(&ctx, sc->no_pivot, &err) < 0)
                return step_failed("mount_pivot_root", err);
        if (mount_finalize(&ctx, &err) < 0)
                return step_failed("mount_finalize", err);
        if (check_inside(sc, &hv) != 0)
                return 1;
        return check_exec();
}

/* no_pivot leaves the host's mounts below the chroot: its procfs must be gone from the
 * namespace, so a nested container's proc mount is judged on the container's alone. */
static int host_proc_gone(const fixture *f, const void *arg)
{
        CHECK(access("/proc/self/mountinfo", F_OK) < 0 && errno == ENOENT);
        return 0;
}

/* Idmapped mounts need the filesystem's support (tmpfs has it since 6.3). */
static bool idmap_supported(const fixture *f)
{
        spec_buf b = {};
        mount_ctx ctx = {.spec = &b.spec};
        berth_error *err = NULL;
        int *fds = NULL;

        b.spec.mounts = b.mounts;
        add_idmapped(&b, f);
        if (mount_idmap_prepare(&ctx, &fds, &err) < 0) {
                _cleanup_free_ char *text = berth_error_text(err);
                fprintf(stderr, "idmapped mounts left out: %s\n", text);
                berth_error_free(err);
                spec_buf_done(&b);
                return false;
        }
        mount_idmap_free(fds, b.spec.n_mounts);
        spec_buf_done(&b);
        return true;
}

/* mkdir (or rmdir) /sys/fs/cgroup/<hierarchy>/name in every hierarchy, or in the v2 root. */
static void cgroup_dirs(const char *name, bool create)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct statfs sfs;
        struct dirent *de;

        assert_int_equal(statfs("/sys/fs/cgroup", &sfs), 0);
        if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
                _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/%s", name);
                assert_int_equal(create ? mkdir(p, 0755) : rmdir(p), 0);
                return;
        }
        d = opendir("/sys/fs/cgroup");
        assert_non_null(d);
        while ((de = readdir(d))) {
                _cleanup_free_ char *h = xasprintf("/sys/fs/cgroup/%s", de->d_name);
                _cleanup_free_ char *p = xasprintf("%s/%s", h, name);
                if (de->d_type != DT_DIR || de->d_name[0] == '.' || statfs(h, &sfs) < 0 ||
                    (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
                        continue;
                assert_int_equal(create ? mkdir(p, 0755) : rmdir(p), 0);
        }
}

static void run_scenario(void **state, const scenario *sc)
{
        fixture *f = *state;
        _cleanup_free_ char *marker = NULL;
        spec_buf b;
        container_arg ca = {.sc = sc};
        berth_error *err = NULL;
        int *idmap_fds = NULL;

        if (!f)
                skip();
        scenario with = *sc;
        with.idmap = idmap_supported(f);
        ca.sc = &with;
        build_spec(&b, f, &with);
        ca.ctx = (mount_ctx){.spec = &b.spec,
                             .rootfs = f->rootfs,
                             .in_user_ns = sc->userns,
                             .new_cgroup_ns = sc->cgroupns};
        assert_int_equal(mount_idmap_prepare(&ca.ctx, &idmap_fds, &err), 0);
        ca.ctx.idmap_fds = idmap_fds;
        _cleanup_free_ char *cgroup = xasprintf("/berth-test-mount-%s", strrchr(f->tmp, '-') + 1);
        if (sc->cgroup) {
                cgroup_dirs(cgroup + 1, true);
                ca.ctx.cgroup_path = cgroup;
        }
        int status = run_isolated((sc->cgroupns ? CLONE_NEWCGROUP : 0) | (sc->userns ? CLONE_NEWUSER : 0), f,
                                  container_main, sc->no_pivot ? host_proc_gone : NULL, &ca);
        if (sc->cgroup)
                cgroup_dirs(cgroup + 1, false);
        mount_idmap_free(idmap_fds, b.spec.n_mounts);
        spec_buf_done(&b);
        assert_int_equal(status, 0);
        /* Seen from the host: /etc untouched and not a mount point, nothing left mounted. */
        _cleanup_free_ char *etc = mount_at("/etc"), *root = mount_at(f->rootfs);
        assert_null(etc);
        assert_null(root);
        assert_int_equal(access("/etc/berth-marker", F_OK), -1);
        marker = xasprintf("%s/etc/berth-marker", f->rootfs);
        assert_int_equal(access(marker, F_OK), -1);
        /* tmpcopyup wrote to the copy, the image's file is as it was */
        _cleanup_free_ char *conf_path = xasprintf("%s/opt/app/conf", f->rootfs), *conf = NULL;
        assert_int_equal(fs_read_file(conf_path, &conf, NULL, NULL), 0);
        assert_string_equal(conf, "conf\n");
}

static void test_container_pivot_rshared_cgroupns(void **state)
{
        scenario sc = {.no_pivot = false, .cgroupns = true, .propagation = "rshared"};

        run_scenario(state, &sc);
}

static void test_container_no_pivot(void **state)
{
        scenario sc = {.no_pivot = true, .cgroupns = false, .dev_ro = true, .cgroup = true};

        run_scenario(state, &sc);
}

static void test_container_userns(void **state)
{
        scenario sc = {.no_pivot = false, .cgroupns = false, .userns = true, .propagation = "rprivate"};

        run_scenario(state, &sc);
}

/* In a user namespace the host's locked proc and sysfs cannot be unmounted: they get covered. */
static void test_container_userns_no_pivot_cgroupns(void **state)
{
        scenario sc = {.no_pivot = true, .cgroupns = true, .userns = true, .dev_ro = true};

        run_scenario(state, &sc);
}

/* ---- refusals: each mount set up alone must fail with this message -------------------- */

typedef struct refusal {
        const char *dest, *type, *source;
        char **opts;
        const char *symlink_name, *symlink_target; /* created in the rootfs first */
        const char *want;
} refusal;

static int refusal_main(const fixture *f, const void *arg)
{
        const refusal *rf = arg;
        spec_buf b = {};
        mount_ctx ctx = {.spec = &b.spec, .rootfs = f->rootfs};
        berth_error *err = NULL;

        b.spec.mounts = b.mounts;
        b.spec.linux_ = &b.linux_;
        add_mount(&b, "/proc", "proc", "proc", OPTS("nosuid"));
        add_mount(&b, "/dev", "bind", "/dev", OPTS("rbind"));
        add_mount(&b, rf->dest, rf->type, rf->source, rf->opts);
        if (rf->symlink_name) {
                _cleanup_free_ char *p = xasprintf("%s/%s", f->rootfs, rf->symlink_name);
                CHECK(symlink(rf->symlink_target, p) == 0);
        }
        CHECK(mount_setup_rootfs(&ctx, &err) < 0);
        _cleanup_free_ char *text = berth_error_text(err);
        if (!streq(text, rf->want)) {
                fprintf(stderr, "error \"%s\", want \"%s\"\n", text, rf->want);
                return 1;
        }
        return 0;
}

static void run_refusal(void **state, const refusal *rf)
{
        fixture *f = *state;

        if (!f)
                skip();
        assert_int_equal(run_isolated(0, f, refusal_main, NULL, rf), 0);
}

static void test_refuse_unknown_fs(void **state)
{
        refusal rf = {.dest = "/x",
                      .type = "berthfs",
                      .source = "none",
                      .want = "mount berthfs to /x: No such device"};

        run_refusal(state, &rf);
}

static void test_refuse_bad_fs_option(void **state)
{
        refusal rf = {.dest = "/x",
                      .type = "tmpfs",
                      .source = "tmpfs",
                      .opts = OPTS("size=berth"),
                      .want = "mount tmpfs to /x (tmpfs: Bad value for 'size'): Invalid argument"};

        run_refusal(state, &rf);
}

static void test_refuse_sysfs_over_symlink(void **state)
{
        refusal rf = {.dest = "/sys",
                      .type = "sysfs",
                      .source = "sysfs",
                      .symlink_name = "sys",
                      .symlink_target = "/berth-elsewhere",
                      .want = "mount sysfs to /sys: destination must be a real directory: Not a directory"};

        run_refusal(state, &rf);
}

static void test_refuse_proc_over_symlink(void **state)
{
        /* the spec's first mount, proc at /proc, meets rootfs/proc -> /berth-elsewhere */
        refusal rf = {.dest = "/x",
                      .type = "tmpfs",
                      .source = "tmpfs",
                      .symlink_name = "proc",
                      .symlink_target = "/berth-elsewhere",
                      .want = "mount proc to /proc: destination must be a real directory: Not a directory"};

        run_refusal(state, &rf);
}

static void test_refuse_inside_proc(void **state)
{
        refusal rf = {.dest = "/proc/keys",
                      .type = "bind",
                      .source = "/dev/null",
                      .opts = OPTS("bind"),
                      .want = "mount /dev/null to /proc/keys: destination is inside /proc: "
                              "Operation not permitted"};

        run_refusal(state, &rf);
}

static void test_refuse_new_dir_inside_proc(void **state)
{
        refusal rf = {.dest = "/proc/berth-new",
                      .type = "tmpfs",
                      .source = "tmpfs",
                      .want = "mount tmpfs to /proc/berth-new: destination is inside /proc: "
                              "Operation not permitted"};

        run_refusal(state, &rf);
}

static void test_refuse_proc_via_symlink(void **state)
{
        /* /berth-p -> /proc: the bind resolves into procfs and is refused like a direct one */
        refusal rf = {.dest = "/berth-p/keys",
                      .type = "bind",
                      .source = "/dev/null",
                      .opts = OPTS("bind"),
                      .symlink_name = "berth-p",
                      .symlink_target = "/proc",
                      .want = "mount /dev/null to /berth-p/keys: destination is inside /proc: "
                              "Operation not permitted"};

        run_refusal(state, &rf);
}

static void test_refuse_missing_bind_source(void **state)
{
        refusal rf = {.dest = "/x",
                      .type = "bind",
                      .source = "/berth-no-such-source",
                      .opts = OPTS("rbind"),
                      .want = "mount /berth-no-such-source to /x: No such file or directory"};

        run_refusal(state, &rf);
}

static void test_refuse_idmap(void **state)
{
        refusal rf = {.dest = "/x",
                      .type = "bind",
                      .source = "/tmp",
                      .opts = OPTS("rbind", "idmap"),
                      .want = "mount /tmp to /x: idmapped mount not prepared: Invalid argument"};

        run_refusal(state, &rf);
}

/* The container's /dev/null is a symlink (a bound /dev the container could change): masking
 * must not bind what it points to over the masked file. */
static int fake_null_main(const fixture *f, const void *arg)
{
        _cleanup_free_ char *dev = xasprintf("%s/fakedev", f->tmp), *null = xasprintf("%s/null", dev);
        spec_buf b = {};
        mount_ctx ctx = {.spec = &b.spec, .rootfs = f->rootfs};
        berth_error *err = NULL;

        CHECK(mkdir(dev, 0755) == 0 && symlink("/proc/sys/kernel/hostname", null) == 0);
        b.spec.mounts = b.mounts;
        b.spec.linux_ = &b.linux_;
        add_mount(&b, "/proc", "proc", "proc", NULL);
        add_mount(&b, "/dev", "bind", dev, OPTS("rbind"));
        b.linux_.masked_paths = strv_copy(OPTS("/proc/cpuinfo"));
        CHECK(mount_setup_rootfs(&ctx, &err) == 0);
        CHECK(mount_pivot_root(&ctx, false, &err) == 0);
        CHECK(mount_finalize(&ctx, &err) < 0);
        _cleanup_free_ char *text = berth_error_text(err);
        const char *want =
                "masked path /proc/cpuinfo: /dev/null is not the null device: Operation not permitted";
        if (!streq(text, want)) {
                fprintf(stderr, "error \"%s\", want \"%s\"\n", text, want);
                return 1;
        }
        CHECK(mount_at("/proc/cpuinfo") == NULL);
        return 0;
}

static void test_refuse_fake_dev_null(void **state)
{
        fixture *f = *state;

        if (!f)
                skip();
        assert_int_equal(run_isolated(0, f, fake_null_main, NULL, NULL), 0);
}

#define REAL(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_options_set_flags),
                cmocka_unit_test(test_options_clear_flags),
                cmocka_unit_test(test_options_last_wins),
                cmocka_unit_test(test_options_bind),
                cmocka_unit_test(test_options_propagation),
                cmocka_unit_test(test_options_recursive_attrs),
                cmocka_unit_test(test_options_data),
                cmocka_unit_test(test_options_empty_refused),
                REAL(test_container_pivot_rshared_cgroupns),
                REAL(test_container_no_pivot),
                REAL(test_container_userns),
                REAL(test_container_userns_no_pivot_cgroupns),
                REAL(test_refuse_unknown_fs),
                REAL(test_refuse_bad_fs_option),
                REAL(test_refuse_sysfs_over_symlink),
                REAL(test_refuse_proc_over_symlink),
                REAL(test_refuse_inside_proc),
                REAL(test_refuse_new_dir_inside_proc),
                REAL(test_refuse_proc_via_symlink),
                REAL(test_refuse_missing_bind_source),
                REAL(test_refuse_idmap),
                REAL(test_refuse_fake_dev_null),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
