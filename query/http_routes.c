/* Routes and the wire format: what a request may look like, which route
 * answers it, and how answers and errors are written.
 *
 * DESIGN
 *
 * One handler at "/" routes by the raw path, percent-decoded strictly by
 * us, so "..", "%2e%2e" and friends never reach a file: documents are
 * found by their 32-hex-digit id only, and the page's files come from a
 * fixed list.  Before any route, every request passes the same checks:
 * the Host must be ours (421, http_host.c), URL and header limits (414,
 * 431), no bodies (413), a path that decodes to UTF-8 (400).  Query
 * strings are parsed here against each route's parameter list (an unknown
 * or repeated parameter is a 400, never ignored).  Routes that touch the
 * index build a job and hand it to http_jobs.c; the page's files and
 * /metrics are answered on the loop.
 *
 * Every error we send is JSON {"error": "..."} with the message in UTF-8;
 * a message never quotes raw request bytes, only names we checked. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <h2o.h>
#include <jansson.h>
#include <uv.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "query/http_internal.h"
#include "query/search.h"
#include "storage/storage.h"
#include "text/norm.h"

#define HTTP_MAX_URL 16384          /* bytes of the request target */
#define HTTP_MAX_HEADERS 64         /* header fields in a request */
#define HTTP_MAX_HEADER_BYTES 16384 /* bytes of header names and values */
#define HTTP_MAX_OFFSET 1000000
#define HTTP_MAX_METRICS (1u << 20)

static const char *const param_names[NPARAMS] = {"q",    "limit",  "offset", "sort", "type",
                                                 "agency", "year", "from",   "to",   "exact"};

/* ---- the wire format -------------------------------------------------------- */

const char *http__reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* h2o keeps the value's pointer: copy it into the request's pool. */
void http__add_header(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));

    h2o_add_header(&req->pool, &req->res.headers, token, NULL, v.base, v.len);
}

void http__add_header_str(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));

    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base,
                          v.len);
}

void http__send_body(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int status,
                     const char *type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = http__reason(status);
    req->res.content_length = len;
    http__add_header(req, H2O_TOKEN_CONTENT_TYPE, type);
    http__add_header_str(req, "x-content-type-options", "nosniff");
    if (r != R_PAGE)
        http__add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-store");
    h2o_send_inline(req, body, len);
    http__record(h, r, status, t0);
}

/* Answer {"error": msg}.  msg must be valid UTF-8 (it never quotes raw
 * request bytes). */
void http__send_error(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int status,
                      const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *e;
    char *s;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    e = json_pack("{s:s}", "error", msg);
    s = e ? json_dumps(e, JSON_COMPACT) : NULL;
    if (status == 503)
        http__add_header(req, H2O_TOKEN_RETRY_AFTER, "1");
    if (status == 405)
        http__add_header(req, H2O_TOKEN_ALLOW, "GET, HEAD");
    if (s)
        http__send_body(h, req, r, t0, status, JSON_TYPE, s, strlen(s));
    else
        http__send_body(h, req, r, t0, status, JSON_TYPE, "{\"error\":\"error\"}", 17);
    free(s);
    json_decref(e);
}

int http__hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out (at least n + 1 bytes), '+' as a space
 * when plus is set.  -1 on a malformed escape or a decoded NUL. */
static int pct_decode(const char *s, size_t n, int plus, char *out, size_t *outlen)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = http__hexval(s[i + 1]);
            lo = http__hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return -1;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

