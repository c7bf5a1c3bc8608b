/* The one-shot indexer (see batch.h): the pipeline of `vanthu serve`
 * (pipeline.c) on a private loop, fed by a scan instead of a watcher.
 *
 *   scan thread (scan_run over the PATHs) -- bounded hand-over -->  loop:
 *   each file offered to the pipeline (skipped when unchanged), which
 *   extracts on the threadpool, OCRs through a pool started on first
 *   need, and writes through one writer per shard, committing every
 *   batch_bytes of documents so memory stays flat however large the tree.
 *
 * The hand-over is a FIFO under a mutex, signalled with uv_async_send;
 * the scan thread blocks while it is full and the loop stops draining it
 * while the pipeline asks for a pause, which is the backpressure.  Once
 * the walk is done and the pipeline idle, the documents of files that are
 * gone from under the PATHs are removed and the pipeline stops (it
 * commits); the counts of the summary are of committed operations.  A file
 * that changes while it is read is read again (up to MAX_TRIES times). */
#include "config.h"

#include "indexer/batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "common/log.h"
#include "common/queue.h"
#include "common/xalloc.h"
#include "indexer/ingest.h"
#include "indexer/pipeline.h"
#include "indexer/scan.h"
#include "ocr/pool.h"
#include "storage/storage.h"

#define QUEUE_MAX 256
#define HANDOFF_MAX 1024
#define MAX_TRIES 3
#define GEN 1 /* the one scan of the run */

/* A file the walk found, on its way to the loop. */
struct item {
    struct vt_queue link;
    char *path;
    struct stat st;
    size_t root;
};

struct batch {
    const struct indexer_batch_config *cfg;
    struct indexer_stats *stats;
    char **roots;      /* what is walked: canonical PATH arguments */
    char **open_roots; /* what each file is opened beneath: the PATH, or
                        * the folder of a file argument */
    size_t nroots;
    struct storage *st;
    uv_loop_t loop;
    struct indexer_pipeline *pl;
    struct ocr_pool *ocr;
    size_t known_at_start;

    /* The hand-over, shared with the scan thread under mu. */
    uv_thread_t thread;
    int thread_started;
    uv_mutex_t mu;
    uv_cond_t space;
    struct vt_queue items;
    size_t nitems;
    int walk_done, thread_stop;
    unsigned long problems;
    uv_async_t async;

