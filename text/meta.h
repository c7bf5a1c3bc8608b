/* Official-document metadata (DESIGN §8, vietnamese.md §(a)).
 *
 * Reads page 1 and the last page of a Vietnamese administrative document
 * laid out after Nghị định 30/2020/NĐ-CP (or the older TT 01/2011 and TTLT
 * 55/2005 layouts, which use the same boxes) and extracts the number and
 * symbol, document type, issuing agency, place and date of issue, summary
 * (trích yếu), signer and the secrecy/urgency stamps.  Input is plain page
 * text, one text line per line; header columns merged onto one line (as
 * pdftotext -layout or Tesseract --psm 6 produce) are split again at the
 * national motto and at wide gaps.  OCR damage is tolerated (see
 * meta_internal.h).
 *
 * Every field is optional.  A field the extractor is unsure of stays NULL,
 * because a wrong field is worse than a missing one; text that is not an
 * official document (news, letters, tables) gets only the generic fields
 * title, lang and dates.
 *
 * Thread: any; no global state. */
#ifndef VT_TEXT_META_H
#define VT_TEXT_META_H

#include <stddef.h>

#include "common/err.h"

/* Input caps: page 1 is read from its start, the last page from its end
 * (where the signature block is); bytes beyond the cap are ignored. */
#define TEXT_META_PAGE_MAX (64 * 1024)
/* Longest value of any string field, in bytes (cut at a character). */
#define TEXT_META_FIELD_MAX 512
/* Most dates kept in struct text_meta.dates. */
#define TEXT_META_MAX_DATES 8

/* Field identifiers.  The first TEXT_META_NRECORD are the record fields of
 * DESIGN §8, in the order text_meta_next() visits them; the rest are
 * extras for index terms and display. */
enum text_meta_field {
    TEXT_META_NUMBER,       /* "512/QĐ-UBND", "05/2020/QĐ-UBND", "36-HD/VPTW" */
    TEXT_META_TYPE,         /* full name: "Quyết định", "Công văn" */
    TEXT_META_AGENCY,       /* issuing agency (OrganName) as written */
    TEXT_META_PLACE,        /* "Nam Định" */
    TEXT_META_ISSUED,       /* "YYYY-MM-DD", or "YYYY-MM" when the day is blank */
    TEXT_META_SUBJECT,      /* trích yếu; for a công văn without "V/v" */
    TEXT_META_SIGNER,       /* "Trần Văn Hùng" */
    TEXT_META_SIGNER_TITLE, /* "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" */
    TEXT_META_SECRECY,      /* "TUYỆT MẬT", "TỐI MẬT", "MẬT" */
    TEXT_META_URGENCY,      /* "HỎA TỐC", "THƯỢNG KHẨN", "KHẨN" */
    TEXT_META_TITLE,        /* generic: type + number + subject, else the Markdown heading
                               (text_title_markdown()) or the first heading line */
    TEXT_META_LANG,         /* generic: "vi" or "en"; NULL when unsure */
    TEXT_META_NUMBER_KEY,   /* folded key for a boolean term: "5/2020/qd-ubnd" */
    TEXT_META_SYMBOL,       /* ký hiệu (CodeNotation) "QĐ-UBND"; set even when unnumbered */
    TEXT_META_TYPE_CODE,    /* "QĐ", "TTr"; NULL for a công văn */
    TEXT_META_PARENT_AGENCY,/* cơ quan chủ quản: "UBND TỈNH NAM ĐỊNH" */
    TEXT_META_ISSUER_CODE,  /* agency part of the symbol: "UBND", "STTTT" */
    TEXT_META_UNIT,         /* drafting unit(s) after the issuer code: "VP", "BCVT" */
    TEXT_META_SCOPE,        /* "LƯU HÀNH NỘI BỘ", "XEM XONG TRẢ LẠI" */
    TEXT_META_NFIELDS
};

#define TEXT_META_NRECORD (TEXT_META_LANG + 1)

/* struct text_meta.flags */
enum {
    TEXT_META_OFFICIAL = 1u << 0,    /* recognised as an official document */
    TEXT_META_UNNUMBERED = 1u << 1,  /* the number is blank: "Số:    /QĐ-UBND" */
    TEXT_META_QPPL = 1u << 2,        /* the number carries a year (legal normative doc) */
    TEXT_META_PARTY = 1u << 3,       /* party-style number "36-HD/VPTW" */
    TEXT_META_SYM_SUSPECT = 1u << 4, /* the type line disagrees with the symbol */
};

struct text_meta_date {
    int year;
    int month; /* 1..12 */
    int day;   /* 1..31, or 0 when blank in the text */
};

/* The result.  String fields are NULL when absent, else NUL-terminated NFC
 * UTF-8 owned by the struct (freed by text_meta_release()); read them, do
 * not free or replace them. */
struct text_meta {
    char *number;
    char *type;
    char *agency;
    char *place;
    char *issued;
    char *subject;
    char *signer;
    char *signer_title;
    char *secrecy;
    char *urgency;
    char *title;
    char *lang;
    char *number_key;
    char *symbol;
    char *type_code;
    char *parent_agency;
    char *issuer_code;
    char *unit;
    char *scope;

