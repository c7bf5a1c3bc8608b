/* tests for indexer/service.c with the real watcher, extractor and index
 * (no OCR pool): what a record says about its original (root, dev, ino,
 * path_hex), a name taken by a symlink losing its document at once,
 * indexer_service_recheck() finding a replaced file that size and mtime do
 * not tell apart, and the size limit.  Every wait runs the loop with a
 * deadline; every test ends with uv_loop_close() == 0. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "common/xalloc.h"
#include "indexer/scan.h"
#include "indexer/service.h"
#include "storage/storage.h"
#include "tests/unit/indexer/loop.h"

struct fx {
    uv_loop_t loop;
    uv_timer_t deadline;
    char *dir, *root, *data;
    struct indexer_service *s;
    unsigned long commits;
    int stopped, stop_rc;
};

static void on_committed(void *data)
{
    ((struct fx *)data)->commits++;
}

static void on_fatal(void *data, const struct vt_err *err)
{
    (void)data;
    fail_msg("the index cannot be written: %s", err->msg);
}

struct cond {
    struct fx *fx;
    int (*pred)(struct fx *, const void *);
    const void *arg;
};

static int cond_holds(void *data)
{
    const struct cond *c = data;

    return c->pred(c->fx, c->arg);
}

/* Run the loop until pred(fx, arg) or ms pass; returns pred's last value. */
static int run_until(struct fx *fx, int (*pred)(struct fx *, const void *), const void *arg,
                     unsigned ms)
{
    struct cond c = {fx, pred, arg};

    return test_run_until(&fx->loop, &fx->deadline, cond_holds, &c, ms);
}

#define write_file test_write_file

static char *pathf(const struct fx *fx, const char *rel)
{
    return xasprintf("%s/%s", fx->root, rel);
}

static int setup(void **state)
{
    struct fx *fx = xcalloc(1, sizeof(*fx));

    test_make_archive("service", &fx->dir, &fx->root, &fx->data);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->deadline);
    *state = fx;
    return 0;
}

static void start(struct fx *fx, int no_watch, uint64_t max_file_bytes)
{
    static char *const ignore[] = {"*.part"};
    struct indexer_service_config cfg;
    struct vt_err err;

    memset(&cfg, 0, sizeof(cfg));
    cfg.ignore = ignore;
    cfg.nignore = 1;
    cfg.data_dir = fx->data;
    cfg.roots = &fx->root;
    cfg.nroots = 1;
    cfg.settle_ms = 100;
    cfg.no_watch = no_watch;
    cfg.commit_ms = 50;
    cfg.max_file_bytes = max_file_bytes;
    cfg.committed = on_committed;
    cfg.fatal = on_fatal;
    cfg.cb_data = fx;
    assert_int_equal(indexer_service_start(&fx->loop, &cfg, &fx->s, &err), 0);
}

static void on_stopped(void *data, int rc)
{
    struct fx *fx = data;

    fx->stopped = 1;
    fx->stop_rc = rc;
}

static int is_stopped(struct fx *fx, const void *arg)
{
    (void)arg;
    return fx->stopped;
}

