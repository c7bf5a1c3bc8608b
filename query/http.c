/* The query server: libh2o routes on the caller's libuv loop.
 *
 * DESIGN
 *
 * One h2o context on the loop, one handler at "/" that routes by the raw
 * path (percent-decoded strictly by us, so "..", "%2e%2e" and friends
 * never reach a file: documents are found by their 32-hex-digit id only,
 * and the page's files come from a fixed list).  Everything that touches
 * the index runs on the libuv threadpool as a job:
 *
 *   loop: parse + validate -> job (owns copies of its strings) -> waiting
 *         queue (bounded: 503 past max_queued) -> uv_queue_work when fewer
 *         than max_searches run
 *   pool: the thread's own reader (thread-local, reopened when the
 *         generation moved) -> query_search / storage_get -> JSON text
 *   loop: answer the request if it still exists, pump the queue.
 *
 * A job never points into h2o's request memory: the request may vanish
 * while the job runs (the client hung up).  A slot allocated in the
 * request's pool points at the job; its dispose callback clears job->req.
 *
 * Readers: each pool thread keeps one struct storage for this server in
 * thread-local storage, registered in h->readers so query_http_stop() can
 * close them once no job runs (the handles are used by one thread at a
 * time; the mutex orders the hand-over).  A per-server serial tells a
 * thread that its reader belongs to an earlier server.
 *
 * Limits: a connection's first request head is read by the gate
 * (http_conn.c), which answers a head past our limits with JSON 414/431
 * and drops a client that sends nothing, or whose head takes too long
 * (slowloris: the loop never waits for one client); connection slots are
 * capped in all and per client address, the oldest idle connection giving
 * way to a new one (http_conn.c); then in on_req for every request: the
 * Host must be ours (421, http_host.c), URL and header limits (414, 431),
 * no bodies (413); h2o's request timeout on kept-alive connections; the
 * queue bound above.  Every error we send is JSON {"error": "..."}.
 *
 * Files (originals and the page's files) are sent from a descriptor opened
 * once, read in chunks on the threadpool (http_file.c); an original is
 * checked against its record before its first byte goes out.
 *
 * Known gap: a request past h2o's own limits on a kept-alive connection
 * (over 100 header fields) gets h2o's plain-text 400.
 *
 * Shutdown: close the listener, answer queued jobs with 503, cancel or
 * wait for running ones, ask h2o to close connections (expiring the idle
 * ones at once), then dispose h2o's context and free h on a later loop
 * iteration, after h2o's own handles have closed. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <h2o.h>
#include <h2o/http1.h>
#include <jansson.h>
#include <uv.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "query/http.h"
#include "query/http_internal.h"
#include "query/search.h"
#include "storage/storage.h"
#include "text/norm.h"

#define HTTP_MAX_URL 16384          /* bytes of the request target */
#define HTTP_MAX_HEADERS 64         /* header fields in a request */
#define HTTP_MAX_HEADER_BYTES 16384 /* bytes of header names and values */
#define HTTP_MAX_ENTITY 16384       /* request bodies (we accept none) */
#define HTTP_MAX_OFFSET 1000000
#define HTTP_MAX_TEXT ((size_t)64 << 20) /* a document's text in /api/documents/{id} */
#define HTTP_MAX_METRICS (1u << 20)
#define HTTP_DEFAULT_MAX_SEARCHES 3
#define HTTP_DEFAULT_MAX_QUEUED 256
#define HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define HTTP_DEFAULT_TIMEOUT_MS 10000
#define HTTP_FIRST_BYTE_MS 5000 /* a connection that sends nothing is dropped after this */
#define HTTP_FD_RESERVE 128     /* descriptors kept for the index, the indexer, OCR pipes */
#define HTTP_MIN_CONNECTIONS 16
#define HTTP_DRAIN_MS 50 /* while stopping: how often to expire idle connections */

/* ---- metrics -------------------------------------------------------------- */

static const char *const route_names[NROUTES] = {"page",   "search",  "document", "file",
                                                 "status", "metrics", "other"};
static const int status_codes[] = {200, 206, 304, 400, 404, 405, 409,
                                   413, 414, 416, 421, 431, 500, 503};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]) + 1) /* + "other" */
_Static_assert(NSTATUS == HTTP_NSTATUS, "HTTP_NSTATUS must count status_codes + 1");
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
_Static_assert(NBUCKETS == HTTP_NBUCKETS, "HTTP_NBUCKETS must count buckets");

/* ---- server state ------------------------------------------------------------ */

struct reader {
    struct storage *st;
    unsigned long gen;
    struct reader *next;
};

static const char *const param_names[NPARAMS] = {"q",    "limit",  "offset", "sort", "type",
                                                 "agency", "year", "from",   "to",   "exact"};

struct handler {
    h2o_handler_t super;
    struct query_http *h;
};

static unsigned long server_serial;
static __thread unsigned long tls_serial;
static __thread struct reader *tls_reader;

/* ---- small helpers -------------------------------------------------------- */

static void list_push(struct job_list *l, struct job *j)
{
    j->next = NULL;
    j->prev = l->tail;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
}

static void list_remove(struct job_list *l, struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        l->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        l->tail = j->prev;
    j->prev = j->next = NULL;
    l->n--;
}

const char *http__reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* h2o keeps the value's pointer: copy it into the request's pool. */
void http__add_header(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));

    h2o_add_header(&req->pool, &req->res.headers, token, NULL, v.base, v.len);
}

void http__add_header_str(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));

    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base,
                          v.len);
}

void http__record(struct query_http *h, enum route r, int status, uint64_t t0)
{
    double s = (double)(uv_hrtime() - t0) / 1e9;
    size_t i;

    for (i = 0; i < NSTATUS - 1; i++)
        if (status_codes[i] == status)
            break;
    if (i == NSTATUS - 1)
        h->m.other_status[r] = (uint64_t)status;
    h->m.count[r][i]++;
    for (i = 0; i < NBUCKETS; i++)
        if (s <= buckets[i])
            break;
    h->m.hist[r][i]++;
    h->m.sum[r] += s;
    h->m.n[r]++;
}

