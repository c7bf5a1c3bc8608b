/* vanthu.conf parsing (see conf.h).  inih calls handler() once per key;
 * the first error is kept with its line number, which ini_parse returns. */
#include "config.h"

#include "common/conf.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

static const char *const default_ignore[] = {"*.part", "~$*", ".*", "*.tmp"};

static void free_list(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

static void list_add(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = xstrdup(s);
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = xstrdup(s);
}

void conf_init(struct conf *c)
{
    memset(c, 0, sizeof(*c));
    list_add(&c->archives, &c->narchives, "./archive");
    for (size_t i = 0; i < sizeof(default_ignore) / sizeof(default_ignore[0]); i++)
        list_add(&c->ignore, &c->nignore, default_ignore[i]);
    c->data_dir = xstrdup("./vanthu-data");
    c->listen = xstrdup("127.0.0.1:8080");
    c->settle_ms = 1000;
    c->reconcile_s = 600;
    c->max_pending = 20000;
    c->commit_docs = 200;
    c->commit_ms = 1000;
    c->queue = 64;
    c->max_text = (size_t)16 << 20;
    c->max_file_bytes = (size_t)2 << 30;
    c->ocr_lang = xstrdup("vie");
    c->ocr_timeout_s = 300;
    c->ocr_max_mem_mb = 2048;
    c->log_level = LOG_INFO;
}

void conf_release(struct conf *c)
{
    free_list(&c->archives, &c->narchives);
    free_list(&c->ignore, &c->nignore);
    free_list(&c->hostnames, &c->nhostnames);
    free(c->data_dir);
    free(c->listen);
    free(c->web_dir);
    free(c->ocr_lang);
    free(c->ocr_user);
    memset(c, 0, sizeof(*c));
}

void conf_set_archives(struct conf *c, char *const *v, size_t n)
{
    free_list(&c->archives, &c->narchives);
    for (size_t i = 0; i < n; i++)
        list_add(&c->archives, &c->narchives, v[i]);
}

int conf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Split "a, b ,c" on commas into the list *v. */
static void set_list(char ***v, size_t *nv, const char *value)
{
    const char *p = value;

    free_list(v, nv);
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *a = p, *b = p + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            char *pat = xstrndup(a, (size_t)(b - a));
            list_add(v, nv, pat);
            free(pat);
        }
        p = e ? e + 1 : p + n;
    }
}

struct uint_key {
    const char *section, *key;
    unsigned long min, max;
    size_t offset;
    int is_size;
};

#define UK(s, k, lo, hi, f) {s, k, lo, hi, offsetof(struct conf, f), 0}
static const struct uint_key uint_keys[] = {
    UK("archive", "settle_ms", 0, 3600000, settle_ms),
    UK("archive", "reconcile_s", 0, 7 * 86400, reconcile_s),
    UK("archive", "max_pending", 16, 10000000, max_pending),
    UK("index", "commit_docs", 1, 1000000, commit_docs),
    UK("index", "commit_ms", 1, 3600000, commit_ms),
    UK("index", "queue", 1, 100000, queue),
    {"index", "max_text", 1024, 1ul << 30, offsetof(struct conf, max_text), 1},
    {"index", "max_file_bytes", 1, 1ul << 60, offsetof(struct conf, max_file_bytes), 1},
    UK("ocr", "workers", 0, 256, ocr_workers),
    UK("ocr", "timeout_s", 1, 86400, ocr_timeout_s),
    UK("ocr", "max_mem_mb", 64, 1 << 20, ocr_max_mem_mb),
    UK("server", "max_connections", 16, 100000, max_connections),
    UK("server", "max_connections_per_address", 1, 100000, max_connections_per_address),
};

/* A numeric key of uint_keys: 1 if set, 0 if key is not one, or an error. */
static int set_uint_key(struct conf *c, const char *section, const char *key, const char *value,
                        struct vt_err *err)
{
    unsigned long v;

    for (size_t i = 0; i < sizeof(uint_keys) / sizeof(uint_keys[0]); i++) {
        const struct uint_key *k = &uint_keys[i];
        if (strcmp(section, k->section) != 0 || strcmp(key, k->key) != 0)
            continue;
        if (conf_parse_uint(value, k->min, k->max, &v) < 0)
            return vt_err_set(err, VT_EUSAGE, "%s.%s must be a whole number from %lu to %lu, not '%s'",
                              section, key, k->min, k->max, value);
        if (k->is_size)
            *(size_t *)(void *)((char *)c + k->offset) = v;
        else
            *(unsigned *)(void *)((char *)c + k->offset) = (unsigned)v;
        return 1;
    }
    return 0;
}

