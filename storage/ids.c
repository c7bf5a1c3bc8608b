/* Stable ids (see storage.h, storage_id_for) and the migration of an index
 * whose ids hashed the absolute path, the scheme before this one.
 *
 * Exports, the audit trail and federation all key on ids, so an id must
 * not change when the archive folder is moved or remounted: it hashes the
 * archive folder's name and the path inside it.  An index written before
 * is re-keyed once, the first time a writer opens it, from the root and
 * path its records hold; its text, OCR results and fixity stay as they
 * are, nothing is extracted again.  The scheme in use is the index's
 * metadata key ID_SCHEME_KEY, set in every shard when the index is new or
 * re-keyed. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "storage/internal.h"
#include "storage/xap.h"

#define ID_SCHEME_KEY "vanthu:id-scheme"
#define ID_SCHEME "archive-relative-1"

void storage_id_of(const char *key, char id[STORAGE_ID_LEN + 1])
{
    char hex[SHA256_HEX_LEN + 1];

    sha256_hex_of(key, strlen(key), hex);
    memcpy(id, hex, STORAGE_ID_LEN);
    id[STORAGE_ID_LEN] = '\0';
}

const char *storage_archive_name(const char *root)
{
    const char *slash = strrchr(root, '/');

    return slash ? slash + 1 : root;
}

void storage_id_for(const char *root, const char *path, char id[STORAGE_ID_LEN + 1])
{
    size_t n = strlen(root);
    const char *rel = path;
    char *key;

    /* "/" as the root gives "" as its name and the whole path as rel. */
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (strncmp(path, root, n) == 0 && path[n] == '/')
        rel = path + n + 1;
    key = xasprintf("%s/%s", storage_archive_name(root), rel);
    storage_id_of(key, id);
    free(key);
}

/* The raw bytes of the record's path: path_hex decoded when the display
 * path is lossy.  New string, or NULL when the record names no path. */
static char *raw_path(json_t *rec)
{
    const char *hex = json_string_value(json_object_get(rec, "path_hex"));
    const char *path = json_string_value(json_object_get(rec, "path"));
    size_t n;
    char *out;

    if (hex == NULL || *hex == '\0')
        return path ? xstrdup(path) : NULL;
    n = strlen(hex) / 2;
    out = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(out);
            return path ? xstrdup(path) : NULL;
        }
        out[i] = (char)v;
    }
    out[n] = '\0';
    return out;
}

struct rekey {
    struct storage *st;
    unsigned shard;
    unsigned *docids;
    size_t n, cap;
};

static int collect_cb(void *data, unsigned docid)
{
    struct rekey *r = data;

    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->docids = xrealloc(r->docids, r->cap * sizeof(*r->docids));
    }
    r->docids[r->n++] = docid;
    return 0;
}

/* Re-key one document of shard r->shard: 1 if it moved to a new id, 0 if
 * it keeps its id (or its record names no root), < 0 on error. */
static int rekey_one(struct rekey *r, unsigned docid, struct vt_err *err)
{
    struct storage *st = r->st;
    struct buf data;
    json_t *rec = NULL;
    const char *old, *root;
    char *path = NULL, *at;
    char id[STORAGE_ID_LEN + 1], oldterm[STORAGE_ID_LEN + 2], newterm[STORAGE_ID_LEN + 2];
    size_t jlen;
    int rc;

    buf_init(&data, BUF_NOLIMIT);
    if ((rc = xap_get_data(st->shard[r->shard], docid, &data, err)) < 0)
        goto out;
    jlen = strnlen(data.ptr ? data.ptr : "", data.len);
    rec = json_loadb(data.ptr ? data.ptr : "", jlen, 0, NULL);
    old = json_string_value(json_object_get(rec, "id"));
    root = json_string_value(json_object_get(rec, "root"));
    if (old == NULL || strlen(old) != STORAGE_ID_LEN || root == NULL ||
        (path = raw_path(rec)) == NULL)
        goto out; /* rc 0: nothing to re-key it by */
    storage_id_for(root, path, id);
    if (strcmp(id, old) == 0)
        goto out;
    /* The record's own "id" value, rewritten in place: the data stays
     * byte for byte what the schema wrote, but for those 32 digits. */
    at = strstr(data.ptr, "\"id\":\"");
    if (at == NULL || (size_t)(at - data.ptr) + 6 + STORAGE_ID_LEN > jlen ||
        memcmp(at + 6, old, STORAGE_ID_LEN) != 0) {
        rc = vt_err_set(err, VT_ECORRUPT, "a record's id is not where the schema writes it");
        goto out;
    }
    memcpy(at + 6, id, STORAGE_ID_LEN);
    snprintf(oldterm, sizeof(oldterm), "Q%s", old);
    snprintf(newterm, sizeof(newterm), "Q%s", id);
    rc = xap_rekey(st->shard[r->shard], docid, st->shard[storage_id_shard(st, id)], oldterm,
                   newterm, data.ptr, data.len, err);
    if (rc == 0)
        rc = 1;
out:
    free(path);
    json_decref(rec);
    buf_release(&data);
    return rc;
}

static int set_scheme(struct storage *st, struct vt_err *err)
{
    int rc = 0;

    for (unsigned k = 0; k < st->nshards && rc == 0; k++)
        rc = xap_set_metadata(st->shard[k], ID_SCHEME_KEY, ID_SCHEME, err);
    return rc;
}

/* Long: one pass over every shard with its progress log and the commits
 * that make it safe to interrupt; each document's work is rekey_one(). */
int storage__migrate_ids(struct storage *st, struct vt_err *err)
{
    struct buf scheme;
    size_t moved = 0, seen = 0, total = 0;
    long n;
    int rc;

    buf_init(&scheme, 256);
    rc = xap_get_metadata(st->shard[0], ID_SCHEME_KEY, &scheme, err);
    if (rc < 0 || (scheme.len == strlen(ID_SCHEME) && memcmp(scheme.ptr, ID_SCHEME, scheme.len) == 0)) {
        buf_release(&scheme);
        return rc;
    }
    buf_release(&scheme);
    for (unsigned k = 0; k < st->nshards; k++) {
        if ((n = xap_doccount(st->shard[k], err)) < 0)
            return (int)n;
        total += (size_t)n;
    }
    if (total > 0)
        log_info("index '%s': giving %zu documents ids that survive a move of the archive "
                 "folder (their text is kept)", st->dir, total);
    for (unsigned k = 0; k < st->nshards; k++) {
        struct rekey r = {st, k, NULL, 0, 0};
        /* Collected first: re-keying adds to and deletes from the shards. */
        rc = xap_each_docid(st->shard[k], collect_cb, &r, err);
        for (size_t i = 0; i < r.n && rc >= 0; i++) {
            rc = rekey_one(&r, r.docids[i], err);
            if (rc > 0)
                moved++;
            if (++seen % 10000 == 0)
                log_info("index '%s': %zu of %zu documents looked at, %zu re-keyed", st->dir, seen,
                         total, moved);
        }
        free(r.docids);
        if (rc < 0)
            return rc;
    }
    /* The documents first, then the scheme: an interruption before the
     * second commit runs the (idempotent) migration again. */
    if ((rc = storage_commit(st, err)) < 0 || (rc = set_scheme(st, err)) < 0 ||
        (rc = storage_commit(st, err)) < 0)
        return rc;
    if (total > 0)
        log_info("index '%s': %zu of %zu documents re-keyed", st->dir, moved, total);
    return 0;
}
