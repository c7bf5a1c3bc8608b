/* `vanthu search --data DIR [--json] QUERY`: the same search and the same
 * JSON as GET /api/search. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cmds.h"
#include "common/conf.h"
#include "common/buf.h"
#include "query/search.h"
#include "storage/storage.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vanthu search [--data DIR] [OPTIONS] QUERY...\n"
            "\n"
            "Search the index.  Words are all required; \"quoted words\" are a phrase;\n"
            "OR, AND, NOT (capitals), a leading - and parentheses combine them.  A word\n"
            "typed without diacritics matches every accented form; an accented word\n"
            "ranks its exact form first (--exact: only the exact form).  An empty\n"
            "QUERY lists every document, newest first; by date, either way, documents\n"
            "without an issue date come last.\n"
            "\n"
            "options:\n"
            "  --data DIR        index folder (default " VANTHU_DEFAULT_DATA ")\n"
            "  --json            print the JSON of GET /api/search\n"
            "  --limit N         results per page, 0..1000 (default 10)\n"
            "  --offset N        skip the first N results\n"
            "  --exact           accented words match their exact form only\n"
            "  --sort S          relevance (default), date or -date\n"
            "  --type T, --agency A, --year Y, --from YYYY-MM-DD, --to YYYY-MM-DD\n"
            "                    filters on the document's metadata (at most 200 bytes,\n"
            "                    valid UTF-8, no control characters)\n"
            "\n"
            "exit status: 0 the search ran (whatever the number of results),\n"
            "1 the index cannot be read, 2 bad usage or a malformed query.\n");
}

/* The snippet for a terminal: <b> becomes bold on a TTY, else [..]. */
static void print_snippet(const char *s, int tty)
{
    while (*s) {
        if (strncmp(s, "<b>", 3) == 0) {
            fputs(tty ? "\033[1m" : "[", stdout);
            s += 3;
        } else if (strncmp(s, "</b>", 4) == 0) {
            fputs(tty ? "\033[0m" : "]", stdout);
            s += 4;
        } else if (*s == '&') {
            static const struct {
                const char *ent;
                char c;
            } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}};
            size_t k;
            for (k = 0; k < 4; k++)
                if (strncmp(s, ents[k].ent, strlen(ents[k].ent)) == 0) {
                    putchar(ents[k].c);
                    s += strlen(ents[k].ent);
                    break;
                }
            if (k == 4)
                putchar(*s++);
        } else {
            putchar(*s++);
        }
    }
}

static void print_human(json_t *res)
{
    json_t *results = json_object_get(res, "results"), *r;
    const char *notice = json_string_value(json_object_get(res, "notice"));
    const char *suggestion = json_string_value(json_object_get(res, "suggestion"));
    int tty = isatty(STDOUT_FILENO);
    size_t i;

    printf("%lld results (%.1f ms)\n", (long long)json_integer_value(json_object_get(res, "total")),
           json_real_value(json_object_get(res, "took_ms")));
    /* The same hints as the page: why nothing was searched, and the query
     * with its misspelt words corrected. */
    if (notice)
        printf("%s\n", notice);
    if (suggestion)
        printf("did you mean: %s\n", suggestion);
    json_array_foreach(results, i, r) {
        const char *title = json_string_value(json_object_get(r, "title"));
        json_t *meta = json_object_get(r, "meta");
        const char *number = json_string_value(json_object_get(meta, "number"));
        const char *issued = json_string_value(json_object_get(meta, "issued"));
        printf("\n%zu. %s\n   %s\n", i + 1, title ? title : "(untitled)",
               json_string_value(json_object_get(r, "path")));
        if (number || issued)
            printf("   %s%s%s\n", number ? number : "", number && issued ? "  " : "",
                   issued ? issued : "");
        fputs("   ", stdout);
        print_snippet(json_string_value(json_object_get(r, "snippet")), tty);
        putchar('\n');
    }
}

/* Report a failed search (also as JSON on stdout with --json); the exit
 * status: 2 for the caller's mistake, 1 for the index's. */
