/* Unit tests for text/norm.c and text/tok.c: NFC cleanup, folding, one
 * tone-mark convention, tokens and document numbers.  The search-level
 * cases of vietnamese.md (c) 16-25 are asserted term by term here and end
 * to end in tests/unit/query/test-search.c. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "common/err.h"
#include "text/norm.h"
#include "text/norm_internal.h"
#include "text/tok.h"

typedef int (*conv_fn)(const char *, size_t, struct buf *);

static void expect_conv(conv_fn f, const char *in, const char *want)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    assert_int_equal(f(in, strlen(in), &b), 0);
    assert_string_equal(buf_str(&b), want);
    buf_release(&b);
}

static void test_fold(void **state)
{
    (void)state;
    expect_conv(text_fold, "Quyết Định", "quyet dinh");
    expect_conv(text_fold, "ĐÀ NẴNG", "da nang");
    expect_conv(text_fold, "Hà Nội", "ha noi");
    expect_conv(text_fold, "Ðà", "da"); /* U+00D0 from OCR */
    expect_conv(text_fold, "naïve café", "naive cafe");
    expect_conv(text_fold, "ABC-123", "abc-123");
}

static void test_clean(void **state)
{
    (void)state;
    /* NFD in, NFC out (case 23): "Việt" decomposed. */
    expect_conv(text_clean, "Vie\xcc\x82\xcc\xa3t Nam", "Việt Nam");
    expect_conv(text_clean, "123/QĐ \xe2\x80\x93 UBND", "123/QĐ - UBND");
    expect_conv(text_clean, "\xc3\x90\xe1\xbb\x8bnh", "Định");
    expect_conv(text_clean, "a\r\nb\x01" "c", "a\n\nb c");
    expect_conv(text_clean, "x\xe2\x81\x84y", "x/y");
}

/* One cleanup for the index and the metadata extractor: every space
 * separator is a space, every line separator a line end. */
static void test_clean_separators(void **state)
{
    (void)state;
    expect_conv(text_clean, "a\xe2\x80\x89" "b", "a b");              /* U+2009 thin */
    expect_conv(text_clean, "a\xe2\x80\x80" "b\xe2\x80\x81" "c", "a b c"); /* U+2000, U+2001 */
    expect_conv(text_clean, "a\xe2\x80\x82" "b\xe2\x80\x8a" "c", "a b c"); /* U+2002, U+200A */
    expect_conv(text_clean, "a\xe2\x80\x87" "b", "a b");              /* U+2007 figure */
    expect_conv(text_clean, "a\xe2\x81\x9f" "b\xe1\x9a\x80" "c", "a b c"); /* U+205F, U+1680 */
    expect_conv(text_clean, "a\xc2\xa0" "b\xe2\x80\xaf" "c\xe3\x80\x80" "d", "a b c d");
    expect_conv(text_clean, "a\vb", "a\nb");
    expect_conv(text_clean, "a\xc2\x85" "b", "a\nb");                /* NEL */
    expect_conv(text_clean, "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a\nb\nc");
    /* Both at once in an ASCII-only and a mixed chunk. */
    expect_conv(text_clean, "x\vy\x02z", "x\ny z");
    expect_conv(text_clean, "Hà\vNội\xe2\x80\x89-", "Hà\nNội -");
    /* A number typeset with thin spaces is a number. */
    {
        struct buf b;

        buf_init(&b, 1 << 10);
        assert_int_equal(text_clean("05/2020/N\xc4\x90\xe2\x80\x89-\xe2\x80\x89" "CP",
                                    strlen("05/2020/N\xc4\x90\xe2\x80\x89-\xe2\x80\x89" "CP"),
                                    &b),
                         0);
        assert_string_equal(buf_str(&b), "05/2020/NĐ - CP");
        buf_release(&b);
    }
}

/* The OCR repairs of the metadata extractor ('~' read for '-', '\' for
 * '/', box frames "[ ]") are its own: the index keeps what was written,
 * Markdown, paths and query syntax included. */
static void test_clean_keeps_punctuation(void **state)
{
    (void)state;
    expect_conv(text_clean, "[link](x) ~~del~~ C:\\tmp ~/a", "[link](x) ~~del~~ C:\\tmp ~/a");
    expect_conv(text_clean, "Việt [Nam] ~ \\", "Việt [Nam] ~ \\");
}

/* text__nfc() normalises only the stretches that NFC may change: on text
 * mixing what it passes over with marks, jamo, singletons and symbols, it
 * agrees with utf8proc's NFC of the whole. */
