/* Originals and pages: a checked open on the pool, a single Range, and
 * the bytes streamed from that one descriptor.
 *
 * DESIGN
 *
 * The file route must never send bytes other than the ones indexed.
 * Anyone who can write into an archive folder can replace an indexed file
 * by a symlink to /etc/shadow, swap a directory for a symlink, or exchange
 * two names with renameat2(RENAME_EXCHANGE) while we look.  So the path is
 * never trusted twice: on the pool thread the original is opened beneath
 * its archive folder through no symlink (vt_open_under), the open
 * descriptor is compared with the record (device, inode, size, mtime:
 * vt_file_check), and when the file's ctime is newer than the recorded
 * mtime (its metadata changed after its contents: a rename, a touch -r)
 * the descriptor is also hashed and compared with the recorded sha256.
 * The response then reads from that same descriptor, never from the path
 * again.  A file that does not match gets 409 (404 when it is gone or is
 * no longer a regular file beneath its folder), one warning naming the
 * document's id (never the path: it may name a secret), and the
 * file_changed callback so the indexer looks at it again.
 *
 * The root: the record's "root" (the archive folder the indexer found it
 * under); else the longest configured archive folder holding the path;
 * else "/", which allows no symlink anywhere in the path.  A name that is
 * not UTF-8 comes as "path_hex" (the raw bytes); "path" is then only for
 * display.
 *
 * Streaming: the fd generator reads up to FILE_CHUNK bytes with
 * uv_fs_read (on the threadpool, off the loop) into one buffer, hands it
 * to h2o, and reads the next chunk when h2o asks (proceed), so a client
 * that reads slowly holds one chunk, not the file.  h2o may dispose the
 * request while a read is in flight (the client hung up): the generator is
 * freed only when both the request is gone and no read runs.
 *
 * Range: one "bytes=a-b", "a-" or "-n" gets 206 with Content-Range, an
 * unsatisfiable one 416; several ranges, a malformed header or an If-Range
 * that does not match get the whole file (RFC 9110 §14.2: a server may
 * ignore Range).  HEAD gets the same headers and no body.  Pages (web_dir)
 * go through the same sender. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "query/http_internal.h"

#define FILE_CHUNK (128 * 1024)
#define HASH_CHUNK (256 * 1024)

/* ---- Range ------------------------------------------------------------------ */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Decimal digits at *p (at least one), saturating; advances *p. */
static int parse_pos(const char **p, const char *e, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;

    while (*p < e && **p >= '0' && **p <= '9') {
        unsigned d = (unsigned)(**p - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        (*p)++;
    }
    *out = v;
    return *p > s ? 0 : -1;
}

int http__parse_range(const char *v, size_t n, uint64_t size, uint64_t *first, uint64_t *last)
{
    const char *p = v, *e = v + n;
    uint64_t a, b;

    while (p < e && is_ows(*p))
        p++;
    while (e > p && is_ows(e[-1]))
        e--;
    if (e - p < 6 || !h2o_lcstris(p, 5, H2O_STRLIT("bytes")) || p[5] != '=')
        return HTTP_RANGE_NONE;
    p += 6;
    while (p < e && is_ows(*p))
        p++;
    if (p < e && memchr(p, ',', (size_t)(e - p)) != NULL)
        return HTTP_RANGE_NONE; /* several ranges: the whole file */
    if (p < e && *p == '-') {
        p++;
        if (parse_pos(&p, e, &b) < 0 || p != e)
            return HTTP_RANGE_NONE;
        if (b == 0 || size == 0)
            return HTTP_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return HTTP_RANGE_ONE;
    }
    if (parse_pos(&p, e, &a) < 0 || p == e || *p != '-')
        return HTTP_RANGE_NONE;
    p++;
    b = UINT64_MAX;
    if (p < e && (parse_pos(&p, e, &b) < 0 || b < a))
        return HTTP_RANGE_NONE;
    if (p != e)
        return HTTP_RANGE_NONE;
    if (a >= size)
        return HTTP_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b < size - 1 ? b : size - 1;
    return HTTP_RANGE_ONE;
}

/* ---- the fd generator -------------------------------------------------------- */

struct fdgen {
    h2o_generator_t super;
    h2o_req_t *req; /* NULL once h2o disposed the request */
    uv_loop_t *loop;
    int fd;
    uint64_t off, left;
    char *buf;
    size_t cap;
    uv_fs_t fs;
    int reading;
};

static void fdgen_free(struct fdgen *g)
{
    if (g->fd >= 0)
        close(g->fd);
    free(g->buf);
    free(g);
}

static void fdgen_on_dispose(void *p)
{
    struct fdgen *g = *(struct fdgen **)p;

    g->req = NULL;
    if (!g->reading)
        fdgen_free(g);
}

static void fdgen_stop(h2o_generator_t *self, h2o_req_t *req)
{
    /* The request's dispose callback follows and frees what is ours. */
    (void)self, (void)req;
}

static void fdgen_on_read(uv_fs_t *fs)
{
    struct fdgen *g = fs->data;
    ssize_t n = fs->result;
    h2o_iovec_t iov;

    uv_fs_req_cleanup(fs);
    g->reading = 0;
    if (g->req == NULL) {
        fdgen_free(g);
        return;
    }
    if (n <= 0) {
        /* Truncated under us, or an I/O error: the response cannot be
         * completed; h2o closes the connection rather than send less than
         * Content-Length promised. */
        log_warn("query server: reading a file for a response: %s",
                 n < 0 ? uv_strerror((int)n) : "the file became shorter");
        h2o_send(g->req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    if ((uint64_t)n > g->left)
        n = (ssize_t)g->left;
    g->off += (uint64_t)n;
    g->left -= (uint64_t)n;
    iov = h2o_iovec_init(g->buf, (size_t)n);
    /* h2o may dispose the request (and so free g) inside h2o_send. */
    h2o_send(g->req, &iov, 1, g->left == 0 ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void fdgen_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    struct fdgen *g = (struct fdgen *)self;
    uv_buf_t b = uv_buf_init(g->buf, (unsigned)(g->left < g->cap ? g->left : g->cap));
    int rc;

    g->fs.data = g;
    rc = uv_fs_read(g->loop, &g->fs, g->fd, &b, 1, (int64_t)g->off, fdgen_on_read);
    if (rc < 0) {
        log_warn("query server: cannot read a file for a response: %s", uv_strerror(rc));
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    g->reading = 1;
}

/* ---- the sender --------------------------------------------------------------- */

static void last_modified(int64_t mtime_ns, char *out)
{
    time_t t = (time_t)(mtime_ns / 1000000000);
    struct tm tm;

    gmtime_r(&t, &tm);
    h2o_time2str_rfc1123(out, &tm);
}

/* The one Range of req against size bytes (HTTP_RANGE_*; first, last
 * for HTTP_RANGE_ONE).  An If-Range that names neither etag nor lm (the
 * Last-Modified text) asks for the whole file. */
static int request_range(h2o_req_t *req, uint64_t size, const char *etag, const char *lm,
                         uint64_t *first, uint64_t *last)
{
    ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_RANGE, -1), ir;
    h2o_iovec_t *rv, *iv;

    if (at < 0 || h2o_find_header(&req->headers, H2O_TOKEN_RANGE, at) >= 0)
        return HTTP_RANGE_NONE;
    rv = &req->headers.entries[at].value;
    ir = h2o_find_header(&req->headers, H2O_TOKEN_IF_RANGE, -1);
    if (ir >= 0) {
        /* If-Range: the range applies only to the representation named. */
        iv = &req->headers.entries[ir].value;
        if (!(etag[0] != '\0' && h2o_memis(iv->base, iv->len, etag, strlen(etag))) &&
            !h2o_memis(iv->base, iv->len, lm, strlen(lm)))
            return HTTP_RANGE_NONE;
    }
    return http__parse_range(rv->base, rv->len, size, first, last);
}

/* Stream len bytes of fd (taken) from first as req's body. */
static void fdgen_start(struct query_http *h, h2o_req_t *req, int fd, uint64_t first,
                        uint64_t len)
{
    struct fdgen *g = xcalloc(1, sizeof(*g)), **slot;

    g->super.proceed = fdgen_proceed;
    g->super.stop = fdgen_stop;
    g->req = req;
    g->loop = h->loop;
    g->fd = fd;
    g->off = first;
    g->left = len;
    g->cap = len < FILE_CHUNK ? (size_t)len : FILE_CHUNK;
    g->buf = xmalloc(g->cap);
    slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), fdgen_on_dispose);
    *slot = g;
    h2o_start_response(req, &g->super);
    fdgen_proceed(&g->super, req);
}

/* Send size bytes of fd (taken) as the response to req: type, validators,
 * Range, HEAD.  The caller has added its own headers. */
static void send_fd(struct query_http *h, h2o_req_t *req, enum route r, uint64_t t0, int fd,
                    uint64_t size, const char *type, const char *etag, int64_t mtime_ns)
{
    char lm[H2O_TIMESTR_RFC1123_LEN + 1], cr[96];
    uint64_t first = 0, last = size ? size - 1 : 0, len = size;
    int head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    int kind, status = 200;

    last_modified(mtime_ns, lm);
    kind = request_range(req, size, etag, lm, &first, &last);
    http__add_header(req, H2O_TOKEN_ACCEPT_RANGES, "bytes");
    if (etag[0] != '\0')
        http__add_header(req, H2O_TOKEN_ETAG, etag);
    http__add_header(req, H2O_TOKEN_LAST_MODIFIED, lm);
    if (kind == HTTP_RANGE_UNSATISFIABLE) {
        close(fd);
        snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
        http__add_header(req, H2O_TOKEN_CONTENT_RANGE, cr);
        http__send_error(h, req, r, t0, 416, "the range is outside the file (%llu bytes)",
                         (unsigned long long)size);
        return;
    }
    if (kind == HTTP_RANGE_ONE) {
        status = 206;
        len = last - first + 1;
        snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)first,
                 (unsigned long long)last, (unsigned long long)size);
        http__add_header(req, H2O_TOKEN_CONTENT_RANGE, cr);
    }
    http__add_header(req, H2O_TOKEN_CONTENT_TYPE, type);
    req->res.status = status;
    req->res.reason = http__reason(status);
    req->res.content_length = (size_t)len;
    http__record(h, r, status, t0);
    if (head || len == 0) {
        static h2o_generator_t none = {NULL, NULL};
        close(fd);
        h2o_start_response(req, &none);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    fdgen_start(h, req, fd, first, len);
}

/* RFC 6266: an ASCII fallback and the real UTF-8 name. */
static void content_disposition(h2o_req_t *req, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name);
    char *b = xmalloc(64 + 4 * n), *o = b;
    const unsigned char *p;

    o += sprintf(o, "attachment; filename=\"");
    for (p = (const unsigned char *)name; *p; p++)
        *o++ = (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') ? '_' : (char)*p;
    o += sprintf(o, "\"; filename*=UTF-8''");
    for (p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    http__add_header(req, H2O_TOKEN_CONTENT_DISPOSITION, b);
    free(b);
}

void http__file_respond(struct query_http *h, struct job *j)
{
    h2o_req_t *req = j->req;
    int fd = j->file.fd;

    j->file.fd = -1;
    content_disposition(req, j->file.name);
    http__add_header_str(req, "x-content-type-options", "nosniff");
    http__add_header(req, H2O_TOKEN_CACHE_CONTROL, "private, no-cache");
    send_fd(h, req, j->route, j->t0, fd, (uint64_t)j->file.size, j->file.mime, j->file.etag,
            j->file.mtime_ns);
}

void http__page_respond(struct query_http *h, h2o_req_t *req, uint64_t t0, const char *path,
                        const char *type)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        http__send_error(h, req, R_PAGE, t0, 404, "no such page");
        return;
    }
    http__add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-cache");
    http__add_header_str(req, "x-content-type-options", "nosniff");
    send_fd(h, req, R_PAGE, t0, fd, (uint64_t)sb.st_size, type, "",
            (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
}

/* ---- the checked open (pool) ------------------------------------------------------ */

/* The raw bytes of a hex string, NUL-terminated; NULL when malformed or
 * when they hold a NUL. */
static char *hex_decode(const char *s)
{
    size_t n = strlen(s);
    char *out;

    if (n == 0 || n % 2 != 0)
        return NULL;
    out = xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = http__hexval(s[2 * i]), lo = http__hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[i] = (char)(hi * 16 + lo);
    }
    out[n / 2] = '\0';
    return out;
}

/* The longest configured archive folder that holds path, or NULL. */
static const char *archive_of(const struct query_http *h, const char *path)
{
    const char *best = NULL;
    size_t best_n = 0;

    for (size_t i = 0; i < h->narchives; i++) {
        const char *a = h->archives[i];
        size_t n = strlen(a);
        while (n > 1 && a[n - 1] == '/')
            n--;
        if (n > best_n && strncmp(path, a, n) == 0 && path[n] == '/') {
            best = a;
            best_n = n;
        }
    }
    return best;
}

static int64_t int_of(json_t *rec, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(rec, key);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* 0 if fd's first size bytes hash to want (64 hex digits), 1 if not, or
 * a negative code when they cannot be read. */
static int hash_differs(int fd, int64_t size, const char *want)
{
    struct sha256 c;
    unsigned char d[SHA256_LEN];
    char hex[SHA256_HEX_LEN + 1];
    char *buf = xmalloc(HASH_CHUNK);
    int64_t off = 0;
    int rc = 0;

    sha256_init(&c);
    while (off < size) {
        size_t want_n = size - off < HASH_CHUNK ? (size_t)(size - off) : HASH_CHUNK;
        ssize_t n = pread(fd, buf, want_n, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        if (n == 0) {
            rc = 1; /* shorter than fstat said a moment ago */
            goto out;
        }
        sha256_update(&c, buf, (size_t)n);
        off += n;
    }
    sha256_final(&c, d);
    sha256_hex(d, hex);
    rc = strcasecmp(hex, want) != 0;
out:
    free(buf);
    return rc;
}

static void file_fail(struct job *j, int status, const char *msg)
{
    j->status = status;
    free(j->body);
    j->body = xstrdup(msg);
}

/* The file could not be opened beneath its root (fd: the code): fill j's
 * answer; a file that is gone or no longer plain is a changed file. */
static void open_failed(struct job *j, int fd)
{
    switch (fd) {
    case -ENOENT:
    case -ENOTDIR:
        j->file.changed = 1;
        file_fail(j, 404, "the original file is missing");
        return;
    case -ELOOP:
    case -EXDEV:
    case VT_EBADINPUT:
        j->file.changed = 1;
        file_fail(j, 404, "the original is no longer a plain file in its archive folder");
        return;
    default:
        log_warn("query server: document %s: cannot open its original: %s", j->id,
                 vt_strerror(fd));
        file_fail(j, 404, "the original file cannot be read");
        return;
    }
}

/* 0 if the open file (fd, sb) is the one rec describes, 1 if not, or a
 * negative code when it cannot be read. */
static int file_differs(json_t *rec, int fd, const struct stat *sb)
{
    const char *sha = json_string_value(json_object_get(rec, "sha256"));
    struct vt_file_id want;

    want.dev = (uint64_t)int_of(rec, "dev", 0);
    want.ino = (uint64_t)int_of(rec, "ino", 0);
    want.size = int_of(rec, "size", -1);
    want.mtime_ns = int_of(rec, "mtime_ns", INT64_MIN);
    if (want.mtime_ns == INT64_MIN) {
        /* An old record with whole seconds only: compare those. */
        int64_t s = int_of(rec, "mtime", INT64_MIN);
        want.mtime_ns = s == INT64_MIN ? -1 : s * 1000000000 + sb->st_mtim.tv_nsec;
    }
    if (vt_file_check(sb, &want, NULL) != 0)
        return 1;
    if (sha != NULL && strlen(sha) == SHA256_HEX_LEN &&
        want.mtime_ns < (int64_t)sb->st_ctim.tv_sec * 1000000000 + sb->st_ctim.tv_nsec) {
        /* The metadata changed after the contents (a rename, a touch -r):
         * the same size and mtime prove nothing, the bytes do. */
        return hash_differs(fd, want.size, sha);
    }
    return 0;
}

/* j->file from the checked descriptor fd (taken) and rec: the validators,
 * the download name and the type. */
static void file_found(struct job *j, json_t *rec, int fd, const struct stat *sb)
{
    const char *mime = json_string_value(json_object_get(rec, "mime"));
    const char *name = json_string_value(json_object_get(rec, "name"));
    const char *sha = json_string_value(json_object_get(rec, "sha256"));

    j->file.fd = fd;
    j->file.size = sb->st_size;
    j->file.mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    if (sha != NULL && strlen(sha) == SHA256_HEX_LEN &&
        strspn(sha, "0123456789abcdefABCDEF") == SHA256_HEX_LEN)
        snprintf(j->file.etag, sizeof(j->file.etag), "\"%s\"", sha);
    if (name == NULL || name[0] == '\0')
        name = strrchr(j->file.path, '/') + 1; /* the path starts with '/' */
    if (name[0] == '\0')
        name = "file";
    /* The type is ours (libmagic at indexing time), but it is checked
     * anyway before it becomes a header. */
    if (mime == NULL || mime[0] == '\0' ||
        strspn(mime, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789!#$&^_.+-/;= ") != strlen(mime))
        mime = "application/octet-stream";
    j->file.mime = xstrdup(mime);
    j->file.name = xstrdup(name);
}

int http__file_open(struct query_http *h, struct job *j, json_t *rec, struct vt_err *err)
{
    static const char changed_msg[] =
        "the file changed since it was indexed; it is being indexed again";
    const char *path = json_string_value(json_object_get(rec, "path"));
    const char *path_hex = json_string_value(json_object_get(rec, "path_hex"));
    const char *root = json_string_value(json_object_get(rec, "root"));
    struct stat sb;
    char *raw;
    int fd, rc;

    (void)err;
    raw = path_hex ? hex_decode(path_hex) : path ? xstrdup(path) : NULL;
    if (raw == NULL || raw[0] != '/') {
        free(raw);
        file_fail(j, 404, "the document has no file");
        return 0;
    }
    free(j->file.path);
    j->file.path = raw;
    if (root == NULL || root[0] != '/')
        root = archive_of(h, raw); /* NULL: beneath "/" */

    fd = vt_open_under(root, raw, &sb, NULL);
    if (fd < 0) {
        open_failed(j, fd);
        return 0;
    }
    rc = file_differs(rec, fd, &sb);
    if (rc < 0) {
        close(fd);
        log_warn("query server: document %s: cannot read its original: %s", j->id,
                 vt_strerror(rc));
        file_fail(j, 500, "the original file cannot be read");
        return 0;
    }
    if (rc != 0) {
        close(fd);
        j->file.changed = 1;
        file_fail(j, 409, changed_msg);
        return 0;
    }
    file_found(j, rec, fd, &sb);
    return 0;
}
