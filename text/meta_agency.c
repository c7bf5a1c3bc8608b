/* F3: the issuing agency, and its parent, from the capital lines of the
 * left column above the number; OCR damage repaired from the agency
 * vocabulary. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "text/meta_internal.h"

static int is_mark_line(const struct mpage *pg, const struct mline *l)
{
    int conf;

    return text__mark_cell(pg, l->b, l->le, &conf) != NULL;
}

static int has_letters(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++)
        if (is_letter(pg->cp[i]))
            return 1;
    return 0;
}

/* F3 repairs.  OCR damages the agency lines in a few set ways: a wrong
 * tone ("ÚY BAN", "SƠ NỘI VỤ", "NHÂN DẪN", "TÍNH"), lost marks beside the
 * bold motto ("TRUYEN THONG"), lost spaces ("BANNHÂNDÂN") and stray
 * punctuation ("DÂN.", "'TRUYEN").  Where the agency vocabulary makes the
 * reading certain, the words are put right:
 *   - head phrases of two or more words at the start of a line (their fold
 *     is no other agency's);
 *   - a one-word head (SỞ, BỘ, PHÒNG...) only before a sector name, since
 *     "so" alone may as well be SỐ;
 *   - a level word (TỈNH, HUYỆN, XÃ, THÀNH PHỐ, THỊ XÃ) at the start of a
 *     line or after ỦY BAN NHÂN DÂN / HỘI ĐỒNG NHÂN DÂN, before a name;
 *   - sector names (NỘI VỤ, TÀI CHÍNH, THÔNG TIN VÀ TRUYỀN THÔNG...)
 *     anywhere.
 * Matching is on folded letters across OCR's word breaks.  A word whose
 * marks are those of the vocabulary's, tone placed elsewhere ("UỶ", "HOÀ"),
 * is kept as written. */
#define AG_MAX 256            /* code points of an agency considered */
#define AG_WORDS (AG_MAX / 2) /* a word and its separator: room for all */

struct agtext {
    int32_t cp[AG_MAX], fc[AG_MAX];
    unsigned char lstart[AG_MAX]; /* 1 at the first code point of a line */
    size_t n;
    size_t wb[AG_WORDS], we[AG_WORDS]; /* words: runs of letters, digits, & */
    size_t nw;
};

static const char *const ag_heads[] = {
    "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "UBND", "HĐND", "CHI CỤC", "TRUNG TÂM", "VĂN PHÒNG", "THANH TRA",
    "CÔNG AN", "TỔNG CỤC", "BỆNH VIỆN", NULL};

static const char *const ag_heads1[] = {"SỞ", "BỘ", "BAN", "PHÒNG", "CỤC", "VỤ", NULL};

static const char *const ag_levels[] = {"THÀNH PHỐ", "THỊ XÃ", "TỈNH", "HUYỆN", "XÃ", NULL};

static const char *const ag_sectors[] = {
    "THÔNG TIN VÀ TRUYỀN THÔNG", "KẾ HOẠCH VÀ ĐẦU TƯ", "TÀI NGUYÊN VÀ MÔI TRƯỜNG",
    "NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "KHOA HỌC VÀ CÔNG NGHỆ", "GIÁO DỤC VÀ ĐÀO TẠO",
    "GIAO THÔNG VẬN TẢI", "THỂ THAO VÀ DU LỊCH", "NỘI VỤ", "TÀI CHÍNH", "TƯ PHÁP",
    "CÔNG THƯƠNG", "XÂY DỰNG", "Y TẾ", "NGOẠI VỤ", NULL};

/* Decode a short UTF-8 vocabulary string into cp (cap code points). */
static size_t utf8_cps(const char *s, int32_t *cp, size_t cap)
{
    size_t n = 0, len = strlen(s);

    for (size_t i = 0; i < len && n < cap;)
        i += text__decode_lossy(s + i, len - i, &cp[n++]);
    return n;
}

/* The marks of c: tone marks in bits 0-4, vowel marks (circumflex, breve,
 * horn, the bar of đ) in bits 8-11. */
