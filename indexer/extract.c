/* Born-digital text extraction (see extract.h for the contract).
 *
 * DESIGN
 *
 * One pass, bounded memory.  extractor_run() reads the first 64 KiB with
 * pread(), asks libmagic for the type (detect.c) and routes on it.  Text
 * and HTML are then streamed through the same reusable 64 KiB chunk:
 *
 *   pread chunk -> decoder (BOM sniff; UTF-8 validation or UTF-16 -> UTF-8)
 *               -> consumer (plain: '\f' -> '\n'; HTML: tag-stripping state
 *                  machine with entity decoding)
 *               -> capped output (res->text, max_text bytes)
 *
 * Every stage keeps its state between chunks (a UTF-8 sequence or UTF-16
 * surrogate pair split across chunks, an HTML tag or entity split across
 * chunks), so nothing but the output grows with the file, and reading stops
 * as soon as the output is full.  The decoder hands the consumer only whole,
 * valid characters, which lets the output be cut on a character boundary.
 *
 * The HTML consumer is not a conforming HTML5 parser; it is the small state
 * machine an indexer needs: tags, comments, doctype and processing
 * instructions produce no text; <script>, <style>, <template>, <noembed>,
 * <noframes> and <xmp> contents are skipped (their end tag is matched
 * case-insensitively, as browsers do); block-level tags and <br> become
 * line breaks, table cells spaces; runs of white space collapse to one
 * space (to line breaks inside <pre>); entities are decoded (all of
 * Latin-1, the common typographic ones, numeric references with the
 * Windows-1252 fix-up for 0x80-0x9F).  The first <title> goes to res->title
 * and not into the text.  Plain text that opens like Markdown (a heading,
 * front matter) gets that heading as res->title, and keeps it in the text.  <meta charset> (either form) is remembered only
 * to explain a decoding failure: we accept a page whose bytes are UTF-8
 * whatever it declares, and reject one that is not UTF-8.
 *
 * PDFs are only recognised here: their text layer is read, or their pages
 * rendered and OCR'd, by vanthu-ocr-worker under its limits (ocr/). */
#include "config.h"

#include "indexer/extract.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "indexer/detect.h"
#include "text/meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK DETECT_HEAD_BYTES

struct extractor {
    struct detector *det;
    size_t max_text;
    unsigned char *chunk; /* CHUNK bytes, reused by every call */
};

/* ------------------------------------------------------------------ */
/* results                                                             */

void extract_result_init(struct extract_result *res)
{
    memset(res, 0, sizeof(*res));
    buf_init(&res->text, EXTRACT_DEFAULT_MAX_TEXT);
}

void extract_result_release(struct extract_result *res)
{
    free(res->mime);
    free(res->title);
    buf_release(&res->text);
    extract_result_init(res);
}

const char *extract_kind_name(enum extract_kind kind)
{
    switch (kind) {
    case EXTRACT_NONE: return "none";
    case EXTRACT_EMPTY: return "empty";
    case EXTRACT_TEXT: return "text";
    case EXTRACT_HTML: return "html";
    case EXTRACT_NEEDS_OCR: return "needs-ocr";
    case EXTRACT_UNSUPPORTED: return "unsupported";
    }
    return "none";
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */

enum { SCAN_OK, SCAN_PARTIAL, SCAN_BAD, SCAN_NUL };

/* Length of the longest prefix of p[0..n) made of complete, valid, non-NUL
 * UTF-8 characters (RFC 3629: no overlongs, surrogates or values above
 * U+10FFFF).  *st says why the scan stopped: SCAN_OK (all of p),
 * SCAN_PARTIAL (the rest is the valid start of a sequence cut by the end of
 * p), SCAN_BAD (the byte at the returned offset starts no valid sequence)
 * or SCAN_NUL (it is a NUL). */
static size_t utf8_scan(const unsigned char *p, size_t n, int *st)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        unsigned len, lo = 0x80, hi = 0xBF, k;

        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c == 0) {
            *st = SCAN_NUL;
            return i;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            *st = SCAN_BAD;
            return i;
        }
        for (k = 1; k < len; k++) {
            unsigned b;

            if (i + k >= n) {
                *st = SCAN_PARTIAL;
                return i;
            }
            b = p[i + k];
            if (b < lo || b > hi) {
                *st = SCAN_BAD;
                return i;
            }
            lo = 0x80;
            hi = 0xBF;
        }
        i += len;
    }
    *st = SCAN_OK;
    return i;
}

/* The largest k <= max such that p[0..k) ends on a character boundary of
 * the valid UTF-8 string p (which is longer than max). */
static size_t utf8_cut(const char *p, size_t max)
{
    size_t k = max;

    while (k > 0 && ((unsigned char)p[k] & 0xC0) == 0x80)
        k--;
    return k;
}

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------ */
/* extraction context                                                  */

enum { OUT_OK = 0, OUT_FULL = 1 };

enum dec_enc { DEC_START, DEC_UTF8, DEC_UTF16LE, DEC_UTF16BE };

enum h_state {
    H_TEXT,
    H_ENTITY,
    H_TAG_OPEN, /* after '<' */
    H_END_OPEN, /* after "</" */
    H_TAG_NAME,
    H_ATTRS,
    H_ATTR_DQ,
    H_ATTR_SQ,
    H_MARKUP,      /* after "<!" */
    H_MARKUP_DASH, /* after "<!-" */
    H_COMMENT,
    H_BOGUS, /* until '>' */
    H_RAW,   /* inside <script> and friends */
    H_RAW_LT,
    H_RAW_END,
};

#define H_NAME_MAX 16
#define H_ATTR_MAX 256
#define H_ENT_MAX 32
#define H_STAGE 4096 /* plus room for a separator and one character */
#define H_TITLE_RAW (4 * EXTRACT_MAX_TITLE)
#define MD_HEAD (16 * 1024) /* a Markdown title is looked for this far */

struct html {
    enum h_state st;
    char name[H_NAME_MAX];
    size_t name_len;
    bool name_long; /* longer than any tag we know */
    bool end_tag;
    char attrs[H_ATTR_MAX];
    size_t attrs_len;
    char attr_prev; /* last non-space byte in the attributes */
    char ent[H_ENT_MAX];
    size_t ent_len;
    unsigned dashes;      /* consecutive '-' in a comment */
    char raw[H_NAME_MAX]; /* the element whose raw text we skip */
    size_t raw_len, raw_idx;
    unsigned pre; /* <pre> depth */
    bool in_title, title_seen;
    struct buf title; /* raw title text, capped at H_TITLE_RAW */
    int pending;      /* separator owed before the next visible byte: 0, 1 ' ', 2 '\n' */
    bool any;         /* some visible text was output */
    char charset[40]; /* declared by <meta>, lower case; "" if none */
    char stage[H_STAGE + 8];
    size_t stage_len;
};

