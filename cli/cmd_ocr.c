/* `vanthu ocr`: run files through the OCR worker pool.
 *
 * One loop, one pool; files are fed to the pool a window at a time (the
 * pool's queue is bounded) and results are written in input order: to
 * stdout, or to DIR/NAME.txt with --out.  The small result files are written
 * with plain stdio from the loop callback: this command has nothing else on
 * its loop that could be starved. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "cli/cmds.h"
#include "common/conf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "ocr/pool.h"

enum {
    OCR_EXIT_OK = 0,
    OCR_EXIT_FAILED = 1,
    OCR_EXIT_USAGE = 2,
    OCR_EXIT_NOWORKER = 3,
    OCR_EXIT_INTERRUPTED = 130,
};

struct run;

struct item {
    struct run *run;
    const char *path;
    char *out_path;   /* with --out */
    int done;
    int ok;
    char *text;       /* kept until printed (stdout mode) */
    size_t text_len;
};

struct run {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    struct ocr_pool *pool;
    struct item *items;
    size_t n, next_submit, next_print, finished;
    const char *lang;
    const char *out_dir;
    int verbose;
    int failed;
    int broken;
    int interrupted;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vanthu ocr [OPTIONS] FILE...\n"
            "\n"
            "OCR images (PNG, JPEG, TIFF incl. multi-page, PNM, BMP, WebP, JPEG 2000)\n"
            "and PDFs (text layer when present, else rendered at 300 DPI) through a\n"
            "pool of worker processes.  With one FILE its text goes to stdout; with\n"
            "several, each text is preceded by a line '==> FILE <=='.  Pages are\n"
            "separated by a form feed.\n"
            "\n"
            "options:\n"
            "  --lang L          tesseract languages, e.g. vie or vie+eng (default vie)\n"
            "  --out DIR         write DIR/NAME.txt per FILE instead of stdout (NAME:\n"
            "                    FILE's base name without its extension, or with it\n"
            "                    when two FILEs would otherwise share a NAME)\n"
            "  --workers N       worker processes (default: number of cores)\n"
            "  --timeout SEC     wall-clock limit per file (default 300)\n"
            "  --max-mem MB      address-space limit per worker (default 2048)\n"
            "  --max-pages N     page limit per file (default 500)\n"
            "  --preprocess LIST worker steps: osd,deskew,denoise,rescale or none\n"
            "                    (default all)\n"
            "  --verbose         report each file's pages, confidence and time on stderr\n"
            "  -h, --help        this text\n"
            "\n"
            "Failures are reported on stderr as 'vanthu ocr: FILE: REASON'.\n"
            "The worker program is vanthu-ocr-worker next to vanthu, else the installed\n"
            "one; the environment variable VANTHU_OCR_WORKER overrides both.\n"
            "\n"
            "exit status:\n"
            "  0    every file was OCR'd\n"
            "  1    at least one file failed or was quarantined (the others are done)\n"
            "  2    usage error\n"
            "  3    the OCR workers could not start (missing program or language)\n"
            "  130  interrupted\n");
}

static char *out_name(const char *dir, const char *path, int keep_ext)
{
    const char *base = strrchr(path, '/');
    const char *dot;
    char *name, *res;

    base = base != NULL ? base + 1 : path;
    dot = strrchr(base, '.');
    name = dot != NULL && dot != base && !keep_ext ? xstrndup(base, (size_t)(dot - base))
                                                   : xstrdup(base);
    res = xasprintf("%s/%s.txt", dir, name);
    free(name);
    return res;
}

static int write_file(const char *path, const char *text, size_t len)
{
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = 0;

    if (f == NULL) {
        rc = -errno;
        goto out;
    }
    if (fwrite(text, 1, len, f) != len)
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
out:
    free(tmp);
    return rc;
}

static void flush_stdout(struct run *r)
{
    while (r->next_print < r->n && r->items[r->next_print].done) {
        struct item *it = &r->items[r->next_print++];

        if (it->ok) {
            if (r->n > 1)
                printf("%s==> %s <==\n", r->next_print > 1 ? "\n" : "", it->path);
            fwrite(it->text, 1, it->text_len, stdout);
        }
        free(it->text);
        it->text = NULL;
    }
    fflush(stdout);
}

static void submit_more(struct run *r);

/* Stop the pool and the signal watchers: the loop then runs dry. */
static void run_stop(struct run *r)
{
    ocr_pool_stop(r->pool);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
}

/* --verbose: one line per file, its pages and what was done to each. */
static void report_pages(const struct item *it, const struct ocr_result *res)
{
    fprintf(stderr, "vanthu ocr: %s: %zu page%s, confidence %.1f, %.0f ms", it->path,
            res->npages, res->npages == 1 ? "" : "s", res->confidence, res->elapsed_ms);
    for (size_t i = 0; i < res->npages; i++) {
        const struct ocr_page *pg = &res->pages[i];

        fprintf(stderr, "%s p%zu:%s", i == 0 ? ";" : ",", i + 1,
                pg->text_layer ? "text-layer" : "ocr");
        if (pg->rotated)
            fprintf(stderr, " rotated %d", pg->rotated);
        if (pg->skew != 0)
            fprintf(stderr, " skew %.2f", pg->skew);
        if (pg->denoised)
            fprintf(stderr, " denoised");
    }
    fputc('\n', stderr);
}

