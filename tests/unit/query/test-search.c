/* End-to-end search behaviour on a real Xapian index in a temp folder:
 * the Vietnamese cases of vietnamese.md (c) 16-25, the query language,
 * filters, facets, snippets and query errors. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "query/search.h"
#include "storage/storage.h"
#include "text/norm.h"

static char dir[256];
static struct storage *st;

struct fixture {
    const char *name;
    const char *text;
    const char *type, *agency, *issued, *number;
};

/* Every document names its own key word so tests can tell them apart. */
static const struct fixture docs[] = {
    {"hoa1", "Tỉnh Hòa Bình tổ chức hội nghị", NULL, NULL, NULL, NULL},
    {"hoa2", "tỉnh hoà bình hôm nay", NULL, NULL, NULL, NULL},
    {"hoa3", "tinh hoa binh khong dau", NULL, NULL, NULL, NULL},
    {"hoa4", "HÒA BÌNH viết hoa", NULL, NULL, NULL, NULL},
    {"hoa5", "hòa binh nửa dấu", NULL, NULL, NULL, NULL},
    {"ban1", "cái bàn gỗ", NULL, NULL, NULL, NULL},
    {"ban2", "giá bán lẻ", NULL, NULL, NULL, NULL},
    {"ban3", "người bạn cũ", NULL, NULL, NULL, NULL},
    {"ban4", "bản sao y", NULL, NULL, NULL, NULL},
    {"dn1", "Thành phố Đà Nẵng", NULL, NULL, NULL, NULL},
    {"dn2", "thanh pho da nang", NULL, NULL, NULL, NULL},
    {"thuy1", "nguồn nước thủy lợi", NULL, NULL, NULL, NULL},
    {"thuy2", "công trình thuỷ lợi", NULL, NULL, NULL, NULL},
    {"thuy3", "cô Thúy", NULL, NULL, NULL, NULL},
    {"qua1", "kết qủa kiểm tra", NULL, NULL, NULL, NULL},
    {"cp1", "Xây dựng Chính phủ điện tử tỉnh Nam Định", NULL, NULL, NULL, NULL},
    {"cp2", "chính phủ số và nền tảng điện tử quốc gia", NULL, NULL, NULL, NULL},
    {"nfd", "Vie\xcc\x82\xcc\xa3t Nam quê hương", NULL, NULL, NULL, NULL},
    {"nam1", "Nam Định quê lúa", NULL, NULL, NULL, NULL},
    {"nam2", "kế hoạch năm 2016", NULL, NULL, NULL, NULL},
    {"nam3", "con mèo nằm ngủ", NULL, NULL, NULL, NULL},
    {"qd512", "Số: 512/QĐ-UBND Quyết định về việc phê duyệt kế hoạch",
     "Quyết định", "UBND tỉnh Nam Định", "2016-05-20", "512/QĐ-UBND"},
    {"qd123", "Số: 123/QĐ-UBND Quyết định về công tác văn thư",
     "Quyết định", "UBND tỉnh Nam Định", "2021-02-03", "123/QĐ-UBND"},
    {"cv77", "Số: 77/UBND-VP V/v triển khai chữ ký số",
     "Công văn", "Văn phòng UBND", "2021-07-01", "77/UBND-VP"},
};

