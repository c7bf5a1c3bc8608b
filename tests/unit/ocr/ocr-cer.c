/* ocr-cer GT HYP: character error rate of HYP against GT, printed as
 * "CER EDITS GTLEN" (CER a fraction).  Both texts are compared as Unicode
 * code points after collapsing every run of whitespace (form feeds
 * included) to one space and trimming the ends, as
 * ../shared/bench/ocr/score.py does; the texts are expected in NFC (the
 * ground truth is written so and Tesseract emits precomposed letters).
 * --fold also drops the Vietnamese tone and vowel marks of both sides. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned *load(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned *cp = NULL;
    size_t len = 0, cap = 0;
    int c, space = 1;

    if (f == NULL) {
        perror(path);
        exit(2);
    }
    while ((c = fgetc(f)) != EOF) {
        unsigned u = (unsigned)c;
        int more = 0;

        if (u >= 0xf0) {
            u &= 0x07;
            more = 3;
        } else if (u >= 0xe0) {
            u &= 0x0f;
            more = 2;
        } else if (u >= 0xc0) {
            u &= 0x1f;
            more = 1;
        }
        while (more-- > 0 && (c = fgetc(f)) != EOF)
            u = u << 6 | ((unsigned)c & 0x3f);
        if (u == ' ' || u == '\t' || u == '\n' || u == '\r' || u == '\f' || u == '\v') {
            if (space)
                continue;
            space = 1;
            u = ' ';
        } else {
            space = 0;
        }
        if (len == cap) {
            cap = cap ? cap * 2 : 1024;
            cp = realloc(cp, cap * sizeof(*cp));
            if (cp == NULL)
                exit(2);
        }
        cp[len++] = u;
    }
    fclose(f);
    if (len > 0 && cp[len - 1] == ' ')
        len--;
    *n = len;
    return cp;
}

/* Fold the Vietnamese letters to their base letter (a small table of the
 * precomposed ranges is enough for a test helper). */
static unsigned fold1(unsigned u)
{
    static const char *base = "aAeEiIoOuUyYdD";
    static const char *sets[] = {
        "àáảãạăằắẳẵặâầấẩẫậ", "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", "èéẻẽẹêềếểễệ", "ÈÉẺẼẸÊỀẾỂỄỆ",
        "ìíỉĩị", "ÌÍỈĨỊ", "òóỏõọôồốổỗộơờớởỡợ", "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
        "ùúủũụưừứửữự", "ÙÚỦŨỤƯỪỨỬỮỰ", "ỳýỷỹỵ", "ỲÝỶỸỴ", "đ", "Đ",
    };

    if (u < 0x80)
        return u;
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        const unsigned char *p = (const unsigned char *)sets[s];

        while (*p) {
            unsigned v = *p & 0x0f;
            int more = 2;

            if (*p < 0xe0) {
                v = *p & 0x1f;
                more = 1;
            }
            p++;
            while (more-- > 0)
                v = v << 6 | (*p++ & 0x3f);
            if (v == u)
                return (unsigned char)base[s];
        }
    }
    return u;
}

int main(int argc, char **argv)
{
    size_t n, m, *prev, *cur;
    unsigned *a, *b;
    int fold = 0;

    if (argc == 4 && strcmp(argv[1], "--fold") == 0) {
        fold = 1;
        argv++;
        argc--;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: ocr-cer [--fold] GT HYP\n");
        return 2;
    }
    a = load(argv[1], &n);
    b = load(argv[2], &m);
    if (fold) {
        for (size_t i = 0; i < n; i++)
            a[i] = fold1(a[i]);
        for (size_t j = 0; j < m; j++)
            b[j] = fold1(b[j]);
    }
    prev = calloc(m + 1, sizeof(*prev));
    cur = calloc(m + 1, sizeof(*cur));
    if (prev == NULL || cur == NULL)
        return 2;
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);

            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            cur[j] = d;
        }
        memcpy(prev, cur, (m + 1) * sizeof(*cur));
    }
    printf("%.4f %zu %zu\n", n ? (double)prev[m] / (double)n : (m ? 1.0 : 0.0), prev[m], n);
    free(a);
    free(b);
    free(prev);
    free(cur);
    return 0;
}