static void send_body(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int status,
                      const char *type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = http__reason(status);
    req->res.content_length = len;
    http__add_header(req, H2O_TOKEN_CONTENT_TYPE, type);
    http__add_header_str(req, "x-content-type-options", "nosniff");
    if (r != R_PAGE)
        http__add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-store");
    h2o_send_inline(req, body, len);
    http__record(h, r, status, t0);
}

/* Answer {"error": msg}.  msg must be valid UTF-8 (it never quotes raw
 * request bytes). */
void http__send_error(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int status,
                      const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *e;
    char *s;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    e = json_pack("{s:s}", "error", msg);
    s = e ? json_dumps(e, JSON_COMPACT) : NULL;
    if (status == 503)
        http__add_header(req, H2O_TOKEN_RETRY_AFTER, "1");
    if (status == 405)
        http__add_header(req, H2O_TOKEN_ALLOW, "GET, HEAD");
    if (s)
        send_body(h, req, r, t0, status, JSON_TYPE, s, strlen(s));
    else
        send_body(h, req, r, t0, status, JSON_TYPE, "{\"error\":\"error\"}", 17);
    free(s);
    json_decref(e);
}

int http__hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out (at least n + 1 bytes), '+' as a space
 * when plus is set.  -1 on a malformed escape or a decoded NUL. */
static int pct_decode(const char *s, size_t n, int plus, char *out, size_t *outlen)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = http__hexval(s[i + 1]);
            lo = http__hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return -1;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* A decimal number in [0, max] with nothing else; -1 otherwise. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (*s == '\0' || strlen(s) > 10)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int is_hex_id(const char *s, size_t n)
{
    if (n != STORAGE_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* ---- jobs: loop side ------------------------------------------------------ */

static void on_req_dispose(void *p)
{
    struct job **slot = p;

    if (*slot)
        (*slot)->req = NULL;
}

static struct job *job_new(struct query_http *h, h2o_req_t *req, enum job_kind kind, enum route r,
                           uint64_t t0)
{
    struct job *j = xcalloc(1, sizeof(*j));

    j->h = h;
    j->req = req;
    j->kind = kind;
    j->route = r;
    j->t0 = t0;
    j->work.data = j;
    j->file.fd = -1;
    j->slot = h2o_mem_alloc_shared(&req->pool, sizeof(*j->slot), on_req_dispose);
    *j->slot = j;
    return j;
}

static void job_free(struct job *j)
{
    if (j->req && j->slot)
        *j->slot = NULL;
    for (int i = 0; i < NPARAMS; i++)
        free(j->vals[i]);
    free(j->body);
    json_decref(j->json);
    if (j->file.fd >= 0)
        close(j->file.fd);
    free(j->file.path);
    free(j->file.mime);
    free(j->file.name);
    free(j);
}

static void job_work(uv_work_t *w);
static void job_after(uv_work_t *w, int status);

/* Start waiting jobs while fewer than max_searches run. */
static void pump(struct query_http *h)
{
    while (h->running.n < h->max_searches && h->waiting.head) {
        struct job *j = h->waiting.head;
        list_remove(&h->waiting, j);
        if (j->req == NULL) {
            job_free(j);
            continue;
        }
        if (uv_now(h->loop) - j->queued_at > h->timeout_ms) {
            h->m.overloaded++;
            http__send_error(h, j->req, j->route, j->t0, 503, "the server is busy, try again");
            job_free(j);
            continue;
        }
        /* Under load, suggestions are the first work to go: a search
         * that waited behind others skips its "did you mean". */
        if (h->waiting.n > 0 || uv_now(h->loop) - j->queued_at > 50)
            j->qr.no_suggest = 1;
        list_push(&h->running, j);
        uv_queue_work(h->loop, &j->work, job_work, job_after);
    }
}

static void submit(struct query_http *h, struct job *j)
{
    if (h->waiting.n >= h->max_queued) {
        h->m.overloaded++;
        http__send_error(h, j->req, j->route, j->t0, 503, "the server is busy, try again");
        job_free(j);
        return;
    }
    j->queued_at = uv_now(h->loop);
    list_push(&h->waiting, j);
    pump(h);
}

static void status_add_loop_fields(struct query_http *h, json_t *st)
{
    json_object_set_new(st, "uptime_s",
                        json_integer((json_int_t)((uv_now(h->loop) - h->started_ms) / 1000)));
    json_object_set_new(st, "index_generation", json_integer((json_int_t)h->generation));
    json_object_set_new(st, "searches",
                        json_pack("{s:I,s:I,s:I,s:I}", "running", (json_int_t)h->running.n,
                                  "queued", (json_int_t)h->waiting.n, "max_running",
                                  (json_int_t)h->max_searches, "max_queued",
                                  (json_int_t)h->max_queued));
    json_object_set_new(st, "connections", json_integer(h->nlive));
    if (h->status_cb)
        h->status_cb(h->status_data, st);
}

static void job_respond(struct job *j)
{
    struct query_http *h = j->h;
    h2o_req_t *req = j->req;

    if (j->status != 200) {
        /* The body holds the error message. */
        http__send_error(h, req, j->route, j->t0, j->status, "%s", j->body ? j->body : "error");
        return;
    }
    switch (j->kind) {
    case JOB_FILE:
        http__file_respond(h, j);
        return;
    case JOB_STATUS: {
        char *s;
        status_add_loop_fields(h, j->json);
        s = json_dumps(j->json, JSON_COMPACT);
        send_body(h, req, j->route, j->t0, 200, JSON_TYPE, s, strlen(s));
        free(s);
        return;
    }
    default:
        send_body(h, req, j->route, j->t0, 200, JSON_TYPE, j->body, strlen(j->body));
        return;
    }
}

static void job_after(uv_work_t *w, int status)
{
    struct job *j = w->data;
    struct query_http *h = j->h;

    list_remove(&h->running, j);
    if (status == UV_ECANCELED) {
        j->status = 503;
        free(j->body);
        j->body = xstrdup("the server is stopping");
    }
    if (j->kind == JOB_FILE && j->file.changed && status != UV_ECANCELED) {
        /* Whether or not the client is still there: the index is wrong
         * about this file.  The id, never the path (it may name a
         * secret). */
        h->m.files_changed++;
        log_warn("query server: document %s: %s", j->id, j->body ? j->body : "changed");
        if (h->file_changed)
            h->file_changed(j->file.path, h->file_changed_data);
    }
    if (j->req)
        job_respond(j);
    job_free(j);
    pump(h);
    http__maybe_finish(h);
}

/* ---- jobs: pool side ----------------------------------------------------------- */

static struct reader *reader_get(struct query_http *h)
{
    struct reader *r;

    /* The serial is compared before tls_reader is touched: a reader of a
     * stopped server has been freed. */
    if (tls_serial == h->serial && tls_reader)
        return tls_reader;
    r = xcalloc(1, sizeof(*r));
    uv_mutex_lock(&h->readers_lock);
    r->next = h->readers;
    h->readers = r;
    uv_mutex_unlock(&h->readers_lock);
    tls_reader = r;
    tls_serial = h->serial;
    return r;
}

static void job_fail(struct job *j, int status, const char *msg)
{
    j->status = status;
    free(j->body);
    j->body = xstrdup(msg);
}

static long index_bytes(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long total = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        char *p;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        p = xasprintf("%s/%s", dir, e->d_name);
        if (lstat(p, &sb) == 0) {
            if (S_ISREG(sb.st_mode))
                total += (long)sb.st_size;
            else if (S_ISDIR(sb.st_mode) && depth < 3)
                total += index_bytes(p, depth + 1);
        }
        free(p);
    }
    closedir(d);
    return total;
}

/* One attempt at the job's work with st; 0 or a negative code. */
static int job_run(struct job *j, struct storage *st, struct vt_err *err)
{
    json_t *res = NULL, *rec = NULL;
    struct buf text;
    int rc = 0;

    buf_init(&text, HTTP_MAX_TEXT);
    switch (j->kind) {
    case JOB_SEARCH:
        rc = query_search(st, &j->qr, &res, err);
        if (rc < 0)
            goto out;
        /* The same text as `vanthu search --json`. */
        j->body = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(6));
        break;
    case JOB_DOC:
        rc = storage_get(st, j->id, &rec, &text, err);
        if (rc < 0)
            goto out;
        if (!json_is_object(rec)) {
            rc = vt_err_set(err, VT_ECORRUPT, "document '%s' has no record", j->id);
            goto out;
        }
        if (json_object_get(rec, "id") == NULL)
            json_object_set_new(rec, "id", json_string(j->id));
        json_object_set_new(rec, "text", json_stringn(text.len ? text.ptr : "", text.len));
        j->body = json_dumps(rec, JSON_COMPACT);
        break;
    case JOB_FILE:
        rc = storage_get(st, j->id, &rec, NULL, err);
        if (rc < 0)
            goto out;
        rc = http__file_open(j->h, j, rec, err);
        break;
    case JOB_STATUS: {
        static const char *const states[] = {"indexed", "empty", "needs-ocr", "failed",
                                             "unsupported"};
        long n = storage_count(st, err);
        json_t *by;
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        by = json_object();
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
            char term[64];
            long c;
            snprintf(term, sizeof(term), "XS%s", states[i]);
            c = storage_termfreq(st, term, err);
            if (c < 0) {
                json_decref(by);
                rc = (int)c;
                goto out;
            }
            json_object_set_new(by, states[i], json_integer(c));
        }
        json_decref(j->json);
        j->json = json_pack("{s:I,s:o,s:I,s:I}", "documents", (json_int_t)n, "by_status", by,
                            "index_bytes", (json_int_t)index_bytes(j->h->data_dir, 0), "shards",
                            (json_int_t)storage_nshards(st));
        break;
    }
    }
    if ((j->kind == JOB_SEARCH || j->kind == JOB_DOC) && j->body == NULL)
        rc = vt_err_set(err, VT_ENOMEM, "out of memory writing JSON");
