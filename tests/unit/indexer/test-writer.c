/* tests for indexer/writer.c with a real index: commits by count, by
 * bytes and by time, counts that come only with a commit (by class),
 * operation numbers that say when a document is searchable, deletions,
 * the last commit at stop, and a write that fails reported once as fatal
 * with the operations after it dropped.  Every wait runs the loop with a
 * deadline; every test ends with uv_loop_close() == 0. */
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
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "common/xalloc.h"
#include "indexer/ingest.h"
#include "indexer/writer.h"
#include "storage/storage.h"
#include "tests/unit/indexer/loop.h"

struct fx {
    uv_loop_t loop;
    uv_timer_t deadline;
    char *top, *dir;
    struct storage *st;
    struct indexer_writer *w;
    unsigned long counts[INDEXER_WRITER_CLASSES];
    unsigned long applied, reports, commits, fatals;
    struct vt_err err;
    uint64_t first_commit_at;
    int stopped;
};

static int run_until(struct fx *fx, int (*pred)(struct fx *), unsigned ms)
{
    return test_run_until(&fx->loop, &fx->deadline, (int (*)(void *))pred, fx, ms);
}

static int setup(void **state)
{
    struct fx *fx = xcalloc(1, sizeof(*fx));
    char tmpl[] = "/tmp/vanthu-test-writer-XXXXXX";
    struct vt_err err;

    assert_non_null(mkdtemp(tmpl));
    fx->top = xstrdup(tmpl);
    fx->dir = xasprintf("%s/data", tmpl);
    assert_int_equal(storage_open(fx->dir, 1, &fx->st, &err), 0);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->deadline);
    *state = fx;
    return 0;
}

static void on_report(void *data, const struct indexer_writer_report *r)
{
    struct fx *fx = data;

    fx->reports++;
    fx->applied += r->applied;
    for (unsigned c = 0; c < INDEXER_WRITER_CLASSES; c++)
        fx->counts[c] += r->counts[c];
    if (r->committed) {
        fx->commits++;
        if (fx->first_commit_at == 0)
            fx->first_commit_at = uv_now(&fx->loop);
    }
    if (r->fatal) {
        fx->fatals++;
        fx->err = r->err;
    }
}

static void start(struct fx *fx, unsigned commit_docs, unsigned commit_ms, size_t commit_bytes)
{
    struct indexer_writer_config cfg = {fx->st, commit_docs, commit_ms, commit_bytes,
                                        on_report, fx};
    struct vt_err err;

    assert_int_equal(indexer_writer_start(&fx->loop, &cfg, &fx->w, &err), 0);
}

static void on_stopped(void *data)
{
    ((struct fx *)data)->stopped = 1;
}

static int is_stopped(struct fx *fx)
{
    return fx->stopped;
}

static void stop(struct fx *fx)
{
    indexer_writer_stop(fx->w, on_stopped, fx);
    assert_true(run_until(fx, is_stopped, 10000));
    fx->w = NULL;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char *cmd;

    if (fx->w != NULL)
        stop(fx);
    storage_close(fx->st);
    uv_close((uv_handle_t *)&fx->deadline, NULL);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    cmd = xasprintf("rm -rf '%s'", fx->top);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx->top);
    free(fx->dir);
    free(fx);
    return 0;
}

/* A small document for /archive/NAME, built as the indexer builds one
 * from text it did not extract. */
static struct storage_doc *doc_of(const char *name, char id[STORAGE_ID_LEN + 1])
{
    char *path = xasprintf("/archive/%s", name);
    struct ingest_config icfg = {1 << 20, 0, NULL};
    struct ingest_text t;
    struct ingest_outcome out;
    struct storage_doc *doc = NULL;
    struct stat st;
    struct vt_err err;

    memset(&st, 0, sizeof(st));
    st.st_mode = S_IFREG | 0644;
    st.st_size = 32;
    memset(&t, 0, sizeof(t));
    t.text = "công văn lưu trữ";
    t.text_len = strlen(t.text);
    t.mime = "text/plain";
    t.ocr_confidence = -1;
    storage_id_for("/archive", path, id);
    assert_int_equal(ingest_text(&icfg, "/archive", path, &st, &t, &doc, &out, &err), 0);
    free(path);
    return doc;
}

static unsigned long long put(struct fx *fx, const char *name, unsigned cls, unsigned *shard)
{
    char id[STORAGE_ID_LEN + 1];

    return indexer_writer_put_take(fx->w, doc_of(name, id), cls, shard);
}

static int has_doc(struct fx *fx, const char *name)
{
    struct storage *r = NULL;
    char *path = xasprintf("/archive/%s", name);
    char id[STORAGE_ID_LEN + 1];
    json_t *rec = NULL;
    struct vt_err err;
    int found;

    storage_id_for("/archive", path, id);
    assert_int_equal(storage_open(fx->dir, 0, &r, &err), 0);
    found = storage_get(r, id, &rec, NULL, &err) == 0 && rec != NULL;
    json_decref(rec);
    storage_close(r);
    free(path);
    return found;
}

