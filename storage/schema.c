/* The schema, written once (storage.h summarises it, schema.h says how a
 * field becomes a term).  Everything that names a record key, a term
 * prefix or a value slot reads it from the tables below: the document
 * builder (doc.c), the query constructors (query.c) and the record
 * reader (storage.c).  A new filter is one row in schema_filters, a
 * value in enum storage_field and, for a new record field, a member of
 * struct storage_record and a row in record_keys. */
#include "config.h"

#include "storage/schema.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "text/norm.h"

#define AT(m) offsetof(struct storage_record, m)

/* Boolean filter terms and their display values, by enum storage_field. */
const struct schema_filter schema_filters[STORAGE_NFIELDS] = {
    [STORAGE_FIELD_TYPE] = {"XT", AT(meta.type), SCHEMA_AS_IS, SCHEMA_FOLD, SCHEMA_SLOT_TYPE},
    [STORAGE_FIELD_AGENCY] = {"XA", AT(meta.agency), SCHEMA_AS_IS, SCHEMA_FOLD,
                              SCHEMA_SLOT_AGENCY},
    [STORAGE_FIELD_YEAR] = {"XY", AT(meta.issued), SCHEMA_YEAR, SCHEMA_RAW, SCHEMA_SLOT_YEAR},
    [STORAGE_FIELD_MIME] = {"XM", AT(mime), SCHEMA_AS_IS, SCHEMA_RAW, SCHEMA_SLOT_MIME},
    [STORAGE_FIELD_STATUS] = {"XS", AT(status), SCHEMA_AS_IS, SCHEMA_RAW, SCHEMA_NO_SLOT},
    [STORAGE_FIELD_FOLDER] = {"XD", AT(path), SCHEMA_FOLDER, SCHEMA_RAW, SCHEMA_NO_SLOT},
    /* The document's own number, so "512/QĐ-UBND" finds the decision
     * itself and not only the letters that cite it. */
    [STORAGE_FIELD_NUMBER] = {"XSH", AT(meta.number), SCHEMA_AS_IS, SCHEMA_NUMBER_KEY,
                              SCHEMA_NO_SLOT},
    /* The file's content, so a copy or a moved file finds the text already
     * extracted (storage_find_sha256). */
    [STORAGE_FIELD_SHA256] = {"XH", AT(sha256), SCHEMA_HEX64, SCHEMA_RAW, SCHEMA_NO_SLOT},
};

/* The stored JSON record, key by key in the order it is written. */
enum rec_type {
    R_STR,   /* a string; left out when NULL */
    R_INT,   /* an integer; always written */
    R_FLAG,  /* true; left out when 0 */
    R_REAL,  /* a real; left out when < 0 */
    R_CONFS, /* page_confidence: reals, null for < 0; left out when empty */
    R_META,  /* the meta object; always written */
};

static const struct rec_key {
    const char *key;
    enum rec_type type;
    size_t off;
} record_keys[] = {
    {"id", R_STR, AT(id)},
    {"path", R_STR, AT(path)},
    {"path_hex", R_STR, AT(path_hex)},
    {"name", R_STR, AT(name)},
    {"root", R_STR, AT(root)},
    {"dev", R_INT, AT(dev)},
    {"ino", R_INT, AT(ino)},
    {"title", R_STR, AT(title)},
    {"mime", R_STR, AT(mime)},
    {"size", R_INT, AT(size)},
    {"mtime", R_INT, AT(mtime)},
    {"mtime_ns", R_INT, AT(mtime_ns)},
    {"sha256", R_STR, AT(sha256)},
    {"status", R_STR, AT(status)},
    {"error", R_STR, AT(error)},
    {"pages", R_INT, AT(pages)},
    {"truncated", R_FLAG, AT(truncated)},
    {"ocr_confidence", R_REAL, AT(ocr_confidence)},
    {"text_source", R_STR, AT(text_source)},
    {"page_confidence", R_CONFS, AT(page_confidence)},
    {"meta", R_META, AT(meta)},
};

