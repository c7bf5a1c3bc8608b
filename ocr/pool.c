/* The OCR worker pool (see pool.h for the contract).
 *
 * DESIGN
 *
 * A pool has N slots.  A slot owns at most one running worker process
 * (struct proc) at a time; a proc owns four handles (process, stdin pipe,
 * stdout pipe, timer), the parent's end of the worker's descriptor channel
 * (ocr/fdpass.h) and, while a job's file is being opened, that open request;
 * it is freed when the last of its handles has closed and its open has
 * completed, after the slot has already moved on to a fresh proc.  Every
 * handle and request the pool has under way is counted in pool->handles, so
 * ocr_pool_free() can defer the free until the loop has finished them all.
 *
 * Workers start in their own session (UV_PROCESS_DETACHED: setsid), so a
 * Ctrl-C on the terminal reaches vanthu alone and the pool stops its
 * workers itself; they also die with the pool's process (--parent: a
 * parent-death signal) and on EOF on stdin.  A worker confines itself at
 * start (ocr/sandbox.h) and never opens a document: the pool opens each
 * job's file on the threadpool (uv_fs_open, so a slow file system does not
 * stall the loop) and passes the descriptor just before the job frame.
 *
 * A slot is DOWN (no worker, maybe a restart timer pending), STARTING
 * (spawned, waiting for the worker's "ready" frame: the model is loading),
 * IDLE or BUSY.  Jobs wait in a FIFO (common/queue.h) and go to the first
 * IDLE slot.  The job's timer lives in the proc: when it fires the pool
 * SIGKILLs the worker, and the exit callback (the only place a proc ends)
 * fails the job with the reason, counts a kill against the path and
 * restarts the slot.  The kill counts are a bounded map of paths that
 * forgets the oldest path first.  A worker that dies before "ready" is
 * restarted with exponential backoff; one that says "fatal" (it cannot load
 * its model) or fails to start three times in a row breaks the pool: queued
 * jobs fail with that reason.
 *
 * Callbacks never run inside ocr_pool_submit(): results decided at submit
 * time (quarantine, broken pool) go through a "kick" timer of 0 ms.  The
 * pool's state is made consistent before every callback, because a callback
 * may submit more work or stop the pool. */
#include "config.h"

#include "ocr/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/map.h"
#include "common/queue.h"
#include "common/safefile.h"
#include "common/xalloc.h"
#include "ocr/fdpass.h"
#include "ocr/proto.h"

extern char **environ;

#define KILLS_TO_QUARANTINE 2
#define KILL_TABLE_MAX 4096
#define STARTUP_FAILURES_MAX 3
#define STOP_GRACE_MS 2000

struct job {
    struct vt_queue link; /* in pool->queue, pool->early, or a list being cancelled */
    uint64_t id;
    char *root; /* NULL: path is opened as given (vanthu ocr FILE) */
    char *path;
    char *lang;
    ocr_done_cb cb;
    void *data;
    uint64_t started;      /* uv_now() at dispatch */
    enum ocr_status early; /* for jobs decided without a worker */
    char *early_reason;
    int early_code;
};

enum slot_state { SLOT_DOWN, SLOT_STARTING, SLOT_IDLE, SLOT_BUSY };

struct slot;

struct proc {
    uv_process_t process;
    uv_pipe_t in;   /* our end of the worker's stdin */
    uv_pipe_t out;  /* our end of the worker's stdout */
    uv_timer_t timer;
    uv_work_t open_req; /* the job's file being opened, on the threadpool */
    uint64_t open_id;   /* ... for this job */
    char *open_root;    /* copies for the open: the job may end meanwhile */
    char *open_path;
    int open_fd;        /* its result: a descriptor or a negative code */
    struct vt_err open_err;
    int chan;       /* our end of the descriptor channel; -1 when closed */
    int open;       /* handles of this proc not yet closed, plus open_req */
    struct ocr_pool *pool;
    struct slot *slot; /* NULL once ended */
    struct ocr_proto_decoder dec;
    int ready;
    int timed_out;  /* we killed it: job deadline */
    int bad_frame;  /* we killed it: protocol violation */
    int stopping;   /* we asked it to exit */
    char *fatal;    /* reason from a "fatal" frame */
};

struct slot {
    struct ocr_pool *pool;
    unsigned index;
    enum slot_state state;
    struct proc *proc;
    struct job *job;
    uv_timer_t restart;
    unsigned startup_failures;
};

/* How many times a path has killed a worker; keyed by path in pool->kills,
 * and in pool->kill_order by age, so the oldest is forgotten first. */
struct kill_entry {
    struct vt_map_node node;
    struct vt_queue link;
    char *path;
    unsigned kills;
};

struct ocr_pool {
    uv_loop_t *loop;
    struct ocr_pool_config cfg; /* strings owned below */
    char **argv;
    char **env;
    struct slot *slots;
    struct vt_queue queue; /* jobs waiting for a worker, oldest first */
    size_t queued;
    struct vt_queue early; /* jobs decided at submit, delivered by the kick */
    uv_timer_t kick;
    uint64_t next_id;
    struct vt_map kills;        /* path -> struct kill_entry */
    struct vt_queue kill_order; /* the same entries, oldest first */
    unsigned handles;
    int stopping;
    int free_requested;
    int warned_unconfined; /* the sandbox warning is logged once */
    char *broken; /* reason the workers cannot start */
    unsigned long restarts, done, failed, quarantined;
};

