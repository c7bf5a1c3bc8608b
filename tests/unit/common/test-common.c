/* Unit tests for common/: capped buffers, SHA-256 vectors, error naming,
 * opening archive files beneath their root. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/map.h"
#include "common/queue.h"
#include "common/safefile.h"
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

/* The archive is hostile: every way of reaching a file other than the one
 * asked for must fail, with both the openat2 path and the portable walk. */
static void safefile_cases(void)
{
    char root[] = "/tmp/vt-safefile-XXXXXX";
    char p[512], q[512];
    struct stat st;
    struct vt_file_id id;
    struct vt_err e;
    int fd;
    FILE *f;

    assert_non_null(mkdtemp(root));
    snprintf(p, sizeof(p), "%s/sub", root);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/sub/a.txt", root);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("recorded", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/secret", root);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("not for you", f);
    fclose(f);

    fd = vt_open_beneath(root, "sub/a.txt", &st, &e);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 8);
    vt_file_id_of(&st, &id);
    close(fd);
    snprintf(p, sizeof(p), "%s/sub/a.txt", root);
    fd = vt_open_under(root, p, &st, &e);
    assert_true(fd >= 0);
    assert_int_equal(vt_file_check(&st, &id, &e), 0);
    close(fd);

    /* A symlink as the last component, inside or outside the root. */
    snprintf(p, sizeof(p), "%s/sub/link.txt", root);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(vt_open_beneath(root, "sub/link.txt", NULL, &e), -ELOOP);
    snprintf(p, sizeof(p), "%s/sub/in.txt", root);
    assert_int_equal(symlink("a.txt", p), 0);
    assert_int_equal(vt_open_beneath(root, "sub/in.txt", NULL, &e), -ELOOP);
    /* A directory component that is a symlink. */
    snprintf(p, sizeof(p), "%s/dirlink", root);
    assert_int_equal(symlink("sub", p), 0);
    fd = vt_open_beneath(root, "dirlink/a.txt", NULL, &e);
    assert_true(fd == -ELOOP || fd == -ENOTDIR);
    /* Escapes and odd paths. */
    assert_int_equal(vt_open_beneath(root, "../etc/passwd", NULL, &e), -EXDEV);
    assert_int_equal(vt_open_beneath(root, "sub/../secret", NULL, &e), -EXDEV);
    assert_int_equal(vt_open_beneath(root, "/etc/passwd", NULL, &e), -EXDEV);
    assert_int_equal(vt_open_under(root, "/etc/passwd", NULL, &e), -EXDEV);
    snprintf(q, sizeof(q), "%sx/sub/a.txt", root);
    assert_int_equal(vt_open_under(root, q, NULL, &e), -EXDEV);
    /* A fifo must not hang the caller; a directory is not a file. */
    snprintf(p, sizeof(p), "%s/fifo", root);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(vt_open_beneath(root, "fifo", NULL, &e), VT_EBADINPUT);
    assert_int_equal(vt_open_beneath(root, "sub", NULL, &e), VT_EBADINPUT);
    assert_int_equal(vt_open_beneath(root, "missing", NULL, &e), -ENOENT);

    /* Another file renamed over the recorded one: same path, new inode. */
    snprintf(p, sizeof(p), "%s/secret", root);
    snprintf(q, sizeof(q), "%s/sub/a.txt", root);
    assert_int_equal(rename(p, q), 0);
    fd = vt_open_beneath(root, "sub/a.txt", &st, &e);
    assert_true(fd >= 0);
    assert_int_equal(vt_file_check(&st, &id, &e), VT_EAGAIN);
    close(fd);
    /* Without a recorded inode, a size change is still caught. */
    id.dev = id.ino = 0;
    fd = vt_open_beneath(root, "sub/a.txt", &st, &e);
    assert_true(fd >= 0);
    assert_int_equal(vt_file_check(&st, &id, &e), VT_EAGAIN);
    close(fd);

    snprintf(p, sizeof(p), "rm -rf '%s'", root);
    assert_int_equal(system(p), 0);
}