static unsigned cp_marks(int32_t c)
{
    utf8proc_int32_t d[4];
    int bc = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 4, UTF8PROC_DECOMPOSE, &bc);
    unsigned m = 0;

    for (utf8proc_ssize_t i = 1; i < k && i < 4; i++)
        switch (d[i]) {
        case 0x300: m |= 1u << 0; break;
        case 0x301: m |= 1u << 1; break;
        case 0x303: m |= 1u << 2; break;
        case 0x309: m |= 1u << 3; break;
        case 0x323: m |= 1u << 4; break;
        case 0x302: m |= 1u << 8; break;
        case 0x306: m |= 1u << 9; break;
        case 0x31B: m |= 1u << 10; break;
        default: break;
        }
    if (c == 0x110 || c == 0x111)
        m |= 1u << 11;
    return m;
}

#define TONE_MARKS 0x1Fu

/* Do the code points a[0..n) and b[0..n) (same fold) carry the same marks,
 * the vowel marks on the same letters and one same tone anywhere ("UỶ" and
 * "ỦY", "HOÀ" and "HÒA")? */
static int same_marks(const int32_t *a, const int32_t *b, size_t n)
{
    unsigned ta = 0, tb = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned x = cp_marks(a[i]), y = cp_marks(b[i]);

        if ((x & ~TONE_MARKS) != (y & ~TONE_MARKS))
            return 0;
        ta |= x & TONE_MARKS;
        tb |= y & TONE_MARKS;
    }
    return ta == tb;
}

/* Does the phrase (folded, without spaces) match the words w.. of t?
 * Returns how many words it covers (1..8), or 0. */
static size_t ag_match(const struct agtext *t, size_t w, const char *phrase)
{
    char want[64];
    size_t pos = 0, j = 0;

    text__fold_str(phrase, want, sizeof(want));
    for (size_t i = 0; want[i]; i++)
        if (want[i] != ' ')
            want[j++] = want[i];
    want[j] = '\0';
    for (size_t x = w; x < t->nw && x < w + 8; x++) {
        for (size_t i = t->wb[x]; i < t->we[x]; i++) {
            if (want[pos] == '\0' || t->fc[i] != (unsigned char)want[pos])
                return 0;
            pos++;
        }
        if (want[pos] == '\0')
            return x - w + 1;
    }
    return 0;
}

/* The first phrase of list that matches at word w; *nw gets its extent. */
static const char *ag_find(const struct agtext *t, size_t w, const char *const *list, size_t *nw)
{
    for (; *list != NULL; list++)
        if ((*nw = ag_match(t, w, *list)) > 0)
            return *list;
    return NULL;
}

/* Write words [w, w + k) of t as phrase into sb: word by word when they
 * line up (keeping a word whose marks only sit elsewhere), else the phrase. */
static void ag_put(struct sbuf *sb, const struct agtext *t, size_t w, size_t k, const char *phrase)
{
    int32_t pc[64];
    size_t pn = utf8_cps(phrase, pc, 64), i = 0, x;

    /* Do the words line up, letter for letter? */
    for (x = w; x < w + k; x++) {
        i += t->we[x] - t->wb[x];
        if (i > pn || (i < pn && pc[i] != ' ') || (i == pn && x + 1 < w + k))
            break;
        i++;
    }
    if (x < w + k || i < pn) {
        for (i = 0; i < pn; i++)
            text__sb_cp(sb, pc[i]);
        return;
    }
    i = 0;
    for (x = w; x < w + k; x++) {
        size_t n = t->we[x] - t->wb[x];

        if (x > w)
            text__sb_cp(sb, ' ');
        if (same_marks(t->cp + t->wb[x], pc + i, n))
            for (size_t j = 0; j < n; j++)
                text__sb_cp(sb, t->cp[t->wb[x] + j]);
        else
            for (size_t j = 0; j < n; j++)
                text__sb_cp(sb, pc[i + j]);
        i += n + 1;
    }
}