out:
    json_decref(res);
    json_decref(rec);
    buf_release(&text);
    return rc;
}

static void job_work(uv_work_t *w)
{
    struct job *j = w->data;
    struct query_http *h = j->h;
    struct reader *r = reader_get(h);
    unsigned long gen = __atomic_load_n(&h->generation, __ATOMIC_ACQUIRE);
    struct vt_err err;
    int rc;

    vt_err_clear(&err);
    j->status = 200;
    if (r->st == NULL) {
        rc = storage_open(h->data_dir, 0, &r->st, &err);
        if (rc < 0) {
            r->st = NULL;
            log_warn("query server: cannot open the index '%s': %s", h->data_dir,
                     err.msg[0] ? err.msg : vt_strerror(rc));
            job_fail(j, 503, "the index is not available yet");
            return;
        }
        r->gen = gen;
    } else if (r->gen != gen) {
        rc = storage_reopen(r->st, &err);
        if (rc < 0)
            goto fail;
        r->gen = gen;
    }
    rc = job_run(j, r->st, &err);
    if (rc == VT_EAGAIN) {
        /* The index moved under the reader: reopen, retry once. */
        vt_err_clear(&err);
        free(j->body);
        j->body = NULL;
        rc = storage_reopen(r->st, &err);
        if (rc == 0)
            rc = job_run(j, r->st, &err);
    }
    if (rc == 0)
        return;
fail:
    switch (rc) {
    case VT_EQUERY:
        job_fail(j, 400, err.msg[0] ? err.msg : "the query cannot be understood");
        return;
    case VT_ENOTFOUND:
        job_fail(j, 404, j->kind == JOB_FILE && err.msg[0] ? err.msg : "no such document");
        return;
    case VT_E2BIG:
        job_fail(j, 500, "the document is too large to show");
        return;
    default:
        log_error("query server: %s", err.msg[0] ? err.msg : vt_strerror(rc));
        /* Start from a fresh handle next time. */
        storage_close(r->st);
        r->st = NULL;
        job_fail(j, 500, "the index cannot be read");
        return;
    }
}

