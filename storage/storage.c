/* vanthu's index schema and write policy over the Xapian shim (see
 * storage.h for the schema).
 *
 * Design: storage_doc_build() does all the per-document work (tokenising,
 * folding, serialising the record) so the indexer can run it on several
 * threads; storage_put() on the single writer thread only hands the
 * finished document to Xapian.  Documents holding accented words get a
 * second, exact term per word; documents without any (most English text)
 * get XKplain instead, so they pay nothing for Vietnamese strictness. */
#include "config.h"

#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "text/norm.h"
#include "text/tok.h"

#define SHARD_FMT "%s/shard-%u"
#define STORAGE_LOCK_WAIT_MS 10000
#define STORAGE_LOCK_POLL_MS 100

struct storage {
    char *dir;
    int writable;
    unsigned nshards;
    struct xap_db *shard[STORAGE_MAX_SHARDS]; /* writers: one per shard */
    struct xap_db *reader;                    /* readers: all shards as one */
};

struct storage_doc {
    struct xap_doc *doc;
    char idterm[STORAGE_ID_LEN + 2];
    size_t size;
};

/* A process killed with -9 may leave its shard lock held for a moment
 * (by a child that inherited it, or by the lock helper Xapian forks where
 * it has no open-file-description locks), so an immediate restart waits
 * for the lock rather than failing; anything still locked after the wait
 * is a live writer. */
static int open_shard_writable(const char *path, struct xap_db **db, struct vt_err *err)
{
    struct timespec pause = {0, STORAGE_LOCK_POLL_MS * 1000000L};
    int rc, waited = 0;

    for (;;) {
        rc = xap_open(path, 1, db, err);
        if (rc != VT_ELOCKED || waited >= STORAGE_LOCK_WAIT_MS)
            break;
        if (waited == 0)
            log_info("index '%s' is locked; waiting up to %d s for it to be released", path,
                     STORAGE_LOCK_WAIT_MS / 1000);
        nanosleep(&pause, NULL);
        waited += STORAGE_LOCK_POLL_MS;
    }
    if (rc == 0 && waited > 0)
        log_info("index '%s': lock taken after %d ms", path, waited);
    return rc;
}

/* How many shard-N folders the index has (they are numbered from 0). */
static unsigned count_shards(const char *dir)
{
    unsigned n = 0;
    char path[4096];
    struct stat sb;

    while (n < STORAGE_MAX_SHARDS) {
        snprintf(path, sizeof(path), SHARD_FMT, dir, n);
        if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
            break;
        n++;
    }
    return n;
}

