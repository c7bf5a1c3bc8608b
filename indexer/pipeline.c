/* The indexing pipeline (see pipeline.h).
 *
 * Design.  The loop owns a map of every file the pipeline knows (struct
 * fent): its indexed state (from the index at start, then from what it
 * writes) and where it is in the pipeline:
 *
 *   IDLE --offer--> QUEUED --pump--> RUNNING (uv_queue_work: extract)
 *   RUNNING --> IDLE (written, unchanged, gone, or not settled after all)
 *   RUNNING --needs OCR--> OCR (in the pool, or waiting for room in it)
 *   OCR --result--> BUILD (waiting for a slot) --> RUNNING (build) --> IDLE
 *
 * A revisit of a busy file sets its dirty bit, and the file is handed back
 * to the feeder (cbs.again) when it comes back to IDLE; a worker that
 * finds the file changed under it (size or mtime) drops its result and
 * hands the path back the same way, so a half-written file is never
 * indexed.
 *
 * Work on the threadpool is bounded by max_inflight slots, each with its
 * own extractor (libmagic handle) and read-only index handle for the
 * sha256 look-up; a slot belongs to one job at a time, and the handoff
 * through uv_queue_work orders its uses.  Queue lengths drive backpressure
 * (cbs.pause): the queue, the OCR backlog or the writers' queues full.
 *
 * Copies arriving together: a file that needs OCR while a file with the
 * same sha256 is already in the OCR pool (or waiting for it) follows that
 * job (struct ocrgroup) instead of being OCR'd too; once the leader's
 * document is built from the result (its file unchanged since it was
 * hashed), each follower is built from the same text.  If the leader's
 * result is lost (changed, gone, cancelled), the first follower is sent to
 * the pool in its place.  A built OCR result also stays in a small cache
 * (struct recent: RECENT_MAX_BYTES, kept at least RECENT_MIN_MS or two
 * commit periods, and until the writers have committed) because the index
 * cannot lend it before its commit: a file moved or copied right after
 * its OCR takes it from there.
 *
 * OCR results become documents through one adapter (struct ocrtext): the
 * pool's result is copied into it, followers and the cache copy it, and a
 * build job turns it into the struct ingest_text of ingest.h, so every
 * document made from OCR says the same (text_source, page confidences,
 * the reason of a failure).
 *
 * Reading originals: every open is vt_open_under() beneath the root the
 * file was offered with (common/safefile.h), so no symlink below it is
 * followed, and the file is compared by device, inode, size and mtime
 * (same_id) wherever the pipeline checks that it still has the file it
 * was offered, hashed or sent to OCR.  The OCR pool reads by path, so a
 * file is opened and compared just before its path goes to the pool (a
 * short threadpool job, struct ocrjob.check) and again before its result
 * is recorded (work_build).
 *
 * Big files: a file above BIG_FILE_BYTES (and within max_file_bytes) is
 * hashed by a thread of its own (struct lane), one at a time, so that a
 * terabyte-sized or sparse file never holds the threadpool slots that
 * every other file needs.  Every job carries a cancel flag checked
 * between hash chunks: indexer_pipeline_cancel() sets it (a file-system
 * event for its path), and the job hands the path back to settle; a stop
 * sets it for every job, so a stop never waits for a hash. */
#include "config.h"

#include "indexer/pipeline.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/map.h"
#include "common/queue.h"
#include "common/safefile.h"
#include "common/xalloc.h"
#include "indexer/extract.h"
#include "indexer/ingest.h"
#include "indexer/scan.h"
#include "indexer/writer.h"
#include "ocr/pool.h"
#include "storage/storage.h"

#define TICK_MS 200
#define RECENT_MAX_BYTES ((size_t)16 << 20)
#define RECENT_MIN_MS 5000
/* Above this, a file is hashed in the big-file lane. */
#define BIG_FILE_BYTES ((off_t)256 << 20)

enum fstate { F_IDLE, F_QUEUED, F_RUNNING, F_OCR, F_BUILD };

struct fent {
    struct vt_map_node node;
    struct vt_queue link; /* the extraction queue or the big-file queue */
    char *path;
    const char *root;     /* as offered (borrowed) */
    struct stat st;           /* as offered */
    long long size, mtime_ns; /* as indexed */
    unsigned long long dev, ino; /* as indexed; 0: not known (loaded from
                                  * the index, which keeps them only in
                                  * the record) */
    enum fstate state;
    unsigned has_doc : 1, complete : 1, dirty : 1;
    unsigned force : 1; /* indexer_pipeline_force: index it again even if
                         * it looks unchanged */
    unsigned tries;     /* reads in a row spoilt by a change */
    unsigned seen_gen;
};

enum job_kind { JOB_EXTRACT, JOB_BUILD };
enum job_result {
    R_DONE,
    R_REUSED,
    R_NEEDS_OCR,
    R_UNSETTLED, /* not the file that was offered, or changed while read */
    R_GONE,
    R_NOTFILE,   /* the name is no longer a regular file (or leads through
                  * a symlink) */
    R_CANCELLED, /* the cancel flag stopped the read */
    R_SKIP,
    R_FATAL
};

/* Text from the OCR pool, or a copy of such text: what a document is built
 * from when its file is not extracted (owned). */
struct ocrtext {
    struct buf text;
    unsigned pages, layer; /* pages, and how many came from a PDF text layer */
    double confidence;
    const char *origin;    /* text_source (a static string) */
    double *pc;            /* confidence of each page, -1 for a text layer */
    size_t npc;
    int code;              /* != 0: OCR failed, reason says why */
    char reason[VT_ERR_MSG_MAX];
};

struct slot {
    struct extractor *ex;
    struct storage *reader;
    int busy;
};

struct ocrgroup;

struct job {
    uv_work_t req;
    struct vt_queue link;   /* p->running */
    struct indexer_pipeline *p;
    struct fent *f;
    char *path;             /* copy for the worker */
    const char *root;
    enum job_kind kind;
    struct slot *slot;
    int big;                /* runs in the big-file lane, not the pool */
    int cancel;             /* set (__atomic) to stop reading */
    struct stat st;         /* expected; then what the worker found */
    /* JOB_BUILD input, from the OCR pool or a copy's result */
    struct ocrtext t;
    char mime[128];
    char sha256[65];
    struct ocrgroup *group; /* a leader's build: its followers */
    int copy;               /* a follower's build: text from reused_from */
    /* output */
    enum job_result res;
    struct storage_doc *doc;
    struct ingest_outcome out;
    char reused_from[512];
    unsigned shard;          /* where its document went */
    unsigned long long seq;
    struct vt_err err;
};

/* What a file's OCR needs once the pool answers. */
struct ocrjob {
    struct vt_queue link;   /* ocr_wait, builds, or its group's followers */
    struct indexer_pipeline *p;
    struct fent *f;
    const char *root;
    struct stat st;         /* the file that was hashed (fstat) */
    char mime[128];
    char sha256[65];
    /* The check before the path goes to the pool (threadpool). */
    uv_work_t check;
    char *check_path;
    enum job_result check_res;
    int from_wait;          /* the check of the first file in ocr_wait */
    struct ocrtext t;
    struct ocrgroup *group; /* leader: the files waiting for its result */
    int copy;               /* follower built from the text of from */
    char from[512];
};

/* An OCR result built into a document that may not be committed yet. */
struct recent {
    struct vt_map_node node;
    struct vt_queue link;    /* oldest first */
    char sha256[65];
    char *from;
    struct ocrtext t;
    uint64_t at;             /* loop time it was built */
    unsigned shard;          /* its document's shard */
    unsigned long long seq;  /* and operation number there */
};