    /* The loop's. */
    int paused, walked, finishing;
    int rc;
    struct vt_err err;
    uv_timer_t progress, finish;
    double t0;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the scan thread ----------------------------------------------------- */

static int walk_file_cb(void *data, const struct scan_file *f)
{
    struct batch *b = data;
    struct item *it = xcalloc(1, sizeof(*it));
    int stop;

    it->path = xstrdup(f->path);
    it->st = *f->st;
    it->root = f->root;
    uv_mutex_lock(&b->mu);
    while (b->nitems >= HANDOFF_MAX && !b->thread_stop)
        uv_cond_wait(&b->space, &b->mu);
    stop = b->thread_stop;
    if (!stop) {
        vt_queue_push(&b->items, &it->link);
        b->nitems++;
    }
    uv_mutex_unlock(&b->mu);
    if (stop) {
        free(it->path);
        free(it);
        return VT_EINTERNAL;
    }
    uv_async_send(&b->async);
    return 0;
}

static void walk_problem_cb(void *data, const char *path, const char *why)
{
    struct batch *b = data;

    uv_mutex_lock(&b->mu);
    b->problems++;
    uv_mutex_unlock(&b->mu);
    log_warn("skipped '%s': %s", path, why);
}

static void scan_thread(void *arg)
{
    struct batch *b = arg;

    scan_run(b->roots, b->nroots, walk_file_cb, walk_problem_cb, b);
    uv_mutex_lock(&b->mu);
    b->walk_done = 1;
    uv_mutex_unlock(&b->mu);
    uv_async_send(&b->async);
}

static void scan_stop(struct batch *b)
{
    struct vt_queue *e;

    uv_mutex_lock(&b->mu);
    b->thread_stop = 1;
    uv_cond_broadcast(&b->space);
    uv_mutex_unlock(&b->mu);
    if (b->thread_started)
        uv_thread_join(&b->thread);
    b->thread_started = 0;
    while ((e = vt_queue_pop(&b->items)) != NULL) {
        struct item *it = vt_queue_entry(e, struct item, link);
        free(it->path);
        free(it);
    }
    b->nitems = 0;
}

/* ---- the loop: feeding the pipeline --------------------------------------- */

static void on_finish(uv_timer_t *t);

/* Check for the end from the loop, outside the pipeline's callbacks. */
static void finish_soon(struct batch *b)
{
    if (!b->finishing)
        uv_timer_start(&b->finish, on_finish, 0, 0);
}

static void offer_item(struct batch *b, struct item *it)
{
    b->stats->seen++;
    if (indexer_pipeline_offer(b->pl, it->path, b->open_roots[it->root], &it->st, GEN) ==
        INDEXER_UNCHANGED)
        b->stats->unchanged++;
}

/* Offer what the scan handed over, while the pipeline takes more. */
static void drain(struct batch *b)
{
    struct vt_queue *e;
    struct item *it;
    int done;

    for (;;) {
        uv_mutex_lock(&b->mu);
        e = b->paused || b->finishing ? NULL : vt_queue_pop(&b->items);
        if (e != NULL) {
            b->nitems--;
            uv_cond_signal(&b->space);
        }
        done = b->walk_done && vt_queue_empty(&b->items);
        uv_mutex_unlock(&b->mu);
        if (e == NULL)
            break;
        it = vt_queue_entry(e, struct item, link);
        offer_item(b, it);
        free(it->path);
        free(it);
    }
    if (done && !b->walked) {
        b->walked = 1;
        finish_soon(b);
    }
}

static void on_async(uv_async_t *a)
{
    drain(a->data);
}

/* The PATH root path was found under, to open it beneath. */
static const char *open_root_of(const struct batch *b, const char *path)
{
    for (size_t i = 0; i < b->nroots; i++)
        if (scan_under(path, b->roots[i]))
            return b->open_roots[i];
    return NULL;
}

/* A file changed while it was read: look at it again, a few times.  The
 * lstat blocks this loop, which serves nothing else. */
static void pl_again(void *data, const char *path, unsigned tries)
{
    struct batch *b = data;
    const char *root = open_root_of(b, path);
    struct stat st;

    if (b->finishing || root == NULL)
        return;
    if (tries >= MAX_TRIES) {
        log_warn("'%s': it kept changing while it was read; not indexed this time", path);
        uv_mutex_lock(&b->mu);
        b->problems++;
        uv_mutex_unlock(&b->mu);
        return;
    }
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            indexer_pipeline_remove(b->pl, path, root, "no longer in the archive");
    } else if (!S_ISREG(st.st_mode)) {
        indexer_pipeline_remove(b->pl, path, root, "no longer a regular file");
    } else {
        indexer_pipeline_force(b->pl, path);
        indexer_pipeline_offer(b->pl, path, root, &st, GEN);
    }
}

static void pl_pause(void *data, int paused)
{
    struct batch *b = data;

    b->paused = paused;
    if (!paused)
        uv_async_send(&b->async); /* drain again, from the loop */
}

static void pl_idle(void *data)
{
    struct batch *b = data;

    if (b->walked)
        finish_soon(b);
}

static void pl_fatal(void *data, const struct vt_err *err)
{
    struct batch *b = data;

    if (b->rc == 0) {
        b->rc = err->code ? err->code : VT_EIO;
        b->err = *err;
    }
    finish_soon(b);
}

