#include "config.h"

#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vt_err_set(struct vt_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void vt_err_clear(struct vt_err *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

const char *vt_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case VT_ENOMEM: return "out of memory";
    case VT_E2BIG: return "input too large";
    case VT_EBADINPUT: return "malformed input";
    case VT_EUNSUPPORTED: return "unsupported file type";
    case VT_ETIMEDOUT: return "timed out";
    case VT_EIO: return "index i/o error";
    case VT_ECORRUPT: return "index corrupt";
    case VT_ELOCKED: return "index locked by another writer";
    case VT_EAGAIN: return "index modified, retry";
    case VT_EINDEX: return "index error";
    case VT_EINTERNAL: return "internal error";
    case VT_ENOTFOUND: return "not found";
    case VT_EQUERY: return "malformed query";
    case VT_EENCODING: return "undecodable text";
    case VT_EUSAGE: return "bad usage";
    default:
        if (code < 0 && code > VT_EBASE)
            return strerror(-code);
        return "unknown error";
    }
}

const char *vt_errname(int code)
{
    switch (code) {
    case VT_E2BIG: return "too-large";
    case VT_EBADINPUT: return "malformed";
    case VT_EUNSUPPORTED: return "unsupported";
    case VT_ETIMEDOUT: return "timeout";
    case VT_EENCODING: return "encoding";
    case VT_ENOMEM: return "no-memory";
    default: return code < 0 && code > VT_EBASE ? "io" : "error";
    }
}

void vt__bug(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "BUG: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
