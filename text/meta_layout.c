/* Line layout: counts, rules, the national motto and its wrapped tail.
 * The motto always opens the right column, so where it starts on a line
 * is where the left cell ends (struct mline.le). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/meta_internal.h"

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
    k = text__span_letters(pg, b, e, got, sizeof(got), 1);
    if (k < 1 || (size_t)k != e - b)
        return 0;
    if (strcmp(got, want) == 0)
        return 1;
    return k >= 3 && strlen(want) >= 3 && text__edit_distance(got, want) <= 1;
}

/* The word ending at or before i (skipping blanks and the odd '_', '-' or
 * '.' between words) in [b, i): *wb and *we get its bounds; 0 if none. */
int text__word_before(const struct mpage *pg, size_t b, size_t i, size_t *wb, size_t *we)
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

/* The word starting at or after i in [i, e), as text__word_before(). */
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
    size_t p = text__find_word(pg, b, e, "hoi chu nghia", NULL), q, wb, we;
    int k = 3, j;

    if (p == NOPOS) {
        p = text__find_word(pg, b, e, "chu nghia viet nam", NULL);
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
    for (j = k; j > 0 && text__word_before(pg, b, p, &wb, &we) &&
                word_like(pg, wb, we, qh_words[j - 1]);
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
        if (!text__word_before(pg, b, p, &wb, &we) || !word_like(pg, wb, we, qh_words[j - 1]))
            return NOPOS;
        p = wb;
    }
    return p;
}

/* Start of the Tiêu ngữ "Độc lập - Tự do - Hạnh phúc" in [b, e), or NOPOS;
 * two of its three parts must be there. */
static size_t find_tn(const struct mpage *pg, size_t b, size_t e)
{
    size_t dl = text__find_word(pg, b, e, "doc lap", NULL);
    size_t td = text__find_word(pg, dl != NOPOS ? dl : b, e, "tu do", NULL);
    size_t hp = text__find_word(pg, td != NOPOS ? td : b, e, "hanh phuc", NULL);

    if (dl != NOPOS && (td != NOPOS || hp != NOPOS))
        return dl;
    if (td != NOPOS && hp != NOPOS)
        return td;
    return NOPOS;
}

/* Counts, rules, and (for a line near the top, where the header is) the
 * national motto. */
void text__line_stats(struct mpage *pg, struct mline *l, int head)
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
    l->nwords = text__span_words(pg, l->b, l->e);
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
 * "ĐỊNH" on the line after): cut the tail off as text__line_stats() cuts the
 * motto.  Only the words the Quốc hiệu lacks are cut, so "MẶT TRẬN TỔ
 * QUỐC VIỆT NAM" under a whole Quốc hiệu keeps its name. */
void text__qh_tails(struct mpage *pg, struct mline *ln, size_t nl)
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

                if (j != i + 1 || (text__word_before(pg, t->b, a, &wb, &we) &&
                                   text__starts_with_any(pg, wb, we, names)))
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
