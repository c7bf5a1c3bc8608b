/* The index writers (see writer.h).
 *
 * Each shard has a thread and a FIFO of operations under its mutex; the
 * thread takes the whole FIFO at once, applies it outside the lock, and
 * decides whether a commit is due.  It waits on a condition variable on
 * CLOCK_MONOTONIC, with a deadline while changes are uncommitted, so a
 * commit_ms commit comes on time even when nothing else arrives.
 *
 * Reports go to one FIFO shared by the shards (under done_mu), signalled
 * with uv_async_send.  The loop side keeps, per shard, how many operations
 * it sent, how many were applied, and how many were applied before the
 * last commit: operation n of shard k is searchable once committed >= n,
 * because a shard applies its operations in order. */
#include "config.h"

#include "indexer/writer.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/queue.h"
#include "common/xalloc.h"

struct wop {
    struct vt_queue link;
    struct storage_doc *doc; /* NULL: delete id */
    char id[STORAGE_ID_LEN + 1];
    unsigned cls;
    size_t bytes;
};

struct wdone {
    struct vt_queue link;
    unsigned shard;
    unsigned long counts[INDEXER_WRITER_CLASSES];
    unsigned long applied;
    size_t applied_bytes;
    int committed, fatal, final;
    struct vt_err err;
};

struct shard {
    struct indexer_writer *w;
    unsigned k;
    pthread_t th;
    int started;
    /* Shared with the thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct vt_queue ops;
    int stop;
    unsigned commit_docs, commit_ms;
    size_t commit_bytes;
    /* The loop's. */
    unsigned long long sent, applied, committed;
    int ended;
};

/* The thread's own state between rounds. */
struct wstate {
    unsigned long counts[INDEXER_WRITER_CLASSES];
    unsigned long uncommitted;
    size_t uncommitted_bytes;
    uint64_t first; /* when the oldest uncommitted operation was applied */
    int fatal;
    struct vt_err err;
};

struct indexer_writer {
    uv_loop_t *loop;
    struct storage *st;
    indexer_writer_report_cb report;
    void *data;
    struct shard sh[STORAGE_MAX_SHARDS];
    unsigned n;
    pthread_mutex_t done_mu;
    struct vt_queue dones;
    uv_async_t async;
    size_t queued, queued_bytes;
    unsigned ended;
    int stopping, closing;
    void (*done)(void *data);
    void *done_data;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the shard thread ------------------------------------------------- */

/* With sh->mu held: wait until there is work, a stop, or a commit is due
 * by time. */
static void wait_for_work(struct shard *sh, const struct wstate *ws)
{
    while (vt_queue_empty(&sh->ops) && !sh->stop) {
        uint64_t deadline, now;
        struct timespec ts;

        if (ws->uncommitted == 0 || sh->commit_ms == 0) {
            pthread_cond_wait(&sh->cond, &sh->mu);
            continue;
        }
        deadline = ws->first + sh->commit_ms;
        now = mono_ms();
        if (now >= deadline)
            return;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)((deadline - now) / 1000);
        ts.tv_nsec += (long)((deadline - now) % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sh->cond, &sh->mu, &ts);
    }
}

/* Apply every operation of ops (and free them); after a fatal error they
 * are only counted as applied. */
static void apply_ops(struct shard *sh, struct vt_queue *ops, struct wstate *ws,
                      struct wdone *d)
{
    struct vt_queue *e;

    while ((e = vt_queue_pop(ops)) != NULL) {
        struct wop *op = vt_queue_entry(e, struct wop, link);

        if (!ws->fatal) {
            int rc = op->doc ? storage_put(sh->w->st, op->doc, &ws->err)
                             : storage_delete(sh->w->st, op->id, &ws->err);
            if (rc < 0) {
                ws->fatal = 1;
            } else {
                if (ws->uncommitted++ == 0)
                    ws->first = mono_ms();
                ws->uncommitted_bytes += op->bytes;
                ws->counts[op->cls]++;
            }
        }
        d->applied++;
        d->applied_bytes += op->bytes;
        storage_doc_free(op->doc);
        free(op);
    }
}

static int commit_due(const struct shard *sh, const struct wstate *ws, int stop)
{
    if (ws->uncommitted == 0 || ws->fatal)
        return 0;
    return stop || (sh->commit_docs > 0 && ws->uncommitted >= sh->commit_docs) ||
           (sh->commit_bytes > 0 && ws->uncommitted_bytes >= sh->commit_bytes) ||
           (sh->commit_ms > 0 && mono_ms() >= ws->first + sh->commit_ms);
}

static void push_done(struct indexer_writer *w, struct wdone *d)
{
    pthread_mutex_lock(&w->done_mu);
    vt_queue_push(&w->dones, &d->link);
    pthread_mutex_unlock(&w->done_mu);
    uv_async_send(&w->async);
}