static void test_mkdir_p(void **state)
{
    char root[] = "/tmp/vt-mkdir-XXXXXX";
    char p[256];
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(root));
    snprintf(p, sizeof(p), "%s/a/b/data", root);
    assert_int_equal(vt_mkdir_p(p, 0700), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700 & ~0); /* umask does not widen it */
    assert_int_equal(vt_mkdir_p(p, 0700), 0);    /* existing: fine */
    snprintf(p, sizeof(p), "%s/a/b/data/file", root);
    assert_int_equal(mknod(p, S_IFREG | 0600, 0), 0);
    snprintf(p, sizeof(p), "%s/a/b/data/file/sub", root);
    assert_int_equal(vt_mkdir_p(p, 0700), -ENOTDIR);
    snprintf(p, sizeof(p), "rm -rf '%s'", root);
    assert_int_equal(system(p), 0);
}

static void test_safefile_openat2(void **state)
{
    (void)state;
    vt__safefile_no_openat2 = 0;
    safefile_cases();
}

static void test_safefile_walk(void **state)
{
    (void)state;
    vt__safefile_no_openat2 = 1;
    safefile_cases();
    vt__safefile_no_openat2 = 0;
}


struct qitem {
    int v;
    struct vt_queue link;
};

static void test_queue(void **state)
{
    struct vt_queue q, other, *e;
    struct qitem it[5];
    int seen[5], n = 0;

    (void)state;
    vt_queue_init(&q);
    vt_queue_init(&other);
    assert_true(vt_queue_empty(&q));
    assert_null(vt_queue_pop(&q));
    for (int i = 0; i < 5; i++) {
        it[i].v = i;
        vt_queue_init(&it[i].link);
        assert_false(vt_queue_linked(&it[i].link));
    }
    vt_queue_push(&q, &it[1].link);
    vt_queue_push(&q, &it[2].link);
    vt_queue_push_front(&q, &it[0].link);
    vt_queue_push(&other, &it[3].link);
    vt_queue_push(&other, &it[4].link);
    vt_queue_move(&other, &q);
    assert_true(vt_queue_empty(&other));
    vt_queue_remove(&it[2].link); /* from the middle */
    assert_false(vt_queue_linked(&it[2].link));
    vt_queue_foreach(e, &q)
        seen[n++] = vt_queue_entry(e, struct qitem, link)->v;
    assert_int_equal(n, 4);
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 3);
    assert_int_equal(seen[3], 4);
    assert_int_equal(vt_queue_entry(vt_queue_pop(&q), struct qitem, link)->v, 0);
    assert_int_equal(vt_queue_entry(vt_queue_head(&q), struct qitem, link)->v, 1);
}

struct mitem {
    char key[16];
    struct vt_map_node node;
};

static void test_map(void **state)
{
    enum { N = 1000 };
    struct mitem *items = calloc(N, sizeof(*items));
    struct vt_map m;
    struct vt_map_node *cur = NULL, *e;
    size_t bucket = 0, walked = 0;

    (void)state;
    assert_non_null(items);
    vt_map_init(&m);
    assert_null(vt_map_get(&m, "x"));
    for (int i = 0; i < N; i++) {
        snprintf(items[i].key, sizeof(items[i].key), "/a/%d", i);
        vt_map_put(&m, &items[i].node, items[i].key); /* grows past 256 and 512 */
    }
    for (int i = 0; i < N; i += 97) {
        char k[16];
        snprintf(k, sizeof(k), "/a/%d", i);
        e = vt_map_get(&m, k);
        assert_non_null(e);
        assert_ptr_equal(vt_map_entry(e, struct mitem, node), &items[i]);
    }
    /* Deleting the current node during the walk is allowed. */
    while ((e = vt_map_next(&m, &bucket, &cur)) != NULL) {
        walked++;
        if (vt_map_entry(e, struct mitem, node) - items < N / 2)
            vt_map_del(&m, e);
    }
    assert_int_equal(walked, N);
    assert_int_equal(m.n, N - N / 2);
    assert_null(vt_map_get(&m, "/a/0"));
    assert_non_null(vt_map_get(&m, "/a/999"));
    vt_map_release(&m);
    free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_binary),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_err),
        cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_safefile_openat2),
        cmocka_unit_test(test_safefile_walk),
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
