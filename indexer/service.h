/* The long-running indexer of `vanthu serve`: archive folders kept in step
 * with the index, on a libuv loop.
 *
 *   watcher (watch.h): settled files, vanished paths, reconcile scans
 *     -> the pipeline (pipeline.h: the known-files map, the bounded queue
 *        with backpressure that pauses the watcher, extraction on the uv
 *        threadpool and the big-file lane, every file opened beneath its
 *        archive folder through no symlink and compared by device, inode,
 *        size and mtime with what settled, files above max_file_bytes
 *        recorded by name only, OCR with text reused by sha256 from
 *        copies and moves)
 *     -> one writer thread per index shard (writer.h), committing every
 *        commit_docs documents or commit_ms milliseconds.
 *
 * Per-file state (size, mtime, sha256, status) lives in the index, so a
 * restart processes only new and changed files; a file that vanished is
 * removed after a grace period (move_grace_ms, and not before the
 * pipeline is idle), so that a move can still reuse its text; a name that
 * stops being a regular file (a symlink, fifo, device or folder took it)
 * loses its document at once.
 *
 * Threads: every function and callback runs on the loop thread.
 * Errors: 0 or a negative VT_E* / UV_E* code with detail in err. */
#ifndef VT_INDEXER_SERVICE_H
#define VT_INDEXER_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/err.h"

struct ocr_pool;
struct indexer_service;

struct indexer_service_config {
    const char *data_dir;   /* the index (created if needed) */
    char *const *roots;     /* canonical archive folders (scan_root) */
    size_t nroots;
    char *const *ignore;    /* fnmatch patterns on names */
    size_t nignore;
    unsigned settle_ms;
    unsigned reconcile_s;   /* 0: no periodic reconcile */
    unsigned max_pending;   /* watcher's pending set; 0: default */
    int no_watch;           /* 1: scans only, no uv_fs_event */
    unsigned queue_max;     /* files queued for extraction; 0: 64 */
    unsigned max_inflight;  /* threadpool jobs at once (keep below
                             * UV_THREADPOOL_SIZE); 0: 2 */
    unsigned commit_docs;   /* 0: 200 */
    unsigned commit_ms;     /* 0: 1000 */
    size_t max_text;        /* 0: 16 MiB */
    uint64_t max_file_bytes;/* larger files are recorded by name only,
                             * neither hashed nor read; 0:
                             * INGEST_DEFAULT_MAX_FILE_BYTES (2 GiB) */
    struct ocr_pool *ocr;   /* borrowed, must outlive the service; NULL:
                             * images stay "needs-ocr" */
    const char *ocr_lang;   /* NULL: the pool's default */
    unsigned move_grace_ms; /* 0: 2 * settle_ms + 1000 */
    unsigned stop_grace_ms; /* how long a stop waits for running OCR jobs
                             * before cancelling them; 0: 3000 */
    /* Called after every commit (searches may see new documents). */
    void (*committed)(void *data);
    /* Called once when the index cannot be written (the caller stops). */
    void (*fatal)(void *data, const struct vt_err *err);
    void *cb_data;
};

struct indexer_service_stats {
    unsigned long indexed;    /* documents committed (any status but failed) */
    unsigned long failed;     /* documents committed as failed/unsupported */
    unsigned long deleted;    /* documents removed */
    unsigned long unchanged;  /* files seen again, already indexed as they are */
    unsigned long ocr_jobs;   /* files sent to the OCR pool */
    unsigned long ocr_done;
    unsigned long reused;     /* files whose text came from a copy */
    size_t queued;            /* waiting for extraction, settling, or OCR */
    size_t running;           /* extraction/build jobs in flight */
    size_t ocr_pending;       /* in the OCR pool or waiting for it */
    size_t settling;          /* paths the watcher waits on */
    size_t known;             /* files the service knows in the index */
    size_t watches;
    int scanning;             /* a reconcile scan is running */
};

/* Open the index (VT_ELOCKED if another writer has it), load its per-file
 * state, start the writers and the watcher (whose first reconcile scan
 * starts at once).  cfg is copied (its strings too).  New service: stop it
 * with indexer_service_stop(). */
int indexer_service_start(uv_loop_t *loop, const struct indexer_service_config *cfg,
                          struct indexer_service **out, struct vt_err *err);

/* Apply what may change while running: settle_ms, reconcile_s, ignore,
 * commit_docs, commit_ms, queue_max.  Other fields are ignored. */
void indexer_service_reconfigure(struct indexer_service *s, const struct indexer_service_config *cfg);

void indexer_service_stats(const struct indexer_service *s, struct indexer_service_stats *st);

/* Put path (absolute, raw bytes; below an archive folder) back through
 * the pipeline: it settles, is looked at and compared with what is
 * indexed (device, inode, size, mtime), and is indexed again (even if it
 * looks unchanged), or removed if gone (after the grace a move gets) or
 * no longer a regular file (at once).  For the file route, when the file
 * it opens does not match the record.  Returns 0, VT_EBADINPUT for a path
 * outside the archive or ignored, UV_ECANCELED while stopping.  Works
 * with no_watch too.  Thread: the loop's. */
int indexer_service_recheck(struct indexer_service *s, const char *path);

/* Stop intake (watcher and queue; queued files are left for the next
 * start), let running extraction finish, give running OCR jobs up to
 * stop_grace_ms and then cancel them (ocr_pool_stop on the borrowed pool;
 * their files stay "needs-ocr" and are redone at the next start), commit,
 * join the writers, close every handle, then call done(data, rc) from the
 * loop with rc 0 or the first fatal error, and free s. */
void indexer_service_stop(struct indexer_service *s, void (*done)(void *data, int rc), void *data);

#endif
