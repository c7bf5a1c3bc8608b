/* F5: the summary (trích yếu), after the type line or from the V/v line
 * of a công văn, and the official title built from type, number and
 * summary. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/meta_internal.h"

/* V/v at position b of line l (its start, or after the number): returns the
 * start of the text after it, or NOPOS. */
size_t text__vv_at(const struct mpage *pg, const struct mline *l, size_t b)
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

    if (text__span_words(pg, l->b, e) >= 14)
        return 0;
    return !(b < e && is_upper(pg->cp[b]) && text__starts_with_any(pg, b, e, openers));
}

/* F5 after the type line. */
void text__subject_after_type(struct mctx *c, struct sbuf *out)
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
        if (l->fl & (L_RULE | L_QH | L_TN) ||
            text__starts_with_any(pg, l->b, l->e, text__body_starts) ||
            text__starts_with_any(pg, l->b, l->e, stops))
            break;
        while (e > l->b && is_blank(pg->cp[e - 1]))
            e--;
        if (pg->cp[e - 1] == ':' || l->nwords > 24)
            break;
        /* "... trân trọng kính mời:", "... trân trọng giới thiệu:" open the body
         * of invitations and introductions. */
        if (text__find_word(pg, l->b, e, "tran trong", NULL) != NOPOS ||
            text__find_word(pg, l->b, e, "kinh moi", NULL) != NOPOS)
            break;
        up = text__span_upper(pg, l->b, e);
        if (up && text__starts_with_any(pg, l->b, e, authorities))
            break;
        if (up && !(nparts == 0 ? text__starts_with_any(pg, l->b, e, ve) : upper_first))
            break;
        if (nparts > 0 && (!continues_summary(pg, l, e) || last == '.' || last == ';'))
            break;
        if (nparts == 0)
            upper_first = up;
        text__sb_span(out, pg, l->b, e);
        last = pg->cp[e - 1];
        nparts++;
    }
}

/* Append [b, e) of line li to out, without the place and date when OCR
 * merged them into it ("V/v hướng dẫn ... nộp Thái Bình, ngày 08 tháng 11
 * năm 2022" / "lưu hồ sơ"). */
static void vv_span(struct mctx *c, struct sbuf *out, size_t li, size_t b, size_t e)
{
    const struct mpage *pg = &c->p1;

    if (c->has_date && c->dateline == li && c->dp.cb >= b && c->dp.cb < e) {
        size_t r = c->dp.e;

        while (r < e && (is_blank(pg->cp[r]) || pg->cp[r] == '.' || pg->cp[r] == ','))
            r++;
        text__sb_span(out, pg, b, c->dp.cb);
        if (r < e)
            text__sb_span(out, pg, r, e);
        return;
    }
    text__sb_span(out, pg, b, e);
}

/* F5 for a công văn: the V/v line and up to two continuation lines; one
 * blank line may come between when the next line goes on in lower case
 * (OCR splits a wrapped V/v block into paragraphs). */
void text__subject_vv(struct mctx *c, struct sbuf *out)
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
        if (t->b == e || t->fl & L_RULE || text__span_upper(pg, t->b, e) ||
            text__starts_with_any(pg, t->b, e, text__body_starts) ||
            text__parse_number(pg, t, &np) ||
            (!(c->has_date && c->dateline == j) &&
             text__find_dateline(pg, t->b, t->e, c->ymax, 0, &dp)) ||
            text__type_line(pg, t, &conf) != NULL || text__is_list_line(pg, t->b, e) ||
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

    text__fold_str(subject, f, sizeof(f));
    while (f[k] != '\0' && f[k] != ' ' && k < sizeof(first) - 1) {
        first[k] = f[k];
        k++;
    }
    first[k] = '\0';
    if (cong_van && strcmp(first, "ve") != 0) {
        text__sb_str(sb, " về việc ");
        text__sb_str(sb, subject);
        return;
    }
    text__sb_str(sb, " ");
    n = len > 0 ? text__decode_lossy(subject, len, &c0) : 0;
    if (n > 0 && text__in_list(first, verbs) && is_upper(c0) && n < len &&
        text__decode_lossy(subject + n, len - n, &c1) > 0 && is_lower(c1)) {
        text__sb_cp(sb, text__lower_cp(c0));
        text__sb_str(sb, subject + n);
    } else {
        text__sb_str(sb, subject);
    }
}

void text__build_title(struct text_meta *m)
{
    struct sbuf t;

    sb_reset(&t);
    text__sb_str(&t, m->type);
    if (m->number != NULL) {
        text__sb_str(&t, " ");
        text__sb_str(&t, m->number);
    }
    if (m->subject != NULL)
        title_subject(&t, m->subject, m->type_code == NULL && strcmp(m->type, "Công văn") == 0);
    text__sb_fit(&t);
    text__set_field(m, TEXT_META_TITLE, t.s, m->conf[TEXT_META_TYPE]);
}