/* Append line [b, e) of pg to t. */
static void ag_add(struct agtext *t, const struct mpage *pg, size_t b, size_t e)
{
    int first = 1;

    /* A line ends without its stray full stop ("HỘI ĐỒNG NHÂN DÂN."). */
    while (e > b && (is_blank(pg->cp[e - 1]) || pg->cp[e - 1] == '.'))
        e--;
    if (t->n > 0 && t->n < AG_MAX) {
        t->cp[t->n] = t->fc[t->n] = ' ';
        t->lstart[t->n++] = 0;
    }
    for (size_t i = b; i < e && t->n < AG_MAX; i++) {
        int32_t c = pg->cp[i];

        if (c == GAP)
            c = ' ';
        /* Keep letters, digits and the punctuation of names; the rest
         * (quotes, rules, frames) is noise. */
        if (!is_alnum(c) && c != ' ' && c != '-' && c != ',' && c != '&' && c != '(' &&
            c != ')' && c != '/' && c != '.')
            c = ' ';
        if (c == ' ' && (t->n == 0 || t->cp[t->n - 1] == ' '))
            continue;
        t->cp[t->n] = c;
        t->fc[t->n] = c == pg->cp[i] ? pg->fc[i] : c;
        t->lstart[t->n] = (unsigned char)first;
        first = 0;
        t->n++;
    }
}

/* Split t into words (runs of letters, digits and '&'), its trailing
 * separators cut off. */
static void ag_words(struct agtext *t)
{
    while (t->n > 0 && (t->cp[t->n - 1] == ' ' || t->cp[t->n - 1] == '-' ||
                        t->cp[t->n - 1] == ','))
        t->n--;
    t->nw = 0;
    for (size_t i = 0; i < t->n && t->nw < AG_WORDS;) {
        if (!is_alnum(t->cp[i]) && t->cp[i] != '&') {
            i++;
            continue;
        }
        t->wb[t->nw] = i;
        while (i < t->n && (is_alnum(t->cp[i]) || t->cp[i] == '&'))
            i++;
        t->we[t->nw++] = i;
    }
}

/* The vocabulary phrase that words w.. of t are (damaged), or NULL, and
 * in *k how many words it covers; *after_head says that the word before
 * was a head phrase, after which a level word may stand mid-line. */
static const char *ag_phrase(const struct agtext *t, size_t w, int *after_head, size_t *k)
{
    int line0 = t->lstart[t->wb[w]] || w == 0, head = *after_head;
    size_t k2 = 0;
    const char *ph;

    *after_head = 0;
    if (line0 && (ph = ag_find(t, w, ag_heads, k)) != NULL) {
        *after_head = 1;
        return ph;
    }
    if (line0 && (ph = ag_find(t, w, ag_heads1, k)) != NULL && *k == 1 &&
        ag_find(t, w + 1, ag_sectors, &k2) != NULL)
        return ph;
    if ((line0 || head) && w + 1 < t->nw && (ph = ag_find(t, w, ag_levels, k)) != NULL &&
        w + *k < t->nw)
        return ph;
    return ag_find(t, w, ag_sectors, k);
}

/* Words of t, then the repaired text into sb. */
static void ag_write(struct agtext *t, struct sbuf *sb)
{
    size_t w, prev_end = 0;
    int after_head = 0, accented = 0;

    ag_words(t);
    /* Text written without marks at all is left so: only some words
     * without their marks are damage. */
    for (size_t i = 0; i < t->n && !accented; i++)
        accented = t->cp[i] >= 0x80;
    for (w = 0; w < t->nw;) {
        const char *ph = NULL;
        size_t k = 0, b = t->wb[w];

        /* What lies between the previous word and this one. */
        for (size_t i = prev_end; i < b; i++)
            if (w > 0 && (t->cp[i] != ' ' || t->cp[i - 1] != ' '))
                text__sb_cp(sb, t->cp[i]);
        if ((t->lstart[b] || w == 0) && w > 0 && (sb->n == 0 || sb->s[sb->n - 1] != ' '))
            text__sb_cp(sb, ' ');
        if (accented)
            ph = ag_phrase(t, w, &after_head, &k);
        if (ph != NULL) {
            ag_put(sb, t, w, k, ph);
            w += k;
        } else {
            for (size_t i = b; i < t->we[w]; i++)
                text__sb_cp(sb, t->cp[i]);
            w++;
        }
        prev_end = t->we[w - 1];
    }
    /* a closing bracket may end a name */
    for (size_t i = prev_end; i < t->n; i++)
        if (t->cp[i] == ')')
            text__sb_cp(sb, ')');
}

/* Is [b, e) OCR noise rather than an agency line: a token mixing lower-case
 * letters and digits ("g5"), or a short lower-case token ("ee") other than
 * "và"? */
