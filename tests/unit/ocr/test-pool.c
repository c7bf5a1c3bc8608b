/* Unit tests for ocr/pool.c: supervision of real vanthu-ocr-worker
 * processes in their test modes (--test-echo answers with the file's bytes
 * and loads no model; --crash-on, --crash-after, --hang-on, --spin-on make
 * the worker misbehave on cue).  Needs $top_builddir/vanthu-ocr-worker.
 * The file includes pool.c to reach the kill table (STYLE §8). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "ocr/pool.c"

#include "tests/unit/ocr/pool-fixture.h"

static int setup(void **state)
{
    return fixture_setup(state, "vt-ocr-pool");
}

static struct ocr_pool *pool_new(struct fixture *fx, unsigned workers, unsigned timeout_ms,
                                 const char *const *extra)
{
    struct ocr_pool_config cfg;
    struct vt_err err;
    struct ocr_pool *pool;

    memset(&cfg, 0, sizeof(cfg));
    cfg.worker_path = fx->worker;
    cfg.workers = workers;
    cfg.timeout_ms = timeout_ms;
    cfg.extra_args = extra;
    pool = ocr_pool_new(&fx->loop, &cfg, &err);
    if (pool == NULL)
        fail_msg("ocr_pool_new: %s", err.msg);
    return pool;
}

static void pool_done(struct fixture *fx, struct ocr_pool *pool)
{
    ocr_pool_free(pool);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
}

static void test_echo_jobs(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    struct ocr_pool *pool = pool_new(fx, 2, 10000, extra);
    char *paths[5];
    int seen = 0;

    for (int i = 0; i < 5; i++) {
        char name[16], content[32];

        snprintf(name, sizeof(name), "f%d.txt", i);
        snprintf(content, sizeof(content), "text of file %d", i);
        paths[i] = mkfile(fx, name, content);
        assert_int_equal(ocr_pool_submit(pool, paths[i], NULL, done_cb, &fx->got), 0);
    }
    /* The callback never runs inside submit. */
    assert_int_equal(fx->got.n, 0);
    assert_int_equal(ocr_pool_pending(pool), 5);
    wait_for(fx, 5);
    for (int i = 0; i < 5; i++) {
        char want[32];
        int k = fx->got.path[i][strlen(fx->got.path[i]) - 5] - '0';

        assert_int_equal(fx->got.status[i], OCR_OK);
        snprintf(want, sizeof(want), "text of file %d", k);
        assert_string_equal(fx->got.text[i], want);
        seen |= 1 << k;
    }
    assert_int_equal(seen, 0x1f);
    assert_int_equal(ocr_pool_pending(pool), 0);
    pool_done(fx, pool);
    for (int i = 0; i < 5; i++)
        free(paths[i]);
}

/* A file of an archive is opened beneath its folder through no symlink:
 * a symlink in the last or in a folder component fails the job, and the
 * plain file next to them is read. */
