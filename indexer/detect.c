/* libmagic wrapper: one magic_t per detector, one detector per thread.
 *
 * DESIGN
 *
 * Measured with file 5.44 over the 10026 uncompressed files under
 * /usr/share/doc on the build machine (first 64 KiB of each, page cache
 * warm, one thread, best of 3 runs):
 *
 *   default flags                                 763 us/file
 *   + MAGIC_NO_CHECK_{COMPRESS,TAR,ELF,APPTYPE,
 *     CSV,JSON,TOKENS}                            760 us/file
 *   + MAGIC_PARAM_REGEX_MAX 1024 (default 8192)   556 us/file
 *   + MAGIC_PARAM_REGEX_MAX 256                   507 us/file (chosen)
 *   + MAGIC_PARAM_REGEX_MAX 64                    488 us/file
 *
 * Nearly all of the time goes to the soft-magic rules that libmagic runs on
 * text (regex search in glibc, memmem), so the built-in checks we turn off
 * cost little; they are off because we never use their answers.  The regex
 * window is what pays.  What a 256-byte window changes on that corpus: 145
 * text/x-c, 51 application/javascript and a few makefiles, assembler and
 * Python files become text/plain, which we extract the same way; 41 Sphinx
 * JavaScript files that embed HTML strings become text/html (already at
 * 1024), which costs them some text.  text/html, application/pdf, images,
 * office formats and UTF-16 are found by fixed strings at fixed offsets and
 * do not change.
 *
 * Left on, on purpose:
 *   - text and encoding checks: with MAGIC_NO_CHECK_TEXT plain text and HTML
 *     come back as application/octet-stream, and with
 *     MAGIC_NO_CHECK_ENCODING alone HTML comes back as text/plain;
 *   - the CDF check: with MAGIC_NO_CHECK_CDF an OLE container (.doc, .xls,
 *     the commonest born-digital office formats) is application/octet-stream
 *     instead of application/x-ole-storage or application/msword, and would
 *     be reported as undecodable text rather than as an unsupported type.
 *
 * The system database is still 500 us a file: thousands of rules for types
 * we never act on.  So by default a detector loads vanthu's own short
 * database (vanthu_magic below: PDF, the images Leptonica reads, HTML, and
 * the archives and office containers we name as unsupported), with
 * libmagic's built-in text and encoding tests after it.  On the en-small
 * benchmark corpus (2,000 text files) that took detection from 850 to
 * 130 us a file, and it stopped libmagic from calling some Vietnamese
 * text files "audio/x-mp4a-latm" (a weak soft-magic rule).  Pass a
 * magic_file to use another database, e.g. the system one. */
#include "config.h"

#include "indexer/detect.h"

#include "common/err.h"

#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DETECT_FLAGS                                                                               \
    (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_ELF |         \
     MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_TOKENS)

#define DETECT_REGEX_MAX 256
#define DETECT_SNIFF_BYTES 8192

struct detector {
    magic_t magic;
};

