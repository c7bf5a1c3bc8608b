/* The archive watcher (see watch.h).
 *
 * Design.  On the loop: a map of watched folders (one uv_fs_event each), a
 * map of pending paths with a min-heap ordered by when each is next due
 * for a look, and at most WATCH_MAX_STATS asynchronous lstat calls for due
 * paths in flight (the libuv threadpool is shared with extraction, so the
 * watcher keeps its share small); a tick timer starts them, and each one
 * that ends starts the next due one, so that looks are not paced by the
 * tick.  A look decides:
 * gone (report, and close the watches of a vanished folder), a folder (watch
 * it, then scan it), a regular file that has settled (report ready), or one
 * that has not (look again when it could have).  An event on a pending path
 * pushes its next look settle_ms away: that is the debounce.
 *
 * The scan thread serves requests (a full reconcile, or one new folder)
 * one at a time in three phases: list the folders (own walk, no symlinks)
 * and hand them to the loop, which watches them; wait until the loop has
 * done so (a barrier item), so that any file created from then on makes an
 * event; then walk the files with scan_run() and hand them over.  A file
 * created in between is either listed by the walk or seen by its folder's
 * watch.  Hand-over is a bounded FIFO under a mutex, signalled with
 * uv_async_send; since sends coalesce, the async callback drains the FIFO,
 * stopping at a file item while the consumer is paused or the pending set
 * is half full, and the producer blocks while the FIFO is full. */
#include "config.h"

#include "indexer/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "common/map.h"
#include "common/queue.h"
#include "indexer/scan.h"

#define WATCH_MAX_STATS 2
#define HANDOFF_MAX 1024
#define DEFAULT_MAX_PENDING 20000

struct pend {
    struct vt_map_node node;
    char *path;
    uint64_t due;   /* loop time (ms) of the next look */
    size_t heap_i;  /* index in the heap, or NOT_IN_HEAP */
    long long obs_size, obs_mtime_ns;
    uint64_t obs_at; /* loop time of the observation */
    int has_obs;
    int statting;    /* an lstat is running */
    int dirty;       /* an event came while it ran */
};
#define NOT_IN_HEAP ((size_t)-1)

struct dwatch {
    struct vt_map_node node;
    uv_fs_event_t h;
    char *path;
    struct indexer_watch *w;
};

struct statreq {
    uv_fs_t req;
    struct pend *p;
    struct indexer_watch *w;
};

enum item_kind { ITEM_START, ITEM_DIR, ITEM_BARRIER, ITEM_FILE, ITEM_DONE };

struct item {
    enum item_kind kind;
    char *path;
    struct stat st;
    unsigned gen;
    int full, complete;
    struct vt_queue link;
};

struct scanreq {
    char *root; /* NULL: every root */
    unsigned gen;
    struct vt_queue link;
};

struct indexer_watch {
    uv_loop_t *loop;
    struct indexer_watch_cbs cbs;
    void *data;
    char **roots, **exclude, **ignore;
    size_t nroots, nexclude, nignore;
    unsigned settle_ms, reconcile_s, max_pending;
    int no_watch;

    struct vt_map pend_map;
    struct pend **heap;
    size_t heap_n, heap_cap;
    struct vt_map dirs;
    uv_timer_t tick, reconcile;
    uv_async_t async;
    int paused, stopping, overflowed, watch_failed;
    unsigned stats_inflight;
    unsigned closing;
    void (*done)(void *data);
    void *done_data;
    struct indexer_watch_stats st;

    /* Shared with the scan thread, under mu. */
    uv_thread_t thread;
    int thread_started;
    uv_mutex_t mu;
    uv_cond_t cond;  /* requests, barrier acks, stop */
    uv_cond_t space; /* room in the hand-over FIFO */
    struct vt_queue reqs;  /* struct scanreq */
    int full_queued;
    struct vt_queue items; /* struct item: the hand-over FIFO */
    size_t nitems;
    unsigned barrier_acked;
    int thread_stop;
    unsigned next_gen;
    unsigned thread_gen; /* the scan thread's current request (its own) */
};

static uint64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- ignore rules ------------------------------------------------------ */

static int under_any(const char *path, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (scan_under(path, v[i]))
            return 1;
    return 0;
}