int http__parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (*s == '\0' || strlen(s) > 10)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int is_hex_id(const char *s, size_t n)
{
    if (n != STORAGE_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* ---- query strings ---------------------------------------------------------------- */

struct query_params {
    char *v[NPARAMS]; /* in req's pool; NULL = absent */
};

/* Answer 400 for a parameter we do not take; its name is quoted only when
 * it is plain printable ASCII. */
static void unknown_param(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0,
                          const char *key, size_t klen)
{
    int printable = klen > 0;

    for (size_t i = 0; i < klen; i++)
        if (key[i] < 0x21 || key[i] > 0x7e || key[i] == '"' || key[i] == '\\')
            printable = 0;
    if (printable)
        http__send_error(h, req, r, t0, 400, "unknown parameter '%s'", key);
    else
        http__send_error(h, req, r, t0, 400, "unknown parameter");
}

/* One "key=value" (or "key") of a query string, s[0..e), not empty.  0,
 * or -1 after answering with an error. */
static int parse_param(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0,
                       int allow_search, struct query_params *p, const char *s, const char *e)
{
    const char *eq = memchr(s, '=', (size_t)(e - s));
    const char *kend = eq ? eq : e;
    char key[32], *val;
    size_t klen, vlen;
    int k;

    if ((size_t)(kend - s) >= sizeof(key) ||
        pct_decode(s, (size_t)(kend - s), 1, key, &klen) < 0) {
        http__send_error(h, req, r, t0, 400, "bad parameter name in the query string");
        return -1;
    }
    for (k = 0; k < NPARAMS; k++)
        if (strcmp(key, param_names[k]) == 0)
            break;
    if (k == NPARAMS || !allow_search) {
        unknown_param(h, req, r, t0, key, klen);
        return -1;
    }
    if (p->v[k]) {
        http__send_error(h, req, r, t0, 400, "parameter '%s' given twice", key);
        return -1;
    }
    val = h2o_mem_alloc_pool(&req->pool, (size_t)(e - kend) + 1);
    if (pct_decode(eq ? eq + 1 : e, eq ? (size_t)(e - eq - 1) : 0, 1, val, &vlen) < 0) {
        http__send_error(h, req, r, t0, 400, "bad percent-encoding in parameter '%s'", key);
        return -1;
    }
    if (!text_utf8_valid(val, vlen)) {
        http__send_error(h, req, r, t0, 400, "parameter '%s' is not valid UTF-8", key);
        return -1;
    }
    p->v[k] = val;
    return 0;
}

/* Parse the query string of a request into p; allow_search: the search
 * parameters are allowed (else none is).  0, or -1 after answering with an
 * error. */
static int parse_query(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0,
                       int allow_search, struct query_params *p)
{
    const char *qs, *end, *s;

    memset(p, 0, sizeof(*p));
    if (req->query_at == SIZE_MAX)
        return 0;
    qs = req->path.base + req->query_at + 1;
    end = qs + (req->path.len - req->query_at - 1);
    for (s = qs; s < end;) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;

        /* An empty one ("a=1&&b=2") is skipped. */
        if (e != s && parse_param(h, req, r, t0, allow_search, p, s, e) < 0)
            return -1;
        s = e < end ? e + 1 : end;
    }
    return 0;
}

/* ---- routes ----------------------------------------------------------------------- */

/* The number parameter k (absent or empty: *out stays) in [0, max]: 0,
 * or -1 after answering 400. */
static int number_option(struct query_http *h, h2o_req_t *req, uint64_t t0,
                         const struct query_params *p, int k, unsigned long max, unsigned *out)
{
    unsigned long v;

    if (p->v[k] == NULL || p->v[k][0] == '\0')
        return 0;
    if (http__parse_uint(p->v[k], max, &v) < 0) {
        http__send_error(h, req, R_SEARCH, t0, 400, "'%s' must be a number from 0 to %lu",
                         param_names[k], max);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* The search options of p into qr: 0, or -1 after answering 400. */
static int search_options(struct query_http *h, h2o_req_t *req, uint64_t t0,
                          const struct query_params *p, struct query_request *qr)
{
    unsigned long v;
    const char *s;

    if (number_option(h, req, t0, p, P_LIMIT, QUERY_MAX_LIMIT, &qr->limit) < 0 ||
        number_option(h, req, t0, p, P_OFFSET, HTTP_MAX_OFFSET, &qr->offset) < 0)
        return -1;
    if ((s = p->v[P_SORT]) && *s) {
        if (strcmp(s, "relevance") == 0)
            qr->sort = QUERY_SORT_RELEVANCE;
        else if (strcmp(s, "date") == 0)
            qr->sort = QUERY_SORT_DATE_ASC;
        else if (strcmp(s, "-date") == 0)
            qr->sort = QUERY_SORT_DATE_DESC;
        else {
            http__send_error(h, req, R_SEARCH, t0, 400, "'sort' must be relevance, date or -date");
            return -1;
        }
    }
    if ((s = p->v[P_YEAR]) && *s) {
        if (strlen(s) != 4 || http__parse_uint(s, 9999, &v) < 0 || v < 1000) {
            http__send_error(h, req, R_SEARCH, t0, 400, "'year' must have four digits");
            return -1;
        }
        qr->year = (int)v;
    }
    if ((s = p->v[P_EXACT]) && *s) {
        if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
            http__send_error(h, req, R_SEARCH, t0, 400, "'exact' must be 0 or 1");
            return -1;
        }
        qr->exact = s[0] == '1';
    }
    return 0;
}

static void route_search(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    struct query_params p;
    struct job *j;

    if (parse_query(h, req, R_SEARCH, t0, 1, &p) < 0)
        return;
    if (p.v[P_Q] && strlen(p.v[P_Q]) > QUERY_MAX_LEN) {
        http__send_error(h, req, R_SEARCH, t0, 413, "query longer than %d bytes", QUERY_MAX_LEN);
        return;
    }
    j = http__job_new(h, req, JOB_SEARCH, R_SEARCH, t0);
    j->qr.limit = 10;
    if (search_options(h, req, t0, &p, &j->qr) < 0) {
        http__job_free(j);
        return;
    }
    for (int k = 0; k < NPARAMS; k++)
        if (p.v[k])
            j->vals[k] = xstrdup(p.v[k]);
    j->qr.q = j->vals[P_Q];
    j->qr.type = j->vals[P_TYPE];
    j->qr.agency = j->vals[P_AGENCY];
    j->qr.from = j->vals[P_FROM];
    j->qr.to = j->vals[P_TO];
    http__job_submit(h, j);
}

static void route_document(struct query_http *h, h2o_req_t *req, uint64_t t0, const char *id,
                           int file)
{
    struct query_params p;
    struct job *j;
    enum route r = file ? R_FILE : R_DOC;

    if (parse_query(h, req, r, t0, 0, &p) < 0)
        return;
    j = http__job_new(h, req, file ? JOB_FILE : JOB_DOC, r, t0);
    memcpy(j->id, id, STORAGE_ID_LEN);
    j->id[STORAGE_ID_LEN] = '\0';
    http__job_submit(h, j);
}

static void route_status(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    struct query_params p;

    if (parse_query(h, req, R_STATUS, t0, 0, &p) < 0)
        return;
    http__job_submit(h, http__job_new(h, req, JOB_STATUS, R_STATUS, t0));
}

static void route_metrics(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    struct query_params p;
    struct buf b;

    if (parse_query(h, req, R_METRICS, t0, 0, &p) < 0)
        return;
    buf_init(&b, HTTP_MAX_METRICS);
    http__metrics_render(h, &b);
    http__send_body(h, req, R_METRICS, t0, 200, "text/plain; version=0.0.4; charset=utf-8",
                    buf_str(&b), b.len);
    buf_release(&b);
}

static const struct {
    const char *path, *file, *type;
} web_files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "style.css", "text/css; charset=utf-8"},
    {"/favicon.svg", "favicon.svg", "image/svg+xml"},
};

