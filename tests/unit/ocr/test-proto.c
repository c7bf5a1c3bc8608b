/* Unit tests for ocr/proto.c: the worker protocol's frame codec. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "ocr/proto.h"

static void encode_job(struct buf *b, int id, const char *body)
{
    json_t *h = json_pack("{s:s, s:i, s:s}", "type", "job", "id", id, "path", "/a/ả.tif");

    assert_non_null(h);
    assert_int_equal(ocr_proto_encode(b, h, body, body ? strlen(body) : 0), 0);
    json_decref(h);
}

static void test_roundtrip(void **state)
{
    struct ocr_proto_decoder d;
    struct ocr_frame f;
    struct vt_err err;
    struct buf b;

    (void)state;
    buf_init(&b, BUF_NOLIMIT);
    encode_job(&b, 7, "text\fpage two\0tail");
    encode_job(&b, 8, NULL);
    ocr_proto_decoder_init(&d, 1024);
    assert_int_equal(ocr_proto_decoder_feed(&d, b.ptr, b.len), 0);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), 1);
    assert_int_equal(json_integer_value(json_object_get(f.header, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(f.header, "path")), "/a/ả.tif");
    assert_int_equal(f.body_len, strlen("text\fpage two"));
    assert_memory_equal(f.body, "text\fpage two", f.body_len);
    json_decref(f.header);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), 1);
    assert_int_equal(json_integer_value(json_object_get(f.header, "id")), 8);
    assert_int_equal(f.body_len, 0);
    json_decref(f.header);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), 0);
    ocr_proto_decoder_release(&d);
    buf_release(&b);
}

/* Frames split at every possible byte boundary decode the same. */
static void test_byte_at_a_time(void **state)
{
    struct ocr_proto_decoder d;
    struct ocr_frame f;
    struct buf b;
    int frames = 0;

    (void)state;
    buf_init(&b, BUF_NOLIMIT);
    encode_job(&b, 1, "abc");
    encode_job(&b, 2, "defg");
    ocr_proto_decoder_init(&d, 16);
    for (size_t i = 0; i < b.len; i++) {
        assert_int_equal(ocr_proto_decoder_feed(&d, b.ptr + i, 1), 0);
        while (ocr_proto_decoder_next(&d, &f, NULL) == 1) {
            frames++;
            assert_int_equal(json_integer_value(json_object_get(f.header, "id")), frames);
            assert_int_equal(f.body_len, frames == 1 ? 3 : 4);
            json_decref(f.header);
        }
    }
    assert_int_equal(frames, 2);
    ocr_proto_decoder_release(&d);
    buf_release(&b);
}

static void test_caps(void **state)
{
    struct ocr_proto_decoder d;
    struct ocr_frame f;
    struct vt_err err;
    struct buf b;
    unsigned char huge_header[8] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};

    (void)state;
    /* A body over the decoder's cap is refused before it is buffered. */
    buf_init(&b, BUF_NOLIMIT);
    encode_job(&b, 1, "0123456789");
    ocr_proto_decoder_init(&d, 4);
    assert_int_equal(ocr_proto_decoder_feed(&d, b.ptr, OCR_PROTO_PREFIX), 0);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), VT_E2BIG);
    assert_non_null(strstr(err.msg, "body"));
    ocr_proto_decoder_release(&d);
    /* So is a header length over OCR_PROTO_MAX_HEADER. */
    ocr_proto_decoder_init(&d, 4);
    assert_int_equal(ocr_proto_decoder_feed(&d, huge_header, sizeof(huge_header)), 0);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), VT_E2BIG);
    ocr_proto_decoder_release(&d);
    buf_release(&b);
    /* Encoding into a buffer whose cap is too small leaves it unchanged. */
    buf_init(&b, 12);
    assert_int_equal(buf_adds(&b, "xy"), 0);
    {
        json_t *h = json_pack("{s:s}", "type", "ready");

        assert_int_equal(ocr_proto_encode(&b, h, "body", 4), VT_E2BIG);
        json_decref(h);
    }
    assert_int_equal(b.len, 2);
    assert_string_equal(buf_str(&b), "xy");
    buf_release(&b);
}

static void test_bad_header(void **state)
{
    struct ocr_proto_decoder d;
    struct ocr_frame f;
    struct vt_err err;
    const unsigned char notjson[] = {0, 0, 0, 3, 0, 0, 0, 0, '{', 'x', ':'};
    const unsigned char array[] = {0, 0, 0, 2, 0, 0, 0, 0, '[', ']'};

    (void)state;
    ocr_proto_decoder_init(&d, 16);
    assert_int_equal(ocr_proto_decoder_feed(&d, notjson, sizeof(notjson)), 0);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), VT_EBADINPUT);
    assert_null(f.header);
    ocr_proto_decoder_release(&d);
    ocr_proto_decoder_init(&d, 16);
    assert_int_equal(ocr_proto_decoder_feed(&d, array, sizeof(array)), 0);
    assert_int_equal(ocr_proto_decoder_next(&d, &f, &err), VT_EBADINPUT);
    assert_non_null(strstr(err.msg, "object"));
    ocr_proto_decoder_release(&d);
}

/* The blocking reader used by the worker, over a pipe. */
static void test_read_frame_fd(void **state)
{
    struct ocr_proto_decoder d;
    struct ocr_frame f;
    struct vt_err err;
    struct buf b;
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    buf_init(&b, BUF_NOLIMIT);
    encode_job(&b, 3, "xyz");
    assert_int_equal(ocr_proto_write_all(fds[1], b.ptr, b.len), 0);
    /* and half of another frame, then EOF */
    assert_int_equal(ocr_proto_write_all(fds[1], b.ptr, 5), 0);
    close(fds[1]);
    ocr_proto_decoder_init(&d, 16);
    assert_int_equal(ocr_proto_read_frame(fds[0], &d, &f, &err), 1);
    assert_int_equal(json_integer_value(json_object_get(f.header, "id")), 3);
    json_decref(f.header);
    assert_int_equal(ocr_proto_read_frame(fds[0], &d, &f, &err), VT_EBADINPUT);
    assert_non_null(strstr(err.msg, "inside a frame"));
    ocr_proto_decoder_release(&d);
    close(fds[0]);
    /* A clean EOF between frames is 0. */
    assert_int_equal(pipe(fds), 0);
    close(fds[1]);
    ocr_proto_decoder_init(&d, 16);
    assert_int_equal(ocr_proto_read_frame(fds[0], &d, &f, &err), 0);
    ocr_proto_decoder_release(&d);
    close(fds[0]);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_read_frame_fd),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