/* A file's text: written to its --out file now, or kept for stdout. */
static void keep_text(struct run *r, struct item *it, const struct ocr_result *res)
{
    if (r->out_dir != NULL) {
        int rc = write_file(it->out_path, res->text, res->text_len);

        if (rc < 0) {
            fprintf(stderr, "vanthu ocr: cannot write '%s': %s\n", it->out_path, strerror(-rc));
            it->ok = 0;
            r->failed = 1;
        }
    } else {
        it->text = xmalloc(res->text_len + 1);
        memcpy(it->text, res->text, res->text_len);
        it->text_len = res->text_len;
    }
}

static void done_cb(const struct ocr_result *res, void *data)
{
    struct item *it = data;
    struct run *r = it->run;

    it->done = 1;
    r->finished++;
    if (res->status == OCR_OK) {
        it->ok = 1;
        if (r->verbose)
            report_pages(it, res);
        keep_text(r, it, res);
    } else if (res->status != OCR_CANCELLED) {
        fprintf(stderr, "vanthu ocr: %s: %s%s\n", it->path,
                res->status == OCR_QUARANTINED ? "" : "failed: ", res->reason);
        r->failed = 1;
        if (res->code == VT_EUNSUPPORTED && strncmp(res->reason, "ocr worker cannot start", 23) == 0)
            r->broken = 1;
    }
    if (r->out_dir == NULL)
        flush_stdout(r);
    if (r->interrupted)
        return;
    submit_more(r);
    if (r->finished == r->n)
        run_stop(r);
}

static void submit_more(struct run *r)
{
    while (r->next_submit < r->n) {
        struct item *it = &r->items[r->next_submit];
        int rc = ocr_pool_submit(r->pool, it->path, r->lang, done_cb, it);

        if (rc == UV_EAGAIN)
            return;
        if (rc < 0) {
            it->done = 1;
            r->finished++;
            r->failed = 1;
        }
        r->next_submit++;
    }
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct run *r = h->data;

    (void)signum;
    if (r->interrupted)
        return;
    r->interrupted = 1;
    fprintf(stderr, "vanthu ocr: interrupted, stopping workers\n");
    run_stop(r);
}

static int parse_uint(const char *s, const char *opt, unsigned long max, unsigned long *out)
{
    if (conf_parse_uint(s, 1, max, out) < 0) {
        fprintf(stderr, "vanthu ocr: bad value '%s' for %s\n", s, opt);
        return -1;
    }
    return 0;
}

/* The steps of cmd_ocr() return GO_ON, or the status it exits with. */
#define GO_ON (-1)

enum { O_LANG = 256, O_OUT, O_WORKERS, O_TIMEOUT, O_MEM, O_PAGES, O_PRE, O_VERBOSE };

static const struct option long_opts[] = {
    {"lang", required_argument, NULL, O_LANG},
    {"out", required_argument, NULL, O_OUT},
    {"workers", required_argument, NULL, O_WORKERS},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"max-mem", required_argument, NULL, O_MEM},
    {"max-pages", required_argument, NULL, O_PAGES},
    {"preprocess", required_argument, NULL, O_PRE},
    {"verbose", no_argument, NULL, O_VERBOSE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The options into cfg and r; the FILEs are argv[optind...]. */
static int parse_options(int argc, char **argv, struct ocr_pool_config *cfg, struct run *r)
{
    unsigned long v;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case O_LANG: r->lang = optarg; break;
        case O_OUT: r->out_dir = optarg; break;
        case O_WORKERS:
            if (parse_uint(optarg, "--workers", 256, &v) < 0)
                return OCR_EXIT_USAGE;
            cfg->workers = (unsigned)v;
            break;
        case O_TIMEOUT:
            if (parse_uint(optarg, "--timeout", 86400, &v) < 0)
                return OCR_EXIT_USAGE;
            cfg->timeout_ms = (unsigned)v * 1000;
            break;
        case O_MEM:
            if (parse_uint(optarg, "--max-mem", 1u << 20, &v) < 0)
                return OCR_EXIT_USAGE;
            cfg->max_mem_mb = (unsigned)v;
            break;
        case O_PAGES:
            if (parse_uint(optarg, "--max-pages", 1000000, &v) < 0)
                return OCR_EXIT_USAGE;
            cfg->max_pages = (unsigned)v;
            break;
        case O_PRE: cfg->preprocess = optarg; break;
        case O_VERBOSE: r->verbose = 1; break;
        case 'h': usage(stdout); return OCR_EXIT_OK;
        default: usage(stderr); return OCR_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vanthu ocr: no FILE given\n");
        usage(stderr);
        return OCR_EXIT_USAGE;
    }
    return GO_ON;
}

