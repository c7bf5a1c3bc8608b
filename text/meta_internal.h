/* Internals of the metadata extractor (text/meta_*.c); not included
 * outside text/.  The public API is text/meta.h.
 *
 * DESIGN
 *
 * A page is loaded once into two parallel arrays of code points: cp, the
 * cleaned NFC text, and fc, its fold.  Both come from text/norm's code-point
 * layer, the one text_clean() and text_fold() use for the index: NFC, then
 * P1 (Ð/Ɖ -> Đ, dashes -> '-', odd slashes -> '/', spaces -> ' ', invisible
 * characters dropped), then P2 (lowercase, marks stripped, đ -> d).  Only
 * OCR's '~', '\\', '[' and ']' (meta_page.c's ocr_punct()) and "\r\n", one
 * line end, are read the extractor's own way.  Blanks are collapsed.
 * Folding is one code point to one code point, so every match is made on
 * fc with hand-written matchers (no regex engine) and the value is copied
 * from the same range of cp, with its diacritics.  A run of three or more
 * blanks, or a tab, is kept as one GAP: it is where pdftotext -layout or
 * Tesseract --psm 6 glued two header columns onto one line.  Lines are further split at the national motto (Quốc hiệu,
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
 * Files: meta_page.c loads a page into the arrays, meta_layout.c finds
 * rules, the motto and cells, meta_match.c holds the matchers and the
 * value strings; one file per field family: meta_number.c (F1),
 * meta_type.c (F2 and what the symbol says), meta_date.c (F4 and the
 * generic dates), meta_stamp.c (F7), meta_agency.c (F3), meta_subject.c
 * (F5 and the official title), meta_signer.c (F6), meta_generic.c (lang
 * and the title of any text); meta_extract.c is the gate and the entry
 * point, meta_result.c the result.  meta_title.c and meta_markdown.c are
 * the title helpers of text/meta.h.
 *
 * Cost: a pass that finds what NFC may change (mostly nothing), one to
 * decode and clean, then a few passes over the first forty lines and the
 * signature block; no allocation besides the page arrays, the stretches
 * NFC changes and the result strings. */
#ifndef VT_TEXT_META_INTERNAL_H
#define VT_TEXT_META_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "text/meta.h"
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
/* Code points: text/norm's classes, ASCII inline */

static inline int is_blank(int32_t c)
{
    return c == ' ' || c == GAP;
}

static inline int is_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}

/* Letters and their case, as text/norm classifies them (ASCII inline). */
static inline int is_letter(int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return text__class(c) == TEXT_CLASS_LETTER;
}

static inline int is_upper(int32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    return text__case(c) == TEXT_CASE_UPPER;
}

static inline int is_lower(int32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z';
    return text__case(c) == TEXT_CASE_LOWER;
}

static inline int is_alnum(int32_t c)
{
    return is_digit(c) || is_letter(c);
}

/* P2 for one code point: text_fold()'s, except that a combining mark left
 * after NFC folds to itself instead of vanishing, so that fc stays parallel
 * to cp (the mark is no letter either way). */
static inline int32_t fold_cp(int32_t c)
{
    int32_t f;

    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    f = text__fold_cp(c);
    return f != 0 ? f : c;
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

/* meta_page.c.  text__page_init() before use, text__page_release() after;
 * text__page_load() returns 0 or VT_ENOMEM / VT_E2BIG (a page over the
 * caps). */
void text__page_init(struct mpage *pg);
void text__page_release(struct mpage *pg);
int text__page_load(struct mpage *pg, const char *s, size_t n);

/* meta_layout.c: per-line counts, rules and motto; the wrapped motto's
 * tail cut off the lines after it. */
void text__line_stats(struct mpage *pg, struct mline *l, int head);
void text__qh_tails(struct mpage *pg, struct mline *ln, size_t nl);
int text__word_before(const struct mpage *pg, size_t b, size_t i, size_t *wb, size_t *we);

/* ------------------------------------------------------------------ */
/* Matching on the folded text (meta_match.c; the shortest inline) */

/* If fc[i..e) starts with lit, the end of the match, else NOPOS.  A space
 * in lit matches one or more blanks. */
static inline size_t lit_at(const struct mpage *pg, size_t i, size_t e, const char *lit)
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
static inline size_t word_at(const struct mpage *pg, size_t i, size_t e, const char *lit)
{
    size_t j = lit_at(pg, i, e, lit);

    if (j == NOPOS || (j < e && is_alnum(pg->fc[j])))
        return NOPOS;
    return j;
}

static inline size_t skip_blanks(const struct mpage *pg, size_t i, size_t e)
{
    while (i < e && is_blank(pg->fc[i]))
        i++;
    return i;
}

/* Skip what is not a letter or digit (the spec's \W*). */
static inline size_t skip_nonword(const struct mpage *pg, size_t i, size_t e)
{
    while (i < e && !is_alnum(pg->fc[i]))
        i++;
    return i;
}

/* End of the first gap-separated cell starting at b (before e). */
static inline size_t cell_end(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++)
        if (pg->fc[i] == GAP)
            return i;
    return e;
}

/* Start of the last gap-separated cell of [b, e). */
static inline size_t last_cell(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = e; i > b; i--)
        if (pg->fc[i - 1] == GAP)
            return i;
    return b;
}