/* ---- routes --------------------------------------------------------------------- */

struct query_params {
    char *v[NPARAMS]; /* in req's pool; NULL = absent */
};

/* Parse the query string of a request into p; allow_search: the search
 * parameters are allowed (else none is).  0, or -1 after answering with an
 * error. */
static int parse_query(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0,
                       int allow_search, struct query_params *p)
{
    const char *qs, *end, *s;
    size_t qn;

    memset(p, 0, sizeof(*p));
    if (req->query_at == SIZE_MAX)
        return 0;
    qs = req->path.base + req->query_at + 1;
    qn = req->path.len - req->query_at - 1;
    end = qs + qn;
    for (s = qs; s < end;) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        const char *kend = eq ? eq : e;
        char key[32], *val;
        size_t klen, vlen;
        int k;

        if (e == s) { /* "a=1&&b=2" */
            s = e + 1;
            continue;
        }
        if ((size_t)(kend - s) >= sizeof(key) ||
            pct_decode(s, (size_t)(kend - s), 1, key, &klen) < 0) {
            http__send_error(h, req, r, t0, 400, "bad parameter name in the query string");
            return -1;
        }
        for (k = 0; k < NPARAMS; k++)
            if (strcmp(key, param_names[k]) == 0)
                break;
        if (k == NPARAMS || !allow_search) {
            int printable = klen > 0;
            for (size_t i = 0; i < klen; i++)
                if (key[i] < 0x21 || key[i] > 0x7e || key[i] == '"' || key[i] == '\\')
                    printable = 0;
            if (printable)
                http__send_error(h, req, r, t0, 400, "unknown parameter '%s'", key);
            else
                http__send_error(h, req, r, t0, 400, "unknown parameter");
            return -1;
        }
        if (p->v[k]) {
            http__send_error(h, req, r, t0, 400, "parameter '%s' given twice", key);
            return -1;
        }
        val = h2o_mem_alloc_pool(&req->pool, (size_t)(e - kend) + 1);
        if (pct_decode(eq ? eq + 1 : e, eq ? (size_t)(e - eq - 1) : 0, 1, val, &vlen) < 0) {
            http__send_error(h, req, r, t0, 400, "bad percent-encoding in parameter '%s'", key);
            return -1;
        }
        if (!text_utf8_valid(val, vlen)) {
            http__send_error(h, req, r, t0, 400, "parameter '%s' is not valid UTF-8", key);
            return -1;
        }
        p->v[k] = val;
        s = e < end ? e + 1 : end;
    }
    return 0;
}

static void route_search(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    struct query_params p;
    struct job *j;
    unsigned long v;
    const char *s;

    if (parse_query(h, req, R_SEARCH, t0, 1, &p) < 0)
        return;
    if (p.v[P_Q] && strlen(p.v[P_Q]) > QUERY_MAX_LEN) {
        http__send_error(h, req, R_SEARCH, t0, 413, "query longer than %d bytes", QUERY_MAX_LEN);
        return;
    }
    j = job_new(h, req, JOB_SEARCH, R_SEARCH, t0);
    j->qr.limit = 10;
    if ((s = p.v[P_LIMIT]) && *s) {
        if (parse_uint(s, QUERY_MAX_LIMIT, &v) < 0) {
            http__send_error(h, req, R_SEARCH, t0, 400, "'limit' must be a number from 0 to %d",
                       QUERY_MAX_LIMIT);
            goto bad;
        }
        j->qr.limit = (unsigned)v;
    }
    if ((s = p.v[P_OFFSET]) && *s) {
        if (parse_uint(s, HTTP_MAX_OFFSET, &v) < 0) {
            http__send_error(h, req, R_SEARCH, t0, 400, "'offset' must be a number from 0 to %d",
                       HTTP_MAX_OFFSET);
            goto bad;
        }
        j->qr.offset = (unsigned)v;
    }
    if ((s = p.v[P_SORT]) && *s) {
        if (strcmp(s, "relevance") == 0)
            j->qr.sort = QUERY_SORT_RELEVANCE;
        else if (strcmp(s, "date") == 0)
            j->qr.sort = QUERY_SORT_DATE_ASC;
        else if (strcmp(s, "-date") == 0)
            j->qr.sort = QUERY_SORT_DATE_DESC;
        else {
            http__send_error(h, req, R_SEARCH, t0, 400, "'sort' must be relevance, date or -date");
            goto bad;
        }
    }
    if ((s = p.v[P_YEAR]) && *s) {
        if (strlen(s) != 4 || parse_uint(s, 9999, &v) < 0 || v < 1000) {
            http__send_error(h, req, R_SEARCH, t0, 400, "'year' must have four digits");
            goto bad;
        }
        j->qr.year = (int)v;
    }
    if ((s = p.v[P_EXACT]) && *s) {
        if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
            http__send_error(h, req, R_SEARCH, t0, 400, "'exact' must be 0 or 1");
            goto bad;
        }
        j->qr.exact = s[0] == '1';
    }
    for (int k = 0; k < NPARAMS; k++)
        if (p.v[k])
            j->vals[k] = xstrdup(p.v[k]);
    j->qr.q = j->vals[P_Q];
    j->qr.type = j->vals[P_TYPE];
    j->qr.agency = j->vals[P_AGENCY];
    j->qr.from = j->vals[P_FROM];
    j->qr.to = j->vals[P_TO];
    submit(h, j);
    return;
bad:
    job_free(j);
}

