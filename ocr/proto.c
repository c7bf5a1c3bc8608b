/* Frame codec for the OCR worker protocol; see proto.h for the format.
 *
 * The decoder keeps unconsumed bytes in one capped buffer and an offset to
 * the next frame; consumed bytes are shifted out lazily, when the next feed
 * would otherwise grow the buffer, so a burst of small frames costs one
 * memmove rather than one per frame. */
#include "config.h"

#include "ocr/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int ocr_proto_encode(struct buf *out, const json_t *header, const void *body, size_t body_len)
{
    unsigned char prefix[OCR_PROTO_PREFIX];
    size_t old_len = out->len;
    size_t hlen;
    char *h;
    int rc;

    h = json_dumps(header, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (h == NULL)
        return VT_ENOMEM;
    hlen = strlen(h);
    if (hlen > OCR_PROTO_MAX_HEADER || body_len > UINT32_MAX) {
        rc = VT_E2BIG;
        goto out;
    }
    put_u32(prefix, (uint32_t)hlen);
    put_u32(prefix + 4, (uint32_t)body_len);
    rc = buf_grow(out, sizeof(prefix) + hlen + body_len);
    if (rc < 0)
        goto out;
    buf_add(out, prefix, sizeof(prefix));
    buf_add(out, h, hlen);
    buf_add(out, body, body_len);
out:
    if (rc < 0)
        buf_setlen(out, old_len);
    free(h);
    return rc;
}

void ocr_proto_decoder_init(struct ocr_proto_decoder *d, size_t max_body)
{
    /* Room for one whole frame plus one read's worth of the next. */
    buf_init(&d->_in, OCR_PROTO_PREFIX + OCR_PROTO_MAX_HEADER + max_body + OCR_PROTO_READ_CHUNK);
    d->_off = 0;
    d->_max_body = max_body;
}

void ocr_proto_decoder_release(struct ocr_proto_decoder *d)
{
    buf_release(&d->_in);
    d->_off = 0;
}

static void compact(struct ocr_proto_decoder *d)
{
    size_t rest;

    if (d->_off == 0)
        return;
    rest = d->_in.len - d->_off;
    if (rest > 0)
        memmove(d->_in.ptr, d->_in.ptr + d->_off, rest);
    buf_setlen(&d->_in, rest);
    d->_off = 0;
}

int ocr_proto_decoder_feed(struct ocr_proto_decoder *d, const void *p, size_t n)
{
    compact(d);
    return buf_add(&d->_in, p, n);
}

int ocr_proto_decoder_next(struct ocr_proto_decoder *d, struct ocr_frame *f, struct vt_err *err)
{
    const unsigned char *p;
    size_t avail = d->_in.len - d->_off;
    uint32_t hlen, blen;
    json_error_t jerr;
    json_t *h;

    f->header = NULL;
    f->body = NULL;
    f->body_len = 0;
    if (avail < OCR_PROTO_PREFIX)
        return 0;
    p = (const unsigned char *)d->_in.ptr + d->_off;
    hlen = get_u32(p);
    blen = get_u32(p + 4);
    if (hlen > OCR_PROTO_MAX_HEADER)
        return vt_err_set(err, VT_E2BIG, "frame header of %lu bytes is over the %d byte cap",
                          (unsigned long)hlen, OCR_PROTO_MAX_HEADER);
    if (blen > d->_max_body)
        return vt_err_set(err, VT_E2BIG, "frame body of %lu bytes is over the %zu byte cap",
                          (unsigned long)blen, d->_max_body);
    if (avail - OCR_PROTO_PREFIX < (size_t)hlen + blen)
        return 0;
    h = json_loadb((const char *)p + OCR_PROTO_PREFIX, hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (h == NULL)
        return vt_err_set(err, VT_EBADINPUT, "frame header is not json: %s", jerr.text);
    if (!json_is_object(h)) {
        json_decref(h);
        return vt_err_set(err, VT_EBADINPUT, "frame header is not a json object");
    }
    f->header = h;
    f->body = (const char *)p + OCR_PROTO_PREFIX + hlen;
    f->body_len = blen;
    d->_off += OCR_PROTO_PREFIX + (size_t)hlen + blen;
    return 1;
}

int ocr_proto_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int ocr_proto_read_frame(int fd, struct ocr_proto_decoder *d, struct ocr_frame *f, struct vt_err *err)
{
    char chunk[OCR_PROTO_READ_CHUNK];
    int rc;

    for (;;) {
        ssize_t r;

        rc = ocr_proto_decoder_next(d, f, err);
        if (rc != 0)
            return rc;
        r = read(fd, chunk, sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return vt_err_set(err, -errno, "cannot read frame: %s", strerror(errno));
        }
        if (r == 0) {
            if (d->_in.len == d->_off)
                return 0;
            return vt_err_set(err, VT_EBADINPUT, "end of input inside a frame");
        }
        rc = ocr_proto_decoder_feed(d, chunk, (size_t)r);
        if (rc < 0)
            return vt_err_set(err, rc, "cannot buffer frame: %s", vt_strerror(rc));
    }
}