static void test_nfc_stretches(void **state)
{
    static const char *const parts[] = {
        "a", "e", " ", "\n", "Việt", "ệ", "đ", "\xcc\x81", "\xcc\xa3", "\xcc\x82", /* U+0301 U+0323 U+0302 */
        "\xe2\x86\x92", "\xe2\x84\xab", "\xe2\x84\xa6",   /* U+2192 U+212B U+2126 */
        "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8",   /* jamo L V T */
        "\xea\xb0\x80", "\xe0\xa4\x95", "\xe0\xa4\xbc",   /* U+AC00 U+0915 U+093C */
        "\xe0\xad\x87", "\xe0\xac\xbe", "\xcd\x82", "\xce\xb1", /* U+0B47 U+0B3E U+0342 α */
        "\xe2\x89\xa0", "=", "\xcc\xb8", "\xe4\xb8\xad", "\xef\xbf\xbd", "-", "\xc3\xa5",
    };
    unsigned seed = 11;

    (void)state;
    for (int round = 0; round < 2000; round++) {
        char in[256];
        size_t n = 0, len = (size_t)(seed % 24);
        const char *res;
        size_t nres;
        char *owned;
        utf8proc_uint8_t *want = NULL;
        utf8proc_ssize_t m;

        for (size_t k = 0; k < len; k++) {
            const char *p;

            seed = seed * 1103515245u + 12345u;
            p = parts[(seed >> 8) % (sizeof(parts) / sizeof(parts[0]))];
            memcpy(in + n, p, strlen(p));
            n += strlen(p);
        }
        seed = seed * 1103515245u + 12345u;
        m = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)n, &want,
                         UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        assert_true(m >= 0);
        assert_int_equal(text__nfc(in, n, &res, &nres, &owned), 0);
        if (nres != (size_t)m || memcmp(res, want, nres) != 0)
            fail_msg("round %d: text__nfc differs from utf8proc_map on '%.*s'", round, (int)n, in);
        free(owned);
        free(want);
    }
}

