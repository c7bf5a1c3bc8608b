/* Word tokeniser; see tok.h.  Words are found by code-point class, with an
 * ASCII fast path because most of an archive's bytes are ASCII. */
#include "config.h"

#include "text/tok.h"

#include <string.h>

#include "common/err.h"
#include "text/norm.h"
#include "text/norm_internal.h"

/* Class and length of the code point at s[i]; invalid bytes count as
 * separators of length 1 so a stray byte cannot stop the walk. */
static int class_at(const unsigned char *s, size_t n, size_t i, int *len)
{
    int32_t cp;
    int k;

    if (s[i] < 0x80) {
        *len = 1;
        return text__class(s[i]);
    }
    k = text_utf8_decode(s + i, n - i, &cp);
    if (k < 0) {
        *len = 1;
        return TEXT_CLASS_OTHER;
    }
    *len = k;
    return text__class(cp);
}

static size_t skip_spaces(const unsigned char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* One symbol segment: a letter, then up to 11 letters, digits or '&'.
 * Returns the end offset or 0 if none starts at i. */
static size_t segment(const unsigned char *s, size_t n, size_t i)
{
    int len, cls, count = 0;

    if (i >= n || class_at(s, n, i, &len) != TEXT_CLASS_LETTER)
        return 0;
    while (i < n && count < 12) {
        cls = class_at(s, n, i, &len);
        if (cls == TEXT_CLASS_LETTER || cls == TEXT_CLASS_DIGIT || cls == TEXT_CLASS_MARK ||
            s[i] == '&') {
            i += (size_t)len;
            count++;
        } else {
            break;
        }
    }
    if (i < n && count >= 12 && class_at(s, n, i, &len) == TEXT_CLASS_LETTER)
        return 0;
    return i;
}

/* Segments joined by '-' (spaces allowed around it); returns the end. */
static size_t symbol(const unsigned char *s, size_t n, size_t i, int max_extra)
{
    size_t e = segment(s, n, i), j, f;

    if (e == 0)
        return 0;
    for (int k = 0; k < max_extra; k++) {
        j = skip_spaces(s, n, e);
        if (j >= n || s[j] != '-')
            break;
        f = segment(s, n, skip_spaces(s, n, j + 1));
        if (f == 0)
            break;
        e = f;
    }
    return e;
}

/* If a document number starts at i (a run of 1..5 digits ending at
 * digits_end), return its end offset, else 0. */
static size_t number_at(const unsigned char *s, size_t n, size_t i, size_t digits_end)
{
    size_t j, y;

    if (digits_end - i > 5)
        return 0;
    j = skip_spaces(s, n, digits_end);
    if (j < n && s[j] == '/') {
        j = skip_spaces(s, n, j + 1);
        /* Optional year of a legal normative document: 05/2020/NĐ-CP. */
        y = j;
        while (y < n && s[y] >= '0' && s[y] <= '9')
            y++;
        if (y - j == 4) {
            size_t k = skip_spaces(s, n, y);
            if (k < n && s[k] == '/')
                j = skip_spaces(s, n, k + 1);
            else
                return 0;
        } else if (y != j) {
            return 0;
        }
        return symbol(s, n, j, 4);
    }
    /* Party style: 36-HD/VPTW. */
    if (j < n && s[j] == '-') {
        size_t t = segment(s, n, skip_spaces(s, n, j + 1)), k;
        if (t == 0 || t - j > 7)
            return 0;
        k = skip_spaces(s, n, t);
        if (k >= n || s[k] != '/')
            return 0;
        return symbol(s, n, skip_spaces(s, n, k + 1), 1);
    }
    return 0;
}

/* The end of the word that starts at i: letters, digits and marks.
 * *digits_only: all of it is digits; *marked: it has a non-ASCII letter
 * (text_has_marks() then tells whether it carries marks). */
static size_t word_end(const unsigned char *s, size_t n, size_t i, int *digits_only, int *marked)
{
    int len, cls;

    *digits_only = 1;
    *marked = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            unsigned char c = s[i];

            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                *digits_only = 0;
            else if (!(c >= '0' && c <= '9'))
                break;
            i++;
            continue;
        }
        cls = class_at(s, n, i, &len);
        if (cls == TEXT_CLASS_OTHER)
            break;
        if (cls != TEXT_CLASS_DIGIT)
            *digits_only = 0;
        *marked = 1;
        i += (size_t)len;
    }
    return i;
}

long text_tokenize(const char *str, size_t n, unsigned first_pos, text_token_cb cb, void *data)
{
    const unsigned char *s = (const unsigned char *)str;
    struct text_token t;
    size_t i = 0, start, number_end = 0;
    unsigned pos = first_pos;
    int len, cls, rc, marked, digits_only;

    while (i < n) {
        cls = class_at(s, n, i, &len);
        if (cls == TEXT_CLASS_OTHER || cls == TEXT_CLASS_MARK) {
            i += (size_t)len;
            continue;
        }
        start = i;
        i = word_end(s, n, i, &digits_only, &marked);
        /* A number's own parts (the year in 05/2020/NĐ-CP) start no new one. */
        if (digits_only && start >= number_end) {
            size_t e = number_at(s, n, start, i);
            if (e > 0) {
                number_end = e;
                t.ptr = str + start;
                t.len = e - start;
                t.offset = start;
                t.pos = pos;
                t.kind = TEXT_TOK_NUMBER;
                t.marked = text_has_marks(t.ptr, t.len);
                if ((rc = cb(data, &t)) < 0)
                    return rc;
            }
        }
        t.ptr = str + start;
        t.len = i - start;
        t.offset = start;
        t.pos = pos++;
        t.kind = TEXT_TOK_WORD;
        t.marked = marked ? text_has_marks(t.ptr, t.len) : 0;
        if ((rc = cb(data, &t)) < 0)
            return rc;
    }
    return (long)pos;
}

int text_number_key(const char *s, size_t n, struct buf *out)
{
    struct buf f;
    size_t i = 0;
    int rc, leading = 1;

    buf_init(&f, 4 * n + 16);
    rc = text_fold(s, n, &f);
    if (rc < 0)
        goto out;
    for (i = 0; i < f.len && rc == 0; i++) {
        char c = f.ptr[i];
        if (c == ' ' || c == '\t')
            continue;
        if (leading && c == '0' && i + 1 < f.len && f.ptr[i + 1] >= '0' && f.ptr[i + 1] <= '9')
            continue;
        leading = 0;
        rc = buf_addc(out, c);
    }
out:
    buf_release(&f);
    return rc;
}
