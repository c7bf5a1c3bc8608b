/* Unit tests of the OCR worker's confinement, through the real pool and the
 * real vanthu-ocr-worker: --test-sandbox answers each job with what the
 * sandbox let through (ocr_sandbox_probe), applied exactly as in service;
 * --test-sandbox-fail STEP makes a step fail as if the kernel refused it.
 * Also the descriptor passing of ocr/fdpass.c on its own.  Needs
 * $top_builddir/vanthu-ocr-worker. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "ocr/fdpass.h"
#include "ocr/pool.h"

#include "tests/unit/ocr/pool-fixture.h"

static int setup(void **state)
{
    return fixture_setup(state, "vt-ocr-sandbox");
}

/* Run one job through a fresh pool and return its result index (0). */
static void run_one(struct fixture *fx, const char *const *extra, const char *user,
                    int best_effort, const char *path)
{
    struct ocr_pool_config cfg;
    struct vt_err err;
    struct ocr_pool *pool;

    memset(&cfg, 0, sizeof(cfg));
    cfg.worker_path = fx->worker;
    cfg.workers = 1;
    cfg.timeout_ms = 15000;
    cfg.extra_args = extra;
    cfg.user = user;
    cfg.sandbox_best_effort = best_effort;
    pool = ocr_pool_new(&fx->loop, &cfg, &err);
    if (pool == NULL)
        fail_msg("ocr_pool_new: %s", err.msg);
    assert_int_equal(ocr_pool_submit(pool, path, NULL, done_cb, &fx->got), 0);
    wait_for(fx, fx->got.n + 1);
    ocr_pool_free(pool);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
}

/* The value after "name: " on its line of the probe report, or NULL. */
static char *line_of(const char *report, const char *name)
{
    static char val[256];
    size_t n = strlen(name);

    for (const char *l = report; l != NULL && *l != '\0';
         l = strchr(l, '\n') != NULL ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, name, n) == 0 && l[n] == ':' && l[n + 1] == ' ') {
            const char *e = strchr(l, '\n');
            size_t len = e != NULL ? (size_t)(e - l - n - 2) : strlen(l + n + 2);

            if (len >= sizeof(val))
                len = sizeof(val) - 1;
            memcpy(val, l + n + 2, len);
            val[len] = '\0';
            return val;
        }
    }
    return NULL;
}

static void assert_denied(const char *report, const char *name)
{
    const char *v = line_of(report, name);

    if (v == NULL)
        fail_msg("no '%s' line in:\n%s", name, report);
    if (strcmp(v, "EACCES") != 0 && strcmp(v, "EPERM") != 0)
        fail_msg("%s: %s, want EACCES or EPERM; report:\n%s", name, v, report);
}

/* In service, the worker can create no socket of any family, connect,
 * bind or listen; it has no_new_privs, a seccomp filter, its own session,
 * only its pipes and channel open, and (as root) another uid. */
static void test_confined_in_service(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-sandbox", NULL};
    char *f = mkfile_mode(fx, "page.png", "x", 0600);
    const char *r, *v;
    long pid = 0, sid = 0;

    run_one(fx, extra, NULL, 0, f);
    assert_int_equal(fx->got.status[0], OCR_OK);
    r = fx->got.text[0];
    assert_denied(r, "socket AF_INET");
    assert_denied(r, "socket AF_INET6");
    assert_denied(r, "socket AF_UNIX");
    assert_denied(r, "socket AF_NETLINK");
    assert_denied(r, "socketpair AF_UNIX");
    assert_denied(r, "connect 127.0.0.1:9");
    assert_denied(r, "bind inherited");
    assert_denied(r, "listen inherited");
    assert_string_equal(line_of(r, "io_uring_setup"), "ENOSYS");
    assert_string_equal(line_of(r, "no_new_privs"), "1");
    assert_string_equal(line_of(r, "seccomp"), "2");
    assert_string_equal(line_of(r, "missing"), "-");
    /* stdin, stdout, stderr and the descriptor channel; the job's file was
     * closed before the next frame, the probe runs while it is open. */
    v = line_of(r, "fds");
    assert_non_null(v);
    assert_true(strncmp(v, "0 1 2 3", 7) == 0);
    assert_true(strlen(v) <= 9); /* at most the job's own descriptor beyond */
    v = line_of(r, "pid");
    assert_non_null(v);
    assert_int_equal(sscanf(v, "%ld sid: %ld", &pid, &sid), 2);
    assert_int_equal(pid, sid); /* a session leader: the terminal's SIGINT is not its */
    assert_true(sid != (long)getsid(0));
    if (geteuid() == 0) {
        unsigned long uid = 0, euid = 0, suid = 0;

        assert_int_equal(sscanf(line_of(r, "uid"), "%lu %lu %lu", &uid, &euid, &suid), 3);
        assert_true(uid != 0 && euid != 0 && suid != 0);
        assert_string_equal(line_of(r, "user"), "nobody");
        assert_denied(r, "setuid 0");
        assert_string_equal(line_of(r, "groups"), "0");
    }
    free(f);
}

