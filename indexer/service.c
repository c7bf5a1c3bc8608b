/* The long-running indexer (see service.h).
 *
 * Design.  The loop owns a map of every file the service knows (struct
 * fent): its indexed state (from the index at start, then from what it
 * writes) and where it is in the pipeline:
 *
 *   IDLE --ready--> QUEUED --pump--> RUNNING (uv_queue_work: extract)
 *   RUNNING --> IDLE (written, unchanged, gone, or not settled after all)
 *   RUNNING --needs OCR--> OCR (in the pool, or waiting for room in it)
 *   OCR --result--> BUILD (waiting for a slot) --> RUNNING (build) --> IDLE
 *
 * An event for a busy file sets its dirty bit, and the file is looked at
 * again when it comes back to IDLE; a worker that finds the file changed
 * under it (size or mtime) drops its result and hands the path back to the
 * watcher to settle again, so a half-written file is never indexed.
 *
 * Work on the threadpool is bounded by max_inflight slots, each with its
 * own extractor (libmagic handle) and read-only index handle for the
 * sha256 look-up; a slot belongs to one job at a time, and the handoff
 * through uv_queue_work orders its uses.  Queue lengths drive backpressure:
 * the watcher is paused while the queue, the OCR backlog or the writers'
 * queues are full.
 *
 * Writers: one thread per shard, the only user of that shard's writable
 * database.  The loop appends operations to a writer's list under its
 * mutex; the writer applies them, commits every commit_docs operations or
 * commit_ms after the first uncommitted one, and reports counts through a
 * shared completion list and uv_async_send.  The async callback drains the
 * whole list (sends coalesce).
 *
 * Copies arriving together: a file that needs OCR while a file with the
 * same sha256 is already in the OCR pool (or waiting for it) follows that
 * job (struct ocrgroup) instead of being OCR'd too; once the leader's
 * document is built from the result (its file unchanged since it was
 * hashed), each follower is built from the same text.  If the leader's
 * result is lost (changed, gone, cancelled), the first follower is sent to
 * the pool in its place.  A built OCR result also stays in a small cache
 * (struct recent: RECENT_MAX_BYTES, kept at least RECENT_MIN_MS or two
 * commit periods, and until the writers have committed) because the index cannot lend it before its
 * commit: a file moved or copied right after its OCR takes it from there.
 *
 * Deletions wait: a vanished file is "doomed" for move_grace_ms and removed
 * only once the pipeline is idle (or a minute later at the latest), so that
 * the new location of a moved file, arriving as a create, can still find
 * the old document's text by sha256.  A file that reappears is spared.  A
 * name that stops being a regular file (a symlink, fifo, device or folder
 * took it) is no move: its document goes at once.
 *
 * Reading originals: every open is vt_open_under() beneath the archive
 * folder the file lies in (common/safefile.h), so no symlink below it is
 * followed, and the file is compared by device, inode, size and mtime
 * (same_id) wherever the pipeline checks that it still has the file it
 * settled, hashed or sent to OCR.  The OCR pool reads by path, so a file
 * is opened and compared just before its path goes to the pool (a short
 * threadpool job, struct ocrjob.check) and again before its result is
 * recorded (work_build).
 *
 * Big files: a file above BIG_FILE_BYTES (and within max_file_bytes) is
 * hashed by a thread of its own (struct lane), one at a time, so that a
 * terabyte-sized or sparse file never holds the threadpool slots that
 * every other file needs.  Every job carries a cancel flag checked
 * between hash chunks: a file-system event for its path (the watcher's
 * changed callback) sets it, and the job hands the path back to settle;
 * a stop sets it for every job, so a stop never waits for a hash. */
#include "config.h"

#include "indexer/service.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/safefile.h"
#include "common/xalloc.h"
#include "indexer/extract.h"
#include "indexer/ingest.h"
#include "common/map.h"
#include "indexer/scan.h"
#include "indexer/watch.h"
#include "ocr/pool.h"
#include "storage/storage.h"

#define TICK_MS 200
#define PROGRESS_EVERY_MS 10000
#define DOOM_MAX_WAIT_MS 60000
#define RECENT_MAX_BYTES ((size_t)16 << 20)
#define RECENT_MIN_MS 5000
/* Above this, a file is hashed in the big-file lane. */
#define BIG_FILE_BYTES ((off_t)256 << 20)

enum fstate { F_IDLE, F_QUEUED, F_RUNNING, F_OCR, F_BUILD };

struct fent {
    struct vt_map_node node;
    char *path;
    char id[STORAGE_ID_LEN + 1];
    struct stat st;           /* as the watcher saw it when queued */
    long long size, mtime_ns; /* as indexed */
    unsigned long long dev, ino; /* as indexed; 0: not known (loaded from
                                  * the index, which keeps them only in
                                  * the record) */
    enum fstate state;
    unsigned has_doc : 1, complete : 1, doomed : 1, on_dlist : 1, dirty : 1;
    unsigned force : 1; /* indexer_service_recheck: index it again even if
                         * it looks unchanged */
    unsigned seen_gen;
    uint64_t doom_due;
    struct fent *qnext; /* job queue, build queue or doomed list */
};

enum job_kind { JOB_EXTRACT, JOB_BUILD };
enum job_result {
    R_DONE,
    R_REUSED,
    R_NEEDS_OCR,
    R_UNSETTLED, /* not the file that settled, or changed while read */
    R_GONE,
    R_NOTFILE,   /* the name is no longer a regular file (or leads through
                  * a symlink) */
    R_CANCELLED, /* the cancel flag stopped the read */
    R_SKIP,
    R_FATAL
};

struct slot {
    struct extractor *ex;
    struct storage *reader;
    int busy;
};

struct job {
    uv_work_t req;
    struct indexer_service *s;
    struct fent *f;
    char *path;             /* copy for the worker */
    const char *root;       /* its archive folder (s->roots) */
    enum job_kind kind;
    struct slot *slot;
    int big;                /* runs in the big-file lane, not the pool */
    int cancel;             /* set (__atomic) to stop reading */
    struct stat st;         /* expected; then what the worker found */
    /* JOB_BUILD input, from the OCR pool */
    struct buf text;
    char mime[128];
    char sha256[65];
    unsigned pages;
    double confidence;
    const char *origin;     /* text_source (a static string) */
    double *pc;             /* confidence of each page, -1 for a text
                             * layer (owned); or NULL */
    size_t npc;
    int ocr_code;
    char ocr_reason[VT_ERR_MSG_MAX];
    /* output */
    enum job_result res;
    struct storage_doc *doc;
    struct ingest_outcome out;
    char reused_from[512];
    struct ocrgroup *group; /* JOB_BUILD of a leader: its followers */
    int copy;               /* JOB_BUILD of a follower: text from reused_from */
    struct vt_err err;
    struct job *next; /* in s->running */
    struct job *prev;
};

/* What a file's OCR needs once the pool answers. */
struct ocrjob {
    struct indexer_service *s;
    struct fent *f;
    const char *root;
    struct stat st;         /* the file that was hashed (fstat) */
    char mime[128];
    char sha256[65];
    struct ocrjob *next;
    /* The check before the path goes to the pool (threadpool). */
    uv_work_t check;
    char *check_path;
    enum job_result check_res;
    int from_wait;          /* the check of the first file in the ow list */
    struct buf text;
    unsigned pages;
    double confidence;
    const char *origin;
    double *pc;
    size_t npc;
    int code;
    char reason[VT_ERR_MSG_MAX];
    struct ocrgroup *group; /* leader: the files waiting for its result */
    int copy;               /* follower built from the text of from */
    char from[512];
};

/* An OCR result built into a document that may not be committed yet. */
struct recent {
    struct vt_map_node node;
    char sha256[65];
    char *from;
    struct buf text;
    unsigned pages;
    double confidence;
    const char *origin;
    double *pc;
    size_t npc;
    int code;
    char reason[VT_ERR_MSG_MAX];
    uint64_t at; /* loop time it was built */
    unsigned shard;          /* its document's shard */
    unsigned long long seq;  /* and operation number there (sent[]) */
    struct recent *next; /* oldest first */
};

/* The files waiting for the OCR of a copy of theirs (same sha256) that is
 * in the pool, or waiting for room in it: one OCR job per content. */
struct ocrgroup {
    struct vt_map_node node;
    char sha256[65];
    struct ocrjob *followers;
};

enum { C_INDEXED, C_FAILED, C_DELETED };

struct wop {
    struct storage_doc *doc; /* NULL: delete id */
    char id[STORAGE_ID_LEN + 1];
    int cls;
    struct wop *next;
};

struct wdone {
    unsigned shard;
    unsigned long counts[3];
    unsigned long applied;
    int committed;
    int fatal;
    int final;
    struct vt_err err;
    struct wdone *next;
};

struct writer {
    struct indexer_service *s;
    unsigned shard;
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct wop *head, *tail;
    int stop;
    unsigned commit_docs, commit_ms;
};

