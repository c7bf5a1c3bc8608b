/* A hash map from path strings to caller structs that embed a
 * struct vt_map_node (intrusive, chained, grows by doubling).  Used by the
 * watcher and the service for their per-path state.
 *
 * Ownership: the map owns only its bucket array; nodes and their keys are
 * the caller's (key must stay valid while the node is in the map).
 * Threads: one at a time. */
#ifndef VT_COMMON_MAP_H
#define VT_COMMON_MAP_H

#include <stddef.h>

struct vt_map_node {
    const char *key;
    size_t hash;
    struct vt_map_node *next;
};

struct vt_map {
    struct vt_map_node **b;
    size_t nb, n;
};

void vt_map_init(struct vt_map *m);
/* Frees the buckets only; the nodes are the caller's. */
void vt_map_release(struct vt_map *m);
struct vt_map_node *vt_map_get(const struct vt_map *m, const char *key);
/* Add node (whose key is not in the map yet). */
void vt_map_put(struct vt_map *m, struct vt_map_node *node, const char *key);
void vt_map_del(struct vt_map *m, struct vt_map_node *node);
/* Iteration: *i starts at 0; returns NULL at the end.  The current node may
 * be deleted during the walk. */
struct vt_map_node *vt_map_next(const struct vt_map *m, size_t *bucket,
                                  struct vt_map_node **cursor);

#define vt_map_entry(node, type, member) \
    ((type *)(void *)((char *)(node) - offsetof(type, member)))

#endif
