/* The extraction: page 1's header zone and its anchors, the gate that
 * tells an official document from any other text, and the entry point
 * text_meta_extract().  The steps and their order are meta_internal.h's
 * DESIGN. */
#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "text/meta_internal.h"

const char *const text__body_starts[] = {"kinh gui", "can cu", "theo de nghi", "dieu", "xet",
                                          NULL};

/* The anchors of header line i: the number, the date line, the V/v line
 * (each the first one), the type line and the motto.  Returns 1 when the
 * line ends the header zone: the body starts there, or it is the type
 * line.  *after_vv: the first line after a V/v block that may be body. */
static int scan_line(struct mctx *c, size_t i, size_t *after_vv)
{
    static const char *const kg[] = {"kinh gui", NULL};
    const struct mpage *pg = &c->p1;
    const struct mline *l = &pg->ln[i];
    struct numparse np;
    struct dateparse dp;
    const struct dtype *dt;
    int conf = 0;

    if (text__starts_with_any(pg, l->b, l->e, text__body_starts)) {
        c->has_kg = text__starts_with_any(pg, l->b, l->e, kg);
        return 1;
    }
    if (!c->has_num && text__parse_number(pg, l, &np)) {
        c->has_num = 1;
        c->numline = i;
        c->np = np;
    }
    memset(&dp, 0, sizeof(dp));
    if (!c->has_date &&
        text__find_dateline(pg, c->has_num && c->numline == i ? c->np.e : l->b, l->e, c->ymax,
                            c->has_num || c->has_motto, &dp)) {
        c->has_date = 1;
        c->dateline = i;
        c->dp = dp;
    }
    if (!c->has_vv && ((c->vvstart = text__vv_at(pg, l, l->b)) != NOPOS ||
                       (c->has_num && c->numline == i &&
                        (c->vvstart = text__vv_at(pg, l, c->np.e)) != NOPOS))) {
        c->has_vv = 1;
        c->vvline = i;
        *after_vv = i + 3;
    }
    dt = text__type_line(pg, l, &conf);
    if (dt != NULL) {
        c->ltype = dt;
        c->ltype_conf = conf;
        c->tline = i;
        return 1;
    }
    /* A body paragraph: many words, mostly lower case. */
    if (l->nwords >= 10 && l->nlower * 10 >= l->nletters * 7 && i >= *after_vv &&
        !(c->has_num && c->numline == i) && !(c->has_date && c->dateline == i))
        return 1;
    if (l->fl & (L_QH | L_TN))
        c->has_motto = 1;
    return 0;
}

