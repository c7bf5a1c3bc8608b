/* tests for indexer/watch.c: ignore rules, settle, new folders, deletions,
 * the start-up scan, names taken by a symlink, fifo or folder, paths
 * longer than PATH_MAX, and a clean stop (uv_loop_close() == 0).  Every
 * wait runs the loop with a deadline. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
    struct seen ready[MAX_SEEN], gone[MAX_SEEN], notreg[MAX_SEEN], changed[MAX_SEEN];
    mode_t notreg_mode[MAX_SEEN];
    size_t nready, ngone, nscanned, nnotreg, nchanged;
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

static void cb_not_regular(void *data, const char *path, const struct stat *st)
{
    struct fx *fx = data;

    if (fx->nnotreg < MAX_SEEN) {
        fx->notreg_mode[fx->nnotreg] = st->st_mode;
        fx->notreg[fx->nnotreg].path = xstrdup(path);
        fx->notreg[fx->nnotreg++].at = uv_now(&fx->loop);
    }
}

static void cb_changed(void *data, const char *path)
{
    struct fx *fx = data;

    if (fx->nchanged < MAX_SEEN) {
        fx->changed[fx->nchanged].path = xstrdup(path);
        fx->changed[fx->nchanged++].at = uv_now(&fx->loop);
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

static const struct indexer_watch_cbs cbs = {cb_ready,     cb_gone,        cb_scan_start, cb_scanned,
                                             cb_scan_done, cb_not_regular, cb_changed};

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
    for (size_t i = 0; i < fx->nnotreg; i++)
        free(fx->notreg[i].path);
    for (size_t i = 0; i < fx->nchanged; i++)
        free(fx->changed[i].path);
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
static int never(struct fx *fx)
{
    (void)fx;
    return 0;
}
static size_t count_in(const struct seen *v, size_t n, const char *path)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += strcmp(v[i].path, path) == 0;
    return c;
}
static int want_notreg(struct fx *fx)
{
    return seen_in(fx->notreg, fx->nnotreg, want) >= 0;
}
static int want_changed(struct fx *fx)
{
    return seen_in(fx->changed, fx->nchanged, want) >= 0;
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

/* A name that stops being a regular file is reported at once, whatever
 * took it: a symlink (the watcher used to ignore symlinks, so the old
 * document stayed until the next reconcile), a fifo, a folder.  No
 * reconcile runs in this test (reconcile_s is 0), so only the events can
 * report it. */
static void test_not_regular(void **state)
{
    struct fx *fx = *state;
    static const char *const names[] = {"link.txt", "fifo.txt", "dir.txt"};
    char *target = pathf(fx, "target.txt");

    start(fx, NULL, 0);
    assert_true(run_until(fx, scanned_once, 5000));
    write_file(target, "elsewhere\n");
    for (size_t i = 0; i < 3; i++) {
        int idx;
        want = pathf(fx, names[i]);
        write_file(want, "a regular file first\n");
        assert_true(run_until(fx, want_ready, 5000));
        assert_true(run_until(fx, want_changed, 5000)); /* the events came */
        assert_int_equal(unlink(want), 0);
        if (i == 0)
            assert_int_equal(symlink(target, want), 0);
        else if (i == 1)
            assert_int_equal(mkfifo(want, 0644), 0);
        else
            assert_int_equal(mkdir(want, 0755), 0);
        /* Within a few looks, long before any reconcile. */
        assert_true(run_until(fx, want_notreg, 3000));
        idx = seen_in(fx->notreg, fx->nnotreg, want);
        assert_true(i == 0   ? S_ISLNK(fx->notreg_mode[idx])
                    : i == 1 ? S_ISFIFO(fx->notreg_mode[idx])
                             : S_ISDIR(fx->notreg_mode[idx]));
        /* The symlink, fifo or folder is never reported ready. */
        run_until(fx, never, 3 * SETTLE_MS);
        assert_int_equal(count_in(fx->ready, fx->nready, want), 1);
        free(want);
    }
    free(target);
}

/* A file whose path is longer than PATH_MAX is reported (with the stat of
 * the file, found relative to its folder) instead of being skipped, by
 * the start-up scan and after an event. */
static int make_deep(const char *root, char *path_out, size_t cap)
{
    char comp[201];
    int dfd = open(root, O_RDONLY | O_DIRECTORY), fd;
    size_t n = strlen(root);

    memset(comp, 'd', 200);
    comp[200] = '\0';
    memcpy(path_out, root, n + 1);
    while (n < PATH_MAX) {
        int sub;
        assert_int_equal(mkdirat(dfd, comp, 0755), 0);
        sub = openat(dfd, comp, O_RDONLY | O_DIRECTORY);
        assert_true(sub >= 0);
        close(dfd);
        dfd = sub;
        assert_true(n + 201 < cap);
        path_out[n++] = '/';
        memcpy(path_out + n, comp, 200);
        n += 200;
        path_out[n] = '\0';
    }
    fd = openat(dfd, "long.txt", O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "deep\n", 5), 5);
    close(fd);
    close(dfd);
    strcat(path_out, "/long.txt");
    return 0;
}

static void test_path_too_long(void **state)
{
    struct fx *fx = *state;
    static char deep[PATH_MAX + 512];
    int idx;

    make_deep(fx->root, deep, sizeof(deep));
    assert_true(strlen(deep) >= PATH_MAX);
    start(fx, NULL, 0);
    assert_true(run_until(fx, scanned_once, 5000));
    /* The folder holding the file is itself too long to walk into; the
     * walk reports that folder (to be recorded with the reason). */
    want = xstrndup(deep, (size_t)(strrchr(deep, '/') - deep));
    assert_true(run_until(fx, want_ready, 5000));
    free(want);
    /* A shorter folder holds a file whose own path is too long. */
    {
        char *p = xstrndup(deep, (size_t)(strrchr(deep, '/') - deep));
        char *slash = strrchr(p, '/');
        char name[256];
        int dfd;
        *slash = '\0'; /* p: the last folder that can be opened by name */
        assert_true(strlen(p) < PATH_MAX);
        memset(name, 'f', 250);
        name[250] = '\0';
        dfd = open(p, O_RDONLY | O_DIRECTORY);
        assert_true(dfd >= 0);
        want = xasprintf("%s/%s", p, name);
        assert_true(strlen(want) >= PATH_MAX);
        {
            int fd = openat(dfd, name, O_WRONLY | O_CREAT, 0644);
            assert_true(fd >= 0);
            assert_int_equal(write(fd, "x\n", 2), 2);
            close(fd);
        }
        close(dfd);
        /* Made after the start: found through its folder's event. */
        assert_true(run_until(fx, want_ready, 5000));
        idx = seen_in(fx->ready, fx->nready, want);
        assert_true(idx >= 0);
        free(want);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_folder_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_files_settle_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_too_long, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