int storage_open(const char *dir, int writable, struct storage **out, struct vt_err *err)
{
    struct storage *st;
    char *paths[STORAGE_MAX_SHARDS] = {0};
    unsigned n;
    int rc = 0;

    *out = NULL;
    /* The index holds every document's text, whatever its access
     * level: only its owner reads the folder. */
    if (writable && (rc = vt_mkdir_p(dir, 0700)) < 0)
        return vt_err_set(err, rc, "cannot create '%s': %s", dir, strerror(-rc));
    n = count_shards(dir);
    if (n == 0) {
        if (!writable)
            return vt_err_set(err, VT_ENOTFOUND, "no index in '%s' (create one with 'vanthu index')",
                              dir);
        n = STORAGE_DEFAULT_SHARDS;
    }
    st = xcalloc(1, sizeof(*st));
    st->dir = xstrdup(dir);
    st->writable = writable;
    st->nshards = n;
    for (unsigned k = 0; k < n; k++)
        paths[k] = xasprintf(SHARD_FMT, dir, k);
    if (writable) {
        for (unsigned k = 0; k < n && rc == 0; k++)
            rc = open_shard_writable(paths[k], &st->shard[k], err);
    } else {
        rc = xap_open_multi((const char *const *)paths, n, &st->reader, err);
    }
    for (unsigned k = 0; k < n; k++)
        free(paths[k]);
    if (rc < 0) {
        storage_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void storage_close(struct storage *st)
{
    if (st == NULL)
        return;
    for (unsigned k = 0; k < st->nshards; k++)
        xap_close(st->shard[k]);
    xap_close(st->reader);
    free(st->dir);
    free(st);
}

unsigned storage_nshards(const struct storage *st)
{
    return st->nshards;
}

static unsigned shard_of_id(const struct storage *st, const char *id)
{
    unsigned v = 0;

    for (int i = 0; i < 6 && id[i]; i++)
        v = v * 16 + (unsigned)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    return v % st->nshards;
}

unsigned storage_id_shard(const struct storage *st, const char *id)
{
    return shard_of_id(st, id);
}

unsigned storage_doc_shard(const struct storage *st, const struct storage_doc *doc)
{
    return shard_of_id(st, doc->idterm + 1);
}

int storage_commit_shard(struct storage *st, unsigned k, struct vt_err *err)
{
    if (!st->writable || k >= st->nshards)
        return vt_err_set(err, VT_EINTERNAL, "commit on a read-only index");
    return xap_commit(st->shard[k], err);
}

int storage_commit(struct storage *st, struct vt_err *err)
{
    int rc = 0;

    for (unsigned k = 0; k < st->nshards && rc == 0; k++)
        rc = storage_commit_shard(st, k, err);
    return rc;
}

int storage_reopen(struct storage *st, struct vt_err *err)
{
    return st->reader ? xap_reopen(st->reader, err) : 0;
}

long storage_count(struct storage *st, struct vt_err *err)
{
    long total = 0, n;

    if (st->reader)
        return xap_doccount(st->reader, err);
    for (unsigned k = 0; k < st->nshards; k++) {
        if ((n = xap_doccount(st->shard[k], err)) < 0)
            return n;
        total += n;
    }
    return total;
}

/* Remove a flat folder (a Xapian glass database has no subfolders). */
static int remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];

    if (d == NULL)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(dir) < 0 ? -errno : 0;
}

int storage_compact_shard(struct storage *st, unsigned k, struct vt_err *err)
{
    char *path = xasprintf(SHARD_FMT, st->dir, k);
    char *tmp = xasprintf("%s.compact", path);
    char *old = xasprintf("%s.old", path);
    struct xap_db *rd = NULL;
    int rc;

    if (!st->writable || k >= st->nshards) {
        rc = vt_err_set(err, VT_EINTERNAL, "compact on a read-only index");
        goto out;
    }
    remove_flat_dir(tmp);
    remove_flat_dir(old);
    if ((rc = xap_commit(st->shard[k], err)) < 0)
        goto out;
    if ((rc = xap_open(path, 0, &rd, err)) < 0)
        goto out;
    rc = xap_compact(rd, tmp, err);
    xap_close(rd);
    if (rc < 0)
        goto out;
    /* Swap while no writer holds the folder; the lock is released first. */
    xap_close(st->shard[k]);
    st->shard[k] = NULL;
    if (rename(path, old) < 0 || rename(tmp, path) < 0) {
        rc = vt_err_set(err, -errno, "cannot replace '%s' by its compacted copy: %s", path,
                        strerror(errno));
        if (access(path, F_OK) < 0)
            rename(old, path);
    } else {
        remove_flat_dir(old);
    }
    {
        int rc2 = xap_open(path, 1, &st->shard[k], err);
        if (rc == 0)
            rc = rc2;
    }
out:
    free(path);
    free(tmp);
    free(old);
    return rc;
}

int storage_compact(struct storage *st, struct vt_err *err)
{
    int rc = 0;

    for (unsigned k = 0; k < st->nshards && rc == 0; k++)
        rc = storage_compact_shard(st, k, err);
    return rc;
}

void storage_id_of(const char *abs_path, char id[STORAGE_ID_LEN + 1])
{
    char hex[SHA256_HEX_LEN + 1];

    sha256_hex_of(abs_path, strlen(abs_path), hex);
    memcpy(id, hex, STORAGE_ID_LEN);
    id[STORAGE_ID_LEN] = '\0';
}