struct xctx {
    struct extract_result *res;
    size_t max;       /* cap on res->text */
    const char *path; /* for messages */
    bool html;
    bool unknown; /* libmagic did not know the type: we are trying text */
    /* decoder */
    enum dec_enc enc;
    uint64_t off; /* file offset of the next input byte */
    unsigned char pend[4];
    size_t npend;
    uint64_t pend_off;
    uint32_t hi; /* pending UTF-16 high surrogate */
    uint64_t hi_off;
    struct html *h;
};

/* Append n bytes of whole UTF-8 characters to the output, cutting at the cap
 * on a character boundary.  OUT_FULL once the cap is reached. */
static int out_add(struct xctx *x, const char *p, size_t n)
{
    struct buf *b = &x->res->text;
    size_t room = x->max - b->len;
    bool full = false;
    int rc;

    if (n > room) {
        n = utf8_cut(p, room);
        x->res->truncated = true;
        full = true;
    }
    rc = buf_add(b, p, n);
    if (rc < 0)
        return rc;
    return full ? OUT_FULL : OUT_OK;
}

/* Plain text: one page, so a form feed becomes a line break. */
static int plain_emit(struct xctx *x, const char *p, size_t n)
{
    while (n > 0) {
        const char *ff = memchr(p, '\f', n);
        size_t k = ff != NULL ? (size_t)(ff - p) : n;
        int rc = out_add(x, p, k);

        if (rc != OUT_OK || ff == NULL)
            return rc;
        rc = out_add(x, "\n", 1);
        if (rc != OUT_OK)
            return rc;
        p += k + 1;
        n -= k + 1;
    }
    return OUT_OK;
}

static int html_feed(struct xctx *x, const char *p, size_t n);

static int emit(struct xctx *x, const char *p, size_t n)
{
    return x->html ? html_feed(x, p, n) : plain_emit(x, p, n);
}

/* ------------------------------------------------------------------ */
/* decoder                                                             */

static const char *charset_note(const struct xctx *x, char *tmp, size_t cap)
{
    tmp[0] = '\0';
    if (x->h != NULL && x->h->charset[0] != '\0')
        snprintf(tmp, cap, " (the page declares charset '%s')", x->h->charset);
    else if (x->unknown)
        snprintf(tmp, cap, " (type %s)", x->res->mime);
    return tmp;
}

static int bad_utf8(struct xctx *x, uint64_t at, int st, struct vt_err *err)
{
    char note[96];

    charset_note(x, note, sizeof(note));
    if (st == SCAN_NUL)
        return vt_err_set(
            err, VT_EENCODING,
            "NUL byte at byte %llu: binary data, or UTF-16 without a byte-order mark%s in '%s'",
            (unsigned long long)at, note, x->path);
    return vt_err_set(err, VT_EENCODING, "invalid UTF-8 at byte %llu%s in '%s'",
                      (unsigned long long)at, note, x->path);
}

static int dec_utf8(struct xctx *x, const unsigned char *p, size_t n, struct vt_err *err)
{
    size_t i = 0, k;
    int st, rc;

    /* Finish a sequence that the previous chunk cut. */
    if (x->npend > 0) {
        size_t want = x->pend[0] >= 0xF0 ? 4 : x->pend[0] >= 0xE0 ? 3 : 2;

        while (x->npend < want && i < n)
            x->pend[x->npend++] = p[i++];
        if (x->npend < want) {
            x->off += i;
            return OUT_OK;
        }
        k = utf8_scan(x->pend, x->npend, &st);
        if (k != x->npend)
            return bad_utf8(x, x->pend_off, st, err);
        x->npend = 0;
        rc = emit(x, (const char *)x->pend, k);
        if (rc != OUT_OK)
            return rc;
    }
    k = utf8_scan(p + i, n - i, &st);
    if (k > 0) {
        rc = emit(x, (const char *)p + i, k);
        if (rc != OUT_OK)
            return rc;
    }
    i += k;
    if (st == SCAN_BAD || st == SCAN_NUL)
        return bad_utf8(x, x->off + i, st, err);
    if (st == SCAN_PARTIAL) {
        x->pend_off = x->off + i;
        x->npend = n - i;
        memcpy(x->pend, p + i, x->npend);
    }
    x->off += n;
    return OUT_OK;
}

static int bad_utf16(struct xctx *x, uint64_t at, const char *why, struct vt_err *err)
{
    return vt_err_set(err, VT_EENCODING, "invalid UTF-16 at byte %llu (%s) in '%s'",
                      (unsigned long long)at, why, x->path);
}

static int dec_utf16(struct xctx *x, const unsigned char *p, size_t n, struct vt_err *err)
{
    char tmp[4096 + 8];
    size_t t = 0, i = 0;
    int rc;

    while (i < n) {
        unsigned b0, b1;
        uint32_t u, cp;
        uint64_t at;

        if (x->npend == 1) {
            b0 = x->pend[0];
            b1 = p[i++];
            at = x->pend_off;
            x->npend = 0;
        } else if (i + 1 < n) {
            b0 = p[i];
            b1 = p[i + 1];
            at = x->off + i;
            i += 2;
        } else {
            x->pend[0] = p[i];
            x->npend = 1;
            x->pend_off = x->off + i;
            i++;
            break;
        }
        u = x->enc == DEC_UTF16LE ? (b1 << 8 | b0) : (b0 << 8 | b1);
        if (x->hi != 0) {
            if (u < 0xDC00 || u > 0xDFFF)
                return bad_utf16(x, x->hi_off, "unpaired surrogate", err);
            cp = 0x10000 + ((x->hi - 0xD800) << 10) + (u - 0xDC00);
            x->hi = 0;
        } else if (u >= 0xD800 && u <= 0xDBFF) {
            x->hi = u;
            x->hi_off = at;
            continue;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return bad_utf16(x, at, "unpaired surrogate", err);
        } else if (u == 0) {
            return vt_err_set(err, VT_EENCODING, "NUL character at byte %llu: not text in '%s'",
                              (unsigned long long)at, x->path);
        } else {
            cp = u;
        }
        t += utf8_put(tmp + t, cp);
        if (t >= sizeof(tmp) - 8) {
            rc = emit(x, tmp, t);
            if (rc != OUT_OK)
                return rc;
            t = 0;
        }
    }
    x->off += n;
    return t > 0 ? emit(x, tmp, t) : OUT_OK;
}

