/* The schema round trip: a struct storage_record with every field set
 * goes into the index (storage_doc_build) and comes back the same, as the
 * stored JSON (key for key, in the order and the form the API has always
 * returned) and as a typed record; and each field made its filter term,
 * its display value and its sortable value. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "storage/schema.h"
#include "storage/storage.h"
#include "storage/xap.h"
#include "text/meta.h"

static char dir[64];

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TEXT "Quyết định về việc phê duyệt kế hoạch\fTrang hai, căn cứ 77/UBND-VP"

static const double page_conf[] = {-1, 91.25, 83.75};

/* Every field set, as the indexer would for a lossy path and an OCR'd
 * PDF that failed half way. */
static void full_record(struct storage_record *r, char id[STORAGE_ID_LEN + 1])
{
    storage_id_of("/archive/van-ban-di/qd-512.pdf", id);
    storage_record_init(r);
    r->id = id;
    r->path = "/archive/van-ban-di/qd-512.pdf";
    r->path_hex = "2f617263686976652f76616e2d62616e2d64692f71642d3531322e706466";
    r->name = "qd-512.pdf";
    r->root = "/archive";
    r->dev = 2049;
    r->ino = 777;
    r->title = "Quyết định 512/QĐ-UBND";
    r->mime = "application/pdf";
    r->size = 12345;
    r->mtime = 1600000000;
    r->mtime_ns = 1600000000123456789LL;
    r->sha256 = SHA;
    r->status = "failed";
    r->error = "OCR timed out";
    r->pages = 3;
    r->truncated = 1;
    r->ocr_confidence = 87.5;
    r->text_source = "pdf-text+ocr";
    r->page_confidence = page_conf;
    r->npage_confidence = 3;
    r->meta.number = "512/QĐ-UBND";
    r->meta.type = "Quyết định";
    r->meta.agency = "UBND tỉnh Nam Định";
    r->meta.place = "Nam Định";
    r->meta.issued = "2021-03-05";
    r->meta.subject = "Về việc phê duyệt kế hoạch";
    r->meta.signer = "Trần Văn Hùng";
    r->meta.signer_title = "KT. CHỦ TỊCH";
    r->meta.secrecy = "MẬT";
    r->meta.urgency = "KHẨN";
    r->meta.title = "Quyết định 512/QĐ-UBND về việc phê duyệt kế hoạch";
    r->meta.lang = "vi";
}

/* What GET /api/documents/{id} has always shown for it (less "text"). */
static const char *full_json(const char *id)
{
    static char s[2048];

    snprintf(s, sizeof(s),
             "{\"id\":\"%s\",\"path\":\"/archive/van-ban-di/qd-512.pdf\","
             "\"path_hex\":\"2f617263686976652f76616e2d62616e2d64692f71642d3531322e706466\","
             "\"name\":\"qd-512.pdf\",\"root\":\"/archive\",\"dev\":2049,\"ino\":777,"
             "\"title\":\"Quyết định 512/QĐ-UBND\",\"mime\":\"application/pdf\","
             "\"size\":12345,\"mtime\":1600000000,\"mtime_ns\":1600000000123456789,"
             "\"sha256\":\"" SHA "\",\"status\":\"failed\",\"error\":\"OCR timed out\","
             "\"pages\":3,\"truncated\":true,\"ocr_confidence\":87.5,"
             "\"text_source\":\"pdf-text+ocr\",\"page_confidence\":[null,91.25,83.75],"
             "\"meta\":{\"number\":\"512/QĐ-UBND\",\"type\":\"Quyết định\","
             "\"agency\":\"UBND tỉnh Nam Định\",\"place\":\"Nam Định\","
             "\"issued\":\"2021-03-05\",\"subject\":\"Về việc phê duyệt kế hoạch\","
             "\"signer\":\"Trần Văn Hùng\",\"signer_title\":\"KT. CHỦ TỊCH\","
             "\"secrecy\":\"MẬT\",\"urgency\":\"KHẨN\","
             "\"title\":\"Quyết định 512/QĐ-UBND về việc phê duyệt kế hoạch\","
             "\"lang\":\"vi\"}}",
             id);
    return s;
}

