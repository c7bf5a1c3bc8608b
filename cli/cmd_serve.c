/* `vanthu serve`: the long-running process.  The composition root of the
 * loop: configuration (vanthu.conf, then flags), the threadpool size (set
 * before libuv first uses its pool), signals, the OCR pool, the indexer
 * service, the query server, and
 * the shutdown order of STYLE §7:
 *
 *   stop accepting (HTTP) -> the indexer stops its watcher, cancels queued
 *   work, lets running work finish, commits and joins its writers -> the OCR
 *   children stop -> every remaining handle is closed -> the loop runs dry
 *   -> uv_loop_close() == 0.
 *
 * SIGTERM/SIGINT start that sequence (a second one exits at once, status
 * 1); a watchdog ends the process with status 1 if it takes more than
 * SHUTDOWN_LIMIT_MS.  SIGHUP re-reads the -c file; an invalid file is
 * reported and the running configuration kept. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "cli/datalock.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "indexer/scan.h"
#include "indexer/service.h"
#include "ocr/pool.h"
#include "query/http.h"

#define SHUTDOWN_LIMIT_MS 20000

/* Flags, applied over the configuration file (and again after a reload). */
struct flags {
    const char *conf_path;
    char **archives;
    size_t narchives;
    const char *data;
    const char *listen;
    const char *ready_file;
    const char *settle_ms;
    const char *log_level;
    const char *ocr_workers;
    /* The query server's job queue and request timeout (at start only). */
    unsigned max_searches, max_queued, request_timeout_ms;
    int no_watch;
    int no_ocr;
};

struct serve {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t watchdog;
    struct flags flags;
    struct conf conf;
    struct ocr_pool *ocr;
    struct indexer_service *svc;
    char **roots;
    size_t nroots;
    unsigned max_inflight;
    int lock_fd;
    int stopping;
    int exit_code;
    struct query_http *http;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vanthu serve [-c vanthu.conf] [--archive DIR]... [--data DIR]\n"
            "                    [--listen HOST:PORT] [OPTIONS]\n"
            "\n"
            "Watch the archive folders and keep the index in step with them: files\n"
            "dropped in are indexed once they have settled (size and mtime unchanged\n"
            "for --settle-ms), images and scanned PDFs go through the OCR workers,\n"
            "moved and deleted files are followed.  A reconcile scan at start catches\n"
            "whatever changed while the server was down.\n"
            "\n"
            "options (flags override the configuration file):\n"
            "  -c FILE           configuration file (INI; its keys: vanthu serve --help-config)\n"
            "  --archive DIR     a folder to watch (repeatable; default ./archive)\n"
            "  --data DIR        index folder (default " VANTHU_DEFAULT_DATA ")\n"
            "  --listen H:P      query server address (default 127.0.0.1:8080)\n"
            "  --settle-ms N     quiet time before a file is indexed (default 1000)\n"
            "  --no-watch        no file-system events: reconcile scans only\n"
            "  --no-ocr          do not start OCR workers (images stay 'needs-ocr')\n"
            "  --ocr-workers N   OCR worker processes (default: number of cores)\n"
            "  --max-searches N  searches (and document, status requests) running at once\n"
            "                    (default 3)\n"
            "  --max-queued N    requests waiting for a search thread; past them: 503\n"
            "                    (default 256)\n"
            "  --request-timeout-ms N  time to send a request head, and to wait in the\n"
            "                    queue (default 10000)\n"
            "  --ready-file F    write a line to F once serving (the port, or 'ready')\n"
            "  --log-level L     debug, info, warn, error\n"
            "  --help-config     the keys of vanthu.conf\n"
            "\n"
            "signals: TERM/INT stop cleanly (exit 0), HUP reloads the -c file.\n"
            "exit status: 0 stopped cleanly, 1 a fatal error, 2 bad usage or configuration.\n");
}

/* The reference of vanthu.conf, printed by --help-config.  Kept beside
 * the flags that override it; common/conf.c holds the key table it
 * describes (a key missing here is a key users cannot find). */
