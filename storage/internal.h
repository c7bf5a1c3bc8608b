/* What the files of storage/ share and nobody else sees: the handle's
 * layout and the read-retry policy.  Only the C files of storage/ include
 * this. */
#ifndef VT_STORAGE_INTERNAL_H
#define VT_STORAGE_INTERNAL_H

#include "storage/storage.h"

/* The shim's handles (storage/xap.h, which only the C files include). */
struct xap_db;
struct xap_query;

/* How many times a read reopens the index and tries again after Xapian
 * said the commit it was reading had been overwritten. */
#define STORAGE_READ_RETRIES 3

struct storage {
    char *dir;
    int writable;
    unsigned nshards;
    struct xap_db *shard[STORAGE_MAX_SHARDS]; /* writers: one per shard */
    struct xap_db *reader;                    /* readers: all shards as one */
};

/* A storage_query is the shim's query under a name query/ may see. */
static inline struct xap_query *storage__xq(const struct storage_query *q)
{
    return (struct xap_query *)q;
}

/* After a read that returned rc: 1 if it should run again, the reader
 * reopened (rc was VT_EAGAIN, tries left; *tries counts them), else 0.
 * Loop as
 *     int tries = 0;
 *     do rc = read(...); while (storage__again(st, rc, &tries, err));
 * Only readers retry: a writer's own handle is never overwritten. */
int storage__again(struct storage *st, long rc, int *tries, struct vt_err *err);
/* Re-key an index of earlier ids (ids.c); called by storage_open() for a
 * writer, before anything else uses the handle. */
int storage__migrate_ids(struct storage *st, struct vt_err *err);

/* The handle that holds the document with this id: the reader, or the
 * id's shard of a writer. */
struct xap_db *storage__db_of_id(struct storage *st, const char *id);

#endif
