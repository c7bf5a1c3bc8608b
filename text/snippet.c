/* Snippet selection.  Tokenise the text once (bounded to the first
 * SNIPPET_SCAN bytes), note which tokens match a query word (by folded
 * form; an exact-form match scores higher), then slide a window of
 * SNIPPET_WINDOW tokens and keep the one with the most distinct query
 * words, preferring exact forms and words next to each other. */
#include "config.h"

#include "text/snippet.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "text/norm.h"
#include "text/tok.h"

#define SNIPPET_SCAN (2u << 20)
#define SNIPPET_WINDOW 24
#define MAX_MATCHES 4096

struct match {
    size_t off, len;
    unsigned pos;
    int term;
    int exact;
};

struct scan {
    const struct text_snippet_term *terms;
    size_t nterms;
    struct match *m;
    size_t nm;
    struct buf fold, exact;
    /* The first tokens, for a document with no match. */
    size_t first_off;
    int have_first;
};

static int scan_cb(void *data, const struct text_token *t)
{
    struct scan *s = data;
    int rc;

    if (t->kind != TEXT_TOK_WORD)
        return 0;
    if (!s->have_first) {
        s->first_off = t->offset;
        s->have_first = 1;
    }
    if (s->nm >= MAX_MATCHES || t->len > 120)
        return 0;
    buf_reset(&s->fold);
    if ((rc = text_fold(t->ptr, t->len, &s->fold)) < 0)
        return 0;
    for (size_t i = 0; i < s->nterms; i++) {
        if (strcmp(buf_str(&s->fold), s->terms[i].folded) != 0)
            continue;
        struct match *m = &s->m[s->nm++];
        m->off = t->offset;
        m->len = t->len;
        m->pos = t->pos;
        m->term = (int)i;
        m->exact = 0;
        if (s->terms[i].exact != NULL) {
            buf_reset(&s->exact);
            if (text_exact(t->ptr, t->len, &s->exact) == 0 &&
                strcmp(buf_str(&s->exact), s->terms[i].exact) == 0)
                m->exact = 1;
        }
        break;
    }
    return 0;
}

static int add_escaped(struct buf *out, const char *p, size_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        switch (p[i]) {
        case '<': rc = buf_adds(out, "&lt;"); break;
        case '>': rc = buf_adds(out, "&gt;"); break;
        case '&': rc = buf_adds(out, "&amp;"); break;
        case '"': rc = buf_adds(out, "&quot;"); break;
        case '\n': case '\t': case '\f': case '\r': rc = buf_addc(out, ' '); break;
        default: rc = buf_addc(out, p[i]);
        }
    }
    return rc;
}

