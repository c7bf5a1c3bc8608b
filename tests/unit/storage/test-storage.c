/* storage/ on a real Xapian index in a temp folder: a record and its text
 * survive the round trip, Xapian's exceptions become plain error codes and
 * sentences (none of Xapian's own text reaches err), a second writer is
 * refused, and a lock held a moment by another process is waited for. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "storage/storage.h"
#include "storage/xap.h"

struct fx {
    char dir[64];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/vt-storage-XXXXXX");
    if (fx == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

/* No Xapian class name or message in what users read. */
static void assert_plain(const struct vt_err *e)
{
    assert_true(e->msg[0] != '\0');
    assert_null(strstr(e->msg, "Error"));
    assert_null(strstr(e->msg, "Xapian"));
    assert_null(strstr(e->msg, "glass"));
}

static void put_one(const char *dir, const char *path, const char *text)
{
    struct storage *st = NULL;
    struct storage_doc *doc = NULL;
    struct storage_record rec;
    struct vt_err e;
    char id[STORAGE_ID_LEN + 1];

    storage_id_of(path, id);
    storage_record_init(&rec);
    rec.id = id;
    rec.path = path;
    rec.name = strrchr(path, '/') + 1;
    rec.mime = "text/plain";
    rec.size = (long long)strlen(text);
    rec.mtime_ns = 1700000000000000000LL;
    rec.sha256 = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
    rec.status = "indexed";
    rec.pages = 1;
    rec.title = "Quyết định 512/QĐ-UBND";
    rec.meta.type = "Quyết định";
    assert_int_equal(storage_open(dir, 1, &st, &e), 0);
    assert_int_equal(storage_doc_build(&rec, text, strlen(text), &doc, &e), 0);
    assert_int_equal(storage_put(st, doc, &e), 0);
    assert_int_equal(storage_commit(st, &e), 0);
    storage_doc_free(doc);
    storage_close(st);
}

static void test_round_trip(void **state)
{
    struct fx *fx = *state;
    const char *text = "Quyết định về việc phê duyệt kế hoạch chuyển đổi số";
    struct storage *st = NULL;
    struct vt_err e;
    struct buf body;
    json_t *rec = NULL;
    char id[STORAGE_ID_LEN + 1];

    put_one(fx->dir, "/archive/van-ban-di/qd-512.txt", text);
    storage_id_of("/archive/van-ban-di/qd-512.txt", id);
    assert_int_equal(storage_open(fx->dir, 0, &st, &e), 0);
    assert_int_equal(storage_count(st, &e), 1);
    buf_init(&body, BUF_NOLIMIT);
    assert_int_equal(storage_get(st, id, &rec, &body, &e), 0);
    assert_string_equal(json_string_value(json_object_get(rec, "path")),
                        "/archive/van-ban-di/qd-512.txt");
    assert_string_equal(json_string_value(json_object_get(rec, "status")), "indexed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rec, "meta"), "type")), "Quyết định");
    assert_int_equal(body.len, strlen(text));
    assert_memory_equal(body.ptr, text, body.len);
    json_decref(rec);
    rec = NULL;
    /* A missing id is VT_ENOTFOUND, not an index failure. */
    assert_int_equal(storage_get(st, "00000000000000000000000000000000", &rec, NULL, &e),
                     VT_ENOTFOUND);
    assert_null(rec);
    buf_release(&body);
    storage_close(st);
}

static void test_errors_are_plain(void **state)
{
    struct fx *fx = *state;
    struct storage *st = NULL, *st2 = NULL;
    struct xap_db *db = NULL;
    struct vt_err e;
    char path[128];
    FILE *f;
    int rc;

    /* No index yet. */
    vt_err_clear(&e);
    assert_int_equal(storage_open(fx->dir, 0, &st, &e), VT_ENOTFOUND);
    assert_null(st);

    /* A second writer in the same process: refused at once by xap, and
     * by storage after its bounded wait (skipped here: 10 s). */
    assert_int_equal(storage_open(fx->dir, 1, &st, &e), 0);
    snprintf(path, sizeof(path), "%s/shard-0", fx->dir);
    vt_err_clear(&e);
    assert_int_equal(xap_open(path, 1, &db, &e), VT_ELOCKED);
    assert_null(db);
    assert_plain(&e);
    assert_non_null(strstr(e.msg, "locked"));
    storage_close(st);

    /* A damaged shard: an error code of the index family, a plain
     * sentence, no exception. */
    snprintf(path, sizeof(path), "%s/shard-0/iamglass", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a glass database", f);
    fclose(f);
    vt_err_clear(&e);
    rc = storage_open(fx->dir, 0, &st2, &e);
    assert_true(rc == VT_ECORRUPT || rc == VT_EIO || rc == VT_EINDEX);
    assert_null(st2);
    assert_plain(&e);
}

/* Another process holds the write lock for about a second, as a process
 * being killed does: storage_open waits and then succeeds. */
static void test_lock_is_waited_for(void **state)
{
    struct fx *fx = *state;
    struct storage *st = NULL;
    struct vt_err e;
    struct timespec t0, t1;
    int fds[2];
    pid_t child;
    char c;
    int status;
    double waited;

    put_one(fx->dir, "/archive/a.txt", "Công văn");
    assert_int_equal(pipe(fds), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct storage *held = NULL;
        close(fds[0]);
        if (storage_open(fx->dir, 1, &held, NULL) < 0)
            _exit(1);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        sleep(1);
        storage_close(held);
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(storage_open(fx->dir, 1, &st, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* It did wait (the child held the lock), and not for the whole bound. */
    assert_true(waited > 0.3);
    assert_true(waited < 9.0);
    assert_int_equal(storage_count(st, &e), 1);
    storage_close(st);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_are_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_waited_for, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
