/* F1: the number and symbol ("Số: 512/QĐ-UBND", "05/2020/NĐ-CP",
 * "36-HD/VPTW"), and the number fields built from it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text/meta_internal.h"

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
        text__sb_cp(&sb, pg->cp[j]);
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

/* Past one of the separators seps at j to the capital after it, blanks
 * allowed around the separator: the capital's position, or NOPOS. */
static size_t sep_upper(const struct mpage *pg, size_t j, size_t e, const char *seps)
{
    j = skip_blanks(pg, j, e);
    if (j >= e || pg->cp[j] == 0 || pg->cp[j] >= 0x80 || strchr(seps, (int)pg->cp[j]) == NULL)
        return NOPOS;
    j = skip_blanks(pg, j + 1, e);
    return j < e && is_upper(pg->cp[j]) ? j : NOPOS;
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
    if ((j = sep_upper(pg, j, e, "-")) == NOPOS)
        return 0;
    sb_reset(&sb);
    for (k = j; k < e && is_letter(pg->cp[k]) && k - j < 5; k++)
        text__sb_cp(&sb, pg->cp[k]);
    if (k < e && is_alnum(pg->cp[k]))
        return 0;
    memcpy(np->seg[0], sb.s, sb.n + 1);
    /* ORG = \p{Lu}[\p{Lu}\d]{1,10}(-[\p{Lu}\d]{1,10})? */
    if ((j = sep_upper(pg, k, e, "/")) == NOPOS)
        return 0;
    sb_reset(&sb);
    for (k = j; j < e && (is_upper(pg->cp[j]) || is_digit(pg->cp[j])) && j - k < 11; j++)
        text__sb_cp(&sb, pg->cp[j]);
    if (j - k < 2 || (j < e && is_alnum(pg->cp[j])))
        return 0;
    if (j + 1 < e && pg->cp[j] == '-' && (is_upper(pg->cp[j + 1]) || is_digit(pg->cp[j + 1]))) {
        text__sb_cp(&sb, '-');
        for (k = ++j; j < e && (is_upper(pg->cp[j]) || is_digit(pg->cp[j])) && j - k < 10; j++)
            text__sb_cp(&sb, pg->cp[j]);
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

/* ADMIN's number at i and the '/' after it: up to five digits, letters
 * OCR confuses with digits allowed beside a real one, or a blank number
 * (spaces, dots, an ellipsis).  Returns the position after the slash and
 * its blanks, or NOPOS; *val gets the number (-1 when blank), np->numtext
 * its digits. */
static size_t admin_num(const struct mpage *pg, size_t j, size_t e, struct numparse *np,
                        int *val, int *rep)
{
    int v = 0, nd = 0, real = 0;

    while (j < e && nd < 6) {
        int d = ocr_digit(pg->cp[j], rep);

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
        return NOPOS;
    np->numtext[nd] = '\0';
    if (nd > 0 && real == 0)
        return NOPOS; /* "Số: lO/..." reads nothing for sure */
    if (nd == 0) {
        while (j < e && (is_blank(pg->cp[j]) || pg->cp[j] == '.' || pg->cp[j] == '_' ||
                         pg->cp[j] == 0x2026))
            j++;
    }
    j = skip_blanks(pg, j, e);
    if (j >= e || pg->cp[j] != '/')
        return NOPOS;
    *val = nd > 0 ? v : -1;
    return skip_blanks(pg, j + 1, e);
}

/* The year of a QPPL number at j ("2020/" or "2005-" before a capital):
 * sets np->year and returns the position after it, else returns j. */
static size_t admin_year(const struct mpage *pg, size_t j, size_t e, struct numparse *np,
                         int *rep)
{
    int yr = 0, ok = 1, r2 = 0;
    size_t k;

    if (!(j + 4 < e && (pg->cp[j] == '1' || pg->cp[j] == '2')))
        return j;
    for (k = j; k < j + 4; k++) {
        int d = ocr_digit(pg->cp[k], &r2);

        if (d < 0 || (k < j + 2 && !is_digit(pg->cp[k])))
            ok = 0;
        yr = yr * 10 + (d < 0 ? 0 : d);
    }
    if (!ok || (yr / 100 != 19 && yr / 100 != 20) || is_alnum(pg->cp[j + 4]))
        return j;
    if ((k = sep_upper(pg, j + 4, e, "/-")) == NOPOS)
        return j;
    np->year = yr;
    *rep |= r2;
    return k;
}

/* ADMIN's symbol at j: SEG ('-' SEG){0,4} into np->seg, each repaired by
 * seg_fix(); returns its end, or NOPOS. */
static size_t admin_segs(const struct mpage *pg, size_t j, size_t e, struct numparse *np)
{
    np->nseg = 0;
    for (;;) {
        size_t k = seg_at(pg, j, e, np->seg[np->nseg]);

        if (k == NOPOS)
            return NOPOS;
        seg_fix(np->seg[np->nseg]);
        np->nseg++;
        j = k;
        if (np->nseg == SEG_MAX || (k = sep_upper(pg, j, e, "-")) == NOPOS)
            return j;
        j = k;
    }
}

/* ADMIN at i: [num] '/' [year ('/' or '-')] SEG ('-' SEG){0,4}, blanks
 * allowed around the separators. */
static int admin_at(const struct mpage *pg, size_t i, size_t e, struct numparse *np)
{
    size_t j;
    int v = -1, rep = 0;

    j = admin_num(pg, i, e, np, &v, &rep);
    if (j == NOPOS)
        return 0;
    j = admin_segs(pg, admin_year(pg, j, e, np, &rep), e, np);
    if (j == NOPOS)
        return 0;
    /* "123/HD/NN": an extra slash is damage we cannot undo. */
    if (j < e && (pg->cp[j] == '/' || is_alnum(pg->cp[j])))
        return 0;
    /* A type code with no agency after it ("27/QĐ") is no symbol. */
    if (np->nseg == 1 && text__dtype_by_code(np->seg[0], 1) != NULL)
        return 0;
    np->num = v;
    np->repaired |= rep;
    np->e = j;
    return 1;
}

/* F1 at the start of line l. */
int text__parse_number(const struct mpage *pg, const struct mline *l, struct numparse *np)
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

/* Is a segment of the admin symbol a single letter?  No agency or unit
 * code is; it is what OCR leaves of "STTTT" at low resolution, the
 * repeated letters dropped ("45/KH-S", "2150/S").  The symbol is then not
 * given (nor issuer and unit): the number line still anchors the header. */
int text__sym_truncated(const struct numparse *np)
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

void text__build_number(struct mctx *c, struct text_meta *m)
{
    struct numparse *np = &c->np;
    struct sbuf sym, num, key;
    char f[TEXT_META_FIELD_MAX];
    int conf = np->repaired ? 70 : 90;

    sb_reset(&sym);
    sb_reset(&num);
    sb_reset(&key);
    if (np->party) {
        text__sb_str(&sym, np->seg[0]);
        text__sb_str(&sym, "/");
        text__sb_str(&sym, np->seg[1]);
        text__sb_str(&num, np->numtext);
        text__sb_str(&num, "-");
        text__sb_str(&num, sym.s);
        snprintf(f, sizeof(f), "%d-", np->num);
        text__sb_str(&key, f);
        m->flags |= TEXT_META_PARTY;
        text__set_field(m, TEXT_META_ISSUER_CODE, np->seg[1], conf);
    } else {
        for (int i = 0; i < np->nseg; i++) {
            if (i > 0)
                text__sb_str(&sym, "-");
            text__sb_str(&sym, np->seg[i]);
        }
        if (np->num >= 0) {
            text__sb_str(&num, np->numtext);
            text__sb_str(&num, "/");
            snprintf(f, sizeof(f), "%d/", np->num);
            text__sb_str(&key, f);
        }
        if (np->year > 0) {
            snprintf(f, sizeof(f), "%d/", np->year);
            if (np->num >= 0) {
                text__sb_str(&num, f);
                text__sb_str(&key, f);
            }
            m->year_in_number = np->year;
            m->flags |= TEXT_META_QPPL;
        }
        text__sb_str(&num, sym.s);
    }
    text__fold_str(sym.s, f, sizeof(f));
    text__sb_str(&key, f);
    text__set_field(m, TEXT_META_SYMBOL, sym.s, conf);
    if (np->num >= 0) {
        m->num = np->num;
        text__set_field(m, TEXT_META_NUMBER, num.s, conf);
        text__set_field(m, TEXT_META_NUMBER_KEY, key.s, conf);
    } else {
        m->flags |= TEXT_META_UNNUMBERED;
    }
}
