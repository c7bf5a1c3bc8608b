/* A test driver for query/http.c until `vanthu serve` exists: open a
 * loop, serve an existing index, write the port to --ready-file, stop
 * cleanly on SIGTERM or SIGINT (uv_loop_close() must return 0), tell the
 * server the index changed on SIGHUP.
 *
 *   http-driver --data DIR [--listen HOST:PORT] [--web DIR] [--ready-file F]
 *               [--max-searches N] [--max-queued N] [--max-connections N]
 *               [--max-per-address N] [--timeout-ms N] [--archive DIR]...
 *               [--hostname NAME]... [--hog-fds N]
 *
 * --hog-fds N opens N descriptors after the start, so that a test can run
 * the server out of them.  The file_changed callback logs "file changed:
 * PATH" at info level.
 *
 * Exit status: 0 after a clean stop, 1 on failure, 2 on bad usage. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/err.h"
#include "common/log.h"
#include "query/http.h"

struct driver {
    uv_signal_t term, intr, hup;
    struct query_http *h;
    int stopping;
};

static void on_stopped(void *data)
{
    struct driver *d = data;

    uv_close((uv_handle_t *)&d->term, NULL);
    uv_close((uv_handle_t *)&d->intr, NULL);
    uv_close((uv_handle_t *)&d->hup, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct driver *d = s->data;

    if (signum == SIGHUP) {
        query_http_index_changed(d->h);
        return;
    }
    if (d->stopping)
        return;
    d->stopping = 1;
    log_info("http-driver: stopping");
    query_http_stop(d->h, on_stopped, d);
}

static void status_cb(void *data, json_t *status)
{
    (void)data;
    json_object_set_new(status, "driver", json_true());
    json_object_set_new(status, "queue", json_pack("{s:i,s:i}", "pending", 0, "failed", 0));
}

static void file_changed(const char *path, void *data)
{
    (void)data;
    log_info("http-driver: file changed: %s", path);
}

static unsigned num(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v > 1000000) {
        fprintf(stderr, "http-driver: bad number '%s'\n", s);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    struct query_http_config cfg = {.listen = "127.0.0.1:0", .file_changed = file_changed};
    const char *archives[16], *hostnames[16];
    const char *ready = NULL;
    unsigned hog = 0;
    struct driver d = {0};
    struct vt_err err;
    uv_loop_t loop;
    int rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            fprintf(stderr, "http-driver: '%s' needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--data") == 0)
            cfg.data_dir = v;
        else if (strcmp(a, "--listen") == 0)
            cfg.listen = v;
        else if (strcmp(a, "--web") == 0)
            cfg.web_dir = v;
        else if (strcmp(a, "--ready-file") == 0)
            ready = v;
        else if (strcmp(a, "--max-searches") == 0)
            cfg.max_searches = num(v);
        else if (strcmp(a, "--max-queued") == 0)
            cfg.max_queued = num(v);
        else if (strcmp(a, "--max-connections") == 0)
            cfg.max_connections = num(v);
        else if (strcmp(a, "--timeout-ms") == 0)
            cfg.request_timeout_ms = num(v);
        else if (strcmp(a, "--max-per-address") == 0)
            cfg.max_connections_per_address = num(v);
        else if (strcmp(a, "--hog-fds") == 0)
            hog = num(v);
        else if (strcmp(a, "--archive") == 0 && cfg.narchives < 16)
            archives[cfg.narchives++] = v;
        else if (strcmp(a, "--hostname") == 0 && cfg.nhostnames < 16)
            hostnames[cfg.nhostnames++] = v;
        else {
            fprintf(stderr, "http-driver: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (cfg.data_dir == NULL) {
        fprintf(stderr, "usage: http-driver --data DIR [--listen HOST:PORT] [--web DIR] "
                        "[--ready-file F] [--max-searches N] [--max-queued N] [--timeout-ms N]\n");
        return 2;
    }
    /* The composition root's duties: SIGPIPE, and the pool size before the
     * loop first uses it. */
    signal(SIGPIPE, SIG_IGN);
    cfg.archives = archives;
    cfg.hostnames = hostnames;
    setenv("UV_THREADPOOL_SIZE", "4", 0);
    uv_loop_init(&loop);
    vt_err_clear(&err);
    rc = query_http_start(&loop, &cfg, &d.h, &err);
    if (rc < 0) {
        fprintf(stderr, "http-driver: %s\n", err.msg[0] ? err.msg : vt_strerror(rc));
        uv_loop_close(&loop);
        return 1;
    }
    query_http_set_status_cb(d.h, status_cb, &d);
    for (unsigned i = 0; i < hog; i++)
        if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
            break; /* held until exit */
    uv_signal_init(&loop, &d.term);
    uv_signal_init(&loop, &d.intr);
    uv_signal_init(&loop, &d.hup);
    d.term.data = d.intr.data = d.hup.data = &d;
    uv_signal_start(&d.term, on_signal, SIGTERM);
    uv_signal_start(&d.intr, on_signal, SIGINT);
    uv_signal_start(&d.hup, on_signal, SIGHUP);
    if (ready) {
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
        f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%d\n", query_http_port(d.h)) < 0 || fclose(f) != 0 ||
            rename(tmp, ready) != 0) {
            fprintf(stderr, "http-driver: cannot write '%s'\n", ready);
            return 1;
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&loop);
    if (rc != 0) {
        fprintf(stderr, "http-driver: uv_loop_close: %s\n", uv_strerror(rc));
        return 1;
    }
    return 0;
}