/* Feed the next n bytes of the file.  The first call sniffs the BOM. */
static int dec_feed(struct xctx *x, const unsigned char *p, size_t n, struct vt_err *err)
{
    if (x->enc == DEC_START) {
        x->enc = DEC_UTF8;
        if (n >= 4 && ((p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0) ||
                       (p[0] == 0 && p[1] == 0 && p[2] == 0xFE && p[3] == 0xFF)))
            return vt_err_set(err, VT_EENCODING, "UTF-32 text is not supported in '%s'", x->path);
        if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            x->off = 3;
            p += 3;
            n -= 3;
        } else if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
            x->enc = DEC_UTF16LE;
            x->off = 2;
            p += 2;
            n -= 2;
        } else if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
            x->enc = DEC_UTF16BE;
            x->off = 2;
            p += 2;
            n -= 2;
        }
    }
    return x->enc == DEC_UTF8 ? dec_utf8(x, p, n, err) : dec_utf16(x, p, n, err);
}

/* End of file: a sequence still open is an error. */
static int dec_finish(struct xctx *x, struct vt_err *err)
{
    if (x->enc == DEC_UTF8 && x->npend > 0) {
        char note[96];

        charset_note(x, note, sizeof(note));
        return vt_err_set(err, VT_EENCODING,
                          "invalid UTF-8 at byte %llu (truncated sequence)%s in '%s'",
                          (unsigned long long)x->pend_off, note, x->path);
    }
    if (x->enc != DEC_UTF8 && x->hi != 0)
        return bad_utf16(x, x->hi_off, "unpaired surrogate", err);
    if (x->enc != DEC_UTF8 && x->npend > 0)
        return bad_utf16(x, x->pend_off, "odd number of bytes", err);
    return OUT_OK;
}

/* ------------------------------------------------------------------ */
/* HTML                                                                */

struct entity {
    const char *name;
    uint32_t cp;
    int legacy; /* may appear without ';' */
};

/* Sorted by strcmp() for bsearch(). */
static const struct entity entities[] = {
    {"AElig", 198, 1},   {"Aacute", 193, 1},  {"Abreve", 258, 0},  {"Acirc", 194, 1},
    {"Agrave", 192, 1},  {"Aring", 197, 1},   {"Atilde", 195, 1},  {"Auml", 196, 1},
    {"Ccedil", 199, 1},  {"Dagger", 8225, 0}, {"Dstrok", 272, 0},  {"ETH", 208, 1},
    {"Eacute", 201, 1},  {"Ecirc", 202, 1},   {"Egrave", 200, 1},  {"Euml", 203, 1},
    {"Iacute", 205, 1},  {"Icirc", 206, 1},   {"Igrave", 204, 1},  {"Itilde", 296, 0},
    {"Iuml", 207, 1},    {"NewLine", 10, 0},  {"Ntilde", 209, 1},  {"OElig", 338, 0},
    {"Oacute", 211, 1},  {"Ocirc", 212, 1},   {"Ograve", 210, 1},  {"Omega", 937, 0},
    {"Oslash", 216, 1},  {"Otilde", 213, 1},  {"Ouml", 214, 1},    {"Prime", 8243, 0},
    {"Scaron", 352, 0},  {"THORN", 222, 1},   {"Tab", 9, 0},       {"Uacute", 218, 1},
    {"Ucirc", 219, 1},   {"Ugrave", 217, 1},  {"Utilde", 360, 0},  {"Uuml", 220, 1},
    {"Yacute", 221, 1},  {"Yuml", 376, 0},    {"aacute", 225, 1},  {"abreve", 259, 0},
    {"acirc", 226, 1},   {"acute", 180, 1},   {"aelig", 230, 1},   {"agrave", 224, 1},
    {"alpha", 945, 0},   {"amp", 38, 1},      {"apos", 39, 0},     {"aring", 229, 1},
    {"ast", 42, 0},      {"asymp", 8776, 0},  {"atilde", 227, 1},  {"auml", 228, 1},
    {"bdquo", 8222, 0},  {"beta", 946, 0},    {"brvbar", 166, 1},  {"bsol", 92, 0},
    {"bull", 8226, 0},   {"ccedil", 231, 1},  {"cedil", 184, 1},   {"cent", 162, 1},
    {"check", 10003, 0}, {"circ", 710, 0},    {"colon", 58, 0},    {"comma", 44, 0},
    {"commat", 64, 0},   {"copy", 169, 1},    {"curren", 164, 1},  {"dagger", 8224, 0},
    {"darr", 8595, 0},   {"deg", 176, 1},     {"delta", 948, 0},   {"divide", 247, 1},
    {"dollar", 36, 0},   {"dstrok", 273, 0},  {"eacute", 233, 1},  {"ecirc", 234, 1},
    {"egrave", 232, 1},  {"emsp", 8195, 0},   {"ensp", 8194, 0},   {"equals", 61, 0},
    {"equiv", 8801, 0},  {"eth", 240, 1},     {"euml", 235, 1},    {"euro", 8364, 0},
    {"excl", 33, 0},     {"fnof", 402, 0},    {"frac12", 189, 1},  {"frac14", 188, 1},
    {"frac34", 190, 1},  {"gamma", 947, 0},   {"ge", 8805, 0},     {"grave", 96, 0},
    {"gt", 62, 1},       {"harr", 8596, 0},   {"hearts", 9829, 0}, {"hellip", 8230, 0},
    {"hyphen", 8208, 0}, {"iacute", 237, 1},  {"icirc", 238, 1},   {"iexcl", 161, 1},
    {"igrave", 236, 1},  {"infin", 8734, 0},  {"iquest", 191, 1},  {"itilde", 297, 0},
    {"iuml", 239, 1},    {"lambda", 955, 0},  {"laquo", 171, 1},   {"larr", 8592, 0},
    {"lcub", 123, 0},    {"ldquo", 8220, 0},  {"le", 8804, 0},     {"lowast", 8727, 0},
    {"lowbar", 95, 0},   {"loz", 9674, 0},    {"lpar", 40, 0},     {"lrm", 8206, 0},
    {"lsaquo", 8249, 0}, {"lsqb", 91, 0},     {"lsquo", 8216, 0},  {"lt", 60, 1},
    {"macr", 175, 1},    {"mdash", 8212, 0},  {"micro", 181, 1},   {"middot", 183, 1},
    {"minus", 8722, 0},  {"mu", 956, 0},      {"nbsp", 160, 1},    {"ndash", 8211, 0},
    {"ne", 8800, 0},     {"not", 172, 1},     {"ntilde", 241, 1},  {"num", 35, 0},
    {"numsp", 8199, 0},  {"oacute", 243, 1},  {"ocirc", 244, 1},   {"oelig", 339, 0},
    {"ograve", 242, 1},  {"ordf", 170, 1},    {"ordm", 186, 1},    {"oslash", 248, 1},
    {"otilde", 245, 1},  {"ouml", 246, 1},    {"para", 182, 1},    {"percent", 37, 0},
    {"period", 46, 0},   {"permil", 8240, 0}, {"pi", 960, 0},      {"plus", 43, 0},
    {"plusmn", 177, 1},  {"pound", 163, 1},   {"prime", 8242, 0},  {"quest", 63, 0},
    {"quot", 34, 1},     {"radic", 8730, 0},  {"raquo", 187, 1},   {"rarr", 8594, 0},
    {"rcub", 125, 0},    {"rdquo", 8221, 0},  {"reg", 174, 1},     {"rlm", 8207, 0},
    {"rpar", 41, 0},     {"rsaquo", 8250, 0}, {"rsqb", 93, 0},     {"rsquo", 8217, 0},
    {"sbquo", 8218, 0},  {"scaron", 353, 0},  {"sect", 167, 1},    {"semi", 59, 0},
    {"shy", 173, 1},     {"sigma", 963, 0},   {"sol", 47, 0},      {"star", 9734, 0},
    {"starf", 9733, 0},  {"sum", 8721, 0},    {"sup1", 185, 1},    {"sup2", 178, 1},
    {"sup3", 179, 1},    {"szlig", 223, 1},   {"theta", 952, 0},   {"thinsp", 8201, 0},
    {"thorn", 254, 1},   {"tilde", 732, 0},   {"times", 215, 1},   {"trade", 8482, 0},
    {"uacute", 250, 1},  {"uarr", 8593, 0},   {"ucirc", 251, 1},   {"ugrave", 249, 1},
    {"uml", 168, 1},     {"utilde", 361, 0},  {"uuml", 252, 1},    {"verbar", 124, 0},
    {"vert", 124, 0},    {"yacute", 253, 1},  {"yen", 165, 1},     {"yuml", 255, 1},
    {"zwj", 8205, 0},    {"zwnj", 8204, 0}};

