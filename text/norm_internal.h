/* text/ internals shared between its files (not for other modules): the
 * code-point layer under text_clean() and text_fold(), which the metadata
 * extractor (text/meta_*.c) reads pages through as well, so that both see
 * one cleanup, one fold and one NFC. */
#ifndef VT_TEXT_NORM_INTERNAL_H
#define VT_TEXT_NORM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum { TEXT_CLASS_OTHER, TEXT_CLASS_LETTER, TEXT_CLASS_DIGIT, TEXT_CLASS_MARK };

/* text__case(): Lu and Lt are upper case, Ll lower case, the rest 0. */
enum { TEXT_CASE_UPPER = 1, TEXT_CASE_LOWER = 2 };

void text__tables(void);
int text__class(int32_t cp);
int text__case(int32_t cp);
/* Folded code point (text_fold() of one character); 0 for a combining
 * mark, which the fold drops. */
int32_t text__fold_cp(int32_t cp);
int32_t text__lower_cp(int32_t cp);
/* text_clean()'s character map, applied after NFC: the replacement, or -1
 * to drop cp. */
int32_t text__clean_cp(int32_t cp);

int text__put_cp(struct buf *out, int32_t cp);
/* Decode one code point of (s, n), n > 0, an invalid sequence reading as
 * U+FFFD; returns the bytes used (1..4). */
size_t text__decode_lossy(const char *s, size_t n, int32_t *cp);
/* Append (s, n) to out with each invalid byte as U+FFFD. */
int text__utf8_scrub(const char *s, size_t n, struct buf *out);

/* NFC of valid UTF-8 (s, n): *res and *nres are s itself when it is NFC
 * for certain, else a new string that the caller frees (*owned, NULL in
 * the first case).  Returns 0, VT_EENCODING (invalid UTF-8) or VT_ENOMEM. */
int text__nfc(const char *s, size_t n, const char **res, size_t *nres, char **owned);

#endif
