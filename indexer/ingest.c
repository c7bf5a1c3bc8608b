/* The per-file pipeline (see ingest.h).  The file is opened once, beneath
 * its archive folder; the extractor reads what it needs with pread() and
 * the fixity hash reads the whole file in 1 MiB chunks, so an oversized
 * file costs one pass of hashing but only max_text bytes of memory.  The
 * hash checks the caller's cancel flag between chunks: a terabyte-sized
 * (or sparse) file that is deleted or replaced meanwhile, or a service
 * that is stopping, does not wait for the pass to end.  Files above
 * max_file_bytes are not read at all. */
#include "config.h"

#include "indexer/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "common/safefile.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "text/meta.h"
#include "text/norm.h"

#define HASH_CHUNK (1 << 20)

static int cancelled(const struct ingest_config *cfg)
{
    return cfg != NULL && cfg->cancel != NULL && __atomic_load_n(cfg->cancel, __ATOMIC_RELAXED);
}

/* 0, -errno on a read error, or UV_ECANCELED. */
static int hash_fd(int fd, const struct ingest_config *cfg, char hex[SHA256_HEX_LEN + 1])
{
    struct sha256 c;
    unsigned char d[SHA256_LEN];
    char *chunk = xmalloc(HASH_CHUNK);
    off_t off = 0;
    ssize_t k;
    int rc = 0;

    sha256_init(&c);
    for (;;) {
        if (cancelled(cfg)) {
            rc = UV_ECANCELED;
            break;
        }
        k = pread(fd, chunk, HASH_CHUNK, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = -errno;
        if (k <= 0)
            break;
        sha256_update(&c, chunk, (size_t)k);
        off += k;
    }
    free(chunk);
    if (rc < 0)
        return rc;
    sha256_final(&c, d);
    sha256_hex(d, hex);
    return 0;
}

const char *ingest_ocr_source(size_t npages, size_t ntext_layer)
{
    if (npages > 0 && ntext_layer == npages)
        return "pdf-text";
    return ntext_layer > 0 ? "pdf-text+ocr" : "ocr";
}

/* s with every byte that is not part of valid UTF-8 replaced by U+FFFD:
 * a new string, or NULL when s is valid as it is. */
static char *lossy_utf8(const char *s)
{
    size_t n = strlen(s), i = 0;
    struct buf b;
    char *out;

    if (text_utf8_valid(s, n))
        return NULL;
    buf_init(&b, BUF_NOLIMIT);
    while (i < n) {
        int32_t cp;
        int k = (unsigned char)s[i] < 0x80
                    ? 1
                    : text_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k < 0) {
            (void)buf_add(&b, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            (void)buf_add(&b, s + i, (size_t)k);
            i += (size_t)k;
        }
    }
    out = xstrndup(b.ptr ? b.ptr : "", b.len);
    buf_release(&b);
    return out;
}

static char *hex_of(const char *s)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = strlen(s);
    char *h = xmalloc(2 * n + 1);

    for (size_t i = 0; i < n; i++) {
        h[2 * i] = digits[(unsigned char)s[i] >> 4];
        h[2 * i + 1] = digits[(unsigned char)s[i] & 15];
    }
    h[2 * n] = '\0';
    return h;
}

/* The header of an official document sits in the first lines of page 1
 * and its signature at the end of the last page, so the extractor gets the
 * head of page 1 and the tail of the last page: a long report costs the
 * same as a one-page letter. */
#define META_HEAD 4096
#define META_TAIL 3072

/* Official-document fields only exist in Vietnamese text: text with a
 * Vietnamese letter in its head, or, for documents typed or OCR'd without
 * diacritics, one of the header's fixed words.  Everything else (most of a
 * born-digital archive in English, code, tables) skips the extractor,
 * which was a tenth of indexing's CPU time on English text. */
