/* F4, the place and date line, and the dates written anywhere on page 1. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/meta_internal.h"

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

    while (text__word_before(pg, b, p, &wb, &we)) {
        int up = is_upper(pg->cp[wb]);

        if (!up && start != NOPOS && text__starts_with_any(pg, wb, we, lowers) &&
            text__word_before(pg, b, wb, &p, &we) && is_upper(pg->cp[p])) {
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
int text__find_dateline(const struct mpage *pg, size_t from, size_t e, int ymax, int mid,
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
        nw = text__span_words(pg, pb, dp->sep);
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
void text__find_dates(const struct mpage *pg, int ymax, struct text_meta *m)
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
