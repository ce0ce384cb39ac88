/* The monitor's memory while its container runs. The start touches most of its code (SQLite,
 * the runtime library, JSON); the relay loop needs little of it. Read-only, never-written file
 * pages are copies of the page cache: dropping them from our mappings (MADV_DONTNEED) costs
 * nothing but a minor fault when a page is used again, so the RSS is what the loop touches. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "basic/fs.h"
#include "monitor.h"

typedef struct region {
        unsigned long start, end;
        char perms[5];
        bool file;
        long anon_kb; /* pages of it that are private copies: never dropped */
} region;

static void region_drop(const region *r)
{
        /* only never-written file pages: writable or copied-on-write mappings keep their data */
        if (r->file && r->perms[1] == '-' && r->perms[3] == 'p' && r->anon_kb == 0 && r->end > r->start)
                madvise((void *)r->start, r->end - r->start, MADV_DONTNEED);
}

void mon_drop_clean_pages(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        region cur = {0};
        bool have = false;
        char *save = NULL;

        if (fs_read_file("/proc/self/smaps", &text, &len, NULL) < 0)
                return;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                region next = {0};
                char path[8] = "";
                if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %7s", &next.start, &next.end, next.perms, path) >=
                            3 &&
                    strchr(line, '-') < strchr(line, ' ')) {
                        if (have)
                                region_drop(&cur);
                        next.file = path[0] == '/';
                        next.anon_kb = -1; /* unknown until its Anonymous: line */
                        cur = next;
                        have = true;
                } else if (have && strncmp(line, "Anonymous:", 10) == 0)
                        cur.anon_kb = strtol(line + 10, NULL, 10);
        }
        if (have)
                region_drop(&cur);
}
