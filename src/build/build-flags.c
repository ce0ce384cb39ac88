/* The flags of Dockerfile instructions: the names Docker knows per instruction, checked before
 * the first step (a typo is an error, as in Docker, not a silent no-op), and RUN --network. */
#include <string.h>

#include "build-internal.h"

typedef struct flag_rule {
        const char *keyword;
        const char *name;
        bool supported; /* false: Docker has it, berth does not do it: refused, named */
} flag_rule;

static const flag_rule rules[] = {
        {"FROM", "platform", true}, /* taken and ignored: berth builds for the host's platform */
        {"RUN", "network", true},
        {"RUN", "mount", false},
        {"RUN", "security", false},
        {"COPY", "from", true},
        {"COPY", "chown", true},
        {"COPY", "chmod", true},
        {"COPY", "link", true}, /* a layering hint: the result is the same without it */
        {"COPY", "parents", false},
        {"COPY", "exclude", false},
        {"ADD", "chown", true},
        {"ADD", "chmod", true},
        {"ADD", "link", true},
        {"ADD", "keep-git-dir", false},
        {"ADD", "checksum", false},
        {"ADD", "exclude", false},
        {"HEALTHCHECK", "interval", true},
        {"HEALTHCHECK", "timeout", true},
        {"HEALTHCHECK", "start-period", true},
        {"HEALTHCHECK", "start-interval", true},
        {"HEALTHCHECK", "retries", true},
};

static int check_one(const df_instruction *in, const char *flag, berth_error **err)
{
        size_t n = strcspn(flag + 2, "=");

        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                if (!streq(rules[i].keyword, in->keyword) || strlen(rules[i].name) != n ||
                    !strneq(rules[i].name, flag + 2, n))
                        continue;
                if (!rules[i].supported)
                        return berth_error_set(err, 0, "Dockerfile:%d: %s --%s is not supported", in->line,
                                               in->keyword, rules[i].name);
                return 0;
        }
        return berth_error_set(err, 0, "Dockerfile:%d: %s: unknown flag: %.*s", in->line, in->keyword,
                               (int)n + 2, flag);
}

int build_run_network(builder *b, const df_instruction *in, const char **ret, berth_error **err)
{
        const char *n = df_flag(in, "network");

        if (!n || streq(n, "default"))
                *ret = b ? b->network : NULL;
        else if (streq(n, "none") || streq(n, "host"))
                *ret = n;
        else
                return berth_error_set(err, 0, "RUN --network=%s: expected default, none or host", n);
        return 0;
}

int build_check_flags(const dockerfile *df, berth_error **err)
{
        for (size_t i = 0; i < df->n; i++) {
                const df_instruction *in = &df->ins[i];
                const char *net = NULL;
                STRV_FOREACH (f, in->flags) {
                        int r = check_one(in, *f, err);
                        if (r < 0)
                                return r;
                }
                if (streq(in->keyword, "RUN") && build_run_network(NULL, in, &net, err) < 0)
                        return berth_error_wrap(err, "Dockerfile:%d", in->line);
        }
        return 0;
}
