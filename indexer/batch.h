/* `vanthu index`: a one-shot, incremental indexing run over folders, by
 * the same pipeline as `vanthu serve` (pipeline.h) on a private loop, fed
 * by a scan of the given PATHs instead of a watcher.
 *
 * Each file is opened beneath the PATH it was found under (for a file
 * argument, its folder), through no symlink (common/safefile.h).
 * Files unchanged since the last run (same size and mtime, and not left
 * "needs-ocr" when OCR is on) are skipped;
 * changed ones are replaced; files that vanished from under the given
 * roots are removed.  Extraction and document building run on `threads`
 * threadpool jobs at once; one writer thread per shard owns the index and
 * commits every batch_bytes of documents, so memory stays bounded.
 * Images and text-less PDFs take the text of an indexed copy (same
 * sha256) or go through an OCR pool started on first need.
 *
 * Threads: call from one thread; it runs its own loop and threads. */
#ifndef VT_INDEXER_BATCH_H
#define VT_INDEXER_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct indexer_batch_config {
    const char *data_dir;   /* the index folder */
    char *const *paths;     /* files or folders, as given */
    size_t npaths;
    unsigned threads;       /* extraction jobs at once (keep below
                             * UV_THREADPOOL_SIZE); 0 = number of cores */
    size_t max_text;        /* bytes of text per document */
    uint64_t max_file_bytes;/* larger files are recorded by name only;
                             * 0: INGEST_DEFAULT_MAX_FILE_BYTES */
    size_t batch_bytes;     /* commit after this many bytes of documents */
    int progress;           /* 1: redraw a progress line on stderr (a TTY) */
    int compact;            /* -1 auto (after a bulk build), 0 never, 1 always */
    /* OCR of images and text-less PDFs (ocr/pool.h); NULL worker: leave
     * them recorded as "needs-ocr", findable by name. */
    const char *ocr_worker; /* the vanthu-ocr-worker program */
    const char *ocr_lang;   /* NULL: the pool's default */
    unsigned ocr_workers;   /* 0: number of cores */
    unsigned ocr_timeout_ms;/* 0: the pool's default */
};

struct indexer_stats {
    /* Documents and deletions committed, by status; seen and unchanged
     * count what the walk found. */
    unsigned long seen, indexed, unchanged, removed, failed, unsupported, empty, needs_ocr;
    unsigned long problems; /* paths skipped by the walk (loops, permissions)
                             * or changing every time they were read */
    unsigned long ocr_done, ocr_failed; /* of the needs_ocr files */
    unsigned long long bytes;
    double seconds;
};

/* Returns 0 when the run completed (per-file failures are counted in
 * stats, not returned), or a negative code for a fatal error (the index
 * cannot be opened or written: VT_ELOCKED, VT_EIO, VT_ECORRUPT, ...). */
int indexer_batch_run(const struct indexer_batch_config *cfg, struct indexer_stats *stats,
                      struct vt_err *err);

#endif