/* The [ocr] keys that are not numbers: 1 if set, 0 if key is not one. */
static int set_ocr_key(struct conf *c, const char *key, const char *value, struct vt_err *err)
{
    if (strcmp(key, "lang") == 0) {
        if (strspn(value, "abcdefghijklmnopqrstuvwxyz_+") != strlen(value))
            return vt_err_set(err, VT_EUSAGE, "ocr.lang must look like 'vie' or 'vie+eng', not '%s'",
                              value);
        set_str(&c->ocr_lang, value);
    } else if (strcmp(key, "user") == 0) {
        if (value[0] == '-' || strspn(value, "abcdefghijklmnopqrstuvwxyz"
                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                                   strlen(value))
            return vt_err_set(err, VT_EUSAGE, "ocr.user must be a user name, not '%s'", value);
        set_str(&c->ocr_user, value);
    } else if (strcmp(key, "sandbox") == 0) {
        if (strcmp(value, "required") != 0 && strcmp(value, "best-effort") != 0)
            return vt_err_set(err, VT_EUSAGE,
                              "ocr.sandbox must be 'required' or 'best-effort', not '%s'", value);
        c->ocr_sandbox_best_effort = strcmp(value, "best-effort") == 0;
    } else {
        return 0;
    }
    return 1;
}

int conf_set(struct conf *c, const char *section, const char *key, const char *value,
             struct vt_err *err)
{
    unsigned long v;
    int rc = set_uint_key(c, section, key, value, err);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (value[0] == '\0' && strcmp(key, "ignore") != 0)
        return vt_err_set(err, VT_EUSAGE, "%s.%s is empty", section, key);
    if (strcmp(section, "ocr") == 0 && (rc = set_ocr_key(c, key, value, err)) != 0)
        return rc < 0 ? rc : 0;
    if (strcmp(section, "archive") == 0 && strcmp(key, "path") == 0) {
        list_add(&c->archives, &c->narchives, value);
    } else if (strcmp(section, "archive") == 0 && strcmp(key, "ignore") == 0) {
        set_list(&c->ignore, &c->nignore, value);
    } else if (strcmp(section, "index") == 0 && strcmp(key, "data") == 0) {
        set_str(&c->data_dir, value);
    } else if (strcmp(section, "server") == 0 && strcmp(key, "listen") == 0) {
        const char *colon = strrchr(value, ':');
        if (colon == NULL || colon == value || conf_parse_uint(colon + 1, 0, 65535, &v) < 0)
            return vt_err_set(err, VT_EUSAGE, "server.listen must be HOST:PORT, not '%s'", value);
        set_str(&c->listen, value);
    } else if (strcmp(section, "server") == 0 && strcmp(key, "web_dir") == 0) {
        set_str(&c->web_dir, value);
    } else if (strcmp(section, "server") == 0 && strcmp(key, "hostnames") == 0) {
        /* Names as they appear in Host: letters, digits, '-', '.'. */
        if (strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-., ") !=
            strlen(value))
            return vt_err_set(err, VT_EUSAGE,
                              "server.hostnames must be host names separated by commas, not '%s'",
                              value);
        set_list(&c->hostnames, &c->nhostnames, value);
    } else if (strcmp(section, "log") == 0 && strcmp(key, "level") == 0) {
        int l = log_level_parse(value);
        if (l < 0)
            return vt_err_set(err, VT_EUSAGE,
                              "log.level must be debug, info, warn, error or off, not '%s'", value);
        c->log_level = l;
    } else {
        return vt_err_set(err, VT_EUSAGE, "unknown setting '%s' in [%s]", key, section);
    }
    return 0;
}

struct load {
    struct conf *c;
    struct vt_err err;
    int failed;
    int got_path;
};

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct load *l = user;
    struct vt_err e;

    if (l->failed)
        return 1; /* keep only the first error; inih returns its line */
    if (strcmp(section, "archive") == 0 && strcmp(name, "path") == 0 && !l->got_path) {
        free_list(&l->c->archives, &l->c->narchives);
        l->got_path = 1;
    }
    if (conf_set(l->c, section, name, value, &e) < 0) {
        l->err = e;
        l->failed = 1;
        return 0;
    }
    return 1;
}

int conf_load(struct conf *c, const char *path, struct vt_err *err)
{
    struct load l;
    FILE *f = fopen(path, "r");
    int line;

    if (f == NULL)
        return vt_err_set(err, -errno, "cannot read '%s': %s", path, strerror(errno));
    memset(&l, 0, sizeof(l));
    l.c = c;
    line = ini_parse_file(f, handler, &l);
    fclose(f);
    if (line == 0)
        return 0;
    if (line < 0)
        return vt_err_set(err, VT_EUSAGE, "cannot read '%s'", path);
    if (l.failed)
        return vt_err_set(err, VT_EUSAGE, "%s:%d: %s", path, line, l.err.msg);
    return vt_err_set(err, VT_EUSAGE, "%s:%d: syntax error (expected [section] or key = value)",
                      path, line);
}
