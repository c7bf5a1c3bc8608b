/* The index: vanthu's schema on top of Xapian (DESIGN §6).
 *
 * The schema is written in one place, the tables of storage/schema.c:
 * every term prefix and value slot, and for each field of a record its
 * JSON key, whether it makes a boolean filter term (folded or as it is)
 * and which value slot holds it (sortable, or a display value counted as
 * a facet).  Nothing outside storage/ spells a prefix, a slot or a
 * record's key: the indexer fills a struct storage_record, query/ builds
 * queries with the storage_q_* constructors below and reads results back
 * as struct storage_record.  What the index holds (DESIGN §6):
 *   - an id term per file, unique: Q + 32 hex digits of sha256 of its
 *     archive folder's name and its path below it (storage_id_for);
 *   - every word folded (lowercase, no marks, đ->d) with positions, the
 *     file name's words first; in a document holding any accented word,
 *     every word again in its exact form (lowercase NFC, one tone-mark
 *     convention) under its own prefix, with positions; a document without
 *     accented words gets one boolean term instead, so strict search
 *     knows its folded words are its exact ones;
 *   - every document number in the text, keyed (text_number_key), no
 *     position;
 *   - boolean filter terms: type and agency (folded), year, mime, status,
 *     folder, the document's own number (keyed), the file's sha256;
 *   - value slots: issue date, the date to sort by (issued, else the
 *     file's), mtime, size, page count, OCR confidence (sortable); type,
 *     agency, year, mime (display, counted as facets); the file's state
 *     for change detection;
 *   - data: the record as JSON, a NUL byte, then the full text (pages
 *     split by \f).
 *
 * Reads retry: a reader whose commit Xapian has since overwritten
 * (DatabaseModifiedError) is reopened and the read tried again, a few
 * times (logged at debug), inside every read function below, so every
 * caller gets it.  VT_EAGAIN reaches a caller only when the index keeps
 * moving faster than it can be read.
 *
 * Threads: a struct storage is used by one thread at a time, except that
 * storage_put() and storage_commit_shard() may run concurrently for
 * different shards (one writer thread per shard).  A storage_doc and a
 * storage_query may be built on any thread.
 * Errors: 0 or a negative VT_E* code with detail in err. */
#ifndef VT_STORAGE_STORAGE_H
#define VT_STORAGE_STORAGE_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "text/tok.h"

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
/* Bytes of the files in the index folder (and its shard folders): 0 when
 * it cannot be read.  Any thread. */
long long storage_index_bytes(const struct storage *st);
/* Replace the index folder by a compacted copy (writer, after commit). */
int storage_compact(struct storage *st, struct vt_err *err);
int storage_compact_shard(struct storage *st, unsigned shard, struct vt_err *err);

/* Stable ids (storage/ids.c).  A document's id is 32 lowercase hex
 * digits of sha256("NAME/REL"): NAME is its archive folder's name (the
 * last component of root), REL its path below that folder.  Moving or
 * remounting the archive folder keeps every id; two archives of one index
 * must not share a name (the indexer refuses them).  storage_id_of()
 * hashes a key already made; storage_id_for() makes it from the archive
 * folder and the file's path (raw bytes, absolute).  An index written
 * with the ids of earlier versions (sha256 of the absolute path) is
 * re-keyed when a writer first opens it, without touching any text. */
void storage_id_of(const char *key, char id[STORAGE_ID_LEN + 1]);
void storage_id_for(const char *root, const char *path, char id[STORAGE_ID_LEN + 1]);
/* The archive name of a root folder: its last component (borrowed). */
const char *storage_archive_name(const char *root);

/* ---- records ------------------------------------------------------------ */

/* The official-document fields of DESIGN §8 (record key "meta"); NULL:
 * absent. */
struct storage_meta {
    const char *number;       /* as written: "512/QĐ-UBND" */
    const char *type;         /* full name: "Quyết định" */
    const char *agency;
    const char *place;
    const char *issued;       /* "YYYY-MM-DD" or "YYYY-MM" */
    const char *subject;
    const char *signer;
    const char *signer_title;
    const char *secrecy;
    const char *urgency;
    const char *title;        /* the official title: type, number, subject */
    const char *lang;
};

/* One file's record: what the indexer knows of it, stored as the
 * document's JSON data (the body of GET /api/documents/{id}) and turned
 * into its filter terms and values.  Strings are NULL when absent (their
 * key is left out); numbers are always stored.  A record the caller fills
 * borrows its strings; one read back from the index owns them until
 * storage_record_release(). */