static const char config_help[] =
    "vanthu.conf is an INI file; every key is optional.  Unknown sections or keys\n"
    "and malformed values stop vanthu serve with the file and line.  Paths are\n"
    "relative to the folder vanthu is started from.  Lines are at most 200 bytes.\n"
    "\n"
    "[archive]\n"
    "  path = DIR             a folder to watch; repeat the line for several\n"
    "                         (default ./archive)\n"
    "  ignore = PATTERNS      comma-separated fnmatch patterns on file names\n"
    "                         (default *.part, ~$*, .*, *.tmp)\n"
    "  settle_ms = 1000       quiet time (size and mtime unchanged) before indexing\n"
    "  reconcile_s = 600      full rescan period; 0: only at start and after errors\n"
    "  max_pending = 20000    files waiting to settle before the watcher pauses\n"
    "[index]\n"
    "  data = DIR             index folder (default ./vanthu-data)\n"
    "  commit_docs = 200      commit after this many documents...\n"
    "  commit_ms = 1000       ...or this long after the first uncommitted one\n"
    "  queue = 64             documents waiting for the writer\n"
    "  max_text = 16777216    bytes of text kept per document\n"
    "  max_file_bytes = 2147483648   larger files are recorded, not read\n"
    "[ocr]\n"
    "  workers = 0            OCR worker processes (0: one per core)\n"
    "  lang = vie             Tesseract languages (vie, eng, vie+eng)\n"
    "  timeout_s = 300        CPU time per document before it is marked failed\n"
    "  max_mem_mb = 2048      memory limit of each worker\n"
    "  user = nobody          the workers' user when vanthu runs as root\n"
    "  sandbox = required     or best-effort: run unconfined workers (with a\n"
    "                         warning) where the kernel refuses a sandbox step\n"
    "[server]\n"
    "  listen = 127.0.0.1:8080   HTTP address (HOST:PORT, [IPv6]:PORT)\n"
    "  web_dir = DIR          the search page's files (default: the built-in folder)\n"
    "  hostnames = NAMES      comma-separated names clients may use in Host, besides\n"
    "                         the address itself (and localhost on loopback)\n"
    "  max_connections = 1024 open connections; the oldest idle one makes room\n"
    "  max_connections_per_address = 512   (default: half of max_connections)\n"
    "[log]\n"
    "  level = info           debug, info, warn or error\n"
    "\n"
    "Command-line flags override the file.  SIGHUP re-reads it; archive folders,\n"
    "the data folder and the listen address change only at a restart.\n";

/* Configuration = defaults, then the file, then the flags. */
static int build_conf(const struct flags *fl, struct conf *c, struct vt_err *err)
{
    int rc;

    conf_init(c);
    if (fl->conf_path != NULL && (rc = conf_load(c, fl->conf_path, err)) < 0)
        return rc;
    if (fl->narchives > 0)
        conf_set_archives(c, fl->archives, fl->narchives);
    if (fl->data != NULL && (rc = conf_set(c, "index", "data", fl->data, err)) < 0)
        return rc;
    if (fl->listen != NULL && (rc = conf_set(c, "server", "listen", fl->listen, err)) < 0)
        return rc;
    if (fl->settle_ms != NULL && (rc = conf_set(c, "archive", "settle_ms", fl->settle_ms, err)) < 0)
        return rc;
    if (fl->log_level != NULL && (rc = conf_set(c, "log", "level", fl->log_level, err)) < 0)
        return rc;
    if (fl->ocr_workers != NULL &&
        (rc = conf_set(c, "ocr", "workers", fl->ocr_workers, err)) < 0)
        return rc;
    if (c->narchives == 0)
        return vt_err_set(err, VT_EUSAGE, "no archive folder configured");
    return 0;
}

static void service_config(const struct serve *sv, struct indexer_service_config *sc)
{
    const struct conf *c = &sv->conf;

    memset(sc, 0, sizeof(*sc));
    sc->data_dir = c->data_dir;
    sc->roots = sv->roots;
    sc->nroots = sv->nroots;
    sc->ignore = c->ignore;
    sc->nignore = c->nignore;
    sc->settle_ms = c->settle_ms;
    sc->reconcile_s = c->reconcile_s;
    sc->max_pending = c->max_pending;
    sc->no_watch = sv->flags.no_watch;
    sc->queue_max = c->queue;
    sc->max_inflight = sv->max_inflight;
    sc->commit_docs = c->commit_docs;
    sc->commit_ms = c->commit_ms;
    sc->max_text = c->max_text;
    sc->max_file_bytes = c->max_file_bytes;
    sc->ocr = sv->ocr;
    sc->ocr_lang = c->ocr_lang;
}

