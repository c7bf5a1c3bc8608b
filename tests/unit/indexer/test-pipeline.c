/* tests for indexer/pipeline.c: the OCR adapter (the test includes the
 * .c file to reach it), and the pipeline with the real extractor and index
 * but no OCR pool, driven the way a feeder drives it: files offered are
 * indexed and counted once committed, offered again they are unchanged
 * (also after a restart), a vanished file is handed to cbs.gone, a file
 * that is not what was offered is handed back (cbs.again), a name taken
 * by a symlink loses its document, removal is counted as a deletion, and
 * a small queue pauses the feeder and lets it go on.  Every wait runs the
 * loop with a deadline; every test ends with uv_loop_close() == 0. */
#include "indexer/pipeline.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "tests/unit/indexer/loop.h"

#define GEN 7

struct fx {
    uv_loop_t loop;
    uv_timer_t deadline;
    char *dir, *root, *data;
    struct storage *st;
    struct indexer_pipeline *p;
    struct indexer_pipeline_stats last; /* at the stop */
    unsigned long gone, again, pauses, resumes, idles, commits;
    char gone_path[512], again_path[512];
    unsigned again_tries;
    int paused, stopped, stop_rc;
};

static int run_until(struct fx *fx, int (*pred)(struct fx *), unsigned ms)
{
    return test_run_until(&fx->loop, &fx->deadline, (int (*)(void *))pred, fx, ms);
}

#define write_file test_write_file

static char *pathf(const struct fx *fx, const char *rel)
{
    return xasprintf("%s/%s", fx->root, rel);
}

static int setup(void **state)
{
    struct fx *fx = xcalloc(1, sizeof(*fx));

    test_make_archive("pipeline", &fx->dir, &fx->root, &fx->data);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->deadline);
    *state = fx;
    return 0;
}

/* ---- callbacks ---------------------------------------------------------- */

static void cb_gone(void *data, const char *path)
{
    struct fx *fx = data;

    fx->gone++;
    snprintf(fx->gone_path, sizeof(fx->gone_path), "%s", path);
}

static void cb_again(void *data, const char *path, unsigned tries)
{
    struct fx *fx = data;

    fx->again++;
    fx->again_tries = tries;
    snprintf(fx->again_path, sizeof(fx->again_path), "%s", path);
}

static void cb_pause(void *data, int paused)
{
    struct fx *fx = data;

    fx->paused = paused;
    if (paused)
        fx->pauses++;
    else
        fx->resumes++;
}

static void cb_idle(void *data)
{
    ((struct fx *)data)->idles++;
}

static void cb_committed(void *data)
{
    ((struct fx *)data)->commits++;
}

static void cb_fatal(void *data, const struct vt_err *err)
{
    (void)data;
    fail_msg("fatal: %s", err->msg);
}

static void start(struct fx *fx, unsigned queue_max, unsigned inflight)
{
    static const struct indexer_pipeline_cbs cbs = {cb_gone,      cb_again, cb_pause, cb_idle,
                                                    cb_committed, cb_fatal, NULL};
    struct indexer_pipeline_config cfg;
    struct vt_err err;

    assert_int_equal(storage_open(fx->data, 1, &fx->st, &err), 0);
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = fx->data;
    cfg.st = fx->st;
    cfg.queue_max = queue_max;
    cfg.max_inflight = inflight;
    cfg.commit_ms = 50;
    cfg.cbs = &cbs;
    cfg.cb_data = fx;
    assert_int_equal(indexer_pipeline_start(&fx->loop, &cfg, &fx->p, &err), 0);
}

static void on_stopped(void *data, int rc, const struct indexer_pipeline_stats *st)
{
    struct fx *fx = data;

    fx->stopped = 1;
    fx->stop_rc = rc;
    fx->last = *st;
}

static int is_stopped(struct fx *fx)
{
    return fx->stopped;
}