static void route_document(struct query_http *h, h2o_req_t *req, uint64_t t0, const char *id,
                           int file)
{
    struct query_params p;
    struct job *j;
    enum route r = file ? R_FILE : R_DOC;

    if (parse_query(h, req, r, t0, 0, &p) < 0)
        return;
    j = job_new(h, req, file ? JOB_FILE : JOB_DOC, r, t0);
    memcpy(j->id, id, STORAGE_ID_LEN);
    j->id[STORAGE_ID_LEN] = '\0';
    submit(h, j);
}

static void route_status(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    struct query_params p;

    if (parse_query(h, req, R_STATUS, t0, 0, &p) < 0)
        return;
    submit(h, job_new(h, req, JOB_STATUS, R_STATUS, t0));
}

static void metric_name(struct buf *b, const char *prefix, const char *k)
{
    buf_adds(b, prefix);
    for (; *k; k++)
        buf_addc(b, ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                     (*k >= '0' && *k <= '9')) ? *k : '_');
}

static void metric_value(struct buf *b, json_t *v)
{
    if (json_is_integer(v))
        buf_printf(b, " %lld\n", (long long)json_integer_value(v));
    else if (json_is_real(v))
        buf_printf(b, " %.17g\n", json_real_value(v));
    else
        buf_printf(b, " %d\n", json_is_true(v) ? 1 : 0);
}

static void route_metrics(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    struct query_params p;
    struct buf b;
    size_t r, i;

    if (parse_query(h, req, R_METRICS, t0, 0, &p) < 0)
        return;
    buf_init(&b, HTTP_MAX_METRICS);
    buf_adds(&b, "# HELP vanthu_http_requests_total HTTP requests answered by vanthu, by route and "
                 "status.\n# TYPE vanthu_http_requests_total counter\n");
    for (r = 0; r < NROUTES; r++)
        for (i = 0; i < NSTATUS; i++)
            if (h->m.count[r][i])
                buf_printf(&b, "vanthu_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                           route_names[r],
                           i < NSTATUS - 1 ? status_codes[i] : (int)h->m.other_status[r],
                           (unsigned long long)h->m.count[r][i]);
    buf_adds(&b, "# HELP vanthu_http_request_duration_seconds Time from request to response "
                 "start.\n# TYPE vanthu_http_request_duration_seconds histogram\n");
    for (r = 0; r < NROUTES; r++) {
        uint64_t cum = 0;
        if (h->m.n[r] == 0)
            continue;
        for (i = 0; i < NBUCKETS; i++) {
            cum += h->m.hist[r][i];
            buf_printf(&b,
                       "vanthu_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                       route_names[r], buckets[i], (unsigned long long)cum);
        }
        buf_printf(&b,
                   "vanthu_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                   "vanthu_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                   "vanthu_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                   route_names[r], (unsigned long long)h->m.n[r], route_names[r], h->m.sum[r],
                   route_names[r], (unsigned long long)h->m.n[r]);
    }
    buf_printf(&b,
               "# HELP vanthu_http_searches_running Index jobs running on the threadpool.\n"
               "# TYPE vanthu_http_searches_running gauge\nvanthu_http_searches_running %u\n"
               "# HELP vanthu_http_searches_queued Index jobs waiting for a thread.\n"
               "# TYPE vanthu_http_searches_queued gauge\nvanthu_http_searches_queued %u\n"
               "# HELP vanthu_http_overloaded_total Requests answered 503 because the queue was "
               "full.\n# TYPE vanthu_http_overloaded_total counter\nvanthu_http_overloaded_total "
               "%llu\n"
               "# HELP vanthu_http_connections Open client connections.\n"
               "# TYPE vanthu_http_connections gauge\nvanthu_http_connections %u\n"
               "# HELP vanthu_http_connections_waiting Connections over a cap, waiting for an idle "
               "one to give way.\n# TYPE vanthu_http_connections_waiting gauge\n"
               "vanthu_http_connections_waiting %u\n"
               "# HELP vanthu_http_connections_total Client connections accepted.\n"
               "# TYPE vanthu_http_connections_total counter\nvanthu_http_connections_total %llu\n"
               "# HELP vanthu_http_connections_refused_total Connections closed at once because "
               "no slot could be freed.\n# TYPE vanthu_http_connections_refused_total counter\n"
               "vanthu_http_connections_refused_total %llu\n"
               "# HELP vanthu_http_connections_evicted_total Idle connections closed to make room "
               "for new ones.\n# TYPE vanthu_http_connections_evicted_total counter\n"
               "vanthu_http_connections_evicted_total %llu\n"
               "# HELP vanthu_http_accept_fd_shortage_total Times accept found no free file "
               "descriptor.\n# TYPE vanthu_http_accept_fd_shortage_total counter\n"
               "vanthu_http_accept_fd_shortage_total %llu\n"
               "# HELP vanthu_http_wrong_host_total Requests refused (421) for naming a host "
               "that is not ours.\n# TYPE vanthu_http_wrong_host_total counter\n"
               "vanthu_http_wrong_host_total %llu\n"
               "# HELP vanthu_http_files_changed_total Originals that no longer matched their "
               "record when downloaded.\n# TYPE vanthu_http_files_changed_total counter\n"
               "vanthu_http_files_changed_total %llu\n"
               "# HELP vanthu_index_generation Index commits seen by the query server.\n"
               "# TYPE vanthu_index_generation counter\nvanthu_index_generation %lu\n",
               h->running.n, h->waiting.n, (unsigned long long)h->m.overloaded, h->nlive,
               h->nwait, (unsigned long long)h->m.accepted_conns, (unsigned long long)h->m.refused_conns,
               (unsigned long long)h->m.evicted_conns, (unsigned long long)h->m.fd_shortage,
               (unsigned long long)h->m.wrong_host, (unsigned long long)h->m.files_changed,
               h->generation);
    if (h->status_cb) {
        json_t *st = json_object(), *v, *v2;
        const char *k, *k2;
        h->status_cb(h->status_data, st);
        json_object_foreach(st, k, v) {
            if (json_is_number(v) || json_is_boolean(v)) {
                metric_name(&b, "vanthu_", k);
                metric_value(&b, v);
            } else if (json_is_object(v)) {
                json_object_foreach(v, k2, v2) {
                    if (!(json_is_number(v2) || json_is_boolean(v2)))
                        continue;
                    metric_name(&b, "vanthu_", k);
                    metric_name(&b, "_", k2);
                    metric_value(&b, v2);
                }
            }
        }
        json_decref(st);
    }
    send_body(h, req, R_METRICS, t0, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&b),
              b.len);
    buf_release(&b);
}

