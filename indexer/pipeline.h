/* The indexing pipeline of both `vanthu serve` (fed by the watcher,
 * service.c) and `vanthu index` (fed by a scan, batch.c): files offered on
 * a libuv loop become index documents.
 *
 *   offer -> the known-files map (what the index holds: a file unchanged
 *            since it was indexed stops here)
 *     -> bounded queue -> extraction on the uv threadpool (uv_queue_work),
 *        at most max_inflight jobs at once, each with its own extractor
 *        and index reader (a slot taken for the job's duration); files
 *        above 256 MiB on a thread of their own, one at a time, so that
 *        hashing a huge (or sparse) file never holds up the others
 *     -> every file opened beneath the root it was offered with, through
 *        no symlink (common/safefile.h), and compared by device, inode,
 *        size and mtime with what was offered; files above max_file_bytes
 *        recorded by name only
 *     -> images and text-less PDFs: the OCR pool, unless a document with
 *        the same sha256 is already indexed (a copy, or a move seen as
 *        delete + create), whose text is reused; copies arriving together
 *        make one OCR job
 *     -> the writers (writer.h): one thread per index shard, committing
 *        every commit_docs documents, commit_bytes of them, or commit_ms.
 *
 * Backpressure: cbs->pause(1) while the queue, the OCR backlog or the
 * writers' queues are full, pause(0) once they are half empty; a feeder
 * that keeps offering anyway is not refused (the queue grows).
 *
 * Per-file state (size, mtime, sha256, status) lives in the index and is
 * loaded at start, so only new and changed files are processed.  What to
 * do with a file that vanished is the feeder's choice (cbs->gone): the
 * service waits for a move to reuse its text, a batch removes it.
 *
 * Threads: every function and callback runs on the loop thread.  No
 * callback runs inside indexer_pipeline_start(); of the others, only
 * cbs->pause may run inside a call (_offer, _reconfigure).
 * Errors: 0 or a negative VT_E* / UV_E* code with detail in err. */
#ifndef VT_INDEXER_PIPELINE_H
#define VT_INDEXER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <uv.h>

#include "common/err.h"

struct ocr_pool;
struct storage;
struct indexer_pipeline;

/* What the writers are told each document or deletion is; the stats count
 * committed operations by class. */
enum indexer_class {
    INDEXER_C_INDEXED,     /* extracted: status "indexed" (text reused from a copy too) */
    INDEXER_C_EMPTY,
    INDEXER_C_NEEDS_OCR,   /* findable by name until its OCR is recorded */
    INDEXER_C_UNSUPPORTED,
    INDEXER_C_FAILED,
    INDEXER_C_OCR_DONE,    /* built from OCR text (or a copy's) */
    INDEXER_C_OCR_FAILED,
    INDEXER_C_DELETED,
    INDEXER_NCLASSES
};

struct indexer_pipeline_cbs {
    /* A job found path gone (the file is idle).  NULL: its document is
     * removed at once. */
    void (*gone)(void *data, const char *path);
    /* Look at path again once it has settled: it changed while it was
     * read, is no longer the file that was hashed, or was revisited while
     * busy.  tries: reads in a row spoilt by a change. */
    void (*again)(void *data, const char *path, unsigned tries);
    /* Backpressure: stop (1) or go on (0) offering files.  May be NULL. */
    void (*pause)(void *data, int paused);
    /* Nothing is queued, running or in OCR (writes may be pending).  May
     * be NULL; may be called more than once. */
    void (*idle)(void *data);
    /* After a commit (searches may see new documents).  May be NULL. */
    void (*committed)(void *data);
    /* Once, when the index cannot be written (the caller stops).  May be
     * NULL. */
    void (*fatal)(void *data, const struct vt_err *err);
    /* Start OCR on first need when cfg->ocr is NULL: a new pool on the
     * pipeline's loop (the caller frees it after the stop), or NULL with
     * err set (fatal).  NULL: no OCR unless cfg->ocr. */
    struct ocr_pool *(*ocr_open)(void *data, struct vt_err *err);
};

struct indexer_pipeline_config {
    const char *data_dir;   /* the index, for read-only look-ups */
    struct storage *st;     /* the same index opened writable; borrowed,
                             * must outlive the pipeline */
    unsigned queue_max;     /* files queued for extraction; 0: 64 */
    unsigned max_inflight;  /* threadpool jobs at once (keep below
                             * UV_THREADPOOL_SIZE); 0: 2 */
    unsigned commit_docs;   /* writer.h; 0: no limit */
    unsigned commit_ms;     /* 0: no limit */
    size_t commit_bytes;    /* 0: no limit */
    size_t queue_bytes;     /* documents waiting for the writers, at most
                             * (with 4 * queue_max of them); 0: 64 MiB */
    size_t max_text;        /* 0: 16 MiB */
    uint64_t max_file_bytes;/* 0: INGEST_DEFAULT_MAX_FILE_BYTES */
    struct ocr_pool *ocr;   /* borrowed, must outlive the pipeline; NULL:
                             * cbs->ocr_open, or images stay "needs-ocr" */
    const char *ocr_lang;   /* NULL: the pool's default */
    unsigned stop_grace_ms; /* how long a stop waits for running OCR jobs
                             * before cancelling them; 0: 3000 */
    int log_indexed;        /* 1: log each document written at info level
                             * (else debug); problems are always logged */
    const struct indexer_pipeline_cbs *cbs; /* copied */
    void *cb_data;
};