static void stop(struct fx *fx)
{
    fx->stopped = 0;
    indexer_service_stop(fx->s, on_stopped, fx);
    assert_true(run_until(fx, is_stopped, NULL, 10000));
    assert_int_equal(fx->stop_rc, 0);
    fx->s = NULL;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char *cmd;

    if (fx->s != NULL)
        stop(fx);
    uv_close((uv_handle_t *)&fx->deadline, NULL);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    cmd = xasprintf("rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx->dir);
    free(fx->root);
    free(fx->data);
    free(fx);
    return 0;
}

/* The committed record of path, or NULL (new reference). */
static json_t *record_of(struct fx *fx, const char *path)
{
    struct storage *st = NULL;
    char id[STORAGE_ID_LEN + 1];
    json_t *rec = NULL;
    struct vt_err err;

    if (storage_open(fx->data, 0, &st, &err) < 0)
        return NULL;
    storage_id_for(fx->root, path, id);
    if (storage_get(st, id, &rec, NULL, &err) < 0)
        rec = NULL;
    storage_close(st);
    return rec;
}

static long long rec_int(json_t *rec, const char *key)
{
    return (long long)json_integer_value(json_object_get(rec, key));
}

static const char *rec_str(json_t *rec, const char *key)
{
    return json_string_value(json_object_get(rec, key));
}

static int has_record(struct fx *fx, const void *path)
{
    json_t *rec = record_of(fx, path);

    json_decref(rec);
    return rec != NULL;
}

static int has_no_record(struct fx *fx, const void *path)
{
    return !has_record(fx, path);
}

static int unchanged_is(struct fx *fx, const void *n)
{
    struct indexer_service_stats st;

    indexer_service_stats(fx->s, &st);
    return st.unchanged == (uintptr_t)n;
}

static int never(struct fx *fx, const void *arg)
{
    (void)fx, (void)arg;
    return 0;
}

struct want_ino {
    const char *path;
    long long ino;
};

static int record_has_ino(struct fx *fx, const void *arg)
{
    const struct want_ino *w = arg;
    json_t *rec = record_of(fx, w->path);
    int ok = rec != NULL && rec_int(rec, "ino") == w->ino;

    json_decref(rec);
    return ok;
}

/* Each record says where its original is: the archive folder, device and
 * inode (what the file route opens and checks), and for a name that is
 * not UTF-8 the raw bytes in hex next to a readable "path". */
static void test_record_keys(void **state)
{
    struct fx *fx = *state;
    char *plain = pathf(fx, "plain.txt");
    char *bad = pathf(fx, "t\xe0\xb8n.txt"); /* Latin-1 bytes, not UTF-8 */
    struct stat st;
    json_t *rec;
    char *hex;
    size_t n = strlen(bad);

    write_file(plain, "Thông báo về việc lưu trữ\n");
    write_file(bad, "Hồ sơ tên không phải UTF-8\n");
    start(fx, 0, 0);
    assert_true(run_until(fx, has_record, plain, 10000));
    assert_true(run_until(fx, has_record, bad, 10000));

    rec = record_of(fx, plain);
    assert_int_equal(stat(plain, &st), 0);
    assert_string_equal(rec_str(rec, "root"), fx->root);
    assert_string_equal(rec_str(rec, "path"), plain);
    assert_int_equal(rec_int(rec, "dev"), (long long)st.st_dev);
    assert_int_equal(rec_int(rec, "ino"), (long long)st.st_ino);
    assert_int_equal(rec_int(rec, "size"), (long long)st.st_size);
    assert_null(json_object_get(rec, "path_hex"));
    json_decref(rec);

    rec = record_of(fx, bad);
    assert_non_null(rec);
    hex = xmalloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)bad[i]);
    assert_string_equal(rec_str(rec, "path_hex"), hex);
    /* Each invalid byte shows as U+FFFD. */
    assert_non_null(strstr(rec_str(rec, "path"), "/t\xef\xbf\xbd\xef\xbf\xbdn.txt"));
    assert_string_equal(rec_str(rec, "name"), "t\xef\xbf\xbd\xef\xbf\xbdn.txt");
    assert_string_equal(rec_str(rec, "status"), "indexed");
    json_decref(rec);

    /* A restart knows the file under its raw name (from path_hex): it is
     * unchanged, not new. */
    stop(fx);
    start(fx, 0, 0);
    assert_true(run_until(fx, unchanged_is, (const void *)(uintptr_t)2, 10000));
    run_until(fx, never, NULL, 500);
    {
        struct indexer_service_stats ss;
        indexer_service_stats(fx->s, &ss);
        assert_int_equal(ss.unchanged, 2);
        assert_int_equal(ss.indexed, 0);
        assert_int_equal(ss.known, 2);
    }
    free(hex);
    free(plain);
    free(bad);
}

/* A name taken by a symlink loses its document at once (the watcher used
 * to ignore symlinks, and the old record stayed until the next reconcile,
 * 10 minutes later by default; this service has no reconcile at all). */