static struct ocr_pool *pl_ocr_open(void *data, struct vt_err *err)
{
    struct batch *b = data;
    const struct indexer_batch_config *cfg = b->cfg;
    struct ocr_pool_config pcfg;
    long ncores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.worker_path = cfg->ocr_worker;
    pcfg.workers = cfg->ocr_workers ? cfg->ocr_workers : (ncores > 0 ? (unsigned)ncores : 1);
    pcfg.lang = cfg->ocr_lang;
    pcfg.timeout_ms = cfg->ocr_timeout_ms;
    pcfg.max_text = cfg->max_text;
    b->ocr = ocr_pool_new(&b->loop, &pcfg, err);
    if (b->ocr != NULL)
        log_info("OCR of images and scanned PDFs with %u worker(s)", pcfg.workers);
    return b->ocr;
}

/* ---- progress and the end ---------------------------------------------------- */

/* Documents written from extraction (not OCR results). */
static unsigned long extracted(const unsigned long *c)
{
    return c[INDEXER_C_INDEXED] + c[INDEXER_C_EMPTY] + c[INDEXER_C_NEEDS_OCR] +
           c[INDEXER_C_UNSUPPORTED] + c[INDEXER_C_FAILED];
}

static void progress(const struct batch *b, unsigned long done, int final)
{
    const struct indexer_stats *s = b->stats;
    double dt = now_s() - b->t0;
    double rate = dt > 0 ? (double)done / dt : 0.0;

    if (b->cfg->progress)
        fprintf(stderr,
                "\rindexing: %lu files written, %lu unchanged, %.1f MB of text, %.0f files/s%s",
                done, s->unchanged, (double)s->bytes / 1e6, rate, final ? "\n" : "   ");
    else if (!final)
        log_info("progress: %lu files written, %lu unchanged, %.1f MB of text, %.0f files/s", done,
                 s->unchanged, (double)s->bytes / 1e6, rate);
}

static void on_progress(uv_timer_t *t)
{
    struct batch *b = t->data;
    struct indexer_pipeline_stats ps;

    indexer_pipeline_stats(b->pl, &ps);
    b->stats->bytes = ps.text_bytes;
    progress(b, extracted(ps.sent), 0);
}

/* The documents of files that are gone from under the PATHs. */
static void remove_unseen(void *data, const struct indexer_file_info *fi)
{
    struct batch *b = data;

    if (fi->has_doc && fi->seen_gen != GEN && open_root_of(b, fi->path) != NULL)
        indexer_pipeline_remove(b->pl, fi->path, open_root_of(b, fi->path), "no longer in the archive");
}