struct indexer_pipeline_stats {
    unsigned long committed[INDEXER_NCLASSES]; /* operations committed */
    unsigned long sent[INDEXER_NCLASSES];      /* handed to the writers */
    unsigned long long text_bytes; /* of the documents handed over */
    unsigned long unchanged;  /* offered again, already indexed as they are */
    unsigned long ocr_jobs;   /* files sent to the OCR pool */
    unsigned long ocr_done;   /* documents built from an OCR result */
    unsigned long reused;     /* files whose text came from a copy */
    size_t queued;            /* waiting for extraction */
    size_t running;           /* extraction/build jobs in flight */
    size_t ocr_pending;       /* in the OCR pool or waiting for it */
    size_t known;             /* files in the known-files map */
};

/* One known file, as indexer_pipeline_file() and _each() show it. */
struct indexer_file_info {
    const char *path;   /* borrowed for the call */
    int busy;           /* queued, being read, or in OCR */
    int has_doc;        /* the index holds (or is sent) a document for it */
    unsigned seen_gen;  /* the last scan that offered or saw it; 0: none */
};

/* Load the index's per-file state from data_dir (blocks: before the loop
 * serves anything) and start the writers.  cfg is copied (strings too).
 * New pipeline: stop it with indexer_pipeline_stop(). */
int indexer_pipeline_start(uv_loop_t *loop, const struct indexer_pipeline_config *cfg,
                           struct indexer_pipeline **out, struct vt_err *err);

enum indexer_offer {
    INDEXER_QUEUED,    /* new or changed: it goes through the pipeline */
    INDEXER_UNCHANGED, /* indexed as it is (counted in stats.unchanged) */
    INDEXER_BUSY,      /* in the pipeline: looked at again (cbs->again)
                        * once its job ends */
    INDEXER_STOPPING
};

/* Offer the regular file path (absolute, raw bytes) as st (its lstat)
 * shows it, to be opened beneath root (borrowed: it must outlive the
 * pipeline).  gen != 0: the scan that found it (indexer_file_info). */
enum indexer_offer indexer_pipeline_offer(struct indexer_pipeline *p, const char *path,
                                          const char *root, const struct stat *st, unsigned gen);

/* A scan found path: mark a known file seen by gen.  1 if it should be
 * settled and offered (unknown, changed or forced), 0 if it is busy or
 * unchanged (counted). */
int indexer_pipeline_scanned(struct indexer_pipeline *p, const char *path, const struct stat *st,
                             unsigned gen);

/* 1 and *fi filled if path is known, else 0. */
int indexer_pipeline_file(const struct indexer_pipeline *p, const char *path,
                          struct indexer_file_info *fi);

/* cb for every known file; cb may remove that file (and no other). */
void indexer_pipeline_each(struct indexer_pipeline *p,
                           void (*cb)(void *data, const struct indexer_file_info *fi), void *data);

/* The next offer of path indexes it even if it looks unchanged. */
void indexer_pipeline_force(struct indexer_pipeline *p, const char *path);

/* A busy path is to be looked at again (cbs->again) once its job ends. */
void indexer_pipeline_revisit(struct indexer_pipeline *p, const char *path);

/* Stop every read of path or of a file below it at its next chunk: the
 * job hands the path back (cbs->again). */
void indexer_pipeline_cancel(struct indexer_pipeline *p, const char *path);

/* path's document goes now (why: logged, "removed 'path': why"), and the
 * file is forgotten once idle.  A busy file is revisited.  root: the
 * archive folder path lies in, which with path makes its id (the one it
 * was offered with wins); NULL only when there is no document. */
void indexer_pipeline_remove(struct indexer_pipeline *p, const char *path, const char *root,
                             const char *why);

/* 1 when nothing is queued, running or waiting for OCR. */
int indexer_pipeline_idle(const struct indexer_pipeline *p);

void indexer_pipeline_stats(const struct indexer_pipeline *p, struct indexer_pipeline_stats *st);

/* Apply what may change while running (0 as in the config). */
void indexer_pipeline_reconfigure(struct indexer_pipeline *p, unsigned queue_max,
                                  unsigned commit_docs, unsigned commit_ms);

typedef void (*indexer_pipeline_done_cb)(void *data, int rc,
                                         const struct indexer_pipeline_stats *st);

/* Drop the queue (those files are left for the next start), stop running
 * reads at their next chunk, give running OCR jobs up to stop_grace_ms and
 * then cancel them (ocr_pool_stop; their files stay "needs-ocr"), commit,
 * join the writers, close every handle, free p, then call done(data, rc,
 * st) from the loop with rc 0 or the first fatal error and the last stats
 * (borrowed for the call; every write is counted).  Idempotent. */
void indexer_pipeline_stop(struct indexer_pipeline *p, indexer_pipeline_done_cb done, void *data);

#endif
