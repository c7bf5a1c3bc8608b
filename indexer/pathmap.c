/* Chained hash map of paths (see pathmap.h); FNV-1a. */
#include "config.h"

#include "indexer/pathmap.h"

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

void pathmap_init(struct pathmap *m)
{
    memset(m, 0, sizeof(*m));
}

void pathmap_release(struct pathmap *m)
{
    free(m->b);
    memset(m, 0, sizeof(*m));
}

struct pathmap_node *pathmap_get(const struct pathmap *m, const char *key)
{
    size_t h;

    if (m->nb == 0)
        return NULL;
    h = hash_str(key);
    for (struct pathmap_node *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

void pathmap_put(struct pathmap *m, struct pathmap_node *node, const char *key)
{
    if (m->n + 1 > m->nb) {
        size_t nb = m->nb ? m->nb * 2 : 256;
        struct pathmap_node **b = xcalloc(nb, sizeof(*b));
        for (size_t i = 0; i < m->nb; i++)
            for (struct pathmap_node *e = m->b[i], *next; e; e = next) {
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

void pathmap_del(struct pathmap *m, struct pathmap_node *node)
{
    struct pathmap_node **pp = &m->b[node->hash & (m->nb - 1)];

    while (*pp && *pp != node)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = node->next;
        m->n--;
    }
}

struct pathmap_node *pathmap_next(const struct pathmap *m, size_t *bucket,
                                  struct pathmap_node **cursor)
{
    struct pathmap_node *e = *cursor;

    while (e == NULL) {
        if (*bucket >= m->nb)
            return NULL;
        e = m->b[(*bucket)++];
    }
    *cursor = e->next;
    return e;
}