/* The big-file lane: one thread, one job at a time, its own slot. */
struct lane {
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct job *todo; /* handed to the thread */
    struct job *done; /* handed back */
    int stop;
    uv_async_t async;
    struct slot slot;
    struct job *cur;  /* loop side: the job in the lane, or NULL */
};

struct indexer_service {
    uv_loop_t *loop;
    struct indexer_service_config cfg;
    char *data_dir, *ocr_lang;
    char **roots;
    size_t nroots;
    struct storage *st;
    struct indexer_watch *watch;
    struct vt_map files;
    struct fent *q_head, *q_tail, *b_head, *b_tail, *dlist;
    size_t q_len, b_len, ndoomed;
    struct fent *bq_head, *bq_tail; /* big files waiting for the lane */
    size_t bq_len;
    struct lane lane;
    size_t checking; /* OCR pre-checks on the threadpool */
    struct ocrjob *ow_head, *ow_tail; /* waiting for room in the OCR pool */
    size_t ow_len, ocr_out;           /* waiting; submitted and not answered */
    int ow_checking;                  /* the first waiting file is being checked */
    struct ocrjob *builds_head, *builds_tail; /* OCR answered, waiting for a slot */
    struct vt_map ocr_groups;                 /* sha256 -> struct ocrgroup */
    size_t nfollowers;                         /* files in ocr_groups */
    struct vt_map recent;                     /* sha256 -> struct recent */
    struct recent *recent_head, *recent_tail;
    size_t recent_bytes;
    uint64_t last_commit; /* loop time of the last commit callback */
    struct slot *slots;
    unsigned nslots, inflight;
    struct job *running;
    size_t wq_len; /* operations sent to writers, not yet applied */
    /* Per shard, operations sent, applied, and applied before the last
     * commit: a document sent as operation n of shard k is searchable once
     * committed[k] >= n (operations are applied in order). */
    unsigned long long sent[STORAGE_MAX_SHARDS], applied[STORAGE_MAX_SHARDS],
        committed[STORAGE_MAX_SHARDS];
    struct writer writers[STORAGE_MAX_SHARDS];
    unsigned nwriters, writers_done;
    pthread_mutex_t done_mu;
    struct wdone *done_head, *done_tail;
    uv_async_t async;
    uv_timer_t tick, grace;
    unsigned scan_gen;
    int scanning_full;
    int paused;
    int stopping, ocr_stopped, writers_stopping;
    int fatal_rc;
    struct vt_err fatal_err;
    unsigned closing;
    void (*done)(void *data, int rc);
    void *done_data;
    uint64_t last_progress;
    unsigned long progress_base;
    struct indexer_service_stats stats;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static long long mtime_ns_of(const struct stat *st)
{
    return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* The same file as it was: device, inode, size and mtime. */
static int same_id(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           mtime_ns_of(a) == mtime_ns_of(b);
}

/* The file f indexed (device and inode compared once known). */
static int unchanged(const struct fent *f, const struct stat *st)
{
    if (f->size != (long long)st->st_size || f->mtime_ns != mtime_ns_of(st))
        return 0;
    return (f->dev == 0 && f->ino == 0) ||
           (f->dev == (unsigned long long)st->st_dev && f->ino == (unsigned long long)st->st_ino);
}

/* Open path beneath root and compare it with want: R_DONE (the same
 * file, *now its fstat), R_GONE, R_NOTFILE, R_UNSETTLED (another file or
 * changed), R_SKIP (cannot be opened: permissions). */
static enum job_result check_path(const char *root, const char *path, const struct stat *want,
                                  struct stat *now)
{
    int fd;

    if (strlen(path) >= PATH_MAX) {
        *now = *want; /* cannot be opened; recorded with its reason */
        return R_DONE;
    }
    fd = vt_open_under(root, path, now, NULL);
    if (fd == -ENOENT || fd == -ENOTDIR)
        return R_GONE;
    if (fd == -ELOOP || fd == -EXDEV || fd == VT_EBADINPUT)
        return R_NOTFILE;
    if (fd < 0)
        return R_SKIP;
    close(fd);
    return same_id(now, want) ? R_DONE : R_UNSETTLED;
}

/* ---- known files ------------------------------------------------------- */

static struct fent *fent_get(struct indexer_service *s, const char *path)
{
    struct vt_map_node *n = vt_map_get(&s->files, path);

    return n ? vt_map_entry(n, struct fent, node) : NULL;
}

static struct fent *fent_add(struct indexer_service *s, const char *path)
{
    struct fent *f = xcalloc(1, sizeof(*f));