static void test_symlink_removes_at_once(void **state)
{
    struct fx *fx = *state;
    char *p = pathf(fx, "hoso.txt");
    char *fifo = pathf(fx, "fifo.txt");
    uint64_t t0;

    write_file(p, "Hồ sơ lưu trữ\n");
    write_file(fifo, "Sẽ thành một fifo\n");
    start(fx, 0, 0);
    assert_true(run_until(fx, has_record, p, 10000));
    assert_true(run_until(fx, has_record, fifo, 10000));
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(unlink(fifo), 0);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    uv_update_time(&fx->loop);
    t0 = uv_now(&fx->loop);
    assert_true(run_until(fx, has_no_record, p, 5000));
    assert_true(run_until(fx, has_no_record, fifo, 5000));
    /* Settle time plus a commit, not a reconcile period. */
    uv_update_time(&fx->loop);
    assert_true(uv_now(&fx->loop) - t0 < 3000);
    free(p);
    free(fifo);
}

/* Replace path by a file with other content but the same size and mtime
 * (a new inode), as `cp -p` or a restore from backup does. */
static void replace_same_size_mtime(const char *path, const char *text)
{
    char *tmp = xasprintf("%s.new", path);
    struct stat st;
    struct timespec ts[2];

    assert_int_equal(stat(path, &st), 0);
    write_file(tmp, text);
    ts[0] = st.st_atim;
    ts[1] = st.st_mtim;
    assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
}

/* After a restart the service knows only size and mtime of each indexed
 * file (the index keeps device and inode in the record), so a file
 * swapped for one of the same size and mtime looks unchanged to the
 * start-up scan.  The file route sees the inode differ and asks for a
 * recheck, which indexes the new file. */
static void test_recheck_replaced(void **state)
{
    struct fx *fx = *state;
    char *p = pathf(fx, "quyet-dinh.txt");
    struct want_ino w = {p, 0};
    struct stat st;
    json_t *rec;
    char sha[65];

    write_file(p, "Quyết định số 1 về lưu trữ\n");
    start(fx, 1, 0);
    assert_true(run_until(fx, has_record, p, 10000));
    rec = record_of(fx, p);
    snprintf(sha, sizeof(sha), "%s", rec_str(rec, "sha256"));
    json_decref(rec);
    stop(fx);

    replace_same_size_mtime(p, "Quyết định số 2 về lưu trữ\n");
    assert_int_equal(stat(p, &st), 0);
    w.ino = (long long)st.st_ino;
    start(fx, 1, 0);
    /* The start-up scan does not see it... */
    assert_false(run_until(fx, record_has_ino, &w, 1500));
    /* ...a recheck does. */
    assert_int_equal(indexer_service_recheck(fx->s, p), 0);
    assert_true(run_until(fx, record_has_ino, &w, 5000));
    rec = record_of(fx, p);
    assert_string_not_equal(rec_str(rec, "sha256"), sha);
    json_decref(rec);

    /* A recheck of a name now taken by a symlink removes the document. */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(indexer_service_recheck(fx->s, p), 0);
    assert_true(run_until(fx, has_no_record, p, 5000));

    /* Paths outside the archive, or ignored, are refused. */
    assert_int_equal(indexer_service_recheck(fx->s, "/etc/passwd"), VT_EBADINPUT);
    free(p);
    p = pathf(fx, "x.part");
    assert_int_equal(indexer_service_recheck(fx->s, p), VT_EBADINPUT);
    free(p);
}

/* Above max_file_bytes a file is recorded by name, with the reason, and
 * neither hashed nor read. */
static void test_size_limit(void **state)
{
    struct fx *fx = *state;
    char *p = pathf(fx, "lon.txt");
    json_t *rec;

    write_file(p, "Một tệp dài hơn giới hạn rất nhỏ của phép thử này\n");
    start(fx, 0, 16);
    assert_true(run_until(fx, has_record, p, 10000));
    rec = record_of(fx, p);
    assert_string_equal(rec_str(rec, "status"), "failed");
    assert_string_equal(rec_str(rec, "error"), "larger than the 16-byte limit (max_file_bytes)");
    assert_string_equal(rec_str(rec, "sha256"), "");
    json_decref(rec);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_removes_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recheck_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
