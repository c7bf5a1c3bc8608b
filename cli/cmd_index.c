/* `vanthu index --data DIR PATH...`: one-shot incremental indexing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/datalock.h"
#include "cli/cmds.h"
#include "common/conf.h"
#include "common/log.h"
#include "indexer/batch.h"
#include "ocr/pool.h"

struct index_flags {
    int quiet;
    int ocr; /* 0: --no-ocr */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vanthu index [--data DIR] [OPTIONS] PATH...\n"
            "\n"
            "Index the files and folders PATH (recursively) into the index in DIR.\n"
            "Unchanged files (same size and mtime) are skipped, changed ones replaced,\n"
            "and files gone from under PATH removed.  Files that cannot be read or\n"
            "decoded are reported and recorded with their reason, so they stay\n"
            "findable by name; they do not stop the run.\n"
            "\n"
            "options:\n"
            "  --data DIR        index folder (default " VANTHU_DEFAULT_DATA ")\n"
            "  --threads N       files extracted at once (default: number of cores)\n"
            "  --max-text BYTES  text kept per document (default 16777216)\n"
            "  --max-file-bytes N  larger files are recorded by name only (default 2147483648)\n"
            "  --batch-mb N      commit every N MB of documents per shard (default 4)\n"
            "  --no-ocr          leave images and scanned PDFs unread (status needs-ocr)\n"
            "  --ocr-lang L      Tesseract languages (default vie)\n"
            "  --ocr-workers N   OCR worker processes (default: number of cores)\n"
            "  --compact         always compact the index at the end\n"
            "  --no-compact      never compact (default: after a bulk build)\n"
            "  --quiet           only warnings and errors\n"
            "\n"
            "exit status: 0 the run completed (per-file failures are in the summary),\n"
            "1 a fatal error (a PATH missing, the index locked or unwritable, or its\n"
            "folder served by a running vanthu serve),\n"
            "2 bad usage.\n");
}

/* Parse one option at argv[*i] into cfg: 1 if it was one, 0 if it is not
 * an option (a PATH), -1 on a bad value (said on stderr). */
static int parse_option(int argc, char **argv, int *i, struct indexer_batch_config *cfg,
                        struct index_flags *fl)
{
    unsigned long v;
    const char *val;

    if ((val = args_value(argc, argv, i, "--data")) != NULL) {
        cfg->data_dir = val;
        return 1;
    }
    if ((val = args_value(argc, argv, i, "--threads")) != NULL) {
        if (conf_parse_uint(val, 1, 64, &v) < 0)
            goto bad;
        cfg->threads = (unsigned)v;
    } else if ((val = args_value(argc, argv, i, "--max-text")) != NULL) {
        if (conf_parse_uint(val, 1024, 1ul << 30, &v) < 0)
            goto bad;
        cfg->max_text = v;
    } else if ((val = args_value(argc, argv, i, "--max-file-bytes")) != NULL) {
        if (conf_parse_uint(val, 1, 1ul << 60, &v) < 0)
            goto bad;
        cfg->max_file_bytes = v;
    } else if ((val = args_value(argc, argv, i, "--batch-mb")) != NULL) {
        if (conf_parse_uint(val, 1, 4096, &v) < 0)
            goto bad;
        cfg->batch_bytes = v << 20;
    } else if ((val = args_value(argc, argv, i, "--ocr-workers")) != NULL) {
        if (conf_parse_uint(val, 1, 64, &v) < 0)
            goto bad;
        cfg->ocr_workers = (unsigned)v;
    } else if ((val = args_value(argc, argv, i, "--ocr-lang")) != NULL) {
        cfg->ocr_lang = val;
    } else if (strcmp(argv[*i], "--no-ocr") == 0) {
        fl->ocr = 0;
    } else if (strcmp(argv[*i], "--compact") == 0) {
        cfg->compact = 1;
    } else if (strcmp(argv[*i], "--no-compact") == 0) {
        cfg->compact = 0;
    } else if (strcmp(argv[*i], "--quiet") == 0) {
        fl->quiet = 1;
    } else {
        return 0;
    }
    return 1;
bad:
    fprintf(stderr, "vanthu index: bad value for %s\n", argv[*i - 1]);
    return -1;
}