static void stop(struct fx *fx)
{
    fx->stopped = 0;
    indexer_pipeline_stop(fx->p, on_stopped, fx);
    assert_true(run_until(fx, is_stopped, 10000));
    assert_int_equal(fx->stop_rc, 0);
    fx->p = NULL;
    storage_close(fx->st);
    fx->st = NULL;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char *cmd;

    if (fx->p != NULL)
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

static enum indexer_offer offer(struct fx *fx, const char *path)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    return indexer_pipeline_offer(fx->p, path, fx->root, &st, GEN);
}

static int idle(struct fx *fx)
{
    return indexer_pipeline_idle(fx->p);
}

/* ---- the OCR adapter ------------------------------------------------------- */

/* A born-digital PDF's pages come from its text layer: "pdf-text", -1 for
 * each page's confidence; a mixed one is "pdf-text+ocr"; and what
 * ingest_text() gets says the same. */
static void test_ocr_adapter(void **state)
{
    struct ocr_page pages[2] = {{-1, 1, 0, 0, 0}, {-1, 1, 0, 0, 0}};
    struct ocr_result r = {OCR_OK, 0, "", "/a/x.pdf", "trang một\ftrang hai", 0, pages, 2, -1, 5};
    struct ocrtext t, copy;
    struct ingest_text it;

    (void)state;
    r.text_len = strlen(r.text);
    ocrtext_init(&t);
    ocrtext_from_result(&t, &r, 1000);
    assert_string_equal(t.origin, "pdf-text");
    assert_int_equal(t.pages, 2);
    assert_int_equal(t.layer, 2);
    assert_int_equal(t.npc, 2);
    assert_true(t.pc[0] == -1 && t.pc[1] == -1);
    ocrtext_to_ingest(&t, "application/pdf", "abc", &it);
    assert_int_equal(it.text_len, r.text_len);
    assert_memory_equal(it.text, r.text, r.text_len);
    assert_string_equal(it.origin, "pdf-text");
    assert_int_equal(it.pages, 2);
    assert_int_equal(it.npage_confidence, 2);
    assert_int_equal(it.code, 0);
    assert_string_equal(it.mime, "application/pdf");
    assert_string_equal(it.sha256, "abc");

    /* A copy (a follower, the cache) is the same, and owns its text. */
    ocrtext_init(&copy);
    ocrtext_copy(&copy, &t, 1000);
    ocrtext_release(&t);
    assert_string_equal(copy.origin, "pdf-text");
    assert_int_equal(copy.text.len, r.text_len);
    assert_true(copy.pc[1] == -1);
    ocrtext_release(&copy);

    /* One page OCR'd: its confidence is kept; text beyond the cap is cut. */
    pages[1].text_layer = 0;
    pages[1].confidence = 87;
    r.confidence = 87;
    ocrtext_init(&t);
    ocrtext_from_result(&t, &r, 4);
    assert_string_equal(t.origin, "pdf-text+ocr");
    assert_int_equal(t.layer, 1);
    assert_true(t.pc[1] == 87);
    assert_int_equal(t.text.len, 4);
    ocrtext_release(&t);
}

/* A failure is recorded with the pool's reason, prefixed "ocr: ". */
static void test_ocr_adapter_failure(void **state)
{
    struct ocr_result r = {OCR_FAILED, VT_ETIMEDOUT, "timed out after 300 s", "/a/x.tif",
                           "", 0, NULL, 0, -1, 0};
    struct ocrtext t;
    struct ingest_text it;

    (void)state;
    ocrtext_init(&t);
    ocrtext_from_result(&t, &r, 1000);
    ocrtext_to_ingest(&t, "image/tiff", "", &it);
    assert_int_equal(it.code, VT_ETIMEDOUT);
    assert_string_equal(it.reason, "ocr: timed out after 300 s");
    assert_int_equal(it.text_len, 0);
    assert_string_equal(it.origin, "ocr");
    assert_true(it.ocr_confidence < 0);
    ocrtext_release(&t);
}

