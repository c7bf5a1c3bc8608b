/* The exception firewall (storage/xap.cc): every Xapian failure comes
 * back as a VT_E* code of its kind with a plain sentence (none of
 * Xapian's class names or messages reach err), through the shim and
 * through storage: a missing index, a second writer, a damaged or cut
 * short table, a document that is gone, a term Xapian refuses, a write on
 * a reader. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "storage/storage.h"
#include "storage/xap.h"

#define BLOCK 8192 /* glass's default block size */

static char dir[64];
static char shard0[96];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vt-xap-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(shard0, sizeof(shard0), "%s/shard-0", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* No Xapian class name or message in what users read. */
static void assert_plain(const struct vt_err *e)
{
    assert_true(e->msg[0] != '\0');
    assert_null(strstr(e->msg, "Error"));
    assert_null(strstr(e->msg, "Xapian"));
    assert_null(strstr(e->msg, "glass"));
    assert_null(strstr(e->msg, "block"));
}

/* An index of n small documents, enough for tables of several blocks. */
static void fill(unsigned n)
{
    struct storage *w = NULL;
    struct vt_err e;

    assert_int_equal(storage_open(dir, 1, &w, &e), 0);
    for (unsigned i = 0; i < n; i++) {
        struct storage_record r;
        struct storage_doc *d = NULL;
        char path[64], id[STORAGE_ID_LEN + 1], text[256];
        snprintf(path, sizeof(path), "/archive/%u.txt", i);
        snprintf(text, sizeof(text), "document %u word%u another%u thing%u", i, i, i % 7, i % 13);
        storage_id_of(path, id);
        storage_record_init(&r);
        r.id = id;
        r.path = path;
        r.status = "indexed";
        assert_int_equal(storage_doc_build(&r, text, strlen(text), &d, &e), 0);
        assert_int_equal(storage_put(w, d, &e), 0);
        storage_doc_free(d);
    }
    assert_int_equal(storage_commit(w, &e), 0);
    storage_close(w);
}

static void test_missing_index(void **state)
{
    struct storage *st = NULL;
    struct xap_db *db = NULL;
    const char *paths[1] = {"/nonexistent/vanthu/shard-0"};
    struct vt_err e;

    (void)state;
    vt_err_clear(&e);
    assert_int_equal(xap_open(paths[0], 0, &db, &e), VT_ENOTFOUND);
    assert_null(db);
    assert_plain(&e);
    vt_err_clear(&e);
    assert_int_equal(xap_open_multi(paths, 1, &db, &e), VT_ENOTFOUND);
    assert_null(db);
    assert_plain(&e);
    vt_err_clear(&e);
    assert_int_equal(storage_open(dir, 0, &st, &e), VT_ENOTFOUND);
    assert_null(st);
    assert_non_null(strstr(e.msg, "vanthu index"));
}

static void test_second_writer(void **state)
{
    struct storage *w = NULL;
    struct xap_db *db = NULL;
    struct vt_err e;

    (void)state;
    assert_int_equal(storage_open(dir, 1, &w, &e), 0);
    vt_err_clear(&e);
    assert_int_equal(xap_open(shard0, 1, &db, &e), VT_ELOCKED);
    assert_null(db);
    assert_plain(&e);
    assert_non_null(strstr(e.msg, "locked"));
    /* A reader beside the writer is fine. */
    assert_int_equal(xap_open(shard0, 0, &db, &e), 0);
    xap_close(db);
    storage_close(w);
}

/* Overwrite a table of shard 0 from its second block on. */
static void damage(const char *table, int cut_short)
{
    char path[160];
    struct stat sb;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.glass", shard0, table);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 2 * BLOCK);
    if (cut_short) {
        assert_int_equal(truncate(path, 2 * BLOCK), 0);
        return;
    }
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, BLOCK, SEEK_SET), 0);
    for (long i = BLOCK; i < (long)sb.st_size; i++)
        fputc((int)((i * 37) & 255), f);
    fclose(f);
}

