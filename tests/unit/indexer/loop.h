/* Helpers the indexer's loop tests share: running a loop until something
 * holds, with a deadline, and writing a small file. */
#ifndef VT_TESTS_UNIT_INDEXER_LOOP_H
#define VT_TESTS_UNIT_INDEXER_LOOP_H

#include <stdio.h>

#include <uv.h>

static inline void test_loop_wake(uv_timer_t *t)
{
    (void)t;
}

/* Run loop until pred(arg) or ms pass; deadline (a timer on loop) wakes
 * it at least every 20 ms.  Returns pred's last value. */
static inline int test_run_until(uv_loop_t *loop, uv_timer_t *deadline, int (*pred)(void *arg),
                          void *arg, unsigned ms)
{
    uint64_t end;

    uv_update_time(loop);
    end = uv_now(loop) + ms;
    while (!pred(arg) && uv_now(loop) < end) {
        uv_timer_start(deadline, test_loop_wake, 20, 0);
        uv_run(loop, UV_RUN_ONCE);
    }
    return pred(arg);
}

static inline void test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#endif
