/* Query building, ranking, filters, facets and snippets (see search.h).
 *
 * Design: the query text is cleaned like document text (NFC, dashes), then
 * a recursive-descent parser turns it into a Xapian query.  Each run of
 * plain words is a "group": its words are all required (the match part),
 * and evidence that they appear as written is added with OP_AND_MAYBE:
 * the words as a phrase, the words near each other, and the exact
 * accented forms the user typed.  Known-item search depends on that
 * evidence: plain BM25 ranks the one document holding the phrase below
 * long documents that merely repeat its words.
 *
 * Every search runs twice: once as a boolean query (scaled to weight 0,
 * so Xapian skips the ranking evidence) over all matches for the exact
 * total and the facet counts, then ranked for the requested page only. */
#include "config.h"

#include "query/search.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "text/norm.h"
#include "text/snippet.h"
#include "text/tok.h"

/* Weights of the ranking evidence, relative to the words' BM25 weights
 * (measured on the known-item sets of bench/search; see bench/RESULTS.md). */
#define W_PHRASE 4.0
#define W_NEAR 1.0
#define W_EXACT 2.0
#define W_EXACT_PHRASE 2.0
#define W_BIGRAM 1.0
#define NEAR_SLACK 4

#define SNIPPET_CHARS 240

enum item_kind { IT_END, IT_LP, IT_RP, IT_AND, IT_OR, IT_NOT, IT_MINUS, IT_PHRASE, IT_WORDS };

struct item {
    enum item_kind kind;
    size_t start, len; /* for IT_PHRASE and IT_WORDS */
};

struct word {
    char *folded;
    char *exact;  /* "E"-less exact form */
    int marked;
    int number;   /* a document number: folded holds its key */
    struct word_part {
        char *folded;
    } *parts;
    size_t nparts;
};

struct parser {
    const char *s;
    size_t n, i;
    int exact;
    int depth;
    int nwords;
    struct item peeked;
    int have_peek;
    struct text_snippet_term snip[QUERY_MAX_TERMS];
    size_t nsnip;
    char *owned[QUERY_MAX_TERMS * 2];
    size_t nowned;
    struct vt_err *err;
    int rc;
};

/* ---- lexer ------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f';
}

static int keyword_at(const struct parser *p, size_t i, enum item_kind *kind)
{
    static const struct {
        const char *w;
        enum item_kind k;
    } kw[] = {{"AND", IT_AND}, {"OR", IT_OR}, {"NOT", IT_NOT}};

    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(kw[k].w);
        if (p->n - i >= l && memcmp(p->s + i, kw[k].w, l) == 0 &&
            (i + l == p->n || is_space(p->s[i + l]) || p->s[i + l] == '(' || p->s[i + l] == '"')) {
            *kind = kw[k].k;
            return (int)l;
        }
    }
    return 0;
}

/* Does an operator or a group boundary start at i (i after spaces)? */
static int boundary_at(const struct parser *p, size_t i, int after_space)
{
    enum item_kind k;
    char c = p->s[i];

    if (c == '"' || c == '(' || c == ')')
        return 1;
    if (!after_space)
        return 0;
    if (c == '-' && i + 1 < p->n && !is_space(p->s[i + 1]))
        return 1;
    return keyword_at(p, i, &k) > 0;
}

static struct item next_item(struct parser *p)
{
    struct item it = {IT_END, 0, 0};
    enum item_kind k;
    int l;

    if (p->have_peek) {
        p->have_peek = 0;
        return p->peeked;
    }
    while (p->i < p->n && is_space(p->s[p->i]))
        p->i++;
    if (p->i >= p->n)
        return it;
    switch (p->s[p->i]) {
    case '(':
        p->i++;
        it.kind = IT_LP;
        return it;
    case ')':
        p->i++;
        it.kind = IT_RP;
        return it;
    case '"': {
        size_t e = p->i + 1;
        while (e < p->n && p->s[e] != '"')
            e++;
        it.kind = IT_PHRASE;
        it.start = p->i + 1;
        it.len = e - it.start;
        p->i = e < p->n ? e + 1 : e;
        return it;
    }
    case '-':
        if (p->i + 1 < p->n && !is_space(p->s[p->i + 1])) {
            p->i++;
            it.kind = IT_MINUS;
            return it;
        }
        break;
    default:
        if ((l = keyword_at(p, p->i, &k)) > 0) {
            p->i += (size_t)l;
            it.kind = k;
            return it;
        }
    }
    it.kind = IT_WORDS;
    it.start = p->i;
    while (p->i < p->n) {
        if (is_space(p->s[p->i])) {
            size_t j = p->i;
            while (j < p->n && is_space(p->s[j]))
                j++;
            if (j >= p->n || boundary_at(p, j, 1))
                break;
            p->i = j;
            continue;
        }
        if (p->i > it.start && boundary_at(p, p->i, 0))
            break;
        p->i++;
    }
    it.len = p->i - it.start;
    return it;
}

