/* storage/ on a real Xapian index in a temp folder: a record and its text
 * survive the round trip, Xapian's exceptions become plain error codes and
 * sentences (none of Xapian's own text reaches err), a second writer is
 * refused, a lock held a moment by another process is waited for, and
 * every read on a reader whose commit a writer has since overwritten
 * (Xapian's DatabaseModifiedError) reopens and succeeds. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "storage/storage.h"
#include "storage/xap.h"

struct fx {
    char dir[64];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/vt-storage-XXXXXX");
    if (fx == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

/* No Xapian class name or message in what users read. */
static void assert_plain(const struct vt_err *e)
{
    assert_true(e->msg[0] != '\0');
    assert_null(strstr(e->msg, "Error"));
    assert_null(strstr(e->msg, "Xapian"));
    assert_null(strstr(e->msg, "glass"));
}

static void put_one(const char *dir, const char *path, const char *text)
{
    struct storage *st = NULL;
    struct storage_doc *doc = NULL;
    struct storage_record rec;
    struct vt_err e;
    char id[STORAGE_ID_LEN + 1];

    storage_id_of(path, id);
    storage_record_init(&rec);
    rec.id = id;
    rec.path = path;
    rec.name = strrchr(path, '/') + 1;
    rec.mime = "text/plain";
    rec.size = (long long)strlen(text);
    rec.mtime_ns = 1700000000000000000LL;
    rec.sha256 = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
    rec.status = "indexed";
    rec.pages = 1;
    rec.title = "Quyết định 512/QĐ-UBND";
    rec.meta.type = "Quyết định";
    assert_int_equal(storage_open(dir, 1, &st, &e), 0);
    assert_int_equal(storage_doc_build(&rec, text, strlen(text), &doc, &e), 0);
    assert_int_equal(storage_put(st, doc, &e), 0);
    assert_int_equal(storage_commit(st, &e), 0);
    storage_doc_free(doc);
    storage_close(st);
}

