/* SHA-256 (FIPS 180-4) for fixity and stable ids.  Caller-owned context, no
 * allocation; any thread. */
#ifndef VT_COMMON_SHA256_H
#define VT_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
    uint32_t _h[8];
    uint64_t _total;
    unsigned char _block[64];
    size_t _used;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* hex must hold SHA256_HEX_LEN + 1 bytes. */
void sha256_hex(const unsigned char d[SHA256_LEN], char *hex);
/* One-shot: digest of (p, n) as lowercase hex. */
void sha256_hex_of(const void *p, size_t n, char *hex);

#endif
