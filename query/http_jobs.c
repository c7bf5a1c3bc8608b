/* The job queue on the libuv threadpool, and the pool threads' readers.
 *
 * DESIGN
 *
 * Everything that touches the index runs on the threadpool as a job:
 *
 *   loop: a route parses and validates -> job (owns copies of its
 *         strings) -> waiting queue (bounded: 503 past max_queued) ->
 *         uv_queue_work when fewer than max_searches run
 *   pool: the thread's own reader (thread-local, reopened when the
 *         generation moved) -> query_search / storage_get -> JSON text
 *   loop: answer the request if it still exists, pump the queue.
 *
 * A job never points into h2o's request memory: the request may vanish
 * while the job runs (the client hung up).  A slot allocated in the
 * request's pool points at the job; its dispose callback clears job->req.
 * A job that waited longer than the request timeout is answered 503
 * without running; under load, searches skip their "did you mean".
 *
 * Readers: each pool thread keeps one struct storage for this server in
 * thread-local storage, registered in h->readers so query_http_stop() can
 * close them once no job runs (the handles are used by one thread at a
 * time; the mutex orders the hand-over).  A per-server serial tells a
 * thread that its reader belongs to an earlier server. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <h2o.h>
#include <jansson.h>
#include <uv.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/queue.h"
#include "common/xalloc.h"
#include "query/http_internal.h"
#include "query/search.h"
#include "storage/storage.h"

#define HTTP_MAX_TEXT ((size_t)64 << 20) /* a document's text in /api/documents/{id} */
#define SKIP_SUGGEST_MS 50 /* a search that waited this long skips its suggestions */

struct reader {
    struct storage *st;
    unsigned long gen;
    struct vt_queue link; /* h->readers */
};

static unsigned long server_serial;
static __thread unsigned long tls_serial;
static __thread struct reader *tls_reader;

/* ---- the queues --------------------------------------------------------------- */

static void queue_push(struct job_queue *l, struct job *j)
{
    vt_queue_push(&l->q, &j->link);
    l->n++;
}

static void queue_remove(struct job_queue *l, struct job *j)
{
    vt_queue_remove(&j->link);
    l->n--;
}

/* The oldest job of l, removed; NULL when l is empty. */
static struct job *queue_pop(struct job_queue *l)
{
    struct vt_queue *e = vt_queue_pop(&l->q);

    if (e == NULL)
        return NULL;
    l->n--;
    return vt_queue_entry(e, struct job, link);
}

void http__jobs_init(struct query_http *h)
{
    int rc;

    vt_queue_init(&h->waiting.q);
    vt_queue_init(&h->running.q);
    vt_queue_init(&h->readers);
    h->serial = __atomic_add_fetch(&server_serial, 1, __ATOMIC_RELAXED);
    rc = uv_mutex_init(&h->readers_lock);
    if (rc < 0)
        VT_BUG("uv_mutex_init: %s", uv_strerror(rc));
}

void http__jobs_release(struct query_http *h)
{
    uv_mutex_destroy(&h->readers_lock);
}

/* ---- jobs: loop side ------------------------------------------------------ */

static void on_req_dispose(void *p)
{
    struct job **slot = p;

    if (*slot)
        (*slot)->req = NULL;
}

struct job *http__job_new(struct query_http *h, h2o_req_t *req, enum job_kind kind, enum route r,
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
    vt_queue_init(&j->link);
    j->slot = h2o_mem_alloc_shared(&req->pool, sizeof(*j->slot), on_req_dispose);
    *j->slot = j;
    return j;
}

void http__job_free(struct job *j)
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
    struct job *j;

    while (h->running.n < h->max_searches && (j = queue_pop(&h->waiting)) != NULL) {
        if (j->req == NULL) {
            http__job_free(j);
            continue;
        }
        if (uv_now(h->loop) - j->queued_at > h->timeout_ms) {
            h->m.overloaded++;
            http__send_error(h, j->req, j->route, j->t0, 503, "the server is busy, try again");
            http__job_free(j);
            continue;
        }
        /* Under load, suggestions are the first work to go: a search
         * that waited behind others skips its "did you mean". */
        if (h->waiting.n > 0 || uv_now(h->loop) - j->queued_at > SKIP_SUGGEST_MS)
            j->qr.no_suggest = 1;
        queue_push(&h->running, j);
        uv_queue_work(h->loop, &j->work, job_work, job_after);
    }
}

void http__job_submit(struct query_http *h, struct job *j)
{
    if (h->waiting.n >= h->max_queued) {
        h->m.overloaded++;
        http__send_error(h, j->req, j->route, j->t0, 503, "the server is busy, try again");
        http__job_free(j);
        return;
    }
    j->queued_at = uv_now(h->loop);
    queue_push(&h->waiting, j);
    pump(h);
}