static void put(const struct storage_record *r, const char *text)
{
    struct storage *w = NULL;
    struct storage_doc *d = NULL;
    struct vt_err e;

    assert_int_equal(storage_open(dir, 1, &w, &e), 0);
    assert_int_equal(storage_doc_build(r, text, text ? strlen(text) : 0, &d, &e), 0);
    assert_int_equal(storage_put(w, d, &e), 0);
    assert_int_equal(storage_commit(w, &e), 0);
    storage_doc_free(d);
    storage_close(w);
}

/* The full record indexed, and a reader on it. */
static struct storage *index_full(struct storage_record *r, char id[STORAGE_ID_LEN + 1])
{
    struct storage *st = NULL;
    struct vt_err e;

    full_record(r, id);
    put(r, TEXT);
    assert_int_equal(storage_open(dir, 0, &st, &e), 0);
    return st;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vt-schema-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_stored_json(void **state)
{
    struct storage_record r;
    struct storage *st;
    char id[STORAGE_ID_LEN + 1], *got;
    struct vt_err e;
    struct buf text;
    json_t *rec = NULL;

    (void)state;
    st = index_full(&r, id);
    buf_init(&text, BUF_NOLIMIT);
    assert_int_equal(storage_get(st, id, &rec, &text, &e), 0);
    got = json_dumps(rec, JSON_COMPACT);
    assert_string_equal(got, full_json(id));
    assert_string_equal(buf_str(&text), TEXT);
    free(got);
    json_decref(rec);
    buf_release(&text);
    storage_close(st);
}

/* The record read back typed holds every field the record had. */
static void test_typed_round_trip(void **state)
{
    struct storage_record r, b;
    struct storage *st;
    char id[STORAGE_ID_LEN + 1];
    struct vt_err e;

    (void)state;
    st = index_full(&r, id);
    assert_int_equal(storage_get_record(st, id, &b, NULL, &e), 0);
#define SAME_STR(f) assert_string_equal(b.f, r.f)
#define SAME_NUM(f) assert_true(b.f == r.f)
    SAME_STR(id), SAME_STR(path), SAME_STR(path_hex), SAME_STR(name), SAME_STR(root);
    SAME_NUM(dev), SAME_NUM(ino), SAME_STR(title), SAME_STR(mime), SAME_NUM(size);
    SAME_NUM(mtime), SAME_NUM(mtime_ns), SAME_STR(sha256), SAME_STR(status), SAME_STR(error);
    SAME_NUM(pages), SAME_NUM(truncated), SAME_NUM(ocr_confidence), SAME_STR(text_source);
    SAME_NUM(npage_confidence);
    for (size_t i = 0; i < r.npage_confidence; i++)
        assert_true(b.page_confidence[i] == r.page_confidence[i]);
    SAME_STR(meta.number), SAME_STR(meta.type), SAME_STR(meta.agency), SAME_STR(meta.place);
    SAME_STR(meta.issued), SAME_STR(meta.subject), SAME_STR(meta.signer);
    SAME_STR(meta.signer_title), SAME_STR(meta.secrecy), SAME_STR(meta.urgency);
    SAME_STR(meta.title), SAME_STR(meta.lang);
    {
        json_t *stored = storage_record_meta_json(&b), *made = storage_record_meta_json(&r);
        assert_true(json_equal(stored, made));
        json_decref(stored);
        json_decref(made);
    }
    storage_record_release(&b);
    storage_record_release(&b); /* released twice: harmless */
    storage_close(st);
}

/* Absent fields leave their keys out; numbers are always written. */
static void test_sparse_record(void **state)
{
    struct storage_record r, b;
    struct storage *st = NULL;
    char id[STORAGE_ID_LEN + 1], want[256], *got;
    struct vt_err e;
    json_t *rec = NULL;

    (void)state;
    storage_id_of("/archive/x", id);
    storage_record_init(&r);
    r.id = id;
    put(&r, NULL);
    assert_int_equal(storage_open(dir, 0, &st, &e), 0);
    assert_int_equal(storage_get(st, id, &rec, NULL, &e), 0);
    got = json_dumps(rec, JSON_COMPACT);
    snprintf(want, sizeof(want),
             "{\"id\":\"%s\",\"dev\":0,\"ino\":0,\"size\":0,\"mtime\":0,\"mtime_ns\":0,"
             "\"pages\":0,\"meta\":{}}",
             id);
    assert_string_equal(got, want);
    free(got);
    json_decref(rec);
    assert_int_equal(storage_get_record(st, id, &b, NULL, &e), 0);
    assert_null(b.path);
    assert_null(b.meta.type);
    assert_null(b.page_confidence);
    assert_true(b.ocr_confidence < 0);
    assert_int_equal(b.truncated, 0);
    storage_record_release(&b);
    storage_close(st);
}

/* "meta" is DESIGN §8's, the names and the order the extractor gives. */
static void test_meta_keys_are_design_names(void **state)
{
    struct storage_record r;
    char id[STORAGE_ID_LEN + 1];
    json_t *meta;
    const char *key;
    json_t *v;
    size_t i = 0;

    (void)state;
    full_record(&r, id);
    meta = storage_record_meta_json(&r);
    assert_int_equal(json_object_size(meta), TEXT_META_NRECORD);
    json_object_foreach(meta, key, v) {
        assert_string_equal(key, text_meta_field_name((enum text_meta_field)i));
        i++;
    }
    json_decref(meta);
}

static long count(struct storage *st, enum storage_field f, const char *v)
{
    struct vt_err e;
    long n = storage_count_field(st, f, v, &e);

    assert_true(n >= 0);
    return n;
}

/* Each filter field made its term, converted as the table says. */
static void test_filter_terms(void **state)
{
    struct storage_record r;
    struct storage *st;
    char id[STORAGE_ID_LEN + 1];
    struct vt_err e;

    (void)state;
    st = index_full(&r, id);
    assert_int_equal(count(st, STORAGE_FIELD_TYPE, "Quyết định"), 1);
    assert_int_equal(count(st, STORAGE_FIELD_TYPE, "quyet dinh"), 1); /* folded */
    assert_int_equal(count(st, STORAGE_FIELD_TYPE, "Công văn"), 0);
    assert_int_equal(count(st, STORAGE_FIELD_AGENCY, "ubnd tinh nam dinh"), 1);
    assert_int_equal(count(st, STORAGE_FIELD_YEAR, "2021"), 1);
    assert_int_equal(count(st, STORAGE_FIELD_YEAR, "2020"), 0);
    assert_int_equal(count(st, STORAGE_FIELD_MIME, "application/pdf"), 1);
    assert_int_equal(count(st, STORAGE_FIELD_MIME, "APPLICATION/PDF"), 0); /* as is */
    assert_int_equal(count(st, STORAGE_FIELD_STATUS, "failed"), 1);
    assert_int_equal(storage_count_status(st, "failed", &e), 1);
    assert_int_equal(storage_count_status(st, "indexed", &e), 0);
    assert_int_equal(count(st, STORAGE_FIELD_FOLDER, "/archive/van-ban-di"), 1);
    assert_int_equal(count(st, STORAGE_FIELD_FOLDER, "/archive"), 0);
    assert_int_equal(count(st, STORAGE_FIELD_NUMBER, "512/qđ-ubnd"), 1); /* keyed */
    assert_int_equal(count(st, STORAGE_FIELD_NUMBER, "77/UBND-VP"), 0); /* only cited */
    assert_int_equal(count(st, STORAGE_FIELD_SHA256, SHA), 1);
    assert_int_equal(count(st, STORAGE_FIELD_TYPE, ""), 0);
    /* Words of the name and the text, folded. */
    assert_int_equal(storage_word_freq(st, "quyet", &e), 1);
    assert_int_equal(storage_word_freq(st, "qd", &e), 1);
    assert_int_equal(storage_word_freq(st, "hai", &e), 1);
    storage_close(st);
}

struct slot_seen {
    char v[256];
    size_t len;
};

static int slot_cb(void *data, unsigned docid, const char *v, size_t len)
{
    struct slot_seen *s = data;

    (void)docid;
    assert_true(len < sizeof(s->v));
    memcpy(s->v, v, len);
    s->len = len;
    return 0;
}

static void assert_slot(struct xap_db *db, unsigned slot, const char *want, size_t len)
{
    struct slot_seen s = {{0}, 0};
    struct vt_err e;

    assert_int_equal(xap_each_value(db, slot, slot_cb, &s, &e), 0);
    assert_int_equal(s.len, len);
    assert_memory_equal(s.v, want, len);
}

static void assert_sortable(struct xap_db *db, unsigned slot, double v)
{
    struct buf want;

    buf_init(&want, 64);
    assert_int_equal(xap_sortable(v, &want), 0);
    assert_slot(db, slot, want.ptr, want.len);
    buf_release(&want);
}

/* Each value slot holds what the table says (read through the shim). */
static void test_values(void **state)
{
    struct storage_record r;
    struct xap_db *db = NULL;
    char id[STORAGE_ID_LEN + 1], shards[2][96], state_v[256];
    const char *paths[2] = {shards[0], shards[1]};
    struct vt_err e;

    (void)state;
    full_record(&r, id);
    put(&r, TEXT);
    for (int k = 0; k < 2; k++)
        snprintf(shards[k], sizeof(shards[k]), "%s/shard-%d", dir, k);
    assert_int_equal(xap_open_multi(paths, 2, &db, &e), 0);
    assert_slot(db, SCHEMA_SLOT_ISSUED, "20210305", 8);
    assert_slot(db, SCHEMA_SLOT_DATE, "20210305", 8);
    assert_slot(db, SCHEMA_SLOT_TYPE, "Quyết định", strlen("Quyết định"));
    assert_slot(db, SCHEMA_SLOT_AGENCY, "UBND tỉnh Nam Định", strlen("UBND tỉnh Nam Định"));
    assert_slot(db, SCHEMA_SLOT_YEAR, "2021", 4);
    assert_slot(db, SCHEMA_SLOT_MIME, "application/pdf", 15);
    snprintf(state_v, sizeof(state_v), "12345\t1600000000123456789\t%s\tfailed\t%s", SHA, r.path);
    assert_slot(db, SCHEMA_SLOT_STATE, state_v, strlen(state_v));
    assert_sortable(db, SCHEMA_SLOT_MTIME, 1600000000);
    assert_sortable(db, SCHEMA_SLOT_SIZE, 12345);
    assert_sortable(db, SCHEMA_SLOT_PAGES, 3);
    assert_sortable(db, SCHEMA_SLOT_OCR_CONF, 87.5);
    xap_close(db);
}

/* Without an issue date, the date to sort by is the file's (UTC day). */
static void test_undated_sorts_by_mtime(void **state)
{
    struct storage_record r;
    struct xap_db *db = NULL;
    char id[STORAGE_ID_LEN + 1], shards[2][96];
    const char *paths[2] = {shards[0], shards[1]};
    struct slot_seen s = {{0}, 0};
    struct vt_err e;

    (void)state;
    storage_id_of("/archive/undated.txt", id);
    storage_record_init(&r);
    r.id = id;
    r.path = "/archive/undated.txt";
    r.mtime = 1600000000; /* 2020-09-13 12:26:40 UTC */
    put(&r, "undated");
    for (int k = 0; k < 2; k++)
        snprintf(shards[k], sizeof(shards[k]), "%s/shard-%d", dir, k);
    assert_int_equal(xap_open_multi(paths, 2, &db, &e), 0);
    assert_slot(db, SCHEMA_SLOT_DATE, "20200913", 8);
    assert_int_equal(xap_each_value(db, SCHEMA_SLOT_ISSUED, slot_cb, &s, &e), 0);
    assert_int_equal(s.len, 0);
    xap_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stored_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sparse_record, setup, teardown),
        cmocka_unit_test(test_meta_keys_are_design_names),
        cmocka_unit_test_setup_teardown(test_filter_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undated_sorts_by_mtime, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
