/* The query server: libh2o on the caller's libuv loop (DESIGN §5).
 *
 * Routes: GET / (the search page from web_dir), /api/search,
 * /api/documents/{id}, /api/documents/{id}/file, /api/status, /metrics.
 * Searches run on the libuv threadpool, each pool thread with its own
 * read-only index handle, reopened after query_http_index_changed().
 * At most max_searches run at once (keep it below UV_THREADPOOL_SIZE so
 * file I/O is never starved); up to max_queued more wait for a thread;
 * past that a request gets 503 with Retry-After.
 *
 * Every route answers GET and HEAD.  A request whose Host (HTTP/2:
 * :authority) is not ours gets 421, so a web page cannot reach the API by
 * DNS rebinding.  Originals are opened beneath their archive folder through
 * no symlink and checked against the record (common/safefile.h) before a
 * byte is sent; a single Range is honoured.
 *
 * Connections: a client that has sent nothing is dropped sooner than one
 * sending its request; at most max_connections_per_address come from one
 * address; when a cap is reached the oldest idle connection is closed to
 * make room (a silent newcomer waits until one has been idle for half a
 * second; one that speaks gets in at once).  query_http_start raises
 * RLIMIT_NOFILE's soft limit to the hard limit (process-wide) and lowers
 * max_connections to fit twice under it.
 *
 * The program must ignore SIGPIPE (a client that hangs up mid-response
 * would otherwise kill it).
 *
 * Ownership: the config's strings are copied.  Threads: every function is
 * called on the loop thread.  Errors: 0 or a negative VT_E* / UV_E* code
 * with detail in err. */
#ifndef VT_QUERY_HTTP_H
#define VT_QUERY_HTTP_H

#include <jansson.h>
#include <uv.h>

#include "common/err.h"

/* Called on the loop thread when the original of a document no longer
 * matches its record (replaced, modified, turned into a symlink, gone):
 * path (borrowed for the call; raw bytes, NUL-terminated) should be
 * indexed again. */
typedef void (*query_file_changed_cb)(const char *path, void *data);

struct query_http_config {
    const char *listen;          /* "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 picks a free one */
    const char *data_dir;        /* the index folder (storage_open) */
    const char *web_dir;         /* the search page's files; NULL: the installed ones */
    unsigned max_searches;       /* index jobs on the threadpool at once; 0: 3 */
    unsigned max_queued;         /* index jobs waiting for a thread before 503; 0: 256 */
    unsigned max_connections;    /* open client connections; 0: 1024 */
    unsigned max_connections_per_address; /* from one client address (IPv6: one /64); 0: half
                                           * of max_connections */
    unsigned request_timeout_ms; /* reading a request head, waiting in the queue; 0: 10000 */
    /* The archive folders (absolute): a record without "root" is opened
     * beneath the longest one that holds its path, else beneath "/". */
    const char *const *archives;
    size_t narchives;
    /* Host names (besides the listen address, and "localhost" on a
     * loopback address) that requests may name in Host / :authority. */
    const char *const *hostnames;
    size_t nhostnames;
    query_file_changed_cb file_changed; /* may be NULL */
    void *file_changed_data;
};

struct query_http;

/* Called on the loop thread to add the indexer's counts to /api/status
 * and /metrics (indexed, queued, failed, OCR workers, ...): the callback
 * sets members of status (borrowed for the call).  In /metrics every
 * numeric member k becomes a gauge vanthu_k, and every numeric member j of
 * an object member k becomes vanthu_k_j. */
typedef void (*query_status_cb)(void *data, json_t *status);

/* Listen on cfg->listen and serve on loop.  On success *out is a new
 * server: stop it with query_http_stop().  A missing or empty index is not
 * an error: searches answer 503 until it appears. */
/* Bind addr (HOST:PORT) and let it go again, so that a taken port is
 * reported before the caller starts long work; query_http_start binds it
 * for real later.  0, or a negative code with err saying what to do
 * (-EADDRINUSE: choose another address).  Port 0 always succeeds. */
int query_http_check_listen(const char *addr, struct vt_err *err);

int query_http_start(uv_loop_t *loop, const struct query_http_config *cfg,
                     struct query_http **out, struct vt_err *err);
/* The port actually bound (for port 0). */
int query_http_port(const struct query_http *h);
/* The index was committed: later searches see the new documents. */
void query_http_index_changed(struct query_http *h);
void query_http_set_status_cb(struct query_http *h, query_status_cb cb, void *data);
/* Stop accepting, answer queued searches with 503, wait for the ones
 * running, close every connection and handle, then call done (once, may
 * be NULL) and free h.  Run the loop until done is called. */
void query_http_stop(struct query_http *h, void (*done)(void *data), void *data);

#endif