static void dispatch(struct ocr_pool *pool);
static int slot_start(struct slot *s);

/* ---- bookkeeping ------------------------------------------------------- */

static void kill_drop(struct ocr_pool *pool, struct kill_entry *k)
{
    vt_map_del(&pool->kills, &k->node);
    vt_queue_remove(&k->link);
    free(k->path);
    free(k);
}

static struct kill_entry *kill_oldest(const struct ocr_pool *pool)
{
    struct vt_queue *e = vt_queue_head(&pool->kill_order);

    return e != NULL ? vt_queue_entry(e, struct kill_entry, link) : NULL;
}

static void maybe_free(struct ocr_pool *pool)
{
    struct kill_entry *k;

    if (!pool->free_requested || pool->handles > 0)
        return;
    while ((k = kill_oldest(pool)) != NULL)
        kill_drop(pool, k);
    vt_map_release(&pool->kills);
    for (char **a = pool->argv; *a != NULL; a++)
        free(*a);
    free(pool->argv);
    for (char **e = pool->env; *e != NULL; e++)
        free(*e);
    free(pool->env);
    free(pool->slots);
    free(pool->broken);
    free(pool);
}

static void pool_handle_closed(uv_handle_t *h)
{
    struct ocr_pool *pool = h->data;

    pool->handles--;
    maybe_free(pool);
}

static void slot_timer_closed(uv_handle_t *h)
{
    struct slot *s = h->data;
    struct ocr_pool *pool = s->pool;

    pool->handles--;
    maybe_free(pool);
}

static struct kill_entry *kill_find(const struct ocr_pool *pool, const char *path)
{
    struct vt_map_node *n = vt_map_get(&pool->kills, path);

    return n != NULL ? vt_map_entry(n, struct kill_entry, node) : NULL;
}

static unsigned kill_add(struct ocr_pool *pool, const char *path)
{
    struct kill_entry *k = kill_find(pool, path);

    if (k == NULL) {
        /* Bounded: past the cap, forget the oldest entry. */
        if (pool->kills.n >= KILL_TABLE_MAX)
            kill_drop(pool, kill_oldest(pool));
        k = xcalloc(1, sizeof(*k));
        k->path = xstrdup(path);
        vt_map_put(&pool->kills, &k->node, k->path);
        vt_queue_push(&pool->kill_order, &k->link);
    }
    return ++k->kills;
}

static void job_free(struct job *j)
{
    free(j->root);
    free(j->path);
    free(j->lang);
    free(j->early_reason);
    free(j);
}

/* Deliver a result without text and free the job. */
static void job_finish(struct ocr_pool *pool, struct job *j, enum ocr_status st, int code,
                       const char *reason)
{
    struct ocr_result r;

    memset(&r, 0, sizeof(r));
    r.status = st;
    r.code = code;
    r.reason = reason;
    r.path = j->path;
    r.text = "";
    r.confidence = -1;
    if (j->started > 0)
        r.elapsed_ms = (double)(uv_now(pool->loop) - j->started);
    if (st == OCR_FAILED)
        pool->failed++;
    else if (st == OCR_QUARANTINED)
        pool->quarantined++;
    log_debug("ocr: %s: %s", j->path, reason);
    j->cb(&r, j->data);
    job_free(j);
}

/* Remove and return the first job of q, or NULL. */
static struct job *job_pop(struct vt_queue *q)
{
    struct vt_queue *e = vt_queue_pop(q);

    return e != NULL ? vt_queue_entry(e, struct job, link) : NULL;
}

static void kick_cb(uv_timer_t *t)
{
    struct ocr_pool *pool = t->data;
    struct job *j;

    /* One at a time: a callback may stop the pool, which takes the rest. */
    while ((j = job_pop(&pool->early)) != NULL)
        job_finish(pool, j, j->early, j->early_code, j->early_reason);
    dispatch(pool);
}

static void kick(struct ocr_pool *pool)
{
    if (!pool->stopping && !uv_is_active((uv_handle_t *)&pool->kick))
        uv_timer_start(&pool->kick, kick_cb, 0, 0);
}

static void early(struct ocr_pool *pool, struct job *j, enum ocr_status st, int code,
                  char *reason_take)
{
    j->early = st;
    j->early_code = code;
    j->early_reason = reason_take;
    vt_queue_push(&pool->early, &j->link);
    kick(pool);
}

/* ---- worker processes -------------------------------------------------- */

/* One of the proc's handles has closed, or its open request completed. */
static void proc_unref(struct proc *p)
{
    struct ocr_pool *pool = p->pool;

    if (--p->open == 0) {
        ocr_proto_decoder_release(&p->dec);
        free(p->fatal);
        free(p);
    }
    pool->handles--;
    maybe_free(pool);
}

static void proc_handle_closed(uv_handle_t *h)
{
    proc_unref(h->data);
}

