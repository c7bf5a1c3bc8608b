/* meta-e2e: run the metadata extractor on OCR output files, one TSV row each.
 *
 *   bench/meta-e2e FILE...
 *
 * Each FILE is one document's text as `vanthu ocr --out` writes it (pages
 * separated by '\f'); page 1 and the last page are passed as the indexer
 * does.  Prints a header line, then per file: the file's base name without
 * ".txt", number, type, issued, agency, subject, signer (empty when absent;
 * tabs and newlines in values become spaces).  Used by bench/meta-e2e.sh and
 * tests/integration/meta.sh.  Exit 1 when a file cannot be read. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/meta.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    do {
        if (cap - n < 65536) {
            cap = cap * 2 + 65536;
            p = realloc(p, cap + 1);
            if (p == NULL)
                abort();
        }
        r = fread(p + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    p[n] = '\0';
    *len = n;
    return p;
}

static void put(const char *v)
{
    putchar('\t');
    for (; v != NULL && *v; v++)
        putchar(*v == '\t' || *v == '\n' || *v == '\r' ? ' ' : *v);
}

int main(int argc, char **argv)
{
    static const enum text_meta_field cols[] = {
        TEXT_META_NUMBER, TEXT_META_TYPE, TEXT_META_ISSUED,
        TEXT_META_AGENCY, TEXT_META_SUBJECT, TEXT_META_SIGNER,
    };
    int rc = 0;

    printf("name");
    for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
        printf("\t%s", text_meta_field_name(cols[c]));
    putchar('\n');
    for (int i = 1; i < argc; i++) {
        struct text_meta m;
        struct vt_err err;
        size_t len = 0, nl;
        char *text = slurp(argv[i], &len);
        const char *base = strrchr(argv[i], '/');

        if (text == NULL) {
            fprintf(stderr, "meta-e2e: cannot read '%s'\n", argv[i]);
            rc = 1;
            continue;
        }
        base = base != NULL ? base + 1 : argv[i];
        nl = strlen(base);
        if (nl > 4 && strcmp(base + nl - 4, ".txt") == 0)
            nl -= 4;
        if (text_meta_extract(text, len, text, len, &m, &err) != 0) {
            fprintf(stderr, "meta-e2e: %s: %s\n", argv[i], err.msg);
            free(text);
            rc = 1;
            continue;
        }
        printf("%.*s", (int)nl, base);
        for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
            put(text_meta_get(&m, cols[c]));
        putchar('\n');
        text_meta_release(&m);
        free(text);
    }
    return rc;
}
