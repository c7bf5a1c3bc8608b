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
            "  --threads N       extraction threads (default: number of cores)\n"
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

int cmd_index(int argc, char **argv)
{
    struct indexer_batch_config cfg = {0};
    struct indexer_stats stats;
    struct vt_err err;
    char **paths = calloc((size_t)argc, sizeof(char *));
    unsigned long v;
    const char *val;
    char *worker = NULL;
    int rc, quiet = 0, ocr = 1;

    cfg.data_dir = VANTHU_DEFAULT_DATA;
    cfg.max_text = 16u << 20;
    cfg.batch_bytes = 4u << 20;
    cfg.compact = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            free(paths);
            return 0;
        } else if ((val = args_value(argc, argv, &i, "--data")) != NULL) {
            cfg.data_dir = val;
        } else if ((val = args_value(argc, argv, &i, "--threads")) != NULL) {
            if (conf_parse_uint(val, 1, 64, &v) < 0)
                goto bad;
            cfg.threads = (unsigned)v;
        } else if ((val = args_value(argc, argv, &i, "--max-text")) != NULL) {
            if (conf_parse_uint(val, 1024, 1ul << 30, &v) < 0)
                goto bad;
            cfg.max_text = v;
        } else if ((val = args_value(argc, argv, &i, "--max-file-bytes")) != NULL) {
            if (conf_parse_uint(val, 1, 1ul << 60, &v) < 0)
                goto bad;
            cfg.max_file_bytes = v;
        } else if ((val = args_value(argc, argv, &i, "--batch-mb")) != NULL) {
            if (conf_parse_uint(val, 1, 4096, &v) < 0)
                goto bad;
            cfg.batch_bytes = v << 20;
        } else if (strcmp(argv[i], "--no-ocr") == 0) {
            ocr = 0;
        } else if ((val = args_value(argc, argv, &i, "--ocr-lang")) != NULL) {
            cfg.ocr_lang = val;
        } else if ((val = args_value(argc, argv, &i, "--ocr-workers")) != NULL) {
            if (conf_parse_uint(val, 1, 64, &v) < 0)
                goto bad;
            cfg.ocr_workers = (unsigned)v;
        } else if (strcmp(argv[i], "--compact") == 0) {
            cfg.compact = 1;
        } else if (strcmp(argv[i], "--no-compact") == 0) {
            cfg.compact = 0;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--") == 0) {
            while (++i < argc)
                paths[cfg.npaths++] = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "vanthu index: unknown option '%s'\n", argv[i]);
            goto usage_error;
        } else {
            paths[cfg.npaths++] = argv[i];
        }
        continue;
bad:
        fprintf(stderr, "vanthu index: bad value for %s\n", argv[i - 1]);
        goto usage_error;
    }
    if (cfg.npaths == 0) {
        fprintf(stderr, "vanthu index: no PATH given\n");
        goto usage_error;
    }
    /* Before anything is created or read: a folder served by a running
     * vanthu serve is that server's to index. */
    vt_err_clear(&err);
    if (datalock_check_free(cfg.data_dir, &err) < 0) {
        fprintf(stderr,
                "vanthu index: '%s' is the index of %s.\n"
                "The server indexes the files of its archive folders itself: copy or move\n"
                "files into one of them and they become searchable once settled.  To index\n"
                "another folder, add it to the server (--archive DIR, or [archive] path in\n"
                "its vanthu.conf) and restart it, or stop the server and run vanthu index.\n",
                cfg.data_dir, err.msg);
        free(paths);
        return 1;
    }
    cfg.paths = paths;
    cfg.progress = !quiet && isatty(STDERR_FILENO);
    if (quiet)
        log_set_level(LOG_WARN);
    if (ocr) {
        worker = ocr_worker_default_path();
        if (access(worker, X_OK) != 0) {
            fprintf(stderr, "vanthu index: no OCR worker at '%s': images will wait for OCR\n", worker);
            free(worker);
            worker = NULL;
        }
        cfg.ocr_worker = worker;
    }
    vt_err_clear(&err);
    rc = indexer_batch_run(&cfg, &stats, &err);
    free(paths);
    free(worker);
    if (rc < 0) {
        fprintf(stderr, "vanthu index: %s\n", err.msg[0] ? err.msg : vt_strerror(rc));
        return 1;
    }
    if (!quiet)
        fprintf(stderr,
                "indexed %lu, unchanged %lu, removed %lu, failed %lu, unsupported %lu, "
                "empty %lu, awaiting OCR %lu, skipped paths %lu; OCR'd %lu, OCR failed %lu; "
                "%.1f MB of text in %.2f s (%.0f files/s)\n",
                stats.indexed, stats.unchanged, stats.removed, stats.failed, stats.unsupported,
                stats.empty, stats.needs_ocr - stats.ocr_done - stats.ocr_failed, stats.problems,
                stats.ocr_done, stats.ocr_failed, (double)stats.bytes / 1e6,
                stats.seconds,
                stats.seconds > 0 ? (double)(stats.seen - stats.unchanged) / stats.seconds : 0.0);
    return 0;
usage_error:
    free(paths);
    free(worker);
    usage(stderr);
    return 2;
}