/* ---- document building ------------------------------------------------ */

struct build {
    struct xap_doc *doc;
    struct buf term;
    int marked;
    int rc;
    struct vt_err *err;
};

static int add_term_prefixed(struct build *b, const char *prefix, const char *s, size_t n,
                             int (*conv)(const char *, size_t, struct buf *), unsigned pos)
{
    int rc;

    buf_reset(&b->term);
    if ((rc = buf_adds(&b->term, prefix)) < 0)
        return rc;
    rc = conv(s, n, &b->term);
    if (rc < 0)
        return rc == VT_E2BIG ? 0 : rc;
    if (b->term.len == strlen(prefix) || b->term.len > STORAGE_MAX_TERM)
        return 0;
    return xap_doc_add(b->doc, b->term.ptr, b->term.len, pos, b->err);
}

static int token_cb(void *data, const struct text_token *t)
{
    struct build *b = data;
    int rc;

    if (t->kind == TEXT_TOK_NUMBER)
        return add_term_prefixed(b, "XN", t->ptr, t->len, text_number_key, 0);
    if (t->len > STORAGE_MAX_TERM)
        return 0;
    rc = add_term_prefixed(b, "", t->ptr, t->len, text_fold, t->pos);
    if (rc == 0 && b->marked)
        rc = add_term_prefixed(b, "E", t->ptr, t->len, text_exact, t->pos);
    return rc;
}

static const char *rec_str(json_t *obj, const char *key)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;

    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int add_bool(struct build *b, const char *prefix, const char *value, int fold)
{
    int rc;

    if (value == NULL || value[0] == '\0')
        return 0;
    buf_reset(&b->term);
    if ((rc = buf_adds(&b->term, prefix)) < 0)
        return rc;
    rc = fold ? text_fold(value, strlen(value), &b->term) : buf_adds(&b->term, value);
    if (rc < 0 || b->term.len > 240)
        return rc < 0 && rc != VT_E2BIG ? rc : 0;
    return xap_doc_add_boolean(b->doc, b->term.ptr, b->term.len, b->err);
}

static int set_str_value(struct build *b, unsigned slot, const char *v)
{
    if (v == NULL || v[0] == '\0')
        return 0;
    return xap_doc_set_value(b->doc, slot, v, strlen(v), b->err);
}

static int set_num_value(struct build *b, unsigned slot, double v)
{
    struct buf s;
    int rc;

    buf_init(&s, 64);
    rc = xap_sortable(v, &s);
    if (rc == 0)
        rc = xap_doc_set_value(b->doc, slot, s.ptr, s.len, b->err);
    buf_release(&s);
    return rc;
}

