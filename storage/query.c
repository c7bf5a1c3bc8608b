/* Query constructors and searching (see storage.h): every term a query
 * holds is made here, from the schema (schema.c), the same way the
 * document builder made it, so query/ never spells a prefix or a slot.
 *
 * A struct storage_query is the shim's struct xap_query itself; the
 * _take constructors free their inputs, so a caller builds a tree
 * top-down without keeping every piece. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "storage/internal.h"
#include "storage/schema.h"
#include "storage/xap.h"

static struct storage_query *sq(struct xap_query *q)
{
    return (struct storage_query *)q;
}

struct storage_query *storage_q_all(void)
{
    return sq(xap_q_all());
}

struct storage_query *storage_q_none(void)
{
    struct xap_query *all = xap_q_all(), *r = NULL;

    if (all != NULL) {
        struct xap_query *v[2] = {all, all};
        r = xap_q_combine(XAP_AND_NOT, v, 2, 0);
    }
    xap_q_free(all);
    return sq(r);
}

/* The query of the term a conversion made in term (released here):
 * made is its result, 1, 0 for none (matches nothing), or an error. */
static struct storage_query *made_query(int made, struct buf *term)
{
    struct storage_query *q = NULL;

    if (made > 0)
        q = sq(xap_q_term(term->ptr, term->len, 1));
    else if (made == 0)
        q = storage_q_none();
    buf_release(term);
    return q;
}

static struct storage_query *token_term(const struct text_token *t, enum schema_form f)
{
    struct buf term;

    buf_init(&term, 1024);
    return made_query(schema_token_term(t, f, &term), &term);
}

static struct storage_query *filter_term(enum storage_field f, const char *v)
{
    struct buf term;

    buf_init(&term, 1024);
    return made_query(schema_filter_term(f, v, &term), &term);
}

/* A document number: cited in the text, or the document's own number. */
static struct storage_query *number_query(const struct text_token *t)
{
    char *v = xstrndup(t->ptr, t->len);
    struct storage_query *own = filter_term(STORAGE_FIELD_NUMBER, v);

    free(v);
    return storage_q_pair_take(STORAGE_OR, token_term(t, SCHEMA_FORM_NUMBER), own);
}

struct storage_query *storage_q_token(const struct text_token *t, enum storage_match m)
{
    if (t->kind == TEXT_TOK_NUMBER)
        return number_query(t);
    switch (m) {
    case STORAGE_MATCH_FOLDED: return token_term(t, SCHEMA_FORM_FOLDED);
    case STORAGE_MATCH_EXACT:
        return token_term(t, t->marked ? SCHEMA_FORM_EXACT : SCHEMA_FORM_FOLDED);
    case STORAGE_MATCH_STRICT: break;
    }
    if (t->marked)
        return token_term(t, SCHEMA_FORM_EXACT);
    /* Typed without marks, the exact form is the folded one; a document
     * without any accented word stores only folded terms. */
    return storage_q_pair_take(
        STORAGE_OR, token_term(t, SCHEMA_FORM_EXACT),
        storage_q_pair_take(STORAGE_FILTER, token_term(t, SCHEMA_FORM_FOLDED),
                            sq(xap_q_term(SCHEMA_T_PLAIN, strlen(SCHEMA_T_PLAIN), 1))));
}

struct storage_query *storage_q_filter(enum storage_field f, const char *value)
{
    if ((unsigned)f >= STORAGE_NFIELDS)
        return storage_q_none();
    return filter_term(f, value);
}

struct storage_query *storage_q_dates(const char *from, const char *to)
{
    char lo[9] = "00000000", hi[9] = "99999999";

    if ((from && from[0] && !schema_date_key(from, lo)) || (to && to[0] && !schema_date_key(to, hi)))
        return storage_q_none();
    return sq(xap_q_range(SCHEMA_SLOT_DATE, lo, hi));
}

struct storage_query *storage_q_dated(void)
{
    /* Every issued date is "YYYYMMDD" or "YYYYMM00" (schema.h). */
    return sq(xap_q_range(SCHEMA_SLOT_ISSUED, "00000000", "99999999"));
}

static const enum xap_op xap_ops[] = {
    [STORAGE_AND] = XAP_AND,           [STORAGE_OR] = XAP_OR,
    [STORAGE_AND_NOT] = XAP_AND_NOT,   [STORAGE_AND_MAYBE] = XAP_AND_MAYBE,
    [STORAGE_FILTER] = XAP_FILTER,     [STORAGE_PHRASE] = XAP_PHRASE,
    [STORAGE_NEAR] = XAP_NEAR,
};

