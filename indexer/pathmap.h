/* A hash map from path strings to caller structs that embed a
 * struct pathmap_node (intrusive, chained, grows by doubling).  Used by the
 * watcher and the service for their per-path state.
 *
 * Ownership: the map owns only its bucket array; nodes and their keys are
 * the caller's (key must stay valid while the node is in the map).
 * Threads: one at a time. */
#ifndef VT_INDEXER_PATHMAP_H
#define VT_INDEXER_PATHMAP_H

#include <stddef.h>

struct pathmap_node {
    const char *key;
    size_t hash;
    struct pathmap_node *next;
};

struct pathmap {
    struct pathmap_node **b;
    size_t nb, n;
};

void pathmap_init(struct pathmap *m);
/* Frees the buckets only; the nodes are the caller's. */
void pathmap_release(struct pathmap *m);
struct pathmap_node *pathmap_get(const struct pathmap *m, const char *key);
/* Add node (whose key is not in the map yet). */
void pathmap_put(struct pathmap *m, struct pathmap_node *node, const char *key);
void pathmap_del(struct pathmap *m, struct pathmap_node *node);
/* Iteration: *i starts at 0; returns NULL at the end.  The current node may
 * be deleted during the walk. */
struct pathmap_node *pathmap_next(const struct pathmap *m, size_t *bucket,
                                  struct pathmap_node **cursor);

#define pathmap_entry(node, type, member) \
    ((type *)(void *)((char *)(node) - offsetof(type, member)))

#endif