/* Header zone and the anchors in it (P0 for plain text). */
static void scan_header(struct mctx *c)
{
    const struct mpage *pg = &c->p1;
    size_t lim = pg->nl < SCAN_LINES ? pg->nl : SCAN_LINES, end = NOPOS;
    size_t after_vv = 0;

    c->tline = NOPOS;
    for (size_t i = 0; i < lim && end == NOPOS; i++)
        if (pg->ln[i].b != pg->ln[i].e && scan_line(c, i, &after_vv))
            end = i;
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
    /* Anchors below the zone are body text. */
    if (c->has_num && c->numline >= end)
        c->has_num = 0;
    if (c->has_date && c->dateline >= end)
        c->has_date = 0;
    if (c->has_vv && c->vvline >= end)
        c->has_vv = 0;
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

/* The gate: is page 1 an official document?  A labelled number with a
 * full symbol is enough by itself; else two signals of motto, date line,
 * type line, V/v line and a bare number ("Số: 12/UB", an unlabelled party
 * number). */
static int is_official(const struct mctx *c)
{
    int strong = c->has_num && c->np.label && (c->np.party || c->np.nseg >= 2 || c->np.year > 0);
    int signals = !!c->has_motto + !!c->has_date + (c->ltype != NULL) + !!c->has_vv +
                  (c->has_num && !strong);

    return strong || signals >= 2;
}

/* F4's fields: the issue date ("YYYY-MM-DD", "YYYY-MM" for a blank day)
 * and the place. */
static void set_issued(const struct mctx *c, struct text_meta *m)
{
    const struct dateparse *dp = &c->dp;
    struct sbuf sb;
    char iso[48];
    int conf = dp->repaired ? 70 : 90;

    if (dp->d > 0)
        snprintf(iso, sizeof(iso), "%04d-%02d-%02d", dp->y, dp->m, dp->d);
    else
        snprintf(iso, sizeof(iso), "%04d-%02d", dp->y, dp->m);
    text__set_field(m, TEXT_META_ISSUED, iso, conf);
    if (dp->pb != NOPOS) {
        sb_reset(&sb);
        text__sb_span(&sb, &c->p1, dp->pb, dp->pe);
        text__set_field(m, TEXT_META_PLACE, sb.s, conf - 10);
    }
}

/* Every official field, in the order each needs the ones before it. */
static void official_fields(struct mctx *c, struct text_meta *m)
{
    struct sbuf sb;
    struct signer sg;

    m->flags |= TEXT_META_OFFICIAL;
    text__fix_type_seg(c);
    if (c->has_num && !text__sym_truncated(&c->np))
        text__build_number(c, m);
    text__resolve_type(c, m);
    if (c->has_date)
        set_issued(c, m);
    text__find_marks(c, m);
    text__find_agency(c, m);
    sb_reset(&sb);
    if (m->type != NULL && m->type_code == NULL && c->has_vv)
        text__subject_vv(c, &sb);
    else if (c->ltype != NULL)
        text__subject_after_type(c, &sb);
    text__sb_fit(&sb);
    text__set_field(m, TEXT_META_SUBJECT, sb.s, 75);
    /* Contracts and agreements carry one signature per party: no one
     * of them is "the" signer. */
    if (!(m->type_code != NULL && (strcmp(m->type_code, "HĐ") == 0 ||
                                   strcmp(m->type_code, "BGN") == 0 ||
                                   strcmp(m->type_code, "BTT") == 0)) &&
        text__find_signer(c->last, &sg)) {
        text__set_field(m, TEXT_META_SIGNER, sg.name.s, 80);
        text__set_field(m, TEXT_META_SIGNER_TITLE, sg.title.s, 80);
    }
    if (m->type != NULL)
        text__build_title(m);
}

static void extract(struct mctx *c, struct text_meta *m)
{
    const struct mpage *pg = &c->p1;
    struct sbuf sb;

    scan_header(c);
    if (is_official(c))
        official_fields(c, m);
    if (m->title == NULL) {
        sb_reset(&sb);
        if (text__markdown_title(c->raw1, c->nraw1, &sb) || text__first_heading(pg, &sb))
            text__set_field(m, TEXT_META_TITLE, sb.s, 30);
    }
    text__set_field(m, TEXT_META_LANG, text__guess_lang(pg), 60);
    text__find_dates(pg, c->ymax, m);
    if (!(m->flags & TEXT_META_OFFICIAL))
        for (int f = 0; f < TEXT_META_NFIELDS; f++)
            if (f != TEXT_META_TITLE && f != TEXT_META_LANG)
                text__clear_field(m, f);
}

int text_meta_extract(const char *page1, size_t n1, const char *last, size_t n2,
                      struct text_meta *out, struct vt_err *err)
{
    struct mctx *c;
    int rc;

    assert(out != NULL);
    assert(page1 != NULL || n1 == 0);
    text_meta_init(out);
    c = xcalloc(1, sizeof(*c));
    text__page_init(&c->p1);
    text__page_init(&c->pl);
    c->ymax = current_year() + 1;
    if (page1 == NULL)
        page1 = "";
    c->raw1 = page1;
    c->nraw1 = first_page_len(page1, n1);
    rc = text__page_load(&c->p1, page1, c->nraw1);
    if (rc < 0)
        goto out;
    c->last = &c->p1;
    if (last != NULL && last != page1) {
        const char *lp = last_page(last, &n2);

        rc = text__page_load(&c->pl, lp, n2);
        if (rc < 0)
            goto out;
        c->last = &c->pl;
    } else if (last != NULL && last == page1 && memchr(page1, '\f', n1) != NULL) {
        /* The whole text passed twice: its last page is after the last \f. */
        const char *lp = last_page(last, &n2);

        rc = text__page_load(&c->pl, lp, n2);
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
    text__page_release(&c->p1);
    text__page_release(&c->pl);
    free(c);
    return rc;
}
