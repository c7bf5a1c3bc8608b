/* The query server: libh2o on the caller's libuv loop; this file holds its
 * lifecycle (configuration, the listening socket, the stop).
 *
 * DESIGN
 *
 * One h2o context on the loop, one handler at "/" (http_routes.c) that
 * routes by the raw path and answers errors as JSON.  Everything that
 * touches the index runs on the libuv threadpool as a job (http_jobs.c),
 * each pool thread with its own reader.  Counters and /metrics are
 * http_metrics.c's; the gate and connection slots http_conn.c's; files
 * http_file.c's; the Host allow-list http_host.c's.
 *
 * Limits: a connection's first request head is read by the gate
 * (http_conn.c), which answers a head past our limits with JSON 414/431
 * and drops a client that sends nothing, or whose head takes too long
 * (slowloris: the loop never waits for one client); connection slots are
 * capped in all and per client address, the oldest idle connection giving
 * way to a new one (http_conn.c); then for every request the route's
 * checks (http_routes.c); h2o's request timeout on kept-alive
 * connections; the bound of the job queue (http_jobs.c).
 *
 * Known gap: a request past h2o's own limits on a kept-alive connection
 * (over 100 header fields) gets h2o's plain-text 400.
 *
 * Shutdown: close the listener, answer queued jobs with 503, cancel or
 * wait for running ones, ask h2o to close connections (expiring the idle
 * ones at once), then dispose h2o's context and free h on a later loop
 * iteration, after h2o's own handles have closed. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>
#include <uv.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "query/http.h"
#include "query/http_internal.h"

#define HTTP_MAX_ENTITY 16384       /* request bodies (we accept none) */
#define HTTP_DEFAULT_MAX_SEARCHES 3
#define HTTP_DEFAULT_MAX_QUEUED 256
#define HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define HTTP_DEFAULT_TIMEOUT_MS 10000
#define HTTP_FIRST_BYTE_MS 5000 /* a connection that sends nothing is dropped after this */
#define HTTP_FD_RESERVE 128     /* descriptors kept for the index, the indexer, OCR pipes */
#define HTTP_MIN_CONNECTIONS 16
#define HTTP_DRAIN_MS 50 /* while stopping: how often to expire idle connections */

struct handler {
    h2o_handler_t super;
    struct query_http *h;
};

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    return http__route(((struct handler *)self)->h, req);
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
    if (hl >= sizeof(host) || http__parse_uint(colon + 1, 65535, &port) < 0)
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

/* The caps from cfg, defaults for what it leaves 0, fitted under the
 * open-file limit. */
static void server_limits(struct query_http *h, const struct query_http_config *cfg)
{
    unsigned long nofile;

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
}

/* A new server from cfg (its strings copied), listening on ss. */
static struct query_http *server_new(uv_loop_t *loop, const struct query_http_config *cfg,
                                     const struct sockaddr_storage *ss, int port)
{
    struct query_http *h = xcalloc(1, sizeof(*h));

    h->loop = loop;
    h->listen = xstrdup(cfg->listen);
    h->data_dir = xstrdup(cfg->data_dir);
#ifdef VANTHU_WEB_DIR
    h->web_dir = xstrdup(cfg->web_dir ? cfg->web_dir : VANTHU_WEB_DIR);
#else
    h->web_dir = cfg->web_dir ? xstrdup(cfg->web_dir) : NULL;
#endif
    server_limits(h, cfg);
    h->archives = xcalloc(cfg->narchives ? cfg->narchives : 1, sizeof(char *));
    for (size_t i = 0; i < cfg->narchives; i++)
        if (cfg->archives[i] != NULL && cfg->archives[i][0] == '/')
            h->archives[h->narchives++] = xstrdup(cfg->archives[i]);
    http__hosts_init(&h->hosts, ss, cfg->hostnames, cfg->nhostnames);
    h->file_changed = cfg->file_changed;
    h->file_changed_data = cfg->file_changed_data;
    h->port = port;
    h->started_ms = uv_now(loop);
    http__jobs_init(h);
    return h;
}

/* h2o's configuration, context and timeouts, with our one handler. */
static void server_h2o_init(struct query_http *h)
{
    h2o_hostconf_t *hostconf;
    h2o_pathconf_t *pathconf;
    struct handler *handler;

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
    h2o_context_init(&h->ctx, h->loop, &h->config);
    h2o_timeout_init(h->loop, &h->gate_first,
                     h->timeout_ms < HTTP_FIRST_BYTE_MS ? h->timeout_ms : HTTP_FIRST_BYTE_MS);
    h2o_timeout_init(h->loop, &h->gate_head, h->timeout_ms);
    h->accept_ctx.ctx = &h->ctx;
    h->accept_ctx.hosts = h->config.hosts;
}

int query_http_start(uv_loop_t *loop, const struct query_http_config *cfg, struct query_http **out,
                     struct vt_err *err)
{
    struct query_http *h;
    struct sockaddr_storage ss;
    int fd, port = 0;

    *out = NULL;
    if (cfg->data_dir == NULL || cfg->listen == NULL)
        return vt_err_set(err, VT_EUSAGE, "the query server needs a listen address and an index");
    fd = open_listener(cfg->listen, &ss, &port, err);
    if (fd < 0)
        return fd;
    h = server_new(loop, cfg, &ss, port);
    server_h2o_init(h);
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

    http__jobs_release(h);
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
    if (!h->stopping || h->finishing || h->running.n || h->waiting.n || h->nconns)
        return;
    h->finishing = 1;
    /* No job runs: the readers may be closed from this thread. */
    http__readers_close(h);
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
    if (h->stopping)
        VT_BUG("query_http_stop called twice");
    h->stopping = 1;
    h->done = done;
    h->done_data = data;
    http__listen_stop(h);
    http__jobs_stop(h);
    h2o_context_request_shutdown(&h->ctx);
    expire_idle(h);
    h->stop_timer.data = h;
    uv_timer_start(&h->stop_timer, on_drain_timer, HTTP_DRAIN_MS, HTTP_DRAIN_MS);
    http__maybe_finish(h);
}
