/* Snippets: the passage of a document that best shows why it matched,
 * with the matching words highlighted in their original (accented) form.
 *
 * Pure function of (text, terms): any thread.  The output is HTML-escaped
 * text with <b>...</b> around matches and "…" where the passage is cut. */
#ifndef VT_TEXT_SNIPPET_H
#define VT_TEXT_SNIPPET_H

#include <stddef.h>

#include "common/buf.h"

struct text_snippet_term {
    const char *folded; /* folded form (text_fold) of a query word */
    const char *exact;  /* its exact form (text_exact), or NULL when the query
                           word had no diacritics */
};

/* Append the snippet of (text, n) for the query words to out; about
 * max_chars characters.  With no terms or no match, the document's first
 * words.  Returns 0 or a negative VT_E* code. */
int text_snippet(const char *text, size_t n, const struct text_snippet_term *terms,
                 size_t nterms, size_t max_chars, struct buf *out);

#endif
