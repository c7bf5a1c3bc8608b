/* Chained hash map of paths (see map.h); FNV-1a. */
#include "config.h"

#include "common/map.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

void vt_map_init(struct vt_map *m)
{
    memset(m, 0, sizeof(*m));
}

void vt_map_release(struct vt_map *m)
{
    free(m->b);
    memset(m, 0, sizeof(*m));
}

struct vt_map_node *vt_map_get(const struct vt_map *m, const char *key)
{
    size_t h;

    if (m->nb == 0)
        return NULL;
    h = hash_str(key);
    for (struct vt_map_node *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

void vt_map_put(struct vt_map *m, struct vt_map_node *node, const char *key)
{
    if (m->n + 1 > m->nb) {
        size_t nb = m->nb ? m->nb * 2 : 256;
        struct vt_map_node **b = xcalloc(nb, sizeof(*b));
        for (size_t i = 0; i < m->nb; i++)
            for (struct vt_map_node *e = m->b[i], *next; e; e = next) {
                next = e->next;
                e->next = b[e->hash & (nb - 1)];
                b[e->hash & (nb - 1)] = e;
            }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    node->key = key;
    node->hash = hash_str(key);
    node->next = m->b[node->hash & (m->nb - 1)];
    m->b[node->hash & (m->nb - 1)] = node;
    m->n++;
}

void vt_map_del(struct vt_map *m, struct vt_map_node *node)
{
    struct vt_map_node **pp = &m->b[node->hash & (m->nb - 1)];

    while (*pp && *pp != node)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = node->next;
        m->n--;
    }
}

struct vt_map_node *vt_map_next(const struct vt_map *m, size_t *bucket,
                                  struct vt_map_node **cursor)
{
    struct vt_map_node *e = *cursor;

    while (e == NULL) {
        if (*bucket >= m->nb)
            return NULL;
        e = m->b[(*bucket)++];
    }
    *cursor = e->next;
    return e;
}