static const struct {
    const char *path, *file, *type;
} web_files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "style.css", "text/css; charset=utf-8"},
    {"/favicon.svg", "favicon.svg", "image/svg+xml"},
};

static void route_page(struct query_http *h, h2o_req_t *req, uint64_t t0, size_t k)
{
    char *path;

    if (h->web_dir == NULL) {
        http__send_error(h, req, R_PAGE, t0, 404, "no such page");
        return;
    }
    path = h2o_mem_alloc_pool(&req->pool, strlen(h->web_dir) + strlen(web_files[k].file) + 2);
    sprintf(path, "%s/%s", h->web_dir, web_files[k].file);
    if (strcmp(web_files[k].file, "index.html") == 0)
        http__add_header_str(req, "content-security-policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    http__page_respond(h, req, t0, path, web_files[k].type);
}

/* The Host (HTTP/2: :authority) names us.  When the request had none,
 * h2o points input.authority at its host configuration's name: that is
 * fine for HTTP/1.0 (no browser sends it), not for HTTP/1.1 or 2, where a
 * Host is required. */
static int host_ok(struct query_http *h, h2o_req_t *req)
{
    struct sockaddr_storage local;
    socklen_t len = 0;
    h2o_iovec_t a = req->input.authority;

    if (a.base == NULL || (req->hostconf != NULL && a.base == req->hostconf->authority.hostport.base))
        a = req->version < 0x101 ? h2o_iovec_init("", 0) : h2o_iovec_init(H2O_STRLIT("-"));
    if (req->conn->callbacks->get_sockname != NULL)
        len = req->conn->callbacks->get_sockname(req->conn, (struct sockaddr *)&local);
    return http__host_ok(&h->hosts, a.base, a.len, len > 0 ? (struct sockaddr *)&local : NULL);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct query_http *h = ((struct handler *)self)->h;
    uint64_t t0 = uv_hrtime();
    size_t plen = req->query_at == SIZE_MAX ? req->path.len : req->query_at, hbytes = 0, n, i;
    char *path;
    const char *rest;
    enum route r = R_OTHER;
    int is_get;

    http__conn_req_begin(h, req);
    if (!host_ok(h, req)) {
        /* A page reaching us by DNS rebinding names its own host: it
         * learns nothing but this. */
        h->m.wrong_host++;
        http__send_error(h, req, R_OTHER, t0, 421,
                         "this server does not answer for that host name (see [server] hostnames)");
        return 0;
    }
    if (req->path.len > HTTP_MAX_URL) {
        http__send_error(h, req, R_OTHER, t0, 414, "the URL is longer than %d bytes", HTTP_MAX_URL);
        return 0;
    }
    for (i = 0; i < req->headers.size; i++)
        hbytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    if (req->headers.size > HTTP_MAX_HEADERS || hbytes > HTTP_MAX_HEADER_BYTES) {
        http__send_error(h, req, R_OTHER, t0, 431,
                   "too many or too large header fields (at most %d, %d bytes)", HTTP_MAX_HEADERS,
                   HTTP_MAX_HEADER_BYTES);
        return 0;
    }
    if (req->entity.base != NULL && req->entity.len > 0) {
        http__send_error(h, req, R_OTHER, t0, 413, "requests have no body");
        return 0;
    }
    path = h2o_mem_alloc_pool(&req->pool, plen + 1);
    if (pct_decode(req->path.base, plen, 0, path, &n) < 0) {
        http__send_error(h, req, R_OTHER, t0, 400, "bad percent-encoding in the path");
        return 0;
    }
    if (!text_utf8_valid(path, n)) {
        http__send_error(h, req, R_OTHER, t0, 400, "the path is not valid UTF-8");
        return 0;
    }
    if (h->stopping) {
        http__send_error(h, req, R_OTHER, t0, 503, "the server is stopping");
        return 0;
    }
    /* HEAD is GET without the body: h2o_send_inline and the fd sender
     * drop it. */
    is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
             h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));

    for (i = 0; i < sizeof(web_files) / sizeof(web_files[0]); i++)
        if (strcmp(path, web_files[i].path) == 0) {
            if (!is_get)
                goto not_allowed;
            route_page(h, req, t0, i);
            return 0;
        }
    if (strcmp(path, "/api/search") == 0) {
        r = R_SEARCH;
        if (!is_get)
            goto not_allowed;
        route_search(h, req, t0);
    } else if (strcmp(path, "/api/status") == 0) {
        r = R_STATUS;
        if (!is_get)
            goto not_allowed;
        route_status(h, req, t0);
    } else if (strcmp(path, "/metrics") == 0) {
        r = R_METRICS;
        if (!is_get)
            goto not_allowed;
        route_metrics(h, req, t0);
    } else if (strncmp(path, "/api/documents/", 15) == 0) {
        const char *slash;
        int file = 0;
        rest = path + 15;
        slash = strchr(rest, '/');
        if (slash && strcmp(slash, "/file") == 0)
            file = 1;
        r = file ? R_FILE : R_DOC;
        if (!is_hex_id(rest, slash ? (size_t)(slash - rest) : strlen(rest)) || (slash && !file)) {
            http__send_error(h, req, r, t0, 404,
                       "no such document (a document is addressed by its id: 32 hex digits)");
            return 0;
        }
        if (!is_get)
            goto not_allowed;
        route_document(h, req, t0, rest, file);
    } else {
        http__send_error(h, req, R_OTHER, t0, 404, "no such page");
    }
    return 0;
