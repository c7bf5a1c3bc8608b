/* vanthu.conf: the INI configuration of `vanthu serve` (inih).
 *
 *   [archive]  path = DIR        (repeat the line for several folders)
 *              ignore = *.part, ~$*, .*, *.tmp   (fnmatch patterns on names)
 *              settle_ms = 1000  reconcile_s = 600  max_pending = 20000
 *   [index]    data = DIR  commit_docs = 200  commit_ms = 1000
 *              queue = 64  max_text = 16777216  max_file_bytes = 2147483648
 *   [ocr]      workers = 0 (cores)  lang = vie  timeout_s = 300  max_mem_mb = 2048
 *              user = NAME (root only; default nobody)  sandbox = required|best-effort
 *   [server]   listen = 127.0.0.1:8080  web_dir = DIR
 *              hostnames = a.example, b.example   (Host names besides the address)
 *              max_connections = 0 (1024)  max_connections_per_address = 0 (half)
 *   [log]      level = debug|info|warn|error
 *
 * Unknown sections or keys and malformed values are errors naming the file
 * and line, so a typo never silently falls back to a default.  Lines are at
 * most 200 bytes (inih's limit).
 *
 * This file is named conf.h, not config.h, because `#include "config.h"`
 * in the files of common/ must keep finding autoconf's header.
 *
 * Ownership: struct conf is caller-owned (conf_init / conf_release); every
 * string in it is owned by it.  Threads: any, one at a time. */
#ifndef VT_COMMON_CONF_H
#define VT_COMMON_CONF_H

#include <stddef.h>

#include "common/err.h"

struct conf {
    char **archives; /* folders to watch */
    size_t narchives;
    char **ignore;   /* name patterns */
    size_t nignore;
    char *data_dir;
    char *listen;
    char *web_dir;   /* NULL: the built-in default */
    char **hostnames; /* [server] hostnames, as written (compared case-insensitively) */
    size_t nhostnames;
    unsigned max_connections;          /* 0: the server's default */
    unsigned max_connections_per_address;
    unsigned settle_ms;
    unsigned reconcile_s;  /* 0: only at start and after errors */
    unsigned max_pending;
    unsigned commit_docs;
    unsigned commit_ms;
    unsigned queue;
    size_t max_text;
    size_t max_file_bytes; /* larger files are recorded by name, not read */
    unsigned ocr_workers;  /* 0: number of cores */
    char *ocr_lang;
    unsigned ocr_timeout_s;
    unsigned ocr_max_mem_mb;
    char *ocr_user;              /* NULL: the worker's default (nobody when root) */
    int ocr_sandbox_best_effort; /* 0: sandbox = required */
    int log_level;         /* enum log_level */
};

/* Defaults (DESIGN §4): archive ./archive, data ./vanthu-data, listen
 * 127.0.0.1:8080, settle 1000 ms, ignore *.part ~$* .* *.tmp. */
/* Parse a whole decimal number in [min, max] (no sign, no spaces) into
 * *out: 0, or -1 when s is not one.  Shared by the file and the flags. */
int conf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

void conf_init(struct conf *c);
void conf_release(struct conf *c);

/* Read path into c, over what c already holds.  A file that sets
 * archive.path replaces the default archive list (the first path line
 * drops the defaults; later ones add); likewise archive.ignore replaces the
 * patterns.  Returns 0, or VT_EUSAGE with "FILE:LINE: ..." in err, or
 * -errno when the file cannot be read. */
int conf_load(struct conf *c, const char *path, struct vt_err *err);

/* Set one key (as in the file) from a string: for command-line overrides.
 * VT_EUSAGE with a message on a bad key or value. */
int conf_set(struct conf *c, const char *section, const char *key, const char *value,
             struct vt_err *err);

/* Replace the archive list / ignore list by a copy of v[0..n). */
void conf_set_archives(struct conf *c, char *const *v, size_t n);

#endif
