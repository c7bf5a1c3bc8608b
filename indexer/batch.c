/* The one-shot indexer (see batch.h).
 *
 * Threads and queues:
 *   walker thread  -- jobs (bounded) -->  N extract threads
 *   N extract threads -- built documents (bounded by bytes) -->  one writer per shard
 * The index is split in shards (storage.h); each shard has one writer
 * thread, the only one that touches that shard's writable database.
 * Both queues block producers when full, which is the backpressure that
 * keeps memory flat however large the tree is. */
#include "config.h"

#include "indexer/batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"
#include "common/xalloc.h"
#include "indexer/ingest.h"
#include "ocr/pool.h"
#include "indexer/scan.h"
#include "storage/storage.h"

#define JOB_QUEUE_MAX 256
#define KNOWN_BUCKETS_MIN 1024

/* ---- what the index already holds --------------------------------------- */

struct known {
    char *path;
    char id[STORAGE_ID_LEN + 1];
    long long size, mtime_ns;
    int seen;
    struct known *next;
};

struct known_map {
    struct known **b;
    size_t nb, n;
};

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static struct known *known_get(struct known_map *m, const char *path)
{
    if (m->nb == 0)
        return NULL;
    for (struct known *k = m->b[hash_str(path) % m->nb]; k; k = k->next)
        if (strcmp(k->path, path) == 0)
            return k;
    return NULL;
}

static void known_add(struct known_map *m, const struct storage_file *f)
{
    struct known *k;
    size_t h;

    if (m->n + 1 > m->nb) {
        size_t nb = m->nb ? m->nb * 2 : KNOWN_BUCKETS_MIN;
        struct known **b = xcalloc(nb, sizeof(*b));
        for (size_t i = 0; i < m->nb; i++)
            for (struct known *e = m->b[i], *next; e; e = next) {
                next = e->next;
                h = hash_str(e->path) % nb;
                e->next = b[h];
                b[h] = e;
            }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    k = xcalloc(1, sizeof(*k));
    k->path = xstrdup(f->path);
    storage_id_of(f->path, k->id);
    k->size = f->size;
    k->mtime_ns = f->mtime_ns;
    h = hash_str(k->path) % m->nb;
    k->next = m->b[h];
    m->b[h] = k;
    m->n++;
}

static void known_release(struct known_map *m)
{
    for (size_t i = 0; i < m->nb; i++)
        for (struct known *e = m->b[i], *next; e; e = next) {
            next = e->next;
            free(e->path);
            free(e);
        }
    free(m->b);
}

static int load_known_cb(void *data, const struct storage_file *f)
{
    known_add(data, f);
    return 0;
}

/* ---- queues ------------------------------------------------------------------ */

struct job {
    char *path;
    struct stat st;
    size_t root; /* index in roots / open_roots */
    struct job *next;
};

struct done {
    struct storage_doc *doc;
    struct ingest_outcome outcome;
    char *path;
    const char *root;
    struct stat st;
    size_t bytes;
    struct done *next;
};

/* A file whose text must come from OCR, kept until the OCR stage. */
struct ocr_item {
    char *path;
    const char *root; /* borrowed from the batch's open_roots */
    struct stat st;
    char sha256[65];
    char mime[128];
    struct ocr_stage *stage;
    struct ocr_item *next;
};

struct batch {
    const struct indexer_batch_config *cfg;
    pthread_mutex_t mu;
    pthread_cond_t job_ready, job_space, done_ready, done_space;
    struct job *jobs, *jobs_tail;
    size_t njobs;
    int walk_finished;
    struct shardq {
        struct done *head, *tail;
        size_t bytes;
        pthread_cond_t ready, space;
    } q[STORAGE_MAX_SHARDS];
    unsigned nshards;
    unsigned workers_running;
    int fatal;
    struct vt_err fatal_err;

    struct storage *st;
    struct ocr_item *ocr_todo;
    unsigned long written;
    double t0, last_progress;
    struct known_map known;
    char **roots;      /* what was walked: canonical PATH arguments */
    char **open_roots; /* what each file is opened beneath: the PATH, or
                        * the folder of a file argument */
    size_t nroots;
    uint64_t max_file_bytes;
    struct indexer_stats *stats;
};

static void push_job(struct batch *b, struct job *j)
{
    pthread_mutex_lock(&b->mu);
    while (b->njobs >= JOB_QUEUE_MAX && !b->fatal)
        pthread_cond_wait(&b->job_space, &b->mu);
    if (b->jobs_tail)
        b->jobs_tail->next = j;
    else
        b->jobs = j;
    b->jobs_tail = j;
    b->njobs++;
    pthread_cond_signal(&b->job_ready);
    pthread_mutex_unlock(&b->mu);
}

static struct job *pop_job(struct batch *b)
{
    struct job *j;

    pthread_mutex_lock(&b->mu);
    while (b->jobs == NULL && !b->walk_finished && !b->fatal)
        pthread_cond_wait(&b->job_ready, &b->mu);
    j = b->fatal ? NULL : b->jobs;
    if (j != NULL) {
        b->jobs = j->next;
        if (b->jobs == NULL)
            b->jobs_tail = NULL;
        b->njobs--;
        pthread_cond_signal(&b->job_space);
    }
    pthread_mutex_unlock(&b->mu);
    return j;
}

static void push_done(struct batch *b, struct done *d, unsigned shard)
{
    struct shardq *q = &b->q[shard];

    pthread_mutex_lock(&b->mu);
    /* Let one oversized document through an empty queue so it cannot stall. */
    while (q->bytes > 0 && q->bytes + d->bytes > b->cfg->batch_bytes && !b->fatal)
        pthread_cond_wait(&q->space, &b->mu);
    if (q->tail)
        q->tail->next = d;
    else
        q->head = d;
    q->tail = d;
    q->bytes += d->bytes;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&b->mu);
}