static void route_page(struct query_http *h, h2o_req_t *req, uint64_t t0, size_t k)
{
    char *path;

    if (h->web_dir == NULL) {
        http__send_error(h, req, R_PAGE, t0, 404, "no such page");
        return;
    }
    path = h2o_mem_alloc_pool(&req->pool, strlen(h->web_dir) + strlen(web_files[k].file) + 2);
    sprintf(path, "%s/%s", h->web_dir, web_files[k].file);
    if (strcmp(web_files[k].file, "index.html") == 0)
        http__add_header_str(req, "content-security-policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    http__page_respond(h, req, t0, path, web_files[k].type);
}

/* ---- every request ---------------------------------------------------------------- */

/* The Host (HTTP/2: :authority) names us.  When the request had none,
 * h2o points input.authority at its host configuration's name: that is
 * fine for HTTP/1.0 (no browser sends it), not for HTTP/1.1 or 2, where a
 * Host is required. */
static int host_ok(struct query_http *h, h2o_req_t *req)
{
    struct sockaddr_storage local;
    socklen_t len = 0;
    h2o_iovec_t a = req->input.authority;

    if (a.base == NULL || (req->hostconf != NULL && a.base == req->hostconf->authority.hostport.base))
        a = req->version < 0x101 ? h2o_iovec_init("", 0) : h2o_iovec_init(H2O_STRLIT("-"));
    if (req->conn->callbacks->get_sockname != NULL)
        len = req->conn->callbacks->get_sockname(req->conn, (struct sockaddr *)&local);
    return http__host_ok(&h->hosts, a.base, a.len, len > 0 ? (struct sockaddr *)&local : NULL);
}

/* The checks every request passes before a route: its decoded path (in
 * req's pool), or NULL after answering with an error. */
static char *request_path(struct query_http *h, h2o_req_t *req, uint64_t t0)
{
    size_t plen = req->query_at == SIZE_MAX ? req->path.len : req->query_at, hbytes = 0, n, i;
    char *path;

    if (!host_ok(h, req)) {
        /* A page reaching us by DNS rebinding names its own host: it
         * learns nothing but this. */
        h->m.wrong_host++;
        http__send_error(h, req, R_OTHER, t0, 421,
                         "this server does not answer for that host name (see [server] hostnames)");
        return NULL;
    }
    if (req->path.len > HTTP_MAX_URL) {
        http__send_error(h, req, R_OTHER, t0, 414, "the URL is longer than %d bytes", HTTP_MAX_URL);
        return NULL;
    }
    for (i = 0; i < req->headers.size; i++)
        hbytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    if (req->headers.size > HTTP_MAX_HEADERS || hbytes > HTTP_MAX_HEADER_BYTES) {
        http__send_error(h, req, R_OTHER, t0, 431,
                         "too many or too large header fields (at most %d, %d bytes)",
                         HTTP_MAX_HEADERS, HTTP_MAX_HEADER_BYTES);
        return NULL;
    }
    if (req->entity.base != NULL && req->entity.len > 0) {
        http__send_error(h, req, R_OTHER, t0, 413, "requests have no body");
        return NULL;
    }
    path = h2o_mem_alloc_pool(&req->pool, plen + 1);
    if (pct_decode(req->path.base, plen, 0, path, &n) < 0) {
        http__send_error(h, req, R_OTHER, t0, 400, "bad percent-encoding in the path");
        return NULL;
    }
    if (!text_utf8_valid(path, n)) {
        http__send_error(h, req, R_OTHER, t0, 400, "the path is not valid UTF-8");
        return NULL;
    }
    return path;
}

/* /api/documents/{id} and /api/documents/{id}/file: rest follows the
 * prefix. */
static void route_documents(struct query_http *h, h2o_req_t *req, uint64_t t0, const char *rest,
                            int is_get)
{
    const char *slash = strchr(rest, '/');
    int file = slash && strcmp(slash, "/file") == 0;
    enum route r = file ? R_FILE : R_DOC;

    if (!is_hex_id(rest, slash ? (size_t)(slash - rest) : strlen(rest)) || (slash && !file)) {
        http__send_error(h, req, r, t0, 404,
                         "no such document (a document is addressed by its id: 32 hex digits)");
        return;
    }
    if (!is_get) {
        http__send_error(h, req, r, t0, 405, "only GET and HEAD are allowed here");
        return;
    }
    route_document(h, req, t0, rest, file);
}

static const struct {
    const char *path;
    enum route route;
    void (*run)(struct query_http *h, h2o_req_t *req, uint64_t t0);
} api_routes[] = {
    {"/api/search", R_SEARCH, route_search},
    {"/api/status", R_STATUS, route_status},
    {"/metrics", R_METRICS, route_metrics},
};

int http__route(struct query_http *h, h2o_req_t *req)
{
    uint64_t t0 = uv_hrtime();
    char *path;
    size_t i;
    int is_get;

    http__conn_req_begin(h, req);
    if ((path = request_path(h, req, t0)) == NULL)
        return 0;
    if (h->stopping) {
        http__send_error(h, req, R_OTHER, t0, 503, "the server is stopping");
        return 0;
    }
    /* HEAD is GET without the body: h2o_send_inline and the fd sender
     * drop it. */
    is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
             h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    for (i = 0; i < sizeof(web_files) / sizeof(web_files[0]); i++)
        if (strcmp(path, web_files[i].path) == 0) {
            if (is_get)
                route_page(h, req, t0, i);
            else
                http__send_error(h, req, R_OTHER, t0, 405, "only GET and HEAD are allowed here");
            return 0;
        }
    for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++)
        if (strcmp(path, api_routes[i].path) == 0) {
            if (is_get)
                api_routes[i].run(h, req, t0);
            else
                http__send_error(h, req, api_routes[i].route, t0, 405,
                                 "only GET and HEAD are allowed here");
            return 0;
        }
    if (strncmp(path, "/api/documents/", 15) == 0)
        route_documents(h, req, t0, path + 15, is_get);
    else
        http__send_error(h, req, R_OTHER, t0, 404, "no such page");
    return 0;
}