struct storage_record {
    const char *id;           /* STORAGE_ID_LEN hex digits (storage_id_for) */
    const char *path;         /* absolute; U+FFFD for bytes that are not UTF-8 */
    const char *path_hex;     /* the raw bytes of the path in hex, when path is lossy */
    const char *name;         /* the file name, as path shows it */
    const char *root;         /* the archive folder it was found under */
    long long dev, ino;
    const char *title;
    const char *mime;
    long long size;
    long long mtime;          /* seconds */
    long long mtime_ns;
    const char *sha256;       /* hex fixity; "" when the file could not be read */
    const char *status;       /* "indexed", "empty", "unsupported", "failed", "needs-ocr" */
    const char *error;        /* why, for a failure */
    long long pages;
    int truncated;            /* the text was cut at max_text */
    double ocr_confidence;    /* mean, 0..100; < 0: none */
    const char *text_source;  /* "ocr", "pdf-text", "pdf-text+ocr", "copy" */
    const double *page_confidence; /* per page, < 0 for a text layer; or NULL */
    size_t npage_confidence;
    struct storage_meta meta;
    /* private: what a record read back owns */
    json_t *_json;
    double *_pc;
};

/* Every field absent (ocr_confidence -1). */
void storage_record_init(struct storage_record *r);
/* Free what a record read back owns, and init it again.  NULL-safe. */
void storage_record_release(struct storage_record *r);
/* The record's "meta" as JSON: for a record read back, the object as
 * stored; else made from r->meta (the keys of DESIGN §8, in their order).
 * New reference (json_decref); do not modify it. */
json_t *storage_record_meta_json(const struct storage_record *r);

/* Build the Xapian document of rec and its text (cleaned UTF-8,
 * text_clean; may be NULL): terms, values, data.  Any thread.  rec and
 * text are borrowed for the call.  New: free with storage_doc_free()
 * (NULL-safe). */
int storage_doc_build(const struct storage_record *rec, const char *text, size_t text_len,
                      struct storage_doc **out, struct vt_err *err);
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
/* Each file once, in docid order, even when the walk is retried. */
typedef int (*storage_file_cb)(void *data, const struct storage_file *f);
int storage_each_file(struct storage *st, storage_file_cb cb, void *data, struct vt_err *err);

/* A document's record as stored (new reference: json_decref) and, if text
 * is not NULL, its full text.  VT_ENOTFOUND if there is none. */
int storage_get(struct storage *st, const char *id, json_t **record, struct buf *text,
                struct vt_err *err);
int storage_get_docid(struct storage *st, unsigned docid, json_t **record, struct buf *text,
                      struct vt_err *err);
/* The same, typed: rec (which needs no init) owns its strings until
 * storage_record_release(), also after an error. */
int storage_get_record(struct storage *st, const char *id, struct storage_record *rec,
                       struct buf *text, struct vt_err *err);
int storage_get_record_docid(struct storage *st, unsigned docid, struct storage_record *rec,
                             struct buf *text, struct vt_err *err);

/* The first document whose file has this sha256 (64 lowercase hex
 * digits): its record (new reference: json_decref) and, if text is not
 * NULL, its full text.  VT_ENOTFOUND if there is none.  On a writable
 * index it looks in each shard (call it on a thread that may use them). */
int storage_find_sha256(struct storage *st, const char *sha256, json_t **record,
                        struct buf *text, struct vt_err *err);
/* The same, typed (as storage_get_record). */
int storage_find_sha256_record(struct storage *st, const char *sha256,
                               struct storage_record *rec, struct buf *text, struct vt_err *err);

/* ---- queries ------------------------------------------------------------ */

/* The fields a query filters on (the converted value of each is one
 * boolean term) and, where marked, counts as a facet. */
enum storage_field {
    STORAGE_FIELD_TYPE,   /* meta.type, folded; facet */
    STORAGE_FIELD_AGENCY, /* meta.agency, folded; facet */
    STORAGE_FIELD_YEAR,   /* the year of meta.issued: "2021"; facet */
    STORAGE_FIELD_MIME,   /* facet */
    STORAGE_FIELD_STATUS,
    STORAGE_FIELD_FOLDER, /* the folder of the file's path, as path shows it */
    STORAGE_FIELD_NUMBER, /* meta.number, keyed like numbers in the text */
    STORAGE_FIELD_SHA256,
    STORAGE_NFIELDS
};

/* A query: new from a constructor, free with storage_q_free().  A
 * constructor returns NULL only on out-of-memory; those ending in _take
 * take ownership of their inputs (freed even when they fail, NULL inputs
 * allowed: the result is then NULL), the others borrow them. */
struct storage_query;