/* The files waiting for the OCR of a copy of theirs (same sha256) that is
 * in the pool, or waiting for room in it: one OCR job per content. */
struct ocrgroup {
    struct vt_map_node node;
    char sha256[65];
    struct vt_queue followers;
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

struct indexer_pipeline {
    uv_loop_t *loop;
    struct indexer_pipeline_config cfg;
    struct indexer_pipeline_cbs cbs;
    char *data_dir, *ocr_lang;
    struct ocr_pool *ocr; /* cfg.ocr, or opened on first need */
    int ocr_on;           /* OCR is there, or can be started */
    struct indexer_writer *writer;
    struct vt_map files;
    struct vt_queue queue, bigq; /* fent: waiting for a slot, the lane */
    size_t q_len, bq_len;
    struct lane lane;
    struct slot *slots;
    unsigned nslots, inflight;
    struct vt_queue running; /* jobs */
    size_t checking;         /* OCR pre-checks on the threadpool */
    struct vt_queue ocr_wait; /* ocrjobs waiting for room in the OCR pool */
    size_t ow_len, ocr_out;  /* waiting; submitted and not answered */
    int ow_checking;         /* the first waiting file is being checked */
    struct vt_queue builds;  /* ocrjobs answered, waiting for a slot */
    size_t b_len;
    struct vt_map ocr_groups; /* sha256 -> struct ocrgroup */
    size_t nfollowers;        /* files in ocr_groups */
    struct vt_map recent;     /* sha256 -> struct recent */
    struct vt_queue recent_list;
    size_t recent_bytes;
    uv_timer_t tick, grace;
    int paused;
    int stopping, ocr_stopped, writer_stopping;
    int fatal_rc;
    struct vt_err fatal_err;
    unsigned closing;
    indexer_pipeline_done_cb done;
    void *done_data;
    struct indexer_pipeline_stats stats;
};

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

/* ---- OCR results to documents ----------------------------------------- */

static void ocrtext_init(struct ocrtext *t)
{
    memset(t, 0, sizeof(*t));
    buf_init(&t->text, 16);
    t->confidence = -1;
}

static void ocrtext_release(struct ocrtext *t)
{
    buf_release(&t->text);
    free(t->pc);
    t->pc = NULL;
    t->npc = 0;
}

static void ocrtext_set_text(struct ocrtext *t, const char *text, size_t len, size_t max)
{
    buf_release(&t->text);
    buf_init(&t->text, max + 1);
    if (buf_add(&t->text, text, len > max ? max : len) < 0)
        buf_reset(&t->text);
}

/* t (initialised) from the pool's result; text beyond max_text is cut. */
static void ocrtext_from_result(struct ocrtext *t, const struct ocr_result *res, size_t max_text)
{
    if (res->status != OCR_OK) {
        t->code = res->code ? res->code : VT_EBADINPUT;
        snprintf(t->reason, sizeof(t->reason), "ocr: %s", res->reason);
        return;
    }
    ocrtext_set_text(t, res->text, res->text_len, max_text);
    t->pages = (unsigned)res->npages;
    t->confidence = res->confidence;
    if (res->npages > 0) {
        t->pc = xcalloc(res->npages, sizeof(*t->pc));
        t->npc = res->npages;
        for (size_t i = 0; i < res->npages; i++) {
            t->pc[i] = res->pages[i].text_layer ? -1 : res->pages[i].confidence;
            t->layer += res->pages[i].text_layer ? 1 : 0;
        }
    }
    t->origin = ingest_ocr_source(res->npages, t->layer);
}

/* dst (initialised) becomes a copy of src. */
static void ocrtext_copy(struct ocrtext *dst, const struct ocrtext *src, size_t max_text)
{
    ocrtext_release(dst);
    ocrtext_set_text(dst, src->text.ptr, src->text.len, max_text);
    dst->pages = src->pages;
    dst->layer = src->layer;
    dst->confidence = src->confidence;
    dst->origin = src->origin;
    if (src->pc != NULL && src->npc > 0) {
        dst->pc = xcalloc(src->npc, sizeof(*dst->pc));
        memcpy(dst->pc, src->pc, src->npc * sizeof(*dst->pc));
        dst->npc = src->npc;
    }
    dst->code = src->code;
    snprintf(dst->reason, sizeof(dst->reason), "%s", src->reason);
}

/* What ingest_text() builds the document from; t stays borrowed. */
static void ocrtext_to_ingest(const struct ocrtext *t, const char *mime, const char *sha256,
                              struct ingest_text *it)
{
    memset(it, 0, sizeof(*it));
    it->text = t->text.ptr ? t->text.ptr : "";
    it->text_len = t->text.len;
    it->mime = mime;
    it->sha256 = sha256;
    it->pages = t->pages;
    it->ocr_confidence = t->confidence;
    it->origin = t->origin ? t->origin : "ocr";
    it->page_confidence = t->pc;
    it->npage_confidence = t->npc;
    it->code = t->code;
    it->reason = t->reason;
}

/* ---- known files ------------------------------------------------------- */

static struct fent *fent_get(const struct indexer_pipeline *p, const char *path)
{
    struct vt_map_node *n = vt_map_get(&p->files, path);

    return n ? vt_map_entry(n, struct fent, node) : NULL;
}

static struct fent *fent_add(struct indexer_pipeline *p, const char *path)
{
    struct fent *f = xcalloc(1, sizeof(*f));

