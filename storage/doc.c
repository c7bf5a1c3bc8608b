/* Building a document from a record (storage_doc_build) and handing it
 * to its shard's writer.
 *
 * Design: storage_doc_build() does all the per-document work (tokenising,
 * folding, serialising the record) so the indexer can run it on several
 * threads; storage_put() on the single writer thread only hands the
 * finished document to Xapian.  Documents holding accented words get a
 * second, exact term per word; documents without any (most English text)
 * get the plain term instead, so they pay nothing for Vietnamese
 * strictness.  Which terms and values a record makes is schema.c's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "storage/internal.h"
#include "storage/schema.h"
#include "storage/xap.h"
#include "text/norm.h"

struct storage_doc {
    struct xap_doc *doc;
    char idterm[STORAGE_ID_LEN + 2];
    size_t size;
};

struct build {
    struct xap_doc *doc;
    struct buf term;
    int marked;
    struct vt_err *err;
};

static int add_token(struct build *b, const struct text_token *t, enum schema_form f,
                     unsigned pos)
{
    int rc = schema_token_term(t, f, &b->term);

    if (rc <= 0)
        return rc;
    return xap_doc_add(b->doc, b->term.ptr, b->term.len, pos, b->err);
}

static int token_cb(void *data, const struct text_token *t)
{
    struct build *b = data;
    int rc;

    if (t->kind == TEXT_TOK_NUMBER)
        return add_token(b, t, SCHEMA_FORM_NUMBER, 0);
    if (t->len > STORAGE_MAX_TERM)
        return 0;
    rc = add_token(b, t, SCHEMA_FORM_FOLDED, t->pos);
    if (rc == 0 && b->marked)
        rc = add_token(b, t, SCHEMA_FORM_EXACT, t->pos);
    return rc;
}

/* The file name comes first, so a file is findable by name whatever its
 * content; a gap keeps phrases from running from name into body. */
static int add_words(struct build *b, const char *name, const char *text, size_t text_len)
{
    long pos = 1;

    if (name != NULL) {
        pos = text_tokenize(name, strlen(name), 1, token_cb, b);
        if (pos < 0)
            return (int)pos;
        pos += 8;
    }
    if (text != NULL && text_len > 0) {
        pos = text_tokenize(text, text_len, (unsigned)pos, token_cb, b);
        if (pos < 0)
            return vt_err_set(b->err, (int)pos, "cannot index text: %s", vt_strerror((int)pos));
    }
    return 0;
}

static int set_value(struct build *b, unsigned slot, const char *v, size_t len)
{
    if (len == 0)
        return 0;
    return xap_doc_set_value(b->doc, slot, v, len, b->err);
}

static int set_num_value(struct build *b, unsigned slot, double v)
{
    struct buf s;
    int rc;

    buf_init(&s, 64);
    rc = xap_sortable(v, &s);
    if (rc == 0)
        rc = xap_doc_set_value(b->doc, slot, s.ptr, s.len, b->err);
    buf_release(&s);
    return rc;
}

/* Every filter field's boolean term and display value (schema_filters). */
static int add_filters(struct build *b, const struct storage_record *r)
{
    struct buf v;
    int rc = 0;

    buf_init(&v, BUF_NOLIMIT);
    for (unsigned f = 0; f < STORAGE_NFIELDS && rc >= 0; f++) {
        const struct schema_filter *sf = &schema_filters[f];
        if (!schema_derive(sf, r, &v))
            continue;
        rc = schema_filter_term((enum storage_field)f, v.ptr, &b->term);
        if (rc > 0)
            rc = xap_doc_add_boolean(b->doc, b->term.ptr, b->term.len, b->err);
        if (rc >= 0 && sf->slot != SCHEMA_NO_SLOT)
            rc = set_value(b, (unsigned)sf->slot, v.ptr, v.len);
    }
    buf_release(&v);
    return rc < 0 ? rc : 0;
}