int indexer_watch_ignored(const struct indexer_watch *w, const char *path)
{
    const char *rel = NULL, *p;
    char comp[NAME_MAX + 1];

    if (under_any(path, w->exclude, w->nexclude))
        return 1;
    for (size_t i = 0; i < w->nroots; i++)
        if (scan_under(path, w->roots[i])) {
            rel = path + strlen(w->roots[i]);
            break;
        }
    if (rel == NULL)
        return 1; /* outside the archive */
    for (p = rel; *p;) {
        size_t n;
        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n <= NAME_MAX) {
            memcpy(comp, p, n);
            comp[n] = '\0';
            for (size_t k = 0; k < w->nignore; k++)
                if (fnmatch(w->ignore[k], comp, 0) == 0)
                    return 1;
        }
        p += n;
    }
    return 0;
}

/* ---- the pending heap -------------------------------------------------- */

static void heap_swap(struct indexer_watch *w, size_t a, size_t b)
{
    struct pend *t = w->heap[a];

    w->heap[a] = w->heap[b];
    w->heap[b] = t;
    w->heap[a]->heap_i = a;
    w->heap[b]->heap_i = b;
}

static void heap_up(struct indexer_watch *w, size_t i)
{
    while (i > 0 && w->heap[(i - 1) / 2]->due > w->heap[i]->due) {
        heap_swap(w, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct indexer_watch *w, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->heap_n && w->heap[l]->due < w->heap[m]->due)
            m = l;
        if (r < w->heap_n && w->heap[r]->due < w->heap[m]->due)
            m = r;
        if (m == i)
            return;
        heap_swap(w, i, m);
        i = m;
    }
}

static void heap_push(struct indexer_watch *w, struct pend *p)
{
    if (w->heap_n == w->heap_cap) {
        w->heap_cap = w->heap_cap ? w->heap_cap * 2 : 256;
        w->heap = xrealloc(w->heap, w->heap_cap * sizeof(*w->heap));
    }
    p->heap_i = w->heap_n;
    w->heap[w->heap_n++] = p;
    heap_up(w, p->heap_i);
}

static void heap_remove(struct indexer_watch *w, struct pend *p)
{
    size_t i = p->heap_i;

    if (i == NOT_IN_HEAP)
        return;
    p->heap_i = NOT_IN_HEAP;
    if (i != --w->heap_n) {
        w->heap[i] = w->heap[w->heap_n];
        w->heap[i]->heap_i = i;
        heap_down(w, i);
        heap_up(w, i);
    }
}

static void heap_fix(struct indexer_watch *w, struct pend *p)
{
    heap_down(w, p->heap_i);
    heap_up(w, p->heap_i);
}

static void pend_free(struct indexer_watch *w, struct pend *p)
{
    heap_remove(w, p);
    vt_map_del(&w->pend_map, &p->node);
    free(p->path);
    free(p);
}

/* A new pending path, unless the set is full (then a rescan will find it). */
static struct pend *pend_new(struct indexer_watch *w, const char *path, uint64_t due)
{
    struct pend *p;

    if (w->pend_map.n >= w->max_pending) {
        if (!w->overflowed) {
            log_warn("more than %u paths waiting to settle; the rest will be found by a rescan",
                     w->max_pending);
            w->st.overflows++;
        }
        w->overflowed = 1;
        return NULL;
    }
    p = xcalloc(1, sizeof(*p));
    p->path = xstrdup(path);
    p->due = due;
    p->heap_i = NOT_IN_HEAP;
    vt_map_put(&w->pend_map, &p->node, p->path);
    heap_push(w, p);
    return p;
}

/* ---- folders ------------------------------------------------------------ */

static void maybe_finish(struct indexer_watch *w);

static void on_dwatch_close(uv_handle_t *h)
{
    struct dwatch *d = h->data;
    struct indexer_watch *w = d->w;

    free(d->path);
    free(d);
    w->closing--;
    maybe_finish(w);
}

static void dwatch_close(struct indexer_watch *w, struct dwatch *d)
{
    vt_map_del(&w->dirs, &d->node);
    w->closing++;
    uv_close((uv_handle_t *)&d->h, on_dwatch_close);
}