static int setup(void **state)
{
    struct vt_err err;
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vanthu-test-search-XXXXXX");
    assert_non_null(mkdtemp(dir));
    strcat(dir, "/db");
    assert_int_equal(storage_open(dir, 1, &st, &err), 0);
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct storage_record rec;
        struct storage_doc *d;
        struct buf clean;
        char path[64], id[STORAGE_ID_LEN + 1];

        snprintf(path, sizeof(path), "/archive/%s.txt", docs[i].name);
        storage_id_of(path, id);
        storage_record_init(&rec);
        rec.id = id;
        rec.path = path;
        rec.name = strrchr(path, '/') + 1;
        rec.title = docs[i].name;
        rec.mime = "text/plain";
        rec.size = 100;
        rec.mtime = 1600000000 + (long long)i * 86400;
        rec.mtime_ns = 1;
        rec.status = "indexed";
        rec.meta.type = docs[i].type;
        rec.meta.agency = docs[i].agency;
        rec.meta.issued = docs[i].issued;
        rec.meta.number = docs[i].number;
        buf_init(&clean, 1 << 20);
        assert_int_equal(text_clean(docs[i].text, strlen(docs[i].text), &clean), 0);
        assert_int_equal(storage_doc_build(&rec, clean.ptr, clean.len, &d, &err), 0);
        assert_int_equal(storage_put(st, d, &err), 0);
        storage_doc_free(d);
        buf_release(&clean);
    }
    assert_int_equal(storage_commit(st, &err), 0);
    /* Searches run on readers; the writer is closed as in production. */
    storage_close(st);
    assert_int_equal(storage_open(dir, 0, &st, &err), 0);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    storage_close(st);
    *strrchr(dir, '/') = '\0';
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Run q and return the titles in rank order, space-separated. */
static char *titles(const char *q, int exact, json_t **out)
{
    struct query_request req = {0};
    struct vt_err err;
    json_t *res, *r;
    size_t i;
    static char buf[1024];

    req.q = q;
    req.limit = 50;
    req.exact = exact;
    vt_err_clear(&err);
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    buf[0] = '\0';
    json_array_foreach(json_object_get(res, "results"), i, r) {
        if (i)
            strcat(buf, " ");
        strcat(buf, json_string_value(json_object_get(r, "title")));
    }
    if (out)
        *out = res;
    else
        json_decref(res);
    return buf;
}

static int contains_word(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Rank of w in list (0-based) or -1. */
static int rank_of(const char *list, const char *w)
{
    char copy[1024], *tok, *save;
    int r = 0;
    snprintf(copy, sizeof(copy), "%s", list);
    for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), r++)
        if (strcmp(tok, w) == 0)
            return r;
    return -1;
}

static void test_case16_unaccented_matches_all(void **state)
{
    (void)state;
    char *t = titles("hoa binh", 0, NULL);
    assert_true(contains_word(t, "hoa1") && contains_word(t, "hoa2") && contains_word(t, "hoa3") &&
                contains_word(t, "hoa4") && contains_word(t, "hoa5"));
}

static void test_case17_accented_ranks_exact_first(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t), "%s", titles("hòa bình", 0, NULL));
    /* hoa1 (Hòa Bình), hoa2 (hoà bình) and hoa4 (HÒA BÌNH) hold the exact
     * form; hoa3 (no marks) and hoa5 (one mark) rank below them. */
    for (const char *exactdoc = "hoa1"; exactdoc; exactdoc = NULL) {
        int worst_exact = rank_of(t, "hoa1");
        if (rank_of(t, "hoa2") > worst_exact) worst_exact = rank_of(t, "hoa2");
        if (rank_of(t, "hoa4") > worst_exact) worst_exact = rank_of(t, "hoa4");
        assert_true(worst_exact >= 0);
        assert_true(rank_of(t, "hoa3") > worst_exact);
        assert_true(rank_of(t, "hoa5") > worst_exact);
    }
    snprintf(t, sizeof(t), "%s", titles("hòa bình", 1, NULL));
    assert_true(contains_word(t, "hoa1") && contains_word(t, "hoa2") && contains_word(t, "hoa4"));
    assert_false(contains_word(t, "hoa3"));
    assert_false(contains_word(t, "hoa5"));
}

static void test_case18_minimal_pairs(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t), "%s", titles("ban", 0, NULL));
    assert_true(contains_word(t, "ban1") && contains_word(t, "ban2") && contains_word(t, "ban3") &&
                contains_word(t, "ban4"));
    snprintf(t, sizeof(t), "%s", titles("bán", 0, NULL));
    assert_int_equal(rank_of(t, "ban2"), 0);
    assert_true(contains_word(t, "ban1")); /* OCR may have lost the mark */
    assert_string_equal(titles("bán", 1, NULL), "ban2");
}

static void test_case19_da_nang(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t), "%s", titles("da nang", 0, NULL));
    assert_true(contains_word(t, "dn1") && contains_word(t, "dn2"));
    snprintf(t, sizeof(t), "%s", titles("đà nẵng", 0, NULL));
    assert_int_equal(rank_of(t, "dn1"), 0);
    assert_string_equal(titles("đà nẵng", 1, NULL), "dn1");
}

