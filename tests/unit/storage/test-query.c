/* storage's query constructors on a small real index: a filter by each
 * field, dates, words in each match mode, document numbers (cited and
 * the document's own), phrases and proximity, combinators and their
 * ownership, scaling, sorting and facets, run through storage_run(). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "storage/storage.h"
#include "text/norm.h"
#include "text/tok.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char dir[64];
static struct storage *st;

static const struct doc {
    const char *path, *text, *type, *agency, *issued, *number, *mime, *status, *sha;
    long long mtime;
} docs[] = {
    {"/archive/di/d1.txt", "Quyết định về việc phê duyệt kế hoạch chuyển đổi số", "Quyết định",
     "UBND tỉnh Nam Định", "2021-03-05", "512/QĐ-UBND", "text/plain", "indexed", SHA_A,
     1500000000},
    {"/archive/den/d2.pdf", "công văn triển khai chữ ký số, căn cứ 512/QĐ-UBND", "Công văn",
     "Sở Nội vụ", "2020-07", "77/SNV-VP", "application/pdf", "indexed", SHA_B, 1500000000},
    {"/archive/den/d3.txt", "plain english words only", NULL, NULL, NULL, NULL, "text/plain",
     "failed", NULL, 1546300800 /* 2019-01-01 */},
    {"/archive/khac/d4.txt", NULL, NULL, NULL, NULL, NULL, "text/plain", "empty", NULL,
     1655000000 /* 2022-06-12 */},
    {"/archive/khac/d5.txt", "cái bàn gỗ", NULL, NULL, NULL, NULL, "text/plain", "indexed",
     NULL, 1500000000},
    {"/archive/khac/d6.txt", "giá bán lẻ", NULL, NULL, NULL, NULL, "text/plain", "indexed", NULL,
     1500000000},
};
#define NDOCS (sizeof(docs) / sizeof(docs[0]))

static void put_doc(struct storage *w, const struct doc *d)
{
    struct storage_record r;
    struct storage_doc *sd = NULL;
    char id[STORAGE_ID_LEN + 1];
    struct buf clean;
    struct vt_err e;

    storage_id_of(d->path, id);
    storage_record_init(&r);
    r.id = id;
    r.path = d->path;
    r.name = strrchr(d->path, '/') + 1;
    r.mime = d->mime;
    r.status = d->status;
    r.sha256 = d->sha;
    r.mtime = d->mtime;
    r.meta.type = d->type;
    r.meta.agency = d->agency;
    r.meta.issued = d->issued;
    r.meta.number = d->number;
    buf_init(&clean, 1 << 16);
    if (d->text)
        assert_int_equal(text_clean(d->text, strlen(d->text), &clean), 0);
    assert_int_equal(storage_doc_build(&r, clean.ptr, clean.len, &sd, &e), 0);
    assert_int_equal(storage_put(w, sd, &e), 0);
    storage_doc_free(sd);
    buf_release(&clean);
}

static int setup(void **state)
{
    struct storage *w = NULL;
    struct vt_err e;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vt-query-XXXXXX");
    if (mkdtemp(dir) == NULL || storage_open(dir, 1, &w, &e) < 0)
        return -1;
    for (size_t i = 0; i < NDOCS; i++)
        put_doc(w, &docs[i]);
    if (storage_commit(w, &e) < 0)
        return -1;
    storage_close(w);
    return storage_open(dir, 0, &st, &e);
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    storage_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- running -------------------------------------------------------------- */

struct hits {
    char names[256]; /* "d1 d2", in rank order */
    double weight[NDOCS + 1];
    size_t n;
    char facets[512];
};

static int hit_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    struct hits *h = data;
    struct storage_record r;
    struct vt_err e;
    char name[8];

    (void)rank;
    assert_int_equal(storage_get_record_docid(st, docid, &r, NULL, &e), 0);
    snprintf(name, sizeof(name), "%.*s", (int)(strlen(r.name) - 4), r.name);
    if (h->n)
        strcat(h->names, " ");
    strcat(h->names, name);
    h->weight[h->n++] = weight;
    storage_record_release(&r);
    return 0;
}

static int facet_cb(void *data, enum storage_field f, const char *v, size_t len, unsigned count)
{
    struct hits *h = data;
    size_t n = strlen(h->facets);

    snprintf(h->facets + n, sizeof(h->facets) - n, "%s%d:%.*s=%u", n ? " " : "", (int)f, (int)len,
             v, count);
    return 0;
}