static void request_scan(struct indexer_watch *w, const char *root);

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    struct dwatch *d = h->data;
    struct indexer_watch *w = d->w;
    char *path;

    (void)events;
    if (w->stopping)
        return;
    if (status < 0) {
        log_warn("watch of '%s' failed: %s; rescanning", d->path, uv_strerror(status));
        indexer_watch_rescan(w);
        return;
    }
    w->st.events++;
    if (filename == NULL || filename[0] == '\0') {
        request_scan(w, d->path);
        return;
    }
    path = xasprintf("%s/%s", d->path, filename);
    if (!indexer_watch_ignored(w, path)) {
        if (w->cbs.changed != NULL)
            w->cbs.changed(w->data, path);
        indexer_watch_touch(w, path);
    }
    free(path);
}

/* Watch folder path (not ignored, below a root); 1 if a new watch started. */
static int watch_dir(struct indexer_watch *w, const char *path)
{
    struct dwatch *d;
    int rc;

    if (w->no_watch || w->stopping || vt_map_get(&w->dirs, path) != NULL ||
        indexer_watch_ignored(w, path))
        return 0;
    d = xcalloc(1, sizeof(*d));
    d->path = xstrdup(path);
    d->w = w;
    d->h.data = d;
    uv_fs_event_init(w->loop, &d->h);
    rc = uv_fs_event_start(&d->h, on_fs_event, d->path, 0);
    if (rc < 0) {
        if (!w->watch_failed)
            log_warn("cannot watch '%s': %s (raise fs.inotify.max_user_watches?); "
                     "changes there are found by the periodic rescan",
                     path, uv_strerror(rc));
        w->watch_failed = 1;
        w->closing++;
        uv_close((uv_handle_t *)&d->h, on_dwatch_close);
        return 0;
    }
    vt_map_put(&w->dirs, &d->node, d->path);
    log_debug("watching '%s'", path);
    return 1;
}

/* Close the watches of path and every folder below it; 1 if there were. */
static int unwatch_tree(struct indexer_watch *w, const char *path)
{
    size_t bucket = 0;
    struct vt_map_node *cur = NULL, *n;
    int found = 0;

    while ((n = vt_map_next(&w->dirs, &bucket, &cur)) != NULL) {
        struct dwatch *d = vt_map_entry(n, struct dwatch, node);
        if (scan_under(d->path, path)) {
            dwatch_close(w, d);
            found = 1;
        }
    }
    return found;
}

/* ---- looking at pending paths ------------------------------------------ */

static void stat_to_struct(const uv_stat_t *s, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = (dev_t)s->st_dev;
    st->st_ino = (ino_t)s->st_ino;
    st->st_mode = (mode_t)s->st_mode;
    st->st_nlink = (nlink_t)s->st_nlink;
    st->st_size = (off_t)s->st_size;
    st->st_mtim.tv_sec = (time_t)s->st_mtim.tv_sec;
    st->st_mtim.tv_nsec = s->st_mtim.tv_nsec;
    st->st_ctim.tv_sec = (time_t)s->st_ctim.tv_sec;
    st->st_ctim.tv_nsec = s->st_ctim.tv_nsec;
}

