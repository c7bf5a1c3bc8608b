/* The OCR worker's sandbox: what vanthu-ocr-worker does to itself at start,
 * before it loads a model or reads a document (docs/security-workers.md).
 *
 * In order:
 *   1. started as root: resolve the user to run as ("nobody" by default),
 *      unshare the network namespace (a second layer; best effort, never
 *      required), drop every group and switch uid/gid, then check that
 *      neither can be regained;
 *   2. ask for SIGKILL when the parent dies (after the switch: a change of
 *      credentials clears the setting) and exit at once if the parent is
 *      already gone;
 *   3. close every file descriptor above keep_fd_max;
 *   4. PR_SET_NO_NEW_PRIVS;
 *   5. a seccomp filter: socket(), socketpair(), connect(), bind(), listen()
 *      and accept() fail with EACCES for every address family, io_uring
 *      (which could open sockets behind the filter's back) with ENOSYS.
 *
 * A step that cannot be applied is an error, unless best_effort is set: then
 * the steps that can be applied are, and the state says what is missing.
 *
 * Part of the worker program only: the parent never links this file (nor
 * libseccomp).  Thread: call once, from the only thread, at start. */
#ifndef VT_OCR_SANDBOX_H
#define VT_OCR_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

struct ocr_sandbox_config {
    const char *user;    /* borrowed; NULL: "nobody" when root, else stay */
    pid_t parent;        /* the pool's pid; 0: no parent-death link (--once) */
    int keep_fd_max;     /* fds 0..keep_fd_max stay open */
    int best_effort;     /* 1: a failed step is reported in the state, not an error */
    const char *test_fail; /* tests: act as if this step ("user", "no-new-privs",
                            * "seccomp") was refused by the kernel */
};

struct ocr_sandbox_state {
    int dropped;        /* 1: uid/gid switched to the user below */
    uid_t uid;
    gid_t gid;
    char user[64];      /* the user the worker runs as */
    int netns;          /* 1: private network namespace */
    int no_new_privs;
    int seccomp;        /* 1: the network filter is loaded */
    int fds_closed;     /* descriptors closed in step 3 */
    char missing[512];  /* "" when fully confined; else what is not, for a log line */
};

/* Apply the sandbox as described above.  Returns 0 (st says what was
 * applied, and st->missing what was not when best_effort), or a negative
 * VT_E* code with err saying which step failed and why. */
int ocr_sandbox_apply(const struct ocr_sandbox_config *cfg, struct ocr_sandbox_state *st,
                      struct vt_err *err);

/* Try what the sandbox must forbid, and report each result as one
 * "name: RESULT" line in out (RESULT: "ok" or the errno name): sockets of
 * AF_INET, AF_INET6, AF_UNIX and AF_NETLINK, socketpair, a TCP connect to
 * 127.0.0.1, bind and listen on an inherited socket, io_uring_setup,
 * setuid(0), plus the session, uid, gid, groups, no_new_privs, seccomp
 * mode, network namespace and open descriptors.  For the selftest; never used on a job. */
void ocr_sandbox_probe(const struct ocr_sandbox_state *st, struct buf *out);

#endif
