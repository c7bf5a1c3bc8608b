/* The long-running indexer (see service.h): the watcher's glue to the
 * pipeline (pipeline.c, which holds the known-files map, the queues, OCR
 * and the writers).
 *
 * Watcher events become offers: a settled file is offered to the pipeline
 * (which skips it when it is indexed as it is), a scan's files are
 * compared with the known-files map before they are settled at all, and
 * an event for a path stops any read of it (indexer_pipeline_cancel), so
 * the job hands it back to settle again.  The pipeline's backpressure
 * pauses the watcher.
 *
 * Deletions wait: a vanished file is "doomed" (struct doomed) for
 * move_grace_ms and removed only once the pipeline is idle and the
 * watcher has nothing pending (or a minute later at the latest), so that
 * the new location of a moved file, arriving as a create, can still find
 * the old document's text by sha256.  A file that reappears is spared.  A
 * name that stops being a regular file (a symlink, fifo, device or folder
 * took it) is no move: its document goes at once.  A full reconcile scan
 * that ends complete dooms every indexed file it did not meet.
 *
 * Stop order: the watcher first (no event arrives after that), then the
 * pipeline (queue dropped, reads cancelled, OCR given its grace, commit,
 * writers joined); once both are done, the service's own timer closes and
 * the service is freed. */
#include "config.h"

#include "indexer/service.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/map.h"
#include "common/queue.h"
#include "common/xalloc.h"
#include "indexer/ingest.h"
#include "indexer/pipeline.h"
#include "indexer/scan.h"
#include "indexer/watch.h"
#include "storage/storage.h"

#define TICK_MS 200
#define PROGRESS_EVERY_MS 10000
#define DOOM_MAX_WAIT_MS 60000

/* A known file that vanished, waiting for its grace to pass. */
struct doomed {
    struct vt_map_node node;
    struct vt_queue link;
    char *path;
    uint64_t due;
};

struct indexer_service {
    uv_loop_t *loop;
    struct indexer_service_config cfg;
    char *data_dir, *ocr_lang;
    char **roots;
    size_t nroots;
    struct storage *st;
    struct indexer_pipeline *pl;
    struct indexer_watch *watch;
    struct vt_map doomed;  /* path -> struct doomed */
    struct vt_queue dlist; /* the same, oldest first */
    uv_timer_t tick;
    unsigned scan_gen;
    int scanning_full;
    int stopping;
    unsigned pending; /* the watcher and the pipeline, while stopping */
    int rc;
    void (*done)(void *data, int rc);
    void *done_data;
    uint64_t last_progress;
    unsigned long progress_base;
};

/* The archive folder path lies in (the first that holds it), or NULL. */
static const char *root_of(const struct indexer_service *s, const char *path)
{
    for (size_t i = 0; i < s->nroots; i++)
        if (scan_under(path, s->roots[i]))
            return s->roots[i];
    return NULL;
}

/* ---- deletions ------------------------------------------------------------ */

static struct doomed *doomed_get(const struct indexer_service *s, const char *path)
{
    struct vt_map_node *n = vt_map_get(&s->doomed, path);

    return n ? vt_map_entry(n, struct doomed, node) : NULL;
}

static void doomed_free(struct indexer_service *s, struct doomed *d)
{
    vt_map_del(&s->doomed, &d->node);
    vt_queue_remove(&d->link);
    free(d->path);
    free(d);
}

/* path vanished: its document goes after the grace a move gets. */
static void doom(struct indexer_service *s, const char *path)
{
    struct indexer_file_info fi;
    struct doomed *d;

    if (!indexer_pipeline_file(s->pl, path, &fi))
        return;
    if (fi.busy) {
        indexer_pipeline_revisit(s->pl, path); /* its job will find it gone */
        return;
    }
    if (!fi.has_doc) {
        indexer_pipeline_remove(s->pl, path, NULL, NULL); /* nothing to delete: forgotten */
        return;
    }
    if (doomed_get(s, path) != NULL)
        return;
    d = xcalloc(1, sizeof(*d));
    d->path = xstrdup(path);
    d->due = uv_now(s->loop) + s->cfg.move_grace_ms;
    vt_map_put(&s->doomed, &d->node, d->path);
    vt_queue_push(&s->dlist, &d->link);
}

