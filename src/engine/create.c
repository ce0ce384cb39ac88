/* Creating a container: the image resolved, the id and name reserved in one transaction, the
 * container's folder with hostname, hosts and resolv.conf, volumes resolved to host folders. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fs.h"
#include "basic/jsonh.h"
#include "basic/strv.h"
#include "engine-internal.h"
#include "image/config.h"
#include "image/registry.h"

static char *random_hex(size_t bytes)
{
        unsigned char buf[64];
        char *s = xmalloc(bytes * 2 + 1);

        if (getrandom(buf, bytes, 0) != (ssize_t)bytes)
                abort();
        for (size_t i = 0; i < bytes; i++)
                sprintf(s + 2 * i, "%02x", buf[i]);
        return s;
}

static char *random_name(void)
{
        static const char *const adj[] = {"brave", "calm",  "eager", "fond",  "gentle", "happy", "jolly",
                                          "keen",  "lucid", "merry", "nifty", "proud",  "quiet", "swift"};
        static const char *const noun[] = {"anchor", "beacon", "bollard", "buoy", "cargo", "dock",
                                           "harbor", "keel",   "mooring", "pier", "quay",  "tide"};
        unsigned char r[3];

        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
                abort();
        return xasprintf("%s_%s_%02x", adj[r[0] % ELEMENTSOF(adj)], noun[r[1] % ELEMENTSOF(noun)], r[2]);
}

bool engine_name_valid(const char *n)
{
        const char *ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

        return n[0] && strchr(ok, n[0]) && n[0] != '_' && n[0] != '.' && n[0] != '-' &&
               strspn(n, ok) == strlen(n) && strlen(n) < 128;
}

int engine_volume_source(const char *root, const char *id, const char *spec, char **ret_src, char **ret_dst,
                         bool *ret_ro, berth_error **err)
{
        _cleanup_strv_free_ char **f = strv_split(spec, ":");
        size_t n = strv_length(f);
        bool ro = false;

        if (n == 0 || n > 3)
                return berth_error_set(err, 0, "invalid volume specification: %s", spec);
        if (n == 3 || (n == 2 && f[1][0] != '/')) {
                const char *mode = f[n - 1];
                if (!streq(mode, "ro") && !streq(mode, "rw"))
                        return berth_error_set(err, 0, "invalid volume mode %s in %s", mode, spec);
                ro = streq(mode, "ro");
                free(f[--n]);
                f[n] = NULL;
        }
        const char *dst = f[n - 1];
        if (dst[0] != '/')
                return berth_error_set(
                        err, 0, "invalid volume specification: %s: the container path must be absolute",
                        spec);
        if (n == 1) { /* anonymous: made by the engine at create (root set) */
                if (!root)
                        return berth_error_set(err, 0, "invalid volume specification: %s", spec);
                _cleanup_free_ char *name = random_hex(32);
                _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", root, name);
                int r = fs_mkdir_p(data, 0755, err);
                if (r < 0)
                        return r;
                *ret_src = TAKE_PTR(data);
        } else if (f[0][0] == '/') {
                *ret_src = fs_path_normalize(f[0]);
        } else {
                if (!engine_name_valid(f[0]))
                        return berth_error_set(err, 0, "invalid volume name %s in %s", f[0], spec);
                if (!root)
                        return berth_error_set(err, 0, "invalid volume specification: %s", spec);
                _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", root, f[0]);
                int r = fs_mkdir_p(data, 0755, err);
                if (r < 0)
                        return r;
                *ret_src = TAKE_PTR(data);
        }
        *ret_dst = fs_path_normalize(dst);
        *ret_ro = ro;
        return 0;
}

/* -v specs as absolute "SRC:DST:ro|rw", anonymous and named volumes made under ROOT/volumes;
 * a missing host folder of a bind is created, as Docker does. */
static int resolve_volumes(engine *e, const char *id, run_opts *o, berth_error **err)
{
        _cleanup_strv_free_ char **out = NULL;

        STRV_FOREACH (v, o->volumes) {
                _cleanup_free_ char *src = NULL, *dst = NULL;
                bool ro;
                struct stat st;
                int r = engine_volume_source(e->root, id, *v, &src, &dst, &ro, err);
                if (r < 0)
                        return r;
                if (stat(src, &st) < 0) {
                        r = fs_mkdir_p(src, 0755, err);
                        if (r < 0)
                                return r;
                }
                strv_consume(&out, xasprintf("%s:%s:%s", src, dst, ro ? "ro" : "rw"));
        }
        strv_free(o->volumes);
        o->volumes = TAKE_PTR(out);
        return 0;
}