static void test_corrupt_table(void **state)
{
    struct storage *st = NULL;
    struct vt_err e;

    (void)state;
    fill(400);
    damage("postlist", 0);
    vt_err_clear(&e);
    assert_int_equal(storage_open(dir, 0, &st, &e), VT_ECORRUPT);
    assert_null(st);
    assert_plain(&e);
    assert_non_null(strstr(e.msg, "damaged"));
}

/* A table cut short is an index error too, plainly worded. */
static void test_truncated_table(void **state)
{
    struct storage *st = NULL;
    struct vt_err e;

    (void)state;
    fill(400);
    damage("postlist", 1);
    vt_err_clear(&e);
    assert_int_equal(storage_open(dir, 0, &st, &e), VT_EINDEX);
    assert_null(st);
    assert_plain(&e);
}

static void test_document_gone(void **state)
{
    struct storage *st = NULL;
    struct xap_db *db = NULL;
    struct buf data;
    json_t *rec = NULL;
    struct storage_record r;
    struct vt_err e;

    (void)state;
    fill(3);
    buf_init(&data, BUF_NOLIMIT);
    assert_int_equal(xap_open(shard0, 0, &db, &e), 0);
    vt_err_clear(&e);
    assert_int_equal(xap_get_data(db, 999999, &data, &e), VT_ENOTFOUND);
    assert_plain(&e);
    assert_int_equal(xap_find(db, "Qnosuchid", &data, &e), VT_ENOTFOUND);
    xap_close(db);
    assert_int_equal(storage_open(dir, 0, &st, &e), 0);
    assert_int_equal(storage_get_docid(st, 999999, &rec, NULL, &e), VT_ENOTFOUND);
    assert_null(rec);
    assert_int_equal(storage_get_record_docid(st, 999999, &r, NULL, &e), VT_ENOTFOUND);
    storage_record_release(&r);
    assert_int_equal(storage_get(st, "not an id", &rec, NULL, &e), VT_ENOTFOUND);
    storage_close(st);
    buf_release(&data);
}

/* Xapian refuses a term over 245 bytes when the document is written. */
static void test_term_too_long(void **state)
{
    struct xap_db *db = NULL;
    struct xap_doc *doc = xap_doc_new();
    char term[400];
    struct vt_err e;
    int rc;

    (void)state;
    memset(term, 'a', sizeof(term) - 1);
    term[sizeof(term) - 1] = '\0';
    assert_int_equal(xap_open(shard0, 1, &db, &e), 0);
    rc = xap_doc_add(doc, term, strlen(term), 1, &e);
    if (rc == 0) {
        vt_err_clear(&e);
        rc = xap_replace(db, "Qx", doc, &e);
    }
    assert_int_equal(rc, VT_EINDEX);
    assert_plain(&e);
    xap_doc_free(doc);
    xap_close(db);
}

static void test_writes_on_a_reader(void **state)
{
    struct storage *st = NULL;
    struct storage_record r;
    struct storage_doc *d = NULL;
    struct xap_db *db = NULL;
    char id[STORAGE_ID_LEN + 1];
    struct vt_err e;

    (void)state;
    fill(3);
    assert_int_equal(xap_open(shard0, 0, &db, &e), 0);
    assert_int_equal(xap_commit(db, &e), VT_EINTERNAL);
    assert_int_equal(xap_delete(db, "Qx", &e), VT_EINTERNAL);
    xap_close(db);
    assert_int_equal(storage_open(dir, 0, &st, &e), 0);
    storage_id_of("/archive/x", id);
    storage_record_init(&r);
    r.id = id;
    assert_int_equal(storage_doc_build(&r, NULL, 0, &d, &e), 0);
    assert_int_equal(storage_put(st, d, &e), VT_EINTERNAL);
    assert_int_equal(storage_delete(st, id, &e), VT_EINTERNAL);
    assert_int_equal(storage_commit(st, &e), VT_EINTERNAL);
    assert_int_equal(storage_compact(st, &e), VT_EINTERNAL);
    storage_doc_free(d);
    storage_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_term_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_on_a_reader, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
