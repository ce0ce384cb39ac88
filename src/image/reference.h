/* Image references as Docker reads them: [domain[:port]/]path[:tag][@digest], normalised so that
 * "busybox" is "docker.io/library/busybox:latest". */
#pragma once

#include "basic/error.h"

typedef struct image_ref {
        char *domain; /* "docker.io", "localhost:5000" */
        char *path;   /* "library/busybox" */
        char *tag;    /* NULL when the reference has only a digest */
        char *digest; /* "sha256:...", or NULL */
} image_ref;

/* Parse and normalise; a reference without tag or digest gets ":latest". The error says what is
 * wrong ("invalid reference format: repository name must be lowercase"). */
int image_ref_parse(const char *s, image_ref **ret, berth_error **err);
void image_ref_free(image_ref *r);
static inline void image_ref_freep(image_ref **r)
{
        image_ref_free(*r);
}
#define _cleanup_image_ref_ _cleanup_(image_ref_freep)

/* "docker.io/library/busybox" */
char *image_ref_name(const image_ref *r);
/* "docker.io/library/busybox:latest", "...@sha256:..", or both: the key the store keeps. */
char *image_ref_string(const image_ref *r);
/* Docker's short form of a stored name: "busybox", "user/app", "localhost:5000/x". */
char *image_ref_familiar_name(const char *full_name);

/* Split a stored "name:tag" into repository and tag (the last ':' after the last '/'). */
void image_ref_split_tag(const char *full, char **ret_repo, char **ret_tag);

/* A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
int image_ref_check_tag(const char *tag, berth_error **err);
