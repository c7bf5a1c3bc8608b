/* Born-digital text extraction: one file in, UTF-8 text out.
 *
 * The type comes from the file's content, never from its name: libmagic
 * with vanthu's rules names binary formats (see detect.c); a file no rule
 * names is text if it decodes, HTML if it also starts like HTML.  Then:
 *
 *   kind                 what                          text
 *   EXTRACT_EMPTY        a zero-byte file              none (not an error:
 *                                                      findable by name)
 *   EXTRACT_TEXT         text/..., JSON, XML, scripts    the decoded text
 *   EXTRACT_HTML         text/html, XHTML              visible text only
 *   EXTRACT_NEEDS_OCR    PNG/JPEG/TIFF/GIF/BMP/WebP/   none; the OCR workers
 *                        JPEG 2000/PNM, and every PDF  take it from here (a
 *                                                      PDF's text layer is
 *                                                      read there, not here)
 *   EXTRACT_UNSUPPORTED  everything else               none, VT_EUNSUPPORTED
 *
 * Text encodings: UTF-8 (a leading BOM is dropped) and UTF-16LE/BE with a
 * BOM, converted to UTF-8.  Nothing is guessed: Latin-1, Windows-1258,
 * TCVN3, VNI or UTF-16 without a BOM are rejected with VT_EENCODING and the
 * byte offset of the first byte that does not decode, because a wrong guess
 * would index mojibake that no query can find, while a clear status lets the
 * archivist convert the file.  A NUL byte is not text either.  A file that
 * libmagic cannot name (application/octet-stream) is tried as text, so
 * random bytes fail with VT_EENCODING, not VT_EUNSUPPORTED.
 *
 * Titles: an HTML page's first <title>; a text (text/plain, or a file
 * libmagic cannot name) whose opening is Markdown's -- front matter with a
 * title, an ATX or Setext heading, a line in strong emphasis -- gets that
 * heading without its syntax.  This too is read from the content: a .md
 * file that opens with a paragraph has no title of its own, a .txt file
 * that opens with "# Heading" has one.
 *
 * Output: res->text is valid UTF-8 without NUL bytes.  It has exactly
 * res->pages - 1 form feeds: text and HTML are one page (a form feed in a
 * text file becomes '\n').
 * At most max_text bytes are kept: the rest of a larger document is not
 * read, res->truncated is set and the text ends on a character boundary.
 * Memory stays bounded by max_text plus a 64 KiB read buffer whatever the
 * file's size.
 *
 * Threads: an extractor belongs to one thread (it owns a magic_t).  Make one
 * per worker thread. */
#ifndef VT_INDEXER_EXTRACT_H
#define VT_INDEXER_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct vt_err;

#define EXTRACT_DEFAULT_MAX_TEXT ((size_t)64 * 1024 * 1024)
/* res->title is shortened to at most this many bytes, at a word boundary
 * and ending in "…" (text_title_fit()). */
#define EXTRACT_MAX_TITLE 1024

enum extract_kind {
    EXTRACT_NONE = 0, /* nothing known yet (detection failed or not run) */
    EXTRACT_EMPTY,
    EXTRACT_TEXT,
    EXTRACT_HTML,
    EXTRACT_NEEDS_OCR,
    EXTRACT_UNSUPPORTED,
};

struct extract_config {
    size_t max_text;        /* cap on res->text in bytes; 0: EXTRACT_DEFAULT_MAX_TEXT */
    const char *magic_file; /* libmagic database; NULL: vanthu's built-in rules. Borrowed
                               for the duration of extractor_new() */
};

struct extract_result {
    char *mime;             /* libmagic's type, e.g. "text/plain"; owned; NULL
                               until detection has run */
    char *title;            /* HTML <title>, or the heading or
                               front-matter title a text opens with
                               (text_title_markdown()); whitespace
                               collapsed; owned; NULL if none */
    struct buf text;        /* UTF-8; pages separated by '\f' (see above) */
    unsigned pages;         /* 1 for text and HTML; 0 else */
    enum extract_kind kind;
    bool truncated; /* text was cut at max_text */
    uint64_t size;  /* the file's size in bytes (fstat) */
};

/* Prepare res for extractor_run(); caller-owned memory. */
void extract_result_init(struct extract_result *res);
/* Free what res holds and leave it initialised (reusable). */
void extract_result_release(struct extract_result *res);

/* "none", "empty", "text", "html", "needs-ocr", "unsupported":
 * stable names for a document's status.  Never NULL. */
const char *extract_kind_name(enum extract_kind kind);

struct extractor;

/* A new extractor for the calling thread; free with extractor_free().
 * cfg may be NULL for the defaults and is copied (magic_file is used only
 * during the call).  Returns NULL with err set on failure: VT_ENOMEM, or
 * VT_EINTERNAL when libmagic's database cannot be loaded. */
struct extractor *extractor_new(const struct extract_config *cfg, struct vt_err *err);

/* NULL is allowed. */
void extractor_free(struct extractor *ex);

/* Detect the type of the open regular file fd and extract its text into res
 * (initialised with extract_result_init(); whatever it held is released
 * first).  path names the file in messages only; the file is read with
 * pread(), never through path, so fd's offset is left as it was.  fd stays
 * the caller's.
 *
 * Returns 0 with res->kind one of EMPTY, TEXT, HTML, NEEDS_OCR.
 * On failure returns a negative code, err (may be NULL) says why, res->text
 * is empty and res->kind is EXTRACT_NONE (EXTRACT_UNSUPPORTED for
 * VT_EUNSUPPORTED); res->mime and res->size are still set when the failure
 * came after detection, so the caller can record the document with its type
 * and keep it findable by name:
 *   VT_EUNSUPPORTED  a type we do not extract ("unsupported type
 *                    application/zip"); res->kind is EXTRACT_UNSUPPORTED
 *   VT_EENCODING     text that does not decode ("invalid UTF-8 at byte 1234")
 *   -errno           the file cannot be read ("cannot read 'x': ..."), or
 *                    -EISDIR for a directory
 *   VT_ENOMEM        out of memory
 *   VT_EINTERNAL     libmagic failed
 *
 * Thread: the one that owns ex. */
int extractor_run(struct extractor *ex, int fd, const char *path, struct extract_result *res,
                  struct vt_err *err);

/* extractor_run() on path, opened read-only (O_NOFOLLOW is not used: the
 * caller decides about symlinks).  Open failures return -errno with
 * "cannot open 'path': ...". */
int extractor_run_path(struct extractor *ex, const char *path, struct extract_result *res,
                       struct vt_err *err);

#endif