/* Windows-1252 for numeric references 0x80-0x9F, as browsers decode them. */
static const uint16_t cp1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

enum {
    T_BLOCK = 1, /* a line break before and after */
    T_CELL = 2,  /* a space before and after */
    T_RAW = 4,   /* contents are not text */
    T_TITLE = 8,
    T_PRE = 16,
    T_META = 32,
};

struct tag {
    const char *name;
    unsigned flags;
};

/* Sorted by strcmp() for bsearch(). */
static const struct tag tags[] = {
    {"address", T_BLOCK},     {"article", T_BLOCK},    {"aside", T_BLOCK},
    {"blockquote", T_BLOCK},  {"body", T_BLOCK},       {"br", T_BLOCK},
    {"caption", T_BLOCK},     {"center", T_BLOCK},     {"dd", T_BLOCK},
    {"details", T_BLOCK},     {"dialog", T_BLOCK},     {"dir", T_BLOCK},
    {"div", T_BLOCK},         {"dl", T_BLOCK},         {"dt", T_BLOCK},
    {"fieldset", T_BLOCK},    {"figcaption", T_BLOCK}, {"figure", T_BLOCK},
    {"footer", T_BLOCK},      {"form", T_BLOCK},       {"h1", T_BLOCK},
    {"h2", T_BLOCK},          {"h3", T_BLOCK},         {"h4", T_BLOCK},
    {"h5", T_BLOCK},          {"h6", T_BLOCK},         {"head", T_BLOCK},
    {"header", T_BLOCK},      {"hgroup", T_BLOCK},     {"hr", T_BLOCK},
    {"html", T_BLOCK},        {"legend", T_BLOCK},     {"li", T_BLOCK},
    {"main", T_BLOCK},        {"menu", T_BLOCK},       {"meta", T_META},
    {"nav", T_BLOCK},         {"noembed", T_RAW},      {"noframes", T_RAW},
    {"ol", T_BLOCK},          {"option", T_BLOCK},     {"p", T_BLOCK},
    {"pre", T_BLOCK | T_PRE}, {"script", T_RAW},       {"section", T_BLOCK},
    {"style", T_RAW},         {"summary", T_BLOCK},    {"table", T_BLOCK},
    {"tbody", T_BLOCK},       {"td", T_CELL},          {"template", T_RAW},
    {"tfoot", T_BLOCK},       {"th", T_CELL},          {"thead", T_BLOCK},
    {"title", T_TITLE},       {"tr", T_BLOCK},         {"ul", T_BLOCK},
    {"xmp", T_RAW},
};

static int entity_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct entity *)elem)->name);
}

static int tag_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tag *)elem)->name);
}