static int agency_junk(const struct mpage *pg, size_t b, size_t e)
{
    for (size_t i = b; i < e;) {
        size_t j = i;
        int low = 0, dig = 0, let = 0;

        while (j < e && !is_blank(pg->cp[j])) {
            low |= is_lower(pg->cp[j]);
            dig |= is_digit(pg->cp[j]);
            let += is_letter(pg->cp[j]);
            j++;
        }
        if (low && dig)
            return 1;
        if (low && let <= 2 && word_at(pg, i, j, "va") == NOPOS)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* The agency lines: up to four capital lines of the left column going up
 * from the anchor line, skipping rules, stamps, date lines, draft and copy
 * marks and OCR noise, and ending at the first other line after one was
 * taken.  Fills take[] bottom-up; returns how many. */
static size_t agency_lines(const struct mctx *c, size_t anchor, size_t take[4])
{
    static const char *const skip[] = {"du thao", "mau so", "ban sao", "sao y", "trich sao",
                                       "sao luc", "cong bao", "phu luc", NULL};
    const struct mpage *pg = &c->p1;
    size_t nt = 0;

    for (size_t i = anchor; i-- > 0 && nt < 4;) {
        const struct mline *l = &pg->ln[i];
        struct dateparse dp;

        if (l->b == l->le || l->fl & L_RULE || !has_letters(pg, l->b, l->le) ||
            is_mark_line(pg, l) || text__starts_with_any(pg, l->b, l->le, skip))
            continue;
        memset(&dp, 0, sizeof(dp));
        if (text__find_dateline(pg, l->b, l->e, c->ymax, 0, &dp))
            continue;
        if (text__span_upper(pg, l->b, l->le) && text__vv_at(pg, l, l->b) == NOPOS) {
            if (!agency_junk(pg, l->b, l->le))
                take[nt++] = i;
            continue;
        }
        if (nt > 0)
            break;
    }
    return nt;
}

/* How many of the nt agency lines (take[], bottom-up) name the parent
 * agency: those above the first unit line, when the top line opens like a
 * parent ("UBND TỈNH ..." over "SỞ ..."); else 0. */
static size_t agency_split(const struct mpage *pg, const size_t *take, size_t nt)
{
    static const char *const parents[] = {
        "ubnd", "uy ban nhan dan", "hdnd", "hoi dong nhan dan", "bo", "tinh uy", "huyen uy",
        "thanh uy", "quan uy", "dang uy", "tong cuc", "so", "dai hoc", "tap doan",
        "tong cong ty", NULL};
    static const char *const units[] = {
        "so", "ban", "phong", "chi cuc", "trung tam", "van phong", "thanh tra", "cuc", "vu",
        "truong", "cong an", "benh vien", "chi nhanh", "vien", "khoa", "cong ty", NULL};
    const struct mline *top = &pg->ln[take[nt - 1]];

    if (nt < 2 || !text__starts_with_any(pg, top->b, top->le, parents))
        return 0;
    for (size_t k = nt - 1; k-- > 0;)
        if (text__starts_with_any(pg, pg->ln[take[k]].b, pg->ln[take[k]].le, units))
            return nt - 1 - k;
    return 0;
}

/* F3: capital lines of the left column above the number (or the date). */
void text__find_agency(struct mctx *c, struct text_meta *m)
{
    const struct mpage *pg = &c->p1;
    size_t take[4], nt, split;
    struct sbuf parent, organ;
    struct agtext at;
    int conf;

    if (!c->has_num && !c->has_date)
        return;
    conf = c->has_num ? 85 : 65;
    nt = agency_lines(c, c->has_num ? c->numline : c->dateline, take);
    if (nt == 0)
        return;
    split = agency_split(pg, take, nt);
    sb_reset(&parent);
    sb_reset(&organ);
    memset(&at, 0, sizeof(at));
    for (size_t k = nt, n = 0; k-- > 0; n++) {
        ag_add(&at, pg, pg->ln[take[k]].b, pg->ln[take[k]].le);
        if (n + 1 == split || k == 0) {
            ag_write(&at, n < split ? &parent : &organ);
            at.n = 0;
        }
    }
    text__set_field(m, TEXT_META_AGENCY, organ.s, conf);
    text__set_field(m, TEXT_META_PARENT_AGENCY, parent.s, conf);
}
