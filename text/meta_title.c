/* Titles (text/meta.h): a title shortened where a reader would shorten it,
 * and the title of a text that has none of its own.
 *
 * A title is shortened where a reader would shorten it: at a word
 * boundary, at the end of a sentence or clause when one falls in the last
 * third of the room, and then says so with "…".  Lengths count code
 * points, and a cut falls between grapheme clusters, so neither a UTF-8
 * sequence nor a combining mark is ever parted from its letter. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "common/xalloc.h"
#include "text/meta_internal.h"
#include "text/norm.h"

/* Left out of a title: controls and a stray byte-order mark. */
static int is_title_drop(int32_t c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xFEFF;
}

/* A title being cut: its code points and their UTF-8. */
struct tline {
    int32_t *cp;
    size_t *off; /* off[k]: where cp[k] starts in u; off[n] is ulen */
    char *u;
    size_t n, ulen, cap;
};

static void tl_push(struct tline *t, int32_t c)
{
    char e[4];
    size_t k = text_utf8_encode(c, e);

    if (t->n + 1 >= t->cap) {
        t->cap = t->cap > 0 ? 2 * t->cap : 64;
        t->cp = xrealloc(t->cp, t->cap * sizeof(*t->cp));
        t->off = xrealloc(t->off, (t->cap + 1) * sizeof(*t->off));
        t->u = xrealloc(t->u, 4 * t->cap);
    }
    t->cp[t->n] = c;
    t->off[t->n] = t->ulen;
    memcpy(t->u + t->ulen, e, k);
    t->ulen += k;
    t->n++;
    t->off[t->n] = t->ulen;
}

static void tl_release(struct tline *t)
{
    free(t->cp);
    free(t->off);
    free(t->u);
}

static int is_dash(int32_t c)
{
    return c == '-' || c == 0x2013 || c == 0x2014;
}

/* A cut before cp[c] (a space) ends a sentence: after '!', '?', '…', "..."
 * or a '.' that closes a word with a lower-case letter ("format.", not the
 * "TP." of "TP. Hồ Chí Minh" nor the "1." of "Điều 1."), closing quotes
 * and brackets allowed after it. */
static int sentence_end(const struct tline *t, size_t c)
{
    size_t j = c - 1, lower = 0, letters = 0;

    while (j > 0 && c - j <= 2 &&
           (t->cp[j] == ')' || t->cp[j] == ']' || t->cp[j] == '"' || t->cp[j] == '\'' ||
            t->cp[j] == 0x201D || t->cp[j] == 0x2019 || t->cp[j] == 0xBB))
        j--;
    if (t->cp[j] == '!' || t->cp[j] == '?' || t->cp[j] == 0x2026)
        return 1;
    if (t->cp[j] != '.' || j == 0)
        return 0;
    if (t->cp[j - 1] == '.')
        return 1;
    for (size_t k = j; k > 0 && t->cp[k - 1] != ' '; k--) {
        letters += is_letter(t->cp[k - 1]);
        lower += is_lower(t->cp[k - 1]);
    }
    return letters >= 2 && lower > 0;
}

/* A cut before cp[c] (a space) ends a clause: after ',', ';', ':' or a
 * dash standing between spaces ("30/2020/NĐ-CP - Về công tác văn thư"). */
static int clause_end(const struct tline *t, size_t c)
{
    int32_t p = t->cp[c - 1];

    return p == ',' || p == ';' || p == ':' || (is_dash(p) && c >= 2 && t->cp[c - 2] == ' ');
}

/* Left off the end of a shortened title, before its "…". */
static int is_cut_trim(int32_t c)
{
    return c == ' ' || c == ',' || c == ';' || c == ':' || c == '.' || is_dash(c) || c == '(' ||
           c == '[' || c == '{' || c == 0x201C || c == 0x2018 || c == 0xAB || c == '/';
}

/* (s, n) into t as one line: white space runs as one space, the ends
 * trimmed, controls dropped.  No more is read than the limits need: one
 * character past the room tells whether the cut falls before a space. */
