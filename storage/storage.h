/* The index: vanthu's schema on top of Xapian (DESIGN §6).
 *
 * Schema (the one place it is written down):
 *   Q<id>          unique id term: 32 hex digits of sha256(absolute path)
 *   <folded>       every word folded (lowercase, no marks, đ->d), with positions
 *   E<exact>       in documents holding any accented word: every word's exact
 *                  form (lowercase NFC, one tone convention), with positions
 *   XKplain        boolean: the document holds no accented word, so its exact
 *                  forms equal its folded ones (strict search uses this)
 *   XH<sha256>     boolean: the file's content hash (64 hex digits), to find
 *                  a copy's text without extracting it again
 *   XN<key>        every document number in the text (text_number_key), no position
 *   XSH<key>       the document's own number from its metadata (boolean)
 *   XT<type> XA<agency> XY<year> XM<mime> XS<status> XD<folder>   boolean filters
 *                  (type and agency folded)
 *   values: see enum storage_slot.
 *   data:   the JSON record, a NUL byte, then the full text (pages split by \f).
 *
 * Threads: a struct storage is used by one thread at a time, except that
 * storage_put() and storage_commit_shard() may run concurrently for
 * different shards (one writer thread per shard).  A storage_doc may be
 * built on any thread.
 * Errors: 0 or a negative VT_E* code with detail in err. */
#ifndef VT_STORAGE_STORAGE_H
#define VT_STORAGE_STORAGE_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "storage/xap.h"

enum storage_slot {
    STORAGE_SLOT_ISSUED = 0, /* "YYYYMMDD" (or "YYYYMM00") of the official date */
    STORAGE_SLOT_MTIME = 1,  /* sortable seconds */
    STORAGE_SLOT_SIZE = 2,   /* sortable bytes */
    STORAGE_SLOT_PAGES = 3,  /* sortable */
    STORAGE_SLOT_OCR_CONF = 4,
    STORAGE_SLOT_TYPE = 5,   /* display values, counted as facets */
    STORAGE_SLOT_AGENCY = 6,
    STORAGE_SLOT_YEAR = 7,
    STORAGE_SLOT_MIME = 8,
    STORAGE_SLOT_STATE = 9,  /* "size\tmtime_ns\tsha256\tstatus\tpath" for change detection */
    STORAGE_SLOT_DATE = 10,  /* "YYYYMMDD": issued date, else the file's mtime; sorts by date */
};

#define STORAGE_ID_LEN 32
#define STORAGE_MAX_SHARDS 16
/* A new index is split in this many Xapian databases (folders shard-N),
 * each with its own writer, so indexing uses more than one core; a
 * document lives in the shard its id selects.  Searches see one index. */
#define STORAGE_DEFAULT_SHARDS 2
#define STORAGE_MAX_TERM 120 /* longer words are not indexed (Xapian caps terms at 245 bytes) */

struct storage;
struct storage_doc;

/* Open the index in dir (created for writers, mode 0700).  New handle:
 * free with storage_close().  A writer waits up to 10 s for a lock left by
 * a process that was just killed (logged), then fails with VT_ELOCKED:
 * another writer holds it.  Blocks for that long: never the loop thread. */
int storage_open(const char *dir, int writable, struct storage **out, struct vt_err *err);
/* Does not commit: call storage_commit() first.  NULL-safe. */
void storage_close(struct storage *st);
int storage_commit(struct storage *st, struct vt_err *err);
int storage_commit_shard(struct storage *st, unsigned shard, struct vt_err *err);
unsigned storage_nshards(const struct storage *st);
/* Readers: move to the latest commit. */
int storage_reopen(struct storage *st, struct vt_err *err);
long storage_count(struct storage *st, struct vt_err *err);
/* Replace the index folder by a compacted copy (writer, after commit). */
int storage_compact(struct storage *st, struct vt_err *err);
int storage_compact_shard(struct storage *st, unsigned shard, struct vt_err *err);

/* The stable id of an absolute path: 32 lowercase hex digits + NUL. */
void storage_id_of(const char *abs_path, char id[STORAGE_ID_LEN + 1]);

