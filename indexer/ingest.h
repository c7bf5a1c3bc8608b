/* One file to one index document: extraction, fixity, cleanup, record.
 * Shared by `vanthu index` (batch.c) and `vanthu serve` (service.c).
 *
 * The file is opened with vt_open_under() beneath the archive folder it
 * was found under (no symlink anywhere below that folder), and the record
 * describes the open descriptor (fstat), never what the path names a
 * moment later.  Every record (struct storage_record) says where the
 * original is, for the file route and fixity checks: root (the archive
 * folder), path (absolute; a display string with U+FFFD for bytes that
 * are not UTF-8), path_hex (the raw bytes of the absolute path in hex,
 * only when path is lossy), dev, ino, size, mtime_ns.
 *
 * Threads: any; the extractor must belong to the calling thread. */
#ifndef VT_INDEXER_INGEST_H
#define VT_INDEXER_INGEST_H

#include <stddef.h>
#include <sys/stat.h>

#include "common/err.h"
#include "indexer/extract.h"
#include "storage/storage.h"

#include <stdint.h>

struct ingest_config {
    size_t max_text;         /* bytes of text kept per document */
    uint64_t max_file_bytes; /* larger files are recorded by name only
                              * (status "failed", reason "larger than the
                              * N-byte limit"), neither hashed nor read;
                              * 0: no limit */
    const int *cancel;       /* NULL, or a flag another thread may set
                              * (__atomic) to stop reading this file */
};

/* The default of [index] max_file_bytes and `vanthu index --max-file-bytes`. */
#define INGEST_DEFAULT_MAX_FILE_BYTES ((uint64_t)2 << 30)

/* The record's "text_source" for an OCR pool result of npages pages of
 * which ntext_layer came from a PDF text layer: "pdf-text", "pdf-text+ocr"
 * or "ocr".  A static string. */
const char *ingest_ocr_source(size_t npages, size_t ntext_layer);

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
    int open_rc;         /* 0, or why the file could not be opened: -ENOENT,
                          * -ENOTDIR (gone), -ELOOP, -EXDEV (a symlink on
                          * the way), VT_EBADINPUT (not a regular file),
                          * -ENAMETOOLONG (path longer than PATH_MAX) ... */
};

/* Open path beneath root (the archive folder it was found under), extract
 * its text, hash it, and build its index document.  st: in, the stat the
 * walk or watcher saw (recorded when the file cannot be opened); out, the
 * open descriptor's fstat, from which the record is made.  Per-file
 * problems (unopenable, undecodable, unsupported, too large, a path
 * longer than PATH_MAX) still produce a document, recorded with its
 * status and reason so the file stays findable by name.  Returns 0 with
 * *doc set (new: storage_doc_free); UV_ECANCELED with no document when
 * cfg->cancel was set while reading; or another negative code only for
 * failures that are not the file's fault (out of memory, index errors). */
int ingest_file(struct extractor *ex, const struct ingest_config *cfg, const char *root,
                const char *path, struct stat *st, struct storage_doc **doc,
                struct ingest_outcome *out, struct vt_err *err);

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
 * extracting the file: the file is not read; st is its fstat (the caller
 * opened it with vt_open_under to check it), root its archive folder.  Status is "indexed", or
 * "empty" for no text; t->code, or text that cannot be normalised, is
 * recorded as "failed" with its reason.  Text beyond cfg->max_text is cut.  Everything in t is borrowed
 * for the call.  Returns 0 with *doc set (new: storage_doc_free), or a
 * negative code when the document cannot be built (VT_ENOMEM, index
 * errors).  Threads: any. */
int ingest_text(const struct ingest_config *cfg, const char *root, const char *path,
                const struct stat *st, const struct ingest_text *t, struct storage_doc **doc, struct ingest_outcome *out,
                struct vt_err *err);

/* storage_each_file() over the index in data_dir, opened read-only, with
 * each file's path as the raw bytes it names: for a record whose "path"
 * is a lossy display string, the bytes of its "path_hex".  Returns 0, the
 * first negative value from cb, or an index error (err set).  Threads:
 * any. */
int ingest_each_file(const char *data_dir, storage_file_cb cb, void *data, struct vt_err *err);

/* 0 if no two of the n archive folders share a name, else VT_EBADINPUT
 * naming them: a document's id is its archive's name and its path below
 * it (storage_id_for), so two folders of one name could give two files
 * one id.  The same folder given twice is fine. */
int ingest_check_roots(const char *const *roots, size_t n, struct vt_err *err);

#endif