static void *shard_main(void *arg)
{
    struct shard *sh = arg;
    struct wstate ws;
    int final = 0;

    memset(&ws, 0, sizeof(ws));
    while (!final) {
        struct vt_queue ops;
        struct wdone *d = xcalloc(1, sizeof(*d));
        int stop, due;

        vt_queue_init(&ops);
        pthread_mutex_lock(&sh->mu);
        wait_for_work(sh, &ws);
        vt_queue_move(&sh->ops, &ops);
        stop = sh->stop;
        pthread_mutex_unlock(&sh->mu);

        d->shard = sh->k;
        apply_ops(sh, &ops, &ws, d);
        due = commit_due(sh, &ws, stop);
        if (due && storage_commit_shard(sh->w->st, sh->k, &ws.err) < 0)
            ws.fatal = 1;
        if (due && !ws.fatal) {
            memcpy(d->counts, ws.counts, sizeof(d->counts));
            memset(ws.counts, 0, sizeof(ws.counts));
            d->committed = 1;
            ws.uncommitted = 0;
            ws.uncommitted_bytes = 0;
        }
        if (stop) {
            /* Operations sent while this round ran come first. */
            pthread_mutex_lock(&sh->mu);
            final = vt_queue_empty(&sh->ops);
            pthread_mutex_unlock(&sh->mu);
        }
        d->fatal = ws.fatal;
        d->err = ws.err;
        d->final = final;
        if (d->applied > 0 || d->committed || d->fatal || d->final)
            push_done(sh->w, d);
        else
            free(d);
    }
    return NULL;
}

/* ---- the loop side ---------------------------------------------------- */

static void writer_finish(struct indexer_writer *w);

/* Fold d into the loop's counters and the report r. */
static void take_done(struct indexer_writer *w, const struct wdone *d,
                      struct indexer_writer_report *r)
{
    struct shard *sh = &w->sh[d->shard];

    w->queued -= d->applied;
    w->queued_bytes -= d->applied_bytes;
    sh->applied += d->applied;
    /* A commit covers every operation its writer applied before it. */
    if (d->committed)
        sh->committed = sh->applied;
    for (unsigned c = 0; c < INDEXER_WRITER_CLASSES; c++)
        r->counts[c] += d->counts[c];
    r->applied += d->applied;
    r->committed |= d->committed;
    if (d->fatal && !r->fatal) {
        r->fatal = 1;
        r->err = d->err;
    }
    if (d->final && !sh->ended) {
        sh->ended = 1;
        w->ended++;
    }
}

static void on_async(uv_async_t *a)
{
    struct indexer_writer *w = a->data;
    struct indexer_writer_report r;
    struct vt_queue list, *e;
    int any = 0;

    memset(&r, 0, sizeof(r));
    vt_queue_init(&list);
    pthread_mutex_lock(&w->done_mu);
    vt_queue_move(&w->dones, &list);
    pthread_mutex_unlock(&w->done_mu);
    while ((e = vt_queue_pop(&list)) != NULL) {
        struct wdone *d = vt_queue_entry(e, struct wdone, link);
        take_done(w, d, &r);
        free(d);
        any = 1;
    }
    if (any && w->report)
        w->report(w->data, &r);
    if (w->stopping && w->ended == w->n)
        writer_finish(w);
}

static unsigned long long send_op(struct indexer_writer *w, struct wop *op, unsigned k,
                                  unsigned *shard)
{
    struct shard *sh = &w->sh[k];

    if (w->stopping)
        VT_BUG("an index operation after the writers stopped");
    /* Counted before the hand-over: op is the thread's once pushed. */
    w->queued++;
    w->queued_bytes += op->bytes;
    pthread_mutex_lock(&sh->mu);
    vt_queue_push(&sh->ops, &op->link);
    pthread_cond_signal(&sh->cond);
    pthread_mutex_unlock(&sh->mu);
    if (shard)
        *shard = k;
    return ++sh->sent;
}

unsigned long long indexer_writer_put_take(struct indexer_writer *w, struct storage_doc *doc,
                                           unsigned cls, unsigned *shard)
{
    struct wop *op = xcalloc(1, sizeof(*op));

    op->doc = doc;
    op->cls = cls < INDEXER_WRITER_CLASSES ? cls : 0;
    op->bytes = storage_doc_size(doc);
    return send_op(w, op, storage_doc_shard(w->st, doc), shard);
}

unsigned long long indexer_writer_delete(struct indexer_writer *w, const char *id, unsigned cls,
                                         unsigned *shard)
{
    struct wop *op = xcalloc(1, sizeof(*op));

    snprintf(op->id, sizeof(op->id), "%s", id);
    op->cls = cls < INDEXER_WRITER_CLASSES ? cls : 0;
    return send_op(w, op, storage_id_shard(w->st, id), shard);
}