/* "2016-05-20" -> "20160520", "2016-05" -> "20160500"; 0 if not a date. */
static int date_key(const char *iso, char out[9])
{
    size_t n = iso ? strlen(iso) : 0;

    if (n != 7 && n != 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (i == 4 || i == 7 ? iso[i] != '-' : (iso[i] < '0' || iso[i] > '9'))
            return 0;
    memcpy(out, iso, 4);
    memcpy(out + 4, iso + 5, 2);
    if (n == 10)
        memcpy(out + 6, iso + 8, 2);
    else
        memcpy(out + 6, "00", 2);
    out[8] = '\0';
    return 1;
}

static int add_metadata(struct build *b, json_t *rec)
{
    json_t *meta = json_object_get(rec, "meta");
    const char *path = rec_str(rec, "path");
    const char *issued = rec_str(meta, "issued");
    const char *number = rec_str(meta, "number");
    char key[9], year[5];
    int rc = 0;

    if (number != NULL) {
        struct buf k;
        buf_init(&k, 256);
        if ((rc = buf_adds(&k, "XSH")) == 0 && (rc = text_number_key(number, strlen(number), &k)) == 0)
            rc = xap_doc_add_boolean(b->doc, k.ptr, k.len, b->err);
        buf_release(&k);
        if (rc < 0)
            return rc;
    }
    if ((rc = add_bool(b, "XT", rec_str(meta, "type"), 1)) < 0 ||
        (rc = add_bool(b, "XA", rec_str(meta, "agency"), 1)) < 0 ||
        (rc = add_bool(b, "XM", rec_str(rec, "mime"), 0)) < 0 ||
        (rc = add_bool(b, "XS", rec_str(rec, "status"), 0)) < 0)
        return rc;
    if ((rc = set_str_value(b, STORAGE_SLOT_TYPE, rec_str(meta, "type"))) < 0 ||
        (rc = set_str_value(b, STORAGE_SLOT_AGENCY, rec_str(meta, "agency"))) < 0 ||
        (rc = set_str_value(b, STORAGE_SLOT_MIME, rec_str(rec, "mime"))) < 0)
        return rc;
    if (path != NULL) {
        const char *slash = strrchr(path, '/');
        if (slash != NULL && slash != path) {
            char *dir = xstrndup(path, (size_t)(slash - path));
            rc = add_bool(b, "XD", dir, 0);
            free(dir);
            if (rc < 0)
                return rc;
        }
    }
    if (date_key(issued, key)) {
        memcpy(year, key, 4);
        year[4] = '\0';
        if ((rc = add_bool(b, "XY", year, 0)) < 0 ||
            (rc = set_str_value(b, STORAGE_SLOT_YEAR, year)) < 0 ||
            (rc = set_str_value(b, STORAGE_SLOT_ISSUED, key)) < 0 ||
            (rc = set_str_value(b, STORAGE_SLOT_DATE, key)) < 0)
            return rc;
    } else {
        json_t *mt = json_object_get(rec, "mtime");
        if (json_is_integer(mt)) {
            time_t t = (time_t)json_integer_value(mt);
            struct tm tm;
            char d[16];
            gmtime_r(&t, &tm);
            strftime(d, sizeof(d), "%Y%m%d", &tm);
            if ((rc = set_str_value(b, STORAGE_SLOT_DATE, d)) < 0)
                return rc;
        }
    }
    return 0;
}

static int add_state(struct build *b, json_t *rec)
{
    struct buf s;
    int rc;

    buf_init(&s, 8192);
    rc = buf_printf(&s, "%lld\t%lld\t%s\t%s\t%s",
                    (long long)json_integer_value(json_object_get(rec, "size")),
                    (long long)json_integer_value(json_object_get(rec, "mtime_ns")),
                    rec_str(rec, "sha256") ? rec_str(rec, "sha256") : "",
                    rec_str(rec, "status") ? rec_str(rec, "status") : "",
                    rec_str(rec, "path") ? rec_str(rec, "path") : "");
    if (rc == 0)
        rc = xap_doc_set_value(b->doc, STORAGE_SLOT_STATE, s.ptr, s.len, b->err);
    buf_release(&s);
    if (rc == 0)
        rc = set_num_value(b, STORAGE_SLOT_MTIME,
                           (double)json_integer_value(json_object_get(rec, "mtime")));
    if (rc == 0)
        rc = set_num_value(b, STORAGE_SLOT_SIZE,
                           (double)json_integer_value(json_object_get(rec, "size")));
    if (rc == 0 && json_is_integer(json_object_get(rec, "pages")))
        rc = set_num_value(b, STORAGE_SLOT_PAGES,
                           (double)json_integer_value(json_object_get(rec, "pages")));
    if (rc == 0 && json_is_number(json_object_get(rec, "ocr_confidence")))
        rc = set_num_value(b, STORAGE_SLOT_OCR_CONF,
                           json_number_value(json_object_get(rec, "ocr_confidence")));
    return rc;
}

/* XH<sha256>: the file's content, so a copy or a moved file finds the
 * text already extracted (storage_find_sha256). */
static int add_sha_term(struct xap_doc *doc, const char *hex, struct vt_err *err)
{
    char term[2 + SHA256_HEX_LEN + 1];

    if (hex == NULL || strlen(hex) != SHA256_HEX_LEN)
        return 0;
    snprintf(term, sizeof(term), "XH%s", hex);
    return xap_doc_add_boolean(doc, term, strlen(term), err);
}

int storage_doc_build(const struct storage_input *in, struct storage_doc **out, struct vt_err *err)
{
    struct storage_doc *d = xcalloc(1, sizeof(*d));
    struct build b;
    const char *name = rec_str(in->record, "name");
    char *json = NULL;
    struct buf data;
    long pos = 1;
    int rc;

    *out = NULL;
    buf_init(&b.term, 1024);
    buf_init(&data, BUF_NOLIMIT);
    b.doc = d->doc = xap_doc_new();
    b.err = err;
    b.rc = 0;
    snprintf(d->idterm, sizeof(d->idterm), "Q%s", in->id);
    if ((rc = xap_doc_add_boolean(d->doc, d->idterm, strlen(d->idterm), err)) < 0)
        goto out;
    if ((rc = add_sha_term(d->doc, rec_str(in->record, "sha256"), err)) < 0)
        goto out;
    b.marked = (in->text && text_has_marks(in->text, in->text_len)) ||
               (name && text_has_marks(name, strlen(name)));
    if (!b.marked && (rc = xap_doc_add_boolean(d->doc, "XKplain", 7, err)) < 0)
        goto out;
    /* The file name comes first, so a file is findable by name whatever its
     * content; a gap keeps phrases from running from name into body. */
    if (name != NULL) {
        pos = text_tokenize(name, strlen(name), 1, token_cb, &b);
        if (pos < 0) {
            rc = (int)pos;
            goto out;
        }
        pos += 8;
    }
    if (in->text != NULL && in->text_len > 0) {
        pos = text_tokenize(in->text, in->text_len, (unsigned)pos, token_cb, &b);
        if (pos < 0) {
            rc = vt_err_set(err, (int)pos, "cannot index text: %s", vt_strerror((int)pos));
            goto out;
        }
    }
    if ((rc = add_metadata(&b, in->record)) < 0 || (rc = add_state(&b, in->record)) < 0)
        goto out;
    json = json_dumps(in->record, JSON_COMPACT);
    if (json == NULL) {
        rc = vt_err_set(err, VT_ENOMEM, "cannot serialise the record");
        goto out;
    }
    if ((rc = buf_add(&data, json, strlen(json) + 1)) < 0 ||
        (rc = buf_add(&data, in->text ? in->text : "", in->text ? in->text_len : 0)) < 0)
        goto out;
    if ((rc = xap_doc_set_data(d->doc, data.ptr, data.len, err)) < 0)
        goto out;
    d->size = data.len * 3 + 1024;
    *out = d;
    d = NULL;
out:
    free(json);
    buf_release(&data);
    buf_release(&b.term);
    storage_doc_free(d);
    return rc;
}

void storage_doc_free(struct storage_doc *d)
{
    if (d == NULL)
        return;
    xap_doc_free(d->doc);
    free(d);
}

size_t storage_doc_size(const struct storage_doc *d)
{
    return d->size;
}

int storage_put(struct storage *st, const struct storage_doc *d, struct vt_err *err)
{
    if (!st->writable)
        return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
    return xap_replace(st->shard[storage_doc_shard(st, d)], d->idterm, d->doc, err);
}

int storage_delete(struct storage *st, const char *id, struct vt_err *err)
{
    char term[STORAGE_ID_LEN + 2];

    if (!st->writable)
        return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
    snprintf(term, sizeof(term), "Q%s", id);
    return xap_delete(st->shard[shard_of_id(st, id)], term, err);
}

struct each_ctx {
    storage_file_cb cb;
    void *data;
};

/* Parse "size\tmtime_ns\tsha256\tstatus\tpath". */
static int each_value_cb(void *data, unsigned docid, const char *v, size_t len)
{
    struct each_ctx *c = data;
    struct storage_file f;
    char *copy = xstrndup(v, len), *fields[5], *p = copy;
    int i, rc;

    for (i = 0; i < 5; i++) {
        fields[i] = p;
        p = i < 4 ? strchr(p, '\t') : NULL;
        if (i < 4) {
            if (p == NULL)
                break;
            *p++ = '\0';
        }
    }
    if (i < 5) {
        free(copy);
        return 0; /* a malformed state value: treat the file as unknown */
    }
    f.docid = docid;
    f.size = strtoll(fields[0], NULL, 10);
    f.mtime_ns = strtoll(fields[1], NULL, 10);
    f.sha256 = fields[2];
    f.status = fields[3];
    f.path = fields[4];
    rc = c->cb(c->data, &f);
    free(copy);
    return rc;
}

int storage_each_file(struct storage *st, storage_file_cb cb, void *data, struct vt_err *err)
{
    struct each_ctx c = {cb, data};
    int rc = 0;

    if (st->reader)
        return xap_each_value(st->reader, STORAGE_SLOT_STATE, each_value_cb, &c, err);
    for (unsigned k = 0; k < st->nshards && rc == 0; k++)
        rc = xap_each_value(st->shard[k], STORAGE_SLOT_STATE, each_value_cb, &c, err);
    return rc;
}

static int split_data(struct buf *raw, json_t **record, struct buf *text, struct vt_err *err)
{
    size_t jlen = strnlen(buf_str(raw), raw->len);
    json_error_t je;
    int rc = 0;

    *record = json_loadb(buf_str(raw), jlen, 0, &je);
    if (*record == NULL)
        return vt_err_set(err, VT_ECORRUPT, "bad record in index: %s", je.text);
    if (text != NULL && jlen < raw->len)
        rc = buf_add(text, raw->ptr + jlen + 1, raw->len - jlen - 1);
    if (rc < 0) {
        json_decref(*record);
        *record = NULL;
        return vt_err_set(err, rc, "document text too large");
    }
    return 0;
}

int storage_get(struct storage *st, const char *id, json_t **record, struct buf *text,
                struct vt_err *err)
{
    char term[STORAGE_ID_LEN + 2];
    struct buf raw;
    long rc;

    *record = NULL;
    if (strlen(id) != STORAGE_ID_LEN || strspn(id, "0123456789abcdef") != STORAGE_ID_LEN)
        return vt_err_set(err, VT_ENOTFOUND, "no document '%s'", id);
    snprintf(term, sizeof(term), "Q%s", id);
    buf_init(&raw, BUF_NOLIMIT);
    rc = xap_find(st->reader ? st->reader : st->shard[shard_of_id(st, id)], term, &raw, err);
    if (rc >= 0)
        rc = split_data(&raw, record, text, err);
    buf_release(&raw);
    return (int)(rc < 0 ? rc : 0);
}

int storage_get_docid(struct storage *st, unsigned docid, json_t **record, struct buf *text,
                      struct vt_err *err)
{
    struct buf raw;
    int rc;

    *record = NULL;
    buf_init(&raw, BUF_NOLIMIT);
    if (st->reader)
        rc = xap_get_data(st->reader, docid, &raw, err);
    else
        rc = xap_get_data(st->shard[(docid - 1) % st->nshards], (docid - 1) / st->nshards + 1,
                          &raw, err);
    if (rc == 0)
        rc = split_data(&raw, record, text, err);
    buf_release(&raw);
    return rc;
}

int storage_run(struct storage *st, const struct xap_query *q, const struct xap_search *s,
                xap_hit_cb hit_cb, xap_facet_cb facet_cb, void *data, unsigned *total,
                struct vt_err *err)
{
    if (st->reader == NULL)
        return vt_err_set(err, VT_EINTERNAL, "search needs an index opened for reading");
    return xap_run(st->reader, q, s, hit_cb, facet_cb, data, total, err);
}

/* Suggestions come from the index's own dictionary of folded words rather
 * than Xapian's spelling table: filling that table doubled the CPU time of
 * indexing (bench/RESULTS.md), while this scan runs only for words that
 * matched nothing, over the words that share their first letter.
 *
 * Cost: a pass over one letter of a 50,000-document archive's dictionary
 * reads a few thousand words (one to two milliseconds), and a large
 * archive's letters hold many more, so the scan goes in two stages, each
 * pass checking the caller's limits (struct storage_suggest_limits):
 *   1. the words sharing the first two letters (most typing errors come
 *      after them: "bihn" -> "binh"), a pass of a few hundred words;
 *   2. the words sharing the first letter, which may find a closer one;
 *      the words that share a first letter share the pass.
 * A pass cut short counts for nothing (its best so far is alphabetically
 * biased), so a word keeps what the complete passes found. */
struct suggest {
    struct storage_suggestion *s;
    size_t *idx; /* the words of this pass */
    size_t n;
    unsigned seen, max_terms;
    const struct storage_suggest_limits *lim;
    int cut;
};

static double clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int past_limits(const struct storage_suggest_limits *lim)
{
    return (lim->cpu_ms > 0 && clock_ms(CLOCK_THREAD_CPUTIME_ID) > lim->cpu_ms) ||
           (lim->wall_ms > 0 && clock_ms(CLOCK_MONOTONIC) > lim->wall_ms);
}

/* Edit distance of (a, n) and (b, m) in bytes, counting a swap of two
 * neighbouring letters as one edit ("dihn" -> "dinh"), or max + 1 when it
 * exceeds max. */
static int edit_distance(const char *a, size_t n, const char *b, size_t m, int max)
{
    int d[3][64], best;

    if (n >= 63 || m >= 63 || (n > m ? n - m : m - n) > (size_t)max)
        return max + 1;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int *cur = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];
        cur[0] = (int)i;
        best = cur[0];
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = up[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (up[j - 1] + cost < v)
                v = up[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && up2[j - 2] + 1 < v)
                v = up2[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
    }
    return d[n % 3][m];
}

static int suggest_cb(void *data, const char *term, size_t len, unsigned freq)
{
    struct suggest *sg = data;

    if (++sg->seen > sg->max_terms || (sg->seen % 64 == 0 && past_limits(sg->lim))) {
        sg->cut = 1;
        return 1;
    }
    if (len > STORAGE_MAX_TERM)
        return 0;
    for (size_t k = 0; k < sg->n; k++) {
        struct storage_suggestion *w = &sg->s[sg->idx[k]];
        int max = w->_len <= 4 ? 1 : 2;
        int d = edit_distance(w->word, w->_len, term, len, max);
        if (d == 0 || d > max)
            continue;
        if (d < w->_cdist || (d == w->_cdist && freq > w->_cfreq)) {
            w->_cdist = d;
            w->_cfreq = freq;
            memcpy(w->_cand, term, len);
            w->_cand[len] = '\0';
        }
    }
    return 0;
}

/* One pass over the dictionary words starting with prefix, for the words
 * of s not yet done whose first plen bytes are prefix (marked done).
 * 1 if the pass completed, 0 if it was cut short, or a negative code. */
static int suggest_pass(struct storage *st, struct suggest *sg, const char *prefix, size_t plen,
                        size_t from, size_t n, struct vt_err *err)
{
    struct storage_suggestion *s = sg->s;
    int rc;

    sg->n = 0;
    for (size_t k = from; k < n; k++)
        if (!s[k]._done && s[k]._len > plen && memcmp(s[k].word, prefix, plen) == 0) {
            s[k]._done = 1;
            s[k]._cdist = 99;
            s[k]._cfreq = 0;
            sg->idx[sg->n++] = k;
        }
    sg->seen = 0;
    sg->cut = 0;
    if ((rc = xap_each_term(st->reader, prefix, suggest_cb, sg, err)) < 0)
        return rc;
    if (sg->cut)
        return 0;
    for (size_t k = 0; k < sg->n; k++) {
        struct storage_suggestion *w = &s[sg->idx[k]];
        if (w->_cdist < w->_dist || (w->_cdist == w->_dist && w->_cfreq > w->_freq)) {
            w->_dist = w->_cdist;
            w->_freq = w->_cfreq;
            memcpy(w->best, w->_cand, strlen(w->_cand) + 1);
        }
    }
    return 1;
}

int storage_suggest(struct storage *st, struct storage_suggestion *s, size_t n,
                    const struct storage_suggest_limits *lim, struct vt_err *err)
{
    struct suggest sg = {0};
    int rc = 1, found = 0;

    if (st->reader == NULL)
        return vt_err_set(err, VT_EINTERNAL, "suggestions need an index opened for reading");
    for (size_t i = 0; i < n; i++) {
        s[i].best[0] = '\0';
        s[i]._len = strlen(s[i].word);
        s[i]._dist = 99;
        s[i]._freq = 0;
        s[i]._skip = s[i]._len < 3 || s[i]._len > 40 || s[i].word[0] < 'a' || s[i].word[0] > 'z';
    }
    sg.s = s;
    sg.idx = xmalloc((n ? n : 1) * sizeof(*sg.idx));
    sg.max_terms = lim->max_terms ? lim->max_terms : ~0u;
    sg.lim = lim;
    /* Stage 1 by two-letter prefix (ASCII second byte: folded words are
     * ASCII but for letters outside Vietnamese), stage 2 by first letter. */
    for (size_t plen = 2; plen >= 1 && rc > 0; plen--) {
        /* A word one edit away from its best needs no wider pass. */
        for (size_t i = 0; i < n; i++)
            s[i]._done = s[i]._skip || s[i]._dist <= 1 ||
                         (plen == 2 && (unsigned char)s[i].word[1] >= 0x80);
        for (size_t i = 0; i < n && rc > 0; i++) {
            char prefix[3];
            if (s[i]._done)
                continue;
            if (past_limits(lim)) {
                rc = 0;
                break;
            }
            memcpy(prefix, s[i].word, plen);
            prefix[plen] = '\0';
            rc = suggest_pass(st, &sg, prefix, plen, i, n, err);
        }
    }
    free(sg.idx);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        found += s[i].best[0] != '\0';
    return found;
}

long storage_termfreq(struct storage *st, const char *term, struct vt_err *err)
{
    long total = 0, n;

    if (st->reader)
        return xap_termfreq(st->reader, term, err);
    for (unsigned k = 0; k < st->nshards; k++) {
        if ((n = xap_termfreq(st->shard[k], term, err)) < 0)
            return n;
        total += n;
    }
    return total;
}

int storage_find_sha256(struct storage *st, const char *sha256, json_t **record,
                        struct buf *text, struct vt_err *err)
{
    char term[2 + SHA256_HEX_LEN + 1];
    struct buf raw;
    long rc = VT_ENOTFOUND;

    *record = NULL;
    if (strlen(sha256) != SHA256_HEX_LEN || strspn(sha256, "0123456789abcdef") != SHA256_HEX_LEN)
        return vt_err_set(err, VT_ENOTFOUND, "no document with sha256 '%s'", sha256);
    snprintf(term, sizeof(term), "XH%s", sha256);
    buf_init(&raw, BUF_NOLIMIT);
    if (st->reader) {
        rc = xap_find(st->reader, term, &raw, err);
    } else {
        for (unsigned k = 0; k < st->nshards && rc == VT_ENOTFOUND; k++)
            rc = xap_find(st->shard[k], term, &raw, err);
    }
    if (rc >= 0)
        rc = split_data(&raw, record, text, err);
    else if (rc == VT_ENOTFOUND)
        vt_err_set(err, VT_ENOTFOUND, "no document with sha256 '%s'", sha256);
    buf_release(&raw);
    return (int)(rc < 0 ? rc : 0);
}