size_t text__find_word(const struct mpage *pg, size_t b, size_t e, const char *lit, size_t *endp);
int text__starts_with_any(const struct mpage *pg, size_t b, size_t e, const char *const *list);
int text__span_upper(const struct mpage *pg, size_t b, size_t e);
unsigned text__span_words(const struct mpage *pg, size_t b, size_t e);
int text__span_letters(const struct mpage *pg, size_t b, size_t e, char *out, size_t cap,
                       int nospace);
int text__edit_distance(const char *a, const char *b);
/* 1 when w is one of the NULL-terminated list. */
int text__in_list(const char *w, const char *const *list);

/* ------------------------------------------------------------------ */
/* Output strings: fixed buffers, cut at the cap on a whole character */

struct sbuf {
    char s[TEXT_META_FIELD_MAX];
    size_t n;
    int cut; /* something was left out at the cap (see text__sb_fit()) */
};

static inline void sb_reset(struct sbuf *sb)
{
    sb->n = 0;
    sb->s[0] = '\0';
    sb->cut = 0;
}

void text__sb_cp(struct sbuf *sb, int32_t c);
void text__sb_str(struct sbuf *sb, const char *s);
void text__sb_span(struct sbuf *sb, const struct mpage *pg, size_t b, size_t e);
void text__sb_fit(struct sbuf *sb);
/* fold() of a short UTF-8 string into out (room for cap bytes). */
void text__fold_str(const char *s, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Field families */

/* F2 and type codes (meta_type.c) */
enum { DT_QPPL = 1 };

struct dtype {
    const char *fold; /* folded name, NULL for code-only entries */
    const char *name; /* Phụ lục III spelling */
    const char *code; /* NULL: công văn and thư công have none */
    unsigned fl;
};

const struct dtype *text__dtype_by_code(const char *code, int qppl);
const struct dtype *text__type_line(const struct mpage *pg, const struct mline *l, int *conf);

/* F1 (meta_number.c) */
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

int text__parse_number(const struct mpage *pg, const struct mline *l, struct numparse *np);
int text__sym_truncated(const struct numparse *np);

/* F4 and the dates of any page (meta_date.c) */
struct dateparse {
    int y, m, d;     /* d 0: blank day */
    int repaired;
    size_t sep;      /* the separator before "ngày", or NOPOS */
    size_t pb, pe;   /* the place, or pb == NOPOS */
    size_t cb;       /* start of the place and date (where a merged line is cut) */
    size_t e;        /* end of the match */
};

int text__find_dateline(const struct mpage *pg, size_t from, size_t e, int ymax, int mid,
                        struct dateparse *dp);
void text__find_dates(const struct mpage *pg, int ymax, struct text_meta *m);

/* F7 (meta_stamp.c) */
struct mark;
const struct mark *text__mark_cell(const struct mpage *pg, size_t b, size_t e, int *conf);

/* F6 (meta_signer.c) */
struct signer {
    struct sbuf title;
    struct sbuf name;
};

int text__is_list_line(const struct mpage *pg, size_t b, size_t e);
int text__find_signer(const struct mpage *pg, struct signer *out);

/* ------------------------------------------------------------------ */
/* One extraction (meta_extract.c): page 1's anchors, read by the fields */

struct mctx {
    struct mpage p1, pl;
    const char *raw1; /* page 1 as passed in, for text__markdown_title() */
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

/* Lines that end the header: the body starts. */
extern const char *const text__body_starts[];

void text__find_marks(struct mctx *c, struct text_meta *m);
void text__find_agency(struct mctx *c, struct text_meta *m);
size_t text__vv_at(const struct mpage *pg, const struct mline *l, size_t b);
void text__subject_after_type(struct mctx *c, struct sbuf *out);
void text__subject_vv(struct mctx *c, struct sbuf *out);
void text__build_title(struct text_meta *m);
void text__fix_type_seg(struct mctx *c);
void text__build_number(struct mctx *c, struct text_meta *m);
void text__resolve_type(struct mctx *c, struct text_meta *m);

/* Generic fields (meta_generic.c) */
const char *text__guess_lang(const struct mpage *pg);
int text__first_heading(const struct mpage *pg, struct sbuf *out);
int text__markdown_title(const char *raw, size_t n, struct sbuf *out);

/* The result (meta_result.c): field f of m set to a copy of s with
 * confidence conf (clamped to 1..100), or absent for a NULL or empty s. */
void text__set_field(struct text_meta *m, int f, const char *s, int conf);
void text__clear_field(struct text_meta *m, int f);

/* ------------------------------------------------------------------ */
/* Titles (meta_title.c, meta_markdown.c) */

#define ELLIPSIS "\xE2\x80\xA6" /* U+2026 */

/* White space, as text_clean() reads it: ASCII's, and what it makes a
 * space or a line end. */
static inline int is_title_space(int32_t c)
{
    int32_t r;

    if (c < 0x80)
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    r = text__clean_cp(c);
    return r == ' ' || r == '\n';
}

char *text__title_fit(const char *s, size_t n, size_t max_chars, size_t max_bytes, int more);
/* The code point before s[i] (' ' at the start; U+FFFD for a broken one). */
int32_t text__cp_before(const char *s, size_t i);

#endif
