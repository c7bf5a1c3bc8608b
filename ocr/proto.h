/* The frame codec spoken between the OCR pool (parent) and its workers over
 * the worker's stdin/stdout pipes.
 *
 * A frame is
 *
 *     u32 header length (big-endian) | u32 body length (big-endian)
 *     header: one JSON object, UTF-8 | body: raw bytes (may be empty)
 *
 * Messages (header "type"):
 *   parent -> worker
 *     job     {"type":"job","id":N,"path":P,"lang":L}            body empty
 *   worker -> parent
 *     ready   {"type":"ready","lang":L}          once, after the model loaded
 *     result  {"type":"result","id":N,"status":"ok"|"failed","code":C,
 *              "reason":R,"pages":[{"conf":F,"source":"ocr"|"text",
 *              "rotate":D,"skew":F,"denoise":B}, ...]}
 *             body: the text, pages separated by '\f'
 *     fatal   {"type":"fatal","reason":R}        worker cannot go on; exits
 *
 * Both lengths are capped on decode (OCR_PROTO_MAX_HEADER and the body cap
 * the decoder was created with), so a confused or hostile peer cannot make
 * the other side allocate without bound.  No threads: each decoder belongs
 * to one caller. */
#ifndef VT_OCR_PROTO_H
#define VT_OCR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"

#define OCR_PROTO_PREFIX 8
#define OCR_PROTO_MAX_HEADER (1024 * 1024)
#define OCR_PROTO_READ_CHUNK 65536

/* Append one frame (header serialised compactly, then body) to out.
 * header is borrowed.  Returns 0, VT_E2BIG (the frame does not fit out's
 * cap or a length overflows u32) or VT_ENOMEM.  out is unchanged on error. */
int ocr_proto_encode(struct buf *out, const json_t *header, const void *body, size_t body_len);

/* A streaming decoder: feed it bytes as they arrive, take frames out. */
struct ocr_proto_decoder {
    struct buf _in;     /* unconsumed input */
    size_t _off;        /* start of the next frame in _in */
    size_t _max_body;
};

struct ocr_frame {
    json_t *header;     /* new reference: json_decref() it */
    const char *body;   /* borrowed until the next decoder call */
    size_t body_len;
};

/* max_body caps a frame's body; the decoder also caps buffered input at
 * one frame plus OCR_PROTO_READ_CHUNK bytes (a reader feeds at most that
 * much at a time). */
void ocr_proto_decoder_init(struct ocr_proto_decoder *d, size_t max_body);
void ocr_proto_decoder_release(struct ocr_proto_decoder *d);

/* Buffer n more bytes.  Returns 0 or VT_E2BIG / VT_ENOMEM. */
int ocr_proto_decoder_feed(struct ocr_proto_decoder *d, const void *p, size_t n);

/* Take the next complete frame.  Returns 1 and fills f, 0 when more input
 * is needed, or a negative code: VT_E2BIG (a length over its cap) or
 * VT_EBADINPUT (a header that is not a JSON object); err gets detail.
 * After an error the stream cannot be resynchronised: drop the peer. */
int ocr_proto_decoder_next(struct ocr_proto_decoder *d, struct ocr_frame *f, struct vt_err *err);

/* Blocking helpers for the worker (which has no event loop).
 * ocr_proto_write_all writes every byte of (p, n) to fd, retrying on EINTR;
 * returns 0 or -errno.  ocr_proto_read_frame reads exactly one frame from fd
 * through d; returns 1 with f filled, 0 on a clean EOF between frames, or a
 * negative code (-errno, VT_E2BIG, VT_EBADINPUT; EOF inside a frame is
 * VT_EBADINPUT). */
int ocr_proto_write_all(int fd, const void *p, size_t n);
int ocr_proto_read_frame(int fd, struct ocr_proto_decoder *d, struct ocr_frame *f, struct vt_err *err);

#endif