static unsigned tag_flags(const char *name)
{
    const struct tag *t =
        bsearch(name, tags, sizeof(tags) / sizeof(tags[0]), sizeof(tags[0]), tag_cmp);

    return t != NULL ? t->flags : 0;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static int to_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int stage_flush(struct xctx *x)
{
    struct html *h = x->h;
    int rc = OUT_OK;

    if (h->stage_len > 0)
        rc = out_add(x, h->stage, h->stage_len);
    h->stage_len = 0;
    return rc;
}

/* A separator: 1 a space, 2 a line break; the strongest one wins. */
static void h_sep(struct html *h, int level)
{
    if (h->in_title) {
        if (level > 0)
            buf_addc(&h->title, ' '); /* cap overflow only shortens the title */
        return;
    }
    if (level > h->pending)
        h->pending = level;
}

/* One byte of visible text (a whole character arrives byte by byte). */
static int h_put(struct xctx *x, char c)
{
    struct html *h = x->h;
    unsigned char u = (unsigned char)c;

    if (h->in_title) {
        (void)buf_addc(&h->title, c);
        return OUT_OK;
    }
    if ((u & 0xC0) != 0x80) {
        /* A character's first byte: stop before the first one that does not
         * fit, so where the text ends does not depend on chunk sizes. */
        bool sep = h->pending > 0 && h->any;
        size_t need = (u < 0x80 ? 1 : u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2) + (sep ? 1 : 0);
        int rc;

        if (x->res->text.len + h->stage_len + need > x->max) {
            x->res->truncated = true;
            rc = stage_flush(x);
            return rc < 0 ? rc : OUT_FULL;
        }
        if (h->stage_len >= H_STAGE) {
            rc = stage_flush(x);
            if (rc != OUT_OK)
                return rc;
        }
        if (sep)
            h->stage[h->stage_len++] = h->pending == 2 ? '\n' : ' ';
        h->pending = 0;
    }
    h->stage[h->stage_len++] = c;
    h->any = true;
    return OUT_OK;
}

/* Text bytes from the document or from an entity. */
static int h_text(struct xctx *x, const char *p, size_t n)
{
    struct html *h = x->h;
    size_t i;

    for (i = 0; i < n; i++) {
        int rc;

        if (is_space((unsigned char)p[i])) {
            h_sep(h, h->pre > 0 && (p[i] == '\n' || p[i] == '\f') ? 2 : 1);
            continue;
        }
        rc = h_put(x, p[i]);
        if (rc != OUT_OK)
            return rc;
    }
    return OUT_OK;
}

static int h_codepoint(struct xctx *x, uint32_t cp)
{
    char tmp[4];

    if (cp == 0xA0) { /* &nbsp; separates words like a space */
        h_sep(x->h, 1);
        return OUT_OK;
    }
    if (cp == 0xAD) /* &shy; is invisible */
        return OUT_OK;
    return h_text(x, tmp, utf8_put(tmp, cp));
}

/* The entity name collected after '&'; semi: it ended with ';'. */
static int h_entity_end(struct xctx *x, bool semi)
{
    struct html *h = x->h;
    const char *e = h->ent;
    uint32_t cp = 0;
    bool ok = false;
    int rc;

    h->ent[h->ent_len] = '\0';
    if (h->ent_len >= 2 && e[0] == '#') {
        bool hex = e[1] == 'x' || e[1] == 'X';
        size_t i = hex ? 2 : 1, digits = 0;

        for (; i < h->ent_len; i++, digits++) {
            int c = e[i], d;

            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && to_lower(c) >= 'a' && to_lower(c) <= 'f')
                d = to_lower(c) - 'a' + 10;
            else
                break;
            if (cp <= 0x10FFFF)
                cp = cp * (hex ? 16 : 10) + (uint32_t)d;
        }
        if (digits > 0 && i == h->ent_len) {
            ok = true;
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = 0xFFFD;
            else if (cp >= 0x80 && cp <= 0x9F)
                cp = cp1252[cp - 0x80];
        }
    } else if (h->ent_len > 0) {
        const struct entity *ent = bsearch(e, entities, sizeof(entities) / sizeof(entities[0]),
                                           sizeof(entities[0]), entity_cmp);

        if (ent != NULL && (semi || ent->legacy)) {
            ok = true;
            cp = ent->cp;
        }
    }
    h->st = H_TEXT;
    if (ok)
        return h_codepoint(x, cp);
    /* Not an entity we know: the text stays as written. */
    rc = h_text(x, "&", 1);
    if (rc == OUT_OK)
        rc = h_text(x, h->ent, h->ent_len);
    if (rc == OUT_OK && semi)
        rc = h_text(x, ";", 1);
    return rc;
}