static void proc_close(struct proc *p)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&p->in, (uv_handle_t *)&p->out,
                         (uv_handle_t *)&p->timer, (uv_handle_t *)&p->process};

    if (p->chan >= 0) {
        close(p->chan);
        p->chan = -1;
    }
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], proc_handle_closed);
}

static void proc_kill(struct proc *p)
{
    int rc = uv_process_kill(&p->process, SIGKILL);

    if (rc < 0 && rc != UV_ESRCH)
        log_warn("ocr: cannot kill worker %d: %s", p->process.pid, uv_strerror(rc));
}

static char *crash_reason(struct ocr_pool *pool, struct proc *p, int64_t status, int sig,
                          int *code)
{
    *code = VT_EBADINPUT;
    if (p->timed_out) {
        *code = VT_ETIMEDOUT;
        return xasprintf("timed out after %u ms (ocr worker killed)", pool->cfg.timeout_ms);
    }
    if (p->bad_frame)
        return xasprintf("ocr worker sent a malformed reply (killed)");
    if (sig == SIGXCPU) {
        *code = VT_ETIMEDOUT;
        return xasprintf("cpu time limit of %u s exceeded (ocr worker killed)",
                         pool->cfg.max_cpu_s);
    }
    if (sig == SIGKILL)
        return xasprintf("ocr worker was killed (SIGKILL; out of memory?)");
    if (sig == SIGABRT)
        return xasprintf("ocr worker aborted (out of memory or a library assertion)");
    if (sig != 0)
        return xasprintf("ocr worker crashed (signal %d, %s)", sig, strsignal(sig));
    return xasprintf("ocr worker exited with status %lld during the job", (long long)status);
}

static void restart_cb(uv_timer_t *t)
{
    struct slot *s = t->data;

    if (!s->pool->stopping && s->state == SLOT_DOWN)
        slot_start(s);
}

static void pool_break(struct ocr_pool *pool, char *reason_take)
{
    struct job *j;

    free(pool->broken);
    pool->broken = reason_take;
    log_error("ocr: %s", pool->broken);
    /* Queued jobs cannot run: fail them now, through the kick. */
    while ((j = job_pop(&pool->queue)) != NULL) {
        pool->queued--;
        early(pool, j, OCR_FAILED, VT_EUNSUPPORTED, xstrdup(pool->broken));
    }
}

/* A worker ended before it said "ready": retry with backoff, or break
 * the pool when it cannot load its model or keeps failing. */
static void startup_failed(struct slot *s, struct proc *p, int64_t status, int sig)
{
    s->startup_failures++;
    if (p->fatal != NULL) {
        pool_break(s->pool, xasprintf("ocr worker cannot start: %s", p->fatal));
        return;
    }
    if (s->startup_failures >= STARTUP_FAILURES_MAX) {
        pool_break(s->pool, sig ? xasprintf("ocr worker cannot start: killed by signal %d (%s)",
                                            sig, strsignal(sig))
                                : xasprintf("ocr worker cannot start: exit status %lld",
                                            (long long)status));
        return;
    }
    uv_timer_start(&s->restart, restart_cb, 100u << s->startup_failures, 0);
}

/* Job j's worker died under it: fail it, or quarantine its path when this
 * was the path's second kill. */
static void job_killed(struct ocr_pool *pool, struct proc *p, struct job *j, int64_t status,
                       int sig)
{
    int code;
    char *reason = crash_reason(pool, p, status, sig, &code);
    unsigned kills = kill_add(pool, j->path);

    if (kills >= KILLS_TO_QUARANTINE) {
        char *q =
            xasprintf("quarantined: killed the ocr worker %u times (last: %s)", kills, reason);

        job_finish(pool, j, OCR_QUARANTINED, code, q);
        free(q);
    } else {
        job_finish(pool, j, OCR_FAILED, code, reason);
    }
    free(reason);
}

static void exit_cb(uv_process_t *process, int64_t status, int sig)
{
    struct proc *p = process->data;
    struct ocr_pool *pool = p->pool;
    struct slot *s = p->slot;
    struct job *j;

    p->slot = NULL;
    proc_close(p);
    if (s == NULL)
        return;
    j = s->job;
    s->job = NULL;
    s->proc = NULL;
    s->state = SLOT_DOWN;
    if (pool->stopping) {
        if (j != NULL)
            job_finish(pool, j, OCR_CANCELLED, UV_ECANCELED, "ocr pool stopped");
        return;
    }
    if (!p->ready) {
        startup_failed(s, p, status, sig);
        return;
    }
    log_warn("ocr: worker %u (pid %d) ended: status %lld signal %d", s->index,
             process->pid, (long long)status, sig);
    pool->restarts++;
    slot_start(s);
    if (j != NULL)
        job_killed(pool, p, j, status, sig);
    dispatch(pool);
}

static void timeout_cb(uv_timer_t *t)
{
    struct proc *p = t->data;

    if (p->stopping) {
        proc_kill(p);
        return;
    }
    if (p->slot == NULL || p->slot->job == NULL)
        return;
    log_warn("ocr: %s: timed out after %u ms, killing worker %d", p->slot->job->path,
             p->pool->cfg.timeout_ms, p->process.pid);
    p->timed_out = 1;
    proc_kill(p);
}

