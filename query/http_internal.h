/* What the query server's files share: the server struct, a job, a
 * connection.  Not an API: only query/http*.c include it (and the unit
 * test of its pure functions).
 *
 *   http.c         lifecycle: configuration, the listening socket, stop
 *   http_routes.c  routes and the wire format (query strings, JSON errors)
 *   http_jobs.c    the job queue on the threadpool, the pool's readers
 *   http_metrics.c request counts and latencies, /metrics rendering
 *   http_conn.c    accepting, the gate, connection slots (caps, eviction)
 *   http_file.c  originals and pages: checked open, Range, fd streaming
 *   http_host.c  the Host / :authority allow-list
 *
 * Threads: everything here runs on the loop thread, except the functions
 * marked "pool". */
#ifndef VT_QUERY_HTTP_INTERNAL_H
#define VT_QUERY_HTTP_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>

#include <h2o.h>
#include <jansson.h>
#include <uv.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/queue.h"
#include "query/http.h"
#include "query/search.h"
#include "storage/storage.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* ---- metrics -------------------------------------------------------------- */

enum route { R_PAGE, R_SEARCH, R_DOC, R_FILE, R_STATUS, R_METRICS, R_OTHER, NROUTES };

#define HTTP_NSTATUS 15 /* the 14 codes in http_metrics.c's table, + "other" */
#define HTTP_NBUCKETS 13

struct metrics {
    uint64_t count[NROUTES][HTTP_NSTATUS];
    uint64_t other_status[NROUTES]; /* the last status outside status_codes, for the label */
    uint64_t hist[NROUTES][HTTP_NBUCKETS + 1];
    double sum[NROUTES];
    uint64_t n[NROUTES];
    uint64_t overloaded;     /* 503: the queue was full */
    uint64_t refused_conns;  /* connections closed at once: no slot could be freed */
    uint64_t accepted_conns;
    uint64_t evicted_conns;  /* idle connections closed to make room for a new one */
    uint64_t fd_shortage;    /* accept() found no free file descriptor */
    uint64_t files_changed;  /* originals that no longer matched their record */
    uint64_t wrong_host;     /* 421: a Host we do not answer for */
};

/* ---- jobs ------------------------------------------------------------------ */

enum job_kind { JOB_SEARCH, JOB_DOC, JOB_FILE, JOB_STATUS };

enum { P_Q, P_LIMIT, P_OFFSET, P_SORT, P_TYPE, P_AGENCY, P_YEAR, P_FROM, P_TO, P_EXACT, NPARAMS };

/* What the file job found (set on the pool thread, used on the loop). */
struct job_file {
    int fd;           /* the checked original, or -1 */
    int64_t size;
    int64_t mtime_ns;
    char *path;       /* the record's path as raw bytes (path_hex decoded) */
    char *mime, *name;
    char etag[72];    /* "\"<sha256>\"" or "" */
    int changed;      /* the file is not what the record says: re-index it */
};

struct job {
    uv_work_t work;
    struct query_http *h;
    h2o_req_t *req;      /* NULL once h2o disposed the request */
    struct job **slot;   /* in req's pool, points back at us while req lives */
    struct vt_queue link; /* h->waiting or h->running */
    enum job_kind kind;
    enum route route;
    uint64_t t0;         /* uv_hrtime() when the request arrived */
    uint64_t queued_at;  /* uv_now() */
    struct query_request qr;
    char *vals[NPARAMS]; /* owned copies of the parameters qr points into */
    char id[STORAGE_ID_LEN + 1];
    /* results, set on the pool thread */
    int status;
    char *body;          /* JSON text (or the error message), malloc'd */
    json_t *json;        /* JOB_STATUS: completed on the loop */
    struct job_file file; /* JOB_FILE */
};

/* Jobs in order of arrival, with their count (for the caps and /metrics). */
struct job_queue {
    struct vt_queue q;
    unsigned n;
};

/* ---- connections ------------------------------------------------------------- */

enum { CONN_GATE, CONN_REJECTING, CONN_H2O };