static void test_round_trip(void **state)
{
    struct fx *fx = *state;
    const char *text = "Quyết định về việc phê duyệt kế hoạch chuyển đổi số";
    struct storage *st = NULL;
    struct vt_err e;
    struct buf body;
    json_t *rec = NULL;
    char id[STORAGE_ID_LEN + 1];

    put_one(fx->dir, "/archive/van-ban-di/qd-512.txt", text);
    storage_id_of("/archive/van-ban-di/qd-512.txt", id);
    assert_int_equal(storage_open(fx->dir, 0, &st, &e), 0);
    assert_int_equal(storage_count(st, &e), 1);
    buf_init(&body, BUF_NOLIMIT);
    assert_int_equal(storage_get(st, id, &rec, &body, &e), 0);
    assert_string_equal(json_string_value(json_object_get(rec, "path")),
                        "/archive/van-ban-di/qd-512.txt");
    assert_string_equal(json_string_value(json_object_get(rec, "status")), "indexed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rec, "meta"), "type")), "Quyết định");
    assert_int_equal(body.len, strlen(text));
    assert_memory_equal(body.ptr, text, body.len);
    json_decref(rec);
    rec = NULL;
    /* A missing id is VT_ENOTFOUND, not an index failure. */
    assert_int_equal(storage_get(st, "00000000000000000000000000000000", &rec, NULL, &e),
                     VT_ENOTFOUND);
    assert_null(rec);
    buf_release(&body);
    storage_close(st);
}

static void test_errors_are_plain(void **state)
{
    struct fx *fx = *state;
    struct storage *st = NULL, *st2 = NULL;
    struct xap_db *db = NULL;
    struct vt_err e;
    char path[128];
    FILE *f;
    int rc;

    /* No index yet. */
    vt_err_clear(&e);
    assert_int_equal(storage_open(fx->dir, 0, &st, &e), VT_ENOTFOUND);
    assert_null(st);

    /* A second writer in the same process: refused at once by xap, and
     * by storage after its bounded wait (skipped here: 10 s). */
    assert_int_equal(storage_open(fx->dir, 1, &st, &e), 0);
    snprintf(path, sizeof(path), "%s/shard-0", fx->dir);
    vt_err_clear(&e);
    assert_int_equal(xap_open(path, 1, &db, &e), VT_ELOCKED);
    assert_null(db);
    assert_plain(&e);
    assert_non_null(strstr(e.msg, "locked"));
    storage_close(st);

    /* A damaged shard: an error code of the index family, a plain
     * sentence, no exception. */
    snprintf(path, sizeof(path), "%s/shard-0/iamglass", fx->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a glass database", f);
    fclose(f);
    vt_err_clear(&e);
    rc = storage_open(fx->dir, 0, &st2, &e);
    assert_true(rc == VT_ECORRUPT || rc == VT_EIO || rc == VT_EINDEX);
    assert_null(st2);
    assert_plain(&e);
}

/* Another process holds the write lock for about a second, as a process
 * being killed does: storage_open waits and then succeeds. */
static void test_lock_is_waited_for(void **state)
{
    struct fx *fx = *state;
    struct storage *st = NULL;
    struct vt_err e;
    struct timespec t0, t1;
    int fds[2];
    pid_t child;
    char c;
    int status;
    double waited;

    put_one(fx->dir, "/archive/a.txt", "Công văn");
    assert_int_equal(pipe(fds), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct storage *held = NULL;
        close(fds[0]);
        if (storage_open(fx->dir, 1, &held, NULL) < 0)
            _exit(1);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        sleep(1);
        storage_close(held);
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(storage_open(fx->dir, 1, &st, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* It did wait (the child held the lock), and not for the whole bound. */
    assert_true(waited > 0.3);
    assert_true(waited < 9.0);
    assert_int_equal(storage_count(st, &e), 1);
    storage_close(st);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- reads retried after DatabaseModifiedError ------------------------- */

#define RETRY_DOCS 300  /* enough for tables of several blocks */
#define RETRY_CHURN 100 /* documents rewritten by each commit */
#define RETRY_COMMITS 200

struct retry {
    struct fx *fx;
    struct storage *w;   /* the writer */
    struct storage *r;   /* the reader under test */
    struct xap_db *p;    /* a shim reader at r's commit, to see Xapian throw */
    unsigned version;    /* of the last commit */
};

/* Document i at version v: its text names the version ("v3"), doc 0 is
 * in every commit, and mtime_ns says the version too. */
static void put_version(struct storage *w, unsigned i, unsigned v)
{
    struct storage_record rec;
    struct storage_doc *doc = NULL;
    char path[64], id[STORAGE_ID_LEN + 1], text[256];
    struct vt_err e;

    snprintf(path, sizeof(path), "/archive/r/%u.txt", i);
    snprintf(text, sizeof(text), "alpha beta v%u document%u word%u", v, i, (i * 7 + v) % 101);
    storage_id_of(path, id);
    storage_record_init(&rec);
    rec.id = id;
    rec.path = path;
    rec.name = strrchr(path, '/') + 1;
    rec.status = "indexed";
    rec.mtime_ns = v;
    assert_int_equal(storage_doc_build(&rec, text, strlen(text), &doc, &e), 0);
    assert_int_equal(storage_put(w, doc, &e), 0);
    storage_doc_free(doc);
}

/* The index with every document at version 0, and its writer. */
static void retry_open(struct retry *t, struct fx *fx)
{
    struct vt_err e;

    memset(t, 0, sizeof(*t));
    t->fx = fx;
    assert_int_equal(storage_open(fx->dir, 1, &t->w, &e), 0);
    assert_int_equal(storage_nshards(t->w), 2);
    for (unsigned i = 0; i < RETRY_DOCS; i++)
        put_version(t->w, i, 0);
    assert_int_equal(storage_commit(t->w, &e), 0);
}

/* A reader and a probe at the latest commit. */
static void open_readers(struct retry *t)
{
    char shards[2][96];
    const char *paths[2] = {shards[0], shards[1]};
    struct vt_err e;

    assert_int_equal(storage_open(t->fx->dir, 0, &t->r, &e), 0);
    for (int k = 0; k < 2; k++)
        snprintf(shards[k], sizeof(shards[k]), "%s/shard-%d", t->fx->dir, k);
    assert_int_equal(xap_open_multi(paths, 2, &t->p, &e), 0);
}

static void close_readers(struct retry *t)
{
    xap_close(t->p);
    t->p = NULL;
    storage_close(t->r);
    t->r = NULL;
}

static void retry_close(struct retry *t)
{
    close_readers(t);
    storage_close(t->w);
}

typedef long (*probe_fn)(struct xap_db *p, void *arg, struct vt_err *e);

/* Open a reader (and a probe beside it), then commit new versions until
 * probe, run once on the probe, fails with VT_EAGAIN: Xapian has
 * overwritten the commit the reader is on, which has read nothing yet.
 * A probe that read blocks keeps them cached, so each try opens both
 * afresh and commits once more before its single probe. */
static void stale_reader(struct retry *t, probe_fn probe, void *arg)
{
    struct vt_err e;
    long rc = 0;

    for (unsigned commits = 1; commits <= RETRY_COMMITS && rc != VT_EAGAIN; commits++) {
        close_readers(t);
        open_readers(t);
        for (unsigned k = 0; k < commits; k++) {
            t->version++;
            put_version(t->w, 0, t->version);
            for (unsigned j = 0; j < RETRY_CHURN; j++)
                put_version(t->w, 1 + (t->version * RETRY_CHURN + j) % (RETRY_DOCS - 1),
                            t->version);
            assert_int_equal(storage_commit(t->w, &e), 0);
        }
        vt_err_clear(&e);
        rc = probe(t->p, arg, &e);
        assert_true(rc >= 0 || rc == VT_EAGAIN);
    }
    assert_int_equal(rc, VT_EAGAIN);
    assert_non_null(strstr(e.msg, "changed"));
}

static long probe_find(struct xap_db *p, void *arg, struct vt_err *e)
{
    char term[STORAGE_ID_LEN + 2];
    struct buf data;
    long rc;

    snprintf(term, sizeof(term), "Q%s", (const char *)arg);
    buf_init(&data, BUF_NOLIMIT);
    rc = xap_find(p, term, &data, e);
    buf_release(&data);
    return rc;
}

static void test_retry_get(void **state)
{
    struct retry t;
    struct storage_record rec;
    char id[STORAGE_ID_LEN + 1], want[64];
    struct vt_err e;
    struct buf text;

    retry_open(&t, *state);
    storage_id_of("/archive/r/0.txt", id);
    stale_reader(&t, probe_find, id);
    buf_init(&text, BUF_NOLIMIT);
    assert_int_equal(storage_get_record(t.r, id, &rec, &text, &e), 0);
    /* The reader was reopened: it reads the last version. */
    snprintf(want, sizeof(want), "alpha beta v%u ", t.version);
    assert_int_equal(strncmp(buf_str(&text), want, strlen(want)), 0);
    assert_true(rec.mtime_ns == t.version);
    storage_record_release(&rec);
    buf_release(&text);
    retry_close(&t);
}

static long probe_termfreq(struct xap_db *p, void *arg, struct vt_err *e)
{
    return xap_termfreq(p, (const char *)arg, e);
}

static void test_retry_counts(void **state)
{
    struct retry t;
    struct vt_err e;
    long n;

    retry_open(&t, *state);
    stale_reader(&t, probe_termfreq, "v0");
    /* Fewer documents hold version 0 now than when the reader opened. */
    n = storage_word_freq(t.r, "v0", &e);
    assert_true(n >= 0 && n < RETRY_DOCS);
    assert_int_equal(storage_count_status(t.r, "indexed", &e), RETRY_DOCS);
    retry_close(&t);
}

struct probe_run {
    struct storage_query *q;
    unsigned hits;
};

static int count_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    (void)docid, (void)weight, (void)rank;
    ((struct probe_run *)data)->hits++;
    return 0;
}

static int xap_count_cb(void *data, unsigned docid, double weight, unsigned rank)
{
    return count_cb(data, docid, weight, rank);
}

static long probe_run(struct xap_db *p, void *arg, struct vt_err *e)
{
    struct probe_run *pr = arg;
    struct xap_search s = {0, 1000, -1, 0, 0, NULL, 0};
    unsigned total;

    /* A storage_query is the shim's query (storage/internal.h). */
    return xap_run(p, (const struct xap_query *)pr->q, &s, xap_count_cb, NULL, pr, &total, e);
}

static void test_retry_run(void **state)
{
    struct retry t;
    struct probe_run pr = {NULL, 0};
    struct storage_search s = {0};
    struct vt_err e;
    unsigned total = 0;

    retry_open(&t, *state);
    pr.q = storage_q_filter(STORAGE_FIELD_STATUS, "indexed");
    stale_reader(&t, probe_run, &pr);
    pr.hits = 0;
    s.limit = 1000;
    s.exact_total = 1;
    assert_int_equal(storage_run(t.r, pr.q, &s, count_cb, NULL, &pr, &total, &e), 0);
    /* Each hit once: the run was retried before any reached the caller. */
    assert_int_equal(total, RETRY_DOCS);
    assert_int_equal(pr.hits, RETRY_DOCS);
    storage_q_free(pr.q);
    retry_close(&t);
}

static int skip_value_cb(void *data, unsigned docid, const char *v, size_t len)
{
    (void)data, (void)docid, (void)v, (void)len;
    return 0;
}

static long probe_values(struct xap_db *p, void *arg, struct vt_err *e)
{
    (void)arg;
    return xap_each_value(p, 9 /* the file's state */, skip_value_cb, NULL, e);
}

struct files_seen {
    unsigned n, last;
    long long version0;
};

static int file_cb(void *data, const struct storage_file *f)
{
    struct files_seen *fs = data;

    assert_true(f->docid > fs->last); /* each once, in docid order */
    fs->last = f->docid;
    fs->n++;
    if (strcmp(f->path, "/archive/r/0.txt") == 0)
        fs->version0 = f->mtime_ns;
    return 0;
}

static void test_retry_each_file(void **state)
{
    struct retry t;
    struct files_seen fs = {0, 0, -1};
    struct vt_err e;

    retry_open(&t, *state);
    stale_reader(&t, probe_values, NULL);
    assert_int_equal(storage_each_file(t.r, file_cb, &fs, &e), 0);
    assert_int_equal(fs.n, RETRY_DOCS);
    assert_true(fs.version0 == t.version);
    retry_close(&t);
}

static int skip_term_cb(void *data, const char *term, size_t len, unsigned freq)
{
    (void)data, (void)term, (void)len, (void)freq;
    return 0;
}

static long probe_terms(struct xap_db *p, void *arg, struct vt_err *e)
{
    return xap_each_term(p, (const char *)arg, skip_term_cb, NULL, e);
}

static void test_retry_suggest(void **state)
{
    struct retry t;
    struct storage_suggestion sg[1];
    struct storage_suggest_limits lim = {0, 0, 0};
    struct vt_err e;

    retry_open(&t, *state);
    stale_reader(&t, probe_terms, "al");
    memset(sg, 0, sizeof(sg));
    sg[0].word = "alpga";
    assert_int_equal(storage_suggest(t.r, sg, 1, &lim, &e), 1);
    assert_string_equal(sg[0].best, "alpha");
    retry_close(&t);
}


/* An index written with the ids of earlier versions (sha256 of the
 * absolute path) is re-keyed by the first writer that opens it: every
 * document gets storage_id_for()'s id, which a move of the archive folder
 * keeps, and keeps its record (but for the id), its text, its terms and
 * its shard placement follows the new id; a second open changes nothing. */
#define MIGRATE_N 40
static void old_index(const char *dir, const char *root)
{
    struct storage *st = NULL;
    struct vt_err e;

    assert_int_equal(storage_open(dir, 1, &st, &e), 0);
    for (int i = 0; i < MIGRATE_N; i++) {
        char path[256], text[64], id[STORAGE_ID_LEN + 1], hex[2 * sizeof(path)];
        struct storage_record rec;
        struct storage_doc *doc = NULL;
        /* Document 0's name is not UTF-8: its id is of the raw bytes. */
        if (i == 0)
            snprintf(path, sizeof(path), "%s/sub/t\xe9p-0.txt", root);
        else
            snprintf(path, sizeof(path), "%s/sub/tep-%d.txt", root, i);
        snprintf(text, sizeof(text), "quyết định số %d", i);
        storage_id_of(path, id); /* the old scheme */
        storage_record_init(&rec);
        rec.id = id;
        rec.root = root;
        rec.path = i == 0 ? "(lossy)" : path;
        if (i == 0) {
            for (size_t k = 0; path[k]; k++)
                snprintf(hex + 2 * k, 3, "%02x", (unsigned char)path[k]);
            rec.path_hex = hex;
        }
        rec.name = strrchr(path, '/') + 1;
        rec.mime = "text/plain";
        rec.sha256 = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
        rec.status = "indexed";
        rec.pages = 1;
        assert_int_equal(storage_doc_build(&rec, text, strlen(text), &doc, &e), 0);
        assert_int_equal(storage_put(st, doc, &e), 0);
        storage_doc_free(doc);
    }
    assert_int_equal(storage_commit(st, &e), 0);
    storage_close(st);
    /* What an earlier version left: no id scheme in the metadata. */
    for (unsigned k = 0; k < STORAGE_DEFAULT_SHARDS; k++) {
        char shard[256];
        struct xap_db *db = NULL;
        snprintf(shard, sizeof(shard), "%s/shard-%u", dir, k);
        assert_int_equal(xap_open(shard, 1, &db, &e), 0);
        assert_int_equal(xap_set_metadata(db, "vanthu:id-scheme", "", &e), 0);
        assert_int_equal(xap_commit(db, &e), 0);
        xap_close(db);
    }
}

static void check_migrated(const char *dir, const char *root)
{
    struct storage *st = NULL;
    struct vt_err e;

    assert_int_equal(storage_open(dir, 0, &st, &e), 0);
    assert_int_equal(storage_count(st, &e), MIGRATE_N);
    for (int i = 0; i < MIGRATE_N; i++) {
        char path[256], want[64], id[STORAGE_ID_LEN + 1], old[STORAGE_ID_LEN + 1];
        struct storage_record rec;
        struct buf text;
        if (i == 0)
            snprintf(path, sizeof(path), "%s/sub/t\xe9p-0.txt", root);
        else
            snprintf(path, sizeof(path), "%s/sub/tep-%d.txt", root, i);
        storage_id_for(root, path, id);
        storage_id_of(path, old);
        assert_string_not_equal(id, old);
        buf_init(&text, BUF_NOLIMIT);
        assert_int_equal(storage_get_record(st, id, &rec, &text, &e), 0);
        assert_string_equal(rec.id, id);
        assert_string_equal(rec.root, root);
        snprintf(want, sizeof(want), "quyết định số %d", i);
        assert_int_equal(text.len, strlen(want));
        assert_memory_equal(text.ptr, want, text.len);
        storage_record_release(&rec);
        buf_release(&text);
        assert_int_equal(storage_get_record(st, old, &rec, NULL, &e), VT_ENOTFOUND);
    }
    /* Terms came along: the text still finds every document. */
    assert_int_equal(storage_word_freq(st, "quyet", &e), MIGRATE_N);
    storage_close(st);
}

static void test_migrate_ids(void **state)
{
    struct fx *fx = *state;
    struct storage *st = NULL;
    struct vt_err e;
    char dir[128], id[STORAGE_ID_LEN + 1], moved[STORAGE_ID_LEN + 1];
    const char *root = "/srv/old-place/archive";

    snprintf(dir, sizeof(dir), "%s/db", fx->dir);
    old_index(dir, root);
    assert_int_equal(storage_open(dir, 1, &st, &e), 0); /* migrates */
    storage_close(st);
    check_migrated(dir, root);
    assert_int_equal(storage_open(dir, 1, &st, &e), 0); /* nothing left to do */
    storage_close(st);
    check_migrated(dir, root);
    /* The point of it: the same archive, elsewhere, names the same ids. */
    storage_id_for(root, "/srv/old-place/archive/sub/tep-3.txt", id);
    storage_id_for("/mnt/new/archive", "/mnt/new/archive/sub/tep-3.txt", moved);
    assert_string_equal(id, moved);
    storage_id_for("/mnt/new/archive2", "/mnt/new/archive2/sub/tep-3.txt", moved);
    assert_string_not_equal(id, moved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_are_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_waited_for, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_each_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_suggest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_ids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