/* ---- the pipeline ------------------------------------------------------------ */

/* Offered files are indexed, counted once committed; offered again (and
 * after a restart, from what the index holds) they are unchanged. */
static void test_index_then_unchanged(void **state)
{
    struct fx *fx = *state;
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    struct indexer_file_info fi = {0};
    char *paths[3];

    for (int i = 0; i < 3; i++) {
        paths[i] = pathf(fx, names[i]);
        write_file(paths[i], "Công văn về lưu trữ hồ sơ\n");
    }
    start(fx, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(offer(fx, paths[i]), INDEXER_QUEUED);
    /* Busy: a second offer is a revisit. */
    assert_int_equal(offer(fx, paths[0]), INDEXER_BUSY);
    assert_true(run_until(fx, idle, 10000));
    assert_true(fx->idles > 0);
    assert_true(indexer_pipeline_file(fx->p, paths[1], &fi));
    assert_true(fi.has_doc && !fi.busy && fi.seen_gen == GEN);
    stop(fx);
    assert_int_equal(fx->last.committed[INDEXER_C_INDEXED], 3);
    assert_int_equal(fx->last.sent[INDEXER_C_INDEXED], 3);
    assert_true(fx->commits > 0);
    /* The revisit of a.txt was handed back once its job ended. */
    assert_int_equal(fx->again, 1);
    assert_string_equal(fx->again_path, paths[0]);

    start(fx, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(offer(fx, paths[i]), INDEXER_UNCHANGED);
    /* Forced, it goes through again. */
    indexer_pipeline_force(fx->p, paths[2]);
    assert_int_equal(offer(fx, paths[2]), INDEXER_QUEUED);
    assert_true(run_until(fx, idle, 10000));
    stop(fx);
    assert_int_equal(fx->last.unchanged, 3);
    assert_int_equal(fx->last.committed[INDEXER_C_INDEXED], 1);
    assert_int_equal(fx->last.known, 3);
    for (int i = 0; i < 3; i++)
        free(paths[i]);
}

static int gone_seen(struct fx *fx)
{
    return fx->gone > 0;
}

static int again_seen(struct fx *fx)
{
    return fx->again > 0;
}

/* A file that vanished before its job opened it goes to cbs.gone; one
 * that is not the file offered (another mtime) comes back to settle. */
static void test_gone_and_unsettled(void **state)
{
    struct fx *fx = *state;
    char *lost = pathf(fx, "mat.txt");
    char *moved = pathf(fx, "doi.txt");
    struct stat st;

    write_file(lost, "Sẽ biến mất\n");
    write_file(moved, "Đang được ghi\n");
    assert_int_equal(lstat(lost, &st), 0);
    assert_int_equal(unlink(lost), 0);
    start(fx, 0, 0);
    assert_int_equal(indexer_pipeline_offer(fx->p, lost, fx->root, &st, 0), INDEXER_QUEUED);
    assert_true(run_until(fx, gone_seen, 10000));
    assert_string_equal(fx->gone_path, lost);

    assert_int_equal(lstat(moved, &st), 0);
    st.st_mtim.tv_sec -= 100; /* what the feeder saw before the last write */
    assert_int_equal(indexer_pipeline_offer(fx->p, moved, fx->root, &st, 0), INDEXER_QUEUED);
    assert_true(run_until(fx, again_seen, 10000));
    assert_string_equal(fx->again_path, moved);
    assert_int_equal(fx->again_tries, 1);
    /* Offered as it is now, it is indexed. */
    assert_int_equal(offer(fx, moved), INDEXER_QUEUED);
    assert_true(run_until(fx, idle, 10000));
    stop(fx);
    assert_int_equal(fx->last.committed[INDEXER_C_INDEXED], 1);
    free(lost);
    free(moved);
}

static int unseen;

static void count_unseen(void *data, const struct indexer_file_info *fi)
{
    struct fx *fx = data;

    if (fi->seen_gen != GEN + 1) {
        unseen++;
        indexer_pipeline_remove(fx->p, fi->path, fx->root, "no longer in the archive");
    }
}

/* What a batch run does with files it did not see: each, then remove;
 * the deletion is counted once committed, and the record is gone. */
static void test_each_and_remove(void **state)
{
    struct fx *fx = *state;
    char *keep = pathf(fx, "giu.txt");
    char *drop = pathf(fx, "bo.txt");
    struct stat st;
    struct indexer_file_info fi;

    write_file(keep, "Giữ lại\n");
    write_file(drop, "Bỏ đi\n");
    start(fx, 0, 0);
    offer(fx, keep);
    offer(fx, drop);
    assert_true(run_until(fx, idle, 10000));
    assert_int_equal(lstat(keep, &st), 0);
    assert_int_equal(indexer_pipeline_offer(fx->p, keep, fx->root, &st, GEN + 1),
                     INDEXER_UNCHANGED);
    unseen = 0;
    indexer_pipeline_each(fx->p, count_unseen, fx);
    assert_int_equal(unseen, 1);
    assert_false(indexer_pipeline_file(fx->p, drop, &fi));
    assert_true(indexer_pipeline_file(fx->p, keep, &fi));
    stop(fx);
    assert_int_equal(fx->last.committed[INDEXER_C_DELETED], 1);
    assert_int_equal(fx->last.committed[INDEXER_C_INDEXED], 2);
    assert_int_equal(fx->last.known, 1);
    free(keep);
    free(drop);
}

static int no_doc;

static int doc_gone(struct fx *fx)
{
    struct indexer_file_info fi;

    no_doc = !indexer_pipeline_file(fx->p, fx->gone_path, &fi);
    return no_doc && idle(fx);
}

/* A name taken by a symlink: the job cannot open it through the link, and
 * the document goes at once (not through cbs.gone). */
static void test_symlink_loses_its_document(void **state)
{
    struct fx *fx = *state;
    char *p = pathf(fx, "hoso.txt");
    struct stat st;

    write_file(p, "Hồ sơ\n");
    start(fx, 0, 0);
    offer(fx, p);
    assert_true(run_until(fx, idle, 10000));
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    indexer_pipeline_force(fx->p, p);
    st.st_mtim.tv_sec++; /* changed, as the feeder would see it */
    assert_int_equal(indexer_pipeline_offer(fx->p, p, fx->root, &st, 0), INDEXER_QUEUED);
    snprintf(fx->gone_path, sizeof(fx->gone_path), "%s", p);
    assert_true(run_until(fx, doc_gone, 10000));
    stop(fx);
    assert_int_equal(fx->gone, 0);
    assert_int_equal(fx->last.committed[INDEXER_C_DELETED], 1);
    free(p);
}

static int resumed(struct fx *fx)
{
    return fx->resumes > 0 && !fx->paused && idle(fx);
}

/* A queue of two with one job at a time: the feeder is paused while it
 * is full and let go once it drained; nothing offered is lost. */
static void test_backpressure(void **state)
{
    struct fx *fx = *state;
    char *paths[12];

    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof(name), "cv-%02d.txt", i);
        paths[i] = pathf(fx, name);
        write_file(paths[i], "Công văn số một về lưu trữ\n");
    }
    start(fx, 2, 1);
    for (int i = 0; i < 12; i++)
        offer(fx, paths[i]);
    assert_true(fx->paused);
    assert_int_equal(fx->pauses, 1);
    assert_true(run_until(fx, resumed, 20000));
    stop(fx);
    assert_int_equal(fx->last.committed[INDEXER_C_INDEXED], 12);
    for (int i = 0; i < 12; i++)
        free(paths[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ocr_adapter),
        cmocka_unit_test(test_ocr_adapter_failure),
        cmocka_unit_test_setup_teardown(test_index_then_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_and_unsettled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_and_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_loses_its_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