/* The host's resolv.conf as Docker gives it: --dns, --dns-search and --dns-option replace its
 * lines; on a bridged network a nameserver on the host's loopback is unreachable and dropped
 * (Google's public servers when none is left, as Docker does). */
static char *resolv_conf(const run_opts *o)
{
        _cleanup_free_ char *host = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        bool bridged = engine_net_bridged(o->network), have_ns = false;
        char *out = NULL;
        size_t len, size = 0;
        FILE *f;

        if (fs_read_file("/etc/resolv.conf", &host, &len, NULL) < 0)
                host = xstrdup("");
        if (!bridged && !o->dns && !o->dns_search && !o->dns_options)
                return TAKE_PTR(host);
        f = open_memstream(&out, &size);
        if (!f)
                abort();
        lines = strv_split(host, "\n");
        STRV_FOREACH (l, lines) {
                bool ns = strncmp(*l, "nameserver", 10) == 0, search = strncmp(*l, "search", 6) == 0,
                     opt = strncmp(*l, "options", 7) == 0;
                if ((ns && o->dns) || (search && o->dns_search) || (opt && o->dns_options))
                        continue;
                if (ns && bridged) {
                        const char *a = *l + 10 + strspn(*l + 10, " \t");
                        if (strncmp(a, "127.", 4) == 0 || strncmp(a, "::1", 3) == 0)
                                continue;
                }
                have_ns = have_ns || ns;
                fprintf(f, "%s\n", *l);
        }
        STRV_FOREACH (d, o->dns)
                fprintf(f, "nameserver %s\n", *d);
        if (!have_ns && !o->dns)
                fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", f);
        if (o->dns_search) {
                fputs("search", f);
                STRV_FOREACH (d, o->dns_search)
                        fprintf(f, " %s", *d);
                fputc('\n', f);
        }
        if (o->dns_options) {
                fputs("options", f);
                STRV_FOREACH (d, o->dns_options)
                        fprintf(f, " %s", *d);
                fputc('\n', f);
        }
        fclose(f);
        return out;
}

static int write_etc_files(const char *dir, const run_opts *o, const char *id, berth_error **err)
{
        _cleanup_free_ char *hostname = xstrndup(o->hostname ?: id, o->hostname ? strlen(o->hostname) : 12);
        _cleanup_free_ char *p1 = xasprintf("%s/hostname", dir), *p2 = xasprintf("%s/hosts", dir),
                            *p3 = xasprintf("%s/resolv.conf", dir);
        _cleanup_free_ char *hn = xasprintf("%s\n", hostname);
        _cleanup_free_ char *hosts =
                xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                          "127.0.1.1\t%s\n",
                          hostname);
        _cleanup_free_ char *resolv = resolv_conf(o);
        int r;

        r = fs_write_file_atomic(p1, hn, strlen(hn), 0644, err);
        if (r >= 0)
                r = fs_write_file_atomic(p2, hosts, strlen(hosts), 0644, err);
        if (r >= 0)
                r = fs_write_file_atomic(p3, resolv, strlen(resolv), 0644, err);
        return r;
}

static int insert_row(engine *e, const char *id, const char *image, const char *image_id, json_t *opts,
                      json_t *ic, berth_error **err)
{
        _cleanup_free_ char *o = jsonh_dump(opts, false), *c = jsonh_dump(ic, false);
        const char *name = json_string_value(json_object_get(opts, "name"));
        const int64_t ints[] = {0, 0, 0, 0, engine_now(), 0, 0};
        const char *const texts[] = {id, name, image, image_id, NULL, o, c};
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = db_begin(e->db, err);

        if (r < 0)
                return r;
        r = db_prepare(e->db, "SELECT id FROM containers WHERE name = ?1", &s, err);
        if (r >= 0) {
                sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
                r = db_step_row(e->db, s, err);
                if (r > 0)
                        r = berth_error_say(err, EEXIST,
                                            "the container name \"/%s\" is already in use by container %s: "
                                            "remove or rename that container to reuse the name",
                                            name, sqlite3_column_text(s, 0));
        }
        if (r >= 0)
                r = engine_db_exec_bind(
                        e->db,
                        "INSERT INTO containers (id, name, image, image_id, state, opts,"
                        " image_config, created) VALUES (?1, ?2, ?3, ?4, 'created', ?6, ?7, ?5)",
                        err, 7, ints, texts);
        if (r >= 0)
                r = db_commit(e->db, err);
        if (r < 0)
                db_rollback(e->db);
        return r;
}

