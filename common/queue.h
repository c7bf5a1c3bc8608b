/* An intrusive FIFO: a circular doubly-linked list whose links live in the
 * queued structs (struct vt_queue member), after libuv's queue.h.  One
 * shape for every waiting list in the tree, so that none hand-writes its
 * own head/tail bookkeeping.  Removing an element from the middle is O(1),
 * which the head/tail singly-linked lists it replaces could not do.
 *
 * A queue head and each element's link are both struct vt_queue; a head
 * must be vt_queue_init()ed, a link need not be until it is inserted.
 * vt_queue_remove() reinitialises the link, so vt_queue_linked() tells
 * whether an element is in a queue (when its link was initialised once).
 *
 * Ownership: the queue owns nothing; elements are the caller's.
 * Threads: one at a time (callers hold their own lock). */
#ifndef VT_COMMON_QUEUE_H
#define VT_COMMON_QUEUE_H

#include <stddef.h>

struct vt_queue {
    struct vt_queue *next;
    struct vt_queue *prev;
};

#define vt_queue_entry(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void vt_queue_init(struct vt_queue *q)
{
    q->next = q;
    q->prev = q;
}

static inline int vt_queue_empty(const struct vt_queue *q)
{
    return q->next == q;
}

/* Whether the link e (initialised once) is in a queue. */
static inline int vt_queue_linked(const struct vt_queue *e)
{
    return e->next != e;
}

static inline void vt_queue_push(struct vt_queue *q, struct vt_queue *e)
{
    e->next = q;
    e->prev = q->prev;
    q->prev->next = e;
    q->prev = e;
}

static inline void vt_queue_push_front(struct vt_queue *q, struct vt_queue *e)
{
    e->prev = q;
    e->next = q->next;
    q->next->prev = e;
    q->next = e;
}

static inline void vt_queue_remove(struct vt_queue *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    vt_queue_init(e);
}

/* The first element's link, or NULL when q is empty. */
static inline struct vt_queue *vt_queue_head(const struct vt_queue *q)
{
    return vt_queue_empty(q) ? NULL : q->next;
}

/* Remove and return the first element's link, or NULL. */
static inline struct vt_queue *vt_queue_pop(struct vt_queue *q)
{
    struct vt_queue *e = vt_queue_head(q);

    if (e)
        vt_queue_remove(e);
    return e;
}

/* Move every element of from to the end of q, leaving from empty: a
 * consumer takes a whole list under its lock and walks it outside. */
static inline void vt_queue_move(struct vt_queue *from, struct vt_queue *q)
{
    if (vt_queue_empty(from))
        return;
    from->next->prev = q->prev;
    q->prev->next = from->next;
    from->prev->next = q;
    q->prev = from->prev;
    vt_queue_init(from);
}

/* Iterate; e may not be removed during the walk (pop instead). */
#define vt_queue_foreach(e, q) for ((e) = (q)->next; (e) != (q); (e) = (e)->next)

#endif
