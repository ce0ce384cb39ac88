/* The network layer without packets: -p specs, and networks in a real SQLite database (subnets
 * picked and checked for overlaps, names, the default network, removal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "network/network.h"

static void expect_port(const char *spec, const char *ip, unsigned host, unsigned ctr, const char *proto)
{
        _cleanup_error_ berth_error *err = NULL;
        net_port p;

        assert_int_equal(net_port_parse(spec, &p, &err), 0);
        assert_string_equal(p.host_ip, ip);
        assert_int_equal(p.host_port, host);
        assert_int_equal(p.ctr_port, ctr);
        assert_string_equal(p.proto, proto);
}

static void expect_bad_port(const char *spec)
{
        _cleanup_error_ berth_error *err = NULL;
        net_port p;

        assert_true(net_port_parse(spec, &p, &err) < 0);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "invalid port"));
}

static void test_port_parse(void **state)
{
        expect_port("80", "0.0.0.0", 0, 80, "tcp");
        expect_port("8080:80", "0.0.0.0", 8080, 80, "tcp");
        expect_port("5353:53/udp", "0.0.0.0", 5353, 53, "udp");
        expect_port("127.0.0.1:8080:80", "127.0.0.1", 8080, 80, "tcp");
        expect_port("127.0.0.1::80/udp", "127.0.0.1", 0, 80, "udp");
        expect_bad_port("");
        expect_bad_port("0");
        expect_bad_port("65536");
        expect_bad_port("http");
        expect_bad_port("80/sctp");
        expect_bad_port("1:2:3:4");
        expect_bad_port("300.1.1.1:80:80");
        expect_bad_port("8080:");
        expect_bad_port(":80");
}

typedef struct fixture {
        char dir[64];
        db *d;
} fixture;

static int setup(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        _cleanup_free_ char *path = NULL;

        strcpy(f->dir, "/tmp/berth-test-network.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        path = xasprintf("%s/berth.db", f->dir);
        assert_int_equal(db_open(path, &f->d, NULL), 0);
        assert_int_equal(net_db_migrate(f->d, NULL), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture *f = *state;
        net_network **l = NULL;

        /* networks own a bridge on the host from their creation */
        if (net_list(f->d, &l, NULL) >= 0) {
                for (net_network **p = l; *p; p++)
                        net_host_remove(*p);
                net_network_list_free(l);
        }
        db_close(f->d);
        fs_rm_rf(f->dir, NULL);
        free(f);
        return 0;
}

static void expect_create_fails(db *d, const net_create_opts *o, const char *why)
{
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_net_network_ net_network *n = NULL;

        assert_true(net_create(d, o, &n, &err) < 0);
        assert_null(n);
        assert_non_null(err);
        if (!strstr(err->msg, why))
                fail_msg("\"%s\" does not say \"%s\"", err->msg, why);
}

static void test_networks(void **state)
{
        fixture *f = *state;
        _cleanup_net_network_ net_network *def = NULL, *a = NULL, *b = NULL, *got = NULL;
        char *labels[] = {"berth.test=yes", NULL};
        net_network **l = NULL;

        /* the default network is recorded on first lookup, with a /16 from the pool */
        assert_int_equal(net_get(f->d, NET_DEFAULT, &def, NULL), 0);
        assert_string_equal(def->name, "bridge");
        assert_int_equal(strncmp(def->subnet, "10.", 3), 0);
        assert_non_null(strstr(def->subnet, ".0.0/16"));
        assert_int_equal(strncmp(def->bridge, "berth", 5), 0);

        const net_create_opts oa = {.name = "berthnet-a", .labels = labels};
        assert_int_equal(net_create(f->d, &oa, &a, NULL), 0);
        assert_string_not_equal(a->subnet, def->subnet); /* picked past the default's */
        assert_string_not_equal(a->bridge, def->bridge);
        /* the bridge is claimed on the host at once: another root cannot take the name */
        _cleanup_free_ char *sys = xasprintf("/sys/class/net/%s", a->bridge);
        assert_int_equal(access(sys, F_OK), 0);
        assert_string_equal(json_string_value(json_object_get(a->labels, "berth.test")), "yes");

        const net_create_opts ob = {
                .name = "berthnet-b", .subnet = "10.250.3.0/24", .gateway = "10.250.3.254"};
        assert_int_equal(net_create(f->d, &ob, &b, NULL), 0);
        assert_string_equal(b->gateway, "10.250.3.254");

        const net_create_opts overlap = {.name = "berthnet-c", .subnet = "10.250.0.0/16"};
        expect_create_fails(f->d, &overlap, "overlaps with network berthnet-b");
        const net_create_opts dup = {.name = "berthnet-a"};
        expect_create_fails(f->d, &dup, "already exists");
        const net_create_opts reserved = {.name = "host"};
        expect_create_fails(f->d, &reserved, "reserved");
        const net_create_opts hostbits = {.name = "berthnet-d", .subnet = "10.251.0.1/24"};
        expect_create_fails(f->d, &hostbits, "host bits");
        const net_create_opts gw = {
                .name = "berthnet-e", .subnet = "10.252.0.0/24", .gateway = "10.253.0.1"};
        expect_create_fails(f->d, &gw, "not an address of subnet");
        const net_create_opts badname = {.name = "no/slash"};
        expect_create_fails(f->d, &badname, "invalid network name");

        /* by name, id and unique id prefix */
        assert_int_equal(net_get(f->d, a->id, &got, NULL), 0);
        assert_string_equal(got->name, "berthnet-a");
        net_network_free(got);
        got = NULL;
        char prefix[13];
        snprintf(prefix, sizeof(prefix), "%.12s", b->id);
        assert_int_equal(net_get(f->d, prefix, &got, NULL), 0);
        assert_string_equal(got->name, "berthnet-b");

        assert_int_equal(net_list(f->d, &l, NULL), 0);
        assert_string_equal(l[0]->name, "berthnet-a");
        assert_string_equal(l[1]->name, "berthnet-b");
        assert_string_equal(l[2]->name, "bridge");
        assert_null(l[3]);
        net_network_list_free(l);

        assert_false(net_in_use(f->d, a->id));
        assert_int_equal(net_remove(f->d, "berthnet-a", NULL), 0);
        _cleanup_error_ berth_error *err = NULL;
        _cleanup_net_network_ net_network *gone = NULL;
        assert_true(net_get(f->d, "berthnet-a", &gone, &err) < 0);
        assert_non_null(strstr(err->msg, "not found"));
        /* its subnet is free again */
        const net_create_opts again = {.name = "berthnet-a2", .subnet = a->subnet};
        _cleanup_net_network_ net_network *a2 = NULL;
        assert_int_equal(net_create(f->d, &again, &a2, NULL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_port_parse),
                cmocka_unit_test_setup_teardown(test_networks, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