    f->path = xstrdup(path);
    storage_id_of(path, f->id);
    vt_map_put(&s->files, &f->node, f->path);
    return f;
}

static void fent_free(struct indexer_service *s, struct fent *f)
{
    vt_map_del(&s->files, &f->node);
    free(f->path);
    free(f);
}

static int load_cb(void *data, const struct storage_file *sf)
{
    struct indexer_service *s = data;
    struct fent *f;

    if (sf->path[0] != '/' || fent_get(s, sf->path) != NULL)
        return 0;
    f = fent_add(s, sf->path);
    f->has_doc = 1;
    f->size = sf->size;
    f->mtime_ns = sf->mtime_ns;
    /* Without OCR, "needs-ocr" is as far as a file gets. */
    f->complete = strcmp(sf->status, "needs-ocr") != 0 || s->cfg.ocr == NULL;
    return 0;
}

/* The archive folder path lies in (the first that holds it), or NULL. */
static const char *root_of(const struct indexer_service *s, const char *path)
{
    for (size_t i = 0; i < s->nroots; i++)
        if (scan_under(path, s->roots[i]))
            return s->roots[i];
    return NULL;
}

static int under_roots(const struct indexer_service *s, const char *path)
{
    return root_of(s, path) != NULL;
}

/* ---- writers --------------------------------------------------------------- */

static void push_done(struct indexer_service *s, struct wdone *d)
{
    pthread_mutex_lock(&s->done_mu);
    if (s->done_tail)
        s->done_tail->next = d;
    else
        s->done_head = d;
    s->done_tail = d;
    pthread_mutex_unlock(&s->done_mu);
    uv_async_send(&s->async);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct indexer_service *s = w->s;
    unsigned long counts[3] = {0, 0, 0}, uncommitted = 0;
    uint64_t first = 0;
    int fatal = 0;
    struct vt_err err;

    vt_err_clear(&err);
    for (;;) {
        struct wop *ops;
        unsigned long applied = 0;
        unsigned commit_docs, commit_ms;
        int stop, due;

        pthread_mutex_lock(&w->mu);
        for (;;) {
            if (w->head != NULL || w->stop)
                break;
            if (uncommitted > 0) {
                uint64_t deadline = first + w->commit_ms, now = mono_ms();
                struct timespec ts;
                if (now >= deadline)
                    break;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += (time_t)((deadline - now) / 1000);
                ts.tv_nsec += (long)((deadline - now) % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&w->cond, &w->mu, &ts);
            } else {
                pthread_cond_wait(&w->cond, &w->mu);
            }
        }
        ops = w->head;
        w->head = w->tail = NULL;
        stop = w->stop;
        commit_docs = w->commit_docs;
        commit_ms = w->commit_ms;
        pthread_mutex_unlock(&w->mu);

        while (ops != NULL) {
            struct wop *op = ops;
            ops = op->next;
            if (!fatal) {
                int rc = op->doc ? storage_put(s->st, op->doc, &err)
                                 : storage_delete(s->st, op->id, &err);
                if (rc < 0) {
                    fatal = 1;
                } else {
                    if (uncommitted++ == 0)
                        first = mono_ms();
                    counts[op->cls]++;
                }
            }
            applied++;
            storage_doc_free(op->doc);
            free(op);
        }
        due = uncommitted > 0 &&
              (uncommitted >= commit_docs || mono_ms() >= first + commit_ms || stop);
        if (due && !fatal) {
            if (storage_commit_shard(s->st, w->shard, &err) < 0)
                fatal = 1;
        }
        if (applied > 0 || due || fatal || stop) {
            struct wdone *d = xcalloc(1, sizeof(*d));
            d->shard = w->shard;
            d->applied = applied;
            if (due && !fatal) {
                memcpy(d->counts, counts, sizeof(counts));
                memset(counts, 0, sizeof(counts));
                d->committed = 1;
                uncommitted = 0;
            }
            d->fatal = fatal;
            if (fatal)
                d->err = err;
            if (stop) {
                pthread_mutex_lock(&w->mu);
                d->final = w->head == NULL;
                pthread_mutex_unlock(&w->mu);
            }
            stop = d->final;
            push_done(s, d);
            if (stop)
                break;
        }
    }
    return NULL;
}

/* Returns the shard the operation went to. */
static unsigned writer_send(struct indexer_service *s, struct storage_doc *doc, const char *id,
                            int cls)
{
    struct wop *op = xcalloc(1, sizeof(*op));
    struct writer *w;
    unsigned k;

    op->doc = doc;
    op->cls = cls;
    snprintf(op->id, sizeof(op->id), "%s", id);
    k = doc ? storage_doc_shard(s->st, doc) : storage_id_shard(s->st, id);
    w = &s->writers[k];
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = op;
    else
        w->head = op;
    w->tail = op;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
    s->wq_len++;
    s->sent[k]++;
    return k;
}

static void pump(struct indexer_service *s);
static void maybe_stopped(struct indexer_service *s);

static void set_fatal(struct indexer_service *s, int rc, const struct vt_err *err)
{
    if (s->fatal_rc != 0)
        return;
    s->fatal_rc = rc ? rc : VT_EIO;
    s->fatal_err = *err;
    log_error("the index cannot be written: %s", err->msg[0] ? err->msg : vt_strerror(rc));
    if (s->cfg.fatal)
        s->cfg.fatal(s->cfg.cb_data, err);
}

static void on_async(uv_async_t *a)
{
    struct indexer_service *s = a->data;
    struct wdone *list;
    int committed = 0;

    pthread_mutex_lock(&s->done_mu);
    list = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->done_mu);
    while (list != NULL) {
        struct wdone *d = list;
        list = d->next;
        s->wq_len -= d->applied;
        /* A commit covers every operation its writer applied before it. */
        s->applied[d->shard] += d->applied;
        if (d->committed)
            s->committed[d->shard] = s->applied[d->shard];
        s->stats.indexed += d->counts[C_INDEXED];
        s->stats.failed += d->counts[C_FAILED];
        s->stats.deleted += d->counts[C_DELETED];
        committed |= d->committed;
        if (d->fatal)
            set_fatal(s, d->err.code, &d->err);
        if (d->final)
            s->writers_done++;
        free(d);
    }
    if (committed)
        s->last_commit = uv_now(s->loop);
    if (committed && s->cfg.committed)
        s->cfg.committed(s->cfg.cb_data);
    pump(s);
    maybe_stopped(s);
}

/* ---- the pipeline ------------------------------------------------------------- */

static void update_pause(struct indexer_service *s)
{
    size_t cap = s->cfg.queue_max;
    size_t ow = s->ow_len + s->nfollowers;
    size_t q = s->q_len + s->bq_len;
    int full = q >= cap || ow >= cap || s->wq_len >= 4 * cap;
    int calm = q < cap / 2 + 1 && ow < cap / 2 + 1 && s->wq_len < 2 * cap;

    if (s->watch == NULL)
        return;
    if (!s->paused && full)
        s->paused = 1;
    else if (s->paused && calm)
        s->paused = 0;
    indexer_watch_set_paused(s->watch, s->paused);
}

/* A file for the big-file lane: long to hash, and read at all. */
static int is_big(const struct indexer_service *s, const struct stat *st)
{
    return s->lane.started && st->st_size > BIG_FILE_BYTES &&
           (uint64_t)st->st_size <= s->cfg.max_file_bytes;
}

static void enqueue(struct indexer_service *s, struct fent *f)
{
    struct fent **head = &s->q_head, **tail = &s->q_tail;
    size_t *len = &s->q_len;

    if (is_big(s, &f->st)) {
        head = &s->bq_head;
        tail = &s->bq_tail;
        len = &s->bq_len;
    }
    f->state = F_QUEUED;
    f->qnext = NULL;
    if (*tail)
        (*tail)->qnext = f;
    else
        *head = f;
    *tail = f;
    (*len)++;
}

static void touch(struct indexer_service *s, const char *path)
{
    if (s->watch != NULL && !s->stopping)
        indexer_watch_touch(s->watch, path);
}

static void doom(struct indexer_service *s, struct fent *f)
{
    if (f->state != F_IDLE) {
        f->dirty = 1; /* its job will find it gone */
        return;
    }
    if (!f->has_doc) {
        if (!f->on_dlist)
            fent_free(s, f);
        return;
    }
    if (!f->doomed) {
        f->doomed = 1;
        f->doom_due = uv_now(s->loop) + s->cfg.move_grace_ms;
        s->ndoomed++;
    }
    if (!f->on_dlist) {
        f->on_dlist = 1;
        f->qnext = s->dlist;
        s->dlist = f;
    }
}

static void spare(struct indexer_service *s, struct fent *f)
{
    if (f->doomed) {
        f->doomed = 0;
        s->ndoomed--;
    }
}

/* The name no longer holds a regular file (why says what took it): its
 * document goes now, without the grace a move gets, since nothing will
 * reappear elsewhere with this file's content.  f is freed when idle. */
static void remove_now(struct indexer_service *s, struct fent *f, const char *why)
{
    if (f->has_doc) {
        log_info("removed '%s': %s", f->path, why);
        writer_send(s, NULL, f->id, C_DELETED);
    }
    f->has_doc = 0;
    f->complete = 0;
    f->dev = f->ino = 0;
    spare(s, f);
    if (f->state == F_IDLE && !f->on_dlist)
        fent_free(s, f);
}

/* Stop every read of path or of a file below it (the job hands its path
 * back to the watcher, or is left for the next start when stopping). */
static void cancel_reads(struct indexer_service *s, const char *path)
{
    for (struct job *j = s->running; j != NULL; j = j->next)
        if (j->kind == JOB_EXTRACT && scan_under(j->path, path))
            __atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
}

/* After a check found f (idle) not as expected: act on what it found. */
static void on_mismatch(struct indexer_service *s, struct fent *f, enum job_result res)
{
    switch (res) {
    case R_GONE: doom(s, f); break;
    case R_NOTFILE: remove_now(s, f, "no longer a regular file"); break;
    default: touch(s, f->path); break;
    }
}

static double *pc_dup(const double *pc, size_t n)
{
    double *d;

    if (pc == NULL || n == 0)
        return NULL;
    d = xcalloc(n, sizeof(*d));
    memcpy(d, pc, n * sizeof(*d));
    return d;
}

static void ocrjob_free(struct ocrjob *oj)
{
    buf_release(&oj->text);
    free(oj->pc);
    free(oj->check_path);
    free(oj);
}

static void on_ocr_done(const struct ocr_result *res, void *data);
static void ocr_submit(struct indexer_service *s, struct ocrjob *oj);
static int recent_take(struct indexer_service *s, struct ocrjob *oj);

static void push_build(struct indexer_service *s, struct ocrjob *oj)
{
    oj->f->state = F_BUILD;
    oj->next = NULL;
    if (s->builds_tail)
        s->builds_tail->next = oj;
    else
        s->builds_head = oj;
    s->builds_tail = oj;
    s->b_len++;
}

/* Send oj to the OCR pool, or make it follow the job already there for
 * the same content. */
static void ocr_start(struct indexer_service *s, struct ocrjob *oj)
{
    struct vt_map_node *n = oj->sha256[0] ? vt_map_get(&s->ocr_groups, oj->sha256) : NULL;
    struct ocrgroup *g;

    if (recent_take(s, oj))
        return;
    if (n != NULL) {
        g = vt_map_entry(n, struct ocrgroup, node);
        oj->next = g->followers;
        g->followers = oj;
        s->nfollowers++;
        log_debug("ocr: '%s' waits for the OCR of a copy (same sha256)", oj->f->path);
        return;
    }
    if (oj->sha256[0]) {
        g = xcalloc(1, sizeof(*g));
        snprintf(g->sha256, sizeof(g->sha256), "%s", oj->sha256);
        vt_map_put(&s->ocr_groups, &g->node, g->sha256);
        oj->group = g;
    }
    ocr_submit(s, oj);
}

/* The leader of g is done.  leader: its build job when its document was
 * built from the OCR result (the followers get the same text), or NULL
 * when the result is lost (the first follower goes to the pool instead,
 * unless OCR is stopping: then they stay "needs-ocr"). */
static void group_end(struct indexer_service *s, struct ocrgroup *g, const struct job *leader)
{
    struct ocrjob *list;

    if (g == NULL)
        return;
    vt_map_del(&s->ocr_groups, &g->node);
    list = g->followers;
    free(g);
    while (list != NULL) {
        struct ocrjob *oj = list;
        list = oj->next;
        s->nfollowers--;
        if (leader != NULL) {
            buf_init(&oj->text, s->cfg.max_text + 1);
            if (buf_add(&oj->text, leader->text.ptr, leader->text.len) < 0)
                buf_reset(&oj->text);
            oj->pages = leader->pages;
            oj->confidence = leader->confidence;
            oj->origin = leader->origin;
            oj->pc = pc_dup(leader->pc, leader->npc);
            oj->npc = oj->pc ? leader->npc : 0;
            oj->code = leader->ocr_code;
            snprintf(oj->reason, sizeof(oj->reason), "%s", leader->ocr_reason);
            oj->copy = 1;
            snprintf(oj->from, sizeof(oj->from), "%s", leader->path);
            push_build(s, oj);
        } else if (!s->stopping && !s->ocr_stopped && s->cfg.ocr != NULL) {
            ocr_start(s, oj);
        } else {
            oj->f->state = F_IDLE;
            ocrjob_free(oj);
        }
    }
}

static void recent_drop_head(struct indexer_service *s)
{
    struct recent *r = s->recent_head;

    s->recent_head = r->next;
    if (s->recent_head == NULL)
        s->recent_tail = NULL;
    vt_map_del(&s->recent, &r->node);
    s->recent_bytes -= r->text.len;
    buf_release(&r->text);
    free(r->pc);
    free(r->from);
    free(r);
}

/* Drop entries whose document is committed (searchable, so a copy finds
 * its text in the index) and old enough, or all: force. */
static void recent_expire(struct indexer_service *s, int force)
{
    uint64_t now = uv_now(s->loop);
    uint64_t age = 2 * (uint64_t)s->cfg.commit_ms + 1000;

    if (age < RECENT_MIN_MS)
        age = RECENT_MIN_MS;
    while (s->recent_head != NULL &&
           (force || s->recent_bytes > RECENT_MAX_BYTES ||
            (now >= s->recent_head->at + age &&
             s->committed[s->recent_head->shard] >= s->recent_head->seq)))
        recent_drop_head(s);
}

/* Keep the OCR result of build job j (of content j->sha256), whose
 * document went to shard `shard`. */
static void recent_add(struct indexer_service *s, const struct job *j, unsigned shard)
{
    struct vt_map_node *n;
    struct recent *r;

    if (j->sha256[0] == '\0' || j->text.len > RECENT_MAX_BYTES / 4)
        return;
    n = vt_map_get(&s->recent, j->sha256);
    if (n != NULL)
        return; /* the same text is there already */
    r = xcalloc(1, sizeof(*r));
    snprintf(r->sha256, sizeof(r->sha256), "%s", j->sha256);
    r->from = xstrdup(j->path);
    buf_init(&r->text, RECENT_MAX_BYTES);
    if (buf_add(&r->text, j->text.ptr, j->text.len) < 0)
        buf_reset(&r->text);
    r->pages = j->pages;
    r->confidence = j->confidence;
    r->origin = j->origin;
    r->pc = pc_dup(j->pc, j->npc);
    r->npc = r->pc ? j->npc : 0;
    r->code = j->ocr_code;
    snprintf(r->reason, sizeof(r->reason), "%s", j->ocr_reason);
    r->at = uv_now(s->loop);
    r->shard = shard;
    r->seq = s->sent[shard];
    vt_map_put(&s->recent, &r->node, r->sha256);
    if (s->recent_tail)
        s->recent_tail->next = r;
    else
        s->recent_head = r;
    s->recent_tail = r;
    s->recent_bytes += r->text.len;
    recent_expire(s, 0);
}

/* Build oj from a recent OCR result of the same content: 1 if there is one. */
static int recent_take(struct indexer_service *s, struct ocrjob *oj)
{
    struct vt_map_node *n = oj->sha256[0] ? vt_map_get(&s->recent, oj->sha256) : NULL;
    struct recent *r;

    if (n == NULL)
        return 0;
    r = vt_map_entry(n, struct recent, node);
    buf_init(&oj->text, s->cfg.max_text + 1);
    if (buf_add(&oj->text, r->text.ptr, r->text.len) < 0)
        buf_reset(&oj->text);
    oj->pages = r->pages;
    oj->confidence = r->confidence;
    oj->origin = r->origin;
    oj->pc = pc_dup(r->pc, r->npc);
    oj->npc = oj->pc ? r->npc : 0;
    oj->code = r->code;
    snprintf(oj->reason, sizeof(oj->reason), "%s", r->reason);
    oj->copy = 1;
    snprintf(oj->from, sizeof(oj->from), "%s", r->from);
    push_build(s, oj);
    return 1;
}

/* ---- handing paths to the OCR pool ---------------------------------------------- */

/* Threadpool: is the path still the file that was hashed? */
static void ocr_check_work(uv_work_t *req)
{
    struct ocrjob *oj = req->data;
    struct stat now;

    oj->check_res = check_path(oj->root, oj->check_path, &oj->st, &now);
}

static void after_ocr_check(uv_work_t *req, int status);

static void ocr_check_start(struct indexer_service *s, struct ocrjob *oj, int from_wait)
{
    int rc;

    if (oj->check_path == NULL)
        oj->check_path = xstrdup(oj->f->path);
    oj->from_wait = from_wait;
    oj->check.data = oj;
    rc = uv_queue_work(s->loop, &oj->check, ocr_check_work, after_ocr_check);
    if (rc < 0)
        VT_BUG("uv_queue_work: %s", uv_strerror(rc));
    s->checking++;
}

/* Room in the pool may have come: check the first waiting file. */
static void ocr_feed(struct indexer_service *s)
{
    struct ocrjob *oj = s->ow_head;

    if (oj == NULL || s->ow_checking || s->stopping || s->ocr_stopped)
        return;
    s->ow_head = oj->next;
    if (s->ow_head == NULL)
        s->ow_tail = NULL;
    s->ow_len--;
    s->ow_checking = 1;
    ocr_check_start(s, oj, 1);
}

/* The path goes to the pool only after a check that it still opens,
 * beneath its archive folder, as the file that was hashed; files wait
 * their turn (ow list) while the pool is full. */
static void ocr_submit(struct indexer_service *s, struct ocrjob *oj)
{
    if (s->ow_len > 0 || s->ow_checking) {
        oj->next = NULL;
        if (s->ow_tail)
            s->ow_tail->next = oj;
        else
            s->ow_head = oj;
        s->ow_tail = oj;
        s->ow_len++;
        return;
    }
    ocr_check_start(s, oj, 0);
}

static void after_ocr_check(uv_work_t *req, int status)
{
    struct ocrjob *oj = req->data;
    struct indexer_service *s = oj->s;
    struct fent *f = oj->f;
    enum job_result res = oj->check_res;
    int rc;

    s->checking--;
    if (oj->from_wait)
        s->ow_checking = 0;
    if (status == UV_ECANCELED || s->stopping || s->ocr_stopped || s->cfg.ocr == NULL) {
        /* The file stays "needs-ocr" for the next start. */
        f->state = F_IDLE;
        group_end(s, oj->group, NULL);
        ocrjob_free(oj);
        maybe_stopped(s);
        return;
    }
    if (res != R_DONE) {
        log_info("ocr: '%s' is no longer the file that was read; not sent to the OCR pool",
                 f->path);
        f->state = F_IDLE;
        group_end(s, oj->group, NULL);
        ocrjob_free(oj);
        f->dirty = 0;
        on_mismatch(s, f, res);
        ocr_feed(s);
        update_pause(s);
        pump(s);
        return;
    }
    rc = ocr_pool_submit_under(s->cfg.ocr, oj->root, f->path, s->ocr_lang, on_ocr_done, oj);
    if (rc == UV_EAGAIN) {
        /* Full: first in line when room comes (checked again then). */
        oj->next = s->ow_head;
        s->ow_head = oj;
        if (s->ow_tail == NULL)
            s->ow_tail = oj;
        s->ow_len++;
        return;
    }
    if (rc < 0) {
        /* The pool stopped: the file stays "needs-ocr" for the next start. */
        f->state = F_IDLE;
        group_end(s, oj->group, NULL);
        ocrjob_free(oj);
        maybe_stopped(s);
        return;
    }
    s->ocr_out++;
    s->stats.ocr_jobs++;
    log_info("ocr: '%s' sent to the OCR pool", f->path);
    ocr_feed(s);
}

/* ---- jobs on the threadpool ---------------------------------------------------- */

static const char *rec_str(json_t *rec, const char *key)
{
    json_t *v = json_object_get(rec, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A document with the same content already holds text: build this file's
 * document from it.  1 if done, 0 if there is none. */
static int try_reuse(struct job *j, const struct ingest_config *icfg, struct storage_doc **doc)
{
    struct indexer_service *s = j->s;
    struct slot *sl = j->slot;
    struct vt_err e;
    json_t *rec = NULL;
    struct buf text;
    struct ingest_text t;
    struct ingest_outcome out;
    int rc = 0;

    if (j->out.sha256[0] == '\0')
        return 0;
    if (sl->reader == NULL) {
        if (storage_open(s->data_dir, 0, &sl->reader, &e) < 0)
            return 0;
    } else if (storage_reopen(sl->reader, &e) < 0) {
        return 0;
    }
    buf_init(&text, s->cfg.max_text + 1);
    if (storage_find_sha256(sl->reader, j->out.sha256, &rec, &text, &e) < 0)
        goto out;
    if (rec_str(rec, "status") == NULL || strcmp(rec_str(rec, "status"), "indexed") != 0)
        goto out;
    memset(&t, 0, sizeof(t));
    t.text = text.ptr ? text.ptr : "";
    t.text_len = text.len;
    t.mime = j->out.mime;
    t.sha256 = j->out.sha256;
    t.pages = (unsigned)json_integer_value(json_object_get(rec, "pages"));
    t.ocr_confidence = json_is_number(json_object_get(rec, "ocr_confidence"))
                           ? json_number_value(json_object_get(rec, "ocr_confidence"))
                           : -1;
    t.origin = rec_str(rec, "text_source") ? rec_str(rec, "text_source") : "copy";
    if (ingest_text(icfg, j->root, j->path, &j->st, &t, doc, &out, &j->err) < 0)
        goto out;
    snprintf(j->reused_from, sizeof(j->reused_from), "%s",
             rec_str(rec, "path") ? rec_str(rec, "path") : "?");
    j->out = out;
    rc = 1;
out:
    json_decref(rec);
    buf_release(&text);
    return rc;
}

/* What an open that failed says about the name (open_rc of ingest.h). */
static enum job_result open_result(int open_rc)
{
    if (open_rc == -ENOENT || open_rc == -ENOTDIR)
        return R_GONE;
    if (open_rc == -ELOOP || open_rc == -EXDEV || open_rc == VT_EBADINPUT)
        return R_NOTFILE;
    return R_DONE; /* unreadable (permissions): recorded with the reason */
}

static void work_extract(struct job *j)
{
    struct indexer_service *s = j->s;
    struct ingest_config icfg = {s->cfg.max_text, s->cfg.max_file_bytes, &j->cancel};
    struct stat st = j->st, now;
    struct storage_doc *reused = NULL;
    enum job_result res = R_DONE;
    int rc;

    if (j->slot->ex == NULL) {
        struct extract_config xcfg = {s->cfg.max_text, NULL};
        j->slot->ex = extractor_new(&xcfg, &j->err);
        if (j->slot->ex == NULL) {
            j->res = R_FATAL;
            return;
        }
    }
    rc = ingest_file(j->slot->ex, &icfg, j->root, j->path, &st, &j->doc, &j->out, &j->err);
    if (rc == UV_ECANCELED) {
        j->res = R_CANCELLED;
        return;
    }
    if (rc < 0) {
        j->res = R_FATAL;
        return;
    }
    if (j->out.open_rc == 0) {
        /* The file that settled, still under its name after the read and
         * unchanged by it: else it was replaced or is still being
         * written, and settles again. */
        res = same_id(&st, &j->st) ? check_path(j->root, j->path, &st, &now) : R_UNSETTLED;
        if (res == R_SKIP)
            res = R_UNSETTLED;
    } else if (j->out.open_rc != -ENAMETOOLONG) {
        res = open_result(j->out.open_rc);
    }
    j->st = st;
    if (res != R_DONE) {
        storage_doc_free(j->doc);
        j->doc = NULL;
        j->res = res;
        return;
    }
    j->res = R_DONE;
    if (strcmp(j->out.status, "needs-ocr") == 0) {
        j->res = R_NEEDS_OCR;
        if (try_reuse(j, &icfg, &reused)) {
            storage_doc_free(j->doc);
            j->doc = reused;
            j->res = R_REUSED;
        }
    }
}

/* A document from OCR text (or a copy's): only if the path still opens
 * as the file that was hashed before it went to the pool. */
static void work_build(struct job *j)
{
    struct indexer_service *s = j->s;
    struct ingest_config icfg = {s->cfg.max_text, s->cfg.max_file_bytes, NULL};
    struct ingest_text t;
    struct stat a;
    enum job_result res = check_path(j->root, j->path, &j->st, &a);

    if (res != R_DONE) {
        if (res == R_UNSETTLED)
            j->st = a;
        j->res = res;
        return;
    }
    memset(&t, 0, sizeof(t));
    t.text = j->text.ptr ? j->text.ptr : "";
    t.text_len = j->text.len;
    t.mime = j->mime;
    t.sha256 = j->sha256;
    t.pages = j->pages;
    t.ocr_confidence = j->confidence;
    t.origin = j->origin ? j->origin : "ocr";
    t.page_confidence = j->pc;
    t.npage_confidence = j->npc;
    t.code = j->ocr_code;
    t.reason = j->ocr_reason;
    if (ingest_text(&icfg, j->root, j->path, &a, &t, &j->doc, &j->out, &j->err) < 0) {
        j->res = R_FATAL;
        return;
    }
    j->st = a;
    j->res = R_DONE;
}

static void work_cb(uv_work_t *req)
{
    struct job *j = req->data;

    if (j->kind == JOB_EXTRACT)
        work_extract(j);
    else
        work_build(j);
}

static int status_class(const char *status)
{
    return strcmp(status, "failed") == 0 || strcmp(status, "unsupported") == 0 ? C_FAILED
                                                                               : C_INDEXED;
}

/* Hand the job's document to its writer and record the file as indexed;
 * returns the shard it went to. */
static unsigned write_doc(struct indexer_service *s, struct job *j, int complete)
{
    struct fent *f = j->f;
    unsigned shard = writer_send(s, j->doc, f->id, status_class(j->out.status));

    j->doc = NULL;
    f->has_doc = 1;
    f->complete = complete;
    f->size = (long long)j->st.st_size;
    f->mtime_ns = mtime_ns_of(&j->st);
    f->dev = (unsigned long long)j->st.st_dev;
    f->ino = (unsigned long long)j->st.st_ino;
    if (j->out.open_rc == -ENAMETOOLONG) /* the reason first: the path is cut */
        log_warn("%s (recorded as %s): '%s'", j->out.reason, j->out.status, f->path);
    else if (j->out.code != 0 && strcmp(j->out.status, "unsupported") != 0)
        log_warn("'%s': %s (recorded as %s)", f->path, j->out.reason, j->out.status);
    else if (j->kind == JOB_BUILD && j->origin != NULL && strcmp(j->origin, "pdf-text") == 0)
        log_info("indexed '%s' (%s, %zu bytes of text, from the PDF text layer)", f->path,
                 j->out.status, j->out.text_bytes);
    else
        log_info("indexed '%s' (%s, %zu bytes of text)", f->path, j->out.status,
                 j->out.text_bytes);
    return shard;
}

static void after_work_cb(uv_work_t *req, int status)
{
    struct job *j = req->data;
    struct indexer_service *s = j->s;
    struct fent *f = j->f;
    unsigned shard = 0;

    if (!j->big)
        s->inflight--;
    if (j->slot)
        j->slot->busy = 0;
    if (j->prev)
        j->prev->next = j->next;
    else
        s->running = j->next;
    if (j->next)
        j->next->prev = j->prev;
    f->state = F_IDLE;
    if (status == UV_ECANCELED || (j->res == R_CANCELLED && s->stopping))
        j->res = R_SKIP; /* stopping: the next start picks it up */
    switch (j->res) {
    case R_FATAL:
        set_fatal(s, j->err.code, &j->err);
        break;
    case R_GONE:
        doom(s, f);
        f = NULL; /* may be freed */
        break;
    case R_NOTFILE:
        f->dirty = 0;
        remove_now(s, f, "no longer a regular file");
        f = NULL; /* may be freed */
        break;
    case R_SKIP:
        break;
    case R_CANCELLED:
        log_info("stopped reading '%s': it changed; waiting for it to settle", f->path);
        f->dirty = 0;
        touch(s, f->path);
        break;
    case R_UNSETTLED:
        log_debug("'%s' changed while it was read; waiting for it to settle", f->path);
        touch(s, f->path);
        break;
    case R_DONE:
        shard = write_doc(s, j, 1);
        if (j->copy) {
            s->stats.reused++;
            log_info("reused the text of '%s' for '%s' (same sha256, no OCR)", j->reused_from,
                     j->path);
        } else if (j->kind == JOB_BUILD) {
            s->stats.ocr_done++;
        }
        break;
    case R_REUSED:
        s->stats.reused++;
        log_info("reused the text of '%s' for '%s' (same sha256, no OCR)", j->reused_from,
                 f->path);
        write_doc(s, j, 1);
        break;
    case R_NEEDS_OCR: {
        int with_ocr = s->cfg.ocr != NULL && !s->stopping;
        /* The "needs-ocr" document makes the file findable by name now,
         * and tells the next start to OCR it if this run does not. */
        write_doc(s, j, s->cfg.ocr == NULL);
        if (with_ocr) {
            struct ocrjob *oj = xcalloc(1, sizeof(*oj));
            oj->s = s;
            oj->f = f;
            oj->root = j->root;
            oj->st = j->st;
            snprintf(oj->mime, sizeof(oj->mime), "%s", j->out.mime);
            snprintf(oj->sha256, sizeof(oj->sha256), "%s", j->out.sha256);
            f->state = F_OCR;
            ocr_start(s, oj);
        }
        break;
    }
    }
    if (f != NULL && f->state == F_IDLE && f->dirty) {
        f->dirty = 0;
        touch(s, f->path);
    }
    if (j->kind == JOB_BUILD && !j->copy && j->res == R_DONE)
        recent_add(s, j, shard);
    group_end(s, j->group, j->res == R_DONE ? j : NULL);
    storage_doc_free(j->doc);
    buf_release(&j->text);
    free(j->pc);
    free(j->path);
    free(j);
    update_pause(s);
    pump(s);
    maybe_stopped(s);
}

static struct job *job_new(struct indexer_service *s, struct fent *f, enum job_kind kind)
{
    struct job *j = xcalloc(1, sizeof(*j));

    j->s = s;
    j->f = f;
    j->kind = kind;
    j->path = xstrdup(f->path);
    j->root = root_of(s, f->path);
    j->req.data = j;
    buf_init(&j->text, BUF_NOLIMIT);
    vt_err_clear(&j->err);
    return j;
}

static void job_start(struct indexer_service *s, struct job *j)
{
    int rc;

    j->next = s->running;
    j->prev = NULL;
    if (s->running)
        s->running->prev = j;
    s->running = j;
    j->f->state = F_RUNNING;
    if (j->big) {
        struct lane *l = &s->lane;
        l->cur = j;
        pthread_mutex_lock(&l->mu);
        l->todo = j;
        pthread_cond_signal(&l->cond);
        pthread_mutex_unlock(&l->mu);
        return;
    }
    s->inflight++;
    rc = uv_queue_work(s->loop, &j->req, work_cb, after_work_cb);
    if (rc < 0)
        VT_BUG("uv_queue_work: %s", uv_strerror(rc));
}

static struct slot *free_slot(struct indexer_service *s)
{
    for (unsigned i = 0; i < s->nslots; i++)
        if (!s->slots[i].busy)
            return &s->slots[i];
    return NULL;
}

/* Room for more work in the writers and the OCR backlog. */
static int room(const struct indexer_service *s)
{
    return !s->stopping && s->fatal_rc == 0 && s->wq_len < 4 * (size_t)s->cfg.queue_max &&
           s->ow_len + s->nfollowers < s->cfg.queue_max;
}

static void pump(struct indexer_service *s)
{
    if (s->lane.cur == NULL && s->bq_head != NULL && room(s)) {
        struct fent *f = s->bq_head;
        struct job *j;
        s->bq_head = f->qnext;
        if (s->bq_head == NULL)
            s->bq_tail = NULL;
        s->bq_len--;
        j = job_new(s, f, JOB_EXTRACT);
        j->st = f->st;
        j->big = 1;
        j->slot = &s->lane.slot;
        log_info("reading '%s' (%lld bytes) on the big-file thread", f->path,
                 (long long)f->st.st_size);
        job_start(s, j);
    }
    while (s->inflight < s->nslots && s->fatal_rc == 0) {
        struct slot *sl = free_slot(s);
        struct job *j;

        if (sl == NULL)
            break;
        if (s->builds_head != NULL) {
            /* OCR results first: they are the most expensive to lose. */
            struct ocrjob *oj = s->builds_head;
            s->builds_head = oj->next;
            if (s->builds_head == NULL)
                s->builds_tail = NULL;
            s->b_len--;
            j = job_new(s, oj->f, JOB_BUILD);
            j->st = oj->st;
            buf_release(&j->text);
            j->text = oj->text; /* moved */
            buf_init(&oj->text, 16);
            snprintf(j->mime, sizeof(j->mime), "%s", oj->mime);
            snprintf(j->sha256, sizeof(j->sha256), "%s", oj->sha256);
            j->pages = oj->pages;
            j->confidence = oj->confidence;
            j->origin = oj->origin;
            j->pc = oj->pc; /* moved */
            j->npc = oj->npc;
            oj->pc = NULL;
            j->ocr_code = oj->code;
            snprintf(j->ocr_reason, sizeof(j->ocr_reason), "%s", oj->reason);
            j->group = oj->group;
            j->copy = oj->copy;
            snprintf(j->reused_from, sizeof(j->reused_from), "%s", oj->from);
            ocrjob_free(oj);
        } else if (s->q_head != NULL && room(s)) {
            struct fent *f = s->q_head;
            s->q_head = f->qnext;
            if (s->q_head == NULL)
                s->q_tail = NULL;
            s->q_len--;
            j = job_new(s, f, JOB_EXTRACT);
            j->st = f->st;
        } else {
            break;
        }
        sl->busy = 1;
        j->slot = sl;
        job_start(s, j);
    }
    update_pause(s);
}

/* ---- the big-file lane ------------------------------------------------------------ */

static void *lane_main(void *arg)
{
    struct indexer_service *s = arg;
    struct lane *l = &s->lane;

    for (;;) {
        struct job *j;

        pthread_mutex_lock(&l->mu);
        while (l->todo == NULL && !l->stop)
            pthread_cond_wait(&l->cond, &l->mu);
        j = l->todo;
        l->todo = NULL;
        pthread_mutex_unlock(&l->mu);
        if (j == NULL)
            break;
        work_cb(&j->req);
        pthread_mutex_lock(&l->mu);
        l->done = j;
        pthread_mutex_unlock(&l->mu);
        uv_async_send(&l->async);
    }
    return NULL;
}

static void on_lane_async(uv_async_t *a)
{
    struct indexer_service *s = a->data;
    struct lane *l = &s->lane;
    struct job *j;

    pthread_mutex_lock(&l->mu);
    j = l->done;
    l->done = NULL;
    pthread_mutex_unlock(&l->mu);
    if (j == NULL)
        return;
    l->cur = NULL;
    after_work_cb(&j->req, 0);
}

/* ---- OCR results ------------------------------------------------------------------ */

static void on_ocr_done(const struct ocr_result *res, void *data)
{
    struct ocrjob *oj = data;
    struct indexer_service *s = oj->s;
    struct fent *f = oj->f;

    s->ocr_out--;
    if (res->status == OCR_CANCELLED) {
        log_info("ocr of '%s' cancelled; it stays 'needs-ocr' until the next start", f->path);
        f->state = F_IDLE;
        f->dirty = 0;
        group_end(s, oj->group, NULL);
        ocrjob_free(oj);
        maybe_stopped(s);
        return;
    }
    /* Room in the pool: the next waiting file goes in. */
    ocr_feed(s);
    if (res->status == OCR_OK) {
        size_t layer = 0;
        buf_init(&oj->text, s->cfg.max_text + 1);
        if (buf_add(&oj->text, res->text, res->text_len > s->cfg.max_text ? s->cfg.max_text
                                                                             : res->text_len) < 0)
            buf_reset(&oj->text);
        oj->pages = (unsigned)res->npages;
        oj->confidence = res->confidence;
        if (res->npages > 0) {
            oj->pc = xcalloc(res->npages, sizeof(*oj->pc));
            oj->npc = res->npages;
            for (size_t i = 0; i < res->npages; i++) {
                oj->pc[i] = res->pages[i].text_layer ? -1 : res->pages[i].confidence;
                layer += res->pages[i].text_layer ? 1 : 0;
            }
        }
        /* The same text_source as `vanthu index` (batch.c). */
        oj->origin = ingest_ocr_source(res->npages, layer);
        if (res->npages > 0 && layer == res->npages)
            /* Born-digital: no page went through Tesseract, so there is no
             * confidence (the pool says -1). */
            log_info("ocr: '%s' read (%zu pages from the PDF text layer, no OCR, %.1f s)",
                     f->path, res->npages, res->elapsed_ms / 1000);
        else if (layer > 0)
            log_info("ocr: '%s' read (%zu pages, %zu of them OCR'd, confidence %.0f, %.1f s)",
                     f->path, res->npages, res->npages - layer, res->confidence,
                     res->elapsed_ms / 1000);
        else
            log_info("ocr: '%s' read (%zu pages, confidence %.0f, %.1f s)", f->path,
                     res->npages, res->confidence, res->elapsed_ms / 1000);
    } else {
        buf_init(&oj->text, 16);
        oj->confidence = -1;
        oj->code = res->code ? res->code : VT_EBADINPUT;
        snprintf(oj->reason, sizeof(oj->reason), "ocr: %s", res->reason);
    }
    push_build(s, oj);
    pump(s);
    maybe_stopped(s);
}

/* ---- watcher callbacks ------------------------------------------------------- */

static void on_ready(void *data, const char *path, const struct stat *st)
{
    struct indexer_service *s = data;
    struct fent *f;

    if (s->stopping)
        return;
    f = fent_get(s, path);
    if (f == NULL)
        f = fent_add(s, path);
    spare(s, f);
    if (s->scanning_full)
        f->seen_gen = s->scan_gen;
    if (f->state != F_IDLE) {
        f->dirty = 1;
        return;
    }
    if (f->has_doc && f->complete && !f->force && unchanged(f, st)) {
        s->stats.unchanged++;
        return;
    }
    f->force = 0;
    f->st = *st;
    enqueue(s, f);
    pump(s);
}

static void on_gone(void *data, const char *path, int was_dir)
{
    struct indexer_service *s = data;
    struct fent *f = fent_get(s, path);

    cancel_reads(s, path);
    if (f != NULL)
        doom(s, f);
    if (was_dir) {
        size_t bucket = 0;
        struct vt_map_node *cur = NULL, *n;
        while ((n = vt_map_next(&s->files, &bucket, &cur)) != NULL) {
            f = vt_map_entry(n, struct fent, node);
            if (scan_under(f->path, path))
                doom(s, f);
        }
    }
}

static void on_not_regular(void *data, const char *path, const struct stat *st)
{
    struct indexer_service *s = data;
    struct fent *f = fent_get(s, path);

    if (f == NULL || s->stopping)
        return;
    cancel_reads(s, path);
    if (f->state != F_IDLE)
        f->dirty = 1; /* its job finds the name taken */
    remove_now(s, f,
               S_ISLNK(st->st_mode)    ? "it is now a symlink"
               : S_ISDIR(st->st_mode)  ? "it is now a folder"
               : S_ISFIFO(st->st_mode) ? "it is now a fifo"
                                       : "it is no longer a regular file");
}

static void on_changed(void *data, const char *path)
{
    cancel_reads(data, path);
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
    struct fent *f = fent_get(s, path);

    if (f == NULL)
        return 1;
    f->seen_gen = gen;
    spare(s, f);
    if (f->state != F_IDLE)
        return 0;
    if (f->has_doc && f->complete && !f->force && unchanged(f, st)) {
        s->stats.unchanged++;
        return 0;
    }
    return 1;
}

static void on_scan_done(void *data, unsigned gen, int full, int complete)
{
    struct indexer_service *s = data;
    size_t bucket = 0, n = 0;
    struct vt_map_node *cur = NULL, *node;

    if (!full)
        return;
    s->scanning_full = 0;
    if (!complete)
        return;
    /* Indexed files the walk did not meet are gone (or moved). */
    while ((node = vt_map_next(&s->files, &bucket, &cur)) != NULL) {
        struct fent *f = vt_map_entry(node, struct fent, node);
        if (f->has_doc && f->seen_gen != gen && f->state == F_IDLE && !f->doomed &&
            under_roots(s, f->path)) {
            doom(s, f);
            n++;
        }
    }
    if (n > 0)
        log_info("reconcile: %zu indexed files are no longer in the archive", n);
}

/* ---- timers ------------------------------------------------------------------------ */

static int pipeline_idle(struct indexer_service *s)
{
    struct indexer_watch_stats ws;

    if (s->q_len || s->bq_len || s->inflight || s->lane.cur || s->checking || s->ocr_out ||
        s->ow_len || s->b_len || s->nfollowers)
        return 0;
    if (s->watch == NULL)
        return 1;
    indexer_watch_stats(s->watch, &ws);
    return ws.pending == 0 && !ws.scanning;
}

static void reap_doomed(struct indexer_service *s)
{
    uint64_t now = uv_now(s->loop);
    int idle = pipeline_idle(s);
    struct fent **pp = &s->dlist;

    while (*pp != NULL) {
        struct fent *f = *pp;
        if (!f->doomed) {
            *pp = f->qnext;
            f->on_dlist = 0;
            /* Spared, or its name was taken by a symlink and the like. */
            if (!f->has_doc && f->state == F_IDLE)
                fent_free(s, f);
            continue;
        }
        if (f->state == F_IDLE && now >= f->doom_due &&
            (idle || now >= f->doom_due + DOOM_MAX_WAIT_MS)) {
            *pp = f->qnext;
            s->ndoomed--;
            log_info("removed '%s': no longer in the archive", f->path);
            writer_send(s, NULL, f->id, C_DELETED);
            fent_free(s, f);
            continue;
        }
        pp = &f->qnext;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct indexer_service *s = t->data;
    uint64_t now = uv_now(s->loop);

    if (s->ndoomed > 0 && !s->stopping)
        reap_doomed(s);
    recent_expire(s, 0);
    if (now - s->last_progress >= PROGRESS_EVERY_MS) {
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
    update_pause(s);
    pump(s);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void apply_defaults(struct indexer_service_config *c)
{
    if (c->queue_max == 0)
        c->queue_max = 64;
    if (c->max_inflight == 0)
        c->max_inflight = 2;
    if (c->commit_docs == 0)
        c->commit_docs = 200;
    if (c->commit_ms == 0)
        c->commit_ms = 1000;
    if (c->max_text == 0)
        c->max_text = (size_t)16 << 20;
    if (c->move_grace_ms == 0)
        c->move_grace_ms = 2 * c->settle_ms + 1000;
    if (c->stop_grace_ms == 0)
        c->stop_grace_ms = 3000;
    if (c->max_file_bytes == 0)
        c->max_file_bytes = INGEST_DEFAULT_MAX_FILE_BYTES;
}

static void service_free(struct indexer_service *s);

int indexer_service_start(uv_loop_t *loop, const struct indexer_service_config *cfg,
                          struct indexer_service **out, struct vt_err *err)
{
    struct indexer_service *s = xcalloc(1, sizeof(*s));
    struct indexer_watch_config wc;
    struct indexer_watch_cbs cbs = {on_ready,     on_gone,        on_scan_start, on_scanned,
                                    on_scan_done, on_not_regular, on_changed};
    char *exclude[1];
    int rc;

    *out = NULL;
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
    vt_map_init(&s->files);
    vt_map_init(&s->ocr_groups);
    vt_map_init(&s->recent);
    pthread_mutex_init(&s->done_mu, NULL);
    pthread_mutex_init(&s->lane.mu, NULL);
    pthread_cond_init(&s->lane.cond, NULL);
    s->nslots = s->cfg.max_inflight;
    s->slots = xcalloc(s->nslots, sizeof(*s->slots));

    if ((rc = storage_open(s->data_dir, 1, &s->st, err)) < 0)
        goto fail;
    /* Before the loop serves anything: the per-file state of the index
     * (a few hundred ms for 100,000 files). */
    if ((rc = ingest_each_file(s->data_dir, load_cb, s, err)) < 0)
        goto fail;
    log_info("index '%s': %zu files known", s->data_dir, s->files.n);

    uv_async_init(loop, &s->async, on_async);
    s->async.data = s;
    uv_async_init(loop, &s->lane.async, on_lane_async);
    s->lane.async.data = s;
    /* Without its thread, big files go through the pool like the rest. */
    s->lane.started = pthread_create(&s->lane.th, NULL, lane_main, s) == 0;
    if (!s->lane.started)
        log_warn("cannot start the big-file thread; big files are read with the others");
    uv_timer_init(loop, &s->tick);
    uv_timer_init(loop, &s->grace);
    s->tick.data = s->grace.data = s;
    s->nwriters = storage_nshards(s->st);
    for (unsigned k = 0; k < s->nwriters; k++) {
        struct writer *w = &s->writers[k];
        w->s = s;
        w->shard = k;
        w->commit_docs = s->cfg.commit_docs;
        w->commit_ms = s->cfg.commit_ms;
        pthread_mutex_init(&w->mu, NULL);
        {
            pthread_condattr_t ca;
            pthread_condattr_init(&ca);
            pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
            pthread_cond_init(&w->cond, &ca);
            pthread_condattr_destroy(&ca);
        }
        if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
            rc = vt_err_set(err, VT_EINTERNAL, "cannot start the writer threads");
            s->nwriters = k + 1; /* its mutex and cond exist */
            goto fail_loop;
        }
        w->started = 1;
    }
    s->last_progress = uv_now(loop);
    uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);

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
    rc = indexer_watch_start(loop, &wc, &cbs, s, &s->watch, err);
    free(exclude[0]);
    if (rc < 0)
        goto fail_loop;
    *out = s;
    return 0;

fail_loop:
    /* Handles exist: finish through the normal stop path. */
    s->fatal_rc = rc;
    if (err)
        s->fatal_err = *err;
    indexer_service_stop(s, NULL, NULL);
    return rc;
fail:
    storage_close(s->st);
    pthread_mutex_destroy(&s->done_mu);
    pthread_mutex_destroy(&s->lane.mu);
    pthread_cond_destroy(&s->lane.cond);
    free(s->slots);
    vt_map_release(&s->files);
    vt_map_release(&s->ocr_groups);
    vt_map_release(&s->recent);
    xstrv_free(s->roots, s->nroots);
    free(s->data_dir);
    free(s->ocr_lang);
    free(s);
    return rc;
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
    for (unsigned k = 0; k < s->nwriters; k++) {
        pthread_mutex_lock(&s->writers[k].mu);
        s->writers[k].commit_docs = c.commit_docs;
        s->writers[k].commit_ms = c.commit_ms;
        pthread_cond_signal(&s->writers[k].cond);
        pthread_mutex_unlock(&s->writers[k].mu);
    }
    if (s->watch)
        indexer_watch_reconfigure(s->watch, c.settle_ms, c.reconcile_s, cfg->ignore, cfg->nignore);
    update_pause(s);
    pump(s);
}

int indexer_service_recheck(struct indexer_service *s, const char *path)
{
    struct fent *f;

    if (s->stopping || s->watch == NULL)
        return UV_ECANCELED;
    if (path[0] != '/' || !under_roots(s, path) || indexer_watch_ignored(s->watch, path))
        return VT_EBADINPUT;
    f = fent_get(s, path);
    if (f != NULL)
        f->force = 1;
    log_debug("'%s': checking it again on request", path);
    indexer_watch_touch(s->watch, path);
    return 0;
}

void indexer_service_stats(const struct indexer_service *s, struct indexer_service_stats *st)
{
    struct indexer_watch_stats ws;

    *st = s->stats;
    memset(&ws, 0, sizeof(ws));
    if (s->watch)
        indexer_watch_stats(s->watch, &ws);
    st->settling = ws.pending;
    st->watches = ws.watches;
    st->scanning = ws.scanning;
    st->running = s->inflight + (s->lane.cur != NULL);
    st->ocr_pending = s->checking + s->ocr_out + s->ow_len + s->b_len + s->nfollowers;
    st->queued = s->q_len + s->bq_len + ws.pending + st->ocr_pending;
    st->known = s->files.n;
}

static void on_watch_stopped(void *data)
{
    struct indexer_service *s = data;

    s->closing--;
    maybe_stopped(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct indexer_service *s = h->data;

    s->closing--;
    if (s->closing == 0)
        service_free(s);
}

static void stop_ocr(struct indexer_service *s)
{
    if (s->ocr_stopped)
        return;
    s->ocr_stopped = 1;
    /* Files waiting for room in the pool stay "needs-ocr" in the index. */
    while (s->ow_head != NULL) {
        struct ocrjob *oj = s->ow_head;
        s->ow_head = oj->next;
        oj->f->state = F_IDLE;
        group_end(s, oj->group, NULL);
        ocrjob_free(oj);
    }
    s->ow_tail = NULL;
    s->ow_len = 0;
    if (s->ocr_out > 0 && s->cfg.ocr != NULL)
        ocr_pool_stop(s->cfg.ocr); /* cancels: callbacks run now */
}

static void on_grace(uv_timer_t *t)
{
    struct indexer_service *s = t->data;

    if (s->ocr_out > 0)
        log_info("stopping: cancelling %zu OCR jobs still running", s->ocr_out);
    stop_ocr(s);
    maybe_stopped(s);
}

/* Called whenever something finished during a stop: move to the next step
 * once the one before is done. */
static void maybe_stopped(struct indexer_service *s)
{
    if (s->stopping != 1)
        return;
    if (s->fatal_rc != 0) {
        /* Nothing more can be written: drop what waits for a slot. */
        while (s->builds_head != NULL) {
            struct ocrjob *oj = s->builds_head;
            s->builds_head = oj->next;
            oj->f->state = F_IDLE;
            s->b_len--;
            group_end(s, oj->group, NULL); /* stopping: followers go idle */
            ocrjob_free(oj);
        }
        s->builds_tail = NULL;
        s->b_len = 0;
        stop_ocr(s);
    }
    if (s->ocr_out == 0 && !s->ocr_stopped) {
        s->ocr_stopped = 1;
        uv_timer_stop(&s->grace);
    }
    /* stop_ocr() runs callbacks, which may have come back here. */
    if (s->stopping != 1 || !s->ocr_stopped || s->inflight > 0 || s->lane.cur != NULL ||
        s->checking > 0 || s->b_len > 0 || s->closing > 0)
        return;
    if (!s->writers_stopping) {
        s->writers_stopping = 1;
        uv_timer_stop(&s->grace);
        for (unsigned k = 0; k < s->nwriters; k++) {
            struct writer *w = &s->writers[k];
            if (!w->started) {
                s->writers_done++; /* never ran */
                continue;
            }
            pthread_mutex_lock(&w->mu);
            w->stop = 1;
            pthread_cond_signal(&w->cond);
            pthread_mutex_unlock(&w->mu);
        }
    }
    if (s->writers_done < s->nwriters)
        return;
    /* Everything is committed: join and close. */
    for (unsigned k = 0; k < s->nwriters; k++)
        if (s->writers[k].started) {
            pthread_join(s->writers[k].th, NULL);
            s->writers[k].started = 0;
        }
    if (s->lane.started) {
        pthread_mutex_lock(&s->lane.mu);
        s->lane.stop = 1;
        pthread_cond_signal(&s->lane.cond);
        pthread_mutex_unlock(&s->lane.mu);
        pthread_join(s->lane.th, NULL);
        s->lane.started = 0;
    }
    s->stopping = 2;
    s->closing = 4;
    uv_close((uv_handle_t *)&s->lane.async, on_handle_closed);
    uv_close((uv_handle_t *)&s->async, on_handle_closed);
    uv_close((uv_handle_t *)&s->tick, on_handle_closed);
    uv_close((uv_handle_t *)&s->grace, on_handle_closed);
}

void indexer_service_stop(struct indexer_service *s, void (*done)(void *data, int rc), void *data)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    s->done = done;
    s->done_data = data;
    log_info("indexer stopping: %zu queued files left for the next start, %u jobs running, "
             "%zu OCR jobs",
             s->q_len + s->bq_len, s->inflight + (s->lane.cur != NULL), s->ocr_out);
    /* Stop intake: the watcher, then the queue. */
    if (s->watch != NULL) {
        s->closing++;
        indexer_watch_stop(s->watch, on_watch_stopped, s);
        s->watch = NULL;
    }
    while (s->q_head != NULL) {
        struct fent *f = s->q_head;
        s->q_head = f->qnext;
        f->state = F_IDLE;
    }
    s->q_tail = NULL;
    s->q_len = 0;
    while (s->bq_head != NULL) {
        struct fent *f = s->bq_head;
        s->bq_head = f->qnext;
        f->state = F_IDLE;
    }
    s->bq_tail = NULL;
    s->bq_len = 0;
    /* Jobs not yet picked up by a pool thread come back cancelled; the
     * others stop reading at their next chunk, so a stop never waits for
     * a whole hash. */
    for (struct job *j = s->running; j != NULL; j = j->next) {
        __atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
        if (!j->big)
            uv_cancel((uv_req_t *)&j->req);
    }
    if (s->ocr_out > 0)
        uv_timer_start(&s->grace, on_grace, s->cfg.stop_grace_ms, 0);
    else
        stop_ocr(s);
    maybe_stopped(s);
}

static void service_free(struct indexer_service *s)
{
    size_t bucket = 0;
    struct vt_map_node *cur = NULL, *n;
    void (*done)(void *, int) = s->done;
    void *data = s->done_data;
    int rc = s->fatal_rc;

    storage_close(s->st); /* the writers committed */
    for (unsigned i = 0; i < s->nslots; i++) {
        extractor_free(s->slots[i].ex);
        storage_close(s->slots[i].reader);
    }
    free(s->slots);
    extractor_free(s->lane.slot.ex);
    storage_close(s->lane.slot.reader);
    pthread_mutex_destroy(&s->lane.mu);
    pthread_cond_destroy(&s->lane.cond);
    for (unsigned k = 0; k < s->nwriters; k++) {
        struct writer *w = &s->writers[k];
        while (w->head != NULL) {
            struct wop *op = w->head;
            w->head = op->next;
            storage_doc_free(op->doc);
            free(op);
        }
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cond);
    }
    while (s->done_head != NULL) {
        struct wdone *d = s->done_head;
        s->done_head = d->next;
        free(d);
    }
    while (s->builds_head != NULL) {
        struct ocrjob *oj = s->builds_head;
        s->builds_head = oj->next;
        ocrjob_free(oj);
    }
    while ((n = vt_map_next(&s->files, &bucket, &cur)) != NULL) {
        struct fent *f = vt_map_entry(n, struct fent, node);
        free(f->path);
        free(f);
    }
    vt_map_release(&s->files);
    /* Every group ended with its leader; this is only a safety net. */
    bucket = 0;
    cur = NULL;
    while ((n = vt_map_next(&s->ocr_groups, &bucket, &cur)) != NULL) {
        struct ocrgroup *g = vt_map_entry(n, struct ocrgroup, node);
        vt_map_del(&s->ocr_groups, n);
        while (g->followers != NULL) {
            struct ocrjob *oj = g->followers;
            g->followers = oj->next;
            ocrjob_free(oj);
        }
        free(g);
    }
    vt_map_release(&s->ocr_groups);
    recent_expire(s, 1);
    vt_map_release(&s->recent);
    pthread_mutex_destroy(&s->done_mu);
    xstrv_free(s->roots, s->nroots);
    free(s->data_dir);
    free(s->ocr_lang);
    free(s);
    log_info("indexer stopped");
    if (done)
        done(data, rc);
}