static long long mtime_ns_of(const struct stat *st)
{
    return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* 0 if settled, else the milliseconds to wait before the next look. */
static uint64_t settle_wait(const struct indexer_watch *w, const struct pend *p,
                            const struct stat *st, uint64_t now)
{
    long long mt = mtime_ns_of(st), age = (long long)wall_ns() - mt;
    long long need = (long long)w->settle_ms * 1000000LL;

    if (age >= need)
        return 0;
    if (p != NULL && p->has_obs && p->obs_size == (long long)st->st_size &&
        p->obs_mtime_ns == mt && now - p->obs_at >= w->settle_ms)
        return 0;
    /* Unchanged from now on, it settles when its mtime is old enough (or,
     * for an mtime in the future, after one more settle period). */
    if (age < 0)
        return w->settle_ms ? w->settle_ms : 1;
    return (uint64_t)((need - age) / 1000000LL) + 1;
}

static void start_stat(struct indexer_watch *w, struct pend *p);

/* Start looks at due paths, keeping at most WATCH_MAX_STATS in flight. */
static void start_due(struct indexer_watch *w)
{
    uint64_t now = uv_now(w->loop);

    while (!w->paused && w->stats_inflight < WATCH_MAX_STATS && w->heap_n > 0 &&
           w->heap[0]->due <= now) {
        struct pend *p = w->heap[0];
        heap_remove(w, p);
        start_stat(w, p);
    }
}

/* A regular file looked at: ready, or pending again until it could have
 * settled.  1 if p is pending again (kept), 0 if it may be freed. */
static int look_file(struct indexer_watch *w, struct pend *p, const struct stat *st,
                     uint64_t now)
{
    uint64_t wait = settle_wait(w, p, st, now);

    if (wait == 0) {
        w->cbs.ready(w->data, p->path, st);
        return 0;
    }
    if (vt_map_get(&w->pend_map, p->path) != NULL)
        return 0; /* the callback's path came back meanwhile */
    p->has_obs = 1;
    p->obs_size = (long long)st->st_size;
    p->obs_mtime_ns = mtime_ns_of(st);
    p->obs_at = now;
    p->due = now + wait;
    vt_map_put(&w->pend_map, &p->node, p->path);
    heap_push(w, p);
    return 1;
}

/* What a look (lstat result, st) says about p, out of the pending map:
 * 1 if p is pending again, 0 if it may be freed. */
static int look(struct indexer_watch *w, struct pend *p, ssize_t result, const struct stat *st,
                uint64_t now)
{
    if (result == UV_ENOENT || result == UV_ENOTDIR) {
        int was_dir = unwatch_tree(w, p->path);
        w->cbs.gone(w->data, p->path, was_dir);
    } else if (result == UV_ENAMETOOLONG) {
        /* Only a walk of its folder can look at it (relative to the
         * folder); that walk reports it like any file it finds. */
        char *slash = strrchr(p->path, '/');
        if (slash != NULL && slash != p->path) {
            *slash = '\0';
            request_scan(w, p->path);
        }
    } else if (result < 0) {
        log_info("cannot look at '%s': %s", p->path, uv_strerror((int)result));
    } else if (S_ISDIR(st->st_mode)) {
        /* A new folder, or one that took the name of a file. */
        w->cbs.not_regular(w->data, p->path, st);
        if (watch_dir(w, p->path))
            request_scan(w, p->path);
    } else if (!S_ISREG(st->st_mode)) {
        /* A symlink, fifo, device or socket now has the name: nothing is
         * read through it, and a folder that became a symlink takes its
         * files with it. */
        int was_dir = unwatch_tree(w, p->path);
        if (was_dir)
            w->cbs.gone(w->data, p->path, 1);
        w->cbs.not_regular(w->data, p->path, st);
    } else {
        return look_file(w, p, st, now);
    }
    return 0;
}

static void on_stat(uv_fs_t *req)
{
    struct statreq *sr = req->data;
    struct indexer_watch *w = sr->w;
    struct pend *p = sr->p;
    ssize_t result = req->result;
    struct stat st;
    uint64_t now = uv_now(w->loop);

    stat_to_struct(&req->statbuf, &st);
    uv_fs_req_cleanup(req);
    free(sr);
    w->stats_inflight--;
    p->statting = 0;
    if (w->stopping) {
        pend_free(w, p);
        maybe_finish(w);
        return;
    }
    if (p->dirty) {
        p->dirty = 0;
        p->has_obs = 0;
        p->due = now + w->settle_ms;
        heap_push(w, p);
    } else {
        /* Out of the map before any callback, which may touch the same path. */
        vt_map_del(&w->pend_map, &p->node);
        if (!look(w, p, result, &st, now)) {
            free(p->path);
            free(p);
        }
    }
    /* The next due look starts now, not at the next tick: with at most
     * WATCH_MAX_STATS looks per tick, a copy of thousands of files would
     * settle at a few dozen files a second. */
    if (!w->stopping)
        start_due(w);
}

static void start_stat(struct indexer_watch *w, struct pend *p)
{
    struct statreq *sr = xcalloc(1, sizeof(*sr));
    int rc;

    sr->w = w;
    sr->p = p;
    sr->req.data = sr;
    p->statting = 1;
    rc = uv_fs_lstat(w->loop, &sr->req, p->path, on_stat);
    if (rc < 0) {
        /* Cannot happen with a callback, but do not lose the path. */
        free(sr);
        p->statting = 0;
        p->due = uv_now(w->loop) + 100;
        heap_push(w, p);
        return;
    }
    w->stats_inflight++;
}

static void drain(struct indexer_watch *w);

static void on_tick(uv_timer_t *t)
{
    struct indexer_watch *w = t->data;

    start_due(w);
    if (w->overflowed && w->pend_map.n < w->max_pending / 2) {
        w->overflowed = 0;
        indexer_watch_rescan(w);
    }
    drain(w);
}

void indexer_watch_touch(struct indexer_watch *w, const char *path)
{
    struct vt_map_node *n;
    struct pend *p;
    uint64_t now = uv_now(w->loop);

    if (w->stopping)
        return;
    n = vt_map_get(&w->pend_map, path);
    if (n == NULL) {
        /* First sight: look at once (a new folder must be watched before
         * files appear in it); the settle rule defers a file anyway. */
        pend_new(w, path, now);
        return;
    }
    p = vt_map_entry(n, struct pend, node);
    if (p->statting) {
        p->dirty = 1;
        return;
    }
    p->has_obs = 0;
    p->due = now + w->settle_ms;
    heap_fix(w, p);
}

/* A file found by a scan, with its stat: ready now if settled. */
static void offer(struct indexer_watch *w, const char *path, const struct stat *st)
{
    uint64_t now = uv_now(w->loop), wait;
    struct pend *p;

    if (vt_map_get(&w->pend_map, path) != NULL)
        return; /* already pending: it will be reported */
    wait = settle_wait(w, NULL, st, now);
    if (wait == 0) {
        w->cbs.ready(w->data, path, st);
        return;
    }
    p = pend_new(w, path, now + wait);
    if (p != NULL) {
        p->has_obs = 1;
        p->obs_size = (long long)st->st_size;
        p->obs_mtime_ns = mtime_ns_of(st);
        p->obs_at = now;
    }
}

/* ---- the scan thread ------------------------------------------------------ */

/* Hand an item to the loop; waits while the FIFO is full.  0, or -1 when
 * stopping (the item is freed). */
static int push_item(struct indexer_watch *w, struct item *it)
{
    uv_mutex_lock(&w->mu);
    while (w->nitems >= HANDOFF_MAX && !w->thread_stop)
        uv_cond_wait(&w->space, &w->mu);
    if (w->thread_stop) {
        uv_mutex_unlock(&w->mu);
        free(it->path);
        free(it);
        return -1;
    }
    vt_queue_push(&w->items, &it->link);
    w->nitems++;
    uv_mutex_unlock(&w->mu);
    uv_async_send(&w->async);
    return 0;
}

static int push_simple(struct indexer_watch *w, enum item_kind kind, const char *path,
                       unsigned gen, int full, int complete)
{
    struct item *it = xcalloc(1, sizeof(*it));

    it->kind = kind;
    it->path = path ? xstrdup(path) : NULL;
    it->gen = gen;
    it->full = full;
    it->complete = complete;
    return push_item(w, it);
}

static int stopped(struct indexer_watch *w)
{
    int s;

    uv_mutex_lock(&w->mu);
    s = w->thread_stop;
    uv_mutex_unlock(&w->mu);
    return s;
}

/* Phase 1: every folder under roots (no symlinks followed; the file walk
 * handles those). */
static int walk_dirs(struct indexer_watch *w, char *const *roots, size_t nroots)
{
    char **stack = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    for (size_t i = 0; i < nroots; i++) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            stack = xrealloc(stack, cap * sizeof(*stack));
        }
        stack[n++] = xstrdup(roots[i]);
    }
    while (n > 0) {
        char *dir = stack[--n];
        DIR *d;
        struct dirent *e;

        if (rc == 0 && (stopped(w) || push_simple(w, ITEM_DIR, dir, 0, 0, 0) < 0))
            rc = -1;
        d = rc == 0 ? opendir(dir) : NULL;
        while (d != NULL && (e = readdir(d)) != NULL) {
            struct stat st;
            char *sub;
            int isdir;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
                continue;
            sub = xasprintf("%s/%s", dir, e->d_name);
            /* A folder whose path is longer than PATH_MAX cannot be
             * watched; the file walk records it. */
            isdir = strlen(sub) < PATH_MAX &&
                    (e->d_type == DT_DIR || (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)));
            if (!isdir) {
                free(sub);
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                stack = xrealloc(stack, cap * sizeof(*stack));
            }
            stack[n++] = sub;
        }
        if (d != NULL)
            closedir(d);
        free(dir);
    }
    free(stack);
    return rc;
}