static void tl_read(struct tline *t, const char *s, size_t n, size_t max_chars, size_t max_bytes)
{
    size_t i = 0;
    int space = 0;

    while (i < n) {
        int32_t c;

        i += text__decode_lossy(s + i, n - i, &c);
        if (is_title_space(c)) {
            space = t->n > 0;
            continue;
        }
        if (is_title_drop(c))
            continue;
        if (space)
            tl_push(t, ' ');
        space = 0;
        tl_push(t, c);
        if ((max_chars > 0 && t->n > max_chars + 1) || (max_bytes > 0 && t->ulen > max_bytes + 4))
            break;
    }
}

/* Where to cut t so that its first room code points stay: the last
 * sentence end in the last third of the room, else the last clause end
 * there, else the last word boundary, else (one word longer than the
 * room) the last cluster boundary; 0 when nothing fits. */
static size_t tl_cut(const struct tline *t, size_t room)
{
    size_t cut, word = 0, sentence = 0, clause = 0;

    /* Cuts before a space, or before the ',' ';' ':' '.' that ends a word
     * ahead of a space (the mark goes too).  A cut before cp[c] with c ==
     * t->n (all of a text that was itself cut off) is never taken: what
     * came next is unknown. */
    for (size_t c = 1; c <= room && c < t->n; c++) {
        size_t sp = c;

        if (t->cp[c] != ' ') {
            if (c + 1 >= t->n || t->cp[c + 1] != ' ' ||
                (t->cp[c] != ',' && t->cp[c] != ';' && t->cp[c] != ':' && t->cp[c] != '.'))
                continue;
            sp = c + 1;
        }
        word = c;
        if (3 * c < 2 * room)
            continue;
        if (sentence_end(t, sp))
            sentence = c;
        else if (clause_end(t, sp) ||
                 (sp + 2 < t->n && is_dash(t->cp[sp + 1]) && t->cp[sp + 2] == ' '))
            clause = c;
    }
    cut = sentence > 0 ? sentence : clause > 0 ? clause : word;
    if (cut == 0) {
        utf8proc_int32_t state = 0;

        for (size_t c = 1; c <= room && c < t->n; c++)
            if (utf8proc_grapheme_break_stateful(t->cp[c - 1], t->cp[c], &state))
                cut = c;
    }
    while (cut > 0 && is_cut_trim(t->cp[cut - 1]))
        cut--;
    return cut;
}

/* text_title_fit(); more: (s, n) is itself cut off, so it counts as longer
 * than the room even when it fits, and what followed it is unknown. */
char *text__title_fit(const char *s, size_t n, size_t max_chars, size_t max_bytes, int more)
{
    struct tline t;
    size_t room_c, room_b, room, cut;
    char *r = NULL;

    memset(&t, 0, sizeof(t));
    tl_read(&t, s, n, max_chars, max_bytes);
    if (t.n == 0)
        goto out;
    if (!more && (max_chars == 0 || t.n <= max_chars) && (max_bytes == 0 || t.ulen <= max_bytes)) {
        r = xstrndup(t.u, t.ulen);
        goto out;
    }
    /* Room for the text before the ellipsis (one character, three bytes). */
    room_c = max_chars > 0 ? max_chars - 1 : (size_t)-1;
    room_b = max_bytes > 0 ? (max_bytes > 3 ? max_bytes - 3 : 0) : (size_t)-1;
    for (room = 0; room < t.n && room + 1 <= room_c && t.off[room + 1] <= room_b; room++)
        ;
    cut = tl_cut(&t, room);
    if (cut == 0)
        goto out;
    r = xmalloc(t.off[cut] + sizeof(ELLIPSIS));
    memcpy(r, t.u, t.off[cut]);
    /* A kept "…" already says it: "Chờ đợi…", not "Chờ đợi……". */
    strcpy(r + t.off[cut], t.cp[cut - 1] == 0x2026 ? "" : ELLIPSIS);
out:
    tl_release(&t);
    return r;
}