/* The slot's job ends while its worker lives on: the worker is idle again.
 * Returns the job, for the caller to finish. */
static struct job *slot_take_job(struct slot *s)
{
    struct job *j = s->job;

    uv_timer_stop(&s->proc->timer);
    s->job = NULL;
    s->state = SLOT_IDLE;
    return j;
}

/* The slot's job failed before its worker saw it (the worker goes on). */
static void slot_fail_job(struct slot *s, int code, const char *reason)
{
    job_finish(s->pool, slot_take_job(s), OCR_FAILED, code, reason);
}

static int code_of(const char *name)
{
    static const struct {
        const char *name;
        int code;
    } map[] = {
        {"too-large", VT_E2BIG}, {"malformed", VT_EBADINPUT}, {"unsupported", VT_EUNSUPPORTED},
        {"timeout", VT_ETIMEDOUT}, {"no-memory", VT_ENOMEM}, {"encoding", VT_EENCODING},
    };

    for (size_t i = 0; name != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].code;
    return VT_EBADINPUT;
}

static void deliver_result(struct ocr_pool *pool, struct job *j, json_t *h, const char *body,
                           size_t body_len)
{
    const char *status = json_string_value(json_object_get(h, "status"));
    json_t *pages = json_object_get(h, "pages");
    struct ocr_page *pg = NULL;
    struct ocr_result r;
    double sum = 0;
    size_t n = 0, nocr = 0;

    memset(&r, 0, sizeof(r));
    r.path = j->path;
    r.elapsed_ms = (double)(uv_now(pool->loop) - j->started);
    r.confidence = -1;
    if (status == NULL || strcmp(status, "ok") != 0) {
        const char *reason = json_string_value(json_object_get(h, "reason"));

        r.status = OCR_FAILED;
        r.code = code_of(json_string_value(json_object_get(h, "code")));
        r.reason = reason != NULL && *reason ? reason : "ocr failed";
        r.text = "";
        pool->failed++;
        log_debug("ocr: %s: %s", j->path, r.reason);
        j->cb(&r, j->data);
        return;
    }
    if (json_is_array(pages) && json_array_size(pages) > 0) {
        json_t *v;
        size_t i;

        n = json_array_size(pages);
        pg = xcalloc(n, sizeof(*pg));
        json_array_foreach(pages, i, v) {
            const char *src = json_string_value(json_object_get(v, "source"));

            pg[i].confidence = json_number_value(json_object_get(v, "conf"));
            pg[i].text_layer = src != NULL && strcmp(src, "text") == 0;
            pg[i].rotated = (int)json_integer_value(json_object_get(v, "rotate"));
            pg[i].skew = json_number_value(json_object_get(v, "skew"));
            pg[i].denoised = json_is_true(json_object_get(v, "denoise"));
            if (!pg[i].text_layer) {
                sum += pg[i].confidence;
                nocr++;
            }
        }
    }
    r.status = OCR_OK;
    r.reason = "";
    r.text = body;
    r.text_len = body_len;
    r.pages = pg;
    r.npages = n;
    r.confidence = nocr > 0 ? sum / (double)nocr : -1;
    pool->done++;
    j->cb(&r, j->data);
    free(pg);
}

static void on_frame(struct proc *p, struct ocr_frame *f)
{
    struct ocr_pool *pool = p->pool;
    struct slot *s = p->slot;
    const char *type = json_string_value(json_object_get(f->header, "type"));

    if (type == NULL || s == NULL)
        goto bad;
    if (strcmp(type, "ready") == 0 && !p->ready) {
        const char *unconfined = json_string_value(json_object_get(f->header, "unconfined"));

        if (unconfined != NULL && *unconfined && !pool->warned_unconfined) {
            pool->warned_unconfined = 1;
            log_warn("ocr: workers run partly unconfined (sandbox = best-effort): %s", unconfined);
        }
        p->ready = 1;
        s->state = SLOT_IDLE;
        s->startup_failures = 0;
        log_debug("ocr: worker %u (pid %d) ready", s->index, p->process.pid);
        dispatch(pool);
        return;
    }
    if (strcmp(type, "fatal") == 0) {
        const char *reason = json_string_value(json_object_get(f->header, "reason"));

        free(p->fatal);
        p->fatal = xstrdup(reason != NULL ? reason : "unknown error");
        return; /* the worker exits; exit_cb decides */
    }
    if (strcmp(type, "result") == 0 && s->state == SLOT_BUSY && s->job != NULL &&
        (uint64_t)json_integer_value(json_object_get(f->header, "id")) == s->job->id) {
        struct job *j = slot_take_job(s);

        deliver_result(pool, j, f->header, f->body, f->body_len);
        job_free(j);
        dispatch(pool);
        return;
    }
bad:
    log_warn("ocr: worker %d sent an unexpected frame; killing it", p->process.pid);
    p->bad_frame = 1;
    proc_kill(p);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    b->base = xmalloc(OCR_PROTO_READ_CHUNK);
    b->len = OCR_PROTO_READ_CHUNK;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct proc *p = stream->data;
    struct vt_err err;
    int rc;

    if (nread < 0) {
        /* EOF or error: the process is ending; exit_cb follows. */
        uv_read_stop(stream);
        goto out;
    }
    if (nread == 0 || p->bad_frame)
        goto out;
    rc = ocr_proto_decoder_feed(&p->dec, b->base, (size_t)nread);
    if (rc < 0) {
        log_warn("ocr: worker %d: reply over the size cap", p->process.pid);
        goto bad;
    }
    for (;;) {
        struct ocr_frame f;

        vt_err_clear(&err);
        rc = ocr_proto_decoder_next(&p->dec, &f, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            log_warn("ocr: worker %d: %s", p->process.pid, err.msg);
            goto bad;
        }
        on_frame(p, &f);
        json_decref(f.header);
        if (p->bad_frame || p->slot == NULL || p->stopping)
            break;
    }
    goto out;
bad:
    p->bad_frame = 1;
    proc_kill(p);
out:
    free(b->base);
}