/* path is there after all (or its document went another way). */
static void spare(struct indexer_service *s, const char *path)
{
    struct doomed *d = doomed_get(s, path);

    if (d != NULL)
        doomed_free(s, d);
}

/* Nothing in the pipeline or waiting to settle: a moved file would have
 * arrived by now. */
static int all_idle(const struct indexer_service *s)
{
    struct indexer_watch_stats ws;

    if (!indexer_pipeline_idle(s->pl))
        return 0;
    if (s->watch == NULL)
        return 1;
    indexer_watch_stats(s->watch, &ws);
    return ws.pending == 0 && !ws.scanning;
}

static void reap_doomed(struct indexer_service *s)
{
    uint64_t now = uv_now(s->loop);
    int idle = all_idle(s);
    struct vt_queue *e, *next;

    for (e = s->dlist.next; e != &s->dlist; e = next) {
        struct doomed *d = vt_queue_entry(e, struct doomed, link);
        struct indexer_file_info fi;

        next = e->next;
        if (!indexer_pipeline_file(s->pl, d->path, &fi) || !fi.has_doc) {
            doomed_free(s, d); /* its name was taken by a symlink and the like */
        } else if (!fi.busy && now >= d->due && (idle || now >= d->due + DOOM_MAX_WAIT_MS)) {
            indexer_pipeline_remove(s->pl, d->path, root_of(s, d->path), "no longer in the archive");
            doomed_free(s, d);
        }
    }
}

/* ---- pipeline callbacks ------------------------------------------------------- */

static void pl_gone(void *data, const char *path)
{
    doom(data, path);
}

static void pl_again(void *data, const char *path, unsigned tries)
{
    struct indexer_service *s = data;

    (void)tries; /* the watcher settles it again, however often */
    if (s->watch != NULL && !s->stopping)
        indexer_watch_touch(s->watch, path);
}

static void pl_pause(void *data, int paused)
{
    struct indexer_service *s = data;

    if (s->watch != NULL)
        indexer_watch_set_paused(s->watch, paused);
}

static void pl_committed(void *data)
{
    struct indexer_service *s = data;

    if (s->cfg.committed)
        s->cfg.committed(s->cfg.cb_data);
}

static void pl_fatal(void *data, const struct vt_err *err)
{
    struct indexer_service *s = data;

    if (s->cfg.fatal)
        s->cfg.fatal(s->cfg.cb_data, err);
}

/* ---- watcher callbacks ------------------------------------------------------- */

static void on_ready(void *data, const char *path, const struct stat *st)
{
    struct indexer_service *s = data;

    if (s->stopping)
        return;
    spare(s, path);
    indexer_pipeline_offer(s->pl, path, root_of(s, path), st,
                           s->scanning_full ? s->scan_gen : 0);
}

struct under {
    struct indexer_service *s;
    const char *dir;
};

static void doom_under(void *data, const struct indexer_file_info *fi)
{
    const struct under *u = data;

    if (scan_under(fi->path, u->dir))
        doom(u->s, fi->path);
}

static void on_gone(void *data, const char *path, int was_dir)
{
    struct indexer_service *s = data;
    struct under u = {s, path};

    indexer_pipeline_cancel(s->pl, path);
    doom(s, path);
    if (was_dir)
        indexer_pipeline_each(s->pl, doom_under, &u);
}

static void on_not_regular(void *data, const char *path, const struct stat *st)
{
    struct indexer_service *s = data;
    struct indexer_file_info fi;

    if (s->stopping || !indexer_pipeline_file(s->pl, path, &fi))
        return;
    indexer_pipeline_cancel(s->pl, path);
    spare(s, path);
    indexer_pipeline_remove(s->pl, path, root_of(s, path),
                            S_ISLNK(st->st_mode)    ? "it is now a symlink"
                            : S_ISDIR(st->st_mode)  ? "it is now a folder"
                            : S_ISFIFO(st->st_mode) ? "it is now a fifo"
                                                    : "it is no longer a regular file");
}

