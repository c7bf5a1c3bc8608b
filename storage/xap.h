/* The C face of Xapian: the only C++ in the tree sits behind this header
 * (storage/xap.cc).  It only translates; every decision about terms, ids,
 * retries and batching lives in the C files of storage/, the only ones
 * that include this header (tests/check-includes.sh holds them to it).
 *
 * Errors: every function returns 0 (or a count) or a negative VT_E* code,
 * with detail in err.  No C++ exception ever crosses this boundary: each
 * function catches everything and classifies it (DatabaseLockError ->
 * VT_ELOCKED, DatabaseModifiedError -> VT_EAGAIN, DatabaseCorruptError ->
 * VT_ECORRUPT, DatabaseNotFoundError and DocNotFoundError -> VT_ENOTFOUND,
 * other DatabaseOpeningError -> VT_EIO, other Xapian errors -> VT_EINDEX,
 * bad_alloc -> VT_ENOMEM), with a plain sentence in err (Xapian's own text
 * goes to the debug log).
 *
 * Threads: a handle is used by one thread at a time.  Readers each open
 * their own xap_db; there is one writable xap_db per index. */
#ifndef VT_STORAGE_XAP_H
#define VT_STORAGE_XAP_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#ifdef __cplusplus
#define XAP_NOEXCEPT noexcept
extern "C" {
#else
#define XAP_NOEXCEPT
#endif

struct xap_db;
struct xap_doc;
struct xap_query;

/* Open an index folder.  Writable opens create it; a second writer gets
 * VT_ELOCKED.  New handle: free with xap_close(), which does not commit. */
int xap_open(const char *path, int writable, struct xap_db **out, struct vt_err *err) XAP_NOEXCEPT;
/* Open n index folders read-only as one database (Xapian merges their
 * rankings; docids interleave: shard k's docid d is (d - 1) * n + k + 1). */
int xap_open_multi(const char *const *paths, size_t n, struct xap_db **out,
                   struct vt_err *err) XAP_NOEXCEPT;
void xap_close(struct xap_db *db) XAP_NOEXCEPT;
/* Readers: see the latest commit. */
int xap_reopen(struct xap_db *db, struct vt_err *err) XAP_NOEXCEPT;
int xap_commit(struct xap_db *db, struct vt_err *err) XAP_NOEXCEPT;
/* Number of documents (>= 0) or a negative code. */
long xap_doccount(struct xap_db *db, struct vt_err *err) XAP_NOEXCEPT;
/* Write a compacted copy of db to dest (which must not exist). */
int xap_compact(struct xap_db *db, const char *dest, struct vt_err *err) XAP_NOEXCEPT;

/* Documents are built in any thread and handed to the writer.
 * xap_doc_new() aborts on OOM like xmalloc; free with xap_doc_free(). */
struct xap_doc *xap_doc_new(void) XAP_NOEXCEPT;
void xap_doc_free(struct xap_doc *doc) XAP_NOEXCEPT;
/* A term at a position (pos > 0) or, with pos == 0, without one. */
int xap_doc_add(struct xap_doc *doc, const char *term, size_t len, unsigned pos, struct vt_err *err) XAP_NOEXCEPT;
/* A boolean (filter) term: no wdf, no position. */
int xap_doc_add_boolean(struct xap_doc *doc, const char *term, size_t len, struct vt_err *err) XAP_NOEXCEPT;
int xap_doc_set_value(struct xap_doc *doc, unsigned slot, const char *v, size_t len, struct vt_err *err) XAP_NOEXCEPT;
int xap_doc_set_data(struct xap_doc *doc, const char *data, size_t len, struct vt_err *err) XAP_NOEXCEPT;
/* Xapian's sortable encoding of a number, for values that sort and range. */
int xap_sortable(double v, struct buf *out) XAP_NOEXCEPT;

/* Replace (or add) the document indexed by the unique term idterm. */
int xap_replace(struct xap_db *db, const char *idterm, struct xap_doc *doc, struct vt_err *err) XAP_NOEXCEPT;
/* Delete the documents indexed by idterm; 0 even if there were none. */
int xap_delete(struct xap_db *db, const char *idterm, struct vt_err *err) XAP_NOEXCEPT;
/* Find the document holding idterm: its docid (> 0), or VT_ENOTFOUND.
 * data (may be NULL) receives its data. */
long xap_find(struct xap_db *db, const char *idterm, struct buf *data, struct vt_err *err) XAP_NOEXCEPT;
/* The data / one value of a document by docid. */
int xap_get_data(struct xap_db *db, unsigned docid, struct buf *data, struct vt_err *err) XAP_NOEXCEPT;

/* Index metadata (a key/value store beside the documents): "" when the
 * key is unset.  Set takes effect with the next commit. */
int xap_get_metadata(struct xap_db *db, const char *key, struct buf *out, struct vt_err *err) XAP_NOEXCEPT;
int xap_set_metadata(struct xap_db *db, const char *key, const char *value, struct vt_err *err) XAP_NOEXCEPT;
/* Call cb for every docid in order; cb returns 0 to go on, > 0 to stop,
 * < 0 to stop with that error. */
typedef int (*xap_docid_cb)(void *data, unsigned docid);
int xap_each_docid(struct xap_db *db, xap_docid_cb cb, void *data, struct vt_err *err) XAP_NOEXCEPT;
/* Give document docid of src the unique term new_idterm (dropping
 * old_idterm) and the data given, keeping its terms and values, in dst
 * (which may be src); a document of dst already holding new_idterm is
 * replaced.  Both writable. */
int xap_rekey(struct xap_db *src, unsigned docid, struct xap_db *dst, const char *old_idterm,
              const char *new_idterm, const char *data, size_t len, struct vt_err *err) XAP_NOEXCEPT;

/* Call cb for every document having a value in slot, in docid order.  A
 * negative return from cb stops the walk and is returned. */
typedef int (*xap_value_cb)(void *data, unsigned docid, const char *v, size_t len);
int xap_each_value(struct xap_db *db, unsigned slot, xap_value_cb cb, void *data, struct vt_err *err) XAP_NOEXCEPT;
/* Call cb for every term starting with prefix, in byte order, with its term
 * frequency; cb returns 0 to go on, > 0 to stop, < 0 to stop with that
 * error. */
typedef int (*xap_term_cb)(void *data, const char *term, size_t len, unsigned freq);
int xap_each_term(struct xap_db *db, const char *prefix, xap_term_cb cb, void *data,
                  struct vt_err *err) XAP_NOEXCEPT;
/* Number of documents holding term (its term frequency). */
long xap_termfreq(struct xap_db *db, const char *term, struct vt_err *err) XAP_NOEXCEPT;

/* Queries.  Constructors return a new handle (free with xap_q_free()) or
 * NULL only on out-of-memory.  Combinators borrow their inputs. */
enum xap_op {
    XAP_AND,
    XAP_OR,
    XAP_AND_NOT,
    XAP_AND_MAYBE,
    XAP_FILTER,
    XAP_PHRASE,
    XAP_NEAR,
    XAP_SYNONYM,
    XAP_VALUE_RANGE,
};
struct xap_query *xap_q_term(const char *term, size_t len, unsigned wqf) XAP_NOEXCEPT;
struct xap_query *xap_q_all(void) XAP_NOEXCEPT;
struct xap_query *xap_q_combine(enum xap_op op, struct xap_query *const *subs, size_t n, unsigned window) XAP_NOEXCEPT;
/* A new handle on the same query (Xapian shares the tree). */
struct xap_query *xap_q_copy(const struct xap_query *q) XAP_NOEXCEPT;
struct xap_query *xap_q_scale(const struct xap_query *q, double factor) XAP_NOEXCEPT;
/* Documents whose value in slot lies in [lo, hi] (bytewise). */
struct xap_query *xap_q_range(unsigned slot, const char *lo, const char *hi) XAP_NOEXCEPT;
/* NULL-safe. */
void xap_q_free(struct xap_query *q) XAP_NOEXCEPT;
/* Xapian's description of q, for logs and tests. */
int xap_q_describe(const struct xap_query *q, struct buf *out) XAP_NOEXCEPT;

struct xap_search {
    unsigned offset;
    unsigned limit;
    int sort_slot;        /* -1: relevance */
    int sort_descending;  /* with sort_slot */
    unsigned check_at_least;
    const unsigned *facet_slots;
    size_t nfacets;
};
typedef int (*xap_hit_cb)(void *data, unsigned docid, double weight, unsigned rank);
typedef int (*xap_facet_cb)(void *data, unsigned slot, const char *value, size_t len, unsigned count);
/* Run q; hit_cb for each result in rank order, facet_cb for each value
 * counted in the facet slots.  *total gets the number of matches (exact
 * when check_at_least covers them). */
int xap_run(struct xap_db *db, const struct xap_query *q, const struct xap_search *s,
            xap_hit_cb hit_cb, xap_facet_cb facet_cb, void *data, unsigned *total,
            struct vt_err *err) XAP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
