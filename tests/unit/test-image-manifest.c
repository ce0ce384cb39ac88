/* Manifests, indexes and configs: what parses, what is refused and how the error reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "image/config.h"
#include "basic/jsonh.h"
#include "image/manifest.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char docker_manifest[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
        "\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG "\",\"size\":10,\"digest\":\"" D1 "\"},"
        "\"layers\":[{\"mediaType\":\"" MT_DOCKER_LAYER_GZIP "\",\"size\":20,\"digest\":\"" D2 "\"},"
        "{\"mediaType\":\"" MT_DOCKER_LAYER "\",\"size\":30,\"digest\":\"" D3 "\"}]}";

static void expect_manifest_error(const char *json, const char *why)
{
        _cleanup_manifest_ image_manifest *m = NULL;
        _cleanup_error_ berth_error *err = NULL;

        assert_true(manifest_parse(json, strlen(json), NULL, &m, &err) < 0);
        assert_non_null(err);
        if (!strstr(err->msg, why))
                fail_msg("error \"%s\" lacks \"%s\"", err->msg, why);
}

static void test_docker_manifest(void **state)
{
        _cleanup_manifest_ image_manifest *m = NULL;
        enum layer_compression c;

        assert_int_equal(manifest_parse(docker_manifest, strlen(docker_manifest), NULL, &m, NULL), 0);
        assert_string_equal(m->media_type, MT_DOCKER_MANIFEST);
        assert_string_equal(m->config.digest, D1);
        assert_int_equal(m->n_layers, 2);
        assert_int_equal(m->layers[1].size, 30);
        assert_int_equal(layer_media_type_compression(m->layers[0].media_type, &c, NULL), 0);
        assert_int_equal(c, LAYER_GZIP);
}

static void test_oci_manifest_without_media_type(void **state)
{
        const char *j = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"size\":1,"
                        "\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER_ZSTD
                        "\",\"size\":2,\"digest\":\"" D2 "\"}]}";
        _cleanup_manifest_ image_manifest *m = NULL;
        enum manifest_kind k;

        assert_int_equal(manifest_parse(j, strlen(j), NULL, &m, NULL), 0);
        assert_string_equal(m->media_type, MT_OCI_MANIFEST);
        assert_int_equal(manifest_kind(j, strlen(j), NULL, &k, NULL), 0);
        assert_int_equal(k, MANIFEST_KIND_IMAGE);
}

static void test_manifest_errors(void **state)
{
        expect_manifest_error("[", "manifest");
        expect_manifest_error("{\"schemaVersion\":1}", "schemaVersion: unsupported version 1");
        expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"application/x-nope\"}",
                              "unknown media type \"application/x-nope\"");
        expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
                              "\",\"size\":1,\"digest\":\"sha256:12\"},\"layers\":[]}",
                              "config.digest: invalid digest");
        expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
                              "\",\"size\":1,\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":\"foo/bar\","
                              "\"size\":1,\"digest\":\"" D2 "\"}]}",
                              "layers[0].mediaType: unknown layer media type \"foo/bar\"");
        expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
                              "\",\"size\":\"x\",\"digest\":\"" D1 "\"},\"layers\":[]}",
                              "config.size");
}

static void test_index_platform(void **state)
{
        const char *j = "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
                        "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"size\":1,\"digest\":\"" D1
                        "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
                        "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"size\":1,\"digest\":\"" D3
                        "\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
                        "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"size\":1,\"digest\":\"" D2
                        "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},"
                        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}";
        _cleanup_index_ image_index *idx = NULL;
        _cleanup_error_ berth_error *err = NULL;
        const descriptor *d;

        assert_int_equal(index_parse(j, strlen(j), NULL, &idx, NULL), 0);
        assert_int_equal(idx->n_manifests, 3);
        assert_int_equal(index_select_platform(idx, "linux/amd64", &d, NULL), 0);
        assert_string_equal(d->digest, D2);
        assert_string_equal(d->ref_name, "latest");
        assert_int_equal(index_select_platform(idx, "linux/arm64", &d, NULL), 0);
        assert_string_equal(d->digest, D1);
        assert_true(index_select_platform(idx, "linux/s390x", &d, &err) < 0);
        assert_non_null(strstr(err->msg, "no image for platform linux/s390x"));
        berth_error_freep(&err);
        assert_true(index_select_platform(idx, "linux", &d, &err) < 0);
        assert_non_null(strstr(err->msg, "invalid platform"));
}

static void test_docker_list(void **state)
{
        const char *j = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":["
                        "{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"size\":1,\"digest\":\"" D2
                        "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
        _cleanup_index_ image_index *idx = NULL;
        enum manifest_kind k;

        assert_int_equal(manifest_kind(j, strlen(j), NULL, &k, NULL), 0);
        assert_int_equal(k, MANIFEST_KIND_INDEX);
        assert_int_equal(index_parse(j, strlen(j), NULL, &idx, NULL), 0);
        assert_string_equal(idx->media_type, MT_DOCKER_LIST);
}

static const char config_json[] =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05.123456789Z\","
        "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"Entrypoint\":null,\"WorkingDir\":\"/w\","
        "\"User\":\"1000\",\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/data\":{}},"
        "\"Labels\":{\"a\":\"b\"},\"StopSignal\":\"SIGTERM\"},"
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
        "\"history\":[{\"created_by\":\"x\"},{\"created_by\":\"y\",\"empty_layer\":true}],"
        "\"future_field\":{\"kept\":1}}";

static void test_config(void **state)
{
        _cleanup_image_config_ image_config *c = NULL;
        _cleanup_free_ char *chain = NULL;

        assert_int_equal(image_config_parse(config_json, strlen(config_json), &c, NULL), 0);
        assert_int_equal(strv_length(c->diff_ids), 2);
        assert_int_equal(c->created_unix, 1704164645);
        assert_string_equal(c->arch, "amd64");
        /* Kept whole: a field berth does not know is still there. */
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(c->json, "future_field"), "kept")), 1);
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(c->json, "config"), "WorkingDir")), "/w");
        chain = image_chain_id(D1, D2);
        /* sha256("<D1> <D2>") computed independently with sha256sum. */
        assert_string_equal(chain,
                            "sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5");
}

