/* tests for indexer/watch.c: ignore rules, settle, new folders, deletions,
 * the start-up scan, and a clean stop (uv_loop_close() == 0).  Every wait
 * runs the loop with a deadline. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "common/xalloc.h"
#include "indexer/scan.h"
#include "indexer/watch.h"

#define MAX_SEEN 64
#define SETTLE_MS 150

struct seen {
    char *path;
    uint64_t at; /* loop time */
};

struct fx {
    uv_loop_t loop;
    uv_timer_t deadline;
    char *root;
    struct indexer_watch *w;
    struct seen ready[MAX_SEEN], gone[MAX_SEEN];
    size_t nready, ngone, nscanned;
    size_t nready_all; /* every ready call, beyond MAX_SEEN too */
    int scans_done;
    int stopped;
};

static void cb_ready(void *data, const char *path, const struct stat *st)
{
    struct fx *fx = data;

    (void)st;
    fx->nready_all++;
    if (fx->nready < MAX_SEEN) {
        fx->ready[fx->nready].path = xstrdup(path);
        fx->ready[fx->nready++].at = uv_now(&fx->loop);
    }
}

static void cb_gone(void *data, const char *path, int was_dir)
{
    struct fx *fx = data;

    (void)was_dir;
    if (fx->ngone < MAX_SEEN) {
        fx->gone[fx->ngone].path = xstrdup(path);
        fx->gone[fx->ngone++].at = uv_now(&fx->loop);
    }
}

static void cb_scan_start(void *data, unsigned gen, int full)
{
    (void)data, (void)gen, (void)full;
}

static int cb_scanned(void *data, unsigned gen, const char *path, const struct stat *st)
{
    struct fx *fx = data;

    (void)gen, (void)path, (void)st;
    fx->nscanned++;
    return 1;
}

static void cb_scan_done(void *data, unsigned gen, int full, int complete)
{
    struct fx *fx = data;

    (void)gen;
    if (full && complete)
        fx->scans_done++;
}

static const struct indexer_watch_cbs cbs = {cb_ready, cb_gone, cb_scan_start, cb_scanned,
                                             cb_scan_done};

static void on_deadline(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until pred(fx) or ms pass; returns pred's last value. */
static int run_until(struct fx *fx, int (*pred)(struct fx *), unsigned ms)
{
    uint64_t end = uv_now(&fx->loop) + ms;

    while (!pred(fx) && uv_now(&fx->loop) < end) {
        uv_timer_start(&fx->deadline, on_deadline, 20, 0);
        uv_run(&fx->loop, UV_RUN_ONCE);
    }
    return pred(fx);
}

static int seen_in(const struct seen *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].path, path) == 0)
            return (int)i;
    return -1;
}

static char *pathf(const struct fx *fx, const char *rel)
{
    return xasprintf("%s/%s", fx->root, rel);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct fx *fx = xcalloc(1, sizeof(*fx));
    char tmpl[] = "/tmp/vanthu-test-watch-XXXXXX";
    struct vt_err err;

    assert_non_null(mkdtemp(tmpl));
    fx->root = scan_root(tmpl, &err);
    assert_non_null(fx->root);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->deadline);
    *state = fx;
    return 0;
}

static void start(struct fx *fx, char *const *files_before, size_t n)
{
    static char *const ignore[] = {"*.part", "~$*", ".*", "*.tmp"};
    struct indexer_watch_config cfg;
    struct vt_err err;

    for (size_t i = 0; i < n; i++) {
        char *p = pathf(fx, files_before[i]);
        write_file(p, "old file\n");
        free(p);
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.roots = &fx->root;
    cfg.nroots = 1;
    cfg.ignore = ignore;
    cfg.nignore = 4;
    cfg.settle_ms = SETTLE_MS;
    assert_int_equal(indexer_watch_start(&fx->loop, &cfg, &cbs, fx, &fx->w, &err), 0);
}

static int scanned_once(struct fx *fx)
{
    return fx->scans_done > 0;
}

static void on_stopped(void *data)
{
    ((struct fx *)data)->stopped = 1;
}

static int is_stopped(struct fx *fx)
{
    return fx->stopped;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char *cmd;

    if (fx->w != NULL) {
        indexer_watch_stop(fx->w, on_stopped, fx);
        assert_true(run_until(fx, is_stopped, 5000));
    }
    uv_close((uv_handle_t *)&fx->deadline, NULL);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    for (size_t i = 0; i < fx->nready; i++)
        free(fx->ready[i].path);
    for (size_t i = 0; i < fx->ngone; i++)
        free(fx->gone[i].path);
    cmd = xasprintf("rm -rf '%s'", fx->root);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx->root);
    free(fx);
    return 0;
}