static int search_failed(int json, int rc, const struct vt_err *err)
{
    const char *msg = err->msg[0] ? err->msg : vt_strerror(rc);

    if (json) {
        json_t *e = json_pack("{s:s}", "error", msg);
        json_dumpf(e, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(e);
    }
    fprintf(stderr, "vanthu search: %s\n", msg);
    return rc == VT_EQUERY ? 2 : 1;
}

/* One option at argv[*i] into req (consuming its value): 1 if it was
 * one of the search's, 0 if not, -1 for a bad value (reported). */
static int parse_option(int argc, char **argv, int *i, struct query_request *req)
{
    const char *val;
    unsigned long v;

    if (strcmp(argv[*i], "--exact") == 0) {
        req->exact = 1;
    } else if ((val = args_value(argc, argv, i, "--limit")) != NULL) {
        if (conf_parse_uint(val, 0, QUERY_MAX_LIMIT, &v) < 0)
            goto bad;
        req->limit = (unsigned)v;
    } else if ((val = args_value(argc, argv, i, "--offset")) != NULL) {
        if (conf_parse_uint(val, 0, 1000000, &v) < 0)
            goto bad;
        req->offset = (unsigned)v;
    } else if ((val = args_value(argc, argv, i, "--sort")) != NULL) {
        if (strcmp(val, "relevance") == 0)
            req->sort = QUERY_SORT_RELEVANCE;
        else if (strcmp(val, "date") == 0)
            req->sort = QUERY_SORT_DATE_ASC;
        else if (strcmp(val, "-date") == 0)
            req->sort = QUERY_SORT_DATE_DESC;
        else
            goto bad;
    } else if ((val = args_value(argc, argv, i, "--type")) != NULL) {
        req->type = val;
    } else if ((val = args_value(argc, argv, i, "--agency")) != NULL) {
        req->agency = val;
    } else if ((val = args_value(argc, argv, i, "--year")) != NULL) {
        if (conf_parse_uint(val, 1000, 9999, &v) < 0)
            goto bad;
        req->year = (int)v;
    } else if ((val = args_value(argc, argv, i, "--from")) != NULL) {
        req->from = val;
    } else if ((val = args_value(argc, argv, i, "--to")) != NULL) {
        req->to = val;
    } else {
        return 0;
    }
    return 1;
bad:
    fprintf(stderr, "vanthu search: bad value for %s\n", argv[*i - 1]);
    return -1;
}

/* The words of the query, space-separated, into q: 0, or -1 when too long
 * (reported). */
static int add_word(struct buf *q, const char *w)
{
    if ((q->len && buf_addc(q, ' ') < 0) || buf_adds(q, w) < 0) {
        fprintf(stderr, "vanthu search: query longer than %d bytes\n", QUERY_MAX_LEN);
        return -1;
    }
    return 0;
}

/* The command line into req, data, json and q: 0 to search, 1 when
 * --help was answered, -1 for a usage error (reported). */
static int parse_args(int argc, char **argv, struct query_request *req, const char **data,
                      int *json, struct buf *q)
{
    const char *val;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 1;
        } else if ((val = args_value(argc, argv, &i, "--data")) != NULL) {
            *data = val;
        } else if (strcmp(argv[i], "--json") == 0) {
            *json = 1;
        } else if ((rc = parse_option(argc, argv, &i, req)) != 0) {
            if (rc < 0)
                return -1;
        } else if (strcmp(argv[i], "--") == 0) {
            while (++i < argc)
                if (add_word(q, argv[i]) < 0)
                    return -1;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "vanthu search: unknown option '%s'\n", argv[i]);
            return -1;
        } else if (add_word(q, argv[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

int cmd_search(int argc, char **argv)
{
    struct query_request req = {0};
    struct storage *st = NULL;
    struct vt_err err;
    struct buf q;
    const char *data = VANTHU_DEFAULT_DATA;
    json_t *res = NULL;
    int json = 0, rc, status = 0;

    buf_init(&q, QUERY_MAX_LEN * 4);
    req.limit = 10;
    rc = parse_args(argc, argv, &req, &data, &json, &q);
    if (rc != 0) {
        if (rc < 0)
            usage(stderr);
        buf_release(&q);
        return rc < 0 ? 2 : 0;
    }
    req.q = buf_str(&q);
    vt_err_clear(&err);
    /* A bad filter or query is a usage error whether or not there is an
     * index to search. */
    if ((rc = query_check_request(&req, &err)) < 0) {
        status = search_failed(json, rc, &err);
        goto out;
    }
    /* The index may be written while this runs: storage reopens and
     * retries a read that finds it moved. */
    rc = storage_open(data, 0, &st, &err);
    if (rc < 0) {
        fprintf(stderr, "vanthu search: cannot open the index '%s': %s\n", data,
                err.msg[0] ? err.msg : vt_strerror(rc));
        status = 1;
        goto out;
    }
    rc = query_search(st, &req, &res, &err);
    if (rc < 0) {
        status = search_failed(json, rc, &err);
        goto out;
    }
    if (json) {
        json_dumpf(res, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
        putchar('\n');
    } else {
        print_human(res);
    }
out:
    json_decref(res);
    storage_close(st);
    buf_release(&q);
    return status;
}