/* The code-point layer the extractor reads pages through. */
static void test_code_points(void **state)
{
    const char *res;
    size_t n;
    char *owned;
    int32_t cp;
    struct buf b;

    (void)state;
    /* NFC: composed text comes back as is, decomposed text composed. */
    assert_int_equal(text__nfc("Việt", strlen("Việt"), &res, &n, &owned), 0);
    assert_ptr_equal(res, "Việt");
    assert_null(owned);
    assert_int_equal(text__nfc("Vie\xcc\x82\xcc\xa3t", 8, &res, &n, &owned), 0);
    assert_non_null(owned);
    assert_int_equal(n, strlen("Việt"));
    assert_memory_equal(res, "Việt", n);
    free(owned);
    assert_int_equal(text__nfc("\xc3", 1, &res, &n, &owned), VT_EENCODING);
    /* Lossy decoding and scrubbing: an invalid byte reads as U+FFFD. */
    assert_int_equal(text__decode_lossy("\xe1\xbb\x87", 3, &cp), 3);
    assert_int_equal(cp, 0x1EC7);
    assert_int_equal(text__decode_lossy("\xe1\xbb", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    buf_init(&b, 64);
    assert_int_equal(text__utf8_scrub("a\xff" "b\xc3", 4, &b), 0);
    assert_string_equal(buf_str(&b), "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    buf_release(&b);
    /* Case and class. */
    assert_int_equal(text__case(0x1EC6), TEXT_CASE_UPPER); /* Ệ */
    assert_int_equal(text__case(0x1EC7), TEXT_CASE_LOWER); /* ệ */
    assert_int_equal(text__case(0x01C5), TEXT_CASE_UPPER); /* Dž, title case */
    assert_int_equal(text__case('7'), 0);
    assert_int_equal(text__case(0x0416), TEXT_CASE_UPPER); /* Ж */
    assert_int_equal(text__case(0x10428), TEXT_CASE_LOWER); /* beyond the tables */
    assert_int_equal(text__class(0x0301), TEXT_CLASS_MARK);
    assert_int_equal(text__fold_cp(0x0301), 0);
    assert_int_equal(text__clean_cp(0x2009), ' ');
    assert_int_equal(text__clean_cp('~'), '~');
    /* Encoding, the other way. */
    {
        char u[4];

        assert_int_equal(text_utf8_encode('a', u), 1);
        assert_int_equal(u[0], 'a');
        assert_int_equal(text_utf8_encode(0x0111, u), 2);
        assert_memory_equal(u, "đ", 2);
        assert_int_equal(text_utf8_encode(0x1EC7, u), 3);
        assert_memory_equal(u, "ệ", 3);
        assert_int_equal(text_utf8_encode(0x1F600, u), 4);
        assert_int_equal(text_utf8_decode((const unsigned char *)u, 4, &cp), 4);
        assert_int_equal(cp, 0x1F600);
    }
}

static void test_exact_tone(void **state)
{
    (void)state;
    /* vietnamese.md (b)1: verified placements. */
    expect_conv(text_exact, "hòa", "hoà");
    expect_conv(text_exact, "hoà", "hoà");
    expect_conv(text_exact, "HÒA", "hoà");
    expect_conv(text_exact, "thúy", "thuý");
    expect_conv(text_exact, "thuý", "thuý");
    expect_conv(text_exact, "qủa", "quả");
    expect_conv(text_exact, "gìa", "già");
    expect_conv(text_exact, "ủy", "uỷ");
    expect_conv(text_exact, "nứơc", "nước");
    expect_conv(text_exact, "khỏe", "khoẻ");
    /* Words whose placement is already unique stay as they are. */
    expect_conv(text_exact, "người", "người");
    expect_conv(text_exact, "hoàng", "hoàng");
    expect_conv(text_exact, "mùa", "mùa");
    expect_conv(text_exact, "gì", "gì");
    expect_conv(text_exact, "Quyết", "quyết");
    expect_conv(text_exact, "ĐỊNH", "định");
    /* Case 20: thủy and thuỷ are one form, thúy another. */
    expect_conv(text_exact, "thủy", "thuỷ");
    /* Non-syllables are just lowercased. */
    expect_conv(text_exact, "Café", "café");
    expect_conv(text_exact, "Kernel", "kernel");
}

static void test_marks(void **state)
{
    (void)state;
    assert_int_equal(text_has_marks("ban", 3), 0);
    assert_int_equal(text_has_marks("bán", strlen("bán")), 1);
    assert_int_equal(text_has_marks("đa", strlen("đa")), 1);
    assert_int_equal(text_has_marks("ΑΒΓ", strlen("ΑΒΓ")), 0);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_valid("Việt", strlen("Việt")), 1);
    assert_int_equal(text_utf8_valid("\xc3", 1), 0);
    assert_int_equal(text_utf8_valid("\xc0\x80", 2), 0);       /* overlong */
    assert_int_equal(text_utf8_valid("\xed\xa0\x80", 3), 0);   /* surrogate */
    assert_int_equal(text_utf8_valid("\xf4\x90\x80\x80", 4), 0);
}

struct collect {
    char out[1024];
};

static int collect_cb(void *data, const struct text_token *t)
{
    struct collect *c = data;
    char tmp[128];

    snprintf(tmp, sizeof(tmp), "%s%s%.*s@%u", c->out[0] ? " " : "",
             t->kind == TEXT_TOK_NUMBER ? "#" : "", (int)t->len, t->ptr, t->pos);
    strncat(c->out, tmp, sizeof(c->out) - strlen(c->out) - 1);
    return 0;
}

static void expect_tokens(const char *in, const char *want)
{
    struct collect c = {{0}};

    assert_true(text_tokenize(in, strlen(in), 0, collect_cb, &c) >= 0);
    assert_string_equal(c.out, want);
}

static void test_tokens(void **state)
{
    (void)state;
    expect_tokens("query_module, don't", "query@0 module@1 don@2 t@3");
    expect_tokens("Số: 512/QĐ-UBND ngày", "Số@0 #512/QĐ-UBND@1 512@1 QĐ@2 UBND@3 ngày@4");
    expect_tokens("05/2020/NĐ-CP", "#05/2020/NĐ-CP@0 05@0 2020@1 NĐ@2 CP@3");
    expect_tokens("123/QĐ - UBND", "#123/QĐ - UBND@0 123@0 QĐ@1 UBND@2");
    expect_tokens("Số 36-HD/VPTW", "Số@0 #36-HD/VPTW@1 36@1 HD@2 VPTW@3");
    expect_tokens("24/7 and 1/2", "24@0 7@1 and@2 1@3 2@4");
    expect_tokens("chính phủ điện tử", "chính@0 phủ@1 điện@2 tử@3");
}

static void test_number_key(void **state)
{
    (void)state;
    expect_conv(text_number_key, "05/2020/QĐ - UBND", "5/2020/qd-ubnd");
    expect_conv(text_number_key, "123/qd-ubnd", "123/qd-ubnd");
    expect_conv(text_number_key, "512 / QĐ - UBND", "512/qd-ubnd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),       cmocka_unit_test(test_clean),
        cmocka_unit_test(test_clean_separators),
        cmocka_unit_test(test_clean_keeps_punctuation),
        cmocka_unit_test(test_code_points),
        cmocka_unit_test(test_nfc_stretches),
        cmocka_unit_test(test_exact_tone), cmocka_unit_test(test_marks),
        cmocka_unit_test(test_utf8),       cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_number_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