/* ---- walker and workers ------------------------------------------------------- */

static int walk_file_cb(void *data, const struct scan_file *f)
{
    struct batch *b = data;
    struct known *k = known_get(&b->known, f->path);
    long long mtime_ns = (long long)f->st->st_mtim.tv_sec * 1000000000LL + f->st->st_mtim.tv_nsec;
    struct job *j;

    pthread_mutex_lock(&b->mu);
    b->stats->seen++;
    if (k != NULL) {
        k->seen = 1;
        if (k->size == (long long)f->st->st_size && k->mtime_ns == mtime_ns) {
            b->stats->unchanged++;
            pthread_mutex_unlock(&b->mu);
            return 0;
        }
    }
    pthread_mutex_unlock(&b->mu);
    j = xcalloc(1, sizeof(*j));
    j->path = xstrdup(f->path);
    j->st = *f->st;
    j->root = f->root;
    push_job(b, j);
    return b->fatal ? VT_EINTERNAL : 0;
}

static void walk_problem_cb(void *data, const char *path, const char *why)
{
    struct batch *b = data;

    pthread_mutex_lock(&b->mu);
    b->stats->problems++;
    pthread_mutex_unlock(&b->mu);
    log_warn("skipped '%s': %s", path, why);
}

static void *walker_main(void *arg)
{
    struct batch *b = arg;

    scan_run(b->roots, b->nroots, walk_file_cb, walk_problem_cb, b);
    pthread_mutex_lock(&b->mu);
    b->walk_finished = 1;
    pthread_cond_broadcast(&b->job_ready);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static void set_fatal(struct batch *b, const struct vt_err *e)
{
    pthread_mutex_lock(&b->mu);
    if (!b->fatal) {
        b->fatal = 1;
        b->fatal_err = *e;
    }
    pthread_cond_broadcast(&b->job_ready);
    pthread_cond_broadcast(&b->job_space);
    for (unsigned k = 0; k < b->nshards; k++) {
        pthread_cond_broadcast(&b->q[k].space);
        pthread_cond_broadcast(&b->q[k].ready);
    }
    pthread_mutex_unlock(&b->mu);
}

static void *worker_main(void *arg)
{
    struct batch *b = arg;
    struct ingest_config icfg = {b->cfg->max_text, b->max_file_bytes, NULL};
    struct vt_err err;
    struct extractor *ex;
    struct extract_config xcfg = {b->cfg->max_text, NULL};
    struct job *j;

    vt_err_clear(&err);
    ex = extractor_new(&xcfg, &err);
    if (ex == NULL)
        set_fatal(b, &err);
    while (ex != NULL && (j = pop_job(b)) != NULL) {
        struct done *d = xcalloc(1, sizeof(*d));
        const char *root = b->open_roots[j->root];
        int rc = ingest_file(ex, &icfg, root, j->path, &j->st, &d->doc, &d->outcome, &err);
        if (rc < 0) {
            set_fatal(b, &err);
            free(d);
            free(j->path);
            free(j);
            break;
        }
        d->path = j->path;
        d->root = root;
        d->st = j->st;
        d->bytes = storage_doc_size(d->doc);
        free(j);
        push_done(b, d, storage_doc_shard(b->st, d->doc));
    }
    extractor_free(ex);
    pthread_mutex_lock(&b->mu);
    b->workers_running--;
    for (unsigned k = 0; k < b->nshards; k++)
        pthread_cond_broadcast(&b->q[k].ready);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- the writer ----------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_outcome(struct indexer_stats *s, const struct done *d)
{
    const char *st = d->outcome.status;

    if (strcmp(st, "indexed") == 0)
        s->indexed++;
    else if (strcmp(st, "empty") == 0)
        s->empty++;
    else if (strcmp(st, "needs-ocr") == 0)
        s->needs_ocr++;
    else if (strcmp(st, "unsupported") == 0)
        s->unsupported++;
    else
        s->failed++;
    s->bytes += d->outcome.text_bytes;
    /* Extractor messages usually name the file already; a path longer
     * than a log line goes after the reason, which would be cut off. */
    if (d->outcome.open_rc == -ENAMETOOLONG) {
        log_warn("%s (recorded as %s): '%s'", d->outcome.reason, st, d->path);
    } else if (d->outcome.code != 0 && strstr(d->outcome.reason, d->path) != NULL) {
        if (strcmp(st, "unsupported") != 0)
            log_warn("%s (recorded as %s)", d->outcome.reason, st);
        else
            log_info("%s (findable by name)", d->outcome.reason);
    } else if (d->outcome.code != 0 && strcmp(st, "unsupported") != 0) {
        log_warn("'%s': %s (recorded as %s)", d->path, d->outcome.reason, st);
    } else if (d->outcome.code != 0) {
        log_info("'%s': %s (findable by name)", d->path, d->outcome.reason);
    }
    if (d->outcome.truncated)
        log_warn("'%s': text longer than the limit; indexed the first %zu bytes", d->path,
                 d->outcome.text_bytes);
}

static void progress(const struct batch *b, double t0, int final)
{
    const struct indexer_stats *s = b->stats;
    unsigned long done = s->indexed + s->failed + s->unsupported + s->empty + s->needs_ocr;
    double dt = now_s() - t0;

    if (b->cfg->progress)
        fprintf(stderr, "\rindexing: %lu files written, %lu unchanged, %.1f MB of text, %.0f files/s%s",
                done, s->unchanged, (double)s->bytes / 1e6, dt > 0 ? (double)done / dt : 0.0,
                final ? "\n" : "   ");
    else if (!final)
        log_info("progress: %lu files written, %lu unchanged, %.1f MB of text, %.0f files/s", done,
                 s->unchanged, (double)s->bytes / 1e6, dt > 0 ? (double)done / dt : 0.0);
}

struct writer_arg {
    struct batch *b;
    unsigned shard;
};

/* One writer per shard: puts its documents and commits every batch_bytes,
 * so each shard's uncommitted changes (Xapian keeps them in memory) stay
 * small; small batches also index faster than large ones (bench/RESULTS.md). */
static void *writer_main(void *arg)
{
    struct writer_arg *wa = arg;
    struct batch *b = wa->b;
    struct shardq *q = &b->q[wa->shard];
    struct vt_err err;
    size_t since_commit = 0;
    int rc = 0;

    vt_err_clear(&err);
    for (;;) {
        struct done *d;

        pthread_mutex_lock(&b->mu);
        while (q->head == NULL && b->workers_running > 0 && !b->fatal)
            pthread_cond_wait(&q->ready, &b->mu);
        d = b->fatal ? NULL : q->head;
        if (d != NULL) {
            q->head = d->next;
            if (q->head == NULL)
                q->tail = NULL;
            q->bytes -= d->bytes;
            pthread_cond_broadcast(&q->space);
        }
        pthread_mutex_unlock(&b->mu);
        if (d == NULL)
            break;
        rc = storage_put(b->st, d->doc, &err);
        pthread_mutex_lock(&b->mu);
        count_outcome(b->stats, d);
        if (strcmp(d->outcome.status, "needs-ocr") == 0 && b->cfg->ocr_worker != NULL) {
            struct ocr_item *o = xcalloc(1, sizeof(*o));
            o->path = d->path;
            d->path = NULL;
            o->root = d->root;
            o->st = d->st;
            snprintf(o->sha256, sizeof(o->sha256), "%s", d->outcome.sha256);
            snprintf(o->mime, sizeof(o->mime), "%s", d->outcome.mime);
            o->next = b->ocr_todo;
            b->ocr_todo = o;
        }
        b->written++;
        if (now_s() - b->last_progress >= (b->cfg->progress ? 0.25 : 10.0)) {
            b->last_progress = now_s();
            progress(b, b->t0, 0);
        }
        pthread_mutex_unlock(&b->mu);
        since_commit += d->bytes;
        storage_doc_free(d->doc);
        free(d->path);
        free(d);
        if (rc < 0)
            break;
        if (since_commit >= b->cfg->batch_bytes) {
            if ((rc = storage_commit_shard(b->st, wa->shard, &err)) < 0)
                break;
            since_commit = 0;
        }
    }
    if (rc == 0 && !b->fatal)
        rc = storage_commit_shard(b->st, wa->shard, &err);
    if (rc < 0)
        set_fatal(b, &err);
    return NULL;
}

static void *compact_main(void *arg)
{
    struct writer_arg *wa = arg;
    struct vt_err err;

    vt_err_clear(&err);
    if (storage_compact_shard(wa->b->st, wa->shard, &err) < 0)
        set_fatal(wa->b, &err);
    return NULL;
}

/* ---- the OCR stage -------------------------------------------------------------------- */

/* After extraction, images and text-less PDFs go through the OCR worker
 * pool (ocr/pool.h) on a private libuv loop; each result becomes the
 * file's document in place of its "needs-ocr" record.  The writer threads
 * have finished by then, so this thread owns the index. */
#define OCR_INFLIGHT 64
#define OCR_COMMIT_EVERY 32

struct ocr_stage {
    struct batch *b;
    struct ocr_pool *pool;
    struct ocr_item *todo;   /* not yet submitted */
    unsigned inflight;
    unsigned since_commit;
    int rc;
    struct vt_err err;
};

static void ocr_item_free(struct ocr_item *o)
{
    free(o->path);
    free(o);
}

static void ocr_submit_more(struct ocr_stage *os);

/* 0 if o's path still opens, beneath its root, as the file that was
 * hashed; else a message in e.  The OCR worker reads the file by path, so
 * this is checked before the path goes to it and again after its answer:
 * a file swapped for a symlink, or replaced, in between is not recorded
 * with text that may be another file's.  This loop serves only the OCR
 * stage, so the open may block it. */
static int ocr_item_check(const struct ocr_item *o, struct vt_err *e)
{
    struct vt_file_id want;
    struct stat st;
    int fd = vt_open_under(o->root, o->path, &st, e);

    if (fd < 0)
        return fd;
    close(fd);
    vt_file_id_of(&o->st, &want);
    return vt_file_check(&st, &want, e);
}

static void ocr_stage_done(const struct ocr_result *r, void *data)
{
    struct ocr_item *o = data;
    struct ocr_stage *os = o->stage;
    struct batch *b = os->b;
    struct ingest_config icfg = {b->cfg->max_text, b->max_file_bytes, NULL};
    struct ingest_text t;
    struct ingest_outcome out;
    struct storage_doc *doc = NULL;
    struct vt_err ce;
    double *pc = NULL;
    size_t layer = 0;
    int rc;

    os->inflight--;
    memset(&t, 0, sizeof(t));
    t.mime = o->mime;
    t.sha256 = o->sha256;
    if (r->status == OCR_OK) {
        t.text = r->text;
        t.text_len = r->text_len;
        t.pages = (unsigned)r->npages;
        t.ocr_confidence = r->confidence;
        t.origin = "ocr";
        if (r->npages > 0) {
            pc = xcalloc(r->npages, sizeof(*pc));
            for (size_t i = 0; i < r->npages; i++) {
                pc[i] = r->pages[i].text_layer ? -1 : r->pages[i].confidence;
                layer += r->pages[i].text_layer ? 1 : 0;
            }
            t.page_confidence = pc;
            t.npage_confidence = r->npages;
            /* A born-digital PDF's text comes from its text layer. */
            t.origin = ingest_ocr_source(r->npages, layer);
        }
    } else {
        t.text = "";
        t.ocr_confidence = -1;
        t.code = r->code ? r->code : VT_EBADINPUT;
        t.reason = r->reason;
    }
    if (os->rc == 0 && ocr_item_check(o, &ce) < 0) {
        /* Its "needs-ocr" record stays; the next run looks again. */
        log_warn("'%s': not recorded from OCR: %s", o->path, ce.msg);
    } else if (os->rc == 0) {
        rc = ingest_text(&icfg, o->root, o->path, &o->st, &t, &doc, &out, &os->err);
        if (rc == 0)
            rc = storage_put(b->st, doc, &os->err);
        if (rc == 0 && ++os->since_commit >= OCR_COMMIT_EVERY) {
            rc = storage_commit(b->st, &os->err);
            os->since_commit = 0;
        }
        if (rc < 0) {
            os->rc = rc;
        } else if (strcmp(out.status, "failed") == 0) {
            b->stats->ocr_failed++;
            log_warn("'%s': OCR failed: %s", o->path, out.reason);
        } else if (r->npages > 0 && layer == r->npages) {
            /* Born-digital: no page went through Tesseract, so there is
             * no confidence to report. */
            b->stats->ocr_done++;
            log_info("'%s': indexed %zu page(s) from the PDF text layer (no OCR)", o->path,
                     r->npages);
        } else {
            b->stats->ocr_done++;
            if (layer > 0)
                log_info("'%s': OCR'd %zu of %zu page(s) (the rest from the PDF text layer), "
                         "confidence %.0f",
                         o->path, r->npages - layer, r->npages, r->confidence);
            else
                log_info("'%s': OCR'd %zu page(s), confidence %.0f", o->path, r->npages,
                         r->confidence);
        }
    }
    storage_doc_free(doc);
    free(pc);
    ocr_item_free(o);
    ocr_submit_more(os);
    if (os->inflight == 0 && (os->todo == NULL || os->rc < 0))
        ocr_pool_stop(os->pool);
}

static void ocr_submit_more(struct ocr_stage *os)
{
    while (os->todo != NULL && os->inflight < OCR_INFLIGHT && os->rc == 0) {
        struct ocr_item *o = os->todo;
        struct vt_err ce;
        int rc;

        os->todo = o->next;
        o->next = NULL;
        o->stage = os;
        if (ocr_item_check(o, &ce) < 0) {
            log_warn("'%s': not sent to OCR: %s", o->path, ce.msg);
            ocr_item_free(o);
            continue;
        }
        rc = ocr_pool_submit_under(os->pool, o->root, o->path, os->b->cfg->ocr_lang,
                                   ocr_stage_done, o);
        if (rc < 0) {
            os->rc = vt_err_set(&os->err, rc, "cannot queue '%s' for OCR: %s", o->path,
                                vt_strerror(rc));
            ocr_item_free(o);
            break;
        }
        os->inflight++;
    }
}

static int ocr_stage_run(struct batch *b, struct vt_err *err)
{
    struct ocr_pool_config pcfg;
    struct ocr_stage os;
    uv_loop_t loop;
    long ncores = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    if (b->ocr_todo == NULL)
        return 0;
    memset(&os, 0, sizeof(os));
    memset(&pcfg, 0, sizeof(pcfg));
    os.b = b;
    os.todo = b->ocr_todo;
    b->ocr_todo = NULL;
    pcfg.worker_path = b->cfg->ocr_worker;
    pcfg.workers = b->cfg->ocr_workers ? b->cfg->ocr_workers : (ncores > 0 ? (unsigned)ncores : 1);
    pcfg.lang = b->cfg->ocr_lang;
    pcfg.timeout_ms = b->cfg->ocr_timeout_ms;
    pcfg.max_text = b->cfg->max_text;
    if ((rc = uv_loop_init(&loop)) < 0)
        return vt_err_set(err, rc, "cannot start the OCR loop: %s", uv_strerror(rc));
    os.pool = ocr_pool_new(&loop, &pcfg, err);
    if (os.pool == NULL) {
        rc = err && err->code ? err->code : VT_EINTERNAL;
    } else {
        log_info("OCR of images and scanned PDFs with %u worker(s)", pcfg.workers);
        ocr_submit_more(&os);
        if (os.inflight == 0)
            ocr_pool_stop(os.pool);
        uv_run(&loop, UV_RUN_DEFAULT);
        ocr_pool_free(os.pool);
        uv_run(&loop, UV_RUN_DEFAULT);
        rc = os.rc;
        if (rc < 0)
            vt_err_set(err, rc, "%s", os.err.msg);
    }
    while (os.todo != NULL) {
        struct ocr_item *o = os.todo;
        os.todo = o->next;
        ocr_item_free(o);
    }
    if (uv_loop_close(&loop) != 0)
        log_warn("OCR loop closed with handles still open");
    return rc;
}

int indexer_batch_run(const struct indexer_batch_config *cfg, struct indexer_stats *stats,
                      struct vt_err *err)
{
    struct batch b;
    struct storage *st = NULL;
    pthread_t walker, *workers = NULL, writers[STORAGE_MAX_SHARDS];
    struct writer_arg wargs[STORAGE_MAX_SHARDS];
    unsigned nworkers = cfg->threads, started = 0, writers_started = 0;
    int rc = 0, walker_started = 0;

    memset(&b, 0, sizeof(b));
    memset(stats, 0, sizeof(*stats));
    b.cfg = cfg;
    b.stats = stats;
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.job_ready, NULL);
    pthread_cond_init(&b.job_space, NULL);
    b.t0 = b.last_progress = now_s();
    for (unsigned k = 0; k < STORAGE_MAX_SHARDS; k++) {
        pthread_cond_init(&b.q[k].ready, NULL);
        pthread_cond_init(&b.q[k].space, NULL);
    }
    if (nworkers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nworkers = n > 0 ? (unsigned)n : 1;
    }

    b.max_file_bytes = cfg->max_file_bytes ? cfg->max_file_bytes : INGEST_DEFAULT_MAX_FILE_BYTES;
    b.roots = xcalloc(cfg->npaths ? cfg->npaths : 1, sizeof(*b.roots));
    b.open_roots = xcalloc(cfg->npaths ? cfg->npaths : 1, sizeof(*b.open_roots));
    for (size_t i = 0; i < cfg->npaths; i++) {
        struct vt_err e;
        struct stat rst;
        char *r = scan_root(cfg->paths[i], &e);
        if (r == NULL) {
            rc = vt_err_set(err, e.code, "%s", e.msg);
            goto out;
        }
        b.open_roots[b.nroots] = xstrdup(r);
        if (stat(r, &rst) == 0 && !S_ISDIR(rst.st_mode)) {
            /* A file argument is opened beneath its folder. */
            char *slash = strrchr(b.open_roots[b.nroots], '/');
            if (slash != NULL)
                slash[slash == b.open_roots[b.nroots] ? 1 : 0] = '\0';
        }
        b.roots[b.nroots++] = r;
    }
    if ((rc = storage_open(cfg->data_dir, 1, &st, err)) < 0)
        goto out;
    b.st = st;
    b.nshards = storage_nshards(st);
    if ((rc = ingest_each_file(cfg->data_dir, load_known_cb, &b.known, err)) < 0)
        goto out;

    if (pthread_create(&walker, NULL, walker_main, &b) != 0) {
        rc = vt_err_set(err, VT_EINTERNAL, "cannot start the walker thread");
        goto out;
    }
    walker_started = 1;
    workers = xcalloc(nworkers, sizeof(*workers));
    /* Count a worker before it starts: one that finds no work may finish
     * before the next is created, and the writers wait for the count. */
    for (started = 0; started < nworkers; started++) {
        pthread_mutex_lock(&b.mu);
        b.workers_running++;
        pthread_mutex_unlock(&b.mu);
        if (pthread_create(&workers[started], NULL, worker_main, &b) != 0) {
            pthread_mutex_lock(&b.mu);
            b.workers_running--;
            pthread_mutex_unlock(&b.mu);
            break;
        }
    }
    for (writers_started = 0; writers_started < b.nshards && started > 0; writers_started++) {
        wargs[writers_started].b = &b;
        wargs[writers_started].shard = writers_started;
        if (pthread_create(&writers[writers_started], NULL, writer_main, &wargs[writers_started]) != 0)
            break;
    }
    if (started == 0 || writers_started < b.nshards) {
        struct vt_err e;
        vt_err_set(&e, VT_EINTERNAL, "cannot start indexing threads");
        set_fatal(&b, &e);
    }

    for (unsigned k = 0; k < writers_started; k++)
        pthread_join(writers[k], NULL);
    writers_started = 0;

out:
    if (walker_started)
        pthread_join(walker, NULL);
    for (unsigned i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    for (unsigned k = 0; k < writers_started; k++)
        pthread_join(writers[k], NULL);
    free(workers);
    /* Drain anything left after a fatal error. */
    for (unsigned k = 0; k < b.nshards; k++)
        while (b.q[k].head != NULL) {
            struct done *d = b.q[k].head;
            b.q[k].head = d->next;
            storage_doc_free(d->doc);
            free(d->path);
            free(d);
        }
    while (b.jobs != NULL) {
        struct job *j = b.jobs;
        b.jobs = j->next;
        free(j->path);
        free(j);
    }
    if (rc == 0 && b.fatal)
        rc = vt_err_set(err, b.fatal_err.code, "%s", b.fatal_err.msg);
    if (rc == 0 && st != NULL)
        rc = ocr_stage_run(&b, err);
    while (b.ocr_todo != NULL) {
        struct ocr_item *o = b.ocr_todo;
        b.ocr_todo = o->next;
        ocr_item_free(o);
    }
    if (rc == 0 && st != NULL) {
        /* Files that vanished from under the roots walked this time. */
        for (size_t i = 0; i < b.known.nb && rc == 0; i++)
            for (struct known *k = b.known.b[i]; k && rc == 0; k = k->next) {
                if (k->seen)
                    continue;
                for (size_t r = 0; r < b.nroots; r++)
                    if (scan_under(k->path, b.roots[r])) {
                        rc = storage_delete(st, k->id, err);
                        stats->removed++;
                        log_info("removed '%s': no longer in the archive", k->path);
                        break;
                    }
            }
        if (rc == 0)
            rc = storage_commit(st, err);
        if (rc == 0 && (cfg->compact == 1 ||
                        (cfg->compact < 0 && b.written >= 1000 && b.written > b.known.n))) {
            /* A bulk build leaves half-full B-tree blocks; compacting the
             * shards side by side roughly halves the index. */
            log_info("compacting the index after %lu new documents", b.written);
            for (unsigned k = 0; k < b.nshards; k++) {
                wargs[k].b = &b;
                wargs[k].shard = k;
                if (pthread_create(&writers[k], NULL, compact_main, &wargs[k]) != 0)
                    compact_main(&wargs[k]);
                else
                    writers_started = k + 1;
            }
            for (unsigned k = 0; k < writers_started; k++)
                pthread_join(writers[k], NULL);
            if (b.fatal)
                rc = vt_err_set(err, b.fatal_err.code, "%s", b.fatal_err.msg);
        }
    }
    stats->seconds = now_s() - b.t0;
    if (cfg->progress && (b.written > 0 || stats->unchanged > 0))
        progress(&b, b.t0, 1);
    storage_close(st);
    known_release(&b.known);
    for (size_t i = 0; i < b.nroots; i++) {
        free(b.roots[i]);
        free(b.open_roots[i]);
    }
    free(b.roots);
    free(b.open_roots);
    pthread_mutex_destroy(&b.mu);
    pthread_cond_destroy(&b.job_ready);
    pthread_cond_destroy(&b.job_space);
    for (unsigned k = 0; k < STORAGE_MAX_SHARDS; k++) {
        pthread_cond_destroy(&b.q[k].ready);
        pthread_cond_destroy(&b.q[k].space);
    }
    return rc;
}
