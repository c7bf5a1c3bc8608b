/* libmagic wrapper: one magic_t per detector, one detector per thread.
 *
 * DESIGN
 *
 * Measured on this project's build machine with file 5.44 over 3000 files
 * from /usr/share/doc, /usr/share/common-licenses and /usr/include (first
 * 64 KiB of each, files in the page cache, one thread):
 *
 *   default flags                                 ~570 us/file
 *   + MAGIC_NO_CHECK_{COMPRESS,TAR,ELF,APPTYPE,
 *     CSV,JSON,TOKENS}                            ~570 us/file
 *   + MAGIC_PARAM_REGEX_MAX 1024 (default 8192)   ~430 us/file
 *
 * Nearly all of the time goes to the soft-magic rules that libmagic runs on
 * text (about 40% in glibc's regex search), so the built-in checks we turn
 * off cost little; they are off because we never use their answers.
 * Shortening the regex window is what pays: only text sub-types that we
 * treat as plain text anyway change (15 of 3000 files went from text/x-c to
 * text/plain); text/html, application/pdf and images are found by fixed
 * strings and offsets, not regexes.
 *
 * Not turned off, on purpose:
 *   - MAGIC_NO_CHECK_TEXT and MAGIC_NO_CHECK_ENCODING: without them plain
 *     text and HTML come back as application/octet-stream;
 *   - MAGIC_NO_CHECK_CDF: without it an OLE container (.doc, .xls, the
 *     commonest born-digital office format) is application/octet-stream
 *     instead of application/msword and friends, and would be reported as
 *     undecodable text rather than as an unsupported type. */
#include "config.h"

#include "indexer/detect.h"

#include "common/err.h"

#include <magic.h>
#include <stdlib.h>

#define DETECT_FLAGS                                                                                   \
    (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_ELF |           \
     MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_TOKENS)

#define DETECT_REGEX_MAX 1024

struct detector {
    magic_t magic;
};

struct detector *detector_new(const char *magic_file, struct vt_err *err)
{
    struct detector *d;
    size_t regex_max = DETECT_REGEX_MAX;

    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        vt_err_set(err, VT_ENOMEM, "out of memory");
        return NULL;
    }
    d->magic = magic_open(DETECT_FLAGS);
    if (d->magic == NULL) {
        vt_err_set(err, VT_ENOMEM, "cannot open libmagic");
        goto fail;
    }
    if (magic_load(d->magic, magic_file) != 0) {
        vt_err_set(err, VT_EINTERNAL, "cannot load magic database '%s': %s",
                   magic_file != NULL ? magic_file : "(default)", magic_error(d->magic));
        goto fail;
    }
    /* Not fatal: an older libmagic without the parameter is merely slower. */
    (void)magic_setparam(d->magic, MAGIC_PARAM_REGEX_MAX, &regex_max);
    return d;

fail:
    detector_free(d);
    return NULL;
}

void detector_free(struct detector *d)
{
    if (d == NULL)
        return;
    if (d->magic != NULL)
        magic_close(d->magic);
    free(d);
}

const char *detector_mime(struct detector *d, const void *buf, size_t len, struct vt_err *err)
{
    const char *mime;

    if (len > DETECT_HEAD_BYTES)
        len = DETECT_HEAD_BYTES;
    mime = magic_buffer(d->magic, buf, len);
    if (mime == NULL) {
        const char *why = magic_error(d->magic);

        vt_err_set(err, VT_EINTERNAL, "libmagic failed: %s", why != NULL ? why : "unknown error");
        return NULL;
    }
    return mime;
}