static const char vanthu_magic[] =
    "# vanthu's own libmagic database: only the types the indexer acts on.\n"
    "# The system database runs thousands of rules per file (about 0.4-0.8 ms);\n"
    "# these few cost a fraction of that (measured in detect.c's header).\n"
    "# Text (UTF-8, UTF-16 with a BOM) and HTML are not named here: the\n"
    "# extractor recognises them by decoding (see extract.c).\n"
    "\n"
    "0\tstring\t%PDF-\tPDF document\n"
    "!:mime\tapplication/pdf\n"
    "\n"
    "0\tstring\t\\x89PNG\\x0d\\x0a\\x1a\\x0a\tPNG image\n"
    "!:mime\timage/png\n"
    "\n"
    "0\tbeshort\t0xffd8\n"
    ">2\tbyte\t0xff\tJPEG image\n"
    "!:mime\timage/jpeg\n"
    "\n"
    "0\tstring\tII\\x2a\\x00\tTIFF image (little-endian)\n"
    "!:mime\timage/tiff\n"
    "0\tstring\tMM\\x00\\x2a\tTIFF image (big-endian)\n"
    "!:mime\timage/tiff\n"
    "0\tstring\tII\\x2b\\x00\tBigTIFF image\n"
    "!:mime\timage/tiff\n"
    "0\tstring\tMM\\x00\\x2b\tBigTIFF image\n"
    "!:mime\timage/tiff\n"
    "\n"
    "0\tstring\tGIF87a\tGIF image\n"
    "!:mime\timage/gif\n"
    "0\tstring\tGIF89a\tGIF image\n"
    "!:mime\timage/gif\n"
    "\n"
    "0\tstring\tBM\n"
    ">14\tulelong\t12\tBMP image\n"
    "!:mime\timage/bmp\n"
    ">14\tulelong\t40\tBMP image\n"
    "!:mime\timage/bmp\n"
    ">14\tulelong\t108\tBMP image\n"
    "!:mime\timage/bmp\n"
    ">14\tulelong\t124\tBMP image\n"
    "!:mime\timage/bmp\n"
    "\n"
    "0\tstring\tRIFF\n"
    ">8\tstring\tWEBP\tWebP image\n"
    "!:mime\timage/webp\n"
    "\n"
    "0\tstring\t\\x00\\x00\\x00\\x0cjP\\x20\\x20\\x0d\\x0a\\x87\\x0a\tJPEG 2000 image\n"
    "!:mime\timage/jp2\n"
    "0\tstring\t\\xff\\x4f\\xff\\x51\tJPEG 2000 codestream\n"
    "!:mime\timage/x-jp2-codestream\n"
    "\n"
    "0\tstring\tP1\n"
    ">2\tregex\t\\^[[:space:]]\tPBM image\n"
    "!:mime\timage/x-portable-bitmap\n"
    "0\tstring\tP4\n"
    ">2\tregex\t\\^[[:space:]]\tPBM image\n"
    "!:mime\timage/x-portable-bitmap\n"
    "0\tstring\tP2\n"
    ">2\tregex\t\\^[[:space:]]\tPGM image\n"
    "!:mime\timage/x-portable-greymap\n"
    "0\tstring\tP5\n"
    ">2\tregex\t\\^[[:space:]]\tPGM image\n"
    "!:mime\timage/x-portable-greymap\n"
    "0\tstring\tP3\n"
    ">2\tregex\t\\^[[:space:]]\tPPM image\n"
    "!:mime\timage/x-portable-pixmap\n"
    "0\tstring\tP6\n"
    ">2\tregex\t\\^[[:space:]]\tPPM image\n"
    "!:mime\timage/x-portable-pixmap\n"
    "\n"
    "# Containers we do not extract yet: named, so they are \"unsupported\", not\n"
    "# \"undecodable text\".\n"
    "0\tstring\tPK\\x03\\x04\tZip archive\n"
    "!:mime\tapplication/zip\n"
    "0\tstring\tPK\\x05\\x06\tZip archive (empty)\n"
    "!:mime\tapplication/zip\n"
    "0\tstring\tPK\\x07\\x08\tZip archive (spanned)\n"
    "!:mime\tapplication/zip\n"
    "0\tstring\t\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1\tOLE2 compound document\n"
    "!:mime\tapplication/x-ole-storage\n"
    "0\tstring\t\\x1f\\x8b\tgzip compressed data\n"
    "!:mime\tapplication/gzip\n"
    "0\tstring\tBZh\tbzip2 compressed data\n"
    "!:mime\tapplication/x-bzip2\n"
    "0\tstring\t\\xfd7zXZ\\x00\tXZ compressed data\n"
    "!:mime\tapplication/x-xz\n"
    "0\tstring\t7z\\xbc\\xaf\\x27\\x1c\t7-zip archive\n"
    "!:mime\tapplication/x-7z-compressed\n"
    "0\tstring\tRar!\\x1a\\x07\tRAR archive\n"
    "!:mime\tapplication/vnd.rar\n"
    "0\tstring\t\\x7fELF\tELF\n"
    "!:mime\tapplication/x-executable\n"
    "0\tstring\t{\\\\rtf\tRich Text Format\n"
    "!:mime\ttext/rtf\n"
    "\n";

/* libmagic loads databases from paths only, so the built-in rules go
 * through an anonymous in-memory file. */
static int load_builtin(magic_t m)
{
    char path[64];
    int fd = memfd_create("vanthu.magic", MFD_CLOEXEC), rc = -1;
    size_t off = 0, n = sizeof(vanthu_magic) - 1;

    if (fd < 0)
        return -1;
    while (off < n) {
        ssize_t k = write(fd, vanthu_magic + off, n - off);
        if (k <= 0)
            goto out;
        off += (size_t)k;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    rc = magic_load(m, path);
out:
    close(fd);
    return rc;
}

struct detector *indexer__detector_new(const char *magic_file, struct vt_err *err)
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
    /* With the built-in rules, text is recognised by decoding it
     * (extract.c): libmagic's own text and encoding tests were a quarter of
     * indexing's CPU time on plain-text archives. */
    if (magic_file == NULL &&
        magic_setflags(d->magic, DETECT_FLAGS | MAGIC_NO_CHECK_TEXT | MAGIC_NO_CHECK_ENCODING) < 0) {
        vt_err_set(err, VT_EINTERNAL, "cannot set libmagic flags: %s", magic_error(d->magic));
        goto fail;
    }
    if ((magic_file != NULL ? magic_load(d->magic, magic_file) : load_builtin(d->magic)) != 0) {
        vt_err_set(err, VT_EINTERNAL, "cannot load magic database '%s': %s",
                   magic_file != NULL ? magic_file : "(built in)", magic_error(d->magic));
        goto fail;
    }
    /* Not fatal: an older libmagic without the parameter is merely slower. */
    (void)magic_setparam(d->magic, MAGIC_PARAM_REGEX_MAX, &regex_max);
    return d;

fail:
    indexer__detector_free(d);
    return NULL;
}

void indexer__detector_free(struct detector *d)
{
    if (d == NULL)
        return;
    if (d->magic != NULL)
        magic_close(d->magic);
    free(d);
}

const char *indexer__detector_mime(struct detector *d, const void *buf, size_t len,
                                   struct vt_err *err)
{
    const char *mime;

    /* libmagic's text tests scan the whole buffer; the first 8 KiB decide
     * text or binary as well as 64 do (the extractor validates every byte
     * it decodes anyway) at a third of the cost. */
    if (len > DETECT_SNIFF_BYTES)
        len = DETECT_SNIFF_BYTES;
    mime = magic_buffer(d->magic, buf, len);
    if (mime == NULL) {
        const char *why = magic_error(d->magic);

        vt_err_set(err, VT_EINTERNAL, "libmagic failed: %s", why != NULL ? why : "unknown error");
        return NULL;
    }
    return mime;
}