static int scan_file(void *data, const struct scan_file *f)
{
    struct indexer_watch *w = data;
    struct item *it = xcalloc(1, sizeof(*it));

    it->kind = ITEM_FILE;
    it->gen = w->thread_gen;
    it->path = xstrdup(f->path);
    it->st = *f->st;
    return push_item(w, it) < 0 ? VT_EINTERNAL : 0;
}

static void scan_problem(void *data, const char *path, const char *why)
{
    (void)data;
    log_info("scan skipped '%s': %s", path, why);
}

/* The next request, or NULL when stopping. */
static struct scanreq *next_request(struct indexer_watch *w)
{
    struct vt_queue *e;
    struct scanreq *r;

    uv_mutex_lock(&w->mu);
    while (vt_queue_empty(&w->reqs) && !w->thread_stop)
        uv_cond_wait(&w->cond, &w->mu);
    if (w->thread_stop) {
        uv_mutex_unlock(&w->mu);
        return NULL;
    }
    e = vt_queue_pop(&w->reqs);
    r = vt_queue_entry(e, struct scanreq, link);
    if (r->root == NULL)
        w->full_queued = 0;
    uv_mutex_unlock(&w->mu);
    return r;
}

/* Wait until the loop has watched every folder of scan gen: 0, or -1
 * when stopping. */