not_allowed:
    http__send_error(h, req, r, t0, 405, "only GET and HEAD are allowed here");
    return 0;
}

/* ---- listening ----------------------------------------------------------------- */

static int resolve_listen(const char *addr, struct sockaddr_storage *ss, struct vt_err *err)
{
    char host[256];
    const char *colon, *hs = addr;
    size_t hl;
    unsigned long port;
    struct addrinfo hints, *ai = NULL;
    int rc;

    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (rb == NULL || rb[1] != ':')
            return vt_err_set(err, VT_EUSAGE, "bad listen address '%s' (HOST:PORT)", addr);
        hs = addr + 1;
        hl = (size_t)(rb - hs);
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return vt_err_set(err, VT_EUSAGE, "bad listen address '%s' (HOST:PORT)", addr);
        hl = (size_t)(colon - addr);
    }
    if (hl >= sizeof(host) || parse_uint(colon + 1, 65535, &port) < 0)
        return vt_err_set(err, VT_EUSAGE, "bad listen address '%s' (HOST:PORT)", addr);
    memcpy(host, hs, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (uv_ip4_addr(hl ? host : "0.0.0.0", (int)port, (struct sockaddr_in *)ss) == 0 ||
        uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    /* A host name: resolved once, at start. */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0 || ai == NULL)
        return vt_err_set(err, VT_EUSAGE, "cannot resolve '%s': %s", host, gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    freeaddrinfo(ai);
    return 0;
}

/* A listening socket, made without libuv so a failure leaves no handle to
 * close.  The fd, or a negative code. */
static int open_listener(const char *addr, struct sockaddr_storage *ss, int *port,
                         struct vt_err *err)
{
    struct sockaddr_storage bound;
    socklen_t len;
    int fd, one = 1, rc;

    rc = resolve_listen(addr, ss, err);
    if (rc < 0)
        return rc;
    fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return vt_err_set(err, -errno, "cannot create a socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (bind(fd, (struct sockaddr *)ss, len) < 0 || listen(fd, 511) < 0) {
        rc = vt_err_set(err, -errno, "cannot listen on '%s': %s", addr, strerror(errno));
        close(fd);
        return rc;
    }
    len = sizeof(bound);
    if (getsockname(fd, (struct sockaddr *)&bound, &len) < 0) {
        rc = vt_err_set(err, -errno, "getsockname: %s", strerror(errno));
        close(fd);
        return rc;
    }
    *port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                             : ((struct sockaddr_in6 *)&bound)->sin6_port);
    return fd;
}

int query_http_check_listen(const char *addr, struct vt_err *err)
{
    struct sockaddr_storage ss;
    int fd, port = 0;

    fd = open_listener(addr, &ss, &port, err);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (fd == -EADDRINUSE)
        return vt_err_set(err, fd,
                          "%s is already in use (another vanthu serve, or another program); "
                          "choose another address with --listen HOST:PORT or [server] listen "
                          "in vanthu.conf",
                          addr);
    if (fd == -EACCES)
        return vt_err_set(err, fd,
                          "not allowed to listen on %s; choose a port above 1023 with "
                          "--listen HOST:PORT",
                          addr);
    return fd;
}

/* ---- lifecycle ------------------------------------------------------------------ */

int query_http_start(uv_loop_t *loop, const struct query_http_config *cfg, struct query_http **out,
                     struct vt_err *err)
{
    struct query_http *h;
    h2o_hostconf_t *hostconf;
    h2o_pathconf_t *pathconf;
    struct handler *handler;
    struct sockaddr_storage ss;
    unsigned long nofile;
    int fd, port = 0, rc;

    *out = NULL;
    if (cfg->data_dir == NULL || cfg->listen == NULL)
        return vt_err_set(err, VT_EUSAGE, "the query server needs a listen address and an index");
    fd = open_listener(cfg->listen, &ss, &port, err);
    if (fd < 0)
        return fd;

    h = xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->listen = xstrdup(cfg->listen);
    h->data_dir = xstrdup(cfg->data_dir);
#ifdef VANTHU_WEB_DIR
    h->web_dir = xstrdup(cfg->web_dir ? cfg->web_dir : VANTHU_WEB_DIR);
#else
    h->web_dir = cfg->web_dir ? xstrdup(cfg->web_dir) : NULL;
#endif
    h->max_searches = cfg->max_searches ? cfg->max_searches : HTTP_DEFAULT_MAX_SEARCHES;
    h->max_queued = cfg->max_queued ? cfg->max_queued : HTTP_DEFAULT_MAX_QUEUED;
    h->max_conns = cfg->max_connections ? cfg->max_connections : HTTP_DEFAULT_MAX_CONNECTIONS;
    /* Every connection is a descriptor, and as many again may wait for a
     * slot (http_conn.c): fit under the limit, keeping some for the rest
     * of the process. */
    nofile = http__raise_nofile();
    if (nofile != 0 && nofile < 2 * (unsigned long)h->max_conns + HTTP_FD_RESERVE) {
        unsigned fit = nofile > HTTP_FD_RESERVE + 2 * HTTP_MIN_CONNECTIONS
                           ? (unsigned)((nofile - HTTP_FD_RESERVE) / 2)
                           : HTTP_MIN_CONNECTIONS;
        log_warn("query server: the open-file limit is %lu: serving at most %u connections, "
                 "not %u",
                 nofile, fit, h->max_conns);
        h->max_conns = fit;
    }
    h->max_per_addr = cfg->max_connections_per_address ? cfg->max_connections_per_address
                                                        : (h->max_conns + 1) / 2;
    if (h->max_per_addr > h->max_conns)
        h->max_per_addr = h->max_conns;
    h->timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    h->archives = xcalloc(cfg->narchives ? cfg->narchives : 1, sizeof(char *));
    for (size_t i = 0; i < cfg->narchives; i++)
        if (cfg->archives[i] != NULL && cfg->archives[i][0] == '/')
            h->archives[h->narchives++] = xstrdup(cfg->archives[i]);
    http__hosts_init(&h->hosts, &ss, cfg->hostnames, cfg->nhostnames);
    h->file_changed = cfg->file_changed;
    h->file_changed_data = cfg->file_changed_data;
    h->serial = __atomic_add_fetch(&server_serial, 1, __ATOMIC_RELAXED);
    h->port = port;
    h->started_ms = uv_now(loop);
    rc = uv_mutex_init(&h->readers_lock);
    if (rc < 0)
        VT_BUG("uv_mutex_init: %s", uv_strerror(rc));