/* Move back to the start of a UTF-8 character. */
static size_t char_start(const char *t, size_t i)
{
    while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Byte offset about max_chars characters after start (not past n). */
static size_t advance_chars(const char *t, size_t n, size_t start, size_t max_chars)
{
    size_t i = start, c = 0;

    while (i < n && c < max_chars) {
        i++;
        while (i < n && ((unsigned char)t[i] & 0xC0) == 0x80)
            i++;
        c++;
    }
    return i;
}

/* An accented query word matches other forms too (OCR loses marks), but
 * where the text has the form the user typed, highlight only that: a
 * search for "phủ" should not light up "phù". */
static void keep_exact(struct scan *s)
{
    unsigned has_exact = 0;
    size_t k = 0;

    for (size_t i = 0; i < s->nm; i++)
        if (s->m[i].exact)
            has_exact |= 1u << (s->m[i].term % 32);
    for (size_t i = 0; i < s->nm; i++)
        if (s->m[i].exact || s->terms[s->m[i].term].exact == NULL ||
            !(has_exact & (1u << (s->m[i].term % 32))))
            s->m[k++] = s->m[i];
    s->nm = k;
}

/* The match that opens the best window of SNIPPET_WINDOW words: most
 * distinct query words, then exact forms, then words side by side. */
static size_t best_window(const struct scan *s)
{
    size_t best = 0;
    long best_score = -1;

    for (size_t i = 0; i < s->nm; i++) {
        unsigned seen = 0;
        long score = 0;

        for (size_t j = i; j < s->nm && s->m[j].pos < s->m[i].pos + SNIPPET_WINDOW; j++) {
            unsigned bit = 1u << (s->m[j].term % 32);

            if (!(seen & bit))
                score += 100;
            seen |= bit;
            score += s->m[j].exact ? 10 : 1;
            if (j > i && s->m[j].pos == s->m[j - 1].pos + 1 && s->m[j].term != s->m[j - 1].term)
                score += 20;
        }
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

/* Where the snippet of a match at off starts: a few words before it, at a
 * word boundary, not across a line or sentence end. */
static size_t snippet_start(const char *text, size_t n, size_t off)
{
    size_t back = off, start;
    int words = 0;

    while (back > 0 && words < 6 && off - back < 60) {
        back--;
        if (text[back] == '\n' || text[back] == '.' || text[back] == '\f') {
            back++;
            break;
        }
        if (text[back] == ' ' && back + 1 < n && text[back + 1] != ' ')
            words++;
    }
    start = char_start(text, back);
    while (start < off && (text[start] == ' ' || text[start] == '\n'))
        start++;
    return start;
}

/* Where the snippet from start ends: about max_chars characters on, cut
 * at a space so that no word is split. */
static size_t snippet_end(const char *text, size_t n, size_t start, size_t max_chars)
{
    size_t end = advance_chars(text, n, start, max_chars), e = end;

    if (end >= n)
        return end;
    while (e > start + max_chars / 2 && text[e] != ' ' && text[e] != '\n')
        e--;
    return e > start + max_chars / 2 ? e : end;
}

/* text[start, end) escaped, its matches in <b>, with "…" where words were
 * left out before or after. */
static int write_snippet(const char *text, size_t n, size_t start, size_t end,
                         const struct scan *s, struct buf *out)
{
    size_t cur = start;
    int rc = 0;

    /* "…" only where words were left out, not leading blanks. */
    for (size_t i = 0; i < start; i++)
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\f') {
            rc = buf_adds(out, "…");
            break;
        }
    for (size_t i = 0; i < s->nm && rc == 0; i++) {
        const struct match *m = &s->m[i];

        if (m->off < cur)
            continue;
        if (m->off + m->len > end)
            break;
        if ((rc = add_escaped(out, text + cur, m->off - cur)) < 0)
            break;
        if ((rc = buf_adds(out, "<b>")) < 0 || (rc = add_escaped(out, text + m->off, m->len)) < 0 ||
            (rc = buf_adds(out, "</b>")) < 0)
            break;
        cur = m->off + m->len;
    }
    if (rc == 0)
        rc = add_escaped(out, text + cur, end > cur ? end - cur : 0);
    if (rc == 0 && end < n)
        rc = buf_adds(out, "…");
    return rc;
}

int text_snippet(const char *text, size_t n, const struct text_snippet_term *terms,
                 size_t nterms, size_t max_chars, struct buf *out)
{
    struct scan s = {0};
    size_t scan_n = n < SNIPPET_SCAN ? n : SNIPPET_SCAN, start;
    int rc;

    s.terms = terms;
    s.nterms = nterms;
    s.m = nterms ? xmalloc(MAX_MATCHES * sizeof(*s.m)) : NULL;
    buf_init(&s.fold, 1024);
    buf_init(&s.exact, 1024);
    if (text_tokenize(text, scan_n, 1, scan_cb, &s) < 0)
        s.nm = 0;
    keep_exact(&s);
    if (s.nm > 0)
        start = snippet_start(text, n, s.m[best_window(&s)].off);
    else
        start = s.have_first ? s.first_off : 0;
    rc = write_snippet(text, n, start, snippet_end(text, n, start, max_chars), &s, out);
    free(s.m);
    buf_release(&s.fold);
    buf_release(&s.exact);
    return rc;
}