static void test_case20_tone_placement(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t), "%s", titles("thủy", 0, NULL));
    assert_true(rank_of(t, "thuy1") < 2 && rank_of(t, "thuy2") < 2);
    assert_int_equal(rank_of(t, "thuy3"), 2);
    snprintf(t, sizeof(t), "%s", titles("thủy", 1, NULL));
    assert_true(contains_word(t, "thuy1") && contains_word(t, "thuy2"));
    assert_false(contains_word(t, "thuy3"));
}

static void test_case21_qua_typo(void **state)
{
    (void)state;
    assert_string_equal(titles("quả", 1, NULL), "qua1");
}

static void test_case22_phrase(void **state)
{
    (void)state;
    char t[1024];
    assert_string_equal(titles("\"chinh phu dien tu\"", 0, NULL), "cp1");
    snprintf(t, sizeof(t), "%s", titles("chinh phu dien tu", 0, NULL));
    assert_int_equal(rank_of(t, "cp1"), 0);
    assert_int_equal(rank_of(t, "cp2"), 1);
}

static void test_case23_nfd(void **state)
{
    (void)state;
    assert_string_equal(titles("việt nam", 0, NULL), "nfd");
    /* A query typed in NFD finds it too. */
    assert_string_equal(titles("vie\xcc\x82\xcc\xa3t nam", 1, NULL), "nfd");
}

static void test_case24_numbers(void **state)
{
    (void)state;
    assert_string_equal(titles("123/qd-ubnd", 0, NULL), "qd123");
    assert_string_equal(titles("123/QĐ \xe2\x80\x93 UBND", 0, NULL), "qd123");
    assert_string_equal(titles("512/QĐ-UBND", 0, NULL), "qd512");
    assert_string_equal(titles("quyet dinh 512", 0, NULL), "qd512");
}

static void test_case25_nam(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t), "%s", titles("nam", 0, NULL));
    assert_true(contains_word(t, "nam1") && contains_word(t, "nam2") && contains_word(t, "nam3"));
    snprintf(t, sizeof(t), "%s", titles("năm", 0, NULL));
    assert_int_equal(rank_of(t, "nam2"), 0);
    assert_string_equal(titles("năm", 1, NULL), "nam2");
}

static void test_operators(void **state)
{
    (void)state;
    char t[1024];
    snprintf(t, sizeof(t), "%s", titles("bàn OR bạn", 1, NULL));
    assert_true(contains_word(t, "ban1") && contains_word(t, "ban3"));
    assert_false(contains_word(t, "ban2"));
    snprintf(t, sizeof(t), "%s", titles("ban NOT gỗ", 0, NULL));
    assert_false(contains_word(t, "ban1"));
    assert_true(contains_word(t, "ban2"));
    snprintf(t, sizeof(t), "%s", titles("ban -gỗ", 0, NULL));
    assert_false(contains_word(t, "ban1"));
    snprintf(t, sizeof(t), "%s", titles("(bàn OR bạn) AND gỗ", 1, NULL));
    assert_string_equal(t, "ban1");
}

static void test_filters_facets_snippet(void **state)
{
    (void)state;
    struct query_request req = {0};
    struct vt_err err;
    json_t *res, *r, *facets;

    req.q = "quyet dinh";
    req.limit = 10;
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), 2);
    facets = json_object_get(res, "facets");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(facets, "type"), "Quyết định")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(facets, "year"), "2016")), 1);
    r = json_array_get(json_object_get(res, "results"), 0);
    /* The snippet highlights the original, accented words. */
    assert_non_null(strstr(json_string_value(json_object_get(r, "snippet")), "<b>Quyết</b> <b>định</b>"));
    json_decref(res);

    req.q = "";
    req.type = "quyet dinh";
    req.year = 2021;
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(res, "results"), 0), "title")), "qd123");
    json_decref(res);

    memset(&req, 0, sizeof(req));
    req.limit = 10;
    req.from = "2021-01-01";
    req.to = "2021-12-31";
    req.sort = QUERY_SORT_DATE_ASC;
    req.type = "Quyết định";
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
    json_decref(res);

    /* Empty query: everything, newest first (by issue date, else mtime). */
    memset(&req, 0, sizeof(req));
    req.limit = 1;
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), sizeof(docs) / sizeof(docs[0]));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(res, "results"), 0), "title")), "cv77");
    json_decref(res);
}