enum storage_op {
    STORAGE_AND,
    STORAGE_OR,
    STORAGE_AND_NOT,   /* the first, without any of the others */
    STORAGE_AND_MAYBE, /* the first; the others add weight */
    STORAGE_FILTER,    /* the first, restricted by the others (no weight) */
    STORAGE_PHRASE,    /* positional terms in order, within window (0: adjacent) */
    STORAGE_NEAR,      /* positional terms in any order within window */
};

/* How a word token matches. */
enum storage_match {
    STORAGE_MATCH_FOLDED, /* any accented form: its folded term */
    STORAGE_MATCH_EXACT,  /* the form as typed: the exact term of a word with
                           * marks, the folded one of a word without */
    STORAGE_MATCH_STRICT, /* strict search: only the exact form; a word
                           * without marks also matches documents without
                           * any accented word (indexed folded only) */
};

struct storage_query *storage_q_all(void);
struct storage_query *storage_q_none(void);
/* A token of text_tokenize() over cleaned query text (borrowed): a word
 * matches as m says, positional (for phrases); a document number
 * (TEXT_TOK_NUMBER) matches documents holding it in their text or as
 * their own number, whatever m.  A token that makes no term (too long,
 * nothing left once folded) matches nothing. */
struct storage_query *storage_q_token(const struct text_token *t, enum storage_match m);
/* Documents whose field f is value (the field's conversion, folding for
 * type and agency, is done here).  A value that makes no term matches
 * nothing. */
struct storage_query *storage_q_filter(enum storage_field f, const char *value);
/* Documents dated (issue date, else the file's date) from from to to,
 * "YYYY-MM-DD" each, bounds included; NULL or "": open. */
struct storage_query *storage_q_dates(const char *from, const char *to);
/* Documents with an issue date (meta.issued). */
struct storage_query *storage_q_dated(void);
struct storage_query *storage_q_combine_take(enum storage_op op, struct storage_query **q,
                                             size_t n, unsigned window);
struct storage_query *storage_q_pair_take(enum storage_op op, struct storage_query *a,
                                          struct storage_query *b);
/* q's weights times factor (0: a boolean query Xapian does not rank). */
struct storage_query *storage_q_scale_take(struct storage_query *q, double factor);
struct storage_query *storage_q_dup(const struct storage_query *q);
void storage_q_free(struct storage_query *q);
/* Xapian's description of q, appended to out: for logs and tests. */
int storage_q_describe(const struct storage_query *q, struct buf *out);

enum storage_sort {
    STORAGE_SORT_RELEVANCE,
    STORAGE_SORT_DATE_ASC,  /* by issue date, else the file's date */
    STORAGE_SORT_DATE_DESC,
};

struct storage_search {
    unsigned offset;
    unsigned limit;
    enum storage_sort sort;      /* then relevance */
    int exact_total;             /* count every match, not an estimate */
    const enum storage_field *facets; /* counted over every match: TYPE,
                                       * AGENCY, YEAR, MIME */
    size_t nfacets;
};
typedef int (*storage_hit_cb)(void *data, unsigned docid, double weight, unsigned rank);
typedef int (*storage_facet_cb)(void *data, enum storage_field f, const char *value, size_t len,
                                unsigned count);
/* Run q on a reader: hit_cb for each result of the page in rank order
 * (read it with storage_get_record_docid), then facet_cb (may be NULL) for
 * each value counted.  A negative return from a callback stops the run
 * and is returned.  *total gets the number of matches.  Retried as a
 * whole when the index moves before the first callback. */
int storage_run(struct storage *st, const struct storage_query *q, const struct storage_search *s,
                storage_hit_cb hit_cb, storage_facet_cb facet_cb, void *data, unsigned *total,
                struct vt_err *err);

/* Number of documents whose field f is value (as storage_q_filter()). */
long storage_count_field(struct storage *st, enum storage_field f, const char *value,
                         struct vt_err *err);
/* Number of documents with this status ("indexed", "failed", ...). */
long storage_count_status(struct storage *st, const char *status, struct vt_err *err);
/* Number of documents holding the word whose folded form is folded. */
long storage_word_freq(struct storage *st, const char *folded, struct vt_err *err);
/* Number of documents holding a raw Xapian term (for callers not yet on
 * the functions above). */
long storage_termfreq(struct storage *st, const char *term, struct vt_err *err);

/* "Did you mean": for each word (folded, one the index does not hold), the
 * indexed folded word closest to it, within one edit for words of up to 4
 * letters and two beyond, sharing its first letter; ties go to the word in
 * more documents.  The dictionary is read in passes, first over the words
 * sharing the first two letters, then over those sharing the first one
 * (suggest.c says why), in the order the words come.  A pass that goes
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