static void on_changed(void *data, const char *path)
{
    struct indexer_service *s = data;

    indexer_pipeline_cancel(s->pl, path);
}

static void on_scan_start(void *data, unsigned gen, int full)
{
    struct indexer_service *s = data;

    if (full) {
        s->scan_gen = gen;
        s->scanning_full = 1;
    }
}

static int on_scanned(void *data, unsigned gen, const char *path, const struct stat *st)
{
    struct indexer_service *s = data;

    spare(s, path);
    return indexer_pipeline_scanned(s->pl, path, st, gen);
}

struct unseen {
    struct indexer_service *s;
    unsigned gen;
    size_t n;
};

static void doom_unseen(void *data, const struct indexer_file_info *fi)
{
    struct unseen *u = data;

    if (fi->has_doc && fi->seen_gen != u->gen && !fi->busy && doomed_get(u->s, fi->path) == NULL &&
        root_of(u->s, fi->path) != NULL) {
        doom(u->s, fi->path);
        u->n++;
    }
}

static void on_scan_done(void *data, unsigned gen, int full, int complete)
{
    struct indexer_service *s = data;
    struct unseen u = {s, gen, 0};

    if (!full)
        return;
    s->scanning_full = 0;
    if (!complete)
        return;
    /* Indexed files the walk did not meet are gone (or moved). */
    indexer_pipeline_each(s->pl, doom_unseen, &u);
    if (u.n > 0)
        log_info("reconcile: %zu indexed files are no longer in the archive", u.n);
}

/* ---- the timer ------------------------------------------------------------------ */

static void log_progress(struct indexer_service *s, uint64_t now)
{
    struct indexer_service_stats st;
    unsigned long done;

    indexer_service_stats(s, &st);
    done = st.indexed + st.failed;
    if (done != s->progress_base || st.queued > 0)
        log_info("progress: indexed %lu, failed %lu, removed %lu, queued %zu, ocr %zu, "
                 "%.0f files/s",
                 st.indexed, st.failed, st.deleted, st.queued, st.ocr_pending,
                 (double)(done - s->progress_base) * 1000.0 / (double)(now - s->last_progress));
    s->progress_base = done;
    s->last_progress = now;
}