struct wreq {
    uv_write_t req;
    struct buf b;
};

static void write_cb(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;

    /* A failed write means the worker is gone; exit_cb handles the job. */
    if (status < 0 && status != UV_ECANCELED)
        log_debug("ocr: write to worker failed: %s", uv_strerror(status));
    buf_release(&w->b);
    free(w);
}

/* The descriptor channel: non-blocking on our side (chan[0]), a plain
 * blocking socket on the worker's (it never waits on it: see fdpass.h). */
static int chan_open(int chan[2])
{
    int rc;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0)
        return -errno;
    if (fcntl(chan[0], F_SETFL, fcntl(chan[0], F_GETFL) | O_NONBLOCK) < 0) {
        rc = -errno;
        close(chan[0]);
        close(chan[1]);
        return rc;
    }
    return 0;
}

/* A proc for s, its pipes and timer initialised, its process not yet
 * spawned; chan (our end of the channel) becomes the proc's. */
static struct proc *proc_new(struct slot *s, int chan)
{
    struct ocr_pool *pool = s->pool;
    struct proc *p = xcalloc(1, sizeof(*p));

    p->pool = pool;
    p->slot = s;
    p->chan = chan;
    /* The reply can hold max_text bytes of text plus its header. */
    ocr_proto_decoder_init(&p->dec, pool->cfg.max_text);
    uv_pipe_init(pool->loop, &p->in, 0);
    uv_pipe_init(pool->loop, &p->out, 0);
    uv_timer_init(pool->loop, &p->timer);
    p->in.data = p->out.data = p->timer.data = p->process.data = p;
    p->open = 3;
    pool->handles += 3;
    return p;
}

/* Spawn p's worker with our pipes on its stdin/stdout, our stderr and the
 * worker's end of the channel (borrowed) as OCR_FD_CHANNEL. */
static int proc_spawn(struct proc *p, int worker_chan)
{
    struct ocr_pool *pool = p->pool;
    uv_process_options_t opts;
    uv_stdio_container_t stdio[4];
    int rc;

    memset(&opts, 0, sizeof(opts));
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&p->in;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&p->out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = STDERR_FILENO;
    stdio[OCR_FD_CHANNEL].flags = UV_INHERIT_FD;
    stdio[OCR_FD_CHANNEL].data.fd = worker_chan;
    opts.file = pool->argv[0];
    opts.args = pool->argv;
    opts.env = pool->env;
    opts.stdio = stdio;
    opts.stdio_count = 4;
    opts.exit_cb = exit_cb;
    /* Its own session and process group: the terminal's SIGINT is ours to
     * handle, and the pool stops its workers in order. */
    opts.flags = UV_PROCESS_DETACHED;
    rc = uv_spawn(pool->loop, &p->process, &opts);
    /* The process handle needs closing even when the spawn failed. */
    p->open++;
    pool->handles++;
    return rc;
}

static int slot_start(struct slot *s)
{
    struct proc *p;
    int chan[2], rc;

    rc = chan_open(chan);
    if (rc < 0)
        return rc;
    p = proc_new(s, chan[0]);
    rc = proc_spawn(p, chan[1]);
    close(chan[1]);
    if (rc < 0) {
        p->slot = NULL;
        proc_close(p);
        s->state = SLOT_DOWN;
        return rc;
    }
    s->proc = p;
    s->state = SLOT_STARTING;
    rc = uv_read_start((uv_stream_t *)&p->out, alloc_cb, read_cb);
    if (rc < 0) {
        log_error("ocr: cannot read from worker: %s", uv_strerror(rc));
        proc_kill(p);
    }
    return 0;
}

/* The job's file is open (fd, ours to close): send the descriptor, then
 * the job frame. */
