/* Official-document metadata extraction (vietnamese.md §(a), DESIGN §8).
 *
 * DESIGN
 *
 * A page is loaded once into two parallel arrays of code points: cp, the
 * cleaned NFC text, and fc, its fold.  Both come from text/norm's code-point
 * layer, the one text_clean() and text_fold() use for the index: NFC, then
 * P1 (Ð/Ɖ -> Đ, dashes -> '-', odd slashes -> '/', spaces -> ' ', invisible
 * characters dropped), then P2 (lowercase, marks stripped, đ -> d).  On top
 * of it the extractor reads a few characters its own way (see page_cp()):
 * OCR's '~', '\\', '[' and ']', and "\r\n" as one line end.  Blanks are
 * collapsed.  Folding is one code point to one code point, so
 * every match is made on fc with hand-written matchers (no regex engine) and
 * the value is copied from the same range of cp, with its diacritics.  A
 * run of three or more blanks, or a tab, is kept as one GAP: it is where
 * pdftotext -layout or Tesseract --psm 6 glued two header columns onto one
 * line.  Lines are further split at the national motto (Quốc hiệu,
 * Tiêu ngữ), which always opens the right column; its words are matched
 * one edit apart ("GỘNG HÒA"), and the tail of a Quốc hiệu that wrapped
 * ("VIỆT NAM") is cut off the left-column line OCR glued it to.
 *
 * Page 1 then goes through the spec's steps in a fixed order:
 *   - zone: the header ends at the type line, "Kính gửi", "Căn cứ" or the
 *     first body paragraph;
 *   - F1 the number ("Số: 512/QĐ-UBND"), F4 the place and date, F7 the
 *     stamps, F2 the type line, F3 the agency lines above the number, F5
 *     the summary; F6 reads the signature block of the last page;
 *   - a gate: unless the page carries a labelled number, or two of motto,
 *     date line, type line and "V/v" line, it is not an official document
 *     and every official field is dropped.
 * Each matcher refuses rather than guesses: an odd symbol, an impossible
 * date or a place of more than six words leaves the field empty (in the
 * header a longer line is read as the V/v text with the place and date
 * merged after it, and those are cut out of the summary).  Repairs are
 * made only where the vocabulary leaves one reading: agency head words and
 * sector names (F3), a type code under its type line (F1).
 *
 * Cost: one pass to decode and normalise, then a few passes over the first
 * forty lines and the signature block; no allocation besides the page
 * arrays and the result strings. */
#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "text/meta.h"
#include "text/norm.h"
#include "text/norm_internal.h"

#define NOPOS ((size_t)-1)
#define GAP 0x09         /* column gap marker inside a loaded line */
#define MAX_LINES (TEXT_META_PAGE_MAX + 1) /* a line has at least its newline */
#define SCAN_LINES 60    /* type line, "Kính gửi" ... are looked for this far */
#define HEAD_MAX 40      /* the header zone never extends further */
#define SEG_MAX 5        /* symbol segments: SEG(-SEG){0,4} */
#define SEG_CPS 12       /* code points per segment */
#define SEG_BYTES (SEG_CPS * 4 + 1)

/* ------------------------------------------------------------------ */
/* Code points */

static int is_blank(int32_t c)
{
    return c == ' ' || c == GAP;
}

static int is_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}

/* Letters and their case, as text/norm classifies them (ASCII inline). */
static int is_letter(int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return text__class(c) == TEXT_CLASS_LETTER;
}

static int is_upper(int32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    return text__case(c) == TEXT_CASE_UPPER;
}

static int is_lower(int32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z';
    return text__case(c) == TEXT_CASE_LOWER;
}

static int is_alnum(int32_t c)
{
    return is_digit(c) || is_letter(c);
}

/* P2 for one code point: text_fold()'s, except that a combining mark left
 * after NFC folds to itself instead of vanishing, so that fc stays parallel
 * to cp (the mark is no letter either way). */
static int32_t fold_cp(int32_t c)
{
    int32_t f;

    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    f = text__fold_cp(c);
    return f != 0 ? f : c;
}

/* The extractor's own reading of a code point, before text_clean()'s map
 * (text__clean_cp()).  OCR reads the thin strokes of a document number
 * wrongly in two set ways, '~' for '-' and '\\' for '/', and returns the
 * frame of a boxed header as '[' and ']'.  These are repaired here only:
 * the index must keep them as written (Markdown links and strikethrough,
 * paths, query syntax), and text_title_markdown() reads the raw text for
 * the same reason.  Returns the code point to read, or -1 to drop it. */
static int32_t page_cp(int32_t c)
{
    switch (c) {
    case '~':
        return '-';
    case '\\':
        return '/';
    case '[': case ']':
        return ' ';
    default:
        return text__clean_cp(c);
    }
}

/* ------------------------------------------------------------------ */
/* Pages */

enum {
    L_RULE = 1u << 0, /* a rule: only _ - . = * and blanks */
    L_QH = 1u << 1,   /* holds the Quốc hiệu */
    L_TN = 1u << 2,   /* holds the Tiêu ngữ */
};

struct mline {
    size_t b, e;  /* the trimmed line: [b, e) of cp/fc */
    size_t le;    /* end of the left cell (before a motto anchor), trimmed */
    unsigned fl;  /* L_* */
    unsigned nwords, nletters, nupper, nlower;
    unsigned char qh_next; /* find_qh()'s next: < QH_NWORDS for a wrapped Quốc hiệu */
};

struct mpage {
    const int32_t *cp; /* cleaned NFC code points */
    const int32_t *fc; /* their folds, same length */
    size_t n;
    const struct mline *ln;
    size_t nl;
    struct buf _raw, _tmp, _cp, _fc, _ln; /* storage of the arrays above */
};

static void page_init(struct mpage *pg)
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

static void page_release(struct mpage *pg)
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

static void line_stats(struct mpage *pg, struct mline *l, int head);
static void qh_tails(struct mpage *pg, struct mline *ln, size_t nl);

/* Load (s, n) into pg: NFC, P1, fold, split into lines. */
static int page_load(struct mpage *pg, const char *s, size_t n)
{
    const char *ff = n > 0 ? memchr(s, '\f', n) : NULL, *p;
    int32_t *t, *cp, *fc;
    struct mline *ln;
    size_t tn = 0, i, lb, nl = 0, m = 0, pn;
    char *nfc;
    int rc = 0, run = 0;

    /* 1. NFC; invalid UTF-8 reads as U+FFFD. */
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

    /* 2. Decode and clean into _tmp: at most one code point per byte. */
    t = room(&pg->_tmp, pn + 1, sizeof(int32_t), &rc);
    for (i = 0; t != NULL && i < pn;) {
        int32_t c;

        i += text__decode_lossy(p + i, pn - i, &c);
        if (c == '\r' && i < pn && p[i] == '\n')
            continue; /* "\r\n" ends one line */
        c = page_cp(c);
        if (c >= 0)
            t[tn++] = c;
    }
    free(nfc);
    if (t == NULL)
        return rc;

    /* 3. Lines: trim, collapse blanks (3+ or a tab -> GAP), fold. */
    cp = room(&pg->_cp, tn + 1, sizeof(int32_t), &rc);
    if (cp == NULL)
        return rc;
    fc = room(&pg->_fc, tn + 1, sizeof(int32_t), &rc);
    if (fc == NULL)
        return rc;
    for (i = 0, nl = 1; i < tn; i++)
        nl += t[i] == '\n';
    ln = room(&pg->_ln, nl < MAX_LINES ? nl : MAX_LINES, sizeof(struct mline), &rc);
    if (ln == NULL)
        return rc;
    nl = 0;
    lb = 0;
    for (i = 0; i <= tn && nl < MAX_LINES; i++) {
        int32_t c = i < tn ? t[i] : '\n';

        if (c == '\n') {
            memset(&ln[nl], 0, sizeof(ln[nl]));
            ln[nl].b = lb;
            ln[nl].e = m;
            nl++;
            /* Lines stay apart in the arrays, so that scans over the whole
             * page (dates, words) see a boundary. */
            cp[m] = fc[m] = '\n';
            m++;
            lb = m;
            run = 0;
            continue;
        }
        /* '|' is a frame or column rule unless it touches a letter or a
         * digit, where it is probably a misread 1 or l. */
        if (c == '|' && !(i > 0 && is_alnum(t[i - 1])) && !(i + 1 < tn && is_alnum(t[i + 1])))
            c = ' ';
        if (c == ' ') {
            run++;
            continue;
        }
        if (c == GAP) {
            run += 3;
            continue;
        }
        if (run > 0 && m > lb) {
            cp[m] = run >= 3 ? GAP : ' ';
            fc[m] = cp[m];
            m++;
        }
        run = 0;
        cp[m] = c;
        fc[m] = fold_cp(c);
        m++;
    }
    pg->cp = cp;
    pg->fc = fc;
    pg->n = m;
    pg->ln = ln;
    pg->nl = nl;
    for (i = 0; i < nl; i++)
        line_stats(pg, &ln[i], i < SCAN_LINES);
    qh_tails(pg, ln, nl < SCAN_LINES ? nl : SCAN_LINES);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Matching on the folded text */

/* If fc[i..e) starts with lit, the end of the match, else NOPOS.  A space
 * in lit matches one or more blanks. */
static size_t lit_at(const struct mpage *pg, size_t i, size_t e, const char *lit)
{
    for (; *lit; lit++) {
        if (*lit == ' ') {
            if (i >= e || !is_blank(pg->fc[i]))
                return NOPOS;
            while (i < e && is_blank(pg->fc[i]))
                i++;
            continue;
        }
        if (i >= e || pg->fc[i] != (unsigned char)*lit)
            return NOPOS;
        i++;
    }
    return i;
}

/* lit_at() that also requires a word boundary after the match. */
static size_t word_at(const struct mpage *pg, size_t i, size_t e, const char *lit)
{
    size_t j = lit_at(pg, i, e, lit);

    if (j == NOPOS || (j < e && is_alnum(pg->fc[j])))
        return NOPOS;
    return j;
}

/* The first occurrence of lit as whole words in [b, e); *endp gets its end. */
static size_t find_word(const struct mpage *pg, size_t b, size_t e, const char *lit, size_t *endp)
{
    for (size_t i = b; i < e; i++) {
        size_t j;

        if (pg->fc[i] != (unsigned char)lit[0] || (i > b && is_alnum(pg->fc[i - 1])))
            continue;
        j = word_at(pg, i, e, lit);
        if (j != NOPOS) {
            if (endp != NULL)
                *endp = j;
            return i;
        }
    }
    return NOPOS;
}

static size_t skip_blanks(const struct mpage *pg, size_t i, size_t e)
{
    while (i < e && is_blank(pg->fc[i]))
        i++;
    return i;
}

/* Skip what is not a letter or digit (the spec's \W*). */
static size_t skip_nonword(const struct mpage *pg, size_t i, size_t e)
{
    while (i < e && !is_alnum(pg->fc[i]))
        i++;
    return i;
}

/* Does fold(cp[b, e)), after \W*, start with one of the words in list? */
static int starts_with_any(const struct mpage *pg, size_t b, size_t e, const char *const *list)
{
    b = skip_nonword(pg, b, e);
    for (; *list != NULL; list++)
        if (word_at(pg, b, e, *list) != NOPOS)
            return 1;
    return 0;
}

/* 1 when [b, e) has at least two letters and 70% of them are capitals. */
static int span_upper(const struct mpage *pg, size_t b, size_t e)
{
    unsigned nl = 0, nu = 0;

    for (size_t i = b; i < e; i++) {
        if (!is_letter(pg->cp[i]))
            continue;
        nl++;
        nu += is_upper(pg->cp[i]);
    }
    return nl >= 2 && nu * 10 >= nl * 7;
}

static unsigned span_words(const struct mpage *pg, size_t b, size_t e)
{
    unsigned n = 0;

    for (size_t i = b; i < e; i++)
        if (!is_blank(pg->fc[i]) && (i == b || is_blank(pg->fc[i - 1])))
            n++;
    return n;
}

/* Folded letters of [b, e) as ASCII, with single spaces between words and
 * (when nospace) without them.  Returns the length, or -1 when the span has
 * a letter outside a-z or does not fit in cap. */
static int span_letters(const struct mpage *pg, size_t b, size_t e, char *out, size_t cap,
                        int nospace)
{
    size_t k = 0;
    int sep = 0;

    for (size_t i = b; i < e; i++) {
        int32_t f = pg->fc[i];

        if (!is_letter(f)) {
            sep = k > 0;
            continue;
        }
        if (f >= 0x80)
            return -1;
        if (sep && !nospace) {
            if (k + 1 >= cap)
                return -1;
            out[k++] = ' ';
        }
        sep = 0;
        if (k + 1 >= cap)
            return -1;
        out[k++] = (char)f;
    }
    out[k] = '\0';
    return (int)k;
}

/* Levenshtein distance of two short ASCII strings, capped at 3. */
static int edit_distance(const char *a, const char *b)
{
    int row[40], la = (int)strlen(a), lb = (int)strlen(b);

    if (la >= 39 || lb >= 39)
        return 3;
    if (la - lb > 2 || lb - la > 2)
        return 3;
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];

        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int v = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[lb] > 3 ? 3 : row[lb];
}

/* ------------------------------------------------------------------ */
/* Line layout: rules, the national motto, cells */

static int is_rule_char(int32_t c)
{
    return c == '_' || c == '-' || c == '.' || c == '=' || c == '*' || c == 0x2026 ||
           c == 0x2500 || c == 0x2501 || c == 0xAF || is_blank(c);
}

/* The words of the Quốc hiệu, folded. */
static const char *const qh_words[] = {"cong", "hoa", "xa", "hoi", "chu", "nghia", "viet", "nam"};
#define QH_NWORDS 8

/* Is the word [b, e) of fc want, or (both of 3+ letters) one edit away from
 * it?  OCR turns "CỘNG" into "GỘNG" and "NGHĨA" into "NGHIA"; the fold
 * takes care of the marks, the edit of a wrong letter. */
static int word_like(const struct mpage *pg, size_t b, size_t e, const char *want)
{
    char got[16];
    int k;

    if (e - b >= sizeof(got))
        return 0;
    k = span_letters(pg, b, e, got, sizeof(got), 1);
    if (k < 1 || (size_t)k != e - b)
        return 0;
    if (strcmp(got, want) == 0)
        return 1;
    return k >= 3 && strlen(want) >= 3 && edit_distance(got, want) <= 1;
}

/* The word ending at or before i (skipping blanks and the odd '_', '-' or
 * '.' between words) in [b, i): *wb and *we get its bounds; 0 if none. */
static int word_before(const struct mpage *pg, size_t b, size_t i, size_t *wb, size_t *we)
{
    while (i > b && !is_alnum(pg->fc[i - 1])) {
        int32_t c = pg->fc[i - 1];

        if (!is_blank(c) && c != '_' && c != '-' && c != '.')
            return 0;
        i--;
    }
    *we = i;
    while (i > b && is_alnum(pg->fc[i - 1]))
        i--;
    *wb = i;
    return *wb < *we;
}

/* The word starting at or after i in [i, e), as word_before(). */
static int word_after(const struct mpage *pg, size_t i, size_t e, size_t *wb, size_t *we)
{
    while (i < e && !is_alnum(pg->fc[i])) {
        int32_t c = pg->fc[i];

        if (!is_blank(c) && c != '_' && c != '-' && c != '.')
            return 0;
        i++;
    }
    *wb = i;
    while (i < e && is_alnum(pg->fc[i]))
        i++;
    *we = i;
    return *wb < *we;
}

/* The Quốc hiệu in [b, e): returns its start, or NOPOS, and in *next the
 * index in qh_words of the first word it lacks at its end (QH_NWORDS when
 * it is whole; less when the motto wrapped and its tail is on the next
 * line).  The anchor is the middle ("xã hội chủ nghĩa", "chủ nghĩa Việt
 * Nam"), which survives OCR better than the ends; from there the match
 * extends word by word both ways, each word as word_like(). */
static size_t find_qh(const struct mpage *pg, size_t b, size_t e, int *next)
{
    size_t p = find_word(pg, b, e, "hoi chu nghia", NULL), q, wb, we;
    int k = 3, j;

    if (p == NOPOS) {
        p = find_word(pg, b, e, "chu nghia viet nam", NULL);
        k = 4;
    }
    if (p == NOPOS)
        return NOPOS;
    /* Forwards from the anchor word. */
    q = p;
    for (j = k; j < QH_NWORDS && word_after(pg, q, e, &wb, &we) &&
                word_like(pg, wb, we, qh_words[j]);
         j++)
        q = we;
    *next = j;
    /* Backwards to "Cộng hòa". */
    for (j = k; j > 0 && word_before(pg, b, p, &wb, &we) && word_like(pg, wb, we, qh_words[j - 1]);
         j--)
        p = wb;
    return p;
}

