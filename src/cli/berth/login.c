/* `berth login` and `berth logout`: credentials checked against the registry, kept in Docker's
 * config.json format (mode 0600). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "image/registry.h"

static char *read_password(berth_error **err)
{
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);

        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        if (n == 0) {
                berth_error_set(err, EINVAL, "login: --password-stdin: no password on stdin");
                return NULL;
        }
        return xstrdup(buf);
}

int verb_login(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"username", required_argument, NULL, 'u'},   {"password", required_argument, NULL, 'p'},
                {"password-stdin", no_argument, NULL, 's'},   {"help", no_argument, NULL, 'h'},
                {"tls-verify", optional_argument, NULL, 'T'}, {"authfile", required_argument, NULL, 'A'},
                {"cert-dir", required_argument, NULL, 'C'},   {}};
        registry_options o = {};
        _cleanup_free_ char *password = NULL;
        const char *user = NULL;
        bool from_stdin = false;
        int c, r;

        (void)ctx;
        while ((c = getopt_long(argc, argv, "u:p:h", opts, NULL)) >= 0) {
                if (c == 'u')
                        user = optarg;
                else if (c == 'p')
                        password = xstrdup(optarg);
                else if (c == 's')
                        from_stdin = true;
                else if (c == 'h') {
                        print_verb_help(
                                "login [OPTIONS] [SERVER]", "Log in to a registry",
                                "  -u, --username string   Username\n"
                                "  -p, --password string   Password\n"
                                "      --password-stdin    Take the password from stdin\n"
                                "      --authfile path     Credentials file (Docker's config.json)\n");
                        return 0;
                } else if (registry_flag(&o, c, optarg) <= 0)
                        return usage_error("login", "bad flag: %s", argv[optind - 1]);
        }
        if (optind + 1 < argc)
                return usage_error("login", "accepts at most 1 argument");
        if (from_stdin && password)
                return usage_error("login", "--password and --password-stdin are mutually exclusive");
        if (from_stdin && !(password = read_password(err)))
                return -EINVAL;
        if (!user || !password)
                return usage_error("login", "needs --username and --password or --password-stdin");
        r = registry_login(optind < argc ? argv[optind] : NULL, user, password, &o, err);
        if (r < 0)
                return r;
        printf("Login Succeeded\n");
        return 0;
}

int verb_logout(berth_ctx *ctx, int argc, char **argv, berth_error **err)
{
        static const struct option opts[] = {
                {"authfile", required_argument, NULL, 'A'}, {"help", no_argument, NULL, 'h'}, {}};
        registry_options o = {};
        const char *host;
        int c, r;

        (void)ctx;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                if (c == 'h') {
                        print_verb_help(
                                "logout [OPTIONS] [SERVER]", "Log out from a registry",
                                "      --authfile path     Credentials file (Docker's config.json)\n");
                        return 0;
                } else if (registry_flag(&o, c, optarg) <= 0)
                        return usage_error("logout", "bad flag: %s", argv[optind - 1]);
        }
        if (optind + 1 < argc)
                return usage_error("logout", "accepts at most 1 argument");
        host = optind < argc ? argv[optind] : NULL;
        r = registry_logout(host, &o, err);
        if (r < 0)
                return r;
        printf("Removing login credentials for %s\n", host ? host : "https://index.docker.io/v1/");
        return 0;
}