static void send_job(struct ocr_pool *pool, struct proc *p, struct job *j, int fd)
{
    struct wreq *w;
    uv_buf_t ub;
    json_t *h;
    int rc;

    w = xcalloc(1, sizeof(*w));
    buf_init(&w->b, OCR_PROTO_PREFIX + OCR_PROTO_MAX_HEADER);
    h = json_pack("{s:s, s:I, s:s, s:s}", "type", "job", "id", (json_int_t)j->id, "path",
                  j->path, "lang", j->lang);
    rc = h != NULL ? ocr_proto_encode(&w->b, h, NULL, 0) : VT_ENOMEM;
    json_decref(h);
    if (rc < 0) {
        buf_release(&w->b);
        free(w);
        slot_fail_job(p->slot, rc, "cannot encode the job (path too long?)");
        dispatch(pool);
        return;
    }
    rc = ocr_fdpass_send(p->chan, j->id, fd);
    if (rc < 0) {
        /* The worker is gone (its exit_cb fails the job), or wedged. */
        log_debug("ocr: cannot pass '%s' to worker %d: %s", j->path, p->process.pid,
                  uv_strerror(rc));
        buf_release(&w->b);
        free(w);
        proc_kill(p);
        return;
    }
    ub = uv_buf_init(w->b.ptr, (unsigned)w->b.len);
    rc = uv_write(&w->req, (uv_stream_t *)&p->in, &ub, 1, write_cb);
    if (rc < 0) {
        /* The worker is gone; its exit_cb fails the job. */
        buf_release(&w->b);
        free(w);
        proc_kill(p);
    }
}

/* Threadpool: an archive file is opened beneath its archive folder through
 * no symlink (common/safefile.h), so a symlink or a directory swapped in
 * after the indexer's checks is refused here, by the kernel.  O_NONBLOCK:
 * a FIFO must not hang the open. */
static void open_work(uv_work_t *req)
{
    struct proc *p = req->data;

    vt_err_clear(&p->open_err);
    if (p->open_root != NULL) {
        p->open_fd = vt_open_under(p->open_root, p->open_path, NULL, &p->open_err);
    } else {
        p->open_fd = open(p->open_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (p->open_fd < 0)
            p->open_fd = vt_err_set(&p->open_err, -errno, "%s", strerror(errno));
    }
}

static void proc_open_clear(struct proc *p)
{
    free(p->open_root);
    free(p->open_path);
    p->open_root = p->open_path = NULL;
}

static void open_cb(uv_work_t *req, int status)
{
    struct proc *p = req->data;
    struct ocr_pool *pool = p->pool;
    struct slot *s = p->slot;
    int fd = status < 0 ? status : p->open_fd;

    proc_open_clear(p);
    if (s == NULL || s->proc != p || s->job == NULL || s->job->id != p->open_id ||
        p->stopping || p->timed_out || p->bad_frame) {
        /* The job ended while its file was being opened. */
        if (fd >= 0)
            close(fd);
    } else if (fd < 0) {
        /* This file, not the worker: the worker goes on. */
        char *reason = xasprintf("cannot open '%s': %s", s->job->path,
                                 p->open_err.msg[0] ? p->open_err.msg : vt_strerror(fd));

        slot_fail_job(s, fd, reason);
        free(reason);
        dispatch(pool);
    } else {
        send_job(pool, p, s->job, fd);
        close(fd);
    }
    proc_unref(p);
}

/* Give j to the idle slot s: its file is opened on the threadpool first
 * (open_work, open_cb), under the job's deadline. */
static void slot_dispatch(struct slot *s, struct job *j)
{
    struct ocr_pool *pool = s->pool;
    struct proc *p = s->proc;
    int rc;

    s->job = j;
    s->state = SLOT_BUSY;
    j->started = uv_now(pool->loop);
    uv_timer_start(&p->timer, timeout_cb, pool->cfg.timeout_ms, 0);
    p->open_req.data = p;
    p->open_id = j->id;
    p->open_root = j->root != NULL ? xstrdup(j->root) : NULL;
    p->open_path = xstrdup(j->path);
    rc = uv_queue_work(pool->loop, &p->open_req, open_work, open_cb);
    if (rc < 0) {
        char *reason = xasprintf("cannot open '%s': %s", j->path, uv_strerror(rc));

        proc_open_clear(p);
        slot_fail_job(s, rc, reason);
        free(reason);
        return;
    }
    p->open++;
    pool->handles++;
}

static void dispatch(struct ocr_pool *pool)
{
    for (unsigned i = 0; i < pool->cfg.workers && !vt_queue_empty(&pool->queue) && !pool->stopping;
         i++) {
        if (pool->slots[i].state != SLOT_IDLE)
            continue;
        pool->queued--;
        slot_dispatch(&pool->slots[i], job_pop(&pool->queue));
    }
}

/* ---- public API -------------------------------------------------------- */

static char **build_env(void)
{
    size_t n = 0, k = 0;
    char **env;

    while (environ != NULL && environ[n] != NULL)
        n++;
    env = xcalloc(n + 2, sizeof(*env));
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "OMP_THREAD_LIMIT=", 17) != 0)
            env[k++] = xstrdup(environ[i]);
    /* OpenMP threads make a page 2x slower and cost 3x the CPU when
     * several workers share the cores (ocr-notes.md). */
    env[k++] = xstrdup("OMP_THREAD_LIMIT=1");
    env[k] = NULL;
    return env;
}