static int wait_barrier(struct indexer_watch *w, unsigned gen)
{
    int rc;

    uv_mutex_lock(&w->mu);
    while ((int)(w->barrier_acked - gen) < 0 && !w->thread_stop)
        uv_cond_wait(&w->cond, &w->mu);
    rc = w->thread_stop ? -1 : 0;
    uv_mutex_unlock(&w->mu);
    return rc;
}

/* The three phases of a request: folders, barrier, files. */
static void run_request(struct indexer_watch *w, const struct scanreq *r)
{
    char *one[1] = {r->root};
    int full = r->root == NULL;
    char *const *roots = full ? w->roots : one;
    size_t nroots = full ? w->nroots : 1;
    int rc;

    w->thread_gen = r->gen;
    rc = push_simple(w, ITEM_START, NULL, r->gen, full, 0);
    if (rc == 0)
        rc = walk_dirs(w, roots, nroots);
    if (rc == 0 && (rc = push_simple(w, ITEM_BARRIER, NULL, r->gen, full, 0)) == 0)
        rc = wait_barrier(w, r->gen);
    if (rc == 0)
        rc = scan_run(roots, nroots, scan_file, scan_problem, w);
    push_simple(w, ITEM_DONE, NULL, r->gen, full, rc >= 0);
}

static void scan_thread(void *arg)
{
    struct indexer_watch *w = arg;
    struct scanreq *r;

    while ((r = next_request(w)) != NULL) {
        run_request(w, r);
        free(r->root);
        free(r);
    }
}

static void request_scan(struct indexer_watch *w, const char *root)
{
    struct scanreq *r;

    if (w->stopping)
        return;
    uv_mutex_lock(&w->mu);
    if (root == NULL && w->full_queued) {
        uv_mutex_unlock(&w->mu);
        return;
    }
    r = xcalloc(1, sizeof(*r));
    r->root = root ? xstrdup(root) : NULL;
    r->gen = ++w->next_gen;
    if (root == NULL)
        w->full_queued = 1;
    vt_queue_push(&w->reqs, &r->link);
    uv_cond_broadcast(&w->cond);
    uv_mutex_unlock(&w->mu);
}

void indexer_watch_rescan(struct indexer_watch *w)
{
    request_scan(w, NULL);
}

/* ---- the loop side of the hand-over -------------------------------------- */

