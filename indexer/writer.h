/* The index writers: one thread per shard of a writable index, the only
 * users of that shard's database (a second WritableDatabase would throw,
 * and Xapian objects are not thread-safe).
 *
 * The loop hands operations (put a document, delete an id) to the writer
 * of the shard they belong to, through a mutex-protected FIFO; the writer
 * applies them in order and commits once commit_docs operations, or
 * commit_bytes of documents, are uncommitted, or commit_ms after the first
 * uncommitted one.  What it did comes back through uv_async_send; since
 * sends coalesce, the async callback drains every report and hands the
 * sum to the owner's report callback once.
 *
 * Each operation carries a class (a small number the caller picks:
 * indexed, failed, deleted, ...); a report counts the committed operations
 * of each class, so a count never includes a write that did not reach the
 * disk.
 *
 * Threads: every function and callback runs on the loop thread; the
 * writer threads call nothing of libuv but uv_async_send.
 * Ownership: the storage handle is borrowed and must outlive the writer. */
#ifndef VT_INDEXER_WRITER_H
#define VT_INDEXER_WRITER_H

#include <stddef.h>

#include <uv.h>

#include "common/err.h"
#include "storage/storage.h"

#define INDEXER_WRITER_CLASSES 8

struct indexer_writer;

/* What the writers did since the last report. */
struct indexer_writer_report {
    unsigned long counts[INDEXER_WRITER_CLASSES]; /* committed operations, by class */
    unsigned long applied; /* operations applied (committed or not) */
    int committed;         /* at least one shard committed */
    int fatal;             /* the index cannot be written: err says why
                            * (later operations are dropped) */
    struct vt_err err;
};

typedef void (*indexer_writer_report_cb)(void *data, const struct indexer_writer_report *r);

struct indexer_writer_config {
    struct storage *st;    /* writable; borrowed */
    unsigned commit_docs;  /* uncommitted operations per shard; 0: no limit */
    unsigned commit_ms;    /* after the first uncommitted operation; 0: no limit */
    size_t commit_bytes;   /* uncommitted document bytes per shard; 0: no limit */
    indexer_writer_report_cb report;
    void *data;
};

/* Start one thread per shard of cfg->st.  New writer (stop it with
 * indexer_writer_stop), or a negative code: VT_EINTERNAL when a thread
 * cannot start, UV_E* from the loop. */
int indexer_writer_start(uv_loop_t *loop, const struct indexer_writer_config *cfg,
                         struct indexer_writer **out, struct vt_err *err);

/* Put doc (takes ownership) with class cls (< INDEXER_WRITER_CLASSES).
 * Returns the operation's number in its shard (*shard, may be NULL),
 * counted from 1; see indexer_writer_committed().  Not after
 * indexer_writer_stop(). */
unsigned long long indexer_writer_put_take(struct indexer_writer *w, struct storage_doc *doc,
                                           unsigned cls, unsigned *shard);

/* Delete the document with this id; the same numbering. */
unsigned long long indexer_writer_delete(struct indexer_writer *w, const char *id, unsigned cls,
                                         unsigned *shard);

/* 1 once operation seq of shard has been committed (searchable). */
int indexer_writer_committed(const struct indexer_writer *w, unsigned shard,
                             unsigned long long seq);

/* Operations and document bytes handed over and not yet applied. */
size_t indexer_writer_queued(const struct indexer_writer *w);
size_t indexer_writer_queued_bytes(const struct indexer_writer *w);

/* New commit limits (0 as in the config). */
void indexer_writer_reconfigure(struct indexer_writer *w, unsigned commit_docs, unsigned commit_ms,
                                size_t commit_bytes);

/* Apply what is queued, commit, end the threads (joined on the loop once
 * each has reported its end, so the join does not wait), report the last
 * counts, close the async handle, free w and call done(data) from the
 * loop.  After a fatal error the queued operations are dropped. */
void indexer_writer_stop(struct indexer_writer *w, void (*done)(void *data), void *data);

#endif
