/* File type detection by content with libmagic (never by file name).
 *
 * A magic_t is not thread-safe, so each thread that detects types owns one
 * struct detector (STYLE §10.4: no shared handle behind a mutex).  The
 * detector is tuned for the indexer's hot path: callers pass at most the
 * first DETECT_HEAD_BYTES of a file, and libmagic's built-in checks whose
 * answers we never use (compressed contents, tar and ELF details, CSV, JSON,
 * application type, token lists) are off.  Text, HTML, PDF, image, UTF-16
 * with a BOM and OLE/Office containers are still recognised.  See detect.c
 * for the measurements behind the choices.
 *
 * Internal to indexer/: the extractor (extract.c) is its only caller, hence
 * the indexer__ prefix of a cross-file internal. */
#ifndef VT_INDEXER_DETECT_H
#define VT_INDEXER_DETECT_H

#include <stddef.h>

struct vt_err;

/* How many leading bytes of a file detection looks at. */
#define DETECT_HEAD_BYTES (64 * 1024)

struct detector;

/* Open libmagic and load magic_file (NULL: vanthu's built-in rules, see
 * detect.c; "/usr/share/misc/magic" for the system database).
 * Returns a new detector, free with indexer__detector_free(); NULL on
 * failure with err set (VT_ENOMEM, or VT_EINTERNAL when the database
 * cannot be loaded).
 * Any thread; the detector then belongs to that thread. */
struct detector *indexer__detector_new(const char *magic_file, struct vt_err *err);

/* NULL is allowed. */
void indexer__detector_free(struct detector *d);

/* The MIME type ("text/plain", "application/pdf", ...) of the len bytes at
 * buf, which should be the start of a file (only the first
 * DETECT_HEAD_BYTES are examined).  len == 0 gives "application/x-empty".
 * Returns a string borrowed from d, valid until the next call on d, or
 * NULL with err set to VT_EINTERNAL if libmagic fails.  Only the thread
 * that owns d may call this. */
const char *indexer__detector_mime(struct detector *d, const void *buf, size_t len,
                                   struct vt_err *err);

#endif