static void expect_query_error(const char *q, const char *why)
{
    struct query_request req = {0};
    struct vt_err err;
    json_t *res = NULL;

    req.q = q;
    req.limit = 10;
    vt_err_clear(&err);
    assert_int_equal(query_search(st, &req, &res, &err), VT_EQUERY);
    assert_null(res);
    if (strstr(err.msg, why) == NULL)
        fail_msg("query error \"%s\" does not mention \"%s\"", err.msg, why);
}

static void test_query_errors(void **state)
{
    (void)state;
    char deep[200] = "", many[8000] = "", big[5000];

    expect_query_error("(ban", "parenthesis");
    expect_query_error("ban)", "parenthesis");
    expect_query_error("ban OR", "operator");
    expect_query_error("\xc3\x28", "UTF-8");
    for (int i = 0; i < 40; i++)
        strcat(deep, "(");
    strcat(deep, "ban");
    for (int i = 0; i < 40; i++)
        strcat(deep, ")");
    expect_query_error(deep, "nested");
    for (int i = 0; i < 1000; i++)
        strcat(many, "w ");
    expect_query_error(many, "too many words");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_query_error(big, "longer than");
    {
        struct query_request req = {0};
        struct vt_err err;
        json_t *res = NULL;
        req.q = "ban";
        req.limit = 10;
        req.from = "2021-02-30";
        assert_int_equal(query_search(st, &req, &res, &err), VT_EQUERY);
        req.from = NULL;
        req.limit = 1000000;
        assert_int_equal(query_search(st, &req, &res, &err), VT_EQUERY);
    }
}

static void test_suggestion(void **state)
{
    struct query_request req = {0};
    struct vt_err err;
    json_t *res;

    (void)state;
    req.limit = 10;
    /* Nothing matches: the misspelt words are corrected (a swap counts as
     * one edit), the right one kept. */
    req.q = "hoa bihn";
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), 0);
    assert_string_equal(json_string_value(json_object_get(res, "suggestion")), "hoa binh");
    json_decref(res);
    /* Results: no suggestion. */
    req.q = "hoa binh";
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_null(json_object_get(res, "suggestion"));
    json_decref(res);
    /* Nothing close enough: none either. */
    req.q = "zzzzqqq";
    assert_int_equal(query_search(st, &req, &res, &err), 0);
    assert_null(json_object_get(res, "suggestion"));
    json_decref(res);
}

/* Titles of req's results in order, space-separated (static buffer). */
static char *titles_req(const struct query_request *req, json_t **out)
{
    struct vt_err err;
    json_t *res, *r;
    size_t i;
    static char buf[2048];

    vt_err_clear(&err);
    assert_int_equal(query_search(st, req, &res, &err), 0);
    buf[0] = '\0';
    json_array_foreach(json_object_get(res, "results"), i, r) {
        if (i)
            strcat(buf, " ");
        strcat(buf, json_string_value(json_object_get(r, "title")));
    }
    if (out)
        *out = res;
    else
        json_decref(res);
    return buf;
}

static void expect_request_error(const struct query_request *req, const char *why)
{
    struct vt_err err;
    json_t *res = NULL;

    vt_err_clear(&err);
    assert_int_equal(query_search(st, req, &res, &err), VT_EQUERY);
    assert_null(res);
    if (strstr(err.msg, why) == NULL)
        fail_msg("request error \"%s\" does not mention \"%s\"", err.msg, why);
    assert_int_equal(query_check_request(req, &err), VT_EQUERY);
}

/* Filters are checked like the query: too long, not UTF-8 or holding a
 * control character is the caller's mistake (VT_EQUERY, a reason), never
 * an index error, and the handle still works after it. */
