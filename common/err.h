/* Error codes and error detail shared by every module.
 *
 * Functions return 0 (or a non-negative count) on success and a negative
 * code on failure.  Codes in the UV_E* range are -errno values and pass
 * through unchanged; vanthu's own codes live below VT_EBASE so they never
 * collide with errno.  Detail (a message naming the subject) goes into an
 * optional caller-provided struct vt_err; there is no "last error" state. */
#ifndef VT_COMMON_ERR_H
#define VT_COMMON_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    VT_EBASE = -10000,
    VT_ENOMEM = VT_EBASE - 1,       /* allocation failed */
    VT_E2BIG = VT_EBASE - 2,        /* input larger than the configured cap */
    VT_EBADINPUT = VT_EBASE - 3,    /* this file/request is malformed: per-item failure */
    VT_EUNSUPPORTED = VT_EBASE - 4, /* a type we cannot extract: per-item */
    VT_ETIMEDOUT = VT_EBASE - 5,    /* a job ran past its deadline: per-item */
    VT_EIO = VT_EBASE - 6,          /* storage I/O failed: fatal for the pipeline */
    VT_ECORRUPT = VT_EBASE - 7,     /* index corrupt: fatal */
    VT_ELOCKED = VT_EBASE - 8,      /* index locked by another writer */
    VT_EAGAIN = VT_EBASE - 9,       /* index modified under a reader: reopen, retry once */
    VT_EINDEX = VT_EBASE - 10,      /* other index error */
    VT_EINTERNAL = VT_EBASE - 11,   /* programmer error or unknown exception */
    VT_ENOTFOUND = VT_EBASE - 12,   /* no such document */
    VT_EQUERY = VT_EBASE - 13,      /* the query cannot be parsed */
    VT_EENCODING = VT_EBASE - 14,   /* bytes that do not decode as text: per-item */
    VT_EUSAGE = VT_EBASE - 15,      /* bad command-line or configuration value */
};

#define VT_ERR_MSG_MAX 256

struct vt_err {
    int code;
    char msg[VT_ERR_MSG_MAX];
};

/* Record code and a printf-style message in err (which may be NULL) and
 * return code, so callers can write `return vt_err_set(err, ...)`. */
int vt_err_set(struct vt_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err to "no error". err may be NULL. */
void vt_err_clear(struct vt_err *err);

/* A static description of code: ours, else strerror(-code). Never NULL. */
const char *vt_strerror(int code);

/* Short stable name for per-item failures, used as a document's status
 * reason ("encoding", "unsupported", ...).  Never NULL. */
const char *vt_errname(int code);

/* An always-on assertion for programmer errors (never for input). */
#define VT_BUG(...) vt__bug(__FILE__, __LINE__, __VA_ARGS__)
void vt__bug(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif
