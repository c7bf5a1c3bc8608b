/* The index handle: opening, shards, commits, compaction, and reading
 * documents back (see storage.h).  Every read goes through
 * storage__again(): a reader that Xapian finds overwritten is reopened and
 * the read run again, so no caller needs its own retry loop.  Documents
 * are built in doc.c, queries in query.c, suggestions in suggest.c; the
 * schema they share is schema.c's. */
#include "config.h"

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
#include "storage/internal.h"
#include "storage/schema.h"
#include "storage/xap.h"

#define SHARD_FMT "%s/shard-%u"
#define STORAGE_LOCK_WAIT_MS 10000
#define STORAGE_LOCK_POLL_MS 100

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
    if (rc == 0 && writable)
        rc = storage__migrate_ids(st, err);
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

struct xap_db *storage__db_of_id(struct storage *st, const char *id)
{
    return st->reader ? st->reader : st->shard[shard_of_id(st, id)];
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

int storage__again(struct storage *st, long rc, int *tries, struct vt_err *err)
{
    struct vt_err rerr;

    if (rc != VT_EAGAIN || st->reader == NULL || *tries >= STORAGE_READ_RETRIES)
        return 0;
    ++*tries;
    log_debug("index '%s' changed while it was read: reopening it (retry %d of %d)", st->dir,
              *tries, STORAGE_READ_RETRIES);
    if (xap_reopen(st->reader, &rerr) < 0) {
        log_debug("index '%s': cannot reopen: %s", st->dir, rerr.msg);
        return 0;
    }
    vt_err_clear(err);
    return 1;
}

long storage_count(struct storage *st, struct vt_err *err)
{
    long total = 0, n;
    int tries = 0;

    if (st->reader) {
        do
            n = xap_doccount(st->reader, err);
        while (storage__again(st, n, &tries, err));
        return n;
    }
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

/* Bytes of the regular files under dir, down to three folders deep (an
 * index is its folder, its shard folders and their files). */
static long long dir_bytes(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long long total = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        char *p;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        p = xasprintf("%s/%s", dir, e->d_name);
        if (lstat(p, &sb) == 0) {
            if (S_ISREG(sb.st_mode))
                total += (long long)sb.st_size;
            else if (S_ISDIR(sb.st_mode) && depth < 3)
                total += dir_bytes(p, depth + 1);
        }
        free(p);
    }
    closedir(d);
    return total;
}

long long storage_index_bytes(const struct storage *st)
{
    return dir_bytes(st->dir, 0);
}

int storage_delete(struct storage *st, const char *id, struct vt_err *err)
{
    char term[STORAGE_ID_LEN + 2];

    if (!st->writable)
        return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
    snprintf(term, sizeof(term), SCHEMA_P_ID "%s", id);
    return xap_delete(st->shard[shard_of_id(st, id)], term, err);
}

/* ---- change detection ----------------------------------------------------- */

struct each_ctx {
    storage_file_cb cb;
    void *data;
    unsigned last; /* the last docid given to cb: a retried walk skips to it */
};

/* Parse "size\tmtime_ns\tsha256\tstatus\tpath". */
static int each_value_cb(void *data, unsigned docid, const char *v, size_t len)
{
    struct each_ctx *c = data;
    struct storage_file f;
    char *copy, *fields[5], *p;
    int i, rc;

    if (docid <= c->last)
        return 0;
    c->last = docid;
    p = copy = xstrndup(v, len);
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

/* The value stream comes in docid order, so a walk run again after a
 * reopen resumes after the last file it gave. */
int storage_each_file(struct storage *st, storage_file_cb cb, void *data, struct vt_err *err)
{
    struct each_ctx c = {cb, data, 0};
    int rc = 0, tries = 0;

    if (st->reader) {
        do
            rc = xap_each_value(st->reader, SCHEMA_SLOT_STATE, each_value_cb, &c, err);
        while (storage__again(st, rc, &tries, err));
        return rc;
    }
    for (unsigned k = 0; k < st->nshards && rc == 0; k++) {
        c.last = 0;
        rc = xap_each_value(st->shard[k], SCHEMA_SLOT_STATE, each_value_cb, &c, err);
    }
    return rc;
}

/* ---- reading documents ---------------------------------------------------- */

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

/* The data of the document holding term, from db, retried: its docid
 * (> 0) or a negative code. */
static long find_data(struct storage *st, struct xap_db *db, const char *term, struct buf *raw,
                      struct vt_err *err)
{
    int tries = 0;
    long rc;

    do {
        buf_reset(raw);
        rc = xap_find(db, term, raw, err);
    } while (storage__again(st, rc, &tries, err));
    return rc;
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
    snprintf(term, sizeof(term), SCHEMA_P_ID "%s", id);
    buf_init(&raw, BUF_NOLIMIT);
    rc = find_data(st, storage__db_of_id(st, id), term, &raw, err);
    if (rc >= 0)
        rc = split_data(&raw, record, text, err);
    buf_release(&raw);
    return (int)(rc < 0 ? rc : 0);
}

int storage_get_docid(struct storage *st, unsigned docid, json_t **record, struct buf *text,
                      struct vt_err *err)
{
    struct buf raw;
    int rc, tries = 0;

    *record = NULL;
    buf_init(&raw, BUF_NOLIMIT);
    do {
        buf_reset(&raw);
        if (st->reader)
            rc = xap_get_data(st->reader, docid, &raw, err);
        else
            rc = xap_get_data(st->shard[(docid - 1) % st->nshards],
                              (docid - 1) / st->nshards + 1, &raw, err);
    } while (storage__again(st, rc, &tries, err));
    if (rc == 0)
        rc = split_data(&raw, record, text, err);
    buf_release(&raw);
    return rc;
}

/* The typed view of a record read (json: taken) when rc is 0; rc. */
static int typed(int rc, json_t *json, struct storage_record *rec)
{
    if (rc == 0)
        schema_record_read(json, rec);
    json_decref(json);
    return rc;
}

int storage_get_record(struct storage *st, const char *id, struct storage_record *rec,
                       struct buf *text, struct vt_err *err)
{
    json_t *json = NULL;
    int rc;

    storage_record_init(rec);
    rc = storage_get(st, id, &json, text, err);
    return typed(rc, json, rec);
}

int storage_get_record_docid(struct storage *st, unsigned docid, struct storage_record *rec,
                             struct buf *text, struct vt_err *err)
{
    json_t *json = NULL;
    int rc;

    storage_record_init(rec);
    rc = storage_get_docid(st, docid, &json, text, err);
    return typed(rc, json, rec);
}

int storage_find_sha256(struct storage *st, const char *sha256, json_t **record,
                        struct buf *text, struct vt_err *err)
{
    struct buf term, raw;
    long rc = VT_ENOTFOUND;

    *record = NULL;
    if (strlen(sha256) != SHA256_HEX_LEN || strspn(sha256, "0123456789abcdef") != SHA256_HEX_LEN)
        return vt_err_set(err, VT_ENOTFOUND, "no document with sha256 '%s'", sha256);
    buf_init(&term, 256);
    buf_init(&raw, BUF_NOLIMIT);
    if (schema_filter_term(STORAGE_FIELD_SHA256, sha256, &term) == 1) {
        if (st->reader)
            rc = find_data(st, st->reader, term.ptr, &raw, err);
        for (unsigned k = 0; !st->reader && k < st->nshards && rc == VT_ENOTFOUND; k++)
            rc = find_data(st, st->shard[k], term.ptr, &raw, err);
    }
    if (rc >= 0)
        rc = split_data(&raw, record, text, err);
    else if (rc == VT_ENOTFOUND)
        vt_err_set(err, VT_ENOTFOUND, "no document with sha256 '%s'", sha256);
    buf_release(&term);
    buf_release(&raw);
    return (int)(rc < 0 ? rc : 0);
}

int storage_find_sha256_record(struct storage *st, const char *sha256,
                               struct storage_record *rec, struct buf *text, struct vt_err *err)
{
    json_t *json = NULL;
    int rc;

    storage_record_init(rec);
    rc = storage_find_sha256(st, sha256, &json, text, err);
    return typed(rc, json, rec);
}

/* ---- counts ----------------------------------------------------------------- */

long storage_termfreq(struct storage *st, const char *term, struct vt_err *err)
{
    long total = 0, n;
    int tries = 0;

    if (st->reader) {
        do
            n = xap_termfreq(st->reader, term, err);
        while (storage__again(st, n, &tries, err));
        return n;
    }
    for (unsigned k = 0; k < st->nshards; k++) {
        if ((n = xap_termfreq(st->shard[k], term, err)) < 0)
            return n;
        total += n;
    }
    return total;
}

long storage_count_field(struct storage *st, enum storage_field f, const char *value,
                         struct vt_err *err)
{
    struct buf term;
    long rc;

    if ((unsigned)f >= STORAGE_NFIELDS)
        return vt_err_set(err, VT_EINTERNAL, "no field %d", (int)f);
    buf_init(&term, 1024);
    rc = schema_filter_term(f, value, &term);
    if (rc > 0)
        rc = storage_termfreq(st, term.ptr, err);
    else if (rc < 0)
        vt_err_set(err, (int)rc, "cannot make the term of '%s'", value);
    buf_release(&term);
    return rc;
}

long storage_count_status(struct storage *st, const char *status, struct vt_err *err)
{
    return storage_count_field(st, STORAGE_FIELD_STATUS, status, err);
}

long storage_word_freq(struct storage *st, const char *folded, struct vt_err *err)
{
    /* Folded words are the terms without a prefix (schema.h). */
    return storage_termfreq(st, folded, err);
}
