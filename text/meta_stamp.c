/* F7: the secrecy, urgency and scope stamps of the header. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/meta_internal.h"

struct mark {
    int field; /* TEXT_META_SECRECY, _URGENCY, _SCOPE */
    const char *exact;
    const char *canon;
    const char *fold; /* folded form accepted on lines of <= 2 words, or NULL */
};

static const struct mark marks[] = {
    {TEXT_META_SECRECY, "TUYỆT MẬT", "TUYỆT MẬT", "tuyet mat"},
    {TEXT_META_SECRECY, "TỐI MẬT", "TỐI MẬT", "toi mat"},
    {TEXT_META_SECRECY, "MẬT", "MẬT", "mat"},
    {TEXT_META_URGENCY, "HỎA TỐC HẸN GIỜ", "HỎA TỐC HẸN GIỜ", NULL},
    {TEXT_META_URGENCY, "HOẢ TỐC HẸN GIỜ", "HỎA TỐC HẸN GIỜ", NULL},
    {TEXT_META_URGENCY, "HỎA TỐC", "HỎA TỐC", "hoa toc"},
    {TEXT_META_URGENCY, "HOẢ TỐC", "HỎA TỐC", NULL},
    {TEXT_META_URGENCY, "THƯỢNG KHẨN", "THƯỢNG KHẨN", "thuong khan"},
    {TEXT_META_URGENCY, "KHẨN", "KHẨN", "khan"},
    {TEXT_META_SCOPE, "LƯU HÀNH NỘI BỘ", "LƯU HÀNH NỘI BỘ", NULL},
    {TEXT_META_SCOPE, "XEM XONG TRẢ LẠI", "XEM XONG TRẢ LẠI", NULL},
};

/* The stamp that cell [b, e) is, or NULL.  Its letters (frame characters
 * dropped) must equal a stamp text, all in capitals; the folded form is
 * enough only for cells of at most two words. */
const struct mark *text__mark_cell(const struct mpage *pg, size_t b, size_t e, int *conf)
{
    struct sbuf sb;
    char f[40];
    unsigned words = 0;
    int sep = 0;

    sb_reset(&sb);
    for (size_t i = b; i < e; i++) {
        int32_t c = pg->cp[i];

        if (!is_letter(c)) {
            sep = sb.n > 0;
            continue;
        }
        if (!is_upper(c))
            return NULL;
        if (sep || sb.n == 0)
            words++;
        if (sep)
            text__sb_cp(&sb, ' ');
        sep = 0;
        text__sb_cp(&sb, c);
        if (sb.n > 40)
            return NULL;
    }
    if (words == 0 || words > 4)
        return NULL;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strcmp(sb.s, marks[i].exact) == 0) {
            *conf = 90;
            return &marks[i];
        }
    if (words > 2 || text__span_letters(pg, b, e, f, sizeof(f), 0) < 0)
        return NULL;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (marks[i].fold != NULL && strcmp(f, marks[i].fold) == 0) {
            *conf = 60;
            return &marks[i];
        }
    return NULL;
}

/* F7 over the header zone. */
void text__find_marks(struct mctx *c, struct text_meta *m)
{
    const struct mpage *pg = &c->p1;

    for (size_t i = 0; i < c->head; i++) {
        const struct mline *l = &pg->ln[i];
        size_t b = l->b;

        while (b < l->le) {
            size_t e = cell_end(pg, b, l->le);
            int conf = 0;
            const struct mark *mk = text__mark_cell(pg, b, e, &conf);

            if (mk != NULL && text_meta_get(m, (enum text_meta_field)mk->field) == NULL)
                text__set_field(m, mk->field, mk->canon, conf);
            b = e + 1;
        }
    }
}