static char *want;
static int want_ready(struct fx *fx)
{
    return seen_in(fx->ready, fx->nready, want) >= 0;
}
static int want_gone(struct fx *fx)
{
    return seen_in(fx->gone, fx->ngone, want) >= 0;
}

static void test_ignored(void **state)
{
    struct fx *fx = *state;
    char *p;

    start(fx, NULL, 0);
    p = pathf(fx, "a/b/report.pdf");
    assert_false(indexer_watch_ignored(fx->w, p));
    free(p);
    p = pathf(fx, "a/b/report.pdf.part");
    assert_true(indexer_watch_ignored(fx->w, p));
    free(p);
    p = pathf(fx, "a/~$report.docx");
    assert_true(indexer_watch_ignored(fx->w, p));
    free(p);
    p = pathf(fx, ".git/objects/x");
    assert_true(indexer_watch_ignored(fx->w, p));
    free(p);
    p = pathf(fx, "a/b/x.tmp");
    assert_true(indexer_watch_ignored(fx->w, p));
    free(p);
    assert_true(indexer_watch_ignored(fx->w, "/somewhere/else.txt"));
}

static void test_start_scan(void **state)
{
    struct fx *fx = *state;
    char *const before[] = {"one.txt", "two.txt", "skip.part"};
    char *p;

    start(fx, before, 3);
    assert_true(run_until(fx, scanned_once, 5000));
    assert_int_equal(fx->nscanned, 2);
    /* Found by the scan, ready once settled. */
    want = pathf(fx, "one.txt");
    assert_true(run_until(fx, want_ready, 5000));
    free(want);
    p = pathf(fx, "skip.part");
    assert_true(seen_in(fx->ready, fx->nready, p) < 0);
    free(p);
}


static void test_settle(void **state)
{
    struct fx *fx = *state;
    uint64_t last_write;
    int i;

    start(fx, NULL, 0);
    assert_true(run_until(fx, scanned_once, 5000));
    want = pathf(fx, "slow.txt");
    /* Written in chunks 50 ms apart: never ready while being written. */
    for (i = 0; i < 6; i++) {
        FILE *f = fopen(want, "a");
        assert_non_null(f);
        fprintf(f, "chunk %d\n", i);
        fclose(f);
        uv_update_time(&fx->loop);
        last_write = uv_now(&fx->loop);
        run_until(fx, want_ready, 50);
        assert_false(want_ready(fx));
    }
    assert_true(run_until(fx, want_ready, 5000));
    i = seen_in(fx->ready, fx->nready, want);
    assert_true(fx->ready[i].at + 20 >= last_write + SETTLE_MS);
    free(want);
}

static void test_new_folder_and_delete(void **state)
{
    struct fx *fx = *state;
    char *dir, *deep;

    start(fx, NULL, 0);
    assert_true(run_until(fx, scanned_once, 5000));
    dir = pathf(fx, "new");
    deep = pathf(fx, "new/deeper");
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(deep, 0755), 0);
    want = pathf(fx, "new/deeper/file.txt");
    write_file(want, "hello\n");
    assert_true(run_until(fx, want_ready, 5000));
    free(want);
    /* A file made in the folder later still makes an event. */
    want = pathf(fx, "new/deeper/later.txt");
    write_file(want, "later\n");
    assert_true(run_until(fx, want_ready, 5000));
    assert_int_equal(unlink(want), 0);
    assert_true(run_until(fx, want_gone, 5000));
    free(want);
    free(dir);
    free(deep);
}

#define MANY_FILES 400
static int all_ready(struct fx *fx)
{
    return fx->nready_all >= MANY_FILES;
}

/* Regression (bench/watch.sh crash): looks were started only by the tick,
 * at most WATCH_MAX_STATS per tick, so files copied in by the thousand
 * settled at a few dozen a second (400 files, two looks each, took 12 s at
 * this settle time).  Each finished look now starts the next due one. */
static void test_many_files_settle_fast(void **state)
{
    struct fx *fx = *state;
    uint64_t t0;

    start(fx, NULL, 0);
    assert_true(run_until(fx, scanned_once, 5000));
    for (int i = 0; i < MANY_FILES; i++) {
        char name[32];
        char *p;
        snprintf(name, sizeof(name), "f%03d.txt", i);
        p = pathf(fx, name);
        write_file(p, "many\n");
        free(p);
    }
    uv_update_time(&fx->loop);
    t0 = uv_now(&fx->loop);
    assert_true(run_until(fx, all_ready, 10000));
    uv_update_time(&fx->loop);
    assert_int_equal(fx->nready_all, MANY_FILES);
    assert_true(uv_now(&fx->loop) - t0 < 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_folder_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_files_settle_fast, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
