/* F2, the type line, and what the symbol's type code says (F1 step 4):
 * the document types of Phụ lục III (NĐ 30/2020), issuer and unit. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "text/meta_internal.h"

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

const struct dtype *text__dtype_by_code(const char *code, int qppl)
{
    for (size_t i = 0; i < NDTYPES; i++)
        if (dtypes[i].code != NULL && strcmp(dtypes[i].code, code) == 0 &&
            (qppl || !(dtypes[i].fl & DT_QPPL)))
            return &dtypes[i];
    return NULL;
}

/* F2: is line l a type line?  Its fold, reduced to letters, must equal a
 * type name, or be one edit away from a single name of 8+ letters. */
const struct dtype *text__type_line(const struct mpage *pg, const struct mline *l, int *conf)
{
    char got[32], want[32];
    const struct dtype *near = NULL;
    size_t e = l->e;
    int nnear = 0, k;

    while (e > l->b && (is_blank(pg->cp[e - 1]) || pg->cp[e - 1] == '.' || pg->cp[e - 1] == '*'))
        e--;
    if (e == l->b || pg->cp[e - 1] == ':' || l->fl & (L_RULE | L_QH | L_TN))
        return NULL;
    if (l->nletters < 4 || l->nletters > 24 || !text__span_upper(pg, l->b, e))
        return NULL;
    k = text__span_letters(pg, l->b, e, got, sizeof(got), 1);
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
        if (w >= 8 && text__edit_distance(got, want) == 1) {
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

/* "88/TTIr-STC" under a TỜ TRÌNH line: OCR read the gap between two thin
 * strokes as an I (or l, 1, |).  When the first segment is no type code but
 * becomes the type line's code once those letters are dropped, it is that
 * code; nothing else in the symbol is touched. */
void text__fix_type_seg(struct mctx *c)
{
    struct numparse *np = &c->np;
    const char *code = c->ltype != NULL ? c->ltype->code : NULL;
    char t[SEG_BYTES];
    size_t k = 0;

    if (!c->has_num || np->party || np->nseg < 2 || code == NULL ||
        text__dtype_by_code(np->seg[0], np->year > 0) != NULL)
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

/* Issuer and unit from the admin symbol: segments from 'from' on. */
static void set_issuer(struct mctx *c, struct text_meta *m, int from, int conf)
{
    struct sbuf unit;

    sb_reset(&unit);
    if (from >= c->np.nseg)
        return;
    text__set_field(m, TEXT_META_ISSUER_CODE, c->np.seg[from], conf);
    for (int i = from + 1; i < c->np.nseg; i++) {
        if (unit.n > 0)
            text__sb_str(&unit, "-");
        text__sb_str(&unit, c->np.seg[i]);
    }
    text__set_field(m, TEXT_META_UNIT, unit.s, conf);
}

/* F1 step 4 and F2: type, type code, issuer and unit. */
void text__resolve_type(struct mctx *c, struct text_meta *m)
{
    const struct dtype *code = NULL, *type = NULL;
    int conf = 0, sym_from = 0, nconf = c->np.repaired ? 70 : 90;

    if (c->has_num) {
        if (c->np.party)
            code = text__dtype_by_code(c->np.seg[0], 0);
        else if (c->np.nseg >= 2)
            code = text__dtype_by_code(c->np.seg[0], c->np.year > 0);
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
        if (!text__sym_truncated(&c->np))
            set_issuer(c, m, sym_from, nconf);
    } else if (c->has_num && code != NULL && type != NULL && type != code) {
        m->flags |= TEXT_META_SYM_SUSPECT;
    }
    if (type != NULL) {
        text__set_field(m, TEXT_META_TYPE, type->name, conf);
        text__set_field(m, TEXT_META_TYPE_CODE, type->code, conf);
    }
}
