/* F6: the signer and the signer's title, from the signature block of the
 * last page. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/meta_internal.h"

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

    if (text__span_letters(pg, b, e, f, sizeof(f), 0) < 0)
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
    if (b >= e || !text__span_upper(pg, b, e))
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
        if (r >= e || !is_upper(pg->cp[r]) || !text__span_upper(pg, r, e))
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

    return text__starts_with_any(pg, b, e, notes);
}

int text__is_list_line(const struct mpage *pg, size_t b, size_t e)
{
    static const char *const nn[] = {"noi nhan", NULL};
    int32_t c = b < e ? pg->cp[b] : 0;

    return c == '-' || c == '+' || c == '*' || c == 0x2022 || text__starts_with_any(pg, b, e, nn);
}

/* The part of line l that belongs to the signature column: the last
 * gap-separated cell; for a "Nơi nhận" list line without gaps, the suffix
 * after a separator that reads as an authority, a title, a name or a note.
 * Returns 0 when the line has nothing for the signature column. */
static int sig_cell(const struct mpage *pg, const struct mline *l, size_t *cb, size_t *ce)
{
    size_t b = last_cell(pg, l->b, l->e), r;

    *ce = l->e;
    if (b > l->b || !text__is_list_line(pg, l->b, l->e)) {
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
        if (text__span_upper(pg, b, l->e)) {
            for (size_t t = 0; titles[t] != NULL; t++)
                if (word_at(pg, b, l->e, titles[t]) != NOPOS) {
                    *cb = b;
                    return 1;
                }
        }
    }
    return 0;
}

/* The signer's title from the authority cell [cb, ce) of line i (words
 * from r on after a prefix) and up to two more title lines under it ("KT.
 * CHỦ TỊCH / PHÓ CHỦ TỊCH"); returns how many more lines it took. */
static unsigned signer_title(const struct mpage *pg, size_t i, size_t cb, size_t ce, size_t r,
                             struct sbuf *title)
{
    unsigned ntitle = 0;

    if (r > cb) {
        /* "KT.CHỦ TỊCH" -> "KT. CHỦ TỊCH" */
        size_t d = cb;

        while (d < r && is_letter(pg->cp[d]))
            text__sb_cp(title, pg->cp[d++]);
        text__sb_str(title, ".");
        text__sb_span(title, pg, r, ce);
    } else {
        text__sb_span(title, pg, cb, ce);
    }
    for (size_t j = i + 1; j < pg->nl && ntitle < 2; j++) {
        const struct mline *t = &pg->ln[j];

        if (t->b == t->e || !sig_cell(pg, t, &cb, &ce))
            break;
        if (is_name(pg, cb, ce) || is_sign_note(pg, cb, ce) || !text__span_upper(pg, cb, ce))
            break;
        text__sb_str(title, " /");
        text__sb_span(title, pg, cb, ce);
        ntitle++;
    }
    return ntitle;
}

/* The signer's name: the first name-like line among the eight non-empty
 * lines from j on, unless another authority line comes first. */
static void signer_name(const struct mpage *pg, size_t j, struct sbuf *name)
{
    size_t cb, ce, r;

    for (size_t seen = 0; j < pg->nl && seen < 8; j++) {
        const struct mline *t = &pg->ln[j];

        if (t->b == t->e)
            continue;
        seen++;
        if (!sig_cell(pg, t, &cb, &ce))
            continue;
        if (authority_at(pg, cb, ce, &r))
            return; /* the next signature block */
        if (is_name(pg, cb, ce)) {
            text__sb_span(name, pg, cb, ce);
            return;
        }
    }
}

/* F6 on page pg: the last authority line followed by a name. */
int text__find_signer(const struct mpage *pg, struct signer *out)
{
    int found = 0;

    for (size_t i = 0; i < pg->nl; i++) {
        const struct mline *l = &pg->ln[i];
        struct signer cur;
        size_t cb, ce, r;
        unsigned ntitle;

        if (l->b == l->e || !sig_cell(pg, l, &cb, &ce) || !authority_at(pg, cb, ce, &r))
            continue;
        sb_reset(&cur.title);
        sb_reset(&cur.name);
        ntitle = signer_title(pg, i, cb, ce, r, &cur.title);
        signer_name(pg, i + 1 + ntitle, &cur.name);
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