static void test_filter_validation(void **state)
{
    struct query_request req = {0};
    char big[2001], edge[QUERY_MAX_FILTER + 1];
    json_t *res;

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    req.q = "quyet dinh";
    req.limit = 10;
    req.type = big;
    expect_request_error(&req, "'type' is longer than 200 bytes");
    req.type = "\x85";
    expect_request_error(&req, "'type' is not valid UTF-8");
    req.type = "Quy\x01t";
    expect_request_error(&req, "'type' holds a control character");
    req.type = "Quy\xc2\x85t"; /* U+0085, a C1 control */
    expect_request_error(&req, "control character");
    req.type = NULL;
    req.agency = big;
    expect_request_error(&req, "'agency' is longer than");
    req.agency = "UBND\ttỉnh";
    expect_request_error(&req, "'agency' holds a control character");
    req.agency = NULL;
    req.from = big;
    expect_request_error(&req, "'from' is longer than");
    req.from = "2021-01-01\x7f";
    expect_request_error(&req, "'from'");
    req.from = NULL;
    req.to = "\xff";
    expect_request_error(&req, "'to' is not valid UTF-8");
    req.to = NULL;
    req.sort = (enum query_sort)7;
    expect_request_error(&req, "'sort'");
    req.sort = QUERY_SORT_RELEVANCE;
    req.year = 123;
    expect_request_error(&req, "'year'");
    req.year = 0;
    req.q = "ban\x01";
    expect_request_error(&req, "query holds a control character");
    req.q = "\xc3\x28";
    expect_request_error(&req, "query is not valid UTF-8");

    /* At the bound a filter is fine (it matches nothing here), and so is
     * one that folds to nothing, and the query's own spaces. */
    memset(edge, 'a', sizeof(edge) - 1);
    edge[sizeof(edge) - 1] = '\0';
    req.q = "quyet dinh";
    req.type = edge;
    assert_string_equal(titles_req(&req, NULL), "");
    req.type = "\xf0\x9f\x99\x82";
    assert_string_equal(titles_req(&req, NULL), "");
    req.type = NULL;
    req.q = "quyet\tdinh\r\n";
    req.type = "Quyết định";
    req.agency = "UBND tỉnh Nam Định";
    titles_req(&req, &res);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), 2);
    json_decref(res);
}

/* A query with words that make no term: those are left out, and a query of
 * nothing else matches nothing and says why (an empty one lists all). */
static void test_unindexable_queries(void **state)
{
    static char longword[QUERY_MAX_LEN + 1];
    const char *none[] = {"/////", "\xf0\x9f\x99\x82", "\xf0\x9f\x99\x82 \xf0\x9f\x8e\x89", longword,
                          "-\xf0\x9f\x99\x82", "(/////)", "\"/// ///\"", "/// OR ///"};
    struct query_request req = {0};
    json_t *res;
    char all[1024];

    (void)state;
    memset(longword, 'a', sizeof(longword) - 1);
    req.limit = 50;
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        req.q = none[i];
        titles_req(&req, &res);
        if (json_integer_value(json_object_get(res, "total")) != 0)
            fail_msg("query %zu matched %lld documents", i,
                     (long long)json_integer_value(json_object_get(res, "total")));
        assert_string_equal(json_string_value(json_object_get(res, "notice")),
                            "the query has no searchable words");
        assert_int_equal(json_array_size(json_object_get(res, "results")), 0);
        json_decref(res);
    }
    req.q = "";
    titles_req(&req, &res);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), sizeof(docs) / sizeof(docs[0]));
    assert_null(json_object_get(res, "notice"));
    json_decref(res);

    /* Next to real words they are left out: not "everything", not "nothing". */
    snprintf(all, sizeof(all), "%s", titles("ban", 0, NULL));
    assert_string_equal(titles("ban \xf0\x9f\x99\x82", 0, NULL), all);
    assert_string_equal(titles("ban OR /////", 0, NULL), all);
    assert_string_equal(titles("ban -/////", 0, NULL), all);
    assert_string_equal(titles("(ban) (\xf0\x9f\x99\x82)", 0, NULL), all);
    /* Syntax errors stay errors. */
    expect_query_error("()", "empty");
    expect_query_error("/// OR", "operator");
}

/* Sorting by date: documents with an issue date first (in the order asked),
 * the undated ones after them in both directions, sorted by file date. */
