/* The OCR worker pool: the parent side of OCR, on a libuv loop.
 *
 * The pool starts N long-lived `vanthu-ocr-worker` processes (uv_spawn,
 * OMP_THREAD_LIMIT=1 in their environment) and feeds them jobs from a
 * bounded FIFO queue over the frame protocol of ocr/proto.h.  Every job has a
 * wall-clock timeout; a job that times out, or whose worker crashes or is
 * killed (SIGXCPU from the worker's CPU rlimit, an abort when its address
 * space limit is hit), fails with the reason and the worker is restarted.  A
 * path that has killed a worker twice is quarantined: later submissions of
 * it end OCR_QUARANTINED at once, without reaching a worker.  Nothing of
 * Tesseract is linked into the caller.
 *
 * Workers run in their own session (a terminal's Ctrl-C reaches the caller
 * only; ocr_pool_stop() ends them), die with the caller's process, and
 * confine themselves at start (ocr/sandbox.h, docs/security-workers.md):
 * started as root they switch to an unprivileged user, and they can open
 * no socket.  The pool opens each submitted file itself, on the libuv
 * threadpool, and hands the worker the open descriptor: the worker's user
 * needs no access to the archive.
 *
 * Thread: everything here runs on the loop thread of the loop given to
 * ocr_pool_new(), and every callback is called from that loop. */
#ifndef VT_OCR_POOL_H
#define VT_OCR_POOL_H

#include <stddef.h>

#include <uv.h>

#include "common/err.h"

struct ocr_pool;

struct ocr_pool_config {
    const char *worker_path;  /* the vanthu-ocr-worker program; required */
    unsigned workers;         /* worker processes; 0 = 1 */
    const char *lang;         /* default tesseract languages; NULL = "vie" */
    const char *tessdata;     /* NULL = tesseract's default directory */
    const char *preprocess;   /* worker --preprocess list; NULL = its default */
    unsigned timeout_ms;      /* wall clock per job; 0 = 300000 */
    unsigned max_mem_mb;      /* worker address-space limit; 0 = 2048 */
    unsigned max_cpu_s;       /* CPU seconds per job; 0 = timeout (rounded up) */
    unsigned long long max_pixels; /* per page; 0 = 100 million */
    unsigned max_pages;       /* per file; 0 = 500 */
    size_t max_text;          /* bytes of text per file; 0 = 16 MiB */
    size_t max_queue;         /* queued (not running) jobs; 0 = 1024 */
    const char *const *extra_args; /* more worker arguments (test modes),
                                    * NULL-terminated; may be NULL */
    const char *user;         /* run workers as this user when started as root;
                               * NULL = the worker's default, "nobody" */
    int sandbox_best_effort;  /* 0: a worker that cannot apply its sandbox
                               * refuses to start (jobs fail with the reason);
                               * 1: it runs, and what is not confined is
                               * logged once as a warning */
};

enum ocr_status {
    OCR_OK,
    OCR_FAILED,      /* this file: unreadable, too large, crashed or timed out */
    OCR_QUARANTINED, /* this file killed workers twice; it is not run again */
    OCR_CANCELLED,   /* the pool stopped before the job finished */
};

struct ocr_page {
    double confidence;   /* Tesseract mean word confidence 0..100; -1 for a PDF text layer */
    int text_layer;      /* 1: text from the PDF's text layer, not OCR */
    int rotated;         /* 0/90/180/270: how far orientation detection found the
                          * page turned clockwise (and turned it back) */
    double skew;         /* degrees of skew corrected */
    int denoised;        /* 1: the page was found noisy and median-filtered */
};

/* Everything is borrowed until the callback returns. */
struct ocr_result {
    enum ocr_status status;
    int code;            /* 0 when OCR_OK, else a negative VT_E* code */
    const char *reason;  /* "" when OCR_OK; else lower-case, for people */
    const char *path;    /* the submitted path */
    const char *text;    /* UTF-8, pages separated by '\f'; "" unless OCR_OK */
    size_t text_len;
    const struct ocr_page *pages;
    size_t npages;
    double confidence;   /* mean over OCR'd pages, -1 when none was OCR'd */
    double elapsed_ms;   /* from dispatch to a worker until the result */
};

typedef void (*ocr_done_cb)(const struct ocr_result *res, void *data);

struct ocr_pool_stats {
    unsigned workers;    /* configured */
    unsigned ready;      /* running and idle or busy */
    unsigned busy;
    size_t queued;
    unsigned long restarts;
    unsigned long done, failed, quarantined;
};

/* Start the pool's workers on loop.  cfg and its strings are copied.
 * Returns a new pool (free with ocr_pool_free) or NULL with err filled
 * (the worker program cannot be spawned: UV_ENOENT, UV_EACCES, ...).
 * Uses the process id at this call as the workers' parent: do not fork
 * afterwards and keep the pool in the child. */
struct ocr_pool *ocr_pool_new(uv_loop_t *loop, const struct ocr_pool_config *cfg,
                              struct vt_err *err);

/* Queue path for OCR in lang (NULL = the pool's default).  path and lang are
 * copied; the pool opens path (read-only) when a worker is free, so it is
 * read with the caller's permissions, and a file that cannot be opened
 * fails with OCR_FAILED and the open's error as code.  On success (0) cb is called exactly once, later, from the loop -
 * never from inside this call.  Returns UV_EAGAIN when the queue is full
 * (submit again from a callback), UV_ECANCELED after ocr_pool_stop(), and
 * then cb is never called. */
int ocr_pool_submit(struct ocr_pool *pool, const char *path, const char *lang, ocr_done_cb cb,
                    void *data);

/* The same for a file of an archive: path (absolute) is opened beneath
 * root, the archive folder, through no symlink in any component below it
 * (vt_open_under), so a file swapped for a symlink after the caller's own
 * checks is refused (OCR_FAILED) rather than read.  root is copied. */
int ocr_pool_submit_under(struct ocr_pool *pool, const char *root, const char *path,
                          const char *lang, ocr_done_cb cb, void *data);

/* Jobs queued or running. */
size_t ocr_pool_pending(const struct ocr_pool *pool);

void ocr_pool_stats(const struct ocr_pool *pool, struct ocr_pool_stats *st);

/* How many times path has killed a worker (crash or timeout) so far. */
unsigned ocr_pool_kills(const struct ocr_pool *pool, const char *path);

/* Forget path's kill count (the file was replaced): it may run again. */
void ocr_pool_forgive(struct ocr_pool *pool, const char *path);

/* Cancel queued and running jobs (their callbacks run with OCR_CANCELLED),
 * ask idle workers to exit (EOF on stdin), kill busy ones, and close every
 * handle.  Run the loop afterwards until it has no more work.  Idempotent;
 * callbacks may call it. */
void ocr_pool_stop(struct ocr_pool *pool);

/* Stop if needed and free the pool once its last handle has closed (so the
 * loop must still run after this call).  NULL is a no-op.  Not from a
 * callback of this pool. */
void ocr_pool_free(struct ocr_pool *pool);

/* The worker program to use: vanthu-ocr-worker next to the running
 * executable when it exists there (a build tree), else the installed
 * $(pkglibexecdir)/vanthu-ocr-worker.  New string, free with free(). */
char *ocr_worker_default_path(void);

#endif
