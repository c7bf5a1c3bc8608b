/* The per-file pipeline (see ingest.h).  The file is opened once; the
 * extractor reads what it needs with pread() and the fixity hash reads the
 * whole file, so an oversized file costs one pass of hashing but only
 * max_text bytes of memory. */
#include "config.h"

#include "indexer/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sha256.h"
#include "common/xalloc.h"
#include "text/meta.h"
#include "text/norm.h"

#define HASH_CHUNK (1 << 20)

static int hash_fd(int fd, char hex[SHA256_HEX_LEN + 1])
{
    struct sha256 c;
    unsigned char d[SHA256_LEN];
    char *chunk = xmalloc(HASH_CHUNK);
    off_t off = 0;
    ssize_t k;

    sha256_init(&c);
    for (;;) {
        k = pread(fd, chunk, HASH_CHUNK, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        sha256_update(&c, chunk, (size_t)k);
        off += k;
    }
    free(chunk);
    if (k < 0)
        return -errno;
    sha256_final(&c, d);
    sha256_hex(d, hex);
    return 0;
}

/* A title for documents that have none of their own: the first non-empty
 * line of the text, cut at 120 characters, else the file name. */
static char *first_line_title(const char *text, size_t n)
{
    size_t i = 0, start, end, chars = 0;

    while (i < n && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\f'))
        i++;
    start = i;
    while (i < n && text[i] != '\n' && text[i] != '\f' && chars < 120) {
        i++;
        while (i < n && ((unsigned char)text[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    end = i;
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
        end--;
    return end > start ? xstrndup(text + start, end - start) : NULL;
}

int ingest_file(struct extractor *ex, const struct ingest_config *cfg, const char *path,
                const struct stat *st, struct storage_doc **doc, struct ingest_outcome *out,
                struct vt_err *err)
{
    struct extract_result res;
    struct storage_input in;
    struct vt_err ferr;
    struct buf clean;
    char id[STORAGE_ID_LEN + 1], hex[SHA256_HEX_LEN + 1] = "";
    const char *name = strrchr(path, '/');
    char *title = NULL;
    json_t *rec = NULL, *meta = NULL;
    struct text_meta tm;
    int fd = -1, rc = 0, xrc;

    (void)cfg;
    *doc = NULL;
    memset(out, 0, sizeof(*out));
    vt_err_clear(&ferr);
    text_meta_init(&tm);
    extract_result_init(&res);
    buf_init(&clean, BUF_NOLIMIT);
    name = name ? name + 1 : path;
    storage_id_of(path, id);

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        xrc = vt_err_set(&ferr, -errno, "cannot open: %s", strerror(errno));
    } else {
        xrc = extractor_run(ex, fd, path, &res, &ferr);
        if (hash_fd(fd, hex) < 0)
            hex[0] = '\0';
    }
    if (xrc == 0 && res.text.len > 0) {
        int crc = text_clean(res.text.ptr, res.text.len, &clean);
        if (crc < 0)
            xrc = vt_err_set(&ferr, crc, "cannot normalise the text: %s", vt_strerror(crc));
    }

    if (xrc == 0) {
        switch (res.kind) {
        case EXTRACT_EMPTY: out->status = "empty"; break;
        case EXTRACT_NEEDS_OCR: out->status = "needs-ocr"; break;
        default: out->status = "indexed"; break;
        }
    } else {
        out->status = xrc == VT_EUNSUPPORTED ? "unsupported" : "failed";
        out->code = xrc;
        snprintf(out->reason, sizeof(out->reason), "%s", ferr.msg);
        buf_reset(&clean);
    }
    out->text_bytes = clean.len;
    out->truncated = res.truncated;

    /* Official-document fields (DESIGN §8) from page 1 and the last page;
     * the extractor leaves out whatever it doubts. */
    meta = json_object();
    if (clean.len > 0 && text_meta_extract(clean.ptr, clean.len, clean.ptr, clean.len, &tm, NULL) == 0) {
        size_t pos = 0;
        const char *fname, *fvalue;
        while (text_meta_next(&tm, &pos, &fname, &fvalue))
            json_object_set_new(meta, fname, json_string(fvalue));
        if ((tm.flags & TEXT_META_OFFICIAL) && tm.title != NULL)
            title = xstrdup(tm.title);
    }
    if (title != NULL)
        ;
    else if (res.title != NULL && res.title[0] != '\0')
        title = xstrdup(res.title);
    else if (clean.len > 0)
        title = first_line_title(clean.ptr, clean.len);
    if (title == NULL)
        title = xstrdup(name);

    rec = json_object();
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "path", json_string(path));
    json_object_set_new(rec, "name", json_string(name));
    json_object_set_new(rec, "title", json_string(title));
    json_object_set_new(rec, "mime", json_string(res.mime ? res.mime : "application/octet-stream"));
    json_object_set_new(rec, "size", json_integer((json_int_t)st->st_size));
    json_object_set_new(rec, "mtime", json_integer((json_int_t)st->st_mtim.tv_sec));
    json_object_set_new(rec, "mtime_ns",
                        json_integer((json_int_t)st->st_mtim.tv_sec * 1000000000 +
                                     st->st_mtim.tv_nsec));
    json_object_set_new(rec, "sha256", json_string(hex));
    json_object_set_new(rec, "status", json_string(out->status));
    if (out->code != 0)
        json_object_set_new(rec, "error", json_string(out->reason));
    json_object_set_new(rec, "pages", json_integer(res.pages));
    if (res.truncated)
        json_object_set_new(rec, "truncated", json_true());
    json_object_set_new(rec, "meta", meta);
    meta = NULL;

    /* Invalid UTF-8 in a file name cannot go into JSON; such a file keeps
     * its record but under a lossy name. */
    if (json_object_get(rec, "path") == NULL || json_object_get(rec, "name") == NULL) {
        json_object_set_new(rec, "path", json_string("(name is not UTF-8)"));
        json_object_set_new(rec, "name", json_string("(name is not UTF-8)"));
    }

    in.id = id;
    in.record = rec;
    in.text = clean.len ? clean.ptr : NULL;
    in.text_len = clean.len;
    rc = storage_doc_build(&in, doc, err);

    json_decref(rec);
    json_decref(meta);
    text_meta_release(&tm);
    free(title);
    buf_release(&clean);
    extract_result_release(&res);
    if (fd >= 0)
        close(fd);
    return rc;
}