static void test_undated_last(void **state)
{
    struct query_request req = {0};
    char full[2048], paged[2048] = "", *t;
    size_t ndocs = sizeof(docs) / sizeof(docs[0]);

    (void)state;
    req.limit = 50;
    /* The empty query's newest first. */
    snprintf(full, sizeof(full), "%s", titles_req(&req, NULL));
    assert_int_equal(strncmp(full, "cv77 qd123 qd512 nam3 ", 22), 0);
    assert_string_equal(strrchr(full, ' ') + 1, "hoa1");
    req.sort = QUERY_SORT_DATE_DESC;
    assert_string_equal(titles_req(&req, NULL), full);
    /* Oldest first: the undated still come last. */
    req.sort = QUERY_SORT_DATE_ASC;
    t = titles_req(&req, NULL);
    assert_int_equal(strncmp(t, "qd512 qd123 cv77 hoa1 ", 22), 0);
    assert_string_equal(strrchr(t, ' ') + 1, "nam3");
    /* A query matching both: nam2 (undated, its file from 2020) after
     * qd512 (issued 2016) whichever way. */
    req.q = "ke hoach";
    assert_string_equal(titles_req(&req, NULL), "qd512 nam2");
    req.sort = QUERY_SORT_DATE_DESC;
    assert_string_equal(titles_req(&req, NULL), "qd512 nam2");
    /* Pages across the boundary add up to the whole list. */
    req.q = NULL;
    req.limit = 2;
    for (req.offset = 0; req.offset < ndocs + 2; req.offset += 2) {
        t = titles_req(&req, NULL);
        if (t[0] && paged[0])
            strcat(paged, " ");
        strcat(paged, t);
    }
    assert_string_equal(paged, full);
    req.offset = 1;
    req.limit = 3;
    assert_string_equal(titles_req(&req, NULL), "qd123 qd512 nam3");
}

/* "Did you mean" is bounded: the caller can skip it, and storage_suggest()
 * gives nothing for a pass cut by a deadline or the cap. */
static void test_suggestion_bounds(void **state)
{
    struct query_request req = {0};
    struct storage_suggestion sg[3];
    struct storage_suggest_limits lim;
    struct vt_err err;
    json_t *res;
    struct timespec ts;

    (void)state;
    req.limit = 10;
    req.q = "hoa bihn";
    req.no_suggest = 1;
    titles_req(&req, &res);
    assert_int_equal(json_integer_value(json_object_get(res, "total")), 0);
    assert_null(json_object_get(res, "suggestion"));
    json_decref(res);

    /* "bxnh" shares only its first letter with "binh": the second stage
     * finds it. */
    sg[0].word = "bihn";
    sg[1].word = "bxnh";
    sg[2].word = "zzzzqqq";
    memset(&lim, 0, sizeof(lim));
    assert_int_equal(storage_suggest(st, sg, 3, &lim, &err), 2);
    assert_string_equal(sg[0].best, "binh");
    assert_string_equal(sg[1].best, "binh");
    assert_string_equal(sg[2].best, "");
    /* Past either deadline: nothing. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lim.wall_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 - 1;
    assert_int_equal(storage_suggest(st, sg, 3, &lim, &err), 0);
    assert_string_equal(sg[0].best, "");
    lim.wall_ms = 0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    lim.cpu_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 - 1;
    assert_int_equal(storage_suggest(st, sg, 3, &lim, &err), 0);
    lim.cpu_ms = 0;
    /* A cap of one dictionary word cuts the pass over the b words short;
     * "bx" has none, so "bxnh" gets nothing. */
    lim.max_terms = 1;
    assert_int_equal(storage_suggest(st, sg + 1, 1, &lim, &err), 0);
    assert_string_equal(sg[1].best, "");
    lim.max_terms = 100;
    assert_int_equal(storage_suggest(st, sg + 1, 1, &lim, &err), 1);
    assert_string_equal(sg[1].best, "binh");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case16_unaccented_matches_all),
        cmocka_unit_test(test_case17_accented_ranks_exact_first),
        cmocka_unit_test(test_case18_minimal_pairs),
        cmocka_unit_test(test_case19_da_nang),
        cmocka_unit_test(test_case20_tone_placement),
        cmocka_unit_test(test_case21_qua_typo),
        cmocka_unit_test(test_case22_phrase),
        cmocka_unit_test(test_case23_nfd),
        cmocka_unit_test(test_case24_numbers),
        cmocka_unit_test(test_case25_nam),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_filters_facets_snippet),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_suggestion),
        cmocka_unit_test(test_filter_validation),
        cmocka_unit_test(test_unindexable_queries),
        cmocka_unit_test(test_undated_last),
        cmocka_unit_test(test_suggestion_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
