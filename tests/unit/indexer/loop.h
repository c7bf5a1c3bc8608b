/* Helpers the indexer's loop tests share: a scratch archive, running a
 * loop until something holds, with a deadline, and writing a small file. */
#ifndef VT_TESTS_UNIT_INDEXER_LOOP_H
#define VT_TESTS_UNIT_INDEXER_LOOP_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <uv.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "indexer/scan.h"

/* A new folder /tmp/vanthu-test-NAME-XXXXXX holding archive/: *dir is the
 * folder, *root archive/ made canonical (scan_root), *data the path of
 * data/ (not made).  New strings (free). */
static inline void test_make_archive(const char *name, char **dir, char **root, char **data)
{
    char *tmpl = xasprintf("/tmp/vanthu-test-%s-XXXXXX", name);
    char *arch;
    struct vt_err err;

    assert_non_null(mkdtemp(tmpl));
    *dir = tmpl;
    arch = xasprintf("%s/archive", tmpl);
    assert_int_equal(mkdir(arch, 0755), 0);
    *root = scan_root(arch, &err);
    assert_non_null(*root);
    free(arch);
    *data = xasprintf("%s/data", tmpl);
}

static inline void test_loop_wake(uv_timer_t *t)
{
    (void)t;
}

/* Run loop until pred(arg) or ms pass; deadline (a timer on loop) wakes
 * it at least every 20 ms.  Returns pred's last value. */
static inline int test_run_until(uv_loop_t *loop, uv_timer_t *deadline, int (*pred)(void *arg),
                          void *arg, unsigned ms)
{
    uint64_t end;

    uv_update_time(loop);
    end = uv_now(loop) + ms;
    while (!pred(arg) && uv_now(loop) < end) {
        uv_timer_start(deadline, test_loop_wake, 20, 0);
        uv_run(loop, UV_RUN_ONCE);
    }
    return pred(arg);
}

static inline void test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#endif