void http__jobs_stop(struct query_http *h)
{
    struct vt_queue *e;
    struct job *j;

    while ((j = queue_pop(&h->waiting)) != NULL) {
        if (j->req)
            http__send_error(h, j->req, j->route, j->t0, 503, "the server is stopping");
        http__job_free(j);
    }
    /* uv_cancel never runs job_after at once: the walk is safe. */
    vt_queue_foreach(e, &h->running.q)
        uv_cancel((uv_req_t *)&vt_queue_entry(e, struct job, link)->work);
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
        http__send_body(h, req, j->route, j->t0, 200, JSON_TYPE, s, strlen(s));
        free(s);
        return;
    }
    default:
        http__send_body(h, req, j->route, j->t0, 200, JSON_TYPE, j->body, strlen(j->body));
        return;
    }
}

static void job_after(uv_work_t *w, int status)
{
    struct job *j = w->data;
    struct query_http *h = j->h;

    queue_remove(&h->running, j);
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
    http__job_free(j);
    pump(h);
    http__maybe_finish(h);
}

/* ---- readers ---------------------------------------------------------------------- */

static struct reader *reader_get(struct query_http *h)
{
    struct reader *r;

    /* The serial is compared before tls_reader is touched: a reader of a
     * stopped server has been freed. */
    if (tls_serial == h->serial && tls_reader)
        return tls_reader;
    r = xcalloc(1, sizeof(*r));
    uv_mutex_lock(&h->readers_lock);
    vt_queue_push(&h->readers, &r->link);
    uv_mutex_unlock(&h->readers_lock);
    tls_reader = r;
    tls_serial = h->serial;
    return r;
}

void http__readers_close(struct query_http *h)
{
    struct vt_queue *e;

    uv_mutex_lock(&h->readers_lock);
    while ((e = vt_queue_pop(&h->readers)) != NULL) {
        struct reader *r = vt_queue_entry(e, struct reader, link);
        storage_close(r->st);
        free(r);
    }
    uv_mutex_unlock(&h->readers_lock);
}

/* ---- jobs: pool side ----------------------------------------------------------- */

static void job_fail(struct job *j, int status, const char *msg)
{
    j->status = status;
    free(j->body);
    j->body = xstrdup(msg);
}

static int run_search(struct job *j, struct storage *st, struct vt_err *err)
{
    json_t *res = NULL;
    int rc;

    rc = query_search(st, &j->qr, &res, err);
    if (rc < 0)
        goto out;
    /* The same text as `vanthu search --json`. */
    j->body = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (j->body == NULL)
        rc = vt_err_set(err, VT_ENOMEM, "out of memory writing JSON");
out:
    json_decref(res);
    return rc;
}

static int run_document(struct job *j, struct storage *st, struct vt_err *err)
{
    json_t *rec = NULL;
    struct buf text;
    int rc;

    buf_init(&text, HTTP_MAX_TEXT);
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
    if (j->body == NULL)
        rc = vt_err_set(err, VT_ENOMEM, "out of memory writing JSON");
out:
    json_decref(rec);
    buf_release(&text);
    return rc;
}

static int run_file(struct job *j, struct storage *st, struct vt_err *err)
{
    json_t *rec = NULL;
    int rc;

    rc = storage_get(st, j->id, &rec, NULL, err);
    if (rc == 0)
        rc = http__file_open(j->h, j, rec, err);
    json_decref(rec);
    return rc;
}

static int run_status(struct job *j, struct storage *st, struct vt_err *err)
{
    static const char *const states[] = {"indexed", "empty", "needs-ocr", "failed",
                                         "unsupported"};
    long n = storage_count(st, err);
    json_t *by;

    if (n < 0)
        return (int)n;
    by = json_object();
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        long c = storage_count_status(st, states[i], err);
        if (c < 0) {
            json_decref(by);
            return (int)c;
        }
        json_object_set_new(by, states[i], json_integer(c));
    }
    json_decref(j->json);
    j->json = json_pack("{s:I,s:o,s:I,s:I}", "documents", (json_int_t)n, "by_status", by,
                        "index_bytes", (json_int_t)storage_index_bytes(st), "shards",
                        (json_int_t)storage_nshards(st));
    return 0;
}

/* One attempt at the job's work with st; 0 or a negative code. */
static int job_run(struct job *j, struct storage *st, struct vt_err *err)
{
    switch (j->kind) {
    case JOB_SEARCH:
        return run_search(j, st, err);
    case JOB_DOC:
        return run_document(j, st, err);
    case JOB_FILE:
        return run_file(j, st, err);
    case JOB_STATUS:
        return run_status(j, st, err);
    }
    VT_BUG("job kind %d", (int)j->kind);
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
    /* A reader the writer overtook is reopened and retried inside storage. */
    rc = job_run(j, r->st, &err);
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
