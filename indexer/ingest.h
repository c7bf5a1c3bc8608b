/* One file to one index document: extraction, fixity, cleanup, record.
 * Shared by `vanthu index` and, later, the watcher's pipeline.
 *
 * Threads: any; the extractor must belong to the calling thread. */
#ifndef VT_INDEXER_INGEST_H
#define VT_INDEXER_INGEST_H

#include <stddef.h>
#include <sys/stat.h>

#include "common/err.h"
#include "indexer/extract.h"
#include "storage/storage.h"

struct ingest_config {
    size_t max_text; /* bytes of text kept per document */
};

/* What happened to a file; status is also stored in its record. */
struct ingest_outcome {
    const char *status;  /* "indexed", "empty", "unsupported", "failed", "needs-ocr" */
    int code;            /* 0 or the VT_E* / -errno code of a failure */
    char reason[VT_ERR_MSG_MAX];
    size_t text_bytes;
    int truncated;
    char sha256[65];     /* the file's sha256 in hex; "" if it could not be read */
    char mime[128];      /* its type (cut to fit) */
    unsigned pages;
};

/* Read path (whose stat is st), extract its text, hash it, and build its
 * index document.  Per-file problems (unreadable, undecodable, unsupported)
 * still produce a document, recorded with its status and reason so the file
 * stays findable by name.  Returns 0 with *doc set (new: storage_doc_free),
 * or a negative code only for failures that are not the file's fault
 * (out of memory, index errors). */
int ingest_file(struct extractor *ex, const struct ingest_config *cfg, const char *path,
                const struct stat *st, struct storage_doc **doc, struct ingest_outcome *out,
                struct vt_err *err);

/* Text obtained elsewhere: from the OCR pool, or reused from a document in
 * the index with the same sha256 (a copy, or a moved file). */
struct ingest_text {
    const char *text;      /* UTF-8, pages split by '\f'; cleaned here */
    size_t text_len;
    const char *mime;      /* NULL: application/octet-stream */
    const char *title;     /* NULL: from the text's metadata, first line or file name */
    const char *sha256;    /* hex fixity of the file, as computed by the caller */
    unsigned pages;
    double ocr_confidence; /* mean OCR confidence 0..100; < 0: none */
    const char *origin;    /* stored as the record's "text_source" ("ocr",
                            * "copy"); NULL: none */
    const double *page_confidence; /* OCR confidence of each page (-1: text
                                    * layer), stored in the record; or NULL */
    size_t npage_confidence;
    int code;              /* != 0: the text could not be obtained (OCR
                            * failed); recorded as "failed" with reason */
    const char *reason;    /* with code: why, for people */
};

/* Build path's document (record, metadata, terms) from t instead of
 * extracting the file: the file is not read.  Status is "indexed", or
 * "empty" for no text; t->code, or text that cannot be normalised, is
 * recorded as "failed" with its reason.  Text beyond cfg->max_text is cut.  Everything in t is borrowed
 * for the call.  Returns 0 with *doc set (new: storage_doc_free), or a
 * negative code when the document cannot be built (VT_ENOMEM, index
 * errors).  Threads: any. */
int ingest_text(const struct ingest_config *cfg, const char *path, const struct stat *st,
                const struct ingest_text *t, struct storage_doc **doc, struct ingest_outcome *out,
                struct vt_err *err);

#endif