static char **build_argv(const struct ocr_pool_config *c)
{
    size_t n = 0, extra = 0;
    char **argv;

    while (c->extra_args != NULL && c->extra_args[extra] != NULL)
        extra++;
    argv = xcalloc(28 + extra, sizeof(*argv));
    argv[n++] = xstrdup(c->worker_path);
    argv[n++] = xstrdup("--lang");
    argv[n++] = xstrdup(c->lang);
    argv[n++] = xstrdup("--max-mem");
    argv[n++] = xasprintf("%u", c->max_mem_mb);
    argv[n++] = xstrdup("--max-cpu");
    argv[n++] = xasprintf("%u", c->max_cpu_s);
    argv[n++] = xstrdup("--max-pixels");
    argv[n++] = xasprintf("%llu", c->max_pixels);
    argv[n++] = xstrdup("--max-pages");
    argv[n++] = xasprintf("%u", c->max_pages);
    argv[n++] = xstrdup("--max-text");
    argv[n++] = xasprintf("%zu", c->max_text);
    if (c->tessdata != NULL) {
        argv[n++] = xstrdup("--tessdata");
        argv[n++] = xstrdup(c->tessdata);
    }
    if (c->preprocess != NULL) {
        argv[n++] = xstrdup("--preprocess");
        argv[n++] = xstrdup(c->preprocess);
    }
    /* The sandbox (ocr/sandbox.h): who to become when root, whether a
     * step that fails stops the worker, and whose death it dies with. */
    if (c->user != NULL) {
        argv[n++] = xstrdup("--user");
        argv[n++] = xstrdup(c->user);
    }
    argv[n++] = xstrdup("--sandbox");
    argv[n++] = xstrdup(c->sandbox_best_effort ? "best-effort" : "required");
    argv[n++] = xstrdup("--parent");
    argv[n++] = xasprintf("%ld", (long)getpid());
    for (size_t i = 0; i < extra; i++)
        argv[n++] = xstrdup(c->extra_args[i]);
    argv[n] = NULL;
    return argv;
}

/* The defaults pool.h gives for each 0 or NULL. */
static void config_defaults(struct ocr_pool_config *c)
{
    if (c->workers == 0)
        c->workers = 1;
    if (c->lang == NULL)
        c->lang = "vie";
    if (c->timeout_ms == 0)
        c->timeout_ms = 300000;
    if (c->max_mem_mb == 0)
        c->max_mem_mb = 2048;
    if (c->max_cpu_s == 0)
        c->max_cpu_s = (c->timeout_ms + 999) / 1000;
    if (c->max_pixels == 0)
        c->max_pixels = 100000000ULL;
    if (c->max_pages == 0)
        c->max_pages = 500;
    if (c->max_text == 0)
        c->max_text = 16u << 20;
    if (c->max_queue == 0)
        c->max_queue = 1024;
}

static void slots_init(struct ocr_pool *pool)
{
    pool->slots = xcalloc(pool->cfg.workers, sizeof(*pool->slots));
    for (unsigned i = 0; i < pool->cfg.workers; i++) {
        struct slot *s = &pool->slots[i];

        s->pool = pool;
        s->index = i;
        uv_timer_init(pool->loop, &s->restart);
        s->restart.data = s;
        pool->handles++;
    }
}

struct ocr_pool *ocr_pool_new(uv_loop_t *loop, const struct ocr_pool_config *cfg,
                              struct vt_err *err)
{
    struct ocr_pool *pool;
    int rc;

    if (cfg->worker_path == NULL || *cfg->worker_path == '\0') {
        vt_err_set(err, VT_EUSAGE, "no ocr worker program configured");
        return NULL;
    }
    pool = xcalloc(1, sizeof(*pool));
    pool->loop = loop;
    pool->cfg = *cfg;
    config_defaults(&pool->cfg);
    vt_queue_init(&pool->queue);
    vt_queue_init(&pool->early);
    vt_map_init(&pool->kills);
    vt_queue_init(&pool->kill_order);
    pool->argv = build_argv(&pool->cfg);
    pool->env = build_env();
    /* The config's strings are borrowed only for this call: keep the copies
     * in argv, and the default language as its own copy. */
    pool->cfg.worker_path = pool->argv[0];
    pool->cfg.lang = pool->argv[2];
    pool->cfg.tessdata = NULL;
    pool->cfg.preprocess = NULL;
    pool->cfg.user = NULL;
    pool->cfg.extra_args = NULL;
    pool->next_id = 1;
    uv_timer_init(loop, &pool->kick);
    pool->kick.data = pool;
    pool->handles++;
    slots_init(pool);
    for (unsigned i = 0; i < pool->cfg.workers; i++) {
        rc = slot_start(&pool->slots[i]);
        if (rc < 0) {
            vt_err_set(err, rc, "cannot start ocr worker '%s': %s", pool->argv[0],
                       uv_strerror(rc));
            ocr_pool_free(pool);
            return NULL;
        }
    }
    return pool;
}

int ocr_pool_submit(struct ocr_pool *pool, const char *path, const char *lang, ocr_done_cb cb,
                    void *data)
{
    return ocr_pool_submit_under(pool, NULL, path, lang, cb, data);
}