static int maybe_official(const char *p, size_t n)
{
    static const char *const markers[] = {"cong hoa", "doc lap", "ubnd", "hdnd", "quyet dinh",
                                          "cong van", "kinh gui", "so:"};
    char head[META_HEAD + 1];

    if (text_has_marks(p, n))
        return 1;
    for (size_t i = 0; i < n; i++)
        head[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
    head[n] = '\0';
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
        if (strstr(head, markers[i]) != NULL)
            return 1;
    return 0;
}

static int meta_extract(const struct buf *text, struct text_meta *tm)
{
    const char *p = text->ptr, *last = memrchr(p, '\f', text->len);
    const char *ff = memchr(p, '\f', text->len);
    size_t n1 = ff != NULL ? (size_t)(ff - p) : text->len, n2;

    if (n1 > META_HEAD)
        n1 = META_HEAD;
    if (!maybe_official(p, n1))
        return 1;
    last = last != NULL ? last + 1 : p;
    n2 = text->len - (size_t)(last - p);
    if (n2 > META_TAIL) {
        last += n2 - META_TAIL;
        n2 = META_TAIL;
    }
    return text_meta_extract(p, n1, last, n2, tm, NULL);
}

/* What the record is built from, whichever way the text was obtained. */
struct source {
    const char *hex;      /* sha256, "" if unknown */
    const char *mime;     /* NULL: application/octet-stream */
    const char *title;    /* the format's own title, or NULL */
    unsigned pages;
    int truncated;
    double ocr_confidence; /* < 0: none */
    const char *origin;    /* record "text_source", or NULL */
    const double *page_confidence; /* per page, -1 for a text layer; or NULL */
    size_t npage_confidence;
};

/* The official-document fields (DESIGN §8) of page 1 and the last page
 * into m, borrowed from tm (the extractor leaves out whatever it
 * doubts), and the document's title: the official one, the format's own,
 * the text's first sentence, else the file name.  New string. */
static char *describe(const struct buf *clean, const struct source *src, const char *name,
                      struct text_meta *tm, struct storage_meta *m)
{
    char *title = NULL;

    if (clean->len > 0 && meta_extract(clean, tm) == 0) {
        m->number = tm->number;
        m->type = tm->type;
        m->agency = tm->agency;
        m->place = tm->place;
        m->issued = tm->issued;
        m->subject = tm->subject;
        m->signer = tm->signer;
        m->signer_title = tm->signer_title;
        m->secrecy = tm->secrecy;
        m->urgency = tm->urgency;
        m->title = tm->title;
        m->lang = tm->lang;
        if ((tm->flags & TEXT_META_OFFICIAL) && tm->title != NULL)
            title = xstrdup(tm->title);
    }
    if (title != NULL)
        ;
    else if (src->title != NULL && src->title[0] != '\0')
        title = xstrdup(src->title);
    else if (clean->len > 0)
        /* The first sentence, carried over the lines a scan wraps it
         * on, ended at a word (text/meta.h). */
        title = text_title_first_line(clean->ptr, clean->len, TEXT_TITLE_CHARS);
    return title != NULL ? title : xstrdup(name);
}

/* What the file is, from the descriptor's fstat and the source. */
static void describe_file(const struct stat *st, const struct source *src,
                          const struct ingest_outcome *out, struct storage_record *r)
{
    r->dev = (long long)st->st_dev;
    r->ino = (long long)st->st_ino;
    r->mime = src->mime ? src->mime : "application/octet-stream";
    r->size = (long long)st->st_size;
    r->mtime = (long long)st->st_mtim.tv_sec;
    r->mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    r->sha256 = src->hex;
    r->status = out->status;
    r->error = out->code != 0 ? out->reason : NULL;
    r->pages = src->pages;
    r->truncated = src->truncated;
    r->ocr_confidence = src->ocr_confidence;
    r->text_source = src->origin;
    r->page_confidence = src->page_confidence;
    r->npage_confidence = src->npage_confidence;
}

/* Build the record and the document of path from clean text (already
 * through text_clean); out->status and out->code are set by the caller. */
static int build_doc(const char *root, const char *path, const struct stat *st,
                     const struct source *src, const struct buf *clean,
                     struct storage_doc **doc, struct ingest_outcome *out, struct vt_err *err)
{
    struct storage_record rec;
    char id[STORAGE_ID_LEN + 1];
    char *lossy = lossy_utf8(path), *hex = NULL, *lroot = NULL, *title;
    const char *shown = lossy ? lossy : path, *name = strrchr(shown, '/');
    struct text_meta tm;
    int rc;

    name = name ? name + 1 : shown;
    out->text_bytes = clean->len;
    out->truncated = src->truncated;
    snprintf(out->sha256, sizeof(out->sha256), "%s", src->hex);
    snprintf(out->mime, sizeof(out->mime), "%s", src->mime ? src->mime : "application/octet-stream");
    out->pages = src->pages;

    storage_record_init(&rec);
    text_meta_init(&tm);
    title = describe(clean, src, name, &tm, &rec.meta);
    /* The id is of the raw bytes below the archive folder, so it survives
     * a move of that folder; two names that differ only in their invalid
     * bytes are two documents. */
    storage_id_for(root, path, id);
    rec.id = id;
    /* A name that is not UTF-8 cannot go into JSON: "path" shows it with
     * U+FFFD, and "path_hex" keeps the bytes that open it. */
    rec.path = shown;
    if (lossy != NULL)
        rec.path_hex = hex = hex_of(path);
    rec.name = name;
    if (root != NULL)
        rec.root = (lroot = lossy_utf8(root)) != NULL ? lroot : root;
    rec.title = title;
    describe_file(st, src, out, &rec);
    rc = storage_doc_build(&rec, clean->len ? clean->ptr : NULL, clean->len, doc, err);

    text_meta_release(&tm);
    free(title);
    free(lossy);
    free(lroot);
    free(hex);
    return rc;
}

/* Record a file that is not read (status "failed"): code and reason. */
static void not_read(struct ingest_outcome *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void not_read(struct ingest_outcome *out, int code, const char *fmt, ...)
{
    va_list ap;

    out->status = "failed";
    out->code = code;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
}

/* Open, check, extract and hash path into res, clean and hex; out gets
 * the status (and st the descriptor's fstat).  0, or UV_ECANCELED. */
static int read_file(struct extractor *ex, const struct ingest_config *cfg, const char *root,
                     const char *path, struct stat *st, struct extract_result *res,
                     struct buf *clean, char hex[SHA256_HEX_LEN + 1], struct ingest_outcome *out)
{
    struct vt_err ferr;
    struct stat fst;
    int fd, rc, xrc;

    vt_err_clear(&ferr);
    if (strlen(path) >= PATH_MAX) {
        /* No system call takes it; kept findable by name, with why. */
        out->open_rc = -ENAMETOOLONG;
        if (S_ISDIR(st->st_mode))
            not_read(out, -ENAMETOOLONG,
                     "path longer than %d bytes (a folder: nothing in it can be indexed)",
                     PATH_MAX - 1);
        else
            not_read(out, -ENAMETOOLONG, "path longer than %d bytes", PATH_MAX - 1);
        return 0;
    }
    fd = vt_open_under(root, path, &fst, &ferr);
    if (fd < 0) {
        out->open_rc = fd;
        not_read(out, fd, "%s", ferr.msg);
        return 0;
    }
    *st = fst;
    if (cfg != NULL && cfg->max_file_bytes > 0 && (uint64_t)fst.st_size > cfg->max_file_bytes) {
        not_read(out, VT_E2BIG, "larger than the %llu-byte limit (max_file_bytes)",
                 (unsigned long long)cfg->max_file_bytes);
        close(fd);
        return 0;
    }
    xrc = extractor_run(ex, fd, path, res, &ferr);
    rc = hash_fd(fd, cfg, hex);
    close(fd);
    if (rc == UV_ECANCELED)
        return rc;
    if (rc < 0)
        hex[0] = '\0'; /* recorded without fixity; the read error shows below */
    if (xrc == 0 && res->text.len > 0) {
        int crc = text_clean(res->text.ptr, res->text.len, clean);
        if (crc < 0)
            xrc = vt_err_set(&ferr, crc, "cannot normalise the text: %s", vt_strerror(crc));
    }
    if (xrc == 0) {
        switch (res->kind) {
        case EXTRACT_EMPTY: out->status = "empty"; break;
        case EXTRACT_NEEDS_OCR: out->status = "needs-ocr"; break;
        default: out->status = "indexed"; break;
        }
    } else {
        out->status = xrc == VT_EUNSUPPORTED ? "unsupported" : "failed";
        out->code = xrc;
        snprintf(out->reason, sizeof(out->reason), "%s", ferr.msg);
        buf_reset(clean);
    }
    return 0;
}

int ingest_file(struct extractor *ex, const struct ingest_config *cfg, const char *root,
                const char *path, struct stat *st, struct storage_doc **doc,
                struct ingest_outcome *out, struct vt_err *err)
{
    struct extract_result res;
    struct buf clean;
    struct source src;
    char hex[SHA256_HEX_LEN + 1] = "";
    int rc;

    *doc = NULL;
    memset(out, 0, sizeof(*out));
    extract_result_init(&res);
    buf_init(&clean, BUF_NOLIMIT);
    rc = read_file(ex, cfg, root, path, st, &res, &clean, hex, out);
    if (rc == 0) {
        src.hex = hex;
        src.mime = res.mime;
        src.title = res.title;
        src.pages = res.pages;
        src.truncated = res.truncated;
        src.ocr_confidence = -1;
        src.origin = NULL;
        src.page_confidence = NULL;
        src.npage_confidence = 0;
        rc = build_doc(root, path, st, &src, &clean, doc, out, err);
    }
    buf_release(&clean);
    extract_result_release(&res);
    return rc;
}

int ingest_text(const struct ingest_config *cfg, const char *root, const char *path,
                const struct stat *st, const struct ingest_text *t, struct storage_doc **doc, struct ingest_outcome *out,
                struct vt_err *err)
{
    struct buf clean;
    struct source src;
    size_t n = t->text_len;
    int rc = 0;

    *doc = NULL;
    memset(out, 0, sizeof(*out));
    buf_init(&clean, BUF_NOLIMIT);
    src.truncated = 0;
    if (cfg != NULL && cfg->max_text > 0 && n > cfg->max_text) {
        /* Cut on a character boundary, as the extractor does. */
        n = cfg->max_text;
        while (n > 0 && ((unsigned char)t->text[n] & 0xC0) == 0x80)
            n--;
        src.truncated = 1;
    }
    if (t->code != 0) {
        out->status = t->code == VT_EUNSUPPORTED ? "unsupported" : "failed";
        out->code = t->code;
        snprintf(out->reason, sizeof(out->reason), "%s", t->reason ? t->reason : vt_strerror(t->code));
    } else if (n > 0 && (rc = text_clean(t->text, n, &clean)) < 0) {
        out->status = "failed";
        out->code = rc;
        snprintf(out->reason, sizeof(out->reason), "cannot normalise the text: %s",
                 vt_strerror(rc));
        buf_reset(&clean);
    } else {
        out->status = clean.len > 0 ? "indexed" : "empty";
    }
    src.hex = t->sha256 ? t->sha256 : "";
    src.mime = t->mime;
    src.title = t->title;
    src.pages = t->pages;
    src.ocr_confidence = t->ocr_confidence;
    src.origin = t->origin;
    src.page_confidence = t->page_confidence;
    src.npage_confidence = t->npage_confidence;
    rc = build_doc(root, path, st, &src, &clean, doc, out, err);
    buf_release(&clean);
    return rc;
}

/* The raw path of a record from its path_hex: new string, or NULL. */
static char *unhex_path(const char *hex)
{
    size_t n = hex ? strlen(hex) : 0;
    char *raw;

    if (n == 0 || n % 2 != 0)
        return NULL;
    raw = xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                free(raw);
                return NULL;
            }
            v = v * 16 + d;
        }
        if (v == 0) {
            free(raw);
            return NULL;
        }
        raw[i] = (char)v;
    }
    raw[n / 2] = '\0';
    return raw;
}

