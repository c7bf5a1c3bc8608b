/* Unicode normalisation and Vietnamese folding (vietnamese.md §2, §(b)).
 *
 * All functions take UTF-8 (ptr, len), append to a caller-owned struct buf
 * and return 0 or a negative VT_E* code (VT_EENCODING for invalid UTF-8,
 * VT_E2BIG when out's cap is reached).  Pure functions: any thread. */
#ifndef VT_TEXT_NORM_H
#define VT_TEXT_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* NFC plus the cleanup every extractor's output gets (vietnamese.md (a) P1):
 * U+00D0/U+0189 -> Đ, U+00F0 -> đ, dashes/minus/tilde-like -> '-', fraction
 * and full-width slashes -> '/', control characters other than \n \t \f
 * dropped.  Output is valid UTF-8. */
int text_clean(const char *s, size_t n, struct buf *out);

/* Folded form: lowercase, marks stripped, đ -> d, NFC.  One code point in,
 * one code point out (for the letters we fold), so offsets found on the
 * folded string of a single token map back to it. */
int text_fold(const char *s, size_t n, struct buf *out);

/* Exact form: lowercase NFC with the tone mark placed by one convention
 * (hoà/hòa -> hoà, thúy -> thuý, qủa -> quả).  Tokens that are not
 * Vietnamese syllables are just lowercased NFC. */
int text_exact(const char *s, size_t n, struct buf *out);

/* 1 if the UTF-8 string holds a letter with a diacritic or đ (so its exact
 * and folded forms differ), else 0. */
int text_has_marks(const char *s, size_t n);

/* Decode one code point from s (n bytes left); returns its length (1..4) and
 * stores it in *cp, or returns -1 for an invalid sequence. */
int text_utf8_decode(const unsigned char *s, size_t n, int32_t *cp);

/* The UTF-8 of cp (a Unicode scalar value) into u; returns its length
 * (1..4). */
size_t text_utf8_encode(int32_t cp, char u[4]);

/* 1 if (s, n) is valid UTF-8, else 0. */
int text_utf8_valid(const char *s, size_t n);

#endif