struct storage_query *storage_q_combine_take(enum storage_op op, struct storage_query **q,
                                             size_t n, unsigned window)
{
    struct xap_query *r = NULL;
    int ok = (unsigned)op < sizeof(xap_ops) / sizeof(xap_ops[0]);

    for (size_t i = 0; i < n; i++)
        if (q[i] == NULL)
            ok = 0;
    /* One subquery stands for itself, but a phrase of one word stays a
     * phrase (positional). */
    if (ok)
        r = n == 1 && op != STORAGE_PHRASE && op != STORAGE_NEAR
                ? xap_q_combine(XAP_OR, (struct xap_query *const *)q, 1, 0)
                : xap_q_combine(xap_ops[op], (struct xap_query *const *)q, n, window);
    for (size_t i = 0; i < n; i++)
        storage_q_free(q[i]);
    return sq(r);
}

struct storage_query *storage_q_pair_take(enum storage_op op, struct storage_query *a,
                                          struct storage_query *b)
{
    struct storage_query *v[2] = {a, b};

    return storage_q_combine_take(op, v, 2, 0);
}

struct storage_query *storage_q_scale_take(struct storage_query *q, double factor)
{
    struct xap_query *r = q ? xap_q_scale(storage__xq(q), factor) : NULL;

    storage_q_free(q);
    return sq(r);
}

struct storage_query *storage_q_dup(const struct storage_query *q)
{
    return sq(xap_q_copy(storage__xq(q)));
}

void storage_q_free(struct storage_query *q)
{
    xap_q_free(storage__xq(q));
}

int storage_q_describe(const struct storage_query *q, struct buf *out)
{
    return xap_q_describe(storage__xq(q), out);
}

/* ---- running ---------------------------------------------------------------- */

struct run {
    storage_hit_cb hit_cb;
    storage_facet_cb facet_cb;
    void *data;
    const struct storage_search *s;
    int called; /* a callback ran: the run can no longer be retried */
};

static int run_hit_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    struct run *r = data;

    r->called = 1;
    return r->hit_cb(r->data, docid, weight, rank);
}

static int run_facet_cb(void *data, unsigned slot, const char *v, size_t len, unsigned count)
{
    struct run *r = data;

    r->called = 1;
    for (size_t i = 0; i < r->s->nfacets; i++)
        if ((unsigned)schema_filters[r->s->facets[i]].slot == slot)
            return r->facet_cb(r->data, r->s->facets[i], v, len, count);
    return 0;
}

/* The shim's search for s (facets: slots, at most STORAGE_NFIELDS). */
static int xap_search_of(const struct storage_search *s, unsigned *slots, struct xap_search *x,
                         struct vt_err *err)
{
    memset(x, 0, sizeof(*x));
    x->offset = s->offset;
    x->limit = s->limit;
    x->sort_slot = s->sort == STORAGE_SORT_RELEVANCE ? -1 : SCHEMA_SLOT_DATE;
    x->sort_descending = s->sort == STORAGE_SORT_DATE_DESC;
    if (s->nfacets > STORAGE_NFIELDS)
        return vt_err_set(err, VT_EINTERNAL, "too many facets");
    for (size_t i = 0; i < s->nfacets; i++) {
        if ((unsigned)s->facets[i] >= STORAGE_NFIELDS ||
            schema_filters[s->facets[i]].slot == SCHEMA_NO_SLOT)
            return vt_err_set(err, VT_EINTERNAL, "field %d is no facet", (int)s->facets[i]);
        slots[i] = (unsigned)schema_filters[s->facets[i]].slot;
    }
    x->facet_slots = slots;
    x->nfacets = s->nfacets;
    return 0;
}

int storage_run(struct storage *st, const struct storage_query *q, const struct storage_search *s,
                storage_hit_cb hit_cb, storage_facet_cb facet_cb, void *data, unsigned *total,
                struct vt_err *err)
{
    struct run r = {hit_cb, facet_cb, data, s, 0};
    unsigned slots[STORAGE_NFIELDS];
    struct xap_search x;
    int rc, tries = 0;

    if (st->reader == NULL)
        return vt_err_set(err, VT_EINTERNAL, "search needs an index opened for reading");
    if ((rc = xap_search_of(s, slots, &x, err)) < 0)
        return rc;
    do {
        long n = s->exact_total ? xap_doccount(st->reader, err) : 0;
        rc = (int)n;
        if (n >= 0) {
            x.check_at_least = (unsigned)n;
            rc = xap_run(st->reader, storage__xq(q), &x, run_hit_cb, facet_cb ? run_facet_cb : NULL,
                         &r, total, err);
        }
    } while (!r.called && storage__again(st, rc, &tries, err));
    return rc;
}