/* ---- shutdown ----------------------------------------------------------- */

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void service_stopped(void *data, int rc)
{
    struct serve *sv = data;

    sv->svc = NULL;
    if (rc < 0)
        sv->exit_code = 1;
    /* The children last: the writers have committed. */
    if (sv->ocr != NULL) {
        ocr_pool_free(sv->ocr);
        sv->ocr = NULL;
    }
    uv_close((uv_handle_t *)&sv->sigterm, NULL);
    uv_close((uv_handle_t *)&sv->sigint, NULL);
    uv_close((uv_handle_t *)&sv->sighup, NULL);
    uv_close((uv_handle_t *)&sv->watchdog, NULL);
}

static void stop_indexer(struct serve *sv)
{
    if (sv->svc != NULL)
        indexer_service_stop(sv->svc, service_stopped, sv);
    else
        service_stopped(sv, 0);
}

static void http_stopped(void *data)
{
    struct serve *sv = data;

    sv->http = NULL;
    stop_indexer(sv);
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    log_error("shutdown took longer than %d s; exiting now", SHUTDOWN_LIMIT_MS / 1000);
    _exit(1);
}

static void begin_stop(struct serve *sv, const char *why)
{
    if (sv->stopping)
        return;
    sv->stopping = 1;
    log_info("stopping (%s)", why);
    uv_timer_start(&sv->watchdog, on_watchdog, SHUTDOWN_LIMIT_MS, 0);
    if (sv->http != NULL) {
        query_http_stop(sv->http, http_stopped, sv);
        return;
    }
    stop_indexer(sv);
}

static void on_fatal(void *data, const struct vt_err *err)
{
    struct serve *sv = data;

    (void)err;
    sv->exit_code = 1;
    begin_stop(sv, "the index cannot be written");
}

static void on_committed(void *data)
{
    struct serve *sv = data;

    if (sv->http != NULL)
        query_http_index_changed(sv->http);
}

static void status_cb(void *data, json_t *status)
{
    struct serve *sv = data;
    struct indexer_service_stats st;

    if (sv->svc == NULL)
        return;
    indexer_service_stats(sv->svc, &st);
    json_object_set_new(status, "indexed", json_integer((json_int_t)st.indexed));
    json_object_set_new(status, "failed", json_integer((json_int_t)st.failed));
    json_object_set_new(status, "queued", json_integer((json_int_t)st.queued));
    json_object_set_new(status, "removed", json_integer((json_int_t)st.deleted));
    json_object_set_new(status, "ocr_jobs", json_integer((json_int_t)st.ocr_jobs));
    json_object_set_new(status, "ocr_pending", json_integer((json_int_t)st.ocr_pending));
    json_object_set_new(status, "reused", json_integer((json_int_t)st.reused));
    json_object_set_new(status, "watched_folders", json_integer((json_int_t)st.watches));
    json_object_set_new(status, "scanning", json_boolean(st.scanning));
    if (sv->ocr != NULL) {
        struct ocr_pool_stats os;
        ocr_pool_stats(sv->ocr, &os);
        json_object_set_new(status, "ocr_workers", json_integer(os.workers));
        json_object_set_new(status, "ocr_busy", json_integer(os.busy));
    }
}

/* The file route found an original that is not the one indexed (replaced,
 * modified with its mtime kept, swapped for a symlink): the indexer reads
 * it again or removes it. */
static void on_file_changed(const char *path, void *data)
{
    struct serve *sv = data;
    int rc;

    if (sv->svc == NULL || sv->stopping)
        return;
    rc = indexer_service_recheck(sv->svc, path);
    if (rc < 0)
        log_warn("cannot re-check a changed original: %s", vt_strerror(rc));
}

/* ---- signals ------------------------------------------------------------- */