/* <meta charset=x> or <meta content="text/html; charset=x">. */
static void h_meta(struct html *h)
{
    char a[H_ATTR_MAX + 1];
    const char *p;
    size_t i, n = 0;

    if (h->charset[0] != '\0')
        return;
    for (i = 0; i < h->attrs_len; i++)
        a[i] = (char)to_lower((unsigned char)h->attrs[i]);
    a[h->attrs_len] = '\0';
    p = strstr(a, "charset");
    if (p == NULL)
        return;
    p += 7;
    while (is_space((unsigned char)*p))
        p++;
    if (*p++ != '=')
        return;
    while (is_space((unsigned char)*p) || *p == '"' || *p == '\'')
        p++;
    while ((is_alnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.' || *p == ':') &&
           n < sizeof(h->charset) - 1)
        h->charset[n++] = *p++;
    h->charset[n] = '\0';
    if (strcmp(h->charset, "utf-8") == 0 || strcmp(h->charset, "utf8") == 0)
        h->charset[0] = '\0'; /* nothing to explain */
}

/* A complete tag: h->name, h->end_tag, h->attrs. */
static void h_tag(struct html *h)
{
    unsigned flags;

    h->st = H_TEXT;
    if (h->name_long)
        return;
    h->name[h->name_len] = '\0';
    flags = tag_flags(h->name);
    if (h->in_title && !(flags & T_TITLE)) {
        /* A tag inside <title> means the title was never closed. */
        h->in_title = false;
    }
    if (flags & T_TITLE) {
        if (!h->end_tag && !h->title_seen) {
            h->in_title = true;
            h->title_seen = true;
        } else if (h->end_tag) {
            h->in_title = false;
        }
        h_sep(h, 2);
        return;
    }
    if (flags & T_META) {
        h_meta(h);
        return;
    }
    if (flags & T_PRE) {
        if (!h->end_tag)
            h->pre++;
        else if (h->pre > 0)
            h->pre--;
    }
    if (flags & T_BLOCK)
        h_sep(h, 2);
    else if (flags & T_CELL)
        h_sep(h, 1);
    if ((flags & T_RAW) && !h->end_tag) {
        memcpy(h->raw, h->name, h->name_len);
        h->raw_len = h->name_len;
        h->st = H_RAW;
    }
}

static void h_start_tag(struct html *h, int c, bool end)
{
    h->st = H_TAG_NAME;
    h->end_tag = end;
    h->name_len = 0;
    h->name_long = false;
    h->attrs_len = 0;
    h->attr_prev = 0;
    h->name[h->name_len++] = (char)to_lower(c);
}

/* The states of the HTML consumer, one handler each.  A handler that
 * moves to another state without taking its byte returns true, and the
 * byte is read again in the new state; one that makes text sets *rc. */

/* H_TEXT: the run of text up to the next '<' or '&', then past it.
 * Returns the index after what it took. */
static size_t h_in_text(struct xctx *x, const char *p, size_t i, size_t n, int *rc)
{
    struct html *h = x->h;
    size_t j = i;

    while (j < n && p[j] != '<' && p[j] != '&')
        j++;
    if (j > i)
        *rc = h_text(x, p + i, j - i);
    if (j < n) {
        h->st = p[j] == '<' ? H_TAG_OPEN : H_ENTITY;
        h->ent_len = 0;
        j++;
    }
    return j;
}

/* H_RAW: the contents of <script> and friends, skipped to the next '<'.
 * Returns the index after it, or n. */
static size_t h_in_raw(struct html *h, const char *p, size_t i, size_t n)
{
    const char *lt = memchr(p + i, '<', n - i);

    if (lt == NULL)
        return n;
    h->st = H_RAW_LT;
    return (size_t)(lt - p) + 1;
}

/* H_ENTITY: the name after '&', to a ';' or to a byte no name holds
 * (which is text again). */
static bool h_in_entity(struct xctx *x, int c, int *rc)
{
    struct html *h = x->h;

    if (c == ';') {
        *rc = h_entity_end(x, true);
        return false;
    }
    if ((is_alnum(c) || (c == '#' && h->ent_len == 0)) && h->ent_len < H_ENT_MAX - 1) {
        h->ent[h->ent_len++] = (char)c;
        return false;
    }
    *rc = h_entity_end(x, false);
    return true;
}

/* H_TAG_OPEN, after '<': a tag, an end tag, markup, or a '<' that is
 * text. */
static bool h_in_tag_open(struct xctx *x, int c, int *rc)
{
    struct html *h = x->h;

    if (is_alpha(c)) {
        h_start_tag(h, c, false);
    } else if (c == '/') {
        h->st = H_END_OPEN;
    } else if (c == '!') {
        h->st = H_MARKUP;
    } else if (c == '?') {
        h->st = H_BOGUS;
    } else {
        h->st = H_TEXT;
        *rc = h_text(x, "<", 1);
        return true;
    }
    return false;
}

/* H_END_OPEN, after "</". */
static void h_in_end_open(struct html *h, int c)
{
    if (is_alpha(c))
        h_start_tag(h, c, true);
    else
        h->st = c == '>' ? H_TEXT : H_BOGUS;
}

/* H_TAG_NAME: lower-cased; one longer than any tag we know is no tag of
 * ours. */
static void h_in_tag_name(struct html *h, int c)
{
    if (c == '>')
        h_tag(h);
    else if (is_space(c) || c == '/')
        h->st = H_ATTRS;
    else if (h->name_len < H_NAME_MAX - 1)
        h->name[h->name_len++] = (char)to_lower(c);
    else
        h->name_long = true;
}

/* The attributes are kept (capped) for <meta>. */
static void h_attr_byte(struct html *h, int c)
{
    if (h->attrs_len < H_ATTR_MAX)
        h->attrs[h->attrs_len++] = (char)c;
}

/* H_ATTRS: a '>' outside quotes ends the tag. */
static void h_in_attrs(struct html *h, int c)
{
    if (c == '>') {
        h_tag(h);
        return;
    }
    if ((c == '"' || c == '\'') && h->attr_prev == '=')
        h->st = c == '"' ? H_ATTR_DQ : H_ATTR_SQ;
    if (!is_space(c))
        h->attr_prev = (char)c;
    h_attr_byte(h, c);
}

/* H_ATTR_DQ, H_ATTR_SQ: a quoted value, to its closing quote. */
static void h_in_attr_value(struct html *h, int c, char quote)
{
    if (c == quote)
        h->st = H_ATTRS;
    h->attr_prev = (char)c;
    h_attr_byte(h, c);
}

/* H_MARKUP, after "<!": a comment, or a doctype or other markup. */
static void h_in_markup(struct html *h, int c)
{
    h->st = c == '-' ? H_MARKUP_DASH : c == '>' ? H_TEXT : H_BOGUS;
}

/* H_MARKUP_DASH, after "<!-". */
static void h_in_markup_dash(struct html *h, int c)
{
    if (c == '-') {
        h->st = H_COMMENT;
        h->dashes = 2; /* so "<!-->" is an empty comment, as in HTML5 */
    } else {
        h->st = c == '>' ? H_TEXT : H_BOGUS;
    }
}

/* H_COMMENT: to "-->" (or "--->", ...). */
static void h_in_comment(struct html *h, int c)
{
    if (c == '>' && h->dashes >= 2)
        h->st = H_TEXT;
    else
        h->dashes = c == '-' ? h->dashes + 1 : 0;
}

/* H_BOGUS: markup ("<!DOCTYPE", "<?xml") to the next '>'. */
static void h_in_bogus(struct html *h, int c)
{
    if (c == '>')
        h->st = H_TEXT;
}

/* H_RAW_LT: after a '<' in raw text, only "</" and the element's own name
 * end it. */
static void h_in_raw_lt(struct html *h, int c)
{
    if (c == '/') {
        h->st = H_RAW_END;
        h->raw_idx = 0;
    } else if (c != '<') {
        h->st = H_RAW;
    }
}

/* H_RAW_END: the element's name after "</", in any case (as browsers
 * match it), then the end of a name. */
static bool h_in_raw_end(struct html *h, int c)
{
    if (h->raw_idx < h->raw_len && to_lower(c) == h->raw[h->raw_idx]) {
        h->raw_idx++;
    } else if (h->raw_idx == h->raw_len && (is_space(c) || c == '/' || c == '>')) {
        memcpy(h->name, h->raw, h->raw_len);
        h->name_len = h->raw_len;
        h->name_long = false;
        h->end_tag = true;
        h->attrs_len = 0;
        h->attr_prev = 0;
        if (c == '>')
            h_tag(h);
        else
            h->st = H_ATTRS;
    } else {
        h->st = H_RAW;
        return true; /* c may be a '<' */
    }
    return false;
}

static int html_feed(struct xctx *x, const char *p, size_t n)
{
    struct html *h = x->h;
    size_t i = 0;
    int rc = OUT_OK;

    while (i < n && rc == OUT_OK) {
        int c = (unsigned char)p[i];

        switch (h->st) {
        case H_TEXT: i = h_in_text(x, p, i, n, &rc); continue;
        case H_RAW: i = h_in_raw(h, p, i, n); continue;
        case H_ENTITY:
            if (h_in_entity(x, c, &rc))
                continue;
            break;
        case H_TAG_OPEN:
            if (h_in_tag_open(x, c, &rc))
                continue;
            break;
        case H_END_OPEN: h_in_end_open(h, c); break;
        case H_TAG_NAME: h_in_tag_name(h, c); break;
        case H_ATTRS: h_in_attrs(h, c); break;
        case H_ATTR_DQ: h_in_attr_value(h, c, '"'); break;
        case H_ATTR_SQ: h_in_attr_value(h, c, '\''); break;
        case H_MARKUP: h_in_markup(h, c); break;
        case H_MARKUP_DASH: h_in_markup_dash(h, c); break;
        case H_COMMENT: h_in_comment(h, c); break;
        case H_BOGUS: h_in_bogus(h, c); break;
        case H_RAW_LT: h_in_raw_lt(h, c); break;
        case H_RAW_END:
            if (h_in_raw_end(h, c))
                continue;
            break;
        }
        i++;
    }
    if (rc == OUT_OK)
        rc = stage_flush(x);
    return rc;
}

/* The title as text_title_fit() makes it: white space collapsed, at most
 * EXTRACT_MAX_TITLE bytes, shortened at a word boundary with "…"; NULL when
 * nothing visible is left. */
static char *title_clean(const char *s, size_t n)
{
    return text_title_fit(s, n, 0, EXTRACT_MAX_TITLE);
}

/* Plain text whose opening may be Markdown's: libmagic names Markdown
 * text/plain (file 5.44 has no rule for it; later ones may say
 * text/markdown), and a file it could not name is plain text once it has
 * decoded.  Text it names otherwise (scripts, with the system database;
 * JSON, XML) is left alone, since a script's "# ..." is a comment.  With
 * vanthu's own rules most scripts are text/plain, and their "#!" line opens
 * no heading. */
static bool maybe_markdown(const struct xctx *x)
{
    const char *m = x->res->mime;

    return x->unknown || (m != NULL && (strcmp(m, "text/plain") == 0 ||
                                        strcmp(m, "text/markdown") == 0 ||
                                        strcmp(m, "text/x-markdown") == 0));
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

/* Read up to cap bytes at off, retrying short reads; *got < cap only at EOF. */
static int read_at(int fd, unsigned char *p, size_t cap, uint64_t off, size_t *got)
{
    size_t n = 0;

    while (n < cap) {
        ssize_t r = pread(fd, p + n, cap - n, (off_t)(off + n));

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return 0;
}

/* Streaming text and HTML: stream_init(), dec_feed() for each chunk,
 * dec_finish() at end of file (not after OUT_FULL), stream_end(), and
 * stream_release() in every case. */
static int stream_init(struct xctx *x, struct extract_result *res, size_t max, const char *path,
                       bool html, bool unknown, struct vt_err *err)
{
    memset(x, 0, sizeof(*x));
    x->res = res;
    x->max = max;
    x->path = path;
    x->html = html;
    x->unknown = unknown;
    if (html) {
        x->h = calloc(1, sizeof(*x->h));
        if (x->h == NULL)
            return vt_err_set(err, VT_ENOMEM, "out of memory");
        buf_init(&x->h->title, H_TITLE_RAW);
    }
    return 0;
}

static int stream_end(struct xctx *x, struct vt_err *err)
{
    struct html *h = x->h;
    int rc = OUT_OK;

    if (h != NULL) {
        if (h->st == H_ENTITY && !x->res->truncated)
            rc = h_entity_end(x, false);
        if (rc == OUT_OK)
            rc = stage_flush(x);
        if (rc < 0)
            return vt_err_set(err, rc, "out of memory");
        x->res->title = title_clean(buf_str(&h->title), h->title.len);
    } else if (maybe_markdown(x)) {
        /* The type comes from the content, and so does this: only a text
         * that opens with a Markdown heading or front matter gets a title,
         * whatever the file's name. */
        const struct buf *t = &x->res->text;

        x->res->title = text_title_markdown(buf_str(t), t->len < MD_HEAD ? t->len : MD_HEAD, 0,
                                            EXTRACT_MAX_TITLE);
    }
    x->res->kind = x->html ? EXTRACT_HTML : EXTRACT_TEXT;
    x->res->pages = 1;
    return 0;
}

static void stream_release(struct xctx *x)
{
    if (x->h != NULL) {
        buf_release(&x->h->title);
        free(x->h);
        x->h = NULL;
    }
}

/* Text and HTML: stream the file through the decoder into the output. */
static int extract_stream(struct extractor *ex, int fd, const char *path,
                          struct extract_result *res, size_t head_len, bool html, bool unknown,
                          struct vt_err *err)
{
    struct xctx x;
    uint64_t off = 0;
    size_t n = head_len;
    int rc;

    rc = stream_init(&x, res, ex->max_text, path, html, unknown, err);
    while (rc == OUT_OK) {
        rc = dec_feed(&x, ex->chunk, n, err);
        if (rc != OUT_OK)
            break;
        off += n;
        rc = read_at(fd, ex->chunk, CHUNK, off, &n);
        if (rc < 0) {
            rc = vt_err_set(err, rc, "cannot read '%s': %s", path, strerror(-rc));
            break;
        }
        if (n == 0) {
            rc = dec_finish(&x, err);
            break;
        }
    }
    if (rc == VT_ENOMEM)
        vt_err_set(err, rc, "out of memory");
    if (rc >= 0)
        rc = stream_end(&x, err);
    stream_release(&x);
    return rc;
}

/* ------------------------------------------------------------------ */
/* routing                                                             */

enum route { R_TEXT, R_HTML, R_PDF, R_IMAGE, R_UNKNOWN, R_OTHER };

/* Images the OCR workers can read (Leptonica's formats). */
/* clang-format off */
static const char *const ocr_images[] = {
    "image/png", "image/jpeg", "image/tiff", "image/gif", "image/bmp", "image/x-ms-bmp",
    "image/webp", "image/jp2", "image/x-portable-bitmap", "image/x-portable-greymap",
    "image/x-portable-graymap", "image/x-portable-pixmap", "image/x-portable-anymap",
};
/* clang-format on */

/* Types libmagic files under application/ that are text to read. */
static const char *const text_apps[] = {
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-wine-extension-ini",
};

static bool in_list(const char *mime, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(mime, list[i]) == 0)
            return true;
    return false;
}

/* The WHATWG MIME-sniffing signatures for HTML, for fragments that libmagic
 * calls text/plain (it wants <html>, <head> or a doctype). */
static bool sniff_html(const unsigned char *p, size_t n)
{
    static const char *const sigs[] = {
        "<!DOCTYPE HTML", "<HTML", "<HEAD",  "<SCRIPT", "<IFRAME", "<H1",   "<DIV", "<FONT",
        "<TABLE",         "<A",    "<STYLE", "<TITLE",  "<B",      "<BODY", "<BR",  "<P",
        "<!--",
    };
    size_t i = 0, s;

    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && is_space(p[i]))
        i++;
    for (s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++) {
        size_t len = strlen(sigs[s]), k;

        if (n - i < len + 1)
            continue;
        for (k = 0; k < len; k++)
            if (to_lower(p[i + k]) != to_lower((unsigned char)sigs[s][k]))
                break;
        if (k == len && (p[i + len] == ' ' || p[i + len] == '>' || strcmp(sigs[s], "<!--") == 0))
            return true;
    }
    return false;
}

/* sniff_html() for UTF-8 and for UTF-16 with a byte-order mark (whose
 * ASCII characters are read from every other byte). */
static bool sniff_html_any(const unsigned char *p, size_t n)
{
    unsigned char narrow[512];
    size_t k = 0, i;
    int lo;

    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        lo = p[0] == 0xFF ? 0 : 1;
        for (i = 2; i + 1 < n && k < sizeof(narrow); i += 2) {
            if (p[i + 1 - lo] != 0)
                break;
            narrow[k++] = p[i + lo];
        }
        return sniff_html(narrow, k);
    }
    return sniff_html(p, n);
}