/* The names of the documents q matches (q is freed), in rank order. */
static const char *run_sorted(struct storage_query *q, enum storage_sort sort, struct hits *h)
{
    struct storage_search s = {0};
    struct vt_err e;
    unsigned total = 0;

    assert_non_null(q);
    memset(h, 0, sizeof(*h));
    s.limit = 100;
    s.sort = sort;
    s.exact_total = 1;
    assert_int_equal(storage_run(st, q, &s, hit_cb, facet_cb, h, &total, &e), 0);
    assert_int_equal(total, h->n);
    storage_q_free(q);
    return h->names;
}

static const char *run(struct storage_query *q)
{
    static struct hits h;

    return run_sorted(q, STORAGE_SORT_RELEVANCE, &h);
}

/* The names, sorted, for set comparisons. */
static const char *set_of(struct storage_query *q)
{
    static char out[256];
    char copy[256], *w[NDOCS + 1], *save, *t;
    size_t n = 0;

    snprintf(copy, sizeof(copy), "%s", run(q));
    for (t = strtok_r(copy, " ", &save); t && n < NDOCS; t = strtok_r(NULL, " ", &save))
        w[n++] = t;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(w[j], w[i]) < 0) {
                t = w[i], w[i] = w[j], w[j] = t;
            }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, w[i]);
    }
    return out;
}

/* The first token of s (cleaned query text, kept alive by the caller). */
struct first {
    struct text_token t;
    int got;
};

static int first_cb(void *data, const struct text_token *t)
{
    struct first *f = data;

    if (!f->got) {
        f->t = *t;
        f->got = 1;
    }
    return 0;
}

static struct storage_query *word(const char *s, enum storage_match m)
{
    struct first f = {{0}, 0};

    assert_true(text_tokenize(s, strlen(s), 1, first_cb, &f) >= 0);
    assert_true(f.got);
    return storage_q_token(&f.t, m);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_filter_each_field(void **state)
{
    (void)state;
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_TYPE, "quyet dinh")), "d1");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_TYPE, "Công Văn")), "d2");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_AGENCY, "SỞ NỘI VỤ")), "d2");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_YEAR, "2021")), "d1");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_YEAR, "2020")), "d2");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_MIME, "application/pdf")), "d2");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_STATUS, "failed")), "d3");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_STATUS, "empty")), "d4");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_FOLDER, "/archive/den")), "d2 d3");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_FOLDER, "/archive")), "");
    /* The own number only: d2 cites 512/QĐ-UBND in its text. */
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_NUMBER, "512/qd-ubnd")), "d1");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_SHA256, SHA_B)), "d2");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_TYPE, "Thông báo")), "");
    assert_string_equal(set_of(storage_q_filter(STORAGE_FIELD_TYPE, "")), "");
    assert_string_equal(set_of(storage_q_filter(STORAGE_NFIELDS, "x")), "");
}

static void test_counts(void **state)
{
    struct vt_err e;

    (void)state;
    assert_int_equal(storage_count_status(st, "indexed", &e), 4);
    assert_int_equal(storage_count_field(st, STORAGE_FIELD_MIME, "text/plain", &e), 5);
    assert_int_equal(storage_count_field(st, STORAGE_FIELD_YEAR, "1999", &e), 0);
    assert_true(storage_count_field(st, STORAGE_NFIELDS, "x", &e) < 0);
    assert_int_equal(storage_word_freq(st, "ban", &e), 2);
    assert_int_equal(storage_word_freq(st, "bán", &e), 0); /* folded words only */
}

static void test_dates(void **state)
{
    (void)state;
    /* The issue date, else the file's date. */
    assert_string_equal(set_of(storage_q_dates("2021-01-01", NULL)), "d1 d4");
    assert_string_equal(set_of(storage_q_dates("2020-06-01", "2020-07-31")), "d2");
    /* A month-only date sorts before the month's first day. */
    assert_string_equal(set_of(storage_q_dates("2020-07-01", "2020-07-31")), "");
    assert_string_equal(set_of(storage_q_dates(NULL, "2019-01-01")), "d3 d5 d6");
    assert_string_equal(set_of(storage_q_dates("", "")), "d1 d2 d3 d4 d5 d6");
    assert_string_equal(set_of(storage_q_dates("tomorrow", NULL)), "");
    assert_string_equal(set_of(storage_q_dated()), "d1 d2");
}

