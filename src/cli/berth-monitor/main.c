/* berth-monitor: the small per-container process that the engine starts in its own session.
 *   berth-monitor --root DIR --runroot DIR --status-fd N [--wait-attach] ID
 * Everything it does is engine_monitor_main's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "engine/engine.h"

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"root", required_argument, NULL, 'r'},
                {"runroot", required_argument, NULL, 'R'},
                {"status-fd", required_argument, NULL, 's'},
                {"wait-attach", no_argument, NULL, 'w'},
                {},
        };
        const char *root = NULL, *runroot = NULL;
        int c, status_fd = -1;
        bool wait_attach = false;

        log_set_program("berth-monitor");
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        root = optarg;
                        break;
                case 'R':
                        runroot = optarg;
                        break;
                case 's':
                        status_fd = atoi(optarg);
                        break;
                case 'w':
                        wait_attach = true;
                        break;
                default:
                        fprintf(stderr, "usage: berth-monitor --root DIR --runroot DIR --status-fd N "
                                        "[--wait-attach] ID\n");
                        return 2;
                }
        }
        if (!root || !runroot || optind + 1 != argc) {
                fprintf(stderr, "berth-monitor: --root, --runroot and one container id are required\n");
                return 2;
        }
        return engine_monitor_main(root, runroot, argv[optind], status_fd, wait_attach);
}