/* The slots that are not a filter's: dates, numbers, the file's state. */
static int add_values(struct build *b, const struct storage_record *r)
{
    char key[9], day[16];
    struct buf s;
    int rc;

    if (schema_date_key(r->meta.issued, key)) {
        if ((rc = set_value(b, SCHEMA_SLOT_ISSUED, key, 8)) < 0 ||
            (rc = set_value(b, SCHEMA_SLOT_DATE, key, 8)) < 0)
            return rc;
    } else {
        time_t t = (time_t)r->mtime;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(day, sizeof(day), "%Y%m%d", &tm);
        if ((rc = set_value(b, SCHEMA_SLOT_DATE, day, strlen(day))) < 0)
            return rc;
    }
    buf_init(&s, 8192);
    rc = buf_printf(&s, "%lld\t%lld\t%s\t%s\t%s", r->size, r->mtime_ns,
                    r->sha256 ? r->sha256 : "", r->status ? r->status : "",
                    r->path ? r->path : "");
    if (rc == 0)
        rc = xap_doc_set_value(b->doc, SCHEMA_SLOT_STATE, s.ptr, s.len, b->err);
    buf_release(&s);
    if (rc == 0)
        rc = set_num_value(b, SCHEMA_SLOT_MTIME, (double)r->mtime);
    if (rc == 0)
        rc = set_num_value(b, SCHEMA_SLOT_SIZE, (double)r->size);
    if (rc == 0)
        rc = set_num_value(b, SCHEMA_SLOT_PAGES, (double)r->pages);
    if (rc == 0 && r->ocr_confidence >= 0)
        rc = set_num_value(b, SCHEMA_SLOT_OCR_CONF, r->ocr_confidence);
    return rc;
}

/* Data: the record as JSON, a NUL, the text. */
static int set_data(struct build *b, const struct storage_record *r, const char *text,
                    size_t text_len, size_t *size)
{
    json_t *rec = schema_record_json(r);
    char *json = json_dumps(rec, JSON_COMPACT);
    struct buf data;
    int rc;

    json_decref(rec);
    if (json == NULL)
        return vt_err_set(b->err, VT_ENOMEM, "cannot serialise the record");
    buf_init(&data, BUF_NOLIMIT);
    if ((rc = buf_add(&data, json, strlen(json) + 1)) == 0 &&
        (rc = buf_add(&data, text ? text : "", text ? text_len : 0)) == 0)
        rc = xap_doc_set_data(b->doc, data.ptr, data.len, b->err);
    *size = data.len * 3 + 1024;
    buf_release(&data);
    free(json);
    return rc;
}

int storage_doc_build(const struct storage_record *r, const char *text, size_t text_len,
                      struct storage_doc **out, struct vt_err *err)
{
    struct storage_doc *d = xcalloc(1, sizeof(*d));
    struct build b;
    int rc;

    *out = NULL;
    buf_init(&b.term, 1024);
    b.doc = d->doc = xap_doc_new();
    b.err = err;
    snprintf(d->idterm, sizeof(d->idterm), SCHEMA_P_ID "%s", r->id ? r->id : "");
    b.marked = (text && text_has_marks(text, text_len)) ||
               (r->name && text_has_marks(r->name, strlen(r->name)));
    if ((rc = xap_doc_add_boolean(d->doc, d->idterm, strlen(d->idterm), err)) < 0 ||
        (!b.marked && (rc = xap_doc_add_boolean(d->doc, SCHEMA_T_PLAIN,
                                                strlen(SCHEMA_T_PLAIN), err)) < 0) ||
        (rc = add_words(&b, r->name, text, text_len)) < 0 || (rc = add_filters(&b, r)) < 0 ||
        (rc = add_values(&b, r)) < 0 || (rc = set_data(&b, r, text, text_len, &d->size)) < 0) {
        storage_doc_free(d);
    } else {
        *out = d;
    }
    buf_release(&b.term);
    return rc;
}

void storage_doc_free(struct storage_doc *d)
{
    if (d == NULL)
        return;
    xap_doc_free(d->doc);
    free(d);
}

size_t storage_doc_size(const struct storage_doc *d)
{
    return d->size;
}

unsigned storage_doc_shard(const struct storage *st, const struct storage_doc *d)
{
    return storage_id_shard(st, d->idterm + 1);
}

int storage_put(struct storage *st, const struct storage_doc *d, struct vt_err *err)
{
    if (!st->writable)
        return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
    return xap_replace(st->shard[storage_doc_shard(st, d)], d->idterm, d->doc, err);
}
