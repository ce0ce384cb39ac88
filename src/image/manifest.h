/* Image manifests and indexes: OCI image manifest and index, Docker schema 2 manifest and
 * manifest list. Parsing is strict: an error names the JSON path and a media type berth does not
 * know is refused by name. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "basic/error.h"

#define MT_OCI_MANIFEST         "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX            "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG           "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER            "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP       "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD       "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST      "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST          "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG        "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER         "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

typedef struct descriptor {
        char *media_type;
        char *digest;
        int64_t size;
        /* Index entries only. */
        char *os, *arch, *variant;
        char *ref_name; /* annotation org.opencontainers.image.ref.name or io.containerd.image.name */
} descriptor;

typedef struct image_manifest {
        char *media_type; /* MT_OCI_MANIFEST or MT_DOCKER_MANIFEST */
        descriptor config;
        descriptor *layers;
        size_t n_layers;
} image_manifest;

typedef struct image_index {
        char *media_type; /* MT_OCI_INDEX or MT_DOCKER_LIST */
        descriptor *manifests;
        size_t n_manifests;
} image_index;

enum manifest_kind { MANIFEST_KIND_IMAGE, MANIFEST_KIND_INDEX };

/* The kind of a manifest document, from its mediaType or (OCI allows it missing) its shape;
 * media_type_hint (e.g. a Content-Type or an index entry) may be NULL. */
int manifest_kind(const char *buf, size_t len, const char *media_type_hint, enum manifest_kind *ret,
                  berth_error **err);

int manifest_parse(const char *buf, size_t len, const char *media_type_hint, image_manifest **ret,
                   berth_error **err);
void manifest_free(image_manifest *m);
static inline void manifest_freep(image_manifest **m)
{
        manifest_free(*m);
}
#define _cleanup_manifest_ _cleanup_(manifest_freep)

int index_parse(const char *buf, size_t len, const char *media_type_hint, image_index **ret,
                berth_error **err);
void index_free(image_index *i);
static inline void index_freep(image_index **i)
{
        index_free(*i);
}
#define _cleanup_index_ _cleanup_(index_freep)

/* The host's platform as "linux/amd64" (or ".../arm64/v8"); caller frees. */
char *platform_default(void);
/* The entry of idx for platform ("os/arch[/variant]", NULL for the default). Image manifests
 * only; attestation entries (unknown/unknown) are skipped. */
int index_select_platform(const image_index *idx, const char *platform, const descriptor **ret,
                          berth_error **err);

/* Layer compression by media type: 0 tar, 1 gzip, 2 zstd; unknown media types refused. */
enum layer_compression { LAYER_TAR, LAYER_GZIP, LAYER_ZSTD };
int layer_media_type_compression(const char *media_type, enum layer_compression *ret, berth_error **err);

/* Write a Docker schema 2 or OCI manifest (compact JSON, caller frees). */
char *manifest_build(const char *media_type, const descriptor *config, const descriptor *layers, size_t n);
