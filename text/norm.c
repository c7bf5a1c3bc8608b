/* Unicode normalisation and Vietnamese folding.
 *
 * Design: indexing runs every byte of the archive through these functions,
 * so the common case must be cheap.  ASCII is handled inline; for code
 * points below 0x2000 (all of Latin, and every Vietnamese letter) the fold
 * and the word-character class come from tables built once; utf8proc is
 * consulted only for the rest and for NFC of the few stretches that NFC
 * may change (text__nfc()).  Large inputs are normalised chunk by chunk (split at
 * line ends) so memory stays proportional to the chunk, not the file. */
#include "config.h"

#include "text/norm.h"
#include "text/norm_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/err.h"

#define TAB_MAX 0x2000
#define CHUNK 65536

static int32_t fold_tab[TAB_MAX];  /* folded code point, 0 = drop */
static int32_t lower_tab[TAB_MAX]; /* lowercase code point */
static unsigned char class_tab[TAB_MAX]; /* TEXT_CLASS_* | TEXT_CASE_* << 4 */
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;
/* Set once the tables are built: the per-character lookups test it with a
 * plain load instead of entering pthread_once() each time. */
static atomic_int tab_ready;

static int classify(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return TEXT_CLASS_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return TEXT_CLASS_DIGIT;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return TEXT_CLASS_MARK;
    default:
        return TEXT_CLASS_OTHER;
    }
}

static int case_of(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        return TEXT_CASE_UPPER;
    case UTF8PROC_CATEGORY_LL:
        return TEXT_CASE_LOWER;
    default:
        return 0;
    }
}

static int32_t fold_slow(int32_t cp)
{
    utf8proc_int32_t d[8];
    int last = 0;
    utf8proc_ssize_t n;
    int32_t lo;

    if (cp == 0x0111 || cp == 0x0110 || cp == 0x00D0 || cp == 0x00F0 || cp == 0x0189)
        return 'd';
    if (classify(cp) == TEXT_CLASS_MARK)
        return 0;
    lo = utf8proc_tolower(cp);
    n = utf8proc_decompose_char(lo, d, 8, UTF8PROC_DECOMPOSE, &last);
    if (n < 1 || n > 8)
        return lo;
    for (utf8proc_ssize_t i = 1; i < n; i++)
        if (classify(d[i]) != TEXT_CLASS_MARK)
            return lo;
    return d[0];
}

static void build_tables(void)
{
    for (int32_t cp = 0; cp < TAB_MAX; cp++) {
        class_tab[cp] = (unsigned char)(classify(cp) | case_of(cp) << 4);
        lower_tab[cp] = utf8proc_tolower(cp);
        fold_tab[cp] = fold_slow(cp);
    }
    atomic_store_explicit(&tab_ready, 1, memory_order_release);
}

static inline void tables(void)
{
    if (!atomic_load_explicit(&tab_ready, memory_order_acquire))
        pthread_once(&tab_once, build_tables);
}

void text__tables(void)
{
    tables();
}

int text__class(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return TEXT_CLASS_LETTER;
        if (cp >= '0' && cp <= '9')
            return TEXT_CLASS_DIGIT;
        return TEXT_CLASS_OTHER;
    }
    if (cp < TAB_MAX) {
        tables();
        return class_tab[cp] & 0x0F;
    }
    return classify(cp);
}

int text__case(int32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? TEXT_CASE_UPPER
                                      : cp >= 'a' && cp <= 'z' ? TEXT_CASE_LOWER : 0;
    if (cp < TAB_MAX) {
        tables();
        return class_tab[cp] >> 4;
    }
    return case_of(cp);
}

/* ASCII inline, the tables below TAB_MAX, utf8proc's lowercase beyond
 * (scripts without marks to fold). */
static int32_t map_cp(int32_t cp, const int32_t *tab)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp < TAB_MAX) {
        tables();
        return tab[cp];
    }
    return utf8proc_tolower(cp);
}

int32_t text__fold_cp(int32_t cp)
{
    return map_cp(cp, fold_tab);
}

