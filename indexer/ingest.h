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

#endif