static struct item peek_item(struct parser *p)
{
    if (!p->have_peek) {
        p->peeked = next_item(p);
        p->have_peek = 1;
    }
    return p->peeked;
}

/* ---- words --------------------------------------------------------------- */

struct word_list {
    struct parser *p;
    struct word *w;
    size_t n, cap;
    size_t number_end;
    int rc;
};

static char *conv(int (*f)(const char *, size_t, struct buf *), const char *s, size_t n)
{
    struct buf b;

    buf_init(&b, 1024);
    if (f(s, n, &b) < 0 || b.len == 0) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static int word_cb(void *data, const struct text_token *t)
{
    struct word_list *wl = data;
    struct parser *p = wl->p;
    struct word w = {0};

    if (t->kind == TEXT_TOK_WORD && t->offset < wl->number_end) {
        /* A part of the number just added: remember it for its phrase. */
        struct word *num = &wl->w[wl->n - 1];
        char *f = conv(text_fold, t->ptr, t->len);
        if (f == NULL)
            return 0;
        num->parts = xrealloc(num->parts, (num->nparts + 1) * sizeof(*num->parts));
        num->parts[num->nparts++].folded = f;
        return 0;
    }
    if (t->len > STORAGE_MAX_TERM)
        return 0;
    if (++p->nwords > QUERY_MAX_TERMS)
        return vt_err_set(p->err, VT_EQUERY, "too many words in the query (at most %d)",
                          QUERY_MAX_TERMS);
    if (t->kind == TEXT_TOK_NUMBER) {
        w.number = 1;
        w.folded = conv(text_number_key, t->ptr, t->len);
        wl->number_end = t->offset + t->len;
    } else {
        w.folded = conv(text_fold, t->ptr, t->len);
        w.marked = t->marked;
        w.exact = conv(text_exact, t->ptr, t->len);
    }
    if (w.folded == NULL) {
        free(w.exact);
        return 0;
    }
    if (wl->n == wl->cap) {
        wl->cap = wl->cap ? wl->cap * 2 : 8;
        wl->w = xrealloc(wl->w, wl->cap * sizeof(*wl->w));
    }
    wl->w[wl->n++] = w;
    return 0;
}

static void words_free(struct word_list *wl)
{
    for (size_t i = 0; i < wl->n; i++) {
        free(wl->w[i].folded);
        free(wl->w[i].exact);
        for (size_t k = 0; k < wl->w[i].nparts; k++)
            free(wl->w[i].parts[k].folded);
        free(wl->w[i].parts);
    }
    free(wl->w);
}

static void remember_snippet_term(struct parser *p, const char *folded, const char *exact)
{
    char *f, *e = NULL;

    if (p->nsnip >= QUERY_MAX_TERMS || p->nowned + 2 > QUERY_MAX_TERMS * 2)
        return;
    for (size_t i = 0; i < p->nsnip; i++)
        if (strcmp(p->snip[i].folded, folded) == 0)
            return;
    f = xstrdup(folded);
    p->owned[p->nowned++] = f;
    if (exact != NULL) {
        e = xstrdup(exact);
        p->owned[p->nowned++] = e;
    }
    p->snip[p->nsnip].folded = f;
    p->snip[p->nsnip].exact = e;
    p->nsnip++;
}

/* ---- query construction -------------------------------------------------- */

#define XAP_MAX_TERM 245 /* Xapian's limit on a term's bytes */

/* A query that matches no document. */
static struct xap_query *nothing(void)
{
    struct xap_query *all = xap_q_all(), *r = NULL;

    if (all != NULL) {
        struct xap_query *v[2] = {all, all};
        r = xap_q_combine(XAP_AND_NOT, v, 2, 0);
    }
    xap_q_free(all);
    return r;
}

/* Small helpers that free their inputs, so construction reads top-down.
 * Out-of-memory inside Xapian shows as NULL and is reported once. */
static struct xap_query *term(const char *prefix, const char *s)
{
    char buf[XAP_MAX_TERM + 1];
    int n = snprintf(buf, sizeof(buf), "%s%s", prefix, s);

    /* Longer terms are never indexed (storage.h); Xapian would throw. */
    if (n < 0 || (size_t)n >= sizeof(buf))
        return nothing();
    return xap_q_term(buf, (size_t)n, 1);
}

static struct xap_query *combine_free(enum xap_op op, struct xap_query **q, size_t n,
                                      unsigned window)
{
    struct xap_query *r = NULL;
    int ok = 1;

    for (size_t i = 0; i < n; i++)
        if (q[i] == NULL)
            ok = 0;
    if (ok)
        r = n == 1 && op != XAP_PHRASE && op != XAP_NEAR ? xap_q_combine(XAP_OR, q, 1, 0)
                                                         : xap_q_combine(op, q, n, window);
    for (size_t i = 0; i < n; i++)
        xap_q_free(q[i]);
    return r;
}

static struct xap_query *two(enum xap_op op, struct xap_query *a, struct xap_query *b)
{
    struct xap_query *v[2] = {a, b};

    return combine_free(op, v, 2, 0);
}

static struct xap_query *scale_free(struct xap_query *q, double f)
{
    struct xap_query *r = q ? xap_q_scale(q, f) : NULL;

    xap_q_free(q);
    return r;
}

/* What a single word must match. */
static struct xap_query *word_match(const struct parser *p, const struct word *w)
{
    if (w->number) {
        struct xap_query *alts[3];
        size_t n = 0;
        alts[n++] = term("XN", w->folded);
        alts[n++] = term("XSH", w->folded);
        if (w->nparts > 0) {
            struct xap_query **parts = xmalloc(w->nparts * sizeof(*parts));
            for (size_t k = 0; k < w->nparts; k++)
                parts[k] = term("", w->parts[k].folded);
            alts[n++] = combine_free(XAP_PHRASE, parts, w->nparts, 0);
            free(parts);
        }
        return combine_free(XAP_OR, alts, n, 0);
    }
    if (!p->exact)
        return term("", w->folded);
    if (w->marked)
        return term("E", w->exact);
    /* Strict and typed without marks: the exact form is the folded one; a
     * document without any accented word stores only folded terms. */
    return two(XAP_OR, term("E", w->exact), two(XAP_FILTER, term("", w->folded), term("", "XKplain")));
}

/* The positional term of a word inside a phrase. */
static struct xap_query *word_positional(const struct parser *p, const struct word *w, int exact_form)
{
    if ((exact_form || p->exact) && w->marked)
        return term("E", w->exact);
    return term("", w->folded);
}

static struct xap_query *phrase_of(const struct parser *p, const struct word *w, size_t n,
                                   int exact_form, enum xap_op op, unsigned window)
{
    struct xap_query **v = xmalloc(n * sizeof(*v));
    struct xap_query *r;
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (!w[i].number)
            v[k++] = word_positional(p, &w[i], exact_form);
    r = k >= 2 ? combine_free(op, v, k, window) : (k == 1 ? combine_free(XAP_OR, v, 1, 0) : NULL);
    free(v);
    return r;
}

/* A run of words (quoted = a phrase). */
static struct xap_query *group(struct parser *p, const char *s, size_t n, int quoted)
{
    struct word_list wl = {0};
    struct xap_query *base = NULL, *boosts[4 + QUERY_MAX_TERMS], **m = NULL;
    size_t nb = 0, nplain = 0, nmarked = 0, i;
    long rc;

    wl.p = p;
    rc = text_tokenize(s, n, 1, word_cb, &wl);
    if (rc < 0) {
        p->rc = (int)rc;
        goto out;
    }
    /* No word that makes a term (emoji, punctuation, a word longer than
     * STORAGE_MAX_TERM): the group constrains nothing and is left out, as
     * NULL with p->rc still 0. */
    if (wl.n == 0)
        goto out;
    for (i = 0; i < wl.n; i++) {
        if (wl.w[i].number) {
            for (size_t k = 0; k < wl.w[i].nparts; k++)
                remember_snippet_term(p, wl.w[i].parts[k].folded, NULL);
            continue;
        }
        nplain++;
        if (wl.w[i].marked)
            nmarked++;
        remember_snippet_term(p, wl.w[i].folded, wl.w[i].marked ? wl.w[i].exact : NULL);
    }
    if (quoted && nplain >= 2) {
        base = phrase_of(p, wl.w, wl.n, 0, XAP_PHRASE, 0);
        if (nmarked > 0 && !p->exact)
            base = two(XAP_AND_MAYBE, base,
                       scale_free(phrase_of(p, wl.w, wl.n, 1, XAP_PHRASE, 0), W_EXACT_PHRASE));
        /* Numbers inside quotes still have to match. */
        for (i = 0; i < wl.n; i++)
            if (wl.w[i].number)
                base = two(XAP_AND, base, word_match(p, &wl.w[i]));
        goto out;
    }
    m = xmalloc(wl.n * sizeof(*m));
    for (i = 0; i < wl.n; i++)
        m[i] = word_match(p, &wl.w[i]);
    base = combine_free(XAP_AND, m, wl.n, 0);
    if (nplain >= 2) {
        boosts[nb++] = scale_free(phrase_of(p, wl.w, wl.n, 0, XAP_PHRASE, 0), W_PHRASE);
        boosts[nb++] = scale_free(phrase_of(p, wl.w, wl.n, 0, XAP_NEAR,
                                            (unsigned)(nplain + NEAR_SLACK)), W_NEAR);
        /* Longer queries rarely appear whole; adjacent pairs of them still
         * tell the passage that matches from scattered words (like the
         * longest-common-subsequence proximity of Sphinx's ranker). */
        for (i = 0; nplain >= 3 && i + 1 < wl.n; i++)
            if (!wl.w[i].number && !wl.w[i + 1].number)
                boosts[nb++] = scale_free(phrase_of(p, wl.w + i, 2, 0, XAP_PHRASE, 0), W_BIGRAM);
    }
    if (nmarked > 0 && !p->exact) {
        struct xap_query **e = xmalloc(nmarked * sizeof(*e));
        size_t k = 0;
        for (i = 0; i < wl.n; i++)
            if (!wl.w[i].number && wl.w[i].marked)
                e[k++] = term("E", wl.w[i].exact);
        boosts[nb++] = scale_free(combine_free(XAP_OR, e, k, 0), W_EXACT);
        free(e);
        if (nplain >= 2)
            boosts[nb++] = scale_free(phrase_of(p, wl.w, wl.n, 1, XAP_PHRASE, 0), W_EXACT_PHRASE);
    }
    /* Each piece of evidence gets its own OP_AND_MAYBE: under one OP_OR
     * Xapian 1.4 counted phrase weights for documents whose phrase it had
     * not verified when it pruned, so the order depended on the page size. */
    for (i = 0; i < nb; i++)
        base = two(XAP_AND_MAYBE, base, boosts[i]);
out:
    if (base == NULL && wl.n > 0 && p->rc == 0)
        p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
    free(m);
    words_free(&wl);
    return base;
}

static struct xap_query *or_expr(struct parser *p);

static struct xap_query *unary(struct parser *p, int *negate)
{
    struct item it = next_item(p);
    struct xap_query *q;

    *negate = 0;
    switch (it.kind) {
    case IT_MINUS:
    case IT_NOT:
        q = unary(p, negate);
        *negate = !*negate;
        return q;
    case IT_LP:
        if (++p->depth > QUERY_MAX_DEPTH) {
            p->rc = vt_err_set(p->err, VT_EQUERY, "query nested too deeply (at most %d levels)",
                               QUERY_MAX_DEPTH);
            return NULL;
        }
        q = or_expr(p);
        p->depth--;
        if (p->rc < 0) {
            xap_q_free(q);
            return NULL;
        }
        if (next_item(p).kind != IT_RP) {
            xap_q_free(q);
            p->rc = vt_err_set(p->err, VT_EQUERY, "unbalanced parenthesis in the query");
            return NULL;
        }
        return q;
    case IT_PHRASE:
        return group(p, p->s + it.start, it.len, 1);
    case IT_WORDS:
        return group(p, p->s + it.start, it.len, 0);
    case IT_RP:
        p->rc = vt_err_set(p->err, VT_EQUERY, "unbalanced parenthesis in the query");
        return NULL;
    default:
        p->rc = vt_err_set(p->err, VT_EQUERY, "an operator is missing its word");
        return NULL;
    }
}

/* The expression functions return NULL with p->rc == 0 for a part without
 * any searchable word: it is left out of its AND or OR, and a query made
 * only of such parts matches nothing (query_search says why). */
static struct xap_query *and_expr(struct parser *p)
{
    struct xap_query *pos = NULL, *neg = NULL, *q;
    int negate, items = 0;

    for (;;) {
        struct item it = peek_item(p);
        if (it.kind == IT_END || it.kind == IT_RP || it.kind == IT_OR)
            break;
        if (it.kind == IT_AND) {
            next_item(p);
            continue;
        }
        q = unary(p, &negate);
        if (p->rc < 0) {
            xap_q_free(q);
            break;
        }
        items++;
        if (q == NULL)
            continue;
        if (negate)
            q = neg = neg ? two(XAP_OR, neg, q) : q;
        else
            q = pos = pos ? two(XAP_AND, pos, q) : q;
        if (q == NULL) {
            p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
            break;
        }
    }
    if (p->rc == 0 && items == 0)
        p->rc = vt_err_set(p->err, VT_EQUERY,
                           "an operator is missing its word, or parentheses are empty");
    if (p->rc < 0) {
        xap_q_free(pos);
        xap_q_free(neg);
        return NULL;
    }
    if (pos == NULL && neg == NULL)
        return NULL;
    if (pos == NULL)
        pos = xap_q_all();
    q = neg ? two(XAP_AND_NOT, pos, neg) : pos;
    if (q == NULL)
        p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
    return q;
}

static struct xap_query *or_expr(struct parser *p)
{
    struct xap_query *q = and_expr(p);

    while (p->rc == 0 && peek_item(p).kind == IT_OR) {
        next_item(p);
        struct xap_query *r = and_expr(p);
        if (p->rc < 0) {
            xap_q_free(r);
            break;
        }
        if (q != NULL && r != NULL) {
            if ((q = two(XAP_OR, q, r)) == NULL)
                p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
        } else if (r != NULL) {
            q = r;
        }
    }
    if (p->rc < 0) {
        xap_q_free(q);
        return NULL;
    }
    return q;
}

/* ---- filters ---------------------------------------------------------------- */

static int valid_date(const char *s, char key[9])
{
    int y, m, d;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1000 || m < 1 || m > 12 || d < 1 || d > days[m - 1] ||
        (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return 0;
    memcpy(key, s, 4);
    memcpy(key + 4, s + 5, 2);
    memcpy(key + 6, s + 8, 2);
    key[8] = '\0';
    return 1;
}

/* Is (s, n) fit to search with: valid UTF-8, at most max bytes, and no
 * control character (C0, DEL, C1) except, where spaces is set, the ones
 * that separate words (tab, newline, carriage return, form feed)?  0, or
 * VT_EQUERY with a reason naming what: "query" or the quoted parameter. */
static int check_text(const char *what, const char *s, size_t max, int spaces, struct vt_err *err)
{
    size_t n = strlen(s);

    if (n > max)
        return vt_err_set(err, VT_EQUERY, "%s is longer than %zu bytes", what, max);
    if (!text_utf8_valid(s, n))
        return vt_err_set(err, VT_EQUERY, "%s is not valid UTF-8", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(spaces && (c == '\t' || c == '\n' || c == '\r' || c == '\f'))) ||
            c == 0x7f || (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
            return vt_err_set(err, VT_EQUERY, "%s holds a control character", what);
    }
    return 0;
}

/* Every field of the request, before any work: a bad value is the
 * caller's mistake (VT_EQUERY), never an index failure. */
int query_check_request(const struct query_request *req, struct vt_err *err)
{
    static const struct {
        const char *name;
        size_t off;
    } filters[] = {
        {"'type'", offsetof(struct query_request, type)},
        {"'agency'", offsetof(struct query_request, agency)},
        {"'from'", offsetof(struct query_request, from)},
        {"'to'", offsetof(struct query_request, to)},
    };
    int rc;

    if ((rc = check_text("query", req->q ? req->q : "", QUERY_MAX_LEN, 1, err)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        const char *v = *(const char *const *)((const char *)req + filters[i].off);
        if (v != NULL && (rc = check_text(filters[i].name, v, QUERY_MAX_FILTER, 0, err)) < 0)
            return rc;
    }
    if (req->year != 0 && (req->year < 1000 || req->year > 9999))
        return vt_err_set(err, VT_EQUERY, "'year' must have four digits");
    if (req->sort != QUERY_SORT_RELEVANCE && req->sort != QUERY_SORT_DATE_ASC &&
        req->sort != QUERY_SORT_DATE_DESC)
        return vt_err_set(err, VT_EQUERY, "'sort' must be relevance, date or -date");
    if (req->limit > QUERY_MAX_LIMIT)
        return vt_err_set(err, VT_EQUERY, "limit must be between 0 and %d", QUERY_MAX_LIMIT);
    return 0;
}

/* The boolean term of a folded metadata value, as storage_doc_build
 * writes it (a value that folds to nothing gives the bare prefix). */
static struct xap_query *folded_filter(const char *prefix, const char *value)
{
    struct buf f;
    struct xap_query *q;

    buf_init(&f, XAP_MAX_TERM + 1);
    if (text_fold(value, strlen(value), &f) < 0) {
        /* Folded beyond any indexed term: no document holds it. */
        buf_release(&f);
        return nothing();
    }
    q = term(prefix, buf_str(&f));
    buf_release(&f);
    return q;
}

/* Add the filters of req (checked by query_check_request) to *q. */
static int add_filters(const struct query_request *req, struct xap_query **q, struct vt_err *err)
{
    char lo[9] = "00000000", hi[9] = "99999999", y[16];

    if (req->type && req->type[0])
        *q = two(XAP_FILTER, *q, folded_filter("XT", req->type));
    if (req->agency && req->agency[0])
        *q = two(XAP_FILTER, *q, folded_filter("XA", req->agency));
    if (req->year) {
        snprintf(y, sizeof(y), "%d", req->year);
        *q = two(XAP_FILTER, *q, term("XY", y));
    }
    if (req->from && req->from[0] && !valid_date(req->from, lo))
        return vt_err_set(err, VT_EQUERY, "'from' must be a date YYYY-MM-DD");
    if (req->to && req->to[0] && !valid_date(req->to, hi))
        return vt_err_set(err, VT_EQUERY, "'to' must be a date YYYY-MM-DD");
    if ((req->from && req->from[0]) || (req->to && req->to[0]))
        *q = two(XAP_FILTER, *q, xap_q_range(STORAGE_SLOT_DATE, lo, hi));
    if (*q == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    return 0;
}

/* ---- running -------------------------------------------------------------------- */

static const unsigned facet_slots[] = {STORAGE_SLOT_TYPE, STORAGE_SLOT_AGENCY, STORAGE_SLOT_YEAR,
                                       STORAGE_SLOT_MIME};
static const char *const facet_names[] = {"type", "agency", "year", "mime"};

struct run_ctx {
    struct storage *st;
    struct parser *p;
    json_t *results;
    json_t *facets;
    struct vt_err *err;
};

static int facet_cb(void *data, unsigned slot, const char *v, size_t len, unsigned count)
{
    struct run_ctx *c = data;

    for (size_t i = 0; i < sizeof(facet_slots) / sizeof(facet_slots[0]); i++)
        if (facet_slots[i] == slot) {
            json_t *f = json_object_get(c->facets, facet_names[i]);
            char *key = xstrndup(v, len);
            json_object_set_new(f, key, json_integer(count));
            free(key);
        }
    return 0;
}

static int count_hit_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    (void)data, (void)docid, (void)weight, (void)rank;
    return 0;
}

static int hit_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    struct run_ctx *c = data;
    json_t *rec = NULL, *r, *meta;
    struct buf text, snip;
    const char *id;
    int rc;

    (void)rank;
    buf_init(&text, BUF_NOLIMIT);
    buf_init(&snip, 64 * 1024);
    rc = storage_get_docid(c->st, docid, &rec, &text, c->err);
    if (rc < 0)
        goto out;
    rc = text_snippet(buf_str(&text), text.len, c->p->snip, c->p->nsnip, SNIPPET_CHARS, &snip);
    if (rc < 0)
        goto out;
    id = json_string_value(json_object_get(rec, "id"));
    meta = json_object_get(rec, "meta");
    r = json_object();
    json_object_set_new(r, "id", json_string(id ? id : ""));
    json_object_set(r, "path", json_object_get(rec, "path"));
    json_object_set(r, "title", json_object_get(rec, "title"));
    json_object_set_new(r, "score", json_real(weight));
    json_object_set_new(r, "snippet", json_string(buf_str(&snip)));
    json_object_set(r, "meta", json_is_object(meta) ? meta : json_object());
    if (!json_is_object(meta))
        json_decref(json_object_get(r, "meta"));
    json_object_set(r, "mime", json_object_get(rec, "mime"));
    json_object_set(r, "status", json_object_get(rec, "status"));
    json_array_append_new(c->results, r);
out:
    json_decref(rec);
    buf_release(&text);
    buf_release(&snip);
    return rc;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The query's words (folded, in order) with those the index lacks replaced
 * by storage_suggest(); out stays empty when no word was replaced.  The
 * work is bounded so that a query of misspelt words costs about what a
 * normal one does: at most QUERY_SUGGEST_MAX_WORDS words are corrected
 * (the first ones), each pass over the dictionary reads at most
 * QUERY_SUGGEST_MAX_TERMS words, and everything (the lookups included)
 * stops after QUERY_SUGGEST_CPU_MS of this thread's CPU time or
 * QUERY_SUGGEST_WALL_MS of wall time.  CPU time measures the work and,
 * unlike wall time, does not run out because other jobs share the
 * machine, so the suggestion does not depend on the load; the wall limit
 * only keeps a thread starved of CPU from going on. */
static int suggest(struct storage *st, const struct parser *p, struct buf *out, struct vt_err *err)
{
    struct storage_suggestion sg[QUERY_SUGGEST_MAX_WORDS];
    struct storage_suggest_limits lim;
    int which[QUERY_MAX_TERMS];
    size_t nsg = 0, i;
    int rc = 0;

    lim.max_terms = QUERY_SUGGEST_MAX_TERMS;
    lim.cpu_ms = cpu_ms() + QUERY_SUGGEST_CPU_MS;
    lim.wall_ms = now_ms() + QUERY_SUGGEST_WALL_MS;
    for (i = 0; i < p->nsnip; i++) {
        long tf;
        which[i] = -1;
        if (nsg == QUERY_SUGGEST_MAX_WORDS || cpu_ms() > lim.cpu_ms || now_ms() > lim.wall_ms)
            continue;
        tf = storage_termfreq(st, p->snip[i].folded, err);
        if (tf < 0)
            return (int)tf;
        if (tf == 0) {
            sg[nsg].word = p->snip[i].folded;
            which[i] = (int)nsg++;
        }
    }
    if (nsg == 0)
        return 0;
    rc = storage_suggest(st, sg, nsg, &lim, err);
    if (rc <= 0)
        return rc;
    for (i = 0; i < p->nsnip && rc >= 0; i++) {
        const char *w = p->snip[i].folded;
        if (which[i] >= 0 && sg[which[i]].best[0])
            w = sg[which[i]].best;
        if (out->len > 0)
            rc = buf_addc(out, ' ');
        if (rc >= 0)
            rc = buf_adds(out, w);
    }
    if (rc < 0)
        buf_reset(out);
    return 0;
}

/* q restricted to documents with (dated) or without an issue date. */
static struct xap_query *by_issued(const struct xap_query *q, int dated)
{
    struct xap_query *v[2] = {(struct xap_query *)q, NULL}, *r = NULL;

    /* Every issued date is "YYYYMMDD" or "YYYYMM00" (storage.h). */
    v[1] = xap_q_range(STORAGE_SLOT_ISSUED, "00000000", "99999999");
    if (v[1] != NULL)
        r = xap_q_combine(dated ? XAP_FILTER : XAP_AND_NOT, v, 2, 0);
    xap_q_free(v[1]);
    return r;
}

/* Pass 2 sorted by date: the documents with an issue date first, then
 * those without (sorted among themselves by the file's date, which
 * STORAGE_SLOT_DATE holds for them), in either direction, so "newest
 * first" never opens on files that only look new.  The dated part's exact
 * count (check_at_least: a sort by value visits every match anyway) says
 * where the page crosses into the undated part. */
static int run_by_date(struct storage *st, const struct xap_query *q, struct xap_search *s,
                       const struct query_request *req, long ndocs, struct run_ctx *c,
                       struct vt_err *err)
{
    struct xap_query *dated = by_issued(q, 1), *undated = NULL;
    unsigned ndated = 0, ignored, got;
    int rc;

    if (dated == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    s->sort_slot = STORAGE_SLOT_DATE;
    s->sort_descending = req->sort != QUERY_SORT_DATE_ASC;
    s->check_at_least = (unsigned)ndocs;
    rc = storage_run(st, dated, s, hit_cb, NULL, c, &ndated, err);
    xap_q_free(dated);
    if (rc < 0)
        return rc;
    got = (unsigned)json_array_size(c->results);
    if (got >= req->limit)
        return 0;
    if ((undated = by_issued(q, 0)) == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    s->offset = req->offset > ndated ? req->offset - ndated : 0;
    s->limit = req->limit - got;
    s->check_at_least = 0;
    rc = storage_run(st, undated, s, hit_cb, NULL, c, &ignored, err);
    xap_q_free(undated);
    return rc;
}

int query_search(struct storage *st, const struct query_request *req, json_t **result,
                 struct vt_err *err)
{
    struct parser p;
    struct buf clean, suggestion;
    struct xap_query *q = NULL, *count_q = NULL;
    struct xap_search s = {0};
    struct run_ctx c = {0};
    const char *qs = req->q ? req->q : "";
    const char *notice = NULL;
    double t0 = now_ms();
    unsigned total = 0, ignored;
    long ndocs;
    int rc = 0, empty;

    *result = NULL;
    memset(&p, 0, sizeof(p));
    buf_init(&clean, QUERY_MAX_LEN * 2);
    buf_init(&suggestion, QUERY_MAX_LEN * 2);
    if ((rc = query_check_request(req, err)) < 0)
        goto out;
    if ((rc = text_clean(qs, strlen(qs), &clean)) < 0) {
        rc = vt_err_set(err, VT_EQUERY, "query cannot be normalised");
        goto out;
    }
    p.s = buf_str(&clean);
    p.n = clean.len;
    p.exact = req->exact;
    p.err = err;
    {
        size_t k = 0;
        while (k < p.n && is_space(p.s[k]))
            k++;
        empty = k == p.n;
    }
    c.results = json_array();
    c.facets = json_object();
    for (size_t i = 0; i < sizeof(facet_names) / sizeof(facet_names[0]); i++)
        json_object_set_new(c.facets, facet_names[i], json_object());
    if (empty) {
        if ((q = xap_q_all()) == NULL) {
            rc = vt_err_set(err, VT_ENOMEM, "out of memory building the query");
            goto out;
        }
    } else {
        q = or_expr(&p);
        if (p.rc < 0) {
            rc = p.rc;
            goto out;
        }
        if (peek_item(&p).kind != IT_END) {
            rc = vt_err_set(err, VT_EQUERY, "unbalanced parenthesis in the query");
            goto out;
        }
        /* Text, but no word that could match (only emoji, punctuation or
         * words too long to index): nothing, and the reason, rather than
         * the whole archive as for an empty query. */
        if (q == NULL) {
            notice = "the query has no searchable words";
            goto done;
        }
    }
    if ((rc = add_filters(req, &q, err)) < 0)
        goto out;
    ndocs = storage_count(st, err);
    if (ndocs < 0) {
        rc = (int)ndocs;
        goto out;
    }
    c.st = st;
    c.p = &p;
    c.err = err;

    /* Pass 1: exact total and facets over every match, without ranking. */
    count_q = xap_q_scale(q, 0.0);
    if (count_q == NULL) {
        rc = vt_err_set(err, VT_ENOMEM, "out of memory building the query");
        goto out;
    }
    s.offset = 0;
    s.limit = 0;
    s.sort_slot = -1;
    s.check_at_least = (unsigned)ndocs;
    s.facet_slots = facet_slots;
    s.nfacets = sizeof(facet_slots) / sizeof(facet_slots[0]);
    rc = storage_run(st, count_q, &s, count_hit_cb, facet_cb, &c, &total, err);
    if (rc < 0)
        goto out;

    /* Nothing matched: offer the query with each word the index does not
     * hold replaced by its closest indexed word ("did you mean"), unless
     * the caller is short of time. */
    if (total == 0 && !empty && !req->no_suggest && (rc = suggest(st, &p, &suggestion, err)) < 0)
        goto out;

    /* Pass 2: the requested page, ranked or by date. */
    s.offset = req->offset;
    s.limit = req->limit;
    s.check_at_least = 0;
    s.nfacets = 0;
    if (req->limit > 0 && req->offset < total) {
        if (req->sort == QUERY_SORT_DATE_ASC || req->sort == QUERY_SORT_DATE_DESC || empty)
            rc = run_by_date(st, q, &s, req, ndocs, &c, err);
        else
            rc = storage_run(st, q, &s, hit_cb, NULL, &c, &ignored, err);
        if (rc < 0)
            goto out;
    }
done:
    *result = json_object();
    json_object_set_new(*result, "total", json_integer(total));
    json_object_set_new(*result, "took_ms", json_real((double)(long)((now_ms() - t0) * 1000) / 1000));
    json_object_set_new(*result, "query", json_string(qs));
    json_object_set(*result, "results", c.results);
    json_object_set(*result, "facets", c.facets);
    if (suggestion.len > 0)
        json_object_set_new(*result, "suggestion", json_string(buf_str(&suggestion)));
    if (notice != NULL)
        json_object_set_new(*result, "notice", json_string(notice));
out:
    json_decref(c.results);
    json_decref(c.facets);
    xap_q_free(q);
    xap_q_free(count_q);
    for (size_t i = 0; i < p.nowned; i++)
        free(p.owned[i]);
    buf_release(&clean);
    buf_release(&suggestion);
    return rc;
}