int ocr_pool_submit_under(struct ocr_pool *pool, const char *root, const char *path,
                          const char *lang, ocr_done_cb cb, void *data)
{
    struct kill_entry *k;
    struct job *j;

    if (pool->stopping)
        return UV_ECANCELED;
    if (pool->queued >= pool->cfg.max_queue)
        return UV_EAGAIN;
    j = xcalloc(1, sizeof(*j));
    j->id = pool->next_id++;
    j->root = root != NULL ? xstrdup(root) : NULL;
    j->path = xstrdup(path);
    j->lang = xstrdup(lang != NULL ? lang : pool->cfg.lang);
    j->cb = cb;
    j->data = data;
    k = kill_find(pool, path);
    if (k != NULL && k->kills >= KILLS_TO_QUARANTINE) {
        early(pool, j, OCR_QUARANTINED, VT_EBADINPUT,
              xasprintf("quarantined: killed the ocr worker %u times", k->kills));
        return 0;
    }
    if (pool->broken != NULL) {
        early(pool, j, OCR_FAILED, VT_EUNSUPPORTED, xstrdup(pool->broken));
        return 0;
    }
    vt_queue_push(&pool->queue, &j->link);
    pool->queued++;
    kick(pool);
    return 0;
}

size_t ocr_pool_pending(const struct ocr_pool *pool)
{
    size_t n = pool->queued;
    const struct vt_queue *e;

    vt_queue_foreach(e, &pool->early)
        n++;
    for (unsigned i = 0; i < pool->cfg.workers; i++)
        if (pool->slots[i].job != NULL)
            n++;
    return n;
}

void ocr_pool_stats(const struct ocr_pool *pool, struct ocr_pool_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->workers = pool->cfg.workers;
    for (unsigned i = 0; i < pool->cfg.workers; i++) {
        if (pool->slots[i].state == SLOT_IDLE || pool->slots[i].state == SLOT_BUSY)
            st->ready++;
        if (pool->slots[i].state == SLOT_BUSY)
            st->busy++;
    }
    st->queued = pool->queued;
    st->restarts = pool->restarts;
    st->done = pool->done;
    st->failed = pool->failed;
    st->quarantined = pool->quarantined;
}

unsigned ocr_pool_kills(const struct ocr_pool *pool, const char *path)
{
    struct kill_entry *k = kill_find(pool, path);

    return k != NULL ? k->kills : 0;
}

void ocr_pool_forgive(struct ocr_pool *pool, const char *path)
{
    struct kill_entry *k = kill_find(pool, path);

    if (k != NULL)
        kill_drop(pool, k);
}

/* Stop slot s: its job (if any) joins cancelled, its worker is asked to
 * exit or killed. */
static void slot_stop(struct slot *s, struct vt_queue *cancelled)
{
    struct proc *p = s->proc;

    uv_timer_stop(&s->restart);
    if (!uv_is_closing((uv_handle_t *)&s->restart))
        uv_close((uv_handle_t *)&s->restart, slot_timer_closed);
    if (s->job != NULL) {
        vt_queue_push(cancelled, &s->job->link);
        s->job = NULL;
    }
    if (p == NULL)
        return;
    /* An idle worker exits on EOF; a busy one would finish its page
     * first, so it is killed.  Either way a grace timer kills it. */
    p->stopping = 1;
    if (s->state == SLOT_BUSY || s->state == SLOT_STARTING)
        proc_kill(p);
    else if (!uv_is_closing((uv_handle_t *)&p->in))
        uv_close((uv_handle_t *)&p->in, proc_handle_closed);
    uv_timer_start(&p->timer, timeout_cb, STOP_GRACE_MS, 0);
    s->state = SLOT_DOWN;
    /* The proc stays attached to its slot until exit_cb, which closes
     * its handles; the job is no longer there to fail. */
}

void ocr_pool_stop(struct ocr_pool *pool)
{
    struct vt_queue cancelled;
    struct job *j;

    if (pool->stopping)
        return;
    pool->stopping = 1;
    /* Detach every job first, so callbacks that run below see a pool that
     * holds no work. */
    vt_queue_init(&cancelled);
    vt_queue_move(&pool->early, &cancelled);
    vt_queue_move(&pool->queue, &cancelled);
    pool->queued = 0;
    for (unsigned i = 0; i < pool->cfg.workers; i++)
        slot_stop(&pool->slots[i], &cancelled);
    uv_timer_stop(&pool->kick);
    if (!uv_is_closing((uv_handle_t *)&pool->kick))
        uv_close((uv_handle_t *)&pool->kick, pool_handle_closed);
    while ((j = job_pop(&cancelled)) != NULL) {
        if (j->early_reason != NULL)
            job_finish(pool, j, j->early, j->early_code, j->early_reason);
        else
            job_finish(pool, j, OCR_CANCELLED, UV_ECANCELED, "ocr pool stopped");
    }
}

void ocr_pool_free(struct ocr_pool *pool)
{
    if (pool == NULL)
        return;
    ocr_pool_stop(pool);
    pool->free_requested = 1;
    maybe_free(pool);
}

char *ocr_worker_default_path(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n > 0) {
        char *slash;

        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash != NULL) {
            char *p;

            *slash = '\0';
            p = xasprintf("%s/vanthu-ocr-worker", self);
            if (access(p, X_OK) == 0)
                return p;
            free(p);
        }
    }
    return xstrdup(OCR_WORKER_DIR "/vanthu-ocr-worker");
}