static void test_word_forms(void **state)
{
    (void)state;
    assert_string_equal(set_of(word("ban", STORAGE_MATCH_FOLDED)), "d5 d6");
    assert_string_equal(set_of(word("bán", STORAGE_MATCH_FOLDED)), "d5 d6");
    assert_string_equal(set_of(word("bán", STORAGE_MATCH_EXACT)), "d6");
    assert_string_equal(set_of(word("bán", STORAGE_MATCH_STRICT)), "d6");
    /* Unmarked: exact means folded; strict means the unaccented form,
     * which a document without accented words holds only folded. */
    assert_string_equal(set_of(word("ban", STORAGE_MATCH_EXACT)), "d5 d6");
    assert_string_equal(set_of(word("ban", STORAGE_MATCH_STRICT)), "");
    assert_string_equal(set_of(word("english", STORAGE_MATCH_STRICT)), "d3");
    assert_string_equal(set_of(word("plain", STORAGE_MATCH_STRICT)), "d3");
    /* File names are words too. */
    assert_string_equal(set_of(word("d4", STORAGE_MATCH_FOLDED)), "d4");
    assert_string_equal(set_of(word("nothingatall", STORAGE_MATCH_FOLDED)), "");
}

static void test_numbers(void **state)
{
    (void)state;
    /* Cited in the text (d2) or the document's own (d1), as written or
     * folded, whatever the match mode. */
    assert_string_equal(set_of(word("512/QĐ-UBND", STORAGE_MATCH_STRICT)), "d1 d2");
    assert_string_equal(set_of(word("512/qd-ubnd", STORAGE_MATCH_FOLDED)), "d1 d2");
    assert_string_equal(set_of(word("77/SNV-VP", STORAGE_MATCH_FOLDED)), "d2");
    assert_string_equal(set_of(word("78/SNV-VP", STORAGE_MATCH_FOLDED)), "");
}

static struct storage_query *phrase(enum storage_op op, const char *a, const char *b,
                                    unsigned window)
{
    struct storage_query *v[2] = {word(a, STORAGE_MATCH_FOLDED), word(b, STORAGE_MATCH_FOLDED)};

    return storage_q_combine_take(op, v, 2, window);
}

static void test_phrases(void **state)
{
    (void)state;
    assert_string_equal(set_of(phrase(STORAGE_PHRASE, "chữ", "ký", 0)), "d2");
    assert_string_equal(set_of(phrase(STORAGE_PHRASE, "ký", "chữ", 0)), "");
    assert_string_equal(set_of(phrase(STORAGE_NEAR, "ký", "chữ", 2)), "d2");
    assert_string_equal(set_of(phrase(STORAGE_PHRASE, "phe", "ke", 0)), "");
    assert_string_equal(set_of(phrase(STORAGE_NEAR, "phe", "ke", 4)), "d1");
}

static void test_combinators(void **state)
{
    struct storage_query *one[1];

    (void)state;
    assert_string_equal(set_of(storage_q_pair_take(STORAGE_AND, word("so", STORAGE_MATCH_FOLDED),
                                                   word("chu", STORAGE_MATCH_FOLDED))),
                        "d2");
    assert_string_equal(set_of(storage_q_pair_take(STORAGE_OR, word("go", STORAGE_MATCH_FOLDED),
                                                   word("le", STORAGE_MATCH_FOLDED))),
                        "d5 d6");
    assert_string_equal(set_of(storage_q_pair_take(STORAGE_AND_NOT, storage_q_all(),
                                                   word("ban", STORAGE_MATCH_FOLDED))),
                        "d1 d2 d3 d4");
    assert_string_equal(
        set_of(storage_q_pair_take(STORAGE_FILTER, word("so", STORAGE_MATCH_FOLDED),
                                   storage_q_filter(STORAGE_FIELD_TYPE, "Công văn"))),
        "d2");
    assert_string_equal(
        set_of(storage_q_pair_take(STORAGE_AND_MAYBE, word("ban", STORAGE_MATCH_FOLDED),
                                   word("so", STORAGE_MATCH_FOLDED))),
        "d5 d6");
    one[0] = word("go", STORAGE_MATCH_FOLDED);
    assert_string_equal(set_of(storage_q_combine_take(STORAGE_AND, one, 1, 0)), "d5");
    assert_string_equal(set_of(storage_q_all()), "d1 d2 d3 d4 d5 d6");
    assert_string_equal(set_of(storage_q_none()), "");
    /* A NULL input (out of memory) gives NULL and frees the others. */
    assert_null(storage_q_pair_take(STORAGE_AND, NULL, word("go", STORAGE_MATCH_FOLDED)));
    assert_null(storage_q_scale_take(NULL, 2.0));
    storage_q_free(NULL);
}