char *text_title_fit(const char *s, size_t n, size_t max_chars, size_t max_bytes)
{
    if (s == NULL)
        return NULL;
    return text__title_fit(s, n, max_chars, max_bytes, 0);
}

int32_t text__cp_before(const char *s, size_t i)
{
    size_t k;
    int32_t c;

    if (i == 0)
        return ' ';
    for (k = i - 1; k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80 && i - k < 4; k--)
        ;
    if (text__decode_lossy(s + k, i - k, &c) != i - k)
        return 0xFFFD;
    return c;
}

/* The first code point of [b, e) that is not a space, or 0. */
static int32_t first_visible(const char *s, size_t b, size_t e)
{
    while (b < e) {
        int32_t c;

        b += text__decode_lossy(s + b, e - b, &c);
        if (!is_title_space(c))
            return c;
    }
    return 0;
}

/* The last code point of [b, e) that is not an ASCII blank, or 0. */
static int32_t last_visible(const char *s, size_t b, size_t e)
{
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
        e--;
    return e > b ? text__cp_before(s, e) : 0;
}

/* 1 when [b, e) has a letter or a digit. */
static int has_alnum(const char *s, size_t b, size_t e)
{
    while (b < e) {
        int32_t c;

        b += text__decode_lossy(s + b, e - b, &c);
        if (is_alnum(c))
            return 1;
    }
    return 0;
}

/* Words of [b, e), counted up to 4. */
static unsigned few_words(const char *s, size_t b, size_t e)
{
    unsigned w = 0;
    int in = 0;

    for (size_t k = b; k < e && w < 4; k++) {
        int sp = s[k] == ' ' || s[k] == '\t';

        if (!sp && !in)
            w++;
        in = !sp;
    }
    return w;
}

/* Code points of [b, e), counted up to cap. */
static size_t few_chars(const char *s, size_t b, size_t e, size_t cap)
{
    size_t c = 0;

    for (size_t k = b; k < e && c < cap; k++)
        c += ((unsigned char)s[k] & 0xC0) != 0x80;
    return c;
}

#define TITLE_JOIN_LINES 8

char *text_title_first_line(const char *s, size_t n, size_t max_chars)
{
    size_t i = 0, start, b, e, chars, lines = 1;
    char *r;

    if (s == NULL)
        return NULL;
    r = text_title_markdown(s, n > TEXT_META_PAGE_MAX ? TEXT_META_PAGE_MAX : n, max_chars, 0);
    if (r != NULL)
        return r;
    /* The first line with a letter or digit: rules, frames and OCR specks
     * above it are no title. */
    for (;;) {
        while (i < n && (s[i] == '\n' || s[i] == '\f'))
            i++;
        if (i >= n)
            return NULL;
        b = i;
        for (e = b; e < n && s[e] != '\n' && s[e] != '\f'; e++)
            ;
        i = e;
        if (has_alnum(s, b, e))
            break;
    }
    /* A wrapped sentence (an OCR'd or hard-wrapped paragraph) goes on in
     * lower case on the next line: take the lines that carry it on, as far
     * as the title can show. */
    start = b;
    chars = few_chars(s, b, e, max_chars + 1);
    while (lines < TITLE_JOIN_LINES && (max_chars == 0 || chars <= max_chars) && e < n &&
           s[e] == '\n') {
        size_t nb = e + 1, ne;
        int32_t last = last_visible(s, b, e);

        if (last == '.' || last == '!' || last == '?' || last == ':' || last == ';' ||
            last == 0x2026 || few_words(s, b, e) < 4)
            break;
        for (ne = nb; ne < n && s[ne] != '\n' && s[ne] != '\f'; ne++)
            ;
        if (!is_lower(first_visible(s, nb, ne)))
            break;
        b = nb;
        e = ne;
        chars += few_chars(s, nb, ne, max_chars + 1);
        lines++;
    }
    return text__title_fit(s + start, e - start, max_chars, 0, 0);
}
