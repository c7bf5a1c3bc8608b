/* The in-process rate of a query set: the limit for the HTTP server.
 * N threads, each with its own read-only index handle (as the server's
 * pool threads have), cycle through the queries for S seconds calling
 * query_search() exactly as GET /api/search?q=Q&limit=10 does, JSON text
 * included.  Prints one line: threads, queries, QPS, p50/p99 ms.
 *
 *   http-inproc --data DIR --threads N --seconds S QUERYFILE
 *
 * Built and run by bench/http.sh; not part of `make`. */
#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/search.h"
#include "storage/storage.h"

static char **queries;
static size_t nqueries;
static const char *data_dir;
static double seconds;

struct worker {
    pthread_t thread;
    unsigned id;
    size_t n;
    double *lat; /* ms */
    size_t cap;
    int failed;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct storage *st = NULL;
    struct vt_err err;
    size_t i = (size_t)w->id * 7919;
    double end;

    if (storage_open(data_dir, 0, &st, &err) < 0) {
        fprintf(stderr, "http-inproc: %s\n", err.msg);
        w->failed = 1;
        return NULL;
    }
    end = now() + seconds;
    while (now() < end) {
        struct query_request req = {.q = queries[i++ % nqueries], .limit = 10};
        json_t *res = NULL;
        double t0 = now();
        char *s;
        if (query_search(st, &req, &res, &err) == 0) {
            s = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(6));
            free(s);
        }
        json_decref(res);
        if (w->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 4096;
            w->lat = realloc(w->lat, w->cap * sizeof(double));
            if (w->lat == NULL)
                abort();
        }
        w->lat[w->n++] = (now() - t0) * 1e3;
    }
    storage_close(st);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    unsigned threads = 1;
    const char *qfile = NULL;
    char line[8192];
    struct worker *w;
    double *all;
    size_t total = 0, k = 0;
    FILE *f;

    seconds = 10;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else
            qfile = argv[i];
    }
    if (data_dir == NULL || qfile == NULL || threads == 0) {
        fprintf(stderr, "usage: http-inproc --data DIR [--threads N] [--seconds S] QUERYFILE\n");
        return 2;
    }
    f = fopen(qfile, "r");
    if (f == NULL) {
        perror(qfile);
        return 1;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\t\n")] = '\0';
        if (line[0] == '\0')
            continue;
        queries = realloc(queries, (nqueries + 1) * sizeof(*queries));
        queries[nqueries++] = strdup(line);
    }
    fclose(f);
    w = calloc(threads, sizeof(*w));
    for (unsigned i = 0; i < threads; i++) {
        w[i].id = i;
        pthread_create(&w[i].thread, NULL, run, &w[i]);
    }
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        if (w[i].failed)
            return 1;
        total += w[i].n;
    }
    all = malloc((total ? total : 1) * sizeof(double));
    for (unsigned i = 0; i < threads; i++) {
        memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
        k += w[i].n;
        free(w[i].lat);
    }
    qsort(all, total, sizeof(double), cmp);
    printf("| in-process | %u threads | %zu | %.0f | %.2f | %.2f |\n", threads, total,
           (double)total / seconds, total ? all[total / 2] : 0.0,
           total ? all[(size_t)((double)total * 0.99)] : 0.0);
    free(all);
    free(w);
    for (size_t i = 0; i < nqueries; i++)
        free(queries[i]);
    free(queries);
    return 0;
}