/* scan.tif and scan.pdf would both be scan.txt: such files keep their
 * extension (scan.tif.txt, scan.pdf.txt). */
static void keep_clashing_extensions(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < r->n; k++) {
            char *a, *b;

            if (k == i || strcmp(r->items[k].out_path, r->items[i].out_path) != 0)
                continue;
            a = out_name(r->out_dir, r->items[i].path, 1);
            b = out_name(r->out_dir, r->items[k].path, 1);
            if (strcmp(a, b) == 0) {
                free(a);
                free(b);
                continue;
            }
            free(r->items[i].out_path);
            free(r->items[k].out_path);
            r->items[i].out_path = a;
            r->items[k].out_path = b;
        }
    }
}

/* --out: the directory, and one distinct DIR/NAME.txt per FILE. */
static int out_paths(struct run *r)
{
    if (mkdir(r->out_dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "vanthu ocr: cannot create '%s': %s\n", r->out_dir, strerror(errno));
        return OCR_EXIT_USAGE;
    }
    for (size_t i = 0; i < r->n; i++)
        r->items[i].out_path = out_name(r->out_dir, r->items[i].path, 0);
    keep_clashing_extensions(r);
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < i; k++) {
            if (strcmp(r->items[k].out_path, r->items[i].out_path) == 0) {
                fprintf(stderr, "vanthu ocr: '%s' and '%s' would both write '%s'\n",
                        r->items[k].path, r->items[i].path, r->items[i].out_path);
                return OCR_EXIT_USAGE;
            }
        }
    }
    return GO_ON;
}

/* Workers: as asked, else one per core, and never more than files.  The
 * worker program: VANTHU_OCR_WORKER, else the default.  *worker is new. */
static void pool_config(struct ocr_pool_config *cfg, const struct run *r, char **worker)
{
    const char *env_worker = getenv("VANTHU_OCR_WORKER");

    if (cfg->workers == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

        cfg->workers = ncpu > 0 ? (unsigned)ncpu : 1;
    }
    if (cfg->workers > r->n)
        cfg->workers = (unsigned)r->n;
    *worker = env_worker != NULL && *env_worker ? xstrdup(env_worker) : ocr_worker_default_path();
    cfg->worker_path = *worker;
    cfg->lang = r->lang;
    cfg->max_queue = cfg->workers * 2;
}

/* Run every file through a pool on r's loop; returns the exit status. */
static int run_pool(struct run *r, const struct ocr_pool_config *cfg)
{
    struct vt_err err;
    int rc;

    rc = uv_loop_init(&r->loop);
    if (rc < 0) {
        fprintf(stderr, "vanthu ocr: cannot start the event loop: %s\n", uv_strerror(rc));
        return OCR_EXIT_NOWORKER;
    }
    vt_err_clear(&err);
    r->pool = ocr_pool_new(&r->loop, cfg, &err);
    if (r->pool == NULL) {
        fprintf(stderr, "vanthu ocr: %s\n", err.msg);
        uv_run(&r->loop, UV_RUN_DEFAULT);
        uv_loop_close(&r->loop);
        return OCR_EXIT_NOWORKER;
    }
    uv_signal_init(&r->loop, &r->sigint);
    uv_signal_init(&r->loop, &r->sigterm);
    r->sigint.data = r->sigterm.data = r;
    uv_signal_start(&r->sigint, signal_cb, SIGINT);
    uv_signal_start(&r->sigterm, signal_cb, SIGTERM);
    submit_more(r);
    if (r->finished == r->n)
        run_stop(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    ocr_pool_free(r->pool);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&r->loop) != 0)
        log_warn("ocr: event loop closed with handles open");
    if (r->interrupted)
        return OCR_EXIT_INTERRUPTED;
    if (r->broken)
        return OCR_EXIT_NOWORKER;
    return r->failed ? OCR_EXIT_FAILED : OCR_EXIT_OK;
}

int cmd_ocr(int argc, char **argv)
{
    struct ocr_pool_config cfg;
    struct run r;
    char *worker = NULL;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    memset(&r, 0, sizeof(r));
    rc = parse_options(argc, argv, &cfg, &r);
    if (rc != GO_ON)
        return rc;
    r.n = (size_t)(argc - optind);
    r.items = xcalloc(r.n, sizeof(*r.items));
    for (size_t i = 0; i < r.n; i++) {
        r.items[i].run = &r;
        r.items[i].path = argv[optind + (int)i];
    }
    if (r.out_dir != NULL)
        rc = out_paths(&r);
    if (rc == GO_ON) {
        pool_config(&cfg, &r, &worker);
        rc = run_pool(&r, &cfg);
    }
    for (size_t i = 0; i < r.n; i++) {
        free(r.items[i].out_path);
        free(r.items[i].text);
    }
    free(r.items);
    free(worker);
    return rc;
}