struct each_raw {
    struct storage *st;
    storage_file_cb cb;
    void *data;
};

static int each_raw_cb(void *data, const struct storage_file *f)
{
    struct each_raw *e = data;
    struct storage_file g = *f;
    struct storage_record rec;
    char *raw = NULL;
    int rc;

    /* Only a lossy name has U+FFFD in it (or, rarely, a name that really
     * holds one: then path_hex is absent and the path stays). */
    if (strstr(f->path, "\xEF\xBF\xBD") != NULL) {
        if (storage_get_record_docid(e->st, f->docid, &rec, NULL, NULL) == 0)
            raw = unhex_path(rec.path_hex);
        storage_record_release(&rec);
        if (raw != NULL)
            g.path = raw;
    }
    rc = e->cb(e->data, &g);
    free(raw);
    return rc;
}

int ingest_each_file(const char *data_dir, storage_file_cb cb, void *data, struct vt_err *err)
{
    struct each_raw e = {NULL, cb, data};
    int rc;

    /* Read-only: its docids are those storage_get_docid() takes. */
    if ((rc = storage_open(data_dir, 0, &e.st, err)) < 0)
        return rc;
    rc = storage_each_file(e.st, each_raw_cb, &e, err);
    storage_close(e.st);
    return rc;
}

int ingest_check_roots(const char *const *roots, size_t n, struct vt_err *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(roots[i], roots[j]) != 0 &&
                strcmp(storage_archive_name(roots[i]), storage_archive_name(roots[j])) == 0)
                return vt_err_set(err, VT_EBADINPUT,
                                  "archive folders '%s' and '%s' have the same name; document "
                                  "ids are made of the folder's name and the path inside it, so "
                                  "give them different names (or index their common parent)",
                                  roots[i], roots[j]);
    return 0;
}
