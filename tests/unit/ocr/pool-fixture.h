/* The fixture that test-pool.c and test-sandbox.c share: a temporary
 * directory, the real vanthu-ocr-worker from $top_builddir, a loop, and the
 * results the pool's callback recorded.  Include after cmocka.h, uv.h,
 * common/xalloc.h and ocr/pool.h; a test file's setup calls
 * fixture_setup() with its own directory prefix. */
#ifndef VT_TESTS_OCR_POOL_FIXTURE_H
#define VT_TESTS_OCR_POOL_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXR 16

struct got {
    int n;
    enum ocr_status status[MAXR];
    int code[MAXR];
    char *reason[MAXR];
    char *text[MAXR];
    char *path[MAXR];
};

struct fixture {
    char dir[64];
    char *worker;
    uv_loop_t loop;
    struct got got;
};

/* mkdtemp makes the directory 0700: as root, a worker that switched to
 * nobody could not open anything in it by path (the pool passes it the
 * descriptor). */
static inline int fixture_setup(void **state, const char *prefix)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    const char *top = getenv("top_builddir");

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/%s-XXXXXX", prefix);
    assert_non_null(mkdtemp(fx->dir));
    fx->worker = xasprintf("%s/vanthu-ocr-worker", top != NULL ? top : ".");
    assert_int_equal(access(fx->worker, X_OK), 0);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    *state = fx;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *fx = *state;
    char *cmd = xasprintf("rm -rf '%s'", fx->dir);

    assert_int_equal(system(cmd), 0);
    free(cmd);
    for (int i = 0; i < fx->got.n; i++) {
        free(fx->got.reason[i]);
        free(fx->got.text[i]);
        free(fx->got.path[i]);
    }
    /* Every handle was closed: the loop closes cleanly. */
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx->worker);
    free(fx);
    return 0;
}

/* fx->dir/name holding content: new path, free() it. */
static inline char *mkfile(struct fixture *fx, const char *name, const char *content)
{
    char *p = xasprintf("%s/%s", fx->dir, name);
    FILE *f = fopen(p, "w");

    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return p;
}

static inline char *mkfile_mode(struct fixture *fx, const char *name, const char *content,
                                mode_t mode)
{
    char *p = mkfile(fx, name, content);

    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static inline void done_cb(const struct ocr_result *r, void *data)
{
    struct got *g = data;

    assert_true(g->n < MAXR);
    g->status[g->n] = r->status;
    g->code[g->n] = r->code;
    g->reason[g->n] = xstrdup(r->reason);
    g->text[g->n] = xstrndup(r->text, r->text_len);
    g->path[g->n] = xstrdup(r->path);
    g->n++;
}

/* Run the loop until n results are in, for at most ms. */
static inline void wait_for_ms(struct fixture *fx, int n, uint64_t ms)
{
    uint64_t deadline = uv_now(&fx->loop) + ms;

    while (fx->got.n < n && uv_now(&fx->loop) < deadline)
        uv_run(&fx->loop, UV_RUN_ONCE);
    assert_int_equal(fx->got.n, n);
}

static inline void wait_for(struct fixture *fx, int n)
{
    wait_for_ms(fx, n, 20000);
}

#endif