int indexer_writer_committed(const struct indexer_writer *w, unsigned shard,
                             unsigned long long seq)
{
    return shard < w->n && w->sh[shard].committed >= seq;
}

size_t indexer_writer_queued(const struct indexer_writer *w)
{
    return w->queued;
}

size_t indexer_writer_queued_bytes(const struct indexer_writer *w)
{
    return w->queued_bytes;
}

void indexer_writer_reconfigure(struct indexer_writer *w, unsigned commit_docs, unsigned commit_ms,
                                size_t commit_bytes)
{
    for (unsigned k = 0; k < w->n; k++) {
        struct shard *sh = &w->sh[k];
        pthread_mutex_lock(&sh->mu);
        sh->commit_docs = commit_docs;
        sh->commit_ms = commit_ms;
        sh->commit_bytes = commit_bytes;
        pthread_cond_signal(&sh->cond);
        pthread_mutex_unlock(&sh->mu);
    }
}

static void shard_init(struct indexer_writer *w, unsigned k, const struct indexer_writer_config *cfg)
{
    struct shard *sh = &w->sh[k];
    pthread_condattr_t ca;

    sh->w = w;
    sh->k = k;
    sh->commit_docs = cfg->commit_docs;
    sh->commit_ms = cfg->commit_ms;
    sh->commit_bytes = cfg->commit_bytes;
    vt_queue_init(&sh->ops);
    pthread_mutex_init(&sh->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sh->cond, &ca);
    pthread_condattr_destroy(&ca);
}

int indexer_writer_start(uv_loop_t *loop, const struct indexer_writer_config *cfg,
                         struct indexer_writer **out, struct vt_err *err)
{
    struct indexer_writer *w = xcalloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    w->loop = loop;
    w->st = cfg->st;
    w->report = cfg->report;
    w->data = cfg->data;
    w->n = storage_nshards(cfg->st);
    vt_queue_init(&w->dones);
    if ((rc = uv_async_init(loop, &w->async, on_async)) < 0) {
        free(w);
        return vt_err_set(err, rc, "cannot start the index writers: %s", uv_strerror(rc));
    }
    w->async.data = w;
    pthread_mutex_init(&w->done_mu, NULL);
    for (unsigned k = 0; k < w->n; k++)
        shard_init(w, k, cfg);
    for (unsigned k = 0; k < w->n; k++) {
        if (pthread_create(&w->sh[k].th, NULL, shard_main, &w->sh[k]) != 0) {
            /* The started ones end through the normal stop, as the loop
             * runs; so does the async handle. */
            indexer_writer_stop(w, NULL, NULL);
            return vt_err_set(err, VT_EINTERNAL, "cannot start the index writer threads");
        }
        w->sh[k].started = 1;
    }
    *out = w;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    struct indexer_writer *w = h->data;
    void (*done)(void *) = w->done;
    void *data = w->done_data;
    struct vt_queue *e;

    for (unsigned k = 0; k < w->n; k++) {
        struct shard *sh = &w->sh[k];
        while ((e = vt_queue_pop(&sh->ops)) != NULL) {
            struct wop *op = vt_queue_entry(e, struct wop, link);
            storage_doc_free(op->doc);
            free(op);
        }
        pthread_mutex_destroy(&sh->mu);
        pthread_cond_destroy(&sh->cond);
    }
    while ((e = vt_queue_pop(&w->dones)) != NULL)
        free(vt_queue_entry(e, struct wdone, link));
    pthread_mutex_destroy(&w->done_mu);
    free(w);
    if (done)
        done(data);
}

/* Every thread has reported its end: join (at once) and close. */
static void writer_finish(struct indexer_writer *w)
{
    if (w->closing)
        return;
    w->closing = 1;
    for (unsigned k = 0; k < w->n; k++)
        if (w->sh[k].started) {
            pthread_join(w->sh[k].th, NULL);
            w->sh[k].started = 0;
        }
    uv_close((uv_handle_t *)&w->async, on_closed);
}

void indexer_writer_stop(struct indexer_writer *w, void (*done)(void *data), void *data)
{
    if (w->stopping)
        return;
    w->stopping = 1;
    w->done = done;
    w->done_data = data;
    for (unsigned k = 0; k < w->n; k++) {
        struct shard *sh = &w->sh[k];
        if (!sh->started) {
            sh->ended = 1; /* never ran */
            w->ended++;
            continue;
        }
        pthread_mutex_lock(&sh->mu);
        sh->stop = 1;
        pthread_cond_signal(&sh->cond);
        pthread_mutex_unlock(&sh->mu);
    }
    if (w->ended == w->n)
        writer_finish(w);
}
