/* Unit tests for common/: capped buffers, SHA-256 vectors, error naming. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/sha256.h"

static void test_buf_cap(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_adds(&b, "abcd"), 0);
    assert_int_equal(buf_adds(&b, "efgh"), 0);
    assert_int_equal(buf_addc(&b, 'x'), VT_E2BIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(buf_str(&b), "abcdefgh");
    buf_reset(&b);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "ok"), 0);
    assert_string_equal(buf_str(&b), "42-ok");
    assert_int_equal(buf_printf(&b, "%s", "too long!"), VT_E2BIG);
    assert_string_equal(buf_str(&b), "42-ok");
    buf_release(&b);
    assert_null(b.ptr);
}

static void test_buf_binary(void **state)
{
    struct buf b;
    size_t n;
    char *p;

    (void)state;
    buf_init(&b, BUF_NOLIMIT);
    assert_string_equal(buf_str(&b), "");
    assert_int_equal(buf_add(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.ptr, "a\0b", 4);
    p = buf_detach(&b, &n);
    assert_int_equal(n, 3);
    assert_null(b.ptr);
    free(p);
}

static void test_sha256_vectors(void **state)
{
    char hex[SHA256_HEX_LEN + 1];
    struct sha256 c;
    unsigned char d[SHA256_LEN];
    char million[1001];

    (void)state;
    sha256_hex_of("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a' fed in uneven pieces exercises the block carry. */
    memset(million, 'a', sizeof(million));
    sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        sha256_update(&c, million, i % 2 ? 999 : 1001);
    sha256_final(&c, d);
    sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_err(void **state)
{
    struct vt_err e;

    (void)state;
    assert_int_equal(vt_err_set(&e, VT_EENCODING, "cannot decode '%s'", "x.txt"), VT_EENCODING);
    assert_string_equal(e.msg, "cannot decode 'x.txt'");
    assert_string_equal(vt_errname(VT_EENCODING), "encoding");
    assert_string_equal(vt_strerror(-2), "No such file or directory");
    assert_int_equal(vt_err_set(NULL, VT_EIO, "x"), VT_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_binary),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
