/* The index schema's tables and the conversions they name (see the
 * tables in schema.c and the summary in storage.h).  Private to storage/:
 * only the C files of storage/ include this header.
 *
 * A field goes from the record to the index in two steps, the same at
 * indexing and at query time where they apply:
 *   derive  the value a filter is given: a date's year, a path's folder
 *           (index time only; a query gives the derived value);
 *   key     the boolean term's text: folded, a number's key, or as it is.
 * Its display value (a facet) is the derived value before keying. */
#ifndef VT_STORAGE_SCHEMA_H
#define VT_STORAGE_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "storage/storage.h"
#include "text/tok.h"

/* Term prefixes that are not a filter field's. */
#define SCHEMA_P_ID "Q"         /* Q<id>: the unique id term */
#define SCHEMA_P_EXACT "E"      /* E<exact>: a word's exact form, positional */
#define SCHEMA_P_NUMBER "XN"    /* XN<key>: a document number in the text */
#define SCHEMA_T_PLAIN "XKplain" /* boolean: no accented word in the document */
/* Longest boolean term written (Xapian's limit is 245 bytes). */
#define SCHEMA_MAX_BOOL_TERM 240

enum schema_slot {
    SCHEMA_SLOT_ISSUED = 0,   /* "YYYYMMDD" (or "YYYYMM00") of the official date */
    SCHEMA_SLOT_MTIME = 1,    /* sortable seconds */
    SCHEMA_SLOT_SIZE = 2,     /* sortable bytes */
    SCHEMA_SLOT_PAGES = 3,    /* sortable */
    SCHEMA_SLOT_OCR_CONF = 4, /* sortable */
    SCHEMA_SLOT_TYPE = 5,     /* display values, counted as facets */
    SCHEMA_SLOT_AGENCY = 6,
    SCHEMA_SLOT_YEAR = 7,
    SCHEMA_SLOT_MIME = 8,
    SCHEMA_SLOT_STATE = 9,    /* "size\tmtime_ns\tsha256\tstatus\tpath" for change detection */
    SCHEMA_SLOT_DATE = 10,    /* "YYYYMMDD": issued date, else the file's mtime; sorts by date */
    SCHEMA_NO_SLOT = -1,
};

enum schema_derive { SCHEMA_AS_IS, SCHEMA_YEAR, SCHEMA_FOLDER, SCHEMA_HEX64 };
enum schema_key { SCHEMA_RAW, SCHEMA_FOLD, SCHEMA_NUMBER_KEY };

/* One filter field (indexed by enum storage_field). */
struct schema_filter {
    const char *prefix;
    size_t src;                 /* offsetof the string in struct storage_record */
    enum schema_derive derive;
    enum schema_key key;
    int slot;                   /* display value slot, or SCHEMA_NO_SLOT */
};
extern const struct schema_filter schema_filters[STORAGE_NFIELDS];

/* The record field at offset off of r. */
#define SCHEMA_STR(r, off) (*(const char *const *)((const char *)(r) + (off)))

/* "2016-05-20" -> "20160520", "2016-05" -> "20160500": 1, or 0 if iso is
 * not such a date. */
int schema_date_key(const char *iso, char out[9]);

/* The derived value of field f of r in out (reset first): 1, or 0 when r
 * has none. */
int schema_derive(const struct schema_filter *f, const struct storage_record *r, struct buf *out);

/* The boolean term of field f for (derived) value v into out (reset
 * first): 1, 0 when the value makes no term (empty, or the term would be
 * longer than SCHEMA_MAX_BOOL_TERM), or a negative code.  A value that
 * keys to nothing gives the bare prefix, at indexing and in queries. */
int schema_filter_term(enum storage_field f, const char *v, struct buf *out);

enum schema_form { SCHEMA_FORM_FOLDED, SCHEMA_FORM_EXACT, SCHEMA_FORM_NUMBER };
/* The term of token t in form f into out (reset first): 1, 0 when it
 * makes none (nothing left once converted, longer than STORAGE_MAX_TERM),
 * or a negative code.  The indexer and storage_q_token() both use it. */
int schema_token_term(const struct text_token *t, enum schema_form f, struct buf *out);

/* The record as stored: new reference. */
json_t *schema_record_json(const struct storage_record *r);
/* The typed view of a stored record: r takes a reference to j and
 * borrows its strings. */
void schema_record_read(json_t *j, struct storage_record *r);

#endif
