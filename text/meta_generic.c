/* Generic fields, read from any text: its language and a title. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/meta_internal.h"

/* A cheap guess from function words and the share of letters with
 * Vietnamese marks; NULL when neither language is clear. */
const char *text__guess_lang(const struct mpage *pg)
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
            nvi += text__in_list(w, vi);
            nen += text__in_list(w, en);
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
int text__first_heading(const struct mpage *pg, struct sbuf *out)
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
        text__sb_span(out, pg, l->b, l->e);
        return 1;
    }
    return 0;
}

/* The title a Markdown page 1 declares (text_title_markdown() of its raw
 * text, which still has the brackets and tildes that text__page_load() blanks),
 * cleaned and composed as every field is. */
int text__markdown_title(const char *raw, size_t n, struct sbuf *out)
{
    char *md = text_title_markdown(raw, n, 0, sizeof(out->s) - 1);
    struct mpage t;

    if (md == NULL)
        return 0;
    text__page_init(&t);
    if (text__page_load(&t, md, strlen(md)) == 0)
        for (size_t i = 0; i < t.n; i++)
            text__sb_cp(out, t.cp[i] == GAP || t.cp[i] == '\n' ? ' ' : t.cp[i]);
    while (out->n > 0 && out->s[out->n - 1] == ' ')
        out->s[--out->n] = '\0';
    text__page_release(&t);
    free(md);
    return out->n > 0;
}
