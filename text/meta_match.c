/* Matching on the folded text, and the value strings built from the
 * cleaned one. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/meta_internal.h"
#include "text/norm.h"

/* The first occurrence of lit as whole words in [b, e); *endp gets its end. */
size_t text__find_word(const struct mpage *pg, size_t b, size_t e, const char *lit, size_t *endp)
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

/* Does fold(cp[b, e)), after \W*, start with one of the words in list? */
int text__starts_with_any(const struct mpage *pg, size_t b, size_t e, const char *const *list)
{
    b = skip_nonword(pg, b, e);
    for (; *list != NULL; list++)
        if (word_at(pg, b, e, *list) != NOPOS)
            return 1;
    return 0;
}

/* 1 when [b, e) has at least two letters and 70% of them are capitals. */
int text__span_upper(const struct mpage *pg, size_t b, size_t e)
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

unsigned text__span_words(const struct mpage *pg, size_t b, size_t e)
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
int text__span_letters(const struct mpage *pg, size_t b, size_t e, char *out, size_t cap,
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
int text__edit_distance(const char *a, const char *b)
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

int text__in_list(const char *w, const char *const *list)
{
    for (; *list != NULL; list++)
        if (w[0] == (*list)[0] && strcmp(w, *list) == 0)
            return 1;
    return 0;
}

/* Append one code point; silently stops at the cap (on a whole character). */
void text__sb_cp(struct sbuf *sb, int32_t c)
{
    char u[4];
    size_t k = text_utf8_encode(c, u);

    if (sb->n + k + 1 > sizeof(sb->s)) {
        sb->cut = 1;
        return;
    }
    memcpy(sb->s + sb->n, u, k);
    sb->n += k;
    sb->s[sb->n] = '\0';
}

void text__sb_str(struct sbuf *sb, const char *s)
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
void text__sb_span(struct sbuf *sb, const struct mpage *pg, size_t b, size_t e)
{
    while (b < e && (is_trim(pg->cp[b]) || pg->cp[b] == '-' || pg->cp[b] == '.'))
        b++;
    while (e > b && (is_trim(pg->cp[e - 1]) || pg->cp[e - 1] == '-'))
        e--;
    if (b >= e)
        return;
    if (sb->n > 0)
        text__sb_cp(sb, ' ');
    for (size_t i = b; i < e; i++)
        text__sb_cp(sb, pg->cp[i] == GAP ? ' ' : pg->cp[i]);
}

/* A value cut off at the sbuf cap ends at a word boundary with "…"
 * instead (the cap is the same). */
void text__sb_fit(struct sbuf *sb)
{
    char *r;

    if (!sb->cut)
        return;
    r = text__title_fit(sb->s, sb->n, 0, sizeof(sb->s) - 1, 1);
    sb_reset(sb);
    if (r != NULL)
        text__sb_str(sb, r);
    free(r);
}

/* fold() of a short UTF-8 string into out (which has room for cap bytes). */
void text__fold_str(const char *s, char *out, size_t cap)
{
    size_t k = 0, n = strlen(s);

    for (size_t i = 0; i < n;) {
        int32_t c;
        char u[4];
        size_t w;

        i += text__decode_lossy(s + i, n - i, &c);
        w = text_utf8_encode(fold_cp(c), u);
        if (k + w + 1 > cap)
            break;
        memcpy(out + k, u, w);
        k += w;
    }
    out[k] = '\0';
}