static int five_applied(struct fx *fx)
{
    return fx->applied == 5;
}

static int one_commit(struct fx *fx)
{
    return fx->commits >= 1;
}

/* Nothing is counted before its commit: with no limit the five documents
 * are applied, reported as applied, and counted only by the commit at
 * stop, by class. */
static void test_counts_come_with_the_commit(void **state)
{
    struct fx *fx = *state;

    start(fx, 0, 0, 0);
    put(fx, "a.txt", 1, NULL);
    put(fx, "b.txt", 1, NULL);
    put(fx, "c.txt", 2, NULL);
    put(fx, "d.txt", 1, NULL);
    put(fx, "e.txt", 3, NULL);
    assert_true(run_until(fx, five_applied, 5000));
    assert_int_equal(fx->commits, 0);
    assert_int_equal(fx->counts[1], 0);
    assert_int_equal(indexer_writer_queued(fx->w), 0);
    assert_int_equal(indexer_writer_queued_bytes(fx->w), 0);
    stop(fx);
    assert_true(fx->commits >= 1);
    assert_int_equal(fx->counts[1], 3);
    assert_int_equal(fx->counts[2], 1);
    assert_int_equal(fx->counts[3], 1);
    assert_int_equal(fx->fatals, 0);
    assert_true(has_doc(fx, "a.txt"));
    assert_true(has_doc(fx, "e.txt"));
}

struct seen {
    unsigned shard;
    unsigned long long seq;
};

static struct seen g_seen;

static int seq_committed(struct fx *fx)
{
    return indexer_writer_committed(fx->w, g_seen.shard, g_seen.seq);
}

/* commit_docs = 1: every operation is committed on its own, and its
 * number says so; the document is then in the index. */
static void test_commit_by_count(void **state)
{
    struct fx *fx = *state;

    start(fx, 1, 0, 0);
    g_seen.seq = put(fx, "x.txt", 0, &g_seen.shard);
    assert_true(g_seen.seq >= 1);
    assert_false(indexer_writer_committed(fx->w, g_seen.shard, g_seen.seq));
    assert_true(run_until(fx, seq_committed, 5000));
    assert_int_equal(fx->counts[0], 1);
    assert_true(has_doc(fx, "x.txt"));
    /* The next one in the same shard has the next number. */
    assert_int_equal(put(fx, "x.txt", 0, NULL), g_seen.seq + 1);
}

/* commit_bytes = 1: any document is enough for a commit. */
static void test_commit_by_bytes(void **state)
{
    struct fx *fx = *state;

    start(fx, 0, 0, 1);
    put(fx, "y.txt", 4, NULL);
    assert_true(run_until(fx, one_commit, 5000));
    assert_int_equal(fx->counts[4], 1);
}

/* commit_ms: a lone document is committed about commit_ms after it was
 * applied, with nothing else arriving. */
static void test_commit_by_time(void **state)
{
    struct fx *fx = *state;
    uint64_t t0;

    start(fx, 1000, 150, 0);
    uv_update_time(&fx->loop);
    t0 = uv_now(&fx->loop);
    put(fx, "z.txt", 0, NULL);
    assert_true(run_until(fx, one_commit, 5000));
    assert_true(fx->first_commit_at - t0 >= 100);
    assert_true(fx->first_commit_at - t0 < 3000);
    assert_int_equal(fx->counts[0], 1);
}

static int deleted(struct fx *fx)
{
    return fx->counts[7] == 1;
}

/* A deletion goes to the shard of its id and is counted in its class. */
static void test_delete(void **state)
{
    struct fx *fx = *state;
    char id[STORAGE_ID_LEN + 1];
    char *path = xasprintf("/archive/%s", "gone.txt");

    start(fx, 1, 0, 0);
    put(fx, "gone.txt", 0, NULL);
    storage_id_for("/archive", path, id);
    indexer_writer_delete(fx->w, id, 7, NULL);
    assert_true(run_until(fx, deleted, 5000));
    assert_false(has_doc(fx, "gone.txt"));
    free(path);
}

static int fatal_seen(struct fx *fx)
{
    return fx->fatals > 0 && fx->applied == 3;
}

/* A write that fails (a read-only handle here) is reported as fatal with
 * its reason; what follows is dropped, never counted. */
static void test_fatal(void **state)
{
    struct fx *fx = *state;
    struct storage *ro = NULL;
    struct vt_err err;

    storage_close(fx->st);
    assert_int_equal(storage_open(fx->dir, 0, &ro, &err), 0);
    fx->st = ro;
    start(fx, 1, 0, 0);
    put(fx, "a.txt", 0, NULL);
    put(fx, "b.txt", 0, NULL);
    put(fx, "c.txt", 0, NULL);
    assert_true(run_until(fx, fatal_seen, 5000));
    assert_non_null(strstr(fx->err.msg, "read-only"));
    stop(fx);
    assert_int_equal(fx->counts[0], 0);
    assert_int_equal(fx->commits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_come_with_the_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_by_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_by_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_by_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