static void test_config_errors(void **state)
{
        static const struct {
                const char *json, *why;
        } cases[] = {
                {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:x\"]}}",
                 "rootfs.diff_ids[0]: invalid digest"},
                {"{\"rootfs\":{\"type\":\"tree\",\"diff_ids\":[]}}", "rootfs.type"},
                {"{}", "rootfs"},
                {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Env\":\"x\"}}",
                 "config.Env"},
                {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Labels\":{\"a\":1}}}",
                 "config.Labels"},
                {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"created\":\"yesterday\"}", "created"},
                {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[3]}", "history[0]"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_image_config_ image_config *c = NULL;
                _cleanup_error_ berth_error *err = NULL;
                assert_true(image_config_parse(cases[i].json, strlen(cases[i].json), &c, &err) < 0);
                if (!strstr(err->msg, cases[i].why))
                        fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err->msg, cases[i].why);
        }
}

static void test_changes(void **state)
{
        _cleanup_json_ json_t *cfg = json_object();
        _cleanup_error_ berth_error *err = NULL;

        assert_int_equal(image_config_apply_change(cfg, "CMD [\"/bin/sh\",\"-c\",\"echo hi\"]", NULL), 0);
        assert_int_equal(image_config_apply_change(cfg, "ENTRYPOINT /bin/init", NULL), 0);
        assert_int_equal(image_config_apply_change(cfg, "ENV A=1", NULL), 0);
        assert_int_equal(image_config_apply_change(cfg, "EXPOSE 80", NULL), 0);
        assert_int_equal(image_config_apply_change(cfg, "workdir /srv", NULL), 0);
        assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 2)), "echo hi");
        assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Entrypoint"), 2)),
                            "/bin/init");
        assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Env"), 0)), "A=1");
        assert_non_null(json_object_get(json_object_get(cfg, "ExposedPorts"), "80/tcp"));
        assert_string_equal(json_string_value(json_object_get(cfg, "WorkingDir")), "/srv");
        assert_true(image_config_apply_change(cfg, "RUN make", &err) < 0);
        assert_non_null(strstr(err->msg, "unsupported instruction RUN"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_docker_manifest),
                cmocka_unit_test(test_oci_manifest_without_media_type),
                cmocka_unit_test(test_manifest_errors),
                cmocka_unit_test(test_index_platform),
                cmocka_unit_test(test_docker_list),
                cmocka_unit_test(test_config),
                cmocka_unit_test(test_config_errors),
                cmocka_unit_test(test_changes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