/* If [b, e) ends with the words qh_words[from..QH_NWORDS) (a wrapped Quốc
 * hiệu's tail, "VIỆT NAM", appended to a left-column line by OCR), their
 * start; else NOPOS. */
static size_t qh_tail(const struct mpage *pg, size_t b, size_t e, int from)
{
    size_t p = e, wb, we;

    for (int j = QH_NWORDS; j > from; j--) {
        if (!word_before(pg, b, p, &wb, &we) || !word_like(pg, wb, we, qh_words[j - 1]))
            return NOPOS;
        p = wb;
    }
    return p;
}

/* Start of the Tiêu ngữ "Độc lập - Tự do - Hạnh phúc" in [b, e), or NOPOS;
 * two of its three parts must be there. */
static size_t find_tn(const struct mpage *pg, size_t b, size_t e)
{
    size_t dl = find_word(pg, b, e, "doc lap", NULL);
    size_t td = find_word(pg, dl != NOPOS ? dl : b, e, "tu do", NULL);
    size_t hp = find_word(pg, td != NOPOS ? td : b, e, "hanh phuc", NULL);

    if (dl != NOPOS && (td != NOPOS || hp != NOPOS))
        return dl;
    if (td != NOPOS && hp != NOPOS)
        return td;
    return NOPOS;
}

/* Counts, rules, and (for a line near the top, where the header is) the
 * national motto. */
static void line_stats(struct mpage *pg, struct mline *l, int head)
{
    size_t i, a;
    int rule = 1, nonblank = 0, next = QH_NWORDS;

    l->le = l->e;
    l->qh_next = QH_NWORDS;
    for (i = l->b; i < l->e; i++) {
        int32_t c = pg->cp[i];

        if (!is_rule_char(c))
            rule = 0;
        if (!is_blank(c))
            nonblank++;
        if (is_letter(c)) {
            l->nletters++;
            l->nupper += is_upper(c);
            l->nlower += is_lower(c);
        }
    }
    l->nwords = span_words(pg, l->b, l->e);
    if (rule && nonblank >= 3) {
        l->fl |= L_RULE;
        return;
    }
    if (l->nletters < 6 || l->nwords > 24 || !head)
        return;
    a = find_qh(pg, l->b, l->e, &next);
    if (a != NOPOS) {
        l->fl |= L_QH;
        l->le = a;
        l->qh_next = (unsigned char)next;
    }
    a = find_tn(pg, l->b, l->le);
    if (a != NOPOS) {
        l->fl |= L_TN;
        l->le = a;
    }
    while (l->le > l->b && is_blank(pg->cp[l->le - 1]))
        l->le--;
}

/* A Quốc hiệu that wrapped ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA" / "VIỆT NAM") leaves
 * its tail on one of the next two lines, where OCR appends it to the left
 * column's text ("SỞ NỘI VỤ VIỆT NAM", even "THÀNH PHỐ NAM VIỆT NAM" with
 * "ĐỊNH" on the line after): cut the tail off as line_stats() cuts the
 * motto.  Only the words the Quốc hiệu lacks are cut, so "MẶT TRẬN TỔ
 * QUỐC VIỆT NAM" under a whole Quốc hiệu keeps its name. */
static void qh_tails(struct mpage *pg, struct mline *ln, size_t nl)
{
    for (size_t i = 0; i < nl; i++) {
        int from = ln[i].qh_next;

        if (!(ln[i].fl & L_QH) || from >= QH_NWORDS)
            continue;
        for (size_t j = i + 1; j < nl && j <= i + 2; j++) {
            struct mline *t = &ln[j];
            size_t a;

            if (t->b == t->e || t->fl & L_RULE)
                continue;
            a = qh_tail(pg, t->b, t->le, from);
            /* A tail of one word ("NAM") could also end a name ("TỈNH HÀ
             * NAM"): it is cut only from the very next line, the motto's
             * own row ("TỈNH NAM ĐỊNH NAM", "NAM"), and after HÀ, QUẢNG or
             * MIỀN only when doubled ("TỈNH HÀ NAM NAM"). */
            if (a != NOPOS && from == QH_NWORDS - 1) {
                static const char *const names[] = {"ha", "quang", "mien", NULL};
                size_t wb, we;

                if (j != i + 1 ||
                    (word_before(pg, t->b, a, &wb, &we) && starts_with_any(pg, wb, we, names)))
                    a = NOPOS;
            }
            if (a == NOPOS) {
                if (from == QH_NWORDS - 1)
                    break;
                continue;
            }
            t->le = a;
            while (t->le > t->b && (is_blank(pg->cp[t->le - 1]) || pg->cp[t->le - 1] == '_'))
                t->le--;
            break;
        }
    }
}

/* End of the first gap-separated cell starting at b (before e). */
static size_t cell_end(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++)
        if (pg->fc[i] == GAP)
            return i;
    return e;
}

/* Start of the last gap-separated cell of [b, e). */
static size_t last_cell(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = e; i > b; i--)
        if (pg->fc[i - 1] == GAP)
            return i;
    return b;
}

/* ------------------------------------------------------------------ */
/* Output strings */

struct sbuf {
    char s[TEXT_META_FIELD_MAX];
    size_t n;
    int cut; /* something was left out at the cap (see sb_fit()) */
};

static void sb_reset(struct sbuf *sb)
{
    sb->n = 0;
    sb->s[0] = '\0';
    sb->cut = 0;
}

/* Append one code point; silently stops at the cap (on a whole character). */
static void sb_cp(struct sbuf *sb, int32_t c)
{
    char u[4];
    size_t k = text__encode_cp(c, u);

    if (sb->n + k + 1 > sizeof(sb->s)) {
        sb->cut = 1;
        return;
    }
    memcpy(sb->s + sb->n, u, k);
    sb->n += k;
    sb->s[sb->n] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
    size_t k = strlen(s);

    /* Cut at a character boundary when the cap is reached. */
    if (sb->n + k + 1 > sizeof(sb->s)) {
        k = sizeof(sb->s) - 1 - sb->n;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        sb->cut = 1;
    }
    memcpy(sb->s + sb->n, s, k);
    sb->n += k;
    sb->s[sb->n] = '\0';
}

/* Characters trimmed off both ends of an extracted value. */
static int is_trim(int32_t c)
{
    return is_blank(c) || c == '|' || c == '_' || c == '=' || c == '*' || c == ';' ||
           c == ',' || c == ':' || c == 0x2026;
}

/* Append cp[b, e) trimmed, gaps as single spaces; a space first when sb is
 * not empty (joining lines). */
static void sb_span(struct sbuf *sb, const struct mpage *pg, size_t b, size_t e)
{
    while (b < e && (is_trim(pg->cp[b]) || pg->cp[b] == '-' || pg->cp[b] == '.'))
        b++;
    while (e > b && (is_trim(pg->cp[e - 1]) || pg->cp[e - 1] == '-'))
        e--;
    if (b >= e)
        return;
    if (sb->n > 0)
        sb_cp(sb, ' ');
    for (size_t i = b; i < e; i++)
        sb_cp(sb, pg->cp[i] == GAP ? ' ' : pg->cp[i]);
}

/* fold() of a short UTF-8 string into out (which has room for cap bytes). */
static void fold_str(const char *s, char *out, size_t cap)
{
    size_t k = 0, n = strlen(s);

    for (size_t i = 0; i < n;) {
        int32_t c;
        char u[4];
        size_t w;

        i += text__decode_lossy(s + i, n - i, &c);
        w = text__encode_cp(fold_cp(c), u);
        if (k + w + 1 > cap)
            break;
        memcpy(out + k, u, w);
        k += w;
    }
    out[k] = '\0';
}

/* ------------------------------------------------------------------ */
/* Document types (F2) and type codes (F1) */

enum { DT_QPPL = 1 };

struct dtype {
    const char *fold; /* folded name, NULL for code-only entries */
    const char *name; /* Phụ lục III spelling */
    const char *code; /* NULL: công văn and thư công have none */
    unsigned fl;
};

static const struct dtype dtypes[] = {
    {"nghi quyet", "Nghị quyết", "NQ", 0},
    {"quyet dinh", "Quyết định", "QĐ", 0},
    {"chi thi", "Chỉ thị", "CT", 0},
    {"quy che", "Quy chế", "QC", 0},
    {"quy dinh", "Quy định", "QyĐ", 0},
    {"thong cao", "Thông cáo", "TC", 0},
    {"thong bao", "Thông báo", "TB", 0},
    {"huong dan", "Hướng dẫn", "HD", 0},
    {"chuong trinh", "Chương trình", "CTr", 0},
    {"ke hoach", "Kế hoạch", "KH", 0},
    {"phuong an", "Phương án", "PA", 0},
    {"de an", "Đề án", "ĐA", 0},
    {"du an", "Dự án", "DA", 0},
    {"bao cao", "Báo cáo", "BC", 0},
    {"bien ban", "Biên bản", "BB", 0},
    {"to trinh", "Tờ trình", "TTr", 0},
    {"hop dong", "Hợp đồng", "HĐ", 0},
    {"cong dien", "Công điện", "CĐ", 0},
    {"ban ghi nho", "Bản ghi nhớ", "BGN", 0},
    {"ban thoa thuan", "Bản thỏa thuận", "BTT", 0},
    {"giay uy quyen", "Giấy uỷ quyền", "GUQ", 0},
    {"giay moi", "Giấy mời", "GM", 0},
    {"giay gioi thieu", "Giấy giới thiệu", "GGT", 0},
    {"giay nghi phep", "Giấy nghỉ phép", "GNP", 0},
    {"phieu gui", "Phiếu gửi", "PG", 0},
    {"phieu chuyen", "Phiếu chuyển", "PC", 0},
    {"phieu bao", "Phiếu báo", "PB", 0},
    {"thu cong", "Thư công", NULL, 0},
    {"cong van", "Công văn", NULL, 0},
    /* Legal normative documents: their codes count only in a number that
     * carries a year ("30/2020/NĐ-CP"). */
    {"nghi dinh", "Nghị định", "NĐ", DT_QPPL},
    {"thong tu", "Thông tư", "TT", DT_QPPL},
    {"thong tu lien tich", "Thông tư liên tịch", "TTLT", DT_QPPL},
    /* Copies: code only. */
    {NULL, "Bản sao y", "SY", 0},
    {NULL, "Bản trích sao", "TrS", 0},
    {NULL, "Bản sao lục", "SL", 0},
};

#define NDTYPES (sizeof(dtypes) / sizeof(dtypes[0]))

static const struct dtype *dtype_cong_van(void)
{
    for (size_t i = 0; i < NDTYPES; i++)
        if (dtypes[i].fold != NULL && strcmp(dtypes[i].fold, "cong van") == 0)
            return &dtypes[i];
    VT_BUG("no công văn in the type table");
}

static const struct dtype *dtype_by_code(const char *code, int qppl)
{
    for (size_t i = 0; i < NDTYPES; i++)
        if (dtypes[i].code != NULL && strcmp(dtypes[i].code, code) == 0 &&
            (qppl || !(dtypes[i].fl & DT_QPPL)))
            return &dtypes[i];
    return NULL;
}

/* F2: is line l a type line?  Its fold, reduced to letters, must equal a
 * type name, or be one edit away from a single name of 8+ letters. */