/* The pool opens the file and passes the descriptor: a worker running as
 * nobody reads a root-only file in a root-only folder. */
static void test_reads_what_its_user_cannot_open(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    char *f = mkfile_mode(fx, "secret.txt", "for root only", 0600);

    run_one(fx, extra, NULL, 0, f);
    assert_int_equal(fx->got.status[0], OCR_OK);
    assert_string_equal(fx->got.text[0], "for root only");
    free(f);
}

/* A FIFO does not hang the pool's open: the worker refuses it. */
static void test_fifo(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    char *f = xasprintf("%s/pipe.png", fx->dir);

    assert_int_equal(mkfifo(f, 0600), 0);
    run_one(fx, extra, NULL, 0, f);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_string_equal(fx->got.reason[0], "not a regular file");
    free(f);
}

/* sandbox = required: a step that fails stops the worker, and the jobs
 * fail with what could not be confined. */
static void test_required_step_fails(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", "--test-sandbox-fail", "seccomp", NULL};
    char *f = mkfile_mode(fx, "a.txt", "a", 0600);

    run_one(fx, extra, NULL, 0, f);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_non_null(strstr(fx->got.reason[0], "cannot start"));
    assert_non_null(
        strstr(fx->got.reason[0], "cannot confine the ocr worker: network not blocked"));
    free(f);
}

/* sandbox = best-effort: the worker runs, says what is missing, and the
 * steps that can be applied still are. */
static void test_best_effort(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-sandbox", "--test-sandbox-fail", "seccomp", NULL};
    char *f = mkfile_mode(fx, "a.txt", "a", 0600);
    const char *r;

    run_one(fx, extra, NULL, 1, f);
    assert_int_equal(fx->got.status[0], OCR_OK);
    r = fx->got.text[0];
    assert_non_null(strstr(line_of(r, "missing"), "network not blocked"));
    assert_string_equal(line_of(r, "seccomp"), "0");
    assert_string_equal(line_of(r, "no_new_privs"), "1");
    assert_string_equal(line_of(r, "socket AF_INET"), "ok");
    free(f);
}

/* A user that does not exist is a clear error, root or not. */
static void test_unknown_user(void **state)
{
    struct fixture *fx = *state;
    const char *extra[] = {"--test-echo", NULL};
    char *f = mkfile_mode(fx, "a.txt", "a", 0600);

    run_one(fx, extra, "no-such-user-vt", 0, f);
    assert_int_equal(fx->got.status[0], OCR_FAILED);
    assert_non_null(strstr(fx->got.reason[0], "no user 'no-such-user-vt'"));
    free(f);
}

/* ---- fdpass ---------------------------------------------------------------- */

static void test_fdpass(void **state)
{
    int sv[2], fd, got = -1;
    struct vt_err err;
    char buf[8];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    /* Nothing sent: an error, not a wait. */
    vt_err_clear(&err);
    assert_true(ocr_fdpass_recv(sv[1], 1, &got, &err) < 0);
    assert_int_equal(got, -1);
    assert_non_null(strstr(err.msg, "no file descriptor came with job 1"));
    /* The right job: a working descriptor, close-on-exec. */
    assert_int_equal(ocr_fdpass_send(sv[0], 7, fd), 0);
    assert_int_equal(ocr_fdpass_recv(sv[1], 7, &got, &err), 0);
    assert_true(got >= 0 && got != fd);
    assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(pread(got, buf, 4, 0), 4);
    assert_memory_equal(buf, "\177ELF", 4);
    close(got);
    /* Another job's descriptor is refused and closed. */
    assert_int_equal(ocr_fdpass_send(sv[0], 8, fd), 0);
    vt_err_clear(&err);
    assert_true(ocr_fdpass_recv(sv[1], 9, &got, &err) < 0);
    assert_int_equal(got, -1);
    assert_non_null(strstr(err.msg, "job 8 came with job 9"));
    close(fd);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_confined_in_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_what_its_user_cannot_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_required_step_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_best_effort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_user, setup, teardown),
        cmocka_unit_test(test_fdpass),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
