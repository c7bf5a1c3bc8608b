/* The query server's pure parts: the Range header, the Host allow-list
 * and the /metrics text (query/http_file.c, query/http_host.c,
 * query/http_metrics.c). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#include "query/http_internal.h"

static int range(const char *v, uint64_t size, uint64_t *a, uint64_t *b)
{
    *a = *b = 12345;
    return http__parse_range(v, strlen(v), size, a, b);
}

static void test_range_one(void **state)
{
    uint64_t a, b;

    (void)state;
    assert_int_equal(range("bytes=0-9", 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(a, 0);
    assert_int_equal(b, 9);
    assert_int_equal(range("bytes=90-", 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(a, 90);
    assert_int_equal(b, 99);
    assert_int_equal(range("bytes=-10", 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(a, 90);
    assert_int_equal(b, 99);
    /* A suffix longer than the file is the whole file. */
    assert_int_equal(range("bytes=-1000", 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(a, 0);
    assert_int_equal(b, 99);
    /* The last position is cut at the end, however large. */
    assert_int_equal(range("bytes=5-99999999999999999999999", 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(a, 5);
    assert_int_equal(b, 99);
    assert_int_equal(range("  Bytes=3-3 ", 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(a, 3);
    assert_int_equal(b, 3);
}

static void test_range_unsatisfiable(void **state)
{
    uint64_t a, b;

    (void)state;
    assert_int_equal(range("bytes=100-", 100, &a, &b), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(range("bytes=100-200", 100, &a, &b), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(range("bytes=-0", 100, &a, &b), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(range("bytes=0-", 0, &a, &b), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(range("bytes=-5", 0, &a, &b), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(range("bytes=99999999999999999999999-", 100, &a, &b),
                     HTTP_RANGE_UNSATISFIABLE);
}

static void test_range_ignored(void **state)
{
    static const char *const v[] = {
        "",           "bytes",     "bytes=",   "bytes=-",    "bytes=a-b", "bytes=9-3",
        "bytes=0-1,3-4", "bytes=0-1, 3-4", "items=0-1", "bytes=1-2x", "bytes=--1", "bytes 0-1",
        "bytes=1 -2", "bytes=+1-2",
    };
    uint64_t a, b;

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        int r = range(v[i], 100, &a, &b);
        if (r != HTTP_RANGE_NONE)
            fail_msg("'%s' gave %d, not HTTP_RANGE_NONE", v[i], r);
    }
}

static void test_range_not_nul_terminated(void **state)
{
    uint64_t a, b;
    const char v[] = "bytes=0-12345";

    (void)state;
    /* Only the first n bytes count: "bytes=0-1". */
    assert_int_equal(http__parse_range(v, 9, 100, &a, &b), HTTP_RANGE_ONE);
    assert_int_equal(b, 1);
}

static struct sockaddr_storage v4(const char *ip)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_INET;
    inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_INET6;
    inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
    return ss;
}

static int ok(const struct http_hosts *hs, const char *host, const struct sockaddr_storage *local)
{
    return http__host_ok(hs, host, strlen(host), (const struct sockaddr *)local);
}

static void test_host_loopback(void **state)
{
    static const char *const names[] = {"Archive.Example", "files.example."};
    struct sockaddr_storage listen = v4("127.0.0.1"), local = v4("127.0.0.1");
    struct http_hosts hs;

    (void)state;
    http__hosts_init(&hs, &listen, names, 2);
    assert_true(ok(&hs, "127.0.0.1", &local));
    assert_true(ok(&hs, "127.0.0.1:8080", &local));
    assert_true(ok(&hs, "localhost", &local));
    assert_true(ok(&hs, "LocalHost:1", &local));
    assert_true(ok(&hs, "localhost.", &local));
    assert_true(ok(&hs, "archive.example", &local));
    assert_true(ok(&hs, "ARCHIVE.EXAMPLE.:443", &local));
    assert_true(ok(&hs, "files.example", &local));
    assert_true(ok(&hs, "", &local)); /* no Host: no browser */
    assert_false(ok(&hs, "evil.example", &local));
    assert_false(ok(&hs, "archive.example.evil.example", &local));
    assert_false(ok(&hs, "localhost.evil.example", &local));
    assert_false(ok(&hs, "127.0.0.2", &local));
    assert_false(ok(&hs, "127.1", &local));
    assert_false(ok(&hs, "2130706433", &local));
    assert_false(ok(&hs, "[::1]", &local));
    assert_false(ok(&hs, "127.0.0.1:", &local));
    assert_false(ok(&hs, "127.0.0.1:123456", &local));
    assert_false(ok(&hs, "127.0.0.1:80x", &local));
    assert_false(ok(&hs, "localhost:80:80", &local));
    assert_false(ok(&hs, "local host", &local));
    assert_false(ok(&hs, "user@localhost", &local));
    assert_false(ok(&hs, "localhost/x", &local));
    assert_false(ok(&hs, "[127.0.0.1]", &local));
    assert_false(ok(&hs, "[localhost]", &local));
    assert_false(ok(&hs, "::1", &local));
    http__hosts_release(&hs);
}

static void test_host_wildcard(void **state)
{
    struct sockaddr_storage listen = v4("0.0.0.0"), lan = v4("192.168.1.20"),
                            lo = v4("127.0.0.1");
    struct http_hosts hs;

    (void)state;
    http__hosts_init(&hs, &listen, NULL, 0);
    /* The address the client used is ours; the wildcard itself is not. */
    assert_true(ok(&hs, "192.168.1.20:8080", &lan));
    assert_false(ok(&hs, "192.168.1.21", &lan));
    assert_false(ok(&hs, "0.0.0.0", &lan));
    /* localhost only for a connection that came in on loopback. */
    assert_false(ok(&hs, "localhost", &lan));
    assert_true(ok(&hs, "localhost", &lo));
    assert_false(ok(&hs, "archive.example", &lan));
    http__hosts_release(&hs);
}

static void test_host_v6(void **state)
{
    struct sockaddr_storage listen = v6("::1"), local = v6("::1"), mapped = v6("::ffff:10.0.0.5");
    struct http_hosts hs;

    (void)state;
    http__hosts_init(&hs, &listen, NULL, 0);
    assert_true(ok(&hs, "[::1]", &local));
    assert_true(ok(&hs, "[::1]:8080", &local));
    assert_true(ok(&hs, "[0:0:0:0:0:0:0:1]", &local));
    assert_true(ok(&hs, "localhost", &local));
    assert_false(ok(&hs, "[::2]", &local));
    assert_false(ok(&hs, "[::1", &local));
    assert_false(ok(&hs, "[::1]x", &local));
    /* An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d. */
    assert_true(ok(&hs, "10.0.0.5", &mapped));
    http__hosts_release(&hs);
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

/* The status callback's members: numbers and booleans as gauges, one
 * level of objects flattened, names made Prometheus-safe, text skipped. */
static void test_metrics_status(void **state)
{
    json_t *st = json_pack("{s:b,s:{s:i,s:i,s:s},s:f,s:i,s:s,s:[i]}", "driver", 1, "queue",
                           "pending", 0, "failed", 2, "name", "x", "ratio", 0.5, "odd-key", 3,
                           "label", "text", "list", 1);
    struct buf b;

    (void)state;
    buf_init(&b, 1 << 16);
    http__metrics_status(&b, st);
    assert_true(has_line(buf_str(&b), "vanthu_driver 1"));
    assert_true(has_line(buf_str(&b), "vanthu_queue_pending 0"));
    assert_true(has_line(buf_str(&b), "vanthu_queue_failed 2"));
    assert_true(has_line(buf_str(&b), "vanthu_ratio 0.5"));
    assert_true(has_line(buf_str(&b), "vanthu_odd_key 3"));
    assert_null(strstr(buf_str(&b), "label"));
    assert_null(strstr(buf_str(&b), "name"));
    assert_null(strstr(buf_str(&b), "list"));
    buf_release(&b);
    json_decref(st);
}

static void fake_status(void *data, json_t *st)
{
    (void)data;
    json_object_set_new(st, "indexed", json_integer(7));
}

/* Counts by route and status, the latency histogram, the server's gauges
 * and the status callback's, in one text. */
static void test_metrics_render(void **state)
{
    struct query_http *h = calloc(1, sizeof(*h));
    struct buf b;
    const char *t;

    (void)state;
    h->status_cb = fake_status;
    h->m.overloaded = 4;
    h->generation = 9;
    http__record(h, R_SEARCH, 200, uv_hrtime());
    http__record(h, R_SEARCH, 200, uv_hrtime());
    http__record(h, R_FILE, 418, uv_hrtime());
    buf_init(&b, 1 << 20);
    http__metrics_render(h, &b);
    t = buf_str(&b);
    assert_true(has_line(t, "vanthu_http_requests_total{route=\"search\",status=\"200\"} 2"));
    /* A status outside the table is counted as "other" under its own code. */
    assert_true(has_line(t, "vanthu_http_requests_total{route=\"file\",status=\"418\"} 1"));
    assert_true(has_line(t, "vanthu_http_request_duration_seconds_bucket{route=\"search\","
                            "le=\"10\"} 2"));
    assert_true(has_line(t, "vanthu_http_request_duration_seconds_bucket{route=\"search\","
                            "le=\"+Inf\"} 2"));
    assert_true(has_line(t, "vanthu_http_request_duration_seconds_count{route=\"file\"} 1"));
    assert_null(strstr(t, "route=\"page\""));
    assert_true(has_line(t, "# TYPE vanthu_http_overloaded_total counter"));
    assert_true(has_line(t, "vanthu_http_overloaded_total 4"));
    assert_true(has_line(t, "vanthu_http_searches_running 0"));
    assert_true(has_line(t, "vanthu_index_generation 9"));
    assert_true(has_line(t, "vanthu_indexed 7"));
    buf_release(&b);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_one),
        cmocka_unit_test(test_range_unsatisfiable),
        cmocka_unit_test(test_range_ignored),
        cmocka_unit_test(test_range_not_nul_terminated),
        cmocka_unit_test(test_host_loopback),
        cmocka_unit_test(test_host_wildcard),
        cmocka_unit_test(test_host_v6),
        cmocka_unit_test(test_metrics_status),
        cmocka_unit_test(test_metrics_render),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