struct storage_input {
    const char *id;      /* STORAGE_ID_LEN hex digits */
    json_t *record;      /* borrowed: path, name, mime, size, mtime, mtime_ns, sha256,
                            status, error, pages, title, meta{...} */
    const char *text;    /* cleaned UTF-8 (text_clean), may be NULL */
    size_t text_len;
};

/* Build the Xapian document for in: terms, values, data.  Any thread.
 * New: free with storage_doc_free() (NULL-safe). */
int storage_doc_build(const struct storage_input *in, struct storage_doc **out, struct vt_err *err);
void storage_doc_free(struct storage_doc *doc);
/* Number of bytes the document holds in memory, roughly: for batching. */
size_t storage_doc_size(const struct storage_doc *doc);
/* The shard that holds doc (its writer thread should put it). */
unsigned storage_doc_shard(const struct storage *st, const struct storage_doc *doc);
/* The shard that holds the document with this id (for deletions). */
unsigned storage_id_shard(const struct storage *st, const char *id);
/* Replace (or add) the document with doc's id.  doc stays the caller's. */
int storage_put(struct storage *st, const struct storage_doc *doc, struct vt_err *err);
int storage_delete(struct storage *st, const char *id, struct vt_err *err);

/* One indexed file, for change detection; strings borrowed for the call. */
struct storage_file {
    unsigned docid;
    const char *path;
    const char *sha256;
    const char *status;
    long long size;
    long long mtime_ns;
};
typedef int (*storage_file_cb)(void *data, const struct storage_file *f);
int storage_each_file(struct storage *st, storage_file_cb cb, void *data, struct vt_err *err);

/* A document's record (new reference: json_decref) and, if text is not
 * NULL, its full text.  VT_ENOTFOUND if there is none. */
int storage_get(struct storage *st, const char *id, json_t **record, struct buf *text,
                struct vt_err *err);
int storage_get_docid(struct storage *st, unsigned docid, json_t **record, struct buf *text,
                      struct vt_err *err);

/* The first document whose file has this sha256 (64 lowercase hex
 * digits): its record (new reference: json_decref) and, if text is not
 * NULL, its full text.  VT_ENOTFOUND if there is none.  On a writable
 * index it looks in each shard (call it on a thread that may use them). */
int storage_find_sha256(struct storage *st, const char *sha256, json_t **record,
                        struct buf *text, struct vt_err *err);

/* Run a query built with the xap_q_* constructors (query/ builds them from
 * the schema above); see xap_run. */
int storage_run(struct storage *st, const struct xap_query *q, const struct xap_search *s,
                xap_hit_cb hit_cb, xap_facet_cb facet_cb, void *data, unsigned *total,
                struct vt_err *err);
long storage_termfreq(struct storage *st, const char *term, struct vt_err *err);
/* "Did you mean": for each word (folded, one the index does not hold), the
 * indexed folded word closest to it, within one edit for words of up to 4
 * letters and two beyond, sharing its first letter; ties go to the word in
 * more documents.  The dictionary is read in passes, first over the words
 * sharing the first two letters, then over those sharing the first one
 * (storage.c says why), in the order the words come.  A pass that goes
 * past a limit stops and counts for nothing, and no later pass runs: a
 * word keeps the best the complete passes found, which may be none.
 * Words of fewer than 3 or more than 40 bytes, or not starting with a-z,
 * get none.  Returns the number of words given a correction (best
 * non-empty), or a negative code.  Readers only. */
struct storage_suggestion {
    const char *word;                /* in: borrowed for the call */
    char best[STORAGE_MAX_TERM + 1]; /* out: the correction, "" if none */
    /* private */
    char _cand[STORAGE_MAX_TERM + 1];
    size_t _len;
    int _dist, _cdist, _done, _skip;
    unsigned _freq, _cfreq;
};
/* Deadlines are in milliseconds as clock_gettime() gives them; 0: none. */
struct storage_suggest_limits {
    unsigned max_terms; /* dictionary words read by one pass; 0: no cap */
    double cpu_ms;      /* the calling thread's CLOCK_THREAD_CPUTIME_ID */
    double wall_ms;     /* CLOCK_MONOTONIC */
};
int storage_suggest(struct storage *st, struct storage_suggestion *s, size_t n,
                    const struct storage_suggest_limits *lim, struct vt_err *err);

#endif