static const struct dtype *type_line(const struct mpage *pg, const struct mline *l, int *conf)
{
    char got[32], want[32];
    const struct dtype *near = NULL;
    size_t e = l->e;
    int nnear = 0, k;

    while (e > l->b && (is_blank(pg->cp[e - 1]) || pg->cp[e - 1] == '.' || pg->cp[e - 1] == '*'))
        e--;
    if (e == l->b || pg->cp[e - 1] == ':' || l->fl & (L_RULE | L_QH | L_TN))
        return NULL;
    if (l->nletters < 4 || l->nletters > 24 || !span_upper(pg, l->b, e))
        return NULL;
    k = span_letters(pg, l->b, e, got, sizeof(got), 1);
    if (k < 4)
        return NULL;
    for (size_t i = 0; i < NDTYPES; i++) {
        const char *f = dtypes[i].fold;
        size_t w = 0;

        if (f == NULL)
            continue;
        for (; *f; f++)
            if (*f != ' ')
                want[w++] = *f;
        want[w] = '\0';
        if (strcmp(got, want) == 0) {
            *conf = 95;
            return &dtypes[i];
        }
        if (w >= 8 && edit_distance(got, want) == 1) {
            near = &dtypes[i];
            nnear++;
        }
    }
    if (nnear == 1) {
        *conf = 75;
        return near;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* F1: number and symbol */

struct numparse {
    size_t b, e;   /* the match, label included */
    int label;     /* a "Số" label was read */
    int repaired;  /* a damaged label or letters read as digits */
    int party;     /* "36-HD/VPTW" */
    int num;       /* -1: blank */
    char numtext[8];
    int year;      /* 0: none */
    int nseg;      /* admin: segments; party: 2 (type, organ) */
    char seg[SEG_MAX][SEG_BYTES];
};

/* Whole-segment OCR fixes and canonical case (F1 step 3).  HD/HĐ and
 * DA/ĐA are never swapped: the type line decides those. */
static void seg_fix(char *seg)
{
    static const char *const fix[][2] = {
        {"QD", "QĐ"}, {"ND", "NĐ"}, {"CD", "CĐ"}, {"HDND", "HĐND"}, {"UBNĐ", "UBND"},
        {"TTR", "TTr"}, {"CTR", "CTr"}, {"QYĐ", "QyĐ"}, {"TRS", "TrS"},
    };

    for (size_t i = 0; i < sizeof(fix) / sizeof(fix[0]); i++)
        if (strcmp(seg, fix[i][0]) == 0) {
            strcpy(seg, fix[i][1]);
            return;
        }
}

/* A digit, or a letter OCR confuses with one (O/o -> 0, I/l/| -> 1);
 * returns the digit or -1. */
static int ocr_digit(int32_t c, int *repaired)
{
    if (is_digit(c))
        return c - '0';
    if (c == 'O' || c == 'o') {
        *repaired = 1;
        return 0;
    }
    if (c == 'I' || c == 'l' || c == '|') {
        *repaired = 1;
        return 1;
    }
    return -1;
}

/* Read a SEG ([\p{Lu}][\p{L}\d&]{0,11}) at i into out; returns its end. */
static size_t seg_at(const struct mpage *pg, size_t i, size_t e, char *out)
{
    struct sbuf sb;
    size_t j = i;

    if (i >= e || !is_upper(pg->cp[i]))
        return NOPOS;
    sb_reset(&sb);
    while (j < e && (is_letter(pg->cp[j]) || is_digit(pg->cp[j]) || pg->cp[j] == '&')) {
        if (j - i >= SEG_CPS)
            return NOPOS;
        sb_cp(&sb, pg->cp[j]);
        j++;
    }
    memcpy(out, sb.s, sb.n + 1);
    return j;
}

/* The "Số" label (spec LABEL) at i; returns the position after it or NOPOS. */
static size_t label_at(const struct mpage *pg, size_t i, size_t e, int *repaired)
{
    int32_t o;

    i = skip_nonword(pg, i, e);
    if (i >= e || pg->fc[i] != 's')
        return NOPOS;
    i++;
    if (i < e && pg->fc[i] == ' ')
        i++;
    if (i >= e)
        return NOPOS;
    o = pg->fc[i];
    if (o != 'o' && o != '0' && o != '6')
        return NOPOS;
    if (i + 1 < e && is_letter(pg->fc[i + 1]))
        return NOPOS;
    if (pg->cp[i] != 0x1ED1 && pg->cp[i] != 0x1ED0) /* ố Ố */
        *repaired = 1;
    i = skip_blanks(pg, i + 1, e);
    if (i < e && (pg->fc[i] == ':' || pg->fc[i] == ';' || pg->fc[i] == '.' || pg->fc[i] == ','))
        i = skip_blanks(pg, i + 1, e);
    return i;
}

/* PARTY at i: digits, '-', a type of up to 5 letters, '/', ORG(-ORG). */
static int party_at(const struct mpage *pg, size_t i, size_t e, struct numparse *np)
{
    size_t j = i, k;
    int v = 0;
    struct sbuf sb;

    while (j < e && is_digit(pg->cp[j]) && j - i < 5)
        v = v * 10 + (pg->cp[j++] - '0');
    if (j == i || (j < e && is_digit(pg->cp[j])))
        return 0;
    snprintf(np->numtext, sizeof(np->numtext), "%.*d", (int)(j - i), v);
    j = skip_blanks(pg, j, e);
    if (j >= e || pg->cp[j] != '-')
        return 0;
    j = skip_blanks(pg, j + 1, e);
    if (j >= e || !is_upper(pg->cp[j]))
        return 0;
    sb_reset(&sb);
    for (k = j; k < e && is_letter(pg->cp[k]) && k - j < 5; k++)
        sb_cp(&sb, pg->cp[k]);
    if (k < e && is_alnum(pg->cp[k]))
        return 0;
    memcpy(np->seg[0], sb.s, sb.n + 1);
    j = skip_blanks(pg, k, e);
    if (j >= e || pg->cp[j] != '/')
        return 0;
    j = skip_blanks(pg, j + 1, e);
    /* ORG = \p{Lu}[\p{Lu}\d]{1,10}(-[\p{Lu}\d]{1,10})? */
    if (j >= e || !is_upper(pg->cp[j]))
        return 0;
    sb_reset(&sb);
    for (k = j; j < e && (is_upper(pg->cp[j]) || is_digit(pg->cp[j])) && j - k < 11; j++)
        sb_cp(&sb, pg->cp[j]);
    if (j - k < 2 || (j < e && is_alnum(pg->cp[j])))
        return 0;
    if (j + 1 < e && pg->cp[j] == '-' && (is_upper(pg->cp[j + 1]) || is_digit(pg->cp[j + 1]))) {
        sb_cp(&sb, '-');
        for (k = ++j; j < e && (is_upper(pg->cp[j]) || is_digit(pg->cp[j])) && j - k < 10; j++)
            sb_cp(&sb, pg->cp[j]);
        if (j < e && is_alnum(pg->cp[j]))
            return 0;
    }
    memcpy(np->seg[1], sb.s, sb.n + 1);
    np->nseg = 2;
    np->num = v;
    np->party = 1;
    np->e = j;
    return 1;
}

/* ADMIN at i: [num] '/' [year ('/' or '-')] SEG ('-' SEG){0,4}, blanks
 * allowed around the separators. */
static int admin_at(const struct mpage *pg, size_t i, size_t e, struct numparse *np)
{
    size_t j = i;
    int v = 0, nd = 0, real = 0, rep = 0;

    while (j < e && nd < 6) {
        int d = ocr_digit(pg->cp[j], &rep);

        if (d < 0)
            break;
        real += is_digit(pg->cp[j]);
        if (nd < (int)sizeof(np->numtext) - 1)
            np->numtext[nd] = (char)('0' + d);
        v = v * 10 + d;
        nd++;
        j++;
    }
    if (nd > 5 || (j < e && is_letter(pg->cp[j])))
        return 0;
    np->numtext[nd] = '\0';
    if (nd > 0 && real == 0)
        return 0; /* "Số: lO/..." reads nothing for sure */
    if (nd == 0) {
        /* A blank number: spaces, dots or an ellipsis before the slash. */
        while (j < e && (is_blank(pg->cp[j]) || pg->cp[j] == '.' || pg->cp[j] == '_' ||
                         pg->cp[j] == 0x2026))
            j++;
    }
    j = skip_blanks(pg, j, e);
    if (j >= e || pg->cp[j] != '/')
        return 0;
    j = skip_blanks(pg, j + 1, e);
    /* The year of a QPPL number. */
    if (j + 4 < e && (pg->cp[j] == '1' || pg->cp[j] == '2')) {
        int yr = 0, ok = 1, r2 = 0;

        for (size_t k = j; k < j + 4; k++) {
            int d = ocr_digit(pg->cp[k], &r2);

            if (d < 0 || (k < j + 2 && !is_digit(pg->cp[k])))
                ok = 0;
            yr = yr * 10 + (d < 0 ? 0 : d);
        }
        if (ok && (yr / 100 == 19 || yr / 100 == 20) && !is_alnum(pg->cp[j + 4])) {
            size_t k = skip_blanks(pg, j + 4, e);

            if (k < e && (pg->cp[k] == '/' || pg->cp[k] == '-')) {
                k = skip_blanks(pg, k + 1, e);
                if (k < e && is_upper(pg->cp[k])) {
                    np->year = yr;
                    rep |= r2;
                    j = k;
                }
            }
        }
    }
    np->nseg = 0;
    for (;;) {
        size_t k = seg_at(pg, j, e, np->seg[np->nseg]);

        if (k == NOPOS)
            return 0;
        seg_fix(np->seg[np->nseg]);
        np->nseg++;
        j = k;
        k = skip_blanks(pg, j, e);
        if (np->nseg < SEG_MAX && k < e && pg->cp[k] == '-') {
            size_t s = skip_blanks(pg, k + 1, e);

            if (s < e && is_upper(pg->cp[s])) {
                j = s;
                continue;
            }
        }
        break;
    }
    /* "123/HD/NN": an extra slash is damage we cannot undo. */
    if (j < e && (pg->cp[j] == '/' || is_alnum(pg->cp[j])))
        return 0;
    /* A type code with no agency after it ("27/QĐ") is no symbol. */
    if (np->nseg == 1 && dtype_by_code(np->seg[0], 1) != NULL)
        return 0;
    np->num = nd > 0 ? v : -1;
    np->repaired |= rep;
    np->e = j;
    return 1;
}

/* F1 at the start of line l. */
static int parse_number(const struct mpage *pg, const struct mline *l, struct numparse *np)
{
    size_t b = l->b, e = l->e, j;

    memset(np, 0, sizeof(*np));
    np->b = b;
    np->num = -1;
    j = label_at(pg, b, e, &np->repaired);
    if (j != NOPOS) {
        np->label = 1;
        if (party_at(pg, j, e, np) || admin_at(pg, j, e, np))
            return 1;
        return 0;
    }
    /* Unlabelled, only the party style alone in its cell. */
    np->repaired = 0;
    j = skip_nonword(pg, b, e);
    if (party_at(pg, j, e, np) && (np->e == e || pg->cp[np->e] == GAP))
        return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* F4: place and date */

struct dateparse {
    int y, m, d;     /* d 0: blank day */
    int repaired;
    size_t sep;      /* the separator before "ngày", or NOPOS */
    size_t pb, pe;   /* the place, or pb == NOPOS */
    size_t cb;       /* start of the place and date (where a merged line is cut) */
    size_t e;        /* end of the match */
};

/* [0-9oil]{min,max} followed by no letter or digit. */
static size_t num_at(const struct mpage *pg, size_t i, size_t e, int min, int max, int *val,
                     int *rep)
{
    int v = 0, n = 0, r = 0;

    while (i < e && n < max) {
        int32_t f = pg->fc[i];
        int d = is_digit(f) ? f - '0' : f == 'o' ? 0 : (f == 'i' || f == 'l') ? 1 : -1;

        if (d < 0)
            break;
        r |= !is_digit(f);
        v = v * 10 + d;
        n++;
        i++;
    }
    if (n < min || (i < e && is_alnum(pg->fc[i])))
        return NOPOS;
    *val = v;
    *rep |= r;
    return i;
}

/* "x.?y" where x and y are ASCII literals: fold of ngày, tháng, năm with one
 * damaged vowel allowed. */
static size_t key_at(const struct mpage *pg, size_t i, size_t e, const char *a, const char *z)
{
    size_t j = lit_at(pg, i, e, a), k;

    if (j == NOPOS)
        return NOPOS;
    k = word_at(pg, j, e, z);
    if (k == NOPOS && j < e && is_letter(pg->fc[j]))
        k = word_at(pg, j + 1, e, z);
    return k;
}

/* "ngày d tháng m năm y" at i (the day may be blank). */
static int date_at(const struct mpage *pg, size_t i, size_t e, struct dateparse *dp)
{
    size_t j = key_at(pg, i, e, "ng", "y"), k;

    if (j == NOPOS)
        return 0;
    j = skip_blanks(pg, j, e);
    k = num_at(pg, j, e, 1, 2, &dp->d, &dp->repaired);
    if (k != NOPOS)
        j = k;
    else
        dp->d = 0;
    while (j < e && (is_blank(pg->fc[j]) || pg->fc[j] == '.' || pg->fc[j] == '_' ||
                     pg->fc[j] == '-' || pg->fc[j] == 0x2026))
        j++;
    j = key_at(pg, j, e, "th", "ng");
    if (j == NOPOS)
        return 0;
    j = num_at(pg, skip_blanks(pg, j, e), e, 1, 2, &dp->m, &dp->repaired);
    if (j == NOPOS)
        return 0;
    j = key_at(pg, skip_blanks(pg, j, e), e, "n", "m");
    if (j == NOPOS)
        return 0;
    j = num_at(pg, skip_blanks(pg, j, e), e, 4, 4, &dp->y, &dp->repaired);
    if (j == NOPOS)
        return 0;
    dp->e = j;
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int date_valid(int y, int m, int d, int ymax)
{
    return y >= 1945 && y <= ymax && m >= 1 && m <= 12 && d >= 0 && d <= days_in_month(y, m);
}

/* The place of a place/date line merged after other text (mid): the run of
 * one to four capitalised words that ends at sep ("... và nộp Thái Bình,"),
 * with a "phố"/"xã"/"trấn" after a capital ("Thành phố Hồ Chí Minh").  The
 * word before the run must not be capitalised (the run would be longer).
 * Returns its start or NOPOS. */
static size_t mid_place(const struct mpage *pg, size_t b, size_t sep)
{
    static const char *const lowers[] = {"pho", "xa", "tran", NULL};
    size_t p = sep, wb, we, start = NOPOS;
    unsigned n = 0;

    while (word_before(pg, b, p, &wb, &we)) {
        int up = is_upper(pg->cp[wb]);

        if (!up && start != NOPOS && starts_with_any(pg, wb, we, lowers) &&
            word_before(pg, b, wb, &p, &we) && is_upper(pg->cp[p])) {
            p = wb;
            continue;
        }
        if (!up || !is_letter(pg->cp[wb]))
            return n > 0 && is_lower(pg->cp[wb]) ? start : NOPOS;
        if (++n > 4)
            return NOPOS;
        start = wb;
        p = wb;
    }
    return NOPOS;
}

/* F4 on [from, e) of one line: "<place>, ngày d tháng m năm y".  The place
 * is at most six words between from (or the last gap) and the separator,
 * starting at the first capitalised word; more words mean prose, and the
 * line is refused, unless mid is set (a header line, where OCR merges the
 * right column's place and date into the left column's V/v lines): then
 * the place is the run of capitalised words before the separator. */
static int find_dateline(const struct mpage *pg, size_t from, size_t e, int ymax, int mid,
                         struct dateparse *dp)
{
    for (size_t p = from; p < e; p++) {
        int32_t f = pg->fc[p];
        size_t q, pb, t;
        unsigned nw;

        if (p == from && date_at(pg, p, e, dp)) {
            q = p;
            dp->sep = NOPOS;
        } else if ((f == ',' || f == '.' || f == ';') && (q = skip_blanks(pg, p + 1, e)) < e &&
                   date_at(pg, q, e, dp)) {
            dp->sep = p;
        } else {
            continue;
        }
        if (!date_valid(dp->y, dp->m, dp->d, ymax))
            return 0;
        dp->pb = NOPOS;
        dp->cb = q;
        if (dp->sep == NOPOS)
            return 1;
        dp->cb = dp->sep;
        pb = last_cell(pg, from, dp->sep);
        nw = span_words(pg, pb, dp->sep);
        if (nw > 6) {
            if (!mid || (t = mid_place(pg, pb, dp->sep)) == NOPOS)
                return 0;
            dp->pb = dp->cb = t;
            dp->pe = dp->sep;
            return 1;
        }
        /* A place is words: skip past anything with a digit, a slash or a
         * colon (a number we could not read, a label). */
        for (t = pb; t < dp->sep; t++)
            if (is_digit(pg->cp[t]) || pg->cp[t] == '/' || pg->cp[t] == ':' || pg->cp[t] == ';') {
                while (t < dp->sep && !is_blank(pg->cp[t]))
                    t++;
                pb = t;
            }
        for (t = pb; t < dp->sep; t++)
            if ((t == pb || is_blank(pg->fc[t - 1])) && is_upper(pg->cp[t]))
                break;
        if (t < dp->sep) {
            dp->pb = dp->cb = t;
            dp->pe = dp->sep;
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* F7: stamps */

struct mark {
    int field; /* TEXT_META_SECRECY, _URGENCY, _SCOPE */
    const char *exact;
    const char *canon;
    const char *fold; /* folded form accepted on lines of <= 2 words, or NULL */
};

static const struct mark marks[] = {
    {TEXT_META_SECRECY, "TUYỆT MẬT", "TUYỆT MẬT", "tuyet mat"},
    {TEXT_META_SECRECY, "TỐI MẬT", "TỐI MẬT", "toi mat"},
    {TEXT_META_SECRECY, "MẬT", "MẬT", "mat"},
    {TEXT_META_URGENCY, "HỎA TỐC HẸN GIỜ", "HỎA TỐC HẸN GIỜ", NULL},
    {TEXT_META_URGENCY, "HOẢ TỐC HẸN GIỜ", "HỎA TỐC HẸN GIỜ", NULL},
    {TEXT_META_URGENCY, "HỎA TỐC", "HỎA TỐC", "hoa toc"},
    {TEXT_META_URGENCY, "HOẢ TỐC", "HỎA TỐC", NULL},
    {TEXT_META_URGENCY, "THƯỢNG KHẨN", "THƯỢNG KHẨN", "thuong khan"},
    {TEXT_META_URGENCY, "KHẨN", "KHẨN", "khan"},
    {TEXT_META_SCOPE, "LƯU HÀNH NỘI BỘ", "LƯU HÀNH NỘI BỘ", NULL},
    {TEXT_META_SCOPE, "XEM XONG TRẢ LẠI", "XEM XONG TRẢ LẠI", NULL},
};

/* The stamp that cell [b, e) is, or NULL.  Its letters (frame characters
 * dropped) must equal a stamp text, all in capitals; the folded form is
 * enough only for cells of at most two words. */
static const struct mark *mark_cell(const struct mpage *pg, size_t b, size_t e, int *conf)
{
    struct sbuf sb;
    char f[40];
    unsigned words = 0;
    int sep = 0;

    sb_reset(&sb);
    for (size_t i = b; i < e; i++) {
        int32_t c = pg->cp[i];

        if (!is_letter(c)) {
            sep = sb.n > 0;
            continue;
        }
        if (!is_upper(c))
            return NULL;
        if (sep || sb.n == 0)
            words++;
        if (sep)
            sb_cp(&sb, ' ');
        sep = 0;
        sb_cp(&sb, c);
        if (sb.n > 40)
            return NULL;
    }
    if (words == 0 || words > 4)
        return NULL;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strcmp(sb.s, marks[i].exact) == 0) {
            *conf = 90;
            return &marks[i];
        }
    if (words > 2 || span_letters(pg, b, e, f, sizeof(f), 0) < 0)
        return NULL;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (marks[i].fold != NULL && strcmp(f, marks[i].fold) == 0) {
            *conf = 60;
            return &marks[i];
        }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* F6: signer */

/* Titles that sign without an authority prefix, and that start a title in
 * a "Nơi nhận" line merged with the signature column. */
static const char *const titles[] = {
    "chu tich", "pho chu tich", "giam doc", "pho giam doc", "tong giam doc",
    "pho tong giam doc", "chanh van phong", "pho chanh van phong", "truong phong",
    "pho truong phong", "bi thu", "pho bi thu", "bo truong", "thu truong", "thu tuong",
    "pho thu tuong", "cuc truong", "pho cuc truong", "vu truong", "pho vu truong",
    "tong cuc truong", "chanh thanh tra", "pho chanh thanh tra", "hieu truong",
    "pho hieu truong", "truong ban", "pho truong ban", "chu nhiem", "pho chu nhiem",
    "vien truong", "pho vien truong", "chanh an", "pho chanh an", "chu toa", "chu tri",
    "thu truong co quan", "truong khoa", "giam doc so", NULL,
};

static int title_exact(const struct mpage *pg, size_t b, size_t e)
{
    char f[48];

    if (span_letters(pg, b, e, f, sizeof(f), 0) < 0)
        return 0;
    for (size_t i = 0; titles[i] != NULL; i++)
        if (strcmp(f, titles[i]) == 0)
            return 1;
    return 0;
}

/* The authority line of F6: "TM. / KT. / TL. / TUQ. / Q. <CAPITALS>", or a
 * bare known title.  *restp gets the start of the words after the prefix
 * (b for a bare title). */
static int authority_at(const struct mpage *pg, size_t b, size_t e, size_t *restp)
{
    static const char *const pre[] = {"tuq", "tm", "kt", "tl", "q", NULL};

    b = skip_blanks(pg, b, e);
    if (b >= e || !span_upper(pg, b, e))
        return 0;
    for (size_t i = 0; pre[i] != NULL; i++) {
        size_t j = lit_at(pg, b, e, pre[i]), r;

        if (j == NOPOS || (j < e && is_letter(pg->fc[j])))
            continue;
        r = skip_blanks(pg, j, e);
        if (r < e && (pg->fc[r] == '.' || pg->fc[r] == ','))
            r = skip_blanks(pg, r + 1, e);
        else if (r == j || pre[i][1] == '\0')
            continue; /* "Q" needs its dot; the others at least a space */
        if (r >= e || !is_upper(pg->cp[r]) || !span_upper(pg, r, e))
            continue;
        if (pre[i][1] == '\0' && !title_exact(pg, r, e))
            continue; /* "Q." only before a known title */
        *restp = r;
        return 1;
    }
    if (title_exact(pg, b, e)) {
        *restp = b;
        return 1;
    }
    return 0;
}

/* F6 name: 2 to 5 words, each a capital then lower-case letters. */
static int is_name(const struct mpage *pg, size_t b, size_t e)
{
    unsigned words = 0;
    size_t i = b;

    while (i < e) {
        if (!is_upper(pg->cp[i]))
            return 0;
        i++;
        if (i >= e || !is_lower(pg->cp[i]))
            return 0;
        while (i < e && is_lower(pg->cp[i]))
            i++;
        words++;
        if (i < e) {
            if (pg->fc[i] != ' ')
                return 0;
            i++;
        }
    }
    return words >= 2 && words <= 5;
}

/* "(Đã ký)", "(Ký tên, đóng dấu)", "(Chữ ký ...)": notes between title and
 * name. */
static int is_sign_note(const struct mpage *pg, size_t b, size_t e)
{
    static const char *const notes[] = {"da ky", "ky ten", "ky", "chu ky", "ky va ghi ro",
                                        "ky so", "dau", "dong dau", NULL};

    return starts_with_any(pg, b, e, notes);
}

static int is_list_line(const struct mpage *pg, size_t b, size_t e)
{
    static const char *const nn[] = {"noi nhan", NULL};
    int32_t c = b < e ? pg->cp[b] : 0;

    return c == '-' || c == '+' || c == '*' || c == 0x2022 || starts_with_any(pg, b, e, nn);
}

/* The part of line l that belongs to the signature column: the last
 * gap-separated cell; for a "Nơi nhận" list line without gaps, the suffix
 * after a separator that reads as an authority, a title, a name or a note.
 * Returns 0 when the line has nothing for the signature column. */
static int sig_cell(const struct mpage *pg, const struct mline *l, size_t *cb, size_t *ce)
{
    size_t b = last_cell(pg, l->b, l->e), r;

    *ce = l->e;
    if (b > l->b || !is_list_line(pg, l->b, l->e)) {
        *cb = b;
        return b < l->e;
    }
    for (size_t i = l->b + 1; i < l->e; i++) {
        int32_t c = pg->cp[i - 1];

        if (!is_blank(pg->cp[i]) || !(c == ';' || c == ':' || c == '.' || c == ','))
            continue;
        b = skip_blanks(pg, i, l->e);
        if (b >= l->e)
            break;
        if (authority_at(pg, b, l->e, &r) || is_name(pg, b, l->e) ||
            is_sign_note(pg, b, l->e)) {
            *cb = b;
            return 1;
        }
        if (span_upper(pg, b, l->e)) {
            for (size_t t = 0; titles[t] != NULL; t++)
                if (word_at(pg, b, l->e, titles[t]) != NOPOS) {
                    *cb = b;
                    return 1;
                }
        }
    }
    return 0;
}

struct signer {
    struct sbuf title;
    struct sbuf name;
};

/* F6 on page pg: the last authority line followed by a name. */
static int find_signer(const struct mpage *pg, struct signer *out)
{
    int found = 0;

    for (size_t i = 0; i < pg->nl; i++) {
        const struct mline *l = &pg->ln[i];
        struct signer cur;
        size_t cb, ce, r, j, seen;
        unsigned ntitle = 0;

        if (l->b == l->e || !sig_cell(pg, l, &cb, &ce) || !authority_at(pg, cb, ce, &r))
            continue;
        sb_reset(&cur.title);
        sb_reset(&cur.name);
        if (r > cb) {
            /* "KT.CHỦ TỊCH" -> "KT. CHỦ TỊCH" */
            size_t d = cb;

            while (d < r && is_letter(pg->cp[d]))
                sb_cp(&cur.title, pg->cp[d++]);
            sb_str(&cur.title, ".");
            sb_span(&cur.title, pg, r, ce);
        } else {
            sb_span(&cur.title, pg, cb, ce);
        }
        /* Up to two more title lines: "PHÓ CHỦ TỊCH". */
        for (j = i + 1; j < pg->nl && ntitle < 2; j++) {
            const struct mline *t = &pg->ln[j];

            if (t->b == t->e || !sig_cell(pg, t, &cb, &ce))
                break;
            if (is_name(pg, cb, ce) || is_sign_note(pg, cb, ce) || !span_upper(pg, cb, ce))
                break;
            sb_str(&cur.title, " /");
            sb_span(&cur.title, pg, cb, ce);
            ntitle++;
        }
        /* The name: the first name-like line among the next eight. */
        for (seen = 0; j < pg->nl && seen < 8; j++) {
            const struct mline *t = &pg->ln[j];

            if (t->b == t->e)
                continue;
            seen++;
            if (!sig_cell(pg, t, &cb, &ce))
                continue;
            if (authority_at(pg, cb, ce, &r))
                break; /* the next signature block */
            if (is_name(pg, cb, ce)) {
                sb_span(&cur.name, pg, cb, ce);
                break;
            }
        }
        if (cur.name.n > 0) {
            *out = cur;
            found = 1;
        }
        /* "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH": the lines taken as titles
         * are not authority lines of their own. */
        i += ntitle;
    }
    return found;
}

/* ------------------------------------------------------------------ */
/* Titles
 *
 * A title is shortened where a reader would shorten it: at a word
 * boundary, at the end of a sentence or clause when one falls in the last
 * third of the room, and then says so with "…".  Lengths count code
 * points, and a cut falls between grapheme clusters, so neither a UTF-8
 * sequence nor a combining mark is ever parted from its letter.
 *
 * Markdown is read only as far as a title needs: the heading a document
 * opens with (after any front matter), without its markers, and without
 * the inline syntax that would show literally (emphasis, code, links,
 * images, autolinks, tags, escapes).  The emphasis rules are CommonMark's
 * (flanking runs, the rule of three), so "snake_case_name" and "2 * 3 * 4"
 * keep their characters. */

#define ELLIPSIS "\xE2\x80\xA6" /* U+2026 */
#define MD_LINE_MAX 4096        /* longest heading line read, in bytes */

static int is_title_space(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Left out of a title: controls and a stray byte-order mark. */
static int is_title_drop(int32_t c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xFEFF;
}

/* A title being cut: its code points and their UTF-8. */
struct tline {
    int32_t *cp;
    size_t *off; /* off[k]: where cp[k] starts in u; off[n] is ulen */
    char *u;
    size_t n, ulen, cap;
};

static void tl_push(struct tline *t, int32_t c)
{
    char e[4];
    size_t k = text__encode_cp(c, e);

    if (t->n + 1 >= t->cap) {
        t->cap = t->cap > 0 ? 2 * t->cap : 64;
        t->cp = xrealloc(t->cp, t->cap * sizeof(*t->cp));
        t->off = xrealloc(t->off, (t->cap + 1) * sizeof(*t->off));
        t->u = xrealloc(t->u, 4 * t->cap);
    }
    t->cp[t->n] = c;
    t->off[t->n] = t->ulen;
    memcpy(t->u + t->ulen, e, k);
    t->ulen += k;
    t->n++;
    t->off[t->n] = t->ulen;
}

static void tl_release(struct tline *t)
{
    free(t->cp);
    free(t->off);
    free(t->u);
}

static int is_dash(int32_t c)
{
    return c == '-' || c == 0x2013 || c == 0x2014;
}

/* A cut before cp[c] (a space) ends a sentence: after '!', '?', '…', "..."
 * or a '.' that closes a word with a lower-case letter ("format.", not the
 * "TP." of "TP. Hồ Chí Minh" nor the "1." of "Điều 1."), closing quotes
 * and brackets allowed after it. */
static int sentence_end(const struct tline *t, size_t c)
{
    size_t j = c - 1, lower = 0, letters = 0;

    while (j > 0 && c - j <= 2 &&
           (t->cp[j] == ')' || t->cp[j] == ']' || t->cp[j] == '"' || t->cp[j] == '\'' ||
            t->cp[j] == 0x201D || t->cp[j] == 0x2019 || t->cp[j] == 0xBB))
        j--;
    if (t->cp[j] == '!' || t->cp[j] == '?' || t->cp[j] == 0x2026)
        return 1;
    if (t->cp[j] != '.' || j == 0)
        return 0;
    if (t->cp[j - 1] == '.')
        return 1;
    for (size_t k = j; k > 0 && t->cp[k - 1] != ' '; k--) {
        letters += is_letter(t->cp[k - 1]);
        lower += is_lower(t->cp[k - 1]);
    }
    return letters >= 2 && lower > 0;
}

/* A cut before cp[c] (a space) ends a clause: after ',', ';', ':' or a
 * dash standing between spaces ("30/2020/NĐ-CP - Về công tác văn thư"). */
static int clause_end(const struct tline *t, size_t c)
{
    int32_t p = t->cp[c - 1];

    return p == ',' || p == ';' || p == ':' || (is_dash(p) && c >= 2 && t->cp[c - 2] == ' ');
}

/* Left off the end of a shortened title, before its "…". */
static int is_cut_trim(int32_t c)
{
    return c == ' ' || c == ',' || c == ';' || c == ':' || c == '.' || is_dash(c) || c == '(' ||
           c == '[' || c == '{' || c == 0x201C || c == 0x2018 || c == 0xAB || c == '/';
}

/* text_title_fit(); more: (s, n) is itself cut off, so it counts as longer
 * than the room even when it fits, and what followed it is unknown. */
static char *title_fit(const char *s, size_t n, size_t max_chars, size_t max_bytes, int more)
{
    struct tline t;
    size_t i = 0, room_c, room_b, room, cut = 0, word = 0, sentence = 0, clause = 0;
    int space = 0;
    char *r = NULL;

    memset(&t, 0, sizeof(t));
    /* Read no more than the limits need: one character past the room
     * tells whether the cut falls before a space. */
    while (i < n) {
        int32_t c;

        i += text__decode_lossy(s + i, n - i, &c);
        if (is_title_space(c)) {
            space = t.n > 0;
            continue;
        }
        if (is_title_drop(c))
            continue;
        if (space)
            tl_push(&t, ' ');
        space = 0;
        tl_push(&t, c);
        if ((max_chars > 0 && t.n > max_chars + 1) || (max_bytes > 0 && t.ulen > max_bytes + 4))
            break;
    }
    if (t.n == 0)
        goto out;
    if (!more && (max_chars == 0 || t.n <= max_chars) && (max_bytes == 0 || t.ulen <= max_bytes)) {
        r = xstrndup(t.u, t.ulen);
        goto out;
    }

    /* Room for the text before the ellipsis (one character, three bytes). */
    room_c = max_chars > 0 ? max_chars - 1 : (size_t)-1;
    room_b = max_bytes > 0 ? (max_bytes > 3 ? max_bytes - 3 : 0) : (size_t)-1;
    for (room = 0; room < t.n && room + 1 <= room_c && t.off[room + 1] <= room_b; room++)
        ;
    /* Cuts before a space, or before the ',' ';' ':' '.' that ends a word
     * ahead of a space (the mark goes too).  A cut before cp[c] with c ==
     * t.n (all of a text that was itself cut off) is never taken: what came
     * next is unknown. */
    for (size_t c = 1; c <= room && c < t.n; c++) {
        size_t sp = c;

        if (t.cp[c] != ' ') {
            if (c + 1 >= t.n || t.cp[c + 1] != ' ' ||
                (t.cp[c] != ',' && t.cp[c] != ';' && t.cp[c] != ':' && t.cp[c] != '.'))
                continue;
            sp = c + 1;
        }
        word = c;
        if (3 * c < 2 * room)
            continue;
        if (sentence_end(&t, sp))
            sentence = c;
        else if (clause_end(&t, sp) ||
                 (sp + 2 < t.n && is_dash(t.cp[sp + 1]) && t.cp[sp + 2] == ' '))
            clause = c;
    }
    cut = sentence > 0 ? sentence : clause > 0 ? clause : word;
    if (cut == 0) {
        /* One word longer than the room: cut between two clusters. */
        utf8proc_int32_t state = 0;

        for (size_t c = 1; c <= room && c < t.n; c++)
            if (utf8proc_grapheme_break_stateful(t.cp[c - 1], t.cp[c], &state))
                cut = c;
    }
    while (cut > 0 && is_cut_trim(t.cp[cut - 1]))
        cut--;
    if (cut == 0)
        goto out;
    r = xmalloc(t.off[cut] + sizeof(ELLIPSIS));
    memcpy(r, t.u, t.off[cut]);
    /* A kept "…" already says it: "Chờ đợi…", not "Chờ đợi……". */
    strcpy(r + t.off[cut], t.cp[cut - 1] == 0x2026 ? "" : ELLIPSIS);
out:
    tl_release(&t);
    return r;
}

char *text_title_fit(const char *s, size_t n, size_t max_chars, size_t max_bytes)
{
    if (s == NULL)
        return NULL;
    return title_fit(s, n, max_chars, max_bytes, 0);
}

/* A value cut off at the sbuf cap ends at a word boundary with "…"
 * instead (the cap is the same). */
static void sb_fit(struct sbuf *sb)
{
    char *r;

    if (!sb->cut)
        return;
    r = title_fit(sb->s, sb->n, 0, sizeof(sb->s) - 1, 1);
    sb_reset(sb);
    if (r != NULL)
        sb_str(sb, r);
    free(r);
}

/* Markdown, inline */

enum { MD_DROP = 1, MD_LIT = 2 };

struct md_run {
    size_t len;  /* of the run of '*', '_' or '~', as written */
    size_t b, e; /* what is left of it: [b, e) */
    char ch;
    unsigned char open, close;
};

static int is_ascii_punct(unsigned char c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static int is_md_punct(int32_t c)
{
    if (c < 0x80)
        return is_ascii_punct((unsigned char)c);
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
        return 1;
    default:
        return 0;
    }
}

/* The code point before s[i] (' ' at the start) and at s[j] (' ' at the end). */
static int32_t md_before(const char *s, size_t i)
{
    size_t k;
    int32_t c;

    if (i == 0)
        return ' ';
    for (k = i - 1; k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4; k--)
        ;
    if (text__decode_lossy(s + k, i - k, &c) != i - k)
        return 0xFFFD;
    return c;
}

static int32_t md_at(const char *s, size_t n, size_t j)
{
    int32_t c;

    if (j >= n)
        return ' ';
    text__decode_lossy(s + j, n - j, &c);
    return c;
}

/* Index of the ']' closing the '[' at s[i], or NOPOS. */
static size_t md_bracket(const char *s, size_t n, size_t i)
{
    unsigned depth = 0;

    for (size_t j = i; j < n; j++) {
        if (s[j] == '\\' && j + 1 < n) {
            j++;
        } else if (s[j] == '[') {
            depth++;
        } else if (s[j] == ']' && --depth == 0) {
            return j;
        }
    }
    return NOPOS;
}

/* Index of the ')' closing the '(' at s[i], or NOPOS. */
static size_t md_paren(const char *s, size_t n, size_t i)
{
    unsigned depth = 0;

    for (size_t j = i; j < n; j++) {
        if (s[j] == '\\' && j + 1 < n) {
            j++;
        } else if (s[j] == '<' && j == i + 1) {
            /* <destination with spaces or parentheses> */
            while (j < n && s[j] != '>')
                j++;
        } else if (s[j] == '(') {
            depth++;
        } else if (s[j] == ')' && --depth == 0) {
            return j;
        }
    }
    return NOPOS;
}

/* Length of the autolink "<scheme:...>" or tag "<b>", "</span>",
 * "<img src=x/>" at s[i], or 0.  *keep: the autolink's URL stays. */
static size_t md_angle(const char *s, size_t n, size_t i, int *keep)
{
    size_t j = i + 1, k;

    *keep = 0;
    k = j;
    while (k < n && k - j < 32 &&
           ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
            (k > j && ((s[k] >= '0' && s[k] <= '9') || s[k] == '+' || s[k] == '.' || s[k] == '-'))))
        k++;
    if (k - j >= 2 && k < n && s[k] == ':') {
        while (k < n && s[k] != '>' && s[k] != '<' && s[k] != ' ')
            k++;
        if (k < n && s[k] == '>') {
            *keep = 1;
            return k + 1 - i;
        }
        return 0;
    }
    if (j < n && s[j] == '/')
        j++;
    k = j;
    while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                     (k > j && ((s[k] >= '0' && s[k] <= '9') || s[k] == '-'))))
        k++;
    if (k == j || k >= n)
        return 0;
    if (s[k] == ' ' || s[k] == '\t') {
        while (k < n && s[k] != '>' && s[k] != '<')
            k++;
    } else if (s[k] == '/') {
        k++;
    }
    return k < n && s[k] == '>' ? k + 1 - i : 0;
}

static void md_mark(unsigned char *fl, size_t b, size_t e, unsigned char f)
{
    for (size_t k = b; k < e; k++)
        fl[k] |= f;
}

/* CommonMark's "process emphasis" over the runs, marking the delimiters
 * that pair up as dropped. */
static void md_emphasis(struct md_run *run, size_t nrun, unsigned char *fl)
{
    size_t *stack = xmalloc((nrun + 1) * sizeof(*stack)), top = 0;

    for (size_t r = 0; r < nrun; r++) {
        struct md_run *cl = &run[r];

        while (cl->close && cl->e > cl->b) {
            size_t s = top, k;
            struct md_run *op = NULL;

            while (s > 0) {
                struct md_run *o = &run[stack[s - 1]];

                if (o->ch == cl->ch && o->e > o->b &&
                    (cl->ch != '~' || (o->len == 2 && cl->len == 2)) &&
                    !((o->close || cl->open) && (o->len + cl->len) % 3 == 0 &&
                      !(o->len % 3 == 0 && cl->len % 3 == 0))) {
                    op = o;
                    break;
                }
                s--;
            }
            if (op == NULL)
                break;
            k = op->e - op->b >= 2 && cl->e - cl->b >= 2 ? 2 : 1;
            md_mark(fl, op->e - k, op->e, MD_DROP);
            md_mark(fl, cl->b, cl->b + k, MD_DROP);
            op->e -= k;
            cl->b += k;
            top = op->e > op->b ? s : s - 1;
        }
        if (cl->open && cl->e > cl->b)
            stack[top++] = r;
    }
    free(stack);
}

/* Append (s, n), one line of Markdown inline content, to out without its
 * syntax: "**Nghị định** [30/2020](url) `NĐ-CP`" -> "Nghị định 30/2020
 * NĐ-CP".  n is at most MD_LINE_MAX. */
static void md_inline(const char *s, size_t n, struct buf *out)
{
    unsigned char *fl = xcalloc(n + 1, 1);
    struct md_run *run = NULL;
    size_t nrun = 0, cap = 0, i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t j, k;
        int keep;

        if (fl[i] != 0) {
            i++;
            continue;
        }
        if (c == '\\' && i + 1 < n && is_ascii_punct((unsigned char)s[i + 1])) {
            fl[i] |= MD_DROP;
            fl[i + 1] |= MD_LIT;
            i += 2;
        } else if (c == '`') {
            for (k = i; k < n && s[k] == '`'; k++)
                ;
            /* The closing run has exactly as many backticks. */
            for (j = k; j < n; j++) {
                size_t e = j;

                if (s[j] != '`')
                    continue;
                while (e < n && s[e] == '`')
                    e++;
                if (e - j == k - i)
                    break;
                j = e;
            }
            if (j >= n) {
                md_mark(fl, i, k, MD_LIT);
                i = k;
                continue;
            }
            md_mark(fl, i, k, MD_DROP);
            md_mark(fl, k, j, MD_LIT);
            md_mark(fl, j, j + (k - i), MD_DROP);
            i = j + (k - i);
        } else if (c == '[' || (c == '!' && i + 1 < n && s[i + 1] == '[')) {
            size_t lb = c == '!' ? i + 1 : i, rb = md_bracket(s, n, lb), end = NOPOS;

            if (rb != NOPOS && lb + 1 < n && s[lb + 1] == '^' && c == '[') {
                md_mark(fl, lb, rb + 1, MD_DROP); /* footnote reference */
                i = rb + 1;
                continue;
            }
            if (rb != NOPOS && rb + 1 < n && s[rb + 1] == '(')
                end = md_paren(s, n, rb + 1);
            else if (rb != NOPOS && rb + 1 < n && s[rb + 1] == '[')
                end = md_bracket(s, n, rb + 1);
            if (end == NOPOS) {
                fl[i] |= MD_LIT;
                i++;
                continue;
            }
            /* The link text stays and is read on; the rest goes. */
            md_mark(fl, i, lb + 1, MD_DROP);
            md_mark(fl, rb, end + 1, MD_DROP);
            i = lb + 1;
        } else if (c == '<' && (k = md_angle(s, n, i, &keep)) > 0) {
            if (keep) {
                fl[i] |= MD_DROP;
                md_mark(fl, i + 1, i + k - 1, MD_LIT);
                fl[i + k - 1] |= MD_DROP;
            } else {
                md_mark(fl, i, i + k, MD_DROP);
            }
            i += k;
        } else if (c == '*' || c == '_' || c == '~') {
            int32_t before, after;
            int bs, as, bp, ap, left, right;
            struct md_run *m;

            for (k = i; k < n && s[k] == (char)c && fl[k] == 0; k++)
                ;
            before = md_before(s, i);
            after = md_at(s, n, k);
            bs = is_title_space(before);
            as = is_title_space(after);
            bp = is_md_punct(before);
            ap = is_md_punct(after);
            left = !as && (!ap || bs || bp);
            right = !bs && (!bp || as || ap);
            if (nrun == cap) {
                cap = cap > 0 ? 2 * cap : 16;
                run = xrealloc(run, cap * sizeof(*run));
            }
            m = &run[nrun++];
            m->b = i;
            m->len = k - i;
            m->e = k;
            m->ch = (char)c;
            m->open = (unsigned char)(c == '_' ? left && (!right || bp) : left);
            m->close = (unsigned char)(c == '_' ? right && (!left || ap) : right);
            i = k;
        } else {
            i++;
        }
    }
    md_emphasis(run, nrun, fl);
    for (i = 0; i < n; i++)
        if (!(fl[i] & MD_DROP))
            (void)buf_addc(out, s[i]);
    free(run);
    free(fl);
}

/* Markdown, blocks */

/* [b, e) of the line at i and the start of the next; e is before "\r\n". */
static size_t md_line(const char *s, size_t n, size_t i, size_t *e)
{
    const char *nl = i < n ? memchr(s + i, '\n', n - i) : NULL;
    size_t k = nl != NULL ? (size_t)(nl - s) : n;

    *e = k;
    while (*e > i && (s[*e - 1] == '\r' || s[*e - 1] == ' ' || s[*e - 1] == '\t'))
        (*e)--;
    return nl != NULL ? k + 1 : n;
}

/* Up to three spaces of indentation; NOPOS for more (indented code). */
static size_t md_indent(const char *s, size_t b, size_t e)
{
    size_t k = b;

    while (k < e && s[k] == ' ' && k - b < 4)
        k++;
    return k - b >= 4 ? NOPOS : k;
}

/* "---", "* * *", "___": a thematic break (or a front-matter fence). */
static int md_break(const char *s, size_t b, size_t e)
{
    size_t k = md_indent(s, b, e), count = 0;
    char ch;

    if (k == NOPOS || k >= e || (s[k] != '-' && s[k] != '*' && s[k] != '_'))
        return 0;
    ch = s[k];
    for (; k < e; k++) {
        if (s[k] == ch)
            count++;
        else if (s[k] != ' ' && s[k] != '\t')
            return 0;
    }
    return count >= 3;
}

/* "===" or "---" under a paragraph line. */
static int md_underline(const char *s, size_t b, size_t e)
{
    size_t k = md_indent(s, b, e);
    char ch;

    if (k == NOPOS || k >= e || (s[k] != '=' && s[k] != '-'))
        return 0;
    for (ch = s[k]; k < e && s[k] == ch; k++)
        ;
    return k == e;
}

/* A line that opens some other block than a paragraph, so that a line of
 * dashes under it is no Setext underline: a list item, a quote, a fence,
 * HTML, a table row. */
static int md_other_block(const char *s, size_t b, size_t e)
{
    size_t k = md_indent(s, b, e), d;

    if (k == NOPOS)
        return 1;
    if (s[k] == '>' || s[k] == '<' || s[k] == '|' ||
        (e - k >= 3 && (memcmp(s + k, "```", 3) == 0 || memcmp(s + k, "~~~", 3) == 0)))
        return 1;
    if ((s[k] == '-' || s[k] == '*' || s[k] == '+') && (k + 1 == e || s[k + 1] == ' '))
        return 1;
    for (d = k; d < e && d - k < 9 && s[d] >= '0' && s[d] <= '9'; d++)
        ;
    return d > k && d < e && (s[d] == '.' || s[d] == ')') && (d + 1 == e || s[d + 1] == ' ');
}

/* An ATX heading "## Title ##": 1 with its text in [*cb, *ce). */
static int md_atx(const char *s, size_t b, size_t e, size_t *cb, size_t *ce)
{
    size_t k = md_indent(s, b, e), h;

    if (k == NOPOS)
        return 0;
    for (h = k; h < e && s[h] == '#'; h++)
        ;
    if (h == k || h - k > 6 || (h < e && s[h] != ' ' && s[h] != '\t'))
        return 0;
    while (h < e && (s[h] == ' ' || s[h] == '\t'))
        h++;
    /* The optional closing sequence: "#"s after a space, or nothing but "#"s. */
    for (k = e; k > h && s[k - 1] == '#'; k--)
        ;
    if (k == h)
        e = h;
    else if (k < e && (s[k - 1] == ' ' || s[k - 1] == '\t'))
        e = k;
    while (e > h && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    *cb = h;
    *ce = e;
    return 1;
}

/* Heading text [b, e) as a title: a trailing attribute block "{#id .cls}"
 * goes, then the inline syntax; fitted to the limits. */
static char *md_heading_title(const char *s, size_t b, size_t e, size_t max_chars,
                              size_t max_bytes)
{
    struct buf out;
    char *r;

    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    if (e > b && s[e - 1] == '}') {
        for (size_t k = e - 1; k > b; k--) {
            if (s[k - 1] == '{') {
                if (s[k] == '#' || s[k] == '.') {
                    e = k - 1;
                    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                        e--;
                }
                break;
            }
        }
    }
    if (e - b > MD_LINE_MAX) {
        e = b + MD_LINE_MAX;
        while (e > b && ((unsigned char)s[e] & 0xC0) == 0x80)
            e--;
    }
    buf_init(&out, BUF_NOLIMIT);
    md_inline(s + b, e - b, &out);
    r = title_fit(buf_str(&out), out.len, max_chars, max_bytes, 0);
    buf_release(&out);
    return r;
}

/* A heading that is one line [b, e) of s: an ATX heading, or a line all in
 * strong emphasis (the heading of many a converted document: "**QUYẾT
 * ĐỊNH**").  1 with *title its title (new, or NULL for an empty heading),
 * 0 for another line. */
static int md_line_heading(const char *s, size_t b, size_t e, size_t max_chars, size_t max_bytes,
                           char **title)
{
    size_t cb, ce;

    *title = NULL;
    if (md_atx(s, b, e, &cb, &ce)) {
        if (cb < ce)
            *title = md_heading_title(s, cb, ce, max_chars, max_bytes);
        return 1;
    }
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    if (e - b > 4 && ((s[b] == '*' && s[b + 1] == '*' && s[e - 1] == '*' && s[e - 2] == '*') ||
                      (s[b] == '_' && s[b + 1] == '_' && s[e - 1] == '_' && s[e - 2] == '_'))) {
        *title = md_heading_title(s, b, e, max_chars, max_bytes);
        return 1;
    }
    return 0;
}

/* YAML or TOML front matter at the start of s: 1 when there is some, with
 * *next after its closing fence and *title its title (new, or NULL). */
static int md_front_matter(const char *s, size_t n, size_t max_chars, size_t max_bytes,
                           size_t *next, char **title)
{
    size_t b = 0, e, i, lines = 0;
    const char *fence;

    *title = NULL;
    i = md_line(s, n, 0, &e);
    if (e == 3 && memcmp(s, "---", 3) == 0)
        fence = "---";
    else if (e == 3 && memcmp(s, "+++", 3) == 0)
        fence = "+++";
    else
        return 0;
    while (i < n && lines++ < 200) {
        b = i;
        i = md_line(s, n, b, &e);
        if ((e - b == 3 && memcmp(s + b, fence, 3) == 0) ||
            (fence[0] == '-' && e - b == 3 && memcmp(s + b, "...", 3) == 0)) {
            *next = i;
            return 1;
        }
        if (*title == NULL && e - b > 5 && memcmp(s + b, "title", 5) == 0) {
            size_t v = b + 5, ve = e;

            while (v < e && (s[v] == ' ' || s[v] == '\t'))
                v++;
            if (v >= e || (s[v] != ':' && s[v] != '='))
                continue;
            v++;
            while (v < e && (s[v] == ' ' || s[v] == '\t'))
                v++;
            if (v < e && (s[v] == '"' || s[v] == '\'')) {
                /* A quoted string; escapes other than the quote stay as written. */
                char q = s[v++];
                struct buf val;

                buf_init(&val, BUF_NOLIMIT);
                for (; v < e; v++) {
                    if (s[v] == q && !(q == '\'' && v + 1 < e && s[v + 1] == '\''))
                        break;
                    if ((q == '"' && s[v] == '\\' && v + 1 < e) || (q == '\'' && s[v] == q))
                        v++; /* \" in YAML and TOML, '' in YAML */
                    (void)buf_addc(&val, s[v]);
                }
                *title = title_fit(buf_str(&val), val.len, max_chars, max_bytes, 0);
                buf_release(&val);
            } else if (v < e && s[v] != '|' && s[v] != '>') {
                /* A plain scalar ends at a comment. */
                for (size_t k = v + 1; k < e; k++)
                    if (s[k] == '#' && (s[k - 1] == ' ' || s[k - 1] == '\t')) {
                        ve = k;
                        break;
                    }
                *title = title_fit(s + v, ve - v, max_chars, max_bytes, 0);
            }
        }
    }
    free(*title);
    *title = NULL;
    return 0;
}

char *text_title_markdown(const char *s, size_t n, size_t max_chars, size_t max_bytes)
{
    size_t i = 0, b, e, nb, ne;
    char *r = NULL;

    if (s == NULL)
        return NULL;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    if (md_front_matter(s, n, max_chars, max_bytes, &i, &r) && r != NULL)
        return r;
    /* Blank lines, rules and one-line comments before the first block,
     * whose first line is then [b, e). */
    for (;;) {
        size_t v;

        if (i >= n)
            return NULL;
        b = i;
        i = md_line(s, n, b, &e);
        for (v = b; v < e && (s[v] == ' ' || s[v] == '\t'); v++)
            ;
        if (v == e || md_break(s, b, e) ||
            (e - v >= 7 && memcmp(s + v, "<!--", 4) == 0 && memcmp(s + e - 3, "-->", 3) == 0))
            continue;
        break;
    }
    if (md_line_heading(s, b, e, max_chars, max_bytes, &r))
        return r;
    nb = i;
    md_line(s, n, nb, &ne);
    if (nb < n && ne > nb && md_underline(s, nb, ne) && !md_other_block(s, b, e))
        return md_heading_title(s, b, e, max_chars, max_bytes);
    return NULL;
}

/* First lines */

/* The first code point of [b, e) that is not a space, or 0. */
static int32_t first_visible(const char *s, size_t b, size_t e)
{
    while (b < e) {
        int32_t c;

        b += text__decode_lossy(s + b, e - b, &c);
        if (!is_title_space(c))
            return c;
    }
    return 0;
}

/* The last code point of [b, e) that is not an ASCII blank, or 0. */
static int32_t last_visible(const char *s, size_t b, size_t e)
{
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
        e--;
    return e > b ? md_before(s, e) : 0;
}

/* 1 when [b, e) has a letter or a digit. */
static int has_alnum(const char *s, size_t b, size_t e)
{
    while (b < e) {
        int32_t c;

        b += text__decode_lossy(s + b, e - b, &c);
        if (is_alnum(c))
            return 1;
    }
    return 0;
}

/* Words of [b, e), counted up to 4. */
static unsigned few_words(const char *s, size_t b, size_t e)
{
    unsigned w = 0;
    int in = 0;

    for (size_t k = b; k < e && w < 4; k++) {
        int sp = s[k] == ' ' || s[k] == '\t';

        if (!sp && !in)
            w++;
        in = !sp;
    }
    return w;
}

/* Code points of [b, e), counted up to cap. */
static size_t few_chars(const char *s, size_t b, size_t e, size_t cap)
{
    size_t c = 0;

    for (size_t k = b; k < e && c < cap; k++)
        c += ((unsigned char)s[k] & 0xC0) != 0x80;
    return c;
}

#define TITLE_JOIN_LINES 8

char *text_title_first_line(const char *s, size_t n, size_t max_chars)
{
    size_t i = 0, start, b, e, chars, lines = 1;
    char *r;

    if (s == NULL)
        return NULL;
    r = text_title_markdown(s, n > TEXT_META_PAGE_MAX ? TEXT_META_PAGE_MAX : n, max_chars, 0);
    if (r != NULL)
        return r;
    /* The first line with a letter or digit: rules, frames and OCR specks
     * above it are no title. */
    for (;;) {
        while (i < n && (s[i] == '\n' || s[i] == '\f'))
            i++;
        if (i >= n)
            return NULL;
        b = i;
        for (e = b; e < n && s[e] != '\n' && s[e] != '\f'; e++)
            ;
        i = e;
        if (has_alnum(s, b, e))
            break;
    }
    /* A wrapped sentence (an OCR'd or hard-wrapped paragraph) goes on in
     * lower case on the next line: take the lines that carry it on, as far
     * as the title can show. */
    start = b;
    chars = few_chars(s, b, e, max_chars + 1);
    while (lines < TITLE_JOIN_LINES && (max_chars == 0 || chars <= max_chars) && e < n &&
           s[e] == '\n') {
        size_t nb = e + 1, ne;
        int32_t last = last_visible(s, b, e);

        if (last == '.' || last == '!' || last == '?' || last == ':' || last == ';' ||
            last == 0x2026 || few_words(s, b, e) < 4)
            break;
        for (ne = nb; ne < n && s[ne] != '\n' && s[ne] != '\f'; ne++)
            ;
        if (!is_lower(first_visible(s, nb, ne)))
            break;
        b = nb;
        e = ne;
        chars += few_chars(s, nb, ne, max_chars + 1);
        lines++;
    }
    return title_fit(s + start, e - start, max_chars, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Generic fields: lang, title, dates */

static int in_list(const char *w, const char *const *list)
{
    for (; *list != NULL; list++)
        if (w[0] == (*list)[0] && strcmp(w, *list) == 0)
            return 1;
    return 0;
}

/* A cheap guess from function words and the share of letters with
 * Vietnamese marks; NULL when neither language is clear. */
static const char *guess_lang(const struct mpage *pg)
{
    /* Folded Vietnamese function words that are not English words or
     * common identifiers ("can", "so", "de" are). */
    static const char *const vi[] = {
        "cua", "cac", "duoc", "trong", "nhung", "voi", "khong", "nguoi", "theo", "nay", "mot",
        "nhu", "hoac", "viec", "thuc", "hien", "tinh", "ngay", "thang", "quyet", "dinh",
        "nhan", "phai", "nha", "nuoc", "uy", "chu", "tich", "huyen", "xa", "nhiem", "vu",
        "trien", "khai", "cong", "tac", NULL};
    static const char *const en[] = {
        "the", "of", "and", "to", "in", "is", "for", "that", "with", "on", "as", "be", "by",
        "this", "are", "from", "at", "or", "it", "was", "we", "you", "your", "our", "have",
        "has", "will", "not", "which", "dear", "sincerely", "please", NULL};
    unsigned nvi = 0, nen = 0, letters = 0, nlatin = 0, marked = 0, words = 0;
    char w[16];
    size_t k = 0;

    for (size_t i = 0; i <= pg->n && words < 300; i++) {
        int32_t c = i < pg->n ? pg->cp[i] : ' ';

        if (is_letter(c)) {
            int latin = c < 0x250 || (c >= 0x1E00 && c <= 0x1EFF);

            letters++;
            nlatin += latin;
            if (latin && pg->fc[i] != text__lower_cp(c))
                marked++;
            if (k < sizeof(w) - 1 && pg->fc[i] < 0x80)
                w[k++] = (char)pg->fc[i];
            else
                k = sizeof(w); /* not a plain word */
            continue;
        }
        if (k > 0 && k < sizeof(w)) {
            w[k] = '\0';
            nvi += in_list(w, vi);
            nen += in_list(w, en);
            words++;
        }
        k = 0;
    }
    if (letters < 20 || nlatin * 10 < letters * 8)
        return NULL;
    if (marked * 100 >= letters * 8 || (nvi >= 3 && nvi > 2 * nen))
        return "vi";
    if (nen >= 3 && nen > 2 * nvi && marked * 100 < letters * 2)
        return "en";
    return NULL;
}

/* The first heading-like line of the first ten: 2 to 25 words, some
 * letters, not starting in lower case, not ending like a salutation. */
static int first_heading(const struct mpage *pg, struct sbuf *out)
{
    size_t seen = 0;

    for (size_t i = 0; i < pg->nl && seen < 10; i++) {
        const struct mline *l = &pg->ln[i];
        int32_t last;
        size_t b;

        if (l->b == l->e || l->fl & L_RULE)
            continue;
        seen++;
        b = skip_nonword(pg, l->b, l->e);
        last = pg->cp[l->e - 1];
        if (l->nwords < 2 || l->nwords > 25 || l->nletters < 4 || l->e - l->b > 200)
            continue;
        if (b >= l->e || is_lower(pg->cp[b]) || last == ',' || last == ':' || last == ';')
            continue;
        sb_span(out, pg, l->b, l->e);
        return 1;
    }
    return 0;
}

/* The title a Markdown page 1 declares (text_title_markdown() of its raw
 * text, which still has the brackets and tildes that page_load() blanks),
 * cleaned and composed as every field is. */
static int markdown_title(const char *raw, size_t n, struct sbuf *out)
{
    char *md = text_title_markdown(raw, n, 0, sizeof(out->s) - 1);
    struct mpage t;

    if (md == NULL)
        return 0;
    page_init(&t);
    if (page_load(&t, md, strlen(md)) == 0)
        for (size_t i = 0; i < t.n; i++)
            sb_cp(out, t.cp[i] == GAP || t.cp[i] == '\n' ? ' ' : t.cp[i]);
    while (out->n > 0 && out->s[out->n - 1] == ' ')
        out->s[--out->n] = '\0';
    page_release(&t);
    free(md);
    return out->n > 0;
}

static void add_date(struct text_meta *m, int y, int mo, int d)
{
    for (size_t i = 0; i < m->ndates; i++)
        if (m->dates[i].year == y && m->dates[i].month == mo && m->dates[i].day == d)
            return;
    if (m->ndates < TEXT_META_MAX_DATES) {
        m->dates[m->ndates].year = y;
        m->dates[m->ndates].month = mo;
        m->dates[m->ndates].day = d;
        m->ndates++;
    }
}

/* Dates anywhere on the page: d/m/yyyy (also with '.' or '-') and
 * "ngày d tháng m năm y". */
static void find_dates(const struct mpage *pg, int ymax, struct text_meta *m)
{
    for (size_t i = 0; i < pg->n && m->ndates < TEXT_META_MAX_DATES; i++) {
        struct dateparse dp;
        int d, mo, y;
        size_t j;

        if (i > 0 && is_alnum(pg->fc[i - 1]))
            continue;
        if (pg->fc[i] == 'n') {
            memset(&dp, 0, sizeof(dp));
            if (date_at(pg, i, pg->n, &dp) && date_valid(dp.y, dp.m, dp.d, ymax))
                add_date(m, dp.y, dp.m, dp.d);
            continue;
        }
        if (!is_digit(pg->fc[i]))
            continue;
        d = 0;
        for (j = i; j < pg->n && j < i + 3 && is_digit(pg->fc[j]); j++)
            d = d * 10 + (pg->fc[j] - '0');
        if (j == i || j - i > 2 || j >= pg->n)
            continue;
        {
            int32_t s = pg->fc[j];
            size_t k;

            if (s != '/' && s != '.' && s != '-')
                continue;
            mo = 0;
            for (k = j + 1; k < pg->n && k < j + 4 && is_digit(pg->fc[k]); k++)
                mo = mo * 10 + (pg->fc[k] - '0');
            if (k == j + 1 || k - j - 1 > 2 || k >= pg->n || pg->fc[k] != s)
                continue;
            y = 0;
            for (j = k + 1; j < pg->n && j < k + 6 && is_digit(pg->fc[j]); j++)
                y = y * 10 + (pg->fc[j] - '0');
            if (j - k - 1 != 4 || (j < pg->n && is_alnum(pg->fc[j])))
                continue;
            if (d >= 1 && date_valid(y, mo, d, ymax))
                add_date(m, y, mo, d);
        }
    }
}

/* ------------------------------------------------------------------ */
/* The result */

static const struct {
    const char *name;
    size_t off;
} fields[TEXT_META_NFIELDS] = {
    [TEXT_META_NUMBER] = {"number", offsetof(struct text_meta, number)},
    [TEXT_META_TYPE] = {"type", offsetof(struct text_meta, type)},
    [TEXT_META_AGENCY] = {"agency", offsetof(struct text_meta, agency)},
    [TEXT_META_PLACE] = {"place", offsetof(struct text_meta, place)},
    [TEXT_META_ISSUED] = {"issued", offsetof(struct text_meta, issued)},
    [TEXT_META_SUBJECT] = {"subject", offsetof(struct text_meta, subject)},
    [TEXT_META_SIGNER] = {"signer", offsetof(struct text_meta, signer)},
    [TEXT_META_SIGNER_TITLE] = {"signer_title", offsetof(struct text_meta, signer_title)},
    [TEXT_META_SECRECY] = {"secrecy", offsetof(struct text_meta, secrecy)},
    [TEXT_META_URGENCY] = {"urgency", offsetof(struct text_meta, urgency)},
    [TEXT_META_TITLE] = {"title", offsetof(struct text_meta, title)},
    [TEXT_META_LANG] = {"lang", offsetof(struct text_meta, lang)},
    [TEXT_META_NUMBER_KEY] = {"number_key", offsetof(struct text_meta, number_key)},
    [TEXT_META_SYMBOL] = {"symbol", offsetof(struct text_meta, symbol)},
    [TEXT_META_TYPE_CODE] = {"type_code", offsetof(struct text_meta, type_code)},
    [TEXT_META_PARENT_AGENCY] = {"parent_agency", offsetof(struct text_meta, parent_agency)},
    [TEXT_META_ISSUER_CODE] = {"issuer_code", offsetof(struct text_meta, issuer_code)},
    [TEXT_META_UNIT] = {"unit", offsetof(struct text_meta, unit)},
    [TEXT_META_SCOPE] = {"scope", offsetof(struct text_meta, scope)},
};

static char **field_ptr(struct text_meta *m, int f)
{
    return (char **)(void *)((char *)m + fields[f].off);
}

/* Set field f to a copy of s (nothing when s is NULL or empty). */
static void set_field(struct text_meta *m, int f, const char *s, int conf)
{
    char **p = field_ptr(m, f);

    free(*p);
    *p = NULL;
    m->conf[f] = 0;
    if (s == NULL || *s == '\0')
        return;
    *p = xstrdup(s);
    m->conf[f] = (unsigned char)(conf < 1 ? 1 : conf > 100 ? 100 : conf);
}

static void clear_field(struct text_meta *m, int f)
{
    set_field(m, f, NULL, 0);
}

void text_meta_init(struct text_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->num = -1;
}

void text_meta_release(struct text_meta *m)
{
    if (m == NULL)
        return;
    for (int f = 0; f < TEXT_META_NFIELDS; f++)
        free(*field_ptr(m, f));
    text_meta_init(m);
}

const char *text_meta_get(const struct text_meta *m, enum text_meta_field f)
{
    if ((int)f < 0 || f >= TEXT_META_NFIELDS)
        return NULL;
    return *(char *const *)(const void *)((const char *)m + fields[f].off);
}

const char *text_meta_field_name(enum text_meta_field f)
{
    if ((int)f < 0 || f >= TEXT_META_NFIELDS)
        return NULL;
    return fields[f].name;
}

int text_meta_next(const struct text_meta *m, size_t *pos, const char **name,
                   const char **value)
{
    while (*pos < TEXT_META_NRECORD) {
        enum text_meta_field f = (enum text_meta_field)(*pos)++;
        const char *v = text_meta_get(m, f);

        if (v != NULL) {
            *name = fields[f].name;
            *value = v;
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Extraction */

struct ctx {
    struct mpage p1, pl;
    const char *raw1; /* page 1 as passed in, for markdown_title() */
    size_t nraw1;
    const struct mpage *last;
    int ymax;
    size_t head; /* header zone: lines [0, head) of page 1 */
    /* F2 */
    const struct dtype *ltype;
    int ltype_conf;
    size_t tline;
    /* F1 */
    int has_num;
    size_t numline;
    struct numparse np;
    /* F4 */
    int has_date;
    size_t dateline;
    struct dateparse dp;
    /* V/v, Kính gửi, motto */
    int has_vv, has_kg, has_motto;
    size_t vvline, vvstart;
};

static const char *const body_starts[] = {"kinh gui", "can cu", "theo de nghi", "dieu", "xet",
                                          NULL};

/* V/v at position b of line l (its start, or after the number): returns the
 * start of the text after it, or NOPOS. */
static size_t vv_at(const struct mpage *pg, const struct mline *l, size_t b)
{
    size_t i = skip_nonword(pg, b, l->le), j;
    int32_t s;

    if (i >= l->le || pg->fc[i] != 'v')
        return NOPOS;
    j = skip_blanks(pg, i + 1, l->le);
    if (j >= l->le)
        return NOPOS;
    s = pg->fc[j];
    if (s != '/' && s != '|' && s != 'l' && s != '1' && s != 'i' && s != '.')
        return NOPOS;
    j = skip_blanks(pg, j + 1, l->le);
    if (j >= l->le)
        return NOPOS;
    /* "V/ góp ý ...": the second v lost, the text going on in lower case. */
    if (s == '/' && pg->fc[j] != 'v' && j > i + 2 && is_lower(pg->cp[j]))
        return j;
    if (pg->fc[j] != 'v' || (j + 1 < l->le && is_letter(pg->fc[j + 1])))
        return NOPOS;
    j++;
    while (j < l->le && (is_blank(pg->fc[j]) || pg->fc[j] == ':' || pg->fc[j] == '.' ||
                         pg->fc[j] == ',' || pg->fc[j] == '-'))
        j++;
    return j;
}

/* Header zone and the anchors in it (P0 for plain text). */
static void scan_header(struct ctx *c)
{
    const struct mpage *pg = &c->p1;
    size_t lim = pg->nl < SCAN_LINES ? pg->nl : SCAN_LINES, end = NOPOS, i;
    size_t after_vv = 0;

    c->tline = NOPOS;
    for (i = 0; i < lim; i++) {
        const struct mline *l = &pg->ln[i];
        struct numparse np;
        struct dateparse dp;
        const struct dtype *dt;
        int conf = 0;

        if (l->b == l->e)
            continue;
        if (starts_with_any(pg, l->b, l->e, body_starts)) {
            static const char *const kg[] = {"kinh gui", NULL};

            c->has_kg = starts_with_any(pg, l->b, l->e, kg);
            end = i;
            break;
        }
        if (!c->has_num && parse_number(pg, l, &np)) {
            c->has_num = 1;
            c->numline = i;
            c->np = np;
        }
        memset(&dp, 0, sizeof(dp));
        if (!c->has_date &&
            find_dateline(pg, c->has_num && c->numline == i ? c->np.e : l->b, l->e, c->ymax,
                          c->has_num || c->has_motto, &dp)) {
            c->has_date = 1;
            c->dateline = i;
            c->dp = dp;
        }
        if (!c->has_vv && ((c->vvstart = vv_at(pg, l, l->b)) != NOPOS ||
                           (c->has_num && c->numline == i &&
                            (c->vvstart = vv_at(pg, l, c->np.e)) != NOPOS))) {
            c->has_vv = 1;
            c->vvline = i;
            after_vv = i + 3;
        }
        dt = type_line(pg, l, &conf);
        if (dt != NULL) {
            c->ltype = dt;
            c->ltype_conf = conf;
            c->tline = i;
            end = i;
            break;
        }
        /* A body paragraph: many words, mostly lower case. */
        if (l->nwords >= 10 && l->nlower * 10 >= l->nletters * 7 && i >= after_vv &&
            !(c->has_num && c->numline == i) && !(c->has_date && c->dateline == i)) {
            end = i;
            break;
        }
        if (l->fl & (L_QH | L_TN))
            c->has_motto = 1;
    }
    if (end == NOPOS) {
        end = pg->nl * 35 / 100;
        if (end < 12)
            end = 12;
    }
    if (end > HEAD_MAX)
        end = HEAD_MAX;
    if (end > pg->nl)
        end = pg->nl;
    c->head = end;
    if (c->has_num && c->numline >= end)
        c->has_num = 0;
    if (c->has_date && c->dateline >= end)
        c->has_date = 0;
    if (c->has_vv && c->vvline >= end)
        c->has_vv = 0;
}

/* F7 over the header zone. */
static void find_marks(struct ctx *c, struct text_meta *m)
{
    const struct mpage *pg = &c->p1;

    for (size_t i = 0; i < c->head; i++) {
        const struct mline *l = &pg->ln[i];
        size_t b = l->b;

        while (b < l->le) {
            size_t e = cell_end(pg, b, l->le);
            int conf = 0;
            const struct mark *mk = mark_cell(pg, b, e, &conf);

            if (mk != NULL && text_meta_get(m, (enum text_meta_field)mk->field) == NULL)
                set_field(m, mk->field, mk->canon, conf);
            b = e + 1;
        }
    }
}

static int is_mark_line(const struct mpage *pg, const struct mline *l)
{
    int conf;

    return mark_cell(pg, l->b, l->le, &conf) != NULL;
}

static int has_letters(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++)
        if (is_letter(pg->cp[i]))
            return 1;
    return 0;
}

/* F3 repairs.  OCR damages the agency lines in a few set ways: a wrong
 * tone ("ÚY BAN", "SƠ NỘI VỤ", "NHÂN DẪN", "TÍNH"), lost marks beside the
 * bold motto ("TRUYEN THONG"), lost spaces ("BANNHÂNDÂN") and stray
 * punctuation ("DÂN.", "'TRUYEN").  Where the agency vocabulary makes the
 * reading certain, the words are put right:
 *   - head phrases of two or more words at the start of a line (their fold
 *     is no other agency's);
 *   - a one-word head (SỞ, BỘ, PHÒNG...) only before a sector name, since
 *     "so" alone may as well be SỐ;
 *   - a level word (TỈNH, HUYỆN, XÃ, THÀNH PHỐ, THỊ XÃ) at the start of a
 *     line or after ỦY BAN NHÂN DÂN / HỘI ĐỒNG NHÂN DÂN, before a name;
 *   - sector names (NỘI VỤ, TÀI CHÍNH, THÔNG TIN VÀ TRUYỀN THÔNG...)
 *     anywhere.
 * Matching is on folded letters across OCR's word breaks.  A word whose
 * marks are those of the vocabulary's, tone placed elsewhere ("UỶ", "HOÀ"),
 * is kept as written. */
#define AG_MAX 256            /* code points of an agency considered */
#define AG_WORDS (AG_MAX / 2) /* a word and its separator: room for all */

struct agtext {
    int32_t cp[AG_MAX], fc[AG_MAX];
    unsigned char lstart[AG_MAX]; /* 1 at the first code point of a line */
    size_t n;
    size_t wb[AG_WORDS], we[AG_WORDS]; /* words: runs of letters, digits, & */
    size_t nw;
};

static const char *const ag_heads[] = {
    "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "UBND", "HĐND", "CHI CỤC", "TRUNG TÂM", "VĂN PHÒNG", "THANH TRA",
    "CÔNG AN", "TỔNG CỤC", "BỆNH VIỆN", NULL};
static const char *const ag_heads1[] = {"SỞ", "BỘ", "BAN", "PHÒNG", "CỤC", "VỤ", NULL};
static const char *const ag_levels[] = {"THÀNH PHỐ", "THỊ XÃ", "TỈNH", "HUYỆN", "XÃ", NULL};
static const char *const ag_sectors[] = {
    "THÔNG TIN VÀ TRUYỀN THÔNG", "KẾ HOẠCH VÀ ĐẦU TƯ", "TÀI NGUYÊN VÀ MÔI TRƯỜNG",
    "NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "KHOA HỌC VÀ CÔNG NGHỆ", "GIÁO DỤC VÀ ĐÀO TẠO",
    "GIAO THÔNG VẬN TẢI", "THỂ THAO VÀ DU LỊCH", "NỘI VỤ", "TÀI CHÍNH", "TƯ PHÁP",
    "CÔNG THƯƠNG", "XÂY DỰNG", "Y TẾ", "NGOẠI VỤ", NULL};

/* Decode a short UTF-8 vocabulary string into cp (cap code points). */
static size_t utf8_cps(const char *s, int32_t *cp, size_t cap)
{
    size_t n = 0, len = strlen(s);

    for (size_t i = 0; i < len && n < cap;)
        i += text__decode_lossy(s + i, len - i, &cp[n++]);
    return n;
}

/* The marks of c: tone marks in bits 0-4, vowel marks (circumflex, breve,
 * horn, the bar of đ) in bits 8-11. */
static unsigned cp_marks(int32_t c)
{
    utf8proc_int32_t d[4];
    int bc = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 4, UTF8PROC_DECOMPOSE, &bc);
    unsigned m = 0;

    for (utf8proc_ssize_t i = 1; i < k && i < 4; i++)
        switch (d[i]) {
        case 0x300: m |= 1u << 0; break;
        case 0x301: m |= 1u << 1; break;
        case 0x303: m |= 1u << 2; break;
        case 0x309: m |= 1u << 3; break;
        case 0x323: m |= 1u << 4; break;
        case 0x302: m |= 1u << 8; break;
        case 0x306: m |= 1u << 9; break;
        case 0x31B: m |= 1u << 10; break;
        default: break;
        }
    if (c == 0x110 || c == 0x111)
        m |= 1u << 11;
    return m;
}

#define TONE_MARKS 0x1Fu

/* Do the code points a[0..n) and b[0..n) (same fold) carry the same marks,
 * the vowel marks on the same letters and one same tone anywhere ("UỶ" and
 * "ỦY", "HOÀ" and "HÒA")? */
static int same_marks(const int32_t *a, const int32_t *b, size_t n)
{
    unsigned ta = 0, tb = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned x = cp_marks(a[i]), y = cp_marks(b[i]);

        if ((x & ~TONE_MARKS) != (y & ~TONE_MARKS))
            return 0;
        ta |= x & TONE_MARKS;
        tb |= y & TONE_MARKS;
    }
    return ta == tb;
}

/* Does the phrase (folded, without spaces) match the words w.. of t?
 * Returns how many words it covers (1..8), or 0. */
static size_t ag_match(const struct agtext *t, size_t w, const char *phrase)
{
    char want[64];
    size_t pos = 0, j = 0;

    fold_str(phrase, want, sizeof(want));
    for (size_t i = 0; want[i]; i++)
        if (want[i] != ' ')
            want[j++] = want[i];
    want[j] = '\0';
    for (size_t x = w; x < t->nw && x < w + 8; x++) {
        for (size_t i = t->wb[x]; i < t->we[x]; i++) {
            if (want[pos] == '\0' || t->fc[i] != (unsigned char)want[pos])
                return 0;
            pos++;
        }
        if (want[pos] == '\0')
            return x - w + 1;
    }
    return 0;
}

/* The first phrase of list that matches at word w; *nw gets its extent. */
static const char *ag_find(const struct agtext *t, size_t w, const char *const *list, size_t *nw)
{
    for (; *list != NULL; list++)
        if ((*nw = ag_match(t, w, *list)) > 0)
            return *list;
    return NULL;
}

/* Write words [w, w + k) of t as phrase into sb: word by word when they
 * line up (keeping a word whose marks only sit elsewhere), else the phrase. */
static void ag_put(struct sbuf *sb, const struct agtext *t, size_t w, size_t k, const char *phrase)
{
    int32_t pc[64];
    size_t pn = utf8_cps(phrase, pc, 64), i = 0, x;

    /* Do the words line up, letter for letter? */
    for (x = w; x < w + k; x++) {
        i += t->we[x] - t->wb[x];
        if (i > pn || (i < pn && pc[i] != ' ') || (i == pn && x + 1 < w + k))
            break;
        i++;
    }
    if (x < w + k || i < pn) {
        for (i = 0; i < pn; i++)
            sb_cp(sb, pc[i]);
        return;
    }
    i = 0;
    for (x = w; x < w + k; x++) {
        size_t n = t->we[x] - t->wb[x];

        if (x > w)
            sb_cp(sb, ' ');
        if (same_marks(t->cp + t->wb[x], pc + i, n))
            for (size_t j = 0; j < n; j++)
                sb_cp(sb, t->cp[t->wb[x] + j]);
        else
            for (size_t j = 0; j < n; j++)
                sb_cp(sb, pc[i + j]);
        i += n + 1;
    }
}

/* Append line [b, e) of pg to t. */
static void ag_add(struct agtext *t, const struct mpage *pg, size_t b, size_t e)
{
    int first = 1;

    /* A line ends without its stray full stop ("HỘI ĐỒNG NHÂN DÂN."). */
    while (e > b && (is_blank(pg->cp[e - 1]) || pg->cp[e - 1] == '.'))
        e--;
    if (t->n > 0 && t->n < AG_MAX) {
        t->cp[t->n] = t->fc[t->n] = ' ';
        t->lstart[t->n++] = 0;
    }
    for (size_t i = b; i < e && t->n < AG_MAX; i++) {
        int32_t c = pg->cp[i];

        if (c == GAP)
            c = ' ';
        /* Keep letters, digits and the punctuation of names; the rest
         * (quotes, rules, frames) is noise. */
        if (!is_alnum(c) && c != ' ' && c != '-' && c != ',' && c != '&' && c != '(' &&
            c != ')' && c != '/' && c != '.')
            c = ' ';
        if (c == ' ' && (t->n == 0 || t->cp[t->n - 1] == ' '))
            continue;
        t->cp[t->n] = c;
        t->fc[t->n] = c == pg->cp[i] ? pg->fc[i] : c;
        t->lstart[t->n] = (unsigned char)first;
        first = 0;
        t->n++;
    }
}

/* Words of t, then the repaired text into sb. */
static void ag_write(struct agtext *t, struct sbuf *sb)
{
    size_t w, prev_end = 0;
    int after_head = 0, accented = 0;

    while (t->n > 0 && (t->cp[t->n - 1] == ' ' || t->cp[t->n - 1] == '-' ||
                        t->cp[t->n - 1] == ','))
        t->n--;
    t->nw = 0;
    for (size_t i = 0; i < t->n && t->nw < AG_WORDS;) {
        if (!is_alnum(t->cp[i]) && t->cp[i] != '&') {
            i++;
            continue;
        }
        t->wb[t->nw] = i;
        while (i < t->n && (is_alnum(t->cp[i]) || t->cp[i] == '&'))
            i++;
        t->we[t->nw++] = i;
    }
    /* Text written without marks at all is left so: only some words
     * without their marks are damage. */
    for (size_t i = 0; i < t->n && !accented; i++)
        accented = t->cp[i] >= 0x80;
    for (w = 0; w < t->nw;) {
        const char *ph = NULL;
        size_t k = 0, k2 = 0, b = t->wb[w];
        int line0 = t->lstart[b] || w == 0;

        /* What lies between the previous word and this one. */
        for (size_t i = prev_end; i < b; i++)
            if (w > 0 && (t->cp[i] != ' ' || t->cp[i - 1] != ' '))
                sb_cp(sb, t->cp[i]);
        if (line0 && w > 0 && (sb->n == 0 || sb->s[sb->n - 1] != ' '))
            sb_cp(sb, ' ');
        if (!accented) {
            ph = NULL;
        } else if (line0 && (ph = ag_find(t, w, ag_heads, &k)) != NULL) {
            after_head = 1;
        } else if (line0 && (ph = ag_find(t, w, ag_heads1, &k)) != NULL && k == 1 &&
                   ag_find(t, w + 1, ag_sectors, &k2) != NULL) {
            after_head = 0;
        } else if ((line0 || after_head) && w + 1 < t->nw &&
                   (ph = ag_find(t, w, ag_levels, &k)) != NULL && w + k < t->nw) {
            after_head = 0;
        } else if ((ph = ag_find(t, w, ag_sectors, &k)) != NULL) {
            after_head = 0;
        } else {
            ph = NULL;
            after_head = 0;
        }
        if (ph != NULL) {
            ag_put(sb, t, w, k, ph);
            w += k;
        } else {
            for (size_t i = b; i < t->we[w]; i++)
                sb_cp(sb, t->cp[i]);
            w++;
        }
        prev_end = t->we[w - 1];
    }
    /* a closing bracket may end a name */
    for (size_t i = prev_end; i < t->n; i++)
        if (t->cp[i] == ')')
            sb_cp(sb, ')');
}

/* Is [b, e) OCR noise rather than an agency line: a token mixing lower-case
 * letters and digits ("g5"), or a short lower-case token ("ee") other than
 * "và"? */
static int agency_junk(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = b; i < e;) {
        size_t j = i;
        int low = 0, dig = 0, let = 0;

        while (j < e && !is_blank(pg->cp[j])) {
            low |= is_lower(pg->cp[j]);
            dig |= is_digit(pg->cp[j]);
            let += is_letter(pg->cp[j]);
            j++;
        }
        if (low && dig)
            return 1;
        if (low && let <= 2 && word_at(pg, i, j, "va") == NOPOS)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* F3: capital lines of the left column above the number (or the date). */
static void find_agency(struct ctx *c, struct text_meta *m)
{
    static const char *const skip[] = {"du thao", "mau so", "ban sao", "sao y", "trich sao",
                                       "sao luc", "cong bao", "phu luc", NULL};
    static const char *const parents[] = {
        "ubnd", "uy ban nhan dan", "hdnd", "hoi dong nhan dan", "bo", "tinh uy", "huyen uy",
        "thanh uy", "quan uy", "dang uy", "tong cuc", "so", "dai hoc", "tap doan",
        "tong cong ty", NULL};
    static const char *const units[] = {
        "so", "ban", "phong", "chi cuc", "trung tam", "van phong", "thanh tra", "cuc", "vu",
        "truong", "cong an", "benh vien", "chi nhanh", "vien", "khoa", "cong ty", NULL};
    const struct mpage *pg = &c->p1;
    size_t anchor, take[4], nt = 0, split = 0;
    struct sbuf parent, organ;
    struct agtext at;
    int conf;

    if (c->has_num) {
        anchor = c->numline;
        conf = 85;
    } else if (c->has_date) {
        anchor = c->dateline;
        conf = 65;
    } else {
        return;
    }
    for (size_t i = anchor; i-- > 0 && nt < 4;) {
        const struct mline *l = &pg->ln[i];
        struct dateparse dp;

        if (l->b == l->le || l->fl & L_RULE || !has_letters(pg, l->b, l->le) ||
            is_mark_line(pg, l) ||
            starts_with_any(pg, l->b, l->le, skip))
            continue;
        memset(&dp, 0, sizeof(dp));
        if (find_dateline(pg, l->b, l->e, c->ymax, 0, &dp))
            continue;
        if (span_upper(pg, l->b, l->le) && vv_at(pg, l, l->b) == NOPOS) {
            if (agency_junk(pg, l->b, l->le))
                continue;
            take[nt++] = i;
            continue;
        }
        if (nt > 0)
            break;
    }
    if (nt == 0)
        return;
    /* take[] is bottom-up; parent = lines before the first unit line. */
    if (nt >= 2 && starts_with_any(pg, pg->ln[take[nt - 1]].b, pg->ln[take[nt - 1]].le, parents))
        for (size_t k = nt - 1; k-- > 0;)
            if (starts_with_any(pg, pg->ln[take[k]].b, pg->ln[take[k]].le, units)) {
                split = nt - 1 - k;
                break;
            }
    sb_reset(&parent);
    sb_reset(&organ);
    memset(&at, 0, sizeof(at));
    for (size_t k = nt, n = 0; k-- > 0; n++) {
        ag_add(&at, pg, pg->ln[take[k]].b, pg->ln[take[k]].le);
        if (n + 1 == split || k == 0) {
            ag_write(&at, n < split ? &parent : &organ);
            at.n = 0;
        }
    }
    set_field(m, TEXT_META_AGENCY, organ.s, conf);
    set_field(m, TEXT_META_PARENT_AGENCY, parent.s, conf);
}

/* Is line l, met after the first line of a summary, rather the body?  The
 * rule under the summary is often lost in OCR, so the body's first line
 * must be told apart by itself: a capitalised opener ("Ngày 5/3, ...",
 * "Thực hiện ...") or the length of a full text line. */
static int continues_summary(const struct mpage *pg, const struct mline *l, size_t e)
{
    static const char *const openers[] = {
        "ngay", "thuc hien", "de", "nham", "tren co so", "hien nay", "qua", "sau khi", "tai",
        "trong", "theo", "vua qua", "thuc te", "nam", "thang", "vao", "can cu", NULL};
    size_t b = skip_nonword(pg, l->b, e);

    if (span_words(pg, l->b, e) >= 14)
        return 0;
    return !(b < e && is_upper(pg->cp[b]) && starts_with_any(pg, b, e, openers));
}

/* F5 after the type line. */
static void subject_after_type(struct ctx *c, struct sbuf *out)
{
    static const char *const authorities[] = {
        "chu tich", "giam doc", "uy ban nhan dan", "hoi dong nhan dan", "bo truong", "thu tuong",
        "chinh phu", "ban thuong vu", "ban chap hanh", NULL};
    static const char *const stops[] = {"thoi gian", "dia diem", "thanh phan", NULL};
    static const char *const ve[] = {"ve", NULL};
    const struct mpage *pg = &c->p1;
    size_t blanks = 0;
    int nparts = 0, upper_first = 0;
    int32_t last = 0;

    for (size_t j = c->tline + 1; j < pg->nl && nparts < 4; j++) {
        const struct mline *l = &pg->ln[j];
        size_t e = l->e;
        int up;

        if (l->b == l->e) {
            if (nparts > 0 || ++blanks > 1)
                break;
            continue;
        }
        if (l->fl & (L_RULE | L_QH | L_TN) || starts_with_any(pg, l->b, l->e, body_starts) ||
            starts_with_any(pg, l->b, l->e, stops))
            break;
        while (e > l->b && is_blank(pg->cp[e - 1]))
            e--;
        if (pg->cp[e - 1] == ':' || l->nwords > 24)
            break;
        /* "... trân trọng kính mời:", "... trân trọng giới thiệu:" open the body
         * of invitations and introductions. */
        if (find_word(pg, l->b, e, "tran trong", NULL) != NOPOS ||
            find_word(pg, l->b, e, "kinh moi", NULL) != NOPOS)
            break;
        up = span_upper(pg, l->b, e);
        if (up && starts_with_any(pg, l->b, e, authorities))
            break;
        if (up && !(nparts == 0 ? starts_with_any(pg, l->b, e, ve) : upper_first))
            break;
        if (nparts > 0 && (!continues_summary(pg, l, e) || last == '.' || last == ';'))
            break;
        if (nparts == 0)
            upper_first = up;
        sb_span(out, pg, l->b, e);
        last = pg->cp[e - 1];
        nparts++;
    }
}

/* Append [b, e) of line li to out, without the place and date when OCR
 * merged them into it ("V/v hướng dẫn ... nộp Thái Bình, ngày 08 tháng 11
 * năm 2022" / "lưu hồ sơ"). */
static void vv_span(struct ctx *c, struct sbuf *out, size_t li, size_t b, size_t e)
{
    const struct mpage *pg = &c->p1;

    if (c->has_date && c->dateline == li && c->dp.cb >= b && c->dp.cb < e) {
        size_t r = c->dp.e;

        while (r < e && (is_blank(pg->cp[r]) || pg->cp[r] == '.' || pg->cp[r] == ','))
            r++;
        sb_span(out, pg, b, c->dp.cb);
        if (r < e)
            sb_span(out, pg, r, e);
        return;
    }
    sb_span(out, pg, b, e);
}

/* F5 for a công văn: the V/v line and up to two continuation lines; one
 * blank line may come between when the next line goes on in lower case
 * (OCR splits a wrapped V/v block into paragraphs). */
static void subject_vv(struct ctx *c, struct sbuf *out)
{
    const struct mpage *pg = &c->p1;
    const struct mline *l = &pg->ln[c->vvline];

    vv_span(c, out, c->vvline, c->vvstart, cell_end(pg, c->vvstart, l->le));
    for (size_t j = c->vvline + 1, k = 0, blank = 0; j < pg->nl && k < 2; j++, k++) {
        const struct mline *t = &pg->ln[j];
        struct numparse np;
        struct dateparse dp;
        size_t e = cell_end(pg, t->b, t->le);
        int conf;

        memset(&dp, 0, sizeof(dp));
        if (t->b == e && !blank && j + 1 < c->head && j + 1 < pg->nl) {
            const struct mline *u = &pg->ln[j + 1];
            size_t f = skip_nonword(pg, u->b, u->le);

            if (f < u->le && is_lower(pg->cp[f])) {
                blank = 1;
                k--;
                continue;
            }
        }
        if (t->b == e || t->fl & L_RULE || span_upper(pg, t->b, e) ||
            starts_with_any(pg, t->b, e, body_starts) || parse_number(pg, t, &np) ||
            (!(c->has_date && c->dateline == j) &&
             find_dateline(pg, t->b, t->e, c->ymax, 0, &dp)) ||
            type_line(pg, t, &conf) != NULL || is_list_line(pg, t->b, e) ||
            !continues_summary(pg, t, c->has_date && c->dateline == j && c->dp.cb > t->b &&
                                              c->dp.cb < e ? c->dp.cb : e))
            break;
        vv_span(c, out, j, t->b, e);
    }
}

/* Lower-case the first letter of a subject that starts with a plain verb or
 * "Về", so that it reads on after the type name in a title. */
static void title_subject(struct sbuf *sb, const char *subject, int cong_van)
{
    static const char *const verbs[] = {"ve", "ban", "phe", "giao", "thanh", "bo", "trien",
                                        "to", "tang", "thuc", "kien", "sua", "huong", "dieu",
                                        "du", "tong", "quy", "chi", "day", "xay", "dam", NULL};
    size_t len = strlen(subject), n, k = 0;
    char first[16], f[64];
    int32_t c0, c1;

    fold_str(subject, f, sizeof(f));
    while (f[k] != '\0' && f[k] != ' ' && k < sizeof(first) - 1) {
        first[k] = f[k];
        k++;
    }
    first[k] = '\0';
    if (cong_van && strcmp(first, "ve") != 0) {
        sb_str(sb, " về việc ");
        sb_str(sb, subject);
        return;
    }
    sb_str(sb, " ");
    n = len > 0 ? text__decode_lossy(subject, len, &c0) : 0;
    if (n > 0 && in_list(first, verbs) && is_upper(c0) && n < len &&
        text__decode_lossy(subject + n, len - n, &c1) > 0 && is_lower(c1)) {
        sb_cp(sb, text__lower_cp(c0));
        sb_str(sb, subject + n);
    } else {
        sb_str(sb, subject);
    }
}

static int current_year(void)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL)
        return 2100;
    return tm.tm_year + 1900;
}

/* Cut (s, n) to page 1: up to the first '\f', at most the cap. */
static size_t first_page_len(const char *s, size_t n)
{
    const char *ff = n > 0 ? memchr(s, '\f', n) : NULL;

    if (ff != NULL)
        n = (size_t)(ff - s);
    return n > TEXT_META_PAGE_MAX ? TEXT_META_PAGE_MAX : n;
}

/* The last page of (s, n): after its last '\f', at most the cap, starting
 * on a line. */
static const char *last_page(const char *s, size_t *n)
{
    size_t len = *n, b = 0;

    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '\f') {
            b = i;
            break;
        }
    if (len - b > TEXT_META_PAGE_MAX) {
        b = len - TEXT_META_PAGE_MAX;
        while (b < len && s[b - 1] != '\n')
            b++;
    }
    *n = len - b;
    return s + b;
}

/* "88/TTIr-STC" under a TỜ TRÌNH line: OCR read the gap between two thin
 * strokes as an I (or l, 1, |).  When the first segment is no type code but
 * becomes the type line's code once those letters are dropped, it is that
 * code; nothing else in the symbol is touched. */
static void fix_type_seg(struct ctx *c)
{
    struct numparse *np = &c->np;
    const char *code = c->ltype != NULL ? c->ltype->code : NULL;
    char t[SEG_BYTES];
    size_t k = 0;

    if (!c->has_num || np->party || np->nseg < 2 || code == NULL ||
        dtype_by_code(np->seg[0], np->year > 0) != NULL)
        return;
    for (const char *p = np->seg[0]; *p; p++)
        if (*p != 'I' && *p != 'l' && *p != '1' && *p != '|' && *p != 'i')
            t[k++] = *p;
    t[k] = '\0';
    if (k == strlen(np->seg[0]) || strcmp(t, code) != 0)
        return;
    memcpy(np->seg[0], t, k + 1);
    np->repaired = 1;
}

/* Is a segment of the admin symbol a single letter?  No agency or unit
 * code is; it is what OCR leaves of "STTTT" at low resolution, the
 * repeated letters dropped ("45/KH-S", "2150/S").  The symbol is then not
 * given (nor issuer and unit): the number line still anchors the header. */
static int sym_truncated(const struct numparse *np)
{
    if (np->party)
        return 0;
    for (int i = 0; i < np->nseg; i++) {
        size_t len = strlen(np->seg[i]);
        int32_t c;

        if (len > 0 && text__decode_lossy(np->seg[i], len, &c) == len)
            return 1;
    }
    return 0;
}

static void build_number(struct ctx *c, struct text_meta *m)
{
    struct numparse *np = &c->np;
    struct sbuf sym, num, key;
    char f[TEXT_META_FIELD_MAX];
    int conf = np->repaired ? 70 : 90;

    sb_reset(&sym);
    sb_reset(&num);
    sb_reset(&key);
    if (np->party) {
        sb_str(&sym, np->seg[0]);
        sb_str(&sym, "/");
        sb_str(&sym, np->seg[1]);
        sb_str(&num, np->numtext);
        sb_str(&num, "-");
        sb_str(&num, sym.s);
        snprintf(f, sizeof(f), "%d-", np->num);
        sb_str(&key, f);
        m->flags |= TEXT_META_PARTY;
        set_field(m, TEXT_META_ISSUER_CODE, np->seg[1], conf);
    } else {
        for (int i = 0; i < np->nseg; i++) {
            if (i > 0)
                sb_str(&sym, "-");
            sb_str(&sym, np->seg[i]);
        }
        if (np->num >= 0) {
            sb_str(&num, np->numtext);
            sb_str(&num, "/");
            snprintf(f, sizeof(f), "%d/", np->num);
            sb_str(&key, f);
        }
        if (np->year > 0) {
            snprintf(f, sizeof(f), "%d/", np->year);
            if (np->num >= 0) {
                sb_str(&num, f);
                sb_str(&key, f);
            }
            m->year_in_number = np->year;
            m->flags |= TEXT_META_QPPL;
        }
        sb_str(&num, sym.s);
    }
    fold_str(sym.s, f, sizeof(f));
    sb_str(&key, f);
    set_field(m, TEXT_META_SYMBOL, sym.s, conf);
    if (np->num >= 0) {
        m->num = np->num;
        set_field(m, TEXT_META_NUMBER, num.s, conf);
        set_field(m, TEXT_META_NUMBER_KEY, key.s, conf);
    } else {
        m->flags |= TEXT_META_UNNUMBERED;
    }
}

/* Issuer and unit from the admin symbol: segments from 'from' on. */
static void set_issuer(struct ctx *c, struct text_meta *m, int from, int conf)
{
    struct sbuf unit;

    sb_reset(&unit);
    if (from >= c->np.nseg)
        return;
    set_field(m, TEXT_META_ISSUER_CODE, c->np.seg[from], conf);
    for (int i = from + 1; i < c->np.nseg; i++) {
        if (unit.n > 0)
            sb_str(&unit, "-");
        sb_str(&unit, c->np.seg[i]);
    }
    set_field(m, TEXT_META_UNIT, unit.s, conf);
}

/* F1 step 4 and F2: type, type code, issuer and unit. */
static void resolve_type(struct ctx *c, struct text_meta *m)
{
    const struct dtype *code = NULL, *type = NULL;
    int conf = 0, sym_from = 0, nconf = c->np.repaired ? 70 : 90;

    if (c->has_num) {
        if (c->np.party)
            code = dtype_by_code(c->np.seg[0], 0);
        else if (c->np.nseg >= 2)
            code = dtype_by_code(c->np.seg[0], c->np.year > 0);
        if (!c->np.party)
            sym_from = code != NULL ? 1 : 0;
    }
    if (c->ltype != NULL) {
        type = c->ltype;
        conf = c->ltype_conf;
    } else if (c->has_vv) {
        type = dtype_cong_van();
        conf = 85;
    } else if (code != NULL) {
        type = code;
        conf = 75;
    } else if (c->has_num && !c->np.party && c->np.year == 0) {
        type = dtype_cong_van();
        conf = 70;
    } else if (c->has_kg) {
        type = dtype_cong_van();
        conf = 60;
    }
    if (c->has_num && !c->np.party) {
        if (type != NULL && type->code == NULL && code != NULL) {
            /* A công văn with a type code in its symbol.  "TTr" is also
             * Thanh tra's own code (vietnamese.md §1), so there the whole
             * symbol is agency; any other code is a plain conflict. */
            if (strcmp(code->code, "TTr") == 0)
                sym_from = 0;
            m->flags |= TEXT_META_SYM_SUSPECT;
        } else if (type != NULL && code != NULL && type != code) {
            m->flags |= TEXT_META_SYM_SUSPECT;
        } else if (type != NULL && type->code != NULL && code == NULL && type == c->ltype) {
            m->flags |= TEXT_META_SYM_SUSPECT;
        }
        if (!sym_truncated(&c->np))
            set_issuer(c, m, sym_from, nconf);
    } else if (c->has_num && code != NULL && type != NULL && type != code) {
        m->flags |= TEXT_META_SYM_SUSPECT;
    }
    if (type != NULL) {
        set_field(m, TEXT_META_TYPE, type->name, conf);
        set_field(m, TEXT_META_TYPE_CODE, type->code, conf);
    }
}

static void build_title(struct text_meta *m)
{
    struct sbuf t;

    sb_reset(&t);
    sb_str(&t, m->type);
    if (m->number != NULL) {
        sb_str(&t, " ");
        sb_str(&t, m->number);
    }
    if (m->subject != NULL)
        title_subject(&t, m->subject, m->type_code == NULL && strcmp(m->type, "Công văn") == 0);
    sb_fit(&t);
    set_field(m, TEXT_META_TITLE, t.s, m->conf[TEXT_META_TYPE]);
}

static void extract(struct ctx *c, struct text_meta *m)
{
    const struct mpage *pg = &c->p1;
    struct sbuf sb;
    struct signer sg;
    int signals, strong;

    scan_header(c);
    /* A labelled number with a full symbol is enough by itself; a bare
     * "Số: 12/UB" or an unlabelled party number counts as one signal. */
    strong = c->has_num && c->np.label &&
             (c->np.party || c->np.nseg >= 2 || c->np.year > 0);
    signals = !!c->has_motto + !!c->has_date + (c->ltype != NULL) + !!c->has_vv +
              (c->has_num && !strong);
    if (strong || signals >= 2) {
        m->flags |= TEXT_META_OFFICIAL;
        fix_type_seg(c);
        if (c->has_num && !sym_truncated(&c->np))
            build_number(c, m);
        resolve_type(c, m);
        if (c->has_date) {
            struct dateparse *dp = &c->dp;
            char iso[48];
            int conf = dp->repaired ? 70 : 90;

            if (dp->d > 0)
                snprintf(iso, sizeof(iso), "%04d-%02d-%02d", dp->y, dp->m, dp->d);
            else
                snprintf(iso, sizeof(iso), "%04d-%02d", dp->y, dp->m);
            set_field(m, TEXT_META_ISSUED, iso, conf);
            if (dp->pb != NOPOS) {
                sb_reset(&sb);
                sb_span(&sb, pg, dp->pb, dp->pe);
                set_field(m, TEXT_META_PLACE, sb.s, conf - 10);
            }
        }
        find_marks(c, m);
        find_agency(c, m);
        sb_reset(&sb);
        if (m->type != NULL && m->type_code == NULL && c->has_vv)
            subject_vv(c, &sb);
        else if (c->ltype != NULL)
            subject_after_type(c, &sb);
        sb_fit(&sb);
        set_field(m, TEXT_META_SUBJECT, sb.s, 75);
        /* Contracts and agreements carry one signature per party: no one
         * of them is "the" signer. */
        if (!(m->type_code != NULL && (strcmp(m->type_code, "HĐ") == 0 ||
                                       strcmp(m->type_code, "BGN") == 0 ||
                                       strcmp(m->type_code, "BTT") == 0)) &&
            find_signer(c->last, &sg)) {
            set_field(m, TEXT_META_SIGNER, sg.name.s, 80);
            set_field(m, TEXT_META_SIGNER_TITLE, sg.title.s, 80);
        }
        if (m->type != NULL)
            build_title(m);
    }
    if (m->title == NULL) {
        sb_reset(&sb);
        if (markdown_title(c->raw1, c->nraw1, &sb) || first_heading(pg, &sb))
            set_field(m, TEXT_META_TITLE, sb.s, 30);
    }
    set_field(m, TEXT_META_LANG, guess_lang(pg), 60);
    find_dates(pg, c->ymax, m);
    if (!(m->flags & TEXT_META_OFFICIAL))
        for (int f = 0; f < TEXT_META_NFIELDS; f++)
            if (f != TEXT_META_TITLE && f != TEXT_META_LANG)
                clear_field(m, f);
}

int text_meta_extract(const char *page1, size_t n1, const char *last, size_t n2,
                      struct text_meta *out, struct vt_err *err)
{
    struct ctx *c;
    int rc;

    assert(out != NULL);
    assert(page1 != NULL || n1 == 0);
    text_meta_init(out);
    c = xcalloc(1, sizeof(*c));
    page_init(&c->p1);
    page_init(&c->pl);
    c->ymax = current_year() + 1;
    if (page1 == NULL)
        page1 = "";
    c->raw1 = page1;
    c->nraw1 = first_page_len(page1, n1);
    rc = page_load(&c->p1, page1, c->nraw1);
    if (rc < 0)
        goto out;
    c->last = &c->p1;
    if (last != NULL && last != page1) {
        const char *lp = last_page(last, &n2);

        rc = page_load(&c->pl, lp, n2);
        if (rc < 0)
            goto out;
        c->last = &c->pl;
    } else if (last != NULL && last == page1 && memchr(page1, '\f', n1) != NULL) {
        /* The whole text passed twice: its last page is after the last \f. */
        const char *lp = last_page(last, &n2);

        rc = page_load(&c->pl, lp, n2);
        if (rc < 0)
            goto out;
        c->last = &c->pl;
    }
    extract(c, out);
out:
    if (rc < 0) {
        text_meta_release(out);
        rc = vt_err_set(err, rc, "cannot extract metadata: %s", vt_strerror(rc));
    }
    page_release(&c->p1);
    page_release(&c->pl);
    free(c);
    return rc;
}
