/* Page loading: a page's text into the extractor's parallel arrays of
 * cleaned code points and folds, split into lines (see meta_internal.h).
 * The cleanup is text/norm's; only OCR's punctuation (ocr_punct()) and
 * "\r\n" are read differently here. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "text/meta_internal.h"

/* The extractor's own repair of OCR's punctuation, made before
 * text_clean()'s map (text__clean_cp()).  OCR reads the thin strokes of a
 * document number wrongly in two set ways, '~' for '-' and '\\' for '/',
 * and returns the frame of a boxed header as '[' and ']'.  These are
 * repaired here only: the index must keep them as written (Markdown links
 * and strikethrough, paths, query syntax), and text_title_markdown() reads
 * the raw text for the same reason. */
static int32_t ocr_punct(int32_t c)
{
    switch (c) {
    case '~':
        return '-';
    case '\\':
        return '/';
    case '[': case ']':
        return ' ';
    default:
        return c;
    }
}

void text__page_init(struct mpage *pg)
{
    memset(pg, 0, sizeof(*pg));
    /* The arrays are bounded by TEXT_META_PAGE_MAX bytes of input: NFC
     * makes at most three bytes of one (so at most as many code points),
     * an invalid byte reads as three, and a line is at least one byte. */
    buf_init(&pg->_raw, 3 * (TEXT_META_PAGE_MAX + 1));
    buf_init(&pg->_tmp, 3 * sizeof(int32_t) * (TEXT_META_PAGE_MAX + 1));
    buf_init(&pg->_cp, 4 * sizeof(int32_t) * (TEXT_META_PAGE_MAX + 1));
    buf_init(&pg->_fc, 4 * sizeof(int32_t) * (TEXT_META_PAGE_MAX + 1));
    buf_init(&pg->_ln, sizeof(struct mline) * (MAX_LINES + 1));
}

void text__page_release(struct mpage *pg)
{
    buf_release(&pg->_raw);
    buf_release(&pg->_tmp);
    buf_release(&pg->_cp);
    buf_release(&pg->_fc);
    buf_release(&pg->_ln);
    memset(pg, 0, sizeof(*pg));
}

/* Room for k more elements of size sz in b (b->len counts bytes). */
static void *room(struct buf *b, size_t k, size_t sz, int *rc)
{
    *rc = buf_grow(b, k * sz);
    return *rc < 0 ? NULL : b->ptr + b->len;
}

/* The page (s, n) up to its first '\f', in NFC (invalid UTF-8 reading as
 * U+FFFD) and cleaned, into _tmp as code points; *tn gets their count. */
static int page_clean(struct mpage *pg, const char *s, size_t n, size_t *tn)
{
    const char *ff = n > 0 ? memchr(s, '\f', n) : NULL, *p;
    size_t pn, k = 0;
    int32_t *t;
    char *nfc;
    int rc;

    if (ff != NULL)
        n = (size_t)(ff - s);
    rc = text__nfc(s, n, &p, &pn, &nfc);
    if (rc == VT_EENCODING) {
        buf_reset(&pg->_raw);
        if ((rc = text__utf8_scrub(s, n, &pg->_raw)) < 0)
            return rc;
        rc = text__nfc(pg->_raw.ptr, pg->_raw.len, &p, &pn, &nfc);
    }
    if (rc < 0)
        return rc;
    /* At most one code point per byte. */
    t = room(&pg->_tmp, pn + 1, sizeof(int32_t), &rc);
    for (size_t i = 0; t != NULL && i < pn;) {
        unsigned char b = (unsigned char)p[i];
        int32_t c;

        if (b >= 0x20 && b < 0x7F) {
            /* Printable ASCII, most of any page: text_clean() keeps it. */
            t[k++] = ocr_punct(b);
            i++;
            continue;
        }
        i += text__decode_lossy(p + i, pn - i, &c);
        if (c == '\r' && i < pn && p[i] == '\n')
            continue; /* "\r\n" ends one line */
        c = text__clean_cp(c);
        if (c >= 0)
            t[k++] = c;
    }
    free(nfc);
    *tn = k;
    return t != NULL ? 0 : rc;
}

/* '|' is a frame or column rule unless it touches a letter or a digit,
 * where it is probably a misread 1 or l. */
static int32_t frame_bar(const int32_t *t, size_t tn, size_t i)
{
    if (t[i] == '|' && !(i > 0 && is_alnum(t[i - 1])) && !(i + 1 < tn && is_alnum(t[i + 1])))
        return ' ';
    return t[i];
}

/* The lines of t[0, tn) into pg's arrays: trimmed, blanks collapsed (3+
 * or a tab -> GAP), folded; *lnp gets the lines, for their statistics. */
static int page_lines(struct mpage *pg, const int32_t *t, size_t tn, struct mline **lnp)
{
    int32_t *cp, *fc;
    struct mline *ln;
    size_t i, lb = 0, nl, m = 0;
    int rc = 0, run = 0;

    cp = room(&pg->_cp, tn + 1, sizeof(int32_t), &rc);
    fc = cp != NULL ? room(&pg->_fc, tn + 1, sizeof(int32_t), &rc) : NULL;
    if (fc == NULL)
        return rc;
    for (i = 0, nl = 1; i < tn; i++)
        nl += t[i] == '\n';
    ln = room(&pg->_ln, nl < MAX_LINES ? nl : MAX_LINES, sizeof(struct mline), &rc);
    if (ln == NULL)
        return rc;
    for (i = 0, nl = 0; i <= tn && nl < MAX_LINES; i++) {
        int32_t c = i < tn ? frame_bar(t, tn, i) : '\n';

        if (c == '\n') {
            memset(&ln[nl], 0, sizeof(ln[nl]));
            ln[nl].b = lb;
            ln[nl].e = m;
            nl++;
            /* Lines stay apart in the arrays, so that scans over the whole
             * page (dates, words) see a boundary. */
            cp[m] = fc[m] = '\n';
            lb = ++m;
            run = 0;
        } else if (c == ' ' || c == GAP) {
            run += c == GAP ? 3 : 1;
        } else {
            if (run > 0 && m > lb) {
                cp[m] = fc[m] = run >= 3 ? GAP : ' ';
                m++;
            }
            run = 0;
            cp[m] = c;
            fc[m] = fold_cp(c);
            m++;
        }
    }
    pg->cp = cp;
    pg->fc = fc;
    pg->n = m;
    pg->ln = *lnp = ln;
    pg->nl = nl;
    return 0;
}

int text__page_load(struct mpage *pg, const char *s, size_t n)
{
    struct mline *ln = NULL;
    size_t tn;
    int rc = page_clean(pg, s, n, &tn);

    if (rc < 0 || (rc = page_lines(pg, (const int32_t *)(void *)pg->_tmp.ptr, tn, &ln)) < 0)
        return rc;
    for (size_t i = 0; i < pg->nl; i++)
        text__line_stats(pg, &ln[i], i < SCAN_LINES);
    text__qh_tails(pg, ln, pg->nl < SCAN_LINES ? pg->nl : SCAN_LINES);
    return 0;
}