static void set_mime(struct extract_result *res, const char *mime)
{
    free(res->mime);
    res->mime = xstrdup(mime);
}

static enum route route_of(const char *mime, const unsigned char *head, size_t n)
{
    if (strcmp(mime, "application/pdf") == 0)
        return R_PDF;
    if (strcmp(mime, "text/html") == 0 || strcmp(mime, "application/xhtml+xml") == 0)
        return R_HTML;
    if (in_list(mime, ocr_images, sizeof(ocr_images) / sizeof(ocr_images[0])))
        return R_IMAGE;
    if (strcmp(mime, "text/rtf") == 0) /* markup that would index as noise */
        return R_OTHER;
    if (strcmp(mime, "text/plain") == 0 && sniff_html(head, n))
        return R_HTML;
    if (strncmp(mime, "text/", 5) == 0 ||
        in_list(mime, text_apps, sizeof(text_apps) / sizeof(text_apps[0])))
        return R_TEXT;
    if (strcmp(mime, "application/octet-stream") == 0)
        return R_UNKNOWN;
    return R_OTHER;
}

/* ------------------------------------------------------------------ */
/* public                                                              */

struct extractor *extractor_new(const struct extract_config *cfg, struct vt_err *err)
{
    struct extractor *ex = calloc(1, sizeof(*ex));