static void handle_item(struct indexer_watch *w, struct item *it)
{
    switch (it->kind) {
    case ITEM_START:
        w->st.scanning = 1;
        if (it->full)
            log_info("reconcile scan %u started", it->gen);
        w->cbs.scan_start(w->data, it->gen, it->full);
        break;
    case ITEM_DIR:
        watch_dir(w, it->path);
        break;
    case ITEM_BARRIER:
        uv_mutex_lock(&w->mu);
        w->barrier_acked = it->gen;
        uv_cond_broadcast(&w->cond);
        uv_mutex_unlock(&w->mu);
        break;
    case ITEM_FILE: {
        char *slash;
        if (indexer_watch_ignored(w, it->path))
            break;
        /* A folder made between the folder walk and its watch. */
        slash = strrchr(it->path, '/');
        if (slash != NULL && slash != it->path) {
            *slash = '\0';
            if (vt_map_get(&w->dirs, it->path) == NULL && !w->no_watch)
                watch_dir(w, it->path);
            *slash = '/';
        }
        if (w->cbs.scanned(w->data, it->gen, it->path, &it->st))
            offer(w, it->path, &it->st);
        break;
    }
    case ITEM_DONE:
        w->st.scanning = 0;
        w->st.scans++;
        if (it->full)
            log_info("reconcile scan %u %s", it->gen, it->complete ? "finished" : "cut short");
        w->cbs.scan_done(w->data, it->gen, it->full, it->complete);
        break;
    }
}

static void drain(struct indexer_watch *w)
{
    struct vt_queue *e;

    uv_mutex_lock(&w->mu);
    while ((e = vt_queue_head(&w->items)) != NULL && !w->stopping) {
        struct item *it = vt_queue_entry(e, struct item, link);
        if (it->kind == ITEM_FILE && (w->paused || w->pend_map.n >= w->max_pending / 2))
            break;
        vt_queue_remove(e);
        w->nitems--;
        uv_cond_signal(&w->space);
        uv_mutex_unlock(&w->mu);
        handle_item(w, it);
        free(it->path);
        free(it);
        uv_mutex_lock(&w->mu);
    }
    uv_mutex_unlock(&w->mu);
}

static void on_async(uv_async_t *a)
{
    drain(a->data);
}

static void on_reconcile(uv_timer_t *t)
{
    indexer_watch_rescan(t->data);
}

/* ---- lifecycle ---------------------------------------------------------- */

static struct indexer_watch *watch_new(uv_loop_t *loop, const struct indexer_watch_config *cfg,
                                       const struct indexer_watch_cbs *cbs, void *data)
{
    struct indexer_watch *w = xcalloc(1, sizeof(*w));

    w->loop = loop;
    w->cbs = *cbs;
    w->data = data;
    w->roots = xstrv_dup(cfg->roots, cfg->nroots);
    w->nroots = cfg->nroots;
    w->exclude = xstrv_dup(cfg->exclude, cfg->nexclude);
    w->nexclude = cfg->nexclude;
    w->ignore = xstrv_dup(cfg->ignore, cfg->nignore);
    w->nignore = cfg->nignore;
    w->settle_ms = cfg->settle_ms;
    w->reconcile_s = cfg->reconcile_s;
    w->max_pending = cfg->max_pending ? cfg->max_pending : DEFAULT_MAX_PENDING;
    w->no_watch = cfg->no_watch;
    vt_map_init(&w->pend_map);
    vt_map_init(&w->dirs);
    vt_queue_init(&w->reqs);
    vt_queue_init(&w->items);
    uv_mutex_init(&w->mu);
    uv_cond_init(&w->cond);
    uv_cond_init(&w->space);
    return w;
}

/* What watch_new() made (the maps are empty by now). */
static void watch_free(struct indexer_watch *w)
{
    vt_map_release(&w->pend_map);
    vt_map_release(&w->dirs);
    free(w->heap);
    uv_cond_destroy(&w->cond);
    uv_cond_destroy(&w->space);
    uv_mutex_destroy(&w->mu);
    xstrv_free(w->roots, w->nroots);
    xstrv_free(w->exclude, w->nexclude);
    xstrv_free(w->ignore, w->nignore);
    free(w);
}

int indexer_watch_start(uv_loop_t *loop, const struct indexer_watch_config *cfg,
                        const struct indexer_watch_cbs *cbs, void *data,
                        struct indexer_watch **out, struct vt_err *err)
{
    struct indexer_watch *w = watch_new(loop, cfg, cbs, data);
    unsigned tick;
    int rc;

