/* Tokenising for the index, the query parser and snippets.
 *
 * A word is a maximal run of letters, digits and combining marks; anything
 * else separates words ('_' and apostrophes too, so "query_module" is two
 * words, as a reader would type them).  Document numbers such as
 * "512/QĐ-UBND", "05/2020/NĐ-CP" or "36-HD/VPTW" are reported once whole
 * (TEXT_TOK_NUMBER) and then word by word, so they are searchable as
 * written and by their parts.  Input must be valid UTF-8 that went through
 * text_clean() (dashes already '-').  Pure: any thread. */
#ifndef VT_TEXT_TOK_H
#define VT_TEXT_TOK_H

#include <stddef.h>

#include "common/buf.h"

enum text_tok_kind { TEXT_TOK_WORD, TEXT_TOK_NUMBER };

struct text_token {
    const char *ptr;   /* the token in the input (borrowed) */
    size_t len;        /* its length in bytes */
    size_t offset;     /* ptr - start of input */
    unsigned pos;      /* word position; a number shares its first part's */
    enum text_tok_kind kind;
    int marked;        /* 1 if the token has diacritics or đ */
};

/* Called for each token in order; a negative return stops the walk and is
 * returned by text_tokenize. */
typedef int (*text_token_cb)(void *data, const struct text_token *tok);

/* Walk (s, n), numbering words from first_pos.  Returns the position after
 * the last word (>= first_pos) or the callback's negative code. */
long text_tokenize(const char *s, size_t n, unsigned first_pos, text_token_cb cb, void *data);

/* Append the canonical key of a document number span to out: folded,
 * spaces removed, leading zeros of the number dropped
 * ("05/2020/QĐ – UBND" -> "5/2020/qd-ubnd"). */
int text_number_key(const char *s, size_t n, struct buf *out);

#endif