static void reload(struct serve *sv)
{
    struct conf c;
    struct vt_err err;
    struct indexer_service_config sc;
    int changed_roots = 0;

    vt_err_clear(&err);
    if (build_conf(&sv->flags, &c, &err) < 0) {
        log_error("reload: %s; keeping the running configuration", err.msg);
        conf_release(&c);
        return;
    }
    if (c.narchives != sv->conf.narchives)
        changed_roots = 1;
    for (size_t i = 0; !changed_roots && i < c.narchives; i++)
        changed_roots = strcmp(c.archives[i], sv->conf.archives[i]) != 0;
    if (changed_roots || strcmp(c.data_dir, sv->conf.data_dir) != 0 ||
        strcmp(c.listen, sv->conf.listen) != 0)
        log_warn("reload: archive folders, data folder and listen address change only "
                 "at a restart");
    /* Keep what needs a restart; take the rest. */
    conf_set_archives(&c, sv->conf.archives, sv->conf.narchives);
    free(c.data_dir);
    c.data_dir = xstrdup(sv->conf.data_dir);
    free(c.listen);
    c.listen = xstrdup(sv->conf.listen);
    conf_release(&sv->conf);
    sv->conf = c;
    log_set_level((enum log_level)sv->conf.log_level);
    service_config(sv, &sc);
    if (sv->svc != NULL)
        indexer_service_reconfigure(sv->svc, &sc);
    log_info("configuration reloaded from '%s' (settle %u ms, commit every %u documents or %u ms)",
             sv->flags.conf_path ? sv->flags.conf_path : "(flags)", sv->conf.settle_ms,
             sv->conf.commit_docs, sv->conf.commit_ms);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;

    if (signum == SIGHUP) {
        reload(sv);
        return;
    }
    if (sv->stopping) {
        log_warn("second %s: exiting without a clean stop", signum == SIGINT ? "SIGINT" : "SIGTERM");
        _exit(1);
    }
    begin_stop(sv, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* ---- start -------------------------------------------------------------------- */

static int write_ready_file(const char *path, const char *line)
{
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = 0;

    if (f == NULL || fprintf(f, "%s\n", line) < 0)
        rc = -errno;
    if (f != NULL && fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* The query server's numeric flags: 1 if argv[*i] is one (fl set), 0 if
 * it is not, -1 after saying its value is bad. */
static int parse_server_flag(int argc, char **argv, int *i, struct flags *fl)
{
    const struct {
        const char *name;
        unsigned long min, max;
        unsigned *out;
    } nums[] = {
        {"--max-searches", 1, 256, &fl->max_searches},
        {"--max-queued", 1, 1000000, &fl->max_queued},
        {"--request-timeout-ms", 100, 3600000, &fl->request_timeout_ms},
    };
    const char *val;
    unsigned long v;

    for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
        if ((val = args_value(argc, argv, i, nums[k].name)) == NULL)
            continue;
        if (conf_parse_uint(val, nums[k].min, nums[k].max, &v) < 0) {
            fprintf(stderr, "vanthu serve: bad value for %s: '%s'\n", nums[k].name, val);
            return -1;
        }
        *nums[k].out = (unsigned)v;
        return 1;
    }
    return 0;
}

static int parse_flags(int argc, char **argv, struct flags *fl)
{
    const char *val;
    unsigned long v;
    int m;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(argv[i], "--help-config") == 0) {
            fputs(config_help, stdout);
            return 1;
        } else if ((val = args_value(argc, argv, &i, "-c")) != NULL ||
                   (val = args_value(argc, argv, &i, "--config")) != NULL) {
            fl->conf_path = val;
        } else if ((val = args_value(argc, argv, &i, "--archive")) != NULL) {
            fl->archives = xrealloc(fl->archives, (fl->narchives + 1) * sizeof(char *));
            fl->archives[fl->narchives++] = (char *)val;
        } else if ((val = args_value(argc, argv, &i, "--data")) != NULL) {
            fl->data = val;
        } else if ((val = args_value(argc, argv, &i, "--listen")) != NULL) {
            fl->listen = val;
        } else if ((val = args_value(argc, argv, &i, "--ready-file")) != NULL) {
            fl->ready_file = val;
        } else if ((val = args_value(argc, argv, &i, "--settle-ms")) != NULL) {
            if (conf_parse_uint(val, 0, 3600000, &v) < 0)
                goto bad;
            fl->settle_ms = val;
        } else if ((val = args_value(argc, argv, &i, "--ocr-workers")) != NULL) {
            if (conf_parse_uint(val, 0, 256, &v) < 0)
                goto bad;
            fl->ocr_workers = val;
        } else if ((m = parse_server_flag(argc, argv, &i, fl)) != 0) {
            if (m < 0)
                return -1;
        } else if ((val = args_value(argc, argv, &i, "--log-level")) != NULL) {
            fl->log_level = val;
        } else if (strcmp(argv[i], "--no-watch") == 0) {
            fl->no_watch = 1;
        } else if (strcmp(argv[i], "--no-ocr") == 0) {
            fl->no_ocr = 1;
        } else {
            fprintf(stderr, "vanthu serve: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return -1;
        }
        continue;
bad:
        fprintf(stderr, "vanthu serve: bad value for %s: '%s'\n", argv[i - 1], val);
        return -1;
    }
    return 0;
}

/* The threadpool is global and sized once, at its first use: extraction
 * gets max_inflight threads, and a few more stay free for the watcher's
 * lstat calls, other uv_fs work and (later) searches. */
static unsigned size_threadpool(void)
{
    const char *env = getenv("UV_THREADPOOL_SIZE");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned inflight = ncpu > 2 ? (unsigned)ncpu : 2, size;
    char num[16];

    if (env != NULL && (size = (unsigned)strtoul(env, NULL, 10)) >= 2) {
        inflight = size > 4 ? size - 3 : 1;
        return inflight;
    }
    size = inflight + 4;
    snprintf(num, sizeof(num), "%u", size);
    setenv("UV_THREADPOOL_SIZE", num, 1);
    return inflight;
}

/* The data folder and the archive folders are ours, and the address is
 * free: 0, or -1 after saying why. */
static int serve_claim(struct serve *sv)
{
    struct vt_err err;

    vt_err_clear(&err);
    /* A taken port is reported before the indexer's reconcile scan starts
     * (it may OCR for minutes). */
    if (query_http_check_listen(sv->conf.listen, &err) < 0) {
        fprintf(stderr, "vanthu serve: %s\n", err.msg);
        return -1;
    }
    sv->roots = xcalloc(sv->conf.narchives, sizeof(char *));
    for (size_t i = 0; i < sv->conf.narchives; i++) {
        char *r = scan_root(sv->conf.archives[i], &err);
        if (r == NULL) {
            fprintf(stderr, "vanthu serve: archive folder: %s\n", err.msg);
            return -1;
        }
        sv->roots[sv->nroots++] = r;
    }
    sv->lock_fd = datalock_take(sv->conf.data_dir, sv->conf.listen, sv->roots, sv->nroots, &err);
    if (sv->lock_fd < 0) {
        fprintf(stderr, "vanthu serve: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* The loop, the signals and the shutdown watchdog. */
static int serve_loop_init(struct serve *sv)
{
    int rc;

    if ((rc = uv_loop_init(&sv->loop)) < 0) {
        fprintf(stderr, "vanthu serve: %s\n", uv_strerror(rc));
        return rc;
    }
    uv_signal_init(&sv->loop, &sv->sigterm);
    uv_signal_init(&sv->loop, &sv->sigint);
    uv_signal_init(&sv->loop, &sv->sighup);
    uv_timer_init(&sv->loop, &sv->watchdog);
    uv_unref((uv_handle_t *)&sv->watchdog);
    sv->sigterm.data = sv->sigint.data = sv->sighup.data = sv;
    uv_signal_start(&sv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&sv->sigint, on_signal, SIGINT);
    uv_signal_start(&sv->sighup, on_signal, SIGHUP);
    return 0;
}

/* The OCR pool; without it, images stay 'needs-ocr'. */
static void start_ocr(struct serve *sv)
{
    struct ocr_pool_config oc;
    struct vt_err err;
    const char *env = getenv("VANTHU_OCR_WORKER");
    char *worker = env != NULL && *env ? xstrdup(env) : ocr_worker_default_path();
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    vt_err_clear(&err);
    memset(&oc, 0, sizeof(oc));
    oc.worker_path = worker;
    oc.workers = sv->conf.ocr_workers ? sv->conf.ocr_workers : ncpu > 0 ? (unsigned)ncpu : 1;
    oc.lang = sv->conf.ocr_lang;
    oc.timeout_ms = sv->conf.ocr_timeout_s * 1000;
    oc.max_mem_mb = sv->conf.ocr_max_mem_mb;
    oc.user = sv->conf.ocr_user;
    oc.sandbox_best_effort = sv->conf.ocr_sandbox_best_effort;
    oc.max_queue = oc.workers * 2;
    sv->ocr = ocr_pool_new(&sv->loop, &oc, &err);
    if (sv->ocr == NULL)
        log_warn("OCR is unavailable (%s); images and scanned PDFs stay 'needs-ocr'", err.msg);
    free(worker);
}

/* The indexer service: 0, or a negative code after saying why (the
 * shutdown has begun). */
static int start_indexer(struct serve *sv)
{
    struct indexer_service_config sc;
    struct vt_err err;
    int rc;

    vt_err_clear(&err);
    service_config(sv, &sc);
    sc.committed = on_committed;
    sc.fatal = on_fatal;
    sc.cb_data = sv;
    if ((rc = indexer_service_start(&sv->loop, &sc, &sv->svc, &err)) < 0) {
        fprintf(stderr, "vanthu serve: %s\n", err.msg[0] ? err.msg : vt_strerror(rc));
        sv->svc = NULL;
        sv->exit_code = 1;
        sv->stopping = 1;
        stop_indexer(sv);
        return rc;
    }
    for (size_t i = 0; i < sv->nroots; i++)
        log_info("watching archive '%s'%s", sv->roots[i],
                 sv->flags.no_watch ? " (reconcile scans only)" : "");
    return 0;
}

/* The query server: 0, or a negative code after saying why (the shutdown
 * has begun). */
static int start_http(struct serve *sv)
{
    struct query_http_config hc;
    struct vt_err err;
    int rc;

    vt_err_clear(&err);
    memset(&hc, 0, sizeof(hc));
    hc.listen = sv->conf.listen;
    hc.data_dir = sv->conf.data_dir;
    hc.web_dir = sv->conf.web_dir;
    hc.archives = (const char *const *)sv->roots;
    hc.narchives = sv->nroots;
    hc.hostnames = (const char *const *)sv->conf.hostnames;
    hc.nhostnames = sv->conf.nhostnames;
    hc.max_connections = sv->conf.max_connections;
    hc.max_connections_per_address = sv->conf.max_connections_per_address;
    hc.max_searches = sv->flags.max_searches;
    hc.max_queued = sv->flags.max_queued;
    hc.request_timeout_ms = sv->flags.request_timeout_ms;
    hc.file_changed = on_file_changed;
    hc.file_changed_data = sv;
    if ((rc = query_http_start(&sv->loop, &hc, &sv->http, &err)) < 0) {
        fprintf(stderr, "vanthu serve: cannot listen on %s: %s\n", sv->conf.listen, err.msg);
        sv->http = NULL;
        sv->exit_code = 1;
        begin_stop(sv, "no query server");
        return rc;
    }
    query_http_set_status_cb(sv->http, status_cb, sv);
    if (sv->flags.ready_file != NULL) {
        char line[32];
        snprintf(line, sizeof(line), "%d", query_http_port(sv->http));
        if ((rc = write_ready_file(sv->flags.ready_file, line)) < 0)
            log_warn("cannot write the ready file '%s': %s", sv->flags.ready_file, strerror(-rc));
    }
    return 0;
}

/* Start everything on a new loop and run it until the shutdown is done. */
static void serve_run(struct serve *sv)
{
    if (serve_loop_init(sv) < 0) {
        sv->exit_code = 1;
        return;
    }
    if (!sv->flags.no_ocr)
        start_ocr(sv);
    if (start_indexer(sv) == 0)
        start_http(sv);
    uv_run(&sv->loop, UV_RUN_DEFAULT);
    /* Anything still open (none, normally) is closed, and the loop runs dry. */
    uv_walk(&sv->loop, close_walk_cb, NULL);
    uv_run(&sv->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&sv->loop) != 0) {
        log_error("the event loop still had open handles at exit");
        sv->exit_code = 1;
    }
    if (sv->exit_code == 0)
        log_info("stopped cleanly");
}

int cmd_serve(int argc, char **argv)
{
    struct serve sv;
    struct vt_err err;
    int rc;

    memset(&sv, 0, sizeof(sv));
    vt_err_clear(&err);
    rc = parse_flags(argc, argv, &sv.flags);
    if (rc != 0) {
        free(sv.flags.archives);
        return rc > 0 ? 0 : 2;
    }
    if (build_conf(&sv.flags, &sv.conf, &err) < 0) {
        fprintf(stderr, "vanthu serve: %s\n", err.msg);
        conf_release(&sv.conf);
        free(sv.flags.archives);
        return 2;
    }
    log_set_level((enum log_level)sv.conf.log_level);
    sv.lock_fd = -1;
    if (serve_claim(&sv) < 0) {
        sv.exit_code = 1;
    } else {
        sv.max_inflight = size_threadpool();
        serve_run(&sv);
    }
    if (sv.lock_fd >= 0)
        close(sv.lock_fd);
    for (size_t i = 0; i < sv.nroots; i++)
        free(sv.roots[i]);
    free(sv.roots);
    conf_release(&sv.conf);
    free(sv.flags.archives);
    return sv.exit_code;
}
