#include "config.h"

#include "common/buf.h"
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->_cap = 0;
    b->_max = max;
}

void buf_release(struct buf *b)
{
    free(b->ptr);
    buf_init(b, b->_max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->ptr != NULL)
        b->ptr[0] = '\0';
}

int buf_grow(struct buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > b->_max || b->len > b->_max - n)
        return VT_E2BIG;
    need = b->len + n + 1;
    if (need <= b->_cap)
        return 0;
    cap = b->_cap ? b->_cap : 64;
    while (cap < need)
        cap = cap < BUF_NOLIMIT ? cap * 2 : need;
    p = realloc(b->ptr, cap);
    if (p == NULL)
        return VT_ENOMEM;
    b->ptr = p;
    b->_cap = cap;
    return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
    int rc = buf_grow(b, n);

    if (rc < 0)
        return rc;
    if (n > 0)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n, rc;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return VT_EINTERNAL;
    rc = buf_grow(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_setlen(struct buf *b, size_t n)
{
    if (b->ptr == NULL || n >= b->_cap)
        VT_BUG("buf_setlen %zu beyond allocation %zu", n, b->_cap);
    b->len = n;
    b->ptr[n] = '\0';
}

const char *buf_str(const struct buf *b)
{
    return b->ptr != NULL ? b->ptr : "";
}

char *buf_detach(struct buf *b, size_t *len)
{
    char *p = b->ptr;

    if (len != NULL)
        *len = b->len;
    if (p == NULL) {
        p = malloc(1);
        if (p != NULL)
            p[0] = '\0';
    }
    buf_init(b, b->_max);
    return p;
}