    if (ex == NULL) {
        vt_err_set(err, VT_ENOMEM, "out of memory");
        return NULL;
    }
    ex->max_text = cfg != NULL && cfg->max_text > 0 ? cfg->max_text : EXTRACT_DEFAULT_MAX_TEXT;
    ex->chunk = malloc(CHUNK);
    if (ex->chunk == NULL) {
        vt_err_set(err, VT_ENOMEM, "out of memory");
        goto fail;
    }
    ex->det = indexer__detector_new(cfg != NULL ? cfg->magic_file : NULL, err);
    if (ex->det == NULL)
        goto fail;
    return ex;

fail:
    extractor_free(ex);
    return NULL;
}

void extractor_free(struct extractor *ex)
{
    if (ex == NULL)
        return;
    indexer__detector_free(ex->det);
    free(ex->chunk);
    free(ex);
}

/* fd must be a regular file; its size goes into res. */
static int check_file(int fd, const char *path, struct extract_result *res, struct vt_err *err)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return vt_err_set(err, -errno, "cannot stat '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return vt_err_set(err, -EISDIR, "cannot read '%s': %s", path, strerror(EISDIR));
    if (!S_ISREG(st.st_mode)) {
        res->kind = EXTRACT_UNSUPPORTED;
        return vt_err_set(err, VT_EUNSUPPORTED, "'%s' is not a regular file", path);
    }
    res->size = (uint64_t)st.st_size;
    return 0;
}

/* Act on res->mime for the file whose first n bytes are in ex->chunk. */
static int extract_routed(struct extractor *ex, int fd, const char *path,
                          struct extract_result *res, size_t n, struct vt_err *err)
{
    int rc;

    switch (route_of(res->mime, ex->chunk, n)) {
    case R_PDF:
        /* PDFs, text layer or not, are read in the OCR worker processes:
         * poppler parses hostile input with no time or memory limit, so it
         * never runs inside vanthu itself (DESIGN §9). */
        res->kind = EXTRACT_NEEDS_OCR;
        return 0;
    case R_IMAGE: res->kind = EXTRACT_NEEDS_OCR; return 0;
    case R_TEXT: rc = extract_stream(ex, fd, path, res, n, false, false, err); break;
    case R_HTML: rc = extract_stream(ex, fd, path, res, n, true, false, err); break;
    case R_UNKNOWN:
        /* vanthu's own magic rules leave text to us (detect.c): a file
         * that decodes is text, or HTML when it starts like HTML. */
        if (sniff_html_any(ex->chunk, n)) {
            set_mime(res, "text/html");
            rc = extract_stream(ex, fd, path, res, n, true, true, err);
        } else {
            rc = extract_stream(ex, fd, path, res, n, false, true, err);
            if (rc == 0)
                set_mime(res, "text/plain");
        }
        break;
    case R_OTHER:
    default:
        res->kind = EXTRACT_UNSUPPORTED;
        return vt_err_set(err, VT_EUNSUPPORTED, "unsupported type %s: '%s'", res->mime, path);
    }
    if (rc < 0) {
        /* Keep the type and size for the record; drop partial text. */
        buf_release(&res->text);
        free(res->title);
        res->title = NULL;
        res->pages = 0;
        res->truncated = false;
        res->kind = EXTRACT_NONE;
    }
    return rc;
}

int extractor_run(struct extractor *ex, int fd, const char *path, struct extract_result *res,
                  struct vt_err *err)
{
    const char *mime;
    size_t n;
    int rc;

    if (path == NULL)
        path = "(unnamed)";
    extract_result_release(res);
    buf_init(&res->text, ex->max_text);
    rc = check_file(fd, path, res, err);
    if (rc < 0)
        return rc;
    rc = read_at(fd, ex->chunk, CHUNK, 0, &n);
    if (rc < 0)
        return vt_err_set(err, rc, "cannot read '%s': %s", path, strerror(-rc));
    if (n == 0) {
        res->mime = xstrdup("application/x-empty");
        res->kind = EXTRACT_EMPTY;
        return 0;
    }
    mime = indexer__detector_mime(ex->det, ex->chunk, n, err);
    if (mime == NULL)
        return VT_EINTERNAL;
    res->mime = xstrdup(mime);
    return extract_routed(ex, fd, path, res, n, err);
}

int extractor_run_path(struct extractor *ex, const char *path, struct extract_result *res,
                       struct vt_err *err)
{
    int fd, rc;

    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        rc = -errno;
        extract_result_release(res);
        return vt_err_set(err, rc, "cannot open '%s': %s", path, strerror(-rc));
    }
    rc = extractor_run(ex, fd, path, res, err);
    close(fd);
    return rc;
}
