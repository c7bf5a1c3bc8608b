/* The Host / :authority allow-list.
 *
 * DESIGN
 *
 * DNS rebinding: a page on evil.example makes its own name resolve to
 * 127.0.0.1, and the browser then lets that page read our answers, because
 * for the browser they come from evil.example.  What the browser cannot
 * change is the Host header: it names evil.example.  So a request is
 * answered only when its Host is
 *
 *   - an IP literal equal to the address the connection arrived on (the
 *     listen address; with a wildcard listen, whichever local address the
 *     client used) or to the configured listen address;
 *   - "localhost" when that address is a loopback one;
 *   - a name listed in [server] hostnames.
 *
 * The port is not compared: rebinding changes the name, never the port,
 * and a port forward or proxy in front may well change the port.  A
 * request with no Host at all (HTTP/1.0) comes from no browser and is
 * answered.  Names compare case-insensitively, one trailing dot ignored. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "query/http_internal.h"

#define HOST_MAX 255

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

/* The address of sa as 16 bytes, IPv4 mapped into IPv6; 0 or -1. */
static int addr16(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa->sa_family == AF_INET) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

static int is_wildcard(const unsigned char a[16])
{
    static const unsigned char any6[16], any4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return memcmp(a, any6, 16) == 0 || memcmp(a, any4, 16) == 0;
}

static char *lower_name(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);

    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    out[n] = '\0';
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = '\0';
    return out;
}

void http__hosts_init(struct http_hosts *hs, const struct sockaddr_storage *listen,
                      const char *const *names, size_t nnames)
{
    memset(hs, 0, sizeof(*hs));
    if (listen != NULL)
        hs->listen = *listen;
    hs->listen_loopback = listen != NULL && is_loopback((const struct sockaddr *)listen);
    hs->names = xcalloc(nnames ? nnames : 1, sizeof(char *));
    for (size_t i = 0; i < nnames; i++)
        if (names[i] != NULL && names[i][0] != '\0')
            hs->names[hs->nnames++] = lower_name(names[i], strlen(names[i]));
}

void http__hosts_release(struct http_hosts *hs)
{
    for (size_t i = 0; i < hs->nnames; i++)
        free(hs->names[i]);
    free(hs->names);
    memset(hs, 0, sizeof(*hs));
}

/* Split "host[:port]" / "[v6][:port]" into the host part (brackets
 * removed) in out; 0, or -1 when malformed. */
static int host_part(const char *v, size_t n, char *out, int *bracketed)
{
    const char *end = v + n, *h = v, *he;

    *bracketed = 0;
    if (n > 0 && v[0] == '[') {
        const char *rb = memchr(v, ']', n);
        if (rb == NULL)
            return -1;
        h = v + 1;
        he = rb;
        *bracketed = 1;
        if (rb + 1 != end && rb[1] != ':')
            return -1;
        v = rb + 1;
    } else {
        const char *colon = memchr(v, ':', n);
        he = colon ? colon : end;
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
            return -1; /* an IPv6 literal must be bracketed */
        v = he;
    }
    if (v != end) { /* ":port" */
        size_t digits = (size_t)(end - v - 1);
        if (digits == 0 || digits > 5)
            return -1;
        for (const char *p = v + 1; p < end; p++)
            if (*p < '0' || *p > '9')
                return -1;
    }
    if (he == h || (size_t)(he - h) > HOST_MAX)
        return -1;
    for (const char *p = h; p < he; p++) {
        unsigned char c = (unsigned char)*p;
        /* Letters, digits, '-', '.', and ':' inside brackets: anything else
         * (spaces, '@', '/', control bytes, UTF-8) is not a host we serve. */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || (c == ':' && *bracketed)))
            return -1;
    }
    memcpy(out, h, (size_t)(he - h));
    out[he - h] = '\0';
    return 0;
}

int http__host_ok(const struct http_hosts *hs, const char *v, size_t n,
                  const struct sockaddr *local)
{
    char host[HOST_MAX + 1], *name;
    unsigned char want[16], have[16];
    struct in6_addr a6;
    struct in_addr a4;
    int bracketed, ok = 0;

    if (n == 0)
        return 1;
    if (host_part(v, n, host, &bracketed) < 0)
        return 0;
    if (bracketed ? inet_pton(AF_INET6, host, &a6) == 1 : inet_pton(AF_INET, host, &a4) == 1) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        if (bracketed) {
            ss.ss_family = AF_INET6;
            ((struct sockaddr_in6 *)&ss)->sin6_addr = a6;
        } else {
            ss.ss_family = AF_INET;
            ((struct sockaddr_in *)&ss)->sin_addr = a4;
        }
        addr16((struct sockaddr *)&ss, want);
        if (local != NULL && addr16(local, have) == 0 && memcmp(want, have, 16) == 0)
            return 1;
        if (addr16((const struct sockaddr *)&hs->listen, have) == 0 && !is_wildcard(have) &&
            memcmp(want, have, 16) == 0)
            return 1;
        return 0;
    }
    if (bracketed)
        return 0;
    name = lower_name(host, strlen(host));
    if (strcmp(name, "localhost") == 0)
        ok = hs->listen_loopback || (local != NULL && is_loopback(local));
    for (size_t i = 0; !ok && i < hs->nnames; i++)
        ok = strcmp(name, hs->names[i]) == 0;
    free(name);
    return ok;
}
