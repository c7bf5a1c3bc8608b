/* Unit tests for indexer/extract.c and indexer/detect.c.
 *
 * Fixtures are written at test time into a fresh temporary directory (text
 * in every supported and unsupported encoding, HTML, PDFs written by a small
 * PDF writer below with a correct xref, images from their first bytes);
 * only the encrypted PDFs, which need qpdf to make, are committed under
 * tests/fixtures/extract/ (see the README there).
 *
 * The file includes extract.c to reach its static helpers (STYLE §8).
 *
 * `test-extract --bench [MAX]` reads file names from stdin, runs
 * extractor_run() on each (one thread) and prints the throughput;
 * `test-extract --show FILE...` prints what extraction makes of files. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "indexer/extract.c"

#ifndef EXTRACT_FIXTURES
#define EXTRACT_FIXTURES "tests/fixtures/extract"
#endif

static char tmpdir[256];

/* ------------------------------------------------------------------ */
/* fixture helpers                                                     */

static const char *tpath(const char *name)
{
    static char p[4][512];
    static int k;

    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
    return p[k];
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");

    assert_non_null(f);
    if (n > 0)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *write_str(const char *name, const char *s)
{
    return write_file(name, s, strlen(s));
}

/* UTF-8 (ASCII and BMP plus astral characters) to UTF-16 with a BOM. */
static size_t to_utf16(const char *s, bool be, unsigned char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    uint32_t units[2];

    out[n++] = be ? 0xFE : 0xFF;
    out[n++] = be ? 0xFF : 0xFE;
    while (*p != '\0') {
        uint32_t cp;
        int k, nu;

        if (*p < 0x80) {
            cp = *p++;
        } else if (*p < 0xE0) {
            cp = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else if (*p < 0xF0) {
            cp = (uint32_t)(*p & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            p += 3;
        } else {
            cp = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
                 (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            p += 4;
        }
        if (cp >= 0x10000) {
            units[0] = 0xD800 + ((cp - 0x10000) >> 10);
            units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            nu = 2;
        } else {
            units[0] = cp;
            nu = 1;
        }
        for (k = 0; k < nu; k++) {
            out[n++] = (unsigned char)(be ? units[k] >> 8 : units[k] & 0xFF);
            out[n++] = (unsigned char)(be ? units[k] & 0xFF : units[k] >> 8);
        }
    }
    return n;
}

/* A PDF with one page per entry of pages: each line of an entry is shown
 * in Helvetica; NULL draws a filled rectangle only (a page without text,
 * like a scan).  A correct xref table, so poppler needs no repair. */
static void pdf_build(struct buf *b, const char *const *pages, int npages, const char *title)
{
    long off[64];
    int nobj = 4 + 2 * npages, i;
    size_t xref;

    assert_true(nobj < 64);
    buf_init(b, BUF_NOLIMIT);
    buf_adds(b, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    off[1] = (long)b->len;
    buf_adds(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = (long)b->len;
    buf_adds(b, "2 0 obj\n<< /Type /Pages /Kids [");
    for (i = 0; i < npages; i++)
        buf_printf(b, " %d 0 R", 5 + 2 * i);
    buf_printf(b, " ] /Count %d >>\nendobj\n", npages);
    off[3] = (long)b->len;
    buf_adds(b, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding "
                "/WinAnsiEncoding >>\nendobj\n");
    off[4] = (long)b->len;
    buf_printf(b, "4 0 obj\n<< /Producer (vanthu test) /Title (%s) >>\nendobj\n",
               title != NULL ? title : "");
    for (i = 0; i < npages; i++) {
        struct buf c;
        const char *s = pages[i];

        buf_init(&c, BUF_NOLIMIT);
        if (s == NULL) {
            buf_adds(&c, "0.5 g 72 72 300 400 re f\n");
        } else {
            buf_adds(&c, "BT /F1 18 Tf 72 720 Td 24 TL\n");
            while (*s != '\0') {
                size_t n = strcspn(s, "\n");

                buf_addc(&c, '(');
                buf_add(&c, s, n);
                buf_adds(&c, ") Tj T*\n");
                s += n;
                if (*s == '\n')
                    s++;
            }
            buf_adds(&c, "ET\n");
        }
        off[5 + 2 * i] = (long)b->len;
        buf_printf(b,
                   "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                   "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>\nendobj\n",
                   5 + 2 * i, 6 + 2 * i);
        off[6 + 2 * i] = (long)b->len;
        buf_printf(b, "%d 0 obj\n<< /Length %zu >>\nstream\n", 6 + 2 * i, c.len);
        buf_add(b, c.ptr, c.len);
        buf_adds(b, "endstream\nendobj\n");
        buf_release(&c);
    }
    xref = b->len;
    buf_printf(b, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
    for (i = 1; i <= nobj; i++)
        buf_printf(b, "%010ld 00000 n \n", off[i]);
    buf_printf(b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
               nobj + 1, xref);
}

static const char *write_pdf(const char *name, const char *const *pages, int npages,
                             const char *title)
{
    struct buf b;
    const char *p;

    pdf_build(&b, pages, npages, title);
    p = write_file(name, b.ptr, b.len);
    buf_release(&b);
    return p;
}

/* ------------------------------------------------------------------ */
/* running                                                             */

struct fx {
    struct extractor *ex;
    struct extract_result res;
    struct vt_err err;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->ex = extractor_new(NULL, &f->err);
    if (f->ex == NULL) {
        fprintf(stderr, "extractor_new: %s\n", f->err.msg);
        free(f);
        return -1;
    }
    extract_result_init(&f->res);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    extract_result_release(&f->res);
    extractor_free(f->ex);
    free(f);
    return 0;
}

static int run(struct fx *f, const char *path)
{
    vt_err_clear(&f->err);
    return extractor_run_path(f->ex, path, &f->res, &f->err);
}

static const char *text(const struct fx *f)
{
    return buf_str(&f->res.text);
}

static void assert_valid_utf8(const struct buf *b)
{
    int st;

    assert_int_equal(utf8_scan((const unsigned char *)buf_str(b), b->len, &st), b->len);
    assert_int_equal(st, SCAN_OK);
}

static void assert_err_contains(const struct fx *f, const char *needle)
{
    if (strstr(f->err.msg, needle) == NULL)
        fail_msg("error message '%s' lacks '%s'", f->err.msg, needle);
}

/* ------------------------------------------------------------------ */
/* internals                                                           */

static void test_tables_sorted(void **state)
{
    size_t i;

    (void)state;
    for (i = 1; i < sizeof(entities) / sizeof(entities[0]); i++)
        assert_true(strcmp(entities[i - 1].name, entities[i].name) < 0);
    for (i = 1; i < sizeof(tags) / sizeof(tags[0]); i++)
        assert_true(strcmp(tags[i - 1].name, tags[i].name) < 0);
}

static void test_utf8_scan(void **state)
{
    static const struct {
        const char *s;
        size_t n, ok;
        int st;
    } cases[] = {
        {"abc", 3, 3, SCAN_OK},
        {"a\xC3\xA9", 3, 3, SCAN_OK},        /* é */
        {"\xE1\xBA\xA3", 3, 3, SCAN_OK},     /* ả */
        {"\xF0\x9D\x84\x9E", 4, 4, SCAN_OK}, /* U+1D11E */
        {"ab\xC3", 3, 2, SCAN_PARTIAL},
        {"ab\xF0\x9D\x84", 5, 2, SCAN_PARTIAL},
        {"a\xC0\xAF", 3, 1, SCAN_BAD},         /* overlong '/' */
        {"a\xE0\x80\xAF", 4, 1, SCAN_BAD},     /* overlong */
        {"a\xED\xA0\x80", 4, 1, SCAN_BAD},     /* surrogate */
        {"a\xF4\x90\x80\x80", 5, 1, SCAN_BAD}, /* above U+10FFFF */
        {"a\xF5\x80\x80\x80", 5, 1, SCAN_BAD},
        {"caf\xE9 ", 5, 3, SCAN_BAD}, /* Latin-1 é */
        {"a\x80", 2, 1, SCAN_BAD},    /* lone continuation */
        {"a\xC3(", 3, 1, SCAN_BAD},   /* bad continuation */
        {"ab\0c", 4, 2, SCAN_NUL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int st = -1;
        size_t k = utf8_scan((const unsigned char *)cases[i].s, cases[i].n, &st);

        if (k != cases[i].ok || st != cases[i].st)
            fail_msg("case %zu: got %zu/%d, want %zu/%d", i, k, st, cases[i].ok, cases[i].st);
    }
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(extract_kind_name(EXTRACT_EMPTY), "empty");
    assert_string_equal(extract_kind_name(EXTRACT_NEEDS_OCR), "needs-ocr");
    assert_string_equal(extract_kind_name(EXTRACT_UNSUPPORTED), "unsupported");
}

/* Splitting the input into chunks anywhere must not change the result:
 * every stage keeps its state across chunks.  Random documents from a
 * token soup, fed whole and then in random pieces of 1-97 bytes. */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static int feed_mem(const char *data, size_t n, bool html, size_t max, uint32_t *rng,
                    struct extract_result *res, struct vt_err *err)
{
    struct xctx x;
    size_t off = 0;
    int rc;

    extract_result_release(res);
    buf_init(&res->text, max);
    vt_err_clear(err);
    rc = stream_init(&x, res, max, "mem", html, false, err);
    while (rc == OUT_OK && off < n) {
        size_t k = rng != NULL ? 1 + rnd(rng) % 97 : n - off;

        if (k > n - off)
            k = n - off;
        rc = dec_feed(&x, (const unsigned char *)data + off, k, err);
        off += k;
    }
    if (rc == OUT_OK)
        rc = dec_finish(&x, err);
    if (rc >= 0)
        rc = stream_end(&x, err);
    stream_release(&x);
    return rc;
}

static void check_split(const char *doc, size_t n, bool html, size_t max, uint32_t *rng)
{
    struct extract_result a, b;
    struct vt_err ea, eb;
    int ra, rb;

    extract_result_init(&a);
    extract_result_init(&b);
    ra = feed_mem(doc, n, html, max, NULL, &a, &ea);
    rb = feed_mem(doc, n, html, max, rng, &b, &eb);
    assert_int_equal(ra, rb);
    if (ra < 0) {
        assert_string_equal(ea.msg, eb.msg);
    } else {
        assert_int_equal(a.text.len, b.text.len);
        assert_memory_equal(buf_str(&a.text), buf_str(&b.text), a.text.len);
        assert_true(a.text.len <= max);
        assert_int_equal(a.truncated, b.truncated);
        assert_valid_utf8(&a.text);
        assert_null(memchr(buf_str(&a.text), '\f', a.text.len));
        if (a.title == NULL || b.title == NULL)
            assert_ptr_equal(a.title, b.title);
        else
            assert_string_equal(a.title, b.title);
    }
    extract_result_release(&a);
    extract_result_release(&b);
}

static void test_split_invariance(void **state)
{
    /* clang-format off */
    static const char *const html_tok[] = {
        "<", ">", "</", "<!--", "-->", "<!", "<?", "&", "&amp;", "&#", "&#x", "1", "e9", "39", ";",
        "script", "SCRIPT", "style", "title", "pre", "p", "br", "meta charset=", "cp1252", " ",
        "\n", "\t", "\"", "'", "=", "a", "Đ", "ả", "€", "/", "-", "x", "nbsp", "\f",
    };
    /* clang-format on */
    /* clang-format off */
    static const char *const text_tok[] = {
        "a",    " ",    "\n",   "\f",   "Đ",    "ả",    "\xF0\x9D\x84\x9E", "\xEF\xBB\xBF",
        "\xE1", "\xBA", "\xA3", "\xC3", "\xFF", "\x80", "\xED\xA0\x80",
    };
    /* clang-format on */
    struct buf doc;
    uint32_t seed = 12345, rng = 777;
    int i, k;

    (void)state;
    buf_init(&doc, BUF_NOLIMIT);
    for (i = 0; i < 400; i++) {
        bool html = i % 2 == 0;
        int ntok = 1 + (int)(rnd(&seed) % 300);

        buf_reset(&doc);
        for (k = 0; k < ntok; k++) {
            if (html)
                buf_adds(&doc, html_tok[rnd(&seed) % (sizeof(html_tok) / sizeof(html_tok[0]))]);
            else if (rnd(&seed) % 50 == 0)
                buf_adds(&doc, text_tok[5 + rnd(&seed) % 10]); /* rare bad bytes */
            else
                buf_adds(&doc, text_tok[rnd(&seed) % 7]);
        }
        check_split(buf_str(&doc), doc.len, html, BUF_NOLIMIT / 2, &rng);
        check_split(buf_str(&doc), doc.len, html, 1 + rnd(&seed) % 64, &rng);
        if (!html) {
            /* The same text as UTF-16 with a BOM, when it is valid. */
            struct extract_result r;
            struct vt_err e;
            unsigned char *u = malloc(2 * doc.len + 2);
            size_t n;

            assert_non_null(u);
            extract_result_init(&r);
            if (feed_mem(buf_str(&doc), doc.len, false, BUF_NOLIMIT / 2, NULL, &r, &e) == 0 &&
                doc.len > 0 && (unsigned char)doc.ptr[0] != 0xEF) {
                n = to_utf16(buf_str(&doc), i % 4 == 1, u);
                check_split((const char *)u, n, false, BUF_NOLIMIT / 2, &rng);
                check_split((const char *)u, n, false, 1 + rnd(&seed) % 64, &rng);
            }
            extract_result_release(&r);
            free(u);
        }
    }
    buf_release(&doc);
}

/* ------------------------------------------------------------------ */
/* plain text                                                          */

#define VI "Quyết định số 512/QĐ-UBND về việc phê duyệt kế hoạch\n"

static void test_utf8(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run(f, write_str("utf8.txt", VI "Đà Nẵng, ngày 5 tháng 3 năm 2024\n")), 0);
    assert_string_equal(f->res.mime, "text/plain");
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_int_equal(f->res.pages, 1);
    assert_false(f->res.truncated);
    assert_null(f->res.title);
    assert_string_equal(text(f), VI "Đà Nẵng, ngày 5 tháng 3 năm 2024\n");
    assert_int_equal(f->res.size, strlen(VI "Đà Nẵng, ngày 5 tháng 3 năm 2024\n"));
}

static void test_utf8_bom_and_formfeed(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run(f, write_str("bom8.txt", "\xEF\xBB\xBF" VI "page one\fpage two\n")), 0);
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    /* BOM dropped; one page, so the form feed is a line break. */
    assert_string_equal(text(f), VI "page one\npage two\n");
    assert_int_equal(f->res.pages, 1);
}

static void test_utf16(void **state)
{
    struct fx *f = *state;
    const char *s = VI "Ủy ban nhân dân tỉnh — clef \xF0\x9D\x84\x9E end\n";
    unsigned char u[1024];
    size_t n;

    n = to_utf16(s, false, u);
    assert_int_equal(run(f, write_file("u16le.txt", u, n)), 0);
    assert_string_equal(f->res.mime, "text/plain");
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_string_equal(text(f), s);

    n = to_utf16(s, true, u);
    assert_int_equal(run(f, write_file("u16be.txt", u, n)), 0);
    assert_string_equal(f->res.mime, "text/plain");
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_string_equal(text(f), s);
}

static void test_utf16_errors(void **state)
{
    struct fx *f = *state;
    unsigned char u[256];
    size_t n;

    /* A lone high surrogate in the middle: "ab" then D800 then 'c'. */
    n = to_utf16("ab", false, u);
    u[n++] = 0x00;
    u[n++] = 0xD8;
    u[n++] = 'c';
    u[n++] = 0;
    assert_int_equal(run(f, write_file("u16-surrogate.txt", u, n)), VT_EENCODING);
    assert_err_contains(f, "invalid UTF-16 at byte 6 (unpaired surrogate)");
    assert_int_equal(f->res.text.len, 0);
    assert_int_equal(f->res.kind, EXTRACT_NONE);

    /* An odd number of bytes. */
    n = to_utf16("Quyết định", true, u);
    u[n++] = 'x';
    assert_int_equal(run(f, write_file("u16-odd.txt", u, n)), VT_EENCODING);
    assert_err_contains(f, "odd number of bytes");

    /* Without a BOM UTF-16 is not recognised: its NULs are not text. */
    n = to_utf16("Hello world, hello world, hello world", false, u);
    assert_int_equal(run(f, write_file("u16-nobom.txt", u + 2, n - 2)), VT_EENCODING);
    assert_err_contains(f, "NUL byte at byte 1");
}

static void test_invalid_utf8(void **state)
{
    struct fx *f = *state;
    char s[128];

    /* Latin-1 is not guessed: rejected at the first non-UTF-8 byte. */
    snprintf(s, sizeof(s), "Hello world\nCaf%c cr%cme br%cl%ce\n", 0xE9, 0xE8, 0xFB, 0xE9);
    assert_int_equal(run(f, write_str("latin1.txt", s)), VT_EENCODING);
    /* Text is recognised by decoding it, so what does not decode keeps the
     * type of unknown bytes. */
    assert_string_equal(f->res.mime, "application/octet-stream");
    assert_int_equal(f->res.kind, EXTRACT_NONE);
    assert_int_equal(f->res.text.len, 0);
    assert_err_contains(f, "invalid UTF-8 at byte 15");
    assert_err_contains(f, "latin1.txt");
    assert_int_equal(f->res.size, strlen(s));

    /* A text cut in the middle of a character. */
    assert_int_equal(run(f, write_str("cut.txt", "Quyết định\n\xE1\xBA")), VT_EENCODING);
    assert_err_contains(f, "invalid UTF-8 at byte 16 (truncated sequence)");
}

static void test_random_bytes(void **state)
{
    struct fx *f = *state;
    unsigned char r[4096];
    uint32_t x = 2463534242u;
    size_t i;

    for (i = 0; i < sizeof(r); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        r[i] = (unsigned char)x;
    }
    r[0] = 0x9C; /* start with a byte no format claims */
    assert_int_equal(run(f, write_file("random.bin", r, sizeof(r))), VT_EENCODING);
    assert_string_equal(f->res.mime, "application/octet-stream");
    assert_err_contains(f, "at byte 0");
    assert_err_contains(f, "application/octet-stream");
}

static void test_empty(void **state)
{
    struct fx *f = *state;

    assert_int_equal(run(f, write_file("empty.txt", "", 0)), 0);
    assert_int_equal(f->res.kind, EXTRACT_EMPTY);
    assert_string_equal(f->res.mime, "application/x-empty");
    assert_int_equal(f->res.text.len, 0);
    assert_int_equal(f->res.size, 0);
    assert_int_equal(f->res.pages, 0);
}

/* Characters straddle the 64 KiB read chunks; all must come through. */
static void test_chunk_boundaries(void **state)
{
    struct fx *f = *state;
    struct buf in;
    unsigned char *u;
    size_t i, n;

    buf_init(&in, BUF_NOLIMIT);
    for (i = 0; i < 60000; i++) /* 3-byte and 2-byte characters, 300 KB */
        buf_adds(&in, i % 7 == 0 ? "ả\n" : "ế");
    assert_int_equal(run(f, write_file("chunks.txt", in.ptr, in.len)), 0);
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_int_equal(f->res.text.len, in.len);
    assert_memory_equal(f->res.text.ptr, in.ptr, in.len);

    /* The same through UTF-16 (a BOM, then an odd chunk offset of 2). */
    u = malloc(2 * in.len + 2);
    assert_non_null(u);
    n = to_utf16(in.ptr, false, u);
    assert_int_equal(run(f, write_file("chunks16.txt", u, n)), 0);
    assert_int_equal(f->res.text.len, in.len);
    assert_memory_equal(f->res.text.ptr, in.ptr, in.len);
    free(u);
    buf_release(&in);
}

/* Larger than max_text: the first max_text bytes, cut on a character. */
static void test_truncated(void **state)
{
    struct fx *f = *state;
    struct extract_config cfg = {.max_text = 100001};
    struct extractor *ex;
    struct buf in;
    size_t i;

    (void)f;
    ex = extractor_new(&cfg, &f->err);
    assert_non_null(ex);
    buf_init(&in, BUF_NOLIMIT);
    for (i = 0; i < 200000; i++) /* 600 KB of 3-byte characters */
        buf_adds(&in, "ệ");
    vt_err_clear(&f->err);
    assert_int_equal(
        extractor_run_path(ex, write_file("big.txt", in.ptr, in.len), &f->res, &f->err), 0);
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_true(f->res.truncated);
    assert_int_equal(f->res.text.len, 99999); /* 100001 rounded down to 3 */
    assert_memory_equal(f->res.text.ptr, in.ptr, 99999);
    assert_valid_utf8(&f->res.text);
    assert_int_equal(f->res.size, in.len);

    /* Not truncated at exactly the cap. */
    assert_int_equal(extractor_run_path(ex, write_file("cap.txt", in.ptr, 99999), &f->res, &f->err),
                     0);
    assert_false(f->res.truncated);
    assert_int_equal(f->res.text.len, 99999);

    /* HTML is capped the same way. */
    buf_reset(&in);
    buf_adds(&in, "<!DOCTYPE html><html><body>");
    for (i = 0; i < 50000; i++)
        buf_adds(&in, "<p>Tỉnh</p>");
    assert_int_equal(
        extractor_run_path(ex, write_file("big.html", in.ptr, in.len), &f->res, &f->err), 0);
    assert_int_equal(f->res.kind, EXTRACT_HTML);
    assert_true(f->res.truncated);
    assert_true(f->res.text.len <= 100001 && f->res.text.len > 99990);
    assert_valid_utf8(&f->res.text);
    buf_release(&in);
    extractor_free(ex);
}

static void test_reuse_and_offset(void **state)
{
    struct fx *f = *state;
    const char *p = write_str("offset.txt", VI);
    int fd = open(p, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 7, SEEK_SET), 7);
    assert_int_equal(extractor_run(f->ex, fd, p, &f->res, &f->err), 0);
    assert_string_equal(text(f), VI);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 7); /* pread only */
    /* The same result again: the previous contents are released. */
    assert_int_equal(extractor_run(f->ex, fd, NULL, &f->res, &f->err), 0);
    assert_string_equal(text(f), VI);
    close(fd);
}

/* ------------------------------------------------------------------ */
/* HTML                                                                */

static void test_html(void **state)
{
    struct fx *f = *state;
    const char *html = "<!DOCTYPE html>\n"
                       "<html lang=\"vi\"><head><meta charset=\"utf-8\">\n"
                       "<title>  Quyết định\n 512 &amp; &quot;kế hoạch&quot; </title>\n"
                       "<style>p { color: red } /* </p> */</style>\n"
                       "<script type=\"text/javascript\">if (a < b && c > d) "
                       "document.write(\"<p>NO</p>\");</script>\n"
                       "<SCRIPT>var x = '</scr' + 'ipt>';</SCRIPT >\n"
                       "</head><body>\n"
                       "<!-- a comment with <p>tags</p> -- inside -->\n"
                       "<h1 class='t' data-x=\"a > b\">Ủy ban   nhân dân</h1>\n"
                       "<p>A&nbsp;B &lt;tag&gt; &#39;s&#39; &#7843;&#x1EA3; caf&eacute; &copy; "
                       "&euro;&#150; &dstrok; &amp &bogus; AT&T</p>"
                       "<p>line<br>break<br/>again</p>\n"
                       "<table><tr><td>c1</td><td>c2</td></tr></table>\n"
                       "<pre>  x = 1\n  y = 2</pre>\n"
                       "<?php echo 'pi'; ?><![CDATA[ cdata ]]>"
                       "<b>bold</b><i>it</i>alic 3 < 4\n"
                       "</body></html>\n";

    assert_int_equal(run(f, write_str("page.html", html)), 0);
    assert_string_equal(f->res.mime, "text/html");
    assert_int_equal(f->res.kind, EXTRACT_HTML);
    assert_int_equal(f->res.pages, 1);
    assert_string_equal(f->res.title, "Quyết định 512 & \"kế hoạch\"");
    assert_string_equal(text(f), "Ủy ban nhân dân\n"
                                 "A B <tag> 's' ảả café © €– đ & &bogus; AT&T\n"
                                 "line\n"
                                 "break\n"
                                 "again\n"
                                 "c1 c2\n"
                                 "x = 1\n"
                                 "y = 2\n"
                                 "bolditalic 3 < 4");
}

static void test_html_fragment_sniffed(void **state)
{
    struct fx *f = *state;

    /* No magic rule names it; the content says HTML. */
    assert_int_equal(
        run(f, write_str("frag.txt", "<p>Hello <b>world</b></p>\n<p>Xin ch&agrave;o</p>\n")), 0);
    assert_string_equal(f->res.mime, "text/html");
    assert_int_equal(f->res.kind, EXTRACT_HTML);
    assert_string_equal(text(f), "Hello world\nXin chào");
}

static void test_html_unclosed(void **state)
{
    struct fx *f = *state;

    /* An unclosed <title> ends at the next tag; an unclosed script eats the
     * rest; a tag cut by the end of the file produces nothing. */
    assert_int_equal(
        run(f, write_str("unclosed.html", "<html><head><title>Tiêu đề<body><p>Nội dung</p>"
                                          "<p>x &amp</p><script>never")),
        0);
    assert_string_equal(f->res.title, "Tiêu đề");
    assert_string_equal(text(f), "Nội dung\nx &");
    assert_int_equal(run(f, write_str("cut.html", "<html><body>text<a href=\"x")), 0);
    assert_string_equal(text(f), "text");
    assert_null(f->res.title);
}

static void test_html_charset(void **state)
{
    struct fx *f = *state;
    char s[256];

    /* Declared windows-1252 and really so: rejected, with the declaration. */
    snprintf(
        s, sizeof(s),
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
        "</head><body>Caf%c</body></html>\n",
        0xE9);
    assert_int_equal(run(f, write_str("cp1252.html", s)), VT_EENCODING);
    assert_string_equal(f->res.mime, "text/html");
    assert_err_contains(f, "invalid UTF-8 at byte");
    assert_err_contains(f, "declares charset 'windows-1252'");

    /* Declared ISO-8859-1 but the bytes are UTF-8: accepted. */
    assert_int_equal(
        run(f, write_str("mislabel.html", "<html><head><meta charset=ISO-8859-1></head>"
                                          "<body>Café Đà Nẵng</body></html>")),
        0);
    assert_int_equal(f->res.kind, EXTRACT_HTML);
    assert_string_equal(text(f), "Café Đà Nẵng");
}

static void test_html_utf16(void **state)
{
    struct fx *f = *state;
    unsigned char u[512];
    size_t n = to_utf16(
        "<!DOCTYPE html><html><head><title>Tựa</title></head><body><p>Văn thư</p></body></html>",
        false, u);

    assert_int_equal(run(f, write_file("u16.html", u, n)), 0);
    assert_int_equal(f->res.kind, EXTRACT_HTML);
    assert_string_equal(f->res.title, "Tựa");
    assert_string_equal(text(f), "Văn thư");
}

static void test_html_long_title(void **state)
{
    static const char start[] = "Nghị định 0, Nghị định 1, ";
    struct fx *f = *state;
    struct buf html;
    size_t k;

    /* A <title> over EXTRACT_MAX_TITLE bytes ends at a word, with "…". */
    buf_init(&html, BUF_NOLIMIT);
    assert_int_equal(buf_adds(&html, "<html><head><title>"), 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(buf_printf(&html, "Nghị định %d, ", i), 0);
    assert_int_equal(buf_adds(&html, "</title></head><body>x</body></html>"), 0);
    assert_int_equal(run(f, write_file("long-title.html", html.ptr, html.len)), 0);
    buf_release(&html);
    assert_non_null(f->res.title);
    k = strlen(f->res.title);
    assert_true(k <= EXTRACT_MAX_TITLE);
    assert_true(k > EXTRACT_MAX_TITLE * 2 / 3);
    assert_memory_equal(f->res.title + k - 3, "\xE2\x80\xA6", 3);
    /* "... Nghị định 57…": before the comma, never in "định" or "57". */
    assert_true(f->res.title[k - 4] >= '0' && f->res.title[k - 4] <= '9');
    assert_memory_equal(f->res.title, start, strlen(start));
}

/* The Markdown sample's opening, as in samples/archive/tham-khao/. */
static const char md_sample[] =
    "# Nghị định 30/2020/NĐ-CP — Về công tác văn thư\n"
    "\n"
    "> **Số hiệu**: 30/2020/NĐ-CP  \n"
    "> **Ngày ban hành**: 05/03/2020  \n"
    "> Xem [Phụ lục I-VI](phu-luc/) để biết chi tiết thể thức.\n"
    "\n"
    "---\n"
    "\n"
    "Căn cứ Luật Tổ chức Chính phủ ngày 19 tháng 6 năm 2015;\n";

static void test_markdown_title(void **state)
{
    struct fx *f = *state;
    unsigned char u[2048];
    size_t n;

    /* libmagic says text/plain; the heading is the title, and the text
     * itself is left as it is. */
    assert_int_equal(run(f, write_str("nghi-dinh.md", md_sample)), 0);
    assert_string_equal(f->res.mime, "text/plain");
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_string_equal(f->res.title, "Nghị định 30/2020/NĐ-CP — Về công tác văn thư");
    assert_string_equal(text(f), md_sample);

    /* The content decides, not the name. */
    assert_int_equal(run(f, write_str("ghi-chu.txt", "Ghi chú **họp** giao ban\n"
                                                     "=========================\n\nNội dung\n")),
                     0);
    assert_string_equal(f->res.title, "Ghi chú họp giao ban");
    assert_int_equal(run(f, write_str("doan-van.md", "Đoạn mở đầu, chưa có tiêu đề.\n\n# Sau\n")),
                     0);
    assert_null(f->res.title);

    /* Front matter; a BOM and UTF-16. */
    assert_int_equal(run(f, write_str("fm.md", "---\ntitle: \"Quy chế văn thư\"\n---\n# Khác\n")),
                     0);
    assert_string_equal(f->res.title, "Quy chế văn thư");
    n = to_utf16("## Tựa *UTF-16*\n\nVăn bản\n", true, u);
    assert_int_equal(run(f, write_file("u16.md", u, n)), 0);
    assert_int_equal(f->res.kind, EXTRACT_TEXT);
    assert_string_equal(f->res.title, "Tựa UTF-16");

    /* "#!" opens no heading. */
    assert_int_equal(run(f, write_str("run.sh", "#!/bin/sh\n# Sao lưu kho văn thư\nexit 0\n")), 0);
    assert_null(f->res.title);

    /* A long heading is shortened at a word. */
    {
        char s[4096];
        size_t k = (size_t)snprintf(s, sizeof(s), "# ");

        for (int i = 0; i < 150; i++)
            k += (size_t)snprintf(s + k, sizeof(s) - k, "văn thư ");
        snprintf(s + k, sizeof(s) - k, "\n\nNội dung\n");
        assert_int_equal(run(f, write_str("long.md", s)), 0);
        assert_non_null(f->res.title);
        k = strlen(f->res.title);
        assert_true(k <= EXTRACT_MAX_TITLE);
        assert_true(k > EXTRACT_MAX_TITLE - 16);
        /* "văn thư văn thư … văn…": the heading up to a space, then "…". */
        assert_memory_equal(f->res.title + k - 3, "\xE2\x80\xA6", 3);
        assert_memory_equal(f->res.title, s + 2, k - 3);
        assert_int_equal(s[2 + k - 3], ' ');
    }
}

/* ------------------------------------------------------------------ */
/* PDF                                                                 */

static void test_pdf_routed(void **state)
{
    struct fx *f = *state;
    static const char *const pages[] = {"Ke hoach 2024", ""};
    struct buf b;
    const char *p;

    /* Every PDF goes to the OCR workers, which read the text layer or OCR
     * the page under their limits: nothing of it is parsed in-process. */
    assert_int_equal(run(f, write_pdf("text.pdf", pages, 2, "Ke hoach")), 0);
    assert_string_equal(f->res.mime, "application/pdf");
    assert_int_equal(f->res.kind, EXTRACT_NEEDS_OCR);
    assert_int_equal(f->res.text.len, 0);

    /* A damaged or encrypted PDF too: the worker reports what is wrong. */
    buf_init(&b, 1 << 20);
    pdf_build(&b, pages, 2, NULL);
    p = strstr(b.ptr, "xref");
    assert_non_null(p);
    assert_int_equal(run(f, write_file("truncated.pdf", b.ptr, (size_t)(p - b.ptr))), 0);
    assert_int_equal(f->res.kind, EXTRACT_NEEDS_OCR);
    buf_release(&b);
    assert_int_equal(run(f, EXTRACT_FIXTURES "/encrypted-user.pdf"), 0);
    assert_string_equal(f->res.mime, "application/pdf");
    assert_int_equal(f->res.kind, EXTRACT_NEEDS_OCR);
}

static void test_images(void **state)
{
    struct fx *f = *state;
    /* A complete 1x1 grey PNG. */
    static const unsigned char png[] = {
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
        0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
        0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
        0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x48, 0xAF, 0xA4, 0x71, 0x00,
        0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    };
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J',  'F',
                                         'I',  'F',  0x00, 0x01, 0x01, 0x00, 0x00, 0x48,
                                         0x00, 0x48, 0x00, 0x00, 0xFF, 0xD9};
    static const unsigned char tiff[] = {'I',  'I',  0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

    assert_int_equal(run(f, write_file("scan.png", png, sizeof(png))), 0);
    assert_string_equal(f->res.mime, "image/png");
    assert_int_equal(f->res.kind, EXTRACT_NEEDS_OCR);
    assert_int_equal(f->res.text.len, 0);
    /* By content, never by name. */
    assert_int_equal(run(f, write_file("photo.txt", jpeg, sizeof(jpeg))), 0);
    assert_string_equal(f->res.mime, "image/jpeg");
    assert_int_equal(f->res.kind, EXTRACT_NEEDS_OCR);
    assert_int_equal(run(f, write_file("page", tiff, sizeof(tiff))), 0);
    assert_string_equal(f->res.mime, "image/tiff");
    assert_int_equal(f->res.kind, EXTRACT_NEEDS_OCR);
}

static void test_unsupported(void **state)
{
    struct fx *f = *state;
    static const unsigned char gz[] = {0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                                       0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const unsigned char zip[] = {'P', 'K', 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0,
                                        0,   0,   0,    0,    0, 0, 0, 0, 0, 0, 0};

    assert_int_equal(run(f, write_file("notes.txt.gz", gz, sizeof(gz))), VT_EUNSUPPORTED);
    assert_string_equal(f->res.mime, "application/gzip");
    assert_int_equal(f->res.kind, EXTRACT_UNSUPPORTED);
    assert_err_contains(f, "unsupported type application/gzip");

    /* A .txt name does not make a zip text. */
    assert_int_equal(run(f, write_file("empty-zip.txt", zip, sizeof(zip))), VT_EUNSUPPORTED);
    assert_string_equal(f->res.mime, "application/zip");
    assert_int_equal(f->res.kind, EXTRACT_UNSUPPORTED);

    assert_int_equal(
        run(f, write_str("doc.rtf", "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Hello}\n")),
        VT_EUNSUPPORTED);
    assert_string_equal(f->res.mime, "text/rtf");
    assert_err_contains(f, "unsupported type text/rtf");
}

static void test_unreadable(void **state)
{
    struct fx *f = *state;
    const char *p;
    int fd;

    assert_int_equal(run(f, tpath("no-such-file")), -ENOENT);
    assert_err_contains(f, "cannot open");
    assert_null(f->res.mime);

    assert_int_equal(run(f, tmpdir), -EISDIR);
    assert_err_contains(f, "Is a directory");

    /* A descriptor that cannot read (the root-proof stand-in for mode 000). */
    p = write_str("wronly.txt", "hello\n");
    fd = open(p, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(extractor_run(f->ex, fd, p, &f->res, &f->err), -EBADF);
    assert_err_contains(f, "cannot read");
    assert_err_contains(f, "wronly.txt");
    close(fd);

    if (geteuid() != 0) {
        assert_int_equal(chmod(p, 0), 0);
        assert_int_equal(run(f, p), -EACCES);
    }

    /* A FIFO is not opened for reading in blocking mode, and not read. */
    assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
    assert_int_equal(run(f, tpath("fifo")), VT_EUNSUPPORTED);
    assert_err_contains(f, "not a regular file");
}

/* ------------------------------------------------------------------ */

static int rm_tree(const char *dir)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static int bench(int argc, char **argv)
{
    struct extract_config cfg = {0};
    struct extractor *ex;
    struct extract_result res;
    struct vt_err err;
    struct timespec t0, t1;
    char line[4096];
    unsigned long n = 0, ok = 0, kinds[EXTRACT_UNSUPPORTED + 1] = {0}, enc = 0, other = 0;
    unsigned long long bytes = 0, out = 0;
    double s;
    int k;

    if (argc > 2)
        cfg.max_text = strtoul(argv[2], NULL, 10);
    ex = extractor_new(&cfg, &err);
    if (ex == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    extract_result_init(&res);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        int rc;

        line[strcspn(line, "\n")] = '\0';
        rc = extractor_run_path(ex, line, &res, &err);
        n++;
        bytes += res.size;
        out += res.text.len;
        if (rc == 0) {
            ok++;
            kinds[res.kind]++;
        } else if (rc == VT_EUNSUPPORTED) {
            kinds[EXTRACT_UNSUPPORTED]++;
        } else if (rc == VT_EENCODING) {
            enc++;
        } else {
            other++;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%lu files, %.3f s, %.0f files/s, %.1f MB read (%.1f MB/s), %.1f MB text\n", n, s,
           (double)n / s, (double)bytes / 1e6, (double)bytes / 1e6 / s, (double)out / 1e6);
    for (k = EXTRACT_EMPTY; k <= EXTRACT_UNSUPPORTED; k++)
        printf("  %-12s %lu\n", extract_kind_name((enum extract_kind)k), kinds[k]);
    printf("  %-12s %lu\n  %-12s %lu\n", "encoding", enc, "other-error", other);
    extract_result_release(&res);
    extractor_free(ex);
    return 0;
}

/* `test-extract --show FILE...`: what extraction makes of each file. */
static int show(int argc, char **argv)
{
    struct extractor *ex;
    struct extract_result res;
    struct vt_err err;
    int i;

    ex = extractor_new(NULL, &err);
    if (ex == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    extract_result_init(&res);
    for (i = 2; i < argc; i++) {
        int rc;

        vt_err_clear(&err);
        rc = extractor_run_path(ex, argv[i], &res, &err);
        printf("== %s\nrc %d (%s) %s\nmime %s kind %s pages %u truncated %d size "
               "%llu\ntitle %s\n",
               argv[i], rc, rc == 0 ? "ok" : vt_errname(rc), err.msg,
               res.mime != NULL ? res.mime : "-", extract_kind_name(res.kind), res.pages,
               res.truncated, (unsigned long long)res.size,
               res.title != NULL ? res.title : "-");
        fwrite(buf_str(&res.text), 1, res.text.len, stdout);
        printf("\n");
    }
    extract_result_release(&res);
    extractor_free(ex);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_sorted),
        cmocka_unit_test(test_utf8_scan),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_split_invariance),
        cmocka_unit_test_setup_teardown(test_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_bom_and_formfeed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf16_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunk_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reuse_and_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_fragment_sniffed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_unclosed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_charset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_utf16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_long_title, setup, teardown),
        cmocka_unit_test_setup_teardown(test_markdown_title, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pdf_routed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
    };
    const char *t = getenv("TMPDIR");
    int rc;

    if (argc > 1 && strcmp(argv[1], "--bench") == 0)
        return bench(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--show") == 0)
        return show(argc, argv);
    snprintf(tmpdir, sizeof(tmpdir), "%s/vt-extract-XXXXXX", t != NULL && *t != '\0' ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rm_tree(tmpdir);
    return rc;
}