    f->path = xstrdup(path);
    vt_queue_init(&f->link);
    vt_map_put(&p->files, &f->node, f->path);
    return f;
}

static void fent_free(struct indexer_pipeline *p, struct fent *f)
{
    vt_map_del(&p->files, &f->node);
    free(f->path);
    free(f);
}

static int load_cb(void *data, const struct storage_file *sf)
{
    struct indexer_pipeline *p = data;
    struct fent *f;

    if (sf->path[0] != '/' || fent_get(p, sf->path) != NULL)
        return 0;
    f = fent_add(p, sf->path);
    f->has_doc = 1;
    f->size = sf->size;
    f->mtime_ns = sf->mtime_ns;
    /* Without OCR, "needs-ocr" is as far as a file gets. */
    f->complete = strcmp(sf->status, "needs-ocr") != 0 || !p->ocr_on;
    return 0;
}

static void fent_info(const struct fent *f, struct indexer_file_info *fi)
{
    fi->path = f->path;
    fi->busy = f->state != F_IDLE;
    fi->has_doc = f->has_doc;
    fi->seen_gen = f->seen_gen;
}

/* ---- small steps -------------------------------------------------------- */

static void pump(struct indexer_pipeline *p);
static void maybe_stopped(struct indexer_pipeline *p);

/* what: "the index cannot be written", or what else cannot go on. */
static void set_fatal_what(struct indexer_pipeline *p, int rc, const struct vt_err *err,
                           const char *what)
{
    if (p->fatal_rc != 0)
        return;
    p->fatal_rc = rc ? rc : VT_EIO;
    p->fatal_err = *err;
    log_error("%s: %s", what, err->msg[0] ? err->msg : vt_strerror(rc));
    if (p->cbs.fatal)
        p->cbs.fatal(p->cfg.cb_data, err);
}

static void set_fatal(struct indexer_pipeline *p, int rc, const struct vt_err *err)
{
    set_fatal_what(p, rc, err, "the index cannot be written");
}

/* The end of every loop callback that moved work: start what may start,
 * take the next step of a stop, tell the feeder when all is done. */
static void after_change(struct indexer_pipeline *p)
{
    pump(p);
    maybe_stopped(p);
    if (p->cbs.idle && !p->stopping && indexer_pipeline_idle(p))
        p->cbs.idle(p->cfg.cb_data);
}

/* A step of one file's way (info for the service, debug for a batch run,
 * whose summary says it all). */
#define log_step(p, ...) log_msg((p)->cfg.log_indexed ? LOG_INFO : LOG_DEBUG, __VA_ARGS__)

static void update_pause(struct indexer_pipeline *p)
{
    size_t cap = p->cfg.queue_max;
    size_t ow = p->ow_len + p->nfollowers;
    size_t q = p->q_len + p->bq_len;
    size_t wq, wb;
    int full, calm, paused = p->paused;

    if (p->stopping)
        return;
    wq = indexer_writer_queued(p->writer);
    wb = indexer_writer_queued_bytes(p->writer);
    full = q >= cap || ow >= cap || wq >= 4 * cap || wb >= p->cfg.queue_bytes;
    calm = q < cap / 2 + 1 && ow < cap / 2 + 1 && wq < 2 * cap && wb < p->cfg.queue_bytes / 2;
    if (!paused && full)
        paused = 1;
    else if (paused && calm)
        paused = 0;
    if (paused != p->paused) {
        p->paused = paused;
        if (p->cbs.pause)
            p->cbs.pause(p->cfg.cb_data, paused);
    }
}

/* A file for the big-file lane: long to hash, and read at all. */
static int is_big(const struct indexer_pipeline *p, const struct stat *st)
{
    return p->lane.started && st->st_size > BIG_FILE_BYTES &&
           (uint64_t)st->st_size <= p->cfg.max_file_bytes;
}

static void enqueue(struct indexer_pipeline *p, struct fent *f)
{
    f->state = F_QUEUED;
    if (is_big(p, &f->st)) {
        vt_queue_push(&p->bigq, &f->link);
        p->bq_len++;
    } else {
        vt_queue_push(&p->queue, &f->link);
        p->q_len++;
    }
}

/* Hand f (idle) back to the feeder to settle again. */
static void again(struct indexer_pipeline *p, struct fent *f)
{
    if (p->cbs.again && !p->stopping)
        p->cbs.again(p->cfg.cb_data, f->path, f->tries);
}

/* f (idle) was found gone: the feeder decides (f may be freed). */
static void gone(struct indexer_pipeline *p, struct fent *f)
{
    if (p->cbs.gone)
        p->cbs.gone(p->cfg.cb_data, f->path);
    else
        indexer_pipeline_remove(p, f->path, f->root, "no longer in the archive");
}

/* After a check found f (idle) not as expected: act on what it found. */
static void on_mismatch(struct indexer_pipeline *p, struct fent *f, enum job_result res)
{
    switch (res) {
    case R_GONE: gone(p, f); break;
    case R_NOTFILE: indexer_pipeline_remove(p, f->path, f->root, "no longer a regular file"); break;
    default: again(p, f); break;
    }
}

/* ---- the OCR pool ------------------------------------------------------ */

static void on_ocr_done(const struct ocr_result *res, void *data);
static void ocr_submit(struct indexer_pipeline *p, struct ocrjob *oj);
static int recent_take(struct indexer_pipeline *p, struct ocrjob *oj);

/* The pool, started on first need; NULL when there is none (fatal if it
 * cannot start). */
static struct ocr_pool *ocr_pool(struct indexer_pipeline *p)
{
    struct vt_err err;

    if (p->ocr != NULL || !p->ocr_on)
        return p->ocr;
    vt_err_clear(&err);
    p->ocr = p->cbs.ocr_open ? p->cbs.ocr_open(p->cfg.cb_data, &err) : NULL;
    if (p->ocr == NULL) {
        p->ocr_on = 0;
        set_fatal_what(p, err.code ? err.code : VT_EINTERNAL, &err, "cannot start OCR");
    }
    return p->ocr;
}

static struct ocrjob *ocrjob_new(struct indexer_pipeline *p, const struct job *j)
{
    struct ocrjob *oj = xcalloc(1, sizeof(*oj));