struct conn {
    uv_tcp_t tcp; /* first: h2o's close callback receives &tcp; tcp.data is h2o's */
    struct query_http *h;
    h2o_socket_t *sock;               /* NULL once h2o disposed it */
    h2o_timeout_entry_t gate_timeout; /* the head's deadline, from the accept */
    h2o_timeout_entry_t first_timeout; /* the first byte's, sooner */
    int state;                        /* CONN_* */
    int counted;                      /* in nlive and the address table */
    int closed;                       /* closing or evicted: never idle again */
    int waiting;                      /* over its cap, uncounted, until room is made */
    int idle;                         /* linked in h->idle */
    int freed;                        /* the handle closed while requests still pointed here */
    unsigned inflight;                /* h2o requests of this connection not yet disposed */
    size_t scan;                      /* gate: bytes of the head scanned so far */
    size_t lines;                     /* gate: complete lines in the head so far */
    uint64_t t0;
    unsigned char addr[16];           /* the client's address (IPv4 mapped; IPv6 /64) */
    char reject[512];                 /* the raw error response, while it is written */
    uv_shutdown_t shutdown;
    struct vt_queue link;             /* h->conns: every connection */
    struct vt_queue idle_link;        /* h->idle: evictable ones, oldest first */
    uint64_t idle_since;              /* uv_now() when it became idle */
    struct vt_queue wait_link;        /* h->waiting_conns: waiting ones, oldest first */
};

/* Open addressing, linear probing: connections per client address. */
struct addr_slot {
    unsigned char key[16];
    unsigned n; /* 0: free */
};

/* ---- the Host allow-list ------------------------------------------------------ */

struct http_hosts {
    char **names; /* lowercase, no port: configured hostnames */
    size_t nnames;
    int listen_loopback; /* the listen address is a loopback one: "localhost" is ours */
    struct sockaddr_storage listen; /* the listen address (family 0: a host name was given) */
};

/* ---- the server ------------------------------------------------------------------ */

struct query_http {
    uv_loop_t *loop;
    char *data_dir, *web_dir, *listen;
    char **archives; /* configured archive folders, for records without "root" */
    size_t narchives;
    unsigned max_searches, max_queued, max_conns, max_per_addr, timeout_ms;
    unsigned long serial;     /* tells pool threads which server their reader serves */
    unsigned long generation; /* atomic: bumped by query_http_index_changed */
    int port;
    uint64_t started_ms;

    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_timeout_t gate_first;   /* a connection that has sent nothing yet */
    h2o_timeout_t gate_head;    /* a connection's first request head */
    h2o_accept_ctx_t accept_ctx;
    int listen_fd;
    uv_poll_t listen_poll;
    uv_timer_t accept_timer;    /* resumes accepting after a pause (no descriptor left) */
    int accept_paused;
    int reserve_fd;             /* kept open to answer one client when descriptors run out */
    uint64_t shortage_logged_ms;
    uv_timer_t stop_timer;

    struct job_queue waiting, running;
    struct vt_queue conns;      /* struct conn, by link */
    unsigned nconns;            /* struct conn allocated (until the handle closed) */
    unsigned nlive;             /* counted against the caps */
    unsigned nwait, max_wait;   /* over their cap, waiting for room */
    struct vt_queue idle;       /* struct conn, by idle_link */
    struct vt_queue waiting_conns; /* struct conn, by wait_link */
    uv_timer_t wait_timer;
    struct addr_slot *addrs;
    size_t addrs_cap;           /* a power of two */

    struct http_hosts hosts;

    uv_mutex_t readers_lock;
    struct vt_queue readers;    /* struct reader (http_jobs.c) */

    query_status_cb status_cb;
    void *status_data;
    query_file_changed_cb file_changed;
    void *file_changed_data;

    struct metrics m;

    int stopping, finishing;
    void (*done)(void *);
    void *done_data;
};

/* ---- http.c -------------------------------------------------------------------- */

/* Free h once it is stopping and nothing is left running or open. */
void http__maybe_finish(struct query_http *h);

/* ---- http_routes.c ------------------------------------------------------------- */

/* Answer req, or hand it to a job (h2o's on_req: always 0). */
int http__route(struct query_http *h, h2o_req_t *req);
const char *http__reason(int status);
/* value is copied into req's pool (h2o keeps the pointer). */
void http__add_header(h2o_req_t *req, const h2o_token_t *token, const char *value);
void http__add_header_str(h2o_req_t *req, const char *name, const char *value);
/* Answer req with status and body (len bytes, copied), and count it. */
void http__send_body(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int status,
                     const char *type, const char *body, size_t len);