    h2o_config_init(&h->config);
    h->config.server_name = h2o_iovec_init(H2O_STRLIT("vanthu"));
    h->config.max_request_entity_size = HTTP_MAX_ENTITY;
    h->config.http1.req_timeout = h->timeout_ms;
    h->config.http2.idle_timeout = h->timeout_ms;
    /* No fd cache: an original may change on disk between downloads. */
    h->config.filecache.capacity = 0;
    hostconf = h2o_config_register_host(&h->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    pathconf = h2o_config_register_path(hostconf, "/", 0);
    handler = (struct handler *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->h = h;
    h2o_context_init(&h->ctx, loop, &h->config);
    h2o_timeout_init(loop, &h->gate_first,
                     h->timeout_ms < HTTP_FIRST_BYTE_MS ? h->timeout_ms : HTTP_FIRST_BYTE_MS);
    h2o_timeout_init(loop, &h->gate_head, h->timeout_ms);
    h->accept_ctx.ctx = &h->ctx;
    h->accept_ctx.hosts = h->config.hosts;

    uv_timer_init(loop, &h->stop_timer);
    h->stop_timer.data = h;
    http__listen_start(h, fd);
    log_info("query server: listening on %s (port %d), index '%s', at most %u connections "
             "(%u per client address)",
             h->listen, h->port, h->data_dir, h->max_conns, h->max_per_addr);
    *out = h;
    return 0;
}

int query_http_port(const struct query_http *h)
{
    return h->port;
}

void query_http_index_changed(struct query_http *h)
{
    __atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
}

void query_http_set_status_cb(struct query_http *h, query_status_cb cb, void *data)
{
    h->status_cb = cb;
    h->status_data = data;
}

/* Make h2o close every connection that waits for a request: its timeouts
 * for idle connections expire now. */
static void expire_idle(struct query_http *h)
{
    uint64_t now = h2o_now(h->loop);

    /* Connections still in the gate are ours to close. */
    http__conns_close_gated(h);

    h->ctx.http1.req_timeout.timeout = 0;
    h->ctx.http2.idle_timeout.timeout = 0;
    h2o_timeout_run(h->loop, &h->ctx.http1.req_timeout, now);
    h2o_timeout_run(h->loop, &h->ctx.http2.idle_timeout, now);
}

static void on_final_close(uv_handle_t *handle)
{
    struct query_http *h = handle->data;
    void (*done)(void *) = h->done;
    void *data = h->done_data;

    uv_mutex_destroy(&h->readers_lock);
    http__conns_release(h);
    http__hosts_release(&h->hosts);
    for (size_t i = 0; i < h->narchives; i++)
        free(h->archives[i]);
    free(h->archives);
    free(h->listen);
    free(h->data_dir);
    free(h->web_dir);
    free(h);
    if (done)
        done(data);
}

static void on_final_timer(uv_timer_t *t)
{
    /* h2o's handles were closed on an earlier iteration and are gone. */
    uv_close((uv_handle_t *)t, on_final_close);
}

static void on_drain_timer(uv_timer_t *t)
{
    expire_idle(t->data);
}

void http__maybe_finish(struct query_http *h)
{
    struct reader *r, *next;

    if (!h->stopping || h->finishing || h->running.n || h->waiting.n || h->nconns)
        return;
    h->finishing = 1;
    /* No job runs: the readers may be closed from this thread. */
    uv_mutex_lock(&h->readers_lock);
    for (r = h->readers; r; r = next) {
        next = r->next;
        storage_close(r->st);
        free(r);
    }
    h->readers = NULL;
    uv_mutex_unlock(&h->readers_lock);
    /* h2o_context_request_shutdown() arms the HTTP/2 GOAWAY resend timer;
     * with no connection left it has nothing to do. */
    if (h2o_timeout_is_linked(&h->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&h->ctx.http2._graceful_shutdown_timeout);
    h2o_timeout_dispose(h->loop, &h->gate_first);
    h2o_timeout_dispose(h->loop, &h->gate_head);
    h2o_context_dispose(&h->ctx);
    h2o_config_dispose(&h->config);
    /* h embeds handles h2o just closed (its timers): free it only after
     * their close callbacks ran, from a timer on a later iteration. */
    uv_timer_stop(&h->stop_timer);
    uv_timer_start(&h->stop_timer, on_final_timer, 0, 0);
}

void query_http_stop(struct query_http *h, void (*done)(void *data), void *data)
{
    struct job *j, *next;

    if (h->stopping)
        VT_BUG("query_http_stop called twice");
    h->stopping = 1;
    h->done = done;
    h->done_data = data;
    http__listen_stop(h);
    while ((j = h->waiting.head) != NULL) {
        list_remove(&h->waiting, j);
        if (j->req)
            http__send_error(h, j->req, j->route, j->t0, 503, "the server is stopping");
        job_free(j);
    }
    for (j = h->running.head; j; j = next) {
        next = j->next;
        uv_cancel((uv_req_t *)&j->work);
    }
    h2o_context_request_shutdown(&h->ctx);
    expire_idle(h);
    h->stop_timer.data = h;
    uv_timer_start(&h->stop_timer, on_drain_timer, HTTP_DRAIN_MS, HTTP_DRAIN_MS);
    http__maybe_finish(h);
}
