/* Query building, ranking, filters, facets and snippets (see search.h).
 *
 * Design: the query text is cleaned like document text (NFC, dashes), then
 * a recursive-descent parser turns it into a query, built with storage's
 * constructors (storage.h: the terms are storage's business).  Each run of
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
    struct text_token tok; /* in the parser's text, for storage_q_token() */
    char *folded;
    char *exact;  /* for snippets */
    int marked;
    int number;   /* a document number: folded holds its key */
    struct word_part {
        struct text_token tok;
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

/* A quoted phrase from p->i (at its opening quote) to its closing one,
 * or to the end of the text when it has none. */
static struct item lex_phrase(struct parser *p)
{
    struct item it = {IT_PHRASE, p->i + 1, 0};
    size_t e = p->i + 1;

    while (e < p->n && p->s[e] != '"')
        e++;
    it.len = e - it.start;
    p->i = e < p->n ? e + 1 : e;
    return it;
}

/* A run of plain words from p->i, up to the next operator or boundary. */
static struct item lex_words(struct parser *p)
{
    struct item it = {IT_WORDS, p->i, 0};

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
    case '"':
        return lex_phrase(p);
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
    return lex_words(p);
}

/* Nothing but spaces: list every document. */
static int is_empty(const struct parser *p)
{
    size_t k = 0;

    while (k < p->n && is_space(p->s[k]))
        k++;
    return k == p->n;
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
        num->parts[num->nparts].tok = *t;
        num->parts[num->nparts++].folded = f;
        return 0;
    }
    if (t->len > STORAGE_MAX_TERM)
        return 0;
    if (++p->nwords > QUERY_MAX_TERMS)
        return vt_err_set(p->err, VT_EQUERY, "too many words in the query (at most %d)",
                          QUERY_MAX_TERMS);
    w.tok = *t;
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

/* What a single word must match. */
static struct storage_query *word_match(const struct parser *p, const struct word *w)
{
    struct storage_query *q, **parts;

    if (!w->number)
        return storage_q_token(&w->tok, p->exact ? STORAGE_MATCH_STRICT : STORAGE_MATCH_FOLDED);
    q = storage_q_token(&w->tok, STORAGE_MATCH_FOLDED);
    if (w->nparts == 0)
        return q;
    /* Or its parts as a phrase: "512 QĐ UBND". */
    parts = xmalloc(w->nparts * sizeof(*parts));
    for (size_t k = 0; k < w->nparts; k++)
        parts[k] = storage_q_token(&w->parts[k].tok, STORAGE_MATCH_FOLDED);
    q = storage_q_pair_take(STORAGE_OR, q,
                            storage_q_combine_take(STORAGE_PHRASE, parts, w->nparts, 0));
    free(parts);
    return q;
}

/* The words of w (numbers left out) as a phrase or near each other, in
 * the form typed when exact_form is set (or the search is strict). */
static struct storage_query *phrase_of(const struct parser *p, const struct word *w, size_t n,
                                       int exact_form, enum storage_op op, unsigned window)
{
    enum storage_match m = exact_form || p->exact ? STORAGE_MATCH_EXACT : STORAGE_MATCH_FOLDED;
    struct storage_query **v = xmalloc(n * sizeof(*v)), *r = NULL;
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (!w[i].number)
            v[k++] = storage_q_token(&w[i].tok, m);
    if (k >= 2)
        r = storage_q_combine_take(op, v, k, window);
    else if (k == 1)
        r = storage_q_combine_take(STORAGE_OR, v, 1, 0);
    free(v);
    return r;
}

/* phrase_of() as ranking evidence of this weight. */
static struct storage_query *evidence(const struct parser *p, const struct word *w, size_t n,
                                      int exact_form, enum storage_op op, unsigned window,
                                      double weight)
{
    return storage_q_scale_take(phrase_of(p, w, n, exact_form, op, window), weight);
}

/* A quoted run of two words or more: the phrase must match. */
static struct storage_query *group_phrase(const struct parser *p, const struct word_list *wl,
                                          size_t nmarked)
{
    struct storage_query *base = phrase_of(p, wl->w, wl->n, 0, STORAGE_PHRASE, 0);

    if (nmarked > 0 && !p->exact)
        base = storage_q_pair_take(STORAGE_AND_MAYBE, base,
                                   evidence(p, wl->w, wl->n, 1, STORAGE_PHRASE, 0, W_EXACT_PHRASE));
    /* Numbers inside quotes still have to match. */
    for (size_t i = 0; i < wl->n; i++)
        if (wl->w[i].number)
            base = storage_q_pair_take(STORAGE_AND, base, word_match(p, &wl->w[i]));
    return base;
}

/* The ranking evidence of a run of words into boosts: the number stored. */
static size_t group_boosts(const struct parser *p, const struct word_list *wl, size_t nplain,
                           size_t nmarked, struct storage_query **boosts)
{
    const struct word *w = wl->w;
    size_t nb = 0;

    if (nplain >= 2) {
        boosts[nb++] = evidence(p, w, wl->n, 0, STORAGE_PHRASE, 0, W_PHRASE);
        boosts[nb++] = evidence(p, w, wl->n, 0, STORAGE_NEAR, (unsigned)(nplain + NEAR_SLACK),
                                W_NEAR);
        /* Longer queries rarely appear whole; adjacent pairs of them still
         * tell the passage that matches from scattered words (like the
         * longest-common-subsequence proximity of Sphinx's ranker). */
        for (size_t i = 0; nplain >= 3 && i + 1 < wl->n; i++)
            if (!w[i].number && !w[i + 1].number)
                boosts[nb++] = evidence(p, w + i, 2, 0, STORAGE_PHRASE, 0, W_BIGRAM);
    }
    if (nmarked > 0 && !p->exact) {
        struct storage_query **e = xmalloc(nmarked * sizeof(*e));
        size_t k = 0;
        for (size_t i = 0; i < wl->n; i++)
            if (!w[i].number && w[i].marked)
                e[k++] = storage_q_token(&w[i].tok, STORAGE_MATCH_EXACT);
        boosts[nb++] = storage_q_scale_take(storage_q_combine_take(STORAGE_OR, e, k, 0), W_EXACT);
        free(e);
        if (nplain >= 2)
            boosts[nb++] = evidence(p, w, wl->n, 1, STORAGE_PHRASE, 0, W_EXACT_PHRASE);
    }
    return nb;
}

/* A run of words: all must match, evidence of them as written ranks. */
static struct storage_query *group_words(const struct parser *p, const struct word_list *wl,
                                         size_t nplain, size_t nmarked)
{
    struct storage_query *base, *boosts[4 + QUERY_MAX_TERMS], **m = xmalloc(wl->n * sizeof(*m));
    size_t nb;

    for (size_t i = 0; i < wl->n; i++)
        m[i] = word_match(p, &wl->w[i]);
    base = storage_q_combine_take(STORAGE_AND, m, wl->n, 0);
    free(m);
    nb = group_boosts(p, wl, nplain, nmarked, boosts);
    /* Each piece of evidence gets its own OP_AND_MAYBE: under one OP_OR
     * Xapian 1.4 counted phrase weights for documents whose phrase it had
     * not verified when it pruned, so the order depended on the page size. */
    for (size_t i = 0; i < nb; i++)
        base = storage_q_pair_take(STORAGE_AND_MAYBE, base, boosts[i]);
    return base;
}

/* A run of words (quoted = a phrase). */
static struct storage_query *group(struct parser *p, const char *s, size_t n, int quoted)
{
    struct word_list wl = {0};
    struct storage_query *base = NULL;
    size_t nplain = 0, nmarked = 0;
    long rc;

    wl.p = p;
    rc = text_tokenize(s, n, 1, word_cb, &wl);
    if (rc < 0) {
        p->rc = (int)rc;
        words_free(&wl);
        return NULL;
    }
    /* No word that makes a term (emoji, punctuation, a word longer than
     * STORAGE_MAX_TERM): the group constrains nothing and is left out, as
     * NULL with p->rc still 0. */
    for (size_t i = 0; i < wl.n; i++) {
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
    if (wl.n > 0) {
        base = quoted && nplain >= 2 ? group_phrase(p, &wl, nmarked)
                                     : group_words(p, &wl, nplain, nmarked);
        if (base == NULL && p->rc == 0)
            p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
    }
    words_free(&wl);
    return base;
}

static struct storage_query *or_expr(struct parser *p);

static struct storage_query *unary(struct parser *p, int *negate)
{
    struct item it = next_item(p);
    struct storage_query *q;

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
            storage_q_free(q);
            return NULL;
        }
        if (next_item(p).kind != IT_RP) {
            storage_q_free(q);
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
static struct storage_query *and_expr(struct parser *p)
{
    struct storage_query *pos = NULL, *neg = NULL, *q;
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
            storage_q_free(q);
            break;
        }
        items++;
        if (q == NULL)
            continue;
        if (negate)
            q = neg = neg ? storage_q_pair_take(STORAGE_OR, neg, q) : q;
        else
            q = pos = pos ? storage_q_pair_take(STORAGE_AND, pos, q) : q;
        if (q == NULL) {
            p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
            break;
        }
    }
    if (p->rc == 0 && items == 0)
        p->rc = vt_err_set(p->err, VT_EQUERY,
                           "an operator is missing its word, or parentheses are empty");
    if (p->rc < 0) {
        storage_q_free(pos);
        storage_q_free(neg);
        return NULL;
    }
    if (pos == NULL && neg == NULL)
        return NULL;
    if (pos == NULL)
        pos = storage_q_all();
    q = neg ? storage_q_pair_take(STORAGE_AND_NOT, pos, neg) : pos;
    if (q == NULL)
        p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
    return q;
}

static struct storage_query *or_expr(struct parser *p)
{
    struct storage_query *q = and_expr(p);

    while (p->rc == 0 && peek_item(p).kind == IT_OR) {
        next_item(p);
        struct storage_query *r = and_expr(p);
        if (p->rc < 0) {
            storage_q_free(r);
            break;
        }
        if (q != NULL && r != NULL) {
            if ((q = storage_q_pair_take(STORAGE_OR, q, r)) == NULL)
                p->rc = vt_err_set(p->err, VT_ENOMEM, "out of memory building the query");
        } else if (r != NULL) {
            q = r;
        }
    }
    if (p->rc < 0) {
        storage_q_free(q);
        return NULL;
    }
    return q;
}

/* ---- filters ---------------------------------------------------------------- */

/* Is s a calendar date "YYYY-MM-DD"? */
static int valid_date(const char *s)
{
    int y, m, d;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    return y >= 1000 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] &&
           !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
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

static int filled(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* Add the filters of req (checked by query_check_request) to *q. */
static int add_filters(const struct query_request *req, struct storage_query **q,
                       struct vt_err *err)
{
    char y[16];

    if (filled(req->type))
        *q = storage_q_pair_take(STORAGE_FILTER, *q, storage_q_filter(STORAGE_FIELD_TYPE, req->type));
    if (filled(req->agency))
        *q = storage_q_pair_take(STORAGE_FILTER, *q,
                                 storage_q_filter(STORAGE_FIELD_AGENCY, req->agency));
    if (req->year) {
        snprintf(y, sizeof(y), "%d", req->year);
        *q = storage_q_pair_take(STORAGE_FILTER, *q, storage_q_filter(STORAGE_FIELD_YEAR, y));
    }
    if (filled(req->from) && !valid_date(req->from))
        return vt_err_set(err, VT_EQUERY, "'from' must be a date YYYY-MM-DD");
    if (filled(req->to) && !valid_date(req->to))
        return vt_err_set(err, VT_EQUERY, "'to' must be a date YYYY-MM-DD");
    if (filled(req->from) || filled(req->to))
        *q = storage_q_pair_take(STORAGE_FILTER, *q, storage_q_dates(req->from, req->to));
    if (*q == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    return 0;
}

/* ---- running -------------------------------------------------------------------- */

static const enum storage_field facet_fields[] = {STORAGE_FIELD_TYPE, STORAGE_FIELD_AGENCY,
                                                  STORAGE_FIELD_YEAR, STORAGE_FIELD_MIME};
/* Their names in the result's "facets". */
static const char *const facet_names[] = {"type", "agency", "year", "mime"};
#define NFACETS (sizeof(facet_fields) / sizeof(facet_fields[0]))

struct run_ctx {
    struct storage *st;
    struct parser *p;
    json_t *results;
    json_t *facets;
    struct vt_err *err;
};

static int facet_cb(void *data, enum storage_field field, const char *v, size_t len,
                    unsigned count)
{
    struct run_ctx *c = data;

    for (size_t i = 0; i < NFACETS; i++)
        if (facet_fields[i] == field) {
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

static void set_string(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, json_string(v));
}

/* One result: the fields of GET /api/search's "results". */
static int hit_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    struct run_ctx *c = data;
    struct storage_record rec;
    struct buf text, snip;
    json_t *r;
    int rc;

    (void)rank;
    buf_init(&text, BUF_NOLIMIT);
    buf_init(&snip, 64 * 1024);
    rc = storage_get_record_docid(c->st, docid, &rec, &text, c->err);
    if (rc == VT_ENOTFOUND) {
        /* Deleted since the search ran (the index was reopened). */
        vt_err_clear(c->err);
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = text_snippet(buf_str(&text), text.len, c->p->snip, c->p->nsnip, SNIPPET_CHARS, &snip);
    if (rc < 0)
        goto out;
    r = json_object();
    json_object_set_new(r, "id", json_string(rec.id ? rec.id : ""));
    set_string(r, "path", rec.path);
    set_string(r, "title", rec.title);
    json_object_set_new(r, "score", json_real(weight));
    json_object_set_new(r, "snippet", json_string(buf_str(&snip)));
    json_object_set_new(r, "meta", storage_record_meta_json(&rec));
    set_string(r, "mime", rec.mime);
    set_string(r, "status", rec.status);
    json_array_append_new(c->results, r);
out:
    storage_record_release(&rec);
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
        tf = storage_word_freq(st, p->snip[i].folded, err);
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
static struct storage_query *by_issued(const struct storage_query *q, int dated)
{
    return storage_q_pair_take(dated ? STORAGE_FILTER : STORAGE_AND_NOT, storage_q_dup(q),
                               storage_q_dated());
}

/* Pass 2 sorted by date: the documents with an issue date first, then
 * those without (sorted among themselves by the file's date, which
 * storage sorts them by), in either direction, so "newest first" never
 * opens on files that only look new.  The dated part's exact count (a
 * sort by value visits every match anyway) says where the page crosses
 * into the undated part. */
static int run_by_date(struct storage *st, const struct storage_query *q,
                       const struct query_request *req, struct run_ctx *c, struct vt_err *err)
{
    struct storage_query *dated = by_issued(q, 1), *undated = NULL;
    struct storage_search s = {0};
    unsigned ndated = 0, ignored, got;
    int rc;

    if (dated == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    s.offset = req->offset;
    s.limit = req->limit;
    s.sort = req->sort == QUERY_SORT_DATE_ASC ? STORAGE_SORT_DATE_ASC : STORAGE_SORT_DATE_DESC;
    s.exact_total = 1;
    rc = storage_run(st, dated, &s, hit_cb, NULL, c, &ndated, err);
    storage_q_free(dated);
    if (rc < 0)
        return rc;
    got = (unsigned)json_array_size(c->results);
    if (got >= req->limit)
        return 0;
    if ((undated = by_issued(q, 0)) == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    s.offset = req->offset > ndated ? req->offset - ndated : 0;
    s.limit = req->limit - got;
    s.exact_total = 0;
    rc = storage_run(st, undated, &s, hit_cb, NULL, c, &ignored, err);
    storage_q_free(undated);
    return rc;
}

/* Clean and parse req's query into *q, filters added: 0 with *q set, 0
 * with *q NULL and *notice set for a query without a searchable word, or
 * a negative code.  p reads clean's text. */
static int parse_request(struct parser *p, const struct query_request *req, struct buf *clean,
                         struct storage_query **q, const char **notice, struct vt_err *err)
{
    const char *qs = req->q ? req->q : "";
    int rc;

    if ((rc = query_check_request(req, err)) < 0)
        return rc;
    if (text_clean(qs, strlen(qs), clean) < 0)
        return vt_err_set(err, VT_EQUERY, "query cannot be normalised");
    p->s = buf_str(clean);
    p->n = clean->len;
    p->exact = req->exact;
    p->err = err;
    if (is_empty(p)) {
        if ((*q = storage_q_all()) == NULL)
            return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    } else {
        *q = or_expr(p);
        if (p->rc < 0)
            return p->rc;
        if (peek_item(p).kind != IT_END)
            return vt_err_set(err, VT_EQUERY, "unbalanced parenthesis in the query");
        /* Text, but no word that could match (only emoji, punctuation or
         * words too long to index): nothing, and the reason, rather than
         * the whole archive as for an empty query. */
        if (*q == NULL) {
            *notice = "the query has no searchable words";
            return 0;
        }
    }
    return add_filters(req, q, err);
}

/* Both passes of q into c, and the suggestion when nothing matched. */
static int run_passes(struct storage *st, const struct storage_query *q,
                      const struct query_request *req, int empty, struct run_ctx *c,
                      unsigned *total, struct buf *suggestion, struct vt_err *err)
{
    struct storage_search s = {0};
    struct storage_query *count_q;
    unsigned ignored;
    int rc;

    /* Pass 1: exact total and facets over every match, without ranking. */
    if ((count_q = storage_q_scale_take(storage_q_dup(q), 0.0)) == NULL)
        return vt_err_set(err, VT_ENOMEM, "out of memory building the query");
    s.exact_total = 1;
    s.facets = facet_fields;
    s.nfacets = NFACETS;
    rc = storage_run(st, count_q, &s, count_hit_cb, facet_cb, c, total, err);
    storage_q_free(count_q);
    if (rc < 0)
        return rc;

    /* Nothing matched: offer the query with each word the index does not
     * hold replaced by its closest indexed word ("did you mean"), unless
     * the caller is short of time. */
    if (*total == 0 && !empty && !req->no_suggest &&
        (rc = suggest(st, c->p, suggestion, err)) < 0)
        return rc;

    /* Pass 2: the requested page, ranked or by date. */
    if (req->limit == 0 || req->offset >= *total)
        return 0;
    if (req->sort == QUERY_SORT_DATE_ASC || req->sort == QUERY_SORT_DATE_DESC || empty)
        return run_by_date(st, q, req, c, err);
    s.offset = req->offset;
    s.limit = req->limit;
    s.exact_total = 0;
    s.nfacets = 0;
    return storage_run(st, q, &s, hit_cb, NULL, c, &ignored, err);
}

int query_search(struct storage *st, const struct query_request *req, json_t **result,
                 struct vt_err *err)
{
    struct parser p;
    struct buf clean, suggestion;
    struct storage_query *q = NULL;
    struct run_ctx c = {0};
    const char *notice = NULL;
    double t0 = now_ms();
    unsigned total = 0;
    int rc;

    *result = NULL;
    memset(&p, 0, sizeof(p));
    buf_init(&clean, QUERY_MAX_LEN * 2);
    buf_init(&suggestion, QUERY_MAX_LEN * 2);
    c.st = st;
    c.p = &p;
    c.err = err;
    c.results = json_array();
    c.facets = json_object();
    for (size_t i = 0; i < NFACETS; i++)
        json_object_set_new(c.facets, facet_names[i], json_object());
    rc = parse_request(&p, req, &clean, &q, &notice, err);
    if (rc == 0 && q != NULL)
        rc = run_passes(st, q, req, is_empty(&p), &c, &total, &suggestion, err);
    if (rc == 0) {
        *result = json_object();
        json_object_set_new(*result, "total", json_integer(total));
        json_object_set_new(*result, "took_ms",
                            json_real((double)(long)((now_ms() - t0) * 1000) / 1000));
        json_object_set_new(*result, "query", json_string(req->q ? req->q : ""));
        json_object_set(*result, "results", c.results);
        json_object_set(*result, "facets", c.facets);
        if (suggestion.len > 0)
            json_object_set_new(*result, "suggestion", json_string(buf_str(&suggestion)));
        if (notice != NULL)
            json_object_set_new(*result, "notice", json_string(notice));
    }
    json_decref(c.results);
    json_decref(c.facets);
    storage_q_free(q);
    for (size_t i = 0; i < p.nowned; i++)
        free(p.owned[i]);
    buf_release(&clean);
    buf_release(&suggestion);
    return rc;
}