static void test_open_under_root(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 10000, extra);
    char *good = mkfile(fx, "good.txt", "the recorded file");
    char *secret = mkfile(fx, "secret.txt", "not for the archive");
    char *link = xasprintf("%s/link.txt", fx->dir);
    char *sub = xasprintf("%s/sub", fx->dir);
    char *via = xasprintf("%s/sub/good.txt", fx->dir);

    assert_int_equal(symlink(secret, link), 0);
    assert_int_equal(symlink(fx->dir, sub), 0);
    assert_int_equal(ocr_pool_submit_under(pool, fx->dir, link, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit_under(pool, fx->dir, via, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit_under(pool, fx->dir, good, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 3);
    for (int i = 0; i < 3; i++) {
        if (strcmp(fx->got.path[i], good) == 0) {
            assert_int_equal(fx->got.status[i], OCR_OK);
            assert_string_equal(fx->got.text[i], "the recorded file");
        } else {
            assert_int_equal(fx->got.status[i], OCR_FAILED);
            assert_non_null(strstr(fx->got.reason[i], "cannot open"));
        }
    }
    pool_done(fx, pool);
    free(good);
    free(secret);
    free(link);
    free(sub);
    free(via);
}

/* A missing file and an empty file fail with a reason; the worker lives. */
static void test_worker_reported_failure(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 10000, extra);
    char *empty = mkfile(fx, "empty.png", "");
    char *good = mkfile(fx, "good.txt", "fine");
    struct ocr_pool_stats st;

    assert_int_equal(ocr_pool_submit(pool, "/nonexistent/x.tif", NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, empty, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, good, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 3);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_non_null(strstr(fx->got.reason[0], "cannot open"));
    assert_int_equal(fx->got.status[1], OCR_FAILED);
    assert_int_equal(fx->got.code[1], VT_EBADINPUT);
    assert_string_equal(fx->got.reason[1], "empty file");
    assert_int_equal(fx->got.status[2], OCR_OK);
    ocr_pool_stats(pool, &st);
    assert_int_equal(st.restarts, 0);
    pool_done(fx, pool);
    free(empty);
    free(good);
}

/* A crash fails the job with the signal, the worker is restarted and the
 * next file is read; the same file crashing again is quarantined, and later
 * submissions of it never reach a worker. */
static void test_crash_and_quarantine(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", "--crash-on", "poison", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 10000, extra);
    char *poison = mkfile(fx, "poison.tif", "x");
    char *good = mkfile(fx, "good.txt", "still fine");
    struct ocr_pool_stats st;

    assert_int_equal(ocr_pool_submit(pool, poison, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, good, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 2);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_non_null(strstr(fx->got.reason[0], "crashed (signal 11"));
    assert_int_equal(fx->got.status[1], OCR_OK);
    assert_string_equal(fx->got.text[1], "still fine");
    assert_int_equal(ocr_pool_kills(pool, poison), 1);

    assert_int_equal(ocr_pool_submit(pool, poison, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 3);
    assert_int_equal(fx->got.status[2], OCR_QUARANTINED);
    assert_non_null(strstr(fx->got.reason[2], "quarantined"));
    assert_int_equal(ocr_pool_kills(pool, poison), 2);

    assert_int_equal(ocr_pool_submit(pool, poison, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, good, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 5);
    assert_int_equal(fx->got.status[3], OCR_QUARANTINED);
    assert_int_equal(fx->got.status[4], OCR_OK);
    ocr_pool_stats(pool, &st);
    assert_int_equal(st.restarts, 2); /* the third poison never ran */
    assert_int_equal(st.quarantined, 2);

    /* Forgiven (the file was replaced), it runs again. */
    ocr_pool_forgive(pool, poison);
    assert_int_equal(ocr_pool_kills(pool, poison), 0);
    pool_done(fx, pool);
    free(poison);
    free(good);
}

static void test_crash_after(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", "--crash-after", "1", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 10000, extra);
    char *a = mkfile(fx, "a.txt", "a"), *b = mkfile(fx, "b.txt", "b"), *c = mkfile(fx, "c.txt", "c");

    assert_int_equal(ocr_pool_submit(pool, a, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, b, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, c, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 3);
    assert_int_equal(fx->got.status[0], OCR_OK);
    assert_int_equal(fx->got.status[1], OCR_FAILED);
    assert_non_null(strstr(fx->got.reason[1], "crashed"));
    assert_int_equal(fx->got.status[2], OCR_OK); /* on a fresh worker */
    assert_string_equal(fx->got.text[2], "c");
    pool_done(fx, pool);
    free(a);
    free(b);
    free(c);
}

static void test_timeout(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", "--hang-on", "slow", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 300, extra);
    char *slow = mkfile(fx, "slow.tif", "x"), *good = mkfile(fx, "good.txt", "ok");

    assert_int_equal(ocr_pool_submit(pool, slow, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, good, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 2);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_int_equal(fx->got.code[0], VT_ETIMEDOUT);
    assert_non_null(strstr(fx->got.reason[0], "timed out after 300 ms"));
    assert_int_equal(fx->got.status[1], OCR_OK);
    pool_done(fx, pool);
    free(slow);
    free(good);
}

/* The worker's own CPU rlimit ends a spinning job before the wall clock.
 * One CPU second can take many wall seconds on a loaded machine (a share
 * of two cores among a dozen busy processes), so the wall timeout is far
 * beyond it: the test asserts which limit fires, not how fast. */
static void test_cpu_limit(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", "--spin-on", "spin", "--max-cpu", "1", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 120000, extra);
    char *spin = mkfile(fx, "spin.tif", "x");

    assert_int_equal(ocr_pool_submit(pool, spin, NULL, done_cb, &fx->got), 0);
    wait_for_ms(fx, 1, 150000);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_int_equal(fx->got.code[0], VT_ETIMEDOUT);
    assert_non_null(strstr(fx->got.reason[0], "cpu time limit"));
    pool_done(fx, pool);
    free(spin);
}

/* A worker that cannot load its language breaks the pool: jobs fail with
 * the worker's reason instead of restarting it forever. */
static void test_fatal_startup(void **state)
{
    struct fixture *fx = *state;
    struct ocr_pool_config cfg;
    struct vt_err err;
    struct ocr_pool *pool;
    char *f = mkfile(fx, "x.png", "x");

    memset(&cfg, 0, sizeof(cfg));
    cfg.worker_path = fx->worker;
    cfg.lang = "no-such-language";
    pool = ocr_pool_new(&fx->loop, &cfg, &err);
    assert_non_null(pool);
    assert_int_equal(ocr_pool_submit(pool, f, NULL, done_cb, &fx->got), 0);
    wait_for(fx, 1);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_non_null(strstr(fx->got.reason[0], "cannot start"));
    assert_non_null(strstr(fx->got.reason[0], "no-such-language"));
    pool_done(fx, pool);
    free(f);
}

static void test_missing_worker(void **state)
{
    struct fixture *fx = *state;
    struct ocr_pool_config cfg;
    struct vt_err err;

    memset(&cfg, 0, sizeof(cfg));
    cfg.worker_path = "/nonexistent/vanthu-ocr-worker";
    vt_err_clear(&err);
    assert_null(ocr_pool_new(&fx->loop, &cfg, &err));
    assert_int_equal(err.code, UV_ENOENT);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
}

/* Stop cancels queued and running jobs, each callback runs once, and
 * everything closes. */
static void test_stop(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", "--hang-on", "slow", NULL};
    struct ocr_pool *pool = pool_new(fx, 1, 60000, extra);
    char *slow = mkfile(fx, "slow.tif", "x"), *good = mkfile(fx, "good.txt", "ok");
    uint64_t deadline;

    assert_int_equal(ocr_pool_submit(pool, slow, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, good, NULL, done_cb, &fx->got), 0);
    /* Let the slow job reach the worker. */
    deadline = uv_now(&fx->loop) + 5000;
    while (uv_now(&fx->loop) < deadline) {
        struct ocr_pool_stats st;

        ocr_pool_stats(pool, &st);
        if (st.busy == 1)
            break;
        uv_run(&fx->loop, UV_RUN_ONCE);
    }
    ocr_pool_stop(pool);
    assert_int_equal(fx->got.n, 2);
    assert_int_equal(fx->got.status[0], OCR_CANCELLED);
    assert_int_equal(fx->got.status[1], OCR_CANCELLED);
    assert_int_equal(ocr_pool_submit(pool, good, NULL, done_cb, &fx->got), UV_ECANCELED);
    pool_done(fx, pool);
    assert_int_equal(fx->got.n, 2);
    free(slow);
    free(good);
}

static void test_queue_bound(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    struct ocr_pool_config cfg;
    struct vt_err err;
    struct ocr_pool *pool;
    char *f = mkfile(fx, "q.txt", "q");

    memset(&cfg, 0, sizeof(cfg));
    cfg.worker_path = fx->worker;
    cfg.max_queue = 2;
    cfg.extra_args = extra;
    pool = ocr_pool_new(&fx->loop, &cfg, &err);
    assert_non_null(pool);
    assert_int_equal(ocr_pool_submit(pool, f, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, f, NULL, done_cb, &fx->got), 0);
    assert_int_equal(ocr_pool_submit(pool, f, NULL, done_cb, &fx->got), UV_EAGAIN);
    wait_for(fx, 2);
    pool_done(fx, pool);
    free(f);
}

/* The kill table holds at most KILL_TABLE_MAX paths and forgets the
 * oldest first; a forgiven path leaves it. */
static void test_kill_table_bound(void **state)
{
    struct ocr_pool pool;
    struct kill_entry *k;
    char path[32];

    (void)state;
    memset(&pool, 0, sizeof(pool));
    vt_map_init(&pool.kills);
    vt_queue_init(&pool.kill_order);
    for (int i = 0; i <= KILL_TABLE_MAX; i++) {
        snprintf(path, sizeof(path), "/a/%d", i);
        assert_int_equal(kill_add(&pool, path), 1);
    }
    assert_int_equal(pool.kills.n, KILL_TABLE_MAX);
    assert_int_equal(ocr_pool_kills(&pool, "/a/0"), 0);
    assert_int_equal(ocr_pool_kills(&pool, "/a/1"), 1);
    assert_int_equal(kill_add(&pool, "/a/1"), 2);
    snprintf(path, sizeof(path), "/a/%d", KILL_TABLE_MAX);
    assert_int_equal(ocr_pool_kills(&pool, path), 1);
    /* A second kill does not make a path young: it still goes first. */
    assert_int_equal(kill_add(&pool, "/a/new"), 1);
    assert_int_equal(ocr_pool_kills(&pool, "/a/1"), 0);
    ocr_pool_forgive(&pool, "/a/2");
    assert_int_equal(ocr_pool_kills(&pool, "/a/2"), 0);
    assert_int_equal(pool.kills.n, KILL_TABLE_MAX - 1);
    ocr_pool_forgive(&pool, "/a/never");
    assert_int_equal(pool.kills.n, KILL_TABLE_MAX - 1);
    while ((k = kill_oldest(&pool)) != NULL)
        kill_drop(&pool, k);
    assert_int_equal(pool.kills.n, 0);
    vt_map_release(&pool.kills);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_under_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_reported_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_and_quarantine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_startup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
        cmocka_unit_test(test_kill_table_bound),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
