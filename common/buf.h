/* A growable byte buffer with a hard cap, after curl's dynbuf and git's
 * strbuf.  The contents are always NUL-terminated (the NUL is not counted
 * in len) but may contain NULs, so pass (ptr, len) pairs onward.
 *
 * Ownership: struct buf is caller-owned; after buf_init() the caller must
 * call buf_release().  Appends past the cap fail with VT_E2BIG and leave the
 * buffer as it was.  An allocation failure returns VT_ENOMEM. */
#ifndef VT_COMMON_BUF_H
#define VT_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct buf {
    char *ptr;   /* NUL-terminated; NULL until the first append */
    size_t len;  /* bytes used, excluding the terminator */
    size_t _cap; /* bytes allocated */
    size_t _max; /* most bytes len may reach */
};

#define BUF_NOLIMIT ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Drop the contents, keep the allocation. */
void buf_reset(struct buf *b);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Make room for n more bytes without changing len. */
int buf_grow(struct buf *b, size_t n);
/* Set len to n (n <= allocated size); for callers that wrote into ptr. */
void buf_setlen(struct buf *b, size_t n);
/* The contents as a string: never NULL ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);
/* Hand the allocation to the caller (free with free()); b is reset. */
char *buf_detach(struct buf *b, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
