/* Request counts and latencies, and their Prometheus text.
 *
 * DESIGN
 *
 * Every response is counted once, where its status is decided (the
 * routes, the gate's raw errors, the file sender): by route and status,
 * and in a latency histogram by route.  The counters live in h->m and are
 * only touched on the loop thread, so /metrics reads them without a lock.
 * The status callback's members (the indexer's counts) are rendered as
 * gauges after ours, so that one scrape sees both sides of the process. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <uv.h>

#include "common/buf.h"
#include "query/http_internal.h"

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

static void render_requests(const struct query_http *h, struct buf *b)
{
    size_t r, i;

    buf_adds(b, "# HELP vanthu_http_requests_total HTTP requests answered by vanthu, by route and "
                "status.\n# TYPE vanthu_http_requests_total counter\n");
    for (r = 0; r < NROUTES; r++)
        for (i = 0; i < NSTATUS; i++)
            if (h->m.count[r][i])
                buf_printf(b, "vanthu_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                           route_names[r],
                           i < NSTATUS - 1 ? status_codes[i] : (int)h->m.other_status[r],
                           (unsigned long long)h->m.count[r][i]);
}

static void render_latency(const struct query_http *h, struct buf *b)
{
    size_t r, i;

    buf_adds(b, "# HELP vanthu_http_request_duration_seconds Time from request to response "
                "start.\n# TYPE vanthu_http_request_duration_seconds histogram\n");
    for (r = 0; r < NROUTES; r++) {
        uint64_t cum = 0;
        if (h->m.n[r] == 0)
            continue;
        for (i = 0; i < NBUCKETS; i++) {
            cum += h->m.hist[r][i];
            buf_printf(b,
                       "vanthu_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                       route_names[r], buckets[i], (unsigned long long)cum);
        }
        buf_printf(b,
                   "vanthu_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                   "vanthu_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                   "vanthu_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                   route_names[r], (unsigned long long)h->m.n[r], route_names[r], h->m.sum[r],
                   route_names[r], (unsigned long long)h->m.n[r]);
    }
}

/* One metric with its HELP and TYPE lines. */
static void render_one(struct buf *b, const char *name, const char *type, const char *help,
                       unsigned long long v)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void render_server(const struct query_http *h, struct buf *b)
{
    render_one(b, "vanthu_http_searches_running", "gauge", "Index jobs running on the threadpool.",
               h->running.n);
    render_one(b, "vanthu_http_searches_queued", "gauge", "Index jobs waiting for a thread.",
               h->waiting.n);
    render_one(b, "vanthu_http_overloaded_total", "counter",
               "Requests answered 503 because the queue was full.", h->m.overloaded);
    render_one(b, "vanthu_http_connections", "gauge", "Open client connections.", h->nlive);
    render_one(b, "vanthu_http_connections_waiting", "gauge",
               "Connections over a cap, waiting for an idle one to give way.", h->nwait);
    render_one(b, "vanthu_http_connections_total", "counter", "Client connections accepted.",
               h->m.accepted_conns);
    render_one(b, "vanthu_http_connections_refused_total", "counter",
               "Connections closed at once because no slot could be freed.", h->m.refused_conns);
    render_one(b, "vanthu_http_connections_evicted_total", "counter",
               "Idle connections closed to make room for new ones.", h->m.evicted_conns);
    render_one(b, "vanthu_http_accept_fd_shortage_total", "counter",
               "Times accept found no free file descriptor.", h->m.fd_shortage);
    render_one(b, "vanthu_http_wrong_host_total", "counter",
               "Requests refused (421) for naming a host that is not ours.", h->m.wrong_host);
    render_one(b, "vanthu_http_files_changed_total", "counter",
               "Originals that no longer matched their record when downloaded.",
               h->m.files_changed);
    render_one(b, "vanthu_index_generation", "counter", "Index commits seen by the query server.",
               h->generation);
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

void http__metrics_status(struct buf *b, json_t *st)
{
    json_t *v, *v2;
    const char *k, *k2;

    json_object_foreach(st, k, v) {
        if (json_is_number(v) || json_is_boolean(v)) {
            metric_name(b, "vanthu_", k);
            metric_value(b, v);
        } else if (json_is_object(v)) {
            json_object_foreach(v, k2, v2) {
                if (!(json_is_number(v2) || json_is_boolean(v2)))
                    continue;
                metric_name(b, "vanthu_", k);
                metric_name(b, "_", k2);
                metric_value(b, v2);
            }
        }
    }
}

void http__metrics_render(struct query_http *h, struct buf *b)
{
    render_requests(h, b);
    render_latency(h, b);
    render_server(h, b);
    if (h->status_cb) {
        json_t *st = json_object();
        h->status_cb(h->status_data, st);
        http__metrics_status(b, st);
        json_decref(st);
    }
}