/* The command line into cfg and paths: 0, 1 for --help, or -1 (usage). */
static int parse_args(int argc, char **argv, struct indexer_batch_config *cfg, char **paths,
                      struct index_flags *fl)
{
    for (int i = 1; i < argc; i++) {
        int rc;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (strcmp(argv[i], "--") == 0) {
            while (++i < argc)
                paths[cfg->npaths++] = argv[i];
            break;
        }
        if ((rc = parse_option(argc, argv, &i, cfg, fl)) < 0)
            return -1;
        if (rc > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "vanthu index: unknown option '%s'\n", argv[i]);
            return -1;
        }
        paths[cfg->npaths++] = argv[i];
    }
    if (cfg->npaths == 0) {
        fprintf(stderr, "vanthu index: no PATH given\n");
        return -1;
    }
    return 0;
}

/* Before anything is created or read: a folder served by a running
 * vanthu serve is that server's to index. */
static int refuse_served(const char *data_dir)
{
    struct vt_err err;

    vt_err_clear(&err);
    if (datalock_check_free(data_dir, &err) == 0)
        return 0;
    fprintf(stderr,
            "vanthu index: '%s' is the index of %s.\n"
            "The server indexes the files of its archive folders itself: copy or move\n"
            "files into one of them and they become searchable once settled.  To index\n"
            "another folder, add it to the server (--archive DIR, or [archive] path in\n"
            "its vanthu.conf) and restart it, or stop the server and run vanthu index.\n",
            data_dir, err.msg);
    return -1;
}

/* The OCR worker program, or NULL (said on stderr) when there is none. */
static char *find_worker(void)
{
    char *worker = ocr_worker_default_path();

    if (access(worker, X_OK) == 0)
        return worker;
    fprintf(stderr, "vanthu index: no OCR worker at '%s': images will wait for OCR\n", worker);
    free(worker);
    return NULL;
}

/* The threadpool is global and sized at its first use: room for every
 * extraction job, and two more for the OCR pool's opens and uv_fs work. */
static void size_threadpool(const struct indexer_batch_config *cfg)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs = cfg->threads ? cfg->threads : (ncpu > 0 ? (unsigned)ncpu : 1);
    char num[16];

    if (getenv("UV_THREADPOOL_SIZE") != NULL || jobs + 2 <= 4)
        return;
    snprintf(num, sizeof(num), "%u", jobs + 2);
    setenv("UV_THREADPOOL_SIZE", num, 1);
}

static void print_summary(const struct indexer_stats *st)
{
    fprintf(stderr,
            "indexed %lu, unchanged %lu, removed %lu, failed %lu, unsupported %lu, "
            "empty %lu, awaiting OCR %lu, skipped paths %lu; OCR'd %lu, OCR failed %lu; "
            "%.1f MB of text in %.2f s (%.0f files/s)\n",
            st->indexed, st->unchanged, st->removed, st->failed, st->unsupported, st->empty,
            st->needs_ocr - st->ocr_done - st->ocr_failed, st->problems, st->ocr_done,
            st->ocr_failed, (double)st->bytes / 1e6, st->seconds,
            st->seconds > 0 ? (double)(st->seen - st->unchanged) / st->seconds : 0.0);
}

int cmd_index(int argc, char **argv)
{
    struct indexer_batch_config cfg = {0};
    struct index_flags fl = {0, 1};
    struct indexer_stats stats;
    struct vt_err err;
    char **paths = calloc((size_t)argc, sizeof(char *));
    char *worker = NULL;
    int rc;

    cfg.data_dir = VANTHU_DEFAULT_DATA;
    cfg.max_text = 16u << 20;
    cfg.batch_bytes = 4u << 20;
    cfg.compact = -1;
    rc = parse_args(argc, argv, &cfg, paths, &fl);
    if (rc != 0) {
        free(paths);
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    if (refuse_served(cfg.data_dir) < 0) {
        free(paths);
        return 1;
    }
    cfg.paths = paths;
    cfg.progress = !fl.quiet && isatty(STDERR_FILENO);
    if (fl.quiet)
        log_set_level(LOG_WARN);
    if (fl.ocr)
        cfg.ocr_worker = worker = find_worker();
    size_threadpool(&cfg);
    vt_err_clear(&err);
    rc = indexer_batch_run(&cfg, &stats, &err);
    free(paths);
    free(worker);
    if (rc < 0) {
        fprintf(stderr, "vanthu index: %s\n", err.msg[0] ? err.msg : vt_strerror(rc));
        return 1;
    }
    if (!fl.quiet)
        print_summary(&stats);
    return 0;
}