/* The summary: every count is of committed operations. */
static void take_stats(struct batch *b, const struct indexer_pipeline_stats *ps)
{
    struct indexer_stats *s = b->stats;
    const unsigned long *c = ps->committed;

    s->indexed = c[INDEXER_C_INDEXED];
    s->empty = c[INDEXER_C_EMPTY];
    s->needs_ocr = c[INDEXER_C_NEEDS_OCR];
    s->unsupported = c[INDEXER_C_UNSUPPORTED];
    s->failed = c[INDEXER_C_FAILED];
    s->ocr_done = c[INDEXER_C_OCR_DONE];
    s->ocr_failed = c[INDEXER_C_OCR_FAILED];
    s->removed = c[INDEXER_C_DELETED];
    s->bytes = ps->text_bytes;
    uv_mutex_lock(&b->mu);
    s->problems = b->problems;
    uv_mutex_unlock(&b->mu);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_pipeline_stopped(void *data, int rc, const struct indexer_pipeline_stats *st)
{
    struct batch *b = data;

    b->pl = NULL;
    take_stats(b, st);
    if (rc < 0 && b->rc == 0) {
        b->rc = rc;
        vt_err_set(&b->err, rc, "the index cannot be written: %s", vt_strerror(rc));
    }
    scan_stop(b);
    ocr_pool_free(b->ocr); /* its handles close as the loop runs */
    b->ocr = NULL;
    uv_close((uv_handle_t *)&b->async, on_closed);
    uv_close((uv_handle_t *)&b->progress, on_closed);
    uv_close((uv_handle_t *)&b->finish, on_closed);
}

/* The walk is done and the pipeline idle, or the index failed: stop. */
static void on_finish(uv_timer_t *t)
{
    struct batch *b = t->data;

    if (b->finishing || (b->rc == 0 && !(b->walked && indexer_pipeline_idle(b->pl))))
        return;
    b->finishing = 1;
    if (b->rc == 0)
        indexer_pipeline_each(b->pl, remove_unseen, b);
    uv_timer_stop(&b->progress);
    indexer_pipeline_stop(b->pl, on_pipeline_stopped, b);
}

/* ---- the run ------------------------------------------------------------------- */

static int resolve_roots(struct batch *b, struct vt_err *err)
{
    const struct indexer_batch_config *cfg = b->cfg;

    b->roots = xcalloc(cfg->npaths ? cfg->npaths : 1, sizeof(*b->roots));
    b->open_roots = xcalloc(cfg->npaths ? cfg->npaths : 1, sizeof(*b->open_roots));
    for (size_t i = 0; i < cfg->npaths; i++) {
        struct vt_err e;
        struct stat rst;
        char *r = scan_root(cfg->paths[i], &e);
        char *open_root;

        if (r == NULL)
            return vt_err_set(err, e.code, "%s", e.msg);
        open_root = xstrdup(r);
        if (stat(r, &rst) == 0 && !S_ISDIR(rst.st_mode)) {
            /* A file argument is opened beneath its folder. */
            char *slash = strrchr(open_root, '/');
            if (slash != NULL)
                slash[slash == open_root ? 1 : 0] = '\0';
        }
        b->open_roots[b->nroots] = open_root;
        b->roots[b->nroots++] = r;
    }
    return ingest_check_roots((const char *const *)b->open_roots, b->nroots, err);
}

static int pipeline_start(struct batch *b, struct vt_err *err)
{
    const struct indexer_batch_config *cfg = b->cfg;
    struct indexer_pipeline_cbs cbs = {NULL, pl_again, pl_pause, pl_idle, NULL, pl_fatal, NULL};
    struct indexer_pipeline_config pc;
    struct indexer_pipeline_stats ps;
    long ncores = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    if (cfg->ocr_worker != NULL)
        cbs.ocr_open = pl_ocr_open;
    memset(&pc, 0, sizeof(pc));
    pc.data_dir = cfg->data_dir;
    pc.st = b->st;
    pc.queue_max = QUEUE_MAX;
    pc.max_inflight = cfg->threads ? cfg->threads : (ncores > 0 ? (unsigned)ncores : 1);
    /* Commit by size only: small batches index fastest (bench/RESULTS.md)
     * and keep each shard's uncommitted changes, held in memory, small. */
    pc.commit_bytes = cfg->batch_bytes;
    /* As much waiting for each shard's writer as it commits at once. */
    pc.queue_bytes = cfg->batch_bytes * storage_nshards(b->st);
    pc.max_text = cfg->max_text;
    pc.max_file_bytes = cfg->max_file_bytes;
    pc.ocr_lang = cfg->ocr_lang;
    pc.cbs = &cbs;
    pc.cb_data = b;
    if ((rc = indexer_pipeline_start(&b->loop, &pc, &b->pl, err)) < 0)
        return rc;
    indexer_pipeline_stats(b->pl, &ps);
    b->known_at_start = ps.known;
    return 0;
}

/* Run the loop until the pipeline has stopped and every handle closed. */
static int run_loop(struct batch *b, struct vt_err *err)
{
    int rc = uv_loop_init(&b->loop);

    if (rc < 0)
        return vt_err_set(err, rc, "cannot start the indexing loop: %s", uv_strerror(rc));
    if ((rc = pipeline_start(b, err)) == 0) {
        uv_async_init(&b->loop, &b->async, on_async);
        uv_timer_init(&b->loop, &b->progress);
        uv_timer_init(&b->loop, &b->finish);
        b->async.data = b->progress.data = b->finish.data = b;
        uv_timer_start(&b->progress, on_progress, b->cfg->progress ? 250 : 10000,
                       b->cfg->progress ? 250 : 10000);
        b->thread_started = uv_thread_create(&b->thread, scan_thread, b) == 0;
        if (!b->thread_started) {
            struct vt_err e;
            vt_err_set(&e, VT_EINTERNAL, "cannot start the scan thread");
            pl_fatal(b, &e);
        }
    }
    uv_run(&b->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&b->loop) != 0)
        log_warn("the indexing loop closed with handles still open");
    if (rc == 0 && b->rc < 0)
        rc = vt_err_set(err, b->rc, "%s", b->err.msg[0] ? b->err.msg : vt_strerror(b->rc));
    return rc;
}