/* The keys of "meta" (DESIGN §8), in the order they are written. */
#define MT(m) offsetof(struct storage_meta, m)
static const struct {
    const char *key;
    size_t off;
} meta_keys[] = {
    {"number", MT(number)},   {"type", MT(type)},
    {"agency", MT(agency)},   {"place", MT(place)},
    {"issued", MT(issued)},   {"subject", MT(subject)},
    {"signer", MT(signer)},   {"signer_title", MT(signer_title)},
    {"secrecy", MT(secrecy)}, {"urgency", MT(urgency)},
    {"title", MT(title)},     {"lang", MT(lang)},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define GET(r, off, T) (*(const T *)((const char *)(r) + (off)))
#define SET(r, off, T) (*(T *)((char *)(r) + (off)))

int schema_date_key(const char *iso, char out[9])
{
    size_t n = iso ? strlen(iso) : 0;

    if (n != 7 && n != 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (i == 4 || i == 7 ? iso[i] != '-' : (iso[i] < '0' || iso[i] > '9'))
            return 0;
    memcpy(out, iso, 4);
    memcpy(out + 4, iso + 5, 2);
    if (n == 10)
        memcpy(out + 6, iso + 8, 2);
    else
        memcpy(out + 6, "00", 2);
    out[8] = '\0';
    return 1;
}

int schema_derive(const struct schema_filter *f, const struct storage_record *r, struct buf *out)
{
    const char *v = SCHEMA_STR(r, f->src), *slash;
    char key[9];

    buf_reset(out);
    if (v == NULL || v[0] == '\0')
        return 0;
    switch (f->derive) {
    case SCHEMA_YEAR:
        return schema_date_key(v, key) && buf_add(out, key, 4) == 0;
    case SCHEMA_FOLDER:
        slash = strrchr(v, '/');
        return slash != NULL && slash != v && buf_add(out, v, (size_t)(slash - v)) == 0;
    case SCHEMA_HEX64:
        if (strlen(v) != 64)
            return 0;
        break;
    case SCHEMA_AS_IS:
        break;
    }
    return buf_adds(out, v) == 0;
}

int schema_filter_term(enum storage_field field, const char *v, struct buf *out)
{
    const struct schema_filter *f = &schema_filters[field];
    int rc;

    buf_reset(out);
    if (v == NULL || v[0] == '\0')
        return 0;
    if ((rc = buf_adds(out, f->prefix)) < 0)
        return rc;
    switch (f->key) {
    case SCHEMA_FOLD: rc = text_fold(v, strlen(v), out); break;
    case SCHEMA_NUMBER_KEY: rc = text_number_key(v, strlen(v), out); break;
    case SCHEMA_RAW: rc = buf_adds(out, v); break;
    }
    if (rc == VT_E2BIG || (rc == 0 && out->len > SCHEMA_MAX_BOOL_TERM))
        return 0;
    return rc < 0 ? rc : 1;
}

int schema_token_term(const struct text_token *t, enum schema_form f, struct buf *out)
{
    static const struct {
        const char *prefix;
        int (*conv)(const char *, size_t, struct buf *);
    } forms[] = {
        [SCHEMA_FORM_FOLDED] = {"", text_fold},
        [SCHEMA_FORM_EXACT] = {SCHEMA_P_EXACT, text_exact},
        [SCHEMA_FORM_NUMBER] = {SCHEMA_P_NUMBER, text_number_key},
    };
    size_t plen = strlen(forms[f].prefix);
    int rc;

    buf_reset(out);
    if ((rc = buf_add(out, forms[f].prefix, plen)) < 0)
        return rc;
    rc = forms[f].conv(t->ptr, t->len, out);
    if (rc < 0)
        return rc == VT_E2BIG ? 0 : rc;
    return out->len > plen && out->len <= STORAGE_MAX_TERM;
}

/* ---- the record as JSON ------------------------------------------------- */

static json_t *confidences_json(const double *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, v[i] < 0 ? json_null() : json_real(v[i]));
    return a;
}

static json_t *meta_json(const struct storage_meta *m)
{
    json_t *o = json_object();

    for (size_t i = 0; i < NELEM(meta_keys); i++) {
        const char *v = SCHEMA_STR(m, meta_keys[i].off);
        if (v != NULL)
            json_object_set_new(o, meta_keys[i].key, json_string(v));
    }
    return o;
}

json_t *schema_record_json(const struct storage_record *r)
{
    json_t *o = json_object();

    for (size_t i = 0; i < NELEM(record_keys); i++) {
        const struct rec_key *k = &record_keys[i];
        const char *s;
        json_t *v = NULL;
        switch (k->type) {
        case R_STR:
            if ((s = SCHEMA_STR(r, k->off)) != NULL)
                v = json_string(s);
            break;
        case R_INT: v = json_integer((json_int_t)GET(r, k->off, long long)); break;
        case R_FLAG: v = GET(r, k->off, int) ? json_true() : NULL; break;
        case R_REAL:
            if (GET(r, k->off, double) >= 0)
                v = json_real(GET(r, k->off, double));
            break;
        case R_CONFS:
            if (r->page_confidence != NULL && r->npage_confidence > 0)
                v = confidences_json(r->page_confidence, r->npage_confidence);
            break;
        case R_META: v = meta_json(&r->meta); break;
        }
        if (v != NULL)
            json_object_set_new(o, k->key, v);
    }
    return o;
}

json_t *storage_record_meta_json(const struct storage_record *r)
{
    json_t *stored = r->_json ? json_object_get(r->_json, "meta") : NULL;

    /* A search page shows ten of them: sharing beats rebuilding. */
    return json_is_object(stored) ? json_incref(stored) : meta_json(&r->meta);
}

void storage_record_init(struct storage_record *r)
{
    memset(r, 0, sizeof(*r));
    r->ocr_confidence = -1;
}

void storage_record_release(struct storage_record *r)
{
    if (r == NULL)
        return;
    json_decref(r->_json);
    free(r->_pc);
    storage_record_init(r);
}

static void read_confidences(json_t *a, struct storage_record *r)
{
    size_t n = json_array_size(a);

    if (n == 0)
        return;
    r->_pc = xmalloc(n * sizeof(*r->_pc));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        r->_pc[i] = json_is_number(v) ? json_number_value(v) : -1;
    }
    r->page_confidence = r->_pc;
    r->npage_confidence = n;
}

void schema_record_read(json_t *j, struct storage_record *r)
{
    json_t *meta = json_object_get(j, "meta");

    storage_record_init(r);
    r->_json = json_incref(j);
    for (size_t i = 0; i < NELEM(record_keys); i++) {
        const struct rec_key *k = &record_keys[i];
        json_t *v = json_object_get(j, k->key);
        switch (k->type) {
        case R_STR: SET(r, k->off, const char *) = json_string_value(v); break;
        case R_INT: SET(r, k->off, long long) = (long long)json_integer_value(v); break;
        case R_FLAG: SET(r, k->off, int) = json_is_true(v); break;
        case R_REAL: SET(r, k->off, double) = json_is_number(v) ? json_number_value(v) : -1; break;
        case R_CONFS: read_confidences(v, r); break;
        case R_META: break;
        }
    }
    for (size_t i = 0; i < NELEM(meta_keys); i++)
        SET(&r->meta, meta_keys[i].off, const char *) =
            json_string_value(json_object_get(meta, meta_keys[i].key));
}