    *out = NULL;
    if ((rc = uv_async_init(loop, &w->async, on_async)) < 0) {
        vt_err_set(err, rc, "cannot start the watcher: %s", uv_strerror(rc));
        watch_free(w);
        return rc;
    }
    uv_timer_init(loop, &w->tick);
    uv_timer_init(loop, &w->reconcile);
    w->tick.data = w->reconcile.data = w;
    w->async.data = w;
    tick = w->settle_ms / 5;
    tick = tick < 5 ? 5 : tick > 100 ? 100 : tick;
    uv_timer_start(&w->tick, on_tick, tick, tick);
    if (w->reconcile_s > 0)
        uv_timer_start(&w->reconcile, on_reconcile, (uint64_t)w->reconcile_s * 1000,
                       (uint64_t)w->reconcile_s * 1000);
    request_scan(w, NULL);
    if (uv_thread_create(&w->thread, scan_thread, w) != 0) {
        w->stopping = 1;
        indexer_watch_stop(w, NULL, NULL);
        return vt_err_set(err, VT_EINTERNAL, "cannot start the scan thread");
    }
    w->thread_started = 1;
    *out = w;
    return 0;
}

void indexer_watch_set_paused(struct indexer_watch *w, int paused)
{
    if (w->paused == paused)
        return;
    w->paused = paused;
    if (!paused && !w->stopping)
        uv_async_send(&w->async);
}

void indexer_watch_reconfigure(struct indexer_watch *w, unsigned settle_ms, unsigned reconcile_s,
                               char *const *ignore, size_t nignore)
{
    xstrv_free(w->ignore, w->nignore);
    w->ignore = xstrv_dup(ignore, nignore);
    w->nignore = nignore;
    w->settle_ms = settle_ms;
    if (reconcile_s != w->reconcile_s) {
        w->reconcile_s = reconcile_s;
        uv_timer_stop(&w->reconcile);
        if (reconcile_s > 0)
            uv_timer_start(&w->reconcile, on_reconcile, (uint64_t)reconcile_s * 1000,
                           (uint64_t)reconcile_s * 1000);
    }
}

void indexer_watch_stats(const struct indexer_watch *w, struct indexer_watch_stats *st)
{
    *st = w->st;
    st->pending = w->pend_map.n;
    st->watches = w->dirs.n;
}

static void maybe_finish(struct indexer_watch *w)
{
    void (*done)(void *);
    void *data;

    if (!w->stopping || w->closing > 0 || w->stats_inflight > 0)
        return;
    done = w->done;
    data = w->done_data;
    watch_free(w);
    if (done)
        done(data);
}

static void on_close(uv_handle_t *h)
{
    struct indexer_watch *w = h->data;

    w->closing--;
    maybe_finish(w);
}

void indexer_watch_stop(struct indexer_watch *w, void (*done)(void *data), void *data)
{
    size_t bucket = 0;
    struct vt_map_node *cur = NULL, *n;
    struct vt_queue *e;

    w->stopping = 1;
    w->done = done;
    w->done_data = data;
    uv_mutex_lock(&w->mu);
    w->thread_stop = 1;
    uv_cond_broadcast(&w->cond);
    uv_cond_broadcast(&w->space);
    uv_mutex_unlock(&w->mu);
    if (w->thread_started)
        uv_thread_join(&w->thread);
    w->thread_started = 0;
    while ((e = vt_queue_pop(&w->items)) != NULL) {
        struct item *it = vt_queue_entry(e, struct item, link);
        free(it->path);
        free(it);
    }
    while ((e = vt_queue_pop(&w->reqs)) != NULL) {
        struct scanreq *r = vt_queue_entry(e, struct scanreq, link);
        free(r->root);
        free(r);
    }
    /* Pending paths; those being looked at are freed by on_stat. */
    while ((n = vt_map_next(&w->pend_map, &bucket, &cur)) != NULL) {
        struct pend *p = vt_map_entry(n, struct pend, node);
        if (!p->statting)
            pend_free(w, p);
    }
    bucket = 0;
    cur = NULL;
    while ((n = vt_map_next(&w->dirs, &bucket, &cur)) != NULL)
        dwatch_close(w, vt_map_entry(n, struct dwatch, node));
    w->closing += 3;
    uv_close((uv_handle_t *)&w->tick, on_close);
    uv_close((uv_handle_t *)&w->reconcile, on_close);
    uv_close((uv_handle_t *)&w->async, on_close);
}