/* Answer {"error": "<fmt ...>"}; the message must be valid UTF-8. */
void http__send_error(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int status,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A decimal number in [0, max] with nothing else: 0, or -1. */
int http__parse_uint(const char *s, unsigned long max, unsigned long *out);
/* The value of one hex digit, or -1 (query strings, path_hex). */
int http__hexval(char c);

/* ---- http_jobs.c ------------------------------------------------------------------ */

/* The queues and the readers' registry of a new server; release: after
 * http__readers_close. */
void http__jobs_init(struct query_http *h);
void http__jobs_release(struct query_http *h);
/* A job answering req (its strings are the job's own, never req's). */
struct job *http__job_new(struct query_http *h, h2o_req_t *req, enum job_kind kind, enum route r,
                          uint64_t t0);
void http__job_free(struct job *j);
/* Queue j (taken) for a pool thread, or answer 503 when the queue is full. */
void http__job_submit(struct query_http *h, struct job *j);
/* Stopping: answer every queued job 503, cancel the running ones (they
 * finish in their after-work callback). */
void http__jobs_stop(struct query_http *h);
/* Close every pool thread's reader; only once no job runs. */
void http__readers_close(struct query_http *h);

/* ---- http_metrics.c ---------------------------------------------------------------- */

/* Count a response of route r with status, begun at t0 (uv_hrtime). */
void http__record(struct query_http *h, enum route r, int status, uint64_t t0);
/* The Prometheus text of h's counters and of the status callback's
 * members, appended to b. */
void http__metrics_render(struct query_http *h, struct buf *b);
/* The status callback's members as gauges: numeric member k becomes
 * vanthu_k, numeric member j of object k vanthu_k_j. */
void http__metrics_status(struct buf *b, json_t *status);

/* ---- http_conn.c ------------------------------------------------------------- */

/* Raise RLIMIT_NOFILE's soft limit to the hard one; return the soft limit
 * now in force (or 0 when unknown). */
unsigned long http__raise_nofile(void);
/* Start accepting on the listening socket fd (taken). */
void http__listen_start(struct query_http *h, int fd);
/* Stop accepting and close the listener (query_http_stop). */
void http__listen_stop(struct query_http *h);
/* The request req began on one of our connections: the connection is busy
 * (not evictable) until req is disposed. */
void http__conn_req_begin(struct query_http *h, h2o_req_t *req);
/* Close every connection still in the gate (stopping). */
void http__conns_close_gated(struct query_http *h);
void http__conns_release(struct query_http *h);

/* ---- http_file.c ---------------------------------------------------------------- */

/* Pool: find, open and check the original that rec describes; fill j->file
 * or set j->status / j->body.  0, or a negative code for a broken record. */
int http__file_open(struct query_http *h, struct job *j, json_t *rec, struct vt_err *err);
/* Answer j->req from j->file (the descriptor passes to the response). */
void http__file_respond(struct query_http *h, struct job *j);
/* Answer req with the page file at path (GET or HEAD). */
void http__page_respond(struct query_http *h, h2o_req_t *req, uint64_t t0, const char *path,
                        const char *type);

/* The Range header's value against a body of size bytes. */
enum { HTTP_RANGE_NONE, HTTP_RANGE_ONE, HTTP_RANGE_UNSATISFIABLE };
int http__parse_range(const char *v, size_t n, uint64_t size, uint64_t *first, uint64_t *last);

/* ---- http_host.c ------------------------------------------------------------------- */

/* Build the allow-list from the listen address and cfg's hostnames. */
void http__hosts_init(struct http_hosts *hs, const struct sockaddr_storage *listen,
                      const char *const *names, size_t nnames);
void http__hosts_release(struct http_hosts *hs);
/* 1 if a request with this Host / :authority value (n bytes; n == 0: none
 * sent) that arrived on a connection whose local address is local (may be
 * NULL) is for us. */
int http__host_ok(const struct http_hosts *hs, const char *v, size_t n,
                  const struct sockaddr *local);

#endif