struct compact_arg {
    struct storage *st;
    unsigned shard;
    int rc;
    struct vt_err err;
};

static void *compact_main(void *arg)
{
    struct compact_arg *ca = arg;

    ca->rc = storage_compact_shard(ca->st, ca->shard, &ca->err);
    return NULL;
}

/* A bulk build leaves half-full B-tree blocks; compacting the shards side
 * by side roughly halves the index. */
static int compact(struct batch *b, unsigned long written, struct vt_err *err)
{
    struct compact_arg args[STORAGE_MAX_SHARDS];
    pthread_t th[STORAGE_MAX_SHARDS];
    int started[STORAGE_MAX_SHARDS];
    unsigned n = storage_nshards(b->st);
    int rc = 0;

    log_info("compacting the index after %lu new documents", written);
    for (unsigned k = 0; k < n; k++) {
        args[k].st = b->st;
        args[k].shard = k;
        args[k].rc = 0;
        vt_err_clear(&args[k].err);
        started[k] = pthread_create(&th[k], NULL, compact_main, &args[k]) == 0;
        if (!started[k])
            compact_main(&args[k]);
    }
    for (unsigned k = 0; k < n; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        if (args[k].rc < 0 && rc == 0)
            rc = vt_err_set(err, args[k].rc, "%s", args[k].err.msg);
    }
    return rc;
}

static void batch_release(struct batch *b)
{
    storage_close(b->st);
    for (size_t i = 0; i < b->nroots; i++) {
        free(b->roots[i]);
        free(b->open_roots[i]);
    }
    free(b->roots);
    free(b->open_roots);
    uv_mutex_destroy(&b->mu);
    uv_cond_destroy(&b->space);
}

int indexer_batch_run(const struct indexer_batch_config *cfg, struct indexer_stats *stats,
                      struct vt_err *err)
{
    struct batch b;
    unsigned long written;
    int rc;

    memset(&b, 0, sizeof(b));
    memset(stats, 0, sizeof(*stats));
    b.cfg = cfg;
    b.stats = stats;
    b.t0 = now_s();
    uv_mutex_init(&b.mu);
    uv_cond_init(&b.space);
    vt_queue_init(&b.items);
    vt_err_clear(&b.err);
    if ((rc = resolve_roots(&b, err)) == 0 && (rc = storage_open(cfg->data_dir, 1, &b.st, err)) == 0)
        rc = run_loop(&b, err);
    written = stats->indexed + stats->empty + stats->needs_ocr + stats->unsupported +
              stats->failed;
    if (rc == 0 && (cfg->compact == 1 ||
                    (cfg->compact < 0 && written >= 1000 && written > b.known_at_start)))
        rc = compact(&b, written, err);
    stats->seconds = now_s() - b.t0;
    if (cfg->progress && (written > 0 || stats->unchanged > 0))
        progress(&b, written, 1);
    batch_release(&b);
    return rc;
}
