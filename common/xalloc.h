/* Allocation for small internal objects: on failure these abort with a
 * message, like Redis's zmalloc.  Never use them for sizes taken from input;
 * those go through struct buf, whose cap turns excess into VT_E2BIG. */
#ifndef VT_COMMON_XALLOC_H
#define VT_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of the n strings of v (new, free with xstrv_free()). */
char **xstrv_dup(char *const *v, size_t n);
/* Free the n strings of v and v itself; v may be NULL. */
void xstrv_free(char **v, size_t n);
/* printf into a new string; free with free(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