    oj->p = p;
    oj->f = j->f;
    oj->root = j->root;
    oj->st = j->st;
    snprintf(oj->mime, sizeof(oj->mime), "%s", j->out.mime);
    snprintf(oj->sha256, sizeof(oj->sha256), "%s", j->out.sha256);
    ocrtext_init(&oj->t);
    vt_queue_init(&oj->link);
    return oj;
}

static void ocrjob_free(struct ocrjob *oj)
{
    ocrtext_release(&oj->t);
    free(oj->check_path);
    free(oj);
}

/* oj's file goes back to idle without its OCR (it stays "needs-ocr"). */
static void ocrjob_drop(struct ocrjob *oj)
{
    oj->f->state = F_IDLE;
    ocrjob_free(oj);
}

static void push_build(struct indexer_pipeline *p, struct ocrjob *oj)
{
    oj->f->state = F_BUILD;
    vt_queue_push(&p->builds, &oj->link);
    p->b_len++;
}

/* Send oj to the OCR pool, or make it follow the job already there for
 * the same content. */
static void ocr_start(struct indexer_pipeline *p, struct ocrjob *oj)
{
    struct vt_map_node *n = oj->sha256[0] ? vt_map_get(&p->ocr_groups, oj->sha256) : NULL;
    struct ocrgroup *g;

    if (recent_take(p, oj))
        return;
    if (n != NULL) {
        g = vt_map_entry(n, struct ocrgroup, node);
        vt_queue_push(&g->followers, &oj->link);
        p->nfollowers++;
        log_debug("ocr: '%s' waits for the OCR of a copy (same sha256)", oj->f->path);
        return;
    }
    if (oj->sha256[0]) {
        g = xcalloc(1, sizeof(*g));
        snprintf(g->sha256, sizeof(g->sha256), "%s", oj->sha256);
        vt_queue_init(&g->followers);
        vt_map_put(&p->ocr_groups, &g->node, g->sha256);
        oj->group = g;
    }
    ocr_submit(p, oj);
}

/* The leader of g is done.  leader: its build job when its document was
 * built from the OCR result (the followers get the same text), or NULL
 * when the result is lost (the first follower goes to the pool instead,
 * unless OCR is stopping: then they stay "needs-ocr"). */
static void group_end(struct indexer_pipeline *p, struct ocrgroup *g, const struct job *leader)
{
    struct vt_queue list, *e;

    if (g == NULL)
        return;
    vt_map_del(&p->ocr_groups, &g->node);
    vt_queue_init(&list);
    vt_queue_move(&g->followers, &list);
    free(g);
    while ((e = vt_queue_pop(&list)) != NULL) {
        struct ocrjob *oj = vt_queue_entry(e, struct ocrjob, link);
        p->nfollowers--;
        if (leader != NULL) {
            ocrtext_copy(&oj->t, &leader->t, p->cfg.max_text);
            oj->copy = 1;
            snprintf(oj->from, sizeof(oj->from), "%s", leader->path);
            push_build(p, oj);
        } else if (!p->stopping && !p->ocr_stopped && p->ocr_on) {
            ocr_start(p, oj);
        } else {
            ocrjob_drop(oj);
        }
    }
}

/* ---- the recent OCR results ----------------------------------------------- */

static void recent_drop_head(struct indexer_pipeline *p)
{
    struct recent *r = vt_queue_entry(vt_queue_pop(&p->recent_list), struct recent, link);

    vt_map_del(&p->recent, &r->node);
    p->recent_bytes -= r->t.text.len;
    ocrtext_release(&r->t);
    free(r->from);
    free(r);
}

/* Drop entries whose document is committed (searchable, so a copy finds
 * its text in the index) and old enough, or all: force. */
static void recent_expire(struct indexer_pipeline *p, int force)
{
    uint64_t now = uv_now(p->loop);
    uint64_t age = 2 * (uint64_t)p->cfg.commit_ms + 1000;
    struct vt_queue *e;

    if (age < RECENT_MIN_MS)
        age = RECENT_MIN_MS;
    while ((e = vt_queue_head(&p->recent_list)) != NULL) {
        struct recent *r = vt_queue_entry(e, struct recent, link);
        if (!force && p->recent_bytes <= RECENT_MAX_BYTES &&
            (now < r->at + age || !indexer_writer_committed(p->writer, r->shard, r->seq)))
            break;
        recent_drop_head(p);
    }
}

/* Keep the OCR result of build job j (of content j->sha256), whose
 * document went to its writer. */
static void recent_add(struct indexer_pipeline *p, const struct job *j)
{
    struct recent *r;

    if (j->sha256[0] == '\0' || j->t.text.len > RECENT_MAX_BYTES / 4)
        return;
    if (vt_map_get(&p->recent, j->sha256) != NULL)
        return; /* the same text is there already */
    r = xcalloc(1, sizeof(*r));
    snprintf(r->sha256, sizeof(r->sha256), "%s", j->sha256);
    r->from = xstrdup(j->path);
    ocrtext_init(&r->t);
    ocrtext_copy(&r->t, &j->t, RECENT_MAX_BYTES);
    r->at = uv_now(p->loop);
    r->shard = j->shard;
    r->seq = j->seq;
    vt_map_put(&p->recent, &r->node, r->sha256);
    vt_queue_push(&p->recent_list, &r->link);
    p->recent_bytes += r->t.text.len;
    recent_expire(p, 0);
}

/* Build oj from a recent OCR result of the same content: 1 if there is one. */
static int recent_take(struct indexer_pipeline *p, struct ocrjob *oj)
{
    struct vt_map_node *n = oj->sha256[0] ? vt_map_get(&p->recent, oj->sha256) : NULL;
    struct recent *r;

    if (n == NULL)
        return 0;
    r = vt_map_entry(n, struct recent, node);
    ocrtext_copy(&oj->t, &r->t, p->cfg.max_text);
    oj->copy = 1;
    snprintf(oj->from, sizeof(oj->from), "%s", r->from);
    push_build(p, oj);
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

static void ocr_check_start(struct indexer_pipeline *p, struct ocrjob *oj, int from_wait)
{
    int rc;

    if (oj->check_path == NULL)
        oj->check_path = xstrdup(oj->f->path);
    oj->from_wait = from_wait;
    oj->check.data = oj;
    rc = uv_queue_work(p->loop, &oj->check, ocr_check_work, after_ocr_check);
    if (rc < 0)
        VT_BUG("uv_queue_work: %s", uv_strerror(rc));
    p->checking++;
}

/* Room in the pool may have come: check the first waiting file. */
static void ocr_feed(struct indexer_pipeline *p)
{
    struct vt_queue *e;

    if (p->ow_checking || p->stopping || p->ocr_stopped)
        return;
    if ((e = vt_queue_pop(&p->ocr_wait)) == NULL)
        return;
    p->ow_len--;
    p->ow_checking = 1;
    ocr_check_start(p, vt_queue_entry(e, struct ocrjob, link), 1);
}

/* The path goes to the pool only after a check that it still opens,
 * beneath its root, as the file that was hashed; files wait their turn
 * (ocr_wait) while the pool is full. */
static void ocr_submit(struct indexer_pipeline *p, struct ocrjob *oj)
{
    if (p->ow_len > 0 || p->ow_checking) {
        vt_queue_push(&p->ocr_wait, &oj->link);
        p->ow_len++;
        return;
    }
    ocr_check_start(p, oj, 0);
}

/* The OCR of oj will not be: its file stays "needs-ocr" (for the next
 * run), and a follower takes its place unless OCR is stopping. */
static void ocr_abandon(struct indexer_pipeline *p, struct ocrjob *oj)
{
    struct ocrgroup *g = oj->group;

    ocrjob_drop(oj);
    group_end(p, g, NULL);
}

static void after_ocr_check(uv_work_t *req, int status)
{
    struct ocrjob *oj = req->data;
    struct indexer_pipeline *p = oj->p;
    struct fent *f = oj->f;
    enum job_result res = oj->check_res;
    struct ocr_pool *pool;
    int rc;

    p->checking--;
    if (oj->from_wait)
        p->ow_checking = 0;
    if (status == UV_ECANCELED || p->stopping || p->ocr_stopped || !p->ocr_on) {
        ocr_abandon(p, oj);
        after_change(p);
        return;
    }
    if (res != R_DONE) {
        log_info("ocr: '%s' is no longer the file that was read; not sent to the OCR pool",
                 f->path);
        ocr_abandon(p, oj);
        f->dirty = 0;
        on_mismatch(p, f, res);
        ocr_feed(p);
        after_change(p);
        return;
    }
    if ((pool = ocr_pool(p)) == NULL) {
        ocr_abandon(p, oj);
        after_change(p);
        return;
    }
    rc = ocr_pool_submit_under(pool, oj->root, f->path, p->ocr_lang, on_ocr_done, oj);
    if (rc == UV_EAGAIN) {
        /* Full: first in line when room comes (checked again then). */
        vt_queue_push_front(&p->ocr_wait, &oj->link);
        p->ow_len++;
        return;
    }
    if (rc < 0) {
        /* The pool stopped: the file stays "needs-ocr" for the next start. */
        ocr_abandon(p, oj);
        after_change(p);
        return;
    }
    p->ocr_out++;
    p->stats.ocr_jobs++;
    log_step(p, "ocr: '%s' sent to the OCR pool", f->path);
    ocr_feed(p);
}

static void log_ocr_read(const struct indexer_pipeline *p, const char *path,
                         const struct ocr_result *res, size_t layer)
{
    if (res->npages > 0 && layer == res->npages)
        /* Born-digital: no page went through Tesseract, so there is no
         * confidence (the pool says -1). */
        log_step(p, "ocr: '%s' read (%zu pages from the PDF text layer, no OCR, %.1f s)", path,
                 res->npages, res->elapsed_ms / 1000);
    else if (layer > 0)
        log_step(p, "ocr: '%s' read (%zu pages, %zu of them OCR'd, confidence %.0f, %.1f s)",
                 path, res->npages, res->npages - layer, res->confidence,
                 res->elapsed_ms / 1000);
    else
        log_step(p, "ocr: '%s' read (%zu pages, confidence %.0f, %.1f s)", path, res->npages,
                 res->confidence, res->elapsed_ms / 1000);
}

static void on_ocr_done(const struct ocr_result *res, void *data)
{
    struct ocrjob *oj = data;
    struct indexer_pipeline *p = oj->p;
    struct fent *f = oj->f;

    p->ocr_out--;
    if (res->status == OCR_CANCELLED) {
        log_info("ocr of '%s' cancelled; it stays 'needs-ocr' until the next start", f->path);
        f->dirty = 0;
        ocr_abandon(p, oj);
        after_change(p);
        return;
    }
    /* Room in the pool: the next waiting file goes in. */
    ocr_feed(p);
    ocrtext_from_result(&oj->t, res, p->cfg.max_text);
    if (res->status == OCR_OK)
        log_ocr_read(p, f->path, res, oj->t.layer);
    push_build(p, oj);
    after_change(p);
}

/* ---- jobs on the threadpool ---------------------------------------------------- */

static const char *rec_str(json_t *rec, const char *key)
{
    json_t *v = json_object_get(rec, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The reader of j's slot, at the latest commit; NULL if it cannot open. */
static struct storage *slot_reader(struct job *j)
{
    struct slot *sl = j->slot;
    struct vt_err e;

    if (sl->reader == NULL) {
        if (storage_open(j->p->data_dir, 0, &sl->reader, &e) < 0)
            return NULL;
    } else if (storage_reopen(sl->reader, &e) < 0) {
        return NULL;
    }
    return sl->reader;
}

/* A document with the same content already holds text: build this file's
 * document from it.  1 if done, 0 if there is none. */
static int try_reuse(struct job *j, const struct ingest_config *icfg, struct storage_doc **doc)
{
    struct storage *reader;
    struct vt_err e;
    json_t *rec = NULL, *conf;
    struct buf text;
    struct ingest_text t;
    struct ingest_outcome out;
    int rc = 0;

    if (j->out.sha256[0] == '\0' || (reader = slot_reader(j)) == NULL)
        return 0;
    buf_init(&text, j->p->cfg.max_text + 1);
    if (storage_find_sha256(reader, j->out.sha256, &rec, &text, &e) < 0)
        goto out;
    if (rec_str(rec, "status") == NULL || strcmp(rec_str(rec, "status"), "indexed") != 0)
        goto out;
    memset(&t, 0, sizeof(t));
    t.text = text.ptr ? text.ptr : "";
    t.text_len = text.len;
    t.mime = j->out.mime;
    t.sha256 = j->out.sha256;
    t.pages = (unsigned)json_integer_value(json_object_get(rec, "pages"));
    conf = json_object_get(rec, "ocr_confidence");
    t.ocr_confidence = json_is_number(conf) ? json_number_value(conf) : -1;
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

/* After ingest_file(): is the document about the file that was offered?
 * st: the fstat of what was read. */
static enum job_result read_result(const struct job *j, const struct stat *st)
{
    enum job_result res;
    struct stat now;

    if (j->out.open_rc == -ENAMETOOLONG)
        return R_DONE;
    if (j->out.open_rc != 0)
        return open_result(j->out.open_rc);
    /* The file that was offered, still under its name after the read and
     * unchanged by it: else it was replaced or is still being written,
     * and settles again. */
    if (!same_id(st, &j->st))
        return R_UNSETTLED;
    res = check_path(j->root, j->path, st, &now);
    return res == R_SKIP ? R_UNSETTLED : res;
}

static void work_extract(struct job *j)
{
    struct indexer_pipeline *p = j->p;
    struct ingest_config icfg = {p->cfg.max_text, p->cfg.max_file_bytes, &j->cancel};
    struct stat st = j->st;
    struct storage_doc *reused = NULL;
    int rc;

    if (j->slot->ex == NULL) {
        struct extract_config xcfg = {p->cfg.max_text, NULL};
        j->slot->ex = extractor_new(&xcfg, &j->err);
        if (j->slot->ex == NULL) {
            j->res = R_FATAL;
            return;
        }
    }
    rc = ingest_file(j->slot->ex, &icfg, j->root, j->path, &st, &j->doc, &j->out, &j->err);
    if (rc < 0) {
        j->res = rc == UV_ECANCELED ? R_CANCELLED : R_FATAL;
        return;
    }
    j->res = read_result(j, &st);
    j->st = st;
    if (j->res != R_DONE) {
        storage_doc_free(j->doc);
        j->doc = NULL;
        return;
    }
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
    struct indexer_pipeline *p = j->p;
    struct ingest_config icfg = {p->cfg.max_text, p->cfg.max_file_bytes, NULL};
    struct ingest_text t;
    struct stat a;
    enum job_result res = check_path(j->root, j->path, &j->st, &a);

    if (res != R_DONE) {
        if (res == R_UNSETTLED)
            j->st = a;
        j->res = res;
        return;
    }
    ocrtext_to_ingest(&j->t, j->mime, j->sha256, &t);
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

/* ---- writing documents ------------------------------------------------------ */

static unsigned class_of(const struct job *j)
{
    const char *st = j->out.status;

    if (j->kind == JOB_BUILD)
        return strcmp(st, "failed") == 0 ? INDEXER_C_OCR_FAILED : INDEXER_C_OCR_DONE;
    if (strcmp(st, "indexed") == 0)
        return INDEXER_C_INDEXED;
    if (strcmp(st, "empty") == 0)
        return INDEXER_C_EMPTY;
    if (strcmp(st, "needs-ocr") == 0)
        return INDEXER_C_NEEDS_OCR;
    if (strcmp(st, "unsupported") == 0)
        return INDEXER_C_UNSUPPORTED;
    return INDEXER_C_FAILED;
}

/* A problem recorded with the document.  Extractor messages usually name
 * the file already; a path longer than a log line goes after the reason,
 * which would be cut off. */
static void log_problem(const char *path, const struct ingest_outcome *o)
{
    int unsupported = strcmp(o->status, "unsupported") == 0;

    if (o->open_rc == -ENAMETOOLONG)
        log_warn("%s (recorded as %s): '%s'", o->reason, o->status, path);
    else if (strstr(o->reason, path) != NULL && !unsupported)
        log_warn("%s (recorded as %s)", o->reason, o->status);
    else if (strstr(o->reason, path) != NULL)
        log_info("%s (findable by name)", o->reason);
    else if (!unsupported)
        log_warn("'%s': %s (recorded as %s)", path, o->reason, o->status);
    else
        log_info("'%s': %s (findable by name)", path, o->reason);
}

/* A document built from an OCR result (not a copy's). */
static void log_ocr_built(const char *path, const struct ocrtext *t)
{
    if (t->pages > 0 && t->layer == t->pages)
        /* Born-digital: no page went through Tesseract, so there is no
         * confidence to report. */
        log_info("'%s': indexed %u page(s) from the PDF text layer (no OCR)", path, t->pages);
    else if (t->layer > 0)
        log_info("'%s': OCR'd %u of %u page(s) (the rest from the PDF text layer), "
                 "confidence %.0f",
                 path, t->pages - t->layer, t->pages, t->confidence);
    else
        log_info("'%s': OCR'd %u page(s), confidence %.0f", path, t->pages, t->confidence);
}

static void log_written(const struct indexer_pipeline *p, const struct job *j)
{
    const struct ingest_outcome *o = &j->out;
    const char *path = j->f->path;

    if (o->code != 0 || o->open_rc == -ENAMETOOLONG)
        log_problem(path, o);
    else if (j->kind == JOB_BUILD && !j->copy)
        log_ocr_built(path, &j->t);
    else if (j->kind == JOB_EXTRACT)
        log_step(p, "indexed '%s' (%s, %zu bytes of text)", path, o->status, o->text_bytes);
    if (o->truncated)
        log_warn("'%s': text longer than the limit; indexed the first %zu bytes", path,
                 o->text_bytes);
}

/* Hand the job's document to its writer and record the file as indexed. */
static void write_doc(struct indexer_pipeline *p, struct job *j, int complete)
{
    struct fent *f = j->f;
    unsigned cls = class_of(j);

    j->seq = indexer_writer_put_take(p->writer, j->doc, cls, &j->shard);
    j->doc = NULL;
    p->stats.sent[cls]++;
    p->stats.text_bytes += j->out.text_bytes;
    f->has_doc = 1;
    f->complete = complete;
    f->tries = 0;
    f->size = (long long)j->st.st_size;
    f->mtime_ns = mtime_ns_of(&j->st);
    f->dev = (unsigned long long)j->st.st_dev;
    f->ino = (unsigned long long)j->st.st_ino;
    log_written(p, j);
}

static void log_reused(const struct job *j)
{
    log_info("reused the text of '%s' for '%s' (same sha256, no OCR)", j->reused_from, j->path);
}

/* The "needs-ocr" document makes the file findable by name now, and tells
 * the next start to OCR it if this run does not. */
static void needs_ocr(struct indexer_pipeline *p, struct job *j)
{
    int with_ocr = p->ocr_on && !p->stopping && p->fatal_rc == 0;
    struct ocrjob *oj;

    write_doc(p, j, !p->ocr_on);
    if (!with_ocr)
        return;
    oj = ocrjob_new(p, j);
    j->f->state = F_OCR;
    ocr_start(p, oj);
}

/* Act on what job j found; returns its file, or NULL when it may have
 * been freed. */
static struct fent *job_result(struct indexer_pipeline *p, struct job *j)
{
    struct fent *f = j->f;

    switch (j->res) {
    case R_FATAL: set_fatal(p, j->err.code, &j->err); break;
    case R_GONE: gone(p, f); return NULL;
    case R_NOTFILE:
        f->dirty = 0;
        indexer_pipeline_remove(p, f->path, f->root, "no longer a regular file");
        return NULL;
    case R_SKIP: break;
    case R_CANCELLED:
        log_info("stopped reading '%s': it changed; waiting for it to settle", f->path);
        f->dirty = 0;
        again(p, f);
        break;
    case R_UNSETTLED:
        log_debug("'%s' changed while it was read; waiting for it to settle", f->path);
        f->tries++;
        f->dirty = 0;
        again(p, f);
        break;
    case R_DONE:
        write_doc(p, j, 1);
        if (j->copy) {
            p->stats.reused++;
            log_reused(j);
        } else if (j->kind == JOB_BUILD) {
            p->stats.ocr_done++;
        }
        break;
    case R_REUSED:
        p->stats.reused++;
        log_reused(j);
        write_doc(p, j, 1);
        break;
    case R_NEEDS_OCR: needs_ocr(p, j); break;
    }
    return f;
}

static void job_free(struct job *j)
{
    storage_doc_free(j->doc);
    ocrtext_release(&j->t);
    free(j->path);
    free(j);
}

static void after_work_cb(uv_work_t *req, int status)
{
    struct job *j = req->data;
    struct indexer_pipeline *p = j->p;
    struct fent *f;

    if (!j->big)
        p->inflight--;
    if (j->slot)
        j->slot->busy = 0;
    vt_queue_remove(&j->link);
    j->f->state = F_IDLE;
    if (status == UV_ECANCELED || (j->res == R_CANCELLED && p->stopping))
        j->res = R_SKIP; /* stopping: the next start picks it up */
    f = job_result(p, j);
    if (f != NULL && f->state == F_IDLE && f->dirty) {
        f->dirty = 0;
        again(p, f);
    }
    if (j->kind == JOB_BUILD && !j->copy && j->res == R_DONE)
        recent_add(p, j);
    group_end(p, j->group, j->res == R_DONE ? j : NULL);
    job_free(j);
    after_change(p);
}

static struct job *job_new(struct indexer_pipeline *p, struct fent *f, enum job_kind kind)
{
    struct job *j = xcalloc(1, sizeof(*j));

    j->p = p;
    j->f = f;
    j->kind = kind;
    j->path = xstrdup(f->path);
    j->root = f->root;
    j->st = f->st;
    j->req.data = j;
    vt_queue_init(&j->link);
    ocrtext_init(&j->t);
    vt_err_clear(&j->err);
    return j;
}

/* A build job from an answered (or copied) OCR result; frees oj. */
static struct job *build_job(struct indexer_pipeline *p, struct ocrjob *oj)
{
    struct job *j = job_new(p, oj->f, JOB_BUILD);

    j->root = oj->root;
    j->st = oj->st;
    ocrtext_release(&j->t);
    j->t = oj->t; /* moved */
    ocrtext_init(&oj->t);
    snprintf(j->mime, sizeof(j->mime), "%s", oj->mime);
    snprintf(j->sha256, sizeof(j->sha256), "%s", oj->sha256);
    j->group = oj->group;
    j->copy = oj->copy;
    snprintf(j->reused_from, sizeof(j->reused_from), "%s", oj->from);
    ocrjob_free(oj);
    return j;
}

static void job_start(struct indexer_pipeline *p, struct job *j)
{
    int rc;

    vt_queue_push(&p->running, &j->link);
    j->f->state = F_RUNNING;
    if (j->big) {
        struct lane *l = &p->lane;
        l->cur = j;
        pthread_mutex_lock(&l->mu);
        l->todo = j;
        pthread_cond_signal(&l->cond);
        pthread_mutex_unlock(&l->mu);
        return;
    }
    p->inflight++;
    rc = uv_queue_work(p->loop, &j->req, work_cb, after_work_cb);
    if (rc < 0)
        VT_BUG("uv_queue_work: %s", uv_strerror(rc));
}

static struct slot *free_slot(struct indexer_pipeline *p)
{
    for (unsigned i = 0; i < p->nslots; i++)
        if (!p->slots[i].busy)
            return &p->slots[i];
    return NULL;
}

/* Room for more work in the writers and the OCR backlog. */
static int room(const struct indexer_pipeline *p)
{
    return !p->stopping && p->fatal_rc == 0 &&
           indexer_writer_queued(p->writer) < 4 * (size_t)p->cfg.queue_max &&
           indexer_writer_queued_bytes(p->writer) < p->cfg.queue_bytes &&
           p->ow_len + p->nfollowers < p->cfg.queue_max;
}

static struct fent *pop_file(struct vt_queue *q, size_t *len)
{
    struct vt_queue *e = vt_queue_pop(q);

    if (e == NULL)
        return NULL;
    (*len)--;
    return vt_queue_entry(e, struct fent, link);
}

static void pump_big(struct indexer_pipeline *p)
{
    struct fent *f;
    struct job *j;

    if (p->lane.cur != NULL || !room(p) || (f = pop_file(&p->bigq, &p->bq_len)) == NULL)
        return;
    j = job_new(p, f, JOB_EXTRACT);
    j->big = 1;
    j->slot = &p->lane.slot;
    log_step(p, "reading '%s' (%lld bytes) on the big-file thread", f->path,
             (long long)f->st.st_size);
    job_start(p, j);
}

static void pump(struct indexer_pipeline *p)
{
    pump_big(p);
    while (p->inflight < p->nslots && p->fatal_rc == 0) {
        struct slot *sl = free_slot(p);
        struct vt_queue *e;
        struct fent *f;
        struct job *j;

        if (sl == NULL)
            break;
        if ((e = vt_queue_pop(&p->builds)) != NULL) {
            /* OCR results first: they are the most expensive to lose. */
            p->b_len--;
            j = build_job(p, vt_queue_entry(e, struct ocrjob, link));
        } else if (room(p) && (f = pop_file(&p->queue, &p->q_len)) != NULL) {
            j = job_new(p, f, JOB_EXTRACT);
        } else {
            break;
        }
        sl->busy = 1;
        j->slot = sl;
        job_start(p, j);
    }
    update_pause(p);
}

/* ---- the big-file lane ------------------------------------------------------------ */

static void *lane_main(void *arg)
{
    struct indexer_pipeline *p = arg;
    struct lane *l = &p->lane;

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
    struct indexer_pipeline *p = a->data;
    struct lane *l = &p->lane;
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

static void lane_join(struct lane *l)
{
    if (!l->started)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->th, NULL);
    l->started = 0;
}

/* ---- what the feeder calls ------------------------------------------------------- */

/* Known, idle, indexed as st shows it, and nothing asks for it again. */
static int up_to_date(const struct fent *f, const struct stat *st)
{
    return f->has_doc && f->complete && !f->force && unchanged(f, st);
}

enum indexer_offer indexer_pipeline_offer(struct indexer_pipeline *p, const char *path,
                                          const char *root, const struct stat *st, unsigned gen)
{
    struct fent *f;

    if (p->stopping)
        return INDEXER_STOPPING;
    f = fent_get(p, path);
    if (f == NULL)
        f = fent_add(p, path);
    if (gen != 0)
        f->seen_gen = gen;
    if (f->state != F_IDLE) {
        f->dirty = 1;
        return INDEXER_BUSY;
    }
    if (up_to_date(f, st)) {
        p->stats.unchanged++;
        return INDEXER_UNCHANGED;
    }
    f->force = 0;
    f->st = *st;
    f->root = root;
    enqueue(p, f);
    pump(p);
    return INDEXER_QUEUED;
}

int indexer_pipeline_scanned(struct indexer_pipeline *p, const char *path, const struct stat *st,
                             unsigned gen)
{
    struct fent *f = fent_get(p, path);

    if (f == NULL)
        return 1;
    f->seen_gen = gen;
    if (f->state != F_IDLE)
        return 0;
    if (up_to_date(f, st)) {
        p->stats.unchanged++;
        return 0;
    }
    return 1;
}

int indexer_pipeline_file(const struct indexer_pipeline *p, const char *path,
                          struct indexer_file_info *fi)
{
    struct fent *f = fent_get(p, path);

    if (f == NULL)
        return 0;
    fent_info(f, fi);
    return 1;
}

void indexer_pipeline_each(struct indexer_pipeline *p,
                           void (*cb)(void *data, const struct indexer_file_info *fi), void *data)
{
    size_t bucket = 0;
    struct vt_map_node *cur = NULL, *n;
    struct indexer_file_info fi;

    while ((n = vt_map_next(&p->files, &bucket, &cur)) != NULL) {
        fent_info(vt_map_entry(n, struct fent, node), &fi);
        cb(data, &fi);
    }
}

void indexer_pipeline_force(struct indexer_pipeline *p, const char *path)
{
    struct fent *f = fent_get(p, path);

    if (f != NULL)
        f->force = 1;
}

void indexer_pipeline_revisit(struct indexer_pipeline *p, const char *path)
{
    struct fent *f = fent_get(p, path);

    if (f != NULL && f->state != F_IDLE)
        f->dirty = 1;
}

void indexer_pipeline_cancel(struct indexer_pipeline *p, const char *path)
{
    struct vt_queue *e;

    vt_queue_foreach(e, &p->running) {
        struct job *j = vt_queue_entry(e, struct job, link);
        if (j->kind == JOB_EXTRACT && scan_under(j->path, path))
            __atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
    }
}

void indexer_pipeline_remove(struct indexer_pipeline *p, const char *path, const char *root,
                             const char *why)
{
    struct fent *f = fent_get(p, path);
    char id[STORAGE_ID_LEN + 1];

    if (f == NULL)
        return;
    /* The id is the one ingest gave it: of its archive folder and the
     * path below (a file loaded from the index has no root until now). */
    if (f->root != NULL)
        root = f->root;
    if (f->has_doc && root == NULL)
        log_warn("'%s' lies in no archive folder; its document stays", f->path);
    else if (f->has_doc) {
        log_info("removed '%s': %s", f->path, why);
        storage_id_for(root, f->path, id);
        indexer_writer_delete(p->writer, id, INDEXER_C_DELETED, NULL);
        p->stats.sent[INDEXER_C_DELETED]++;
    }
    f->has_doc = 0;
    f->complete = 0;
    f->dev = f->ino = 0;
    if (f->state == F_IDLE)
        fent_free(p, f);
    else
        f->dirty = 1; /* its job finds the name taken, or gone */
}

int indexer_pipeline_idle(const struct indexer_pipeline *p)
{
    return !(p->q_len || p->bq_len || p->inflight || p->lane.cur || p->checking || p->ocr_out ||
             p->ow_len || p->b_len || p->nfollowers);
}

void indexer_pipeline_stats(const struct indexer_pipeline *p, struct indexer_pipeline_stats *st)
{
    *st = p->stats;
    st->queued = p->q_len + p->bq_len;
    st->running = p->inflight + (p->lane.cur != NULL);
    st->ocr_pending = p->checking + p->ocr_out + p->ow_len + p->b_len + p->nfollowers;
    st->known = p->files.n;
}

void indexer_pipeline_reconfigure(struct indexer_pipeline *p, unsigned queue_max,
                                  unsigned commit_docs, unsigned commit_ms)
{
    p->cfg.queue_max = queue_max ? queue_max : 64;
    p->cfg.commit_docs = commit_docs;
    p->cfg.commit_ms = commit_ms;
    indexer_writer_reconfigure(p->writer, commit_docs, commit_ms, p->cfg.commit_bytes);
    pump(p);
}

/* ---- writers and timers ---------------------------------------------------------- */

static void on_report(void *data, const struct indexer_writer_report *r)
{
    struct indexer_pipeline *p = data;

    for (unsigned c = 0; c < INDEXER_NCLASSES; c++)
        p->stats.committed[c] += r->counts[c];
    if (r->fatal)
        set_fatal(p, r->err.code, &r->err);
    if (r->committed && p->cbs.committed)
        p->cbs.committed(p->cfg.cb_data);
    pump(p);
    maybe_stopped(p);
}

static void on_tick(uv_timer_t *t)
{
    struct indexer_pipeline *p = t->data;

    recent_expire(p, 0);
    pump(p);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void apply_defaults(struct indexer_pipeline_config *c)
{
    if (c->queue_max == 0)
        c->queue_max = 64;
    if (c->max_inflight == 0)
        c->max_inflight = 2;
    if (c->queue_bytes == 0)
        c->queue_bytes = (size_t)64 << 20;
    if (c->max_text == 0)
        c->max_text = (size_t)16 << 20;
    if (c->stop_grace_ms == 0)
        c->stop_grace_ms = 3000;
    if (c->max_file_bytes == 0)
        c->max_file_bytes = INGEST_DEFAULT_MAX_FILE_BYTES;
}

static struct indexer_pipeline *pipeline_new(uv_loop_t *loop,
                                             const struct indexer_pipeline_config *cfg)
{
    struct indexer_pipeline *p = xcalloc(1, sizeof(*p));

    p->loop = loop;
    p->cfg = *cfg;
    apply_defaults(&p->cfg);
    if (cfg->cbs)
        p->cbs = *cfg->cbs;
    p->cfg.cbs = &p->cbs;
    p->data_dir = xstrdup(cfg->data_dir);
    p->cfg.data_dir = p->data_dir;
    p->ocr_lang = cfg->ocr_lang ? xstrdup(cfg->ocr_lang) : NULL;
    p->cfg.ocr_lang = p->ocr_lang;
    p->ocr = cfg->ocr;
    p->ocr_on = cfg->ocr != NULL || p->cbs.ocr_open != NULL;
    vt_map_init(&p->files);
    vt_map_init(&p->ocr_groups);
    vt_map_init(&p->recent);
    vt_queue_init(&p->queue);
    vt_queue_init(&p->bigq);
    vt_queue_init(&p->running);
    vt_queue_init(&p->ocr_wait);
    vt_queue_init(&p->builds);
    vt_queue_init(&p->recent_list);
    pthread_mutex_init(&p->lane.mu, NULL);
    pthread_cond_init(&p->lane.cond, NULL);
    p->nslots = p->cfg.max_inflight;
    p->slots = xcalloc(p->nslots, sizeof(*p->slots));
    return p;
}

static void free_files(struct indexer_pipeline *p)
{
    size_t bucket = 0;
    struct vt_map_node *cur = NULL, *n;

    while ((n = vt_map_next(&p->files, &bucket, &cur)) != NULL) {
        struct fent *f = vt_map_entry(n, struct fent, node);
        free(f->path);
        free(f);
    }
    vt_map_release(&p->files);
}

/* Every group ended with its leader, and every build ran or was dropped:
 * this is only a safety net. */
static void free_ocr_state(struct indexer_pipeline *p)
{
    size_t bucket = 0;
    struct vt_map_node *cur = NULL, *n;
    struct vt_queue *e;

    while ((e = vt_queue_pop(&p->builds)) != NULL)
        ocrjob_free(vt_queue_entry(e, struct ocrjob, link));
    while ((n = vt_map_next(&p->ocr_groups, &bucket, &cur)) != NULL) {
        struct ocrgroup *g = vt_map_entry(n, struct ocrgroup, node);
        vt_map_del(&p->ocr_groups, n);
        while ((e = vt_queue_pop(&g->followers)) != NULL)
            ocrjob_free(vt_queue_entry(e, struct ocrjob, link));
        free(g);
    }
    vt_map_release(&p->ocr_groups);
    recent_expire(p, 1);
    vt_map_release(&p->recent);
}

static void pipeline_free(struct indexer_pipeline *p)
{
    for (unsigned i = 0; i < p->nslots; i++) {
        extractor_free(p->slots[i].ex);
        storage_close(p->slots[i].reader);
    }
    free(p->slots);
    extractor_free(p->lane.slot.ex);
    storage_close(p->lane.slot.reader);
    pthread_mutex_destroy(&p->lane.mu);
    pthread_cond_destroy(&p->lane.cond);
    free_ocr_state(p);
    free_files(p);
    free(p->data_dir);
    free(p->ocr_lang);
    free(p);
}

int indexer_pipeline_start(uv_loop_t *loop, const struct indexer_pipeline_config *cfg,
                           struct indexer_pipeline **out, struct vt_err *err)
{
    struct indexer_pipeline *p = pipeline_new(loop, cfg);
    struct indexer_writer_config wc = {cfg->st,      cfg->commit_docs, cfg->commit_ms,
                                       cfg->commit_bytes, on_report, NULL};
    int rc;

    *out = NULL;
    wc.data = p;
    /* Before the loop serves anything: the per-file state of the index
     * (a few hundred ms for 100,000 files). */
    if ((rc = ingest_each_file(p->data_dir, load_cb, p, err)) < 0 ||
        (rc = indexer_writer_start(loop, &wc, &p->writer, err)) < 0) {
        pipeline_free(p);
        return rc;
    }
    uv_async_init(loop, &p->lane.async, on_lane_async);
    p->lane.async.data = p;
    /* Without its thread, big files go through the pool like the rest. */
    p->lane.started = pthread_create(&p->lane.th, NULL, lane_main, p) == 0;
    if (!p->lane.started)
        log_warn("cannot start the big-file thread; big files are read with the others");
    uv_timer_init(loop, &p->tick);
    uv_timer_init(loop, &p->grace);
    p->tick.data = p->grace.data = p;
    uv_timer_start(&p->tick, on_tick, TICK_MS, TICK_MS);
    *out = p;
    return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct indexer_pipeline *p = h->data;
    indexer_pipeline_done_cb done = p->done;
    void *data = p->done_data;
    int rc = p->fatal_rc;
    struct indexer_pipeline_stats st;

    if (--p->closing > 0)
        return;
    indexer_pipeline_stats(p, &st);
    pipeline_free(p);
    if (done)
        done(data, rc, &st);
}

/* The writers have committed and ended: close. */
static void on_writer_stopped(void *data)
{
    struct indexer_pipeline *p = data;

    p->writer = NULL;
    lane_join(&p->lane);
    p->stopping = 2;
    p->closing = 3;
    uv_close((uv_handle_t *)&p->lane.async, on_handle_closed);
    uv_close((uv_handle_t *)&p->tick, on_handle_closed);
    uv_close((uv_handle_t *)&p->grace, on_handle_closed);
}

static void stop_ocr(struct indexer_pipeline *p)
{
    struct vt_queue *e;

    if (p->ocr_stopped)
        return;
    p->ocr_stopped = 1;
    /* Files waiting for room in the pool stay "needs-ocr" in the index. */
    while ((e = vt_queue_pop(&p->ocr_wait)) != NULL) {
        p->ow_len--;
        ocr_abandon(p, vt_queue_entry(e, struct ocrjob, link));
    }
    if (p->ocr_out > 0 && p->ocr != NULL)
        ocr_pool_stop(p->ocr); /* cancels: callbacks run now */
}

static void on_grace(uv_timer_t *t)
{
    struct indexer_pipeline *p = t->data;

    if (p->ocr_out > 0)
        log_info("stopping: cancelling %zu OCR jobs still running", p->ocr_out);
    stop_ocr(p);
    maybe_stopped(p);
}

/* Nothing more can be written: drop what waits for a slot. */
static void drop_builds(struct indexer_pipeline *p)
{
    struct vt_queue *e;

    while ((e = vt_queue_pop(&p->builds)) != NULL) {
        p->b_len--;
        ocr_abandon(p, vt_queue_entry(e, struct ocrjob, link)); /* followers go idle */
    }
}

/* Called whenever something finished during a stop: move to the next step
 * once the one before is done. */
static void maybe_stopped(struct indexer_pipeline *p)
{
    if (p->stopping != 1)
        return;
    if (p->fatal_rc != 0) {
        drop_builds(p);
        stop_ocr(p);
    }
    if (p->ocr_out == 0 && !p->ocr_stopped) {
        p->ocr_stopped = 1;
        uv_timer_stop(&p->grace);
    }
    /* stop_ocr() runs callbacks, which may have come back here. */
    if (p->stopping != 1 || !p->ocr_stopped || p->inflight > 0 || p->lane.cur != NULL ||
        p->checking > 0 || p->b_len > 0 || p->writer_stopping)
        return;
    p->writer_stopping = 1;
    uv_timer_stop(&p->grace);
    indexer_writer_stop(p->writer, on_writer_stopped, p);
}

static void drop_queue(struct vt_queue *q, size_t *len)
{
    struct fent *f;

    while ((f = pop_file(q, len)) != NULL)
        f->state = F_IDLE;
}

void indexer_pipeline_stop(struct indexer_pipeline *p, indexer_pipeline_done_cb done, void *data)
{
    struct vt_queue *e;

    if (p->stopping)
        return;
    p->stopping = 1;
    p->done = done;
    p->done_data = data;
    drop_queue(&p->queue, &p->q_len);
    drop_queue(&p->bigq, &p->bq_len);
    /* Jobs not yet picked up by a pool thread come back cancelled; the
     * others stop reading at their next chunk, so a stop never waits for
     * a whole hash. */
    vt_queue_foreach(e, &p->running) {
        struct job *j = vt_queue_entry(e, struct job, link);
        __atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
        if (!j->big)
            uv_cancel((uv_req_t *)&j->req);
    }
    if (p->ocr_out > 0)
        uv_timer_start(&p->grace, on_grace, p->cfg.stop_grace_ms, 0);
    else
        stop_ocr(p);
    maybe_stopped(p);
}