static void test_scale_and_dup(void **state)
{
    struct storage_query *q = word("ban", STORAGE_MATCH_FOLDED), *d = storage_q_dup(q);
    struct hits h;
    struct buf a, b;

    (void)state;
    buf_init(&a, 4096);
    buf_init(&b, 4096);
    assert_int_equal(storage_q_describe(q, &a), 0);
    assert_int_equal(storage_q_describe(d, &b), 0);
    assert_string_equal(buf_str(&a), buf_str(&b));
    storage_q_free(d);
    run_sorted(storage_q_scale_take(q, 0.0), STORAGE_SORT_RELEVANCE, &h);
    assert_int_equal(h.n, 2);
    assert_true(h.weight[0] == 0 && h.weight[1] == 0);
    run_sorted(word("ban", STORAGE_MATCH_FOLDED), STORAGE_SORT_RELEVANCE, &h);
    assert_true(h.weight[0] > 0);
    buf_release(&a);
    buf_release(&b);
}

static void test_sort_and_facets(void **state)
{
    struct hits h;
    char want[256];

    (void)state;
    /* By date: d5 d6 (2017-07-14, one day) d3 (2019) d2 (2020-07) d1 (2021) d4 (2022). */
    run_sorted(storage_q_all(), STORAGE_SORT_DATE_DESC, &h);
    assert_int_equal(strncmp(h.names, "d4 d1 d2 d3", 11), 0);
    run_sorted(storage_q_all(), STORAGE_SORT_DATE_ASC, &h);
    assert_int_equal(strcmp(h.names + strlen(h.names) - 11, "d3 d2 d1 d4"), 0);
    {
        static const enum storage_field f[] = {STORAGE_FIELD_TYPE, STORAGE_FIELD_YEAR,
                                               STORAGE_FIELD_MIME};
        struct storage_search s = {0};
        struct vt_err e;
        unsigned total;
        struct storage_query *q = storage_q_all();
        memset(&h, 0, sizeof(h));
        s.limit = 0;
        s.exact_total = 1;
        s.facets = f;
        s.nfacets = 3;
        assert_int_equal(storage_run(st, q, &s, hit_cb, facet_cb, &h, &total, &e), 0);
        assert_int_equal(total, NDOCS);
        snprintf(want, sizeof(want), "%d:Công văn=1 %d:Quyết định=1 %d:2020=1 %d:2021=1 "
                 "%d:application/pdf=1 %d:text/plain=5",
                 STORAGE_FIELD_TYPE, STORAGE_FIELD_TYPE, STORAGE_FIELD_YEAR, STORAGE_FIELD_YEAR,
                 STORAGE_FIELD_MIME, STORAGE_FIELD_MIME);
        assert_string_equal(h.facets, want);
        /* A field without a display value is no facet. */
        {
            static const enum storage_field bad[] = {STORAGE_FIELD_STATUS};
            s.facets = bad;
            s.nfacets = 1;
            assert_int_equal(storage_run(st, q, &s, hit_cb, facet_cb, &h, &total, &e),
                             VT_EINTERNAL);
        }
        storage_q_free(q);
    }
}

/* A copy's text is found by its sha256, typed. */
static void test_find_sha256(void **state)
{
    struct storage_record r;
    struct vt_err e;
    struct buf text;

    (void)state;
    buf_init(&text, BUF_NOLIMIT);
    assert_int_equal(storage_find_sha256_record(st, SHA_B, &r, &text, &e), 0);
    assert_string_equal(r.name, "d2.pdf");
    assert_string_equal(r.sha256, SHA_B);
    assert_non_null(strstr(buf_str(&text), "chữ ký số"));
    storage_record_release(&r);
    assert_int_equal(storage_find_sha256_record(st, SHA_A "0", &r, NULL, &e), VT_ENOTFOUND);
    assert_int_equal(storage_find_sha256_record(st, "cccccccccccccccccccccccccccccccccccccccccccccccc"
                                                    "cccccccccccccccc", &r, NULL, &e),
                     VT_ENOTFOUND);
    storage_record_release(&r);
    buf_release(&text);
}

/* A writer's handle does not search. */
static void test_run_needs_reader(void **state)
{
    struct storage *w = NULL;
    struct storage_search s = {0};
    struct storage_query *q = storage_q_all();
    struct vt_err e;
    unsigned total;

    (void)state;
    storage_close(st);
    assert_int_equal(storage_open(dir, 1, &w, &e), 0);
    assert_int_equal(storage_run(w, q, &s, hit_cb, NULL, NULL, &total, &e), VT_EINTERNAL);
    storage_q_free(q);
    storage_close(w);
    assert_int_equal(storage_open(dir, 0, &st, &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_each_field), cmocka_unit_test(test_counts),
        cmocka_unit_test(test_dates),             cmocka_unit_test(test_word_forms),
        cmocka_unit_test(test_numbers),           cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_combinators),       cmocka_unit_test(test_scale_and_dup),
        cmocka_unit_test(test_sort_and_facets),   cmocka_unit_test(test_find_sha256),
        cmocka_unit_test(test_run_needs_reader),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
