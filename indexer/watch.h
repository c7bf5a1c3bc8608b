/* Watching archive folders on a libuv loop: which files are new, changed,
 * settled or gone.
 *
 * - One uv_fs_event per directory (Linux watches are not recursive); a new
 *   subdirectory is watched as soon as its event is seen, then scanned, so
 *   files created in it before its watch existed are not missed.
 * - Events are debounced per path in a bounded pending set.  A file is
 *   reported ready only once it has settled: its mtime is at least
 *   settle_ms old, or its size and mtime were unchanged across two looks
 *   settle_ms apart (for clocks that disagree).  While events keep coming,
 *   the file stays pending.
 * - Names matching an ignore pattern (fnmatch on every path component below
 *   the root: `*.part`, `~$*`, `.*`, `*.tmp`) and excluded folders (the
 *   index itself) are never reported.  Symlinks are never followed
 *   (scan.h); a path that turns out to be a symlink, fifo, device or socket
 *   is reported at once (not_regular), so that what was indexed under that
 *   name goes at once.
 * - A path longer than PATH_MAX cannot be looked at by name: an event for
 *   one makes a scan of its folder, which looks at it relative to the
 *   folder (scan.h) and reports it as usual.
 * - A reconcile scan (indexer/scan.c, on the watcher's own thread, never on
 *   the loop) runs at start, every reconcile_s seconds, and whenever events
 *   may have been lost: the pending set overflowed, or a watch failed.
 *   libuv does not report inotify queue overflows (IN_Q_OVERFLOW), so the
 *   periodic scan is the safety net for those.  The scan's results are
 *   handed over in a bounded queue that the loop drains only while the
 *   consumer accepts work, so a walk of 50,000 files is paced by indexing.
 *
 * Threads: everything runs on the loop thread, including every callback,
 * except the scan walk on the watcher's thread.
 * Ownership: the config (strings and arrays) is copied. */
#ifndef VT_INDEXER_WATCH_H
#define VT_INDEXER_WATCH_H

#include <stddef.h>
#include <sys/stat.h>

#include <uv.h>

#include "common/err.h"

struct indexer_watch;

struct indexer_watch_cbs {
    /* A settled regular file (st: its lstat, borrowed for the call). */
    void (*ready)(void *data, const char *path, const struct stat *st);
    /* path no longer exists; was_dir: it was a watched folder, so every
     * file below it is gone too. */
    void (*gone)(void *data, const char *path, int was_dir);
    /* A reconcile scan (full: of every root) with number gen starts. */
    void (*scan_start)(void *data, unsigned gen, int full);
    /* The scan found path: return 1 to have it settled and reported ready
     * (new or changed), 0 to skip it (already indexed as it is). */
    int (*scanned)(void *data, unsigned gen, const char *path, const struct stat *st);
    /* The scan ended; complete is 0 when it was cut short (stop). */
    void (*scan_done)(void *data, unsigned gen, int full, int complete);
    /* path exists but is not a regular file (st: its lstat): a symlink, a
     * fifo, a device, a socket, or a folder (also a new one). */
    void (*not_regular)(void *data, const char *path, const struct stat *st);
    /* A file-system event for path arrived (before any settling): whatever
     * reads path or a file below it may stop.  May be NULL. */
    void (*changed)(void *data, const char *path);
};

struct indexer_watch_config {
    char *const *roots;    /* canonical folders (scan_root) */
    size_t nroots;
    char *const *ignore;   /* fnmatch patterns on names */
    size_t nignore;
    char *const *exclude;  /* folders never reported (the index) */
    size_t nexclude;
    unsigned settle_ms;
    unsigned reconcile_s;  /* 0: no periodic scan */
    unsigned max_pending;  /* 0: 20000 */
    int no_watch;          /* 1: no uv_fs_event, scans only */
};

struct indexer_watch_stats {
    size_t pending;         /* paths waiting to settle */
    size_t watches;         /* folders watched */
    unsigned long events;   /* file-system events received */
    unsigned long scans;    /* reconcile scans finished */
    unsigned long overflows; /* times the pending set was full */
    int scanning;
};

/* Start watching on loop and queue the first reconcile scan.  Returns 0
 * with *out set (stop with indexer_watch_stop), or a negative code: the
 * scan thread cannot start (VT_EINTERNAL), UV_E* from the loop. */
int indexer_watch_start(uv_loop_t *loop, const struct indexer_watch_config *cfg,
                        const struct indexer_watch_cbs *cbs, void *data,
                        struct indexer_watch **out, struct vt_err *err);

/* Backpressure: while paused, no ready callbacks start (at most a few
 * already under way still arrive) and scan results wait. */
void indexer_watch_set_paused(struct indexer_watch *w, int paused);

/* Look at path again from now on, as if an event had come (a file changed
 * while it was being read, or must be checked for existence). */
void indexer_watch_touch(struct indexer_watch *w, const char *path);

/* Run a full reconcile scan soon (once, however often asked). */
void indexer_watch_rescan(struct indexer_watch *w);

/* New settle time, reconcile period and ignore patterns (SIGHUP).  Roots
 * do not change. */
void indexer_watch_reconfigure(struct indexer_watch *w, unsigned settle_ms, unsigned reconcile_s,
                               char *const *ignore, size_t nignore);

void indexer_watch_stats(const struct indexer_watch *w, struct indexer_watch_stats *st);

/* 1 if path (below one of the roots) is ignored or excluded. */
int indexer_watch_ignored(const struct indexer_watch *w, const char *path);

/* Stop: close every handle, end the scan thread (joined here: it checks
 * for the stop between files), drop what is pending, then free w and call
 * done(data) from the loop.  No callback runs after this call.  w must not
 * be used again. */
void indexer_watch_stop(struct indexer_watch *w, void (*done)(void *data), void *data);

#endif