static void on_tick(uv_timer_t *t)
{
    struct indexer_service *s = t->data;
    uint64_t now = uv_now(s->loop);

    if (s->stopping)
        return;
    if (s->doomed.n > 0)
        reap_doomed(s);
    if (now - s->last_progress >= PROGRESS_EVERY_MS)
        log_progress(s, now);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

/* The service's own defaults; the pipeline has those of the rest (0 is
 * no commit limit to it). */
static void apply_defaults(struct indexer_service_config *c)
{
    if (c->commit_docs == 0)
        c->commit_docs = 200;
    if (c->commit_ms == 0)
        c->commit_ms = 1000;
    if (c->move_grace_ms == 0)
        c->move_grace_ms = 2 * c->settle_ms + 1000;
}

static struct indexer_service *service_new(uv_loop_t *loop,
                                           const struct indexer_service_config *cfg)
{
    struct indexer_service *s = xcalloc(1, sizeof(*s));

    s->loop = loop;
    s->cfg = *cfg;
    apply_defaults(&s->cfg);
    s->data_dir = xstrdup(cfg->data_dir);
    s->cfg.data_dir = s->data_dir;
    s->ocr_lang = cfg->ocr_lang ? xstrdup(cfg->ocr_lang) : NULL;
    s->cfg.ocr_lang = s->ocr_lang;
    s->roots = xstrv_dup(cfg->roots, cfg->nroots);
    s->nroots = cfg->nroots;
    s->cfg.roots = s->roots;
    s->cfg.ignore = NULL; /* the watcher keeps its own copy */
    vt_map_init(&s->doomed);
    vt_queue_init(&s->dlist);
    return s;
}

static void service_free(struct indexer_service *s)
{
    struct vt_queue *e;

    while ((e = vt_queue_head(&s->dlist)) != NULL)
        doomed_free(s, vt_queue_entry(e, struct doomed, link));
    vt_map_release(&s->doomed);
    storage_close(s->st); /* the writers committed */
    xstrv_free(s->roots, s->nroots);
    free(s->data_dir);
    free(s->ocr_lang);
    free(s);
}

static int pipeline_start(struct indexer_service *s, struct vt_err *err)
{
    static const struct indexer_pipeline_cbs cbs = {pl_gone,      pl_again, pl_pause, NULL,
                                                    pl_committed, pl_fatal, NULL};
    struct indexer_pipeline_config pc;

    memset(&pc, 0, sizeof(pc));
    pc.data_dir = s->data_dir;
    pc.st = s->st;
    pc.queue_max = s->cfg.queue_max;
    pc.max_inflight = s->cfg.max_inflight;
    pc.commit_docs = s->cfg.commit_docs;
    pc.commit_ms = s->cfg.commit_ms;
    pc.max_text = s->cfg.max_text;
    pc.max_file_bytes = s->cfg.max_file_bytes;
    pc.ocr = s->cfg.ocr;
    pc.ocr_lang = s->ocr_lang;
    pc.stop_grace_ms = s->cfg.stop_grace_ms;
    pc.log_indexed = 1;
    pc.cbs = &cbs;
    pc.cb_data = s;
    return indexer_pipeline_start(s->loop, &pc, &s->pl, err);
}

static int watch_start(struct indexer_service *s, const struct indexer_service_config *cfg,
                       struct vt_err *err)
{
    static const struct indexer_watch_cbs cbs = {on_ready,     on_gone,        on_scan_start,
                                                 on_scanned,   on_scan_done,   on_not_regular,
                                                 on_changed};
    struct indexer_watch_config wc;
    char *exclude[1];
    int rc;

    memset(&wc, 0, sizeof(wc));
    wc.roots = s->roots;
    wc.nroots = s->nroots;
    wc.ignore = cfg->ignore;
    wc.nignore = cfg->nignore;
    exclude[0] = realpath(s->data_dir, NULL);
    wc.exclude = exclude;
    wc.nexclude = exclude[0] ? 1 : 0;
    wc.settle_ms = cfg->settle_ms;
    wc.reconcile_s = cfg->reconcile_s;
    wc.max_pending = cfg->max_pending;
    wc.no_watch = cfg->no_watch;
    rc = indexer_watch_start(s->loop, &wc, &cbs, s, &s->watch, err);
    free(exclude[0]);
    return rc;
}

int indexer_service_start(uv_loop_t *loop, const struct indexer_service_config *cfg,
                          struct indexer_service **out, struct vt_err *err)
{
    struct indexer_service *s = service_new(loop, cfg);
    struct indexer_pipeline_stats ps;
    int rc;

    *out = NULL;
    if ((rc = ingest_check_roots((const char *const *)s->roots, s->nroots, err)) < 0 ||
        (rc = storage_open(s->data_dir, 1, &s->st, err)) < 0 ||
        (rc = pipeline_start(s, err)) < 0) {
        service_free(s);
        return rc;
    }
    indexer_pipeline_stats(s->pl, &ps);
    log_info("index '%s': %zu files known", s->data_dir, ps.known);
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    s->last_progress = uv_now(loop);
    uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
    if ((rc = watch_start(s, cfg, err)) < 0) {
        /* Handles exist: finish through the normal stop path. */
        indexer_service_stop(s, NULL, NULL);
        return rc;
    }
    *out = s;
    return 0;
}

void indexer_service_reconfigure(struct indexer_service *s, const struct indexer_service_config *cfg)
{
    struct indexer_service_config c = *cfg;

    apply_defaults(&c);
    s->cfg.settle_ms = c.settle_ms;
    s->cfg.reconcile_s = c.reconcile_s;
    s->cfg.queue_max = c.queue_max;
    s->cfg.commit_docs = c.commit_docs;
    s->cfg.commit_ms = c.commit_ms;
    s->cfg.move_grace_ms = c.move_grace_ms;
    if (s->watch)
        indexer_watch_reconfigure(s->watch, c.settle_ms, c.reconcile_s, cfg->ignore, cfg->nignore);
    indexer_pipeline_reconfigure(s->pl, c.queue_max, c.commit_docs, c.commit_ms);
}

int indexer_service_recheck(struct indexer_service *s, const char *path)
{
    if (s->stopping || s->watch == NULL)
        return UV_ECANCELED;
    if (path[0] != '/' || root_of(s, path) == NULL || indexer_watch_ignored(s->watch, path))
        return VT_EBADINPUT;
    indexer_pipeline_force(s->pl, path);
    log_debug("'%s': checking it again on request", path);
    indexer_watch_touch(s->watch, path);
    return 0;
}

void indexer_service_stats(const struct indexer_service *s, struct indexer_service_stats *st)
{
    struct indexer_watch_stats ws;
    struct indexer_pipeline_stats ps;
    const unsigned long *c = ps.committed;

    memset(&ws, 0, sizeof(ws));
    memset(st, 0, sizeof(*st));
    if (s->watch)
        indexer_watch_stats(s->watch, &ws);
    indexer_pipeline_stats(s->pl, &ps);
    st->indexed = c[INDEXER_C_INDEXED] + c[INDEXER_C_EMPTY] + c[INDEXER_C_NEEDS_OCR] +
                  c[INDEXER_C_OCR_DONE];
    st->failed = c[INDEXER_C_FAILED] + c[INDEXER_C_UNSUPPORTED] + c[INDEXER_C_OCR_FAILED];
    st->deleted = c[INDEXER_C_DELETED];
    st->unchanged = ps.unchanged;
    st->ocr_jobs = ps.ocr_jobs;
    st->ocr_done = ps.ocr_done;
    st->reused = ps.reused;
    st->settling = ws.pending;
    st->watches = ws.watches;
    st->scanning = ws.scanning;
    st->running = ps.running;
    st->ocr_pending = ps.ocr_pending;
    st->queued = ps.queued + ws.pending + ps.ocr_pending;
    st->known = ps.known;
}

static void on_tick_closed(uv_handle_t *h)
{
    struct indexer_service *s = h->data;
    void (*done)(void *, int) = s->done;
    void *data = s->done_data;
    int rc = s->rc;

    service_free(s);
    log_info("indexer stopped");
    if (done)
        done(data, rc);
}

static void part_stopped(struct indexer_service *s)
{
    if (--s->pending == 0)
        uv_close((uv_handle_t *)&s->tick, on_tick_closed);
}

static void on_watch_stopped(void *data)
{
    part_stopped(data);
}

static void on_pipeline_stopped(void *data, int rc, const struct indexer_pipeline_stats *st)
{
    struct indexer_service *s = data;

    (void)st;
    s->rc = rc;
    part_stopped(s);
}

void indexer_service_stop(struct indexer_service *s, void (*done)(void *data, int rc), void *data)
{
    struct indexer_service_stats st;

    if (s->stopping)
        return;
    indexer_service_stats(s, &st);
    s->stopping = 1;
    s->done = done;
    s->done_data = data;
    log_info("indexer stopping: %zu queued files left for the next start, %zu jobs running, "
             "%zu OCR jobs",
             st.queued - st.ocr_pending - st.settling, st.running, st.ocr_pending);
    uv_timer_stop(&s->tick);
    /* Stop intake: the watcher, then the pipeline. */
    s->pending = 1;
    if (s->watch != NULL) {
        s->pending++;
        indexer_watch_stop(s->watch, on_watch_stopped, s);
        s->watch = NULL;
    }
    indexer_pipeline_stop(s->pl, on_pipeline_stopped, s);
}