int engine_create(engine *e, const char *image, const run_opts *in, char **ret_id, berth_error **err)
{
        _cleanup_image_record_ image_record *img = NULL;
        _cleanup_image_config_ image_config *cfg = NULL;
        _cleanup_free_ char *id = random_hex(32), *dir = NULL;
        _cleanup_json_ json_t *opts = NULL;
        run_opts o;
        int r;

        if (in->name && !engine_name_valid(in->name))
                return berth_error_set(
                        err, 0, "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                        in->name);
        const char *pull = in->pull ? in->pull : "missing";
        r = streq(pull, "always") ? -ENOENT : image_store_resolve(e->images, image, &img, err);
        if (r == -ENOENT && !streq(pull, "never")) {
                _cleanup_free_ char *pulled = NULL;
                berth_error_free(*err);
                *err = NULL;
                r = registry_pull(e->images, image, NULL, &pulled, err);
                if (r < 0)
                        return berth_error_wrap(
                                err, "unable to find image '%s' locally, and pulling it failed", image);
                r = image_store_get(e->images, pulled, &img, err);
        } else if (r == -ENOENT) {
                berth_error_free(*err);
                *err = NULL;
                return berth_error_set(err, 0, "unable to find image '%s' locally (--pull never)", image);
        }
        if (r >= 0)
                r = image_store_config(e->images, img, &cfg, err);
        if (r < 0)
                return r;
        opts = run_opts_to_json(in);
        run_opts_from_json(opts, &o, NULL);
        bool named = o.name != NULL;
        if (!named)
                o.name = random_name();
        r = engine_net_validate(e, &o, err);
        if (r < 0) {
                run_opts_clear(&o);
                return r;
        }
        json_decref(opts);
        opts = run_opts_to_json(&o);
        json_object_set_new(opts, "storage_driver", json_string(e->driver->name));
        json_t *ic = json_object_get(cfg->json, "config");
        _cleanup_json_ json_t *empty = json_object();
        /* the name first: a name in use changes nothing; a made-up one is made up again (43008 of
         * them: 50 at once meet with a few per cent chance) */
        r = insert_row(e, id, image, img->id, opts, ic ? ic : empty, err);
        for (int tries = 0; r == -EEXIST && !named && tries < 20; tries++) {
                berth_error_free(*err);
                *err = NULL;
                free(o.name);
                o.name = random_name();
                json_object_set_new(opts, "name", json_string(o.name));
                r = insert_row(e, id, image, img->id, opts, ic ? ic : empty, err);
        }
        if (r < 0) {
                run_opts_clear(&o);
                return r;
        }
        dir = engine_ctr_dir(e->root, id);
        r = fs_mkdir_p(dir, 0700, err);
        engine_image_volumes(ic, &o);
        if (r >= 0)
                r = resolve_volumes(e, id, &o, err);
        if (r >= 0)
                r = write_etc_files(dir, &o, id, err);
        if (r >= 0) {
                _cleanup_json_ json_t *j = run_opts_to_json(&o);
                json_object_set_new(j, "storage_driver", json_string(e->driver->name));
                _cleanup_free_ char *text = jsonh_dump(j, false);
                const char *const texts[] = {text, id};
                r = engine_db_exec_bind(e->db, "UPDATE containers SET opts = ?1 WHERE id = ?2", err, 2, NULL,
                                        texts);
        }
        run_opts_clear(&o);
        if (r < 0) {
                const char *const texts[] = {id};
                engine_db_exec_bind(e->db, "DELETE FROM containers WHERE id = ?1", NULL, 1, NULL, texts);
                fs_rm_rf(dir, NULL);
                return r;
        }
        *ret_id = TAKE_PTR(id);
        return 0;
}