int32_t text__lower_cp(int32_t cp)
{
    return map_cp(cp, lower_tab);
}

int text_utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    int32_t c;
    int len, i;

    if (n == 0)
        return -1;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xC2)
        return -1;
    if (s[0] < 0xE0)
        len = 2, c = s[0] & 0x1F;
    else if (s[0] < 0xF0)
        len = 3, c = s[0] & 0x0F;
    else if (s[0] < 0xF5)
        len = 4, c = s[0] & 0x07;
    else
        return -1;
    if ((size_t)len > n)
        return -1;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* Reject overlong forms, surrogates and values past U+10FFFF. */
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    return len;
}

size_t text_utf8_encode(int32_t cp, char u[4])
{
    if (cp < 0x80) {
        u[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int text__put_cp(struct buf *out, int32_t cp)
{
    char tmp[4];

    if (cp < 0x80)
        return buf_addc(out, (char)cp);
    return buf_add(out, tmp, text_utf8_encode(cp, tmp));
}

size_t text__decode_lossy(const char *s, size_t n, int32_t *cp)
{
    int k;

    if ((unsigned char)s[0] < 0x80) {
        *cp = (unsigned char)s[0];
        return 1;
    }
    k = text_utf8_decode((const unsigned char *)s, n, cp);
    if (k < 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return (size_t)k;
}

int text__utf8_scrub(const char *s, size_t n, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, start = 0;
    int32_t cp;
    int k, rc;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = text_utf8_decode(p + i, n - i, &cp);
        if (k > 0) {
            i += (size_t)k;
            continue;
        }
        if ((rc = buf_add(out, s + start, i - start)) < 0 ||
            (rc = buf_add(out, "\xEF\xBF\xBD", 3)) < 0)
            return rc;
        start = ++i;
    }
    return buf_add(out, s + start, n - start);
}

int text_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int32_t cp;
    int k;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = text_utf8_decode(p + i, n - i, &cp);
        if (k < 0)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

/* The P1 character map.  Every space separator (Zs: no-break, en, em,
 * thin, hair, ideographic ...) is a plain space, so that a number typeset
 * "05/2020/NĐ\u2009-\u2009CP" reads as one, and the line and paragraph
 * separators (\v, which word processors write for a manual line break,
 * NEL, U+2028, U+2029) end a line as '\n' does.  Other controls become a
 * space rather than nothing: between two words they must not glue them. */
int32_t text__clean_cp(int32_t cp)
{
    switch (cp) {
    case 0x00D0:
    case 0x0189:
        return 0x0110;
    case 0x00F0:
        return 0x0111;
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
    case 0x2015: case 0x2212: case 0xFE58: case 0xFE63: case 0xFF0D:
        return '-';
    case 0x2044: case 0x2215: case 0xFF0F:
        return '/';
    case 0x00A0: case 0x1680: case 0x202F: case 0x205F: case 0x3000:
        return ' ';
    case 0x000B: case 0x0085: case 0x2028: case 0x2029:
        return '\n';
    case 0xFEFF: case 0x200B: case 0x200C: case 0x200D: case 0x00AD:
        return -1;
    default:
        if (cp >= 0x2000 && cp <= 0x200A)
            return ' ';
        if (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\f')
            return cp == '\r' ? '\n' : ' ';
        if (cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            return -1;
        return cp;
    }
}

/* 1 if cp is NFC as it stands and nothing before it can combine with it
 * (NFC_Quick_Check=Yes, combining class 0), so that NFC may start anew
 * there, for certain: ASCII and blocks whose characters all are so
 * (Latin-1 to Latin Extended-B, the precomposed letters of Latin Extended
 * Additional, which hold every Vietnamese letter, and general punctuation
 * from U+2010). */
static int nfc_safe(int32_t cp)
{
    return cp < 0x300 || (cp >= 0x1E00 && cp < 0x1F00) || (cp >= 0x2010 && cp < 0x2070);
}

/* The end of the run of characters that are not nfc_safe() starting at i;
 * -1 for invalid UTF-8. */
static long unsafe_end(const unsigned char *p, size_t n, size_t i)
{
    int32_t cp;
    int k;

    while (i < n && p[i] >= 0x80) {
        if ((k = text_utf8_decode(p + i, n - i, &cp)) < 0)
            return -1;
        if (nfc_safe(cp))
            break;
        i += (size_t)k;
    }
    return (long)i;
}

/* Append the NFC of (s, n) to out. */
static int nfc_append(const char *s, size_t n, struct buf *out)
{
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t m;
    int rc;

    m = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &nfc,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (m < 0)
        return m == UTF8PROC_ERROR_NOMEM ? VT_ENOMEM : VT_EENCODING;
    rc = buf_add(out, nfc, (size_t)m);
    free(nfc);
    return rc;
}

/* Most text, Vietnamese included, is NFC already and comes back as it is.
 * Elsewhere only the stretches that NFC may change go through utf8proc's
 * decompose-and-recompose pass: each run of characters that are not
 * nfc_safe(), with the character before it, which a mark may compose
 * with; NFC starts anew at the safe character after the run.  A stray
 * arrow in a long page so costs a few bytes' work, not the page's. */
int text__nfc(const char *s, size_t n, const char **res, size_t *nres, char **owned)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, prev = 0, copied = 0;
    struct buf out;
    int32_t cp;
    int k, rc = 0, changed = 0;

    *owned = NULL;
    buf_init(&out, BUF_NOLIMIT);
    while (i < n && rc == 0) {
        long e;

        if (p[i] < 0x80) {
            prev = i++;
        } else if ((k = text_utf8_decode(p + i, n - i, &cp)) < 0) {
            rc = VT_EENCODING;
        } else if (nfc_safe(cp)) {
            prev = i;
            i += (size_t)k;
        } else if ((e = unsafe_end(p, n, i)) < 0) {
            rc = VT_EENCODING;
        } else {
            /* prev: the character before the run (0 for a run at 0). */
            if ((rc = buf_add(&out, s + copied, prev - copied)) == 0)
                rc = nfc_append(s + prev, (size_t)e - prev, &out);
            copied = i = prev = (size_t)e;
            changed = 1;
        }
    }
    if (rc == 0 && !changed) {
        buf_release(&out);
        *res = s;
        *nres = n;
        return 0;
    }
    if (rc == 0)
        rc = buf_add(&out, s + copied, n - copied);
    if (rc < 0) {
        buf_release(&out);
        return rc;
    }
    *owned = buf_detach(&out, nres);
    *res = *owned;
    return 0;
}

/* ASCII text: control characters are the only thing to fix. */
static int clean_ascii(const char *s, size_t n, struct buf *out)
{
    size_t start = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int32_t r;

        if (c >= 0x20 && c != 0x7F)
            continue;
        r = text__clean_cp(c);
        if (r == c)
            continue;
        if ((rc = buf_add(out, s + start, i - start)) < 0)
            return rc;
        if (r >= 0 && (rc = buf_addc(out, (char)r)) < 0)
            return rc;
        start = i + 1;
    }
    return buf_add(out, s + start, n - start);
}

static int clean_chunk(const char *s, size_t n, struct buf *out)
{
    const char *p;
    char *nfc;
    size_t i, m;
    int32_t cp;
    int k, rc;

    for (i = 0; i < n && (unsigned char)s[i] < 0x80; i++)
        ;
    if (i == n)
        return clean_ascii(s, n, out);
    if ((rc = text__nfc(s, n, &p, &m, &nfc)) < 0)
        return rc;
    for (i = 0; i < m; i += (size_t)k) {
        k = text_utf8_decode((const unsigned char *)p + i, m - i, &cp);
        if (k < 0) {
            rc = VT_EENCODING;
            break;
        }
        cp = text__clean_cp(cp);
        if (cp < 0)
            continue;
        if ((rc = text__put_cp(out, cp)) < 0)
            break;
    }
    free(nfc);
    return rc;
}

int text_clean(const char *s, size_t n, struct buf *out)
{
    size_t start = 0, end;
    int rc;

    while (start < n) {
        end = start + CHUNK < n ? start + CHUNK : n;
        /* End the chunk after a newline so no character sequence that NFC
         * could combine is cut in two; failing that, before a byte that
         * starts an ASCII character. */
        if (end < n) {
            size_t e = end;
            while (e > start && s[e - 1] != '\n')
                e--;
            if (e == start) {
                e = end;
                while (e > start && (unsigned char)s[e] >= 0x80)
                    e--;
            }
            if (e > start)
                end = e;
        }
        rc = clean_chunk(s + start, end - start, out);
        if (rc < 0)
            return rc;
        start = end;
    }
    return 0;
}

int text_fold(const char *s, size_t n, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int32_t cp;
    int k, rc;

    while (i < n) {
        if (p[i] < 0x80) {
            rc = buf_addc(out, (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]));
            i++;
        } else {
            k = text_utf8_decode(p + i, n - i, &cp);
            if (k < 0)
                return VT_EENCODING;
            i += (size_t)k;
            cp = text__fold_cp(cp);
            rc = cp ? text__put_cp(out, cp) : 0;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int text_has_marks(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int32_t cp;
    int k;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = text_utf8_decode(p + i, n - i, &cp);
        if (k < 0)
            return 0;
        i += (size_t)k;
        if (text__fold_cp(cp) != text__lower_cp(cp))
            return 1;
    }
    return 0;
}

/* ---- exact form: one tone-mark convention ---------------------------- */

static int is_tone(int32_t cp)
{
    return cp == 0x0300 || cp == 0x0301 || cp == 0x0303 || cp == 0x0309 || cp == 0x0323;
}

/* Vowels after the tone mark is taken off (NFC, lowercase). */
static int is_vowel(int32_t cp)
{
    switch (cp) {
    case 'a': case 'e': case 'i': case 'o': case 'u': case 'y':
    case 0x0103: case 0x00E2: case 0x00EA: case 0x00F4: case 0x01A1: case 0x01B0:
        return 1;
    default:
        return 0;
    }
}

static int is_modified_vowel(int32_t cp)
{
    return cp == 0x0103 || cp == 0x00E2 || cp == 0x00EA || cp == 0x00F4 || cp == 0x01A1 ||
           cp == 0x01B0;
}

static int is_consonant(int32_t cp)
{
    return (cp >= 'a' && cp <= 'z' && !is_vowel(cp)) || cp == 0x0111;
}

/* Decompose a lowercase token to code points (NFD) into d (capacity cap);
 * returns the count or -1. */
static utf8proc_ssize_t to_nfd(const char *s, size_t n, utf8proc_int32_t *d, size_t cap)
{
    return utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, d,
                              (utf8proc_ssize_t)cap, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
}

#define SYL_MAX 16

/* Split one lowercase NFC token into its toneless letters (NFC again, so
 * that ă â ê ô ơ ư come back whole) and its one tone mark; returns the
 * letter count, or 0 when the token has no tone, two, or too many
 * letters to be a syllable. */
static int strip_tone(const char *s, size_t n, utf8proc_int32_t base[SYL_MAX],
                      utf8proc_int32_t *tone)
{
    utf8proc_int32_t d[64], rest[64];
    utf8proc_ssize_t nd;
    int nr = 0;

    *tone = 0;
    if (n > 48)
        return 0;
    nd = to_nfd(s, n, d, 64);
    if (nd <= 0 || nd > 64)
        return 0;
    for (int i = 0; i < nd; i++) {
        if (!is_tone(d[i])) {
            rest[nr++] = d[i];
        } else if (*tone) {
            return 0;
        } else {
            *tone = d[i];
        }
    }
    if (!*tone)
        return 0;
    nr = (int)utf8proc_normalize_utf32(rest, nr, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (nr <= 0 || nr > SYL_MAX)
        return 0;
    memcpy(base, rest, (size_t)nr * sizeof(base[0]));
    return nr;
}

/* Length of the onset: ngh ng nh ch gh gi kh ph th tr qu, or one consonant. */
static int onset_len(const utf8proc_int32_t *base, int nb)
{
    if (nb >= 3 && base[0] == 'n' && base[1] == 'g' && base[2] == 'h')
        return 3;
    if (nb >= 2 && base[0] == 'q' && base[1] == 'u')
        return 2;
    if (nb >= 2 && base[0] == 'g' && base[1] == 'i')
        return nb >= 3 && is_vowel(base[2]) ? 2 : 1;
    if (nb >= 2 && ((base[0] == 'n' && (base[1] == 'g' || base[1] == 'h')) ||
                    (base[1] == 'h' && strchr("cgkpt", (int)base[0]) && base[0] < 128) ||
                    (base[0] == 't' && base[1] == 'r')))
        return 2;
    return nb >= 1 && is_consonant(base[0]) ? 1 : 0;
}

/* Where the tone goes in base[0, nb): the index of the vowel that carries
 * it, or -1 when base is no syllable (no vowel nucleus of one to three
 * vowels, or something else than consonants after it). */
static int tone_target(const utf8proc_int32_t *base, int nb)
{
    int onset = onset_len(base, nb), nuc_end, nv, i;

    for (nuc_end = onset; nuc_end < nb && is_vowel(base[nuc_end]); nuc_end++)
        ;
    nv = nuc_end - onset;
    if (nv < 1 || nv > 3)
        return -1;
    for (i = nuc_end; i < nb; i++)
        if (!is_consonant(base[i]))
            return -1;
    for (i = nuc_end - 1; i >= onset; i--)
        if (is_modified_vowel(base[i]))
            return i;
    if (nv == 1)
        return onset;
    if (nuc_end < nb)
        return nuc_end - 1;
    if (nv == 2 && ((base[onset] == 'o' && (base[onset + 1] == 'a' || base[onset + 1] == 'e')) ||
                    (base[onset] == 'u' && base[onset + 1] == 'y')))
        return onset + 1;
    return nv == 3 ? onset + 1 : onset;
}

/* Re-place the tone of one lowercase NFC syllable; returns 1 and fills out
 * when (s, n) parses as a Vietnamese syllable with one tone mark, else 0. */
static int replace_tone(const char *s, size_t n, struct buf *out)
{
    utf8proc_int32_t base[SYL_MAX], res[SYL_MAX + 2], tone;
    int nb = strip_tone(s, n, base, &tone), target, nr = 0, rc = 0;

    if (nb == 0 || (target = tone_target(base, nb)) < 0)
        return 0;
    for (int i = 0; i < nb; i++) {
        res[nr++] = base[i];
        if (i == target)
            res[nr++] = tone;
    }
    nr = (int)utf8proc_normalize_utf32(res, nr, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (nr <= 0)
        return 0;
    for (int i = 0; i < nr && rc == 0; i++)
        rc = text__put_cp(out, res[i]);
    return rc == 0;
}

int text_exact(const char *s, size_t n, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, mark;
    int32_t cp;
    int k, rc, ascii = 1;

    mark = out->len;
    while (i < n) {
        if (p[i] < 0x80) {
            rc = buf_addc(out, (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]));
            i++;
        } else {
            ascii = 0;
            k = text_utf8_decode(p + i, n - i, &cp);
            if (k < 0)
                return VT_EENCODING;
            i += (size_t)k;
            rc = text__put_cp(out, text__lower_cp(cp));
        }
        if (rc < 0)
            return rc;
    }
    if (ascii)
        return 0;
    /* The lowercase form is in out from mark on; re-place its tone. */
    {
        char tmp[64];
        size_t len = out->len - mark;
        if (len >= sizeof(tmp))
            return 0;
        memcpy(tmp, out->ptr + mark, len);
        buf_setlen(out, mark);
        if (!replace_tone(tmp, len, out)) {
            buf_setlen(out, mark);
            return buf_add(out, tmp, len);
        }
    }
    return 0;
}