    int num;            /* CodeNumber as an integer; -1 when absent or blank */
    int year_in_number; /* the year inside a QPPL number, else 0 */
    unsigned flags;     /* TEXT_META_* bits */
    /* Confidence 1..100 of each present field, 0 for an absent one.  The
     * extractor already leaves out what it doubts; use this to rank or to
     * be stricter still. */
    unsigned char conf[TEXT_META_NFIELDS];
    /* Dates written anywhere on page 1 ("20/5/2016", "ngày 5 tháng 3 năm
     * 2020"), valid calendar dates only, in order of appearance, no
     * duplicates.  Generic: filled for any text. */
    size_t ndates;
    struct text_meta_date dates[TEXT_META_MAX_DATES];
};

/* Make m empty (every field absent).  Nothing to release afterwards, but
 * text_meta_release() is harmless. */
void text_meta_init(struct text_meta *m);

/* Free every string of m and make it empty again.  m may be NULL. */
void text_meta_release(struct text_meta *m);

/* Extract metadata from page 1 (page1, n1) and the last page (last, n2) of
 * one document into out, which is initialised first (any previous content
 * is overwritten without being freed).  last may be NULL (a one-page
 * document: page 1 is used for the signature too) or the same as page1.
 * Pages are separated by '\f' in full texts: page1 is read up to its first
 * '\f' and last from after its last '\f', so passing the whole text for
 * both works.  Invalid UTF-8 is tolerated (read as U+FFFD).
 *
 * Returns 0, or VT_ENOMEM (out is then empty).  On success the caller must
 * call text_meta_release(out).  Pointers: page1 and last are borrowed for
 * the call only.  Thread: any. */
int text_meta_extract(const char *page1, size_t n1, const char *last, size_t n2,
                      struct text_meta *out, struct vt_err *err);

/* The value of field f, or NULL when absent; borrowed from m. */
const char *text_meta_get(const struct text_meta *m, enum text_meta_field f);

/* The field's record name: "number", "signer_title", "number_key", ...
 * (DESIGN §8 names for the record fields).  Static string; NULL for an
 * out-of-range f. */
const char *text_meta_field_name(enum text_meta_field f);

/* Iterate over the present record fields (the first TEXT_META_NRECORD) in
 * field order, for building the document's "meta" object:
 *
 *     size_t pos = 0;
 *     const char *name, *value;
 *     while (text_meta_next(m, &pos, &name, &value))
 *         json_object_set_new(meta, name, json_string(value));
 *
 * Returns 1 with *name and *value set (both borrowed: static and from m),
 * or 0 when no field is left. */
int text_meta_next(const struct text_meta *m, size_t *pos, const char **name,
                   const char **value);

/* Titles.  A long title is shortened the way a reader would shorten it, not
 * at a byte count: at a word boundary, preferring the end of a sentence or
 * clause ("," ";" ":" " - ") that falls in the last third of the room, and
 * it then ends in "…" (U+2026).  No cut splits a UTF-8 sequence or parts a
 * combining mark from its letter (cuts fall between grapheme clusters); a
 * word longer than the room is cut between two clusters.  The official
 * title (TEXT_META_TITLE: type, number, subject) and subject are shortened
 * the same way when they reach TEXT_META_FIELD_MAX.
 *
 * Every function below returns a new NUL-terminated string (free with
 * free()), or NULL when nothing visible is left; input is borrowed for the
 * call, invalid UTF-8 reads as U+FFFD.  Thread: any. */

/* Most characters of a title taken from a document's own text (its first
 * line or paragraph), as result lists show it. */
#define TEXT_TITLE_CHARS 120

/* (s, n) as a one-line title of at most max_chars code points and max_bytes
 * bytes, "…" included (0: no limit of that kind): runs of white space,
 * line breaks included, become one space, the ends are trimmed, control
 * characters dropped, and a longer title is shortened as above. */
char *text_title_fit(const char *s, size_t n, size_t max_chars, size_t max_bytes);

/* The title a Markdown text declares at its start, without the syntax that
 * would show literally, fitted as by text_title_fit():
 *   - the title: key of YAML ("---") or TOML ("+++") front matter;
 *   - else the first block, when it is an ATX heading ("# Nghị định ..."),
 *     a Setext heading (a line underlined with "===" or "---") or a line
 *     all in strong emphasis ("**QUYẾT ĐỊNH**"), its markers, closing "#"s
 *     and attribute block ("{#id}") removed, and inline syntax undone:
 *     "**x**", "_x_", "~~x~~", "`x`" -> x; "[text](url)", "[text][ref]",
 *     "![alt](src)" -> text, alt; "<https://x>" -> https://x; HTML tags
 *     and footnote marks dropped; "\*" -> "*".
 * NULL when the text opens otherwise.  Only the head is read: pass the
 * first few KiB. */
char *text_title_markdown(const char *s, size_t n, size_t max_chars, size_t max_bytes);

/* A title for a text that has none of its own (plain text, OCR output):
 * its text_title_markdown() title when it has one; else its first line
 * that has a letter or digit, carried on over the following lines while
 * they continue its sentence (the line has four words or more and no
 * final punctuation, the next starts in lower case: a paragraph wrapped by
 * the page, as OCR returns it; at most eight lines, never across a form
 * feed); fitted to max_chars (0: no limit).  NULL for a text with no
 * letter or digit. */
char *text_title_first_line(const char *s, size_t n, size_t max_chars);

#endif
